//! The `TestEventPattern` operation.

use spcred_pattern::{TEST_EVENT_REQUIRED_FIELDS, test_event_pattern};

const EVENT: &str = r#"{"id": "1", "source": "order", "detail-type": "Test", "account": "123456789012",
    "region": "us-east-1", "time": "2024-07-11T13:55:39Z"}"#;

#[test]
fn matches_and_mismatches() {
    // Recorded against EventBridge: `resources` is documented as required but is not.
    assert_eq!(test_event_pattern(r#"{"source": ["order"], "detail-type": ["Test"]}"#, EVENT), Ok(true));
    assert_eq!(test_event_pattern(r#"{"source": ["shipment"], "detail-type": ["Test"]}"#, EVENT), Ok(false));
}

#[test]
fn the_pattern_is_checked_first() {
    let err = test_event_pattern(r#"{"int": 42}"#, "not json").unwrap_err();
    assert_eq!(err.code(), "InvalidEventPatternException");
    assert!(err.message().starts_with("Event pattern is not valid. Reason: \"int\" must be an object or an array"));
}

#[test]
fn invalid_events_are_validation_errors() {
    let pattern = r#"{"source": ["order"]}"#;
    for event in ["plain string payload", "[]", r#"{"id": "1"}"#, "{"] {
        let err = test_event_pattern(pattern, event).unwrap_err();
        assert_eq!(err.code(), "ValidationException", "{event}");
        assert_eq!(err.message(), "Parameter Event is not valid.", "{event}");
    }
    for field in TEST_EVENT_REQUIRED_FIELDS {
        let without = EVENT.replace(&format!("\"{field}\""), "\"other\"");
        let err = test_event_pattern(pattern, &without).unwrap_err();
        assert_eq!(err.message(), "Parameter Event is not valid.", "{field}");
    }
}
