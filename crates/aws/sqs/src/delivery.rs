//! Delivery into a queue by another service: SNS subscriptions, `EventBridge` targets, and the
//! SP-API sandbox's notifications (Amazon's principal account `437568002678`). The queue's
//! policy decides, exactly as for a `SendMessage` from that principal.

use super::message::{Attributes, MessageAttribute};
use super::messages::{self, Outgoing};
use super::{names, queue};
use aws_core::caller::Caller;
use aws_core::env::Env;
use aws_core::error::CommonError;
use aws_core::ports::{QueueError, QueueMessage, Queues};
use aws_core::service::{Check, Ctx};
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

impl From<super::SqsError> for QueueError {
    fn from(e: super::SqsError) -> Self {
        use aws_core::error::ServiceError as _;
        match e {
            super::SqsError::Common(_) => QueueError::Internal,
            other => QueueError::Rejected {
                code: other.query_code().unwrap_or(other.code()).to_owned(),
                message: other.to_string(),
            },
        }
    }
}

/// SQS's implementation of the core's [`Queues`] port, wired by the composition root.
#[derive(Debug, Clone, Copy, Default)]
pub struct SqsQueues;

#[async_trait::async_trait]
impl Queues for SqsQueues {
    async fn deliver(
        &self,
        env: &Env,
        queue_arn: &str,
        message: QueueMessage,
        sender: &Caller,
        source_arn: Option<&str>,
    ) -> Result<String, QueueError> {
        let attributes = match message.attributes {
            Some(value) => serde_json::from_value(value).unwrap_or_default(),
            None => BTreeMap::new(),
        };
        let incoming = Incoming { body: message.body, attributes, ..Incoming::default() };
        Ok(deliver(env, queue_arn, incoming, sender, source_arn).await?.message_id)
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
) -> Result<SendResult, QueueError> {
    let missing = || QueueError::NoSuchQueue(queue_arn.to_owned());
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
        CommonError::AccessDenied(m) => QueueError::AccessDenied(m),
        _ => QueueError::Internal,
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
    // An SSE-KMS queue's key policy must let the sender use the key ("the KMS key policy must
    // allow the service principal").
    let sealer = super::sse::sealer(&ctx, &q).await?;
    let sent = messages::enqueue(env, &q, &sender.user_id, std::slice::from_ref(&outgoing), &sealer, ctx.now_ms)
        .await?
        .pop()
        .ok_or(QueueError::Internal)?;
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
    use crate::sse::{self, Sealer};
    use crate::{Op, Sqs};
    use aws_core::service::{Operation as _, Request as _};
    use aws_core::{Service, caller::Caller};
    use serde_json::{Value, json};
    use std::sync::Arc;

    const ACCOUNT: &str = "123456789012";

    async fn env() -> (tempfile::TempDir, Arc<Env>) {
        let dir = tempfile::tempdir().unwrap();
        let store = store::Store::open(&dir.path().join("spcred.db")).await.unwrap();
        let rng: Arc<dyn crypto::Random> = Arc::new(crypto::SystemRandom);
        let master = crypto::MasterKey::generate(rng.as_ref());
        let clock: Arc<dyn store::Clock> = Arc::new(store::SystemClock);
        let env = Env::new(store, clock, rng, &master, "us-east-1".into());
        env.wire::<dyn aws_core::authz::Identities>(Arc::new(::iam::IamIdentities));
        env.wire::<dyn aws_core::ports::Keys>(Arc::new(::kms::KmsKeys));
        (dir, Arc::new(env))
    }

    fn ctx_at<'a>(env: &'a Env, caller: &'a Caller, now_ms: i64) -> Ctx<'a> {
        Ctx {
            env,
            request_id: "r",
            caller,
            region: "us-east-1",
            source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            host: "localhost",
            secure: false,
            protocol: wire::Protocol::Json1_0,
            now_ms,
        }
    }

    async fn call(env: &Env, op: Op, input: Value) -> Result<Value, crate::SqsError> {
        let root = Caller::root(ACCOUNT, None);
        let request = <Sqs as Service>::Request::decode(op, input)?;
        Sqs.execute(&ctx_at(env, &root, env.now_ms()), request).await
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
        assert_eq!(sent.md5_of_body, crate::message::md5_of_body("new secret"));
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
        assert_eq!(deliver(&env, &missing, incoming("x"), &root, None).await, Err(QueueError::NoSuchQueue(missing)));
        assert_eq!(
            deliver(&env, "not an arn", incoming("x"), &root, None).await,
            Err(QueueError::NoSuchQueue("not an arn".into()))
        );
        let empty = deliver(&env, &arn, incoming(""), &root, None).await.unwrap_err();
        assert_eq!(
            empty,
            QueueError::Rejected {
                code: "MissingParameter".into(),
                message: "The request must contain the parameter MessageBody.".into()
            }
        );
        // Without a queue policy, neither a service principal nor Amazon's account may send.
        let sns = Caller::service("sns.amazonaws.com", ACCOUNT);
        let topic = format!("arn:aws:sns:us-east-1:{ACCOUNT}:alerts");
        let denied = deliver(&env, &arn, incoming("x"), &sns, Some(&topic)).await.unwrap_err();
        assert!(
            matches!(&denied, QueueError::AccessDenied(m) if m.contains("sqs:SendMessage") && m.contains(&arn)),
            "{denied:?}"
        );
        let amazon = Caller::root("437568002678", None);
        assert!(matches!(deliver(&env, &arn, incoming("x"), &amazon, None).await, Err(QueueError::AccessDenied(_))));
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
            assert!(matches!(e, QueueError::AccessDenied(_)), "{} from {source:?}: {e:?}", sender.arn);
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
        assert!(matches!(no_group, QueueError::Rejected { ref code, .. } if code == "MissingParameter"));
        let grouped = || Incoming { group_id: Some("g".into()), ..incoming("e") };
        let first = deliver(&env, &arn, grouped(), &root, None).await.unwrap();
        let again = deliver(&env, &arn, grouped(), &root, None).await.unwrap();
        assert_eq!(first, again);
        assert!(first.sequence_number.is_some());
        assert_eq!(Op::from_name("SendMessageBatch").map(crate::action), Some("sqs:SendMessage"));
    }

    async fn kms(env: &Env, op: ::kms::Op, input: Value) -> Value {
        let root = Caller::root(ACCOUNT, None);
        let request = <::kms::Kms as Service>::Request::decode(op, input).unwrap();
        ::kms::Kms.execute(&ctx_at(env, &root, env.now_ms()), request).await.unwrap()
    }

    /// A key whose policy lets the account in, and `principal` use it for SQS if given.
    async fn key_for(env: &Env, principal: Option<Value>) -> (String, String) {
        let mut statements = vec![
            json!({"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"}),
        ];
        if let Some(p) = principal {
            statements.push(json!({"Effect": "Allow", "Principal": p, "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"}));
        }
        let policy = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
        let meta = kms(env, ::kms::Op::CreateKey, json!({"Policy": policy})).await;
        let meta = &meta["KeyMetadata"];
        (meta["KeyId"].as_str().unwrap().to_owned(), meta["Arn"].as_str().unwrap().to_owned())
    }

    fn sealed_parts(sealer: &Sealer) -> (String, Vec<u8>) {
        match sealer {
            Sealer::Kms(entry) => (entry.arn.clone(), entry.wrapped.clone()),
            _ => panic!("not sealed under KMS"),
        }
    }

    #[tokio::test]
    async fn kms_queues_reuse_a_data_key_for_their_period() {
        let (_dir, env) = env().await;
        let (key_id, key_arn) = key_for(&env, None).await;
        let attrs = json!({"KmsMasterKeyId": key_arn, "KmsDataKeyReusePeriodSeconds": "60"});
        let (url, arn) = create(&env, "sealed", attrs).await;
        let q = queue::read(&env, ACCOUNT, "us-east-1", "sealed").await.unwrap().unwrap();
        let root = Caller::root(ACCOUNT, None);
        let t0 = env.now_ms();
        let first = sse::sealer(&ctx_at(&env, &root, t0), &q).await.unwrap();
        let again = sse::sealer(&ctx_at(&env, &root, t0 + 59_000), &q).await.unwrap();
        let later = sse::sealer(&ctx_at(&env, &root, t0 + 60_000), &q).await.unwrap();
        let (context_arn, wrapped) = sealed_parts(&first);
        assert_eq!(context_arn, arn);
        assert_eq!(sealed_parts(&again).1, wrapped);
        assert_ne!(sealed_parts(&later).1, wrapped);
        // The data key is KMS ciphertext of the queue's key, under SQS's encryption context.
        assert_eq!(aws_core::ports::Keys::origin_of(&::kms::KmsKeys, &env, &wrapped).unwrap().key_id, key_id);
        let (stored, sealed) = first.seal(&env, "the new client secret", "sqs:message:m").unwrap();
        assert!(sealed && !stored.windows(6).any(|w| w == b"client"));

        let sent = call(&env, Op::SendMessage, json!({"QueueUrl": url, "MessageBody": "the new client secret"})).await;
        assert!(sent.is_ok());
        let got = call(&env, Op::ReceiveMessage, json!({"QueueUrl": url})).await.unwrap();
        assert_eq!(got["Messages"][0]["Body"], "the new client secret");
    }

    #[tokio::test]
    async fn a_disabled_key_stops_sends_and_receives_without_touching_the_queue() {
        let (_dir, env) = env().await;
        let (key_id, key_arn) = key_for(&env, None).await;
        let (url, _) = create(&env, "disabled", json!({"KmsMasterKeyId": key_id})).await;
        call(&env, Op::SendMessage, json!({"QueueUrl": url, "MessageBody": "before"})).await.unwrap();
        kms(&env, ::kms::Op::DisableKey, json!({"KeyId": key_id})).await;
        let expect_disabled = |e: crate::SqsError| {
            use aws_core::error::ServiceError as _;
            assert_eq!((e.code(), e.query_code(), e.status()), ("KmsDisabled", Some("KMS.DisabledException"), 400));
            let prefix =
                format!("{key_arn} is disabled. (Service: AWSKMS; Status Code: 400; Error Code: DisabledException;");
            assert!(e.to_string().starts_with(&prefix), "{e}");
        };
        expect_disabled(call(&env, Op::SendMessage, json!({"QueueUrl": url, "MessageBody": "x"})).await.unwrap_err());
        expect_disabled(call(&env, Op::ReceiveMessage, json!({"QueueUrl": url})).await.unwrap_err());
        kms(&env, ::kms::Op::EnableKey, json!({"KeyId": key_id})).await;
        let got = call(&env, Op::ReceiveMessage, json!({"QueueUrl": url, "AttributeNames": ["All"]})).await.unwrap();
        assert_eq!(got["Messages"][0]["Body"], "before");
        assert_eq!(got["Messages"][0]["Attributes"]["ApproximateReceiveCount"], "1");
        let (_, unknown) = create(&env, "unknown-key", json!({"KmsMasterKeyId": "alias/nothing-here"})).await;
        let e = deliver(&env, &unknown, incoming("x"), &Caller::root(ACCOUNT, None), None).await.unwrap_err();
        assert!(matches!(e, QueueError::Rejected { ref code, .. } if code == "KMS.NotFoundException"), "{e:?}");
    }

    #[tokio::test]
    async fn service_principals_need_the_key_policy_of_an_encrypted_queue() {
        let (_dir, env) = env().await;
        let topic = format!("arn:aws:sns:us-east-1:{ACCOUNT}:alerts");
        let sns = Caller::service("sns.amazonaws.com", ACCOUNT);
        let amazon = Caller::root("437568002678", None);
        let (plain_key, _) = key_for(&env, None).await;
        let (sns_key, _) = key_for(&env, Some(json!({"Service": "sns.amazonaws.com"}))).await;
        let (amazon_key, _) = key_for(&env, Some(json!({"AWS": "arn:aws:iam::437568002678:root"}))).await;
        let cases = [
            ("plain", plain_key.as_str(), false, false),
            ("for-sns", sns_key.as_str(), true, false),
            ("for-amazon", amazon_key.as_str(), false, true),
            // The AWS managed key admits only the account's principals, through SQS.
            ("managed", "alias/aws/sqs", false, false),
        ];
        for (name, key, sns_allowed, amazon_allowed) in cases {
            let (url, arn) = create(&env, name, json!({"KmsMasterKeyId": key})).await;
            let policy = json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": arn},
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::437568002678:root"}, "Action": "sqs:SendMessage", "Resource": arn}]});
            call(&env, Op::SetQueueAttributes, json!({"QueueUrl": url, "Attributes": {"Policy": policy.to_string()}}))
                .await
                .unwrap();
            for (sender, source, allowed) in
                [(&sns, Some(topic.as_str()), sns_allowed), (&amazon, None, amazon_allowed)]
            {
                let outcome = deliver(&env, &arn, incoming(&format!("to {name}")), sender, source).await;
                match outcome {
                    Ok(_) => assert!(allowed, "{} delivered into {name}", sender.arn),
                    Err(QueueError::Rejected { code, message }) => {
                        assert!(!allowed, "{} refused by {name}: {message}", sender.arn);
                        assert_eq!(code, "KMS.AccessDeniedException");
                        assert!(message.contains("kms:GenerateDataKey"), "{message}");
                    }
                    Err(other) => panic!("{other:?}"),
                }
            }
            // The queue's owner sends through SQS, which every key here lets it do.
            deliver(&env, &arn, incoming("from the owner"), &Caller::root(ACCOUNT, None), None).await.unwrap();
            let got =
                call(&env, Op::ReceiveMessage, json!({"QueueUrl": url, "MaxNumberOfMessages": 10})).await.unwrap();
            let received = got["Messages"].as_array().unwrap().len();
            assert_eq!(received, 1 + usize::from(sns_allowed) + usize::from(amazon_allowed), "{name}");
        }
        let managed = kms(&env, ::kms::Op::DescribeKey, json!({"KeyId": "alias/aws/sqs"})).await;
        assert_eq!(
            managed["KeyMetadata"]["Description"],
            "Default key that protects my SQS messages when no other key is defined"
        );
        assert_eq!(managed["KeyMetadata"]["KeyManager"], "AWS");
    }
}
