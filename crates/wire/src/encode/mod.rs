//! Encoding: from a normalised value (see the crate documentation) to awsQuery XML or awsJson,
//! and the error bodies of both protocols.

pub(crate) mod json;
mod xml;

use serde_json::Value;

pub use json::{JsonError, encode_json, encode_json_error};
pub use xml::{encode_query, encode_query_error};

/// Nesting deeper than this is not encoded: it can only come from a recursive shape filled in
/// without bound.
const MAX_DEPTH: usize = 64;

/// An error response, for either protocol.
#[derive(Debug, Clone, Copy)]
pub struct ErrorBody<'a> {
    /// The error code: a modelled error's wire code or shape name (the encoders translate
    /// between them), or an unmodelled code such as `InvalidAction`.
    pub code: &'a str,
    /// The message; left out of the body when empty.
    pub message: &'a str,
    /// Whether the client is at fault (`Sender`) or the service (`Receiver`).
    pub sender_fault: bool,
    /// The request id (awsQuery puts it in the body; awsJson only in `x-amzn-RequestId`).
    pub request_id: &'a str,
    /// Other members of the modelled error shape, keyed by member name, normalised.
    pub fields: Option<&'a Value>,
}

impl<'a> ErrorBody<'a> {
    /// An error without modelled fields.
    pub fn new(code: &'a str, message: &'a str, sender_fault: bool, request_id: &'a str) -> Self {
        ErrorBody { code, message, sender_fault, request_id, fields: None }
    }

    /// Add the error shape's other members.
    #[must_use]
    pub fn with_fields(self, fields: &'a Value) -> Self {
        ErrorBody { fields: Some(fields), ..self }
    }

    fn fault(&self) -> &'static str {
        if self.sender_fault { "Sender" } else { "Receiver" }
    }
}

/// Whether `member` is the error shape's message member, which [`ErrorBody::message`] fills.
fn is_message_member(member: &str) -> bool {
    member.eq_ignore_ascii_case("message")
}
