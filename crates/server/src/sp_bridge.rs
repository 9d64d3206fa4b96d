//! What the SP-API sandbox needs from the AWS side, over the AWS services: delivering its
//! notifications as Amazon's account, and (legacy IAM mode) SigV4 and IAM for SP-API calls.

use sp::{NotificationSink, PartnerEventTarget, SinkError};
use std::sync::Arc;

/// Delivers the sandbox's notifications into this server's SQS queues and EventBridge buses.
pub struct AwsSink {
    env: Arc<aws::Env>,
}

impl std::fmt::Debug for AwsSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsSink").finish_non_exhaustive()
    }
}

impl AwsSink {
    /// A sink over the services' environment.
    pub fn new(env: Arc<aws::Env>) -> Self {
        Self { env }
    }
}

#[async_trait::async_trait]
impl NotificationSink for AwsSink {
    async fn send_to_queue(&self, queue_arn: &str, _body: &str) -> Result<(), SinkError> {
        let _ = &self.env;
        Err(SinkError::Unavailable(format!("{queue_arn}: this build of spcred serve has no SQS yet")))
    }

    async fn put_partner_event(
        &self,
        target: &PartnerEventTarget,
        _event: &serde_json::Value,
    ) -> Result<(), SinkError> {
        Err(SinkError::Unavailable(format!(
            "{}: this build of spcred serve has no EventBridge yet",
            target.source_name
        )))
    }
}
