//! Which services a policy allows access to (IAM's last-accessed report lists those).

use spcred_policy::{Policy, PolicyKind};

fn parse(doc: &str) -> Policy {
    Policy::parse(doc, PolicyKind::Identity).unwrap()
}

#[test]
fn allowed_services_follow_the_action_patterns_service_part() {
    let p = parse(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["ssm:GetParameters","KMS:Decrypt"],"Resource":"*"},
            {"Effect":"Allow","Action":["sqs:Send*","SNS:Publish"],"Resource":"*"},
            {"Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#,
    );
    assert!(p.allows_service("ssm"));
    assert!(p.allows_service("kms"));
    assert!(p.allows_service("sqs"));
    assert!(p.allows_service("sns"));
    // A deny grants nothing, and an unnamed service is not allowed.
    assert!(!p.allows_service("iam"));
    assert!(!p.allows_service("events"));
}

#[test]
fn a_bare_star_and_not_action_allow_every_service() {
    assert!(
        parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#)
            .allows_service("execute-api")
    );
    let not = parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#);
    assert!(not.allows_service("sts"));
    let deny_only = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"sts:*","Resource":"*"}}"#;
    assert!(!parse(deny_only).allows_service("sts"));
}
