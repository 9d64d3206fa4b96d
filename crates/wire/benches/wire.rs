//! The per-request protocol work: classify + decode + validate, and encode.

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use spcred_wire::{Detected, RequestParts, decode_json, decode_query, detect, encode_json, encode_query, validate};

fn iam_create_user(c: &mut Criterion) {
    let iam = support::excerpt("iam");
    let headers = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")];
    let body = "Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Fteam%2F\
                &Tags.member.1.Key=env&Tags.member.1.Value=prod\
                &Tags.member.2.Key=owner&Tags.member.2.Value=ops";
    c.bench_function("iam CreateUser: detect + decode + validate", |b| {
        b.iter(|| {
            let parts = RequestParts { method: "POST", path: "/", query: "", headers: &headers, body: body.as_bytes() };
            let Detected::Query { action, params, .. } = detect(&parts) else { unreachable!() };
            let input = decode_query(&iam, &action, &params).unwrap();
            validate(&iam, &action, &input)
        });
    });
    let users: Vec<_> = (0..100)
        .map(|i| {
            json!({"Path": "/", "UserName": format!("user{i}"), "UserId": "AIDACKCEVSQ6C2EXAMPLE",
                   "Arn": format!("arn:aws:iam::123456789012:user/user{i}"), "CreateDate": 1_380_733_304})
        })
        .collect();
    let output = json!({"Users": users, "IsTruncated": false});
    c.bench_function("iam ListUsers: encode 100 users", |b| {
        b.iter(|| encode_query(&iam, "ListUsers", &output, "rid"));
    });
}

fn sqs_send_message(c: &mut Criterion) {
    let sqs = support::excerpt("sqs");
    let body = br#"{"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                    "MessageBody": "hello world", "DelaySeconds": 5,
                    "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "x"}}}"#;
    c.bench_function("sqs SendMessage: decode + validate", |b| {
        b.iter(|| {
            let input = decode_json(&sqs, "SendMessage", body).unwrap();
            validate(&sqs, "SendMessage", &input)
        });
    });
    let output = json!({"MD5OfMessageBody": "5eb63bbbe01eeed093cb22bb8f5acdc3",
                        "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274"});
    c.bench_function("sqs SendMessage: encode", |b| {
        b.iter(|| encode_json(&sqs, "SendMessage", &output));
    });
}

criterion_group!(benches, iam_create_user, sqs_send_message);
criterion_main!(benches);
