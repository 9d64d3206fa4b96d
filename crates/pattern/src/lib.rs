//! EventBridge event patterns (pure): parsing and validation with the error
//! texts EventBridge returns, matching one pattern, and matching many patterns
//! at once.
//!
//! ```
//! use spcred_pattern::{Event, Pattern, RuleSet};
//!
//! let pattern = Pattern::parse(r#"{"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "pending"}]}}"#)?;
//! let event = Event::parse(r#"{"source": "aws.ec2", "detail": {"state": "running"}}"#)?;
//! assert!(pattern.matches(&event));
//!
//! let mut rules = RuleSet::new();
//! rules.add("ec2", pattern);
//! assert_eq!(rules.matching(&event), [&"ec2"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! An [`Event`] is flattened once and can be matched against any number of
//! patterns; [`Event::parse_into`] refills an existing one without allocating,
//! and [`RuleSet::matching_into`] matches without allocating, for streams of
//! events.
//!
//! # Semantics
//!
//! EventBridge's matcher is AWS's event-ruler; this crate follows it.
//!
//! * A pattern is a JSON object; every leaf is an array of alternatives. Fields
//!   are ANDed, alternatives ORed. Nested objects and dotted keys name the same
//!   path (`{"a": {"b": ...}}` and `{"a.b": ...}`). A path given twice keeps
//!   the later value.
//! * Events are flattened to leaf values; a field holding an array matches if
//!   any element matches. Values used to match different fields may not come
//!   from different elements of the same array (array consistency). An empty
//!   object or array holds no value.
//! * Exact values: strings, numbers, `true`, `false`, `null`, `""`. Numbers are
//!   equal if their JSON text is equal or their values are (`300`, `300.0` and
//!   `3.0e2` are equal). A string that is an IP address matches the same
//!   address written differently (`::1` and `0:0:0:0:0:0:0:1`).
//! * `prefix`, `suffix` (both also with `{"equals-ignore-case": ...}`),
//!   `equals-ignore-case` and `wildcard` apply to strings only. `wildcard`'s
//!   `*` matches any run of characters; `\*` and `\\` are a literal star and
//!   backslash.
//! * `numeric` (`=`, `<`, `<=`, `>`, `>=`, or a lower bound followed by an
//!   upper one) applies to numbers only, compared to six decimal places within
//!   -5.0e9..=5.0e9, as documented for EventBridge; operands outside that range
//!   are refused.
//! * `cidr` applies to IPv4 and IPv6 address strings.
//! * `exists: true` matches any leaf value, `null` included; `exists: false`
//!   matches when the path has no leaf value (consistent with the array
//!   elements used by the other fields).
//! * `anything-but` (a string, a number, a list of either, or `prefix`,
//!   `suffix`, `equals-ignore-case` or `wildcard` forms) matches every leaf
//!   value that is not excluded, including `null`, booleans and values of the
//!   other type, but never a missing field.
//! * `$or` takes two or more objects and expands the pattern into
//!   alternatives. A pattern that is not valid with `$or` as the operator is
//!   read again with `$or` as an ordinary field name, as event-ruler does for
//!   patterns written before `$or` existed.
//!
//! # Bounds
//!
//! Patterns are limited to [`MAX_PATTERN_LEN`] characters (the API's limit,
//! which also bounds their nesting to about 800 levels) and 1000 `$or`
//! alternatives; events to
//! [`MAX_EVENT_DEPTH`] levels of nesting. Wildcards whose matching would be too
//! non-deterministic are refused, as EventBridge does. Matching work is
//! bounded by memoization, and no input makes any function panic.

mod compile;
mod error;
mod event;
mod fold;
mod ip;
mod json;
mod lex;
mod matcher;
mod pattern;
mod ruleset;
mod table;
mod wildcard;

pub use error::{EventError, PatternError, PatternErrorCode};
pub use event::{Event, MAX_EVENT_DEPTH};
pub use pattern::{MAX_PATTERN_LEN, Pattern};
pub use ruleset::{RuleSet, Scratch};

/// The envelope fields `TestEventPattern` requires in its event.
pub const TEST_EVENT_REQUIRED_FIELDS: [&str; 6] = ["id", "account", "source", "time", "region", "detail-type"];

/// Why `TestEventPattern` failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TestEventPatternError {
    /// The pattern is invalid (`InvalidEventPatternException`, or
    /// `ValidationException` when too long).
    #[error(transparent)]
    Pattern(#[from] PatternError),
    /// The event is invalid (`ValidationException`).
    #[error(transparent)]
    Event(#[from] EventError),
}

impl TestEventPatternError {
    /// The AWS error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Pattern(e) => e.code().as_str(),
            Self::Event(e) => e.code(),
        }
    }

    /// The error message AWS returns with the code.
    pub fn message(&self) -> String {
        match self {
            Self::Pattern(e) => e.message(),
            Self::Event(e) => e.message(),
        }
    }
}

/// The `TestEventPattern` operation: validates the pattern, then the event
/// (a JSON object with the fields in [`TEST_EVENT_REQUIRED_FIELDS`]), and
/// tells whether they match.
pub fn test_event_pattern(pattern_json: &str, event_json: &str) -> Result<bool, TestEventPatternError> {
    let pattern = Pattern::parse(pattern_json)?;
    let event = Event::parse(event_json)?;
    if let Some(missing) = TEST_EVENT_REQUIRED_FIELDS.into_iter().find(|f| !event.has_top_level(f)) {
        return Err(EventError::MissingField(missing).into());
    }
    Ok(pattern.matches(&event))
}
