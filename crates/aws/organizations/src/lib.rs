//! AWS Organizations (awsJson1_1, global): an organization of the store's accounts, its
//! organizational units, the accounts it creates (with the `OrganizationAccountAccessRole` the
//! management account assumes), and service control policies, which IAM's decisions obey
//! (see `authz`): "your organization level policy must allow access", as the seller guides say.
//!
//! Only the management account manages the organization; a member may describe it. Accounts
//! are created at once: `CreateAccount` answers `SUCCEEDED`. Of the policy types, service
//! control policies are the ones spcred enforces, so the only ones it takes.

pub mod ops;
pub use ops::Op;
mod error;

pub use error::OrgError;

/// AWS Organizations's service model (generated from botocore by `tools/gen-models.py`).
pub static MODEL: std::sync::LazyLock<wire::ServiceModel> =
    std::sync::LazyLock::new(|| aws_core::models::load("organizations", include_str!("../models/organizations.json")));

use aws_core::authz::FULL_AWS_ACCESS;
use aws_core::service::{self, Authorization, Check, Ctx, Service, epoch_seconds};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use policy::{Policy, PolicyKind};
use serde::Serialize;
use serde_json::{Value, json};
use store::org::{self as db, Member, Organization, Unit};

/// The id of the AWS managed policy attached everywhere when SCPs are enabled.
pub const FULL_AWS_ACCESS_ID: &str = "p-FullAWSAccess";
const SCP: &str = "SERVICE_CONTROL_POLICY";
/// The largest SCP document, in characters.
const SCP_MAX_CHARS: usize = 5_120;
/// OUs nest at most five levels under the root.
const OU_DEPTH_MAX: usize = 5;
/// Organizations' page size when `MaxResults` is not given (and its maximum).
const PAGE_MAX: usize = 20;
/// The role `CreateAccount` makes in the new account unless told another name.
const ACCESS_ROLE: &str = "OrganizationAccountAccessRole";

/// The AWS Organizations service.
#[derive(Debug, Default)]
pub struct Organizations;

#[async_trait::async_trait]
impl Service for Organizations {
    type Request = ops::Request;
    type Error = OrgError;

    fn signing_name(&self) -> &'static str {
        "organizations"
    }

    fn model(&self) -> &'static wire::ServiceModel {
        &crate::MODEL
    }

    fn flavor(&self) -> aws_core::error::Flavor {
        aws_core::error::Flavor::Json
    }

    async fn authorize(&self, _ctx: &Ctx<'_>, request: &ops::Request) -> Result<Authorization, OrgError> {
        use aws_core::service::{Operation, Request as _};
        Ok(Authorization::one(Check::new(format!("organizations:{}", request.op().name()), "*")))
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: ops::Request) -> Result<Value, OrgError> {
        use ops::Request as R;
        let mut conn = ctx.env.store.read().await?;
        let membership = db::membership(&mut conn, ctx.account()).await?;
        drop(conn);
        let Some((org, _)) = membership else {
            return match request {
                R::CreateOrganization(input) => create_organization(ctx, input).await,
                _ => Err(OrgError::NotInUse),
            };
        };
        // A member account may only describe its organization.
        if org.management_account != ctx.account()
            && !matches!(request, R::DescribeOrganization | R::CreateOrganization(_))
        {
            return Err(OrgError::AccessDenied);
        }
        let o = Org { ctx, org };
        let out = match request {
            R::CreateOrganization(_) => Err(OrgError::AlreadyInOrganization),
            R::DescribeOrganization => {
                let organization = Some(organization_out(ctx, &o.org).await?);
                return out(&ops::DescribeOrganizationResponse { organization });
            }
            R::DeleteOrganization => o.delete().await,
            R::ListRoots(i) => o.list_roots(&paging(i.max_results, i.next_token)),
            R::EnablePolicyType(i) => o.set_policy_type(&i.root_id, &i.policy_type, true).await,
            R::DisablePolicyType(i) => o.set_policy_type(&i.root_id, &i.policy_type, false).await,
            R::CreateAccount(i) => o.create_account(i).await,
            R::DescribeCreateAccountStatus(i) => o.create_account_status(&i.create_account_request_id).await,
            R::DescribeAccount(i) => o.describe_account(&i.account_id).await,
            R::ListAccounts(i) => o.list_accounts(None, &paging(i.max_results, i.next_token)).await,
            R::ListAccountsForParent(i) => {
                o.list_accounts(Some(i.parent_id), &paging(i.max_results, i.next_token)).await
            }
            R::CreateOrganizationalUnit(i) => o.create_ou(i).await,
            R::DescribeOrganizationalUnit(i) => o.describe_ou(&i.organizational_unit_id).await,
            R::DeleteOrganizationalUnit(i) => o.delete_ou(&i.organizational_unit_id).await,
            R::ListOrganizationalUnitsForParent(i) => {
                o.list_ous(&i.parent_id, &paging(i.max_results, i.next_token)).await
            }
            R::ListParents(i) => o.list_parents(&i.child_id, &paging(i.max_results, i.next_token)).await,
            R::MoveAccount(i) => o.move_account(i).await,
            R::CreatePolicy(i) => o.create_policy(i).await,
            R::DescribePolicy(i) => o.describe_policy(&i.policy_id).await,
            R::UpdatePolicy(i) => o.update_policy(i).await,
            R::DeletePolicy(i) => o.delete_policy(&i.policy_id).await,
            R::ListPolicies(i) => o.list_policies(&i.filter, &paging(i.max_results, i.next_token)).await,
            R::AttachPolicy(i) => o.attach(&i.policy_id, &i.target_id, true).await,
            R::DetachPolicy(i) => o.attach(&i.policy_id, &i.target_id, false).await,
            R::ListPoliciesForTarget(i) => {
                o.list_policies_for_target(&i.filter, &i.target_id, &paging(i.max_results, i.next_token)).await
            }
            R::ListTargetsForPolicy(i) => o.list_targets(&i.policy_id, &paging(i.max_results, i.next_token)).await,
        }?;
        // Organizations' changes bound IAM's decisions: cached principals must look again.
        ctx.env.iam_changed();
        Ok(out)
    }
}

// ---- paging ------------------------------------------------------------------------------------

/// Where a page starts and how long it is.
#[derive(Debug, Default)]
struct Paging {
    max_results: Option<i64>,
    next_token: Option<String>,
}

fn paging(max_results: Option<i32>, next_token: Option<String>) -> Paging {
    Paging { max_results: max_results.map(i64::from), next_token }
}

// ---- outputs -----------------------------------------------------------------------------------

/// One page of `items` ordered by `key`; the token is the key of the first item of the next page.
fn page<T>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> String,
    paging: &Paging,
) -> Result<(Vec<T>, Option<String>), OrgError> {
    items.sort_by_cached_key(&key);
    let start = match &paging.next_token {
        None => 0,
        Some(token) => {
            let from = URL_SAFE_NO_PAD
                .decode(token)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| OrgError::InvalidInput("The provided NextToken is not valid.".into()))?;
            items.partition_point(|t| key(t) < from)
        }
    };
    let max = paging.max_results.and_then(|m| usize::try_from(m).ok()).unwrap_or(PAGE_MAX).clamp(1, PAGE_MAX);
    let mut rest = items.split_off(start.min(items.len()));
    let tail = rest.split_off(max.min(rest.len()));
    Ok((rest, tail.first().map(|t| URL_SAFE_NO_PAD.encode(key(t)))))
}

fn org_arn(org: &Organization, kind: &str, rest: &str) -> String {
    format!("arn:aws:organizations::{}:{kind}/{}{rest}", org.management_account, org.org_id)
}

fn account_arn(org: &Organization, account: &str) -> String {
    org_arn(org, "account", &format!("/{account}"))
}

fn root_out(org: &Organization) -> ops::Root {
    let types = if org.scp_enabled { vec![scp_enabled()] } else { Vec::new() };
    ops::Root {
        id: Some(org.root_id.clone()),
        arn: Some(org_arn(org, "root", &format!("/{}", org.root_id))),
        name: Some("Root".into()),
        policy_types: Some(types),
    }
}

fn scp_enabled() -> ops::PolicyTypeSummary {
    ops::PolicyTypeSummary { r#type: Some(SCP.into()), status: Some("ENABLED".into()) }
}

fn ou_out(org: &Organization, u: &Unit) -> ops::OrganizationalUnit {
    ops::OrganizationalUnit {
        id: Some(u.ou_id.clone()),
        arn: Some(org_arn(org, "ou", &format!("/{}", u.ou_id))),
        name: Some(u.name.clone()),
        path: None,
    }
}

fn full_access_summary() -> ops::PolicySummary {
    ops::PolicySummary {
        id: Some(FULL_AWS_ACCESS_ID.into()),
        arn: Some(format!("arn:aws:organizations::aws:policy/service_control_policy/{FULL_AWS_ACCESS_ID}")),
        name: Some("FullAWSAccess".into()),
        description: Some("Allows access to every operation".into()),
        r#type: Some(SCP.into()),
        aws_managed: Some(true),
    }
}

fn summary(org: &Organization, p: &db::Policy) -> ops::PolicySummary {
    ops::PolicySummary {
        arn: Some(org_arn(org, "policy", &format!("/{}/{}", p.policy_type.to_ascii_lowercase(), p.policy_id))),
        id: Some(p.policy_id.clone()),
        name: Some(p.name.clone()),
        description: Some(p.description.clone()),
        r#type: Some(p.policy_type.clone()),
        aws_managed: Some(false),
    }
}

fn policy_out(org: &Organization, p: db::Policy) -> ops::Policy {
    ops::Policy { policy_summary: Some(summary(org, &p)), content: Some(p.content) }
}

async fn organization_out(ctx: &Ctx<'_>, org: &Organization) -> Result<ops::Organization, OrgError> {
    let mut conn = ctx.env.store.read().await?;
    let email = db::account(&mut conn, &org.management_account).await?.and_then(|a| a.email);
    Ok(ops::Organization {
        id: Some(org.org_id.clone()),
        arn: Some(org_arn(org, "organization", "")),
        feature_set: Some(org.feature_set.clone()),
        master_account_arn: Some(account_arn(org, &org.management_account)),
        master_account_id: Some(org.management_account.clone()),
        master_account_email: Some(email.unwrap_or_else(|| default_email(&org.management_account))),
        available_policy_types: Some(vec![scp_enabled()]),
    })
}

/// An output struct as the normalised value.
fn out<T: Serialize>(value: &T) -> Result<Value, OrgError> {
    Ok(service::output(value)?)
}

/// The email an account made without one reports.
fn default_email(account: &str) -> String {
    format!("root+{account}@example.com")
}

async fn create_organization(ctx: &Ctx<'_>, input: ops::CreateOrganizationRequest) -> Result<Value, OrgError> {
    let feature_set = input.feature_set.unwrap_or_else(|| "ALL".into());
    let mut tx = ctx.env.store.begin().await?;
    if db::membership(&mut tx, ctx.account()).await?.is_some() {
        return Err(OrgError::AlreadyInOrganization);
    }
    let org = Organization {
        org_id: format!("o-{}", ctx.env.ids.lower(10)),
        management_account: ctx.account().to_owned(),
        root_id: format!("r-{}", ctx.env.ids.lower(4)),
        feature_set,
        scp_enabled: false,
        created_ms: ctx.now_ms,
    };
    db::insert_organization(&mut tx, &org).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    ctx.env.iam_changed();
    out(&ops::CreateOrganizationResponse { organization: Some(organization_out(ctx, &org).await?) })
}

/// A target a policy can be attached to.
enum Target {
    Root,
    Ou(Unit),
    Account(Member),
}

/// The management account's view of its organization.
struct Org<'c, 'a> {
    ctx: &'c Ctx<'a>,
    org: Organization,
}

impl Org<'_, '_> {
    fn now(&self) -> i64 {
        self.ctx.now_ms
    }

    async fn begin(&self) -> Result<store::Tx, OrgError> {
        Ok(self.ctx.env.store.begin().await?)
    }

    /// The root or OU `id`, or `None`.
    async fn parent(&self, conn: &mut store::Conn, id: &str) -> Result<Option<Target>, OrgError> {
        if id == self.org.root_id {
            return Ok(Some(Target::Root));
        }
        Ok(db::unit(conn, &self.org.org_id, id).await?.map(Target::Ou))
    }

    async fn member(&self, conn: &mut store::Conn, account: &str) -> Result<Option<Member>, OrgError> {
        Ok(db::membership(conn, account).await?.filter(|(o, _)| o.org_id == self.org.org_id).map(|(_, m)| m))
    }

    async fn target(&self, conn: &mut store::Conn, id: &str) -> Result<Target, OrgError> {
        if let Some(parent) = self.parent(conn, id).await? {
            return Ok(parent);
        }
        self.member(conn, id).await?.map(Target::Account).ok_or(OrgError::TargetNotFound)
    }

    async fn account_out(&self, conn: &mut store::Conn, m: &Member) -> Result<ops::Account, OrgError> {
        let details = db::account(conn, &m.account_id).await?;
        let name = details.as_ref().and_then(|a| a.name.clone()).unwrap_or_else(|| m.account_id.clone());
        let email = details.and_then(|a| a.email).unwrap_or_else(|| default_email(&m.account_id));
        Ok(ops::Account {
            id: Some(m.account_id.clone()),
            arn: Some(account_arn(&self.org, &m.account_id)),
            email: Some(email),
            name: Some(name),
            status: Some("ACTIVE".into()),
            state: Some("ACTIVE".into()),
            joined_method: Some(m.joined_method.clone()),
            joined_timestamp: Some(epoch_seconds(m.joined_ms)),
            paths: None,
        })
    }

    async fn delete(&self) -> Result<Value, OrgError> {
        let mut tx = self.begin().await?;
        if db::members(&mut tx, &self.org.org_id, None).await?.len() > 1 {
            return Err(OrgError::OrganizationNotEmpty);
        }
        db::delete_organization(&mut tx, &self.org.org_id).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(json!({}))
    }

    fn list_roots(&self, paging: &Paging) -> Result<Value, OrgError> {
        let (roots, next) = page(vec![root_out(&self.org)], |r| json!(r.id).to_string(), paging)?;
        out(&ops::ListRootsResponse { roots: Some(roots), next_token: next })
    }

    async fn set_policy_type(&self, root_id: &str, policy_type: &str, enable: bool) -> Result<Value, OrgError> {
        if root_id != self.org.root_id {
            return Err(OrgError::RootNotFound);
        }
        if policy_type != SCP {
            return Err(OrgError::InvalidInput(format!(
                "spcred enforces only SERVICE_CONTROL_POLICY, not {policy_type}."
            )));
        }
        match (enable, self.org.scp_enabled) {
            (true, true) => return Err(OrgError::PolicyTypeAlreadyEnabled),
            (false, false) => return Err(OrgError::PolicyTypeNotEnabled),
            _ => {}
        }
        let mut tx = self.begin().await?;
        let org_id = &self.org.org_id;
        db::set_scp_enabled(&mut tx, org_id, enable).await?;
        if enable {
            // FullAWSAccess goes on the root, every OU and every account, as AWS does.
            let mut targets = vec![self.org.root_id.clone()];
            let mut parents = vec![self.org.root_id.clone()];
            while let Some(parent) = parents.pop() {
                for u in db::units_of(&mut tx, org_id, &parent).await? {
                    targets.push(u.ou_id.clone());
                    parents.push(u.ou_id);
                }
            }
            targets.extend(db::members(&mut tx, org_id, None).await?.into_iter().map(|m| m.account_id));
            for t in targets {
                db::attach(&mut tx, org_id, FULL_AWS_ACCESS_ID, &t, self.now()).await?;
            }
        } else {
            // Disabling the type detaches every policy of it.
            db::detach_all(&mut tx, org_id, None).await?;
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        let org = Organization { scp_enabled: enable, ..self.org.clone() };
        let root = Some(root_out(&org));
        if enable {
            out(&ops::EnablePolicyTypeResponse { root })
        } else {
            out(&ops::DisablePolicyTypeResponse { root })
        }
    }

    /// Where FullAWSAccess goes on a new OU or account while SCPs are enabled.
    async fn attach_default(&self, tx: &mut store::Tx, target: &str) -> Result<(), OrgError> {
        if self.org.scp_enabled {
            db::attach(tx, &self.org.org_id, FULL_AWS_ACCESS_ID, target, self.now()).await?;
        }
        Ok(())
    }

    async fn create_account(&self, input: ops::CreateAccountRequest) -> Result<Value, OrgError> {
        let role_name = input.role_name.unwrap_or_else(|| ACCESS_ROLE.into());
        let mut tx = self.begin().await?;
        let mut request = db::CreateAccountRequest {
            request_id: format!("car-{}", self.ctx.env.ids.lower(32)),
            org_id: self.org.org_id.clone(),
            account_name: input.account_name.clone(),
            account_id: None,
            state: "FAILED".into(),
            failure: None,
            requested_ms: self.now(),
            completed_ms: self.now(),
        };
        match aws_core::accounts::create(self.ctx.env, &mut tx, None, Some(&input.account_name), Some(&input.email))
            .await
        {
            Ok(created) => {
                let account = created.account_id;
                db::insert_member(
                    &mut tx,
                    &Member {
                        account_id: account.clone(),
                        org_id: self.org.org_id.clone(),
                        parent_id: self.org.root_id.clone(),
                        joined_method: "CREATED".into(),
                        joined_ms: self.now(),
                    },
                )
                .await?;
                self.attach_default(&mut tx, &account).await?;
                self.access_role(&mut tx, &account, &role_name).await?;
                request.state = "SUCCEEDED".into();
                request.account_id = Some(account);
            }
            Err(aws_core::accounts::AccountError::EmailExists(_)) => {
                request.failure = Some("EMAIL_ALREADY_EXISTS".into());
            }
            Err(e) => {
                tracing::error!(error = %e, "CreateAccount failed");
                return Err(OrgError::Common(aws_core::CommonError::Internal));
            }
        }
        db::insert_request(&mut tx, &request).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        out(&ops::CreateAccountResponse { create_account_status: Some(status_out(&request)) })
    }

    /// The role the management account uses to act in a created account: trusted by the
    /// management account, with `AdministratorAccess`.
    async fn access_role(&self, tx: &mut store::Tx, account: &str, role_name: &str) -> Result<(), OrgError> {
        let trust = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{}:root", self.org.management_account)},
            "Action": "sts:AssumeRole",
        }]});
        let role = store::iam::Role {
            role_id: self.ctx.env.ids.unique_id("AROA"),
            account_id: account.to_owned(),
            role_name: role_name.to_owned(),
            path: "/".into(),
            trust_policy: trust.to_string(),
            description: None,
            max_session_secs: 3_600,
            created_ms: self.now(),
            last_used_ms: None,
            last_used_region: None,
        };
        store::iam::insert_role(tx, &role).await?;
        let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
        store::iam::attach(tx, account, store::iam::Owner::Role, &role.role_id, admin, self.now()).await?;
        Ok(())
    }

    async fn create_account_status(&self, request_id: &str) -> Result<Value, OrgError> {
        let mut conn = self.ctx.env.store.read().await?;
        let request =
            db::request(&mut conn, &self.org.org_id, request_id).await?.ok_or(OrgError::CreateAccountStatusNotFound)?;
        out(&ops::DescribeCreateAccountStatusResponse { create_account_status: Some(status_out(&request)) })
    }

    async fn describe_account(&self, account_id: &str) -> Result<Value, OrgError> {
        let mut conn = self.ctx.env.store.read().await?;
        let m = self.member(&mut conn, account_id).await?.ok_or(OrgError::AccountNotFound)?;
        out(&ops::DescribeAccountResponse { account: Some(self.account_out(&mut conn, &m).await?) })
    }

    async fn list_accounts(&self, parent: Option<String>, paging: &Paging) -> Result<Value, OrgError> {
        let mut conn = self.ctx.env.store.read().await?;
        if let Some(id) = &parent {
            self.parent(&mut conn, id).await?.ok_or(OrgError::ParentNotFound)?;
        }
        let members = db::members(&mut conn, &self.org.org_id, parent.as_deref()).await?;
        let (members, next) = page(members, |m| format!("{:020}{}", m.joined_ms, m.account_id), paging)?;
        let mut accounts = Vec::with_capacity(members.len());
        for m in &members {
            accounts.push(self.account_out(&mut conn, m).await?);
        }
        if parent.is_some() {
            out(&ops::ListAccountsForParentResponse { accounts: Some(accounts), next_token: next })
        } else {
            out(&ops::ListAccountsResponse { accounts: Some(accounts), next_token: next })
        }
    }

    /// How deep the OU `id` is (the root is 0).
    async fn depth(&self, conn: &mut store::Conn, id: &str) -> Result<usize, OrgError> {
        let mut depth = 0;
        let mut at = id.to_owned();
        while at != self.org.root_id && depth <= OU_DEPTH_MAX {
            let Some(u) = db::unit(conn, &self.org.org_id, &at).await? else { break };
            at = u.parent_id;
            depth += 1;
        }
        Ok(depth)
    }

    async fn create_ou(&self, input: ops::CreateOrganizationalUnitRequest) -> Result<Value, OrgError> {
        let mut tx = self.begin().await?;
        self.parent(&mut tx, &input.parent_id).await?.ok_or(OrgError::ParentNotFound)?;
        if self.depth(&mut tx, &input.parent_id).await? >= OU_DEPTH_MAX {
            return Err(OrgError::ConstraintViolation(
                "You have exceeded the maximum allowed depth of OUs in this organization (5).".into(),
            ));
        }
        if db::units_of(&mut tx, &self.org.org_id, &input.parent_id).await?.iter().any(|u| u.name == input.name) {
            return Err(OrgError::DuplicateOu);
        }
        let root_suffix = self.org.root_id.trim_start_matches("r-");
        let unit = Unit {
            ou_id: format!("ou-{root_suffix}-{}", self.ctx.env.ids.lower(8)),
            org_id: self.org.org_id.clone(),
            parent_id: input.parent_id,
            name: input.name,
            created_ms: self.now(),
        };
        db::insert_unit(&mut tx, &unit).await?;
        self.attach_default(&mut tx, &unit.ou_id).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        out(&ops::CreateOrganizationalUnitResponse { organizational_unit: Some(ou_out(&self.org, &unit)) })
    }

    async fn describe_ou(&self, id: &str) -> Result<Value, OrgError> {
        let mut conn = self.ctx.env.store.read().await?;
        let unit = db::unit(&mut conn, &self.org.org_id, id).await?.ok_or(OrgError::OuNotFound)?;
        out(&ops::DescribeOrganizationalUnitResponse { organizational_unit: Some(ou_out(&self.org, &unit)) })
    }

    async fn delete_ou(&self, id: &str) -> Result<Value, OrgError> {
        let mut tx = self.begin().await?;
        db::unit(&mut tx, &self.org.org_id, id).await?.ok_or(OrgError::OuNotFound)?;
        let has_units = !db::units_of(&mut tx, &self.org.org_id, id).await?.is_empty();
        if has_units || !db::members(&mut tx, &self.org.org_id, Some(id)).await?.is_empty() {
            return Err(OrgError::OuNotEmpty);
        }
        db::delete_unit(&mut tx, &self.org.org_id, id).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(json!({}))
    }

    async fn list_ous(&self, parent_id: &str, paging: &Paging) -> Result<Value, OrgError> {
        let mut conn = self.ctx.env.store.read().await?;
        self.parent(&mut conn, parent_id).await?.ok_or(OrgError::ParentNotFound)?;
        let units = db::units_of(&mut conn, &self.org.org_id, parent_id).await?;
        let (units, next) = page(units, |u| u.name.clone(), paging)?;
        let organizational_units = Some(units.iter().map(|u| ou_out(&self.org, u)).collect());
        out(&ops::ListOrganizationalUnitsForParentResponse { organizational_units, next_token: next })
    }

    async fn list_parents(&self, child_id: &str, paging: &Paging) -> Result<Value, OrgError> {
        let mut conn = self.ctx.env.store.read().await?;
        let parent = if let Some(m) = self.member(&mut conn, child_id).await? {
            m.parent_id
        } else if let Some(u) = db::unit(&mut conn, &self.org.org_id, child_id).await? {
            u.parent_id
        } else {
            return Err(OrgError::ChildNotFound);
        };
        let kind = if parent == self.org.root_id { "ROOT" } else { "ORGANIZATIONAL_UNIT" };
        let parent = ops::Parent { id: Some(parent), r#type: Some(kind.into()) };
        let (parents, next) = page(vec![parent], |p| json!(p.id).to_string(), paging)?;
        out(&ops::ListParentsResponse { parents: Some(parents), next_token: next })
    }

    async fn move_account(&self, input: ops::MoveAccountRequest) -> Result<Value, OrgError> {
        let mut tx = self.begin().await?;
        let m = self.member(&mut tx, &input.account_id).await?.ok_or(OrgError::AccountNotFound)?;
        self.parent(&mut tx, &input.source_parent_id).await?.ok_or(OrgError::SourceParentNotFound)?;
        self.parent(&mut tx, &input.destination_parent_id).await?.ok_or(OrgError::DestinationParentNotFound)?;
        if m.parent_id != input.source_parent_id {
            return Err(OrgError::SourceParentNotFound);
        }
        if input.source_parent_id == input.destination_parent_id {
            return Err(OrgError::DuplicateAccount);
        }
        db::move_member(&mut tx, &input.account_id, &input.destination_parent_id).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(json!({}))
    }

    /// Checks a policy's type and document as `CreatePolicy` and `UpdatePolicy` do.
    fn validate(policy_type: &str, content: &str) -> Result<(), OrgError> {
        if policy_type != SCP {
            return Err(OrgError::InvalidInput(format!(
                "spcred enforces only SERVICE_CONTROL_POLICY, not {policy_type}."
            )));
        }
        if content.chars().count() > SCP_MAX_CHARS {
            return Err(OrgError::ConstraintViolation(format!(
                "The provided policy document exceeds the maximum size of {SCP_MAX_CHARS} characters."
            )));
        }
        Policy::parse(content, PolicyKind::Identity).map_err(|e| {
            OrgError::MalformedPolicyDocument(format!(
                "The provided policy document does not meet the requirements of the specified policy type: {e}"
            ))
        })?;
        Ok(())
    }

    async fn create_policy(&self, input: ops::CreatePolicyRequest) -> Result<Value, OrgError> {
        Self::validate(&input.r#type, &input.content)?;
        let mut tx = self.begin().await?;
        if input.name == "FullAWSAccess"
            || db::policy_named(&mut tx, &self.org.org_id, &input.r#type, &input.name).await?
        {
            return Err(OrgError::DuplicatePolicy);
        }
        let policy = db::Policy {
            policy_id: format!("p-{}", self.ctx.env.ids.lower(8)),
            org_id: self.org.org_id.clone(),
            name: input.name,
            description: input.description,
            policy_type: input.r#type,
            content: input.content,
            created_ms: self.now(),
        };
        db::insert_policy(&mut tx, &policy).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        out(&ops::CreatePolicyResponse { policy: Some(policy_out(&self.org, policy)) })
    }

    /// A customer managed policy, or `None` for FullAWSAccess.
    async fn policy(&self, conn: &mut store::Conn, id: &str) -> Result<Option<db::Policy>, OrgError> {
        if id == FULL_AWS_ACCESS_ID {
            return Ok(None);
        }
        db::policy(conn, &self.org.org_id, id).await?.map(Some).ok_or(OrgError::PolicyNotFound)
    }

    async fn describe_policy(&self, policy_id: &str) -> Result<Value, OrgError> {
        let mut conn = self.ctx.env.store.read().await?;
        let policy = match self.policy(&mut conn, policy_id).await? {
            Some(p) => policy_out(&self.org, p),
            None => ops::Policy { policy_summary: Some(full_access_summary()), content: Some(FULL_AWS_ACCESS.into()) },
        };
        out(&ops::DescribePolicyResponse { policy: Some(policy) })
    }

    async fn update_policy(&self, input: ops::UpdatePolicyRequest) -> Result<Value, OrgError> {
        let mut tx = self.begin().await?;
        let Some(mut p) = self.policy(&mut tx, &input.policy_id).await? else {
            return Err(OrgError::AccessDenied);
        };
        if let Some(name) = input.name.filter(|n| *n != p.name) {
            if name == "FullAWSAccess" || db::policy_named(&mut tx, &self.org.org_id, &p.policy_type, &name).await? {
                return Err(OrgError::DuplicatePolicy);
            }
            p.name = name;
        }
        if let Some(content) = input.content {
            Self::validate(&p.policy_type, &content)?;
            p.content = content;
        }
        if let Some(description) = input.description {
            p.description = description;
        }
        db::update_policy(&mut tx, &p).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        out(&ops::UpdatePolicyResponse { policy: Some(policy_out(&self.org, p)) })
    }

    async fn delete_policy(&self, policy_id: &str) -> Result<Value, OrgError> {
        let mut tx = self.begin().await?;
        if self.policy(&mut tx, policy_id).await?.is_none() {
            return Err(OrgError::AccessDenied);
        }
        if !db::targets_of(&mut tx, &self.org.org_id, policy_id).await?.is_empty() {
            return Err(OrgError::PolicyInUse);
        }
        db::delete_policy(&mut tx, &self.org.org_id, policy_id).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(json!({}))
    }

    async fn summaries(&self, conn: &mut store::Conn, ids: &[String]) -> Result<Vec<ops::PolicySummary>, OrgError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match self.policy(conn, id).await {
                Ok(Some(p)) => out.push(summary(&self.org, &p)),
                Ok(None) => out.push(full_access_summary()),
                // An attachment outliving its policy is not listed.
                Err(OrgError::PolicyNotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn list_policies(&self, filter: &str, paging: &Paging) -> Result<Value, OrgError> {
        let mut conn = self.ctx.env.store.read().await?;
        let mut all: Vec<ops::PolicySummary> =
            db::policies(&mut conn, &self.org.org_id, filter).await?.iter().map(|p| summary(&self.org, p)).collect();
        if filter == SCP && self.org.scp_enabled {
            all.push(full_access_summary());
        }
        let (items, next) = page(all, |p| p.name.clone().unwrap_or_default(), paging)?;
        out(&ops::ListPoliciesResponse { policies: Some(items), next_token: next })
    }

    async fn list_policies_for_target(&self, filter: &str, target: &str, paging: &Paging) -> Result<Value, OrgError> {
        let mut conn = self.ctx.env.store.read().await?;
        self.target(&mut conn, target).await?;
        let ids = db::policies_of(&mut conn, &self.org.org_id, target).await?;
        let mut all = self.summaries(&mut conn, &ids).await?;
        all.retain(|p| p.r#type.as_deref() == Some(filter));
        let (items, next) = page(all, |p| p.name.clone().unwrap_or_default(), paging)?;
        out(&ops::ListPoliciesForTargetResponse { policies: Some(items), next_token: next })
    }

    async fn list_targets(&self, policy_id: &str, paging: &Paging) -> Result<Value, OrgError> {
        let mut conn = self.ctx.env.store.read().await?;
        self.policy(&mut conn, policy_id).await?;
        let mut targets = Vec::new();
        for id in db::targets_of(&mut conn, &self.org.org_id, policy_id).await? {
            let (arn, name, kind) = match self.target(&mut conn, &id).await {
                Ok(Target::Root) => (org_arn(&self.org, "root", &format!("/{id}")), "Root".to_owned(), "ROOT"),
                Ok(Target::Ou(u)) => (org_arn(&self.org, "ou", &format!("/{id}")), u.name, "ORGANIZATIONAL_UNIT"),
                Ok(Target::Account(m)) => {
                    let name = db::account(&mut conn, &m.account_id).await?.and_then(|a| a.name);
                    (account_arn(&self.org, &id), name.unwrap_or_else(|| id.clone()), "ACCOUNT")
                }
                Err(_) => continue,
            };
            targets.push(ops::PolicyTargetSummary {
                target_id: Some(id),
                arn: Some(arn),
                name: Some(name),
                r#type: Some(kind.into()),
            });
        }
        let (items, next) = page(targets, |t| json!(t.target_id).to_string(), paging)?;
        out(&ops::ListTargetsForPolicyResponse { targets: Some(items), next_token: next })
    }

    async fn attach(&self, policy_id: &str, target_id: &str, attach: bool) -> Result<Value, OrgError> {
        let mut tx = self.begin().await?;
        let policy = self.policy(&mut tx, policy_id).await?;
        self.target(&mut tx, target_id).await?;
        if policy.as_ref().is_none_or(|p| p.policy_type == SCP) && !self.org.scp_enabled {
            return Err(OrgError::PolicyTypeNotEnabled);
        }
        let org_id = &self.org.org_id;
        if attach {
            if !db::attach(&mut tx, org_id, policy_id, target_id, self.now()).await? {
                return Err(OrgError::DuplicatePolicyAttachment);
            }
        } else {
            if !db::detach(&mut tx, org_id, policy_id, target_id).await? {
                return Err(OrgError::PolicyNotAttached);
            }
            // Every target keeps at least one SCP, or nothing could be done there.
            if db::policies_of(&mut tx, org_id, target_id).await?.is_empty() {
                return Err(OrgError::ConstraintViolation(
                    "You attempted to detach the last service control policy from a root, OU, or account. Every target must have at least one SCP attached."
                        .into(),
                ));
            }
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(json!({}))
    }
}

fn status_out(r: &db::CreateAccountRequest) -> ops::CreateAccountStatus {
    ops::CreateAccountStatus {
        id: Some(r.request_id.clone()),
        account_name: Some(r.account_name.clone()),
        state: Some(r.state.clone()),
        requested_timestamp: Some(epoch_seconds(r.requested_ms)),
        completed_timestamp: Some(epoch_seconds(r.completed_ms)),
        account_id: r.account_id.clone(),
        failure_reason: r.failure.clone(),
        gov_cloud_account_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_core::service::Operation;

    #[test]
    fn every_operation_is_in_the_model() {
        let names: Vec<&str> = crate::MODEL.operation_names().collect();
        for name in &names {
            if let Some(op) = Op::from_name(name) {
                assert_eq!(op.name(), *name);
            }
        }
        let implemented = names.iter().filter(|n| Op::from_name(n).is_some()).count();
        assert_eq!(implemented, 26);
    }

    #[test]
    fn pages_follow_their_token() {
        let items: Vec<String> = (0..45).map(|i| format!("{i:02}")).collect();
        let mut paging = Paging::default();
        let mut seen = Vec::new();
        loop {
            let (got, next) = page(items.clone(), Clone::clone, &paging).unwrap();
            assert!(got.len() <= PAGE_MAX);
            seen.extend(got);
            match next {
                Some(token) => paging.next_token = Some(token),
                None => break,
            }
        }
        assert_eq!(seen, items);
        let bad = Paging { max_results: None, next_token: Some("!".into()) };
        assert!(matches!(page(items, Clone::clone, &bad), Err(OrgError::InvalidInput(_))));
    }
}
