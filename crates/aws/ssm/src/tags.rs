//! Parameter tags: AddTagsToResource, RemoveTagsFromResource, ListTagsForResource.

use super::error::SsmError;
use super::params::scope;
use aws_core::service::{self, Ctx};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Tags a parameter may carry.
const MAX_TAGS: usize = 50;

/// One tag.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagEntry {
    pub(crate) key: String,
    pub(crate) value: String,
}

/// Checks `tags` to be added to a resource that has `existing` others.
pub(crate) fn validate(tags: &[TagEntry], existing: usize) -> Result<(), SsmError> {
    if existing + tags.len() > MAX_TAGS {
        return Err(SsmError::TooManyTags);
    }
    if tags.iter().any(|t| t.key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))) {
        return Err(SsmError::validation("Tag keys starting with \"aws:\" are reserved for AWS use."));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ResourceInput {
    pub(crate) resource_type: String,
    pub(crate) resource_id: String,
    #[serde(default)]
    tags: Vec<TagEntry>,
    #[serde(default)]
    tag_keys: Vec<String>,
}

/// The parameter name a tagging request is about; only parameters are taggable here.
async fn parameter(ctx: &Ctx<'_>, conn: &mut store::Conn, input: &ResourceInput) -> Result<String, SsmError> {
    if input.resource_type != "Parameter" {
        return Err(SsmError::InvalidResourceType);
    }
    let reference =
        super::names::reference(&input.resource_id, ctx.region, ctx.account()).ok_or(SsmError::InvalidResourceId)?;
    for name in reference.candidates {
        if store::ssm::current(conn, scope(ctx), &name).await?.is_some() {
            return Ok(name);
        }
    }
    Err(SsmError::InvalidResourceId)
}

pub(crate) async fn add_tags(ctx: &Ctx<'_>, input: ResourceInput) -> Result<Value, SsmError> {
    let mut tx = ctx.env.store.begin().await?;
    let name = parameter(ctx, &mut tx, &input).await?;
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
    Ok(Value::Object(serde_json::Map::new()))
}

pub(crate) async fn remove_tags(ctx: &Ctx<'_>, input: ResourceInput) -> Result<Value, SsmError> {
    let mut tx = ctx.env.store.begin().await?;
    let name = parameter(ctx, &mut tx, &input).await?;
    for key in &input.tag_keys {
        store::ssm::delete_tag(&mut tx, scope(ctx), &name, key).await?;
    }
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(Value::Object(serde_json::Map::new()))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListOutput {
    tag_list: Vec<TagEntry>,
}

pub(crate) async fn list_tags(ctx: &Ctx<'_>, input: ResourceInput) -> Result<Value, SsmError> {
    let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let name = parameter(ctx, &mut conn, &input).await?;
    let tag_list = store::ssm::tags(&mut conn, scope(ctx), &name)
        .await?
        .into_iter()
        .map(|(key, value)| TagEntry { key, value })
        .collect();
    Ok(service::output(&ListOutput { tag_list })?)
}
