//! The narrow interfaces one service uses another through, where AWS's own services do: the
//! core defines them, the providing service implements them, and the composition root wires the
//! implementation into the [`Env`] ([`Env::wire`]) for the services that use it ([`Env::port`]).

use crate::caller::Caller;
use crate::env::Env;
use crate::error::CommonError;
use crate::service::{Check, Ctx};
use crypto::kms::{BlobOrigin, EncryptionContext};
use std::fmt;
use store::kms::Key;
use zeroize::Zeroizing;

/// Which KMS failure a service using a key on its caller's behalf met, as far as it tells them
/// apart (SQS reports each as its own `Kms*` error; Parameter Store reports all as one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFault {
    /// No such key or alias.
    NotFound,
    /// The key is disabled.
    Disabled,
    /// The key's state does not allow the use (pending deletion).
    InvalidState,
    /// The key cannot be used so.
    InvalidKeyUsage,
    /// The ciphertext is not KMS's, was altered, or its context differs.
    InvalidCiphertext,
    /// KMS's authorization refused the use.
    AccessDenied,
    /// Anything else KMS failed with.
    Other,
}

/// A KMS failure met while a service used a key on its caller's behalf.
#[derive(Debug, Clone)]
pub struct KeyError {
    /// Which failure it is.
    pub fault: KeyFault,
    /// KMS's error code, e.g. `DisabledException`.
    pub code: String,
    /// KMS's message.
    pub message: String,
    /// The pipeline's own error, when that is what KMS failed with (access denied, internal),
    /// for the using service to pass on as it is.
    pub common: Option<CommonError>,
}

impl KeyError {
    /// The message another service (Parameter Store, SQS) reports when KMS failed it on the
    /// caller's behalf: KMS's error as AWS's Java client prints it.
    pub fn as_reported_by_service(&self, request_id: &str) -> String {
        let message = if self.message.is_empty() { "null" } else { self.message.as_str() };
        format!(
            "{message} (Service: AWSKMS; Status Code: 400; Error Code: {}; Request ID: {request_id}; Proxy: null)",
            self.code
        )
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<CommonError> for KeyError {
    fn from(e: CommonError) -> Self {
        let (code, _, message) = e.render(crate::error::Flavor::Json);
        let fault = if matches!(e, CommonError::AccessDenied(_)) { KeyFault::AccessDenied } else { KeyFault::Other };
        Self { fault, code: code.to_owned(), message, common: Some(e) }
    }
}

/// KMS's keys, for the services that encrypt with them on their callers' behalf (Parameter
/// Store's SecureStrings, SQS's SSE-KMS, Lambda's environment variables).
#[async_trait::async_trait]
pub trait Keys: Send + Sync + fmt::Debug {
    /// The key a request names (key id, key ARN, alias name or alias ARN) or, when it names
    /// none, the AWS managed key behind `default_alias` (made on first use, as AWS does).
    async fn resolve(
        &self,
        env: &Env,
        account: &str,
        region: &str,
        key_ref: Option<&str>,
        default_alias: &str,
    ) -> Result<Key, KeyError>;
    /// Fails unless the key can be used for cryptography.
    fn require_enabled(&self, key: &Key) -> Result<(), KeyError>;
    /// The permission the service needs on the caller's behalf to use `key` for `action`
    /// (`kms:Decrypt`, ...), with the encryption context and `kms:ViaService` as AWS evaluates
    /// them.
    fn check(&self, ctx: &Ctx<'_>, action: &str, key: &Key, context: &EncryptionContext, service: &str) -> Check;
    /// Encrypts under the key's current material.
    async fn encrypt(
        &self,
        env: &Env,
        key: &Key,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KeyError>;
    /// A fresh data key of `len` bytes and its ciphertext under `key`.
    async fn generate_data_key(
        &self,
        env: &Env,
        key: &Key,
        len: usize,
        context: &EncryptionContext,
    ) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), KeyError>;
    /// Which key and material version sealed `blob`.
    fn origin_of(&self, env: &Env, blob: &[u8]) -> Result<BlobOrigin, KeyError>;
    /// The key (of the account and region) that sealed `blob`.
    async fn key_of_blob(
        &self,
        env: &Env,
        account: &str,
        region: &str,
        blob: &[u8],
    ) -> Result<(Key, BlobOrigin), KeyError>;
    /// Decrypts `blob`, sealed by `key` with `context`.
    async fn decrypt(
        &self,
        env: &Env,
        key: &Key,
        origin: &BlobOrigin,
        blob: &[u8],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, KeyError>;
}

/// A message another service delivers into an SQS queue (SNS to its `sqs` subscriptions,
/// EventBridge to its targets, both to their dead-letter queues).
#[derive(Debug, Clone, Default)]
pub struct QueueMessage {
    /// The body.
    pub body: String,
    /// The message attributes in SQS's JSON shape (`{"Name": {"DataType": ..., "StringValue":
    /// ...}}`), if any.
    pub attributes: Option<serde_json::Value>,
}

/// Why a delivery into a queue did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// No queue has that ARN.
    #[error("the queue {0} does not exist")]
    NoSuchQueue(String),
    /// The queue's policy does not let the sender send to it.
    #[error("{0}")]
    AccessDenied(String),
    /// The message breaks the queue's rules (size, attributes, FIFO parameters): SQS's code and
    /// message.
    #[error("{code}: {message}")]
    Rejected {
        /// SQS's error code, e.g. `InvalidParameterValue`.
        code: String,
        /// SQS's message.
        message: String,
    },
    /// The store failed; the details are in the log.
    #[error("the store failed")]
    Internal,
}

/// SQS's queues, for the services that deliver into them.
#[async_trait::async_trait]
pub trait Queues: Send + Sync + fmt::Debug {
    /// Delivers `message` into the queue `queue_arn` on behalf of `sender` (a service principal
    /// with the `source_arn` of its topic or rule), if the queue's policy allows
    /// `sqs:SendMessage` for it. Returns the message id.
    async fn deliver(
        &self,
        env: &Env,
        queue_arn: &str,
        message: QueueMessage,
        sender: &Caller,
        source_arn: Option<&str>,
    ) -> Result<String, QueueError>;
}

/// Lambda's functions, for the services that invoke them asynchronously on their own behalf
/// (SNS's `lambda` subscriptions, EventBridge's function targets).
#[async_trait::async_trait]
pub trait Functions: Send + Sync + fmt::Debug {
    /// The scope (region and account) and name of the function `arn`
    /// (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`), if it is an unqualified function ARN.
    fn parse_arn<'a>(&self, arn: &'a str) -> Option<(store::Scope<'a>, &'a str)>;
    /// Whether service `principal` (EventBridge for a rule, SNS for a topic: `source_arn`) may
    /// invoke the function `name` of `scope`, as its resource-based policy decides. `Ok(false)`:
    /// no such function.
    async fn authorize_service_invoke(
        &self,
        env: &Env,
        principal: &str,
        source_arn: &str,
        scope: store::Scope<'_>,
        name: &str,
    ) -> Result<bool, CommonError>;
    /// Queues an asynchronous invocation of the function `name` of `scope` with `event`, inside
    /// the caller's transaction `conn`.
    async fn enqueue_invocation(
        &self,
        env: &Env,
        conn: &mut store::Conn,
        scope: store::Scope<'_>,
        name: &str,
        request_id: &str,
        event: &[u8],
    ) -> Result<(), store::StoreError>;
}

/// Why a publish to a topic on a service's behalf did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TopicError {
    /// No topic has that ARN.
    #[error("the topic {0} does not exist")]
    NoSuchTopic(String),
    /// The topic's policy does not let the sender publish to it.
    #[error("{0}")]
    AccessDenied(String),
    /// SNS failed in a way a later attempt may not (its signing key, the fan-out): its message.
    #[error("{0}")]
    Failed(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// A message published to a topic, its deliveries queued in a transaction not yet committed.
#[derive(Debug)]
pub struct Published {
    /// The transaction holding the deliveries, for the publisher to add its own bookkeeping to
    /// and commit.
    pub tx: store::Tx,
    /// The message id.
    pub message_id: String,
}

/// SNS's topics, for the services that publish to them (EventBridge's topic targets).
#[async_trait::async_trait]
pub trait Topics: Send + Sync + fmt::Debug {
    /// Publishes `message` to the topic `topic_arn` on behalf of service `principal` for
    /// `source_arn` (its rule), if the topic's policy allows `SNS:Publish` for it.
    async fn publish(
        &self,
        env: &Env,
        topic_arn: &str,
        message: &str,
        principal: &str,
        source_arn: &str,
    ) -> Result<Published, TopicError>;
}

/// A role session a service holds on the role's behalf (Lambda running a function with its
/// execution role).
pub struct RoleSession {
    /// `ASIA...`.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Zeroizing<String>,
    /// The session token.
    pub session_token: Zeroizing<String>,
}

impl fmt::Debug for RoleSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleSession").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

/// STS's role sessions, for the services that act as a role on its behalf (Lambda's execution
/// roles).
#[async_trait::async_trait]
pub trait RoleSessions: Send + Sync + fmt::Debug {
    /// Whether service `principal` may assume `role_arn`: the role exists and its trust policy
    /// allows the service, exactly as an AssumeRole call by the service would be decided.
    async fn service_may_assume(
        &self,
        env: &Env,
        region: &str,
        principal: &str,
        role_arn: &str,
        session_name: &str,
    ) -> bool;
    /// Assumes `role_arn` as service `principal` (decided as [`RoleSessions::service_may_assume`])
    /// for the default session length; `None` when it may not or the session was not made.
    async fn assume_for_service(
        &self,
        env: &Env,
        region: &str,
        principal: &str,
        role_arn: &str,
        session_name: &str,
    ) -> Option<RoleSession>;
}

/// A log write that did not happen: the CloudWatch Logs operation that failed, and why.
#[derive(Debug, Clone)]
pub struct LogWriteError {
    /// `CreateLogGroup`, `CreateLogStream` or `PutLogEvents`.
    pub operation: &'static str,
    /// CloudWatch Logs' message.
    pub message: String,
}

/// CloudWatch Logs, for the services that write logs as their caller (Lambda writes what a
/// function printed as its execution role).
#[async_trait::async_trait]
pub trait LogWriter: Send + Sync + fmt::Debug {
    /// Writes `events` (epoch milliseconds and message, in order) to the stream `stream` of the
    /// group `group` as `caller`: the group and the stream are created unless they exist, then
    /// the events put, each call decided and run as the API would. Stops at the first call that
    /// fails.
    async fn write(
        &self,
        env: &Env,
        caller: &Caller,
        region: &str,
        group: &str,
        stream: &str,
        events: Vec<(i64, String)>,
    ) -> Result<(), LogWriteError>;
}
