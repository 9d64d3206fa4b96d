//! A queue as the operations see it: the stored row with its attributes and tags parsed.

use super::attributes::QueueConfig;
use super::error::SqsError;
use super::names;
use aws_core::env::Env;
use aws_core::error::CommonError;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// How long a loaded queue is reused. Changes made through this server forget it at once; the
/// bound only matters for changes made by another node sharing the database (AWS itself takes
/// up to 60 seconds to propagate attribute changes).
const CACHE_TTL: Duration = Duration::from_secs(5);
/// Past this many entries the cache is cleared rather than grown.
const CACHE_MAX: usize = 10_000;

/// (account, region, name).
type Key = (String, String, String);

/// Recently loaded queues: a request looks its queue up twice (to authorize, then to run), and a
/// busy queue is looked up by every request, so the store is read once in a while instead.
#[derive(Debug, Default)]
pub(crate) struct QueueCache {
    entries: RwLock<HashMap<Key, (Instant, Arc<Queue>)>>,
}

impl QueueCache {
    fn get(&self, key: &Key) -> Option<Arc<Queue>> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.get(key).filter(|(at, _)| at.elapsed() < CACHE_TTL).map(|(_, q)| q.clone())
    }

    fn put(&self, key: Key, queue: Arc<Queue>) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CACHE_MAX {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), queue));
    }

    /// Forgets a queue that changed or went away.
    pub(crate) fn forget(&self, queue: &Queue) {
        let key = (queue.row.account_id.clone(), queue.row.region.clone(), queue.row.name.clone());
        self.entries.write().unwrap_or_else(PoisonError::into_inner).remove(&key);
    }
}

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

/// Loads a queue, from the cache or a reader connection.
pub(crate) async fn read(env: &Env, account: &str, region: &str, name: &str) -> Result<Option<Arc<Queue>>, SqsError> {
    let key = (account.to_owned(), region.to_owned(), name.to_owned());
    if let Some(hit) = super::shared(env).queues.get(&key) {
        return Ok(Some(hit));
    }
    let mut conn = env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let Some(queue) = load(&mut conn, account, region, name).await? else {
        return Ok(None);
    };
    let queue = Arc::new(queue);
    super::shared(env).queues.put(key, queue.clone());
    Ok(Some(queue))
}

/// Loads the queue a queue ARN names.
pub(crate) async fn read_by_arn(env: &Env, arn: &str) -> Result<Option<Arc<Queue>>, SqsError> {
    match names::parse_arn(arn) {
        Some(a) => read(env, &a.queue.account, &a.region, &a.queue.name).await,
        None => Ok(None),
    }
}
