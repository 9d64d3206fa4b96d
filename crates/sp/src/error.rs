//! SP-API's error shape: `{"errors": [{"code", "message", "details"}]}`.

use axum::http::StatusCode;
use serde_json::json;

/// Amazon's message for every refused access token.
pub(crate) const ACCESS_DENIED: &str = "Access to requested resource is denied.";

/// An SP-API error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>, details: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), details: details.into() }
    }

    /// 403 `Unauthorized` with Amazon's message and `details` saying why.
    pub fn unauthorized(details: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Unauthorized", ACCESS_DENIED, details)
    }

    /// 400 `InvalidInput`.
    pub fn invalid_input(message: impl Into<String>, details: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidInput", message, details)
    }

    /// 400 `InvalidInput` with Amazon's generic message.
    pub fn bad_input(details: impl Into<String>) -> Self {
        Self::invalid_input(
            "The input you have submitted is not valid. Please check your input and try again.",
            details,
        )
    }

    /// 404 `NotFound`.
    pub fn not_found(details: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFound", "The resource specified does not exist.", details)
    }

    /// 409 `Conflict`.
    pub fn conflict(message: impl Into<String>, details: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", message, details)
    }

    /// 500 `InternalFailure`; the cause is in the log, never in the response.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            "We encountered an internal error. Please try again.",
            "",
        )
    }

    pub fn body(&self) -> serde_json::Value {
        json!({"errors": [{"code": self.code, "message": self.message, "details": self.details}]})
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        tracing::error!(error = %e, "store error in the SP-API sandbox");
        ApiError::internal()
    }
}
