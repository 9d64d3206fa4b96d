//! Amazon Simple Notification Service (awsQuery): topics, subscriptions (email, email-json,
//! sms, http, https, sqs, lambda) with confirmation, filter policies, publishing, and tags.
//!
//! A publish commits its message and one delivery per matching subscription in one transaction
//! (`store::delivery`); the delivery crate (SMTP, SMS, HTTP/S) and [`QueueDelivery`] (SQS and
//! Lambda, in process) send them. What HTTP/S, e-mail-json and SQS endpoints receive is signed as SNS signs
//! it, with a key made once per store ([`signing`]); the certificate is served at the
//! `SigningCertURL` under the server's public URL. The confirmation and unsubscribe links work
//! unsigned, as on AWS: ConfirmSubscription and Unsubscribe are the two operations the pipeline
//! lets through without a signature.

pub mod ops;
pub use ops::{Op, Request};
pub mod api;
mod error;
pub(crate) mod filter;
pub mod message;
pub mod publish;
mod queue;
pub mod signing;
mod topics;

/// SNS's service model (generated from botocore by `tools/gen-models.py`).
pub static MODEL: std::sync::LazyLock<wire::ServiceModel> =
    std::sync::LazyLock::new(|| aws_core::models::load("sns", include_str!("../models/sns.json")));

use aws_core::env::Env;
use aws_core::error::Flavor;
use aws_core::service::{Authorization, Check, Ctx, Operation as _, Request as _, Service};
use serde_json::Value;
use signing::Signer;
use std::sync::Arc;

pub use error::SnsError;
pub use queue::QueueDelivery;

/// The service principal SNS delivers as.
pub const PRINCIPAL: &str = "sns.amazonaws.com";

/// The SNS service. Cloning is cheap; clones share the signing key.
#[derive(Debug, Clone, Default)]
pub struct Sns {
    signer: Arc<tokio::sync::OnceCell<Arc<Signer>>>,
}

/// A topic ARN, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TopicArn {
    pub region: String,
    pub account: String,
    pub name: String,
}

impl TopicArn {
    /// Parses `arn:aws:sns:REGION:ACCOUNT:NAME`; `Err` is SNS's message for `field`.
    pub(crate) fn parse(arn: &str, field: &str) -> Result<Self, SnsError> {
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() < 6 {
            return Err(SnsError::invalid(format!(
                "{field} Reason: An ARN must have at least 6 elements, not {}",
                parts.len()
            )));
        }
        match parts.as_slice() {
            ["arn", _, "sns", region, account, name]
                if !region.is_empty() && !account.is_empty() && !name.is_empty() =>
            {
                Ok(Self { region: (*region).to_owned(), account: (*account).to_owned(), name: (*name).to_owned() })
            }
            _ => Err(SnsError::invalid(field)),
        }
    }

    /// The ARN of the topic a subscription ARN belongs to.
    pub(crate) fn of_subscription(arn: &str) -> Result<(Self, String), SnsError> {
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() < 6 {
            return Err(SnsError::invalid(format!(
                "SubscriptionArn Reason: An ARN must have at least 6 elements, not {}",
                parts.len()
            )));
        }
        match arn.rsplit_once(':') {
            Some((topic, id)) if parts.len() == 7 && !id.is_empty() => {
                Ok((Self::parse(topic, "SubscriptionArn")?, topic.to_owned()))
            }
            _ => Err(SnsError::invalid("SubscriptionId")),
        }
    }
}

impl Sns {
    /// A service with no signing key loaded yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The store's signer, loaded (or made) once.
    pub async fn signer(&self, env: &Env) -> Result<Arc<Signer>, SnsError> {
        Ok(self.signer.get_or_try_init(|| async { Signer::load_or_create(env).await.map(Arc::new) }).await?.clone())
    }

    /// The signing certificate served at `/<name>` (the `SigningCertURL`), if `name` is its file name.
    pub async fn certificate(&self, env: &Env, name: &str) -> Option<String> {
        let signer = self.signer(env).await.ok()?;
        (signer.certificate_name() == name).then(|| signer.certificate_pem().to_owned())
    }
}

/// A check on a topic, with the topic's policy (its default one if none was set) taking part.
async fn topic_check(ctx: &Ctx<'_>, action: &str, topic_arn: &str) -> Result<Check, SnsError> {
    let check = Check::new(action, topic_arn);
    let topic = store::sns::topic(&mut *ctx.env.store.read().await?, topic_arn).await?;
    Ok(match topic {
        Some(topic) => check.with_resource_policy(api::topic_policy(&topic), policy::ResourceMode::Optional),
        None => check,
    })
}

#[async_trait::async_trait]
impl Service for Sns {
    type Request = Request;
    type Error = SnsError;

    fn signing_name(&self) -> &'static str {
        "sns"
    }

    fn model(&self) -> &'static wire::ServiceModel {
        &crate::MODEL
    }

    fn flavor(&self) -> Flavor {
        Flavor::Query
    }

    fn denial_code(&self) -> Option<&'static str> {
        Some("AuthorizationError")
    }

    fn allows_anonymous(&self, op: Op) -> bool {
        matches!(op, Op::ConfirmSubscription | Op::Unsubscribe)
    }

    async fn authorize(&self, ctx: &Ctx<'_>, request: &Request) -> Result<Authorization, SnsError> {
        // IAM spells SNS's actions `SNS:Name` in its messages; matching ignores case.
        let action = format!("SNS:{}", request.op().name());
        let check = match request {
            Request::ListTopics(_) | Request::ListSubscriptions(_) => Check::new(action, "*"),
            Request::CreateTopic(input) => {
                Check::new(action, format!("arn:aws:sns:{}:{}:{}", ctx.region, ctx.account(), input.name))
            }
            // The token is the authorization of an unsigned confirmation; whether an unsigned
            // unsubscribe may go ahead depends on how the subscription was confirmed, which the
            // operation decides.
            Request::ConfirmSubscription(_) | Request::Unsubscribe(_) if ctx.caller.is_anonymous() => {
                return Ok(Authorization::NotRequired);
            }
            Request::Unsubscribe(ops::UnsubscribeInput { subscription_arn })
            | Request::GetSubscriptionAttributes(ops::GetSubscriptionAttributesInput { subscription_arn })
            | Request::SetSubscriptionAttributes(ops::SetSubscriptionAttributesInput { subscription_arn, .. }) => {
                let (_, topic) = TopicArn::of_subscription(subscription_arn)?;
                topic_check(ctx, &action, &topic).await?
            }
            Request::Publish(input) => {
                let target = [input.topic_arn.as_deref(), input.target_arn.as_deref()]
                    .into_iter()
                    .flatten()
                    .find(|a| !a.is_empty());
                match target {
                    Some(arn) => topic_check(ctx, &action, arn).await?,
                    None => Check::new(action, "*"),
                }
            }
            Request::PublishBatch(input) => topic_check(ctx, "SNS:Publish", &input.topic_arn).await?,
            Request::TagResource(ops::TagResourceRequest { resource_arn, .. })
            | Request::UntagResource(ops::UntagResourceRequest { resource_arn, .. })
            | Request::ListTagsForResource(ops::ListTagsForResourceRequest { resource_arn }) => {
                topic_check(ctx, &action, resource_arn).await?
            }
            Request::Subscribe(input) => topic_check(ctx, &action, &input.topic_arn)
                .await?
                .with_condition("sns:Protocol", vec![input.protocol.clone()])
                .with_condition("sns:Endpoint", vec![input.endpoint.clone().unwrap_or_default()]),
            Request::AddPermission(ops::AddPermissionInput { topic_arn, .. })
            | Request::ConfirmSubscription(ops::ConfirmSubscriptionInput { topic_arn, .. })
            | Request::DeleteTopic(ops::DeleteTopicInput { topic_arn })
            | Request::GetTopicAttributes(ops::GetTopicAttributesInput { topic_arn })
            | Request::ListSubscriptionsByTopic(ops::ListSubscriptionsByTopicInput { topic_arn, .. })
            | Request::RemovePermission(ops::RemovePermissionInput { topic_arn, .. })
            | Request::SetTopicAttributes(ops::SetTopicAttributesInput { topic_arn, .. }) => {
                topic_check(ctx, &action, topic_arn).await?
            }
        };
        Ok(Authorization::one(check))
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: Request) -> Result<Value, SnsError> {
        match request {
            Request::CreateTopic(input) => api::create_topic(ctx, input).await,
            Request::DeleteTopic(input) => api::delete_topic(ctx, input).await,
            Request::GetTopicAttributes(input) => api::get_topic_attributes(ctx, input).await,
            Request::SetTopicAttributes(input) => api::set_topic_attributes(ctx, input).await,
            Request::ListTopics(input) => api::list_topics(ctx, input).await,
            Request::AddPermission(input) => api::add_permission(ctx, input).await,
            Request::RemovePermission(input) => api::remove_permission(ctx, input).await,
            Request::Subscribe(input) => api::subscribe(self, ctx, input).await,
            Request::ConfirmSubscription(input) => api::confirm_subscription(ctx, input).await,
            Request::Unsubscribe(input) => api::unsubscribe(ctx, input).await,
            Request::ListSubscriptions(input) => api::list_subscriptions(ctx, input).await,
            Request::ListSubscriptionsByTopic(input) => api::list_subscriptions_by_topic(ctx, input).await,
            Request::GetSubscriptionAttributes(input) => api::get_subscription_attributes(ctx, input).await,
            Request::SetSubscriptionAttributes(input) => api::set_subscription_attributes(ctx, input).await,
            Request::Publish(input) => api::publish(self, ctx, input).await,
            Request::PublishBatch(input) => api::publish_batch(self, ctx, input).await,
            Request::TagResource(input) => api::tag_resource(ctx, input).await,
            Request::UntagResource(input) => api::untag_resource(ctx, input).await,
            Request::ListTagsForResource(input) => api::list_tags_for_resource(ctx, input).await,
        }
    }
}
