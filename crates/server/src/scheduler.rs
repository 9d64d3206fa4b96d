//! Runs queued jobs (scheduled work and the outbox) when they fall due on the server's clock.
//!
//! One pass at a time: a pass claims what is due, runs it, and records the outcome. In test mode,
//! advancing the virtual clock runs passes until nothing due is left, and because passes take
//! the same lock, it also waits for any pass already under way: when the advance returns,
//! everything that became due has run.

use futures::StreamExt as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use store::jobs::{self, Handler, Job, Outcome};
use store::{Clock, Store, StoreError, clock::wall_ms};
use tokio::sync::{Mutex, Notify};

/// Jobs claimed per pass.
const BATCH: i64 = 64;
/// Jobs of a pass run at the same time.
const PARALLEL: usize = 16;
/// The longest the worker sleeps without looking (other nodes may have queued work).
const MAX_SLEEP: Duration = Duration::from_secs(1);
/// When no handler knows a job's kind (a newer node queued it), look again this much later.
const UNKNOWN_KIND_RETRY_MS: i64 = 3_600_000;

/// The job runner.
pub struct Scheduler {
    store: Store,
    clock: Arc<dyn Clock>,
    handlers: HashMap<&'static str, Arc<dyn Handler>>,
    pass: Mutex<()>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler").field("kinds", &self.handlers.keys().collect::<Vec<_>>()).finish_non_exhaustive()
    }
}

impl Scheduler {
    /// A scheduler with no handlers.
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock, handlers: HashMap::new(), pass: Mutex::new(()), wake: Arc::new(Notify::new()) }
    }

    /// Wakes on `signal` too (services signal when they queue work due now).
    pub fn wake_on(&mut self, signal: Arc<Notify>) {
        self.wake = signal;
    }

    /// Routes jobs of `kind` to `handler`.
    pub fn register(&mut self, kind: &'static str, handler: Arc<dyn Handler>) {
        self.handlers.insert(kind, handler);
    }

    /// Asks the worker to look for due work now (after enqueueing something due soon).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    async fn run_job(&self, job: &Job) -> Result<(), StoreError> {
        let outcome = if let Some(handler) = self.handlers.get(job.kind.as_str()) {
            handler.run(job).await
        } else {
            tracing::error!(kind = %job.kind, id = job.id, "no handler for this job kind; keeping it");
            Ok(Outcome::RetryAt { due_ms: self.clock.now_ms() + UNKNOWN_KIND_RETRY_MS, error: "no handler".into() })
        };
        let mut tx = self.store.begin().await?;
        match outcome {
            Ok(Outcome::Done) => jobs::complete(&mut tx, job.id).await?,
            Ok(Outcome::RetryAt { due_ms, error }) => {
                tracing::warn!(kind = %job.kind, id = job.id, attempt = job.attempts + 1, %error, "job attempt failed; will retry");
                metrics::counter!("spcred_job_retries_total", "kind" => job.kind.clone()).increment(1);
                jobs::retry(&mut tx, job.id, due_ms, &error).await?;
            }
            // Left leased: it runs again when the lease lapses.
            Err(e) => tracing::error!(kind = %job.kind, id = job.id, error = %e, "job failed on a store error"),
        }
        tx.commit().await?;
        Ok(())
    }

    async fn pass_locked(&self) -> Result<usize, StoreError> {
        let mut tx = self.store.begin().await?;
        let claimed = jobs::claim_due(&mut tx, self.clock.now_ms(), wall_ms(), BATCH).await?;
        tx.commit().await?;
        // Jobs of a pass are independent; running them side by side keeps one slow endpoint
        // (an HTTP subscriber taking its 15 seconds) from holding up every other delivery.
        let count = claimed.len();
        let runs = claimed.into_iter().map(|job| async move { self.run_job(&job).await });
        let results: Vec<Result<(), StoreError>> =
            futures::stream::iter(runs).buffer_unordered(PARALLEL).collect().await;
        results.into_iter().collect::<Result<(), StoreError>>()?;
        Ok(count)
    }

    /// Runs passes until nothing is due, waiting for any pass already under way.
    pub async fn run_until_idle(&self) -> Result<(), StoreError> {
        let _pass = self.pass.lock().await;
        while self.pass_locked().await? > 0 {}
        Ok(())
    }

    /// The background worker, until `shutdown` resolves.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(e) = self.run_until_idle().await {
                tracing::error!(error = %e, "scheduler pass failed");
            }
            let sleep = match self.next_due().await {
                Some(due) => {
                    Duration::from_millis(u64::try_from(due - self.clock.now_ms()).unwrap_or(0)).min(MAX_SLEEP)
                }
                None => MAX_SLEEP,
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(sleep) => {}
            }
        }
    }

    async fn next_due(&self) -> Option<i64> {
        let mut conn = self.store.reader().acquire().await.ok()?;
        jobs::next_due(&mut conn, wall_ms()).await.ok().flatten()
    }
}
