//! moto's 14 identity-policy evaluation cases (shared test data), account 123456789012.

use serde_json::Value;
use spcred_policy::{
    Context, Decision, Input, Policy, PolicyKind, Principal, PrincipalKind, Request, Source, SourceType, decide,
    requires_authorization,
};

const DATA: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/iam/moto/identity-evaluation-cases.json"));

#[test]
fn moto_identity_cases() {
    let data: Value = serde_json::from_str(DATA).unwrap();
    let cases = data["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 14);
    let user = Principal {
        arn: "arn:aws:iam::123456789012:user/testuser".into(),
        account: "123456789012".into(),
        kind: PrincipalKind::User,
        userid: "AIDATESTUSEREXAMPLE01".into(),
        username: Some("testuser".into()),
        tags: vec![],
    };
    let context = Context::for_principal(&user);
    let mut previous: Vec<Value> = Vec::new();
    for case in cases {
        // "same as previous" reuses the policies of the case before.
        if let Some(list) = case["policies"].as_array() {
            previous.clone_from(list);
        }
        let policies: Vec<Policy> = previous
            .iter()
            .map(|d| Policy::parse(&serde_json::to_string(d).unwrap(), PolicyKind::Identity).unwrap())
            .collect();
        let sources: Vec<Source<'_>> =
            policies.iter().map(|policy| Source { policy, id: "moto", source_type: SourceType::UserManaged }).collect();
        let input = Input { identity: &sources, boundary: None, resource: None, session: None, identity_applies: true };
        let action = case["request"]["action"].as_str().unwrap();
        let request = Request {
            principal: &user,
            action,
            resource: case["request"]["resource"].as_str().unwrap(),
            context: &context,
        };
        let allowed = !requires_authorization(action) || decide(&input, &request) == Decision::Allowed;
        let want = case["expected"].as_str().unwrap() == "Allow";
        assert_eq!(allowed, want, "{}", case["name"]);
    }
}
