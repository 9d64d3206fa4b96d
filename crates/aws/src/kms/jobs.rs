//! Scheduled key work: deletion at the end of the waiting period, automatic rotation.
//!
//! Both jobs carry only the key id and re-read the key, so a job that outlived a change
//! (deletion cancelled, rotation disabled or moved) finds nothing to do. Each attempt runs in
//! one transaction: running it twice does no harm.

use super::keys::{self, ENABLED, PENDING_DELETION};
use super::{DELETE_JOB, ROTATE_JOB, manage};
use crate::env::Env;
use serde::Deserialize;
use std::sync::Arc;
use store::StoreError;
use store::jobs::{Handler, Job, Outcome};

/// Runs [`DELETE_JOB`] and [`ROTATE_JOB`].
#[derive(Debug)]
pub struct KeyLifecycle {
    env: Arc<Env>,
}

impl KeyLifecycle {
    /// A handler over `env`.
    pub fn new(env: Arc<Env>) -> Self {
        Self { env }
    }
}

#[derive(Deserialize)]
struct Payload {
    key_id: String,
}

#[async_trait::async_trait]
impl Handler for KeyLifecycle {
    async fn run(&self, job: &Job) -> Result<Outcome, StoreError> {
        let Ok(payload) = serde_json::from_str::<Payload>(&job.payload) else {
            tracing::error!(id = job.id, "a KMS job with an unreadable payload; dropping it");
            return Ok(Outcome::Done);
        };
        let now = self.env.now_ms();
        let mut tx = self.env.store.begin().await?;
        let Some(mut key) = store::kms::get_key_by_id(&mut tx, &payload.key_id).await? else {
            return Ok(Outcome::Done);
        };
        match job.kind.as_str() {
            DELETE_JOB if key.key_state == PENDING_DELETION && key.deletion_ms.is_some_and(|d| d <= now) => {
                store::kms::delete_key(&mut tx, &key.key_id).await?;
                tracing::info!(key_id = %key.key_id, "deleted a KMS key at the end of its waiting period");
            }
            ROTATE_JOB if key.key_state == ENABLED => {
                if let (Some(days), Some(next)) = (key.rotation_period_days, key.next_rotation_ms)
                    && next <= now
                {
                    let due = next + days * keys::DAY_MS;
                    key.next_rotation_ms = Some(due);
                    if let Err(e) = manage::rotate(&self.env, &mut tx, &mut key, "AUTOMATIC", now).await {
                        tracing::error!(key_id = %key.key_id, error = %e, "automatic rotation failed");
                        return Ok(Outcome::RetryAt { due_ms: now + 60_000, error: e.to_string() });
                    }
                    if keys::schedule(&mut tx, ROTATE_JOB, &key.key_id, due, now).await.is_err() {
                        return Ok(Outcome::RetryAt { due_ms: now + 60_000, error: "could not schedule".into() });
                    }
                }
            }
            // Stale: the key left the state this job was queued for. A disabled key's rotation
            // happens when it is enabled again.
            _ => {}
        }
        tx.commit().await?;
        Ok(Outcome::Done)
    }
}
