//! Validation beyond moto's identity-policy suite: the other policy kinds, size limits,
//! nesting, statement positions and introspection.

use spcred_policy::{Effect, Policy, PolicyError, PolicyKind, Position, PrincipalType, limits, policy_size};

fn message(doc: &str, kind: PolicyKind) -> String {
    match Policy::parse(doc, kind) {
        Ok(_) => "accepted".to_string(),
        Err(e) => e.to_string(),
    }
}

const TRUST_SERVICE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

#[test]
fn trust_policies() {
    assert_eq!(message(TRUST_SERVICE, PolicyKind::Trust), "accepted");
    // Older trust policies (EMR's default roles among them) use the 2008 language version.
    let old = r#"{"Version":"2008-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{"Service":"elasticmapreduce.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    assert_eq!(message(old, PolicyKind::Trust), "accepted");
    let with_resource = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}"#;
    assert_eq!(message(with_resource, PolicyKind::Trust), "Has prohibited field Resource");
    let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#;
    assert_eq!(
        message(no_principal, PolicyKind::Trust),
        "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"
    );
    let bad_arn = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/*"},"Action":"sts:AssumeRole"}]}"#;
    assert_eq!(
        message(bad_arn, PolicyKind::Trust),
        r#"Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/*""#
    );
    let bad_service = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2"},"Action":"sts:AssumeRole"}]}"#;
    assert_eq!(message(bad_service, PolicyKind::Trust), r#"Invalid principal in policy: "SERVICE":"ec2""#);
    let s3_action = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["sts:AssumeRole","s3:GetObject"]}]}"#;
    assert_eq!(message(s3_action, PolicyKind::Trust), "AssumeRole policy may only specify STS AssumeRole actions.");
    let tagging = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}"#;
    assert_eq!(message(tagging, PolicyKind::Trust), "accepted");
    assert_eq!(
        message(r#"{"Version":"2012-10-17","Statement":[}"#, PolicyKind::Trust),
        "This policy contains invalid Json"
    );
    // The shared checks still apply, with their messages.
    let lower_effect = r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}"#;
    assert_eq!(message(lower_effect, PolicyKind::Trust), "The policy failed legacy parsing");
}

#[test]
fn identity_and_session_policies_refuse_principals() {
    let doc =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#;
    assert_eq!(message(doc, PolicyKind::Identity), "Policy document should not specify a principal.");
    assert_eq!(message(doc, PolicyKind::Session), "Policy document should not specify a principal.");
    let not = doc.replace("\"Principal\"", "\"NotPrincipal\"");
    assert_eq!(message(&not, PolicyKind::Identity), "Policy document should not specify a principal.");
    let both = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:*","Resource":"*"}]}"#;
    assert_eq!(message(both, PolicyKind::Resource), "Syntax errors in policy.");
}

#[test]
fn resource_and_key_policies() {
    // The default SNS topic policy: 2008 language, no Version check, AWS:SourceOwner condition.
    let sns = r#"{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:Publish"],"Resource":"arn:aws:sns:us-east-1:111122223333:t","Condition":{"StringEquals":{"AWS:SourceOwner":"111122223333"}}}]}"#;
    assert_eq!(message(sns, PolicyKind::Resource), "accepted");
    let key = r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
    assert_eq!(message(key, PolicyKind::KeyPolicy), "accepted");
    let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#;
    assert_eq!(message(no_principal, PolicyKind::Resource), "Missing required field Principal");
    assert_eq!(message(no_principal, PolicyKind::KeyPolicy), "Missing required field Principal");
    let bad_type =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Users":"x"},"Action":"sqs:*"}]}"#;
    assert_eq!(message(bad_type, PolicyKind::Resource), "Syntax errors in policy.");
    let empty = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sqs:*"}]}"#;
    assert_eq!(message(empty, PolicyKind::Resource), "Missing required field Principal");
    // Identity policies still need the 2012 version; resource policies do not.
    let v2008 = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#;
    assert_eq!(message(v2008, PolicyKind::Identity), "Policy document must be version 2012-10-17 or greater.");
}

#[test]
fn size_limits_ignore_white_space() {
    let statement = r#"{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}"#;
    let compact = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, vec![statement; 200].join(","));
    assert!(policy_size(&compact) > limits::MANAGED_POLICY);
    assert_eq!(
        Policy::parse_with_limit(&compact, PolicyKind::Identity, limits::MANAGED_POLICY),
        Err(PolicyError::TooLarge { size: policy_size(&compact), limit: limits::MANAGED_POLICY })
    );
    let small = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, [statement; 10].join(","));
    let padded = small.replace(',', ",\n                ");
    assert_eq!(policy_size(&padded), policy_size(&small));
    assert!(Policy::parse_with_limit(&padded, PolicyKind::Identity, limits::MANAGED_POLICY).is_ok());
    let huge = " ".repeat(limits::MAX_DOCUMENT_BYTES + 1);
    assert!(matches!(Policy::parse(&huge, PolicyKind::Identity), Err(PolicyError::TooLarge { .. })));
}

#[test]
fn deep_nesting_is_a_syntax_error() {
    let deep = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{{"StringEquals":{{"k":{}"v"{}}}}}}}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    assert_eq!(Policy::parse(&deep, PolicyKind::Identity), Err(PolicyError::Syntax));
}

#[test]
fn positions_match_the_simulator() {
    // aws iam simulate-custom-policy reports StartPosition 1:38 and EndPosition 1:167 here.
    let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}"#;
    let policy = Policy::parse(doc, PolicyKind::Identity).unwrap();
    let s = &policy.statements()[0];
    assert_eq!((s.start(), s.end()), (Position { line: 1, column: 38 }, Position { line: 1, column: 167 }));

    let pretty = "{\r\n  \"Version\": \"2012-10-17\",\r\n  \"Statement\": [\r\n    {\r\n      \"Sid\": \"A\",\r\n      \"Effect\": \"Allow\",\r\n      \"Action\": \"s3:*\",\r\n      \"Resource\": \"*\"\r\n    },\r\n    {\"Sid\": \"B\", \"Effect\": \"Deny\", \"Action\": \"s3:*\", \"Resource\": \"*\"}\r\n  ]\r\n}";
    let policy = Policy::parse(pretty, PolicyKind::Identity).unwrap();
    let [a, b] = policy.statements() else { panic!() };
    assert_eq!((a.start(), a.end()), (Position { line: 4, column: 6 }, Position { line: 9, column: 6 }));
    assert_eq!((b.start(), b.end()), (Position { line: 10, column: 6 }, Position { line: 10, column: 70 }));
    assert_eq!((a.sid(), a.effect(), b.effect()), (Some("A"), Effect::Allow, Effect::Deny));
}

#[test]
fn introspection() {
    let doc = r#"{"Version":"2012-10-17","Id":"q","Statement":[
        {"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:user/alice"],"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:*:*:${aws:username}",
         "Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:t"},"StringEquals":{"AWS:SourceArn":"x","aws:RequestTag/env":"prod"}}},
        {"Effect":"Deny","NotPrincipal":"*","Action":"sqs:*","Resource":"*"}]}"#;
    let policy = Policy::parse(doc, PolicyKind::Resource).unwrap();
    assert_eq!((policy.kind(), policy.version(), policy.id()), (PolicyKind::Resource, Some("2012-10-17"), Some("q")));
    assert_eq!(policy.context_keys(), ["aws:username", "aws:SourceArn", "aws:PrincipalAccount", "aws:RequestTag/env"]);
    let principals: Vec<_> = policy.statements()[0].principals().collect();
    assert_eq!(
        principals,
        [
            (PrincipalType::Aws, "111122223333"),
            (PrincipalType::Aws, "arn:aws:iam::111122223333:user/alice"),
            (PrincipalType::Service, "sns.amazonaws.com")
        ]
    );
    assert!(!policy.statements()[0].is_not_principal());
    assert!(policy.statements()[1].is_not_principal());
}
