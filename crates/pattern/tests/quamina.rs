//! The examples of quamina's PATTERNS.md (an independent implementation of
//! the EventBridge pattern language), checked against this crate. Where
//! quamina departs from EventBridge the EventBridge behaviour is asserted.

mod common;

use common::{data, matches};
use spcred_pattern::Pattern;

#[test]
fn the_document_is_the_one_these_examples_come_from() {
    let doc = data("quamina/PATTERNS.md");
    for snippet in [
        r#"{"alpha": {"beta": [1]}}"#,
        r#"{"a": [ { "prefix":  "al" } ] }"#,
        r#"{"img": [ {"wildcard": "https://example.*/*.jpg"} ] }"#,
        r#"{"example-regex": [ {"wildcard":  "a\\*\\*\\\\.b"}]}"#,
    ] {
        assert!(doc.contains(snippet), "{snippet}");
    }
}

#[test]
fn paths_omit_arrays() {
    let pattern = r#"{"alpha": {"beta": [1]}}"#;
    assert!(matches(pattern, r#"{"alpha": {"beta": 1}}"#));
    assert!(matches(pattern, r#"{"alpha": [ {"beta": [1, 2]}, {"beta": [3, 4]} ] }"#));
    assert!(!matches(pattern, r#"{"alpha": [ {"beta": [2]}, {"beta": [3, 4]} ] }"#));
}

#[test]
fn prefix() {
    assert!(matches(r#"{"a": [ { "prefix":  "al" } ] }"#, r#"{"a": "alpha"}"#));
    assert!(!matches(r#"{"a": [ { "prefix":  "al" } ] }"#, r#"{"a": "beta"}"#));
}

#[test]
fn exists() {
    for event in [r#"{"alpha": {"beta": 1}}"#, r#"{"alpha": [ {"beta": [1, 2]}, {"beta": [3, 4]} ] }"#] {
        assert!(matches(r#"{"alpha": {"beta": [ {"exists": true} ]}}"#, event));
        assert!(matches(r#"{"alpha": {"gamma": [ {"exists": false} ]}}"#, event));
    }
    // Exists only works on leaves.
    assert!(!matches(r#"{ "a": [ {"exists": true} ] }"#, r#"{ "a": { "b": 1 } }"#));
    // An empty array has no value.
    assert!(matches(r#"{ "a": [ { "exists": false } ] }"#, r#"{ "a": [] }"#));
    assert!(!matches(r#"{ "a": [ { "exists": true } ] }"#, r#"{ "a": [] }"#));
}

#[test]
fn empty_pattern_arrays_are_refused_by_eventbridge() {
    // Quamina accepts `{"a": []}` and never matches it; EventBridge refuses it.
    assert_eq!(Pattern::parse(r#"{ "a": [] }"#).unwrap_err().reason(), "Empty arrays are not allowed");
}

#[test]
fn anything_but() {
    let pattern = r#"{"a": [{"anything-but": ["x", "y"]}]}"#;
    assert!(matches(pattern, r#"{"a": "z"}"#));
    assert!(!matches(pattern, r#"{"a": "y"}"#));
}

#[test]
fn wildcard() {
    let event = r#"{"img": "https://example.com/9943.jpg"}"#;
    for pattern in [
        r#"{"img": [ {"wildcard": "*.jpg"} ] }"#,
        r#"{"img": [ {"wildcard": "https://example.com/*"} ] }"#,
        r#"{"img": [ {"wildcard": "https://example.com/*.jpg"} ] }"#,
        r#"{"img": [ {"wildcard": "https://example.*/*.jpg"} ] }"#,
    ] {
        assert!(matches(pattern, event), "{pattern}");
    }
    assert!(!matches(r#"{"img": [ {"wildcard": "*.png"} ] }"#, event));
    let escaped = r#"{"example-regex": [ {"wildcard":  "a\\*\\*\\\\.b"}]}"#;
    assert!(matches(escaped, r#"{"example-regex": "a**\\.b"}"#));
    assert!(!matches(escaped, r#"{"example-regex": "axx\\.b"}"#));
    // Only * and \ may follow a backslash; stars may not be adjacent.
    assert!(
        Pattern::parse(r#"{"x": [{"wildcard": "a\\.b"}]}"#)
            .unwrap_err()
            .reason()
            .starts_with("Invalid escape character")
    );
    assert!(
        Pattern::parse(r#"{"x": [{"wildcard": "a**b"}]}"#).unwrap_err().reason().starts_with("Consecutive wildcard")
    );
}

#[test]
fn equals_ignore_case() {
    assert!(matches(r#"{"a": [{"equals-ignore-case": "HeLLo"}]}"#, r#"{"a": "hello"}"#));
    assert!(!matches(r#"{"a": [{"equals-ignore-case": "HeLLo"}]}"#, r#"{"a": "hello!"}"#));
}

#[test]
fn quamina_only_operators_are_refused() {
    for (pattern, reason) in [
        (r#"{"a": [{"shellstyle": "x*"}]}"#, "Unrecognized match type shellstyle"),
        (r#"{"a": [{"regexp": "B..CH"}]}"#, "Unrecognized match type regexp"),
    ] {
        assert_eq!(Pattern::parse(pattern).unwrap_err().reason(), reason);
    }
}
