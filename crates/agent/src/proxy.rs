//! Calls to SP-API: `/sp/<na|eu|fe>/<path>` from the seller app, and the agent's own
//! createRestrictedDataToken calls. Each call is paced by its operation's token bucket, carries
//! the right token (the seller's, a grantless one, or a restricted data token for the PII
//! operations) and Amazon's user-agent; a 403 for an expired token refreshes it and tries once
//! more; a 429 empties the bucket and tries again after a jittered backoff, within the configured
//! longest wait, past which SP-API's 429 is passed on. Request bodies are held (a retry sends them
//! again, and SP-API's are small); answers stream.

use crate::Agent;
use crate::broker::{Resource, canonical};
use crate::cache::Key;
use crate::config::{Region, useful_id};
use crate::error::Failure;
use crate::metrics::{PROXIED, RETRIES, THROTTLED};
use crate::ratelimit::{BucketKey, backoff, parse_rate};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use spapi::{Access, Operation};
use std::sync::Arc;
use tokio::time::Instant;

/// The selling partner of a request.
pub(crate) const SELLER_HEADER: &str = "x-amzn-selling-partner-id";
/// The data elements a client wants from an operation that returns PII on request
/// (`getOrders`: `buyerInfo,shippingAddress`).
const DATA_ELEMENTS_HEADER: &str = "x-spcred-data-elements";
/// Asks for a restricted data token where one is needed only for some resources (a report
/// document of a restricted report type).
const RESTRICTED_HEADER: &str = "x-spcred-restricted";
/// The largest request body accepted.
const MAX_BODY: usize = 10 * 1024 * 1024;
/// The most of a 403 answer read to tell an expired token from another refusal.
const MAX_REFUSAL: usize = 64 * 1024;

/// Headers that belong to one hop, or that the agent sets itself.
fn forwarded(name: &HeaderName) -> bool {
    !matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "host"
            | "content-length"
            | "authorization"
            | "user-agent"
            | "x-amz-access-token"
            | SELLER_HEADER
            | DATA_ELEMENTS_HEADER
            | RESTRICTED_HEADER
    )
}

/// One call to SP-API.
#[derive(Debug)]
pub(crate) struct Call {
    pub region: Region,
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    pub query: Option<String>,
    /// The headers to send besides the token and user-agent.
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The token it needs.
    pub key: Key,
    /// The operation, when the table knows it.
    pub operation: Option<&'static Operation>,
}

impl Call {
    fn bucket(&self) -> Option<(BucketKey, &'static Operation)> {
        let op = self.operation?;
        let owner = match &self.key {
            Key::Seller(s) | Key::Rdt { seller: s, .. } => s.clone(),
            Key::Grantless(_) => "-".to_owned(),
        };
        Some((BucketKey { region: self.region, owner, api: op.api, operation: op.name }, op))
    }

    fn label(&self) -> &'static str {
        self.operation.map_or("unknown", |o| o.name)
    }
}

/// Whether a 403 refused the token itself (expired, or revoked, malformed or invalid, in
/// SP-API's words) rather than the call: then a fresh token may succeed, and a refresh also
/// tells a seller's revocation (LWA's `invalid_grant`) from a lost token.
fn refused_token(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    text.contains("token") && (text.contains("expired") || text.contains("revoked"))
}

fn response(status: StatusCode, headers: &HeaderMap, body: Body) -> Response {
    let mut out = Response::new(body);
    *out.status_mut() = status;
    for (name, value) in headers {
        if forwarded(name) || name == header::CONTENT_LENGTH {
            out.headers_mut().append(name, value.clone());
        }
    }
    out
}

impl Agent {
    /// Makes `call`, paced, refreshed and retried as the module says.
    pub(crate) async fn call(&self, call: Call) -> Result<Response, Failure> {
        let deadline = Instant::now() + self.config.max_throttle_wait;
        let bucket = call.bucket();
        let url = match &call.query {
            Some(q) => format!("{}{}?{q}", self.config.endpoint(call.region), call.path),
            None => format!("{}{}", self.config.endpoint(call.region), call.path),
        };
        let mut refreshed = false;
        let mut throttled = 0u32;
        loop {
            if let Some((key, op)) = &bucket {
                self.limiter.acquire(key, op.plan, deadline).await.map_err(Failure::Throttled)?;
            }
            let token = self.token(&call.key).await?;
            let access = HeaderValue::from_str(token.value.expose())
                .map_err(|_| Failure::Upstream("the token is not a valid header value".into()))?;
            let upstream = self
                .http
                .request(call.method.clone(), &url)
                .headers(call.headers.clone())
                .header("x-amz-access-token", access)
                .body(call.body.clone())
                .send()
                .await
                .map_err(|e| Failure::Upstream(format!("SP-API is unreachable: {}", e.without_url())))?;
            let status = upstream.status();
            let rate =
                upstream.headers().get("x-amzn-ratelimit-limit").and_then(|v| v.to_str().ok()).and_then(parse_rate);
            if status == StatusCode::TOO_MANY_REQUESTS {
                self.metrics.inc(THROTTLED, &[("operation", call.label())]);
                if let Some((key, _)) = &bucket {
                    self.limiter.throttled(key);
                }
                let wait = backoff(throttled, rate);
                if Instant::now() + wait <= deadline {
                    throttled += 1;
                    self.metrics.inc(RETRIES, &[("operation", call.label()), ("reason", "throttled")]);
                    drop(upstream);
                    tokio::time::sleep(wait).await;
                    continue;
                }
            } else if let Some((key, _)) = &bucket {
                self.limiter.observe(key, rate);
            }
            if status == StatusCode::FORBIDDEN {
                let headers = upstream.headers().clone();
                let body = crate::read_limited(upstream, MAX_REFUSAL).await.map_err(Failure::Upstream)?;
                if !refreshed && refused_token(&body) {
                    refreshed = true;
                    self.cache.invalidate(&call.key, token.generation);
                    self.metrics.inc(RETRIES, &[("operation", call.label()), ("reason", "token_refused")]);
                    continue;
                }
                return Ok(response(status, &headers, Body::from(body)));
            }
            let headers = upstream.headers().clone();
            return Ok(response(status, &headers, Body::from_stream(upstream.bytes_stream())));
        }
    }
}

/// Which token a call to `op` needs, given what the client asked for.
fn key_for(
    op: Option<&'static Operation>,
    region: Region,
    seller: impl Fn() -> Result<String, Failure>,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<Key, Failure> {
    let elements = headers.get(DATA_ELEMENTS_HEADER).map(|v| {
        v.to_str()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    });
    let restricted = headers.get(RESTRICTED_HEADER).is_some();
    let Some(op) = op else {
        return Ok(Key::Seller(seller()?));
    };
    let resource = |data_elements: Option<Vec<String>>| -> Result<Key, Failure> {
        let path = op.rdt_path(path).to_owned();
        let resources = canonical(&[Resource { method: method.as_str().to_owned(), path, data_elements }])?;
        Ok(Key::Rdt { region, seller: seller()?, resources })
    };
    match (op.access, elements) {
        (Access::Grantless(scope), _) => Ok(Key::Grantless(scope)),
        (Access::Restricted { .. }, _) => resource(None),
        (Access::Elements { elements: allowed, .. }, Some(wanted)) if !wanted.is_empty() => {
            if let Some(bad) = wanted.iter().find(|w| !allowed.contains(&w.as_str())) {
                return Err(Failure::BadRequest(format!(
                    "{bad} is not a data element of {} (it has {})",
                    op.name,
                    allowed.join(", ")
                )));
            }
            resource(Some(wanted))
        }
        (Access::OnRequest, _) if restricted => resource(None),
        _ => Ok(Key::Seller(seller()?)),
    }
}

/// `/sp/<region>/<path>`: the proxy.
pub(crate) async fn handle(State(agent): State<Arc<Agent>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let full = parts.uri.path();
    let rest = full.strip_prefix("/sp/").unwrap_or("");
    let (region_name, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let op = spapi::find(parts.method.as_str(), path);
    let label = op.map_or("unknown", |o| o.name);
    let answer = async {
        let region = Region::parse(region_name).ok_or_else(|| {
            Failure::BadRequest(format!("{region_name:?} is not an SP-API region: use /sp/na, /sp/eu or /sp/fe"))
        })?;
        if path.is_empty() {
            return Err(Failure::BadRequest("the path after /sp/<region> is the SP-API path".into()));
        }
        let named = match parts.headers.get(SELLER_HEADER) {
            Some(v) => Some(
                v.to_str()
                    .ok()
                    .filter(|s| useful_id(s))
                    .ok_or_else(|| Failure::BadRequest(format!("{SELLER_HEADER} is not a selling partner id")))?,
            ),
            None => None,
        };
        let key = key_for(op, region, || agent.seller(named), &parts.method, path, &parts.headers)?;
        let body = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|_| Failure::BadRequest(format!("the request body is larger than {MAX_BODY} bytes")))?;
        let headers: HeaderMap =
            parts.headers.iter().filter(|(n, _)| forwarded(n)).map(|(n, v)| (n.clone(), v.clone())).collect();
        let call = Call {
            region,
            method: parts.method.clone(),
            path: path.to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers,
            body,
            key,
            operation: op,
        };
        agent.call(call).await
    }
    .await;
    let response = answer.unwrap_or_else(Failure::into_sp_response);
    agent.metrics.inc(PROXIED, &[("operation", label), ("status", response.status().as_str())]);
    response.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::needless_pass_by_value)] // the calls read better with Method::GET
    fn key(method: Method, path: &str, headers: &[(&'static str, &str)]) -> Result<Key, Failure> {
        let mut h = HeaderMap::new();
        for (n, v) in headers {
            h.insert(*n, HeaderValue::from_str(v).unwrap());
        }
        key_for(spapi::find(method.as_str(), path), Region::Eu, || Ok("A1".into()), &method, path, &h)
    }

    #[test]
    fn the_token_each_call_needs() {
        assert_eq!(key(Method::GET, "/orders/v0/orders", &[]).unwrap(), Key::Seller("A1".into()));
        assert_eq!(key(Method::GET, "/unknown/v9/thing", &[]).unwrap(), Key::Seller("A1".into()));
        assert_eq!(
            key(Method::GET, "/notifications/v1/destinations", &[]).unwrap(),
            Key::Grantless("sellingpartnerapi::notifications")
        );
        let Key::Rdt { region, seller, resources } = key(Method::GET, "/orders/v0/orders/1-2-3/address", &[]).unwrap()
        else {
            panic!("no RDT for the address");
        };
        assert_eq!((region, seller.as_str()), (Region::Eu, "A1"));
        assert_eq!(resources, r#"[{"method":"GET","path":"/orders/v0/orders/{orderId}/address"}]"#);
        let Key::Rdt { resources, .. } =
            key(Method::GET, "/orders/v0/orders", &[(DATA_ELEMENTS_HEADER, "shippingAddress, buyerInfo")]).unwrap()
        else {
            panic!("no RDT for the data elements");
        };
        assert_eq!(
            resources,
            r#"[{"method":"GET","path":"/orders/v0/orders","dataElements":["buyerInfo","shippingAddress"]}]"#
        );
        let err = key(Method::GET, "/orders/v0/orders", &[(DATA_ELEMENTS_HEADER, "creditCard")]).unwrap_err();
        assert!(matches!(err, Failure::BadRequest(m) if m.contains("creditCard is not a data element of getOrders")));
        assert_eq!(key(Method::GET, "/reports/2021-06-30/documents/d1", &[]).unwrap(), Key::Seller("A1".into()));
        assert!(matches!(
            key(Method::GET, "/reports/2021-06-30/documents/d1", &[(RESTRICTED_HEADER, "true")]).unwrap(),
            Key::Rdt { resources, .. } if resources.contains("/reports/2021-06-30/documents/d1")
        ));
    }

    #[test]
    fn hop_and_agent_headers_stay_here() {
        for h in ["authorization", "x-amz-access-token", "host", "connection", SELLER_HEADER, "user-agent"] {
            assert!(!forwarded(&HeaderName::from_static(h)), "{h}");
        }
        for h in ["content-type", "accept", "x-amzn-requestid", "x-amzn-ratelimit-limit"] {
            assert!(forwarded(&HeaderName::from_static(h)), "{h}");
        }
        assert!(refused_token(br#"{"errors":[{"details":"The access token you provided has expired."}]}"#));
        assert!(refused_token(
            br#"{"errors":[{"details":"The access token you provided is revoked, malformed or invalid."}]}"#
        ));
        assert!(!refused_token(br#"{"errors":[{"details":"The application has no SP-API role."}]}"#));
    }
}
