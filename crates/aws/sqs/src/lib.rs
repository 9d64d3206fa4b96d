//! Amazon Simple Queue Service, over both of its protocols: awsJson 1.0 (`AmazonSQS.*`, with
//! the awsQueryCompatible error header) and the original Query API (form posts, often to the
//! queue URL, answered in XML).
//!
//! Messages live in the store; a receive claims its messages in one write transaction, so no
//! two receivers ever get the same message within its visibility window. Long polls wait on a
//! per-queue notifier that sends signal, so a waiting receive costs nothing until a message
//! arrives. Other services deliver into queues with [`deliver`], which decides the queue policy
//! for them.

mod attributes;
mod delivery;
mod error;
mod message;
mod messages;
mod names;
pub mod ops;
mod queue;
mod queues;
mod receipt;
mod sse;
mod waiters;

pub use delivery::SqsQueues;
pub use ops::Op;

/// The IAM action an operation needs (a batch needs its single operation's).
fn action(op: Op) -> &'static str {
    match op {
        Op::ChangeMessageVisibility | Op::ChangeMessageVisibilityBatch => "sqs:ChangeMessageVisibility",
        Op::DeleteMessage | Op::DeleteMessageBatch => "sqs:DeleteMessage",
        Op::SendMessage | Op::SendMessageBatch => "sqs:SendMessage",
        Op::AddPermission => "sqs:AddPermission",
        Op::CreateQueue => "sqs:CreateQueue",
        Op::DeleteQueue => "sqs:DeleteQueue",
        Op::GetQueueAttributes => "sqs:GetQueueAttributes",
        Op::GetQueueUrl => "sqs:GetQueueUrl",
        Op::ListDeadLetterSourceQueues => "sqs:ListDeadLetterSourceQueues",
        Op::ListQueueTags => "sqs:ListQueueTags",
        Op::ListQueues => "sqs:ListQueues",
        Op::PurgeQueue => "sqs:PurgeQueue",
        Op::ReceiveMessage => "sqs:ReceiveMessage",
        Op::RemovePermission => "sqs:RemovePermission",
        Op::SetQueueAttributes => "sqs:SetQueueAttributes",
        Op::TagQueue => "sqs:TagQueue",
        Op::UntagQueue => "sqs:UntagQueue",
    }
}
pub use error::{KmsFailure, SqsError};
pub use message::MessageAttribute;
/// What SQS keeps in memory for the whole server: long-poll notifiers, recently loaded queues
/// and the data keys of SSE-KMS queues.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) waiters: waiters::Waiters,
    pub(crate) queues: queue::QueueCache,
    pub(crate) data_keys: sse::DataKeys,
}

/// SQS's in-memory state in this environment.
pub(crate) fn shared(env: &aws_core::Env) -> std::sync::Arc<Shared> {
    env.state()
}

/// SQS's service model (generated from botocore by `tools/gen-models.py`).
pub static MODEL: std::sync::LazyLock<wire::ServiceModel> =
    std::sync::LazyLock::new(|| aws_core::models::load("sqs", include_str!("../models/sqs.json")));
/// SQS's Query API: the same model with the awsQuery wire names (derived by tools/gen-models.py).
pub static QUERY_MODEL: std::sync::LazyLock<wire::ServiceModel> =
    std::sync::LazyLock::new(|| aws_core::models::load("sqs-query", include_str!("../models/sqs-query.json")));

use aws_core::error::Flavor;
use aws_core::service::{Authorization, Check, Ctx, Operation, Service};
use ops::Request;
use serde_json::Value;

/// The SQS service.
#[derive(Debug, Default)]
pub struct Sqs;

/// `queueUrl` (a member path) as SQS names the parameter: `QueueUrl`.
fn parameter_name(path: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path);
    let mut chars = last.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// The first name in `input[member]` (a map's keys or a list) that is not a queue attribute.
fn unknown_attribute(input: &Value, member: &str) -> Option<String> {
    let known = |n: &str| attributes::NAMES.contains(&n);
    match input.get(member)? {
        Value::Object(map) => map.keys().find(|k| !known(k)).cloned(),
        Value::Array(items) => items.iter().filter_map(Value::as_str).find(|n| !known(n)).map(str::to_owned),
        _ => None,
    }
}

/// The `QueueUrl` of a request on one queue (`None` for those that name no queue by URL).
fn queue_url(request: &Request) -> Option<&str> {
    Some(match request {
        Request::CreateQueue(_) | Request::GetQueueUrl(_) | Request::ListQueues(_) => return None,
        Request::AddPermission(r) => &r.queue_url,
        Request::ChangeMessageVisibility(r) => &r.queue_url,
        Request::ChangeMessageVisibilityBatch(r) => &r.queue_url,
        Request::DeleteMessage(r) => &r.queue_url,
        Request::DeleteMessageBatch(r) => &r.queue_url,
        Request::DeleteQueue(r) => &r.queue_url,
        Request::GetQueueAttributes(r) => &r.queue_url,
        Request::ListDeadLetterSourceQueues(r) => &r.queue_url,
        Request::ListQueueTags(r) => &r.queue_url,
        Request::PurgeQueue(r) => &r.queue_url,
        Request::ReceiveMessage(r) => &r.queue_url,
        Request::RemovePermission(r) => &r.queue_url,
        Request::SendMessage(r) => &r.queue_url,
        Request::SendMessageBatch(r) => &r.queue_url,
        Request::SetQueueAttributes(r) => &r.queue_url,
        Request::TagQueue(r) => &r.queue_url,
        Request::UntagQueue(r) => &r.queue_url,
    })
}

/// The queue `url` names, or `QueueDoesNotExist`.
async fn target(ctx: &Ctx<'_>, url: &str) -> Result<std::sync::Arc<queue::Queue>, SqsError> {
    let at = names::parse_url(url)?;
    queue::read(ctx.env, &at.account, ctx.region, &at.name).await?.ok_or_else(|| SqsError::no_queue(ctx.protocol))
}

#[async_trait::async_trait]
impl Service for Sqs {
    type Request = Request;
    type Error = SqsError;

    fn signing_name(&self) -> &'static str {
        "sqs"
    }

    fn model(&self) -> &'static wire::ServiceModel {
        &crate::MODEL
    }

    fn flavor(&self) -> Flavor {
        Flavor::Json
    }

    fn query_model(&self) -> Option<&'static wire::ServiceModel> {
        Some(&crate::QUERY_MODEL)
    }

    fn path_parameters(&self, ctx: &Ctx<'_>, op: Op, path: &str) -> Result<Vec<(String, String)>, SqsError> {
        let Some(at) = names::parse_path(path) else {
            return Ok(Vec::new());
        };
        if matches!(op, Op::CreateQueue | Op::ListQueues) {
            return Err(SqsError::InvalidAction(op.name().to_owned()));
        }
        Ok(vec![("QueueUrl".to_owned(), names::url(ctx.host, ctx.secure, &at.account, &at.name))])
    }

    fn invalid_input(&self, op: Op, input: &Value, violations: &[wire::Violation]) -> Option<Result<(), SqsError>> {
        for v in violations {
            if v.value == wire::ShownValue::Null {
                return Some(Err(SqsError::MissingParameter(parameter_name(&v.path))));
            }
            let error = match v.path.as_str() {
                // SQS's receive takes any names there (the model's enum is for queue attributes).
                "attributeNames" | "messageSystemAttributeNames" if op == Op::ReceiveMessage => continue,
                "attributes" => unknown_attribute(input, "Attributes").map(|n| SqsError::unknown_attribute(&n)),
                "attributeNames" => unknown_attribute(input, "AttributeNames").map(|n| SqsError::unknown_attribute(&n)),
                _ => None,
            };
            return Some(Err(error.unwrap_or_else(|| SqsError::InvalidParameterValue(v.message()))));
        }
        Some(Ok(()))
    }

    async fn authorize(&self, ctx: &Ctx<'_>, request: &Request) -> Result<Authorization, SqsError> {
        let op = aws_core::service::Request::op(request);
        let check = |resource: String, policy: Option<String>| {
            let check = Check::new(action(op), resource);
            match policy {
                Some(document) => check.with_resource_policy(document, policy::ResourceMode::Optional),
                None => check,
            }
        };
        Ok(match request {
            // "Resource: *" in the Service Authorization Reference.
            Request::ListQueues(_) => Authorization::one(Check::new(action(op), "*")),
            Request::CreateQueue(input) => {
                let arn = names::arn(ctx.region, ctx.account(), &input.queue_name);
                let mut checks = vec![Check::new(action(op), arn.clone())];
                // Tagging on creation needs sqs:TagQueue as well.
                if input.tags.as_ref().is_some_and(|t| !t.is_empty()) {
                    checks.push(Check::new("sqs:TagQueue", arn));
                }
                Authorization::All(checks)
            }
            Request::GetQueueUrl(input) => {
                let account = input.queue_owner_aws_account_id.as_deref().unwrap_or(ctx.account());
                let name = &input.queue_name;
                let policy =
                    queue::read(ctx.env, account, ctx.region, name).await?.and_then(|q| q.config.policy.clone());
                Authorization::one(check(names::arn(ctx.region, account, name), policy))
            }
            Request::AddPermission(_)
            | Request::ChangeMessageVisibility(_)
            | Request::ChangeMessageVisibilityBatch(_)
            | Request::DeleteMessage(_)
            | Request::DeleteMessageBatch(_)
            | Request::DeleteQueue(_)
            | Request::GetQueueAttributes(_)
            | Request::ListDeadLetterSourceQueues(_)
            | Request::ListQueueTags(_)
            | Request::PurgeQueue(_)
            | Request::ReceiveMessage(_)
            | Request::RemovePermission(_)
            | Request::SendMessage(_)
            | Request::SendMessageBatch(_)
            | Request::SetQueueAttributes(_)
            | Request::TagQueue(_)
            | Request::UntagQueue(_) => {
                let at = names::parse_url(queue_url(request).unwrap_or_default())?;
                let policy = queue::read(ctx.env, &at.account, ctx.region, &at.name)
                    .await?
                    .and_then(|q| q.config.policy.clone());
                Authorization::one(check(names::arn(ctx.region, &at.account, &at.name), policy))
            }
        })
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: Request) -> Result<Value, SqsError> {
        // The operations on one queue find it first: a QueueUrl that names none is QueueDoesNotExist.
        macro_rules! on_queue {
            ($input:ident, |$q:ident| $call:expr) => {{
                let $q = target(ctx, &$input.queue_url).await?;
                $call
            }};
        }
        match request {
            Request::CreateQueue(input) => queues::create_queue(ctx, input).await,
            Request::GetQueueUrl(input) => queues::get_queue_url(ctx, input).await,
            Request::ListQueues(input) => queues::list_queues(ctx, input).await,
            Request::DeleteQueue(input) => on_queue!(input, |q| queues::delete_queue(ctx, &q).await),
            Request::PurgeQueue(input) => on_queue!(input, |q| queues::purge_queue(ctx, &q).await),
            Request::GetQueueAttributes(input) => {
                on_queue!(input, |q| queues::get_queue_attributes(ctx, &q, input).await)
            }
            Request::SetQueueAttributes(input) => {
                on_queue!(input, |q| queues::set_queue_attributes(ctx, &q, input).await)
            }
            Request::TagQueue(input) => on_queue!(input, |q| queues::tag_queue(ctx, &q, input).await),
            Request::UntagQueue(input) => on_queue!(input, |q| queues::untag_queue(ctx, &q, input).await),
            Request::ListQueueTags(input) => on_queue!(input, |q| queues::list_queue_tags(&q)),
            Request::ListDeadLetterSourceQueues(input) => {
                on_queue!(input, |q| queues::list_dead_letter_source_queues(ctx, &q, input).await)
            }
            Request::AddPermission(input) => on_queue!(input, |q| queues::add_permission(ctx, &q, input).await),
            Request::RemovePermission(input) => on_queue!(input, |q| queues::remove_permission(ctx, &q, input).await),
            Request::SendMessage(input) => on_queue!(input, |q| messages::send_message(ctx, &q, input).await),
            Request::SendMessageBatch(input) => {
                on_queue!(input, |q| messages::send_message_batch(ctx, &q, input).await)
            }
            Request::ReceiveMessage(input) => on_queue!(input, |q| messages::receive_message(ctx, &q, input).await),
            Request::DeleteMessage(input) => on_queue!(input, |q| messages::delete_message(ctx, &q, input).await),
            Request::DeleteMessageBatch(input) => {
                on_queue!(input, |q| messages::delete_message_batch(ctx, &q, input).await)
            }
            Request::ChangeMessageVisibility(input) => {
                on_queue!(input, |q| messages::change_message_visibility(ctx, &q, input).await)
            }
            Request::ChangeMessageVisibilityBatch(input) => {
                on_queue!(input, |q| messages::change_message_visibility_batch(ctx, &q, input).await)
            }
        }
    }
}
