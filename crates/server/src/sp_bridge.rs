//! What the SP-API sandbox needs from the AWS side, over the AWS services: delivering its
//! notifications into SQS queues as Amazon's account (the queue's policy decides) or onto the
//! partner event bus of an EventBridge destination, and (legacy
//! IAM mode) SigV4 and IAM for SP-API calls.

use aws_core::ports::{QueueError, QueueMessage, Queues as _};
use sp::{GateRefusal, IamGate, NotificationSink, PartnerEventTarget, SinkError};
use std::sync::Arc;

/// Delivers the sandbox's notifications into this server's SQS queues.
pub struct AwsSink {
    env: Arc<aws_core::Env>,
}

impl std::fmt::Debug for AwsSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsSink").finish_non_exhaustive()
    }
}

impl AwsSink {
    /// A sink over the services' environment.
    pub fn new(env: Arc<aws_core::Env>) -> Self {
        Self { env }
    }
}

#[async_trait::async_trait]
impl NotificationSink for AwsSink {
    async fn send_to_queue(&self, queue_arn: &str, body: &str) -> Result<(), SinkError> {
        let amazon = aws_core::Caller::root(sp::AMAZON_ACCOUNT, None);
        let message = QueueMessage { body: body.to_owned(), attributes: None };
        match sqs::SqsQueues.deliver(&self.env, queue_arn, message, &amazon, None).await {
            Ok(_) => Ok(()),
            Err(QueueError::Internal) => Err(SinkError::Unavailable("the store failed".into())),
            // No such queue, a policy that leaves Amazon out, a message the queue refuses (a FIFO
            // queue): each stays so until someone changes the queue.
            Err(e) => Err(SinkError::Refused(e.to_string())),
        }
    }

    async fn put_partner_event(&self, target: &PartnerEventTarget, event: &serde_json::Value) -> Result<(), SinkError> {
        let scope = store::Scope { account_id: &target.account_id, region: &target.region };
        match events::outbox::put_partner_event(&self.env, scope, &target.source_name, event).await {
            Ok(true) => Ok(()),
            // As on AWS, the partner event source exists from the destination's creation; until
            // the account associates an event bus with it, its events have nowhere to go.
            Ok(false) => Err(SinkError::Refused(format!(
                "no event bus in account {} ({}) is associated with the partner event source {}; create one with \
                 `aws events create-event-bus --name {} --event-source-name {}`",
                target.account_id, target.region, target.source_name, target.source_name, target.source_name
            ))),
            Err(e) => {
                tracing::error!(error = %e, "a partner event could not be queued");
                Err(SinkError::Unavailable("the store failed".into()))
            }
        }
    }
}

/// Legacy IAM mode over IAM and STS: SigV4 against the store's access keys and sessions, and
/// IAM's evaluation of `execute-api:Invoke`.
pub struct AwsGate {
    env: Arc<aws_core::Env>,
}

impl std::fmt::Debug for AwsGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsGate").finish_non_exhaustive()
    }
}

impl AwsGate {
    /// A gate over the services' environment.
    pub fn new(env: Arc<aws_core::Env>) -> Self {
        Self { env }
    }
}

fn refusal(e: aws_core::CommonError) -> GateRefusal {
    match e {
        aws_core::CommonError::InvalidClientTokenId => GateRefusal::InvalidToken,
        aws_core::CommonError::ExpiredToken => GateRefusal::ExpiredToken,
        aws_core::CommonError::SignatureDoesNotMatch(m) | aws_core::CommonError::IncompleteSignature(m) => {
            GateRefusal::InvalidSignature(m)
        }
        aws_core::CommonError::AccessDenied(m) => GateRefusal::Denied(m),
        other => {
            tracing::error!(error = %other, "legacy IAM check failed");
            GateRefusal::Internal
        }
    }
}

#[async_trait::async_trait]
impl IamGate for AwsGate {
    async fn check(
        &self,
        request: &sigv4::Request<'_>,
        auth: &sigv4::Auth,
        source_ip: std::net::IpAddr,
        registered_arn: &str,
    ) -> Result<(), GateRefusal> {
        let (caller, region) =
            aws_core::authenticate_request(&self.env, request, auth.clone(), "execute-api").await.map_err(refusal)?;
        // The registered entity is an IAM user (its own keys) or a role (sessions of it).
        let registered = match &caller.kind {
            aws_core::CallerKind::User { .. } => caller.arn == registered_arn,
            aws_core::CallerKind::AssumedRole { role_arn, .. } => role_arn == registered_arn,
            _ => false,
        };
        if !registered {
            return Err(GateRefusal::NotRegistered { signer: caller.arn });
        }
        let resource = sp::execute_api_arn(&region, &caller.account_id, request.method, request.path);
        let request_id = self.env.ids.uuid();
        let ctx = aws_core::Ctx {
            env: &self.env,
            request_id: &request_id,
            caller: &caller,
            region: &region,
            source_ip,
            host: "",
            secure: false,
            // Only SQS reads the protocol (to spell its errors); SP-API speaks JSON.
            protocol: wire::Protocol::Json1_1,
            now_ms: self.env.now_ms(),
        };
        ctx.authorize(aws_core::Check::new("execute-api:Invoke", resource)).await.map_err(refusal)
    }
}
