//! Roles and their trust policies.

use super::entity::{self, Kind};
use super::ops::{
    CreateRoleRequest, CreateRoleResponse, DeleteRoleRequest, GetRoleRequest, GetRoleResponse, ListRolesRequest,
    ListRolesResponse, Role, RoleLastUsed, UpdateAssumeRolePolicyRequest,
};
use super::page::{Paging, paginate};
use super::tags::{check_new_tags, tag_list, to_db};
use super::{IamError, names, quota};
use aws_core::service::Ctx;
use policy::{Policy, PolicyError, PolicyKind, PrincipalType};
use store::iam::{self as db, Owner};

const ROLES_PER_ACCOUNT: i64 = 1_000;
/// `AssumeRole`'s default session, and the default `MaxSessionDuration`.
pub const DEFAULT_SESSION_SECS: i64 = 3_600;

/// A role as IAM returns it: with its tags where it has any, and `with_last_used` its last use.
pub(crate) fn role_out(r: &db::Role, tags: &[db::Tag], with_last_used: bool) -> Role {
    Role {
        arn: role_arn(r),
        path: r.path.clone(),
        role_name: r.role_name.clone(),
        role_id: r.role_id.clone(),
        create_date: names::time(r.created_ms),
        assume_role_policy_document: Some(names::encode_document(&r.trust_policy)),
        description: r.description.clone(),
        max_session_duration: i32::try_from(r.max_session_secs).ok(),
        tags: tag_list(tags),
        role_last_used: with_last_used.then(|| last_used(r)),
        ..Role::default()
    }
}

/// When and where a role was last used, as far as is known.
pub(crate) fn last_used(r: &db::Role) -> RoleLastUsed {
    RoleLastUsed { last_used_date: r.last_used_ms.map(names::time), region: r.last_used_region.clone() }
}

pub use store::iam::role_arn;

/// Validates a trust policy as IAM does: its own size quota, the trust grammar, and users and
/// roles of this account named as principals must exist.
async fn check_trust_policy(conn: &mut store::Conn, account: &str, doc: &str) -> Result<(), IamError> {
    let size = policy::policy_size(doc);
    if size > policy::limits::TRUST_POLICY {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for ACLSizePerRole: {}",
            policy::limits::TRUST_POLICY
        )));
    }
    let parsed = Policy::parse(doc, PolicyKind::Trust)?;
    for statement in parsed.statements() {
        for (ty, value) in statement.principals() {
            if ty == PrincipalType::Aws && !principal_exists(conn, account, value).await? {
                return Err(PolicyError::InvalidPrincipal { principal_type: "AWS".into(), value: value.into() }.into());
            }
        }
    }
    Ok(())
}

/// Whether an `AWS` principal that names a user or role of `account` names one that exists.
async fn principal_exists(conn: &mut store::Conn, account: &str, value: &str) -> Result<bool, IamError> {
    for kind in [Kind::User, Kind::Role] {
        if let Some(p) = names::parse_arn(value, kind.word())
            && p.account == account
        {
            let found = entity::find(conn, account, kind, p.name).await?;
            return Ok(found.is_some_and(|e| e.arn == value));
        }
    }
    Ok(true)
}

async fn require(conn: &mut store::Conn, account: &str, name: &str) -> Result<db::Role, IamError> {
    db::role_by_name(conn, account, name).await?.ok_or_else(|| Kind::Role.not_found(name))
}

pub(crate) async fn create(ctx: &Ctx<'_>, input: CreateRoleRequest) -> Result<CreateRoleResponse, IamError> {
    let new_tags = input.tags.unwrap_or_default();
    check_new_tags(&new_tags)?;
    let role = db::Role {
        role_id: ctx.env.ids.unique_id("AROA"),
        account_id: ctx.account().to_owned(),
        role_name: input.role_name,
        path: input.path.unwrap_or_else(|| "/".into()),
        trust_policy: input.assume_role_policy_document,
        description: input.description,
        max_session_secs: input.max_session_duration.map_or(DEFAULT_SESSION_SECS, i64::from),
        created_ms: ctx.now_ms,
        last_used_ms: None,
        last_used_region: None,
    };
    let mut tx = ctx.env.store.begin().await?;
    entity::ensure_absent(&mut tx, ctx.account(), Kind::Role, &role.role_name).await?;
    check_trust_policy(&mut tx, ctx.account(), &role.trust_policy).await?;
    quota(db::count_roles(&mut tx, ctx.account()).await?, ROLES_PER_ACCOUNT, "RolesPerAccount")?;
    db::insert_role(&mut tx, &role).await?;
    let tags: Vec<db::Tag> = new_tags.iter().map(to_db).collect();
    db::put_tags(&mut tx, Owner::Role, &role.role_id, &tags).await?;
    db::commit(tx).await?;
    Ok(CreateRoleResponse { role: role_out(&role, &tags, false) })
}

pub(crate) async fn get(ctx: &Ctx<'_>, input: GetRoleRequest) -> Result<GetRoleResponse, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let role = require(&mut conn, ctx.account(), &input.role_name).await?;
    let tags = db::tags(&mut conn, Owner::Role, &role.role_id).await?;
    Ok(GetRoleResponse { role: role_out(&role, &tags, true) })
}

pub(crate) async fn list(ctx: &Ctx<'_>, input: ListRolesRequest) -> Result<ListRolesResponse, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let roles = db::list_roles(&mut conn, ctx.account(), input.path_prefix.as_deref().unwrap_or("/")).await?;
    let (page, t) = paginate(roles, |r| r.role_name.clone(), &Paging::new(input.marker, input.max_items))?;
    let roles = page.iter().map(|r| role_out(r, &[], false)).collect();
    Ok(ListRolesResponse { roles, is_truncated: Some(t.is_truncated), marker: t.marker })
}

/// `UpdateRole` and `UpdateRoleDescription`: the role as changed.
pub(crate) async fn update(
    ctx: &Ctx<'_>,
    role_name: &str,
    description: Option<String>,
    max_session_duration: Option<i32>,
) -> Result<Role, IamError> {
    let mut tx = ctx.env.store.begin().await?;
    let mut role = require(&mut tx, ctx.account(), role_name).await?;
    if description.is_some() {
        role.description = description;
    }
    if let Some(max) = max_session_duration {
        role.max_session_secs = i64::from(max);
    }
    db::update_role(&mut tx, &role.role_id, role.description.as_deref(), role.max_session_secs).await?;
    db::commit(tx).await?;
    Ok(role_out(&role, &[], false))
}

pub(crate) async fn update_trust(ctx: &Ctx<'_>, input: UpdateAssumeRolePolicyRequest) -> Result<(), IamError> {
    let doc = input.policy_document;
    let mut tx = ctx.env.store.begin().await?;
    let role = require(&mut tx, ctx.account(), &input.role_name).await?;
    check_trust_policy(&mut tx, ctx.account(), &doc).await?;
    db::update_trust_policy(&mut tx, &role.role_id, &doc).await?;
    db::commit(tx).await?;
    Ok(())
}

pub(crate) async fn delete(ctx: &Ctx<'_>, input: DeleteRoleRequest) -> Result<(), IamError> {
    let mut tx = ctx.env.store.begin().await?;
    let role = require(&mut tx, ctx.account(), &input.role_name).await?;
    entity::check_no_policies(&mut tx, Kind::Role, &role.role_id).await?;
    db::delete_role(&mut tx, &role.role_id).await?;
    db::commit(tx).await?;
    Ok(())
}
