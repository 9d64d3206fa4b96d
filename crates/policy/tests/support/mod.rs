//! Shared fixtures: the principals the case tables refer to by name, and a runner for cases.

use serde_json::Value;
use spcred_policy::{
    Context, Decision, Evaluation, Input, Policy, PolicyKind, Principal, PrincipalKind, Request, ResourceMode,
    ResourcePolicy, Source, SourceType, evaluate,
};

pub const ACCOUNT: &str = "111122223333";

fn principal(arn: &str, account: &str, kind: PrincipalKind, userid: &str) -> Principal {
    Principal { arn: arn.into(), account: account.into(), kind, userid: userid.into(), username: None, tags: vec![] }
}

/// The principals case tables name.
pub fn named_principal(name: &str) -> Principal {
    match name {
        "alice" => Principal {
            username: Some("alice".into()),
            tags: vec![("team".into(), "blue".into()), ("CostCenter".into(), "12345".into())],
            ..principal("arn:aws:iam::111122223333:user/alice", ACCOUNT, PrincipalKind::User, "AIDAALICEEXAMPLE00001")
        },
        "bob" => Principal {
            username: Some("bob".into()),
            ..principal(
                "arn:aws:iam::111122223333:user/division/bob",
                ACCOUNT,
                PrincipalKind::User,
                "AIDABOBEXAMPLE0000002",
            )
        },
        "root" => principal("arn:aws:iam::111122223333:root", ACCOUNT, PrincipalKind::Root, ACCOUNT),
        "session" => Principal {
            tags: vec![("team".into(), "red".into())],
            ..principal(
                "arn:aws:sts::111122223333:assumed-role/app-role/sess1",
                ACCOUNT,
                PrincipalKind::AssumedRole { role_arn: "arn:aws:iam::111122223333:role/service/app-role".into() },
                "AROAAPPROLEEXAMPLE001:sess1",
            )
        },
        "federated" => principal(
            "arn:aws:sts::111122223333:federated-user/carol",
            ACCOUNT,
            PrincipalKind::FederatedUser { user_arn: "arn:aws:iam::111122223333:user/carol".into() },
            "111122223333:carol",
        ),
        "events" => principal("events.amazonaws.com", "", PrincipalKind::Service("events.amazonaws.com".into()), ""),
        "sns" => principal("sns.amazonaws.com", "", PrincipalKind::Service("sns.amazonaws.com".into()), ""),
        "google" => principal("", "", PrincipalKind::WebIdentity { provider: "accounts.google.com".into() }, ""),
        "anonymous" => principal("", "", PrincipalKind::Anonymous, "anonymous"),
        "outsider" => Principal {
            username: Some("mallory".into()),
            ..principal(
                "arn:aws:iam::444455556666:user/mallory",
                "444455556666",
                PrincipalKind::User,
                "AIDAMALLORYEXAMPLE003",
            )
        },
        other => panic!("unknown principal {other}"),
    }
}

/// Whether a principal's own policies are evaluated here by default.
fn identity_applies_by_default(name: &str) -> bool {
    matches!(name, "alice" | "bob" | "root" | "session" | "federated")
}

pub fn parse(doc: &Value, kind: PolicyKind) -> Policy {
    let text = serde_json::to_string(doc).unwrap();
    Policy::parse(&text, kind).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Builds the context: principal keys, then the case's entries (a list sets a multivalued
/// key, `null` removes a key).
pub fn context(p: &Principal, entries: Option<&Value>) -> Context {
    let mut ctx = Context::for_principal(p);
    for (k, v) in entries.and_then(Value::as_object).into_iter().flatten() {
        match v {
            Value::Null => ctx.remove(k),
            Value::Array(items) => ctx.set_list(k, items.iter().map(|i| i.as_str().unwrap().to_string())),
            Value::String(s) => ctx.set(k, s.clone()),
            other => ctx.set(k, other.to_string()),
        }
    }
    ctx
}

/// A 2012-10-17 policy with the given statements.
fn wrap(statements: &Value) -> Value {
    serde_json::json!({"Version": "2012-10-17", "Statement": statements})
}

/// A policy allowing everything under the given `Condition` block.
fn condition_policy(condition: &Value) -> Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}]
    })
}

/// Runs one case; returns a description of the mismatch, if any.
pub fn run_case(case: &Value) -> Result<(), String> {
    let name = case["name"].as_str().unwrap_or("?");
    assert!(case["rule"].as_str().is_some_and(|r| !r.is_empty()), "case {name} must cite its rule");
    let who = case["principal"].as_str().unwrap_or("alice");
    let p = named_principal(who);
    let mut identity_docs: Vec<Value> = case["identity"].as_array().cloned().unwrap_or_default();
    if let Some(statements) = case.get("statements") {
        identity_docs.push(wrap(statements));
    }
    if let Some(cond) = case.get("condition") {
        identity_docs.push(condition_policy(cond));
    }
    if case["allow_all"].as_bool() == Some(true) {
        identity_docs.push(wrap(&serde_json::json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])));
    }
    let identity: Vec<Policy> = identity_docs.iter().map(|d| parse(d, PolicyKind::Identity)).collect();
    let session: Option<Vec<Policy>> =
        case.get("session_statements").map(|s| vec![parse(&wrap(s), PolicyKind::Session)]).or_else(|| {
            case.get("session").map(|s| s.as_array().unwrap().iter().map(|d| parse(d, PolicyKind::Session)).collect())
        });
    let boundary = case
        .get("boundary_statements")
        .map(wrap)
        .or_else(|| case.get("boundary").cloned())
        .map(|d| parse(&d, PolicyKind::Identity));
    let mode = match case["mode"].as_str() {
        Some("required") => ResourceMode::Required,
        _ => ResourceMode::Optional,
    };
    let resource_kind = match case["resource_kind"].as_str() {
        Some("trust") => PolicyKind::Trust,
        Some("key") => PolicyKind::KeyPolicy,
        _ => PolicyKind::Resource,
    };
    let resource_policy = case
        .get("resource_statements")
        .map(wrap)
        .or_else(|| case.get("resource_policy").cloned())
        .map(|d| parse(&d, resource_kind));
    let ids: Vec<String> = (0..identity.len()).map(|i| format!("identity.{}", i + 1)).collect();
    let identity_sources: Vec<Source<'_>> =
        identity.iter().zip(&ids).map(|(policy, id)| Source { policy, id, source_type: SourceType::None }).collect();
    let session_sources: Option<Vec<Source<'_>>> = session
        .as_ref()
        .map(|s| s.iter().map(|policy| Source { policy, id: "session", source_type: SourceType::None }).collect());
    let input = Input {
        identity: &identity_sources,
        boundary: boundary.as_ref().map(|policy| Source { policy, id: "boundary", source_type: SourceType::None }),
        resource: resource_policy.as_ref().map(|policy| ResourcePolicy {
            source: Source { policy, id: "resource", source_type: SourceType::Resource },
            mode,
        }),
        session: session_sources.as_deref(),
        identity_applies: case["identity_applies"].as_bool().unwrap_or_else(|| identity_applies_by_default(who)),
    };
    let ctx = context(&p, case.get("context"));
    let request = Request {
        principal: &p,
        action: case["action"].as_str().unwrap_or("sqs:SendMessage"),
        resource: case["resource"].as_str().unwrap_or("arn:aws:sqs:us-east-1:111122223333:queue1"),
        context: &ctx,
    };
    let evaluation = evaluate(&input, &request);
    let decision = spcred_policy::decide(&input, &request);
    check(case, &evaluation, decision)
}

fn check(case: &Value, evaluation: &Evaluation<'_>, quick: Decision) -> Result<(), String> {
    let want = case["expect"].as_str().unwrap();
    let got = evaluation.decision.as_str();
    if got != want {
        return Err(format!("decision {got}, want {want}"));
    }
    if quick != evaluation.decision {
        return Err(format!("decide() said {}, evaluate() {got}", quick.as_str()));
    }
    if let Some(missing) = case.get("missing") {
        let want: Vec<&str> = missing.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        if evaluation.missing_context_keys != want {
            return Err(format!("missing {:?}, want {want:?}", evaluation.missing_context_keys));
        }
    }
    if let Some(matched) = case.get("matched") {
        let got: Vec<String> = evaluation.matched.iter().map(|m| format!("{}#{}", m.source_id, m.index)).collect();
        let want: Vec<&str> = matched.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        if got != want {
            return Err(format!("matched {got:?}, want {want:?}"));
        }
    }
    Ok(())
}
