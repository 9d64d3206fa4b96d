//! Fan-out: one delivery per subscription a message reaches, rendered, signed and queued in the
//! caller's transaction; and the confirmation deliveries of new subscriptions.

use super::filter::{self, Scope};
use super::message::{self, Attributes, Envelope};
use super::signing::{Signed, Signer};
use super::{PRINCIPAL, SnsError};
use aws_core::env::Env;
use serde_json::{Map, Value};
use std::collections::HashMap;
use store::delivery::{self, NewDelivery, Retry, Send};
use store::sns::{Subscription, Topic};

/// Subscriptions read per page while fanning out.
const PAGE: i64 = 500;

/// A message on its way to a topic's subscribers.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The message id.
    pub message_id: String,
    /// The message (the `default` one under MessageStructure `json`).
    pub message: String,
    /// Per-protocol messages (MessageStructure `json`).
    pub per_protocol: Option<Map<String, Value>>,
    /// The subject.
    pub subject: Option<String>,
    /// The message attributes.
    pub attributes: Attributes,
    /// When it was published.
    pub timestamp: String,
}

impl Outgoing {
    /// The text `protocol`'s subscribers receive.
    fn text_for(&self, protocol: &str) -> &str {
        self.per_protocol.as_ref().and_then(|m| m.get(protocol)).and_then(Value::as_str).unwrap_or(&self.message)
    }
}

/// A subscription's attributes, parsed.
pub(crate) fn attributes_of(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap_or_default()
}

fn attribute<'a>(attributes: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    attributes.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A topic's set attributes, parsed.
pub(crate) fn topic_attributes(topic: &Topic) -> Map<String, Value> {
    attributes_of(&topic.attributes)
}

/// The URL that unsubscribes `subscription_arn` without a signature.
pub(crate) fn unsubscribe_url(env: &Env, subscription_arn: &str) -> String {
    format!("{}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}", env.public_url)
}

/// The URL that confirms a subscription to `topic_arn` with `token`.
pub(crate) fn subscribe_url(env: &Env, topic_arn: &str, token: &str) -> String {
    format!("{}/?Action=ConfirmSubscription&TopicArn={topic_arn}&Token={token}", env.public_url)
}

/// The job kind that delivers over `protocol`.
fn job_kind(protocol: &str) -> &'static str {
    match protocol {
        "email" | "email-json" => delivery::EMAIL_JOB,
        "sms" => delivery::SMS_JOB,
        "sqs" => delivery::SQS_JOB,
        "lambda" => delivery::LAMBDA_JOB,
        _ => delivery::HTTP_JOB,
    }
}

/// An HTTP/S subscription's retry schedule: its own DeliveryPolicy, else its topic's, else SNS's
/// default (three retries, 20 seconds apart).
fn http_retry(subscription: &Map<String, Value>, topic: &Map<String, Value>) -> Retry {
    let policy = |attrs: &Map<String, Value>, pointer: &str| {
        attribute(attrs, "DeliveryPolicy")
            .and_then(|p| serde_json::from_str::<Value>(p).ok())
            .and_then(|p| p.pointer(pointer).cloned())
    };
    let Some(p) =
        policy(subscription, "/healthyRetryPolicy").or_else(|| policy(topic, "/http/defaultHealthyRetryPolicy"))
    else {
        return Retry::HTTP_DEFAULT;
    };
    let n = |key: &str, default: u32| {
        p.get(key).and_then(Value::as_u64).and_then(|v| u32::try_from(v).ok()).unwrap_or(default)
    };
    let retries = n("numRetries", 3);
    let no_delay = n("numNoDelayRetries", 0);
    let min_delay = n("numMinDelayRetries", 0);
    let max_delay = n("numMaxDelayRetries", 0);
    let function = match p.get("backoffFunction").and_then(Value::as_str) {
        Some("arithmetic") => delivery::Backoff::Arithmetic,
        Some("geometric") => delivery::Backoff::Geometric,
        Some("exponential") => delivery::Backoff::Exponential,
        _ => delivery::Backoff::Linear,
    };
    Retry::Phases {
        no_delay,
        min_delay,
        backoff: retries.saturating_sub(no_delay + min_delay + max_delay),
        max_delay,
        min_delay_s: n("minDelayTarget", 20),
        max_delay_s: n("maxDelayTarget", 20),
        function,
    }
}

/// The signature version a topic signs with.
fn signature_version(topic: &Map<String, Value>) -> &'static str {
    if attribute(topic, "SignatureVersion") == Some("2") { "2" } else { "1" }
}

/// SNS's HTTP headers for a message to `subscription_arn` (none for confirmations).
fn http_headers(
    kind: &str,
    message_id: &str,
    topic_arn: &str,
    subscription_arn: Option<&str>,
    raw: bool,
) -> Vec<(String, String)> {
    let mut headers = vec![
        ("x-amz-sns-message-type".to_owned(), kind.to_owned()),
        ("x-amz-sns-message-id".to_owned(), message_id.to_owned()),
        ("x-amz-sns-topic-arn".to_owned(), topic_arn.to_owned()),
    ];
    if let Some(s) = subscription_arn {
        headers.push(("x-amz-sns-subscription-arn".to_owned(), s.to_owned()));
    }
    if raw {
        headers.push(("x-amz-sns-rawdelivery".to_owned(), "true".to_owned()));
    }
    headers
}

/// Signs notifications, once per distinct text.
struct NotificationSigner<'a> {
    signer: &'a Signer,
    version: &'static str,
    out: &'a Outgoing,
    topic_arn: &'a str,
    cache: HashMap<String, String>,
}

impl NotificationSigner<'_> {
    fn sign(&mut self, text: &str) -> Result<String, SnsError> {
        if let Some(s) = self.cache.get(text) {
            return Ok(s.clone());
        }
        let string_to_sign = Signed {
            message: text,
            message_id: &self.out.message_id,
            subject: self.out.subject.as_deref(),
            timestamp: &self.out.timestamp,
            topic_arn: self.topic_arn,
            kind: "Notification",
            ..Signed::default()
        }
        .string_to_sign();
        let signature = self.signer.sign(self.version, &string_to_sign)?;
        self.cache.insert(text.to_owned(), signature.clone());
        Ok(signature)
    }
}

/// What every subscriber's copy of one message shares.
struct Notification<'a> {
    env: &'a Env,
    topic: &'a Topic,
    topic_attrs: Map<String, Value>,
    display_name: String,
    cert_url: String,
    out: &'a Outgoing,
    signatures: NotificationSigner<'a>,
}

impl Notification<'_> {
    /// The delivery of the message to `sub`, or `None` when its filter policy keeps it out.
    fn for_subscription(&mut self, sub: &Subscription, now_ms: i64) -> Result<Option<Send>, SnsError> {
        let (out, topic) = (self.out, self.topic);
        let attrs = attributes_of(&sub.attributes);
        let text = out.text_for(&sub.protocol);
        if let Some(policy) = attribute(&attrs, "FilterPolicy") {
            let scope =
                attribute(&attrs, "FilterPolicyScope").and_then(Scope::parse).unwrap_or(Scope::MessageAttributes);
            if !filter::matches(policy, scope, text, &out.attributes) {
                return Ok(None);
            }
        }
        let raw = attribute(&attrs, "RawMessageDelivery") == Some("true");
        let unsubscribe = unsubscribe_url(self.env, &sub.arn);
        let mut send = new_send(self.env, sub, &topic.arn, now_ms, attribute(&attrs, "RedrivePolicy"));
        // Raw deliveries carry the message alone; the others SNS's signed envelope, which a
        // Lambda function gets inside its event.
        let body = |signatures: &mut NotificationSigner<'_>, for_lambda: bool| -> Result<String, SnsError> {
            if raw {
                return Ok(text.to_owned());
            }
            let signature = signatures.sign(text)?;
            let envelope = Envelope {
                kind: "Notification",
                message_id: &out.message_id,
                topic_arn: &topic.arn,
                subject: out.subject.as_deref(),
                message: text,
                timestamp: &out.timestamp,
                signature_version: signatures.version,
                signature: &signature,
                signing_cert_url: &self.cert_url,
                unsubscribe_url: Some(&unsubscribe),
                attributes: Some(&out.attributes),
                ..Envelope::default()
            };
            Ok(if for_lambda { message::lambda_event(&sub.arn, &envelope) } else { envelope.to_json() })
        };
        let subject = || Some(out.subject.clone().unwrap_or_else(|| message::DEFAULT_EMAIL_SUBJECT.to_owned()));
        let sender_name = Some(self.display_name.clone()).filter(|d| !d.is_empty());
        match sub.protocol.as_str() {
            "email" => {
                (send.subject, send.sender_name) = (subject(), sender_name);
                send.body = message::notification_email(text, &unsubscribe);
                send.retry = Retry::CUSTOMER_MANAGED;
            }
            "email-json" => {
                (send.subject, send.sender_name) = (subject(), sender_name);
                send.body = body(&mut self.signatures, false)?;
                send.retry = Retry::CUSTOMER_MANAGED;
            }
            "sms" => {
                send.body = message::sms_text(&self.display_name, text);
                send.retry = Retry::CUSTOMER_MANAGED;
            }
            "lambda" => {
                send.body = body(&mut self.signatures, true)?;
                send.retry = Retry::AWS_MANAGED;
            }
            "sqs" => {
                send.body = body(&mut self.signatures, false)?;
                if raw && !out.attributes.is_empty() {
                    send.attributes =
                        Some(Value::Object(out.attributes.iter().map(|(n, a)| (n.clone(), a.to_sqs())).collect()));
                }
                send.retry = Retry::AWS_MANAGED;
            }
            _ => {
                send.body = body(&mut self.signatures, false)?;
                send.headers = http_headers("Notification", &out.message_id, &topic.arn, Some(&sub.arn), raw);
                send.retry = http_retry(&attrs, &self.topic_attrs);
            }
        }
        Ok(Some(send))
    }
}

/// Queues `out` for every confirmed subscription of `topic` whose filter policy it passes, in
/// the caller's transaction; returns how many deliveries were queued.
pub async fn fan_out(
    env: &Env,
    conn: &mut store::Conn,
    signer: &Signer,
    topic: &Topic,
    out: &Outgoing,
    now_ms: i64,
) -> Result<usize, SnsError> {
    let topic_attrs = topic_attributes(topic);
    let signatures = NotificationSigner {
        signer,
        version: signature_version(&topic_attrs),
        out,
        topic_arn: &topic.arn,
        cache: HashMap::new(),
    };
    let mut notification = Notification {
        env,
        topic,
        display_name: attribute(&topic_attrs, "DisplayName").unwrap_or_default().to_owned(),
        topic_attrs,
        cert_url: signer.certificate_url(&env.public_url),
        out,
        signatures,
    };
    let mut queued = 0;
    let mut after = String::new();
    loop {
        let page = store::sns::topic_subscriptions(conn, &topic.arn, &after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after.clone_from(&last.arn);
        for sub in page.iter().filter(|s| s.confirmed) {
            let Some(send) = notification.for_subscription(sub, now_ms)? else { continue };
            let new = NewDelivery {
                id: &send.delivery_id,
                source: &topic.arn,
                destination: &sub.arn,
                protocol: &sub.protocol,
                endpoint: &sub.endpoint,
                message_id: &out.message_id,
                message_type: "Notification",
            };
            delivery::enqueue(conn, job_kind(&sub.protocol), &new, &send, now_ms, now_ms).await?;
            queued += 1;
        }
    }
    Ok(queued)
}

fn new_send(env: &Env, sub: &Subscription, topic_arn: &str, now_ms: i64, redrive: Option<&str>) -> Send {
    Send {
        delivery_id: env.ids.uuid(),
        endpoint: sub.endpoint.clone(),
        subject: None,
        sender_name: None,
        body: String::new(),
        headers: Vec::new(),
        attributes: None,
        principal: PRINCIPAL.to_owned(),
        source_arn: topic_arn.to_owned(),
        retry: Retry::HTTP_DEFAULT,
        dead_letter: redrive
            .and_then(|r| serde_json::from_str::<Value>(r).ok())
            .and_then(|r| r.get("deadLetterTargetArn").and_then(Value::as_str).map(str::to_owned)),
        created_ms: now_ms,
        hops: 0,
    }
}

/// Queues the confirmation request of a pending subscription, carrying `token`.
pub(crate) async fn confirmation(
    env: &Env,
    conn: &mut store::Conn,
    signer: &Signer,
    topic: &Topic,
    sub: &Subscription,
    token: &str,
    now_ms: i64,
) -> Result<(), SnsError> {
    let topic_attrs = topic_attributes(topic);
    let message_id = env.ids.uuid();
    let url = subscribe_url(env, &topic.arn, token);
    let text = message::confirmation_text(&topic.arn);
    let timestamp = message::timestamp(now_ms);
    let version = signature_version(&topic_attrs);
    let signature = signer.sign(
        version,
        &Signed {
            message: &text,
            message_id: &message_id,
            subscribe_url: Some(&url),
            timestamp: &timestamp,
            token: Some(token),
            topic_arn: &topic.arn,
            kind: "SubscriptionConfirmation",
            ..Signed::default()
        }
        .string_to_sign(),
    )?;
    let cert_url = signer.certificate_url(&env.public_url);
    let json = Envelope {
        kind: "SubscriptionConfirmation",
        message_id: &message_id,
        token: Some(token),
        topic_arn: &topic.arn,
        message: &text,
        subscribe_url: Some(&url),
        timestamp: &timestamp,
        signature_version: version,
        signature: &signature,
        signing_cert_url: &cert_url,
        ..Envelope::default()
    }
    .to_json();
    let mut send = new_send(env, sub, &topic.arn, now_ms, None);
    send.retry = Retry::CUSTOMER_MANAGED;
    match sub.protocol.as_str() {
        "email" => {
            send.subject = Some(message::CONFIRMATION_EMAIL_SUBJECT.to_owned());
            send.sender_name = attribute(&topic_attrs, "DisplayName").map(str::to_owned);
            send.body = message::confirmation_email(&topic.arn, &url);
        }
        "email-json" => {
            send.subject = Some(message::CONFIRMATION_EMAIL_SUBJECT.to_owned());
            send.sender_name = attribute(&topic_attrs, "DisplayName").map(str::to_owned);
            send.body = json;
        }
        "sqs" => {
            send.body = json;
            send.retry = Retry::AWS_MANAGED;
        }
        _ => {
            send.body = json;
            send.headers = http_headers("SubscriptionConfirmation", &message_id, &topic.arn, None, false);
            send.retry = http_retry(&attributes_of(&sub.attributes), &topic_attrs);
        }
    }
    let new = NewDelivery {
        id: &send.delivery_id,
        source: &topic.arn,
        destination: &sub.arn,
        protocol: &sub.protocol,
        endpoint: &sub.endpoint,
        message_id: &message_id,
        message_type: "SubscriptionConfirmation",
    };
    delivery::enqueue(conn, job_kind(&sub.protocol), &new, &send, now_ms, now_ms).await?;
    Ok(())
}

/// Queues an SMS straight to a phone number (Publish with PhoneNumber).
pub(crate) async fn to_phone(
    env: &Env,
    conn: &mut store::Conn,
    source: &str,
    phone: &str,
    out: &Outgoing,
    now_ms: i64,
) -> Result<(), SnsError> {
    let send = Send {
        delivery_id: env.ids.uuid(),
        endpoint: phone.to_owned(),
        subject: None,
        sender_name: None,
        body: out.text_for("sms").to_owned(),
        headers: Vec::new(),
        attributes: None,
        principal: PRINCIPAL.to_owned(),
        source_arn: source.to_owned(),
        retry: Retry::CUSTOMER_MANAGED,
        dead_letter: None,
        created_ms: now_ms,
        hops: 0,
    };
    let new = NewDelivery {
        id: &send.delivery_id,
        source,
        destination: phone,
        protocol: "sms",
        endpoint: phone,
        message_id: &out.message_id,
        message_type: "Notification",
    };
    delivery::enqueue(conn, delivery::SMS_JOB, &new, &send, now_ms, now_ms).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_retry_policies() {
        assert_eq!(http_retry(&Map::new(), &Map::new()), Retry::HTTP_DEFAULT);
        let topic = attributes_of(
            &serde_json::json!({"DeliveryPolicy": r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":10,"numNoDelayRetries":2,"backoffFunction":"exponential"}}}"#}).to_string(),
        );
        assert_eq!(
            http_retry(&Map::new(), &topic),
            Retry::Phases {
                no_delay: 2,
                min_delay: 0,
                backoff: 8,
                max_delay: 0,
                min_delay_s: 1,
                max_delay_s: 60,
                function: delivery::Backoff::Exponential
            }
        );
        let sub = attributes_of(
            &serde_json::json!({"DeliveryPolicy": r#"{"healthyRetryPolicy":{"numRetries":0}}"#}).to_string(),
        );
        assert!(matches!(http_retry(&sub, &topic), Retry::Phases { backoff: 0, .. }));
    }

    #[test]
    fn structured_messages_pick_the_protocol_s_text() {
        let out = Outgoing {
            message_id: "m".into(),
            message: "default".into(),
            per_protocol: serde_json::from_str(r#"{"default": "default", "sms": "short"}"#).ok(),
            subject: None,
            attributes: Attributes::new(),
            timestamp: String::new(),
        };
        assert_eq!(out.text_for("sms"), "short");
        assert_eq!(out.text_for("email"), "default");
    }
}
