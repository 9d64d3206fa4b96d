//! Store-wide values: the master-key check blob, the account id, the admin token's verifier.

use crate::{Conn, StoreError};

/// Reads a value.
pub async fn get(conn: &mut Conn, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1").bind(key).fetch_optional(conn).await?)
}

/// Writes a value, replacing any previous one.
pub async fn put(conn: &mut Conn, key: &str, value: &[u8]) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}
