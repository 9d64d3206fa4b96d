//! Groups and their members.

use super::entity::{self, Kind};
use super::page::{Paging, Truncation, paginate};
use super::users::UserOut;
use super::{IamError, names, quota};
use aws_core::service::{self, Ctx};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::iam::{self as db, Owner};

const GROUPS_PER_ACCOUNT: i64 = 300;
const GROUPS_PER_USER: i64 = 10;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GroupOut {
    pub path: String,
    pub group_name: String,
    pub group_id: String,
    pub arn: String,
    pub create_date: i64,
}

impl From<&db::Group> for GroupOut {
    fn from(g: &db::Group) -> Self {
        Self {
            arn: names::arn(&g.account_id, "group", &g.path, &g.group_name),
            path: g.path.clone(),
            group_name: g.group_name.clone(),
            group_id: g.group_id.clone(),
            create_date: names::secs(g.created_ms),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupInput {
    #[serde(default)]
    group_name: String,
    path: Option<String>,
    new_group_name: Option<String>,
    new_path: Option<String>,
    user_name: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

async fn require(conn: &mut store::Conn, account: &str, name: &str) -> Result<db::Group, IamError> {
    db::group_by_name(conn, account, name).await?.ok_or_else(|| Kind::Group.not_found(name))
}

pub(crate) async fn create(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: GroupInput = service::input(input)?;
    let group = db::Group {
        group_id: ctx.env.ids.unique_id("AGPA"),
        account_id: ctx.account().to_owned(),
        group_name: input.group_name,
        path: input.path.unwrap_or_else(|| "/".into()),
        created_ms: ctx.now_ms,
    };
    let mut tx = ctx.env.store.begin().await?;
    if db::group_by_name(&mut tx, ctx.account(), &group.group_name).await?.is_some() {
        return Err(IamError::EntityAlreadyExists(format!("Group with name {} already exists.", group.group_name)));
    }
    quota(db::count_groups(&mut tx, ctx.account()).await?, GROUPS_PER_ACCOUNT, "GroupsPerAccount")?;
    db::insert_group(&mut tx, &group).await?;
    db::commit(tx).await?;
    Ok(serde_json::json!({ "Group": service::output(&GroupOut::from(&group))? }))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetGroupResponse {
    group: GroupOut,
    users: Vec<UserOut>,
    #[serde(flatten)]
    truncation: Truncation,
}

pub(crate) async fn get(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: GroupInput = service::input(input)?;
    let mut conn = db::reader(&ctx.env.store).await?;
    let group = require(&mut conn, ctx.account(), &input.group_name).await?;
    let members = db::group_members(&mut conn, &group.group_id).await?;
    let (page, truncation) = paginate(members, |u| u.user_name.clone(), &input.paging)?;
    let users = page.iter().map(|u| UserOut::new(u, Vec::new())).collect();
    Ok(service::output(&GetGroupResponse { group: GroupOut::from(&group), users, truncation })?)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GroupsResponse {
    groups: Vec<GroupOut>,
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
    let groups = db::list_groups(&mut conn, ctx.account(), input.path_prefix.as_deref().unwrap_or("/")).await?;
    let (page, truncation) = paginate(groups, |g| g.group_name.clone(), &input.paging)?;
    Ok(service::output(&GroupsResponse { groups: page.iter().map(GroupOut::from).collect(), truncation })?)
}

pub(crate) async fn for_user(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: GroupInput = service::input(input)?;
    let name = input.user_name.unwrap_or_default();
    let mut conn = db::reader(&ctx.env.store).await?;
    let user = entity::require(&mut conn, ctx.account(), Kind::User, &name).await?;
    let groups = db::groups_for_user(&mut conn, &user.id).await?;
    let (page, truncation) = paginate(groups, |g| g.group_name.clone(), &input.paging)?;
    Ok(service::output(&GroupsResponse { groups: page.iter().map(GroupOut::from).collect(), truncation })?)
}

pub(crate) async fn update(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: GroupInput = service::input(input)?;
    let mut tx = ctx.env.store.begin().await?;
    let group = require(&mut tx, ctx.account(), &input.group_name).await?;
    let new_name = input.new_group_name.unwrap_or_else(|| group.group_name.clone());
    if !new_name.eq_ignore_ascii_case(&group.group_name)
        && db::group_by_name(&mut tx, ctx.account(), &new_name).await?.is_some()
    {
        return Err(IamError::EntityAlreadyExists(format!("Group with name {new_name} already exists.")));
    }
    let new_path = input.new_path.unwrap_or_else(|| group.path.clone());
    db::update_group(&mut tx, &group.group_id, &new_name, &new_path).await?;
    db::commit(tx).await?;
    Ok(Value::Object(serde_json::Map::new()))
}

pub(crate) async fn delete(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: GroupInput = service::input(input)?;
    let mut tx = ctx.env.store.begin().await?;
    let group = require(&mut tx, ctx.account(), &input.group_name).await?;
    let conflict = |what: &str| Err(IamError::DeleteConflict(format!("Cannot delete entity, must {what} first.")));
    if !db::group_members(&mut tx, &group.group_id).await?.is_empty() {
        return conflict("remove users from group");
    }
    if !db::inline_policies(&mut tx, Owner::Group, &group.group_id).await?.is_empty() {
        return conflict("delete policies");
    }
    if !db::attached(&mut tx, Owner::Group, &group.group_id).await?.is_empty() {
        return conflict("detach all policies");
    }
    db::delete_group(&mut tx, &group.group_id).await?;
    db::commit(tx).await?;
    Ok(Value::Object(serde_json::Map::new()))
}

/// `AddUserToGroup` (`add`) and `RemoveUserFromGroup`.
pub(crate) async fn membership(ctx: &Ctx<'_>, input: Value, add: bool) -> Result<Value, IamError> {
    let input: GroupInput = service::input(input)?;
    let user_name = input.user_name.unwrap_or_default();
    let mut tx = ctx.env.store.begin().await?;
    let group = require(&mut tx, ctx.account(), &input.group_name).await?;
    let user = entity::require(&mut tx, ctx.account(), Kind::User, &user_name).await?;
    if add {
        let current = db::groups_for_user(&mut tx, &user.id).await?;
        if !current.iter().any(|g| g.group_id == group.group_id) {
            let count = i64::try_from(current.len()).unwrap_or(i64::MAX);
            quota(count, GROUPS_PER_USER, "GroupsPerUser")?;
        }
        db::add_member(&mut tx, &group.group_id, &user.id, ctx.now_ms).await?;
    } else if !db::remove_member(&mut tx, &group.group_id, &user.id).await? {
        return Err(Kind::User.not_found(&user.name));
    }
    db::commit(tx).await?;
    Ok(Value::Object(serde_json::Map::new()))
}
