//! Helpers shared by the integration tests.

#![allow(dead_code)]

use spcred_pattern::{Event, Pattern};

/// Reads a file from the shared event-pattern test data.
pub fn data(relative: &str) -> String {
    let path = format!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/eventpatterns/{}"), relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Whether `event` matches `pattern`; both must be valid.
pub fn matches(pattern: &str, event: &str) -> bool {
    let pattern = Pattern::parse(pattern).unwrap_or_else(|e| panic!("pattern {pattern}: {}", e.message()));
    let event = Event::parse(event).unwrap_or_else(|e| panic!("event {event}: {e}"));
    pattern.matches(&event)
}

/// The message EventBridge returns for an invalid pattern.
pub fn error(pattern: &str) -> String {
    match Pattern::parse(pattern) {
        Ok(_) => panic!("pattern should be refused: {pattern}"),
        Err(e) => e.message(),
    }
}

/// `Event pattern is not valid. Reason: <reason>` followed by the parser
/// location `times` times.
pub fn located(reason: &str, pattern: &str, line: u32, column: u32, times: usize) -> String {
    let location = format!("\n at [Source: (String)\"{pattern}\"; line: {line}, column: {column}]");
    format!("Event pattern is not valid. Reason: {reason}{}", location.repeat(times))
}
