//! The SP-API sandbox: Amazon's side of the Selling Partner API, faithful enough that an app or
//! SDK written against Amazon runs unmodified once its endpoints point here.
//!
//! ```text
//! Developer Central (admin API)   developer profile, apps, LWA credentials, sellers, self-authorization
//! POST /auth/o2/token             LWA: refresh_token, client_credentials, authorization_code
//! /apps/authorize/consent         the website authorization workflow (HTML)
//! SP-API                          Sellers, Orders (sample orders), Tokens (RDT), Notifications,
//!                                 Application Management (client secret rotation)
//! /ap/oa, /{scopeId}/data-queries Amazon Data Portability: customer consent and the API
//! reviews (admin API)             the developer registration, app listings and the Identity and
//!                                 Security Assessment, on one review engine with business-day SLAs
//! jobs                            notification delivery, client secret expiry notices, review
//!                                 deadlines and SLA breaches
//! ```
//!
//! The sandbox is a library: the server mounts [`Sandbox::router`] and, behind its admin token,
//! [`Sandbox::admin_router`], registers [`Sandbox::job_handlers`] with its scheduler, and supplies
//! what only the AWS side can do through two traits: [`NotificationSink`] (deliver to an SQS queue
//! as Amazon's account) and [`IamGate`] (legacy `SigV4` mode). Bearer secrets are kept as keyed
//! hashes under the [`crypto::Purpose::Verifier`] key; a new client secret waiting in the outbox
//! is sealed under the [`crypto::Purpose::AtRest`] key.

mod admin;
mod api;
mod apps;
mod calendar;
mod catalog;
mod consent;
mod documents;
mod dp;
mod error;
mod flows;
mod ids;
mod issue;
mod listing;
mod lwa;
mod notify;
mod orders;
mod ratelimit;
mod review;
mod reviews_admin;

use crypto::{DataKey, Random};
use std::sync::Arc;
use store::audit::AuditLog;
use store::{Clock, Store};

pub use apps::{
    AppEdit, ConsoleError, Contact, Dev, FreshSecret, NewApp, Organization, Registration, SecurityControls, UseCases,
};
pub use calendar::Calendar;
pub use catalog::{MARKETPLACES, Marketplace, ROLES, Role};
pub use dp::{
    Identity, NewRequest, PRIVACY_QUESTIONS, Question, SECURITY_QUESTIONS, Security, Verification, questions,
};

/// Amazon's AWS account, the principal that delivers SP-API notifications to SQS queues.
pub const AMAZON_ACCOUNT: &str = "437568002678";

/// Why a notification could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// The destination refuses, and will until someone changes it (no such queue, a queue
    /// policy without Amazon's principal). Not retried.
    #[error("{0}")]
    Refused(String),
    /// A transient failure; the delivery is retried.
    #[error("{0}")]
    Unavailable(String),
}

/// An `EventBridge` destination: the partner event source Amazon creates in the developer's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerEventTarget {
    /// The AWS account receiving the events.
    pub account_id: String,
    /// The region.
    pub region: String,
    /// The partner event source's name.
    pub source_name: String,
}

/// Where notifications go: implemented by the server over the AWS services.
#[async_trait::async_trait]
pub trait NotificationSink: Send + Sync {
    /// Sends `body` to the SQS queue `queue_arn` as Amazon's account [`AMAZON_ACCOUNT`], if the
    /// queue's policy allows it.
    async fn send_to_queue(&self, queue_arn: &str, body: &str) -> Result<(), SinkError>;
    /// Puts `event` (an `EventBridge` event with `detail`) on the partner event source `target`.
    async fn put_partner_event(&self, target: &PartnerEventTarget, event: &serde_json::Value) -> Result<(), SinkError>;
}

/// Why legacy IAM mode refused a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateRefusal {
    /// The access key is unknown or inactive, or the session token is not valid.
    InvalidToken,
    /// The temporary credentials have expired.
    ExpiredToken,
    /// The signature does not verify (the text says how).
    InvalidSignature(String),
    /// The signer is neither the IAM entity registered on the app nor a session of that role.
    NotRegistered {
        /// The signer's ARN.
        signer: String,
    },
    /// IAM does not allow `execute-api:Invoke` on the call's resource (the text is IAM's).
    Denied(String),
    /// The gate itself failed (the store); details are in the log.
    Internal,
}

/// Legacy IAM mode (`spcred serve --sp-require-sigv4`): Signature Version 4 authentication and IAM
/// authorization of SP-API calls, implemented by the server over IAM and STS.
#[async_trait::async_trait]
pub trait IamGate: Send + Sync {
    /// Verifies `request`'s signature (parsed as `auth`, service `execute-api`), checks that the
    /// signer is `registered_arn` (an IAM user) or a session of it (an IAM role), and decides
    /// `execute-api:Invoke` for the signer on the call's [`execute_api_arn`] (in the signer's
    /// region and account). `source_ip` is the caller's address, for `aws:SourceIp` conditions.
    async fn check(
        &self,
        request: &sigv4::Request<'_>,
        auth: &sigv4::Auth,
        source_ip: std::net::IpAddr,
        registered_arn: &str,
    ) -> Result<(), GateRefusal>;
}

/// The API Gateway resource of an SP-API call as IAM policies name it for `execute-api:Invoke`:
/// `arn:aws:execute-api:REGION:ACCOUNT:sellingpartnerapi/prod/METHOD/PATH`.
pub fn execute_api_arn(region: &str, account: &str, method: &str, path: &str) -> String {
    format!("arn:aws:execute-api:{region}:{account}:sellingpartnerapi/prod/{method}{path}")
}

/// What the sandbox needs from its host.
pub struct Deps {
    /// The store.
    pub store: Store,
    /// The server clock (virtual in test mode): every expiry and schedule uses it.
    pub clock: Arc<dyn Clock>,
    /// Randomness for ids and secrets.
    pub rng: Arc<dyn Random>,
    /// The key of the keyed hashes that stand for bearer secrets ([`crypto::Purpose::Verifier`]).
    pub verifier: DataKey,
    /// The key that seals a new client secret in the outbox ([`crypto::Purpose::AtRest`]).
    pub at_rest: DataKey,
    /// The audit log.
    pub audit: AuditLog,
    /// Where notifications go.
    pub sink: Arc<dyn NotificationSink>,
    /// `Some` in legacy IAM mode: every SP-API call must be SigV4-signed and IAM-authorized.
    pub gate: Option<Arc<dyn IamGate>>,
    /// The business days Amazon's review SLAs are counted on.
    pub calendar: Calendar,
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps").field("legacy_iam_mode", &self.gate.is_some()).finish_non_exhaustive()
    }
}

/// The SP-API sandbox.
pub struct Sandbox {
    deps: Deps,
    limiter: ratelimit::Limiter,
    tokens: issue::TokenWriter,
    dp_quota: dp::api::Quota,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("deps", &self.deps).finish_non_exhaustive()
    }
}

impl Sandbox {
    /// A sandbox over `deps`. Starts its token writer: call it inside a Tokio runtime.
    pub fn new(deps: Deps) -> Arc<Self> {
        let tokens = issue::TokenWriter::start(deps.store.clone(), deps.clock.clone());
        Arc::new(Self { deps, limiter: ratelimit::Limiter::default(), tokens, dp_quota: dp::api::Quota::default() })
    }

    /// The public endpoints: `/auth/o2/token`, `/apps/authorize/...` and the SP-API paths.
    pub fn router(self: &Arc<Self>) -> axum::Router {
        use axum::routing::{any, get, post};
        axum::Router::new()
            .route("/auth/o2/token", post(lwa::handle))
            .route("/apps/authorize/consent", get(consent::start).post(consent::confirm))
            .route("/apps/authorize/confirm/{application_id}", get(consent::callback))
            .route("/sellers/{*rest}", any(api::handle))
            .route("/orders/{*rest}", any(api::handle))
            .route("/tokens/{*rest}", any(api::handle))
            .route("/notifications/{*rest}", any(api::handle))
            .route("/applications/{*rest}", any(api::handle))
            .route("/ap/oa", get(dp::consent::start).post(dp::consent::confirm))
            .route("/{scope_id}/data-queries", post(dp::api::create))
            .route("/{scope_id}/data-queries/{query_id}/records", get(dp::api::records))
            .route("/portability-files/{query_id}/{n}/{file}", get(dp::api::file))
            .with_state(self.clone())
    }

    /// The Developer Central admin API, to be nested at `/_spcred/sp` behind the admin token.
    pub fn admin_router(self: &Arc<Self>) -> axum::Router {
        admin::router(self.clone())
    }

    /// The job handlers to register with the scheduler: notification delivery, client secret
    /// expiry notices, and the review engine's deadlines and SLAs.
    pub fn job_handlers(self: &Arc<Self>) -> Vec<(&'static str, Arc<dyn store::jobs::Handler>)> {
        let mut handlers = notify::handlers(self);
        handlers.extend(review::handlers(self));
        handlers
    }

    fn now_ms(&self) -> i64 {
        self.deps.clock.now_ms()
    }

    /// A connection for reads.
    async fn reader(&self) -> Result<impl std::ops::DerefMut<Target = store::Conn>, store::StoreError> {
        Ok(self.deps.store.reader().acquire().await?)
    }

    /// A write transaction.
    async fn begin(&self) -> Result<store::Tx, store::StoreError> {
        self.deps.store.begin().await
    }

    fn ids(&self) -> ids::Ids<'_> {
        ids::Ids(self.deps.rng.as_ref())
    }

    /// The keyed hash that stands for a bearer secret of `kind` in the store; the kind keeps a
    /// secret of one sort from ever matching a verifier of another.
    fn verifier(&self, kind: &str, secret: &str) -> [u8; 32] {
        let mut data = Vec::with_capacity(kind.len() + 1 + secret.len());
        data.extend_from_slice(kind.as_bytes());
        data.push(0);
        data.extend_from_slice(secret.as_bytes());
        self.deps.verifier.mac(&data)
    }

    /// Records an SP-side request in the audit log; a failed write is logged and reported.
    async fn audit(&self, record: store::audit::Record) -> Result<(), ()> {
        self.deps.audit.record(record).await.map_err(|e| tracing::error!(error = %e, "audit write failed"))
    }
}

/// Formats epoch milliseconds as Amazon's ISO 8601 (`2023-11-30T12:00:00.000Z`).
pub(crate) fn iso_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()).unwrap_or_default()
}

/// Formats epoch milliseconds as ISO 8601 to the second (`2023-11-30T12:00:00Z`), as the Orders
/// API prints dates.
pub(crate) fn iso_s(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

/// Commits `tx`.
async fn commit(tx: store::Tx) -> Result<(), store::StoreError> {
    Ok(tx.commit().await?)
}
