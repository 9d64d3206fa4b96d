//! Managed policies: customer managed ones with their versions, and the built-in AWS managed ones.

use super::managed::{self, AwsManaged};
use super::ops::{
    CreatePolicyRequest, CreatePolicyResponse, CreatePolicyVersionRequest, CreatePolicyVersionResponse,
    DeletePolicyRequest, GetPolicyRequest, GetPolicyResponse, GetPolicyVersionRequest, GetPolicyVersionResponse,
    ListEntitiesForPolicyRequest, ListEntitiesForPolicyResponse, ListPoliciesRequest, ListPoliciesResponse,
    ListPolicyVersionsRequest, ListPolicyVersionsResponse, Policy, PolicyGroup, PolicyRole, PolicyUser, PolicyVersion,
};
use super::page::{Paging, paginate};
use super::tags::{check_new_tags, tag_list, to_db};
use super::{IamError, names, quota};
use aws_core::service::Ctx;
use policy::PolicyKind;
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

/// The policy's summary as IAM returns it; `with_description` for `GetPolicy` (`ListPolicies`
/// leaves it out), with its tags where it has any.
pub(crate) fn policy_out(p: &AnyPolicy, attachment_count: i64, with_description: bool, tags: &[db::Tag]) -> Policy {
    let common = Policy {
        attachment_count: Some(i32::try_from(attachment_count).unwrap_or(i32::MAX)),
        permissions_boundary_usage_count: Some(0),
        is_attachable: Some(true),
        tags: tag_list(tags),
        ..Policy::default()
    };
    match p {
        AnyPolicy::Aws(p) => Policy {
            policy_name: Some(p.name.into()),
            policy_id: Some(p.id.into()),
            arn: Some(p.arn()),
            path: Some("/".into()),
            default_version_id: Some("v1".into()),
            description: with_description.then(|| p.description.into()),
            create_date: Some(names::time(p.created * 1000)),
            update_date: Some(names::time(p.created * 1000)),
            ..common
        },
        AnyPolicy::Customer(p) => Policy {
            policy_name: Some(p.policy_name.clone()),
            policy_id: Some(p.policy_id.clone()),
            arn: Some(p.arn.clone()),
            path: Some(p.path.clone()),
            default_version_id: Some(p.default_version.clone()),
            description: if with_description { p.description.clone() } else { None },
            create_date: Some(names::time(p.created_ms)),
            update_date: Some(names::time(p.updated_ms)),
            ..common
        },
    }
}

/// Every version of a policy, newest first, as IAM lists them.
pub(crate) async fn versions(
    conn: &mut store::Conn,
    p: &AnyPolicy,
    with_documents: bool,
) -> Result<Vec<PolicyVersion>, IamError> {
    let doc = |d: &str| with_documents.then(|| names::encode_document(d));
    Ok(match p {
        AnyPolicy::Aws(p) => vec![PolicyVersion {
            document: doc(p.document),
            version_id: Some("v1".into()),
            is_default_version: Some(true),
            create_date: Some(names::time(p.created * 1000)),
        }],
        AnyPolicy::Customer(p) => {
            let mut all: Vec<PolicyVersion> = db::policy_versions(conn, &p.policy_id)
                .await?
                .into_iter()
                .map(|v| PolicyVersion {
                    document: doc(&v.document),
                    is_default_version: Some(v.version_id == p.default_version),
                    version_id: Some(v.version_id),
                    create_date: Some(names::time(v.created_ms)),
                })
                .collect();
            all.sort_by_key(|v| std::cmp::Reverse(version_number(v.version_id.as_deref().unwrap_or_default())));
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

pub(crate) async fn create(ctx: &Ctx<'_>, input: CreatePolicyRequest) -> Result<CreatePolicyResponse, IamError> {
    let new_tags = input.tags.unwrap_or_default();
    check_new_tags(&new_tags)?;
    let document = input.policy_document;
    policy::Policy::parse_with_limit(&document, PolicyKind::Identity, policy::limits::MANAGED_POLICY)?;
    let name = input.policy_name;
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
    let tags: Vec<db::Tag> = new_tags.iter().map(to_db).collect();
    db::put_tags(&mut tx, Owner::Policy, &p.policy_id, &tags).await?;
    db::commit(tx).await?;
    Ok(CreatePolicyResponse { policy: Some(policy_out(&AnyPolicy::Customer(p), 0, true, &tags)) })
}

pub(crate) async fn get(ctx: &Ctx<'_>, input: GetPolicyRequest) -> Result<GetPolicyResponse, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let p = find(&mut conn, &input.policy_arn).await?;
    let count = attachment_counts(&mut conn, ctx.account()).await?.get(&input.policy_arn).copied().unwrap_or(0);
    let tags = match &p {
        AnyPolicy::Customer(c) => db::tags(&mut conn, Owner::Policy, &c.policy_id).await?,
        AnyPolicy::Aws(_) => Vec::new(),
    };
    Ok(GetPolicyResponse { policy: Some(policy_out(&p, count, true, &tags)) })
}

pub(crate) async fn list(ctx: &Ctx<'_>, input: ListPoliciesRequest) -> Result<ListPoliciesResponse, IamError> {
    let only_attached = input.only_attached.unwrap_or(false);
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
    all.retain(|p| !only_attached || count(p) > 0);
    let name = |p: &AnyPolicy| match p {
        AnyPolicy::Aws(a) => a.name.to_owned(),
        AnyPolicy::Customer(c) => c.policy_name.clone(),
    };
    let (page, t) = paginate(all, name, &Paging::new(input.marker, input.max_items))?;
    let policies = page.iter().map(|p| policy_out(p, count(p), false, &[])).collect();
    Ok(ListPoliciesResponse { policies: Some(policies), is_truncated: Some(t.is_truncated), marker: t.marker })
}

pub(crate) async fn delete(ctx: &Ctx<'_>, input: DeletePolicyRequest) -> Result<(), IamError> {
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
    Ok(())
}

pub(crate) async fn create_version(
    ctx: &Ctx<'_>,
    input: CreatePolicyVersionRequest,
) -> Result<CreatePolicyVersionResponse, IamError> {
    let document = input.policy_document;
    let set_as_default = input.set_as_default.unwrap_or(false);
    policy::Policy::parse_with_limit(&document, PolicyKind::Identity, policy::limits::MANAGED_POLICY)?;
    let mut tx = ctx.env.store.begin().await?;
    let p = require_customer(&mut tx, &input.policy_arn).await?;
    if db::policy_versions(&mut tx, &p.policy_id).await?.len() >= VERSIONS_PER_POLICY {
        return Err(IamError::LimitExceeded(format!(
            "A managed policy can have up to {VERSIONS_PER_POLICY} versions. Before you create a new version, you \
             must delete an existing version."
        )));
    }
    let version_id = db::add_policy_version(&mut tx, &p, &document, set_as_default, ctx.now_ms).await?;
    db::commit(tx).await?;
    let out = PolicyVersion {
        document: None,
        version_id: Some(version_id),
        is_default_version: Some(set_as_default),
        create_date: Some(names::time(ctx.now_ms)),
    };
    Ok(CreatePolicyVersionResponse { policy_version: Some(out) })
}

pub(crate) async fn get_version(
    ctx: &Ctx<'_>,
    input: GetPolicyVersionRequest,
) -> Result<GetPolicyVersionResponse, IamError> {
    let wanted = input.version_id;
    let mut conn = db::reader(&ctx.env.store).await?;
    let p = find(&mut conn, &input.policy_arn).await?;
    let version = versions(&mut conn, &p, true)
        .await?
        .into_iter()
        .find(|v| v.version_id.as_deref() == Some(wanted.as_str()))
        .ok_or_else(|| version_not_found(&input.policy_arn, &wanted))?;
    Ok(GetPolicyVersionResponse { policy_version: Some(version) })
}

pub(crate) async fn list_versions(
    ctx: &Ctx<'_>,
    input: ListPolicyVersionsRequest,
) -> Result<ListPolicyVersionsResponse, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let p = find(&mut conn, &input.policy_arn).await?;
    let all = versions(&mut conn, &p, false).await?;
    // Newest first: the key counts down as the version number goes up.
    let key =
        |v: &PolicyVersion| format!("{:020}", u64::MAX - version_number(v.version_id.as_deref().unwrap_or_default()));
    let (page, t) = paginate(all, key, &Paging::new(input.marker, input.max_items))?;
    Ok(ListPolicyVersionsResponse { versions: Some(page), is_truncated: Some(t.is_truncated), marker: t.marker })
}

/// `DeletePolicyVersion` (`delete`) and `SetDefaultPolicyVersion`.
pub(crate) async fn change_version(ctx: &Ctx<'_>, arn: &str, wanted: &str, delete: bool) -> Result<(), IamError> {
    let mut tx = ctx.env.store.begin().await?;
    let p = require_customer(&mut tx, arn).await?;
    if db::policy_version(&mut tx, &p.policy_id, wanted).await?.is_none() {
        return Err(version_not_found(arn, wanted));
    }
    if delete {
        if wanted == p.default_version {
            return Err(IamError::DeleteConflict("Cannot delete the default version of a policy.".into()));
        }
        db::delete_policy_version(&mut tx, &p.policy_id, wanted).await?;
    } else {
        db::set_default_version(&mut tx, &p.policy_id, wanted, ctx.now_ms).await?;
    }
    db::commit(tx).await?;
    Ok(())
}

pub(crate) async fn entities(
    ctx: &Ctx<'_>,
    input: ListEntitiesForPolicyRequest,
) -> Result<ListEntitiesForPolicyResponse, IamError> {
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
    let paging = Paging::new(input.marker, input.max_items);
    let (page, t) = paginate(found, |(o, _, n)| format!("{}{n}", kind_order(*o)), &paging)?;
    let (mut groups, mut users, mut roles) = (Vec::new(), Vec::new(), Vec::new());
    for (owner, id, name) in page {
        match owner {
            Owner::Group => groups.push(PolicyGroup { group_name: Some(name), group_id: Some(id) }),
            Owner::User => users.push(PolicyUser { user_name: Some(name), user_id: Some(id) }),
            _ => roles.push(PolicyRole { role_name: Some(name), role_id: Some(id) }),
        }
    }
    Ok(ListEntitiesForPolicyResponse {
        policy_groups: Some(groups),
        policy_users: Some(users),
        policy_roles: Some(roles),
        is_truncated: Some(t.is_truncated),
        marker: t.marker,
    })
}
