//! KMS errors, with AWS's codes. Every KMS error is a client error (400) except internal failures.

use aws_core::error::{CommonError, Flavor, ServiceError};
use std::fmt;

/// An error of the KMS service.
#[derive(Debug)]
pub enum KmsError {
    /// `NotFoundException`: no such key or alias, or an identifier of the wrong shape.
    NotFound(String),
    /// `DisabledException`: the key is disabled.
    Disabled(String),
    /// `KMSInvalidStateException`: the key's state does not allow the operation.
    InvalidState(String),
    /// `InvalidCiphertextException`: the blob is not ours, was altered, or the context differs.
    InvalidCiphertext,
    /// `IncorrectKeyException`: the blob was not made with the key the request names.
    IncorrectKey,
    /// `InvalidKeyUsageException`.
    InvalidKeyUsage(String),
    /// `AlreadyExistsException`.
    AlreadyExists(String),
    /// `MalformedPolicyDocumentException`.
    MalformedPolicyDocument(String),
    /// `UnsupportedOperationException`.
    Unsupported(String),
    /// `LimitExceededException`.
    LimitExceeded(String),
    /// `TagException`.
    Tag(String),
    /// `DryRunOperationException`: the request would have succeeded.
    DryRun,
    /// `NotAuthorizedException`: the `alias/aws/` names are AWS's.
    NotAuthorized,
    /// A pipeline failure (validation, access denied, internal).
    Common(CommonError),
}

impl From<CommonError> for KmsError {
    fn from(e: CommonError) -> Self {
        KmsError::Common(e)
    }
}

impl From<store::StoreError> for KmsError {
    fn from(e: store::StoreError) -> Self {
        KmsError::Common(e.into())
    }
}

impl KmsError {
    /// A validation failure, as AWS words it.
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        KmsError::Common(CommonError::Validation(message.into()))
    }
}

impl fmt::Display for KmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KmsError::NotFound(m)
            | KmsError::Disabled(m)
            | KmsError::InvalidState(m)
            | KmsError::InvalidKeyUsage(m)
            | KmsError::AlreadyExists(m)
            | KmsError::MalformedPolicyDocument(m)
            | KmsError::Unsupported(m)
            | KmsError::LimitExceeded(m)
            | KmsError::Tag(m) => f.write_str(m),
            // AWS sends these without a message.
            KmsError::InvalidCiphertext | KmsError::NotAuthorized => Ok(()),
            KmsError::IncorrectKey => {
                f.write_str("The key ID in the request does not identify a CMK that can perform this operation.")
            }
            KmsError::DryRun => f.write_str("The request would have succeeded, but the DryRun option is set."),
            KmsError::Common(e) => f.write_str(&e.render(Flavor::Json).2),
        }
    }
}

impl ServiceError for KmsError {
    fn code(&self) -> &str {
        match self {
            KmsError::NotFound(_) => "NotFoundException",
            KmsError::Disabled(_) => "DisabledException",
            KmsError::InvalidState(_) => "KMSInvalidStateException",
            KmsError::InvalidCiphertext => "InvalidCiphertextException",
            KmsError::IncorrectKey => "IncorrectKeyException",
            KmsError::InvalidKeyUsage(_) => "InvalidKeyUsageException",
            KmsError::AlreadyExists(_) => "AlreadyExistsException",
            KmsError::MalformedPolicyDocument(_) => "MalformedPolicyDocumentException",
            KmsError::Unsupported(_) => "UnsupportedOperationException",
            KmsError::LimitExceeded(_) => "LimitExceededException",
            KmsError::Tag(_) => "TagException",
            KmsError::DryRun => "DryRunOperationException",
            KmsError::NotAuthorized => "NotAuthorizedException",
            KmsError::Common(e) => e.render(Flavor::Json).0,
        }
    }

    fn status(&self) -> u16 {
        match self {
            KmsError::Common(e) => e.render(Flavor::Json).1,
            KmsError::DryRun => 412,
            KmsError::NotFound(_)
            | KmsError::Disabled(_)
            | KmsError::InvalidState(_)
            | KmsError::InvalidCiphertext
            | KmsError::IncorrectKey
            | KmsError::InvalidKeyUsage(_)
            | KmsError::AlreadyExists(_)
            | KmsError::MalformedPolicyDocument(_)
            | KmsError::Unsupported(_)
            | KmsError::LimitExceeded(_)
            | KmsError::Tag(_)
            | KmsError::NotAuthorized => 400,
        }
    }
}
