//! Outbound deliveries: one row per message and destination, every attempt, the local outbox,
//! and the jobs that carry them.
//!
//! A service queues a delivery in the same transaction as the change that causes it
//! ([`enqueue`]). A worker claims the job, checks the delivery is still open ([`open`]), sends,
//! and settles the attempt ([`settle`]): success is recorded and the job removed in one
//! transaction, so a message a sink acknowledged is never sent to it again unless the process
//! dies between the sink's acknowledgement and that commit. Failures are retried on the
//! delivery's own schedule ([`Retry`]); when retries run out the delivery is marked failed and,
//! if it has one, its dead-letter queue gets the message. Nothing is dropped without a record.

use crate::jobs::{self, Job, Outcome};
use crate::{Conn, Store, StoreError};
use serde::{Deserialize, Serialize};

/// The job kind for e-mail (`email`, `email-json`) deliveries.
pub const EMAIL_JOB: &str = "delivery.email";
/// The job kind for SMS deliveries.
pub const SMS_JOB: &str = "delivery.sms";
/// The job kind for HTTP and HTTPS deliveries.
pub const HTTP_JOB: &str = "delivery.http";
/// The job kind for deliveries into SQS queues (handled inside the AWS services).
pub const SQS_JOB: &str = "delivery.sqs";
/// The job kind that queues a Lambda function's invocation (SNS `lambda` subscriptions).
pub const LAMBDA_JOB: &str = "delivery.lambda";

/// The longest error text kept per attempt.
const MAX_DETAIL: usize = 1024;

/// What a delivery job carries: everything needed to send, already rendered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Send {
    /// The delivery row this job settles.
    pub delivery_id: String,
    /// The address, number, URL or queue ARN.
    pub endpoint: String,
    /// The e-mail subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The display name of the e-mail sender (the topic's DisplayName).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    /// The body: mail text, SMS text, HTTP body or queue message.
    pub body: String,
    /// Extra HTTP headers (SNS's `x-amz-sns-*`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// SQS message attributes, as SQS's `MessageAttributes` map (JSON object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<serde_json::Value>,
    /// The service principal that sends (`sns.amazonaws.com`, `events.amazonaws.com`).
    pub principal: String,
    /// The topic or rule on whose behalf it sends (`aws:SourceArn`).
    pub source_arn: String,
    /// When to give up.
    pub retry: Retry,
    /// Where the message goes when retries run out (an SQS queue ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter: Option<String>,
    /// When the message entered the system (for age limits), epoch ms.
    pub created_ms: i64,
    /// How many event buses an EventBridge event went through before this delivery.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hops: u32,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference.
fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// How SNS's delivery policies grow the delay between retries through their backoff phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backoff {
    /// Evenly spaced steps.
    Linear,
    /// Steps that grow by a constant amount each time (quadratic growth).
    Arithmetic,
    /// Steps that grow by a constant factor, slowly.
    Geometric,
    /// Steps that grow by a constant factor.
    Exponential,
}

impl Backoff {
    /// The delay of step `i` (1-based) of `n` between `min` and `max` seconds.
    fn step(self, i: u32, n: u32, min: u32, max: u32) -> u32 {
        let (min_f, max_f) = (f64::from(min), f64::from(max.max(min)));
        let t = f64::from(i) / f64::from(n.max(1));
        let v = match self {
            Backoff::Linear => min_f + (max_f - min_f) * t,
            Backoff::Arithmetic => min_f + (max_f - min_f) * t * t,
            Backoff::Geometric => min_f + (max_f - min_f) * t.powi(3),
            Backoff::Exponential => min_f.max(1.0) * (max_f / min_f.max(1.0)).powf(t),
        };
        // The float is within [min, max] of two u32s, so the conversion cannot truncate.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let v = v.round().clamp(min_f, max_f) as u32;
        v
    }
}

/// A delivery's retry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Retry {
    /// SNS's four phases: retries without delay, at the minimum delay, backing off from the
    /// minimum to the maximum, and at the maximum.
    Phases {
        /// Retries with no delay.
        no_delay: u32,
        /// Retries at `min_delay_s`.
        min_delay: u32,
        /// Retries backing off from `min_delay_s` to `max_delay_s`.
        backoff: u32,
        /// Retries at `max_delay_s`.
        max_delay: u32,
        /// The shortest delay, seconds.
        min_delay_s: u32,
        /// The longest delay, seconds.
        max_delay_s: u32,
        /// How the backoff phase grows.
        function: Backoff,
    },
    /// EventBridge's exponential backoff with jitter, bounded by attempts and by event age.
    Doubling {
        /// The first delay, seconds; each retry doubles it up to `cap_s`.
        first_s: u32,
        /// The longest delay, seconds.
        cap_s: u32,
        /// How many retries at most.
        retries: u32,
        /// How old the event may get before it is given up, seconds.
        max_age_s: u32,
    },
}

impl Retry {
    /// SNS's default for HTTP/S endpoints: 3 retries, 20 seconds apart.
    pub const HTTP_DEFAULT: Retry = Retry::Phases {
        no_delay: 0,
        min_delay: 0,
        backoff: 3,
        max_delay: 0,
        min_delay_s: 20,
        max_delay_s: 20,
        function: Backoff::Linear,
    };

    /// SNS's policy for customer-managed endpoints it does not let you configure (SMTP, SMS):
    /// 2 retries 10 seconds apart, 10 backing off to 600 seconds, 38 at 600 seconds: 50 attempts
    /// over about six hours.
    pub const CUSTOMER_MANAGED: Retry = Retry::Phases {
        no_delay: 0,
        min_delay: 2,
        backoff: 10,
        max_delay: 38,
        min_delay_s: 10,
        max_delay_s: 600,
        function: Backoff::Exponential,
    };

    /// SNS's policy for AWS-managed endpoints (SQS): 3 immediate retries, 2 a second apart, 10
    /// backing off to 20 seconds, then every 20 seconds for 100,000 more (23 days).
    pub const AWS_MANAGED: Retry = Retry::Phases {
        no_delay: 3,
        min_delay: 2,
        backoff: 10,
        max_delay: 100_000,
        min_delay_s: 1,
        max_delay_s: 20,
        function: Backoff::Exponential,
    };

    /// EventBridge's default target retry policy: 185 attempts within 24 hours.
    pub const EVENTS_DEFAULT: Retry = Retry::Doubling { first_s: 1, cap_s: 480, retries: 185, max_age_s: 86_400 };

    /// The delay before the next attempt after `failed` attempts have failed (`failed >= 1`),
    /// or `None` when the schedule is exhausted. `age_ms` is how long ago the message entered
    /// the system; `random` spreads jittered delays.
    pub fn next_delay_ms(&self, failed: u32, age_ms: i64, random: u64) -> Option<i64> {
        let retry = failed.max(1);
        match *self {
            Retry::Phases { no_delay, min_delay, backoff, max_delay, min_delay_s, max_delay_s, function } => {
                let seconds = if retry <= no_delay {
                    0
                } else if retry <= no_delay + min_delay {
                    min_delay_s
                } else if retry <= no_delay + min_delay + backoff {
                    function.step(retry - no_delay - min_delay, backoff, min_delay_s, max_delay_s)
                } else if retry <= no_delay.saturating_add(min_delay).saturating_add(backoff).saturating_add(max_delay)
                {
                    max_delay_s
                } else {
                    return None;
                };
                Some(i64::from(seconds) * 1000)
            }
            Retry::Doubling { first_s, cap_s, retries, max_age_s } => {
                if retry > retries {
                    return None;
                }
                let full = u64::from(first_s).saturating_mul(1u64 << (retry - 1).min(32)).min(u64::from(cap_s)) * 1000;
                // "Equal jitter": half the delay fixed, half random, so retries of many events
                // spread out without ever coming back immediately.
                let half = full / 2;
                let delay = i64::try_from(half + random % (half + 1)).unwrap_or(i64::MAX);
                (age_ms.saturating_add(delay) <= i64::from(max_age_s) * 1000).then_some(delay)
            }
        }
    }
}

/// A delivery to create.
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    /// Its id (a UUID).
    pub id: &'a str,
    /// The topic or rule ARN the message comes from.
    pub source: &'a str,
    /// The subscription ARN or the rule's target id.
    pub destination: &'a str,
    /// `email`, `sms`, `http`, `sqs`, `sns`, `events`, ...
    pub protocol: &'a str,
    /// Where it goes.
    pub endpoint: &'a str,
    /// The message's id.
    pub message_id: &'a str,
    /// `Notification`, `SubscriptionConfirmation`, `Event`, `DeadLetter`, ...
    pub message_type: &'a str,
}

/// A delivery's state.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Delivery {
    /// Its id.
    pub id: String,
    /// When it was queued.
    pub created_ms: i64,
    /// The topic or rule ARN the message comes from.
    pub source: String,
    /// The subscription ARN or the rule's target id.
    pub destination: String,
    /// The protocol.
    pub protocol: String,
    /// Where it goes.
    pub endpoint: String,
    /// The message's id.
    pub message_id: String,
    /// The kind of message.
    pub message_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// When it last changed.
    pub updated_ms: i64,
    /// When a sink acknowledged it.
    pub delivered_ms: Option<i64>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AttemptRecord {
    /// The delivery.
    pub delivery_id: String,
    /// 1 for the first attempt.
    pub attempt: i64,
    /// When it was made.
    pub at_ms: i64,
    /// `delivered`, `retrying` or `failed`.
    pub outcome: String,
    /// What the sink said, or why it failed.
    pub detail: Option<String>,
}

/// A message kept in the local outbox (no SMTP server or SMS provider configured).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OutboxEntry {
    /// Its position in the outbox.
    pub id: i64,
    /// The delivery it completes.
    pub delivery_id: String,
    /// When it was written.
    pub created_ms: i64,
    /// `email` or `sms`.
    pub channel: String,
    /// The sender (e-mail From), if any.
    pub sender: Option<String>,
    /// The address or number.
    pub recipient: String,
    /// The e-mail subject.
    pub subject: Option<String>,
    /// The text.
    pub body: String,
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this status.
    pub status: Option<String>,
    /// Only deliveries from this topic or rule.
    pub source: Option<String>,
    /// Only deliveries created at or after this time.
    pub since_ms: Option<i64>,
    /// At most this many, newest last.
    pub limit: i64,
}

/// Creates a pending delivery and queues its job of `kind`, due at `due_ms`, inside the
/// caller's transaction.
pub async fn enqueue(
    conn: &mut Conn,
    kind: &str,
    new: &NewDelivery<'_>,
    send: &Send,
    due_ms: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO deliveries (id, created_ms, source, destination, protocol, endpoint, message_id, message_type, \
         status, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9)",
    )
    .bind(new.id)
    .bind(now_ms)
    .bind(new.source)
    .bind(new.destination)
    .bind(new.protocol)
    .bind(new.endpoint)
    .bind(new.message_id)
    .bind(new.message_type)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    let payload = serde_json::to_string(send).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    jobs::enqueue(conn, kind, due_ms, &payload, now_ms).await?;
    Ok(())
}

/// A delivery by id.
pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Delivery>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, created_ms, source, destination, protocol, endpoint, message_id, message_type, status, attempts, \
         last_error, updated_ms, delivered_ms FROM deliveries WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Deliveries matching `filter`, oldest first.
pub async fn list(conn: &mut Conn, filter: &Filter) -> Result<Vec<Delivery>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT * FROM (SELECT id, created_ms, source, destination, protocol, endpoint, message_id, message_type, \
         status, attempts, last_error, updated_ms, delivered_ms FROM deliveries \
         WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR source = $2) AND ($3 IS NULL OR created_ms >= $3) \
         ORDER BY created_ms DESC, id DESC LIMIT $4) AS newest ORDER BY created_ms, id",
    )
    .bind(&filter.status)
    .bind(&filter.source)
    .bind(filter.since_ms)
    .bind(filter.limit)
    .fetch_all(conn)
    .await?)
}

/// The attempts of a delivery, in order.
pub async fn attempts(conn: &mut Conn, id: &str) -> Result<Vec<AttemptRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT delivery_id, attempt, at_ms, outcome, detail FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// Outbox entries after position `after`, of `channel` if given, at most `limit`.
pub async fn outbox(
    conn: &mut Conn,
    after: i64,
    channel: Option<&str>,
    limit: i64,
) -> Result<Vec<OutboxEntry>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, delivery_id, created_ms, channel, sender, recipient, subject, body FROM outbox \
         WHERE id > $1 AND ($2 IS NULL OR channel = $2) ORDER BY id LIMIT $3",
    )
    .bind(after)
    .bind(channel)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Whether the delivery still waits to be sent; `None` when it does not exist (its job is stale).
/// A job for a delivery that is already `delivered` or `failed` must not send again.
pub async fn open(conn: &mut Conn, id: &str) -> Result<Option<Delivery>, StoreError> {
    Ok(get(conn, id).await?.filter(|d| d.status == "pending"))
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub enum Attempt {
    /// The sink acknowledged the message; what it said.
    Delivered(String),
    /// It did not.
    Failed {
        /// Why.
        error: String,
        /// Whether trying again may help (a 5xx or a timeout, not a 4xx).
        retryable: bool,
    },
}

/// What [`settle`] did, for the caller's logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Recorded as delivered.
    Delivered,
    /// Recorded as failed; another attempt is scheduled.
    Retrying,
    /// Recorded as failed for good (sent to the dead-letter queue if it has one).
    Failed,
    /// The failed message went to the dead-letter queue.
    DeadLettered,
}

impl Settled {
    /// A label for metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Settled::Delivered => "delivered",
            Settled::Retrying => "retrying",
            Settled::Failed => "failed",
            Settled::DeadLettered => "dead_lettered",
        }
    }
}

fn clip(text: &str) -> String {
    if text.len() <= MAX_DETAIL {
        return text.to_owned();
    }
    let mut end = MAX_DETAIL;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

async fn record(
    conn: &mut Conn,
    id: &str,
    attempt: i64,
    now_ms: i64,
    outcome: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let detail = clip(detail);
    sqlx::query(
        "INSERT INTO delivery_attempts (delivery_id, attempt, at_ms, outcome, detail) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (delivery_id, attempt) DO UPDATE SET at_ms = excluded.at_ms, outcome = excluded.outcome, \
         detail = excluded.detail",
    )
    .bind(id)
    .bind(attempt)
    .bind(now_ms)
    .bind(outcome)
    .bind(&detail)
    .execute(&mut *conn)
    .await?;
    let (status, error, delivered) = match outcome {
        "delivered" => ("delivered", None, Some(now_ms)),
        "retrying" => ("pending", Some(detail.as_str()), None),
        _ => ("failed", Some(detail.as_str()), None),
    };
    sqlx::query(
        "UPDATE deliveries SET status = $1, attempts = $2, last_error = COALESCE($3, last_error), updated_ms = $4, \
         delivered_ms = COALESCE($5, delivered_ms) WHERE id = $6",
    )
    .bind(status)
    .bind(attempt)
    .bind(error)
    .bind(now_ms)
    .bind(delivered)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the outcome of one attempt of `job` (carrying `send`, whose delivery had `previous`
/// attempts) and decides what happens next, in one transaction that also removes the job when
/// it is finished. `random` spreads jittered retries.
pub async fn settle(
    store: &Store,
    job: &Job,
    send: &Send,
    previous: i64,
    attempt: Attempt,
    now_ms: i64,
    random: u64,
) -> Result<(Outcome, Settled), StoreError> {
    settle_in(store.begin().await?, job, send, previous, attempt, now_ms, random).await
}

/// [`settle`] in a transaction that already holds what the attempt wrote (a Lambda invocation
/// queued in process), so the attempt and its record commit together or not at all.
#[allow(clippy::too_many_arguments)]
pub async fn settle_in(
    mut tx: crate::Tx,
    job: &Job,
    send: &Send,
    previous: i64,
    attempt: Attempt,
    now_ms: i64,
    random: u64,
) -> Result<(Outcome, Settled), StoreError> {
    let number = previous + 1;
    let result = match attempt {
        Attempt::Delivered(detail) => {
            record(&mut tx, &send.delivery_id, number, now_ms, "delivered", &detail).await?;
            jobs::complete(&mut tx, job.id).await?;
            (Outcome::Done, Settled::Delivered)
        }
        Attempt::Failed { error, retryable } => {
            let failed = u32::try_from(number).unwrap_or(u32::MAX);
            let next = retryable
                .then(|| send.retry.next_delay_ms(failed, now_ms.saturating_sub(send.created_ms), random))
                .flatten();
            if let Some(delay) = next {
                record(&mut tx, &send.delivery_id, number, now_ms, "retrying", &error).await?;
                (Outcome::RetryAt { due_ms: now_ms.saturating_add(delay), error }, Settled::Retrying)
            } else {
                record(&mut tx, &send.delivery_id, number, now_ms, "failed", &error).await?;
                jobs::complete(&mut tx, job.id).await?;
                let settled = match &send.dead_letter {
                    Some(queue) => {
                        dead_letter(&mut tx, send, queue, &error, number, now_ms).await?;
                        Settled::DeadLettered
                    }
                    None => Settled::Failed,
                };
                (Outcome::Done, settled)
            }
        }
    };
    tx.commit().await?;
    Ok(result)
}

/// Queues the failed message into its dead-letter queue, as a delivery of its own.
async fn dead_letter(
    conn: &mut Conn,
    send: &Send,
    queue: &str,
    error: &str,
    attempts: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    let id = format!("{}-dlq", send.delivery_id);
    let string = |v: &str| serde_json::json!({"DataType": "String", "StringValue": v});
    let number = |v: i64| serde_json::json!({"DataType": "Number", "StringValue": v.to_string()});
    let mut attributes = serde_json::Map::new();
    // Each service names the failure in its own attributes.
    if send.principal == "events.amazonaws.com" {
        let code = ["NO_PERMISSIONS", "RESOURCE_NOT_FOUND"]
            .into_iter()
            .find(|c| error.starts_with(c))
            .unwrap_or("SDK_CLIENT_ERROR");
        attributes.insert("ERROR_CODE".into(), string(code));
        attributes.insert("ERROR_MESSAGE".into(), string(&clip(error)));
        attributes.insert("RETRY_ATTEMPTS".into(), number(attempts - 1));
        attributes.insert("RULE_ARN".into(), string(&send.source_arn));
        attributes.insert("TARGET_ARN".into(), string(&send.endpoint));
    } else {
        attributes.insert("ErrorCode".into(), string("DeliveryFailed"));
        attributes.insert("ErrorMessage".into(), string(&clip(error)));
        attributes.insert("RetryAttempts".into(), number(attempts));
        attributes.insert("TopicArn".into(), string(&send.source_arn));
    }
    let dlq = Send {
        delivery_id: id.clone(),
        endpoint: queue.to_owned(),
        subject: None,
        sender_name: None,
        body: send.body.clone(),
        headers: Vec::new(),
        attributes: Some(serde_json::Value::Object(attributes)),
        principal: send.principal.clone(),
        source_arn: send.source_arn.clone(),
        retry: Retry::AWS_MANAGED,
        dead_letter: None,
        created_ms: now_ms,
        hops: 0,
    };
    let new = NewDelivery {
        id: &id,
        source: &send.source_arn,
        destination: &send.delivery_id,
        protocol: "sqs",
        endpoint: queue,
        message_id: &send.delivery_id,
        message_type: "DeadLetter",
    };
    enqueue(conn, SQS_JOB, &new, &dlq, now_ms, now_ms).await
}

/// Delivers `send` into the local outbox (no provider configured for its channel): the entry
/// and the delivery's success are one transaction, so the outbox never holds a message twice.
pub async fn settle_in_outbox(
    store: &Store,
    job: &Job,
    send: &Send,
    previous: i64,
    channel: &str,
    sender: Option<&str>,
    now_ms: i64,
) -> Result<Outcome, StoreError> {
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO outbox (delivery_id, created_ms, channel, sender, recipient, subject, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (delivery_id) DO NOTHING",
    )
    .bind(&send.delivery_id)
    .bind(now_ms)
    .bind(channel)
    .bind(sender)
    .bind(&send.endpoint)
    .bind(&send.subject)
    .bind(&send.body)
    .execute(&mut *tx)
    .await?;
    record(&mut tx, &send.delivery_id, previous + 1, now_ms, "delivered", "kept in the local outbox").await?;
    jobs::complete(&mut tx, job.id).await?;
    tx.commit().await?;
    Ok(Outcome::Done)
}

/// Records a delivery that was settled elsewhere in the caller's transaction (an EventBridge
/// target invoked inside the store, such as an SNS publish): success of attempt `attempt`.
pub async fn mark_delivered(
    conn: &mut Conn,
    id: &str,
    attempt: i64,
    detail: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    record(conn, id, attempt, now_ms, "delivered", detail).await
}
