//! Property tests: decoding never panics on arbitrary input for real models, every outcome can be
//! validated, and encoders always produce well-formed output, whatever the strings hold.
//! Uses the full botocore IAM and SQS models when the Python environment is there, and the
//! excerpts in `tests/models` otherwise.

mod support;

use std::sync::LazyLock;

use proptest::prelude::*;
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Map, Value};
use spcred_wire::{
    ErrorBody, ServiceModel, decode_json, decode_query, encode_json, encode_query, encode_query_error, validate,
    validation_message,
};

fn model(service: &str, version: &str) -> ServiceModel {
    support::botocore_model(service, version)
        .map_or_else(|| support::excerpt(service), |text| ServiceModel::from_json(&text).expect("botocore model loads"))
}

static IAM: LazyLock<ServiceModel> = LazyLock::new(|| model("iam", "2010-05-08"));
static SQS: LazyLock<ServiceModel> = LazyLock::new(|| model("sqs", "2012-11-05"));

fn operations(model: &ServiceModel) -> Vec<String> {
    let mut names: Vec<String> = model.operation_names().map(str::to_owned).collect();
    names.sort();
    names
}

/// Names that hit real members and the list/map machinery, mixed with noise.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "UserName",
            "Path",
            "Tags",
            "member",
            "entry",
            "key",
            "value",
            "Key",
            "Value",
            "PolicyDocument",
            "MaxItems",
            "Marker",
            "PermissionsBoundary",
            "Attributes",
            "AttributeNames",
            "MessageAttributes",
            "Entries",
            "1",
            "2",
            "10",
            "0",
            "-1",
            "4294967296",
            "",
        ])
        .prop_map(str::to_owned),
        "[A-Za-z0-9]{0,8}",
    ]
}

fn param() -> impl Strategy<Value = (String, String)> {
    (prop::collection::vec(segment(), 1..7), any::<String>()).prop_map(|(s, v)| (s.join("."), v))
}

/// JSON values near the SQS shapes: real member names, any scalars, some nesting.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        prop::sample::select(vec!["NaN", "AAE=", "2015-01-25T08:00:00Z", "All"])
            .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            prop::sample::select(vec![
                "QueueUrl",
                "QueueName",
                "MessageBody",
                "DelaySeconds",
                "Attributes",
                "MessageAttributes",
                "DataType",
                "StringValue",
                "BinaryValue",
                "Entries",
                "Id",
                "MaxNumberOfMessages",
                "AttributeNames",
                "tags",
                "Label",
            ])
            .prop_map(str::to_owned),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn assert_well_formed(xml: &str) {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed ({e}): {xml}"),
        }
    }
    assert!(
        xml.chars().all(|c| c != '\r' && (c >= ' ' || c == '\n' || c == '\t')),
        "raw control characters in {xml:?}"
    );
}

proptest! {
    #[test]
    fn query_decoding_never_panics(
        op in prop::sample::select(operations(&IAM)),
        params in prop::collection::vec(param(), 0..24),
    ) {
        if let Ok(input) = decode_query(&IAM, &op, &params) {
            let violations = validate(&IAM, &op, &input);
            let _ = validation_message(&violations);
            // Whatever the values hold, the response is well-formed XML.
            assert_well_formed(&encode_query(&IAM, &op, &input, "rid"));
        }
    }

    #[test]
    fn json_decoding_never_panics_on_bytes(
        op in prop::sample::select(operations(&SQS)),
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let _ = decode_json(&SQS, &op, &body);
    }

    /// The normalised form is a fixed point: re-decoding a decoded input gives it back (SQS's
    /// JSON names members as the model does and uses no timestamps).
    #[test]
    fn json_decoding_is_idempotent(
        op in prop::sample::select(operations(&SQS)),
        body in json_value(),
    ) {
        let bytes = body.to_string().into_bytes();
        if let Ok(input) = decode_json(&SQS, &op, &bytes) {
            let _ = validation_message(&validate(&SQS, &op, &input));
            let again = decode_json(&SQS, &op, input.to_string().as_bytes());
            prop_assert_eq!(again, Ok(input.clone()));
            let encoded: Value = serde_json::from_slice(&encode_json(&SQS, &op, &input)).unwrap();
            prop_assert!(encoded.is_object());
        }
    }

    /// Text survives escaping: a client reads back what was encoded, except characters XML 1.0
    /// cannot carry, which become U+FFFD.
    #[test]
    fn xml_text_round_trips(name in any::<String>(), tag in any::<String>()) {
        let output = serde_json::json!({"Users": [{"UserName": name, "Tags": [{"Key": "k", "Value": tag}]}]});
        let xml = encode_query(&IAM, "ListUsers", &output, "rid");
        assert_well_formed(&xml);
        let root = support::parse_xml(&xml).unwrap();
        let user = &root.children[0].children[0].children[0];
        let readable = |s: &str| -> String {
            let t: String = s
                .chars()
                .map(|c| match c {
                    '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'.. => c,
                    _ => '\u{FFFD}',
                })
                .collect();
            if t.trim().is_empty() { String::new() } else { t }
        };
        let field = |el: &support::Element, n: &str| el.children.iter().find(|c| c.name == n).map(|c| c.text.clone());
        prop_assert_eq!(field(user, "UserName"), Some(readable(&name)));
        let tag_el = &user.children.iter().find(|c| c.name == "Tags").unwrap().children[0];
        prop_assert_eq!(field(tag_el, "Value"), Some(readable(&tag)));
    }

    #[test]
    fn error_bodies_are_well_formed(code in "[A-Za-z.]{1,20}", message in any::<String>()) {
        assert_well_formed(&encode_query_error(&IAM, &ErrorBody::new(&code, &message, true, "rid")));
    }
}
