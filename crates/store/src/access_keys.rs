//! Access keys: the root credentials of each account and, later, IAM users' keys.

use crate::{Conn, StoreError};

/// A stored access key. The secret stays sealed; only the server's key ring opens it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessKey {
    /// `AKIA...`.
    pub access_key_id: String,
    /// The owning account.
    pub account_id: String,
    /// The IAM user, or `None` for the root credentials.
    pub user_name: Option<String>,
    /// The secret, sealed under the master key.
    pub secret_sealed: Vec<u8>,
    /// `Active` or `Inactive`.
    pub status: String,
    /// When it was created.
    pub created_ms: i64,
}

/// Creates the account row.
pub async fn create_account(conn: &mut Conn, account_id: &str, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO accounts (account_id, created_ms) VALUES ($1, $2)")
        .bind(account_id)
        .bind(now_ms)
        .execute(conn)
        .await?;
    Ok(())
}

/// The accounts, oldest first.
pub async fn accounts(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT account_id FROM accounts ORDER BY created_ms, account_id").fetch_all(conn).await?)
}

/// Inserts a key.
pub async fn insert(conn: &mut Conn, key: &AccessKey) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO access_keys (access_key_id, account_id, user_name, secret_sealed, status, created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&key.access_key_id)
    .bind(&key.account_id)
    .bind(&key.user_name)
    .bind(&key.secret_sealed)
    .bind(&key.status)
    .bind(key.created_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Looks a key up by id.
pub async fn get(conn: &mut Conn, access_key_id: &str) -> Result<Option<AccessKey>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT access_key_id, account_id, user_name, secret_sealed, status, created_ms FROM access_keys WHERE access_key_id = $1",
    )
    .bind(access_key_id)
    .fetch_optional(conn)
    .await?)
}

/// The root key of an account (the first one made).
pub async fn root_key(conn: &mut Conn, account_id: &str) -> Result<Option<AccessKey>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT access_key_id, account_id, user_name, secret_sealed, status, created_ms FROM access_keys \
         WHERE account_id = $1 AND user_name IS NULL ORDER BY created_ms LIMIT 1",
    )
    .bind(account_id)
    .fetch_optional(conn)
    .await?)
}

/// Records where and when a key was last used (GetAccessKeyLastUsed).
pub async fn touch(
    conn: &mut Conn,
    access_key_id: &str,
    now_ms: i64,
    service: &str,
    region: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE access_keys SET last_used_ms = $1, last_used_service = $2, last_used_region = $3 WHERE access_key_id = $4",
    )
    .bind(now_ms)
    .bind(service)
    .bind(region)
    .bind(access_key_id)
    .execute(conn)
    .await?;
    Ok(())
}
