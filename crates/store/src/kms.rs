//! KMS keys, their sealed material versions, aliases and tags.

use crate::{Conn, StoreError};

/// A KMS key's metadata and policy.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Key {
    /// The key id (a UUID).
    pub key_id: String,
    /// The owning account.
    pub account_id: String,
    /// The key's region.
    pub region: String,
    /// `arn:aws:kms:REGION:ACCOUNT:key/ID`.
    pub arn: String,
    /// The description.
    pub description: String,
    /// `ENCRYPT_DECRYPT`.
    pub key_usage: String,
    /// `SYMMETRIC_DEFAULT`.
    pub key_spec: String,
    /// `Enabled`, `Disabled` or `PendingDeletion`.
    pub key_state: String,
    /// `CUSTOMER` or `AWS`.
    pub key_manager: String,
    /// `AWS_KMS`.
    pub origin: String,
    /// The key policy document.
    pub policy: String,
    /// When it was created.
    pub created_ms: i64,
    /// When it will be deleted, while pending deletion.
    pub deletion_ms: Option<i64>,
    /// The waiting period chosen, while pending deletion.
    pub pending_window_days: Option<i64>,
    /// The automatic rotation period, while automatic rotation is enabled.
    pub rotation_period_days: Option<i64>,
    /// When automatic rotation next happens, while enabled.
    pub next_rotation_ms: Option<i64>,
    /// The material version that encrypts.
    pub current_version: i64,
}

/// One version of a key's material, sealed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Material {
    /// The key.
    pub key_id: String,
    /// The version (1 for the original material).
    pub version: i64,
    /// The material sealed under the master key.
    pub material_sealed: Vec<u8>,
    /// The public `KeyMaterialId`.
    pub material_id: String,
    /// When it was created.
    pub created_ms: i64,
    /// `AUTOMATIC` or `ON_DEMAND` for rotations; `None` for the original.
    pub rotation_type: Option<String>,
}

/// An alias.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Alias {
    /// `alias/...`.
    pub alias_name: String,
    /// The key it points at.
    pub target_key_id: String,
    /// When it was created.
    pub created_ms: i64,
    /// When it last changed target.
    pub updated_ms: i64,
}

const KEY_COLUMNS: &str = "key_id, account_id, region, arn, description, key_usage, key_spec, key_state, key_manager, \
    origin, policy, created_ms, deletion_ms, pending_window_days, rotation_period_days, next_rotation_ms, current_version";

/// Inserts a key (without material; see [`insert_material`]).
pub async fn insert_key(conn: &mut Conn, key: &Key) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO kms_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    ))
    .bind(&key.key_id)
    .bind(&key.account_id)
    .bind(&key.region)
    .bind(&key.arn)
    .bind(&key.description)
    .bind(&key.key_usage)
    .bind(&key.key_spec)
    .bind(&key.key_state)
    .bind(&key.key_manager)
    .bind(&key.origin)
    .bind(&key.policy)
    .bind(key.created_ms)
    .bind(key.deletion_ms)
    .bind(key.pending_window_days)
    .bind(key.rotation_period_days)
    .bind(key.next_rotation_ms)
    .bind(key.current_version)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes back every mutable field of `key` (state, description, policy, deletion, rotation,
/// current version).
pub async fn update_key(conn: &mut Conn, key: &Key) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE kms_keys SET description = $1, key_state = $2, policy = $3, deletion_ms = $4, pending_window_days = $5, \
         rotation_period_days = $6, next_rotation_ms = $7, current_version = $8 WHERE key_id = $9",
    )
    .bind(&key.description)
    .bind(&key.key_state)
    .bind(&key.policy)
    .bind(key.deletion_ms)
    .bind(key.pending_window_days)
    .bind(key.rotation_period_days)
    .bind(key.next_rotation_ms)
    .bind(key.current_version)
    .bind(&key.key_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The key `key_id` of `account_id` in `region`.
pub async fn get_key(conn: &mut Conn, account_id: &str, region: &str, key_id: &str) -> Result<Option<Key>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM kms_keys WHERE key_id = $1 AND account_id = $2 AND region = $3"
    ))
    .bind(key_id)
    .bind(account_id)
    .bind(region)
    .fetch_optional(conn)
    .await?)
}

/// The key `key_id`, whatever its account (for background jobs that carry only the id).
pub async fn get_key_by_id(conn: &mut Conn, key_id: &str) -> Result<Option<Key>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {KEY_COLUMNS} FROM kms_keys WHERE key_id = $1"))
        .bind(key_id)
        .fetch_optional(conn)
        .await?)
}

/// Up to `limit` keys of the account and region with ids after `after`, in id order.
pub async fn list_keys(
    conn: &mut Conn,
    account_id: &str,
    region: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<Key>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM kms_keys WHERE account_id = $1 AND region = $2 AND key_id > $3 ORDER BY key_id LIMIT $4"
    ))
    .bind(account_id)
    .bind(region)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Deletes a key with its material, aliases and tags. Returns whether it existed.
pub async fn delete_key(conn: &mut Conn, key_id: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query("DELETE FROM kms_keys WHERE key_id = $1").bind(key_id).execute(conn).await?.rows_affected() > 0)
}

/// Adds a material version.
pub async fn insert_material(conn: &mut Conn, material: &Material) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO kms_key_material (key_id, version, material_sealed, material_id, created_ms, rotation_type) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&material.key_id)
    .bind(material.version)
    .bind(&material.material_sealed)
    .bind(&material.material_id)
    .bind(material.created_ms)
    .bind(&material.rotation_type)
    .execute(conn)
    .await?;
    Ok(())
}

/// One material version of a key.
pub async fn get_material(conn: &mut Conn, key_id: &str, version: i64) -> Result<Option<Material>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT key_id, version, material_sealed, material_id, created_ms, rotation_type FROM kms_key_material \
         WHERE key_id = $1 AND version = $2",
    )
    .bind(key_id)
    .bind(version)
    .fetch_optional(conn)
    .await?)
}

/// Every material version of a key, oldest first.
pub async fn list_materials(conn: &mut Conn, key_id: &str) -> Result<Vec<Material>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT key_id, version, material_sealed, material_id, created_ms, rotation_type FROM kms_key_material \
         WHERE key_id = $1 ORDER BY version",
    )
    .bind(key_id)
    .fetch_all(conn)
    .await?)
}

/// How many on-demand rotations a key has had.
pub async fn count_on_demand_rotations(conn: &mut Conn, key_id: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM kms_key_material WHERE key_id = $1 AND rotation_type = 'ON_DEMAND'")
        .bind(key_id)
        .fetch_one(conn)
        .await?)
}

/// Creates an alias.
pub async fn insert_alias(conn: &mut Conn, account_id: &str, region: &str, alias: &Alias) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO kms_aliases (account_id, region, alias_name, target_key_id, created_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account_id)
    .bind(region)
    .bind(&alias.alias_name)
    .bind(&alias.target_key_id)
    .bind(alias.created_ms)
    .bind(alias.updated_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The alias `alias_name` of the account and region.
pub async fn get_alias(
    conn: &mut Conn,
    account_id: &str,
    region: &str,
    alias_name: &str,
) -> Result<Option<Alias>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT alias_name, target_key_id, created_ms, updated_ms FROM kms_aliases \
         WHERE account_id = $1 AND region = $2 AND alias_name = $3",
    )
    .bind(account_id)
    .bind(region)
    .bind(alias_name)
    .fetch_optional(conn)
    .await?)
}

/// The aliases of the account and region (of one key when `target` is set), by name.
pub async fn list_aliases(
    conn: &mut Conn,
    account_id: &str,
    region: &str,
    target: Option<&str>,
) -> Result<Vec<Alias>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT alias_name, target_key_id, created_ms, updated_ms FROM kms_aliases \
         WHERE account_id = $1 AND region = $2 AND ($3 IS NULL OR target_key_id = $3) ORDER BY alias_name",
    )
    .bind(account_id)
    .bind(region)
    .bind(target)
    .fetch_all(conn)
    .await?)
}

/// Points an alias at another key.
pub async fn retarget_alias(
    conn: &mut Conn,
    account_id: &str,
    region: &str,
    alias_name: &str,
    target_key_id: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE kms_aliases SET target_key_id = $1, updated_ms = $2 WHERE account_id = $3 AND region = $4 AND alias_name = $5",
    )
    .bind(target_key_id)
    .bind(now_ms)
    .bind(account_id)
    .bind(region)
    .bind(alias_name)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes an alias. Returns whether it existed.
pub async fn delete_alias(
    conn: &mut Conn,
    account_id: &str,
    region: &str,
    alias_name: &str,
) -> Result<bool, StoreError> {
    Ok(sqlx::query("DELETE FROM kms_aliases WHERE account_id = $1 AND region = $2 AND alias_name = $3")
        .bind(account_id)
        .bind(region)
        .bind(alias_name)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}
