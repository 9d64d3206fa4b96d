//! The job queue: scheduled work and the transactional outbox in one table.
//!
//! A service that changes state and must cause something later (deliver an event, fire a
//! parameter policy, expire a key) enqueues a job in the same transaction as the change, so the
//! two commit or vanish together. Workers claim due jobs under a wall-clock lease, run them, and
//! either complete them or reschedule them with the error kept; a worker that dies mid-job leaves
//! the lease to lapse and the job runs again. Delivery is therefore at least once.

use crate::{Conn, StoreError};

/// How long a claimed job stays invisible to other workers (wall clock).
pub const LEASE_MS: i64 = 60_000;

/// A queued job.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    /// Row id.
    pub id: i64,
    /// Handler name, e.g. `events.deliver`.
    pub kind: String,
    /// When it is due (server clock), epoch ms.
    pub due_ms: i64,
    /// JSON payload for the handler.
    pub payload: String,
    /// Attempts made so far.
    pub attempts: i64,
}

/// Queues a job.
pub async fn enqueue(conn: &mut Conn, kind: &str, due_ms: i64, payload: &str, now_ms: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("INSERT INTO jobs (kind, due_ms, payload, created_ms) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(kind)
        .bind(due_ms)
        .bind(payload)
        .bind(now_ms)
        .fetch_one(conn)
        .await?)
}

/// Claims up to `limit` jobs due at `now_ms` that no live lease holds, leasing them until
/// `wall_ms + LEASE_MS`.
pub async fn claim_due(conn: &mut Conn, now_ms: i64, wall_ms: i64, limit: i64) -> Result<Vec<Job>, StoreError> {
    Ok(sqlx::query_as(
        "UPDATE jobs SET lease_until = $3 WHERE id IN (\
            SELECT id FROM jobs WHERE due_ms <= $1 AND (lease_until IS NULL OR lease_until < $2) ORDER BY due_ms, id LIMIT $4) \
         RETURNING id, kind, due_ms, payload, attempts",
    )
    .bind(now_ms)
    .bind(wall_ms)
    .bind(wall_ms + LEASE_MS)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Removes a finished job.
pub async fn complete(conn: &mut Conn, id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM jobs WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

/// Reschedules a failed attempt.
pub async fn retry(conn: &mut Conn, id: i64, due_ms: i64, error: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE jobs SET due_ms = $1, attempts = attempts + 1, last_error = $2, lease_until = NULL WHERE id = $3",
    )
    .bind(due_ms)
    .bind(error)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes the jobs of `kind` whose payload equals `payload` (e.g. a parameter's pending policy
/// timers when it changes). Returns how many were removed.
pub async fn cancel(conn: &mut Conn, kind: &str, payload: &str) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM jobs WHERE kind = $1 AND payload = $2")
        .bind(kind)
        .bind(payload)
        .execute(conn)
        .await?
        .rows_affected())
}

/// The earliest due time of any job not under a live lease, for the worker's sleep.
pub async fn next_due(conn: &mut Conn, wall_ms: i64) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar("SELECT MIN(due_ms) FROM jobs WHERE lease_until IS NULL OR lease_until < $1")
        .bind(wall_ms)
        .fetch_one(conn)
        .await?)
}

/// The queued jobs of `kind`, oldest first, at most `limit` (for admin inspection).
pub async fn list(conn: &mut Conn, kind: &str, limit: i64) -> Result<Vec<Job>, StoreError> {
    Ok(sqlx::query_as("SELECT id, kind, due_ms, payload, attempts FROM jobs WHERE kind = $1 ORDER BY id LIMIT $2")
        .bind(kind)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// How many jobs are queued (for metrics and tests).
pub async fn count(conn: &mut Conn) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM jobs").fetch_one(conn).await?)
}

/// What a job handler reports about one attempt.
#[derive(Debug)]
pub enum Outcome {
    /// Done: the job is removed.
    Done,
    /// Try again at `due_ms` (server clock); the error is kept on the job.
    RetryAt {
        /// When to try again.
        due_ms: i64,
        /// Why this attempt failed.
        error: String,
    },
}

/// Runs the jobs of one kind. Handlers must be idempotent: a job may run more than once.
#[async_trait::async_trait]
pub trait Handler: Send + Sync {
    /// Runs one attempt of `job`. An `Err` is a failure of our own (the store); the job stays
    /// queued and runs again after its lease lapses.
    async fn run(&self, job: &Job) -> Result<Outcome, StoreError>;
}
