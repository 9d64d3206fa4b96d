//! Tags on users, roles and customer managed policies.

use super::entity::{self, Kind};
use super::ops::Tag;
use super::page::{Paging, Truncation, paginate};
use super::{IamError, policies};
use aws_core::service::Ctx;
use store::iam::{self as db, Owner};

/// IAM's quota of tags per user, role or policy.
const TAGS_PER_ENTITY: usize = 50;

/// A request's tag as stored.
pub(crate) fn to_db(t: &Tag) -> db::Tag {
    db::Tag { tag_key: t.key.clone(), tag_value: t.value.clone() }
}

/// A stored tag as IAM returns it.
pub(crate) fn to_tag(t: &db::Tag) -> Tag {
    Tag { key: t.tag_key.clone(), value: t.tag_value.clone() }
}

/// Stored tags as an entity's optional `Tags` member: absent when there are none.
pub(crate) fn tag_list(tags: &[db::Tag]) -> Option<Vec<Tag>> {
    (!tags.is_empty()).then(|| tags.iter().map(to_tag).collect())
}

/// Tag keys are case-insensitive: one request may not name a key twice.
pub(crate) fn check_new_tags(tags: &[Tag]) -> Result<(), IamError> {
    for (i, t) in tags.iter().enumerate() {
        if tags[..i].iter().any(|o| o.key.eq_ignore_ascii_case(&t.key)) {
            return Err(IamError::InvalidInput(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.".into(),
            ));
        }
    }
    Ok(())
}

/// The owner a tagging request names, by kind: its user, role or policy name (`name`), or ARN.
async fn owner_id(ctx: &Ctx<'_>, conn: &mut store::Conn, owner: Owner, name: &str) -> Result<String, IamError> {
    match owner {
        Owner::User => Ok(entity::require(conn, ctx.account(), Kind::User, name).await?.id),
        Owner::Role => Ok(entity::require(conn, ctx.account(), Kind::Role, name).await?.id),
        Owner::Group => Ok(entity::require(conn, ctx.account(), Kind::Group, name).await?.id),
        Owner::Policy => Ok(policies::require_customer(conn, name).await?.policy_id),
    }
}

fn quota_name(owner: Owner) -> &'static str {
    match owner {
        Owner::User => "TagsPerUser",
        Owner::Role => "TagsPerRole",
        Owner::Group => "TagsPerGroup",
        Owner::Policy => "TagsPerPolicy",
    }
}

/// `TagUser`, `TagRole` and `TagPolicy`.
pub(crate) async fn tag(ctx: &Ctx<'_>, owner: Owner, name: &str, tags: &[Tag]) -> Result<(), IamError> {
    let mut tx = ctx.env.store.begin().await?;
    let id = owner_id(ctx, &mut tx, owner, name).await?;
    check_new_tags(tags)?;
    let existing = db::tags(&mut tx, owner, &id).await?;
    let added = tags.iter().filter(|t| !existing.iter().any(|e| e.tag_key.eq_ignore_ascii_case(&t.key))).count();
    if existing.len() + added > TAGS_PER_ENTITY {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for {}: {TAGS_PER_ENTITY}",
            quota_name(owner)
        )));
    }
    let tags: Vec<db::Tag> = tags.iter().map(to_db).collect();
    db::put_tags(&mut tx, owner, &id, &tags).await?;
    db::commit(tx).await?;
    Ok(())
}

/// `UntagUser`, `UntagRole` and `UntagPolicy`.
pub(crate) async fn untag(ctx: &Ctx<'_>, owner: Owner, name: &str, keys: &[String]) -> Result<(), IamError> {
    let mut tx = ctx.env.store.begin().await?;
    let id = owner_id(ctx, &mut tx, owner, name).await?;
    db::remove_tags(&mut tx, owner, &id, keys).await?;
    db::commit(tx).await?;
    Ok(())
}

/// `ListUserTags`, `ListRoleTags` and `ListPolicyTags`: a page of the tags.
pub(crate) async fn list(
    ctx: &Ctx<'_>,
    owner: Owner,
    name: &str,
    paging: Paging,
) -> Result<(Vec<Tag>, Truncation), IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let id = owner_id(ctx, &mut conn, owner, name).await?;
    let tags = db::tags(&mut conn, owner, &id).await?;
    let (page, truncation) = paginate(tags, |t| t.tag_key.clone(), &paging)?;
    Ok((page.iter().map(to_tag).collect(), truncation))
}

/// The request's tags as condition keys: `aws:RequestTag/<key>` and `aws:TagKeys`.
pub(crate) fn request_conditions(tags: &[Tag], removed: &[String]) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut keys = Vec::new();
    for t in tags {
        out.push((format!("aws:RequestTag/{}", t.key), vec![t.value.clone()]));
        keys.push(t.key.clone());
    }
    keys.extend(removed.iter().cloned());
    if !keys.is_empty() {
        out.push(("aws:TagKeys".to_owned(), keys));
    }
    out
}
