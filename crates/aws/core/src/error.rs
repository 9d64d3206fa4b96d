//! Errors: each service has its own enum implementing [`ServiceError`]; the pipeline's own
//! failures (authentication, authorization, malformed input) are [`CommonError`], whose codes
//! depend on the protocol because AWS's do (`AccessDenied` in Query, `AccessDeniedException` in JSON).

use std::fmt;

/// What a service error must say about itself; the protocol's encoder does the rest.
pub trait ServiceError: fmt::Display + fmt::Debug + Send + Sync {
    /// AWS's error code, e.g. `NoSuchEntity`, `ParameterNotFound`.
    fn code(&self) -> &str;
    /// The HTTP status.
    fn status(&self) -> u16;
    /// Whether the caller is at fault (`Sender`) rather than the server (`Receiver`).
    fn sender_fault(&self) -> bool {
        self.status() < 500
    }
    /// For awsQueryCompatible JSON services (SQS): the legacy Query code for `x-amzn-query-error`.
    fn query_code(&self) -> Option<&str> {
        None
    }
}

/// Failures the pipeline raises for any service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommonError {
    /// No signature at all.
    MissingAuthenticationToken,
    /// A signature with parts missing.
    IncompleteSignature(String),
    /// An unknown or inactive access key.
    InvalidClientTokenId,
    /// A signature that does not verify, or a request outside its time window.
    SignatureDoesNotMatch(String),
    /// Temporary credentials past their expiry.
    ExpiredToken,
    /// IAM said no.
    AccessDenied(String),
    /// The input broke the model's constraints or the service's rules.
    Validation(String),
    /// The request names no operation at all.
    MissingAction,
    /// The operation does not exist in this service.
    UnknownOperation(String),
    /// A body or parameter set that could not be decoded.
    MalformedInput(String),
    /// Something broke on our side; the details are in the log under the request id.
    Internal,
}

/// The protocol family decides the spelling of common codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// awsQuery services (IAM, STS, SNS, SQS over Query).
    Query,
    /// awsJson services (KMS, SSM, EventBridge, SQS over JSON).
    Json,
}

impl CommonError {
    /// (code, HTTP status, message) in the protocol's spelling.
    pub fn render(&self, flavor: Flavor) -> (&'static str, u16, String) {
        let json = flavor == Flavor::Json;
        let pick = |q: &'static str, j: &'static str| if json { j } else { q };
        match self {
            CommonError::MissingAuthenticationToken => (
                pick("MissingAuthenticationToken", "MissingAuthenticationTokenException"),
                if json { 400 } else { 403 },
                if json { "Missing Authentication Token" } else { "Request is missing Authentication Token" }
                    .to_owned(),
            ),
            CommonError::IncompleteSignature(m) => {
                (pick("IncompleteSignature", "IncompleteSignatureException"), 400, m.clone())
            }
            CommonError::InvalidClientTokenId => (
                pick("InvalidClientTokenId", "UnrecognizedClientException"),
                if json { 400 } else { 403 },
                "The security token included in the request is invalid.".to_owned(),
            ),
            CommonError::SignatureDoesNotMatch(m) => {
                (pick("SignatureDoesNotMatch", "InvalidSignatureException"), if json { 400 } else { 403 }, m.clone())
            }
            CommonError::ExpiredToken => (
                pick("ExpiredToken", "ExpiredTokenException"),
                if json { 400 } else { 403 },
                "The security token included in the request is expired".to_owned(),
            ),
            CommonError::AccessDenied(m) => {
                (pick("AccessDenied", "AccessDeniedException"), if json { 400 } else { 403 }, m.clone())
            }
            CommonError::Validation(m) => (pick("ValidationError", "ValidationException"), 400, m.clone()),
            CommonError::MissingAction => {
                (pick("MissingAction", "UnknownOperationException"), 400, "Missing Action".to_owned())
            }
            CommonError::UnknownOperation(m) => (pick("InvalidAction", "UnknownOperationException"), 400, m.clone()),
            CommonError::MalformedInput(m) => (pick("MalformedInput", "SerializationException"), 400, m.clone()),
            CommonError::Internal => (
                pick("InternalFailure", "InternalFailure"),
                500,
                "The request processing has failed because of an unknown error, exception or failure.".to_owned(),
            ),
        }
    }
}

impl fmt::Display for CommonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (code, _, message) = self.render(Flavor::Query);
        write!(f, "{code}: {message}")
    }
}

impl From<store::StoreError> for CommonError {
    fn from(e: store::StoreError) -> Self {
        tracing::error!(error = %e, "store failure");
        CommonError::Internal
    }
}
