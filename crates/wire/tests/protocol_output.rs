//! The botocore/Smithy output protocol tests, read from the server's side: each case's `result`
//! (or error) is encoded and compared structurally with the case's response body. Whether a
//! client reads the result back exactly is checked with botocore itself in
//! `test_botocore_parses.py`.

mod support;

use serde_json::{Map, Value, json};
use spcred_wire::{ErrorBody, encode_json, encode_json_error, encode_query, encode_query_error};
use support::{Case, PROTOCOLS, Skip, load, normalise, parse_xml, skip_reason};

const EXAMPLE_NS: &str = "https://example.com/";

/// Cases whose bodies show something other than what a server should send: they test a client's
/// leniency.
const SKIPS: &[Skip] = &[
    Skip {
        id: "AwsQueryDateTimeWithNegativeOffset",
        reason: "client leniency: a timestamp with a UTC offset, where servers send Z",
    },
    Skip {
        id: "AwsQueryDateTimeWithPositiveOffset",
        reason: "client leniency: a timestamp with a UTC offset, where servers send Z",
    },
    Skip {
        id: "AwsJson11DateTimeWithNegativeOffset",
        reason: "client leniency: a timestamp with a UTC offset, where servers send Z",
    },
    Skip {
        id: "AwsJson11DateTimeWithPositiveOffset",
        reason: "client leniency: a timestamp with a UTC offset, where servers send Z",
    },
    Skip { id: "handles_unexpected_json_output", reason: "client leniency: a member the model does not have" },
    Skip {
        id: "json_1_1_service_responds_with_no_payload",
        reason: "client leniency: an empty body where servers send {}",
    },
    Skip {
        id: "AwsJson11StructuresDontDeserializeNullValues",
        reason: "client leniency: a null member, which servers leave out",
    },
    Skip { id: "AwsJson11DeserializeIgnoreType", reason: "client leniency: a __type inside a union" },
    Skip { id: "AwsJson10DeserializeIgnoreType", reason: "client leniency: a __type inside a union" },
    Skip {
        id: "AwsJson10DeserializeAllowNulls",
        reason: "client leniency: null union members, which servers leave out",
    },
    Skip { id: "AwsJson10HandlesUnexpectedJsonOutput", reason: "client leniency: a member the model does not have" },
    Skip {
        id: "AwsJson10ServiceRespondsWithNoPayload",
        reason: "client leniency: an empty body where servers send {}",
    },
    Skip {
        id: "AwsJson11FooErrorUsingCode",
        reason: "client leniency: the error code under `code`, where servers send __type",
    },
    Skip {
        id: "AwsJson11FooErrorUsingCodeAndNamespace",
        reason: "client leniency: the error code under `code`, where servers send __type",
    },
    Skip {
        id: "AwsJson11FooErrorUsingCodeUriAndNamespace",
        reason: "client leniency: the error code under `code`, where servers send __type",
    },
    Skip {
        id: "AwsJson10FooErrorUsingCode",
        reason: "client leniency: the error code under `code`, where servers send __type",
    },
    Skip {
        id: "AwsJson10FooErrorUsingCodeAndNamespace",
        reason: "client leniency: the error code under `code`, where servers send __type",
    },
    Skip {
        id: "AwsJson10FooErrorUsingCodeUriAndNamespace",
        reason: "client leniency: the error code under `code`, where servers send __type",
    },
];

/// `aws.protocoltests.json10#FooError:http://…` as a client reads it: `FooError`.
fn sanitize_type(t: &str) -> &str {
    let t = t.rsplit_once('#').map_or(t, |(_, rest)| rest);
    t.split_once(':').map_or(t, |(code, _)| code)
}

fn header<'a>(headers: &'a Value, name: &str) -> Option<&'a str> {
    headers.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.as_str())
}

/// Compare one case; `Ok(false)` when the case has no body to compare.
fn run(case: &Case) -> Result<bool, String> {
    let response = &case.data["response"];
    let body = response["body"].as_str();
    let query = case.metadata["protocol"] == "query";
    if case.data.get("error").is_some() {
        return run_error(case, query, body);
    }
    let Some(body) = body else {
        return Ok(false);
    };
    let expected = case
        .shape_of("output")
        .and_then(|s| normalise(&case.shapes, s, &case.data["result"]))
        .unwrap_or_else(|| json!({}));
    if query {
        let model = case.model(Some(EXAMPLE_NS));
        let ours = encode_query(&model, case.operation(), &expected, "rid");
        let mut ours = parse_xml(&ours)?;
        ours.children.retain(|c| c.name != "ResponseMetadata");
        let theirs = parse_xml(body)?;
        if ours != theirs {
            return Err(format!("encoded {ours:#?}\n   expected {theirs:#?}"));
        }
    } else {
        let model = case.model(None);
        let ours: Value =
            serde_json::from_slice(&encode_json(&model, case.operation(), &expected)).map_err(|e| e.to_string())?;
        let theirs: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
        if ours != theirs {
            return Err(format!("encoded {ours}\n   expected {theirs}"));
        }
    }
    Ok(true)
}

fn run_error(case: &Case, query: bool, body: Option<&str>) -> Result<bool, String> {
    let response = &case.data["response"];
    let status = response["status_code"].as_u64().unwrap_or(400);
    let error_shape = case.data["given"]["errors"][0]["shape"].as_str().unwrap_or_default();
    let fields = normalise(&case.shapes, error_shape, &case.data["error"]).unwrap_or_default();
    let e = ErrorBody::new(
        case.data["errorCode"].as_str().unwrap_or_default(),
        case.data["errorMessage"].as_str().unwrap_or_default(),
        status < 500,
        "foo-id",
    )
    .with_fields(&fields);
    let model = case.model(None);
    if query {
        let Some(body) = body else { return Ok(false) };
        let ours = parse_xml(&encode_query_error(&model, &e))?;
        let theirs = parse_xml(body)?;
        if ours != theirs {
            return Err(format!("encoded {ours:#?}\n   expected {theirs:#?}"));
        }
        return Ok(true);
    }
    let out = encode_json_error(&model, &e, None);
    let ours_header =
        |name: &str| out.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    if let Some(t) = header(&response["headers"], "x-amzn-errortype") {
        let ours = ours_header("x-amzn-errortype").map(sanitize_type);
        if ours != Some(sanitize_type(t)) {
            return Err(format!("x-amzn-ErrorType {ours:?}, expected {t}"));
        }
    }
    let query_error = header(&response["headers"], "x-amzn-query-error");
    if ours_header("x-amzn-query-error") != query_error {
        return Err(format!("x-amzn-query-error {:?}, expected {query_error:?}", ours_header("x-amzn-query-error")));
    }
    let Some(body) = body else { return Ok(true) };
    let sanitized = |v: Value| -> Value {
        let mut obj: Map<String, Value> = v.as_object().cloned().unwrap_or_default();
        if let Some(Value::String(t)) = obj.get("__type") {
            let clean = sanitize_type(t).to_owned();
            obj.insert("__type".into(), Value::String(clean));
        }
        Value::Object(obj)
    };
    let ours = sanitized(serde_json::from_slice(&out.body).map_err(|e| e.to_string())?);
    let theirs = sanitized(serde_json::from_str(body).map_err(|e| e.to_string())?);
    if ours != theirs {
        return Err(format!("encoded {ours}\n   expected {theirs}"));
    }
    Ok(true)
}

#[test]
fn every_output_case_encodes_to_its_body_or_is_skipped_for_a_reason() {
    let mut failures = Vec::new();
    let mut used_skips = Vec::new();
    for protocol in PROTOCOLS {
        let (mut compared, mut no_body, mut skipped) = (0, 0, 0);
        for case in load("output", protocol) {
            if let Some(reason) = skip_reason(SKIPS, case.id()) {
                println!("skip {protocol}/{}: {reason}", case.id());
                used_skips.push(case.id().to_owned());
                skipped += 1;
                continue;
            }
            match run(&case) {
                Ok(true) => compared += 1,
                Ok(false) => no_body += 1,
                Err(e) => failures.push(format!("{protocol}/{}: {e}", case.id())),
            }
        }
        println!(
            "output/{protocol}: {compared} compared, {no_body} without a body to compare, \
             {skipped} skipped"
        );
    }
    for skip in SKIPS {
        assert!(used_skips.iter().any(|u| u == skip.id), "stale skip {}", skip.id);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_xml_comparison_sees_differences() {
    let a = parse_xml("<a x=\"1\"><b>t&amp;&#xD;</b><c/></a>").unwrap();
    assert_eq!(a, parse_xml("<a x=\"1\">\n  <b>t&amp;&#13;</b>\n  <c></c>\n</a>").unwrap());
    assert_eq!(a.children[0].text, "t&\r");
    assert_ne!(a, parse_xml("<a x=\"2\"><b>t&amp;&#xD;</b><c/></a>").unwrap());
    assert_ne!(a, parse_xml("<a x=\"1\"><b>t</b><c/></a>").unwrap());
    assert_ne!(a, parse_xml("<a x=\"1\"><c/><b>t&amp;&#xD;</b></a>").unwrap());
}
