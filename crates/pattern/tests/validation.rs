//! Validation messages. The first group was recorded from EventBridge itself
//! (LocalStack's AWS-validated snapshots of `TestEventPattern`, and error
//! reports quoting the service); the rest follow event-ruler's
//! `JsonRuleCompiler`, which produces EventBridge's texts.

mod common;

use std::fmt::Write;

use common::{error, located};
use spcred_pattern::{Pattern, PatternErrorCode};

fn at(reason: &str, pattern: &str, column: u32) -> String {
    located(reason, pattern, 1, column, 1)
}

fn twice(reason: &str, pattern: &str, column: u32) -> String {
    located(reason, pattern, 1, column, 2)
}

fn plain(reason: &str) -> String {
    format!("Event pattern is not valid. Reason: {reason}")
}

#[test]
fn recorded_from_eventbridge() {
    let cases: &[(&str, String)] = &[
        (r#"{"int": 42}"#, at(r#""int" must be an object or an array"#, r#"{"int": 42}"#, 11)),
        (r#"{"string": "my-value"}"#, at(r#""string" must be an object or an array"#, r#"{"string": "my-value"}"#, 13)),
        (r#"{"resources": []}"#, at("Empty arrays are not allowed", r#"{"resources": []}"#, 17)),
        (
            r#"{"detail": {"equal": [{"NUMERIC": ["=", 5]}]}}"#,
            at("Unrecognized match type NUMERIC", r#"{"detail": {"equal": [{"NUMERIC": ["=", 5]}]}}"#, 36),
        ),
        (
            r#"{"my_key": [{"EXISTS": true}]}"#,
            at("Unrecognized match type EXISTS", r#"{"my_key": [{"EXISTS": true}]}"#, 28),
        ),
        (
            r#"{"detail": {"c-count": [{"numeric": [">", 0, ">", 0]}]}}"#,
            at("Bad numeric range operator: >", r#"{"detail": {"c-count": [{"numeric": [">", 0, ">", 0]}]}}"#, 49),
        ),
        (
            r#"{"detail": {"c-count": [{"numeric": [">", 0, "<"]}]}}"#,
            at("Value of < must be numeric", r#"{"detail": {"c-count": [{"numeric": [">", 0, "<"]}]}}"#, 50),
        ),
        (
            r#"{"EventBusArn": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}"#,
            plain(
                "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
            ),
        ),
        (
            r#"{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]}"#,
            at(
                "Consecutive wildcard characters at pos 26",
                r#"{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]}"#,
                72,
            ),
        ),
        (
            r#"{"detail-type": [{"equals-ignore-case": ["ec2 instance state-change notification"]}]}"#,
            at(
                "equals-ignore-case match pattern must be a string",
                r#"{"detail-type": [{"equals-ignore-case": ["ec2 instance state-change notification"]}]}"#,
                42,
            ),
        ),
        (
            r#"{"detail-type": [{"equals-ignore-case": {"prefix": "ec2"}}]}"#,
            at(
                "equals-ignore-case match pattern must be a string",
                r#"{"detail-type": [{"equals-ignore-case": {"prefix": "ec2"}}]}"#,
                42,
            ),
        ),
        (
            r#"{"detail": {"state": [{"anything-but": {"equals-ignore-case": 123}}]}}"#,
            at(
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
                r#"{"detail": {"state": [{"anything-but": {"equals-ignore-case": 123}}]}}"#,
                66,
            ),
        ),
        (
            r#"{"detail": {"state": [{"anything-but": {"equals-ignore-case": [123, 456]}}]}}"#,
            twice(
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
                r#"{"detail": {"state": [{"anything-but": {"equals-ignore-case": [123, 456]}}]}}"#,
                67,
            ),
        ),
        (
            r#"{"EventBusArn": [{"wildcard": 123}]}"#,
            at("wildcard match pattern must be a string", r#"{"EventBusArn": [{"wildcard": 123}]}"#, 34),
        ),
        (
            r#"{"EventBusArn": [{"wildcard": ["arn:aws:events:*:event-bus/*"]}]}"#,
            at(
                "wildcard match pattern must be a string",
                r#"{"EventBusArn": [{"wildcard": ["arn:aws:events:*:event-bus/*"]}]}"#,
                32,
            ),
        ),
        (
            r#"{"detail": {"state": [{"anything-but": {"wildcard": [123, "*/dir/*"]}}]}}"#,
            twice(
                "wildcard match pattern must be a string",
                r#"{"detail": {"state": [{"anything-but": {"wildcard": [123, "*/dir/*"]}}]}}"#,
                57,
            ),
        ),
        (
            r#"{"detail": {"FilePath": [{"anything-but": {"wildcard": 123}}]}}"#,
            at(
                "wildcard match pattern must be a string",
                r#"{"detail": {"FilePath": [{"anything-but": {"wildcard": 123}}]}}"#,
                59,
            ),
        ),
        (
            r#"{"detail": {"FileName": [{"anything-but": {"suffix": [123, ".txt"]}}]}}"#,
            twice(
                "prefix/suffix match pattern must be a string",
                r#"{"detail": {"FileName": [{"anything-but": {"suffix": [123, ".txt"]}}]}}"#,
                58,
            ),
        ),
        (
            r#"{"detail": {"FileName": [{"anything-but": {"suffix": 123}}]}}"#,
            at(
                "prefix/suffix match pattern must be a string",
                r#"{"detail": {"FileName": [{"anything-but": {"suffix": 123}}]}}"#,
                57,
            ),
        ),
        (
            r#"{"detail": {"state": [{"anything-but": {"prefix": [123, "test"]}}]}}"#,
            twice(
                "prefix/suffix match pattern must be a string",
                r#"{"detail": {"state": [{"anything-but": {"prefix": [123, "test"]}}]}}"#,
                55,
            ),
        ),
        (
            r#"{"detail": {"state": [{"anything-but": {"prefix": 123}}]}}"#,
            at(
                "prefix/suffix match pattern must be a string",
                r#"{"detail": {"state": [{"anything-but": {"prefix": 123}}]}}"#,
                54,
            ),
        ),
        (
            r#"{"time": [{"prefix": ["2022-07-13"]}]}"#,
            at("prefix match pattern must be a string", r#"{"time": [{"prefix": ["2022-07-13"]}]}"#, 23),
        ),
        (
            r#"{"time": [{"prefix": 123}]}"#,
            at("prefix match pattern must be a string", r#"{"time": [{"prefix": 123}]}"#, 25),
        ),
        (
            r#"{"FileName": [{"suffix": 123}]}"#,
            at("suffix match pattern must be a string", r#"{"FileName": [{"suffix": 123}]}"#, 29),
        ),
        (
            r#"{"FileName": [{"suffix": [".png"]}]}"#,
            at("suffix match pattern must be a string", r#"{"FileName": [{"suffix": [".png"]}]}"#, 27),
        ),
        (
            r#"{"detail": {"FileName": [{"anything-but": {"prefix": {"equals-ignore-case": "file"}}}]}}"#,
            at(
                "Value of anything-but must be an array or single string/number value.",
                r#"{"detail": {"FileName": [{"anything-but": {"prefix": {"equals-ignore-case": "file"}}}]}}"#,
                55,
            ),
        ),
        (
            r#"{"detail": {"FileName": [{"anything-but": {"suffix": {"equals-ignore-case": ".png"}}}]}}"#,
            at(
                "Value of anything-but must be an array or single string/number value.",
                r#"{"detail": {"FileName": [{"anything-but": {"suffix": {"equals-ignore-case": ".png"}}}]}}"#,
                55,
            ),
        ),
        (r#"{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0"}]}}"#, plain("Malformed CIDR, one '/' required")),
        (
            r#"{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/abc"}]}}"#,
            plain("Malformed CIDR, mask bits must be an integer"),
        ),
        (r#"{"detail": {"sourceIPAddress": [{"cidr": "xx.11.xx/24"}]}}"#, plain("Nonstandard IP address: xx.11.xx")),
        (
            r#"{"detail": {"sourceIPAddress": [{"cidr": "xxxx:db8:1234:1a00::/56"}]}}"#,
            plain("Nonstandard IP address: xxxx:db8:1234:1a00::"),
        ),
        (
            r#"{"detail": {"sourceIPAddress": [{"cidr": ["bad-type"]}]}}"#,
            at(
                "prefix match pattern must be a string",
                r#"{"detail": {"sourceIPAddress": [{"cidr": ["bad-type"]}]}}"#,
                43,
            ),
        ),
        (
            r#"["not", "a", "dict", "but valid json"]"#,
            at("Filter is not an object", r#"["not", "a", "dict", "but valid json"]"#, 2),
        ),
        (
            r#"{"source": ["aws.health"], "detail": {}}"#,
            at("Empty objects are not allowed", r#"{"source": ["aws.health"], "detail": {}}"#, 40),
        ),
    ];
    for (pattern, wanted) in cases {
        assert_eq!(&error(pattern), wanted, "{pattern}");
    }
}

#[test]
fn event_ruler_compiler_messages() {
    let cases: &[(&str, &str, u32)] = &[
        (r#"{"key": [{"wildcard": "abc**def"}]}"#, "Consecutive wildcard characters at pos 4", 33),
        (r#"{"key": [{"wildcard": "a*c\\*\\d"}]}"#, "Invalid escape character at pos 6", 34),
        ("\"x\"", "Filter is not an object", 2),
        ("", "Filter is not an object", 1),
        ("true", "Filter is not an object", 5),
        (r#"{"a": {}}"#, "Empty objects are not allowed", 9),
        ("{}", "Empty objects are not allowed", 3),
        (r#"{"a": [[1]]}"#, "Match value must be String, number, true, false, or null", 9),
        (r#"{"a": [{}]}"#, "Match expression name not found", 10),
        (r#"{"a": [{"exactly": 1}]}"#, "exact match pattern must be a string", 21),
        (r#"{"a": [{"exactly": "x", "y": 1}]}"#, "Only one key allowed in match expression", 31),
        (r#"{"a": [{"prefix": "x", "y": 1}]}"#, "Only one key allowed in match expression", 30),
        (r#"{"a": [{"prefix": {}}]}"#, "Prefix expression name not found", 21),
        (r#"{"a": [{"suffix": {"x": "y"}}]}"#, "Unsupported suffix pattern: x", 26),
        (r#"{"a": [{"prefix": {"equals-ignore-case": 1}}]}"#, "equals-ignore-case match pattern must be a string", 43),
        (r#"{"a": [{"numeric": 5}]}"#, "Value of numeric must be an array.", 21),
        (r#"{"a": [{"numeric": []}]}"#, "Invalid member in numeric match: ]", 22),
        (r#"{"a": [{"numeric": [5]}]}"#, "Invalid member in numeric match: 5", 22),
        (r#"{"a": [{"numeric": ["~", 5]}]}"#, "Unrecognized numeric range operator: ~", 27),
        (r#"{"a": [{"numeric": ["=", "5"]}]}"#, "Value of equals must be numeric", 27),
        (r#"{"a": [{"numeric": ["=", 5, 6]}]}"#, "Too many elements in numeric expression", 30),
        (r#"{"a": [{"numeric": ["<", 5, "<", 6]}]}"#, "Too many elements in numeric expression", 30),
        (r#"{"a": [{"numeric": [">", 5, 6]}]}"#, "Bad value in numeric range: 6", 30),
        (r#"{"a": [{"numeric": [">", 5, "<", 6, 7]}]}"#, "Too many terms in numeric range expression", 38),
        (r#"{"a": [{"numeric": [">", 5, "<", 5]}]}"#, "Bottom must be less than top", 36),
        (r#"{"a": [{"numeric": [">=", 6, "<=", 5]}]}"#, "Bottom must be less than top", 38),
        (r#"{"a": [{"numeric": [">", 5000000001]}]}"#, "Value must be between -5.0E9 and 5.0E9, inclusive", 37),
        (r#"{"a": [{"numeric": ["=", 1], "x": 1}]}"#, "Too many elements in numeric expression", 36),
        (r#"{"a": [{"exists": "yes"}]}"#, "exists match pattern must be either true or false.", 20),
        (r#"{"a": [{"exists": true, "x": 1}]}"#, "Only one key allowed in match expression", 31),
        (r#"{"a": [{"anything-but": {}}]}"#, "Anything-But expression name not found", 27),
        (r#"{"a": [{"anything-but": {"numeric": 1}}]}"#, "Unsupported anything-but pattern: numeric", 38),
        (
            r#"{"a": [{"anything-but": null}]}"#,
            "Value of anything-but must be an array or single string/number value.",
            29,
        ),
        (
            r#"{"a": [{"anything-but": ["x", 1]}]}"#,
            "Inside anything but list, either all values are number or string, mixed type is not supported",
            33,
        ),
        (
            r#"{"a": [{"anything-but": []}]}"#,
            "Inside anything but list, either all values are number or string, mixed type is not supported",
            27,
        ),
        (r#"{"a": [{"anything-but": "x", "y": 1}]}"#, "Too many elements in numeric expression", 36),
        (r#"{"a": [{"anything-but": {"prefix": "x", "y": 1}}]}"#, "Too many elements in numeric expression", 47),
        (r#"{"a": [{"anything-but": {"prefix": ""}}]}"#, "Null prefix/suffix not allowed", 38),
        (r#"{"a": [{"anything-but": {"wildcard": "a**"}}]}"#, "Consecutive wildcard characters at pos 2", 43),
        (r#"{"a": [{"anything-but": {"wildcard": ["a", "b\\c"]}}]}"#, "Invalid escape character at pos 2", 51),
        (r#"{"a": [{"anything-but": [5000000001]}]}"#, "Value must be between -5.0E9 and 5.0E9, inclusive", 36),
        (r#"{"a": [{"cidr": 10}]}"#, "prefix match pattern must be a string", 19),
        (r#"{"a": [{"regex": "x"}]}"#, "Unrecognized match type regex", 19),
        (r#"{"$or": {"a": ["x"]}, "b": 1}"#, r#""b" must be an object or an array"#, 29),
    ];
    for (pattern, reason, column) in cases {
        assert_eq!(error(pattern), at(reason, pattern, *column), "{pattern}");
    }
}

#[test]
fn lists_in_anything_but_report_their_location_twice() {
    let pattern = r#"{"a": [{"anything-but": ["x", null]}]}"#;
    assert_eq!(error(pattern), twice("Inside anything but list, start|null|boolean is not supported.", pattern, 35));
    let pattern = r#"{"a": [{"anything-but": {"suffix": ["x", ""]}}]}"#;
    assert_eq!(error(pattern), twice("Null prefix/suffix not allowed", pattern, 44));
    // JSON errors inside such a list are re-raised the same way.
    let pattern = r#"{"a": [{"anything-but": ["x" "y"]}]}"#;
    assert_eq!(
        error(pattern),
        twice("Unexpected character ('\"' (code 34)): was expecting comma to separate Array entries", pattern, 30)
    );
}

#[test]
fn errors_outside_the_json_reader_have_no_location() {
    assert_eq!(error(r#"{"a": [{"anything-but": 6e9}]}"#), plain("Value must be between -5.0E9 and 5.0E9, inclusive"));
    assert_eq!(error(r#"{"a": [{"cidr": "10.0.0.1/32"}]}"#), plain("IPv4 mask bits must be < 32"));
    assert_eq!(error(r#"{"a": [{"cidr": "::1/128"}]}"#), plain("IPv6 mask bits must be < 128"));
    assert_eq!(error(r#"{"a": [{"cidr": "1.2.3.4/-1"}]}"#), plain("Malformed CIDR, mask bits must not be negative"));
    assert_eq!(error(r#"{"a": [{"cidr": "1.2.3.456/8"}]}"#), plain("Invalid IP address: 1.2.3.456"));
}

#[test]
fn or_validation() {
    let rejected = [
        (r#"{"$or": [{"a": ["x"]}]}"#, "Unrecognized match type a"),
        (r#"{"$or": []}"#, "Empty arrays are not allowed"),
        (r#"{"$or": [{"a": ["x"]}, "b"]}"#, "Unrecognized match type a"),
        (r#"{"$or": [{"a": ["x"]}, {"b": [{"prefix": ["y"]}]}]}"#, "Unrecognized match type a"),
        (r#"{"$or": "x"}"#, "\"$or\" must be an object or an array"),
    ];
    for (pattern, reason) in rejected {
        assert_eq!(Pattern::parse(pattern).unwrap_err().reason(), reason, "{pattern}");
    }
    // Reserved names are refused inside $or (a prefix operator is not a field
    // there); the fallback reading then fails on its own terms.
    let pattern = r#"{"$or": [{"prefix": ["x"]}, {"numeric": ["y"]}]}"#;
    assert_eq!(Pattern::parse(pattern).unwrap_err().reason(), "prefix match pattern must be a string");
    // Valid only with "$or" read as a field name.
    assert!(Pattern::parse(r#"{"$or": [{"numeric": [">", 1]}]}"#).is_ok());
    assert!(Pattern::parse(r#"{"$or": ["a", "b"]}"#).is_ok());
}

#[test]
fn or_expansion_is_bounded() {
    let pair = r#"[{"a": ["1"]}, {"b": ["2"]}]"#;
    // Ten independent two-way $or's expand to 1024 alternatives.
    let mut nested = String::from(r#"{"x": ["y"]"#);
    for i in 0..10 {
        write!(nested, r#", "k{i}": {{"$or": {pair}}}"#).unwrap();
    }
    nested.push('}');
    let err = Pattern::parse(&nested).unwrap_err();
    assert_eq!(err.reason(), "Event pattern contains more than 1000 rule combinations");
    let nine = nested.replace(&format!(r#", "k9": {{"$or": {pair}}}"#), "");
    assert!(Pattern::parse(&nine).is_ok());
}

#[test]
fn length_limit_is_the_apis() {
    let value = "x".repeat(4096 - 11);
    let fits = format!(r#"{{"a": ["{value}"]}}"#);
    assert_eq!(fits.chars().count(), 4096);
    assert!(Pattern::parse(&fits).is_ok());
    let long = format!(r#"{{"a": ["{value}y"]}}"#);
    let err = Pattern::parse(&long).unwrap_err();
    assert_eq!(err.code(), PatternErrorCode::Validation);
    assert_eq!(err.code().as_str(), "ValidationException");
    assert_eq!(
        err.message(),
        "1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to 4096"
    );
}

#[test]
fn long_patterns_are_quoted_truncated() {
    let pattern = format!(r#"{{"a": ["{}"], "b": 1}}"#, "x".repeat(600));
    let message = error(&pattern);
    assert!(message.contains("\"[truncated 119 chars]; line: 1, column: 619]"), "{message}");
}

#[test]
fn multi_line_patterns_report_lines() {
    let pattern = "{\n  \"detail\": {\n    \"slug\": \"x\"\n  }\n}";
    assert_eq!(error(pattern), located(r#""slug" must be an object or an array"#, pattern, 3, 14, 1));
    let crlf = "{\r\n\"a\": 1}";
    assert_eq!(error(crlf), located(r#""a" must be an object or an array"#, crlf, 2, 7, 1));
}

#[test]
fn the_deepest_pattern_that_fits_compiles() {
    // Every level costs at least five characters, so the length limit bounds
    // the nesting to about 800 levels.
    let depth = 800;
    let deep = format!("{}{{\"\":[1]{}", "{\"\":".repeat(depth), "}".repeat(depth + 1));
    assert!(deep.len() <= 4096);
    let pattern = Pattern::parse(&deep).unwrap();
    let event = format!("{}{{\"\":1{}", "{\"\":".repeat(depth), "}".repeat(depth + 1));
    assert!(pattern.matches(&spcred_pattern::Event::parse(&event).unwrap()));
    let unclosed = "{\"\":".repeat(1000);
    assert!(Pattern::parse(&unclosed).unwrap_err().reason().starts_with("Unexpected end-of-input"));
}
