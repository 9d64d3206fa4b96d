//! Parameter tags: AddTagsToResource, RemoveTagsFromResource, ListTagsForResource.

use super::error::SsmError;
use super::ops::{
    AddTagsToResourceRequest, AddTagsToResourceResult, ListTagsForResourceRequest, ListTagsForResourceResult,
    RemoveTagsFromResourceRequest, RemoveTagsFromResourceResult, Tag,
};
use super::params::scope;
use aws_core::service::{self, Ctx};
use serde_json::Value;

/// Tags a parameter may carry.
const MAX_TAGS: usize = 50;

/// Checks `tags` to be added to a resource that has `existing` others.
pub(crate) fn validate(tags: &[Tag], existing: usize) -> Result<(), SsmError> {
    if existing + tags.len() > MAX_TAGS {
        return Err(SsmError::TooManyTags);
    }
    if tags.iter().any(|t| t.key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))) {
        return Err(SsmError::validation("Tag keys starting with \"aws:\" are reserved for AWS use."));
    }
    Ok(())
}

/// The parameter name a tagging request is about; only parameters are taggable here.
async fn parameter(
    ctx: &Ctx<'_>,
    conn: &mut store::Conn,
    resource_type: &str,
    resource_id: &str,
) -> Result<String, SsmError> {
    if resource_type != "Parameter" {
        return Err(SsmError::InvalidResourceType);
    }
    let reference =
        super::names::reference(resource_id, ctx.region, ctx.account()).ok_or(SsmError::InvalidResourceId)?;
    for name in reference.candidates {
        if store::ssm::current(conn, scope(ctx), &name).await?.is_some() {
            return Ok(name);
        }
    }
    Err(SsmError::InvalidResourceId)
}

pub(crate) async fn add_tags(ctx: &Ctx<'_>, input: AddTagsToResourceRequest) -> Result<Value, SsmError> {
    let mut tx = ctx.env.store.begin().await?;
    let name = parameter(ctx, &mut tx, &input.resource_type, &input.resource_id).await?;
    let existing = store::ssm::tags(&mut tx, scope(ctx), &name).await?;
    let new = input.tags.iter().filter(|t| !existing.iter().any(|(k, _)| *k == t.key)).count();
    if existing.len() + new > MAX_TAGS {
        return Err(SsmError::TooManyTags);
    }
    validate(&input.tags, 0)?;
    for tag in &input.tags {
        store::ssm::put_tag(&mut tx, scope(ctx), &name, &tag.key, &tag.value).await?;
    }
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(service::output(&AddTagsToResourceResult {})?)
}

pub(crate) async fn remove_tags(ctx: &Ctx<'_>, input: RemoveTagsFromResourceRequest) -> Result<Value, SsmError> {
    let mut tx = ctx.env.store.begin().await?;
    let name = parameter(ctx, &mut tx, &input.resource_type, &input.resource_id).await?;
    for key in &input.tag_keys {
        store::ssm::delete_tag(&mut tx, scope(ctx), &name, key).await?;
    }
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(service::output(&RemoveTagsFromResourceResult {})?)
}

pub(crate) async fn list_tags(ctx: &Ctx<'_>, input: ListTagsForResourceRequest) -> Result<Value, SsmError> {
    let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let name = parameter(ctx, &mut conn, &input.resource_type, &input.resource_id).await?;
    let tag_list = store::ssm::tags(&mut conn, scope(ctx), &name)
        .await?
        .into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect();
    Ok(service::output(&ListTagsForResourceResult { tag_list: Some(tag_list) })?)
}
