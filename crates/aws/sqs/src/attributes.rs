//! Queue attributes: defaults, validation with SQS's messages, and the redrive policies.

use super::error::SqsError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Every queue attribute name SQS knows, in the order `GetQueueAttributes` lists them.
pub(crate) const NAMES: [&str; 22] = [
    "All",
    "Policy",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
    "ApproximateNumberOfMessagesDelayed",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "RedriveAllowPolicy",
    "SqsManagedSseEnabled",
];

/// Attributes only a FIFO queue has.
const FIFO_ONLY: [&str; 3] = ["ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"];

/// The most receives `maxReceiveCount` may allow.
const MAX_RECEIVE_COUNT: i64 = 1000;
/// The most source queues a redrive allow policy may name.
const MAX_SOURCE_QUEUES: usize = 10;

/// A queue's settable attributes, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct QueueConfig {
    pub delay_seconds: i64,
    pub maximum_message_size: i64,
    pub message_retention_period: i64,
    pub receive_message_wait_time_seconds: i64,
    pub visibility_timeout: i64,
    pub policy: Option<String>,
    /// Normalised: `{"deadLetterTargetArn":"…","maxReceiveCount":N}`.
    pub redrive_policy: Option<String>,
    pub redrive_allow_policy: Option<String>,
    pub kms_master_key_id: Option<String>,
    pub kms_data_key_reuse_period_seconds: i64,
    pub sqs_managed_sse_enabled: bool,
    pub content_based_deduplication: bool,
    pub deduplication_scope: String,
    pub fifo_throughput_limit: String,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            delay_seconds: 0,
            maximum_message_size: 262_144,
            message_retention_period: 345_600,
            receive_message_wait_time_seconds: 0,
            visibility_timeout: 30,
            policy: None,
            redrive_policy: None,
            redrive_allow_policy: None,
            kms_master_key_id: None,
            kms_data_key_reuse_period_seconds: 300,
            // New queues get SSE-SQS unless they ask for KMS or turn it off.
            sqs_managed_sse_enabled: true,
            content_based_deduplication: false,
            deduplication_scope: "queue".to_owned(),
            fifo_throughput_limit: "perQueue".to_owned(),
        }
    }
}

/// A redrive policy: where messages go after too many receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RedrivePolicy {
    pub dead_letter_target_arn: String,
    pub max_receive_count: i64,
}

/// Which source queues may use a queue as their dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RedriveAllow {
    AllowAll,
    DenyAll,
    ByQueue(Vec<String>),
}

impl RedriveAllow {
    /// Whether the queue `source_arn` may send its dead letters here.
    pub(crate) fn allows(&self, source_arn: &str) -> bool {
        match self {
            RedriveAllow::AllowAll => true,
            RedriveAllow::DenyAll => false,
            RedriveAllow::ByQueue(arns) => arns.iter().any(|a| a == source_arn),
        }
    }
}

fn integer(name: &str, value: &str, min: i64, max: i64) -> Result<i64, SqsError> {
    value.parse::<i64>().ok().filter(|v| (min..=max).contains(v)).ok_or_else(|| SqsError::invalid_attribute(name))
}

fn boolean(name: &str, value: &str) -> Result<bool, SqsError> {
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(SqsError::invalid_attribute(name))
    }
}

fn one_of(name: &str, value: &str, allowed: &[&str]) -> Result<String, SqsError> {
    allowed.iter().find(|a| **a == value).map(|a| (*a).to_owned()).ok_or_else(|| SqsError::invalid_attribute(name))
}

/// Reads and normalises a redrive policy, checking what can be checked without looking the
/// dead-letter queue up.
pub(crate) fn parse_redrive_policy(raw: &str) -> Result<RedrivePolicy, SqsError> {
    let invalid = |reason: &str| SqsError::invalid_value("RedrivePolicy", raw, reason);
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(raw) else {
        return Err(SqsError::InvalidParameterValue(
            "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.".into(),
        ));
    };
    if map.keys().any(|k| k != "deadLetterTargetArn" && k != "maxReceiveCount") {
        return Err(invalid("Only following attributes are supported: [maxReceiveCount, deadLetterTargetArn]."));
    }
    let Some(count) = map.get("maxReceiveCount") else {
        return Err(invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount."));
    };
    let Some(target) = map.get("deadLetterTargetArn") else {
        return Err(invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn."));
    };
    let target = target.as_str().filter(|t| t.split(':').count() == 6 && t.starts_with("arn:"));
    let Some(target) = target else {
        return Err(invalid("Invalid value for deadLetterTargetArn."));
    };
    if target.split(':').nth(2) != Some("sqs") {
        return Err(invalid("Only SQS queues are valid resources for deadLetterTargetArn."));
    }
    let shown = match count {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let max_receive_count = match count {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse::<i64>().ok(),
        _ => None,
    }
    .filter(|c| (1..=MAX_RECEIVE_COUNT).contains(c))
    .ok_or_else(|| {
        invalid(&format!("Invalid value for maxReceiveCount: {shown}, valid values are from 1 to 1000 both inclusive."))
    })?;
    Ok(RedrivePolicy { dead_letter_target_arn: target.to_owned(), max_receive_count })
}

impl RedrivePolicy {
    /// The form `GetQueueAttributes` returns.
    pub(crate) fn to_json(&self) -> String {
        let mut map = Map::new();
        map.insert("deadLetterTargetArn".into(), Value::String(self.dead_letter_target_arn.clone()));
        map.insert("maxReceiveCount".into(), Value::from(self.max_receive_count));
        Value::Object(map).to_string()
    }
}

/// Reads a redrive allow policy.
pub(crate) fn parse_redrive_allow_policy(raw: &str) -> Result<RedriveAllow, SqsError> {
    let unsupported = || {
        SqsError::InvalidParameterValue(
            "Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can't create the redrive allow \
             policy, as it\u{2019}s in an unsupported format."
                .into(),
        )
    };
    let invalid = |reason: &str| {
        SqsError::invalid_value(
            "RedriveAllowPolicy",
            raw,
            &format!("Amazon SQS can't create the redrive allow policy. {reason}"),
        )
    };
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(raw) else {
        return Err(unsupported());
    };
    if map.keys().any(|k| k != "redrivePermission" && k != "sourceQueueArns") {
        return Err(unsupported());
    }
    let sources = match map.get("sourceQueueArns") {
        None => None,
        Some(Value::Array(items)) => {
            let arns: Option<Vec<String>> = items.iter().map(|v| v.as_str().map(str::to_owned)).collect();
            Some(arns.ok_or_else(unsupported)?)
        }
        Some(_) => return Err(unsupported()),
    };
    let need_sources = "When you specify the byQueue permission type, you must also specify one or more \
                        sourceQueueArns values.";
    match (map.get("redrivePermission").and_then(Value::as_str), sources) {
        (Some("allowAll" | "denyAll"), Some(_)) => {
            Err(invalid("To specify one or more source queue ARNs, you must set redrivePermission to byQueue."))
        }
        (Some("allowAll"), None) => Ok(RedriveAllow::AllowAll),
        (Some("denyAll"), None) => Ok(RedriveAllow::DenyAll),
        (Some("byQueue"), None) => Err(invalid(need_sources)),
        (Some("byQueue"), Some(arns)) if arns.is_empty() => Err(invalid(need_sources)),
        (Some("byQueue"), Some(arns)) if arns.len() > MAX_SOURCE_QUEUES => {
            Err(invalid("The maximum number of source queue ARNs you can specify is 10."))
        }
        (Some("byQueue"), Some(arns)) => Ok(RedriveAllow::ByQueue(arns)),
        _ => Err(unsupported()),
    }
}

impl QueueConfig {
    /// Applies attributes given to `CreateQueue` (`creating`) or `SetQueueAttributes`, checking each.
    pub(crate) fn apply(
        &mut self,
        fifo: bool,
        creating: bool,
        attributes: &BTreeMap<String, String>,
    ) -> Result<(), SqsError> {
        for (name, value) in attributes {
            self.apply_one(fifo, creating, name, value)?;
        }
        let sse_sqs = attributes.get("SqsManagedSseEnabled").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let kms_given = attributes.get("KmsMasterKeyId").is_some_and(|v| !v.is_empty());
        if sse_sqs && self.kms_master_key_id.is_some() {
            return Err(SqsError::InvalidAttributeName(
                "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or \
                 SQS SSE."
                    .into(),
            ));
        }
        if kms_given {
            self.sqs_managed_sse_enabled = false;
        }
        Ok(())
    }

    fn apply_one(&mut self, fifo: bool, creating: bool, name: &str, value: &str) -> Result<(), SqsError> {
        if FIFO_ONLY.contains(&name) && !fifo {
            return Err(if creating && name != "ContentBasedDeduplication" {
                SqsError::InvalidAttributeName(format!(
                    "You can specify the {name} only when FifoQueue is set to true."
                ))
            } else {
                SqsError::unknown_attribute(name)
            });
        }
        match name {
            "DelaySeconds" => self.delay_seconds = integer(name, value, 0, 900)?,
            "MaximumMessageSize" => self.maximum_message_size = integer(name, value, 1024, 262_144)?,
            "MessageRetentionPeriod" => self.message_retention_period = integer(name, value, 60, 1_209_600)?,
            "ReceiveMessageWaitTimeSeconds" => self.receive_message_wait_time_seconds = integer(name, value, 0, 20)?,
            "VisibilityTimeout" => self.visibility_timeout = integer(name, value, 0, 43_200)?,
            "KmsDataKeyReusePeriodSeconds" => {
                self.kms_data_key_reuse_period_seconds = integer(name, value, 60, 86_400)?;
            }
            "Policy" if value.is_empty() => self.policy = None,
            "Policy" => {
                policy::Policy::parse(value, policy::PolicyKind::Resource)
                    .map_err(|_| SqsError::invalid_attribute(name))?;
                self.policy = Some(value.to_owned());
            }
            "RedrivePolicy" if value.is_empty() => self.redrive_policy = None,
            "RedrivePolicy" => self.redrive_policy = Some(parse_redrive_policy(value)?.to_json()),
            "RedriveAllowPolicy" if value.is_empty() => self.redrive_allow_policy = None,
            "RedriveAllowPolicy" => {
                parse_redrive_allow_policy(value)?;
                self.redrive_allow_policy = Some(value.to_owned());
            }
            "KmsMasterKeyId" => self.kms_master_key_id = Some(value.to_owned()).filter(|v| !v.is_empty()),
            "SqsManagedSseEnabled" => self.sqs_managed_sse_enabled = boolean(name, value)?,
            "ContentBasedDeduplication" => self.content_based_deduplication = boolean(name, value)?,
            "DeduplicationScope" => self.deduplication_scope = one_of(name, value, &["messageGroup", "queue"])?,
            "FifoThroughputLimit" => {
                self.fifo_throughput_limit = one_of(name, value, &["perQueue", "perMessageGroupId"])?;
            }
            "FifoQueue" => match (creating, fifo, boolean(name, value)?) {
                // CreateQueue decided the type from this attribute already.
                (true, ..) | (false, true, true) => {}
                (false, false, _) => return Err(SqsError::unknown_attribute(name)),
                (false, true, false) => {
                    return Err(SqsError::InvalidAttributeValue(
                        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
                            .into(),
                    ));
                }
            },
            _ => return Err(SqsError::unknown_attribute(name)),
        }
        Ok(())
    }

    /// The redrive policy, if any.
    pub(crate) fn redrive(&self) -> Option<RedrivePolicy> {
        self.redrive_policy.as_deref().and_then(|raw| parse_redrive_policy(raw).ok())
    }

    /// The redrive allow policy; without one, any queue may use this one as its dead-letter queue.
    pub(crate) fn redrive_allow(&self) -> RedriveAllow {
        self.redrive_allow_policy
            .as_deref()
            .and_then(|raw| parse_redrive_allow_policy(raw).ok())
            .unwrap_or(RedriveAllow::AllowAll)
    }

    /// The settable attributes as `GetQueueAttributes` shows them (the computed ones are the
    /// caller's to add).
    pub(crate) fn render(&self, fifo: bool) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("VisibilityTimeout", self.visibility_timeout.to_string()),
            ("MaximumMessageSize", self.maximum_message_size.to_string()),
            ("MessageRetentionPeriod", self.message_retention_period.to_string()),
            ("DelaySeconds", self.delay_seconds.to_string()),
            ("ReceiveMessageWaitTimeSeconds", self.receive_message_wait_time_seconds.to_string()),
            ("SqsManagedSseEnabled", self.sqs_managed_sse_enabled.to_string()),
        ];
        let optional = [
            ("Policy", &self.policy),
            ("RedrivePolicy", &self.redrive_policy),
            ("RedriveAllowPolicy", &self.redrive_allow_policy),
            ("KmsMasterKeyId", &self.kms_master_key_id),
        ];
        out.extend(optional.into_iter().filter_map(|(name, value)| Some((name, value.clone()?))));
        if self.kms_master_key_id.is_some() {
            out.push(("KmsDataKeyReusePeriodSeconds", self.kms_data_key_reuse_period_seconds.to_string()));
        }
        if fifo {
            out.push(("FifoQueue", "true".into()));
            out.push(("ContentBasedDeduplication", self.content_based_deduplication.to_string()));
            out.push(("DeduplicationScope", self.deduplication_scope.clone()));
            out.push(("FifoThroughputLimit", self.fifo_throughput_limit.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn apply(fifo: bool, creating: bool, pairs: &[(&str, &str)]) -> Result<QueueConfig, SqsError> {
        let mut c = QueueConfig::default();
        c.apply(fifo, creating, &attrs(pairs)).map(|()| c)
    }

    #[test]
    fn ranges_with_aws_messages() {
        for (name, ok, bad) in [
            ("DelaySeconds", ["0", "900"], ["-1", "901"]),
            ("MaximumMessageSize", ["1024", "262144"], ["1023", "262145"]),
            ("MessageRetentionPeriod", ["60", "1209600"], ["59", "1209601"]),
            ("ReceiveMessageWaitTimeSeconds", ["0", "20"], ["-1", "21"]),
            ("VisibilityTimeout", ["0", "43200"], ["-1", "43201"]),
            ("KmsDataKeyReusePeriodSeconds", ["60", "86400"], ["59", "86401"]),
        ] {
            for v in ok {
                assert!(apply(false, true, &[(name, v)]).is_ok(), "{name}={v}");
            }
            for v in bad.into_iter().chain(["", "1.5", "x", " 1"]) {
                let e = apply(false, true, &[(name, v)]).unwrap_err();
                assert_eq!(e, SqsError::InvalidAttributeValue(format!("Invalid value for the parameter {name}.")));
            }
        }
    }

    #[test]
    fn names_by_queue_type() {
        assert_eq!(apply(false, false, &[("QueueArn", "x")]).unwrap_err(), SqsError::unknown_attribute("QueueArn"));
        assert_eq!(
            apply(false, false, &[("FifoQueue", "true")]).unwrap_err(),
            SqsError::unknown_attribute("FifoQueue")
        );
        assert_eq!(
            apply(false, false, &[("ContentBasedDeduplication", "true")]).unwrap_err(),
            SqsError::unknown_attribute("ContentBasedDeduplication")
        );
        assert!(matches!(
            apply(false, true, &[("DeduplicationScope", "queue")]).unwrap_err(),
            SqsError::InvalidAttributeName(m) if m == "You can specify the DeduplicationScope only when FifoQueue is set to true."
        ));
        assert!(apply(false, true, &[("FifoQueue", "false")]).is_ok());
        assert_eq!(
            apply(true, false, &[("FifoQueue", "false")]).unwrap_err().to_string(),
            "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
        );
        let c = apply(true, true, &[("ContentBasedDeduplication", "TRUE"), ("DeduplicationScope", "messageGroup")])
            .unwrap();
        assert!(c.content_based_deduplication);
        assert!(apply(true, true, &[("FifoThroughputLimit", "perMessageGroupId")]).is_ok());
        assert!(apply(true, true, &[("FifoThroughputLimit", "perGroup")]).is_err());
    }

    #[test]
    fn sse_kinds_exclude_each_other() {
        let kms = apply(false, true, &[("KmsMasterKeyId", "alias/aws/sqs")]).unwrap();
        assert!(!kms.sqs_managed_sse_enabled && kms.kms_master_key_id.is_some());
        let both = apply(false, true, &[("KmsMasterKeyId", "k"), ("SqsManagedSseEnabled", "true")]).unwrap_err();
        assert!(both.to_string().starts_with("You can use one type of server-side encryption (SSE) at one time."));
        let off = apply(false, true, &[("SqsManagedSseEnabled", "false")]).unwrap();
        assert!(!off.sqs_managed_sse_enabled && off.kms_master_key_id.is_none());
        assert!(QueueConfig::default().sqs_managed_sse_enabled);
    }

    #[test]
    fn redrive_policies_with_aws_messages() {
        let ok = parse_redrive_policy(
            r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:d","maxReceiveCount":"5"}"#,
        )
        .unwrap();
        assert_eq!(ok.max_receive_count, 5);
        assert_eq!(
            ok.to_json(),
            r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:d","maxReceiveCount":5}"#
        );
        let msg = |raw: &str| parse_redrive_policy(raw).unwrap_err().to_string();
        let dummy = r#"{"deadLetterTargetArn": "dummy", "maxReceiveCount": 42}"#;
        assert_eq!(
            msg(dummy),
            format!(
                "Value {dummy} for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn."
            )
        );
        assert!(
            msg(r#"{"maxReceiveCount": 1}"#).ends_with("does not contain mandatory attribute: deadLetterTargetArn.")
        );
        assert!(
            msg(r#"{"deadLetterTargetArn": "arn:aws:sqs:r:1:q"}"#).ends_with("mandatory attribute: maxReceiveCount.")
        );
        assert!(
            msg(r#"{"deadLetterTargetArn":"arn:aws:sqs:r:123456789012:q","maxReceiveCount":0}"#)
                .ends_with("Invalid value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive.")
        );
        assert!(
            msg(r#"{"deadLetterTargetArn":"arn:aws:sns:r:123456789012:t","maxReceiveCount":1}"#)
                .ends_with("Only SQS queues are valid resources for deadLetterTargetArn.")
        );
        assert!(msg("[1]").ends_with("Redrive policy is not a valid JSON map."));
        assert!(
            msg(r#"{"deadLetterTargetArn":"arn:aws:sqs:r:123456789012:q","maxReceiveCount":1,"x":1}"#)
                .ends_with("[maxReceiveCount, deadLetterTargetArn].")
        );
    }

    #[test]
    fn redrive_allow_policies() {
        assert_eq!(parse_redrive_allow_policy(r#"{"redrivePermission":"denyAll"}"#).unwrap(), RedriveAllow::DenyAll);
        let by = parse_redrive_allow_policy(r#"{"redrivePermission":"byQueue","sourceQueueArns":["a"]}"#).unwrap();
        assert!(by.allows("a") && !by.allows("b"));
        let msg = |raw: &str| parse_redrive_allow_policy(raw).unwrap_err().to_string();
        assert!(msg(r#"{"redrivePermission":"byQueue"}"#).ends_with("one or more sourceQueueArns values."));
        assert!(
            msg(r#"{"redrivePermission":"allowAll","sourceQueueArns":["a"]}"#)
                .ends_with("set redrivePermission to byQueue.")
        );
        let eleven: Vec<String> = (0..11).map(|i| format!("\"a{i}\"")).collect();
        assert!(
            msg(&format!(r#"{{"redrivePermission":"byQueue","sourceQueueArns":[{}]}}"#, eleven.join(",")))
                .ends_with("is 10.")
        );
        assert!(msg("{}").contains("unsupported format"));
        assert!(msg(r#"{"redrivePermission":"maybe"}"#).contains("unsupported format"));
    }

    #[test]
    fn policies_must_parse() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"437568002678"},"Action":"sqs:SendMessage","Resource":"*"}]}"#;
        assert_eq!(apply(false, true, &[("Policy", doc)]).unwrap().policy.as_deref(), Some(doc));
        assert_eq!(apply(false, true, &[("Policy", "{")]).unwrap_err(), SqsError::invalid_attribute("Policy"));
        assert_eq!(apply(false, true, &[("Policy", "")]).unwrap().policy, None);
    }

    #[test]
    fn rendering_shows_what_is_set() {
        let c = apply(true, true, &[("KmsMasterKeyId", "k"), ("VisibilityTimeout", "7")]).unwrap();
        let shown: BTreeMap<_, _> = c.render(true).into_iter().collect();
        assert_eq!(shown["VisibilityTimeout"], "7");
        assert_eq!(shown["KmsDataKeyReusePeriodSeconds"], "300");
        assert_eq!(shown["FifoQueue"], "true");
        assert_eq!(shown["SqsManagedSseEnabled"], "false");
        assert!(!shown.contains_key("Policy"));
        let standard: BTreeMap<_, _> = QueueConfig::default().render(false).into_iter().collect();
        assert!(!standard.contains_key("FifoQueue") && !standard.contains_key("KmsDataKeyReusePeriodSeconds"));
    }
}
