//! Roles and their trust policies.

use super::entity::Kind;
use super::page::{Paging, Truncation, paginate};
use super::tags::{TagIn, TagOut, check_new_tags};
use super::{IamError, names, quota};
use aws_core::service::{self, Ctx};
use policy::{Policy, PolicyError, PolicyKind, PrincipalType};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::iam::{self as db, Owner};

const ROLES_PER_ACCOUNT: i64 = 1_000;
/// `AssumeRole`'s default session, and the default `MaxSessionDuration`.
pub const DEFAULT_SESSION_SECS: i64 = 3_600;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RoleLastUsedOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RoleOut {
    path: String,
    role_name: String,
    role_id: String,
    arn: String,
    create_date: i64,
    assume_role_policy_document: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    max_session_duration: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<TagOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_last_used: Option<RoleLastUsedOut>,
}

impl RoleOut {
    pub fn new(r: &db::Role, tags: Vec<TagOut>, with_last_used: bool) -> Self {
        Self {
            arn: role_arn(r),
            path: r.path.clone(),
            role_name: r.role_name.clone(),
            role_id: r.role_id.clone(),
            create_date: names::secs(r.created_ms),
            assume_role_policy_document: names::encode_document(&r.trust_policy),
            description: r.description.clone(),
            max_session_duration: r.max_session_secs,
            tags,
            role_last_used: with_last_used.then(|| RoleLastUsedOut {
                last_used_date: r.last_used_ms.map(names::secs),
                region: r.last_used_region.clone(),
            }),
        }
    }
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
            let found = super::entity::find(conn, account, kind, p.name).await?;
            return Ok(found.is_some_and(|e| e.arn == value));
        }
    }
    Ok(true)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleInput {
    role_name: String,
    path: Option<String>,
    assume_role_policy_document: Option<String>,
    policy_document: Option<String>,
    description: Option<String>,
    max_session_duration: Option<i64>,
    #[serde(default)]
    tags: Vec<TagIn>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RoleResponse {
    role: RoleOut,
}

async fn require(conn: &mut store::Conn, account: &str, name: &str) -> Result<db::Role, IamError> {
    db::role_by_name(conn, account, name).await?.ok_or_else(|| Kind::Role.not_found(name))
}

pub(crate) async fn create(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: RoleInput = service::input(input)?;
    check_new_tags(&input.tags)?;
    let trust = input.assume_role_policy_document.unwrap_or_default();
    let role = db::Role {
        role_id: ctx.env.ids.unique_id("AROA"),
        account_id: ctx.account().to_owned(),
        role_name: input.role_name,
        path: input.path.unwrap_or_else(|| "/".into()),
        trust_policy: trust,
        description: input.description,
        max_session_secs: input.max_session_duration.unwrap_or(DEFAULT_SESSION_SECS),
        created_ms: ctx.now_ms,
        last_used_ms: None,
        last_used_region: None,
    };
    let mut tx = ctx.env.store.begin().await?;
    if db::role_by_name(&mut tx, ctx.account(), &role.role_name).await?.is_some() {
        return Err(IamError::EntityAlreadyExists(format!("Role with name {} already exists.", role.role_name)));
    }
    check_trust_policy(&mut tx, ctx.account(), &role.trust_policy).await?;
    quota(db::count_roles(&mut tx, ctx.account()).await?, ROLES_PER_ACCOUNT, "RolesPerAccount")?;
    db::insert_role(&mut tx, &role).await?;
    let tags: Vec<db::Tag> = input.tags.iter().map(TagIn::to_db).collect();
    db::put_tags(&mut tx, Owner::Role, &role.role_id, &tags).await?;
    db::commit(tx).await?;
    let tags = tags.iter().map(TagOut::from).collect();
    Ok(service::output(&RoleResponse { role: RoleOut::new(&role, tags, false) })?)
}

pub(crate) async fn get(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: RoleInput = service::input(input)?;
    let mut conn = db::reader(&ctx.env.store).await?;
    let role = require(&mut conn, ctx.account(), &input.role_name).await?;
    let tags = db::tags(&mut conn, Owner::Role, &role.role_id).await?.iter().map(TagOut::from).collect();
    Ok(service::output(&RoleResponse { role: RoleOut::new(&role, tags, true) })?)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListRolesResponse {
    roles: Vec<RoleOut>,
    #[serde(flatten)]
    truncation: Truncation,
}

pub(crate) async fn list(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Input {
        path_prefix: Option<String>,
        #[serde(flatten)]
        paging: Paging,
    }
    let input: Input = service::input(input)?;
    let mut conn = db::reader(&ctx.env.store).await?;
    let roles = db::list_roles(&mut conn, ctx.account(), input.path_prefix.as_deref().unwrap_or("/")).await?;
    let (page, truncation) = paginate(roles, |r| r.role_name.clone(), &input.paging)?;
    let roles = page.iter().map(|r| RoleOut::new(r, Vec::new(), false)).collect();
    Ok(service::output(&ListRolesResponse { roles, truncation })?)
}

/// `UpdateRole` (`returns_role` false) and `UpdateRoleDescription` (which returns the role).
pub(crate) async fn update(ctx: &Ctx<'_>, input: Value, returns_role: bool) -> Result<Value, IamError> {
    let input: RoleInput = service::input(input)?;
    let mut tx = ctx.env.store.begin().await?;
    let mut role = require(&mut tx, ctx.account(), &input.role_name).await?;
    if input.description.is_some() {
        role.description = input.description;
    }
    if let Some(max) = input.max_session_duration {
        role.max_session_secs = max;
    }
    db::update_role(&mut tx, &role.role_id, role.description.as_deref(), role.max_session_secs).await?;
    db::commit(tx).await?;
    if returns_role {
        return Ok(service::output(&RoleResponse { role: RoleOut::new(&role, Vec::new(), false) })?);
    }
    Ok(Value::Object(serde_json::Map::new()))
}

pub(crate) async fn update_trust(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: RoleInput = service::input(input)?;
    let doc = input.policy_document.unwrap_or_default();
    let mut tx = ctx.env.store.begin().await?;
    let role = require(&mut tx, ctx.account(), &input.role_name).await?;
    check_trust_policy(&mut tx, ctx.account(), &doc).await?;
    db::update_trust_policy(&mut tx, &role.role_id, &doc).await?;
    db::commit(tx).await?;
    Ok(Value::Object(serde_json::Map::new()))
}

pub(crate) async fn delete(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: RoleInput = service::input(input)?;
    let mut tx = ctx.env.store.begin().await?;
    let role = require(&mut tx, ctx.account(), &input.role_name).await?;
    let conflict = |what: &str| Err(IamError::DeleteConflict(format!("Cannot delete entity, must {what} first.")));
    if !db::inline_policies(&mut tx, Owner::Role, &role.role_id).await?.is_empty() {
        return conflict("delete policies");
    }
    if !db::attached(&mut tx, Owner::Role, &role.role_id).await?.is_empty() {
        return conflict("detach all policies");
    }
    db::delete_role(&mut tx, &role.role_id).await?;
    db::commit(tx).await?;
    Ok(Value::Object(serde_json::Map::new()))
}
