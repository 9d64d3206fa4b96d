//! Tags on users, roles and customer managed policies.

use super::entity::{self, Kind};
use super::page::{Paging, Truncation, paginate};
use super::{IamError, policies};
use aws_core::service::{self, Ctx};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::iam::{self as db, Owner};

/// IAM's quota of tags per user, role or policy.
const TAGS_PER_ENTITY: usize = 50;

/// A tag in a request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagIn {
    pub key: String,
    pub value: String,
}

impl TagIn {
    pub fn to_db(&self) -> db::Tag {
        db::Tag { tag_key: self.key.clone(), tag_value: self.value.clone() }
    }
}

/// A tag in a response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagOut {
    pub key: String,
    pub value: String,
}

impl From<&db::Tag> for TagOut {
    fn from(t: &db::Tag) -> Self {
        Self { key: t.tag_key.clone(), value: t.tag_value.clone() }
    }
}

/// Tag keys are case-insensitive: one request may not name a key twice.
pub(crate) fn check_new_tags(tags: &[TagIn]) -> Result<(), IamError> {
    for (i, t) in tags.iter().enumerate() {
        if tags[..i].iter().any(|o| o.key.eq_ignore_ascii_case(&t.key)) {
            return Err(IamError::InvalidInput(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.".into(),
            ));
        }
    }
    Ok(())
}

/// The owner a tagging request names, by kind: `UserName`, `RoleName` or `PolicyArn`.
async fn owner_id(ctx: &Ctx<'_>, conn: &mut store::Conn, owner: Owner, input: &Value) -> Result<String, IamError> {
    let field = |name: &str| input.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    match owner {
        Owner::User => Ok(entity::require(conn, ctx.account(), Kind::User, &field("UserName")).await?.id),
        Owner::Role => Ok(entity::require(conn, ctx.account(), Kind::Role, &field("RoleName")).await?.id),
        Owner::Group => Ok(entity::require(conn, ctx.account(), Kind::Group, &field("GroupName")).await?.id),
        Owner::Policy => Ok(policies::require_customer(conn, &field("PolicyArn")).await?.policy_id),
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

pub(crate) async fn tag(ctx: &Ctx<'_>, owner: Owner, input: Value) -> Result<Value, IamError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Input {
        tags: Vec<TagIn>,
    }
    let mut tx = ctx.env.store.begin().await?;
    let id = owner_id(ctx, &mut tx, owner, &input).await?;
    let input: Input = service::input(input)?;
    check_new_tags(&input.tags)?;
    let existing = db::tags(&mut tx, owner, &id).await?;
    let added = input.tags.iter().filter(|t| !existing.iter().any(|e| e.tag_key.eq_ignore_ascii_case(&t.key))).count();
    if existing.len() + added > TAGS_PER_ENTITY {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for {}: {TAGS_PER_ENTITY}",
            quota_name(owner)
        )));
    }
    let tags: Vec<db::Tag> = input.tags.iter().map(TagIn::to_db).collect();
    db::put_tags(&mut tx, owner, &id, &tags).await?;
    db::commit(tx).await?;
    Ok(Value::Object(serde_json::Map::new()))
}

pub(crate) async fn untag(ctx: &Ctx<'_>, owner: Owner, input: Value) -> Result<Value, IamError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Input {
        tag_keys: Vec<String>,
    }
    let mut tx = ctx.env.store.begin().await?;
    let id = owner_id(ctx, &mut tx, owner, &input).await?;
    let input: Input = service::input(input)?;
    db::remove_tags(&mut tx, owner, &id, &input.tag_keys).await?;
    db::commit(tx).await?;
    Ok(Value::Object(serde_json::Map::new()))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListTagsResponse {
    tags: Vec<TagOut>,
    #[serde(flatten)]
    truncation: Truncation,
}

pub(crate) async fn list(ctx: &Ctx<'_>, owner: Owner, input: Value) -> Result<Value, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let id = owner_id(ctx, &mut conn, owner, &input).await?;
    let paging: Paging = service::input(input)?;
    let tags = db::tags(&mut conn, owner, &id).await?;
    let (page, truncation) = paginate(tags, |t| t.tag_key.clone(), &paging)?;
    Ok(service::output(&ListTagsResponse { tags: page.iter().map(TagOut::from).collect(), truncation })?)
}

/// The request's tags as condition keys: `aws:RequestTag/<key>` and `aws:TagKeys`.
pub(crate) fn request_conditions(input: &Value) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut keys = Vec::new();
    if let Some(tags) = input.get("Tags").and_then(Value::as_array) {
        for t in tags {
            if let (Some(k), Some(v)) = (t.get("Key").and_then(Value::as_str), t.get("Value").and_then(Value::as_str)) {
                out.push((format!("aws:RequestTag/{k}"), vec![v.to_owned()]));
                keys.push(k.to_owned());
            }
        }
    }
    if let Some(removed) = input.get("TagKeys").and_then(Value::as_array) {
        keys.extend(removed.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if !keys.is_empty() {
        out.push(("aws:TagKeys".to_owned(), keys));
    }
    out
}
