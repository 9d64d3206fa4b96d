//! The client secret's rotation. The agent long-polls the application's notice queues:
//!
//! - `APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY` within the threshold (or the agent's own schedule,
//!   when no notice comes: the stored secret's expiry, else its parameter's date plus the
//!   secret's lifetime): a grantless token of scope `sellingpartnerapi::client_credential:rotation`
//!   and `POST /applications/2023-11-30/clientSecret`.
//! - `APPLICATION_OAUTH_CLIENT_NEW_SECRET`: the new secret is proven with an LWA exchange, written
//!   as a new version of the SecureString (same KMS key, the expiry in its description), the agent
//!   switches to it, and only then is the message deleted.
//!
//! Every step can be repeated: a message comes back until it is deleted (at least once), the
//! parameter's description records which secret is stored (its expiry), so a notice about a
//! secret already stored, or older than it, changes nothing. A crash at any point leaves the new
//! secret either in the queue or in SSM, and the old one working for its 7 days. Failures are
//! retried with a growing delay (the message's visibility) and every outcome goes to the log and
//! the SNS topic.

use crate::Agent;
use crate::cache::Key;
use crate::clock::Clock;
use crate::config::{Config, Region, Rotation};
use crate::credentials::ParameterStore;
use crate::lwa::{Grant, Lwa};
use crate::metrics::ROTATIONS;
use crate::notices::{Notice, parse};
use crate::proxy::Call;
use crate::ssm::{Described, SsmStore};
use axum::http::{HeaderMap, Method};
use crypto::Secret;
use jiff::Timestamp;
use serde_json::json;
use spapi::ROTATE_APPLICATION_CLIENT_SECRET;
use spapi::scope::ROTATION as SCOPE_ROTATION;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How long one receive waits for a message.
const LONG_POLL_SECONDS: i32 = 20;
/// The longest a failed notice waits before it is tried again.
const LONGEST_RETRY: Duration = Duration::from_secs(3600);
/// The most notification ids remembered as done.
const MAX_DONE: usize = 10_000;
/// Names a step at which the agent exits as if killed, for the crash tests.
const FAIL_POINT_ENV: &str = "SPCRED_AGENT_FAIL_POINT";

/// The description of a stored secret: its expiry, which tells secrets apart without reading them.
fn description(expires_at: Timestamp, source: &str) -> String {
    format!("LWA client secret; expires {expires_at}; stored by spcred agent ({source})")
}

/// The expiry recorded in a stored secret's description, as the agent writes it
/// (`LWA client secret; expires 2027-05-21T00:00:00Z; stored by ...`).
pub fn recorded_expiry(description: &str) -> Option<Timestamp> {
    let rest = description.split("; expires ").nth(1)?;
    rest.split(';').next()?.trim().parse().ok()
}

/// The delay before the `receive_count`-th try of a failed notice: 30 s, doubling, at most an hour.
fn retry_delay(receive_count: u32) -> Duration {
    let doubled = 30u64.saturating_mul(1 << receive_count.saturating_sub(1).min(10));
    Duration::from_secs(doubled).min(LONGEST_RETRY)
}

/// Now by `clock`, or the notice's own time when it is later (a clock that runs ahead).
fn now_or_later(clock: &dyn Clock, event_time: Option<Timestamp>) -> Timestamp {
    let now = clock.now();
    event_time.map_or(now, |t| t.max(now))
}

/// Whether a secret `expiring` then is within `threshold` of `now`.
fn due(expiring: Timestamp, now: Timestamp, threshold: Duration) -> Result<bool, String> {
    let threshold = jiff::SignedDuration::try_from(threshold).map_err(|e| e.to_string())?;
    Ok(expiring.saturating_sub(threshold).map_err(|e| e.to_string())? <= now)
}

/// What handling a notice came to.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// The new secret is stored as `version` and in use.
    Stored { version: i64, expires_at: Timestamp },
    /// The secret of this notice was stored before (a repeated notice).
    AlreadyStored,
    /// A rotation was asked of SP-API; the new secret comes in a notice.
    Requested { expiring: Timestamp },
    /// The secret expires later than the threshold.
    NotDue { expiring: Timestamp },
    /// The notice is about a secret older than the stored one.
    Stale,
    /// Not this application's, or not a rotation notice.
    Ignored(String),
}

impl Outcome {
    fn event(&self) -> &'static str {
        match self {
            Outcome::Stored { .. } => "secret_stored",
            Outcome::AlreadyStored => "already_stored",
            Outcome::Requested { .. } => "rotation_requested",
            Outcome::NotDue { .. } => "not_due",
            Outcome::Stale => "stale_notice",
            Outcome::Ignored(_) => "ignored",
        }
    }
}

/// The rotation's state.
#[derive(Debug)]
struct Rotator {
    agent: Arc<Agent>,
    ssm: SsmStore,
    sqs: aws_sdk_sqs::Client,
    sns: aws_sdk_sns::Client,
    settings: Rotation,
    done: Mutex<HashSet<String>>,
    /// The expiry of the secret a rotation was last asked for, so that the 90- and 30-day
    /// notices of one secret make one rotation.
    requested_for: Mutex<Option<Timestamp>>,
    fail_point: Option<String>,
}

/// Runs the rotation until the task is dropped: one long-poll per queue and the own schedule.
pub(crate) async fn run(agent: Arc<Agent>, ssm: SsmStore, aws: aws_config::SdkConfig, settings: Rotation) {
    let rotator = Arc::new(Rotator {
        agent,
        ssm,
        sqs: aws_sdk_sqs::Client::new(&aws),
        sns: aws_sdk_sns::Client::new(&aws),
        settings,
        done: Mutex::new(HashSet::new()),
        requested_for: Mutex::new(None),
        fail_point: std::env::var(FAIL_POINT_ENV).ok().filter(|v| !v.is_empty()),
    });
    let mut tasks: Vec<_> =
        rotator.settings.queue_urls.iter().map(|url| tokio::spawn(rotator.clone().poll(url.clone()))).collect();
    tasks.push(tokio::spawn(rotator.clone().schedule()));
    // The tasks run for ever; when this future is dropped, they stop with it.
    let _stop = AbortOnDrop(tasks.iter().map(tokio::task::JoinHandle::abort_handle).collect());
    futures::future::join_all(tasks).await;
}

struct AbortOnDrop(Vec<tokio::task::AbortHandle>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

impl Rotator {
    fn checkpoint(&self, step: &str) {
        if self.fail_point.as_deref() == Some(step) {
            tracing::error!(step, "{FAIL_POINT_ENV}: exiting at this step as if killed");
            std::process::exit(137);
        }
    }

    fn secret_parameter(&self) -> &str {
        &self.agent.config.parameters.client_secret
    }

    async fn described(&self) -> Result<Described, String> {
        Ok(self.ssm.describe(self.secret_parameter()).await.map_err(|e| e.0)?.unwrap_or_default())
    }

    fn ours(&self, client_id: &str) -> bool {
        self.agent.creds.client_id().is_some_and(|id| id.expose() == client_id)
    }

    async fn poll(self: Arc<Self>, url: String) {
        let mut failures = 0u32;
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .wait_time_seconds(LONG_POLL_SECONDS)
                .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
                .send()
                .await;
            let messages = match received {
                Ok(out) => {
                    failures = 0;
                    out.messages.unwrap_or_default()
                }
                Err(e) => {
                    failures += 1;
                    let wait = retry_delay(failures).min(Duration::from_secs(60));
                    tracing::warn!(queue = %url, error = %aws_sdk_sqs::error::DisplayErrorContext(e), "receiving rotation notices failed; trying again in {wait:?}");
                    tokio::time::sleep(wait).await;
                    continue;
                }
            };
            let mut notices: Vec<_> = messages.into_iter().map(|m| (parse(m.body().unwrap_or_default()), m)).collect();
            // A new secret first: an expiry notice of the same batch is then seen as handled.
            notices.sort_by_key(|(n, _)| !matches!(n, Ok(Notice::NewSecret { .. })));
            for (notice, message) in notices {
                self.handle(&url, notice, &message).await;
            }
        }
    }

    async fn handle(&self, url: &str, notice: Result<Notice, String>, message: &aws_sdk_sqs::types::Message) {
        let receipt = message.receipt_handle().unwrap_or_default();
        let notice = match notice {
            Ok(n) => n,
            Err(why) => {
                // Left in the queue it would come back for ever.
                tracing::warn!(queue = %url, %why, "deleting a message that is not a usable notice");
                self.delete(url, receipt).await;
                return;
            }
        };
        let id = notice.id().to_owned();
        if self.done.lock().unwrap_or_else(PoisonError::into_inner).contains(&id) {
            self.delete(url, receipt).await;
            return;
        }
        match self.process(notice).await {
            Ok(outcome) => {
                if self.delete(url, receipt).await {
                    let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
                    if done.len() >= MAX_DONE {
                        done.clear();
                    }
                    done.insert(id.clone());
                }
                self.report(&outcome, Some(&id)).await;
            }
            Err(why) => {
                let count = message
                    .attributes()
                    .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1);
                let delay = retry_delay(count);
                self.failed("notice", &why, Some(&id)).await;
                let visibility = i32::try_from(delay.as_secs()).unwrap_or(i32::MAX);
                if let Err(e) = self
                    .sqs
                    .change_message_visibility()
                    .queue_url(url)
                    .receipt_handle(receipt)
                    .visibility_timeout(visibility)
                    .send()
                    .await
                {
                    tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "could not delay the notice's next try");
                }
            }
        }
    }

    async fn delete(&self, url: &str, receipt: &str) -> bool {
        match self.sqs.delete_message().queue_url(url).receipt_handle(receipt).send().await {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "could not delete the notice; it will come back and be recognised");
                false
            }
        }
    }

    async fn process(&self, notice: Notice) -> Result<Outcome, String> {
        match notice {
            Notice::Other { kind, .. } => Ok(Outcome::Ignored(format!("a {kind} notice"))),
            Notice::Expiry { client_id, .. } | Notice::NewSecret { client_id, .. } if !self.ours(&client_id) => {
                Ok(Outcome::Ignored(format!("a notice for client {client_id}, not this application's")))
            }
            Notice::Expiry { expires_at, event_time, .. } => {
                if recorded_expiry(self.described().await?.description.as_deref().unwrap_or_default())
                    .is_some_and(|stored| stored > expires_at)
                {
                    return Ok(Outcome::Stale);
                }
                self.rotate_if_due(expires_at, event_time).await
            }
            Notice::NewSecret { id, secret, expires_at, .. } => self.store(&secret, expires_at, &id).await,
        }
    }

    /// Asks for a rotation when the secret `expiring` then is due, by the agent's clock or by
    /// `event_time`, the time of the notice that told of it, when that is later.
    async fn rotate_if_due(&self, expiring: Timestamp, event_time: Option<Timestamp>) -> Result<Outcome, String> {
        if !due(expiring, now_or_later(self.agent.clock.as_ref(), event_time), self.settings.threshold)? {
            return Ok(Outcome::NotDue { expiring });
        }
        if *self.requested_for.lock().unwrap_or_else(PoisonError::into_inner) == Some(expiring) {
            return Ok(Outcome::Requested { expiring });
        }
        let call = Call {
            region: Region::Na,
            method: Method::POST,
            path: ROTATE_APPLICATION_CLIENT_SECRET.template.to_owned(),
            query: None,
            headers: HeaderMap::new(),
            body: axum::body::Bytes::new(),
            key: Key::Grantless(SCOPE_ROTATION),
            operation: Some(&ROTATE_APPLICATION_CLIENT_SECRET),
        };
        let response = self.agent.call(call).await.map_err(|f| format!("rotateApplicationClientSecret: {f}"))?;
        let status = response.status();
        if !status.is_success() {
            let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap_or_default();
            return Err(format!("rotateApplicationClientSecret answered {status}: {}", String::from_utf8_lossy(&body)));
        }
        *self.requested_for.lock().unwrap_or_else(PoisonError::into_inner) = Some(expiring);
        self.checkpoint("rotate-called");
        Ok(Outcome::Requested { expiring })
    }

    async fn store(&self, secret: &Secret, expires_at: Timestamp, id: &str) -> Result<Outcome, String> {
        let described = self.described().await?;
        if recorded_expiry(described.description.as_deref().unwrap_or_default()).is_some_and(|s| s >= expires_at) {
            // Stored before the crash or redelivery that brought this notice back: switch, done.
            self.agent.creds.reload().await.map_err(|e| e.0)?;
            return Ok(Outcome::AlreadyStored);
        }
        let client_id = self.agent.creds.client_id().ok_or("the client id is not loaded")?;
        self.agent
            .lwa
            .exchange(&client_id, secret, Grant::ClientCredentials(SCOPE_ROTATION))
            .await
            .map_err(|e| format!("LWA refused the new secret: {e}"))?;
        self.checkpoint("verified");
        let version = self
            .ssm
            .put_secret(
                self.secret_parameter(),
                secret,
                &description(expires_at, &format!("notification {id}")),
                described.key_id.as_deref(),
            )
            .await
            .map_err(|e| e.0)?;
        self.checkpoint("stored");
        self.agent.creds.reload().await.map_err(|e| e.0)?;
        if self.agent.creds.client_secret_version().is_none_or(|v| v < version) {
            return Err(format!("SSM does not show version {version} of {} yet", self.secret_parameter()));
        }
        self.checkpoint("switched");
        Ok(Outcome::Stored { version, expires_at })
    }

    /// The own schedule: rotates when the stored secret nears its expiry though no notice came.
    async fn schedule(self: Arc<Self>) {
        let mut tick = tokio::time::interval(self.settings.check_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let result = async {
                let described = self.described().await?;
                let lifetime =
                    jiff::SignedDuration::try_from(self.settings.secret_lifetime).map_err(|e| e.to_string())?;
                let expiring = match recorded_expiry(described.description.as_deref().unwrap_or_default()) {
                    Some(t) => t,
                    None => match described.last_modified {
                        Some(t) => t.saturating_add(lifetime).map_err(|e| e.to_string())?,
                        None => return Ok(None),
                    },
                };
                self.rotate_if_due(expiring, None).await.map(Some)
            }
            .await;
            match result {
                Ok(Some(outcome @ Outcome::Requested { .. })) => self.report(&outcome, None).await,
                Ok(_) => {}
                Err(why) => self.failed("schedule", &why, None).await,
            }
        }
    }

    async fn report(&self, outcome: &Outcome, notification: Option<&str>) {
        self.agent.metrics.inc(ROTATIONS, &[("event", outcome.event()), ("outcome", "ok")]);
        let parameter = self.secret_parameter();
        let detail = match outcome {
            Outcome::Stored { version, expires_at } => json!({"version": version, "expiresAt": expires_at.to_string()}),
            Outcome::Requested { expiring } | Outcome::NotDue { expiring } => json!({"expiring": expiring.to_string()}),
            Outcome::Ignored(why) => json!({"reason": why}),
            Outcome::AlreadyStored | Outcome::Stale => json!({}),
        };
        tracing::info!(event = outcome.event(), parameter, notification, %detail, "client secret rotation");
        if matches!(outcome, Outcome::Stored { .. } | Outcome::Requested { .. }) {
            self.publish(outcome.event(), notification, detail).await;
        }
    }

    async fn failed(&self, step: &str, why: &str, notification: Option<&str>) {
        self.agent.metrics.inc(ROTATIONS, &[("event", step), ("outcome", "failed")]);
        tracing::error!(
            alert = "rotation_failed",
            step,
            notification,
            error = why,
            "client secret rotation failed; it will be tried again"
        );
        self.publish("rotation_failed", notification, json!({"step": step, "error": why})).await;
    }

    async fn publish(&self, event: &str, notification: Option<&str>, detail: serde_json::Value) {
        let Some(topic) = &self.settings.topic_arn else {
            return;
        };
        let message = json!({
            "event": event,
            "parameter": self.secret_parameter(),
            "notificationId": notification,
            "detail": detail,
            "at": self.agent.clock.now().to_string(),
        });
        let sent = self
            .sns
            .publish()
            .topic_arn(topic)
            .subject(format!("spcred agent: {event}"))
            .message(message.to_string())
            .send()
            .await;
        if let Err(e) = sent {
            tracing::warn!(topic, error = %aws_sdk_sns::error::DisplayErrorContext(e), "could not publish the rotation outcome");
        }
    }
}

/// `spcred rotate --new-secret-from-stdin`: proves `secret` with an LWA exchange and stores it as
/// a new version of the client secret parameter (a running agent switches at its next look).
/// The new version's number. The secret's recorded expiry counts its lifetime from `clock`'s now.
pub async fn store_by_hand(config: &Config, secret: &Secret, clock: &dyn Clock) -> Result<i64, String> {
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let ssm = SsmStore::new(&aws);
    let names = &config.parameters;
    let found = ssm.get(std::slice::from_ref(&names.client_id), true).await.map_err(|e| e.0)?;
    let client_id = found
        .into_iter()
        .find(|p| p.name == names.client_id)
        .and_then(|p| p.value)
        .ok_or_else(|| format!("the SSM parameter {} does not exist", names.client_id))?;
    let http = reqwest::Client::builder().user_agent(config.user_agent.clone()).build().map_err(|e| e.to_string())?;
    Lwa::new(http, config.lwa_endpoint.clone())
        .exchange(&client_id, secret, Grant::ClientCredentials(SCOPE_ROTATION))
        .await
        .map_err(|e| format!("LWA refused the new secret, nothing was stored: {e}"))?;
    let described = ssm.describe(&names.client_secret).await.map_err(|e| e.0)?.unwrap_or_default();
    let lifetime = config.rotation.as_ref().map_or(Duration::from_secs(180 * 86_400), |r| r.secret_lifetime);
    let expires_at = clock
        .now()
        .saturating_add(jiff::SignedDuration::try_from(lifetime).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    ssm.put_secret(&names.client_secret, secret, &description(expires_at, "spcred rotate"), described.key_id.as_deref())
        .await
        .map_err(|e| e.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_records_the_expiry() {
        let t: Timestamp = "2027-05-21T00:00:00Z".parse().unwrap();
        let d = description(t, "notification n-1");
        assert_eq!(d, "LWA client secret; expires 2027-05-21T00:00:00Z; stored by spcred agent (notification n-1)");
        assert_eq!(recorded_expiry(&d), Some(t));
        assert_eq!(recorded_expiry("my secret"), None);
        assert_eq!(recorded_expiry("x; expires never; y"), None);
    }

    #[test]
    fn due_within_the_threshold() {
        let expiring: Timestamp = "2027-05-21T00:00:00Z".parse().unwrap();
        let thirty = Duration::from_secs(30 * 86_400);
        assert!(!due(expiring, "2027-04-20T23:59:59Z".parse().unwrap(), thirty).unwrap());
        assert!(due(expiring, "2027-04-21T00:00:00Z".parse().unwrap(), thirty).unwrap());
        assert!(due(expiring, "2027-06-01T00:00:00Z".parse().unwrap(), thirty).unwrap());
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay(0), Duration::from_secs(30));
        assert_eq!(retry_delay(1), Duration::from_secs(30));
        assert_eq!(retry_delay(3), Duration::from_secs(120));
        assert_eq!(retry_delay(50), LONGEST_RETRY);
    }

    fn rotator(agent: Arc<Agent>) -> Rotator {
        // The AWS clients are never called on this path.
        let aws = aws_config::SdkConfig::builder().behavior_version(aws_config::BehaviorVersion::latest()).build();
        Rotator {
            agent,
            ssm: SsmStore::new(&aws),
            sqs: aws_sdk_sqs::Client::new(&aws),
            sns: aws_sdk_sns::Client::new(&aws),
            settings: Rotation {
                queue_urls: Vec::new(),
                topic_arn: None,
                threshold: Duration::from_secs(30 * 86_400),
                secret_lifetime: Duration::from_secs(180 * 86_400),
                check_interval: Duration::from_secs(3600),
            },
            done: Mutex::new(HashSet::new()),
            requested_for: Mutex::new(None),
            fail_point: None,
        }
    }

    #[tokio::test]
    async fn a_rotation_due_on_a_day_is_asked_for_when_the_clock_reaches_it() {
        let clock = crate::clock::TestClock::at("2027-04-20T00:00:00Z");
        let (fake, agent) = crate::tests::fake_and_agent(clock.clone()).await;
        let rotator = rotator(agent);
        // Due 30 days before it expires: from 2027-04-21T00:00:00Z.
        let expiring: Timestamp = "2027-05-21T00:00:00Z".parse().unwrap();
        assert_eq!(rotator.rotate_if_due(expiring, None).await.unwrap(), Outcome::NotDue { expiring });
        clock.advance(86_400 - 1);
        assert_eq!(rotator.rotate_if_due(expiring, None).await.unwrap(), Outcome::NotDue { expiring });
        assert_eq!(fake.rotations.load(std::sync::atomic::Ordering::SeqCst), 0);
        clock.advance(1);
        assert_eq!(rotator.rotate_if_due(expiring, None).await.unwrap(), Outcome::Requested { expiring });
        assert_eq!(fake.rotations.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn a_notice_dated_ahead_of_the_clock_counts_from_its_own_date() {
        let clock = crate::clock::TestClock::at("2027-04-20T00:00:00Z");
        let ahead: Timestamp = "2027-04-22T00:00:00Z".parse().unwrap();
        assert_eq!(now_or_later(clock.as_ref(), Some(ahead)), ahead);
        assert_eq!(now_or_later(clock.as_ref(), Some("2027-04-01T00:00:00Z".parse().unwrap())), clock.now());
        assert_eq!(now_or_later(clock.as_ref(), None), clock.now());
    }
}
