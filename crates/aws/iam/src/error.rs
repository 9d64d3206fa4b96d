//! IAM's errors, with the codes, statuses and messages IAM uses.

use aws_core::error::{CommonError, Flavor, ServiceError};
use std::fmt;

/// An IAM error.
#[derive(Debug)]
pub enum IamError {
    /// `NoSuchEntity` (404): "The user with name Bob cannot be found."
    NoSuchEntity(String),
    /// `EntityAlreadyExists` (409).
    EntityAlreadyExists(String),
    /// `DeleteConflict` (409): the entity still has keys, policies, members or versions.
    DeleteConflict(String),
    /// `LimitExceeded` (409): "Cannot exceed quota for `AccessKeysPerUser`: 2".
    LimitExceeded(String),
    /// `MalformedPolicyDocument` (400), with the policy grammar's message.
    MalformedPolicyDocument(String),
    /// `InvalidInput` (400).
    InvalidInput(String),
    /// `ReportNotPresent` (410): no credential report has been generated.
    ReportNotPresent(String),
    /// `ReportExpired` (410): the credential report is older than four hours.
    ReportExpired(String),
    /// A pipeline failure (validation, access denied, internal).
    Common(CommonError),
}

impl IamError {
    fn parts(&self) -> (&'static str, u16, String) {
        match self {
            IamError::NoSuchEntity(m) => ("NoSuchEntity", 404, m.clone()),
            IamError::EntityAlreadyExists(m) => ("EntityAlreadyExists", 409, m.clone()),
            IamError::DeleteConflict(m) => ("DeleteConflict", 409, m.clone()),
            IamError::LimitExceeded(m) => ("LimitExceeded", 409, m.clone()),
            IamError::MalformedPolicyDocument(m) => ("MalformedPolicyDocument", 400, m.clone()),
            IamError::InvalidInput(m) => ("InvalidInput", 400, m.clone()),
            IamError::ReportNotPresent(m) => ("ReportNotPresent", 410, m.clone()),
            IamError::ReportExpired(m) => ("ReportExpired", 410, m.clone()),
            IamError::Common(e) => e.render(Flavor::Query),
        }
    }
}

impl From<CommonError> for IamError {
    fn from(e: CommonError) -> Self {
        IamError::Common(e)
    }
}

impl From<store::StoreError> for IamError {
    fn from(e: store::StoreError) -> Self {
        IamError::Common(e.into())
    }
}

/// The policy grammar's refusals: a size over quota is `LimitExceeded`, the rest
/// `MalformedPolicyDocument`, each with IAM's message.
impl From<policy::PolicyError> for IamError {
    fn from(e: policy::PolicyError) -> Self {
        match e {
            policy::PolicyError::TooLarge { .. } => IamError::LimitExceeded(e.to_string()),
            _ => IamError::MalformedPolicyDocument(e.to_string()),
        }
    }
}

impl fmt::Display for IamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.parts().2)
    }
}

impl ServiceError for IamError {
    fn code(&self) -> &str {
        self.parts().0
    }

    fn status(&self) -> u16 {
        self.parts().1
    }
}
