//! Properties: no input makes parsing panic; a pattern built from an event's
//! own values matches it; adding a constraint never turns a non-match into a
//! match; the rule set and the text parser agree with single-pattern matching
//! on parsed values.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use spcred_pattern::{Event, Pattern, RuleSet};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec!["x", "y", "alice", "ALICE", "10.0.0.1", "", "a.b", "*"]).prop_map(Value::from),
        (0i64..5).prop_map(Value::from),
        prop::sample::select(vec![json!(1.5), json!(true), json!(false), Value::Null]),
    ]
}

/// Small events over few key names, so that paths and arrays collide often.
fn event() -> impl Strategy<Value = Value> {
    let value = leaf().prop_recursive(3, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(vec!["a", "b", "c"]), inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    });
    prop::collection::btree_map(prop::sample::select(vec!["a", "b", "d"]), value, 1..4)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

fn matcher() -> impl Strategy<Value = Value> {
    let word = prop::sample::select(vec!["x", "y", "al", "ALICE", "10.0.0.0/30", ""]);
    prop_oneof![
        leaf(),
        word.clone().prop_map(|s| json!({"prefix": s})),
        word.clone().prop_map(|s| json!({"suffix": s})),
        word.clone().prop_map(|s| json!({"equals-ignore-case": s})),
        word.clone().prop_map(|s| json!({"anything-but": s})),
        (0i64..5).prop_map(|n| json!({"numeric": [">", n]})),
        (0i64..5).prop_map(|n| json!({"anything-but": [n]})),
        Just(json!({"exists": true})),
        Just(json!({"wildcard": "*l*"})),
        Just(json!({"cidr": "10.0.0.0/30"})),
    ]
}

fn path() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["a", "b", "d", "a.a", "a.b", "d.a", "d.b", "d.c", "a.a.a", "d.a.b"])
}

/// Fields (path, alternatives) with distinct paths none of which is a prefix
/// of another, so they can be nested into one pattern object.
fn fields(min: usize) -> impl Strategy<Value = Vec<(&'static str, Vec<Value>)>> {
    prop::collection::vec((path(), prop::collection::vec(matcher(), 1..3)), min..4).prop_map(|mut fields| {
        let mut kept: Vec<(&str, Vec<Value>)> = Vec::new();
        for (p, m) in fields.drain(..) {
            let clash =
                kept.iter().any(|(q, _)| p == *q || p.starts_with(&format!("{q}.")) || q.starts_with(&format!("{p}.")));
            if !clash {
                kept.push((p, m));
            }
        }
        kept
    })
}

fn pattern_text(fields: &[(&str, Vec<Value>)]) -> String {
    let mut root = Map::new();
    for (path, alternatives) in fields {
        let parts: Vec<&str> = path.split('.').collect();
        let mut node = &mut root;
        for part in &parts[..parts.len() - 1] {
            node = node.entry(*part).or_insert_with(|| Value::Object(Map::new())).as_object_mut().unwrap();
        }
        node.insert(parts[parts.len() - 1].to_owned(), Value::Array(alternatives.clone()));
    }
    Value::Object(root).to_string()
}

/// A pattern requiring every leaf reachable from the event by always taking
/// the first element of arrays: one array-consistent selection of values.
fn pattern_from(event: &Value) -> Option<Value> {
    match event {
        Value::Object(map) => {
            let fields: Map<String, Value> =
                map.iter().filter_map(|(k, v)| pattern_from(v).map(|p| (k.clone(), p))).collect();
            (!fields.is_empty()).then_some(Value::Object(fields))
        }
        Value::Array(items) => items.iter().find_map(pattern_from),
        leaf => Some(Value::Array(vec![leaf.clone()])),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,64}") {
        let _ = Pattern::parse(&text);
        let _ = Event::parse(&text);
    }

    #[test]
    fn parsing_json_like_text_never_panics(
        text in prop::collection::vec(prop::sample::select(vec![
            "{", "}", "[", "]", ",", ":", "\"a\"", "\"$or\"", "\"prefix\"", "\"numeric\"", "\"anything-but\"",
            "\"wildcard\"", "\"cidr\"", "\"exists\"", "\"equals-ignore-case\"", "\"suffix\"", "\">\"", "\"<=\"",
            "\"=\"", "1", "-0.5", "6e9", "true", "null", "\"*\"", "\"a**b\"", "\"\\\\x\"", "\"10.0.0.0/8\"", " ", "\n",
        ]), 0..40).prop_map(|parts| parts.concat())
    ) {
        if let Ok(pattern) = Pattern::parse(&text) {
            let _ = pattern.matches(&Event::parse(r#"{"a": [1, {"a": "x"}]}"#).unwrap());
        }
        let _ = Event::parse(&text);
    }

    #[test]
    fn a_pattern_made_of_the_events_own_values_matches_it(event in event()) {
        let Some(pattern) = pattern_from(&event) else { return Ok(()) };
        let text = pattern.to_string();
        let pattern = Pattern::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {}", e.message())))?;
        prop_assert!(pattern.matches(&Event::from_value(&event)), "{} vs {}", text, event);
    }

    #[test]
    fn adding_a_constraint_never_turns_a_mismatch_into_a_match(
        base in fields(1),
        extra in (path(), prop::collection::vec(matcher(), 1..3)),
        event in event(),
    ) {
        // `exists: false` is left out on purpose: event-ruler (and so
        // EventBridge) judges absence against the array elements chosen for the
        // fields evaluated before it, so an added field can satisfy it. See
        // `absence_depends_on_the_other_fields` below.
        let mut wider = base.clone();
        let clash = wider.iter().any(|(q, _)| {
            extra.0 == *q || extra.0.starts_with(&format!("{q}.")) || q.starts_with(&format!("{}.", extra.0))
        });
        if clash {
            return Ok(());
        }
        wider.push(extra);
        let event = Event::from_value(&event);
        let narrow = Pattern::parse(&pattern_text(&base)).unwrap();
        let constrained = Pattern::parse(&pattern_text(&wider)).unwrap();
        prop_assert!(!constrained.matches(&event) || narrow.matches(&event));
    }

    #[test]
    fn the_rule_set_and_the_text_parser_agree(
        patterns in prop::collection::vec(fields(1), 1..6),
        events in prop::collection::vec(event(), 1..6),
    ) {
        let compiled: Vec<Pattern> = patterns.iter().map(|f| Pattern::parse(&pattern_text(f)).unwrap()).collect();
        let mut rules = RuleSet::new();
        for (i, p) in compiled.iter().enumerate() {
            rules.add(i, p.clone());
        }
        for value in &events {
            let from_value = Event::from_value(value);
            let from_text = Event::parse(&value.to_string()).unwrap();
            let want: Vec<usize> = (0..compiled.len()).filter(|&i| compiled[i].matches(&from_value)).collect();
            let text_view: Vec<usize> = (0..compiled.len()).filter(|&i| compiled[i].matches(&from_text)).collect();
            prop_assert_eq!(&want, &text_view);
            let mut got: Vec<usize> = rules.matching(&from_value).into_iter().copied().collect();
            got.sort_unstable();
            prop_assert_eq!(got, want);
        }
    }
}

#[test]
fn absence_depends_on_the_other_fields() {
    let event = Event::parse(r#"{"d": [{"a": 1}, {"b": 2}]}"#).unwrap();
    let absent = Pattern::parse(r#"{"d": {"b": [{"exists": false}]}}"#).unwrap();
    let with_a = Pattern::parse(r#"{"d": {"a": [{"exists": true}], "b": [{"exists": false}]}}"#).unwrap();
    assert!(!absent.matches(&event), "d.b is present in d[1]");
    assert!(with_a.matches(&event), "d[0] supplies a and has no b");
}
