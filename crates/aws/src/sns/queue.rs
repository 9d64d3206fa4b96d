//! Deliveries into SQS queues: SNS subscriptions, EventBridge targets and the dead-letter
//! queues of both, in process through the SQS service, whose queue policy decides (the sender
//! is the service principal, `aws:SourceArn` its topic or rule).

use crate::caller::Caller;
use crate::env::Env;
use crate::sqs::{self, DeliveryError, Incoming};
use std::collections::BTreeMap;
use std::sync::Arc;
use store::StoreError;
use store::delivery::{self, Attempt, Send};
use store::jobs::{Handler, Job, Outcome};

/// The handler of `store::delivery::SQS_JOB`.
pub struct QueueDelivery {
    env: Arc<Env>,
}

impl std::fmt::Debug for QueueDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueDelivery").finish_non_exhaustive()
    }
}

impl QueueDelivery {
    /// The handler.
    pub fn new(env: Arc<Env>) -> Self {
        Self { env }
    }

    async fn send(&self, send: &Send) -> Attempt {
        let attributes: BTreeMap<String, sqs::MessageAttribute> = match &send.attributes {
            Some(value) => serde_json::from_value(value.clone()).unwrap_or_default(),
            None => BTreeMap::new(),
        };
        let account = send.source_arn.split(':').nth(4).unwrap_or_default();
        let sender = Caller::service(&send.principal, account);
        let message = Incoming { body: send.body.clone(), attributes, ..Incoming::default() };
        match sqs::deliver(&self.env, &send.endpoint, message, &sender, Some(&send.source_arn)).await {
            Ok(result) => Attempt::Delivered(format!("SQS message {}", result.message_id)),
            // What retrying cannot fix is not retried (SNS and EventBridge both send it to the
            // dead-letter queue at once).
            Err(DeliveryError::NoSuchQueue(queue)) => {
                Attempt::Failed { error: format!("RESOURCE_NOT_FOUND: queue {queue} does not exist"), retryable: false }
            }
            Err(DeliveryError::AccessDenied(message)) => {
                Attempt::Failed { error: format!("NO_PERMISSIONS: {message}"), retryable: false }
            }
            Err(DeliveryError::Rejected { code, message }) => {
                Attempt::Failed { error: format!("{code}: {message}"), retryable: false }
            }
            Err(DeliveryError::Internal) => {
                Attempt::Failed { error: "INTERNAL: the store failed".into(), retryable: true }
            }
        }
    }
}

#[async_trait::async_trait]
impl Handler for QueueDelivery {
    async fn run(&self, job: &Job) -> Result<Outcome, StoreError> {
        let Ok(send) = serde_json::from_str::<Send>(&job.payload) else {
            tracing::error!(id = job.id, "a queue delivery job does not parse; dropping it");
            return Ok(Outcome::Done);
        };
        let Some(open) = delivery::open(&mut *self.env.store.read().await?, &send.delivery_id).await? else {
            return Ok(Outcome::Done);
        };
        let attempt = self.send(&send).await;
        if let Attempt::Failed { error, .. } = &attempt {
            tracing::warn!(delivery = %send.delivery_id, queue = %send.endpoint, %error, "queue delivery failed");
        }
        let (outcome, settled) = delivery::settle(
            &self.env.store,
            job,
            &send,
            open.attempts,
            attempt,
            self.env.now_ms(),
            self.env.ids.random_u64(),
        )
        .await?;
        metrics::counter!("spcred_deliveries_total", "channel" => "sqs", "outcome" => settled.as_str()).increment(1);
        Ok(outcome)
    }
}
