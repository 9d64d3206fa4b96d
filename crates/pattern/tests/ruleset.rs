//! The multi-pattern matcher agrees with single-pattern matching, and keeps
//! doing so as patterns come and go.

mod common;

use common::data;
use serde_json::Value;
use spcred_pattern::{Event, Pattern, RuleSet, Scratch};

fn pattern(text: &str) -> Pattern {
    Pattern::parse(text).unwrap_or_else(|e| panic!("{text}: {}", e.message()))
}

/// A varied corpus: the correctness cases and the AWS-style rules below.
fn corpus() -> (Vec<(String, Pattern)>, Vec<Event>) {
    let cases: Value = serde_json::from_str(&data("event-ruler/src-test-resources/correctness-cases.json")).unwrap();
    let mut patterns = Vec::new();
    let mut events = Vec::new();
    for case in cases.as_array().unwrap() {
        patterns.push((case["name"].as_str().unwrap().to_owned(), pattern(&case["rule"].to_string())));
        events.push(Event::from_value(&case["event"]));
    }
    for (i, text) in [
        r#"{"d": {"a": [{"exists": false}]}}"#,
        r#"{"d": {"a": [{"exists": false}, 1]}}"#,
        r#"{"$or": [{"d": {"a": [1]}}, {"tags": ["admin"]}]}"#,
        r#"{"d": {"name": [{"equals-ignore-case": "ALICE"}], "status": [{"anything-but": "x"}]}}"#,
        r#"{"d": {"a": [{"numeric": [">", 0]}], "b": ["found", {"exists": false}]}}"#,
        r#"{"u": {"s": [{"wildcard": "b*d"}]}}"#,
        r#"{"tags": [{"suffix": "min"}, "dev"]}"#,
    ]
    .iter()
    .enumerate()
    {
        patterns.push((format!("extra-{i}"), pattern(text)));
    }
    (patterns, events)
}

fn expected<'a>(patterns: &'a [(String, Pattern)], event: &Event) -> Vec<&'a String> {
    let mut keys: Vec<&String> = patterns.iter().filter(|(_, p)| p.matches(event)).map(|(k, _)| k).collect();
    keys.sort();
    keys.dedup();
    keys
}

fn sorted(mut keys: Vec<&String>) -> Vec<&String> {
    keys.sort();
    keys
}

#[test]
fn agrees_with_single_pattern_matching() {
    let (patterns, events) = corpus();
    let mut rules = RuleSet::new();
    for (key, p) in &patterns {
        rules.add(key.clone(), p.clone());
    }
    assert_eq!(rules.len(), patterns.len());
    let mut total = 0;
    for event in &events {
        let want = expected(&patterns, event);
        total += want.len();
        assert_eq!(sorted(rules.matching(event)), want);
    }
    assert!(total > 40, "the corpus should exercise many matches, got {total}");
}

#[test]
fn removal_and_rebuild_keep_answers_right() {
    let (patterns, events) = corpus();
    let mut rules = RuleSet::new();
    for (key, p) in &patterns {
        rules.add(key.clone(), p.clone());
    }
    // Remove every other pattern, checking after each removal.
    let mut live: Vec<(String, Pattern)> = patterns.clone();
    for (key, _) in patterns.iter().step_by(2) {
        assert_eq!(rules.remove(key), 1);
        assert_eq!(rules.remove(key), 0);
        live.retain(|(k, _)| k != key);
        for event in &events {
            assert_eq!(sorted(rules.matching(event)), expected(&live, event));
        }
    }
    // Re-add under new keys; freed slots are reused.
    for (key, p) in patterns.iter().step_by(2) {
        let key = format!("again-{key}");
        rules.add(key.clone(), p.clone());
        live.push((key, p.clone()));
    }
    for event in &events {
        assert_eq!(sorted(rules.matching(event)), expected(&live, event));
    }
    assert_eq!(rules.len(), live.len());
}

#[test]
fn several_patterns_under_one_key_are_ored_and_reported_once() {
    let mut rules = RuleSet::new();
    rules.add("r", pattern(r#"{"a": ["1"]}"#));
    rules.add("r", pattern(r#"{"b": ["2"]}"#));
    rules.add("s", pattern(r#"{"a": [{"prefix": ""}]}"#));
    let both = Event::parse(r#"{"a": "1", "b": "2"}"#).unwrap();
    let mut got = rules.matching(&both);
    got.sort_unstable();
    assert_eq!(got, [&"r", &"s"]);
    assert_eq!(rules.matching(&Event::parse(r#"{"b": "2"}"#).unwrap()), [&"r"]);
    assert_eq!(rules.len(), 3);
    assert_eq!(rules.remove(&"r"), 2);
    assert!(rules.matching(&Event::parse(r#"{"b": "2"}"#).unwrap()).is_empty());
    assert!(!rules.is_empty());
    assert_eq!(rules.remove(&"s"), 1);
    assert!(rules.is_empty());
}

#[test]
fn patterns_without_required_fields_match_by_absence() {
    let mut rules = RuleSet::new();
    rules.add(1, pattern(r#"{"detail": {"replay-name": [{"exists": false}]}}"#));
    assert_eq!(rules.matching(&Event::parse(r#"{"source": "x"}"#).unwrap()), [&1]);
    assert!(rules.matching(&Event::parse(r#"{"detail": {"replay-name": "r"}}"#).unwrap()).is_empty());
}

#[test]
fn matching_into_reuses_buffers() {
    let mut rules = RuleSet::new();
    rules.add("exact", pattern(r#"{"properties": {"STREET": ["FULTON"]}}"#));
    rules.add("prefix", pattern(r#"{"properties": {"STREET": [{"prefix": "FU"}]}}"#));
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    for (street, want) in [("FULTON", 2), ("FUN", 1), ("MASON", 0)] {
        out.clear();
        let event = Event::parse(&format!(r#"{{"properties": {{"STREET": "{street}"}}}}"#)).unwrap();
        rules.matching_into(&event, &mut scratch, &mut out);
        assert_eq!(out.len(), want, "{street}");
    }
}
