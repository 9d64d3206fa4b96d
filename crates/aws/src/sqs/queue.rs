//! A queue as the operations see it: the stored row with its attributes and tags parsed.

use super::attributes::QueueConfig;
use super::error::SqsError;
use super::names;
use crate::env::Env;
use crate::error::CommonError;
use std::collections::BTreeMap;

/// A loaded queue.
#[derive(Debug, Clone)]
pub(crate) struct Queue {
    pub row: store::sqs::Queue,
    pub config: QueueConfig,
    pub tags: BTreeMap<String, String>,
}

fn corrupt(what: &str, e: &serde_json::Error) -> SqsError {
    tracing::error!(error = %e, "a stored SQS queue's {what} do not parse");
    SqsError::Common(CommonError::Internal)
}

impl Queue {
    pub(crate) fn from_row(row: store::sqs::Queue) -> Result<Self, SqsError> {
        let config = serde_json::from_str(&row.attributes).map_err(|e| corrupt("attributes", &e))?;
        let tags = serde_json::from_str(&row.tags).map_err(|e| corrupt("tags", &e))?;
        Ok(Self { row, config, tags })
    }

    pub(crate) fn id(&self) -> i64 {
        self.row.id
    }

    pub(crate) fn name(&self) -> &str {
        &self.row.name
    }

    pub(crate) fn fifo(&self) -> bool {
        self.row.fifo
    }

    pub(crate) fn arn(&self) -> String {
        names::arn(&self.row.region, &self.row.account_id, &self.row.name)
    }

    pub(crate) fn url(&self, host: &str, secure: bool) -> String {
        names::url(host, secure, &self.row.account_id, &self.row.name)
    }

    /// Messages that entered the queue at or before this time have outlived its retention period.
    pub(crate) fn retention_cutoff(&self, now_ms: i64) -> i64 {
        now_ms.saturating_sub(self.config.message_retention_period.saturating_mul(1000))
    }
}

/// Loads a queue on `conn` (a reader, or the caller's transaction).
pub(crate) async fn load(
    conn: &mut store::Conn,
    account: &str,
    region: &str,
    name: &str,
) -> Result<Option<Queue>, SqsError> {
    store::sqs::queue(conn, account, region, name).await?.map(Queue::from_row).transpose()
}

/// Loads a queue from a reader connection.
pub(crate) async fn read(env: &Env, account: &str, region: &str, name: &str) -> Result<Option<Queue>, SqsError> {
    let mut conn = env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    load(&mut conn, account, region, name).await
}

/// Loads the queue a queue ARN names.
pub(crate) async fn read_by_arn(env: &Env, arn: &str) -> Result<Option<Queue>, SqsError> {
    match names::parse_arn(arn) {
        Some(a) => read(env, &a.queue.account, &a.region, &a.queue.name).await,
        None => Ok(None),
    }
}
