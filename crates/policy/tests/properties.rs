//! Properties that must hold for every input.

use proptest::prelude::*;
use serde_json::{Value, json};
use spcred_policy::{
    Context, Decision, Input, Policy, PolicyKind, Principal, PrincipalKind, Request, ResourceMode, ResourcePolicy,
    Source, SourceType, decide, evaluate,
};

const KINDS: [PolicyKind; 5] =
    [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust, PolicyKind::KeyPolicy, PolicyKind::Session];

fn principals() -> Vec<Principal> {
    let base = |arn: &str, kind| Principal {
        arn: arn.into(),
        account: "111122223333".into(),
        kind,
        userid: "AIDAEXAMPLE".into(),
        username: Some("alice".into()),
        tags: vec![("team".into(), "blue".into())],
    };
    vec![
        base("arn:aws:iam::111122223333:user/alice", PrincipalKind::User),
        base("arn:aws:iam::111122223333:root", PrincipalKind::Root),
        base(
            "arn:aws:sts::111122223333:assumed-role/r/s",
            PrincipalKind::AssumedRole { role_arn: "arn:aws:iam::111122223333:role/r".into() },
        ),
        base(
            "arn:aws:sts::111122223333:federated-user/f",
            PrincipalKind::FederatedUser { user_arn: "arn:aws:iam::111122223333:user/f".into() },
        ),
        Principal {
            account: String::new(),
            ..base("sns.amazonaws.com", PrincipalKind::Service("sns.amazonaws.com".into()))
        },
    ]
}

fn action() -> impl Strategy<Value = String> {
    prop_oneof![Just("*".to_string()), "(sqs|sns|iam|kms|sts):[A-Za-z*?]{1,8}"]
}

fn resource() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_string()),
        "arn:aws:(sqs|sns):(us-east-1|\\*):(111122223333|\\*):[a-z*?]{1,6}",
        "arn:aws:iam::111122223333:(user|role)/[a-z*]{1,5}",
        "arn:aws:s3:::b/[a-z]{0,3}\\$\\{aws:username\\}[*]?",
    ]
}

fn condition() -> impl Strategy<Value = (String, String, Vec<String>)> {
    let ops = prop::sample::select(vec![
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericLessThan",
        "NumericNotEquals",
        "DateGreaterThan",
        "DateNotEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnLike",
        "ArnNotEquals",
        "Null",
    ]);
    let prefix = prop::sample::select(vec!["", "ForAnyValue:", "ForAllValues:"]);
    let suffix = prop::sample::select(vec!["", "IfExists"]);
    let key = prop::sample::select(vec![
        "aws:SourceIp",
        "aws:PrincipalTag/team",
        "aws:TagKeys",
        "aws:CurrentTime",
        "s3:max-keys",
        "aws:SourceArn",
        "aws:SecureTransport",
        "aws:username",
        "k",
    ]);
    let value = prop::sample::select(vec![
        "blue",
        "b*",
        "10",
        "-1.5",
        "203.0.113.0/24",
        "::1/128",
        "2019-01-01T00:00:00Z",
        "1500000000",
        "true",
        "false",
        "arn:aws:sns:*:*:t",
        "${aws:username}",
        "${aws:x, 'd'}",
        "QQ==",
        "",
    ]);
    (prefix, ops, suffix, key, prop::collection::vec(value, 0..3)).prop_map(|(p, o, s, k, v)| {
        (
            format!("{p}{o}{}", if o == "Null" { "" } else { s }),
            k.to_string(),
            v.into_iter().map(String::from).collect(),
        )
    })
}

fn statement(with_principal: bool) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(action(), 1..3),
        any::<bool>(),
        prop::collection::vec(resource(), 1..3),
        prop::collection::vec(condition(), 0..3),
        prop::sample::select(vec![
            "*",
            "111122223333",
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:iam::111122223333:role/r",
        ]),
        any::<bool>(),
    )
        .prop_map(
            move |(allow, not_action, actions, not_resource, resources, conditions, principal, not_principal)| {
                let mut s = json!({ "Effect": if allow { "Allow" } else { "Deny" } });
                s[if not_action { "NotAction" } else { "Action" }] = json!(actions);
                s[if not_resource { "NotResource" } else { "Resource" }] = json!(resources);
                if with_principal {
                    s[if not_principal { "NotPrincipal" } else { "Principal" }] = json!({ "AWS": principal });
                }
                let mut block = serde_json::Map::new();
                for (op, key, values) in conditions {
                    let entry = block.entry(op).or_insert_with(|| json!({}));
                    entry[key] = json!(values);
                }
                if !block.is_empty() {
                    s["Condition"] = Value::Object(block);
                }
                s
            },
        )
}

fn document(with_principal: bool) -> impl Strategy<Value = String> {
    prop::collection::vec(statement(with_principal), 1..4)
        .prop_map(|statements| json!({"Version": "2012-10-17", "Statement": statements}).to_string())
}

fn context() -> impl Strategy<Value = Vec<(String, Vec<String>)>> {
    let key = prop::sample::select(vec![
        "aws:SourceIp",
        "aws:TagKeys",
        "aws:CurrentTime",
        "s3:max-keys",
        "aws:SourceArn",
        "aws:SecureTransport",
        "k",
    ]);
    let typical = prop::sample::select(vec![
        "203.0.113.9",
        "2001:db8::1",
        "blue",
        "2020-02-02T00:00:00Z",
        "7",
        "arn:aws:sns:us-east-1:1:t",
        "true",
        "QQ==",
        "x:y",
    ])
    .prop_map(String::from);
    // Callers pass request data through; any text must be survivable.
    let value = prop_oneof![4 => typical, 1 => "\\PC{0,16}", 1 => "20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.+Zé-]{0,10}"];
    prop::collection::vec((key, prop::collection::vec(value, 0..3)), 0..5)
        .prop_map(|entries| entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn request_parts() -> impl Strategy<Value = (String, String, usize)> {
    (
        prop_oneof![Just("sqs:SendMessage".to_string()), Just("iam:GetUser".to_string()), "[a-z]{1,4}:[A-Za-z]{1,10}"],
        prop_oneof![
            Just("*".to_string()),
            Just("arn:aws:sqs:us-east-1:111122223333:queue".to_string()),
            Just("arn:aws:s3:::b/alice".to_string()),
            "arn:aws:[a-z]{2,3}:[a-z0-9-]{0,9}:[0-9]{0,12}:[a-z/:]{0,8}",
        ],
        0..5usize,
    )
}

fn build_context(p: &Principal, entries: &[(String, Vec<String>)]) -> Context {
    let mut ctx = Context::for_principal(p);
    for (k, v) in entries {
        ctx.set_list(k, v.iter().cloned());
    }
    ctx
}

fn run(identity: &[Policy], resource: Option<(&Policy, ResourceMode)>, req: &Request<'_>, applies: bool) -> Decision {
    let sources: Vec<Source<'_>> =
        identity.iter().map(|policy| Source { policy, id: "p", source_type: SourceType::None }).collect();
    let input = Input {
        identity: &sources,
        boundary: None,
        resource: resource.map(|(policy, mode)| ResourcePolicy {
            source: Source { policy, id: "r", source_type: SourceType::Resource },
            mode,
        }),
        session: None,
        identity_applies: applies,
    };
    let full = evaluate(&input, req);
    let quick = decide(&input, req);
    assert_eq!(full.decision, quick, "decide and evaluate disagree");
    quick
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in any::<String>()) {
        for kind in KINDS {
            let _ = Policy::parse(&text, kind);
        }
    }

    #[test]
    fn parse_never_panics_on_near_policies(text in r#"[{}\[\]":,\\ a-zA-Z0-9*?$/.-]{0,200}"#, doc in document(true)) {
        for kind in KINDS {
            let _ = Policy::parse(&text, kind);
            // Cut the generated document anywhere (on a character boundary).
            for cut in [doc.len() / 3, doc.len() / 2, doc.len() - 1] {
                if doc.is_char_boundary(cut) {
                    let _ = Policy::parse(&doc[..cut], kind);
                }
            }
        }
    }

    #[test]
    fn evaluation_never_panics_and_both_entry_points_agree(
        docs in prop::collection::vec(document(false), 0..3),
        resource_doc in document(true),
        entries in context(),
        (action, resource, who) in request_parts(),
        required in any::<bool>(),
    ) {
        let identity: Vec<Policy> = docs.iter().filter_map(|d| Policy::parse(d, PolicyKind::Identity).ok()).collect();
        let resource_policy = Policy::parse(&resource_doc, PolicyKind::Resource).ok();
        let all = principals();
        let p = &all[who];
        let ctx = build_context(p, &entries);
        let req = Request { principal: p, action: &action, resource: &resource, context: &ctx };
        let mode = if required { ResourceMode::Required } else { ResourceMode::Optional };
        run(&identity, resource_policy.as_ref().map(|r| (r, mode)), &req, true);
        run(&identity, resource_policy.as_ref().map(|r| (r, mode)), &req, false);
    }

    #[test]
    fn adding_a_deny_never_turns_a_denial_into_an_allow(
        docs in prop::collection::vec(document(false), 1..3),
        deny in statement(false),
        entries in context(),
        (action, resource, who) in request_parts(),
    ) {
        let identity: Vec<Policy> = docs.iter().filter_map(|d| Policy::parse(d, PolicyKind::Identity).ok()).collect();
        let mut deny = deny;
        deny["Effect"] = json!("Deny");
        let Ok(deny) = Policy::parse(&json!({"Version": "2012-10-17", "Statement": [deny]}).to_string(), PolicyKind::Identity) else {
            return Ok(());
        };
        let all = principals();
        let p = &all[who];
        let ctx = build_context(p, &entries);
        let req = Request { principal: p, action: &action, resource: &resource, context: &ctx };
        let before = run(&identity, None, &req, true);
        let mut with_deny = identity.clone();
        with_deny.push(deny);
        let after = run(&with_deny, None, &req, true);
        prop_assert!(after != Decision::Allowed || before == Decision::Allowed);
        prop_assert!(before != Decision::ExplicitDeny || after == Decision::ExplicitDeny);
    }

    #[test]
    fn allow_everything_allows_any_request(
        action in any::<String>(),
        resource in any::<String>(),
        entries in context(),
        who in 0..4usize,
    ) {
        let allow = Policy::parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#, PolicyKind::Identity).unwrap();
        let all = principals();
        let p = &all[who];
        let session = Policy::parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#, PolicyKind::Session).unwrap();
        let sessions = [Source { policy: &session, id: "s", source_type: SourceType::None }];
        let sources = [Source { policy: &allow, id: "p", source_type: SourceType::None }];
        let ctx = build_context(p, &entries);
        let req = Request { principal: p, action: &action, resource: &resource, context: &ctx };
        let input = Input { identity: &sources, boundary: None, resource: None, session: Some(&sessions), identity_applies: true };
        prop_assert_eq!(decide(&input, &req), Decision::Allowed);
    }

    #[test]
    fn literal_resources_match_only_themselves(name in "[a-zA-Z0-9:/_.-]{1,30}", other in "[a-zA-Z0-9:/_.-]{1,30}") {
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{name}")}]}).to_string();
        let policy = Policy::parse(&doc, PolicyKind::Identity).unwrap();
        let all = principals();
        let ctx = Context::for_principal(&all[0]);
        let sources = [Source { policy: &policy, id: "p", source_type: SourceType::None }];
        let input = Input { identity: &sources, boundary: None, resource: None, session: None, identity_applies: true };
        let target = format!("arn:aws:s3:::{other}");
        let req = Request { principal: &all[0], action: "s3:GetObject", resource: &target, context: &ctx };
        prop_assert_eq!(decide(&input, &req) == Decision::Allowed, name == other);
    }

    #[test]
    fn statement_positions_point_after_the_braces(gaps in prop::collection::vec("[ \t\n]{0,3}|\r\n", 1..6)) {
        let statement = r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#;
        let mut doc = String::from("{\"Version\":\"2012-10-17\",\"Statement\":[");
        let mut braces = Vec::new();
        for (i, gap) in gaps.iter().enumerate() {
            if i > 0 {
                doc.push(',');
            }
            doc.push_str(gap);
            braces.push((doc.len(), doc.len() + statement.len() - 1));
            doc.push_str(statement);
        }
        doc.push_str("]}");
        let expected: Vec<_> = braces.iter().map(|&(open, close)| (position_after(&doc, open), position_after(&doc, close))).collect();
        let policy = Policy::parse(&doc, PolicyKind::Identity).unwrap();
        let got: Vec<_> = policy.statements().iter().map(|s| ((s.start().line, s.start().column), (s.end().line, s.end().column))).collect();
        prop_assert_eq!(got, expected);
    }
}

/// The 1-based position just after byte `at` of ASCII text, with `\r\n` as one line break.
fn position_after(text: &str, at: usize) -> (u32, u32) {
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 2;
    (u32::try_from(line).unwrap(), u32::try_from(column).unwrap())
}
