//! A small, explicit migration runner: numbered SQL files embedded in the binary, each applied
//! once in its own transaction, and a refusal to touch a store written by a newer version.

use crate::StoreError;
use sqlx::SqlitePool;

/// (version, name, SQL), in order.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../migrations/0001_foundation.sql")),
    (2, "iam", include_str!("../migrations/0002_iam.sql")),
    (3, "kms", include_str!("../migrations/0003_kms.sql")),
    (4, "ssm", include_str!("../migrations/0004_ssm.sql")),
    (5, "sqs", include_str!("../migrations/0005_sqs.sql")),
    (6, "events", include_str!("../migrations/0006_events.sql")),
    (7, "sns", include_str!("../migrations/0007_sns.sql")),
    (8, "delivery", include_str!("../migrations/0008_delivery.sql")),
    (9, "sp", include_str!("../migrations/0009_sp.sql")),
    (10, "ssm-settings", include_str!("../migrations/0010_ssm_settings.sql")),
    (11, "review", include_str!("../migrations/0011_review.sql")),
    (12, "portability", include_str!("../migrations/0012_portability.sql")),
    (13, "access-advisor", include_str!("../migrations/0013_access_advisor.sql")),
    (14, "organizations", include_str!("../migrations/0014_organizations.sql")),
    (15, "console", include_str!("../migrations/0015_console.sql")),
    (16, "logs", include_str!("../migrations/0016_logs.sql")),
    (17, "lambda", include_str!("../migrations/0017_lambda.sql")),
    (18, "cloudformation", include_str!("../migrations/0018_cloudformation.sql")),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

pub(crate) async fn run(pool: &SqlitePool, path: &str) -> Result<(), StoreError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)",
    )
    .execute(pool)
    .await?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations").fetch_all(pool).await?;
    let found = applied.iter().copied().max().unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema { path: path.to_owned(), found, supported: SCHEMA_VERSION });
    }
    // Every migration not yet applied, not only those above the highest: features developed in
    // parallel may land in a different order than their numbers.
    for &(version, name, sql) in MIGRATIONS.iter().filter(|m| !applied.contains(&m.0)) {
        let mut tx = pool.begin().await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)")
            .bind(version)
            .bind(name)
            .bind(crate::clock::wall_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied store migration");
    }
    Ok(())
}
