//! IAM's `MalformedPolicyDocument` messages for identity policies, checked against the 78
//! invalid and 54 valid documents of moto's validation suite (shared test data).

use serde_json::Value;
use spcred_policy::{Policy, PolicyKind};

const DATA: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/iam/moto/policy-document-validation.json"));

fn document(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap(),
    }
}

fn data() -> Value {
    serde_json::from_str(DATA).unwrap()
}

#[test]
fn every_invalid_document_gets_iams_message() {
    let data = data();
    let cases = data["invalid_policy_document_test_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 78);
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let doc = document(&case["document"]);
        let want = case["error_message"].as_str().unwrap();
        match Policy::parse(&doc, PolicyKind::Identity) {
            Ok(_) => failures.push(format!("#{i}: accepted, want {want:?}\n  {doc}")),
            Err(e) if e.to_string() != want => {
                failures.push(format!("#{i}: got {:?}, want {want:?}\n  {doc}", e.to_string()));
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{} of 78 differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_valid_document_is_accepted() {
    let data = data();
    let cases = data["valid_policy_documents"].as_array().unwrap();
    assert_eq!(cases.len(), 54);
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let doc = document(case);
        if let Err(e) = Policy::parse(&doc, PolicyKind::Identity) {
            failures.push(format!("#{i}: {e}\n  {doc}"));
        }
    }
    assert!(failures.is_empty(), "{} of 54 refused:\n{}", failures.len(), failures.join("\n"));
}
