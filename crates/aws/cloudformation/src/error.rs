//! CloudFormation's errors, with its codes: most are `ValidationError` with CloudFormation's own
//! message, as its API answers them.

use aws_core::error::{CommonError, Flavor, ServiceError};
use std::fmt;

/// An error of CloudFormation.
#[derive(Debug)]
pub enum CfnError {
    /// `ValidationError` (400): a bad template, parameter, stack name or state.
    Validation(String),
    /// `AlreadyExistsException` (400).
    AlreadyExists(String),
    /// `InsufficientCapabilitiesException` (400).
    InsufficientCapabilities(String),
    /// `ChangeSetNotFound` (404).
    ChangeSetNotFound(String),
    /// `InvalidChangeSetStatus` (400).
    InvalidChangeSetStatus(String),
    /// A pipeline failure (access denied by IAM, internal).
    Common(CommonError),
}

impl From<CommonError> for CfnError {
    fn from(e: CommonError) -> Self {
        match e {
            CommonError::Validation(m) => CfnError::Validation(m),
            other => CfnError::Common(other),
        }
    }
}

impl From<store::StoreError> for CfnError {
    fn from(e: store::StoreError) -> Self {
        CfnError::Common(e.into())
    }
}

impl fmt::Display for CfnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CfnError::Validation(m)
            | CfnError::AlreadyExists(m)
            | CfnError::InsufficientCapabilities(m)
            | CfnError::ChangeSetNotFound(m)
            | CfnError::InvalidChangeSetStatus(m) => f.write_str(m),
            CfnError::Common(e) => f.write_str(&e.render(Flavor::Query).2),
        }
    }
}

impl ServiceError for CfnError {
    fn code(&self) -> &str {
        match self {
            CfnError::Validation(_) => "ValidationError",
            CfnError::AlreadyExists(_) => "AlreadyExistsException",
            CfnError::InsufficientCapabilities(_) => "InsufficientCapabilitiesException",
            CfnError::ChangeSetNotFound(_) => "ChangeSetNotFound",
            CfnError::InvalidChangeSetStatus(_) => "InvalidChangeSetStatus",
            CfnError::Common(e) => e.render(Flavor::Query).0,
        }
    }

    fn status(&self) -> u16 {
        match self {
            CfnError::ChangeSetNotFound(_) => 404,
            CfnError::Validation(_)
            | CfnError::AlreadyExists(_)
            | CfnError::InsufficientCapabilities(_)
            | CfnError::InvalidChangeSetStatus(_) => 400,
            CfnError::Common(e) => e.render(Flavor::Query).1,
        }
    }
}
