//! `policy::Policy::parse` on arbitrary text, as every policy kind: it must never panic, and
//! whatever it accepts must evaluate without panicking.

#![no_main]

use libfuzzer_sys::fuzz_target;
use policy::{
    evaluate, Context, Input, Policy, PolicyKind, Principal, PrincipalKind, Request, ResourceMode, ResourcePolicy, Source,
    SourceType,
};

const KINDS: [PolicyKind; 5] =
    [PolicyKind::Identity, PolicyKind::Session, PolicyKind::Resource, PolicyKind::Trust, PolicyKind::KeyPolicy];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let principal = Principal {
        arn: "arn:aws:sts::111122223333:assumed-role/r/s".into(),
        account: "111122223333".into(),
        kind: PrincipalKind::AssumedRole { role_arn: "arn:aws:iam::111122223333:role/r".into() },
        userid: "AROAEXAMPLE:s".into(),
        username: None,
        tags: vec![("team".into(), "blue".into())],
    };
    let mut context = Context::for_principal(&principal);
    context.set_time(1_700_000_000);
    context.set("aws:SourceIp", "203.0.113.9");
    context.set_list("aws:TagKeys", ["team", "env"]);
    for kind in KINDS {
        let Ok(policy) = Policy::parse(text, kind) else { continue };
        let source = Source { policy: &policy, id: "fuzz", source_type: SourceType::None };
        let identity = [source];
        let input = if kind.is_identity() {
            Input { identity: &identity, boundary: None, resource: None, session: None, identity_applies: true }
        } else {
            let resource = ResourcePolicy { source, mode: ResourceMode::Required };
            Input { identity: &[], boundary: None, resource: Some(resource), session: None, identity_applies: true }
        };
        for (action, resource) in [("sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q"), ("sts:AssumeRole", "*")] {
            let request = Request { principal: &principal, action, resource, context: &context };
            let _ = evaluate(&input, &request);
        }
    }
});
