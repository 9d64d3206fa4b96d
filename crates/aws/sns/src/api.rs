//! The SNS operations.

use super::filter::{self, Scope};
use super::message::{self, Attributes};
use super::publish::{self, Outgoing, attributes_of, topic_attributes};
use super::{Sns, SnsError, TopicArn, ops};
use aws_core::authz;
use aws_core::error::CommonError;
use aws_core::ports::Functions;
use aws_core::service::{self, Check, Ctx};
use base64::Engine as _;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use store::StoreError;
use store::sns::{self as db, Subscription, Topic};

/// Items per page of the List operations.
const PAGE_SIZE: i64 = 100;
/// Tags a topic may carry.
const MAX_TAGS: usize = 50;
/// How long a confirmation token stays valid: three days.
const TOKEN_TTL_MS: i64 = 3 * 86_400_000;
/// Bytes of randomness in a confirmation token (hex-encoded, twice as many characters).
const TOKEN_BYTES: usize = 64;

const TOPIC_ATTRIBUTES: [&str; 6] =
    ["DisplayName", "Policy", "DeliveryPolicy", "KmsMasterKeyId", "SignatureVersion", "TracingConfig"];
const SUBSCRIPTION_ATTRIBUTES: [&str; 6] = [
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
];

/// SNS's default EffectiveDeliveryPolicy.
const DEFAULT_EFFECTIVE_DELIVERY_POLICY: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#;

fn not_found_topic() -> SnsError {
    SnsError::NotFound("Topic does not exist".into())
}

/// AWS's default topic policy: the owner account may do everything.
fn default_policy(topic: &Topic) -> String {
    json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
                "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"
            ],
            "Resource": topic.arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": topic.account_id}}
        }]
    })
    .to_string()
}

/// The topic's policy as it takes part in decisions: the one set, else AWS's default.
pub(crate) fn topic_policy(topic: &Topic) -> String {
    topic_attributes(topic).get("Policy").and_then(Value::as_str).map_or_else(|| default_policy(topic), str::to_owned)
}

async fn reader(ctx: &Ctx<'_>) -> Result<store::ReadConn, SnsError> {
    Ok(ctx.env.store.read().await?)
}

/// Parses a topic ARN of the caller's region (anonymous callers may name any).
fn topic_arn(ctx: &Ctx<'_>, arn: &str, field: &str) -> Result<TopicArn, SnsError> {
    let parsed = TopicArn::parse(arn, field)?;
    if !ctx.caller.is_anonymous() && parsed.region != ctx.region {
        return Err(SnsError::invalid(field));
    }
    Ok(parsed)
}

async fn existing_topic(ctx: &Ctx<'_>, arn: &str) -> Result<Topic, SnsError> {
    topic_arn(ctx, arn, "TopicArn")?;
    db::topic(&mut *reader(ctx).await?, arn).await?.ok_or_else(not_found_topic)
}

fn encode_token(last: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(last)
}

fn decode_token(token: Option<&str>) -> Result<String, SnsError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else { return Ok(String::new()) };
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| SnsError::invalid("NextToken"))
}

// ---------------------------------------------------------------------------------------------
// Topics

fn valid_topic_name(name: &str) -> bool {
    (1..=256).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Checks one topic attribute; `Err` is SNS's message.
fn check_topic_attribute(name: &str, value: &str, topic_arn: &str) -> Result<(), SnsError> {
    match name {
        "Policy" => {
            policy::Policy::parse(value, policy::PolicyKind::Resource)
                .map_err(|e| SnsError::invalid(format!("Policy Error: {e}")))?;
        }
        "DeliveryPolicy" => {
            let parsed: Value =
                serde_json::from_str(value).map_err(|_| SnsError::invalid("DeliveryPolicy: failed to parse JSON."))?;
            if !parsed.is_object() {
                return Err(SnsError::invalid("DeliveryPolicy"));
            }
        }
        "SignatureVersion" if value != "1" && value != "2" => {
            return Err(SnsError::invalid(format!(
                "Attributes Reason: SignatureVersion: Invalid value [{value}]. Valid values are 1 and 2"
            )));
        }
        "FifoTopic" | "ContentBasedDeduplication" if value == "true" => {
            return Err(SnsError::invalid(format!(
                "Attributes Reason: FIFO topics are not supported by spcred ({topic_arn})"
            )));
        }
        _ => {}
    }
    Ok(())
}

pub(super) async fn create_topic(ctx: &Ctx<'_>, input: ops::CreateTopicInput) -> Result<Value, SnsError> {
    if !valid_topic_name(&input.name) {
        return Err(SnsError::invalid("Topic Name"));
    }
    let arn = format!("arn:aws:sns:{}:{}:{}", ctx.region, ctx.account(), input.name);
    let mut attributes = Map::new();
    for (name, text) in input.attributes.unwrap_or_default() {
        check_topic_attribute(&name, &text, &arn)?;
        if name == "FifoTopic" || name == "ContentBasedDeduplication" {
            continue;
        }
        if !TOPIC_ATTRIBUTES.contains(&name.as_str()) {
            return Err(SnsError::invalid("Attributes Reason: Unknown attribute"));
        }
        attributes.insert(name, Value::String(text));
    }
    let input_tags = input.tags.unwrap_or_default();
    let mut tags = Vec::with_capacity(input_tags.len());
    for tag in input_tags {
        if tags.iter().any(|(k, _): &(String, String)| *k == tag.key) {
            return Err(SnsError::invalid("Duplicated keys are not allowed."));
        }
        tags.push((tag.key, tag.value));
    }
    if tags.len() > MAX_TAGS {
        return Err(SnsError::TagLimitExceeded(
            "Could not complete request: tag quota of per resource exceeded".into(),
        ));
    }
    let topic = Topic {
        arn: arn.clone(),
        account_id: ctx.account().to_owned(),
        region: ctx.region.to_owned(),
        name: input.name,
        attributes: Value::Object(attributes.clone()).to_string(),
        subscriptions_deleted: 0,
        created_ms: ctx.now_ms,
    };
    let mut tx = ctx.env.store.begin().await?;
    if db::create_topic(&mut tx, &topic).await? {
        store::tags::SNS.put(&mut tx, &arn, &tags).await?;
    } else {
        // CreateTopic is idempotent for the same attributes and tags.
        let existing = db::topic(&mut tx, &arn).await?.ok_or_else(not_found_topic)?;
        let existing_attrs = topic_attributes(&existing);
        if attributes.iter().any(|(k, v)| existing_attrs.get(k) != Some(v)) {
            return Err(SnsError::invalid("Attributes Reason: Topic already exists with different attributes"));
        }
        let existing_tags = store::tags::SNS.list(&mut tx, &arn).await?;
        if tags.iter().any(|t| !existing_tags.contains(t)) {
            return Err(SnsError::invalid("Tags Reason: Topic already exists with different tags"));
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(service::output(&ops::CreateTopicResponse { topic_arn: Some(arn) })?)
}

pub(super) async fn delete_topic(ctx: &Ctx<'_>, input: ops::DeleteTopicInput) -> Result<Value, SnsError> {
    topic_arn(ctx, &input.topic_arn, "TopicArn")?;
    let mut tx = ctx.env.store.begin().await?;
    // Deleting a topic that does not exist is not an error ("This action is idempotent").
    db::delete_topic(&mut tx, &input.topic_arn).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(json!({}))
}

pub(super) async fn get_topic_attributes(
    ctx: &Ctx<'_>,
    input: ops::GetTopicAttributesInput,
) -> Result<Value, SnsError> {
    let topic = existing_topic(ctx, &input.topic_arn).await?;
    let (confirmed, pending) = db::subscription_counts(&mut *reader(ctx).await?, &topic.arn).await?;
    let attrs = topic_attributes(&topic);
    let mut out: BTreeMap<String, String> = BTreeMap::from([
        ("Policy".into(), topic_policy(&topic)),
        ("Owner".into(), topic.account_id.clone()),
        ("SubscriptionsPending".into(), pending.to_string()),
        ("TopicArn".into(), topic.arn.clone()),
        ("EffectiveDeliveryPolicy".into(), effective_delivery_policy(&attrs)),
        ("SubscriptionsConfirmed".into(), confirmed.to_string()),
        ("DisplayName".into(), attrs.get("DisplayName").and_then(Value::as_str).unwrap_or_default().to_owned()),
        ("SubscriptionsDeleted".into(), topic.subscriptions_deleted.to_string()),
    ]);
    for name in ["DeliveryPolicy", "KmsMasterKeyId", "SignatureVersion", "TracingConfig"] {
        if let Some(v) = attrs.get(name).and_then(Value::as_str) {
            out.insert(name.to_owned(), v.to_owned());
        }
    }
    Ok(service::output(&ops::GetTopicAttributesResponse { attributes: Some(out) })?)
}

/// The topic's DeliveryPolicy laid over SNS's default.
fn effective_delivery_policy(attrs: &Map<String, Value>) -> String {
    let mut effective: Value = serde_json::from_str(DEFAULT_EFFECTIVE_DELIVERY_POLICY).unwrap_or_default();
    let given = attrs.get("DeliveryPolicy").and_then(Value::as_str).and_then(|p| serde_json::from_str::<Value>(p).ok());
    if let (Some(Value::Object(http)), Some(target)) =
        (given.as_ref().and_then(|g| g.get("http")).cloned(), effective.get_mut("http"))
    {
        for (key, value) in http {
            match (target.get_mut(&key), value) {
                (Some(Value::Object(existing)), Value::Object(overrides)) => existing.extend(overrides),
                (_, value) => target[key] = value,
            }
        }
    }
    effective.to_string()
}

pub(super) async fn set_topic_attributes(
    ctx: &Ctx<'_>,
    input: ops::SetTopicAttributesInput,
) -> Result<Value, SnsError> {
    let topic = existing_topic(ctx, &input.topic_arn).await?;
    if !TOPIC_ATTRIBUTES.contains(&input.attribute_name.as_str()) {
        return Err(SnsError::invalid("AttributeName"));
    }
    let value = input.attribute_value.unwrap_or_default();
    let mut attrs = topic_attributes(&topic);
    if value.is_empty() && input.attribute_name != "DisplayName" {
        attrs.remove(&input.attribute_name);
    } else {
        check_topic_attribute(&input.attribute_name, &value, &topic.arn)?;
        attrs.insert(input.attribute_name, Value::String(value));
    }
    let mut tx = ctx.env.store.begin().await?;
    db::set_topic_attributes(&mut tx, &topic.arn, &Value::Object(attrs).to_string()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(json!({}))
}

pub(super) async fn list_topics(ctx: &Ctx<'_>, input: ops::ListTopicsInput) -> Result<Value, SnsError> {
    let after = decode_token(input.next_token.as_deref())?;
    let mut arns = db::list_topics(&mut *reader(ctx).await?, ctx.account(), ctx.region, &after, PAGE_SIZE + 1).await?;
    let more = arns.len() > usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    arns.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
    let next_token = more.then(|| encode_token(arns.last().map_or("", String::as_str)));
    let topics = arns.into_iter().map(|a| ops::Topic { topic_arn: Some(a) }).collect();
    Ok(service::output(&ops::ListTopicsResponse { next_token, topics: Some(topics) })?)
}

async fn save_policy(ctx: &Ctx<'_>, topic: &Topic, policy: &Value) -> Result<(), SnsError> {
    let mut attrs = topic_attributes(topic);
    attrs.insert("Policy".into(), Value::String(policy.to_string()));
    let mut tx = ctx.env.store.begin().await?;
    db::set_topic_attributes(&mut tx, &topic.arn, &Value::Object(attrs).to_string()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

pub(super) async fn add_permission(ctx: &Ctx<'_>, input: ops::AddPermissionInput) -> Result<Value, SnsError> {
    let topic = existing_topic(ctx, &input.topic_arn).await?;
    let mut policy: Value = serde_json::from_str(&topic_policy(&topic)).unwrap_or_else(|_| json!({"Statement": []}));
    let statements =
        policy.get_mut("Statement").and_then(Value::as_array_mut).ok_or_else(|| SnsError::invalid("Policy"))?;
    if statements.iter().any(|s| s.get("Sid").and_then(Value::as_str) == Some(input.label.as_str())) {
        return Err(SnsError::invalid("Statement already exists"));
    }
    let principals: Vec<String> = input.aws_account_id.iter().map(|a| format!("arn:aws:iam::{a}:root")).collect();
    let actions: Vec<String> = input.action_name.iter().map(|a| format!("SNS:{a}")).collect();
    statements.push(json!({
        "Sid": input.label,
        "Effect": "Allow",
        "Principal": {"AWS": principals},
        "Action": actions,
        "Resource": topic.arn,
    }));
    save_policy(ctx, &topic, &policy).await?;
    Ok(json!({}))
}

pub(super) async fn remove_permission(ctx: &Ctx<'_>, input: ops::RemovePermissionInput) -> Result<Value, SnsError> {
    let topic = existing_topic(ctx, &input.topic_arn).await?;
    let mut policy: Value = serde_json::from_str(&topic_policy(&topic)).unwrap_or_else(|_| json!({"Statement": []}));
    let statements =
        policy.get_mut("Statement").and_then(Value::as_array_mut).ok_or_else(|| SnsError::invalid("Policy"))?;
    let before = statements.len();
    statements.retain(|s| s.get("Sid").and_then(Value::as_str) != Some(input.label.as_str()));
    if statements.len() == before {
        return Err(SnsError::invalid("Statement does not exist"));
    }
    save_policy(ctx, &topic, &policy).await?;
    Ok(json!({}))
}

// ---------------------------------------------------------------------------------------------
// Subscriptions

const PROTOCOLS: [&str; 9] =
    ["http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"];

fn valid_email(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else { return false };
    !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && address.len() <= 254
        && !address.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

/// An E.164 number from what a caller wrote (`+1 206-555-0100` and such), if it is one.
fn normalize_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '/')).collect();
    let rest = digits.strip_prefix('+').unwrap_or(&digits);
    let valid = (8..=15).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit()) && !rest.starts_with('0');
    valid.then(|| format!("+{rest}"))
}

/// Checks the endpoint for `protocol`; returns it as stored.
fn check_endpoint(functions: &dyn Functions, protocol: &str, endpoint: Option<&str>) -> Result<String, SnsError> {
    if !PROTOCOLS.contains(&protocol) {
        return Err(SnsError::invalid(format!("Amazon SNS does not support this protocol string: {protocol}")));
    }
    if matches!(protocol, "application" | "firehose") {
        return Err(SnsError::invalid(format!("Protocol {protocol} is not supported by spcred")));
    }
    let Some(endpoint) = endpoint.filter(|e| !e.is_empty()) else {
        return Err(SnsError::NotFound("Endpoint not specified in subscription".into()));
    };
    match protocol {
        "http" | "https" => {
            let url = url::Url::parse(endpoint).ok().filter(|u| u.scheme() == protocol && u.host().is_some());
            url.map(|_| endpoint.to_owned())
                .ok_or_else(|| SnsError::invalid("Endpoint must match the specified protocol"))
        }
        "email" | "email-json" => {
            valid_email(endpoint).then(|| endpoint.to_owned()).ok_or_else(|| SnsError::invalid("Email address"))
        }
        "sms" => normalize_phone(endpoint)
            .ok_or_else(|| SnsError::InvalidParameter(format!("Invalid SMS endpoint: {endpoint}"))),
        "lambda" => functions
            .parse_arn(endpoint)
            .map(|_| endpoint.to_owned())
            .ok_or_else(|| SnsError::invalid("Lambda endpoint ARN")),
        _ => {
            let parts: Vec<&str> = endpoint.split(':').collect();
            match parts.as_slice() {
                ["arn", _, "sqs", region, account, name]
                    if !region.is_empty() && !account.is_empty() && !name.is_empty() =>
                {
                    Ok(endpoint.to_owned())
                }
                _ => Err(SnsError::invalid("SQS endpoint ARN")),
            }
        }
    }
}

/// Checks one subscription attribute for a subscription over `protocol`; `prefix` is
/// `Attributes Reason: ` on Subscribe and empty on SetSubscriptionAttributes.
fn check_subscription_attribute(
    name: &str,
    value: &str,
    protocol: &str,
    scope: Scope,
    prefix: &str,
) -> Result<(), SnsError> {
    if !SUBSCRIPTION_ATTRIBUTES.contains(&name) {
        return Err(SnsError::invalid(format!("{prefix}AttributeName")));
    }
    match name {
        "RawMessageDelivery" => {
            if !value.eq_ignore_ascii_case("true") && !value.eq_ignore_ascii_case("false") {
                return Err(SnsError::invalid(format!(
                    "{prefix}RawMessageDelivery: Invalid value [{value}]. Must be true or false."
                )));
            }
            if !matches!(protocol, "http" | "https" | "sqs") {
                return Err(SnsError::invalid(format!(
                    "{prefix}Delivery protocol [{protocol}] does not support raw message delivery."
                )));
            }
        }
        "FilterPolicy" if !value.is_empty() => {
            filter::validate(value, scope)
                .map_err(|reason| SnsError::invalid(format!("{prefix}FilterPolicy: {reason}")))?;
        }
        "FilterPolicyScope" if Scope::parse(value).is_none() => {
            return Err(SnsError::invalid(format!(
                "{prefix}FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes"
            )));
        }
        "RedrivePolicy" if !value.is_empty() => {
            let target = serde_json::from_str::<Value>(value)
                .map_err(|_| SnsError::invalid(format!("{prefix}RedrivePolicy: failed to parse JSON.")))?;
            let arn = target.get("deadLetterTargetArn").and_then(Value::as_str).unwrap_or_default();
            if !arn.starts_with("arn:") || arn.split(':').nth(2) != Some("sqs") {
                return Err(SnsError::invalid(format!("{prefix}RedrivePolicy: deadLetterTargetArn is an invalid arn")));
            }
        }
        "DeliveryPolicy" if !value.is_empty() => {
            serde_json::from_str::<Value>(value)
                .ok()
                .filter(Value::is_object)
                .ok_or_else(|| SnsError::invalid(format!("{prefix}DeliveryPolicy: failed to parse JSON.")))?;
        }
        _ => {}
    }
    Ok(())
}

/// A new confirmation token and its keyed hash.
fn new_token(ctx: &Ctx<'_>) -> (String, [u8; 32]) {
    let token = ctx.env.ids.hex(TOKEN_BYTES);
    let mac = ctx.env.verifier.mac(token.as_bytes());
    (token, mac)
}

pub(super) async fn subscribe(sns: &Sns, ctx: &Ctx<'_>, input: ops::SubscribeInput) -> Result<Value, SnsError> {
    let topic = existing_topic(ctx, &input.topic_arn).await?;
    let functions = ctx.env.port::<dyn Functions>()?;
    let endpoint = check_endpoint(&*functions, &input.protocol, input.endpoint.as_deref())?;
    let mut attributes = Map::new();
    let given = input.attributes.unwrap_or_default();
    let return_arn = input.return_subscription_arn.unwrap_or(false);
    let scope = given.get("FilterPolicyScope").and_then(|v| Scope::parse(v)).unwrap_or(Scope::MessageAttributes);
    for (name, text) in &given {
        check_subscription_attribute(name, text, &input.protocol, scope, "Attributes Reason: ")?;
        let text = if name == "RawMessageDelivery" { text.to_ascii_lowercase() } else { text.to_owned() };
        attributes.insert(name.clone(), Value::String(text));
    }
    let signer = sns.signer(ctx.env).await?;
    let mut tx = ctx.env.store.begin().await?;
    db::purge_tokens(&mut tx, ctx.now_ms).await?;
    if let Some(existing) = db::find_subscription(&mut tx, &topic.arn, &input.protocol, &endpoint).await? {
        let current = attributes_of(&existing.attributes);
        if attributes.iter().any(|(k, v)| current.get(k) != Some(v)) {
            return Err(SnsError::invalid("Attributes Reason: Subscription already exists with different attributes"));
        }
        if !existing.confirmed {
            // Subscribing again asks again.
            let (token, mac) = new_token(ctx);
            db::insert_token(&mut tx, &mac, &existing.arn, ctx.now_ms + TOKEN_TTL_MS).await?;
            publish::confirmation(ctx.env, &mut tx, &signer, &topic, &existing, &token, ctx.now_ms).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        ctx.env.work_queued.notify_one();
        let arn = if existing.confirmed || return_arn { existing.arn } else { "pending confirmation".into() };
        return Ok(service::output(&ops::SubscribeResponse { subscription_arn: Some(arn) })?);
    }
    // SMS, and queues and functions of the topic's account, need no confirmation; everything
    // else does.
    let confirmed = input.protocol == "sms"
        || (matches!(input.protocol.as_str(), "sqs" | "lambda")
            && endpoint.split(':').nth(4) == Some(topic.account_id.as_str()));
    let sub = Subscription {
        arn: format!("{}:{}", topic.arn, ctx.env.ids.uuid()),
        topic_arn: topic.arn.clone(),
        owner: ctx.account().to_owned(),
        region: topic.region.clone(),
        protocol: input.protocol,
        endpoint,
        confirmed,
        authenticated: confirmed,
        attributes: Value::Object(attributes).to_string(),
        created_ms: ctx.now_ms,
    };
    db::insert_subscription(&mut tx, &sub).await?;
    if !confirmed {
        let (token, mac) = new_token(ctx);
        db::insert_token(&mut tx, &mac, &sub.arn, ctx.now_ms + TOKEN_TTL_MS).await?;
        publish::confirmation(ctx.env, &mut tx, &signer, &topic, &sub, &token, ctx.now_ms).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    ctx.env.work_queued.notify_one();
    let arn = if confirmed || return_arn { sub.arn } else { "pending confirmation".into() };
    Ok(service::output(&ops::SubscribeResponse { subscription_arn: Some(arn) })?)
}

pub(super) async fn confirm_subscription(
    ctx: &Ctx<'_>,
    input: ops::ConfirmSubscriptionInput,
) -> Result<Value, SnsError> {
    topic_arn(ctx, &input.topic_arn, "TopicArn")?;
    let mac = ctx.env.verifier.mac(input.token.as_bytes());
    let mut tx = ctx.env.store.begin().await?;
    let sub_arn = db::token_subscription(&mut tx, &mac, ctx.now_ms).await?.ok_or_else(|| SnsError::invalid("Token"))?;
    let sub = db::subscription(&mut tx, &sub_arn)
        .await?
        .filter(|s| s.topic_arn == input.topic_arn)
        .ok_or_else(|| SnsError::invalid("Token"))?;
    if !sub.confirmed {
        // Only a signed confirmation can make unsubscribing need a signature.
        let authenticated = !ctx.caller.is_anonymous()
            && input.authenticate_on_unsubscribe.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("true"));
        db::confirm(&mut tx, &sub.arn, authenticated).await?;
        tx.commit().await.map_err(StoreError::from)?;
    }
    Ok(service::output(&ops::ConfirmSubscriptionResponse { subscription_arn: Some(sub.arn) })?)
}

pub(super) async fn unsubscribe(ctx: &Ctx<'_>, input: ops::UnsubscribeInput) -> Result<Value, SnsError> {
    TopicArn::of_subscription(&input.subscription_arn)?;
    let mut tx = ctx.env.store.begin().await?;
    let Some(sub) = db::subscription(&mut tx, &input.subscription_arn).await? else { return Ok(json!({})) };
    if ctx.caller.is_anonymous() && sub.authenticated {
        return Err(SnsError::Common(authz::denied(&ctx.caller.arn, &Check::new("SNS:Unsubscribe", &sub.arn))));
    }
    db::delete_subscription(&mut tx, &sub.arn).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(json!({}))
}

fn subscription_summary(sub: Subscription) -> ops::Subscription {
    ops::Subscription {
        subscription_arn: Some(if sub.confirmed { sub.arn } else { "PendingConfirmation".into() }),
        owner: Some(sub.owner),
        protocol: Some(sub.protocol),
        endpoint: Some(sub.endpoint),
        topic_arn: Some(sub.topic_arn),
    }
}

/// One page of subscriptions and the token of the next, if there is one.
fn subscription_page(mut subs: Vec<Subscription>) -> ops::ListSubscriptionsResponse {
    let limit = usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    let more = subs.len() > limit;
    subs.truncate(limit);
    let next_token = more.then(|| encode_token(subs.last().map_or("", |s| s.arn.as_str())));
    ops::ListSubscriptionsResponse {
        next_token,
        subscriptions: Some(subs.into_iter().map(subscription_summary).collect()),
    }
}

pub(super) async fn list_subscriptions(ctx: &Ctx<'_>, input: ops::ListSubscriptionsInput) -> Result<Value, SnsError> {
    let after = decode_token(input.next_token.as_deref())?;
    let subs =
        db::owner_subscriptions(&mut *reader(ctx).await?, ctx.account(), ctx.region, &after, PAGE_SIZE + 1).await?;
    Ok(service::output(&subscription_page(subs))?)
}

pub(super) async fn list_subscriptions_by_topic(
    ctx: &Ctx<'_>,
    input: ops::ListSubscriptionsByTopicInput,
) -> Result<Value, SnsError> {
    let topic = existing_topic(ctx, &input.topic_arn).await?;
    let after = decode_token(input.next_token.as_deref())?;
    let subs = db::topic_subscriptions(&mut *reader(ctx).await?, &topic.arn, &after, PAGE_SIZE + 1).await?;
    let ops::ListSubscriptionsResponse { next_token, subscriptions } = subscription_page(subs);
    Ok(service::output(&ops::ListSubscriptionsByTopicResponse { next_token, subscriptions })?)
}

async fn existing_subscription(ctx: &Ctx<'_>, arn: &str) -> Result<Subscription, SnsError> {
    TopicArn::of_subscription(arn)?;
    db::subscription(&mut *reader(ctx).await?, arn)
        .await?
        .ok_or_else(|| SnsError::NotFound("Subscription does not exist".into()))
}

pub(super) async fn get_subscription_attributes(
    ctx: &Ctx<'_>,
    input: ops::GetSubscriptionAttributesInput,
) -> Result<Value, SnsError> {
    let sub = existing_subscription(ctx, &input.subscription_arn).await?;
    let attrs = attributes_of(&sub.attributes);
    let text = |name: &str| attrs.get(name).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_owned);
    let mut out: BTreeMap<String, String> = BTreeMap::from([
        ("SubscriptionArn".into(), sub.arn.clone()),
        ("TopicArn".into(), sub.topic_arn.clone()),
        ("Owner".into(), sub.owner.clone()),
        ("Protocol".into(), sub.protocol.clone()),
        ("Endpoint".into(), sub.endpoint.clone()),
        ("ConfirmationWasAuthenticated".into(), sub.authenticated.to_string()),
        ("PendingConfirmation".into(), (!sub.confirmed).to_string()),
        ("RawMessageDelivery".into(), text("RawMessageDelivery").unwrap_or_else(|| "false".into())),
    ]);
    if sub.protocol.starts_with("http") {
        let topic = db::topic(&mut *reader(ctx).await?, &sub.topic_arn).await?;
        let topic_attrs = topic.as_ref().map(topic_attributes).unwrap_or_default();
        let effective: Value = serde_json::from_str(&effective_delivery_policy(&topic_attrs)).unwrap_or_default();
        let mut policy = effective.get("http").cloned().unwrap_or_default();
        if let Some(Value::Object(own)) = text("DeliveryPolicy").and_then(|p| serde_json::from_str::<Value>(&p).ok())
            && let (Some(Value::Object(retry)), Some(Value::Object(base))) =
                (own.get("healthyRetryPolicy"), policy.get_mut("defaultHealthyRetryPolicy"))
        {
            base.extend(retry.clone());
        }
        out.insert(
            "EffectiveDeliveryPolicy".into(),
            json!({"healthyRetryPolicy": policy.get("defaultHealthyRetryPolicy")}).to_string(),
        );
    }
    if let Some(policy) = text("FilterPolicy") {
        out.insert("FilterPolicy".into(), policy);
        out.insert("FilterPolicyScope".into(), text("FilterPolicyScope").unwrap_or_else(|| "MessageAttributes".into()));
    }
    for name in ["RedrivePolicy", "DeliveryPolicy", "SubscriptionRoleArn"] {
        if let Some(v) = text(name) {
            out.insert(name.to_owned(), v);
        }
    }
    Ok(service::output(&ops::GetSubscriptionAttributesResponse { attributes: Some(out) })?)
}

pub(super) async fn set_subscription_attributes(
    ctx: &Ctx<'_>,
    input: ops::SetSubscriptionAttributesInput,
) -> Result<Value, SnsError> {
    let sub = existing_subscription(ctx, &input.subscription_arn).await?;
    let mut attrs = attributes_of(&sub.attributes);
    let value = input.attribute_value.unwrap_or_default();
    let scope = if input.attribute_name == "FilterPolicyScope" {
        Scope::parse(&value)
    } else {
        attrs.get("FilterPolicyScope").and_then(Value::as_str).and_then(Scope::parse)
    }
    .unwrap_or(Scope::MessageAttributes);
    check_subscription_attribute(&input.attribute_name, &value, &sub.protocol, scope, "")?;
    if input.attribute_name == "FilterPolicyScope" {
        // The policy in place must suit the new scope.
        if let Some(policy) = attrs.get("FilterPolicy").and_then(Value::as_str).filter(|p| !p.is_empty()) {
            filter::validate(policy, scope).map_err(|reason| SnsError::invalid(format!("FilterPolicy: {reason}")))?;
        }
    }
    if value.is_empty() {
        attrs.remove(&input.attribute_name);
    } else {
        let value = if input.attribute_name == "RawMessageDelivery" { value.to_ascii_lowercase() } else { value };
        attrs.insert(input.attribute_name, Value::String(value));
    }
    let mut tx = ctx.env.store.begin().await?;
    db::set_subscription_attributes(&mut tx, &sub.arn, &Value::Object(attrs).to_string()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(json!({}))
}

// ---------------------------------------------------------------------------------------------
// Publishing

/// A checked message, ready to fan out.
fn outgoing(
    ctx: &Ctx<'_>,
    message: String,
    subject: Option<String>,
    structure: Option<&str>,
    attributes: Attributes,
    dedup: Option<&str>,
    group: Option<&str>,
) -> Result<Outgoing, SnsError> {
    if message.is_empty() {
        return Err(SnsError::invalid("Empty message"));
    }
    if let Some(s) = &subject
        && (s.is_empty() || s.chars().count() > 100 || s.chars().any(|c| c.is_control() || !c.is_ascii()))
    {
        return Err(SnsError::invalid("Subject"));
    }
    message::check_attributes(&attributes).map_err(SnsError::ParameterValueInvalid)?;
    if message::publish_size(&message, &attributes) > message::MAX_MESSAGE_BYTES {
        return Err(SnsError::invalid("Message too long"));
    }
    if dedup.is_some() {
        return Err(SnsError::invalid(
            "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
        ));
    }
    if group.is_some() {
        return Err(SnsError::invalid(
            "MessageGroupId Reason: The request includes MessageGroupId parameter that is not valid for this topic type",
        ));
    }
    let (text, per_protocol) = match structure {
        Some("json") => {
            let parsed: Map<String, Value> = serde_json::from_str(&message)
                .map_err(|_| SnsError::invalid("Message Structure - JSON message body failed to parse"))?;
            let default = parsed
                .get("default")
                .and_then(Value::as_str)
                .ok_or_else(|| SnsError::invalid("Message Structure - No default entry in JSON message body"))?
                .to_owned();
            (default, Some(parsed))
        }
        Some(_) => return Err(SnsError::invalid("MessageStructure")),
        None => (message, None),
    };
    Ok(Outgoing {
        message_id: ctx.env.ids.uuid(),
        message: text,
        per_protocol,
        subject,
        attributes,
        timestamp: message::timestamp(ctx.now_ms),
    })
}

/// The message attributes a request gives, as the message carries them.
fn attributes(given: Option<BTreeMap<String, ops::MessageAttributeValue>>) -> Attributes {
    given
        .unwrap_or_default()
        .into_iter()
        .map(|(name, a)| {
            let attribute = message::Attribute {
                data_type: a.data_type,
                string_value: a.string_value,
                binary_value: a.binary_value,
            };
            (name, attribute)
        })
        .collect()
}

pub(super) async fn publish(sns: &Sns, ctx: &Ctx<'_>, input: ops::PublishInput) -> Result<Value, SnsError> {
    let target = input.topic_arn.clone().or(input.target_arn.clone());
    let out = outgoing(
        ctx,
        input.message,
        input.subject,
        input.message_structure.as_deref(),
        attributes(input.message_attributes),
        input.message_deduplication_id.as_deref(),
        input.message_group_id.as_deref(),
    )?;
    match (target, input.phone_number) {
        (Some(arn), None) => {
            let topic = existing_topic(ctx, &arn).await?;
            let signer = sns.signer(ctx.env).await?;
            let mut tx = ctx.env.store.begin().await?;
            let queued = publish::fan_out(ctx.env, &mut tx, &signer, &topic, &out, ctx.now_ms).await?;
            tx.commit().await.map_err(StoreError::from)?;
            ctx.env.work_queued.notify_one();
            metrics::counter!("spcred_sns_published_total").increment(1);
            tracing::debug!(topic = %topic.arn, message_id = %out.message_id, queued, "published");
        }
        (None, Some(phone)) => {
            let number = normalize_phone(&phone)
                .filter(|n| *n == phone)
                .ok_or_else(|| SnsError::invalid(format!("PhoneNumber Reason: {phone} is not valid to publish to")))?;
            let mut tx = ctx.env.store.begin().await?;
            let source = format!("arn:aws:sns:{}:{}:phone", ctx.region, ctx.account());
            publish::to_phone(ctx.env, &mut tx, &source, &number, &out, ctx.now_ms).await?;
            tx.commit().await.map_err(StoreError::from)?;
            ctx.env.work_queued.notify_one();
        }
        (None, None) => {
            return Err(SnsError::invalid("TopicArn or TargetArn Reason: no value for required parameter"));
        }
        (Some(_), Some(_)) => {
            return Err(SnsError::invalid(
                "TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be given",
            ));
        }
    }
    Ok(service::output(&ops::PublishResponse { message_id: Some(out.message_id), sequence_number: None })?)
}

pub(super) async fn publish_batch(sns: &Sns, ctx: &Ctx<'_>, input: ops::PublishBatchInput) -> Result<Value, SnsError> {
    let entries = input.publish_batch_request_entries;
    if entries.is_empty() {
        return Err(SnsError::EmptyBatchRequest);
    }
    if entries.len() > 10 {
        return Err(SnsError::TooManyEntriesInBatchRequest);
    }
    let mut ids = std::collections::HashSet::new();
    for e in &entries {
        if e.id.is_empty()
            || e.id.len() > 80
            || !e.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(SnsError::InvalidBatchEntryId);
        }
        if !ids.insert(e.id.as_str()) {
            return Err(SnsError::BatchEntryIdsNotDistinct);
        }
    }
    let entries: Vec<(ops::PublishBatchRequestEntry, Attributes)> = entries
        .into_iter()
        .map(|mut e| {
            let given = attributes(e.message_attributes.take());
            (e, given)
        })
        .collect();
    if entries.iter().map(|(e, given)| message::publish_size(&e.message, given)).sum::<usize>()
        > message::MAX_MESSAGE_BYTES
    {
        return Err(SnsError::BatchRequestTooLong);
    }
    let topic = existing_topic(ctx, &input.topic_arn).await?;
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    let mut messages = Vec::new();
    for (e, given) in entries {
        match outgoing(
            ctx,
            e.message,
            e.subject,
            e.message_structure.as_deref(),
            given,
            e.message_deduplication_id.as_deref(),
            e.message_group_id.as_deref(),
        ) {
            Ok(out) => {
                successful.push(ops::PublishBatchResultEntry {
                    id: Some(e.id),
                    message_id: Some(out.message_id.clone()),
                    sequence_number: None,
                });
                messages.push(out);
            }
            Err(err) => {
                use aws_core::error::ServiceError as _;
                failed.push(ops::BatchResultErrorEntry {
                    id: e.id,
                    code: err.code().to_owned(),
                    message: Some(err.to_string()),
                    sender_fault: true,
                });
            }
        }
    }
    if !messages.is_empty() {
        let signer = sns.signer(ctx.env).await?;
        let mut tx = ctx.env.store.begin().await?;
        for out in &messages {
            publish::fan_out(ctx.env, &mut tx, &signer, &topic, out, ctx.now_ms).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        ctx.env.work_queued.notify_one();
    }
    Ok(service::output(&ops::PublishBatchResponse { failed: Some(failed), successful: Some(successful) })?)
}

// ---------------------------------------------------------------------------------------------
// Tags

async fn taggable(ctx: &Ctx<'_>, arn: &str) -> Result<(), SnsError> {
    let exists =
        TopicArn::parse(arn, "ResourceArn").is_ok() && db::topic(&mut *reader(ctx).await?, arn).await?.is_some();
    if exists { Ok(()) } else { Err(SnsError::ResourceNotFound("Resource does not exist".into())) }
}

pub(super) async fn tag_resource(ctx: &Ctx<'_>, input: ops::TagResourceRequest) -> Result<Value, SnsError> {
    taggable(ctx, &input.resource_arn).await?;
    let tags: Vec<(String, String)> = input.tags.into_iter().map(|t| (t.key, t.value)).collect();
    let mut tx = ctx.env.store.begin().await?;
    let existing = store::tags::SNS.list(&mut tx, &input.resource_arn).await?;
    let total = existing.iter().filter(|(k, _)| !tags.iter().any(|(n, _)| n == k)).count() + tags.len();
    if total > MAX_TAGS {
        return Err(SnsError::TagLimitExceeded(
            "Could not complete request: tag quota of per resource exceeded".into(),
        ));
    }
    store::tags::SNS.put(&mut tx, &input.resource_arn, &tags).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(json!({}))
}

pub(super) async fn untag_resource(ctx: &Ctx<'_>, input: ops::UntagResourceRequest) -> Result<Value, SnsError> {
    taggable(ctx, &input.resource_arn).await?;
    let mut tx = ctx.env.store.begin().await?;
    store::tags::SNS.remove(&mut tx, &input.resource_arn, &input.tag_keys).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(json!({}))
}

pub(super) async fn list_tags_for_resource(
    ctx: &Ctx<'_>,
    input: ops::ListTagsForResourceRequest,
) -> Result<Value, SnsError> {
    taggable(ctx, &input.resource_arn).await?;
    let tags = store::tags::SNS.list(&mut *reader(ctx).await?, &input.resource_arn).await?;
    let tags = tags.into_iter().map(|(key, value)| ops::Tag { key, value }).collect();
    Ok(service::output(&ops::ListTagsForResourceResponse { tags: Some(tags) })?)
}

/// Checks that EventBridge (or another service principal) may publish to `topic` for
/// `source_arn`, as AWS decides it: the topic's policy must allow the principal.
pub async fn authorize_service_publish(
    env: &aws_core::env::Env,
    principal: &str,
    source_arn: &str,
    topic: &Topic,
) -> Result<(), CommonError> {
    let account = source_arn.split(':').nth(4).unwrap_or_default().to_owned();
    let caller = aws_core::caller::Caller::service(principal, &account);
    let request_id = env.ids.uuid();
    let ctx = aws_core::service::internal_ctx(env, &request_id, &caller, &topic.region);
    let check = Check::new("SNS:Publish", &topic.arn)
        .with_condition("aws:SourceArn", vec![source_arn.to_owned()])
        .with_condition("aws:SourceAccount", vec![account])
        .with_resource_policy(topic_policy(topic), policy::ResourceMode::Optional);
    ctx.authorize(check).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda::LambdaFunctions;

    #[test]
    fn endpoints() {
        assert_eq!(check_endpoint(&LambdaFunctions, "sms", Some("+1 206-555-0100")).unwrap(), "+12065550100");
        assert_eq!(check_endpoint(&LambdaFunctions, "email", Some("ops@example.com")).unwrap(), "ops@example.com");
        assert_eq!(
            check_endpoint(&LambdaFunctions, "https", Some("https://example.com/hook")).unwrap(),
            "https://example.com/hook"
        );
        let message = |p: &str, e: Option<&str>| check_endpoint(&LambdaFunctions, p, e).unwrap_err().to_string();
        assert_eq!(
            message("ftp", Some("x")),
            "Invalid parameter: Amazon SNS does not support this protocol string: ftp"
        );
        assert_eq!(
            message("http", Some("https://example.com")),
            "Invalid parameter: Endpoint must match the specified protocol"
        );
        assert_eq!(message("email", Some("nope")), "Invalid parameter: Email address");
        assert_eq!(message("sms", Some("555")), "Invalid SMS endpoint: 555");
        assert_eq!(message("sqs", Some("arn:aws:sns:us-east-1:1:q")), "Invalid parameter: SQS endpoint ARN");
        assert!(check_endpoint(&LambdaFunctions, "lambda", Some("arn:aws:lambda:us-east-1:1:function:f")).is_ok());
        assert_eq!(message("lambda", Some("arn:aws:sqs:us-east-1:1:q")), "Invalid parameter: Lambda endpoint ARN");
        assert!(message("firehose", Some("arn:aws:firehose:us-east-1:1:deliverystream/d")).contains("not supported"));
        assert_eq!(message("email", None), "Endpoint not specified in subscription");
    }

    #[test]
    fn subscription_attributes() {
        let check = |n: &str, v: &str, p: &str| check_subscription_attribute(n, v, p, Scope::MessageAttributes, "");
        assert!(check("RawMessageDelivery", "True", "sqs").is_ok());
        assert_eq!(
            check("RawMessageDelivery", "true", "email").unwrap_err().to_string(),
            "Invalid parameter: Delivery protocol [email] does not support raw message delivery."
        );
        assert_eq!(check("Foo", "x", "sqs").unwrap_err().to_string(), "Invalid parameter: AttributeName");
        assert!(
            check("RedrivePolicy", r#"{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"}"#, "https")
                .is_ok()
        );
        assert!(check("RedrivePolicy", r#"{"deadLetterTargetArn": "nope"}"#, "https").is_err());
        assert!(check("FilterPolicy", r#"{"a": ["b"]}"#, "sqs").is_ok());
        assert!(
            check("FilterPolicy", "{", "sqs").unwrap_err().to_string().starts_with("Invalid parameter: FilterPolicy")
        );
    }

    #[test]
    fn the_default_policy_is_a_valid_resource_policy() {
        let topic = Topic {
            arn: "arn:aws:sns:us-east-1:123456789012:t".into(),
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            name: "t".into(),
            attributes: "{}".into(),
            subscriptions_deleted: 0,
            created_ms: 0,
        };
        assert!(policy::Policy::parse(&topic_policy(&topic), policy::PolicyKind::Resource).is_ok());
        let effective: Value = serde_json::from_str(&effective_delivery_policy(&Map::new())).unwrap();
        assert_eq!(effective["http"]["defaultHealthyRetryPolicy"]["numRetries"], 3);
    }

    #[test]
    fn phone_numbers() {
        assert_eq!(normalize_phone("+44 20 7946 0958").as_deref(), Some("+442079460958"));
        assert_eq!(normalize_phone("12065550100").as_deref(), Some("+12065550100"));
        assert!(normalize_phone("+1XXX5550100").is_none());
        assert!(normalize_phone("+123").is_none());
    }
}
