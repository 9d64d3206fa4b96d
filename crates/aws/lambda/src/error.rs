//! Lambda's errors, with its codes, statuses and messages.

use aws_core::error::{CommonError, Flavor, ServiceError};
use std::fmt;

/// An error of Lambda.
#[derive(Debug)]
pub enum LambdaError {
    /// `ResourceNotFoundException` (404).
    NotFound(String),
    /// `ResourceConflictException` (409).
    Conflict(String),
    /// `InvalidParameterValueException` (400).
    InvalidParameter(String),
    /// `PreconditionFailedException` (412): the revision the caller named is not the latest.
    PreconditionFailed,
    /// `TooManyRequestsException` (429): every execution slot is busy.
    TooManyRequests,
    /// `InvalidRequestContentException` (400): the payload is not JSON.
    InvalidRequestContent(String),
    /// `RequestTooLargeException` (413): an invocation payload over the limit.
    RequestTooLarge(usize),
    /// `KMSAccessDeniedException` (502): Lambda could not decrypt the environment variables.
    KmsAccessDenied(String),
    /// `ServiceException` (500).
    Service(String),
    /// A pipeline failure (validation, access denied, internal).
    Common(CommonError),
}

impl LambdaError {
    fn parts(&self) -> (&str, u16, String) {
        match self {
            LambdaError::NotFound(m) => ("ResourceNotFoundException", 404, m.clone()),
            LambdaError::Conflict(m) => ("ResourceConflictException", 409, m.clone()),
            LambdaError::InvalidParameter(m) => ("InvalidParameterValueException", 400, m.clone()),
            LambdaError::PreconditionFailed => (
                "PreconditionFailedException",
                412,
                "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to \
                 retrieve the latest Revision Id"
                    .to_owned(),
            ),
            LambdaError::InvalidRequestContent(m) => ("InvalidRequestContentException", 400, m.clone()),
            LambdaError::TooManyRequests => ("TooManyRequestsException", 429, "Rate Exceeded.".to_owned()),
            LambdaError::RequestTooLarge(limit) => (
                "RequestTooLargeException",
                413,
                format!("Request must be smaller than {limit} bytes for the InvokeFunction operation"),
            ),
            LambdaError::KmsAccessDenied(m) => ("KMSAccessDeniedException", 502, m.clone()),
            LambdaError::Service(m) => ("ServiceException", 500, m.clone()),
            LambdaError::Common(e) => e.render(Flavor::Json),
        }
    }
}

impl From<CommonError> for LambdaError {
    fn from(e: CommonError) -> Self {
        LambdaError::Common(e)
    }
}

impl From<store::StoreError> for LambdaError {
    fn from(e: store::StoreError) -> Self {
        LambdaError::Common(e.into())
    }
}

impl fmt::Display for LambdaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.parts().2)
    }
}

impl ServiceError for LambdaError {
    fn code(&self) -> &str {
        self.parts().0
    }

    fn status(&self) -> u16 {
        self.parts().1
    }
}
