//! Groups and their members.

use super::entity::{self, Kind};
use super::ops::{
    CreateGroupRequest, CreateGroupResponse, DeleteGroupRequest, GetGroupRequest, GetGroupResponse, Group,
    ListGroupsForUserRequest, ListGroupsForUserResponse, ListGroupsRequest, ListGroupsResponse, UpdateGroupRequest,
};
use super::page::{Paging, paginate};
use super::users::user_out;
use super::{IamError, names, quota};
use aws_core::service::Ctx;
use store::iam as db;

const GROUPS_PER_ACCOUNT: i64 = 300;
const GROUPS_PER_USER: i64 = 10;

/// A group as IAM returns it.
pub(crate) fn group_out(g: &db::Group) -> Group {
    Group {
        arn: names::arn(&g.account_id, "group", &g.path, &g.group_name),
        path: g.path.clone(),
        group_name: g.group_name.clone(),
        group_id: g.group_id.clone(),
        create_date: names::time(g.created_ms),
    }
}

async fn require(conn: &mut store::Conn, account: &str, name: &str) -> Result<db::Group, IamError> {
    db::group_by_name(conn, account, name).await?.ok_or_else(|| Kind::Group.not_found(name))
}

pub(crate) async fn create(ctx: &Ctx<'_>, input: CreateGroupRequest) -> Result<CreateGroupResponse, IamError> {
    let group = db::Group {
        group_id: ctx.env.ids.unique_id("AGPA"),
        account_id: ctx.account().to_owned(),
        group_name: input.group_name,
        path: input.path.unwrap_or_else(|| "/".into()),
        created_ms: ctx.now_ms,
    };
    let mut tx = ctx.env.store.begin().await?;
    entity::ensure_absent(&mut tx, ctx.account(), Kind::Group, &group.group_name).await?;
    quota(db::count_groups(&mut tx, ctx.account()).await?, GROUPS_PER_ACCOUNT, "GroupsPerAccount")?;
    db::insert_group(&mut tx, &group).await?;
    db::commit(tx).await?;
    Ok(CreateGroupResponse { group: group_out(&group) })
}

pub(crate) async fn get(ctx: &Ctx<'_>, input: GetGroupRequest) -> Result<GetGroupResponse, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let group = require(&mut conn, ctx.account(), &input.group_name).await?;
    let members = db::group_members(&mut conn, &group.group_id).await?;
    let (page, t) = paginate(members, |u| u.user_name.clone(), &Paging::new(input.marker, input.max_items))?;
    let users = page.iter().map(|u| user_out(u, &[])).collect();
    Ok(GetGroupResponse { group: group_out(&group), users, is_truncated: Some(t.is_truncated), marker: t.marker })
}

pub(crate) async fn list(ctx: &Ctx<'_>, input: ListGroupsRequest) -> Result<ListGroupsResponse, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let groups = db::list_groups(&mut conn, ctx.account(), input.path_prefix.as_deref().unwrap_or("/")).await?;
    let (page, t) = paginate(groups, |g| g.group_name.clone(), &Paging::new(input.marker, input.max_items))?;
    Ok(ListGroupsResponse {
        groups: page.iter().map(group_out).collect(),
        is_truncated: Some(t.is_truncated),
        marker: t.marker,
    })
}

pub(crate) async fn for_user(
    ctx: &Ctx<'_>,
    input: ListGroupsForUserRequest,
) -> Result<ListGroupsForUserResponse, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let user = entity::require(&mut conn, ctx.account(), Kind::User, &input.user_name).await?;
    let groups = db::groups_for_user(&mut conn, &user.id).await?;
    let (page, t) = paginate(groups, |g| g.group_name.clone(), &Paging::new(input.marker, input.max_items))?;
    Ok(ListGroupsForUserResponse {
        groups: page.iter().map(group_out).collect(),
        is_truncated: Some(t.is_truncated),
        marker: t.marker,
    })
}

pub(crate) async fn update(ctx: &Ctx<'_>, input: UpdateGroupRequest) -> Result<(), IamError> {
    let mut tx = ctx.env.store.begin().await?;
    let group = require(&mut tx, ctx.account(), &input.group_name).await?;
    let new_name = input.new_group_name.unwrap_or_else(|| group.group_name.clone());
    if !new_name.eq_ignore_ascii_case(&group.group_name) {
        entity::ensure_absent(&mut tx, ctx.account(), Kind::Group, &new_name).await?;
    }
    let new_path = input.new_path.unwrap_or_else(|| group.path.clone());
    db::update_group(&mut tx, &group.group_id, &new_name, &new_path).await?;
    db::commit(tx).await?;
    Ok(())
}

pub(crate) async fn delete(ctx: &Ctx<'_>, input: DeleteGroupRequest) -> Result<(), IamError> {
    let mut tx = ctx.env.store.begin().await?;
    let group = require(&mut tx, ctx.account(), &input.group_name).await?;
    if !db::group_members(&mut tx, &group.group_id).await?.is_empty() {
        return Err(entity::delete_conflict("remove users from group"));
    }
    entity::check_no_policies(&mut tx, Kind::Group, &group.group_id).await?;
    db::delete_group(&mut tx, &group.group_id).await?;
    db::commit(tx).await?;
    Ok(())
}

/// `AddUserToGroup` (`add`) and `RemoveUserFromGroup`.
pub(crate) async fn membership(ctx: &Ctx<'_>, group_name: &str, user_name: &str, add: bool) -> Result<(), IamError> {
    let mut tx = ctx.env.store.begin().await?;
    let group = require(&mut tx, ctx.account(), group_name).await?;
    let user = entity::require(&mut tx, ctx.account(), Kind::User, user_name).await?;
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
    Ok(())
}
