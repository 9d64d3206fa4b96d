//! Errors, with the exact texts EventBridge returns.

use std::fmt::Write;

use crate::lex::utf16_len;

/// The AWS error code a [`PatternError`] maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatternErrorCode {
    /// `InvalidEventPatternException`: the pattern is not a valid event pattern.
    InvalidEventPattern,
    /// `ValidationException`: the pattern is longer than the API allows.
    Validation,
}

impl PatternErrorCode {
    /// The AWS error code string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidEventPattern => "InvalidEventPatternException",
            Self::Validation => "ValidationException",
        }
    }
}

/// A pattern EventBridge would refuse.
///
/// [`PatternError::message`] is the text of the AWS error, for example
/// `Event pattern is not valid. Reason: "int" must be an object or an array\n at
/// [Source: (String)"{"int": 42}"; line: 1, column: 11]`. Like EventBridge (whose
/// matcher is event-ruler on Jackson), most reasons carry the parser location,
/// some carry it twice, and a few (CIDR and number-range problems found outside
/// the JSON reader, rule complexity) carry none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct PatternError {
    code: PatternErrorCode,
    reason: String,
    location: String,
}

impl PatternError {
    /// An error without a location.
    pub(crate) fn plain(reason: impl Into<String>) -> Self {
        Self { code: PatternErrorCode::InvalidEventPattern, reason: reason.into(), location: String::new() }
    }

    /// An error at a 1-based `line` and `column` of `src` (columns count UTF-16
    /// units, as Java does).
    pub(crate) fn located(reason: impl Into<String>, src: &str, line: u32, column: usize) -> Self {
        Self {
            code: PatternErrorCode::InvalidEventPattern,
            reason: reason.into(),
            location: format!("\n at {}", location(src, line, column)),
        }
    }

    /// The same error with its location written twice: event-ruler re-wraps
    /// some parser errors in a second exception that appends it again.
    pub(crate) fn doubled(mut self) -> Self {
        self.location = self.location.repeat(2);
        self
    }

    /// A pattern longer than the API's limit on `EventPattern`.
    pub(crate) fn too_long() -> Self {
        Self {
            code: PatternErrorCode::Validation,
            reason: format!(
                "1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: \
                 Member must have length less than or equal to {}",
                crate::MAX_PATTERN_LEN
            ),
            location: String::new(),
        }
    }

    /// The AWS error code.
    pub fn code(&self) -> PatternErrorCode {
        self.code
    }

    /// The error message AWS returns with the code.
    pub fn message(&self) -> String {
        match self.code {
            PatternErrorCode::InvalidEventPattern => {
                format!("Event pattern is not valid. Reason: {}{}", self.reason, self.location)
            }
            PatternErrorCode::Validation => self.reason.clone(),
        }
    }

    /// The reason alone, without the prefix or the parser location.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Jackson's rendering of a location: `[Source: (String)"<text>"; line: L,
/// column: C]`, the text cut at 500 UTF-16 units and its control characters
/// other than CR and LF escaped.
pub(crate) fn location(src: &str, line: u32, column: usize) -> String {
    const MAX_SNIPPET: usize = 500;
    let mut snippet = String::with_capacity(src.len().min(MAX_SNIPPET) + 16);
    let mut units = 0;
    for ch in src.chars() {
        let len = ch.len_utf16();
        if units + len > MAX_SNIPPET {
            break;
        }
        units += len;
        if ch.is_control() && ch != '\r' && ch != '\n' {
            let _ = write!(snippet, "\\u{:04X}", u32::from(ch));
        } else {
            snippet.push(ch);
        }
    }
    let total = utf16_len(src);
    let truncated =
        if total > MAX_SNIPPET { format!("[truncated {} chars]", total - MAX_SNIPPET) } else { String::new() };
    format!("[Source: (String)\"{snippet}\"{truncated}; line: {line}, column: {column}]")
}

/// An event EventBridge would refuse (`ValidationException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The event is not valid JSON.
    #[error("Parameter Event is not valid.")]
    InvalidJson,
    /// The event is valid JSON but not an object.
    #[error("Parameter Event is not valid.")]
    NotAnObject,
    /// The event nests objects and arrays deeper than [`crate::MAX_EVENT_DEPTH`].
    #[error("Parameter Event is not valid.")]
    TooDeep,
    /// `TestEventPattern` requires this envelope field.
    #[error("Parameter Event is not valid.")]
    MissingField(&'static str),
}

impl EventError {
    /// The AWS error code.
    pub fn code(&self) -> &'static str {
        "ValidationException"
    }

    /// The error message AWS returns with the code.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_escapes_and_truncates_like_jackson() {
        assert_eq!(location("{\"a\":\t1}", 1, 3), "[Source: (String)\"{\"a\":\\u00091}\"; line: 1, column: 3]");
        assert_eq!(location("a\nb", 2, 1), "[Source: (String)\"a\nb\"; line: 2, column: 1]");
        let long = "x".repeat(503);
        let rendered = location(&long, 1, 504);
        assert!(rendered.ends_with("\"[truncated 3 chars]; line: 1, column: 504]"));
        assert_eq!(rendered.matches('x').count(), 500);
    }

    #[test]
    fn messages() {
        let e = PatternError::located("Empty arrays are not allowed", "{\"resources\": []}", 1, 17);
        assert_eq!(
            e.message(),
            "Event pattern is not valid. Reason: Empty arrays are not allowed\n at [Source: (String)\"{\"resources\": []}\"; line: 1, column: 17]"
        );
        assert_eq!(e.code().as_str(), "InvalidEventPatternException");
        assert_eq!(e.reason(), "Empty arrays are not allowed");
        assert_eq!(PatternError::plain("x").message(), "Event pattern is not valid. Reason: x");
        assert_eq!(PatternError::too_long().code().as_str(), "ValidationException");
        assert_eq!(EventError::MissingField("id").message(), "Parameter Event is not valid.");
    }
}
