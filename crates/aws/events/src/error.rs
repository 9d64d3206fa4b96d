//! EventBridge's errors, with AWS's codes. All are client errors (400) but internal failures.

use aws_core::error::{CommonError, Flavor, ServiceError};
use std::fmt;

/// An error of the EventBridge service.
#[derive(Debug)]
pub enum EventsError {
    /// `ResourceNotFoundException`.
    NotFound(String),
    /// `ResourceAlreadyExistsException`.
    AlreadyExists(String),
    /// `InvalidEventPatternException`.
    InvalidEventPattern(String),
    /// `LimitExceededException`.
    LimitExceeded(String),
    /// A pipeline failure (validation, access denied, internal).
    Common(CommonError),
}

impl EventsError {
    /// A `ValidationException`.
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        EventsError::Common(CommonError::Validation(message.into()))
    }
}

impl From<CommonError> for EventsError {
    fn from(e: CommonError) -> Self {
        EventsError::Common(e)
    }
}

impl From<store::StoreError> for EventsError {
    fn from(e: store::StoreError) -> Self {
        EventsError::Common(e.into())
    }
}

impl fmt::Display for EventsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventsError::NotFound(m)
            | EventsError::AlreadyExists(m)
            | EventsError::InvalidEventPattern(m)
            | EventsError::LimitExceeded(m) => f.write_str(m),
            EventsError::Common(e) => f.write_str(&e.render(Flavor::Json).2),
        }
    }
}

impl ServiceError for EventsError {
    fn code(&self) -> &str {
        match self {
            EventsError::NotFound(_) => "ResourceNotFoundException",
            EventsError::AlreadyExists(_) => "ResourceAlreadyExistsException",
            EventsError::InvalidEventPattern(_) => "InvalidEventPatternException",
            EventsError::LimitExceeded(_) => "LimitExceededException",
            EventsError::Common(e) => e.render(Flavor::Json).0,
        }
    }

    fn status(&self) -> u16 {
        match self {
            EventsError::NotFound(_)
            | EventsError::AlreadyExists(_)
            | EventsError::InvalidEventPattern(_)
            | EventsError::LimitExceeded(_) => 400,
            EventsError::Common(e) => e.render(Flavor::Json).1,
        }
    }
}
