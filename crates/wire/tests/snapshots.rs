//! Exact bytes of representative responses, against excerpts of the real service models.

mod support;

use std::fmt::Write as _;

use serde_json::json;
use spcred_wire::{
    ErrorBody, decode_query, encode_json, encode_json_error, encode_query, encode_query_error, validate,
    validation_message,
};
use support::excerpt;

const REQUEST_ID: &str = "c6104cbe-af31-11e0-8154-cbc7ccf896c7";

#[test]
fn sts_get_caller_identity() {
    let sts = excerpt("sts");
    let output = json!({
        "UserId": "AIDACKCEVSQ6C2EXAMPLE",
        "Account": "123456789012",
        "Arn": "arn:aws:iam::123456789012:user/alice",
    });
    insta::assert_snapshot!(encode_query(&sts, "GetCallerIdentity", &output, REQUEST_ID));
}

#[test]
fn sts_assume_role_with_timestamps_and_escaping() {
    let sts = excerpt("sts");
    let output = json!({
        "Credentials": {
            "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
            "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
            "SessionToken": "AQoDYXdzEPT//////////wEXAMPLE",
            "Expiration": 1_700_000_000,
        },
        "AssumedRoleUser": {
            "AssumedRoleId": "AROA3XFRBF535PLBIFPI4:s<&>\"'\r\n",
            "Arn": "arn:aws:sts::123456789012:assumed-role/demo/s",
        },
        "PackedPolicySize": 6,
    });
    insta::assert_snapshot!(encode_query(&sts, "AssumeRole", &output, REQUEST_ID));
}

#[test]
fn iam_no_such_entity_error() {
    let iam = excerpt("iam");
    let e = ErrorBody::new("NoSuchEntity", "The user with name alice cannot be found.", true, REQUEST_ID);
    insta::assert_snapshot!(encode_query_error(&iam, &e));
}

#[test]
fn iam_validation_error() {
    let iam = excerpt("iam");
    let params = [("UserName".to_owned(), String::new()), ("Tags.member.1.Value".to_owned(), "v".to_owned())];
    let input = decode_query(&iam, "CreateUser", &params).unwrap();
    let message = validation_message(&validate(&iam, "CreateUser", &input)).unwrap();
    let e = ErrorBody::new("ValidationError", &message, true, REQUEST_ID);
    insta::assert_snapshot!(encode_query_error(&iam, &e));
}

#[test]
fn iam_list_users() {
    let iam = excerpt("iam");
    let output = json!({
        "Users": [{
            "Path": "/", "UserName": "alice", "UserId": "AIDACKCEVSQ6C2EXAMPLE",
            "Arn": "arn:aws:iam::123456789012:user/alice", "CreateDate": 1_380_733_304,
            "Tags": [{"Key": "env", "Value": "prod"}],
        }],
        "IsTruncated": false,
    });
    insta::assert_snapshot!(encode_query(&iam, "ListUsers", &output, REQUEST_ID));
}

#[test]
fn sqs_query_compatible_error() {
    let sqs = excerpt("sqs");
    let e = ErrorBody::new("QueueDoesNotExist", "The specified queue does not exist.", true, REQUEST_ID);
    let out = encode_json_error(&sqs, &e, Some("AWS.SimpleQueueService.NonExistentQueue"));
    let headers = out.headers.iter().fold(String::new(), |mut acc, (k, v)| {
        let _ = writeln!(acc, "{k}: {v}");
        acc
    });
    insta::assert_snapshot!(format!("{headers}\n{}", String::from_utf8_lossy(&out.body)));
}

#[test]
fn sqs_receive_message() {
    let sqs = excerpt("sqs");
    let output = json!({"Messages": [{
        "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274",
        "ReceiptHandle": "MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljTM8tJJg6HRG6PYSasuWXPJB+Cw",
        "MD5OfBody": "fafb00f5732ab283681e124bf8747ed1",
        "Body": "This is a test message",
        "Attributes": {"SenderId": "195004372649", "SentTimestamp": "1238099229000"},
        "MessageAttributes": {"bin": {"DataType": "Binary", "BinaryValue": "AAE="}},
    }]});
    insta::assert_snapshot!(String::from_utf8_lossy(&encode_json(&sqs, "ReceiveMessage", &output)));
}
