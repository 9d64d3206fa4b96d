//! Users and their access keys.

use super::entity::{self, Kind};
use super::ops::{
    AccessKeyLastUsed, AccessKeyMetadata, CreateAccessKeyRequest, CreateUserRequest, CreateUserResponse,
    DeleteUserRequest, GetAccessKeyLastUsedRequest, GetAccessKeyLastUsedResponse, GetUserRequest, GetUserResponse,
    ListAccessKeysRequest, ListAccessKeysResponse, ListUsersRequest, ListUsersResponse, UpdateAccessKeyRequest,
    UpdateUserRequest, User,
};
use super::page::{Paging, paginate};
use super::tags::{check_new_tags, tag_list, to_db};
use super::{IamError, names, quota};
use aws_core::caller::CallerKind;
use aws_core::service::{self, Ctx};
use serde::Serialize;
use serde_json::Value;
use store::iam::{self as db, Owner};

/// IAM's quotas.
const USERS_PER_ACCOUNT: i64 = 5_000;
const ACCESS_KEYS_PER_USER: usize = 2;

/// A user as IAM returns it, with its tags where it has any.
pub(crate) fn user_out(u: &db::User, tags: &[db::Tag]) -> User {
    User {
        arn: names::arn(&u.account_id, "user", &u.path, &u.user_name),
        path: u.path.clone(),
        user_name: u.user_name.clone(),
        user_id: u.user_id.clone(),
        create_date: names::time(u.created_ms),
        tags: tag_list(tags),
        ..User::default()
    }
}

pub(crate) async fn create(ctx: &Ctx<'_>, input: CreateUserRequest) -> Result<CreateUserResponse, IamError> {
    let new_tags = input.tags.unwrap_or_default();
    check_new_tags(&new_tags)?;
    let user = db::User {
        user_id: ctx.env.ids.unique_id("AIDA"),
        account_id: ctx.account().to_owned(),
        user_name: input.user_name,
        path: input.path.unwrap_or_else(|| "/".into()),
        created_ms: ctx.now_ms,
    };
    let mut tx = ctx.env.store.begin().await?;
    entity::ensure_absent(&mut tx, ctx.account(), Kind::User, &user.user_name).await?;
    quota(db::count_users(&mut tx, ctx.account()).await?, USERS_PER_ACCOUNT, "UsersPerAccount")?;
    db::insert_user(&mut tx, &user).await?;
    let tags: Vec<db::Tag> = new_tags.iter().map(to_db).collect();
    db::put_tags(&mut tx, Owner::User, &user.user_id, &tags).await?;
    db::commit(tx).await?;
    Ok(CreateUserResponse { user: Some(user_out(&user, &tags)) })
}

/// The response of `GetUser` for the root user: IAM reports the account, not a user, without the
/// path and name the model's `User` requires.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RootUser {
    user_id: String,
    arn: String,
    create_date: i64,
}

pub(crate) async fn get(ctx: &Ctx<'_>, input: GetUserRequest) -> Result<Value, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let name = match (input.user_name, &ctx.caller.kind) {
        (Some(name), _) => name,
        (None, CallerKind::User { name }) => name.clone(),
        (None, CallerKind::Root) => {
            let created = store::access_keys::root_key(&mut conn, ctx.account()).await?.map_or(0, |k| k.created_ms);
            let root = RootUser {
                user_id: ctx.account().to_owned(),
                arn: ctx.caller.arn.clone(),
                create_date: names::secs(created),
            };
            return Ok(serde_json::json!({ "User": service::output(&root)? }));
        }
        (None, _) => return Err(non_user_credentials()),
    };
    let user = db::user_by_name(&mut conn, ctx.account(), &name).await?.ok_or_else(|| Kind::User.not_found(&name))?;
    let tags = db::tags(&mut conn, Owner::User, &user.user_id).await?;
    Ok(service::output(&GetUserResponse { user: user_out(&user, &tags) })?)
}

/// IAM's answer when a user-scoped operation without `UserName` comes from a role session.
pub(crate) fn non_user_credentials() -> IamError {
    IamError::Common(aws_core::CommonError::Validation(
        "Must specify userName when calling with non-User credentials".into(),
    ))
}

pub(crate) async fn list(ctx: &Ctx<'_>, input: ListUsersRequest) -> Result<ListUsersResponse, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let users = db::list_users(&mut conn, ctx.account(), input.path_prefix.as_deref().unwrap_or("/")).await?;
    let (page, t) = paginate(users, |u| u.user_name.clone(), &Paging::new(input.marker, input.max_items))?;
    let users = page.iter().map(|u| user_out(u, &[])).collect();
    Ok(ListUsersResponse { users, is_truncated: Some(t.is_truncated), marker: t.marker })
}

pub(crate) async fn update(ctx: &Ctx<'_>, input: UpdateUserRequest) -> Result<(), IamError> {
    let mut tx = ctx.env.store.begin().await?;
    let user = db::user_by_name(&mut tx, ctx.account(), &input.user_name)
        .await?
        .ok_or_else(|| Kind::User.not_found(&input.user_name))?;
    let new_name = input.new_user_name.unwrap_or_else(|| user.user_name.clone());
    if !new_name.eq_ignore_ascii_case(&user.user_name) {
        entity::ensure_absent(&mut tx, ctx.account(), Kind::User, &new_name).await?;
    }
    let new_path = input.new_path.unwrap_or_else(|| user.path.clone());
    let keys = db::keys_of(&mut tx, ctx.account(), Some(&user.user_name)).await?;
    db::update_user(&mut tx, &user, &new_name, &new_path).await?;
    db::commit(tx).await?;
    // The keys' cached callers carry the old name and ARN.
    for k in keys {
        ctx.env.forget_credentials(&k.access_key_id);
    }
    Ok(())
}

pub(crate) async fn delete(ctx: &Ctx<'_>, input: DeleteUserRequest) -> Result<(), IamError> {
    let mut tx = ctx.env.store.begin().await?;
    let user = db::user_by_name(&mut tx, ctx.account(), &input.user_name)
        .await?
        .ok_or_else(|| Kind::User.not_found(&input.user_name))?;
    if !db::keys_of(&mut tx, ctx.account(), Some(&user.user_name)).await?.is_empty() {
        return Err(entity::delete_conflict("delete access keys"));
    }
    entity::check_no_policies(&mut tx, Kind::User, &user.user_id).await?;
    if !db::groups_for_user(&mut tx, &user.user_id).await?.is_empty() {
        return Err(entity::delete_conflict("remove users from group"));
    }
    db::delete_user(&mut tx, &user.user_id).await?;
    db::commit(tx).await?;
    Ok(())
}

// ---- access keys ---------------------------------------------------------------------------

/// Whose keys an operation without `UserName` manages: the calling user's, or root's.
async fn key_owner(
    ctx: &Ctx<'_>,
    conn: &mut store::Conn,
    user_name: Option<String>,
) -> Result<Option<String>, IamError> {
    match (user_name, &ctx.caller.kind) {
        (Some(name), _) => {
            let user =
                db::user_by_name(conn, ctx.account(), &name).await?.ok_or_else(|| Kind::User.not_found(&name))?;
            Ok(Some(user.user_name))
        }
        (None, CallerKind::User { name }) => Ok(Some(name.clone())),
        (None, CallerKind::Root) => Ok(None),
        (None, _) => Err(non_user_credentials()),
    }
}

/// A new access key: the model's `AccessKey`, but without `UserName` for root's own keys.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccessKeyOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<String>,
    access_key_id: String,
    status: String,
    secret_access_key: String,
    create_date: i64,
}

pub(crate) async fn create_key(ctx: &Ctx<'_>, input: CreateAccessKeyRequest) -> Result<Value, IamError> {
    let mut tx = ctx.env.store.begin().await?;
    let owner = key_owner(ctx, &mut tx, input.user_name).await?;
    let existing = db::keys_of(&mut tx, ctx.account(), owner.as_deref()).await?;
    if existing.len() >= ACCESS_KEYS_PER_USER {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}"
        )));
    }
    let access_key_id = ctx.env.ids.access_key_id_for("AKIA", ctx.account());
    let secret = zeroize::Zeroizing::new(ctx.env.ids.secret_access_key());
    let key = store::access_keys::AccessKey {
        secret_sealed: ctx.env.seal(secret.as_bytes(), &format!("access-key:{access_key_id}")),
        access_key_id,
        account_id: ctx.account().to_owned(),
        user_name: owner.clone(),
        status: "Active".into(),
        created_ms: ctx.now_ms,
    };
    store::access_keys::insert(&mut tx, &key).await?;
    db::commit(tx).await?;
    let out = AccessKeyOut {
        user_name: owner,
        access_key_id: key.access_key_id,
        status: key.status,
        secret_access_key: secret.to_string(),
        create_date: names::secs(key.created_ms),
    };
    Ok(serde_json::json!({ "AccessKey": service::output(&out)? }))
}

pub(crate) async fn list_keys(ctx: &Ctx<'_>, input: ListAccessKeysRequest) -> Result<ListAccessKeysResponse, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let owner = key_owner(ctx, &mut conn, input.user_name).await?;
    let keys = db::keys_of(&mut conn, ctx.account(), owner.as_deref()).await?;
    let paging = Paging::new(input.marker, input.max_items);
    let (page, t) = paginate(keys, |k| format!("{:020}{}", k.created_ms, k.access_key_id), &paging)?;
    let access_key_metadata = page
        .into_iter()
        .map(|k| AccessKeyMetadata {
            user_name: k.user_name,
            access_key_id: Some(k.access_key_id),
            status: Some(k.status),
            create_date: Some(names::time(k.created_ms)),
        })
        .collect();
    Ok(ListAccessKeysResponse { access_key_metadata, is_truncated: Some(t.is_truncated), marker: t.marker })
}

/// The key `id` of the user an operation names (or the caller), or IAM's `NoSuchEntity`.
async fn owned_key(
    ctx: &Ctx<'_>,
    conn: &mut store::Conn,
    id: &str,
    user_name: Option<String>,
) -> Result<db::KeyMetadata, IamError> {
    let owner = key_owner(ctx, conn, user_name).await?;
    db::key_metadata(conn, id)
        .await?
        .filter(|k| k.account_id == ctx.account() && k.user_name == owner)
        .ok_or_else(|| IamError::NoSuchEntity(format!("The Access Key with id {id} cannot be found.")))
}

pub(crate) async fn update_key(ctx: &Ctx<'_>, input: UpdateAccessKeyRequest) -> Result<(), IamError> {
    let status = input.status;
    if status != "Active" && status != "Inactive" {
        return Err(IamError::Common(aws_core::CommonError::Validation(format!(
            "1 validation error detected: Value '{status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
        ))));
    }
    let mut tx = ctx.env.store.begin().await?;
    let key = owned_key(ctx, &mut tx, &input.access_key_id, input.user_name).await?;
    db::set_key_status(&mut tx, &key.access_key_id, &status).await?;
    db::commit(tx).await?;
    ctx.env.forget_credentials(&key.access_key_id);
    Ok(())
}

pub(crate) async fn delete_key(ctx: &Ctx<'_>, id: &str, user_name: Option<String>) -> Result<(), IamError> {
    let mut tx = ctx.env.store.begin().await?;
    let key = owned_key(ctx, &mut tx, id, user_name).await?;
    db::delete_key(&mut tx, &key.access_key_id).await?;
    db::commit(tx).await?;
    ctx.env.forget_credentials(&key.access_key_id);
    Ok(())
}

/// When and where a key last signed a request: the stored record, overlaid with what this
/// process saw since its last flush.
pub(crate) fn last_use(ctx: &Ctx<'_>, key: &db::KeyMetadata) -> Option<(i64, String, String)> {
    let stored = key.last_used_ms.map(|ms| {
        (ms, key.last_used_service.clone().unwrap_or_default(), key.last_used_region.clone().unwrap_or_default())
    });
    let recent = ctx.env.key_last_used(&key.access_key_id);
    match (stored, recent) {
        (Some(s), Some(r)) => Some(if r.0 >= s.0 { r } else { s }),
        (s, r) => r.or(s),
    }
}

pub(crate) async fn key_last_used(
    ctx: &Ctx<'_>,
    input: GetAccessKeyLastUsedRequest,
) -> Result<GetAccessKeyLastUsedResponse, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let key =
        db::key_metadata(&mut conn, &input.access_key_id).await?.filter(|k| k.account_id == ctx.account()).ok_or_else(
            || IamError::NoSuchEntity(format!("The Access Key with id {} cannot be found.", input.access_key_id)),
        )?;
    // "N/A" until the key is used, as IAM reports it.
    let used = last_use(ctx, &key).map_or_else(
        || AccessKeyLastUsed { last_used_date: None, service_name: "N/A".into(), region: "N/A".into() },
        |(ms, service_name, region)| AccessKeyLastUsed { last_used_date: Some(names::time(ms)), service_name, region },
    );
    Ok(GetAccessKeyLastUsedResponse { user_name: key.user_name, access_key_last_used: Some(used) })
}

/// The user an operation names, or the calling user when it names none (`GetUser`, keys): its
/// ARN and, when it exists, its unique id.
pub(crate) async fn scope_user(
    ctx: &Ctx<'_>,
    conn: &mut store::Conn,
    name: Option<&str>,
) -> Result<(String, Option<String>), IamError> {
    let name = match (name, &ctx.caller.kind) {
        (Some(name), _) => name.to_owned(),
        (None, CallerKind::User { name }) => name.clone(),
        (None, CallerKind::Root) => return Ok((ctx.caller.arn.clone(), None)),
        (None, _) => return Err(non_user_credentials()),
    };
    Ok(match entity::find(conn, ctx.account(), Kind::User, &name).await? {
        Some(e) => (e.arn, Some(e.id)),
        None => (names::arn(ctx.account(), "user", "/", &name), None),
    })
}
