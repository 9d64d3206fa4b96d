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
