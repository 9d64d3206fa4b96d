//! SMS through an HTTP provider: a Twilio-style form POST (`To`, `From`, `Body`) with the
//! provider's credentials from the URL's user info as HTTP basic auth. Without a provider,
//! texts go to the local outbox.

use crate::{Channel, Config, ConfigError, HTTP_TIMEOUT, by_status, by_transport_error, redact};
use store::delivery::{Attempt, SMS_JOB, Send};

/// The SMS channel.
pub struct Sms {
    provider: Option<Provider>,
}

struct Provider {
    client: reqwest::Client,
    url: url::Url,
    user: Option<(String, Option<String>)>,
    from: Option<String>,
}

impl std::fmt::Debug for Sms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sms").field("provider", &self.provider.as_ref().map(|p| p.url.to_string())).finish()
    }
}

impl Sms {
    /// The channel for `config`: the provider at `sms_url` if set, else the local outbox.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        let Some(raw) = &config.sms_url else { return Ok(Self { provider: None }) };
        let bad = |reason: &str| ConfigError::Sms { url: redact(raw), reason: reason.to_owned() };
        let mut url = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("it must be an http or https URL"));
        }
        let user = (!url.username().is_empty()).then(|| {
            let decode = |s: &str| percent_decode(s);
            (decode(url.username()), url.password().map(decode))
        });
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let client = reqwest::Client::builder()
            .timeout(crate::HTTP_TIMEOUT)
            .build()
            .map_err(|e| ConfigError::Client(e.to_string()))?;
        Ok(Self { provider: Some(Provider { client, url, user, from: config.sms_from.clone() }) })
    }
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

#[async_trait::async_trait]
impl Channel for Sms {
    const KIND: &'static str = SMS_JOB;
    const NAME: &'static str = "sms";

    fn outbox(&self) -> Option<(&'static str, Option<String>)> {
        self.provider.is_none().then_some(("sms", None))
    }

    async fn send(&self, send: &Send) -> Attempt {
        let Some(p) = &self.provider else {
            return Attempt::Failed { error: "no SMS provider configured".into(), retryable: true };
        };
        let mut form = vec![("To", send.endpoint.as_str()), ("Body", send.body.as_str())];
        if let Some(from) = &p.from {
            form.push(("From", from));
        }
        let mut request = p.client.post(p.url.clone()).form(&form).timeout(HTTP_TIMEOUT);
        if let Some((user, password)) = &p.user {
            request = request.basic_auth(user, password.as_ref());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_out_of_the_url() {
        let sms = Sms::new(&Config {
            sms_url: Some("https://AC123:tok%2Fen@api.example.com/2010-04-01/Accounts/AC123/Messages.json".into()),
            sms_from: Some("+15005550006".into()),
            ..Config::default()
        })
        .unwrap();
        let p = sms.provider.as_ref().unwrap();
        assert_eq!(p.url.as_str(), "https://api.example.com/2010-04-01/Accounts/AC123/Messages.json");
        assert_eq!(p.user, Some(("AC123".into(), Some("tok/en".into()))));
        assert!(!format!("{sms:?}").contains("tok"));
        assert!(Sms::new(&Config::default()).unwrap().outbox().is_some());
        assert!(Sms::new(&Config { sms_url: Some("ftp://x".into()), ..Config::default() }).is_err());
    }
}
