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
            "INSERT INTO audit (time_ms, request_id, principal_arn, source_ip, service, operation, outcome, error_code) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.time_ms)
        .bind(&r.request_id)
        .bind(&r.principal_arn)
        .bind(&r.source_ip)
        .bind(&r.service)
        .bind(&r.operation)
        .bind(&r.outcome)
        .bind(&r.error_code)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Lists records matching `filter`, oldest first (the last `limit` of them).
pub async fn list(conn: &mut Conn, filter: &Filter) -> Result<Vec<Record>, StoreError> {
    let rows: Vec<Record> = sqlx::query_as(
        "SELECT time_ms, request_id, principal_arn, source_ip, service, operation, outcome, error_code FROM audit \
         WHERE (?1 IS NULL OR principal_arn = ?1) AND (?2 IS NULL OR operation = ?2) AND (?3 IS NULL OR time_ms >= ?3) \
         ORDER BY id DESC LIMIT ?4",
    )
    .bind(&filter.principal_arn)
    .bind(&filter.operation)
    .bind(filter.since_ms)
    .bind(filter.limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().rev().collect())
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
