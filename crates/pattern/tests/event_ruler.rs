//! event-ruler's own fixtures: nested-array rules and events with their
//! expected matches, the 255 KB event, the `$or` rule files, the 51
//! correctness cases (expected outcomes in `tests/data`), and the citylots2
//! benchmark rule sets.

mod common;

use common::{data, matches};
use serde_json::Value;
use spcred_pattern::{Event, Pattern, RuleSet};

#[test]
fn nested_arrays_match_as_event_ruler_expects() {
    let expected: Value = serde_json::from_str(&data("event-ruler/EXPECTED.json")).unwrap();
    let nested = &expected["nestedArrays"];
    let mut rules = RuleSet::new();
    for (name, file) in nested["rules"].as_object().unwrap() {
        let path = format!("event-ruler/{}", file.as_str().unwrap());
        rules.add(name.clone(), Pattern::parse(&data(&path)).unwrap());
    }
    let cases = nested["expected_array_consistent"].as_object().unwrap();
    assert_eq!(cases.len(), 4);
    for (event_file, wanted) in cases {
        let event = Event::parse(&data(&format!("event-ruler/src-test-data/{event_file}"))).unwrap();
        let mut got: Vec<&String> = rules.matching(&event);
        got.sort();
        let wanted: Vec<&str> = wanted.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(got, wanted, "{event_file}");
    }
}

#[test]
fn event3_is_refused_where_only_flattening_would_match() {
    // Under the legacy (non array-consistent) flattening event3 matches rule3;
    // EventBridge is array-consistent, so it must not.
    let rule3 = data("event-ruler/src-test-data/arrayRule3.json");
    assert!(!matches(&rule3, &data("event-ruler/src-test-data/arrayEvent3.json")));
    assert!(matches(&rule3, &data("event-ruler/src-test-data/arrayEvent4.json")));
}

#[test]
fn rule4_matches_the_events_with_a_consistent_element() {
    // arrayRule4 has no recorded expectation upstream. metrics[0] of event3 is
    // CPUUtilization + AWS/EC2 and event4's only element is CPUUtilization +
    // AWS/ES, both allowed; events 1 and 2 keep their metrics elsewhere.
    let rule4 = data("event-ruler/src-test-data/arrayRule4.json");
    for (event, wanted) in [(1, false), (2, false), (3, true), (4, true)] {
        let text = data(&format!("event-ruler/src-test-data/arrayEvent{event}.json"));
        assert_eq!(matches(&rule4, &text), wanted, "arrayEvent{event}");
    }
}

#[test]
fn big_event_matches_its_rule() {
    let expected: Value = serde_json::from_str(&data("event-ruler/EXPECTED.json")).unwrap();
    assert_eq!(expected["bigEvent"]["expected"], serde_json::json!(["test"]));
    let event = Event::parse(&data("event-ruler/src-test-data/bigEvent.json")).unwrap();
    let mut rules = RuleSet::new();
    rules.add("test", Pattern::parse(&data("event-ruler/src-test-data/bigEventRule.json")).unwrap());
    rules.add("other", Pattern::parse(r#"{"detail": {"eventName": ["DeleteHostedZone"]}}"#).unwrap());
    assert_eq!(rules.matching(&event), [&"test"]);
    assert!(event.len() > 1000);
}

fn rules_in(file: &str) -> Vec<String> {
    let rules: Value = serde_json::from_str(&data(&format!("event-ruler/src-test-data/{file}"))).unwrap();
    rules.as_array().unwrap().iter().map(Value::to_string).collect()
}

#[test]
fn or_relationship_rules_compile_and_mean_or() {
    let rules = rules_in("orRelationshipRules.json");
    assert_eq!(rules.len(), 5);
    for rule in &rules {
        Pattern::parse(rule).unwrap_or_else(|e| panic!("{rule}: {}", e.message()));
    }
    // "metricName" || "namespace"
    assert!(matches(&rules[0], r#"{"namespace": "AWS/ES"}"#));
    assert!(matches(&rules[0], r#"{"metricName": "ReadLatency"}"#));
    assert!(!matches(&rules[0], r#"{"metricName": "Other", "namespace": "Other"}"#));
    // ("metricName" || "namespace") && ("detail.source" || "detail.detail-type")
    assert!(matches(
        &rules[1],
        r#"{"namespace": "AWS/EC2", "detail": {"detail-type": "CloudWatch Alarm State Change"}}"#
    ));
    assert!(!matches(&rules[1], r#"{"namespace": "AWS/EC2", "detail": {"source": "aws.ec2"}}"#));
    assert!(!matches(&rules[1], r#"{"detail": {"source": "aws.cloudwatch"}}"#));
    // "source" && ("metricName" || ("metricType" && "namespace") || "scope")
    assert!(matches(&rules[2], r#"{"source": "aws.cloudwatch", "scope": "Service"}"#));
    assert!(matches(&rules[2], r#"{"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/ES"}"#));
    assert!(!matches(&rules[2], r#"{"source": "aws.cloudwatch", "metricType": "MetricType"}"#));
    assert!(!matches(&rules[2], r#"{"source": "aws.ec2", "scope": "Service"}"#));
    // nested $or with numbers: metricId 1234 || spaceId 1000, inside the second branch
    let nested =
        r#"{"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2", "spaceId": 1000.0}"#;
    assert!(matches(&rules[3], nested));
    assert!(!matches(
        &rules[3],
        r#"{"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2", "spaceId": 1001}"#
    ));
    // nested objects inside the branches
    let with_config = r#"{"source": "aws.cloudwatch", "detail": {"state": {"value": "ALARM"}},
        "withConfiguration": {"metrics": [{"metricStat": {"metric": {"namespace": "AWS/EC2"}}}]}}"#;
    assert!(matches(&rules[4], with_config));
    assert!(matches(
        &rules[4],
        r#"{"source": "aws.cloudwatch", "detail": {"state": {"value": "ALARM"}}, "withoutConfiguration": {"metric": {"name": "AWS/Default"}}}"#
    ));
    assert!(!matches(
        &rules[4],
        r#"{"source": "aws.cloudwatch", "detail": {"state": {"value": "OK"}}, "withoutConfiguration": {"metric": {"name": "AWS/Default"}}}"#
    ));
}

#[test]
fn rules_using_or_as_a_field_name_keep_working() {
    // These are not valid `$or` expressions, so (as event-ruler's Machine
    // does) they are read again with "$or" as an ordinary field name.
    let rules = rules_in("normalRulesWithOrWording.json");
    assert_eq!(rules.len(), 4);
    assert!(matches(&rules[0], r#"{"$or": "10.0.0.7"}"#));
    assert!(!matches(&rules[0], r#"{"$or": "10.0.1.7"}"#));
    assert!(matches(
        &rules[1],
        r#"{"source": "aws.cloudwatch", "$or": {"metricType": "MetricType", "namespace": "AWS/ES"}}"#
    ));
    assert!(!matches(&rules[1], r#"{"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/ES"}"#));
    assert!(matches(&rules[2], r#"{"time": "2017-10-02T00:00:00Z", "detail": {"$or": 4}}"#));
    assert!(matches(&rules[2], r#"{"time": "2017-10-02T00:00:00Z", "detail": {"$or": "10.1.2.3"}}"#));
    assert!(matches(&rules[3], r#"{"detail": {"$or": 11}}"#));
    assert!(!matches(&rules[3], r#"{"detail": {"$or": 7}}"#));
}

#[test]
fn wrong_or_relationship_rules_are_refused() {
    let rules = rules_in("wrongOrRelationshipRules.json");
    assert_eq!(rules.len(), 2);
    // Both readings fail; the error reported is the second (field-name) one.
    let reasons: Vec<String> = rules.iter().map(|r| Pattern::parse(r).unwrap_err().reason().to_owned()).collect();
    assert_eq!(reasons, ["Unrecognized match type metricName", "Unrecognized match type source"]);
}

#[test]
fn correctness_cases_have_the_reasoned_outcomes() {
    let cases: Value = serde_json::from_str(&data("event-ruler/src-test-resources/correctness-cases.json")).unwrap();
    let table: Value = serde_json::from_str(include_str!("data/correctness-expected.json")).unwrap();
    let cases = cases.as_array().unwrap();
    let table = table["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 51);
    assert_eq!(table.len(), cases.len());
    let mut rules = RuleSet::new();
    for (case, row) in cases.iter().zip(table) {
        let name = case["name"].as_str().unwrap();
        assert_eq!(row["name"], case["name"]);
        let wanted = row["expected"].as_bool().unwrap();
        let pattern = Pattern::parse(&case["rule"].to_string()).unwrap();
        let event = Event::from_value(&case["event"]);
        assert_eq!(pattern.matches(&event), wanted, "{name}");
        // The same answer from text parsing and from the rule set.
        assert_eq!(pattern.matches(&Event::parse(&case["event"].to_string()).unwrap()), wanted, "{name}");
        rules.add(name, pattern);
        assert_eq!(rules.matching(&event), if wanted { vec![&name] } else { vec![] }, "{name}");
        rules.remove(&name);
    }
    assert!(rules.is_empty());
}

#[test]
fn citylots2_rule_sets_compile() {
    let ruler: Value = serde_json::from_str(&data("event-ruler/citylots2-benchmark-rules.json")).unwrap();
    let mut count = 0;
    for (family, rules) in ruler.as_object().unwrap() {
        for rule in rules.as_array().unwrap() {
            let text = rule["rule"].to_string();
            Pattern::parse(&text).unwrap_or_else(|e| panic!("{family} {text}: {}", e.message()));
            count += 1;
        }
    }
    assert_eq!(count, 70);
    let quamina: Value = serde_json::from_str(&data("quamina/citylots2-benchmark-rules.json")).unwrap();
    for (family, rules) in quamina.as_object().unwrap() {
        for rule in rules.as_array().unwrap() {
            let text = rule["rule"].to_string();
            match family.as_str() {
                // Quamina-only operators, which EventBridge does not have.
                "shellstyle" => assert!(Pattern::parse(&text).unwrap_err().reason().ends_with("shellstyle")),
                "regexp" => assert!(Pattern::parse(&text).unwrap_err().reason().ends_with("regexp")),
                _ => assert!(Pattern::parse(&text).is_ok(), "{family} {text}"),
            }
        }
    }
}
