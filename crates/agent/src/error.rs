//! What the agent answers when it cannot give a token or make a call: one enum, rendered as the
//! token API's `{"error", "message"}` or, on the proxy, in SP-API's `{"errors": [...]}` shape so
//! that SDKs show it like any SP-API error. Messages name parameters and sellers, never a value.

use crate::credentials::{ClientError, SellerError, rfc3339};
use crate::lwa::LwaError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

/// A request the agent could not serve.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The request is malformed.
    BadRequest(String),
    /// The seller cannot be used.
    Seller(SellerError),
    /// The client id or secret cannot be used.
    Client(ClientError),
    /// LWA refused or failed for another reason.
    Lwa(LwaError),
    /// SP-API could not be reached.
    Upstream(String),
    /// The usage plan would not allow the call within the configured wait.
    Throttled(Duration),
    /// SP-API's own answer, passed on (it refused a restricted data token).
    Answer(Box<Response>),
}

impl From<SellerError> for Failure {
    fn from(e: SellerError) -> Self {
        Failure::Seller(e)
    }
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        Failure::Client(e)
    }
}

impl From<LwaError> for Failure {
    fn from(e: LwaError) -> Self {
        Failure::Lwa(e)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Answer(r) => write!(f, "SP-API answered {}", r.status()),
            other => write!(f, "{}: {}", other.code(), other.message()),
        }
    }
}

impl Failure {
    fn status(&self) -> StatusCode {
        match self {
            Failure::BadRequest(_) | Failure::Seller(SellerError::NoDefault | SellerError::Unknown(_)) => {
                StatusCode::BAD_REQUEST
            }
            Failure::Seller(SellerError::Revoked { .. }) => StatusCode::FORBIDDEN,
            Failure::Client(_) => StatusCode::SERVICE_UNAVAILABLE,
            Failure::Lwa(_) | Failure::Upstream(_) => StatusCode::BAD_GATEWAY,
            Failure::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            Failure::Answer(r) => r.status(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Failure::BadRequest(_) => "InvalidInput",
            Failure::Seller(SellerError::NoDefault) => "NoSellingPartner",
            Failure::Seller(SellerError::Unknown(_)) => "UnknownSellingPartner",
            Failure::Seller(SellerError::Revoked { .. }) => "SellerAuthorizationRevoked",
            Failure::Client(ClientError::Missing(_)) => "ClientCredentialsMissing",
            Failure::Client(ClientError::Rejected { .. }) => "ClientSecretRejected",
            Failure::Lwa(_) => "LwaError",
            Failure::Upstream(_) => "SellingPartnerApiUnavailable",
            Failure::Throttled(_) => "QuotaExceeded",
            Failure::Answer(_) => "",
        }
    }

    fn message(&self) -> String {
        match self {
            Failure::BadRequest(m) | Failure::Upstream(m) => m.clone(),
            Failure::Seller(SellerError::NoDefault) => {
                "the request names no selling partner (header x-amzn-selling-partner-id \
                 or selling_partner_id) and the agent has no default seller"
                    .into()
            }
            Failure::Seller(SellerError::Unknown(s)) => {
                format!("no refresh token is stored for selling partner {s}")
            }
            Failure::Seller(SellerError::Revoked { seller, parameter, reason, at }) => format!(
                "selling partner {seller} revoked this application's authorization (LWA invalid_grant at {}: {reason}); \
                 the seller must authorize the application again and the new refresh token be stored in {parameter}",
                rfc3339(*at)
            ),
            Failure::Client(ClientError::Missing(p)) => format!("the SSM parameter {p} is missing"),
            Failure::Client(ClientError::Rejected { parameter, version, reason }) => format!(
                "LWA rejected the client secret (invalid_client: {reason}) in {parameter} version {version}: \
                 it is wrong or expired; store the current secret as a new version"
            ),
            Failure::Lwa(e) => e.to_string(),
            Failure::Throttled(wait) => format!(
                "the operation's usage plan allows the next call in {:.1} s, beyond the agent's longest wait",
                wait.as_secs_f64()
            ),
            Failure::Answer(_) => String::new(),
        }
    }

    /// As the token API answers.
    pub fn into_token_response(self) -> Response {
        if let Failure::Answer(r) = self {
            return *r;
        }
        (self.status(), axum::Json(json!({"error": self.code(), "message": self.message()}))).into_response()
    }

    /// As the proxy answers: SP-API's error shape.
    pub fn into_sp_response(self) -> Response {
        if let Failure::Answer(r) = self {
            return *r;
        }
        let body = json!({"errors": [{"code": self.code(), "message": self.message(), "details": "spcred agent"}]});
        (self.status(), [("x-spcred-agent-error", self.code())], axum::Json(body)).into_response()
    }
}
