//! The policies of users, roles and groups: managed policies attached to them, and their inline
//! policies. One implementation serves all three kinds, each given the entity's name.

use super::entity::{self, Kind};
use super::ops::{AttachedPolicy, PolicyDetail};
use super::page::{Paging, Truncation, paginate};
use super::policies;
use super::{IamError, names};
use aws_core::service::Ctx;
use policy::{Policy, PolicyKind};
use store::iam as db;

/// IAM's default quota of managed policies attached to one user, role or group.
const ATTACHED_PER_ENTITY: usize = 10;

/// `AttachUserPolicy`, `AttachRolePolicy` and `AttachGroupPolicy`.
pub(crate) async fn attach(ctx: &Ctx<'_>, kind: Kind, name: &str, arn: &str) -> Result<(), IamError> {
    let mut tx = ctx.env.store.begin().await?;
    let target = entity::require(&mut tx, ctx.account(), kind, name).await?;
    match policies::find(&mut tx, arn).await {
        Ok(_) => {}
        Err(IamError::NoSuchEntity(_)) => {
            return Err(IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable.")));
        }
        Err(e) => return Err(e),
    }
    let current = db::attached(&mut tx, kind.owner(), &target.id).await?;
    if !current.iter().any(|a| a == arn) && current.len() >= ATTACHED_PER_ENTITY {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for {}: {ATTACHED_PER_ENTITY}",
            kind.attach_quota()
        )));
    }
    db::attach(&mut tx, ctx.account(), kind.owner(), &target.id, arn, ctx.now_ms).await?;
    db::commit(tx).await?;
    Ok(())
}

/// `DetachUserPolicy`, `DetachRolePolicy` and `DetachGroupPolicy`.
pub(crate) async fn detach(ctx: &Ctx<'_>, kind: Kind, name: &str, arn: &str) -> Result<(), IamError> {
    if names::parse_arn(arn, "policy").is_none() {
        return Err(policies::invalid_arn(arn));
    }
    let mut tx = ctx.env.store.begin().await?;
    let target = entity::require(&mut tx, ctx.account(), kind, name).await?;
    if !db::detach(&mut tx, kind.owner(), &target.id, arn).await? {
        return Err(IamError::NoSuchEntity(format!("Policy {arn} was not found.")));
    }
    db::commit(tx).await?;
    Ok(())
}

/// The managed policies attached to an entity, in attachment order.
pub(crate) async fn attached_policies(
    conn: &mut store::Conn,
    kind: Kind,
    id: &str,
) -> Result<Vec<AttachedPolicy>, IamError> {
    let arns = db::attached(conn, kind.owner(), id).await?;
    Ok(arns
        .into_iter()
        .filter_map(|arn| {
            let name = names::parse_arn(&arn, "policy")?.name.to_owned();
            Some(AttachedPolicy { policy_name: Some(name), policy_arn: Some(arn) })
        })
        .collect())
}

/// `ListAttachedUserPolicies`, `ListAttachedRolePolicies` and `ListAttachedGroupPolicies`: a
/// page of the entity's attached policies under `path_prefix`.
pub(crate) async fn list_attached(
    ctx: &Ctx<'_>,
    kind: Kind,
    name: &str,
    path_prefix: Option<String>,
    paging: Paging,
) -> Result<(Option<Vec<AttachedPolicy>>, Truncation), IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let target = entity::require(&mut conn, ctx.account(), kind, name).await?;
    let prefix = path_prefix.unwrap_or_else(|| "/".into());
    let mut all = attached_policies(&mut conn, kind, &target.id).await?;
    all.retain(|a| {
        a.policy_arn
            .as_deref()
            .and_then(|arn| names::parse_arn(arn, "policy"))
            .is_some_and(|p| p.path.starts_with(&prefix))
    });
    let (page, truncation) = paginate(all, |a| a.policy_name.clone().unwrap_or_default(), &paging)?;
    Ok((Some(page), truncation))
}

// ---- inline policies -----------------------------------------------------------------------

/// `PutUserPolicy`, `PutRolePolicy` and `PutGroupPolicy`.
pub(crate) async fn put_inline(
    ctx: &Ctx<'_>,
    kind: Kind,
    entity_name: &str,
    name: &str,
    document: &str,
) -> Result<(), IamError> {
    Policy::parse(document, PolicyKind::Identity)?;
    let mut tx = ctx.env.store.begin().await?;
    let target = entity::require(&mut tx, ctx.account(), kind, entity_name).await?;
    // The quota is on all of the entity's inline policies together.
    let others: usize = db::inline_policies(&mut tx, kind.owner(), &target.id)
        .await?
        .iter()
        .filter(|p| p.policy_name != name)
        .map(|p| policy::policy_size(&p.document))
        .sum();
    if others + policy::policy_size(document) > kind.inline_quota() {
        return Err(IamError::LimitExceeded(format!(
            "Maximum policy size of {} bytes exceeded for {} {}",
            kind.inline_quota(),
            kind.word(),
            target.name
        )));
    }
    db::put_inline(&mut tx, kind.owner(), &target.id, name, document, ctx.now_ms).await?;
    db::commit(tx).await?;
    Ok(())
}

/// "The user policy with name X cannot be found."
fn inline_not_found(kind: Kind, name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The {} policy with name {name} cannot be found.", kind.word()))
}

/// `GetUserPolicy`, `GetRolePolicy` and `GetGroupPolicy`: the entity's name, the policy's name
/// and its document URL-encoded.
pub(crate) async fn get_inline(
    ctx: &Ctx<'_>,
    kind: Kind,
    entity_name: &str,
    name: &str,
) -> Result<(String, String, String), IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let target = entity::require(&mut conn, ctx.account(), kind, entity_name).await?;
    let found = db::inline_policies(&mut conn, kind.owner(), &target.id)
        .await?
        .into_iter()
        .find(|p| p.policy_name == name)
        .ok_or_else(|| inline_not_found(kind, name))?;
    Ok((target.name, found.policy_name, names::encode_document(&found.document)))
}

/// `ListUserPolicies`, `ListRolePolicies` and `ListGroupPolicies`: a page of the names.
pub(crate) async fn list_inline(
    ctx: &Ctx<'_>,
    kind: Kind,
    entity_name: &str,
    paging: Paging,
) -> Result<(Vec<String>, Truncation), IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let target = entity::require(&mut conn, ctx.account(), kind, entity_name).await?;
    let all: Vec<String> =
        db::inline_policies(&mut conn, kind.owner(), &target.id).await?.into_iter().map(|p| p.policy_name).collect();
    paginate(all, Clone::clone, &paging)
}

/// `DeleteUserPolicy`, `DeleteRolePolicy` and `DeleteGroupPolicy`.
pub(crate) async fn delete_inline(ctx: &Ctx<'_>, kind: Kind, entity_name: &str, name: &str) -> Result<(), IamError> {
    let mut tx = ctx.env.store.begin().await?;
    let target = entity::require(&mut tx, ctx.account(), kind, entity_name).await?;
    if !db::delete_inline(&mut tx, kind.owner(), &target.id, name).await? {
        return Err(inline_not_found(kind, name));
    }
    db::commit(tx).await?;
    Ok(())
}

/// An entity's inline policies with their documents URL-encoded, as
/// `GetAccountAuthorizationDetails` lists them.
pub(crate) async fn inline_details(
    conn: &mut store::Conn,
    kind: Kind,
    id: &str,
) -> Result<Vec<PolicyDetail>, IamError> {
    Ok(db::inline_policies(conn, kind.owner(), id)
        .await?
        .into_iter()
        .map(|p| PolicyDetail {
            policy_document: Some(names::encode_document(&p.document)),
            policy_name: Some(p.policy_name),
        })
        .collect())
}
