//! SSM errors, with AWS's codes. All are client errors (400) except internal failures.

use aws_core::error::{CommonError, Flavor, ServiceError};
use aws_core::ports::KeyError;
use std::fmt;

/// An error of the SSM service.
#[derive(Debug)]
pub enum SsmError {
    /// `ParameterNotFound`.
    ParameterNotFound(String),
    /// `ParameterAlreadyExists`.
    ParameterAlreadyExists,
    /// `ParameterVersionNotFound`.
    ParameterVersionNotFound(String),
    /// `ParameterMaxVersionLimitExceeded`.
    ParameterMaxVersionLimitExceeded(String),
    /// `ParameterLimitExceeded`.
    ParameterLimitExceeded,
    /// `ParameterVersionLabelLimitExceeded`.
    ParameterVersionLabelLimitExceeded,
    /// `InvalidKeyId`: the KMS key cannot be used (the message carries KMS's error).
    InvalidKeyId(String),
    /// `HierarchyLevelLimitExceededException`.
    HierarchyLevelLimitExceeded,
    /// `ParameterPatternMismatchException`: the value does not match `AllowedPattern`.
    ParameterPatternMismatch(String),
    /// `InvalidAllowedPatternException`: `AllowedPattern` is not a regular expression.
    InvalidAllowedPattern(String),
    /// `InvalidPolicyTypeException`.
    InvalidPolicyType,
    /// `InvalidPolicyAttributeException`.
    InvalidPolicyAttribute,
    /// `PoliciesLimitExceededException`.
    PoliciesLimitExceeded,
    /// `IncompatiblePolicyException`.
    IncompatiblePolicy,
    /// `InvalidFilterKey`.
    InvalidFilterKey(String),
    /// `InvalidFilterOption`.
    InvalidFilterOption(String),
    /// `InvalidFilterValue`.
    InvalidFilterValue(String),
    /// `InvalidNextToken`.
    InvalidNextToken,
    /// `InvalidResourceId`.
    InvalidResourceId,
    /// `InvalidResourceType`.
    InvalidResourceType,
    /// `TooManyTagsError`.
    TooManyTags,
    /// `TooManyUpdates`: another request changed the parameter meanwhile.
    TooManyUpdates,
    /// `ServiceSettingNotFound`: no such service setting.
    ServiceSettingNotFound,
    /// A pipeline failure (validation, access denied, internal).
    Common(CommonError),
}

impl From<CommonError> for SsmError {
    fn from(e: CommonError) -> Self {
        SsmError::Common(e)
    }
}

impl From<store::StoreError> for SsmError {
    fn from(e: store::StoreError) -> Self {
        SsmError::Common(e.into())
    }
}

impl SsmError {
    /// A `ValidationException`.
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        SsmError::Common(CommonError::Validation(message.into()))
    }

    /// A KMS failure met while Parameter Store used a key on the caller's behalf. Parameter
    /// Store reports it as `InvalidKeyId` carrying KMS's error the way its Java client prints
    /// it (an access denial stays `AccessDeniedException`).
    pub(crate) fn from_kms(e: KeyError, request_id: &str) -> Self {
        match e.common {
            Some(CommonError::AccessDenied(_)) => {
                SsmError::Common(CommonError::AccessDenied(e.as_reported_by_service(request_id)))
            }
            Some(c) => SsmError::Common(c),
            None => SsmError::InvalidKeyId(e.as_reported_by_service(request_id)),
        }
    }
}

impl fmt::Display for SsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SsmError::ParameterNotFound(m)
            | SsmError::ParameterVersionNotFound(m)
            | SsmError::ParameterMaxVersionLimitExceeded(m)
            | SsmError::InvalidKeyId(m)
            | SsmError::ParameterPatternMismatch(m)
            | SsmError::InvalidAllowedPattern(m)
            | SsmError::InvalidFilterKey(m)
            | SsmError::InvalidFilterOption(m)
            | SsmError::InvalidFilterValue(m) => f.write_str(m),
            SsmError::ParameterAlreadyExists => f.write_str(
                "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
            ),
            SsmError::ParameterLimitExceeded => f.write_str(
                "You have exceeded the number of parameters for this Amazon Web Services account. Delete one or more \
                 parameters and try again.",
            ),
            SsmError::ParameterVersionLabelLimitExceeded => f.write_str(
                "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.",
            ),
            SsmError::HierarchyLevelLimitExceeded => f.write_str(
                "A hierarchy can have a maximum of 15 levels. For more information, see \
                 https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html",
            ),
            SsmError::InvalidPolicyType => f.write_str(
                "The policy type isn't supported. Parameter Store supports the following policy types: Expiration, \
                 ExpirationNotification, and NoChangeNotification.",
            ),
            SsmError::InvalidPolicyAttribute => f.write_str("A policy attribute or its value is invalid."),
            SsmError::PoliciesLimitExceeded => f.write_str(
                "You specified more than the maximum number of allowed policies for the parameter. The maximum is 10.",
            ),
            SsmError::IncompatiblePolicy => f.write_str(
                "There is a conflict in the policies specified for this parameter. You can't, for example, specify two \
                 Expiration policies for a parameter. Review your policies, and try again.",
            ),
            SsmError::InvalidNextToken => f.write_str("The specified token isn't valid."),
            SsmError::InvalidResourceId => f.write_str("Invalid Resource Id"),
            SsmError::InvalidResourceType => f.write_str("Invalid Resource Type"),
            SsmError::TooManyTags => f.write_str("Too many tags. A resource can have at most 50 tags."),
            SsmError::TooManyUpdates => {
                f.write_str("There are concurrent updates for a resource that supports one update at a time.")
            }
            SsmError::ServiceSettingNotFound => f.write_str(
                "The specified service setting wasn't found. Either the service name or the setting hasn't been \
                 provisioned by the Amazon Web Services service team.",
            ),
            SsmError::Common(e) => f.write_str(&e.render(Flavor::Json).2),
        }
    }
}

impl ServiceError for SsmError {
    fn code(&self) -> &str {
        match self {
            SsmError::ParameterNotFound(_) => "ParameterNotFound",
            SsmError::ParameterAlreadyExists => "ParameterAlreadyExists",
            SsmError::ParameterVersionNotFound(_) => "ParameterVersionNotFound",
            SsmError::ParameterMaxVersionLimitExceeded(_) => "ParameterMaxVersionLimitExceeded",
            SsmError::ParameterLimitExceeded => "ParameterLimitExceeded",
            SsmError::ParameterVersionLabelLimitExceeded => "ParameterVersionLabelLimitExceeded",
            SsmError::InvalidKeyId(_) => "InvalidKeyId",
            SsmError::HierarchyLevelLimitExceeded => "HierarchyLevelLimitExceededException",
            SsmError::ParameterPatternMismatch(_) => "ParameterPatternMismatchException",
            SsmError::InvalidAllowedPattern(_) => "InvalidAllowedPatternException",
            SsmError::InvalidPolicyType => "InvalidPolicyTypeException",
            SsmError::InvalidPolicyAttribute => "InvalidPolicyAttributeException",
            SsmError::PoliciesLimitExceeded => "PoliciesLimitExceededException",
            SsmError::IncompatiblePolicy => "IncompatiblePolicyException",
            SsmError::InvalidFilterKey(_) => "InvalidFilterKey",
            SsmError::InvalidFilterOption(_) => "InvalidFilterOption",
            SsmError::InvalidFilterValue(_) => "InvalidFilterValue",
            SsmError::InvalidNextToken => "InvalidNextToken",
            SsmError::InvalidResourceId => "InvalidResourceId",
            SsmError::InvalidResourceType => "InvalidResourceType",
            SsmError::TooManyTags => "TooManyTagsError",
            SsmError::TooManyUpdates => "TooManyUpdates",
            SsmError::ServiceSettingNotFound => "ServiceSettingNotFound",
            SsmError::Common(e) => e.render(Flavor::Json).0,
        }
    }

    fn status(&self) -> u16 {
        match self {
            SsmError::Common(e) => e.render(Flavor::Json).1,
            SsmError::ParameterNotFound(_)
            | SsmError::ParameterAlreadyExists
            | SsmError::ParameterVersionNotFound(_)
            | SsmError::ParameterMaxVersionLimitExceeded(_)
            | SsmError::ParameterLimitExceeded
            | SsmError::ParameterVersionLabelLimitExceeded
            | SsmError::InvalidKeyId(_)
            | SsmError::HierarchyLevelLimitExceeded
            | SsmError::ParameterPatternMismatch(_)
            | SsmError::InvalidAllowedPattern(_)
            | SsmError::InvalidPolicyType
            | SsmError::InvalidPolicyAttribute
            | SsmError::PoliciesLimitExceeded
            | SsmError::IncompatiblePolicy
            | SsmError::InvalidFilterKey(_)
            | SsmError::InvalidFilterOption(_)
            | SsmError::InvalidFilterValue(_)
            | SsmError::InvalidNextToken
            | SsmError::InvalidResourceId
            | SsmError::InvalidResourceType
            | SsmError::TooManyTags
            | SsmError::TooManyUpdates
            | SsmError::ServiceSettingNotFound => 400,
        }
    }
}
