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
use aws_core::service::{Authorization, Check, Ctx, Operation, Service};
use serde_json::Value;
use store::iam::{self as db, Owner};

/// `LimitExceeded` once `count` reaches the quota `max` named `name`.
pub(crate) fn quota(count: i64, max: i64, name: &str) -> Result<(), IamError> {
    if count >= max {
        return Err(IamError::LimitExceeded(format!("Cannot exceed quota for {name}: {max}")));
    }
    Ok(())
}

/// What an operation acts on, which decides the resource ARN it is authorized against.
enum Scope {
    /// The user, role or group named by the kind's member (`UserName`, ...).
    Named(Kind),
    /// A user to be created, or another entity of the kind: its ARN from `Path` and the name.
    New(Kind),
    /// `UserName`, or the caller's own user when it is absent.
    OwnUser,
    /// The user owning `AccessKeyId`.
    KeyOwner,
    /// `PolicyArn`.
    Policy,
    /// A customer managed policy to be created.
    NewPolicy,
    /// Listing an entity kind under `PathPrefix`: `arn:aws:iam::ACCOUNT:user/`.
    List(Kind),
    /// `ListPolicies`, which IAM authorizes against "policy path /".
    PolicyPath,
    /// `PolicySourceArn`.
    Source,
    /// `Arn`: the user, role, group or policy a last-accessed report is about.
    Arn,
    /// No resource: `*`.
    Star,
}

impl Op {
    fn scope(self) -> Scope {
        use Op::{
            AddUserToGroup, AttachGroupPolicy, AttachRolePolicy, AttachUserPolicy, CreateAccessKey, CreateGroup,
            CreatePolicy, CreatePolicyVersion, CreateRole, CreateUser, DeleteAccessKey, DeleteGroup, DeleteGroupPolicy,
            DeletePolicy, DeletePolicyVersion, DeleteRole, DeleteRolePolicy, DeleteUser, DeleteUserPolicy,
            DetachGroupPolicy, DetachRolePolicy, DetachUserPolicy, GenerateCredentialReport,
            GenerateServiceLastAccessedDetails, GetAccessKeyLastUsed, GetAccountAuthorizationDetails,
            GetContextKeysForCustomPolicy, GetContextKeysForPrincipalPolicy, GetCredentialReport, GetGroup,
            GetGroupPolicy, GetPolicy, GetPolicyVersion, GetRole, GetRolePolicy, GetServiceLastAccessedDetails,
            GetUser, GetUserPolicy, ListAccessKeys, ListAttachedGroupPolicies, ListAttachedRolePolicies,
            ListAttachedUserPolicies, ListEntitiesForPolicy, ListGroupPolicies, ListGroups, ListGroupsForUser,
            ListPolicies, ListPolicyTags, ListPolicyVersions, ListRolePolicies, ListRoleTags, ListRoles,
            ListUserPolicies, ListUserTags, ListUsers, PutGroupPolicy, PutRolePolicy, PutUserPolicy,
            RemoveUserFromGroup, SetDefaultPolicyVersion, SimulateCustomPolicy, SimulatePrincipalPolicy, TagPolicy,
            TagRole, TagUser, UntagPolicy, UntagRole, UntagUser, UpdateAccessKey, UpdateAssumeRolePolicy, UpdateGroup,
            UpdateRole, UpdateRoleDescription, UpdateUser,
        };
        match self {
            CreateUser => Scope::New(Kind::User),
            CreateRole => Scope::New(Kind::Role),
            CreateGroup => Scope::New(Kind::Group),
            UpdateUser
            | DeleteUser
            | TagUser
            | UntagUser
            | ListUserTags
            | ListGroupsForUser
            | AttachUserPolicy
            | DetachUserPolicy
            | ListAttachedUserPolicies
            | PutUserPolicy
            | GetUserPolicy
            | ListUserPolicies
            | DeleteUserPolicy => Scope::Named(Kind::User),
            GetUser | CreateAccessKey | ListAccessKeys | UpdateAccessKey | DeleteAccessKey => Scope::OwnUser,
            GetAccessKeyLastUsed => Scope::KeyOwner,
            GetGroup
            | UpdateGroup
            | DeleteGroup
            | AddUserToGroup
            | RemoveUserFromGroup
            | AttachGroupPolicy
            | DetachGroupPolicy
            | ListAttachedGroupPolicies
            | PutGroupPolicy
            | GetGroupPolicy
            | ListGroupPolicies
            | DeleteGroupPolicy => Scope::Named(Kind::Group),
            GetRole
            | UpdateRole
            | UpdateRoleDescription
            | UpdateAssumeRolePolicy
            | DeleteRole
            | TagRole
            | UntagRole
            | ListRoleTags
            | AttachRolePolicy
            | DetachRolePolicy
            | ListAttachedRolePolicies
            | PutRolePolicy
            | GetRolePolicy
            | ListRolePolicies
            | DeleteRolePolicy => Scope::Named(Kind::Role),
            CreatePolicy => Scope::NewPolicy,
            GetPolicy
            | DeletePolicy
            | CreatePolicyVersion
            | GetPolicyVersion
            | ListPolicyVersions
            | DeletePolicyVersion
            | SetDefaultPolicyVersion
            | ListEntitiesForPolicy
            | TagPolicy
            | UntagPolicy
            | ListPolicyTags => Scope::Policy,
            ListUsers => Scope::List(Kind::User),
            ListRoles => Scope::List(Kind::Role),
            ListGroups => Scope::List(Kind::Group),
            ListPolicies => Scope::PolicyPath,
            SimulatePrincipalPolicy | GetContextKeysForPrincipalPolicy => Scope::Source,
            GenerateServiceLastAccessedDetails => Scope::Arn,
            GetServiceLastAccessedDetails
            | GetAccountAuthorizationDetails
            | GenerateCredentialReport
            | GetCredentialReport
            | SimulateCustomPolicy
            | GetContextKeysForCustomPolicy => Scope::Star,
        }
    }

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

fn field<'v>(input: &'v Value, name: &str) -> Option<&'v str> {
    input.get(name).and_then(Value::as_str)
}

/// The ARN an operation is authorized against, and the tags of the entity it names.
async fn resource(ctx: &Ctx<'_>, op: Op, input: &Value) -> Result<(String, Option<(Owner, String)>), IamError> {
    let account = ctx.account();
    let mut conn = db::reader(&ctx.env.store).await?;
    Ok(match op.scope() {
        Scope::Named(kind) => {
            let name = field(input, kind.member()).unwrap_or_default();
            match entity::find(&mut conn, account, kind, name).await? {
                Some(e) => (e.arn, Some((kind.owner(), e.id))),
                None => (names::arn(account, kind.word(), "/", name), None),
            }
        }
        Scope::New(kind) => {
            let path = field(input, "Path").unwrap_or("/");
            (names::arn(account, kind.word(), path, field(input, kind.member()).unwrap_or_default()), None)
        }
        Scope::OwnUser => {
            let (arn, id) = users::scope_user(ctx, &mut conn, field(input, "UserName")).await?;
            (arn, id.map(|id| (Owner::User, id)))
        }
        Scope::KeyOwner => {
            let key = db::key_metadata(&mut conn, field(input, "AccessKeyId").unwrap_or_default()).await?;
            match key.filter(|k| k.account_id == account) {
                Some(k) => {
                    let (arn, id) = users::scope_user(ctx, &mut conn, k.user_name.as_deref()).await?;
                    (arn, id.map(|id| (Owner::User, id)))
                }
                None => ("*".to_owned(), None),
            }
        }
        Scope::Policy => {
            let arn = field(input, "PolicyArn").unwrap_or_default().to_owned();
            let id = db::policy_by_arn(&mut conn, &arn).await?.map(|p| (Owner::Policy, p.policy_id));
            (arn, id)
        }
        Scope::NewPolicy => {
            let path = field(input, "Path").unwrap_or("/");
            (names::arn(account, "policy", path, field(input, "PolicyName").unwrap_or_default()), None)
        }
        Scope::List(kind) => {
            (format!("arn:aws:iam::{account}:{}{}", kind.word(), field(input, "PathPrefix").unwrap_or("/")), None)
        }
        Scope::PolicyPath => (format!("policy path {}", field(input, "PathPrefix").unwrap_or("/")), None),
        Scope::Source => (field(input, "PolicySourceArn").unwrap_or_default().to_owned(), None),
        Scope::Arn => (field(input, "Arn").unwrap_or_default().to_owned(), None),
        Scope::Star => ("*".to_owned(), None),
    })
}

/// The IAM service.
#[derive(Debug, Default)]
pub struct Iam;

#[async_trait::async_trait]
impl Service for Iam {
    type Request = aws_core::service::Untyped<Op>;
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

    async fn authorize(
        &self,
        ctx: &Ctx<'_>,
        request: &aws_core::service::Untyped<Op>,
    ) -> Result<Authorization, IamError> {
        let (op, input) = (request.op, &request.input);
        let (arn, owner) = resource(ctx, op, input).await?;
        let mut check = Check::new(format!("iam:{}", op.name()), arn);
        if op.changes_policy() && check.resource.starts_with("arn:aws:iam::aws:") {
            return Err(IamError::Common(aws_core::authz::denied(&ctx.caller.arn, &check)));
        }
        if matches!(op.scope(), Scope::Named(_))
            && let Some(policy_arn) = field(input, "PolicyArn")
        {
            check = check.with_condition("iam:PolicyARN", vec![policy_arn.to_owned()]);
        }
        for (key, values) in tags::request_conditions(input) {
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

    async fn execute(&self, ctx: &Ctx<'_>, request: aws_core::service::Untyped<Op>) -> Result<Value, IamError> {
        let aws_core::service::Untyped { op, input } = request;
        let out = run(ctx, op, input).await?;
        if op.writes() {
            ctx.env.iam_changed();
        }
        Ok(out)
    }
}

async fn run(ctx: &Ctx<'_>, op: Op, input: Value) -> Result<Value, IamError> {
    use attached as a;
    match op {
        Op::CreateUser => users::create(ctx, input).await,
        Op::GetUser => users::get(ctx, input).await,
        Op::ListUsers => users::list(ctx, input).await,
        Op::UpdateUser => users::update(ctx, input).await,
        Op::DeleteUser => users::delete(ctx, input).await,
        Op::TagUser => tags::tag(ctx, Owner::User, input).await,
        Op::UntagUser => tags::untag(ctx, Owner::User, input).await,
        Op::ListUserTags => tags::list(ctx, Owner::User, input).await,
        Op::CreateAccessKey => users::create_key(ctx, input).await,
        Op::ListAccessKeys => users::list_keys(ctx, input).await,
        Op::UpdateAccessKey => users::update_key(ctx, input).await,
        Op::DeleteAccessKey => users::delete_key(ctx, input).await,
        Op::GetAccessKeyLastUsed => users::key_last_used(ctx, input).await,
        Op::CreateGroup => groups::create(ctx, input).await,
        Op::GetGroup => groups::get(ctx, input).await,
        Op::ListGroups => groups::list(ctx, input).await,
        Op::UpdateGroup => groups::update(ctx, input).await,
        Op::DeleteGroup => groups::delete(ctx, input).await,
        Op::AddUserToGroup => groups::membership(ctx, input, true).await,
        Op::RemoveUserFromGroup => groups::membership(ctx, input, false).await,
        Op::ListGroupsForUser => groups::for_user(ctx, input).await,
        Op::CreateRole => roles::create(ctx, input).await,
        Op::GetRole => roles::get(ctx, input).await,
        Op::ListRoles => roles::list(ctx, input).await,
        Op::UpdateRole => roles::update(ctx, input, false).await,
        Op::UpdateRoleDescription => roles::update(ctx, input, true).await,
        Op::UpdateAssumeRolePolicy => roles::update_trust(ctx, input).await,
        Op::DeleteRole => roles::delete(ctx, input).await,
        Op::TagRole => tags::tag(ctx, Owner::Role, input).await,
        Op::UntagRole => tags::untag(ctx, Owner::Role, input).await,
        Op::ListRoleTags => tags::list(ctx, Owner::Role, input).await,
        Op::CreatePolicy => policies::create(ctx, input).await,
        Op::GetPolicy => policies::get(ctx, input).await,
        Op::ListPolicies => policies::list(ctx, input).await,
        Op::DeletePolicy => policies::delete(ctx, input).await,
        Op::CreatePolicyVersion => policies::create_version(ctx, input).await,
        Op::GetPolicyVersion => policies::get_version(ctx, input).await,
        Op::ListPolicyVersions => policies::list_versions(ctx, input).await,
        Op::DeletePolicyVersion => policies::change_version(ctx, input, true).await,
        Op::SetDefaultPolicyVersion => policies::change_version(ctx, input, false).await,
        Op::ListEntitiesForPolicy => policies::entities(ctx, input).await,
        Op::TagPolicy => tags::tag(ctx, Owner::Policy, input).await,
        Op::UntagPolicy => tags::untag(ctx, Owner::Policy, input).await,
        Op::ListPolicyTags => tags::list(ctx, Owner::Policy, input).await,
        Op::AttachUserPolicy => a::attach(ctx, Kind::User, input).await,
        Op::AttachRolePolicy => a::attach(ctx, Kind::Role, input).await,
        Op::AttachGroupPolicy => a::attach(ctx, Kind::Group, input).await,
        Op::DetachUserPolicy => a::detach(ctx, Kind::User, input).await,
        Op::DetachRolePolicy => a::detach(ctx, Kind::Role, input).await,
        Op::DetachGroupPolicy => a::detach(ctx, Kind::Group, input).await,
        Op::ListAttachedUserPolicies => a::list_attached(ctx, Kind::User, input).await,
        Op::ListAttachedRolePolicies => a::list_attached(ctx, Kind::Role, input).await,
        Op::ListAttachedGroupPolicies => a::list_attached(ctx, Kind::Group, input).await,
        Op::PutUserPolicy => a::put_inline(ctx, Kind::User, input).await,
        Op::PutRolePolicy => a::put_inline(ctx, Kind::Role, input).await,
        Op::PutGroupPolicy => a::put_inline(ctx, Kind::Group, input).await,
        Op::GetUserPolicy => a::get_inline(ctx, Kind::User, input).await,
        Op::GetRolePolicy => a::get_inline(ctx, Kind::Role, input).await,
        Op::GetGroupPolicy => a::get_inline(ctx, Kind::Group, input).await,
        Op::ListUserPolicies => a::list_inline(ctx, Kind::User, input).await,
        Op::ListRolePolicies => a::list_inline(ctx, Kind::Role, input).await,
        Op::ListGroupPolicies => a::list_inline(ctx, Kind::Group, input).await,
        Op::DeleteUserPolicy => a::delete_inline(ctx, Kind::User, input).await,
        Op::DeleteRolePolicy => a::delete_inline(ctx, Kind::Role, input).await,
        Op::DeleteGroupPolicy => a::delete_inline(ctx, Kind::Group, input).await,
        Op::GetAccountAuthorizationDetails => account::authorization_details(ctx, input).await,
        Op::GenerateCredentialReport => account::generate_report(ctx).await,
        Op::GetCredentialReport => account::get_report(ctx).await,
        Op::SimulatePrincipalPolicy => simulate::principal_policy(ctx, input).await,
        Op::SimulateCustomPolicy => simulate::custom_policy(ctx, input),
        Op::GetContextKeysForPrincipalPolicy => simulate::context_keys_principal(ctx, input).await,
        Op::GetContextKeysForCustomPolicy => simulate::context_keys_custom(input),
        Op::GenerateServiceLastAccessedDetails => last_accessed::generate(ctx, input).await,
        Op::GetServiceLastAccessedDetails => last_accessed::get(ctx, input).await,
    }
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
