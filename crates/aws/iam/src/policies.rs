//! Managed policies: customer managed ones with their versions, and the built-in AWS managed ones.

use super::managed::{self, AwsManaged};
use super::page::{Paging, Truncation, paginate};
use super::tags::{TagIn, TagOut, check_new_tags};
use super::{IamError, names, quota};
use aws_core::service::{self, Ctx};
use policy::{Policy, PolicyKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use store::iam::{self as db, Owner};

const POLICIES_PER_ACCOUNT: i64 = 1_500;
const VERSIONS_PER_POLICY: usize = 5;

/// A managed policy of either kind.
#[derive(Debug)]
pub(crate) enum AnyPolicy {
    Aws(&'static AwsManaged),
    Customer(db::ManagedPolicy),
}

/// "Policy ARN was not found."
fn not_found(arn: &str) -> IamError {
    IamError::NoSuchEntity(format!("Policy {arn} was not found."))
}

fn version_not_found(arn: &str, version: &str) -> IamError {
    IamError::NoSuchEntity(format!("Policy {arn} version {version} does not exist or is not attachable."))
}

/// IAM's refusal of a malformed policy ARN.
pub(crate) fn invalid_arn(arn: &str) -> IamError {
    IamError::InvalidInput(format!("ARN {arn} is not valid."))
}

/// The managed policy with this ARN, AWS or customer managed.
pub(crate) async fn find(conn: &mut store::Conn, arn: &str) -> Result<AnyPolicy, IamError> {
    if names::parse_arn(arn, "policy").is_none() {
        return Err(invalid_arn(arn));
    }
    if let Some(p) = managed::by_arn(arn) {
        return Ok(AnyPolicy::Aws(p));
    }
    db::policy_by_arn(conn, arn).await?.map(AnyPolicy::Customer).ok_or_else(|| not_found(arn))
}

/// The customer managed policy with this ARN.
pub(crate) async fn require_customer(conn: &mut store::Conn, arn: &str) -> Result<db::ManagedPolicy, IamError> {
    match find(conn, arn).await? {
        AnyPolicy::Customer(p) => Ok(p),
        AnyPolicy::Aws(_) => Err(not_found(arn)),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PolicyOut {
    pub policy_name: String,
    pub policy_id: String,
    pub arn: String,
    pub path: String,
    pub default_version_id: String,
    pub attachment_count: i64,
    pub permissions_boundary_usage_count: i64,
    pub is_attachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub create_date: i64,
    pub update_date: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagOut>,
}

impl PolicyOut {
    /// The policy's summary; `with_description` for `GetPolicy` (`ListPolicies` leaves it out).
    pub fn new(p: &AnyPolicy, attachment_count: i64, with_description: bool, tags: Vec<TagOut>) -> Self {
        match p {
            AnyPolicy::Aws(p) => Self {
                policy_name: p.name.into(),
                policy_id: p.id.into(),
                arn: p.arn(),
                path: "/".into(),
                default_version_id: "v1".into(),
                attachment_count,
                permissions_boundary_usage_count: 0,
                is_attachable: true,
                description: with_description.then(|| p.description.into()),
                create_date: p.created,
                update_date: p.created,
                tags,
            },
            AnyPolicy::Customer(p) => Self {
                policy_name: p.policy_name.clone(),
                policy_id: p.policy_id.clone(),
                arn: p.arn.clone(),
                path: p.path.clone(),
                default_version_id: p.default_version.clone(),
                attachment_count,
                permissions_boundary_usage_count: 0,
                is_attachable: true,
                description: if with_description { p.description.clone() } else { None },
                create_date: names::secs(p.created_ms),
                update_date: names::secs(p.updated_ms),
                tags,
            },
        }
    }
}

/// One version of a policy; the document only where IAM returns it (URL-encoded).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct VersionOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    pub version_id: String,
    pub is_default_version: bool,
    pub create_date: i64,
}

/// Every version of a policy, newest first, as IAM lists them.
pub(crate) async fn versions(
    conn: &mut store::Conn,
    p: &AnyPolicy,
    with_documents: bool,
) -> Result<Vec<VersionOut>, IamError> {
    let doc = |d: &str| with_documents.then(|| names::encode_document(d));
    Ok(match p {
        AnyPolicy::Aws(p) => vec![VersionOut {
            document: doc(p.document),
            version_id: "v1".into(),
            is_default_version: true,
            create_date: p.created,
        }],
        AnyPolicy::Customer(p) => {
            let mut all: Vec<VersionOut> = db::policy_versions(conn, &p.policy_id)
                .await?
                .into_iter()
                .map(|v| VersionOut {
                    document: doc(&v.document),
                    is_default_version: v.version_id == p.default_version,
                    version_id: v.version_id,
                    create_date: names::secs(v.created_ms),
                })
                .collect();
            all.sort_by_key(|v| std::cmp::Reverse(version_number(&v.version_id)));
            all
        }
    })
}

fn version_number(v: &str) -> u64 {
    v.trim_start_matches('v').split('.').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// How many entities each managed policy of the account (and each AWS one) is attached to.
pub(crate) async fn attachment_counts(conn: &mut store::Conn, account: &str) -> Result<HashMap<String, i64>, IamError> {
    Ok(db::attachment_counts(conn, account).await?.into_iter().collect())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyInput {
    #[serde(default)]
    policy_arn: String,
    policy_name: Option<String>,
    path: Option<String>,
    policy_document: Option<String>,
    description: Option<String>,
    version_id: Option<String>,
    #[serde(default)]
    set_as_default: bool,
    #[serde(default)]
    tags: Vec<TagIn>,
    #[serde(flatten)]
    paging: Paging,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyResponse {
    policy: PolicyOut,
}

pub(crate) async fn create(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: PolicyInput = service::input(input)?;
    check_new_tags(&input.tags)?;
    let document = input.policy_document.unwrap_or_default();
    Policy::parse_with_limit(&document, PolicyKind::Identity, policy::limits::MANAGED_POLICY)?;
    let name = input.policy_name.unwrap_or_default();
    let path = input.path.unwrap_or_else(|| "/".into());
    let p = db::ManagedPolicy {
        policy_id: ctx.env.ids.unique_id("ANPA"),
        account_id: ctx.account().to_owned(),
        arn: names::arn(ctx.account(), "policy", &path, &name),
        policy_name: name,
        path,
        description: input.description,
        default_version: "v1".into(),
        next_version: 2,
        created_ms: ctx.now_ms,
        updated_ms: ctx.now_ms,
    };
    let mut tx = ctx.env.store.begin().await?;
    if db::policy_by_name(&mut tx, ctx.account(), &p.policy_name).await?.is_some() {
        return Err(IamError::EntityAlreadyExists(format!(
            "A policy called {} already exists. Duplicate names are not allowed.",
            p.policy_name
        )));
    }
    quota(db::count_policies(&mut tx, ctx.account()).await?, POLICIES_PER_ACCOUNT, "PoliciesPerAccount")?;
    db::insert_policy(&mut tx, &p, &document).await?;
    let tags: Vec<db::Tag> = input.tags.iter().map(TagIn::to_db).collect();
    db::put_tags(&mut tx, Owner::Policy, &p.policy_id, &tags).await?;
    db::commit(tx).await?;
    let tags = tags.iter().map(TagOut::from).collect();
    Ok(service::output(&PolicyResponse { policy: PolicyOut::new(&AnyPolicy::Customer(p), 0, true, tags) })?)
}

pub(crate) async fn get(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: PolicyInput = service::input(input)?;
    let mut conn = db::reader(&ctx.env.store).await?;
    let p = find(&mut conn, &input.policy_arn).await?;
    let count = attachment_counts(&mut conn, ctx.account()).await?.get(&input.policy_arn).copied().unwrap_or(0);
    let tags = match &p {
        AnyPolicy::Customer(c) => {
            db::tags(&mut conn, Owner::Policy, &c.policy_id).await?.iter().map(TagOut::from).collect()
        }
        AnyPolicy::Aws(_) => Vec::new(),
    };
    Ok(service::output(&PolicyResponse { policy: PolicyOut::new(&p, count, true, tags) })?)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListPoliciesResponse {
    policies: Vec<PolicyOut>,
    #[serde(flatten)]
    truncation: Truncation,
}

pub(crate) async fn list(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Input {
        scope: Option<String>,
        #[serde(default)]
        only_attached: bool,
        path_prefix: Option<String>,
        #[serde(flatten)]
        paging: Paging,
    }
    let input: Input = service::input(input)?;
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let scope = input.scope.as_deref().unwrap_or("All");
    let mut conn = db::reader(&ctx.env.store).await?;
    let counts = attachment_counts(&mut conn, ctx.account()).await?;
    let mut all: Vec<AnyPolicy> = Vec::new();
    if scope != "Local" && "/".starts_with(prefix) {
        all.extend(managed::AWS_MANAGED.iter().map(AnyPolicy::Aws));
    }
    if scope != "AWS" {
        all.extend(db::list_policies(&mut conn, ctx.account(), prefix).await?.into_iter().map(AnyPolicy::Customer));
    }
    let arn = |p: &AnyPolicy| match p {
        AnyPolicy::Aws(a) => a.arn(),
        AnyPolicy::Customer(c) => c.arn.clone(),
    };
    let count = |p: &AnyPolicy| counts.get(&arn(p)).copied().unwrap_or(0);
    all.retain(|p| !input.only_attached || count(p) > 0);
    let name = |p: &AnyPolicy| match p {
        AnyPolicy::Aws(a) => a.name.to_owned(),
        AnyPolicy::Customer(c) => c.policy_name.clone(),
    };
    let (page, truncation) = paginate(all, name, &input.paging)?;
    let policies = page.iter().map(|p| PolicyOut::new(p, count(p), false, Vec::new())).collect();
    Ok(service::output(&ListPoliciesResponse { policies, truncation })?)
}

pub(crate) async fn delete(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: PolicyInput = service::input(input)?;
    let mut tx = ctx.env.store.begin().await?;
    let p = require_customer(&mut tx, &input.policy_arn).await?;
    if !db::attachments_of(&mut tx, ctx.account(), &p.arn).await?.is_empty() {
        return Err(IamError::DeleteConflict("Cannot delete a policy attached to entities.".into()));
    }
    if db::policy_versions(&mut tx, &p.policy_id).await?.len() > 1 {
        return Err(IamError::DeleteConflict(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's \
             versions. The default version is deleted with the policy."
                .into(),
        ));
    }
    db::delete_policy(&mut tx, &p.policy_id).await?;
    db::commit(tx).await?;
    Ok(Value::Object(serde_json::Map::new()))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct VersionResponse {
    policy_version: VersionOut,
}

pub(crate) async fn create_version(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: PolicyInput = service::input(input)?;
    let document = input.policy_document.unwrap_or_default();
    Policy::parse_with_limit(&document, PolicyKind::Identity, policy::limits::MANAGED_POLICY)?;
    let mut tx = ctx.env.store.begin().await?;
    let p = require_customer(&mut tx, &input.policy_arn).await?;
    if db::policy_versions(&mut tx, &p.policy_id).await?.len() >= VERSIONS_PER_POLICY {
        return Err(IamError::LimitExceeded(format!(
            "A managed policy can have up to {VERSIONS_PER_POLICY} versions. Before you create a new version, you \
             must delete an existing version."
        )));
    }
    let version_id = db::add_policy_version(&mut tx, &p, &document, input.set_as_default, ctx.now_ms).await?;
    db::commit(tx).await?;
    let out = VersionOut {
        document: None,
        version_id,
        is_default_version: input.set_as_default,
        create_date: names::secs(ctx.now_ms),
    };
    Ok(service::output(&VersionResponse { policy_version: out })?)
}

pub(crate) async fn get_version(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: PolicyInput = service::input(input)?;
    let wanted = input.version_id.unwrap_or_default();
    let mut conn = db::reader(&ctx.env.store).await?;
    let p = find(&mut conn, &input.policy_arn).await?;
    let version = versions(&mut conn, &p, true)
        .await?
        .into_iter()
        .find(|v| v.version_id == wanted)
        .ok_or_else(|| version_not_found(&input.policy_arn, &wanted))?;
    Ok(service::output(&VersionResponse { policy_version: version })?)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct VersionsResponse {
    versions: Vec<VersionOut>,
    #[serde(flatten)]
    truncation: Truncation,
}

pub(crate) async fn list_versions(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: PolicyInput = service::input(input)?;
    let mut conn = db::reader(&ctx.env.store).await?;
    let p = find(&mut conn, &input.policy_arn).await?;
    let all = versions(&mut conn, &p, false).await?;
    // Newest first: the key counts down as the version number goes up.
    let (page, truncation) =
        paginate(all, |v| format!("{:020}", u64::MAX - version_number(&v.version_id)), &input.paging)?;
    Ok(service::output(&VersionsResponse { versions: page, truncation })?)
}

/// `DeletePolicyVersion` (`delete`) and `SetDefaultPolicyVersion`.
pub(crate) async fn change_version(ctx: &Ctx<'_>, input: Value, delete: bool) -> Result<Value, IamError> {
    let input: PolicyInput = service::input(input)?;
    let wanted = input.version_id.unwrap_or_default();
    let mut tx = ctx.env.store.begin().await?;
    let p = require_customer(&mut tx, &input.policy_arn).await?;
    if db::policy_version(&mut tx, &p.policy_id, &wanted).await?.is_none() {
        return Err(version_not_found(&input.policy_arn, &wanted));
    }
    if delete {
        if wanted == p.default_version {
            return Err(IamError::DeleteConflict("Cannot delete the default version of a policy.".into()));
        }
        db::delete_policy_version(&mut tx, &p.policy_id, &wanted).await?;
    } else {
        db::set_default_version(&mut tx, &p.policy_id, &wanted, ctx.now_ms).await?;
    }
    db::commit(tx).await?;
    Ok(Value::Object(serde_json::Map::new()))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EntitiesResponse {
    policy_groups: Vec<Value>,
    policy_users: Vec<Value>,
    policy_roles: Vec<Value>,
    #[serde(flatten)]
    truncation: Truncation,
}

pub(crate) async fn entities(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Input {
        policy_arn: String,
        entity_filter: Option<String>,
        #[serde(flatten)]
        paging: Paging,
    }
    let input: Input = service::input(input)?;
    let mut conn = db::reader(&ctx.env.store).await?;
    find(&mut conn, &input.policy_arn).await?;
    let mut found: Vec<(Owner, String, String)> = Vec::new();
    for (owner, id) in db::attachments_of(&mut conn, ctx.account(), &input.policy_arn).await? {
        let name = match owner {
            Owner::User => db::user_by_id(&mut conn, &id).await?.map(|u| u.user_name),
            Owner::Role => db::role_by_id(&mut conn, &id).await?.map(|r| r.role_name),
            Owner::Group => db::group_by_id(&mut conn, &id).await?.map(|g| g.group_name),
            Owner::Policy => None,
        };
        let wanted = match input.entity_filter.as_deref() {
            None => true,
            Some(f) => matches!((f, owner), ("User", Owner::User) | ("Role", Owner::Role) | ("Group", Owner::Group)),
        };
        if let (Some(name), true) = (name, wanted) {
            found.push((owner, id, name));
        }
    }
    let kind_order = |o: Owner| match o {
        Owner::Group => 0,
        Owner::User => 1,
        _ => 2,
    };
    let (page, truncation) = paginate(found, |(o, _, n)| format!("{}{n}", kind_order(*o)), &input.paging)?;
    let mut out =
        EntitiesResponse { policy_groups: Vec::new(), policy_users: Vec::new(), policy_roles: Vec::new(), truncation };
    for (owner, id, name) in page {
        match owner {
            Owner::Group => out.policy_groups.push(serde_json::json!({ "GroupName": name, "GroupId": id })),
            Owner::User => out.policy_users.push(serde_json::json!({ "UserName": name, "UserId": id })),
            _ => out.policy_roles.push(serde_json::json!({ "RoleName": name, "RoleId": id })),
        }
    }
    Ok(service::output(&out)?)
}
