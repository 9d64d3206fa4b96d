//! The audit log: one record for every request that reached authentication. Never a secret.

use crate::{Conn, StoreError};
use serde::Serialize;

/// One audited request.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Record {
    /// When the request arrived (server clock), epoch ms.
    pub time_ms: i64,
    /// The request id returned to the caller.
    pub request_id: String,
    /// Who made it, when authentication got that far.
    pub principal_arn: Option<String>,
    /// The peer address.
    pub source_ip: String,
    /// `sts`, `iam`, ...
    pub service: String,
    /// The operation name, e.g. `GetCallerIdentity`.
    pub operation: String,
    /// `Allowed`, `Denied` (authentication or authorization refused) or `Error`.
    pub outcome: String,
    /// The error code returned, if any.
    pub error_code: Option<String>,
    /// The region the request was signed for, when it had one.
    pub region: Option<String>,
}

/// Which records to list.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Only this principal.
    pub principal_arn: Option<String>,
    /// Only this operation.
    pub operation: Option<String>,
    /// Only records at or after this time.
    pub since_ms: Option<i64>,
    /// At most this many, newest last.
    pub limit: i64,
}

/// Appends records in one statement each, inside the caller's transaction.
pub async fn append(conn: &mut Conn, records: &[Record]) -> Result<(), StoreError> {
    for r in records {
        sqlx::query(
            "INSERT INTO audit (time_ms, request_id, principal_arn, source_ip, service, operation, outcome, error_code, \
             region) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(r.time_ms)
        .bind(&r.request_id)
        .bind(&r.principal_arn)
        .bind(&r.source_ip)
        .bind(&r.service)
        .bind(&r.operation)
        .bind(&r.outcome)
        .bind(&r.error_code)
        .bind(&r.region)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Lists records matching `filter`, oldest first (the last `limit` of them).
pub async fn list(conn: &mut Conn, filter: &Filter) -> Result<Vec<Record>, StoreError> {
    let rows: Vec<Record> = sqlx::query_as(
        "SELECT time_ms, request_id, principal_arn, source_ip, service, operation, outcome, error_code, region FROM audit \
         WHERE ($1 IS NULL OR principal_arn = $1) AND ($2 IS NULL OR operation = $2) AND ($3 IS NULL OR time_ms >= $3) \
         ORDER BY id DESC LIMIT $4",
    )
    .bind(&filter.principal_arn)
    .bind(&filter.operation)
    .bind(filter.since_ms)
    .bind(filter.limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().rev().collect())
}

/// Whose records a last-accessed report reads.
#[derive(Debug, Clone)]
pub enum Who {
    /// One principal ARN (an IAM user).
    Exact(String),
    /// Every ARN starting with this text (a role's sessions: `arn:aws:sts::A:assumed-role/R/`).
    Prefix(String),
}

/// The newest audited request of one principal to one operation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LastAccess {
    /// Who made it.
    pub principal_arn: String,
    /// `sts`, `iam`, ...
    pub service: String,
    /// The operation name.
    pub operation: String,
    /// The region it was signed for.
    pub region: Option<String>,
    /// When, epoch ms.
    pub time_ms: i64,
}

/// For each principal in `who`, service and operation, its newest request at or after
/// `since_ms`, whatever its outcome (an attempt counts as an access, as in IAM's reports).
pub async fn last_accessed(conn: &mut Conn, who: &[Who], since_ms: i64) -> Result<Vec<LastAccess>, StoreError> {
    let mut out = Vec::new();
    for w in who {
        // A range on the index rather than LIKE, whose `_` and `%` ARNs may contain. Every
        // prefix ends in `/`, and `0` is the character after it.
        let (low, high) = match w {
            Who::Exact(arn) => (arn.clone(), None),
            Who::Prefix(p) => (p.clone(), Some(format!("{}0", p.strip_suffix('/').unwrap_or(p)))),
        };
        // The region comes from the newest row of each (principal, service, operation).
        let rows: Vec<LastAccess> = sqlx::query_as(
            "SELECT principal_arn, service, operation, region, time_ms FROM ( \
               SELECT principal_arn, service, operation, region, time_ms, ROW_NUMBER() OVER ( \
                 PARTITION BY principal_arn, service, operation ORDER BY time_ms DESC, id DESC) AS n FROM audit \
               WHERE (($2 IS NULL AND principal_arn = $1) OR ($2 IS NOT NULL AND principal_arn >= $1 AND principal_arn < $2)) \
               AND time_ms >= $3) AS newest WHERE n = 1",
        )
        .bind(&low)
        .bind(&high)
        .bind(since_ms)
        .fetch_all(&mut *conn)
        .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Appends audit records with group commit: callers wait until their record is durable, while
/// concurrent records share one transaction. A request is acknowledged only after its record is
/// committed, so a crash never loses the record of an acknowledged request, and the single SQLite
/// writer is not hammered with one transaction per request.
#[derive(Debug, Clone)]
pub struct AuditLog {
    tx: tokio::sync::mpsc::Sender<(Record, tokio::sync::oneshot::Sender<Result<(), String>>)>,
}

/// How many records one commit takes at most.
const BATCH: usize = 512;

impl AuditLog {
    /// Starts the writer task on `store`.
    pub fn start(store: crate::Store) -> Self {
        let (tx, mut rx) =
            tokio::sync::mpsc::channel::<(Record, tokio::sync::oneshot::Sender<Result<(), String>>)>(4096);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut batch, BATCH).await > 0 {
                let records: Vec<Record> = batch.iter().map(|(r, _)| r.clone()).collect();
                let result = async {
                    let mut t = store.begin().await?;
                    append(&mut t, &records).await?;
                    t.commit().await?;
                    Ok::<_, StoreError>(())
                }
                .await
                .map_err(|e| e.to_string());
                if let Err(e) = &result {
                    tracing::error!(error = %e, records = records.len(), "audit write failed");
                }
                for (_, done) in batch.drain(..) {
                    let _ = done.send(result.clone());
                }
            }
        });
        Self { tx }
    }

    /// Appends `record` and waits until it is committed.
    pub async fn record(&self, record: Record) -> Result<(), StoreError> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.tx.send((record, done)).await.map_err(|_| StoreError::Unavailable("audit writer stopped".into()))?;
        wait.await.map_err(|_| StoreError::Unavailable("audit writer stopped".into()))?.map_err(StoreError::Unavailable)
    }
}
