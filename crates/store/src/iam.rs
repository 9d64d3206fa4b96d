//! IAM and STS state: users, groups, roles, managed and inline policies, attachments, tags,
//! IAM users' access keys, STS sessions and credential reports.
//!
//! Names are looked up case-insensitively (the columns are `COLLATE NOCASE`), as IAM does;
//! relations point at unique ids. Lists come back in IAM's order: by name, case-insensitively.

use crate::{Conn, Store, StoreError, Tx};

/// A pooled reader connection (derefs to [`Conn`]).
pub type Reader = crate::ReadConn;

/// A connection from the read pool.
pub async fn reader(store: &Store) -> Result<Reader, StoreError> {
    Ok(store.reader().acquire().await?)
}

/// Commits a write transaction.
pub async fn commit(tx: Tx) -> Result<(), StoreError> {
    Ok(tx.commit().await?)
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    /// `AIDA...`.
    pub user_id: String,
    /// The owning account.
    pub account_id: String,
    /// The name as created.
    pub user_name: String,
    /// `/` or `/a/b/`.
    pub path: String,
    /// When it was created.
    pub created_ms: i64,
}

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Group {
    /// `AGPA...`.
    pub group_id: String,
    /// The owning account.
    pub account_id: String,
    /// The name as created.
    pub group_name: String,
    /// `/` or `/a/b/`.
    pub path: String,
    /// When it was created.
    pub created_ms: i64,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Role {
    /// `AROA...`.
    pub role_id: String,
    /// The owning account.
    pub account_id: String,
    /// The name as created.
    pub role_name: String,
    /// `/` or `/a/b/`.
    pub path: String,
    /// The trust (assume-role) policy as written.
    pub trust_policy: String,
    /// The description, if any.
    pub description: Option<String>,
    /// The longest session `AssumeRole` grants, in seconds.
    pub max_session_secs: i64,
    /// When it was created.
    pub created_ms: i64,
    /// When a session of it was last issued.
    pub last_used_ms: Option<i64>,
    /// Where that happened.
    pub last_used_region: Option<String>,
}

/// `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
pub fn role_arn(role: &Role) -> String {
    format!("arn:aws:iam::{}:role{}{}", role.account_id, role.path, role.role_name)
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ManagedPolicy {
    /// `ANPA...`.
    pub policy_id: String,
    /// The owning account.
    pub account_id: String,
    /// The name as created.
    pub policy_name: String,
    /// `/` or `/a/b/`.
    pub path: String,
    /// `arn:aws:iam::ACCOUNT:policy/PATH/NAME`.
    pub arn: String,
    /// The description, if any (it cannot be changed after creation).
    pub description: Option<String>,
    /// `v1`, `v2`, ...
    pub default_version: String,
    /// The number the next version gets.
    pub next_version: i64,
    /// When it was created.
    pub created_ms: i64,
    /// When its default version last changed.
    pub updated_ms: i64,
}

/// One version of a customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    pub version_id: String,
    /// The document as written.
    pub document: String,
    /// When it was created.
    pub created_ms: i64,
}

/// An inline policy of a user, role or group.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InlinePolicy {
    /// Its name.
    pub policy_name: String,
    /// The document as written.
    pub document: String,
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Tag {
    /// The key, in the case it was first given.
    pub tag_key: String,
    /// The value.
    pub tag_value: String,
}

/// What a policy or tag belongs to: the `owner_kind` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    /// An IAM user.
    User,
    /// An IAM role.
    Role,
    /// An IAM group.
    Group,
    /// A managed policy (tags only).
    Policy,
}

impl Owner {
    fn as_str(self) -> &'static str {
        match self {
            Owner::User => "user",
            Owner::Role => "role",
            Owner::Group => "group",
            Owner::Policy => "policy",
        }
    }

    fn parse(s: &str) -> Option<Owner> {
        [Owner::User, Owner::Role, Owner::Group, Owner::Policy].into_iter().find(|o| o.as_str() == s)
    }
}

/// An access key of an IAM user (or of the root user), without its secret.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyMetadata {
    /// `AKIA...`.
    pub access_key_id: String,
    /// The owning account.
    pub account_id: String,
    /// The user, or `None` for root keys.
    pub user_name: Option<String>,
    /// `Active` or `Inactive`.
    pub status: String,
    /// When it was created.
    pub created_ms: i64,
    /// When it last signed a request (as last flushed).
    pub last_used_ms: Option<i64>,
    /// The service it was last used with.
    pub last_used_service: Option<String>,
    /// The region it was last used in.
    pub last_used_region: Option<String>,
}

/// Temporary credentials issued by STS.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    /// `ASIA...`.
    pub access_key_id: String,
    /// The account.
    pub account_id: String,
    /// The secret access key, sealed.
    pub secret_sealed: Vec<u8>,
    /// A keyed hash of the session token.
    pub token_mac: Vec<u8>,
    /// `role`, `user` or `root`.
    pub kind: String,
    /// The caller ARN the credentials act as.
    pub arn: String,
    /// The caller's unique id (`AROA...:session` for role sessions).
    pub user_id: String,
    /// The IAM user (`GetSessionToken` of a user).
    pub user_name: Option<String>,
    /// The role's unique id (role sessions).
    pub role_id: Option<String>,
    /// The role's name (role sessions).
    pub role_name: Option<String>,
    /// The role's ARN (role sessions).
    pub role_arn: Option<String>,
    /// The session name (role sessions).
    pub session_name: Option<String>,
    /// The inline session policy.
    pub session_policy: Option<String>,
    /// The managed session policies, a JSON array of ARNs.
    pub policy_arns: Option<String>,
    /// When the credentials were issued.
    pub issued_ms: i64,
    /// When they expire.
    pub expires_ms: i64,
}

// ---- users ---------------------------------------------------------------------------------

/// Inserts a user.
pub async fn insert_user(conn: &mut Conn, u: &User) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO iam_users (user_id, account_id, user_name, path, created_ms) VALUES ($1, $2, $3, $4, $5)")
        .bind(&u.user_id)
        .bind(&u.account_id)
        .bind(&u.user_name)
        .bind(&u.path)
        .bind(u.created_ms)
        .execute(conn)
        .await?;
    Ok(())
}

const USER_COLUMNS: &str = "user_id, account_id, user_name, path, created_ms";

/// The user named `name` (any letter case).
pub async fn user_by_name(conn: &mut Conn, account_id: &str, name: &str) -> Result<Option<User>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM iam_users WHERE account_id = $1 AND user_name = $2"))
        .bind(account_id)
        .bind(name)
        .fetch_optional(conn)
        .await?)
}

/// The user with unique id `user_id`.
pub async fn user_by_id(conn: &mut Conn, user_id: &str) -> Result<Option<User>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM iam_users WHERE user_id = $1"))
        .bind(user_id)
        .fetch_optional(conn)
        .await?)
}

/// The account's users whose path starts with `path_prefix`, by name.
pub async fn list_users(conn: &mut Conn, account_id: &str, path_prefix: &str) -> Result<Vec<User>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM iam_users WHERE account_id = $1 AND substr(path, 1, length($2)) = $2 ORDER BY user_name"
    ))
    .bind(account_id)
    .bind(path_prefix)
    .fetch_all(conn)
    .await?)
}

/// How many users the account has.
pub async fn count_users(conn: &mut Conn, account_id: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM iam_users WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(conn)
        .await?)
}

/// Renames and/or moves a user; its access keys follow the new name.
pub async fn update_user(conn: &mut Conn, user: &User, new_name: &str, new_path: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE iam_users SET user_name = $1, path = $2 WHERE user_id = $3")
        .bind(new_name)
        .bind(new_path)
        .bind(&user.user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE access_keys SET user_name = $1 WHERE account_id = $2 AND user_name = $3")
        .bind(new_name)
        .bind(&user.account_id)
        .bind(&user.user_name)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a user with its tags and memberships.
pub async fn delete_user(conn: &mut Conn, user_id: &str) -> Result<(), StoreError> {
    delete_tags_of(conn, Owner::User, user_id).await?;
    sqlx::query("DELETE FROM iam_users WHERE user_id = $1").bind(user_id).execute(conn).await?;
    Ok(())
}

// ---- groups --------------------------------------------------------------------------------

const GROUP_COLUMNS: &str = "g.group_id, g.account_id, g.group_name, g.path, g.created_ms";

/// Inserts a group.
pub async fn insert_group(conn: &mut Conn, g: &Group) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO iam_groups (group_id, account_id, group_name, path, created_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&g.group_id)
    .bind(&g.account_id)
    .bind(&g.group_name)
    .bind(&g.path)
    .bind(g.created_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The group named `name` (any letter case).
pub async fn group_by_name(conn: &mut Conn, account_id: &str, name: &str) -> Result<Option<Group>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {GROUP_COLUMNS} FROM iam_groups g WHERE g.account_id = $1 AND g.group_name = $2"
    ))
    .bind(account_id)
    .bind(name)
    .fetch_optional(conn)
    .await?)
}

/// The group with unique id `group_id`.
pub async fn group_by_id(conn: &mut Conn, group_id: &str) -> Result<Option<Group>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {GROUP_COLUMNS} FROM iam_groups g WHERE g.group_id = $1"))
        .bind(group_id)
        .fetch_optional(conn)
        .await?)
}

/// The account's groups whose path starts with `path_prefix`, by name.
pub async fn list_groups(conn: &mut Conn, account_id: &str, path_prefix: &str) -> Result<Vec<Group>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {GROUP_COLUMNS} FROM iam_groups g WHERE g.account_id = $1 AND substr(g.path, 1, length($2)) = $2 \
         ORDER BY g.group_name"
    ))
    .bind(account_id)
    .bind(path_prefix)
    .fetch_all(conn)
    .await?)
}

/// How many groups the account has.
pub async fn count_groups(conn: &mut Conn, account_id: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM iam_groups WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(conn)
        .await?)
}

/// Renames and/or moves a group.
pub async fn update_group(conn: &mut Conn, group_id: &str, new_name: &str, new_path: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE iam_groups SET group_name = $1, path = $2 WHERE group_id = $3")
        .bind(new_name)
        .bind(new_path)
        .bind(group_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a group (its memberships go with it).
pub async fn delete_group(conn: &mut Conn, group_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM iam_groups WHERE group_id = $1").bind(group_id).execute(conn).await?;
    Ok(())
}

/// Adds a user to a group; adding a member again changes nothing.
pub async fn add_member(conn: &mut Conn, group_id: &str, user_id: &str, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO iam_group_members (group_id, user_id, added_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(group_id)
    .bind(user_id)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a user from a group; whether it was a member.
pub async fn remove_member(conn: &mut Conn, group_id: &str, user_id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM iam_group_members WHERE group_id = $1 AND user_id = $2")
        .bind(group_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The members of a group, by name.
pub async fn group_members(conn: &mut Conn, group_id: &str) -> Result<Vec<User>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT u.user_id, u.account_id, u.user_name, u.path, u.created_ms FROM iam_users u \
         JOIN iam_group_members m ON m.user_id = u.user_id WHERE m.group_id = $1 ORDER BY u.user_name",
    )
    .bind(group_id)
    .fetch_all(conn)
    .await?)
}

/// The groups a user belongs to, by name.
pub async fn groups_for_user(conn: &mut Conn, user_id: &str) -> Result<Vec<Group>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {GROUP_COLUMNS} FROM iam_groups g JOIN iam_group_members m ON m.group_id = g.group_id \
         WHERE m.user_id = $1 ORDER BY g.group_name"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

// ---- roles ---------------------------------------------------------------------------------

const ROLE_COLUMNS: &str = "role_id, account_id, role_name, path, trust_policy, description, max_session_secs, \
                            created_ms, last_used_ms, last_used_region";

/// Inserts a role.
pub async fn insert_role(conn: &mut Conn, r: &Role) -> Result<(), StoreError> {
    sqlx::query(&format!("INSERT INTO iam_roles ({ROLE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
        .bind(&r.role_id)
        .bind(&r.account_id)
        .bind(&r.role_name)
        .bind(&r.path)
        .bind(&r.trust_policy)
        .bind(&r.description)
        .bind(r.max_session_secs)
        .bind(r.created_ms)
        .bind(r.last_used_ms)
        .bind(&r.last_used_region)
        .execute(conn)
        .await?;
    Ok(())
}

/// The role named `name` (any letter case).
pub async fn role_by_name(conn: &mut Conn, account_id: &str, name: &str) -> Result<Option<Role>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {ROLE_COLUMNS} FROM iam_roles WHERE account_id = $1 AND role_name = $2"))
        .bind(account_id)
        .bind(name)
        .fetch_optional(conn)
        .await?)
}

/// The role with unique id `role_id`.
pub async fn role_by_id(conn: &mut Conn, role_id: &str) -> Result<Option<Role>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {ROLE_COLUMNS} FROM iam_roles WHERE role_id = $1"))
        .bind(role_id)
        .fetch_optional(conn)
        .await?)
}

/// The account's roles whose path starts with `path_prefix`, by name.
pub async fn list_roles(conn: &mut Conn, account_id: &str, path_prefix: &str) -> Result<Vec<Role>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ROLE_COLUMNS} FROM iam_roles WHERE account_id = $1 AND substr(path, 1, length($2)) = $2 ORDER BY role_name"
    ))
    .bind(account_id)
    .bind(path_prefix)
    .fetch_all(conn)
    .await?)
}

/// How many roles the account has.
pub async fn count_roles(conn: &mut Conn, account_id: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM iam_roles WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(conn)
        .await?)
}

/// Changes a role's description and maximum session duration.
pub async fn update_role(
    conn: &mut Conn,
    role_id: &str,
    description: Option<&str>,
    max_session_secs: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE iam_roles SET description = $1, max_session_secs = $2 WHERE role_id = $3")
        .bind(description)
        .bind(max_session_secs)
        .bind(role_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces a role's trust policy.
pub async fn update_trust_policy(conn: &mut Conn, role_id: &str, document: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE iam_roles SET trust_policy = $1 WHERE role_id = $2")
        .bind(document)
        .bind(role_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records that a session of the role was issued (`RoleLastUsed`).
pub async fn touch_role(conn: &mut Conn, role_id: &str, now_ms: i64, region: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE iam_roles SET last_used_ms = $1, last_used_region = $2 WHERE role_id = $3")
        .bind(now_ms)
        .bind(region)
        .bind(role_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a role with its tags.
pub async fn delete_role(conn: &mut Conn, role_id: &str) -> Result<(), StoreError> {
    delete_tags_of(conn, Owner::Role, role_id).await?;
    sqlx::query("DELETE FROM iam_roles WHERE role_id = $1").bind(role_id).execute(conn).await?;
    Ok(())
}

// ---- managed policies ----------------------------------------------------------------------

const POLICY_COLUMNS: &str = "policy_id, account_id, policy_name, path, arn, description, default_version, \
                              next_version, created_ms, updated_ms";

/// Inserts a managed policy with its first version, `v1`.
pub async fn insert_policy(conn: &mut Conn, p: &ManagedPolicy, document: &str) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO iam_policies ({POLICY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&p.policy_id)
    .bind(&p.account_id)
    .bind(&p.policy_name)
    .bind(&p.path)
    .bind(&p.arn)
    .bind(&p.description)
    .bind(&p.default_version)
    .bind(p.next_version)
    .bind(p.created_ms)
    .bind(p.updated_ms)
    .execute(&mut *conn)
    .await?;
    insert_version(conn, &p.policy_id, &p.default_version, document, p.created_ms).await
}

async fn insert_version(
    conn: &mut Conn,
    policy_id: &str,
    version_id: &str,
    document: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO iam_policy_versions (policy_id, version_id, document, created_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(policy_id)
    .bind(version_id)
    .bind(document)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The customer managed policy with this ARN.
pub async fn policy_by_arn(conn: &mut Conn, arn: &str) -> Result<Option<ManagedPolicy>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {POLICY_COLUMNS} FROM iam_policies WHERE arn = $1"))
        .bind(arn)
        .fetch_optional(conn)
        .await?)
}

/// The customer managed policy named `name` (any letter case, any path).
pub async fn policy_by_name(
    conn: &mut Conn,
    account_id: &str,
    name: &str,
) -> Result<Option<ManagedPolicy>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {POLICY_COLUMNS} FROM iam_policies WHERE account_id = $1 AND policy_name = $2"))
        .bind(account_id)
        .bind(name)
        .fetch_optional(conn)
        .await?)
}

/// The account's customer managed policies whose path starts with `path_prefix`, by name.
pub async fn list_policies(
    conn: &mut Conn,
    account_id: &str,
    path_prefix: &str,
) -> Result<Vec<ManagedPolicy>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {POLICY_COLUMNS} FROM iam_policies WHERE account_id = $1 AND substr(path, 1, length($2)) = $2 \
         ORDER BY policy_name"
    ))
    .bind(account_id)
    .bind(path_prefix)
    .fetch_all(conn)
    .await?)
}

/// How many customer managed policies the account has.
pub async fn count_policies(conn: &mut Conn, account_id: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM iam_policies WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(conn)
        .await?)
}

/// A policy's versions, oldest first.
pub async fn policy_versions(conn: &mut Conn, policy_id: &str) -> Result<Vec<PolicyVersion>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT version_id, document, created_ms FROM iam_policy_versions WHERE policy_id = $1 ORDER BY created_ms, \
         CAST(substr(version_id, 2) AS INTEGER)",
    )
    .bind(policy_id)
    .fetch_all(conn)
    .await?)
}

/// One version of a policy.
pub async fn policy_version(
    conn: &mut Conn,
    policy_id: &str,
    version_id: &str,
) -> Result<Option<PolicyVersion>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT version_id, document, created_ms FROM iam_policy_versions WHERE policy_id = $1 AND version_id = $2",
    )
    .bind(policy_id)
    .bind(version_id)
    .fetch_optional(conn)
    .await?)
}

/// Adds the next version of a policy, making it the default if asked; returns its id.
pub async fn add_policy_version(
    conn: &mut Conn,
    policy: &ManagedPolicy,
    document: &str,
    set_default: bool,
    now_ms: i64,
) -> Result<String, StoreError> {
    let version_id = format!("v{}", policy.next_version);
    insert_version(conn, &policy.policy_id, &version_id, document, now_ms).await?;
    sqlx::query("UPDATE iam_policies SET next_version = next_version + 1 WHERE policy_id = $1")
        .bind(&policy.policy_id)
        .execute(&mut *conn)
        .await?;
    if set_default {
        set_default_version(conn, &policy.policy_id, &version_id, now_ms).await?;
    }
    Ok(version_id)
}

/// Makes `version_id` the default version.
pub async fn set_default_version(
    conn: &mut Conn,
    policy_id: &str,
    version_id: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE iam_policies SET default_version = $1, updated_ms = $2 WHERE policy_id = $3")
        .bind(version_id)
        .bind(now_ms)
        .bind(policy_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes one version of a policy.
pub async fn delete_policy_version(conn: &mut Conn, policy_id: &str, version_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM iam_policy_versions WHERE policy_id = $1 AND version_id = $2")
        .bind(policy_id)
        .bind(version_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a policy with its versions and tags.
pub async fn delete_policy(conn: &mut Conn, policy_id: &str) -> Result<(), StoreError> {
    delete_tags_of(conn, Owner::Policy, policy_id).await?;
    sqlx::query("DELETE FROM iam_policies WHERE policy_id = $1").bind(policy_id).execute(conn).await?;
    Ok(())
}

/// The default version's document of the customer managed policy with this ARN.
pub async fn default_document(conn: &mut Conn, arn: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT v.document FROM iam_policies p JOIN iam_policy_versions v \
         ON v.policy_id = p.policy_id AND v.version_id = p.default_version WHERE p.arn = $1",
    )
    .bind(arn)
    .fetch_optional(conn)
    .await?)
}

// ---- attachments ---------------------------------------------------------------------------

/// Attaches a managed policy; attaching it again changes nothing.
pub async fn attach(
    conn: &mut Conn,
    account_id: &str,
    owner: Owner,
    owner_id: &str,
    policy_arn: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO iam_attachments (account_id, owner_kind, owner_id, policy_arn, attached_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(account_id)
    .bind(owner.as_str())
    .bind(owner_id)
    .bind(policy_arn)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Detaches a managed policy; whether it was attached.
pub async fn detach(conn: &mut Conn, owner: Owner, owner_id: &str, policy_arn: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM iam_attachments WHERE owner_kind = $1 AND owner_id = $2 AND policy_arn = $3")
        .bind(owner.as_str())
        .bind(owner_id)
        .bind(policy_arn)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The ARNs of the managed policies attached to an owner, in attachment order.
pub async fn attached(conn: &mut Conn, owner: Owner, owner_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT policy_arn FROM iam_attachments WHERE owner_kind = $1 AND owner_id = $2 ORDER BY attached_ms, policy_arn",
    )
    .bind(owner.as_str())
    .bind(owner_id)
    .fetch_all(conn)
    .await?)
}

/// The owners a managed policy is attached to, as (kind, unique id).
pub async fn attachments_of(
    conn: &mut Conn,
    account_id: &str,
    policy_arn: &str,
) -> Result<Vec<(Owner, String)>, StoreError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT owner_kind, owner_id FROM iam_attachments WHERE account_id = $1 AND policy_arn = $2")
            .bind(account_id)
            .bind(policy_arn)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().filter_map(|(k, id)| Some((Owner::parse(&k)?, id))).collect())
}

/// How many entities each attached policy of the account is attached to, by ARN.
pub async fn attachment_counts(conn: &mut Conn, account_id: &str) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as("SELECT policy_arn, COUNT(*) FROM iam_attachments WHERE account_id = $1 GROUP BY policy_arn")
        .bind(account_id)
        .fetch_all(conn)
        .await?)
}

// ---- inline policies -----------------------------------------------------------------------

/// Creates or replaces an inline policy.
pub async fn put_inline(
    conn: &mut Conn,
    owner: Owner,
    owner_id: &str,
    name: &str,
    document: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO iam_inline_policies (owner_kind, owner_id, policy_name, document, created_ms) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (owner_kind, owner_id, policy_name) DO UPDATE SET document = excluded.document",
    )
    .bind(owner.as_str())
    .bind(owner_id)
    .bind(name)
    .bind(document)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The inline policies of an owner, by name.
pub async fn inline_policies(conn: &mut Conn, owner: Owner, owner_id: &str) -> Result<Vec<InlinePolicy>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT policy_name, document FROM iam_inline_policies WHERE owner_kind = $1 AND owner_id = $2 ORDER BY policy_name",
    )
    .bind(owner.as_str())
    .bind(owner_id)
    .fetch_all(conn)
    .await?)
}

/// Deletes an inline policy; whether it existed.
pub async fn delete_inline(conn: &mut Conn, owner: Owner, owner_id: &str, name: &str) -> Result<bool, StoreError> {
    let done =
        sqlx::query("DELETE FROM iam_inline_policies WHERE owner_kind = $1 AND owner_id = $2 AND policy_name = $3")
            .bind(owner.as_str())
            .bind(owner_id)
            .bind(name)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() > 0)
}

// ---- tags ----------------------------------------------------------------------------------

/// Adds tags or changes their values, keeping each existing key's case and position.
pub async fn put_tags(conn: &mut Conn, owner: Owner, owner_id: &str, tags: &[Tag]) -> Result<(), StoreError> {
    for t in tags {
        sqlx::query(
            "INSERT INTO iam_tags (owner_kind, owner_id, tag_key, tag_value, seq) VALUES ($1, $2, $3, $4, \
             (SELECT COALESCE(MAX(seq), 0) + 1 FROM iam_tags WHERE owner_kind = $1 AND owner_id = $2)) \
             ON CONFLICT (owner_kind, owner_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
        )
        .bind(owner.as_str())
        .bind(owner_id)
        .bind(&t.tag_key)
        .bind(&t.tag_value)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Removes tags by key (any letter case); absent keys are ignored.
pub async fn remove_tags(conn: &mut Conn, owner: Owner, owner_id: &str, keys: &[String]) -> Result<(), StoreError> {
    for k in keys {
        sqlx::query("DELETE FROM iam_tags WHERE owner_kind = $1 AND owner_id = $2 AND tag_key = $3")
            .bind(owner.as_str())
            .bind(owner_id)
            .bind(k)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The tags of an owner, in the order they were added.
pub async fn tags(conn: &mut Conn, owner: Owner, owner_id: &str) -> Result<Vec<Tag>, StoreError> {
    Ok(sqlx::query_as("SELECT tag_key, tag_value FROM iam_tags WHERE owner_kind = $1 AND owner_id = $2 ORDER BY seq")
        .bind(owner.as_str())
        .bind(owner_id)
        .fetch_all(conn)
        .await?)
}

async fn delete_tags_of(conn: &mut Conn, owner: Owner, owner_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM iam_tags WHERE owner_kind = $1 AND owner_id = $2")
        .bind(owner.as_str())
        .bind(owner_id)
        .execute(conn)
        .await?;
    Ok(())
}

// ---- access keys of users ------------------------------------------------------------------

const KEY_COLUMNS: &str =
    "access_key_id, account_id, user_name, status, created_ms, last_used_ms, last_used_service, last_used_region";

/// The keys of a user (`None`: the root user), oldest first.
pub async fn keys_of(
    conn: &mut Conn,
    account_id: &str,
    user_name: Option<&str>,
) -> Result<Vec<KeyMetadata>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM access_keys WHERE account_id = $1 AND user_name IS NOT DISTINCT FROM $2 ORDER BY created_ms, access_key_id"
    ))
    .bind(account_id)
    .bind(user_name)
    .fetch_all(conn)
    .await?)
}

/// Every IAM user's and the root user's keys in the account.
pub async fn account_keys(conn: &mut Conn, account_id: &str) -> Result<Vec<KeyMetadata>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM access_keys WHERE account_id = $1 ORDER BY created_ms, access_key_id"
    ))
    .bind(account_id)
    .fetch_all(conn)
    .await?)
}

/// One key's metadata.
pub async fn key_metadata(conn: &mut Conn, access_key_id: &str) -> Result<Option<KeyMetadata>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {KEY_COLUMNS} FROM access_keys WHERE access_key_id = $1"))
        .bind(access_key_id)
        .fetch_optional(conn)
        .await?)
}

/// Sets a key's status.
pub async fn set_key_status(conn: &mut Conn, access_key_id: &str, status: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE access_keys SET status = $1 WHERE access_key_id = $2")
        .bind(status)
        .bind(access_key_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a key.
pub async fn delete_key(conn: &mut Conn, access_key_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM access_keys WHERE access_key_id = $1").bind(access_key_id).execute(conn).await?;
    Ok(())
}

// ---- STS sessions --------------------------------------------------------------------------

const SESSION_COLUMNS: &str = "access_key_id, account_id, secret_sealed, token_mac, kind, arn, user_id, user_name, \
                               role_id, role_name, role_arn, session_name, session_policy, policy_arns, issued_ms, \
                               expires_ms";

/// Stores a session.
pub async fn insert_session(conn: &mut Conn, s: &Session) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO sts_sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    ))
    .bind(&s.access_key_id)
    .bind(&s.account_id)
    .bind(&s.secret_sealed)
    .bind(&s.token_mac)
    .bind(&s.kind)
    .bind(&s.arn)
    .bind(&s.user_id)
    .bind(&s.user_name)
    .bind(&s.role_id)
    .bind(&s.role_name)
    .bind(&s.role_arn)
    .bind(&s.session_name)
    .bind(&s.session_policy)
    .bind(&s.policy_arns)
    .bind(s.issued_ms)
    .bind(s.expires_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// A session by its access key id.
pub async fn session(conn: &mut Conn, access_key_id: &str) -> Result<Option<Session>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {SESSION_COLUMNS} FROM sts_sessions WHERE access_key_id = $1"))
        .bind(access_key_id)
        .fetch_optional(conn)
        .await?)
}

/// Forgets sessions that expired before `before_ms`.
pub async fn delete_sessions_expired_before(conn: &mut Conn, before_ms: i64) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM sts_sessions WHERE expires_ms < $1").bind(before_ms).execute(conn).await?;
    Ok(done.rows_affected())
}

// ---- credential reports --------------------------------------------------------------------

/// Stores the account's latest credential report.
pub async fn put_credential_report(
    conn: &mut Conn,
    account_id: &str,
    generated_ms: i64,
    content: &[u8],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO iam_credential_reports (account_id, generated_ms, content) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET generated_ms = excluded.generated_ms, content = excluded.content",
    )
    .bind(account_id)
    .bind(generated_ms)
    .bind(content)
    .execute(conn)
    .await?;
    Ok(())
}

/// The account's latest credential report: when it was generated, and the CSV.
pub async fn credential_report(conn: &mut Conn, account_id: &str) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
    Ok(sqlx::query_as("SELECT generated_ms, content FROM iam_credential_reports WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(conn)
        .await?)
}

// ---- last-accessed reports -----------------------------------------------------------------

/// A generated last-accessed report.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessReport {
    /// The job id (a UUID).
    pub job_id: String,
    /// The account it was generated in.
    pub account_id: String,
    /// The user, role, group or policy it is about.
    pub entity_arn: String,
    /// `SERVICE_LEVEL` or `ACTION_LEVEL`.
    pub granularity: String,
    /// When it was asked for, epoch ms.
    pub created_ms: i64,
    /// When it was complete, epoch ms.
    pub completed_ms: i64,
    /// The services, as the JSON list the report returns.
    pub services: String,
}

/// Keeps a report, dropping the account's reports created before `expired_before_ms`.
pub async fn put_access_report(conn: &mut Conn, r: &AccessReport, expired_before_ms: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM iam_access_reports WHERE account_id = $1 AND created_ms < $2")
        .bind(&r.account_id)
        .bind(expired_before_ms)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO iam_access_reports (job_id, account_id, entity_arn, granularity, created_ms, completed_ms, services) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&r.job_id)
    .bind(&r.account_id)
    .bind(&r.entity_arn)
    .bind(&r.granularity)
    .bind(r.created_ms)
    .bind(r.completed_ms)
    .bind(&r.services)
    .execute(conn)
    .await?;
    Ok(())
}

/// The account's report with this job id.
pub async fn access_report(
    conn: &mut Conn,
    account_id: &str,
    job_id: &str,
) -> Result<Option<AccessReport>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT job_id, account_id, entity_arn, granularity, created_ms, completed_ms, services \
         FROM iam_access_reports WHERE account_id = $1 AND job_id = $2",
    )
    .bind(account_id)
    .bind(job_id)
    .fetch_optional(conn)
    .await?)
}
