//! E-mail (`email` and `email-json` subscriptions) over SMTP with lettre, or into the local
//! outbox when no SMTP server is configured.

use crate::{Channel, Config, ConfigError, SMTP_TIMEOUT, redact};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use store::delivery::{Attempt, EMAIL_JOB, Send};

/// The sender when `--smtp-from` is not given.
const DEFAULT_FROM: &str = "no-reply@localhost";
/// The sender's display name when the topic has no DisplayName, as SNS signs its mail.
const DEFAULT_SENDER_NAME: &str = "AWS Notifications";

/// The e-mail channel.
pub struct Email {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: String,
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email").field("smtp", &self.transport.is_some()).field("from", &self.from).finish()
    }
}

impl Email {
    /// The channel for `config`: SMTP if `smtp_url` is set, else the local outbox.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        let from = config.smtp_from.clone().unwrap_or_else(|| DEFAULT_FROM.to_owned());
        from.parse::<lettre::Address>().map_err(|_| ConfigError::From(from.clone()))?;
        let transport = match &config.smtp_url {
            None => None,
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| ConfigError::Smtp { url: redact(url), reason: e.to_string() })?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build(),
            ),
        };
        Ok(Self { transport, from })
    }

    fn message(&self, send: &Send) -> Result<Message, String> {
        let name = send.sender_name.clone().unwrap_or_else(|| DEFAULT_SENDER_NAME.to_owned());
        let from = Mailbox::new(Some(name), self.from.parse().map_err(|e| format!("sender: {e}"))?);
        let to: Mailbox = send.endpoint.parse().map_err(|e| format!("recipient {}: {e}", send.endpoint))?;
        Message::builder()
            .from(from)
            .to(to)
            .subject(send.subject.clone().unwrap_or_default())
            // One id per delivery: should a crash make us send a message twice, mail systems
            // can tell it is the same one.
            .message_id(Some(format!("<{}@spcred>", send.delivery_id)))
            .header(ContentType::TEXT_PLAIN)
            .body(send.body.clone())
            .map_err(|e| e.to_string())
    }
}

#[async_trait::async_trait]
impl Channel for Email {
    const KIND: &'static str = EMAIL_JOB;
    const NAME: &'static str = "email";

    fn outbox(&self) -> Option<(&'static str, Option<String>)> {
        self.transport.is_none().then(|| ("email", Some(self.from.clone())))
    }

    async fn send(&self, send: &Send) -> Attempt {
        let Some(transport) = &self.transport else {
            return Attempt::Failed { error: "no SMTP server configured".into(), retryable: true };
        };
        let message = match self.message(send) {
            Ok(m) => m,
            Err(error) => {
                return Attempt::Failed { error: format!("the message cannot be built: {error}"), retryable: false };
            }
        };
        match transport.send(message).await {
            Ok(response) => Attempt::Delivered(format!(
                "SMTP {} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
            // A permanent (5xx) refusal will not change by retrying; anything else might.
            Err(e) => Attempt::Failed { error: format!("SMTP: {e}"), retryable: !e.is_permanent() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(to: &str) -> Send {
        Send {
            delivery_id: "d1".into(),
            endpoint: to.into(),
            subject: Some("AWS Notification Message".into()),
            sender_name: Some("Rotation".into()),
            body: "hello".into(),
            headers: Vec::new(),
            attributes: None,
            principal: "sns.amazonaws.com".into(),
            source_arn: "arn:aws:sns:us-east-1:123456789012:t".into(),
            retry: store::delivery::Retry::CUSTOMER_MANAGED,
            dead_letter: None,
            created_ms: 0,
            hops: 0,
        }
    }

    #[test]
    fn without_smtp_mail_goes_to_the_outbox() {
        let email = Email::new(&Config::default()).unwrap();
        assert_eq!(email.outbox(), Some(("email", Some(DEFAULT_FROM.to_owned()))));
        let with = Email::new(&Config { smtp_url: Some("smtp://127.0.0.1:2525".into()), ..Config::default() }).unwrap();
        assert!(with.outbox().is_none());
        assert!(matches!(
            Email::new(&Config { smtp_from: Some("not an address".into()), ..Config::default() }),
            Err(ConfigError::From(_))
        ));
        assert!(Email::new(&Config { smtp_url: Some("ftp://x".into()), ..Config::default() }).is_err());
    }

    #[test]
    fn messages_carry_the_display_name_and_a_stable_id() {
        let email = Email::new(&Config::default()).unwrap();
        let text = String::from_utf8(email.message(&send("ops@example.com")).unwrap().formatted()).unwrap();
        assert!(text.contains("From: Rotation <no-reply@localhost>"), "{text}");
        assert!(text.contains("To: ops@example.com"));
        assert!(text.contains("Message-ID: <d1@spcred>"));
        assert!(text.contains("Subject: AWS Notification Message"));
        assert!(email.message(&send("not an address")).is_err());
    }
}
