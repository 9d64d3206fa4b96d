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
use serde::Deserialize;
use serde_json::Value;

/// The SQS service.
#[derive(Debug, Default)]
pub struct Sqs;

/// The members that name the queue an operation works on.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Target {
    queue_url: Option<String>,
    queue_name: Option<String>,
    #[serde(rename = "QueueOwnerAWSAccountId")]
    owner: Option<String>,
    #[serde(default, rename = "tags")]
    create_tags: Option<serde_json::Map<String, Value>>,
}

impl Target {
    fn of(input: &Value) -> Result<Self, SqsError> {
        Ok(Target::deserialize(input).map_err(|e| aws_core::CommonError::Validation(format!("Invalid input: {e}")))?)
    }
}

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

impl Sqs {
    /// The queue a request's `QueueUrl` names, or `QueueDoesNotExist`.
    async fn target(&self, ctx: &Ctx<'_>, input: &Value) -> Result<std::sync::Arc<queue::Queue>, SqsError> {
        let url = Target::of(input)?.queue_url.unwrap_or_default();
        let at = names::parse_url(&url)?;
        queue::read(ctx.env, &at.account, ctx.region, &at.name).await?.ok_or_else(|| SqsError::no_queue(ctx.protocol))
    }
}

#[async_trait::async_trait]
impl Service for Sqs {
    type Request = aws_core::service::Untyped<Op>;
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

    async fn authorize(
        &self,
        ctx: &Ctx<'_>,
        request: &aws_core::service::Untyped<Op>,
    ) -> Result<Authorization, SqsError> {
        let (op, input) = (request.op, &request.input);
        let target = Target::of(input)?;
        let check = |resource: String, policy: Option<String>| {
            let check = Check::new(action(op), resource);
            match policy {
                Some(document) => check.with_resource_policy(document, policy::ResourceMode::Optional),
                None => check,
            }
        };
        Ok(match op {
            // "Resource: *" in the Service Authorization Reference.
            Op::ListQueues => Authorization::one(Check::new(action(op), "*")),
            Op::CreateQueue => {
                let arn = names::arn(ctx.region, ctx.account(), target.queue_name.as_deref().unwrap_or_default());
                let mut checks = vec![Check::new(action(op), arn.clone())];
                // Tagging on creation needs sqs:TagQueue as well.
                if target.create_tags.is_some_and(|t| !t.is_empty()) {
                    checks.push(Check::new("sqs:TagQueue", arn));
                }
                Authorization::All(checks)
            }
            Op::GetQueueUrl => {
                let account = target.owner.as_deref().unwrap_or(ctx.account());
                let name = target.queue_name.as_deref().unwrap_or_default();
                let policy =
                    queue::read(ctx.env, account, ctx.region, name).await?.and_then(|q| q.config.policy.clone());
                Authorization::one(check(names::arn(ctx.region, account, name), policy))
            }
            Op::AddPermission
            | Op::ChangeMessageVisibility
            | Op::ChangeMessageVisibilityBatch
            | Op::DeleteMessage
            | Op::DeleteMessageBatch
            | Op::DeleteQueue
            | Op::GetQueueAttributes
            | Op::ListDeadLetterSourceQueues
            | Op::ListQueueTags
            | Op::PurgeQueue
            | Op::ReceiveMessage
            | Op::RemovePermission
            | Op::SendMessage
            | Op::SendMessageBatch
            | Op::SetQueueAttributes
            | Op::TagQueue
            | Op::UntagQueue => {
                let at = names::parse_url(target.queue_url.as_deref().unwrap_or_default())?;
                let policy = queue::read(ctx.env, &at.account, ctx.region, &at.name)
                    .await?
                    .and_then(|q| q.config.policy.clone());
                Authorization::one(check(names::arn(ctx.region, &at.account, &at.name), policy))
            }
        })
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: aws_core::service::Untyped<Op>) -> Result<Value, SqsError> {
        let aws_core::service::Untyped { op, input } = request;
        // The operations on one queue find it first: a QueueUrl that names none is QueueDoesNotExist.
        macro_rules! on_queue {
            (|$q:ident| $call:expr) => {{
                let $q = self.target(ctx, &input).await?;
                $call
            }};
        }
        match op {
            Op::CreateQueue => queues::create_queue(ctx, input).await,
            Op::GetQueueUrl => queues::get_queue_url(ctx, input).await,
            Op::ListQueues => queues::list_queues(ctx, input).await,
            Op::DeleteQueue => on_queue!(|q| queues::delete_queue(ctx, &q).await),
            Op::PurgeQueue => on_queue!(|q| queues::purge_queue(ctx, &q).await),
            Op::GetQueueAttributes => on_queue!(|q| queues::get_queue_attributes(ctx, &q, input).await),
            Op::SetQueueAttributes => on_queue!(|q| queues::set_queue_attributes(ctx, &q, input).await),
            Op::TagQueue => on_queue!(|q| queues::tag_queue(ctx, &q, input).await),
            Op::UntagQueue => on_queue!(|q| queues::untag_queue(ctx, &q, input).await),
            Op::ListQueueTags => on_queue!(|q| queues::list_queue_tags(&q)),
            Op::ListDeadLetterSourceQueues => {
                on_queue!(|q| queues::list_dead_letter_source_queues(ctx, &q, input).await)
            }
            Op::AddPermission => on_queue!(|q| queues::add_permission(ctx, &q, input).await),
            Op::RemovePermission => on_queue!(|q| queues::remove_permission(ctx, &q, input).await),
            Op::SendMessage => on_queue!(|q| messages::send_message(ctx, &q, input).await),
            Op::SendMessageBatch => on_queue!(|q| messages::send_message_batch(ctx, &q, input).await),
            Op::ReceiveMessage => on_queue!(|q| messages::receive_message(ctx, &q, input).await),
            Op::DeleteMessage => on_queue!(|q| messages::delete_message(ctx, &q, input).await),
            Op::DeleteMessageBatch => on_queue!(|q| messages::delete_message_batch(ctx, &q, input).await),
            Op::ChangeMessageVisibility => on_queue!(|q| messages::change_message_visibility(ctx, &q, input).await),
            Op::ChangeMessageVisibilityBatch => {
                on_queue!(|q| messages::change_message_visibility_batch(ctx, &q, input).await)
            }
        }
    }
}
