//! A small, explicit migration runner: numbered SQL files embedded in the binary, each applied
//! once in its own transaction, and a refusal to touch a store written by a newer version.
//!
//! Each migration exists for both engines under the same number and name (`migrations/` for
//! SQLite, `migrations/postgres/` for PostgreSQL); the two schemas have the same tables and
//! columns, which a test holds. On PostgreSQL the runner holds an advisory lock, so that nodes
//! starting at once (or a new version rolling out) migrate one after the other, and each sees
//! what the one before it applied.

use crate::{Backend, StoreError};
use sqlx::{Acquire, AnyPool};

/// A migration: its version, name, and SQL for SQLite and for PostgreSQL.
struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

macro_rules! migrations {
    ($(($version:literal, $name:literal, $file:literal)),* $(,)?) => {
        &[$(Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../migrations/", $file)),
            postgres: include_str!(concat!("../migrations/postgres/", $file)),
        }),*]
    };
}

/// In order.
const MIGRATIONS: &[Migration] = migrations![
    (1, "foundation", "0001_foundation.sql"),
    (2, "iam", "0002_iam.sql"),
    (3, "kms", "0003_kms.sql"),
    (4, "ssm", "0004_ssm.sql"),
    (5, "sqs", "0005_sqs.sql"),
    (6, "events", "0006_events.sql"),
    (7, "sns", "0007_sns.sql"),
    (8, "delivery", "0008_delivery.sql"),
    (9, "sp", "0009_sp.sql"),
    (10, "ssm-settings", "0010_ssm_settings.sql"),
    (11, "review", "0011_review.sql"),
    (12, "portability", "0012_portability.sql"),
    (13, "access-advisor", "0013_access_advisor.sql"),
    (14, "organizations", "0014_organizations.sql"),
    (15, "console", "0015_console.sql"),
    (16, "logs", "0016_logs.sql"),
    (17, "lambda", "0017_lambda.sql"),
    (18, "cloudformation", "0018_cloudformation.sql"),
    (19, "secret-order", "0019_secret_order.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// The advisory lock the migrations run under on PostgreSQL.
const MIGRATE_LOCK: i64 = 0x7370_6372_6564_0002;

pub(crate) async fn run(pool: &AnyPool, backend: Backend, location: &str) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await?;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)").bind(MIGRATE_LOCK).execute(&mut *conn).await?;
    }
    let result = apply(&mut conn, backend, location).await;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATE_LOCK).execute(&mut *conn).await?;
    }
    result
}

async fn apply(conn: &mut sqlx::AnyConnection, backend: Backend, location: &str) -> Result<(), StoreError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations").fetch_all(&mut *conn).await?;
    let found = applied.iter().copied().max().unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema { path: location.to_owned(), found, supported: SCHEMA_VERSION });
    }
    // Every migration not yet applied, not only those above the highest: features developed in
    // parallel may land in a different order than their numbers.
    for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let sql = match backend {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        let mut tx = conn.begin().await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(crate::clock::wall_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "applied store migration");
    }
    Ok(())
}
