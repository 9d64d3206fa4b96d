//! Resource tags of the services that keep them in a table of their own of one shape: a resource,
//! a tag key and its value, one row per tag (KMS keys, SNS topics, EventBridge buses and rules).

use crate::{Conn, StoreError};

/// One service's tag table and its column names.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    name: &'static str,
    resource: &'static str,
    key: &'static str,
    value: &'static str,
}

/// KMS keys' tags, by key id.
pub const KMS: Table = Table { name: "kms_tags", resource: "key_id", key: "tag_key", value: "tag_value" };
/// SNS topics' tags, by ARN.
pub const SNS: Table = Table { name: "sns_tags", resource: "arn", key: "key", value: "value" };
/// EventBridge buses' and rules' tags, by ARN.
pub const EVENTS: Table = Table { name: "events_tags", resource: "arn", key: "key", value: "value" };

impl Table {
    /// The tags of `resource`, by key.
    pub async fn list(&self, conn: &mut Conn, resource: &str) -> Result<Vec<(String, String)>, StoreError> {
        let Table { name, resource: r, key, value } = self;
        Ok(sqlx::query_as(&format!("SELECT {key}, {value} FROM {name} WHERE {r} = $1 ORDER BY {key}"))
            .bind(resource)
            .fetch_all(conn)
            .await?)
    }

    /// Sets tags on `resource`, replacing the values of keys it already has.
    pub async fn put(&self, conn: &mut Conn, resource: &str, tags: &[(String, String)]) -> Result<(), StoreError> {
        let Table { name, resource: r, key, value } = self;
        let sql = format!(
            "INSERT INTO {name} ({r}, {key}, {value}) VALUES ($1, $2, $3) \
             ON CONFLICT ({r}, {key}) DO UPDATE SET {value} = excluded.{value}"
        );
        for (k, v) in tags {
            sqlx::query(&sql).bind(resource).bind(k).bind(v).execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Removes the tags of `keys` from `resource` (absent ones are no error).
    pub async fn remove(&self, conn: &mut Conn, resource: &str, keys: &[String]) -> Result<(), StoreError> {
        let Table { name, resource: r, key, .. } = self;
        let sql = format!("DELETE FROM {name} WHERE {r} = $1 AND {key} = $2");
        for k in keys {
            sqlx::query(&sql).bind(resource).bind(k).execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Removes every tag of `resource`.
    pub async fn clear(&self, conn: &mut Conn, resource: &str) -> Result<(), StoreError> {
        let Table { name, resource: r, .. } = self;
        sqlx::query(&format!("DELETE FROM {name} WHERE {r} = $1")).bind(resource).execute(conn).await?;
        Ok(())
    }
}
