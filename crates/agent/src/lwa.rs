//! The LWA token endpoint, as a client: the `refresh_token` and `client_credentials` grants, and
//! LWA's errors sorted by what they mean for the agent. `invalid_client`: the client secret is
//! wrong or expired, which only a person or a rotation fixes. `invalid_grant`: this seller's
//! refresh token no longer works (the seller revoked the authorization). Anything else is refused
//! for this request only, or LWA is unavailable.

use crypto::Secret;
use serde::Deserialize;
use std::time::Duration;

/// The largest LWA answer read.
const MAX_ANSWER: usize = 64 * 1024;
/// The longest an exchange may take: every request waiting on a token waits on it.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// What to exchange.
#[derive(Debug, Clone, Copy)]
pub enum Grant<'a> {
    /// A seller's refresh token.
    RefreshToken(&'a Secret),
    /// A grantless token of this scope.
    ClientCredentials(&'a str),
}

impl Grant<'_> {
    /// The grant type, for labels.
    pub fn kind(self) -> &'static str {
        match self {
            Grant::RefreshToken(_) => "refresh_token",
            Grant::ClientCredentials(_) => "client_credentials",
        }
    }
}

/// An access token from LWA.
#[derive(Debug)]
pub struct Issued {
    /// The access token.
    pub access_token: Secret,
    /// How long it is good for.
    pub expires_in: Duration,
}

/// Why LWA gave no token. The texts are LWA's descriptions, which never echo a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LwaError {
    /// `invalid_client`: the client id or secret is wrong, or the secret expired.
    InvalidClient(String),
    /// `invalid_grant`: the refresh token is revoked or wrong.
    InvalidGrant(String),
    /// Another LWA error (`invalid_request`, `invalid_scope`, ...).
    Refused {
        /// The HTTP status.
        status: u16,
        /// LWA's error code.
        error: String,
        /// LWA's description.
        description: String,
    },
    /// No usable answer.
    Unavailable(String),
}

impl LwaError {
    /// The outcome label of the metrics.
    pub fn outcome(&self) -> &'static str {
        match self {
            LwaError::InvalidClient(_) => "invalid_client",
            LwaError::InvalidGrant(_) => "invalid_grant",
            LwaError::Refused { .. } => "refused",
            LwaError::Unavailable(_) => "unavailable",
        }
    }
}

impl std::fmt::Display for LwaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LwaError::InvalidClient(d) => write!(f, "invalid_client: {d}"),
            LwaError::InvalidGrant(d) => write!(f, "invalid_grant: {d}"),
            LwaError::Refused { status, error, description } => write!(f, "{error} (HTTP {status}): {description}"),
            LwaError::Unavailable(why) => write!(f, "LWA is unavailable: {why}"),
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    access_token: Option<String>,
    expires_in: Option<u64>,
    error: Option<String>,
    error_description: Option<String>,
}

fn clip(text: &str) -> String {
    text.chars().take(300).collect()
}

/// LWA's answer `body` with `status`, as a token or an error.
pub(crate) fn parse(status: u16, body: &[u8]) -> Result<Issued, LwaError> {
    let answer: Option<Answer> = serde_json::from_slice(body).ok();
    if status == 200 {
        return match answer {
            Some(Answer { access_token: Some(token), expires_in, .. }) if !token.is_empty() => Ok(Issued {
                access_token: Secret::new(token),
                expires_in: Duration::from_secs(expires_in.unwrap_or(3600).clamp(1, 86_400)),
            }),
            _ => Err(LwaError::Unavailable("LWA answered 200 without an access_token".into())),
        };
    }
    let Some(Answer { error: Some(error), error_description, .. }) = answer else {
        return Err(LwaError::Unavailable(format!("LWA answered HTTP {status} without an error code")));
    };
    let description = clip(error_description.as_deref().unwrap_or(""));
    Err(match error.as_str() {
        "invalid_client" => LwaError::InvalidClient(description),
        "invalid_grant" => LwaError::InvalidGrant(description),
        _ if status >= 500 => LwaError::Unavailable(format!("{} (HTTP {status}): {description}", clip(&error))),
        _ => LwaError::Refused { status, error: clip(&error), description },
    })
}

/// The LWA token endpoint.
#[derive(Debug)]
pub struct Lwa {
    http: reqwest::Client,
    endpoint: String,
}

impl Lwa {
    /// The endpoint at `endpoint` (e.g. `https://api.amazon.com/auth/o2/token`), over `http`.
    pub fn new(http: reqwest::Client, endpoint: String) -> Self {
        Self { http, endpoint }
    }

    /// Exchanges `grant` for an access token with the client credentials.
    pub async fn exchange(
        &self,
        client_id: &Secret,
        client_secret: &Secret,
        grant: Grant<'_>,
    ) -> Result<Issued, LwaError> {
        let mut form = vec![("client_id", client_id.expose()), ("client_secret", client_secret.expose())];
        match grant {
            Grant::RefreshToken(token) => {
                form.extend([("grant_type", "refresh_token"), ("refresh_token", token.expose())]);
            }
            Grant::ClientCredentials(scope) => form.extend([("grant_type", "client_credentials"), ("scope", scope)]),
        }
        let unavailable = |e: reqwest::Error| LwaError::Unavailable(e.without_url().to_string());
        let response =
            self.http.post(&self.endpoint).timeout(EXCHANGE_TIMEOUT).form(&form).send().await.map_err(unavailable)?;
        let status = response.status().as_u16();
        let body = crate::read_limited(response, MAX_ANSWER).await.map_err(LwaError::Unavailable)?;
        parse(status, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_lwas_errors() {
        let ok = parse(200, br#"{"access_token":"Atza|x","token_type":"bearer","expires_in":3600}"#).unwrap();
        assert_eq!((ok.access_token.expose(), ok.expires_in), ("Atza|x", Duration::from_secs(3600)));
        assert_eq!(
            parse(401, br#"{"error_description":"Client authentication failed","error":"invalid_client"}"#)
                .unwrap_err(),
            LwaError::InvalidClient("Client authentication failed".into())
        );
        let revoked = parse(
            400,
            br#"{"error":"invalid_grant","error_description":"The request has an invalid grant parameter : refresh_token. User may have revoked or didn't grant the permission."}"#,
        )
        .unwrap_err();
        assert!(matches!(&revoked, LwaError::InvalidGrant(d) if d.contains("User may have revoked")));
        assert_eq!(revoked.outcome(), "invalid_grant");
        assert_eq!(
            parse(400, br#"{"error":"invalid_scope","error_description":"bad scope"}"#).unwrap_err(),
            LwaError::Refused { status: 400, error: "invalid_scope".into(), description: "bad scope".into() }
        );
        assert!(matches!(parse(503, b"<html>busy</html>").unwrap_err(), LwaError::Unavailable(_)));
        assert!(matches!(parse(500, br#"{"error":"server_error"}"#).unwrap_err(), LwaError::Unavailable(_)));
        assert!(matches!(parse(200, br#"{"token_type":"bearer"}"#).unwrap_err(), LwaError::Unavailable(_)));
        assert_eq!(parse(200, br#"{"access_token":"a","expires_in":0}"#).unwrap().expires_in, Duration::from_secs(1));
    }

    proptest::proptest! {
        #[test]
        fn any_answer_parses_or_not_without_panicking(status in 100u16..600, body in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse(status, &body);
        }
    }
}
