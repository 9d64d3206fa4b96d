//! Login with Amazon's token endpoint, `POST /auth/o2/token`: the `refresh_token`,
//! `client_credentials` (grantless) and `authorization_code` grants, with LWA's error codes and
//! messages. Client secrets, refresh tokens and codes are checked against their keyed hashes.

use crate::{Sandbox, commit};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use store::sp;

/// How long an access token (of any kind) lives, in seconds.
pub(crate) const ACCESS_TOKEN_SECS: i64 = 3600;

/// The largest token request body read; a token request is a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;

/// Verifier kinds of the secrets checked here.
pub(crate) const CLIENT_SECRET: &str = "client-secret";
pub(crate) const REFRESH_TOKEN: &str = "refresh-token";
pub(crate) const ACCESS_TOKEN: &str = "access-token";
pub(crate) const OAUTH_CODE: &str = "oauth-code";

/// The parameters of a token request (form or JSON). Holds secrets: never printed.
#[derive(Default)]
pub(crate) struct TokenRequest {
    pub grant_type: Option<String>,
    pub refresh_token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl TokenRequest {
    fn set(&mut self, key: &str, value: String) {
        let slot = match key {
            "grant_type" => &mut self.grant_type,
            "refresh_token" => &mut self.refresh_token,
            "client_id" => &mut self.client_id,
            "client_secret" => &mut self.client_secret,
            "code" => &mut self.code,
            "redirect_uri" => &mut self.redirect_uri,
            "scope" => &mut self.scope,
            _ => return,
        };
        // The first occurrence wins; empty values count as absent.
        if slot.is_none() && !value.is_empty() {
            *slot = Some(value);
        }
    }

    /// Reads a form (`application/x-www-form-urlencoded`) or JSON body, and client credentials
    /// from HTTP Basic authentication when the body has none.
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, LwaError> {
        let mut req = TokenRequest::default();
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
        if json {
            let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
                return Err(LwaError::invalid_request("The request body is not a JSON object"));
            };
            for (k, v) in map {
                if let Value::String(s) = v {
                    req.set(&k, s);
                }
            }
        } else {
            for (k, v) in form_urlencoded::parse(body) {
                req.set(&k, v.into_owned());
            }
        }
        if let Some((id, secret)) = basic_credentials(headers) {
            req.set("client_id", id);
            req.set("client_secret", secret);
        }
        Ok(req)
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// An LWA error: `{"error", "error_description"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LwaError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl LwaError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self { status, error, description: description.into() }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn missing(parameter: &str) -> Self {
        Self::invalid_request(format!("The request is missing a required parameter : {parameter}"))
    }

    fn invalid_client() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed")
    }

    fn invalid_grant(parameter: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            format!("The request has an invalid grant parameter : {parameter}"),
        )
    }

    fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            format!("The request body is larger than {} KiB", MAX_BODY / 1024),
        )
    }

    fn server_error() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "The server encountered an unexpected error")
    }
}

impl From<store::StoreError> for LwaError {
    fn from(e: store::StoreError) -> Self {
        tracing::error!(error = %e, "store error at the LWA token endpoint");
        LwaError::server_error()
    }
}

/// A successful token response.
#[derive(Debug)]
pub(crate) struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub app_id: String,
}

impl Issued {
    fn body(&self) -> Value {
        let mut body = json!({
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_SECS,
        });
        if let Some(r) = &self.refresh_token {
            body["refresh_token"] = json!(r);
        }
        if let Some(s) = &self.scope {
            body["scope"] = json!(s);
        }
        body
    }
}

impl Sandbox {
    /// Authenticates the client: the client id names an app and the secret is one of its
    /// unexpired secrets.
    async fn authenticate_client(&self, req: &TokenRequest) -> Result<sp::App, LwaError> {
        let (Some(client_id), Some(secret)) = (&req.client_id, &req.client_secret) else {
            return Err(LwaError::invalid_client());
        };
        let mut conn = self.reader().await?;
        let Some(app) = sp::app_by_client_id(&mut conn, client_id).await? else {
            return Err(LwaError::invalid_client());
        };
        let stored = sp::secret_by_verifier(&mut conn, &self.verifier(CLIENT_SECRET, secret)).await?;
        match stored {
            Some(s) if s.app_id == app.app_id && s.expires_ms > self.now_ms() => Ok(app),
            _ => Err(LwaError::invalid_client()),
        }
    }

    /// Stores a new access token granting `grant` and returns it.
    async fn issue(&self, token: String, grant: crate::issue::NewToken) -> Result<String, LwaError> {
        self.tokens.insert(self.verifier(ACCESS_TOKEN, &token), grant).await?;
        Ok(token)
    }

    /// Runs a token request.
    pub(crate) async fn token(&self, req: &TokenRequest) -> Result<Issued, LwaError> {
        match req.grant_type.as_deref() {
            None => Err(LwaError::missing("grant_type")),
            Some("refresh_token") => self.refresh_grant(req).await,
            Some("client_credentials") => self.client_credentials_grant(req).await,
            Some("authorization_code") => self.code_grant(req).await,
            Some(_) => Err(LwaError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server",
            )),
        }
    }

    async fn refresh_grant(&self, req: &TokenRequest) -> Result<Issued, LwaError> {
        let refresh = req.refresh_token.as_deref().ok_or_else(|| LwaError::missing("refresh_token"))?;
        let app = self.authenticate_client(req).await?;
        let verifier = self.verifier(REFRESH_TOKEN, refresh);
        let mut conn = self.reader().await?;
        // A selling partner's authorization, or an Amazon customer's (Data Portability).
        let (kind, subject, auth_id, scope, revoked) = if let Some(a) =
            sp::authorization_by_verifier(&mut conn, &verifier).await?.filter(|a| a.app_id == app.app_id)
        {
            ("seller", a.selling_partner_id, a.id, None, a.revoked_ms)
        } else {
            let a = store::dp::authorization_by_verifier(&mut conn, &verifier)
                .await?
                .filter(|a| a.app_id == app.app_id)
                .ok_or_else(|| LwaError::invalid_grant("refresh_token"))?;
            ("portability", a.customer_id, a.id, Some(a.scopes), a.revoked_ms)
        };
        drop(conn);
        if revoked.is_some() {
            return Err(LwaError::new(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "The request has an invalid grant parameter : refresh_token. User may have revoked or didn't grant the permission.",
            ));
        }
        let token = self.ids().access_token();
        let t = crate::issue::NewToken {
            kind,
            app_id: app.app_id.clone(),
            selling_partner_id: Some(subject),
            authorization_id: Some(auth_id),
            scope: scope.clone(),
            resources: None,
            expires_ms: self.now_ms() + ACCESS_TOKEN_SECS * 1000,
        };
        let access_token = self.issue(token, t).await?;
        Ok(Issued { access_token, refresh_token: Some(refresh.to_owned()), scope, app_id: app.app_id })
    }

    async fn client_credentials_grant(&self, req: &TokenRequest) -> Result<Issued, LwaError> {
        let scope = req.scope.as_deref().ok_or_else(|| LwaError::missing("scope"))?;
        if !spapi::scope::ALL.contains(&scope) {
            return Err(LwaError::new(StatusCode::BAD_REQUEST, "invalid_scope", "An unknown scope was requested"));
        }
        let app = self.authenticate_client(req).await?;
        let token = self.ids().grantless_token();
        let t = crate::issue::NewToken {
            kind: "grantless",
            app_id: app.app_id.clone(),
            selling_partner_id: None,
            authorization_id: None,
            scope: Some(scope.to_owned()),
            resources: None,
            expires_ms: self.now_ms() + ACCESS_TOKEN_SECS * 1000,
        };
        let access_token = self.issue(token, t).await?;
        Ok(Issued { access_token, refresh_token: None, scope: Some(scope.to_owned()), app_id: app.app_id })
    }

    async fn code_grant(&self, req: &TokenRequest) -> Result<Issued, LwaError> {
        let code = req.code.as_deref().ok_or_else(|| LwaError::missing("code"))?;
        let redirect_uri = req.redirect_uri.as_deref().ok_or_else(|| LwaError::missing("redirect_uri"))?;
        let app = self.authenticate_client(req).await?;
        let now = self.now_ms();
        let refresh = self.ids().refresh_token();
        let access = self.ids().access_token();
        let mut tx = self.begin().await?;
        let grant = sp::take_grant(&mut tx, &self.verifier(OAUTH_CODE, code), "code", now)
            .await?
            .filter(|g| g.app_id == app.app_id && g.used_ms.is_none() && g.expires_ms > now);
        let Some(grant) = grant else {
            // A code is spent by its first exchange, right or wrong.
            commit(tx).await?;
            return Err(LwaError::invalid_grant("code"));
        };
        if grant.redirect_uri.as_deref() != Some(redirect_uri) {
            commit(tx).await?;
            return Err(LwaError::invalid_grant("redirect_uri"));
        }
        let refresh_verifier = self.verifier(REFRESH_TOKEN, &refresh);
        // A code with scopes is a customer's Data Portability consent.
        let (kind, auth_id) = match &grant.scope {
            Some(scopes) => {
                let a = store::dp::Authorization {
                    id: 0,
                    app_id: app.app_id.clone(),
                    customer_id: grant.selling_partner_id.clone(),
                    scopes: scopes.clone(),
                    created_ms: now,
                    revoked_ms: None,
                };
                ("portability", store::dp::insert_authorization(&mut tx, &a, &refresh_verifier, "oauth").await?)
            }
            None => (
                "seller",
                sp::insert_authorization(
                    &mut tx,
                    &app.app_id,
                    &grant.selling_partner_id,
                    &refresh_verifier,
                    "oauth",
                    now,
                )
                .await?,
            ),
        };
        let t = sp::NewAccessToken {
            kind,
            app_id: &app.app_id,
            selling_partner_id: Some(&grant.selling_partner_id),
            authorization_id: Some(auth_id),
            scope: grant.scope.as_deref(),
            resources: None,
            expires_ms: now + ACCESS_TOKEN_SECS * 1000,
        };
        sp::insert_access_token(&mut tx, &self.verifier(ACCESS_TOKEN, &access), &t, now).await?;
        commit(tx).await?;
        Ok(Issued { access_token: access, refresh_token: Some(refresh), scope: grant.scope, app_id: app.app_id })
    }
}

/// The grant type as a metrics label (bounded: unknown types are `other`).
fn grant_label(grant: Option<&str>) -> &'static str {
    match grant {
        Some("refresh_token") => "refresh_token",
        Some("client_credentials") => "client_credentials",
        Some("authorization_code") => "authorization_code",
        Some(_) => "other",
        None => "missing",
    }
}

fn no_store(mut response: Response, request_id: &str) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=UTF-8"));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    response
}

/// `POST /auth/o2/token`.
pub(crate) async fn handle(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let request_id = sb.ids().uuid();
    let parsed = read_body(&headers, request.into_body()).await.and_then(|body| TokenRequest::parse(&headers, &body));
    let grant = grant_label(parsed.as_ref().ok().and_then(|r| r.grant_type.as_deref()));
    let result = match &parsed {
        Ok(req) => sb.token(req).await,
        Err(e) => Err(e.clone()),
    };
    let (outcome, error_code, principal) = match &result {
        Ok(issued) => ("Allowed", None, Some(issued.app_id.clone())),
        Err(e) => (
            if e.status == StatusCode::UNAUTHORIZED { "Denied" } else { "Error" },
            Some(e.error.to_owned()),
            parsed.as_ref().ok().and_then(|r| r.client_id.clone()),
        ),
    };
    metrics::counter!("spcred_lwa_token_requests_total", "grant_type" => grant, "outcome" => error_code.clone().unwrap_or_else(|| "success".into()))
        .increment(1);
    let record = store::audit::Record {
        time_ms: sb.now_ms(),
        request_id: request_id.clone(),
        principal_arn: principal,
        source_ip: peer.unwrap_or_default(),
        service: "lwa".into(),
        operation: grant.into(),
        outcome: outcome.into(),
        error_code,
        region: None,
    };
    if sb.audit(record).await.is_err() {
        return no_store(
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(error_body(&LwaError::server_error()))).into_response(),
            &request_id,
        );
    }
    let response = match result {
        Ok(issued) => (StatusCode::OK, axum::Json(issued.body())).into_response(),
        Err(e) => (e.status, axum::Json(error_body(&e))).into_response(),
    };
    no_store(response, &request_id)
}

/// The body, at most `MAX_BODY` bytes of it. A declared length over the limit is refused before
/// a byte is read (a client waiting on `Expect: 100-continue` sends nothing); a longer chunked
/// body stops being read at the limit (any other read error means the client is gone, and
/// reads no answer).
async fn read_body(headers: &HeaderMap, body: axum::body::Body) -> Result<Bytes, LwaError> {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(LwaError::too_large());
    }
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| LwaError::too_large())
}

fn error_body(e: &LwaError) -> Value {
    json!({"error_description": e.description, "error": e.error})
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn headers(content_type: &str, authorization: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        if let Some(a) = authorization {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        h
    }

    #[test]
    fn forms_json_and_basic_auth_are_read_and_never_printed() {
        let form = TokenRequest::parse(
            &headers("application/x-www-form-urlencoded", None),
            b"grant_type=refresh_token&refresh_token=Atzr%7Cx&client_id=c&client_secret=s3cr3t&grant_type=other",
        )
        .unwrap();
        assert_eq!(form.grant_type.as_deref(), Some("refresh_token"), "the first occurrence wins");
        assert_eq!(form.refresh_token.as_deref(), Some("Atzr|x"));
        assert!(!format!("{form:?}").contains("s3cr3t") && !format!("{form:?}").contains("Atzr"));
        let json = TokenRequest::parse(
            &headers("application/json; charset=utf-8", None),
            br#"{"grant_type":"client_credentials","scope":7}"#,
        )
        .unwrap();
        assert_eq!((json.grant_type.as_deref(), json.scope.as_deref()), (Some("client_credentials"), None));
        assert!(TokenRequest::parse(&headers("application/json", None), b"[1]").is_err());
        // "c:s" in base64; the body's own credentials win over Basic.
        let basic =
            TokenRequest::parse(&headers("application/x-www-form-urlencoded", Some("Basic Yzpz")), b"client_id=body")
                .unwrap();
        assert_eq!((basic.client_id.as_deref(), basic.client_secret.as_deref()), (Some("body"), Some("s")));
    }

    proptest! {
        #[test]
        fn any_body_parses_or_is_refused_without_panicking(body in proptest::collection::vec(any::<u8>(), 0..512), json in any::<bool>()) {
            let ct = if json { "application/json" } else { "application/x-www-form-urlencoded" };
            let _ = TokenRequest::parse(&headers(ct, Some("Basic !!!")), &body);
        }
    }
}
