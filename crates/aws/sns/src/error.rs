//! SNS's errors, with AWS's codes and statuses.

use aws_core::error::{CommonError, Flavor, ServiceError};
use std::fmt;

/// An error of the SNS service.
#[derive(Debug)]
pub enum SnsError {
    /// `InvalidParameter`.
    InvalidParameter(String),
    /// `ParameterValueInvalid` (`InvalidParameterValueException`).
    ParameterValueInvalid(String),
    /// `NotFound`: no such topic or subscription.
    NotFound(String),
    /// `ResourceNotFound`: no such resource to tag.
    ResourceNotFound(String),
    /// `TagLimitExceeded`.
    TagLimitExceeded(String),
    /// `EmptyBatchRequest`.
    EmptyBatchRequest,
    /// `TooManyEntriesInBatchRequest`.
    TooManyEntriesInBatchRequest,
    /// `BatchEntryIdsNotDistinct`.
    BatchEntryIdsNotDistinct,
    /// `InvalidBatchEntryId`.
    InvalidBatchEntryId,
    /// `BatchRequestTooLong`.
    BatchRequestTooLong,
    /// A pipeline failure; SNS calls a denial `AuthorizationError`.
    Common(CommonError),
}

impl SnsError {
    /// `InvalidParameter` with SNS's `Invalid parameter: ` prefix.
    pub(crate) fn invalid(what: impl fmt::Display) -> Self {
        SnsError::InvalidParameter(format!("Invalid parameter: {what}"))
    }
}

impl From<CommonError> for SnsError {
    fn from(e: CommonError) -> Self {
        SnsError::Common(e)
    }
}

impl From<store::StoreError> for SnsError {
    fn from(e: store::StoreError) -> Self {
        SnsError::Common(e.into())
    }
}

impl From<super::signing::SigningError> for SnsError {
    fn from(e: super::signing::SigningError) -> Self {
        tracing::error!(error = %e, "SNS signing key unavailable");
        SnsError::Common(CommonError::Internal)
    }
}

impl fmt::Display for SnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnsError::InvalidParameter(m)
            | SnsError::ParameterValueInvalid(m)
            | SnsError::NotFound(m)
            | SnsError::ResourceNotFound(m)
            | SnsError::TagLimitExceeded(m) => f.write_str(m),
            SnsError::EmptyBatchRequest => f.write_str("The batch request doesn't contain any entries."),
            SnsError::TooManyEntriesInBatchRequest => {
                f.write_str("The batch request contains more entries than permissible.")
            }
            SnsError::BatchEntryIdsNotDistinct => {
                f.write_str("Two or more batch entries in the request have the same Id.")
            }
            SnsError::InvalidBatchEntryId => {
                f.write_str("The Id of a batch entry in a batch request doesn't abide by the specification.")
            }
            SnsError::BatchRequestTooLong => {
                f.write_str("The length of all the messages put together is more than the limit.")
            }
            SnsError::Common(e) => f.write_str(&e.render(Flavor::Query).2),
        }
    }
}

impl ServiceError for SnsError {
    fn code(&self) -> &str {
        match self {
            SnsError::InvalidParameter(_) => "InvalidParameter",
            SnsError::ParameterValueInvalid(_) => "ParameterValueInvalid",
            SnsError::NotFound(_) => "NotFound",
            SnsError::ResourceNotFound(_) => "ResourceNotFound",
            SnsError::TagLimitExceeded(_) => "TagLimitExceeded",
            SnsError::EmptyBatchRequest => "EmptyBatchRequest",
            SnsError::TooManyEntriesInBatchRequest => "TooManyEntriesInBatchRequest",
            SnsError::BatchEntryIdsNotDistinct => "BatchEntryIdsNotDistinct",
            SnsError::InvalidBatchEntryId => "InvalidBatchEntryId",
            SnsError::BatchRequestTooLong => "BatchRequestTooLong",
            SnsError::Common(CommonError::AccessDenied(_)) => "AuthorizationError",
            SnsError::Common(e) => e.render(Flavor::Query).0,
        }
    }

    fn status(&self) -> u16 {
        match self {
            SnsError::NotFound(_) | SnsError::ResourceNotFound(_) => 404,
            SnsError::Common(CommonError::AccessDenied(_)) => 403,
            SnsError::InvalidParameter(_)
            | SnsError::ParameterValueInvalid(_)
            | SnsError::TagLimitExceeded(_)
            | SnsError::EmptyBatchRequest
            | SnsError::TooManyEntriesInBatchRequest
            | SnsError::BatchEntryIdsNotDistinct
            | SnsError::InvalidBatchEntryId
            | SnsError::BatchRequestTooLong => 400,
            SnsError::Common(e) => e.render(Flavor::Query).1,
        }
    }
}
