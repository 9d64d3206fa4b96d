//! Scheduled key work: deletion at the end of the waiting period, automatic rotation.
//!
//! Both jobs carry only the key id and re-read the key, so a job that outlived a change
//! (deletion cancelled, rotation disabled or moved) finds nothing to do. Each attempt runs in
//! one transaction: running it twice does no harm.

use super::keys::{self, ENABLED, PENDING_DELETION};
use super::{DELETE_JOB, ROTATE_JOB, manage};
use aws_core::env::Env;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{DAY_MS, NewKey};

    async fn env() -> (tempfile::TempDir, Arc<Env>, Arc<store::VirtualClock>) {
        let dir = tempfile::tempdir().unwrap();
        let db = store::Store::open(&dir.path().join("spcred.db")).await.unwrap();
        let clock = Arc::new(store::VirtualClock::new());
        let master = crypto::MasterKey::generate(&crypto::SystemRandom);
        let env = Env::new(db, clock.clone(), Arc::new(crypto::SystemRandom), &master, "us-east-1".into());
        (dir, Arc::new(env), clock)
    }

    async fn jobs_of(env: &Env, kind: &str) -> Vec<Job> {
        let mut conn = env.store.reader().acquire().await.unwrap();
        store::jobs::list(&mut conn, kind, 100).await.unwrap()
    }

    #[tokio::test]
    async fn automatic_rotation_adds_material_once_per_period() {
        let (_dir, env, clock) = env().await;
        let now = env.now_ms();
        let spec = NewKey {
            description: String::new(),
            policy: "{}".into(),
            key_manager: "CUSTOMER",
            rotation_days: Some(90),
        };
        let mut tx = env.store.begin().await.unwrap();
        let key =
            keys::insert_new(&env, &mut tx, "111122223333", "us-east-1", env.ids.uuid(), spec, now).await.unwrap();
        tx.commit().await.unwrap();
        let handler = KeyLifecycle::new(env.clone());
        let first = jobs_of(&env, ROTATE_JOB).await;
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].due_ms, now + 90 * DAY_MS);

        clock.advance_ms(90 * DAY_MS);
        for _ in 0..2 {
            handler.run(&first[0]).await.unwrap();
        }
        let mut conn = env.store.reader().acquire().await.unwrap();
        let rotated = store::kms::get_key_by_id(&mut conn, &key.key_id).await.unwrap().unwrap();
        assert_eq!(rotated.current_version, 2, "a second run of the same job does not rotate again");
        assert_eq!(rotated.next_rotation_ms, Some(now + 180 * DAY_MS));
        let materials = store::kms::list_materials(&mut conn, &key.key_id).await.unwrap();
        assert_eq!(materials.iter().map(|m| m.rotation_type.as_deref()).collect::<Vec<_>>(), [None, Some("AUTOMATIC")]);
        drop(conn);
        let next: Vec<_> = jobs_of(&env, ROTATE_JOB).await.into_iter().map(|j| j.due_ms).collect();
        assert!(next.contains(&(now + 180 * DAY_MS)));
    }

    #[tokio::test]
    async fn deletion_waits_for_its_date_and_respects_cancellation() {
        let (_dir, env, clock) = env().await;
        let now = env.now_ms();
        let spec =
            NewKey { description: String::new(), policy: "{}".into(), key_manager: "CUSTOMER", rotation_days: None };
        let mut tx = env.store.begin().await.unwrap();
        let mut key =
            keys::insert_new(&env, &mut tx, "111122223333", "us-east-1", env.ids.uuid(), spec, now).await.unwrap();
        keys::schedule_deletion(&mut tx, &mut key, 7, now).await.unwrap();
        tx.commit().await.unwrap();
        let job = jobs_of(&env, DELETE_JOB).await.remove(0);
        let handler = KeyLifecycle::new(env.clone());
        let exists = |env: Arc<Env>, id: String| async move {
            let mut conn = env.store.reader().acquire().await.unwrap();
            store::kms::get_key_by_id(&mut conn, &id).await.unwrap().is_some()
        };
        clock.advance_ms(6 * DAY_MS);
        handler.run(&job).await.unwrap();
        assert!(exists(env.clone(), key.key_id.clone()).await, "not before its date");

        // Cancelled, then the date passes: the key stays.
        let mut tx = env.store.begin().await.unwrap();
        key.key_state = keys::DISABLED.into();
        key.deletion_ms = None;
        store::kms::update_key(&mut tx, &key).await.unwrap();
        tx.commit().await.unwrap();
        clock.advance_ms(2 * DAY_MS);
        handler.run(&job).await.unwrap();
        assert!(exists(env.clone(), key.key_id.clone()).await);

        let mut tx = env.store.begin().await.unwrap();
        keys::schedule_deletion(&mut tx, &mut key, 7, env.now_ms()).await.unwrap();
        tx.commit().await.unwrap();
        clock.advance_ms(7 * DAY_MS);
        handler.run(&job).await.unwrap();
        assert!(!exists(env.clone(), key.key_id.clone()).await);
        handler.run(&job).await.unwrap();
    }
}
