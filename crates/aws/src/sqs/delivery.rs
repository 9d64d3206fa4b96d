//! Delivery into a queue by another service: SNS subscriptions, `EventBridge` targets, and the
//! SP-API sandbox's notifications (Amazon's principal account `437568002678`). The queue's
//! policy decides, exactly as for a `SendMessage` from that principal.

use super::message::{Attributes, MessageAttribute};
use super::messages::{self, Outgoing};
use super::{names, queue};
use crate::caller::Caller;
use crate::env::Env;
use crate::error::CommonError;
use crate::service::{Check, Ctx};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// A message another service delivers.
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    /// The body.
    pub body: String,
    /// Message attributes by name (binary values base64-encoded).
    pub attributes: BTreeMap<String, MessageAttribute>,
    /// The message group, for a FIFO queue.
    pub group_id: Option<String>,
    /// The deduplication id, for a FIFO queue without content-based deduplication.
    pub dedup_id: Option<String>,
}

/// What a delivery reports, as `SendMessage` would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    /// The message id (the first one's, for a FIFO duplicate).
    pub message_id: String,
    /// MD5 of the body.
    pub md5_of_body: String,
    /// MD5 of the message attributes, if any.
    pub md5_of_attributes: Option<String>,
    /// The FIFO sequence number.
    pub sequence_number: Option<String>,
}

/// Why a delivery did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// No queue has that ARN.
    #[error("the queue {0} does not exist")]
    NoSuchQueue(String),
    /// The queue's policy does not let the sender send to it.
    #[error("{0}")]
    AccessDenied(String),
    /// The message breaks the queue's rules (size, attributes, FIFO parameters): SQS's code and
    /// message.
    #[error("{code}: {message}")]
    Rejected {
        /// SQS's error code, e.g. `InvalidParameterValue`.
        code: String,
        /// SQS's message.
        message: String,
    },
    /// The store failed; the details are in the log.
    #[error("the store failed")]
    Internal,
}

impl From<super::SqsError> for DeliveryError {
    fn from(e: super::SqsError) -> Self {
        use crate::error::ServiceError as _;
        match e {
            super::SqsError::Common(_) => DeliveryError::Internal,
            other => DeliveryError::Rejected {
                code: other.query_code().unwrap_or(other.code()).to_owned(),
                message: other.to_string(),
            },
        }
    }
}

/// Delivers `message` into the queue `queue_arn` on behalf of `sender` (a service principal such
/// as `sns.amazonaws.com` with the `source_arn` of its topic or rule, or an account principal),
/// if the queue's policy allows `sqs:SendMessage` for it.
pub async fn deliver(
    env: &Env,
    queue_arn: &str,
    message: Incoming,
    sender: &Caller,
    source_arn: Option<&str>,
) -> Result<SendResult, DeliveryError> {
    let missing = || DeliveryError::NoSuchQueue(queue_arn.to_owned());
    let at = names::parse_arn(queue_arn).ok_or_else(missing)?;
    let q = queue::read(env, &at.queue.account, &at.region, &at.queue.name).await?.ok_or_else(missing)?;
    let request_id = env.ids.uuid();
    let ctx = Ctx {
        env,
        request_id: &request_id,
        caller: sender,
        region: &at.region,
        source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        host: "",
        secure: true,
        protocol: wire::Protocol::Json1_0,
        now_ms: env.now_ms(),
    };
    let mut check = Check::new("sqs:SendMessage", q.arn());
    if let Some(source) = source_arn {
        check = check.with_condition("aws:SourceArn", vec![source.to_owned()]);
        if let Some(account) = source.split(':').nth(4).filter(|a| !a.is_empty()) {
            check = check.with_condition("aws:SourceAccount", vec![account.to_owned()]);
        }
    }
    if let Some(document) = &q.config.policy {
        check = check.with_resource_policy(document.clone(), policy::ResourceMode::Optional);
    }
    ctx.authorize(check).await.map_err(|e| match e {
        CommonError::AccessDenied(m) => DeliveryError::AccessDenied(m),
        _ => DeliveryError::Internal,
    })?;
    let attributes: Attributes = message.attributes;
    let outgoing = Outgoing {
        body: message.body,
        attributes,
        group_id: message.group_id,
        dedup_id: message.dedup_id,
        ..Outgoing::default()
    };
    messages::check(&q, &outgoing, false)?;
    let sent = messages::enqueue(env, &q, &sender.user_id, std::slice::from_ref(&outgoing), ctx.now_ms)
        .await?
        .pop()
        .ok_or(DeliveryError::Internal)?;
    Ok(SendResult {
        message_id: sent.message_id,
        md5_of_body: sent.md5_of_body,
        md5_of_attributes: sent.md5_of_attributes,
        sequence_number: sent.sequence_number,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::Operation as _;
    use crate::sqs::{Op, Sqs};
    use crate::{Service, caller::Caller};
    use serde_json::{Value, json};
    use std::sync::Arc;

    const ACCOUNT: &str = "123456789012";

    async fn env() -> (tempfile::TempDir, Arc<Env>) {
        let dir = tempfile::tempdir().unwrap();
        let store = store::Store::open(&dir.path().join("spcred.db")).await.unwrap();
        let rng: Arc<dyn crypto::Random> = Arc::new(crypto::SystemRandom);
        let master = crypto::MasterKey::generate(rng.as_ref());
        let clock: Arc<dyn store::Clock> = Arc::new(store::SystemClock);
        (dir, Arc::new(Env::new(store, clock, rng, &master, "us-east-1".into())))
    }

    async fn call(env: &Env, op: Op, input: Value) -> Result<Value, crate::sqs::SqsError> {
        let root = Caller::root(ACCOUNT, None);
        let ctx = Ctx {
            env,
            request_id: "r",
            caller: &root,
            region: "us-east-1",
            source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            host: "localhost",
            secure: false,
            protocol: wire::Protocol::Json1_0,
            now_ms: env.now_ms(),
        };
        Sqs.execute(&ctx, op, input).await
    }

    async fn create(env: &Env, name: &str, attributes: Value) -> (String, String) {
        let out = call(env, Op::CreateQueue, json!({"QueueName": name, "Attributes": attributes})).await.unwrap();
        let url = out["QueueUrl"].as_str().unwrap().to_owned();
        (url, names::arn("us-east-1", ACCOUNT, name))
    }

    fn incoming(body: &str) -> Incoming {
        Incoming { body: body.into(), ..Incoming::default() }
    }

    #[tokio::test]
    async fn the_queue_owner_delivers_and_the_message_is_received_as_sent() {
        let (_dir, env) = env().await;
        let (url, arn) = create(&env, "notifications", json!({})).await;
        let attributes = BTreeMap::from([(
            "type".to_owned(),
            MessageAttribute { data_type: "String".into(), string_value: Some("rotation".into()), binary_value: None },
        )]);
        let sent =
            deliver(&env, &arn, Incoming { attributes, ..incoming("new secret") }, &Caller::root(ACCOUNT, None), None)
                .await
                .unwrap();
        assert_eq!(sent.md5_of_body, crate::sqs::message::md5_of_body("new secret"));
        assert!(sent.md5_of_attributes.is_some() && sent.sequence_number.is_none());
        let got = call(
            &env,
            Op::ReceiveMessage,
            json!({"QueueUrl": url, "AttributeNames": ["All"], "MessageAttributeNames": ["All"]}),
        )
        .await
        .unwrap();
        let m = &got["Messages"][0];
        assert_eq!(m["Body"], "new secret");
        assert_eq!(m["MessageId"], sent.message_id.as_str());
        assert_eq!(m["Attributes"]["SenderId"], ACCOUNT);
        assert_eq!(m["MessageAttributes"]["type"]["StringValue"], "rotation");
    }

    #[tokio::test]
    async fn a_waiting_receive_wakes_for_a_delivery() {
        let (_dir, env) = env().await;
        let (url, arn) = create(&env, "waiting", json!({})).await;
        let receiver = {
            let env = env.clone();
            tokio::spawn(async move {
                call(&env, Op::ReceiveMessage, json!({"QueueUrl": url, "WaitTimeSeconds": 20})).await.unwrap()
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let started = std::time::Instant::now();
        deliver(&env, &arn, incoming("ping"), &Caller::root(ACCOUNT, None), None).await.unwrap();
        let got = tokio::time::timeout(std::time::Duration::from_secs(10), receiver).await.unwrap().unwrap();
        assert_eq!(got["Messages"][0]["Body"], "ping");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[tokio::test]
    async fn deliveries_that_cannot_happen_say_why() {
        let (_dir, env) = env().await;
        let (_, arn) = create(&env, "plain", json!({})).await;
        let root = Caller::root(ACCOUNT, None);
        let missing = names::arn("us-east-1", ACCOUNT, "absent");
        assert_eq!(deliver(&env, &missing, incoming("x"), &root, None).await, Err(DeliveryError::NoSuchQueue(missing)));
        assert_eq!(
            deliver(&env, "not an arn", incoming("x"), &root, None).await,
            Err(DeliveryError::NoSuchQueue("not an arn".into()))
        );
        let empty = deliver(&env, &arn, incoming(""), &root, None).await.unwrap_err();
        assert_eq!(
            empty,
            DeliveryError::Rejected {
                code: "MissingParameter".into(),
                message: "The request must contain the parameter MessageBody.".into()
            }
        );
        // Without a queue policy, neither a service principal nor Amazon's account may send.
        let sns = Caller::service("sns.amazonaws.com", ACCOUNT);
        let topic = format!("arn:aws:sns:us-east-1:{ACCOUNT}:alerts");
        let denied = deliver(&env, &arn, incoming("x"), &sns, Some(&topic)).await.unwrap_err();
        assert!(
            matches!(&denied, DeliveryError::AccessDenied(m) if m.contains("sqs:SendMessage") && m.contains(&arn)),
            "{denied:?}"
        );
        let amazon = Caller::root("437568002678", None);
        assert!(matches!(deliver(&env, &arn, incoming("x"), &amazon, None).await, Err(DeliveryError::AccessDenied(_))));
    }

    #[tokio::test]
    async fn the_queue_policy_decides_who_delivers() {
        let (_dir, env) = env().await;
        let (url, arn) = create(&env, "notifications", json!({})).await;
        let topic = format!("arn:aws:sns:us-east-1:{ACCOUNT}:alerts");
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Topic", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
             "Action": "sqs:SendMessage", "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}},
            {"Sid": "SellingPartnerAPI", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::437568002678:root"},
             "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes"], "Resource": arn}]});
        call(&env, Op::SetQueueAttributes, json!({"QueueUrl": url, "Attributes": {"Policy": policy.to_string()}}))
            .await
            .unwrap();
        let sns = Caller::service("sns.amazonaws.com", ACCOUNT);
        let amazon = Caller::root("437568002678", None);
        deliver(&env, &arn, incoming("from the topic"), &sns, Some(&topic)).await.unwrap();
        deliver(&env, &arn, incoming("new client secret"), &amazon, None).await.unwrap();
        let other_topic = format!("arn:aws:sns:us-east-1:{ACCOUNT}:other");
        let refused = [
            (sns.clone(), Some(other_topic.as_str())),
            (sns.clone(), None),
            (Caller::service("events.amazonaws.com", ACCOUNT), Some(topic.as_str())),
            (Caller::root("999999999999", None), None),
        ];
        for (sender, source) in refused {
            let e = deliver(&env, &arn, incoming("x"), &sender, source).await.unwrap_err();
            assert!(matches!(e, DeliveryError::AccessDenied(_)), "{} from {source:?}: {e:?}", sender.arn);
        }
        let got = call(&env, Op::ReceiveMessage, json!({"QueueUrl": url, "MaxNumberOfMessages": 10})).await.unwrap();
        let mut bodies: Vec<&str> =
            got["Messages"].as_array().unwrap().iter().map(|m| m["Body"].as_str().unwrap()).collect();
        bodies.sort_unstable();
        assert_eq!(bodies, ["from the topic", "new client secret"]);
    }

    #[tokio::test]
    async fn fifo_deliveries_need_a_group_and_deduplicate() {
        let (_dir, env) = env().await;
        let attrs = json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"});
        let (_, arn) = create(&env, "events.fifo", attrs).await;
        let root = Caller::root(ACCOUNT, None);
        let no_group = deliver(&env, &arn, incoming("e"), &root, None).await.unwrap_err();
        assert!(matches!(no_group, DeliveryError::Rejected { ref code, .. } if code == "MissingParameter"));
        let grouped = || Incoming { group_id: Some("g".into()), ..incoming("e") };
        let first = deliver(&env, &arn, grouped(), &root, None).await.unwrap();
        let again = deliver(&env, &arn, grouped(), &root, None).await.unwrap();
        assert_eq!(first, again);
        assert!(first.sequence_number.is_some());
        assert_eq!(Op::from_name("SendMessageBatch").map(Op::action), Some("sqs:SendMessage"));
    }
}
