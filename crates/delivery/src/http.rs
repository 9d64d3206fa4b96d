//! HTTP and HTTPS endpoints: a POST with SNS's headers, 15 seconds to answer.

use crate::{Channel, ConfigError, HTTP_TIMEOUT, by_status, by_transport_error};
use store::delivery::{Attempt, HTTP_JOB, Send};

/// The User-Agent SNS sends with.
const USER_AGENT: &str = "Amazon Simple Notification Service Agent";

/// The HTTP/S channel.
#[derive(Debug)]
pub struct Http {
    client: reqwest::Client,
}

impl Http {
    /// The channel.
    pub fn new() -> Result<Self, ConfigError> {
        let client = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .user_agent(USER_AGENT)
            // An endpoint that redirects is not the endpoint that was confirmed.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ConfigError::Client(e.to_string()))?;
        Ok(Self { client })
    }
}

#[async_trait::async_trait]
impl Channel for Http {
    const KIND: &'static str = HTTP_JOB;
    const NAME: &'static str = "http";

    fn outbox(&self) -> Option<(&'static str, Option<String>)> {
        None
    }

    async fn send(&self, send: &Send) -> Attempt {
        let mut request = self
            .client
            .post(&send.endpoint)
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=UTF-8")
            .body(send.body.clone());
        for (name, value) in &send.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                by_status(status, &body)
            }
            Err(e) => by_transport_error(e),
        }
    }
}
