//! The policy documents and the event pattern of the guides and the blog, built for one account
//! and region, and the comparison that decides whether what AWS holds is already what we want.

use serde_json::{Value, json};

/// The AWS account SP-API sends notifications from; queue and key policies must let it in.
pub const AMAZON_ACCOUNT: &str = "437568002678";

/// Amazon's principal as queue and key policies name it.
pub fn amazon_principal() -> String {
    format!("arn:aws:iam::{AMAZON_ACCOUNT}:root")
}

/// The SellingPartnerAPI policy of the guides (step 3), verbatim.
pub fn selling_partner_api_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:*"}]
    })
}

/// The role's trust policy: the IAM user of step 2 may assume it (step 4).
pub fn trust_policy(user_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}]
    })
}

/// The user's inline STS policy (step 5): AssumeRole on the role's ARN only.
pub fn sts_policy(role_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]
    })
}

/// The key policy statement that lets SP-API write to queues encrypted with the key.
pub fn amazon_key_statement() -> Value {
    json!({
        "Sid": "AllowSellingPartnerApiToEncryptNotifications",
        "Effect": "Allow",
        "Principal": {"AWS": amazon_principal()},
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": "*"
    })
}

/// The key policy of a new key: KMS's default statement for the account, and when the rotation
/// queues are encrypted with this key, [`amazon_key_statement`].
pub fn key_policy(account: &str, amazon_writes_queues: bool) -> Value {
    let mut statements = vec![json!({
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
        "Action": "kms:*",
        "Resource": "*"
    })];
    if amazon_writes_queues {
        statements.push(amazon_key_statement());
    }
    json!({"Version": "2012-10-17", "Id": "key-default-1", "Statement": statements})
}

/// The blog's parameter policy: a notification when the secret has not changed for 150 days.
pub fn no_change_notification() -> Value {
    json!([{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "150", "Unit": "Days"}}])
}

/// The blog's rule: Parameter Store's policy actions on the client secret.
pub fn event_pattern(secret_parameter: &str) -> Value {
    json!({
        "source": ["aws.ssm"],
        "detail-type": ["Parameter Store Policy Action"],
        "detail": {"parameter-name": [secret_parameter]}
    })
}

/// An event the rule must match, as Parameter Store sends it when the policy fires.
pub fn sample_policy_action(account: &str, region: &str, secret_parameter: &str) -> Value {
    json!({
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000000",
        "detail-type": "Parameter Store Policy Action",
        "source": "aws.ssm",
        "account": account,
        "time": "2023-05-17T00:00:00Z",
        "region": region,
        "resources": [format!("arn:aws:ssm:{region}:{account}:parameter{secret_parameter}")],
        "detail": {
            "parameter-name": secret_parameter,
            "parameter-type": "SecureString",
            "policy-type": "NoChangeNotification",
            "action-status": "PolicyTriggered",
            "action-reason": "NoChangeNotification policy has been triggered."
        }
    })
}

/// The topic policy statement: EventBridge may publish for this rule only.
pub fn topic_statement(topic_arn: &str, rule_arn: &str) -> Value {
    json!({
        "Sid": "AllowEventBridgeToPublish",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}
    })
}

/// A rotation queue's policy statement: SP-API's account may send (Amazon's notifications guide).
pub fn queue_statement(queue_arn: &str) -> Value {
    json!({
        "Sid": "AllowSellingPartnerApiToSend",
        "Effect": "Allow",
        "Principal": {"AWS": amazon_principal()},
        "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes"],
        "Resource": queue_arn
    })
}

/// A policy of `statement` alone.
pub fn policy_of(statement: &Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

/// What to store so that the resource policy `held` carries `statement`, keeping the other
/// statements someone may have added (a key policy that lets the app's role decrypt, say):
/// `None` when it carries it already; else `held` with the statement of the same `Sid`
/// replaced, or the statement added; `fresh` when nothing usable is held.
pub fn merged(held: Option<&str>, statement: &Value, fresh: &Value) -> Option<Value> {
    let Some(mut doc) = held.and_then(parse_document).filter(Value::is_object) else {
        return Some(fresh.clone());
    };
    let statements = match doc.get_mut("Statement") {
        Some(Value::Array(items)) => std::mem::take(items),
        Some(one @ Value::Object(_)) => vec![one.take()],
        _ => Vec::new(),
    };
    if statements.iter().any(|s| normalized(s) == normalized(statement)) {
        return None;
    }
    let sid = statement.get("Sid");
    let mut kept: Vec<Value> = statements.into_iter().filter(|s| sid.is_none() || s.get("Sid") != sid).collect();
    kept.push(statement.clone());
    doc["Statement"] = Value::Array(kept);
    if doc.get("Version").is_none() {
        doc["Version"] = json!("2012-10-17");
    }
    Some(doc)
}

/// `text` as JSON; IAM returns documents URL-encoded, the other services as they were stored.
pub fn parse_document(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok().or_else(|| {
        let decoded = percent_encoding::percent_decode_str(text).decode_utf8().ok()?;
        serde_json::from_str(&decoded).ok()
    })
}

/// Whether the document AWS holds (`held`, as text) says what `wanted` says. Key order and
/// white space never count; neither does a string in place of a one-element list, which AWS
/// treats the same.
pub fn same_document(held: Option<&str>, wanted: &Value) -> bool {
    held.and_then(parse_document).is_some_and(|h| normalized(&h) == normalized(wanted))
}

fn normalized(v: &Value) -> Value {
    match v {
        Value::Array(items) if items.len() == 1 => normalized(&items[0]),
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        Value::Object(map) => {
            let mut sorted: Vec<_> = map.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), normalized(v))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_is_added_to_what_is_held_and_replaces_its_namesake() {
        let ours = queue_statement("arn:aws:sqs:us-east-1:111122223333:q");
        let fresh = policy_of(&ours);
        assert_eq!(merged(None, &ours, &fresh), Some(fresh.clone()));
        assert_eq!(merged(Some("not json"), &ours, &fresh), Some(fresh.clone()));
        assert_eq!(merged(Some(&fresh.to_string()), &ours, &fresh), None);
        let theirs = json!({"Sid": "App", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"},
            "Action": "sqs:ReceiveMessage", "Resource": "*"});
        let mut stale = ours.clone();
        stale["Principal"]["AWS"] = json!("arn:aws:iam::111122223333:root");
        let held = json!({"Version": "2012-10-17", "Statement": [theirs.clone(), stale]});
        let stored = merged(Some(&held.to_string()), &ours, &fresh).unwrap();
        assert_eq!(stored["Statement"], json!([theirs.clone(), ours.clone()]));
        assert_eq!(merged(Some(&stored.to_string()), &ours, &fresh), None);
        let single = json!({"Statement": theirs.clone()});
        let stored = merged(Some(&single.to_string()), &ours, &fresh).unwrap();
        assert_eq!(
            (stored["Statement"].clone(), stored["Version"].clone()),
            (json!([theirs, ours]), json!("2012-10-17"))
        );
    }

    proptest::proptest! {
        #[test]
        fn merging_twice_changes_nothing_the_second_time(
            sids in proptest::collection::vec(proptest::option::of("[A-Za-z]{1,8}"), 0..5),
            single in proptest::bool::ANY,
        ) {
            let theirs: Vec<Value> = sids
                .iter()
                .map(|sid| {
                    let mut st = json!({"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sqs:*", "Resource": "*"});
                    if let Some(sid) = sid {
                        st["Sid"] = json!(sid);
                    }
                    st
                })
                .collect();
            let held = match (single, theirs.as_slice()) {
                (true, [one]) => json!({"Statement": one}),
                _ => json!({"Version": "2012-10-17", "Statement": theirs}),
            };
            let ours = queue_statement("arn:aws:sqs:us-east-1:111122223333:q");
            let stored = merged(Some(&held.to_string()), &ours, &policy_of(&ours)).unwrap_or(held);
            proptest::prop_assert_eq!(merged(Some(&stored.to_string()), &ours, &policy_of(&ours)), None);
        }
    }

    #[test]
    fn documents_compare_by_meaning_not_by_spelling() {
        let wanted = policy_of(&queue_statement("arn:aws:sqs:us-east-1:111122223333:q"));
        let reordered = r#"{"Statement":[{"Resource":"arn:aws:sqs:us-east-1:111122223333:q",
            "Action":["sqs:SendMessage","sqs:GetQueueAttributes"],"Principal":{"AWS":["arn:aws:iam::437568002678:root"]},
            "Effect":"Allow","Sid":"AllowSellingPartnerApiToSend"}],"Version":"2012-10-17"}"#;
        assert!(same_document(Some(reordered), &wanted));
        let encoded: String =
            percent_encoding::utf8_percent_encode(&wanted.to_string(), percent_encoding::NON_ALPHANUMERIC).to_string();
        assert!(same_document(Some(&encoded), &wanted));
        let without_amazon = reordered.replace("437568002678", "111122223333");
        assert!(!same_document(Some(&without_amazon), &wanted));
        let other_actions = reordered.replace(r#","sqs:GetQueueAttributes""#, "");
        assert!(!same_document(Some(&other_actions), &wanted));
        assert!(!same_document(None, &wanted));
        assert!(!same_document(Some("{not json"), &wanted));
    }

    #[test]
    fn the_key_policy_lets_amazon_in_only_for_encrypted_queues() {
        let plain = key_policy("111122223333", false);
        assert_eq!(plain["Statement"].as_array().unwrap().len(), 1);
        let with = key_policy("111122223333", true);
        assert_eq!(with["Statement"][1]["Principal"]["AWS"], "arn:aws:iam::437568002678:root");
        assert!(!same_document(Some(&plain.to_string()), &with));
    }

    #[test]
    fn the_sample_event_names_the_secret() {
        let event = sample_policy_action("111122223333", "us-east-2", "/my-erp/lwa/clientsecret");
        assert_eq!(
            event["detail"]["parameter-name"],
            event_pattern("/my-erp/lwa/clientsecret")["detail"]["parameter-name"][0]
        );
    }
}
