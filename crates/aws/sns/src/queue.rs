//! Deliveries in process: into SQS queues (SNS subscriptions, EventBridge targets and the
//! dead-letter queues of both) through the SQS service, whose queue policy decides (the sender
//! is the service principal, `aws:SourceArn` its topic or rule); and to Lambda functions (SNS
//! `lambda` subscriptions), through the core's `Functions` port, queued as asynchronous
//! invocations once the function's policy lets SNS in for the topic.

use aws_core::caller::Caller;
use aws_core::env::Env;
use aws_core::error::CommonError;
use aws_core::ports::{Functions, QueueError, QueueMessage, Queues};
use std::sync::Arc;
use store::StoreError;
use store::delivery::{self, Attempt, Send, Settled};
use store::jobs::{Handler, Job, Outcome};

/// Where an in-process delivery goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sink {
    Queue,
    Function,
}

/// The handler of `store::delivery::SQS_JOB` and `store::delivery::LAMBDA_JOB`.
pub struct QueueDelivery {
    env: Arc<Env>,
    sink: Sink,
}

impl std::fmt::Debug for QueueDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueDelivery").field("sink", &self.sink).finish_non_exhaustive()
    }
}

impl QueueDelivery {
    /// The handler of deliveries into queues.
    pub fn new(env: Arc<Env>) -> Self {
        Self { env, sink: Sink::Queue }
    }

    /// The handler of deliveries to Lambda functions.
    pub fn functions(env: Arc<Env>) -> Self {
        Self { env, sink: Sink::Function }
    }

    async fn audit(&self, send: &Send, outcome: &str, error: Option<&str>) {
        let record = store::audit::Record {
            time_ms: self.env.now_ms(),
            request_id: send.delivery_id.clone(),
            principal_arn: Some(send.principal.clone()),
            source_ip: "internal".to_owned(),
            service: "lambda".to_owned(),
            operation: "InvokeFunction".to_owned(),
            outcome: outcome.to_owned(),
            error_code: error.map(str::to_owned),
            region: None,
        };
        if self.env.audit.record(record).await.is_err() {
            tracing::error!(delivery = %send.delivery_id, "could not audit a function invocation");
        }
    }

    /// Queues the invocation and settles the delivery in one transaction, so a crash between
    /// the two neither loses nor doubles it.
    async fn invoke(&self, job: &Job, send: &Send, previous: i64) -> Result<(Outcome, Settled), StoreError> {
        let failed = |error: String, retryable: bool| Attempt::Failed { error, retryable };
        let now = self.env.now_ms();
        let random = self.env.ids.random_u64();
        let Ok(functions) = self.env.port::<dyn Functions>() else {
            let attempt = failed("INTERNAL: no functions wired".into(), true);
            return delivery::settle(&self.env.store, job, send, previous, attempt, now, random).await;
        };
        let attempt = match functions.parse_arn(&send.endpoint) {
            None => failed(format!("RESOURCE_NOT_FOUND: function {} does not exist", send.endpoint), false),
            Some((scope, name)) => {
                match functions
                    .authorize_service_invoke(&self.env, &send.principal, &send.source_arn, scope, name)
                    .await
                {
                    Ok(true) => {
                        let mut tx = self.env.store.begin().await?;
                        functions
                            .enqueue_invocation(
                                &self.env,
                                &mut tx,
                                scope,
                                name,
                                &send.delivery_id,
                                send.body.as_bytes(),
                            )
                            .await?;
                        let detail = format!("queued an asynchronous invocation of {name}");
                        let settled =
                            delivery::settle_in(tx, job, send, previous, Attempt::Delivered(detail), now, random)
                                .await?;
                        self.audit(send, "Allowed", None).await;
                        self.env.work_queued.notify_one();
                        return Ok(settled);
                    }
                    Ok(false) => {
                        failed(format!("RESOURCE_NOT_FOUND: function {} does not exist", send.endpoint), false)
                    }
                    Err(CommonError::AccessDenied(message)) => {
                        self.audit(send, "Denied", Some("AccessDeniedException")).await;
                        failed(format!("NO_PERMISSIONS: {message}"), false)
                    }
                    Err(e) => failed(format!("INTERNAL: {e}"), true),
                }
            }
        };
        delivery::settle(&self.env.store, job, send, previous, attempt, now, random).await
    }

    async fn send(&self, send: &Send) -> Attempt {
        let account = send.source_arn.split(':').nth(4).unwrap_or_default();
        let sender = Caller::service(&send.principal, account);
        let message = QueueMessage { body: send.body.clone(), attributes: send.attributes.clone() };
        let Ok(queues) = self.env.port::<dyn Queues>() else {
            return Attempt::Failed { error: "INTERNAL: no queues wired".into(), retryable: true };
        };
        match queues.deliver(&self.env, &send.endpoint, message, &sender, Some(&send.source_arn)).await {
            Ok(message_id) => Attempt::Delivered(format!("SQS message {message_id}")),
            // What retrying cannot fix is not retried (SNS and EventBridge both send it to the
            // dead-letter queue at once).
            Err(QueueError::NoSuchQueue(queue)) => {
                Attempt::Failed { error: format!("RESOURCE_NOT_FOUND: queue {queue} does not exist"), retryable: false }
            }
            Err(QueueError::AccessDenied(message)) => {
                Attempt::Failed { error: format!("NO_PERMISSIONS: {message}"), retryable: false }
            }
            Err(QueueError::Rejected { code, message }) => {
                Attempt::Failed { error: format!("{code}: {message}"), retryable: false }
            }
            Err(QueueError::Internal) => {
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
        let (outcome, settled) = if self.sink == Sink::Function {
            self.invoke(job, &send, open.attempts).await?
        } else {
            let attempt = self.send(&send).await;
            if let Attempt::Failed { error, .. } = &attempt {
                tracing::warn!(delivery = %send.delivery_id, queue = %send.endpoint, %error, "queue delivery failed");
            }
            let (now, random) = (self.env.now_ms(), self.env.ids.random_u64());
            delivery::settle(&self.env.store, job, &send, open.attempts, attempt, now, random).await?
        };
        let channel = if self.sink == Sink::Function { "lambda" } else { "sqs" };
        metrics::counter!("spcred_deliveries_total", "channel" => channel, "outcome" => settled.as_str()).increment(1);
        Ok(outcome)
    }
}
