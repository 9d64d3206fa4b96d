//! Encode every output case of the botocore protocol tests and print one JSON line per case:
//! `{"protocol", "id", "status", "headers", "body"}`. `tests/test_botocore_parses.py` runs this
//! and parses each body with botocore's own parsers.

#[path = "../tests/support/mod.rs"]
mod support;

use serde_json::{Value, json};
use spcred_wire::{ErrorBody, Protocol, encode_json, encode_json_error, encode_query, encode_query_error};
use support::{Case, PROTOCOLS, load, normalise};

fn encode(case: &Case) -> Value {
    let model = case.model(None);
    let protocol = model.metadata().protocol;
    let mut headers = vec![("Content-Type".to_owned(), protocol.content_type().to_owned())];
    let (status, body) = if case.data.get("error").is_some() {
        let shape = case.data["given"]["errors"][0]["shape"].as_str().unwrap_or_default();
        let fields = normalise(&case.shapes, shape, &case.data["error"]).unwrap_or_default();
        let status = case.data["response"]["status_code"].as_u64().unwrap_or(400);
        let e = ErrorBody::new(
            case.data["errorCode"].as_str().unwrap_or_default(),
            case.data["errorMessage"].as_str().unwrap_or_default(),
            status < 500,
            "foo-id",
        )
        .with_fields(&fields);
        let body = if protocol == Protocol::Query {
            encode_query_error(&model, &e)
        } else {
            let out = encode_json_error(&model, &e, None);
            headers.extend(out.headers);
            String::from_utf8_lossy(&out.body).into_owned()
        };
        (status, body)
    } else {
        let output = case
            .shape_of("output")
            .and_then(|s| normalise(&case.shapes, s, &case.data["result"]))
            .unwrap_or_else(|| json!({}));
        let body = if protocol == Protocol::Query {
            encode_query(&model, case.operation(), &output, "request-id")
        } else {
            String::from_utf8_lossy(&encode_json(&model, case.operation(), &output)).into_owned()
        };
        (200, body)
    };
    let headers: serde_json::Map<String, Value> = headers.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    json!({
        "protocol": case.protocol,
        "id": case.id(),
        "status": status,
        "headers": headers,
        "body": body,
    })
}

fn main() {
    for protocol in PROTOCOLS {
        for case in load("output", protocol) {
            println!("{}", encode(&case));
        }
    }
}
