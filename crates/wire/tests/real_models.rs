//! The full botocore models of the services spcred serves: they load, their patterns compile,
//! and requests as the AWS CLI sends them decode and validate with AWS's messages. Skipped when
//! the project's Python environment (which carries botocore) is absent.

mod support;

use serde_json::json;
use spcred_wire::{
    Detected, RequestParts, ServiceModel, decode_json, decode_query, detect, validate, validation_message,
};
use support::botocore_model;

const SERVICES: [(&str, &str); 7] = [
    ("iam", "2010-05-08"),
    ("sts", "2011-06-15"),
    ("sns", "2010-03-31"),
    ("sqs", "2012-11-05"),
    ("kms", "2014-11-01"),
    ("ssm", "2014-11-06"),
    ("events", "2015-10-07"),
];

fn load(service: &str) -> Option<ServiceModel> {
    let (_, version) = SERVICES.iter().find(|(s, _)| *s == service)?;
    let text = botocore_model(service, version)?;
    Some(ServiceModel::from_json(&text).unwrap_or_else(|e| panic!("{service}: {e}")))
}

#[test]
fn every_served_model_loads_and_only_unused_ssm_patterns_are_unsupported() {
    for (service, _) in SERVICES {
        let Some(model) = load(service) else {
            eprintln!("botocore models not available; skipped");
            return;
        };
        let expected: &[&str] = if service == "ssm" {
            // `.{1,100000}`: a counted repetition beyond the regex engine's size limit.
            &["InstancePropertyFilterValue", "InstancePropertyStringFilterKey"]
        } else {
            &[]
        };
        assert_eq!(model.unsupported_patterns(), expected, "{service}");
    }
}

fn query(body: &str) -> (String, Vec<(String, String)>) {
    let headers = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")];
    let parts = RequestParts { method: "POST", path: "/", query: "", headers: &headers, body: body.as_bytes() };
    match detect(&parts) {
        Detected::Query { action, params, .. } => (action, params),
        other => panic!("{other:?}"),
    }
}

#[test]
fn iam_create_user_as_the_cli_sends_it() {
    let Some(iam) = load("iam") else { return };
    let (action, params) = query(
        "Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Fteam%2F\
         &Tags.member.1.Key=env&Tags.member.1.Value=prod&Tags.member.2.Key=owner&Tags.member.2.Value=",
    );
    let input = decode_query(&iam, &action, &params).unwrap();
    assert_eq!(
        input,
        json!({"Path": "/team/", "UserName": "alice",
               "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": ""}]})
    );
    assert!(validate(&iam, &action, &input).is_empty());
}

#[test]
fn iam_validation_messages_use_the_model_constraints() {
    let Some(iam) = load("iam") else { return };
    let (action, params) = query("Action=CreateUser&Version=2010-05-08&UserName=bad%20name&Tags.member.1.Value=v");
    let input = decode_query(&iam, &action, &params).unwrap();
    assert_eq!(
        validation_message(&validate(&iam, &action, &input)).unwrap(),
        "2 validation errors detected: \
         Value 'bad name' at 'userName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\w+=,.@-]+; \
         Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn sqs_send_message_as_the_sdk_sends_it() {
    let Some(sqs) = load("sqs") else { return };
    let body = br#"{"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                    "MessageBody": "hello", "DelaySeconds": 5,
                    "MessageAttributes": {"kind": {"DataType": "Binary", "BinaryValue": "AAE"}}}"#;
    let input = decode_json(&sqs, "SendMessage", body).unwrap();
    assert_eq!(
        input,
        json!({"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
               "MessageBody": "hello", "DelaySeconds": 5,
               "MessageAttributes": {"kind": {"DataType": "Binary", "BinaryValue": "AAE="}}})
    );
    assert!(validate(&sqs, "SendMessage", &input).is_empty());
    let missing = decode_json(&sqs, "SendMessage", b"{}").unwrap();
    assert_eq!(
        validation_message(&validate(&sqs, "SendMessage", &missing)).unwrap(),
        "2 validation errors detected: \
         Value null at 'queueUrl' failed to satisfy constraint: Member must not be null; \
         Value null at 'messageBody' failed to satisfy constraint: Member must not be null"
    );
}
