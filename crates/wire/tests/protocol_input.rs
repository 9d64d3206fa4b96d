//! The botocore/Smithy input protocol tests, read from the server's side: each case's serialized
//! request goes through `detect` and the decoder, and must come out as the case's `params`.

mod support;

use spcred_wire::{Detected, RequestParts, decode_json, decode_query, detect};
use support::{Case, PROTOCOLS, Skip, load, normalise, skip_reason};

/// Cases that say nothing about a server decoding a request.
const SKIPS: &[Skip] = &[
    Skip {
        id: "SDKAppliedContentEncoding_awsQuery",
        reason: "checks that the client gzips bodies (requestcompression); the case has no body",
    },
    Skip {
        id: "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsQuery",
        reason: "checks that the client gzips bodies (requestcompression); the case has no body",
    },
    Skip {
        id: "SDKAppliedContentEncoding_awsJson1_1",
        reason: "checks that the client gzips bodies (requestcompression); the case has no body",
    },
    Skip {
        id: "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsJson1_1",
        reason: "checks that the client gzips bodies (requestcompression); the case has no body",
    },
    Skip {
        id: "SDKAppliedContentEncoding_awsJson1_0",
        reason: "checks that the client gzips bodies (requestcompression); the case has no body",
    },
    Skip {
        id: "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsJson1_0",
        reason: "checks that the client gzips bodies (requestcompression); the case has no body",
    },
    Skip {
        id: "QueryProtocolIdempotencyTokenAutoFill",
        reason: "checks that the client fills in an idempotency token the caller left out",
    },
    Skip {
        id: "QueryHostWithPath",
        reason: "checks the client's endpoint path prefix; the case omits the Content-Type",
    },
    Skip {
        id: "AwsJson10HostWithPath",
        reason: "checks the client's endpoint path prefix; the case omits X-Amz-Target",
    },
    Skip { id: "AwsJson10EndpointTrait", reason: "checks the client's host prefix; the case omits X-Amz-Target" },
    Skip {
        id: "AwsJson10EndpointTraitWithHostLabel",
        reason: "checks the client's host prefix; the case omits X-Amz-Target",
    },
    Skip {
        id: "QueryEmptyQueryMaps",
        reason: "awsQuery sends an empty map as no parameters at all, so no server can tell it \
                 from an absent map",
    },
];

fn split_uri(uri: &str) -> (&str, &str) {
    uri.split_once('?').unwrap_or((uri, ""))
}

/// Decode one case; `Err` describes a failure.
fn run(case: &Case) -> Result<(), String> {
    let ser = &case.data["serialized"];
    let headers: Vec<(&str, &str)> =
        ser["headers"].as_object().into_iter().flatten().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))).collect();
    let (path, query) = split_uri(ser["uri"].as_str().unwrap_or("/"));
    let body = ser["body"].as_str().unwrap_or_default();
    let parts = RequestParts {
        method: ser["method"].as_str().unwrap_or("POST"),
        path,
        query,
        headers: &headers,
        body: body.as_bytes(),
    };
    let model = case.model(None);
    let decoded = match detect(&parts) {
        Detected::Query { action, version, params } => {
            if action != case.operation() {
                return Err(format!("detected action {action}"));
            }
            if version.as_deref() != Some(model.metadata().api_version.as_str()) {
                return Err(format!("detected version {version:?}"));
            }
            decode_query(&model, &action, &params)
        }
        Detected::Json { target_prefix, operation, .. } => {
            if operation != case.operation()
                || Some(target_prefix.as_str()) != model.metadata().target_prefix.as_deref()
            {
                return Err(format!("detected target {target_prefix}.{operation}"));
            }
            decode_json(&model, &operation, body.as_bytes())
        }
        other => return Err(format!("detected {other:?}")),
    }
    .map_err(|e| format!("decode failed: {e}"))?;
    let expected = match case.shape_of("input") {
        Some(shape) => normalise(&case.shapes, shape, &case.data["params"]).unwrap_or_default(),
        None => serde_json::json!({}),
    };
    if decoded == expected { Ok(()) } else { Err(format!("decoded {decoded}\n   expected {expected}")) }
}

#[test]
fn every_input_case_decodes_to_its_params_or_is_skipped_for_a_reason() {
    let mut failures = Vec::new();
    let mut used_skips = Vec::new();
    for protocol in PROTOCOLS {
        let (mut passed, mut skipped) = (0, 0);
        for case in load("input", protocol) {
            if let Some(reason) = skip_reason(SKIPS, case.id()) {
                println!("skip {protocol}/{}: {reason}", case.id());
                used_skips.push(case.id().to_owned());
                skipped += 1;
                continue;
            }
            match run(&case) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(format!("{protocol}/{}: {e}", case.id())),
            }
        }
        println!("input/{protocol}: {passed} passed, {skipped} skipped");
    }
    for skip in SKIPS {
        assert!(used_skips.iter().any(|u| u == skip.id), "stale skip entry {}", skip.id);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// botocore names a flattened list after the list's member (`item.1`) where Smithy names it
/// after the structure member (`Hi.1`); a server must accept what either kind of client sends.
#[test]
fn flattened_lists_are_read_under_either_name() {
    let case =
        load("input", "query").into_iter().find(|c| c.id() == "QueryFlattenedListArgWithXmlName").expect("case exists");
    let model = case.model(None);
    let botocore = [("item.1".to_owned(), "A".to_owned()), ("item.2".to_owned(), "B".to_owned())];
    assert_eq!(
        decode_query(&model, "QueryLists", &botocore).unwrap(),
        serde_json::json!({"FlattenedListArgWithXmlName": ["A", "B"]})
    );
}
