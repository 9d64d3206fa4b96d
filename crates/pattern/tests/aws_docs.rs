//! Cases written from the EventBridge documentation ("Amazon EventBridge event
//! patterns", "Arrays in event patterns", "Matching null values and empty
//! strings", "Content filtering in event patterns", "Comparison operators"),
//! each example pattern with events that match and events that do not, plus
//! behaviours recorded against the live service (LocalStack's AWS-validated
//! `TestEventPattern` templates).

mod common;

use common::matches;

/// The EC2 event the documentation uses, with `detail` replaced.
fn ec2(detail: &str) -> String {
    format!(
        r#"{{"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
        "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
        "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
        "detail": {detail}}}"#
    )
}

/// The event of the content-filtering examples, with `detail` replaced.
fn sample(detail: &str) -> String {
    format!(
        r#"{{"version": "0", "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
        "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
        "account": "012345679012", "time": "2017-10-02T16:24:49Z", "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
        "detail": {detail}}}"#
    )
}

fn check(cases: &[(&str, String, bool)]) -> usize {
    for (pattern, event, wanted) in cases {
        assert_eq!(matches(pattern, event), *wanted, "pattern {pattern}\nevent {event}");
    }
    cases.len()
}

const TERMINATED: &str = r#"{"instance-id": "i-1234567890abcdef0", "state": "terminated"}"#;

#[test]
fn event_pattern_basics() {
    let pattern = r#"{"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"], "detail": {"state": ["terminated"]}}"#;
    let n = check(&[
        (pattern, ec2(TERMINATED), true),
        (pattern, ec2(r#"{"state": "running"}"#), false),
        (pattern, ec2(r#"{"status": "terminated"}"#), false),
        (r#"{"source": ["aws.s3"]}"#, ec2(TERMINATED), false),
        (r#"{"source": ["aws.ec2"]}"#, ec2(TERMINATED), true),
        (r#"{"source": ["AWS.EC2"]}"#, ec2(TERMINATED), false),
        (r#"{"detail": {"state": ["pending", "terminated"]}}"#, ec2(TERMINATED), true),
        (r#"{"detail": {"nonexistent": ["x"]}}"#, ec2(TERMINATED), false),
        (
            r#"{"detail-type": [{"prefix": "EC2 Instance"}], "region": ["us-west-1", "us-east-1"]}"#,
            ec2(TERMINATED),
            true,
        ),
    ]);
    assert_eq!(n, 9);
}

#[test]
fn arrays() {
    let pattern = r#"{"resources": [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}"#;
    let event = |resources: &str| format!(r#"{{"source": "aws.autoscaling", "resources": {resources}}}"#);
    check(&[
        (
            pattern,
            event(
                r#"["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate", "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]"#,
            ),
            true,
        ),
        (pattern, event(r#"["arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f"]"#), false),
        (pattern, event(r#""arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f""#), true),
        (pattern, event("[]"), false),
    ]);
}

#[test]
fn null_and_empty_values() {
    let event = sample(r#"{"eventVersion": "", "responseElements": null}"#);
    check(&[
        (r#"{"detail": {"responseElements": [null]}}"#, event.clone(), true),
        (r#"{"detail": {"eventVersion": [""]}}"#, event.clone(), true),
        (r#"{"detail": {"responseElements": [""]}}"#, event.clone(), false),
        (r#"{"detail": {"eventVersion": [null]}}"#, event.clone(), false),
        (r#"{"detail": {"missing": [null]}}"#, event.clone(), false),
        (r#"{"detail": {"responseElements": [{"exists": true}]}}"#, event.clone(), true),
        (r#"{"detail": {"eventVersion": [{"prefix": ""}]}}"#, event.clone(), true),
        (r#"{"detail": {"responseElements": [{"prefix": ""}]}}"#, event, false),
    ]);
}

#[test]
fn prefix_and_suffix() {
    check(&[
        (r#"{"time": [{"prefix": "2017-10-02"}]}"#, sample("{}"), true),
        (r#"{"time": [{"prefix": "2017-12-22"}]}"#, sample("{}"), false),
        (r#"{"detail": {"c-count": [{"prefix": "5"}]}}"#, sample(r#"{"c-count": 5}"#), false),
        (
            r#"{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}"#,
            sample(r#"{"service": "eventbridge"}"#),
            true,
        ),
        (
            r#"{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}"#,
            sample(r#"{"service": "EVENTBRIDGE"}"#),
            true,
        ),
        (
            r#"{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}"#,
            sample(r#"{"service": "bridge"}"#),
            false,
        ),
        (r#"{"FileName": [{"suffix": ".png"}]}"#, r#"{"FileName": "image.png"}"#.to_owned(), true),
        (r#"{"FileName": [{"suffix": ".png"}]}"#, r#"{"FileName": "image.PNG"}"#.to_owned(), false),
        (
            r#"{"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}"#,
            sample(r#"{"FileName": "IMAGE.PnG"}"#),
            true,
        ),
        (
            r#"{"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}"#,
            sample(r#"{"FileName": "image.jpg"}"#),
            false,
        ),
        (
            r#"{"service": [{"suffix": {"equals-ignore-case": "tBridge"}}]}"#,
            r#"{"service": "EVENTBRIDGE"}"#.to_owned(),
            true,
        ),
    ]);
}

#[test]
fn anything_but() {
    let state = |s: &str| sample(&format!(r#"{{"state": {s}}}"#));
    let limit = |s: &str| sample(&format!(r#"{{"x-limit": {s}}}"#));
    check(&[
        (r#"{"detail": {"state": [{"anything-but": "initializing"}]}}"#, state(r#""running""#), true),
        (r#"{"detail": {"state": [{"anything-but": "initializing"}]}}"#, state(r#""initializing""#), false),
        (r#"{"detail": {"state": [{"anything-but": "initializing"}]}}"#, sample("{}"), false),
        (r#"{"detail": {"state": [{"anything-but": "initializing"}]}}"#, state("null"), true),
        (r#"{"detail": {"x-limit": [{"anything-but": 123}]}}"#, limit("456"), true),
        (r#"{"detail": {"x-limit": [{"anything-but": 123}]}}"#, limit("123"), false),
        (r#"{"detail": {"x-limit": [{"anything-but": 123}]}}"#, limit("1.23e2"), false),
        (r#"{"detail": {"x-limit": [{"anything-but": 123}]}}"#, limit(r#""123""#), true),
        (r#"{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}"#, state(r#""running""#), true),
        (r#"{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}"#, state(r#""stopped""#), false),
        (r#"{"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}"#, limit("101"), true),
        (r#"{"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}"#, limit("2e2"), false),
        (r#"{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}"#, state(r#""initializing""#), false),
        (r#"{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}"#, state(r#""running""#), true),
        (r#"{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}"#, state("12"), true),
        (
            r#"{"detail": {"FileName": [{"anything-but": {"suffix": ".txt"}}]}}"#,
            sample(r#"{"FileName": "notes.txt"}"#),
            false,
        ),
        (
            r#"{"detail": {"FileName": [{"anything-but": {"suffix": ".txt"}}]}}"#,
            sample(r#"{"FileName": "photo.png"}"#),
            true,
        ),
        (
            r#"{"detail": {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}}"#,
            state(r#""INITIALIZING""#),
            false,
        ),
        (
            r#"{"detail": {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}}"#,
            state(r#""running""#),
            true,
        ),
        (
            r#"{"detail": {"state": [{"anything-but": {"equals-ignore-case": ["initializing", "stopped"]}}]}}"#,
            state(r#""Stopped""#),
            false,
        ),
        (
            r#"{"detail": {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}}"#,
            sample(r#"{"FilePath": "/usr/lib/app.jar"}"#),
            false,
        ),
        (
            r#"{"detail": {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}}"#,
            sample(r#"{"FilePath": "/usr/bin/app"}"#),
            true,
        ),
        (
            r#"{"detail": {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}}"#,
            sample(r#"{"FilePath": 123}"#),
            true,
        ),
        (
            r#"{"detail": {"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]}}"#,
            sample(r#"{"FilePath": "/usr/bin/app"}"#),
            false,
        ),
        (r#"{"Region": [{"anything-but": {"prefix": "us-"}}]}"#, r#"{"Region": "eu-west-1"}"#.to_owned(), true),
        (
            r#"{"Region": [{"anything-but": {"prefix": "us-"}}]}"#,
            r#"{"Region": ["us-east-1", "eu-west-1"]}"#.to_owned(),
            true,
        ),
        (r#"{"Region": [{"anything-but": {"prefix": "us-"}}]}"#, r#"{"Region": ["us-east-1"]}"#.to_owned(), false),
    ]);
}

#[test]
fn numeric() {
    let pattern = r#"{"detail": {
        "c-count": [{"numeric": [">", 0, "<=", 5]}],
        "d-count": [{"numeric": ["<", 10]}],
        "x-limit": [{"numeric": ["=", 3.018e2]}]}}"#;
    let counts = |c: &str, d: &str, x: &str| sample(&format!(r#"{{"c-count": {c}, "d-count": {d}, "x-limit": {x}}}"#));
    check(&[
        (pattern, counts("5", "3", "301.8"), true),
        (pattern, counts("0", "3", "301.8"), false),
        (pattern, counts("5", "10", "301.8"), false),
        (pattern, counts("5", "3", "301.81"), false),
        (pattern, counts("0.5", "-1e3", "301.800"), true),
        (pattern, counts(r#""5""#, "3", "301.8"), false),
        (r#"{"Price": [100]}"#, r#"{"Price": 100.0}"#.to_owned(), true),
        (r#"{"Price": [100]}"#, r#"{"Price": 1e2}"#.to_owned(), true),
        (r#"{"Price": [100]}"#, r#"{"Price": "100"}"#.to_owned(), false),
        (r#"{"Price": [{"numeric": [">", 10, "<=", 20]}]}"#, r#"{"Price": 20}"#.to_owned(), true),
        (r#"{"Price": [{"numeric": [">", 10, "<=", 20]}]}"#, r#"{"Price": 10}"#.to_owned(), false),
        (r#"{"Price": [{"numeric": [">=", 10, "<", 20]}]}"#, r#"{"Price": 10}"#.to_owned(), true),
        (r#"{"Price": [{"numeric": [">=", 10, "<", 20]}]}"#, r#"{"Price": 20}"#.to_owned(), false),
        (r#"{"t": [{"numeric": ["<", -1.5]}]}"#, r#"{"t": -2}"#.to_owned(), true),
        (r#"{"t": [{"numeric": ["<", -1.5]}]}"#, r#"{"t": -1.5}"#.to_owned(), false),
        (r#"{"t": [{"numeric": [">", 4999999999.999999]}]}"#, r#"{"t": 5e9}"#.to_owned(), true),
        (r#"{"t": [{"numeric": [">", 0]}]}"#, r#"{"t": 6e9}"#.to_owned(), false),
        (r#"{"t": [{"numeric": ["=", 0.000001]}]}"#, r#"{"t": 0.0000019}"#.to_owned(), true),
    ]);
}

#[test]
fn ip_addresses() {
    let ip = |a: &str| sample(&format!(r#"{{"sourceIPAddress": {a}}}"#));
    let v4 = r#"{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}"#;
    let v6 = r#"{"detail": {"sourceIPAddress": [{"cidr": "2001:db8:1234:1a00::/64"}]}}"#;
    check(&[
        (v4, ip(r#""10.0.0.255""#), true),
        (v4, ip(r#""10.0.0.0""#), true),
        (v4, ip(r#""10.0.1.0""#), false),
        (v4, ip(r#""not-an-ip""#), false),
        (v4, ip("123"), false),
        (v6, ip(r#""2001:db8:1234:1a00::10""#), true),
        (v6, ip(r#""2001:0db8:1234:1a00:0000:0000:0000:0001""#), true),
        (v6, ip(r#""2001:db8:1234:1b00::1""#), false),
        (v6, ip(r#""10.0.0.1""#), false),
        (r#"{"ip": ["::1"]}"#, r#"{"ip": "0:0:0:0:0:0:0:1"}"#.to_owned(), true),
        (r#"{"ip": ["10.0.0.1"]}"#, r#"{"ip": "10.0.0.1"}"#.to_owned(), true),
    ]);
}

#[test]
fn exists() {
    check(&[
        (r#"{"detail": {"c-count": [{"exists": true}]}}"#, sample(r#"{"c-count": 5}"#), true),
        (r#"{"detail": {"c-count": [{"exists": true}]}}"#, sample(r#"{"d-count": 5}"#), false),
        (r#"{"detail": {"c-count": [{"exists": false}]}}"#, sample(r#"{"state": ["initializing", "running"]}"#), true),
        (r#"{"detail": {"c-count": [{"exists": false}]}}"#, sample(r#"{"c-count": 5}"#), false),
        // Exists works on leaves only: an object is not a value.
        (r#"{"detail": {"c-count": [{"exists": false}]}}"#, sample(r#"{"c-count": {"c1": 100}}"#), true),
        (r#"{"detail": {"c-count": [{"exists": true}]}}"#, sample(r#"{"c-count": {"c1": 100}}"#), false),
        (r#"{"detail": {"c-count": [{"exists": true}]}}"#, sample(r#"{"c-count": null}"#), true),
        (r#"{"detail": {"c-count": [{"exists": false}]}}"#, sample(r#"{"c-count": []}"#), true),
        (r#"{"detail": {"c-count": [{"exists": true}]}}"#, sample(r#"{"c-count": []}"#), false),
        (r#"{"nonesuch": [{"exists": false}]}"#, sample("{}"), true),
        (r#"{"detail": {"c-count": [{"exists": false}, 5]}}"#, sample(r#"{"c-count": 5}"#), true),
    ]);
}

#[test]
fn equals_ignore_case_and_wildcard() {
    let bus = |arn: &str| format!(r#"{{"EventBusArn": "{arn}"}}"#);
    let wildcard = r#"{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}"#;
    check(&[
        (r#"{"Name": [{"equals-ignore-case": "alice"}]}"#, r#"{"Name": "ALICE"}"#.to_owned(), true),
        (r#"{"Name": [{"equals-ignore-case": "alice"}]}"#, r#"{"Name": "Alicia"}"#.to_owned(), false),
        (wildcard, bus("arn:aws:events:us-east-1:123456789012:event-bus/myEventBus"), true),
        (wildcard, bus("arn:aws:events:us-west-2:123456789012:event-bus/myEventBus"), false),
        (r#"{"FileName": [{"wildcard": "dir/*.png"}]}"#, r#"{"FileName": "dir/a.png"}"#.to_owned(), true),
        (r#"{"FileName": [{"wildcard": "dir/*.png"}]}"#, r#"{"FileName": "dir/sub/a.png"}"#.to_owned(), true),
        (r#"{"FileName": [{"wildcard": "dir/*.png"}]}"#, r#"{"FileName": "other/a.png"}"#.to_owned(), false),
        (r#"{"k": [{"wildcard": "a\\*b"}]}"#, r#"{"k": "a*b"}"#.to_owned(), true),
        (r#"{"k": [{"wildcard": "a\\*b"}]}"#, r#"{"k": "axb"}"#.to_owned(), false),
        (r#"{"k": [{"wildcard": "a\\\\b"}]}"#, r#"{"k": "a\\b"}"#.to_owned(), true),
        (r#"{"k": [{"wildcard": "*Title*"}]}"#, r#"{"k": "A Title here"}"#.to_owned(), true),
        (r#"{"k": [{"wildcard": "*"}]}"#, r#"{"k": 5}"#.to_owned(), false),
        (
            r#"{"FileName": [{"wildcard": "/Users/*/dir/dir/dir/dir/dir/doc.txt"}]}"#,
            r#"{"FileName": "/Users/ls_user/dir/dir/dir/dir/dir/doc.txt"}"#.to_owned(),
            true,
        ),
    ]);
}

#[test]
fn or() {
    let day = |location: &str, day: &str| format!(r#"{{"Location": "{location}", "Day": "{day}"}}"#);
    let or = r#"{"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]}"#;
    let numeric_or = r#"{"detail": {"$or": [
        {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
        {"d-count": [{"numeric": ["<", 10]}]},
        {"x-limit": [{"numeric": ["=", 3.018e2]}]}]}}"#;
    check(&[
        (r#"{"PaymentType": ["Credit", "Debit"]}"#, r#"{"PaymentType": "Debit"}"#.to_owned(), true),
        (r#"{"PaymentType": ["Credit", "Debit"]}"#, r#"{"PaymentType": "Cash"}"#.to_owned(), false),
        (or, day("New York", "Tuesday"), true),
        (or, day("Boston", "Monday"), true),
        (or, day("Boston", "Tuesday"), false),
        (numeric_or, sample(r#"{"c-count": 20, "d-count": 20, "x-limit": 301.8}"#), true),
        (numeric_or, sample(r#"{"c-count": 20, "d-count": 20, "x-limit": 300}"#), false),
        (
            r#"{"source": ["aws.ec2"], "$or": [{"detail": {"state": ["running"]}}, {"region": ["us-east-1"]}]}"#,
            sample("{}"),
            true,
        ),
        (
            r#"{"source": ["aws.s3"], "$or": [{"detail": {"state": ["running"]}}, {"region": ["us-east-1"]}]}"#,
            sample("{}"),
            false,
        ),
        // A path set outside and inside $or keeps the later value in each branch.
        (r#"{"a": ["1"], "$or": [{"a": ["2"]}, {"b": ["3"]}]}"#, r#"{"a": "2"}"#.to_owned(), true),
        (r#"{"a": ["1"], "$or": [{"a": ["2"]}, {"b": ["3"]}]}"#, r#"{"a": "1"}"#.to_owned(), false),
    ]);
}

#[test]
fn complex_examples() {
    let pattern = r#"{
        "time": [{"prefix": "2017-10-02"}],
        "detail": {
            "state": [{"anything-but": "initializing"}],
            "c-count": [{"numeric": [">", 0, "<=", 5]}],
            "d-count": [{"numeric": ["<", 10]}],
            "x-limit": [{"anything-but": [100, 200, 300]}]}}"#;
    let detail = |x: &str| {
        sample(&format!(
            r#"{{"c-count": 5, "d-count": 3, "x-limit": {x}, "source-ip": "10.0.0.33", "state": "running"}}"#
        ))
    };
    // A key given twice keeps its last value (recorded against EventBridge).
    let twice = r#"{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}"#;
    check(&[
        (pattern, detail("301.8"), true),
        (pattern, detail("200"), false),
        (twice, sample(r#"{"location": "eu-central-1"}"#), true),
        (twice, sample(r#"{"location": "us-east"}"#), false),
        (r#"{"detail": {"state.status": ["running"]}}"#, sample(r#"{"state": {"status": "running"}}"#), true),
        (r#"{"detail": {"state": {"status": ["running"]}}}"#, sample(r#"{"state.status": "running"}"#), true),
        (r#"{"detail": {"enabled": [true]}}"#, sample(r#"{"enabled": true}"#), true),
        (r#"{"detail": {"enabled": [true]}}"#, sample(r#"{"enabled": "true"}"#), false),
        (r#"{"account": [123456789012]}"#, r#"{"account": 123456789012}"#.to_owned(), true),
        (
            r#"{"detail": {"escape_star": ["*"], "escape_backslash": ["\\"]}}"#,
            sample(r#"{"escape_star": "*", "escape_backslash": "\\"}"#),
            true,
        ),
    ]);
}

#[test]
fn arrays_of_objects_are_matched_element_by_element() {
    let employees = r#"{"employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"}]}"#;
    let nested = r#"{"employees": [
        [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}],
        [{"firstName": "Peter", "lastName": "Jones"}]]}"#;
    check(&[
        (r#"{"employees": {"firstName": ["Anna"]}}"#, employees.to_owned(), true),
        (r#"{"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}"#, employees.to_owned(), true),
        (r#"{"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}"#, employees.to_owned(), false),
        (r#"{"employees": {"firstName": ["Anna"]}}"#, nested.to_owned(), true),
        (r#"{"employees": {"firstName": ["Peter"], "lastName": ["Jones"]}}"#, nested.to_owned(), true),
        (r#"{"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}"#, nested.to_owned(), false),
    ]);
}
