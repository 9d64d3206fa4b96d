//! The two LWA exchanges doctor makes: the client credentials alone (a grantless token), and each
//! seller's refresh token. Only the outcome matters here, never the token beyond one SP-API call.

use crypto::Secret;
use serde::Deserialize;

/// The grantless scope every app may ask for: it proves the client id and secret without a seller.
pub(crate) const ROTATION_SCOPE: &str = "sellingpartnerapi::client_credential:rotation";

/// The largest LWA answer read.
const MAX_ANSWER: usize = 64 * 1024;

#[derive(Deserialize)]
struct Answer {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Exchanges `grant` (the grant's own form fields) with the client credentials; the access token
/// or LWA's reason, without any secret in it.
pub(crate) async fn exchange(
    http: &reqwest::Client,
    endpoint: &str,
    client_id: &Secret,
    client_secret: &Secret,
    grant: &[(&str, &str)],
) -> Result<Secret, String> {
    let mut form = vec![("client_id", client_id.expose()), ("client_secret", client_secret.expose())];
    form.extend_from_slice(grant);
    let mut response = http.post(endpoint).form(&form).send().await.map_err(|e| e.without_url().to_string())?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.without_url().to_string())? {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(format!("LWA answered HTTP {status} with more than {MAX_ANSWER} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    let answer: Option<Answer> = serde_json::from_slice(&body).ok();
    match answer {
        Some(Answer { access_token: Some(token), .. }) if status == 200 && !token.is_empty() => Ok(Secret::new(token)),
        Some(Answer { error: Some(error), error_description, .. }) => {
            let description: String = error_description.unwrap_or_default().chars().take(200).collect();
            let error: String = error.chars().take(64).collect();
            Err(format!("LWA answered {error} (HTTP {status}): {description}"))
        }
        _ => Err(format!("LWA answered HTTP {status} without a token or an error")),
    }
}
