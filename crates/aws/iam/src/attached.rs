//! The policies of users, roles and groups: managed policies attached to them, and their inline
//! policies. One implementation serves all three kinds.

use super::entity::{self, Kind};
use super::page::{Paging, Truncation, paginate};
use super::policies;
use super::{IamError, names};
use aws_core::service::{self, Ctx};
use policy::{Policy, PolicyKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::iam as db;

/// IAM's default quota of managed policies attached to one user, role or group.
const ATTACHED_PER_ENTITY: usize = 10;

/// The members every operation here takes; the entity is named by `UserName`, `RoleName` or
/// `GroupName` depending on the operation.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    #[serde(alias = "RoleName", alias = "GroupName")]
    user_name: String,
    policy_arn: Option<String>,
    policy_name: Option<String>,
    policy_document: Option<String>,
    path_prefix: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

fn empty() -> Value {
    Value::Object(serde_json::Map::new())
}

pub(crate) async fn attach(ctx: &Ctx<'_>, kind: Kind, input: Value) -> Result<Value, IamError> {
    let input: Input = service::input(input)?;
    let arn = input.policy_arn.unwrap_or_default();
    let mut tx = ctx.env.store.begin().await?;
    let target = entity::require(&mut tx, ctx.account(), kind, &input.user_name).await?;
    match policies::find(&mut tx, &arn).await {
        Ok(_) => {}
        Err(IamError::NoSuchEntity(_)) => {
            return Err(IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable.")));
        }
        Err(e) => return Err(e),
    }
    let current = db::attached(&mut tx, kind.owner(), &target.id).await?;
    if !current.contains(&arn) && current.len() >= ATTACHED_PER_ENTITY {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for {}: {ATTACHED_PER_ENTITY}",
            kind.attach_quota()
        )));
    }
    db::attach(&mut tx, ctx.account(), kind.owner(), &target.id, &arn, ctx.now_ms).await?;
    db::commit(tx).await?;
    Ok(empty())
}

pub(crate) async fn detach(ctx: &Ctx<'_>, kind: Kind, input: Value) -> Result<Value, IamError> {
    let input: Input = service::input(input)?;
    let arn = input.policy_arn.unwrap_or_default();
    if names::parse_arn(&arn, "policy").is_none() {
        return Err(policies::invalid_arn(&arn));
    }
    let mut tx = ctx.env.store.begin().await?;
    let target = entity::require(&mut tx, ctx.account(), kind, &input.user_name).await?;
    if !db::detach(&mut tx, kind.owner(), &target.id, &arn).await? {
        return Err(IamError::NoSuchEntity(format!("Policy {arn} was not found.")));
    }
    db::commit(tx).await?;
    Ok(empty())
}

/// `AttachedPolicies` entry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AttachedOut {
    pub policy_name: String,
    pub policy_arn: String,
}

/// The managed policies attached to an entity, as (name, ARN), in attachment order.
pub(crate) async fn attached_policies(
    conn: &mut store::Conn,
    kind: Kind,
    id: &str,
) -> Result<Vec<AttachedOut>, IamError> {
    let arns = db::attached(conn, kind.owner(), id).await?;
    Ok(arns
        .into_iter()
        .filter_map(|arn| {
            let name = names::parse_arn(&arn, "policy")?.name.to_owned();
            Some(AttachedOut { policy_name: name, policy_arn: arn })
        })
        .collect())
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AttachedResponse {
    attached_policies: Vec<AttachedOut>,
    #[serde(flatten)]
    truncation: Truncation,
}

pub(crate) async fn list_attached(ctx: &Ctx<'_>, kind: Kind, input: Value) -> Result<Value, IamError> {
    let input: Input = service::input(input)?;
    let mut conn = db::reader(&ctx.env.store).await?;
    let target = entity::require(&mut conn, ctx.account(), kind, &input.user_name).await?;
    let prefix = input.path_prefix.unwrap_or_else(|| "/".into());
    let mut all = attached_policies(&mut conn, kind, &target.id).await?;
    all.retain(|a| names::parse_arn(&a.policy_arn, "policy").is_some_and(|p| p.path.starts_with(&prefix)));
    let (page, truncation) = paginate(all, |a| a.policy_name.clone(), &input.paging)?;
    Ok(service::output(&AttachedResponse { attached_policies: page, truncation })?)
}

// ---- inline policies -----------------------------------------------------------------------

pub(crate) async fn put_inline(ctx: &Ctx<'_>, kind: Kind, input: Value) -> Result<Value, IamError> {
    let input: Input = service::input(input)?;
    let name = input.policy_name.unwrap_or_default();
    let document = input.policy_document.unwrap_or_default();
    Policy::parse(&document, PolicyKind::Identity)?;
    let mut tx = ctx.env.store.begin().await?;
    let target = entity::require(&mut tx, ctx.account(), kind, &input.user_name).await?;
    // The quota is on all of the entity's inline policies together.
    let others: usize = db::inline_policies(&mut tx, kind.owner(), &target.id)
        .await?
        .iter()
        .filter(|p| p.policy_name != name)
        .map(|p| policy::policy_size(&p.document))
        .sum();
    if others + policy::policy_size(&document) > kind.inline_quota() {
        return Err(IamError::LimitExceeded(format!(
            "Maximum policy size of {} bytes exceeded for {} {}",
            kind.inline_quota(),
            kind.word(),
            target.name
        )));
    }
    db::put_inline(&mut tx, kind.owner(), &target.id, &name, &document, ctx.now_ms).await?;
    db::commit(tx).await?;
    Ok(empty())
}

/// "The user policy with name X cannot be found."
fn inline_not_found(kind: Kind, name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The {} policy with name {name} cannot be found.", kind.word()))
}

pub(crate) async fn get_inline(ctx: &Ctx<'_>, kind: Kind, input: Value) -> Result<Value, IamError> {
    let input: Input = service::input(input)?;
    let name = input.policy_name.unwrap_or_default();
    let mut conn = db::reader(&ctx.env.store).await?;
    let target = entity::require(&mut conn, ctx.account(), kind, &input.user_name).await?;
    let found = db::inline_policies(&mut conn, kind.owner(), &target.id)
        .await?
        .into_iter()
        .find(|p| p.policy_name == name)
        .ok_or_else(|| inline_not_found(kind, &name))?;
    let mut out = serde_json::Map::new();
    out.insert(kind.member().to_owned(), Value::String(target.name));
    out.insert("PolicyName".into(), Value::String(found.policy_name));
    out.insert("PolicyDocument".into(), Value::String(names::encode_document(&found.document)));
    Ok(Value::Object(out))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct NamesResponse {
    policy_names: Vec<String>,
    #[serde(flatten)]
    truncation: Truncation,
}

pub(crate) async fn list_inline(ctx: &Ctx<'_>, kind: Kind, input: Value) -> Result<Value, IamError> {
    let input: Input = service::input(input)?;
    let mut conn = db::reader(&ctx.env.store).await?;
    let target = entity::require(&mut conn, ctx.account(), kind, &input.user_name).await?;
    let all: Vec<String> =
        db::inline_policies(&mut conn, kind.owner(), &target.id).await?.into_iter().map(|p| p.policy_name).collect();
    let (policy_names, truncation) = paginate(all, Clone::clone, &input.paging)?;
    Ok(service::output(&NamesResponse { policy_names, truncation })?)
}

pub(crate) async fn delete_inline(ctx: &Ctx<'_>, kind: Kind, input: Value) -> Result<Value, IamError> {
    let input: Input = service::input(input)?;
    let name = input.policy_name.unwrap_or_default();
    let mut tx = ctx.env.store.begin().await?;
    let target = entity::require(&mut tx, ctx.account(), kind, &input.user_name).await?;
    if !db::delete_inline(&mut tx, kind.owner(), &target.id, &name).await? {
        return Err(inline_not_found(kind, &name));
    }
    db::commit(tx).await?;
    Ok(empty())
}

/// An inline policy as `GetAccountAuthorizationDetails` lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PolicyDetail {
    pub policy_name: String,
    pub policy_document: String,
}

/// An entity's inline policies with their documents URL-encoded.
pub(crate) async fn inline_details(
    conn: &mut store::Conn,
    kind: Kind,
    id: &str,
) -> Result<Vec<PolicyDetail>, IamError> {
    Ok(db::inline_policies(conn, kind.owner(), id)
        .await?
        .into_iter()
        .map(|p| PolicyDetail { policy_document: names::encode_document(&p.document), policy_name: p.policy_name })
        .collect())
}
