//! SQS errors. Each has two codes: the JSON protocol's error shape (`__type`) and the awsQuery
//! code that the Query API answers with and that awsJson carries in `x-amzn-query-error` (the
//! code boto3 and the AWS SDKs report). botocore's SQS model no longer lists the latter.

use aws_core::error::{CommonError, Flavor, ServiceError};
use aws_core::ports::{KeyError, KeyFault};
use std::fmt;

/// Why an SQS operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqsError {
    /// No such queue; the message differs between the protocols.
    QueueDoesNotExist {
        /// Whether the request came over the Query API.
        query: bool,
    },
    /// `CreateQueue` with the name of a queue whose attribute differs.
    QueueNameExists(String),
    /// `CreateQueue` within 60 seconds of deleting a queue of that name.
    QueueDeletedRecently,
    /// A parameter's value is not acceptable.
    InvalidParameterValue(String),
    /// A required parameter is missing (its name).
    MissingParameter(String),
    /// An attribute name is unknown or not allowed here.
    InvalidAttributeName(String),
    /// An attribute value is out of range or malformed.
    InvalidAttributeValue(String),
    /// The message body has characters SQS does not carry.
    InvalidMessageContents,
    /// A receipt handle that SQS did not issue for this queue.
    ReceiptHandleIsInvalid(String),
    /// `PurgeQueue` within 60 seconds of the last one (the queue's name).
    PurgeQueueInProgress(String),
    /// A batch without entries (the entry element's name).
    EmptyBatchRequest(&'static str),
    /// A batch of more than ten entries (how many).
    TooManyEntriesInBatchRequest(usize),
    /// Two batch entries with the same id.
    BatchEntryIdsNotDistinct(String),
    /// A batch entry id with characters other than alphanumerics, `-` and `_`, or too long.
    InvalidBatchEntryId,
    /// A batch whose messages add up to more than the limit (bytes sent).
    BatchRequestTooLong(usize),
    /// A queue URL that is not one.
    InvalidAddress(String),
    /// An action the queue URL endpoint does not take (`CreateQueue`, `ListQueues`).
    InvalidAction(String),
    /// KMS failed SQS on the caller's behalf with the queue's key (KMS's message).
    Kms(KmsFailure, String),
    /// A pipeline failure.
    Common(CommonError),
}

/// Why KMS failed an SSE-KMS queue's send or receive; each is an SQS error of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KmsFailure {
    /// The key is disabled.
    Disabled,
    /// No such key or alias.
    NotFound,
    /// The key is pending deletion.
    InvalidState,
    /// The key cannot encrypt and decrypt.
    InvalidKeyUsage,
    /// The caller (or, for a delivery, the service principal) may not use the key.
    AccessDenied,
}

/// The largest batch.
pub(crate) const MAX_BATCH: usize = 10;

impl SqsError {
    /// `QueueDoesNotExist` for a request in `protocol`.
    pub(crate) fn no_queue(protocol: wire::Protocol) -> Self {
        SqsError::QueueDoesNotExist { query: protocol == wire::Protocol::Query }
    }

    /// `Value V for parameter P is invalid. Reason: R`, SQS's usual complaint.
    pub(crate) fn invalid_value(parameter: &str, value: impl fmt::Display, reason: &str) -> Self {
        SqsError::InvalidParameterValue(format!("Value {value} for parameter {parameter} is invalid. Reason: {reason}"))
    }

    /// `Invalid value for the parameter P.`, for queue attributes.
    pub(crate) fn invalid_attribute(name: &str) -> Self {
        SqsError::InvalidAttributeValue(format!("Invalid value for the parameter {name}."))
    }

    /// A KMS failure met while SQS used the queue's key, with KMS's message as AWS reports it.
    pub(crate) fn from_kms(e: &KeyError, request_id: &str) -> Self {
        let failure = match (e.fault, &e.common) {
            (KeyFault::Disabled, _) => KmsFailure::Disabled,
            (KeyFault::NotFound, _) => KmsFailure::NotFound,
            (KeyFault::InvalidState, _) => KmsFailure::InvalidState,
            (KeyFault::InvalidKeyUsage, _) => KmsFailure::InvalidKeyUsage,
            (KeyFault::AccessDenied, _) => KmsFailure::AccessDenied,
            (_, Some(c)) => return SqsError::Common(c.clone()),
            (KeyFault::InvalidCiphertext | KeyFault::Other, None) => {
                tracing::error!(error = %e, "KMS failed an SQS body it sealed itself");
                return SqsError::Common(CommonError::Internal);
            }
        };
        SqsError::Kms(failure, e.as_reported_by_service(request_id))
    }

    /// `Unknown Attribute N.`
    pub(crate) fn unknown_attribute(name: &str) -> Self {
        SqsError::InvalidAttributeName(format!("Unknown Attribute {name}."))
    }

    /// (JSON error shape, awsQuery code, HTTP status).
    fn codes(&self) -> (&str, &str, u16) {
        match self {
            SqsError::QueueDoesNotExist { .. } => ("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400),
            SqsError::QueueNameExists(_) => ("QueueNameExists", "QueueAlreadyExists", 400),
            SqsError::QueueDeletedRecently => {
                ("QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently", 400)
            }
            SqsError::InvalidParameterValue(_) => ("InvalidParameterValueException", "InvalidParameterValue", 400),
            SqsError::MissingParameter(_) => ("MissingRequiredParameterException", "MissingParameter", 400),
            SqsError::InvalidAttributeName(_) => ("InvalidAttributeName", "InvalidAttributeName", 400),
            SqsError::InvalidAttributeValue(_) => ("InvalidAttributeValue", "InvalidAttributeValue", 400),
            SqsError::InvalidMessageContents => ("InvalidMessageContents", "InvalidMessageContents", 400),
            SqsError::ReceiptHandleIsInvalid(_) => ("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 400),
            SqsError::PurgeQueueInProgress(_) => {
                ("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403)
            }
            SqsError::EmptyBatchRequest(_) => ("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", 400),
            SqsError::TooManyEntriesInBatchRequest(_) => {
                ("TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400)
            }
            SqsError::BatchEntryIdsNotDistinct(_) => {
                ("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400)
            }
            SqsError::InvalidBatchEntryId => ("InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", 400),
            SqsError::BatchRequestTooLong(_) => {
                ("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", 400)
            }
            SqsError::InvalidAddress(_) => ("InvalidAddress", "InvalidAddress", 400),
            SqsError::InvalidAction(_) => ("InvalidAction", "InvalidAction", 400),
            SqsError::Kms(failure, _) => match failure {
                KmsFailure::Disabled => ("KmsDisabled", "KMS.DisabledException", 400),
                KmsFailure::NotFound => ("KmsNotFound", "KMS.NotFoundException", 400),
                KmsFailure::InvalidState => ("KmsInvalidState", "KMS.InvalidStateException", 400),
                KmsFailure::InvalidKeyUsage => ("KmsInvalidKeyUsage", "KMS.InvalidKeyUsageException", 400),
                KmsFailure::AccessDenied => ("KmsAccessDenied", "KMS.AccessDeniedException", 400),
            },
            SqsError::Common(e) => {
                let (code, status, _) = e.render(Flavor::Json);
                (code, e.render(Flavor::Query).0, status)
            }
        }
    }
}

impl From<CommonError> for SqsError {
    fn from(e: CommonError) -> Self {
        SqsError::Common(e)
    }
}

impl From<store::StoreError> for SqsError {
    fn from(e: store::StoreError) -> Self {
        SqsError::Common(e.into())
    }
}

impl fmt::Display for SqsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqsError::QueueDoesNotExist { query: false } => f.write_str("The specified queue does not exist."),
            SqsError::QueueDoesNotExist { query: true } => {
                f.write_str("The specified queue does not exist for this wsdl version.")
            }
            SqsError::QueueNameExists(attribute) => {
                write!(f, "A queue already exists with the same name and a different value for attribute {attribute}")
            }
            SqsError::QueueDeletedRecently => f.write_str(
                "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
            ),
            SqsError::InvalidParameterValue(m)
            | SqsError::InvalidAttributeName(m)
            | SqsError::InvalidAttributeValue(m)
            | SqsError::Kms(_, m) => f.write_str(m),
            SqsError::MissingParameter(name) => write!(f, "The request must contain the parameter {name}."),
            SqsError::InvalidMessageContents => f.write_str(
                "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to \
                 #xFFFD | #x10000 to #x10FFFF",
            ),
            SqsError::ReceiptHandleIsInvalid(handle) => {
                write!(f, "The input receipt handle \"{handle}\" is not a valid receipt handle.")
            }
            SqsError::PurgeQueueInProgress(name) => {
                write!(f, "Only one PurgeQueue operation on {name} is allowed every 60 seconds.")
            }
            SqsError::EmptyBatchRequest(entry) => write!(f, "There should be at least one {entry} in the request."),
            SqsError::TooManyEntriesInBatchRequest(n) => {
                write!(f, "Maximum number of entries per request are {MAX_BATCH}. You have sent {n}.")
            }
            SqsError::BatchEntryIdsNotDistinct(id) => write!(f, "Id {id} repeated."),
            SqsError::InvalidBatchEntryId => f.write_str(
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at \
                 most 80 letters long.",
            ),
            SqsError::BatchRequestTooLong(sent) => write!(
                f,
                "Batch requests cannot be longer than {} bytes. You have sent {sent} bytes.",
                super::message::MAX_MESSAGE_SIZE
            ),
            SqsError::InvalidAddress(url) => write!(f, "The address {url} is not valid for this endpoint."),
            SqsError::InvalidAction(action) => write!(f, "The action {action} is not valid for this endpoint."),
            SqsError::Common(e) => f.write_str(&e.render(Flavor::Json).2),
        }
    }
}

impl ServiceError for SqsError {
    fn code(&self) -> &str {
        self.codes().0
    }

    fn status(&self) -> u16 {
        self.codes().2
    }

    fn query_code(&self) -> Option<&str> {
        Some(self.codes().1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_codes_and_the_protocol_specific_message() {
        let json = SqsError::no_queue(wire::Protocol::Json1_0);
        assert_eq!(json.code(), "QueueDoesNotExist");
        assert_eq!(json.query_code(), Some("AWS.SimpleQueueService.NonExistentQueue"));
        assert_eq!(json.to_string(), "The specified queue does not exist.");
        assert_eq!(
            SqsError::no_queue(wire::Protocol::Query).to_string(),
            "The specified queue does not exist for this wsdl version."
        );
        let purge = SqsError::PurgeQueueInProgress("q".into());
        assert_eq!((purge.status(), purge.sender_fault()), (403, true));
        assert_eq!(purge.to_string(), "Only one PurgeQueue operation on q is allowed every 60 seconds.");
        let exists = SqsError::QueueNameExists("DelaySeconds".into());
        assert_eq!((exists.code(), exists.query_code()), ("QueueNameExists", Some("QueueAlreadyExists")));
        assert_eq!(
            SqsError::invalid_value("MaxNumberOfMessages", 11, "Must be between 1 and 10, if provided.").to_string(),
            "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
        );
        let internal = SqsError::from(CommonError::Internal);
        assert_eq!(
            (internal.code(), internal.query_code(), internal.status()),
            ("InternalFailure", Some("InternalFailure"), 500)
        );
        assert!(!internal.sender_fault());
    }
}
