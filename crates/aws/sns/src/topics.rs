//! SNS's side of the core's [`Topics`] port: EventBridge publishing to its topic targets.

use crate::Sns;
use crate::publish::{self, Outgoing};
use aws_core::env::Env;
use aws_core::error::CommonError;
use aws_core::ports::{Published, TopicError, Topics};

#[async_trait::async_trait]
impl Topics for Sns {
    async fn publish(
        &self,
        env: &Env,
        topic_arn: &str,
        message: &str,
        principal: &str,
        source_arn: &str,
    ) -> Result<Published, TopicError> {
        let signer = self.signer(env).await.map_err(|e| TopicError::Failed(e.to_string()))?;
        let topic = store::sns::topic(&mut *env.store.read().await?, topic_arn).await?;
        let Some(topic) = topic else { return Err(TopicError::NoSuchTopic(topic_arn.to_owned())) };
        match crate::api::authorize_service_publish(env, principal, source_arn, &topic).await {
            Ok(()) => {}
            Err(CommonError::AccessDenied(message)) => return Err(TopicError::AccessDenied(message)),
            Err(e) => return Err(TopicError::Failed(e.to_string())),
        }
        let now = env.now_ms();
        let out = Outgoing {
            message_id: env.ids.uuid(),
            message: message.to_owned(),
            per_protocol: None,
            subject: None,
            attributes: crate::message::Attributes::new(),
            timestamp: crate::message::timestamp(now),
        };
        let mut tx = env.store.begin().await?;
        if let Err(e) = publish::fan_out(env, &mut tx, &signer, &topic, &out, now).await {
            return Err(TopicError::Failed(e.to_string()));
        }
        Ok(Published { tx, message_id: out.message_id })
    }
}
