//! CloudWatch Logs' errors, with its codes and messages. All are client errors (400).

use aws_core::error::{CommonError, Flavor, ServiceError};
use std::fmt;

/// An error of CloudWatch Logs.
#[derive(Debug)]
pub enum LogsError {
    /// `ResourceAlreadyExistsException`, with what already exists.
    AlreadyExists(&'static str),
    /// `ResourceNotFoundException`, with what does not exist.
    NotFound(&'static str),
    /// `InvalidParameterException`, with what is wrong.
    InvalidParameter(String),
    /// A pipeline failure (access denied by IAM, internal).
    Common(CommonError),
}

impl LogsError {
    fn parts(&self) -> (&str, String) {
        match self {
            LogsError::AlreadyExists(what) => {
                ("ResourceAlreadyExistsException", format!("The specified {what} already exists"))
            }
            LogsError::NotFound(what) => ("ResourceNotFoundException", format!("The specified {what} does not exist.")),
            LogsError::InvalidParameter(m) => ("InvalidParameterException", m.clone()),
            LogsError::Common(e) => {
                let (code, _, message) = e.render(Flavor::Json);
                (code, message)
            }
        }
    }
}

impl From<CommonError> for LogsError {
    fn from(e: CommonError) -> Self {
        match e {
            // CloudWatch Logs answers input that breaks the model with its own code.
            CommonError::Validation(m) => LogsError::InvalidParameter(m),
            other => LogsError::Common(other),
        }
    }
}

impl From<store::StoreError> for LogsError {
    fn from(e: store::StoreError) -> Self {
        LogsError::Common(e.into())
    }
}

impl fmt::Display for LogsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.parts().1)
    }
}

impl ServiceError for LogsError {
    fn code(&self) -> &str {
        match self {
            LogsError::Common(e) => e.render(Flavor::Json).0,
            LogsError::AlreadyExists(_) | LogsError::NotFound(_) | LogsError::InvalidParameter(_) => self.parts().0,
        }
    }

    fn status(&self) -> u16 {
        match self {
            LogsError::Common(e) => e.render(Flavor::Json).1,
            LogsError::AlreadyExists(_) | LogsError::NotFound(_) | LogsError::InvalidParameter(_) => 400,
        }
    }
}
