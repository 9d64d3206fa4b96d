//! AWS Identity and Access Management (awsQuery, global): users, groups, roles, access keys,
//! managed and inline policies, tags, the account's authorization details, credential reports
//! and the policy simulator.

pub mod ops;
pub use ops::Op;
mod account;
mod attached;
mod entity;
mod error;
mod groups;
mod last_accessed;
mod managed;
mod names;
mod page;
mod policies;
mod roles;
mod simulate;
mod tags;
mod users;

pub use entity::IamIdentities;
pub(crate) use entity::Kind;
pub use error::IamError;
pub use roles::{DEFAULT_SESSION_SECS, role_arn};

/// IAM's service model (generated from botocore by `tools/gen-models.py`).
pub static MODEL: std::sync::LazyLock<wire::ServiceModel> =
    std::sync::LazyLock::new(|| aws_core::models::load("iam", include_str!("../models/iam.json")));

use aws_core::error::Flavor;
use aws_core::service::{self, Authorization, Check, Ctx, Operation, Request as _, Service};
use ops::Request;
use page::Paging;
use serde_json::Value;
use store::iam::{self as db, Owner};

/// `LimitExceeded` once `count` reaches the quota `max` named `name`.
pub(crate) fn quota(count: i64, max: i64, name: &str) -> Result<(), IamError> {
    if count >= max {
        return Err(IamError::LimitExceeded(format!("Cannot exceed quota for {name}: {max}")));
    }
    Ok(())
}

/// What a request acts on, which decides the resource ARN it is authorized against.
enum Scope<'a> {
    /// The user, role or group named.
    Named(Kind, &'a str),
    /// A user, role or group to be created: its ARN from its path and name.
    New(Kind, Option<&'a str>, &'a str),
    /// The user named, or the caller's own user when none is.
    OwnUser(Option<&'a str>),
    /// The user owning this access key.
    KeyOwner(&'a str),
    /// This managed policy.
    Policy(&'a str),
    /// A customer managed policy to be created, from its path and name.
    NewPolicy(Option<&'a str>, &'a str),
    /// Listing an entity kind under a path prefix: `arn:aws:iam::ACCOUNT:user/`.
    List(Kind, Option<&'a str>),
    /// `ListPolicies`, which IAM authorizes against "policy path /".
    PolicyPath(Option<&'a str>),
    /// The ARN named as is (`PolicySourceArn`, or the entity a last-accessed report is about).
    Arn(&'a str),
    /// No resource: `*`.
    Star,
}

impl Request {
    fn scope(&self) -> Scope<'_> {
        use Kind::{Group, Role, User};
        use Request as R;
        match self {
            R::CreateUser(i) => Scope::New(User, i.path.as_deref(), &i.user_name),
            R::CreateRole(i) => Scope::New(Role, i.path.as_deref(), &i.role_name),
            R::CreateGroup(i) => Scope::New(Group, i.path.as_deref(), &i.group_name),
            R::UpdateUser(ops::UpdateUserRequest { user_name, .. })
            | R::DeleteUser(ops::DeleteUserRequest { user_name })
            | R::TagUser(ops::TagUserRequest { user_name, .. })
            | R::UntagUser(ops::UntagUserRequest { user_name, .. })
            | R::ListUserTags(ops::ListUserTagsRequest { user_name, .. })
            | R::ListGroupsForUser(ops::ListGroupsForUserRequest { user_name, .. })
            | R::AttachUserPolicy(ops::AttachUserPolicyRequest { user_name, .. })
            | R::DetachUserPolicy(ops::DetachUserPolicyRequest { user_name, .. })
            | R::ListAttachedUserPolicies(ops::ListAttachedUserPoliciesRequest { user_name, .. })
            | R::PutUserPolicy(ops::PutUserPolicyRequest { user_name, .. })
            | R::GetUserPolicy(ops::GetUserPolicyRequest { user_name, .. })
            | R::ListUserPolicies(ops::ListUserPoliciesRequest { user_name, .. })
            | R::DeleteUserPolicy(ops::DeleteUserPolicyRequest { user_name, .. }) => Scope::Named(User, user_name),
            R::GetUser(ops::GetUserRequest { user_name })
            | R::CreateAccessKey(ops::CreateAccessKeyRequest { user_name })
            | R::ListAccessKeys(ops::ListAccessKeysRequest { user_name, .. })
            | R::UpdateAccessKey(ops::UpdateAccessKeyRequest { user_name, .. })
            | R::DeleteAccessKey(ops::DeleteAccessKeyRequest { user_name, .. }) => Scope::OwnUser(user_name.as_deref()),
            R::GetAccessKeyLastUsed(i) => Scope::KeyOwner(&i.access_key_id),
            R::GetGroup(ops::GetGroupRequest { group_name, .. })
            | R::UpdateGroup(ops::UpdateGroupRequest { group_name, .. })
            | R::DeleteGroup(ops::DeleteGroupRequest { group_name })
            | R::AddUserToGroup(ops::AddUserToGroupRequest { group_name, .. })
            | R::RemoveUserFromGroup(ops::RemoveUserFromGroupRequest { group_name, .. })
            | R::AttachGroupPolicy(ops::AttachGroupPolicyRequest { group_name, .. })
            | R::DetachGroupPolicy(ops::DetachGroupPolicyRequest { group_name, .. })
            | R::ListAttachedGroupPolicies(ops::ListAttachedGroupPoliciesRequest { group_name, .. })
            | R::PutGroupPolicy(ops::PutGroupPolicyRequest { group_name, .. })
            | R::GetGroupPolicy(ops::GetGroupPolicyRequest { group_name, .. })
            | R::ListGroupPolicies(ops::ListGroupPoliciesRequest { group_name, .. })
            | R::DeleteGroupPolicy(ops::DeleteGroupPolicyRequest { group_name, .. }) => Scope::Named(Group, group_name),
            R::GetRole(ops::GetRoleRequest { role_name })
            | R::UpdateRole(ops::UpdateRoleRequest { role_name, .. })
            | R::UpdateRoleDescription(ops::UpdateRoleDescriptionRequest { role_name, .. })
            | R::UpdateAssumeRolePolicy(ops::UpdateAssumeRolePolicyRequest { role_name, .. })
            | R::DeleteRole(ops::DeleteRoleRequest { role_name })
            | R::TagRole(ops::TagRoleRequest { role_name, .. })
            | R::UntagRole(ops::UntagRoleRequest { role_name, .. })
            | R::ListRoleTags(ops::ListRoleTagsRequest { role_name, .. })
            | R::AttachRolePolicy(ops::AttachRolePolicyRequest { role_name, .. })
            | R::DetachRolePolicy(ops::DetachRolePolicyRequest { role_name, .. })
            | R::ListAttachedRolePolicies(ops::ListAttachedRolePoliciesRequest { role_name, .. })
            | R::PutRolePolicy(ops::PutRolePolicyRequest { role_name, .. })
            | R::GetRolePolicy(ops::GetRolePolicyRequest { role_name, .. })
            | R::ListRolePolicies(ops::ListRolePoliciesRequest { role_name, .. })
            | R::DeleteRolePolicy(ops::DeleteRolePolicyRequest { role_name, .. }) => Scope::Named(Role, role_name),
            R::CreatePolicy(i) => Scope::NewPolicy(i.path.as_deref(), &i.policy_name),
            R::GetPolicy(ops::GetPolicyRequest { policy_arn })
            | R::DeletePolicy(ops::DeletePolicyRequest { policy_arn })
            | R::CreatePolicyVersion(ops::CreatePolicyVersionRequest { policy_arn, .. })
            | R::GetPolicyVersion(ops::GetPolicyVersionRequest { policy_arn, .. })
            | R::ListPolicyVersions(ops::ListPolicyVersionsRequest { policy_arn, .. })
            | R::DeletePolicyVersion(ops::DeletePolicyVersionRequest { policy_arn, .. })
            | R::SetDefaultPolicyVersion(ops::SetDefaultPolicyVersionRequest { policy_arn, .. })
            | R::ListEntitiesForPolicy(ops::ListEntitiesForPolicyRequest { policy_arn, .. })
            | R::TagPolicy(ops::TagPolicyRequest { policy_arn, .. })
            | R::UntagPolicy(ops::UntagPolicyRequest { policy_arn, .. })
            | R::ListPolicyTags(ops::ListPolicyTagsRequest { policy_arn, .. }) => Scope::Policy(policy_arn),
            R::ListUsers(i) => Scope::List(User, i.path_prefix.as_deref()),
            R::ListRoles(i) => Scope::List(Role, i.path_prefix.as_deref()),
            R::ListGroups(i) => Scope::List(Group, i.path_prefix.as_deref()),
            R::ListPolicies(i) => Scope::PolicyPath(i.path_prefix.as_deref()),
            R::SimulatePrincipalPolicy(ops::SimulatePrincipalPolicyRequest { policy_source_arn, .. })
            | R::GetContextKeysForPrincipalPolicy(ops::GetContextKeysForPrincipalPolicyRequest {
                policy_source_arn,
                ..
            }) => Scope::Arn(policy_source_arn),
            R::GenerateServiceLastAccessedDetails(i) => Scope::Arn(&i.arn),
            R::GetServiceLastAccessedDetails(_)
            | R::GetAccountAuthorizationDetails(_)
            | R::GenerateCredentialReport
            | R::GetCredentialReport
            | R::SimulateCustomPolicy(_)
            | R::GetContextKeysForCustomPolicy(_) => Scope::Star,
        }
    }

    /// The managed policy an attach or detach names (the `iam:PolicyARN` condition key).
    fn attached_policy(&self) -> Option<&str> {
        use Request as R;
        match self {
            R::AttachUserPolicy(ops::AttachUserPolicyRequest { policy_arn, .. })
            | R::AttachRolePolicy(ops::AttachRolePolicyRequest { policy_arn, .. })
            | R::AttachGroupPolicy(ops::AttachGroupPolicyRequest { policy_arn, .. })
            | R::DetachUserPolicy(ops::DetachUserPolicyRequest { policy_arn, .. })
            | R::DetachRolePolicy(ops::DetachRolePolicyRequest { policy_arn, .. })
            | R::DetachGroupPolicy(ops::DetachGroupPolicyRequest { policy_arn, .. }) => Some(policy_arn),
            _ => None,
        }
    }

    /// The tags a request sets and the tag keys it removes.
    fn request_tags(&self) -> (&[ops::Tag], &[String]) {
        use Request as R;
        match self {
            R::CreateUser(ops::CreateUserRequest { tags, .. })
            | R::CreateRole(ops::CreateRoleRequest { tags, .. })
            | R::CreatePolicy(ops::CreatePolicyRequest { tags, .. }) => (tags.as_deref().unwrap_or_default(), &[]),
            R::TagUser(ops::TagUserRequest { tags, .. })
            | R::TagRole(ops::TagRoleRequest { tags, .. })
            | R::TagPolicy(ops::TagPolicyRequest { tags, .. }) => (tags, &[]),
            R::UntagUser(ops::UntagUserRequest { tag_keys, .. })
            | R::UntagRole(ops::UntagRoleRequest { tag_keys, .. })
            | R::UntagPolicy(ops::UntagPolicyRequest { tag_keys, .. }) => (&[], tag_keys),
            _ => (&[], &[]),
        }
    }
}

impl Op {
    /// Whether the operation changes IAM state (so cached principals must be reloaded).
    fn writes(self) -> bool {
        const VERBS: [&str; 11] =
            ["Create", "Update", "Delete", "Put", "Attach", "Detach", "Add", "Remove", "Tag", "Untag", "Set"];
        VERBS.iter().any(|v| self.name().starts_with(v))
    }

    /// Operations that would change a policy: refused on AWS managed policies, which are AWS's.
    fn changes_policy(self) -> bool {
        matches!(
            self,
            Op::DeletePolicy
                | Op::CreatePolicyVersion
                | Op::DeletePolicyVersion
                | Op::SetDefaultPolicyVersion
                | Op::TagPolicy
                | Op::UntagPolicy
        )
    }
}

/// The ARN a request is authorized against, and the tags of the entity it names.
async fn resource(ctx: &Ctx<'_>, request: &Request) -> Result<(String, Option<(Owner, String)>), IamError> {
    let account = ctx.account();
    let mut conn = db::reader(&ctx.env.store).await?;
    Ok(match request.scope() {
        Scope::Named(kind, name) => match entity::find(&mut conn, account, kind, name).await? {
            Some(e) => (e.arn, Some((kind.owner(), e.id))),
            None => (names::arn(account, kind.word(), "/", name), None),
        },
        Scope::New(kind, path, name) => (names::arn(account, kind.word(), path.unwrap_or("/"), name), None),
        Scope::OwnUser(name) => {
            let (arn, id) = users::scope_user(ctx, &mut conn, name).await?;
            (arn, id.map(|id| (Owner::User, id)))
        }
        Scope::KeyOwner(key_id) => {
            let key = db::key_metadata(&mut conn, key_id).await?;
            match key.filter(|k| k.account_id == account) {
                Some(k) => {
                    let (arn, id) = users::scope_user(ctx, &mut conn, k.user_name.as_deref()).await?;
                    (arn, id.map(|id| (Owner::User, id)))
                }
                None => ("*".to_owned(), None),
            }
        }
        Scope::Policy(arn) => {
            let id = db::policy_by_arn(&mut conn, arn).await?.map(|p| (Owner::Policy, p.policy_id));
            (arn.to_owned(), id)
        }
        Scope::NewPolicy(path, name) => (names::arn(account, "policy", path.unwrap_or("/"), name), None),
        Scope::List(kind, prefix) => (format!("arn:aws:iam::{account}:{}{}", kind.word(), prefix.unwrap_or("/")), None),
        Scope::PolicyPath(prefix) => (format!("policy path {}", prefix.unwrap_or("/")), None),
        Scope::Arn(arn) => (arn.to_owned(), None),
        Scope::Star => ("*".to_owned(), None),
    })
}

/// The IAM service.
#[derive(Debug, Default)]
pub struct Iam;

#[async_trait::async_trait]
impl Service for Iam {
    type Request = Request;
    type Error = IamError;

    fn signing_name(&self) -> &'static str {
        "iam"
    }

    fn model(&self) -> &'static wire::ServiceModel {
        &crate::MODEL
    }

    fn flavor(&self) -> Flavor {
        Flavor::Query
    }

    async fn authorize(&self, ctx: &Ctx<'_>, request: &Request) -> Result<Authorization, IamError> {
        let op = request.op();
        let (arn, owner) = resource(ctx, request).await?;
        let mut check = Check::new(format!("iam:{}", op.name()), arn);
        if op.changes_policy() && check.resource.starts_with("arn:aws:iam::aws:") {
            return Err(IamError::Common(aws_core::authz::denied(&ctx.caller.arn, &check)));
        }
        if let Some(policy_arn) = request.attached_policy() {
            check = check.with_condition("iam:PolicyARN", vec![policy_arn.to_owned()]);
        }
        let (tags, removed) = request.request_tags();
        for (key, values) in tags::request_conditions(tags, removed) {
            check = check.with_condition(key, values);
        }
        if let Some((owner, id)) = owner {
            let mut conn = db::reader(&ctx.env.store).await?;
            for t in db::tags(&mut conn, owner, &id).await? {
                check = check.with_condition(format!("aws:ResourceTag/{}", t.tag_key), vec![t.tag_value.clone()]);
                check = check.with_condition(format!("iam:ResourceTag/{}", t.tag_key), vec![t.tag_value]);
            }
        }
        Ok(Authorization::one(check))
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: Request) -> Result<Value, IamError> {
        let op = request.op();
        let out = run(ctx, request).await?;
        if op.writes() {
            ctx.env.iam_changed();
        }
        Ok(out)
    }
}

/// The empty output of an operation that returns nothing.
fn done() -> Value {
    Value::Object(serde_json::Map::new())
}

#[allow(clippy::too_many_lines)] // One arm per operation.
async fn run(ctx: &Ctx<'_>, request: Request) -> Result<Value, IamError> {
    use Kind::{Group, Role, User};
    use Request as R;
    use attached as a;
    use service::output as out;
    Ok(match request {
        R::CreateUser(i) => out(&users::create(ctx, i).await?)?,
        R::GetUser(i) => users::get(ctx, i).await?,
        R::ListUsers(i) => out(&users::list(ctx, i).await?)?,
        R::UpdateUser(i) => users::update(ctx, i).await.map(|()| done())?,
        R::DeleteUser(i) => users::delete(ctx, i).await.map(|()| done())?,
        R::TagUser(i) => tags::tag(ctx, Owner::User, &i.user_name, &i.tags).await.map(|()| done())?,
        R::UntagUser(i) => tags::untag(ctx, Owner::User, &i.user_name, &i.tag_keys).await.map(|()| done())?,
        R::ListUserTags(i) => {
            let (tags, t) = tags::list(ctx, Owner::User, &i.user_name, Paging::new(i.marker, i.max_items)).await?;
            out(&ops::ListUserTagsResponse { tags, is_truncated: Some(t.is_truncated), marker: t.marker })?
        }
        R::CreateAccessKey(i) => users::create_key(ctx, i).await?,
        R::ListAccessKeys(i) => out(&users::list_keys(ctx, i).await?)?,
        R::UpdateAccessKey(i) => users::update_key(ctx, i).await.map(|()| done())?,
        R::DeleteAccessKey(i) => users::delete_key(ctx, &i.access_key_id, i.user_name).await.map(|()| done())?,
        R::GetAccessKeyLastUsed(i) => out(&users::key_last_used(ctx, i).await?)?,
        R::CreateGroup(i) => out(&groups::create(ctx, i).await?)?,
        R::GetGroup(i) => out(&groups::get(ctx, i).await?)?,
        R::ListGroups(i) => out(&groups::list(ctx, i).await?)?,
        R::UpdateGroup(i) => groups::update(ctx, i).await.map(|()| done())?,
        R::DeleteGroup(i) => groups::delete(ctx, i).await.map(|()| done())?,
        R::AddUserToGroup(i) => groups::membership(ctx, &i.group_name, &i.user_name, true).await.map(|()| done())?,
        R::RemoveUserFromGroup(i) => {
            groups::membership(ctx, &i.group_name, &i.user_name, false).await.map(|()| done())?
        }
        R::ListGroupsForUser(i) => out(&groups::for_user(ctx, i).await?)?,
        R::CreateRole(i) => out(&roles::create(ctx, i).await?)?,
        R::GetRole(i) => out(&roles::get(ctx, i).await?)?,
        R::ListRoles(i) => out(&roles::list(ctx, i).await?)?,
        R::UpdateRole(i) => {
            roles::update(ctx, &i.role_name, i.description, i.max_session_duration).await?;
            out(&ops::UpdateRoleResponse {})?
        }
        R::UpdateRoleDescription(i) => {
            let role = roles::update(ctx, &i.role_name, Some(i.description), None).await?;
            out(&ops::UpdateRoleDescriptionResponse { role: Some(role) })?
        }
        R::UpdateAssumeRolePolicy(i) => roles::update_trust(ctx, i).await.map(|()| done())?,
        R::DeleteRole(i) => roles::delete(ctx, i).await.map(|()| done())?,
        R::TagRole(i) => tags::tag(ctx, Owner::Role, &i.role_name, &i.tags).await.map(|()| done())?,
        R::UntagRole(i) => tags::untag(ctx, Owner::Role, &i.role_name, &i.tag_keys).await.map(|()| done())?,
        R::ListRoleTags(i) => {
            let (tags, t) = tags::list(ctx, Owner::Role, &i.role_name, Paging::new(i.marker, i.max_items)).await?;
            out(&ops::ListRoleTagsResponse { tags, is_truncated: Some(t.is_truncated), marker: t.marker })?
        }
        R::CreatePolicy(i) => out(&policies::create(ctx, i).await?)?,
        R::GetPolicy(i) => out(&policies::get(ctx, i).await?)?,
        R::ListPolicies(i) => out(&policies::list(ctx, i).await?)?,
        R::DeletePolicy(i) => policies::delete(ctx, i).await.map(|()| done())?,
        R::CreatePolicyVersion(i) => out(&policies::create_version(ctx, i).await?)?,
        R::GetPolicyVersion(i) => out(&policies::get_version(ctx, i).await?)?,
        R::ListPolicyVersions(i) => out(&policies::list_versions(ctx, i).await?)?,
        R::DeletePolicyVersion(i) => {
            policies::change_version(ctx, &i.policy_arn, &i.version_id, true).await.map(|()| done())?
        }
        R::SetDefaultPolicyVersion(i) => {
            policies::change_version(ctx, &i.policy_arn, &i.version_id, false).await.map(|()| done())?
        }
        R::ListEntitiesForPolicy(i) => out(&policies::entities(ctx, i).await?)?,
        R::TagPolicy(i) => tags::tag(ctx, Owner::Policy, &i.policy_arn, &i.tags).await.map(|()| done())?,
        R::UntagPolicy(i) => tags::untag(ctx, Owner::Policy, &i.policy_arn, &i.tag_keys).await.map(|()| done())?,
        R::ListPolicyTags(i) => {
            let (tags, t) = tags::list(ctx, Owner::Policy, &i.policy_arn, Paging::new(i.marker, i.max_items)).await?;
            out(&ops::ListPolicyTagsResponse { tags, is_truncated: Some(t.is_truncated), marker: t.marker })?
        }
        R::AttachUserPolicy(i) => a::attach(ctx, User, &i.user_name, &i.policy_arn).await.map(|()| done())?,
        R::AttachRolePolicy(i) => a::attach(ctx, Role, &i.role_name, &i.policy_arn).await.map(|()| done())?,
        R::AttachGroupPolicy(i) => a::attach(ctx, Group, &i.group_name, &i.policy_arn).await.map(|()| done())?,
        R::DetachUserPolicy(i) => a::detach(ctx, User, &i.user_name, &i.policy_arn).await.map(|()| done())?,
        R::DetachRolePolicy(i) => a::detach(ctx, Role, &i.role_name, &i.policy_arn).await.map(|()| done())?,
        R::DetachGroupPolicy(i) => a::detach(ctx, Group, &i.group_name, &i.policy_arn).await.map(|()| done())?,
        R::ListAttachedUserPolicies(i) => {
            let paging = Paging::new(i.marker, i.max_items);
            let (attached_policies, t) = a::list_attached(ctx, User, &i.user_name, i.path_prefix, paging).await?;
            out(&ops::ListAttachedUserPoliciesResponse {
                attached_policies,
                is_truncated: Some(t.is_truncated),
                marker: t.marker,
            })?
        }
        R::ListAttachedRolePolicies(i) => {
            let paging = Paging::new(i.marker, i.max_items);
            let (attached_policies, t) = a::list_attached(ctx, Role, &i.role_name, i.path_prefix, paging).await?;
            out(&ops::ListAttachedRolePoliciesResponse {
                attached_policies,
                is_truncated: Some(t.is_truncated),
                marker: t.marker,
            })?
        }
        R::ListAttachedGroupPolicies(i) => {
            let paging = Paging::new(i.marker, i.max_items);
            let (attached_policies, t) = a::list_attached(ctx, Group, &i.group_name, i.path_prefix, paging).await?;
            out(&ops::ListAttachedGroupPoliciesResponse {
                attached_policies,
                is_truncated: Some(t.is_truncated),
                marker: t.marker,
            })?
        }
        R::PutUserPolicy(i) => {
            a::put_inline(ctx, User, &i.user_name, &i.policy_name, &i.policy_document).await.map(|()| done())?
        }
        R::PutRolePolicy(i) => {
            a::put_inline(ctx, Role, &i.role_name, &i.policy_name, &i.policy_document).await.map(|()| done())?
        }
        R::PutGroupPolicy(i) => {
            a::put_inline(ctx, Group, &i.group_name, &i.policy_name, &i.policy_document).await.map(|()| done())?
        }
        R::GetUserPolicy(i) => {
            let (user_name, policy_name, policy_document) =
                a::get_inline(ctx, User, &i.user_name, &i.policy_name).await?;
            out(&ops::GetUserPolicyResponse { user_name, policy_name, policy_document })?
        }
        R::GetRolePolicy(i) => {
            let (role_name, policy_name, policy_document) =
                a::get_inline(ctx, Role, &i.role_name, &i.policy_name).await?;
            out(&ops::GetRolePolicyResponse { role_name, policy_name, policy_document })?
        }
        R::GetGroupPolicy(i) => {
            let (group_name, policy_name, policy_document) =
                a::get_inline(ctx, Group, &i.group_name, &i.policy_name).await?;
            out(&ops::GetGroupPolicyResponse { group_name, policy_name, policy_document })?
        }
        R::ListUserPolicies(i) => {
            let (policy_names, t) = a::list_inline(ctx, User, &i.user_name, Paging::new(i.marker, i.max_items)).await?;
            out(&ops::ListUserPoliciesResponse { policy_names, is_truncated: Some(t.is_truncated), marker: t.marker })?
        }
        R::ListRolePolicies(i) => {
            let (policy_names, t) = a::list_inline(ctx, Role, &i.role_name, Paging::new(i.marker, i.max_items)).await?;
            out(&ops::ListRolePoliciesResponse { policy_names, is_truncated: Some(t.is_truncated), marker: t.marker })?
        }
        R::ListGroupPolicies(i) => {
            let (policy_names, t) =
                a::list_inline(ctx, Group, &i.group_name, Paging::new(i.marker, i.max_items)).await?;
            out(&ops::ListGroupPoliciesResponse { policy_names, is_truncated: Some(t.is_truncated), marker: t.marker })?
        }
        R::DeleteUserPolicy(i) => a::delete_inline(ctx, User, &i.user_name, &i.policy_name).await.map(|()| done())?,
        R::DeleteRolePolicy(i) => a::delete_inline(ctx, Role, &i.role_name, &i.policy_name).await.map(|()| done())?,
        R::DeleteGroupPolicy(i) => {
            a::delete_inline(ctx, Group, &i.group_name, &i.policy_name).await.map(|()| done())?
        }
        R::GetAccountAuthorizationDetails(i) => out(&account::authorization_details(ctx, i).await?)?,
        R::GenerateCredentialReport => out(&account::generate_report(ctx).await?)?,
        R::GetCredentialReport => out(&account::get_report(ctx).await?)?,
        R::SimulatePrincipalPolicy(i) => out(&simulate::principal_policy(ctx, i).await?)?,
        R::SimulateCustomPolicy(i) => out(&simulate::custom_policy(ctx, &i)?)?,
        R::GetContextKeysForPrincipalPolicy(i) => out(&simulate::context_keys_principal(ctx, i).await?)?,
        R::GetContextKeysForCustomPolicy(i) => out(&simulate::context_keys(&i.policy_input_list)?)?,
        R::GenerateServiceLastAccessedDetails(i) => out(&last_accessed::generate(ctx, i).await?)?,
        R::GetServiceLastAccessedDetails(i) => out(&last_accessed::get(ctx, i).await?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_in_the_model_and_round_trips() {
        let names: Vec<&str> = crate::MODEL.operation_names().collect();
        for op in Op::ALL {
            assert_eq!(Op::from_name(op.name()), Some(*op));
            assert!(names.contains(&op.name()), "{} is not an IAM operation", op.name());
        }
        assert_eq!(Op::ALL.len(), 74);
        assert!(Op::from_name("CreateLoginProfile").is_none());
    }

    #[test]
    fn writes_are_classified_by_verb() {
        assert!(Op::PutUserPolicy.writes());
        assert!(Op::UntagRole.writes());
        assert!(Op::SetDefaultPolicyVersion.writes());
        assert!(!Op::GetUser.writes());
        assert!(!Op::ListAttachedRolePolicies.writes());
        assert!(!Op::SimulatePrincipalPolicy.writes());
    }
}
