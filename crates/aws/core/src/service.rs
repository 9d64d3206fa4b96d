//! The contract between the pipeline and a service.

use crate::caller::Caller;
use crate::env::Env;
use crate::error::{CommonError, Flavor, ServiceError};
use serde_json::Value;
use std::net::IpAddr;

/// A service's operation table: an enum with one variant per implemented operation.
pub trait Operation: Sized + Copy + Send + Sync + std::fmt::Debug + 'static {
    /// The operation named `name` (as in `Action=` or `X-Amz-Target`), if implemented.
    fn from_name(name: &str) -> Option<Self>;
    /// The operation's name.
    fn name(self) -> &'static str;
}

/// A call's input decoded once, from the wire layer's normalised value, into the service's typed
/// request: the same value is authorized and then executed. Services' `ops.rs`, generated from
/// their models by `tools/gen-ops.py`, implement it.
pub trait Request: Sized + Send + Sync + 'static {
    /// The operation table.
    type Op: Operation;
    /// Decodes `op`'s input (already validated against the model).
    fn decode(op: Self::Op, input: Value) -> Result<Self, CommonError>;
    /// The operation this is a request of.
    fn op(&self) -> Self::Op;
}

/// The operation table of service `S`.
pub type OpOf<S> = <<S as Service>::Request as Request>::Op;

/// Everything an operation may know about its request, and nothing about HTTP.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The shared environment.
    pub env: &'a Env,
    /// The request id returned to the caller.
    pub request_id: &'a str,
    /// Who is calling.
    pub caller: &'a Caller,
    /// The region from the signature's credential scope.
    pub region: &'a str,
    /// The peer address (aws:SourceIp).
    pub source_ip: IpAddr,
    /// The `Host` the request was sent to (for URLs the service hands back, e.g. SQS queue URLs).
    pub host: &'a str,
    /// Whether the request came over TLS (aws:SecureTransport).
    pub secure: bool,
    /// The protocol the request speaks (SQS answers both awsJson and awsQuery, with a few
    /// messages that differ between them).
    pub protocol: wire::Protocol,
    /// Now, on the server's clock.
    pub now_ms: i64,
}

impl Ctx<'_> {
    /// The caller's account.
    pub fn account(&self) -> &str {
        &self.caller.account_id
    }

    /// Decides a further permission inside an operation (e.g. SSM's GetParameter WithDecryption
    /// needs `kms:Decrypt` on the parameter's key), exactly as the declared checks are decided.
    pub async fn authorize(&self, check: Check) -> Result<(), CommonError> {
        crate::authz::authorize(self, &Authorization::one(check)).await
    }
}

/// The context of a service acting on its own behalf (EventBridge invoking a target, SNS
/// delivering to a queue) rather than answering a request: `caller` is a service principal.
pub fn internal_ctx<'a>(env: &'a Env, request_id: &'a str, caller: &'a Caller, region: &'a str) -> Ctx<'a> {
    Ctx {
        env,
        request_id,
        caller,
        region,
        source_ip: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        host: "",
        secure: true,
        // No protocol carries an internal call; the JSON one names its errors most plainly.
        protocol: wire::Protocol::Json1_0,
        now_ms: env.now_ms(),
    }
}

/// A resource-based policy that takes part in a decision.
#[derive(Debug, Clone)]
pub struct ResourcePolicy {
    /// The policy document as stored.
    pub document: String,
    /// How it combines with the caller's identity policies.
    pub mode: policy::ResourceMode,
}

/// One permission an operation needs: an IAM action on a resource, with the request's condition keys.
#[derive(Debug, Clone)]
pub struct Check {
    /// `service:Action`, e.g. `iam:CreateUser`.
    pub action: String,
    /// The resource ARN, or `*` for actions without a resource.
    pub resource: String,
    /// Service-specific condition keys with their values (e.g. `kms:EncryptionContext:k`).
    pub conditions: Vec<(String, Vec<String>)>,
    /// The resource's own policy, for topics, queues, keys and roles.
    pub resource_policy: Option<ResourcePolicy>,
}

impl Check {
    /// A check of `action` on `resource` with no extra condition keys and no resource policy.
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self { action: action.into(), resource: resource.into(), conditions: Vec::new(), resource_policy: None }
    }

    /// Adds a condition key.
    #[must_use]
    pub fn with_condition(mut self, key: impl Into<String>, values: Vec<String>) -> Self {
        self.conditions.push((key.into(), values));
        self
    }

    /// Adds the resource's policy.
    #[must_use]
    pub fn with_resource_policy(mut self, document: String, mode: policy::ResourceMode) -> Self {
        self.resource_policy = Some(ResourcePolicy { document, mode });
        self
    }
}

/// What an operation needs to be allowed. Every operation declares one, even when AWS requires
/// no permission (GetCallerIdentity), so that nothing runs unauthorized by omission.
#[derive(Debug, Clone)]
pub enum Authorization {
    /// AWS documents that no permission is needed (any authenticated caller may call it).
    NotRequired,
    /// All of these must be allowed.
    All(Vec<Check>),
}

impl Authorization {
    /// A single check.
    pub fn one(check: Check) -> Self {
        Authorization::All(vec![check])
    }
}

/// An AWS-compatible service. Services are typed and never see HTTP.
#[async_trait::async_trait]
pub trait Service: Send + Sync + 'static {
    /// A decoded call (the operation table is its `Op`).
    type Request: Request;
    /// The service's error enum.
    type Error: ServiceError + From<CommonError>;

    /// The SigV4 signing name (`sts`, `iam`, `kms`, ...), which must match the credential scope.
    fn signing_name(&self) -> &'static str;
    /// The AWS service model the wire layer uses.
    fn model(&self) -> &'static wire::ServiceModel;
    /// How common errors are spelled for this service.
    fn flavor(&self) -> Flavor;

    /// The awsQuery twin of [`Service::model`], for a JSON service that also takes awsQuery
    /// requests (SQS's Query API). Requests in awsQuery are then decoded and answered with it.
    fn query_model(&self) -> Option<&'static wire::ServiceModel> {
        None
    }

    /// Parameters an awsQuery request carries in its path rather than in its form (SQS's Query
    /// API posts to the queue URL). They are added after the form's own, which win.
    fn path_parameters(
        &self,
        _ctx: &Ctx<'_>,
        _op: OpOf<Self>,
        _path: &str,
    ) -> Result<Vec<(String, String)>, Self::Error> {
        Ok(Vec::new())
    }

    /// Input that breaks the model's constraints fails with the common validation error unless
    /// the service decides otherwise here: `Some(Err(e))` fails with the service's own error
    /// (SQS's `MissingParameter`), `Some(Ok(()))` accepts the input (SQS's receive does not hold
    /// its attribute names to the model's enum).
    fn invalid_input(
        &self,
        _op: OpOf<Self>,
        _input: &Value,
        _violations: &[wire::Violation],
    ) -> Option<Result<(), Self::Error>> {
        None
    }

    /// The error code of a request IAM denies, when the service does not use the common
    /// `AccessDenied` (SNS answers `AuthorizationError`).
    fn denial_code(&self) -> Option<&'static str> {
        None
    }

    /// Whether `op` may be called without a signature. AWS serves exactly two such operations,
    /// SNS's ConfirmSubscription and Unsubscribe, because the links SNS sends to subscribers must
    /// work in a browser; the operation then sees an anonymous caller and decides for itself.
    fn allows_anonymous(&self, _op: OpOf<Self>) -> bool {
        false
    }

    /// Declares what `request` needs to be allowed.
    async fn authorize(&self, ctx: &Ctx<'_>, request: &Self::Request) -> Result<Authorization, Self::Error>;
    /// Runs `request`, already authorized, to its output in normalised form.
    async fn execute(&self, ctx: &Ctx<'_>, request: Self::Request) -> Result<Value, Self::Error>;
}

/// Deserialises an operation's input into its typed struct. The wire layer already checked the
/// model's constraints, so a failure here is a shape the model allows but the type does not.
pub fn input<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, CommonError> {
    serde_json::from_value(value).map_err(|e| CommonError::Validation(format!("Invalid input: {e}")))
}

/// Serialises an operation's typed output.
pub fn output<T: serde::Serialize>(value: &T) -> Result<Value, CommonError> {
    serde_json::to_value(value).map_err(|e| {
        tracing::error!(error = %e, "output did not serialise");
        CommonError::Internal
    })
}

/// Epoch milliseconds as the epoch seconds AWS's JSON protocols carry timestamps in.
#[allow(clippy::cast_precision_loss)] // Millisecond times stay far below 2^53.
pub fn epoch_seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// Declares a service's operation table: `Op`, one variant per implemented operation, named as
/// in the model.
#[macro_export]
macro_rules! operations {
    ($doc:literal; $($op:ident),+ $(,)?) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Op {
            $(
                #[doc = concat!("`", stringify!($op), "`.")]
                $op,
            )+
        }

        impl $crate::service::Operation for Op {
            fn from_name(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($op) => Some(Op::$op),)+
                    _ => None,
                }
            }

            fn name(self) -> &'static str {
                match self {
                    $(Op::$op => stringify!($op),)+
                }
            }
        }
    };
}
