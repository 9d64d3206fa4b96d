//! Notifications: the envelopes, the outbox that delivers them at least once, and the client
//! secret expiry schedule.
//!
//! A notification is queued (job `sp.deliver`) in the same transaction as the change it reports;
//! the job delivers it through the [`NotificationSink`](crate::NotificationSink) and records every
//! attempt, so an app shows why its notifications do not arrive. A new client secret travels in
//! the outbox sealed under the at-rest key, never in plain text. Expiry notices are jobs
//! (`sp.secret_expiry`) due 90, 30, 7 and 1 days before a secret expires; each checks, when it
//! runs, that its secret is still the app's current one with the same expiry.

use crate::apps::DAY_MS;
use crate::{PartnerEventTarget, Sandbox, SinkError, commit, iso_ms};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use store::StoreError;
use store::jobs::{self, Handler, Job, Outcome};
use store::sp;

/// The job kind that delivers one notification.
pub(crate) const DELIVER_JOB: &str = "sp.deliver";
/// The job kind of a client secret expiry notice.
pub(crate) const EXPIRY_JOB: &str = "sp.secret_expiry";
/// Attempts before a transient failure becomes final.
const MAX_ATTEMPTS: i64 = 6;

/// Where a notification goes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Target {
    /// An SQS queue.
    Sqs { arn: String },
    /// An `EventBridge` partner event source.
    EventBridge { account_id: String, region: String, name: String },
}

impl Target {
    fn describe(&self) -> String {
        match self {
            Target::Sqs { arn } => arn.clone(),
            Target::EventBridge { account_id, region, name } => format!("eventbridge:{region}:{account_id}:{name}"),
        }
    }
}

/// A notification in the outbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Notice {
    pub app_id: String,
    pub notification_id: String,
    pub notification_type: String,
    pub target: Target,
    /// The JSON body, or (when `sealed`) its AES-GCM blob in base64.
    pub body: String,
    pub sealed: bool,
}

fn seal_aad(notification_id: &str) -> String {
    format!("sp-notice:{notification_id}")
}

impl Notice {
    /// A notice of `body`, sealed when it carries a secret.
    pub fn new(
        sb: &Sandbox,
        app_id: &str,
        notification_id: &str,
        notification_type: &str,
        target: Target,
        body: &Value,
        secret: bool,
    ) -> Self {
        let text = body.to_string();
        let body = if secret {
            let blob =
                sb.deps.at_rest.seal(sb.deps.rng.as_ref(), text.as_bytes(), seal_aad(notification_id).as_bytes());
            base64::engine::general_purpose::STANDARD.encode(blob)
        } else {
            text
        };
        Self {
            app_id: app_id.to_owned(),
            notification_id: notification_id.to_owned(),
            notification_type: notification_type.to_owned(),
            target,
            body,
            sealed: secret,
        }
    }

    fn open(&self, sb: &Sandbox) -> Option<String> {
        if !self.sealed {
            return Some(self.body.clone());
        }
        let blob = base64::engine::general_purpose::STANDARD.decode(&self.body).ok()?;
        let plain = sb.deps.at_rest.open(&blob, seal_aad(&self.notification_id).as_bytes()).ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

/// Queues `notice` for delivery now, in the caller's transaction.
pub(crate) async fn enqueue(tx: &mut store::Tx, notice: &Notice, now_ms: i64) -> Result<(), StoreError> {
    let payload = serde_json::to_string(notice).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    jobs::enqueue(tx, DELIVER_JOB, now_ms, &payload, now_ms).await?;
    Ok(())
}

/// What every notification's metadata says.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta<'a> {
    pub app_id: &'a str,
    pub subscription_id: &'a str,
    pub notification_id: &'a str,
    pub now_ms: i64,
}

/// The envelope of application notifications (client secret expiry and new secret): camelCase,
/// payload version 2023-11-30.
pub(crate) fn application_envelope(notification_type: &str, payload: &Value, meta: &Meta<'_>) -> Value {
    json!({
        "notificationVersion": "1.0",
        "notificationType": notification_type,
        "payloadVersion": "2023-11-30",
        "eventTime": iso_ms(meta.now_ms),
        "payload": payload,
        "notificationMetadata": {
            "applicationId": meta.app_id,
            "subscriptionId": meta.subscription_id,
            "publishTime": iso_ms(meta.now_ms),
            "notificationId": meta.notification_id,
        },
    })
}

/// The envelope of selling partner notifications such as `ORDER_CHANGE`: `PascalCase`.
pub(crate) fn partner_envelope(
    notification_type: &str,
    payload_version: &str,
    payload: &Value,
    event_ms: i64,
    meta: &Meta<'_>,
) -> Value {
    json!({
        "NotificationVersion": "1.0",
        "NotificationType": notification_type,
        "PayloadVersion": payload_version,
        "EventTime": iso_ms(event_ms),
        "Payload": payload,
        "NotificationMetadata": {
            "ApplicationId": meta.app_id,
            "SubscriptionId": meta.subscription_id,
            "PublishTime": iso_ms(meta.now_ms),
            "NotificationId": meta.notification_id,
        },
    })
}

/// The `EventBridge` event that carries a notification to a partner event source.
fn partner_event(
    target: &PartnerEventTarget,
    notification_type: &str,
    envelope: &Value,
    id: &str,
    now_ms: i64,
) -> Value {
    json!({
        "version": "0",
        "id": id,
        "detail-type": notification_type,
        "source": target.source_name,
        "account": target.account_id,
        "time": crate::iso_s(now_ms),
        "region": target.region,
        "resources": [],
        "detail": envelope,
    })
}

/// An expiry notice due `days` before the secret expires.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExpiryJob {
    pub app_id: String,
    pub secret_id: String,
    pub expires_ms: i64,
    pub days: i64,
}

impl Sandbox {
    /// One delivery attempt of `notice`, recorded; the job's outcome.
    async fn deliver(&self, notice: &Notice, attempts: i64) -> Result<Outcome, StoreError> {
        let now = self.now_ms();
        let result = match notice.open(self) {
            None => {
                Err(SinkError::Refused("the notification could not be opened (was the master key changed?)".into()))
            }
            Some(body) => match &notice.target {
                Target::Sqs { arn } => self.deps.sink.send_to_queue(arn, &body).await,
                Target::EventBridge { account_id, region, name } => {
                    let target = PartnerEventTarget {
                        account_id: account_id.clone(),
                        region: region.clone(),
                        source_name: name.clone(),
                    };
                    let envelope: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    let event = partner_event(&target, &notice.notification_type, &envelope, &self.ids().uuid(), now);
                    self.deps.sink.put_partner_event(&target, &event).await
                }
            },
        };
        let (outcome, error, job) = match result {
            Ok(()) => ("Delivered", None, Outcome::Done),
            Err(SinkError::Refused(why)) => ("Failed", Some(why), Outcome::Done),
            Err(SinkError::Unavailable(why)) if attempts + 1 >= MAX_ATTEMPTS => ("Failed", Some(why), Outcome::Done),
            Err(SinkError::Unavailable(why)) => {
                // 1, 2, 4, 8, 16 minutes.
                let due_ms = now + 60_000 * (1i64 << attempts.clamp(0, 4));
                ("Failed", Some(why.clone()), Outcome::RetryAt { due_ms, error: why })
            }
        };
        metrics::counter!("spcred_sp_notifications_total", "type" => notice.notification_type.clone(), "outcome" => outcome)
            .increment(1);
        if let Some(e) = &error {
            tracing::warn!(app_id = %notice.app_id, notification_id = %notice.notification_id, error = %e, "notification not delivered");
        }
        let mut tx = self.begin().await?;
        sp::record_delivery(
            &mut tx,
            &sp::Delivery {
                app_id: notice.app_id.clone(),
                notification_id: notice.notification_id.clone(),
                notification_type: notice.notification_type.clone(),
                destination: notice.target.describe(),
                outcome: outcome.into(),
                error,
                time_ms: now,
            },
        )
        .await?;
        commit(tx).await?;
        Ok(job)
    }

    /// Sends the expiry notice of `job` if its secret is still the app's current one.
    async fn expiry_notice(&self, job: &ExpiryJob, attempts: i64) -> Result<Outcome, StoreError> {
        let mut conn = self.reader().await?;
        let Some(app) = sp::app(&mut conn, &job.app_id).await? else {
            return Ok(Outcome::Done);
        };
        let secrets = sp::secrets(&mut conn, &job.app_id).await?;
        drop(conn);
        let current = secrets.first().is_some_and(|s| s.secret_id == job.secret_id && s.expires_ms == job.expires_ms);
        let (Some(queue), Some(subscription), true) = (&app.expiry_queue_arn, &app.expiry_subscription_id, current)
        else {
            return Ok(Outcome::Done);
        };
        // Each notice has a stable id, so a retried job sends the same notification.
        let notification_id = format!("{}-{}d", job.secret_id, job.days);
        let body = application_envelope(
            "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY",
            &json!({"applicationOAuthClientSecretExpiry": {
                "clientId": app.client_id,
                "clientSecretExpiryTime": iso_ms(job.expires_ms),
                "clientSecretExpiryReason": "PERIODIC_ROTATION",
            }}),
            &Meta {
                app_id: &app.app_id,
                subscription_id: subscription,
                notification_id: &notification_id,
                now_ms: self.now_ms(),
            },
        );
        let notice = Notice::new(
            self,
            &app.app_id,
            &notification_id,
            "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY",
            Target::Sqs { arn: queue.clone() },
            &body,
            false,
        );
        self.deliver(&notice, attempts).await
    }
}

struct DeliverHandler(Arc<Sandbox>);

#[async_trait::async_trait]
impl Handler for DeliverHandler {
    async fn run(&self, job: &Job) -> Result<Outcome, StoreError> {
        let Ok(notice) = serde_json::from_str::<Notice>(&job.payload) else {
            tracing::error!(id = job.id, "an unreadable notification in the outbox; dropping it");
            return Ok(Outcome::Done);
        };
        self.0.deliver(&notice, job.attempts).await
    }
}

struct ExpiryHandler(Arc<Sandbox>);

#[async_trait::async_trait]
impl Handler for ExpiryHandler {
    async fn run(&self, job: &Job) -> Result<Outcome, StoreError> {
        let Ok(expiry) = serde_json::from_str::<ExpiryJob>(&job.payload) else {
            tracing::error!(id = job.id, "an unreadable expiry notice job; dropping it");
            return Ok(Outcome::Done);
        };
        if expiry.expires_ms - expiry.days * DAY_MS > self.0.now_ms() {
            // Not yet due on this node's clock (claimed early by another node's clock).
            return Ok(Outcome::RetryAt {
                due_ms: expiry.expires_ms - expiry.days * DAY_MS,
                error: "not yet due".into(),
            });
        }
        self.0.expiry_notice(&expiry, job.attempts).await
    }
}

pub(crate) fn handlers(sb: &Arc<Sandbox>) -> Vec<(&'static str, Arc<dyn Handler>)> {
    vec![
        (DELIVER_JOB, Arc::new(DeliverHandler(sb.clone())) as Arc<dyn Handler>),
        (EXPIRY_JOB, Arc::new(ExpiryHandler(sb.clone())) as Arc<dyn Handler>),
    ]
}
