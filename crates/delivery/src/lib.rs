//! Outbound delivery: e-mail over SMTP, SMS through an HTTP provider, and HTTP/S POSTs, for
//! the deliveries the AWS services queue (`store::delivery`). Deliveries into SQS queues stay
//! inside the AWS services.
//!
//! Each channel is a [`store::jobs::Handler`] for its job kind. A handler sends once per job
//! run and settles the attempt through `store::delivery::settle`: success is recorded and the
//! job removed in one transaction; failures are retried on the delivery's schedule or, when
//! they cannot succeed or run out of retries, recorded as failed (and dead-lettered if the
//! subscription has a queue for it). With no SMTP server or SMS provider configured, e-mail and
//! SMS land in the local outbox instead, which `GET /_spcred/outbox` and `spcred outbox` show.

mod email;
mod http;
mod sms;

use crypto::Random;
use std::sync::Arc;
use std::time::Duration;
use store::delivery::{self, Attempt, Send, Settled};
use store::jobs::{Handler, Job, Outcome};
use store::{Clock, Store, StoreError};

pub use email::Email;
pub use http::Http;
pub use sms::Sms;

/// How long one HTTP delivery may take, as SNS allows its endpoints.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(15);
/// How long one SMTP conversation may take. Both stay well under the job lease.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where deliveries go, from `spcred serve`'s flags.
#[derive(Clone, Default)]
pub struct Config {
    /// `smtp://user:pass@host:port` (plain or with `?tls=required`) or `smtps://...`; none keeps
    /// e-mail in the local outbox.
    pub smtp_url: Option<String>,
    /// The sender address of e-mail.
    pub smtp_from: Option<String>,
    /// The SMS provider's message endpoint (a Twilio-style form POST, credentials in the URL's
    /// user info); none keeps SMS in the local outbox.
    pub sms_url: Option<String>,
    /// The sender number or id given to the SMS provider.
    pub sms_from: Option<String>,
}

impl std::fmt::Debug for Config {
    // The URLs may carry passwords.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("smtp", &self.smtp_url.as_deref().map(redact))
            .field("smtp_from", &self.smtp_from)
            .field("sms", &self.sms_url.as_deref().map(redact))
            .field("sms_from", &self.sms_from)
            .finish()
    }
}

/// A URL without its user info, for logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "(unparsable URL)".to_owned(),
    }
}

/// Why a delivery channel could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The SMTP URL is not usable.
    #[error("--smtp-url {url} is not usable: {reason}")]
    Smtp {
        /// The URL without credentials.
        url: String,
        /// Why.
        reason: String,
    },
    /// The SMS provider URL is not usable.
    #[error("--sms-url {url} is not usable: {reason}")]
    Sms {
        /// The URL without credentials.
        url: String,
        /// Why.
        reason: String,
    },
    /// The sender address is not an address.
    #[error("--smtp-from {0:?} is not an e-mail address")]
    From(String),
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
}

/// A way of sending one kind of delivery.
#[async_trait::async_trait]
pub trait Channel: std::marker::Send + Sync + 'static {
    /// The job kind it handles.
    const KIND: &'static str;
    /// Its label in metrics and logs.
    const NAME: &'static str;
    /// `Some((channel, sender))` when messages go to the local outbox instead of out.
    fn outbox(&self) -> Option<(&'static str, Option<String>)>;
    /// One attempt.
    async fn send(&self, send: &Send) -> Attempt;
}

/// The job handler of a channel.
pub struct Deliverer<C: Channel> {
    store: Store,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn Random>,
    channel: C,
}

impl<C: Channel> std::fmt::Debug for Deliverer<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliverer").field("channel", &C::NAME).finish_non_exhaustive()
    }
}

impl<C: Channel> Deliverer<C> {
    /// A handler sending through `channel`.
    pub fn new(store: Store, clock: Arc<dyn Clock>, rng: Arc<dyn Random>, channel: C) -> Self {
        Self { store, clock, rng, channel }
    }
}

#[async_trait::async_trait]
impl<C: Channel> Handler for Deliverer<C> {
    async fn run(&self, job: &Job) -> Result<Outcome, StoreError> {
        let Ok(send) = serde_json::from_str::<Send>(&job.payload) else {
            tracing::error!(id = job.id, kind = C::KIND, "a delivery job does not parse; dropping it");
            return Ok(Outcome::Done);
        };
        // Already delivered or failed (a job run twice after a crash): never send again.
        let Some(open) = delivery::open(&mut *self.store.read().await?, &send.delivery_id).await? else {
            return Ok(Outcome::Done);
        };
        if let Some((channel, sender)) = self.channel.outbox() {
            let outcome = delivery::settle_in_outbox(
                &self.store,
                job,
                &send,
                open.attempts,
                channel,
                sender.as_deref(),
                self.clock.now_ms(),
            )
            .await?;
            metrics::counter!("spcred_deliveries_total", "channel" => C::NAME, "outcome" => "outbox").increment(1);
            tracing::info!(delivery = %send.delivery_id, channel, "kept in the local outbox");
            return Ok(outcome);
        }
        let attempt = self.channel.send(&send).await;
        if let Attempt::Failed { error, retryable } = &attempt {
            tracing::warn!(delivery = %send.delivery_id, channel = C::NAME, attempt = open.attempts + 1, retryable, %error, "delivery attempt failed");
        }
        let mut random = [0u8; 8];
        self.rng.fill(&mut random);
        let (outcome, settled) = delivery::settle(
            &self.store,
            job,
            &send,
            open.attempts,
            attempt,
            self.clock.now_ms(),
            u64::from_le_bytes(random),
        )
        .await?;
        metrics::counter!("spcred_deliveries_total", "channel" => C::NAME, "outcome" => settled.as_str()).increment(1);
        match settled {
            Settled::Delivered => tracing::info!(delivery = %send.delivery_id, channel = C::NAME, "delivered"),
            Settled::Failed | Settled::DeadLettered => {
                tracing::error!(delivery = %send.delivery_id, channel = C::NAME, outcome = settled.as_str(), "delivery given up");
            }
            Settled::Retrying => {}
        }
        Ok(outcome)
    }
}

fn handler<C: Channel>(store: &Store, clock: &Arc<dyn Clock>, rng: &Arc<dyn Random>, channel: C) -> Arc<dyn Handler> {
    Arc::new(Deliverer::new(store.clone(), clock.clone(), rng.clone(), channel))
}

/// Job handlers by the job kind they run.
pub type Handlers = Vec<(&'static str, Arc<dyn Handler>)>;

/// The e-mail, SMS and HTTP/S handlers for `config`, by job kind.
pub fn handlers(
    config: &Config,
    store: &Store,
    clock: &Arc<dyn Clock>,
    rng: &Arc<dyn Random>,
) -> Result<Handlers, ConfigError> {
    Ok(vec![
        (Email::KIND, handler(store, clock, rng, Email::new(config)?)),
        (Sms::KIND, handler(store, clock, rng, Sms::new(config)?)),
        (Http::KIND, handler(store, clock, rng, Http::new()?)),
    ])
}

/// How an HTTP status settles an attempt: 2xx delivered; 429 and 5xx worth retrying; any
/// other status a refusal that retrying will not change.
pub(crate) fn by_status(status: reqwest::StatusCode, body: &str) -> Attempt {
    let said: String = body.chars().take(200).collect();
    if status.is_success() {
        Attempt::Delivered(format!("HTTP {}", status.as_u16()))
    } else {
        let retryable = status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
        Attempt::Failed { error: format!("HTTP {} {said}", status.as_u16()), retryable }
    }
}

/// How a transport error settles an attempt: the endpoint may come back, so retry.
pub(crate) fn by_transport_error(e: reqwest::Error) -> Attempt {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    Attempt::Failed { error: format!("request {what}: {}", e.without_url()), retryable: true }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert!(matches!(by_status(reqwest::StatusCode::OK, ""), Attempt::Delivered(_)));
        assert!(matches!(by_status(reqwest::StatusCode::NO_CONTENT, ""), Attempt::Delivered(_)));
        assert!(matches!(
            by_status(reqwest::StatusCode::SERVICE_UNAVAILABLE, ""),
            Attempt::Failed { retryable: true, .. }
        ));
        assert!(matches!(
            by_status(reqwest::StatusCode::TOO_MANY_REQUESTS, ""),
            Attempt::Failed { retryable: true, .. }
        ));
        assert!(matches!(by_status(reqwest::StatusCode::FORBIDDEN, "no"), Attempt::Failed { retryable: false, .. }));
    }

    #[test]
    fn urls_lose_their_credentials_in_logs() {
        assert_eq!(redact("smtp://user:secret@mail.example.com:587"), "smtp://mail.example.com:587");
        let config = Config { smtp_url: Some("smtps://u:p4ss@h:465".into()), ..Config::default() };
        assert!(!format!("{config:?}").contains("p4ss"));
    }
}
