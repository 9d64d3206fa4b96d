//! The Amazon Data Portability API, version 2024-02-29:
//!
//! ```text
//! POST /{scopeId}/data-queries                      createDataQuery -> 201 {"id": queryId}
//! GET  /{scopeId}/data-queries/{queryId}/records    listDataQueryRecords ?maxResults=1..250&nextPageToken=
//!        -> {"records": [{"schema": URL, "file": URL}], "nextPageToken": ...}
//! GET  /portability-files/{queryId}/{n}/{schema|file}?expires=..&signature=..   the presigned files
//! ```
//!
//! Callers present `authorization: Bearer <LWA access token>` of a customer who granted the
//! scope. Errors are `{"category", "type", "message"}`. A query gathers its data
//! asynchronously (as long as its customer's `querySeconds`); within five minutes the same
//! request gets the same answer; a new one while the last is still running is a conflict.
//! `createDataQuery` is throttled at Amazon's published 1 request per second (burst 1) and
//! 1500 per day for each application and scope. Data flows only as far as the application's
//! onboarding request allows: before production access, only for the sandbox customers.

use super::scopes::{self, Scope};
use crate::lwa::ACCESS_TOKEN;
use crate::review::Data;
use crate::{Sandbox, commit};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use store::{dp, review as repo};

/// The window in which the same request gets the same response.
const TTL_MS: i64 = 5 * 60_000;
/// How long a presigned file URL works.
const FILE_URL_SECS: i64 = 900;
/// `createDataQuery`'s rate and burst.
const CREATE_PLAN: spapi::Plan = spapi::Plan::new(1.0, 1);
/// `createDataQuery`'s daily quota per application and scope.
const DAILY_QUOTA: u32 = 1500;
const MAX_RESULTS: usize = 250;

/// The daily quotas in use: (application, scope id, day) -> requests.
#[derive(Debug, Default)]
pub(crate) struct Quota(Mutex<HashMap<(String, &'static str, i64), u32>>);

impl Quota {
    fn take(&self, app: &str, scope: &'static str, now_ms: i64) -> bool {
        let day = now_ms.div_euclid(86_400_000);
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|k, _| k.2 >= day);
        let n = map.entry((app.to_owned(), scope, day)).or_insert(0);
        if *n >= DAILY_QUOTA {
            return false;
        }
        *n += 1;
        true
    }
}

/// A Data Portability API error.
#[derive(Debug)]
pub(crate) struct DpError {
    status: StatusCode,
    category: &'static str,
    kind: &'static str,
    message: String,
}

impl DpError {
    fn new(status: StatusCode, category: &'static str, kind: &'static str, message: impl Into<String>) -> Self {
        Self { status, category, kind, message: message.into() }
    }

    fn unauthorized(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "INVALID_ACCESS_TOKEN", message)
    }

    fn forbidden(kind: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", kind, message)
    }

    fn not_found(kind: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", kind, message)
    }

    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", "INVALID_PARAMETER", message)
    }

    fn conflict(message: &str) -> Self {
        Self::new(StatusCode::CONFLICT, "CONFLICT", "REQUEST_CONFLICT", message)
    }
}

impl From<store::StoreError> for DpError {
    fn from(e: store::StoreError) -> Self {
        tracing::error!(error = %e, "store error in the Data Portability API");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "INTERNAL_FAILURE",
            "The service encountered an internal error",
        )
    }
}

impl IntoResponse for DpError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({"category": self.category, "type": self.kind, "message": self.message})))
            .into_response()
    }
}

/// A caller: the application and the customer whose access token it presents.
struct Caller {
    token: dp::AccessToken,
    scope: &'static Scope,
}

impl Sandbox {
    /// Authenticates the bearer token and checks that the customer granted `scope_id` and that
    /// the application's onboarding lets it have this customer's data of that category.
    async fn dp_caller(&self, headers: &HeaderMap, scope_id: &str) -> Result<Caller, DpError> {
        let scope = scopes::by_id(scope_id).ok_or_else(|| {
            DpError::not_found("SCOPE_NOT_FOUND", format!("{scope_id} is not an Amazon Data Portability scope id"))
        })?;
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| DpError::unauthorized("The request has no authorization: Bearer access token"))?;
        let mut conn = self.reader().await?;
        let token = dp::access_token(&mut conn, &self.verifier(ACCESS_TOKEN, bearer))
            .await?
            .ok_or_else(|| DpError::unauthorized("The access token is invalid"))?;
        if token.expires_ms <= self.now_ms() {
            return Err(DpError::unauthorized("The access token has expired"));
        }
        if token.revoked_ms.is_some() {
            return Err(DpError::unauthorized("The customer revoked the authorization of this application"));
        }
        if !token.scopes.split(' ').any(|s| s == scope.name) {
            return Err(DpError::forbidden(
                "SCOPE_NOT_AUTHORIZED",
                format!("The customer did not authorize the scope {} for this application", scope.name),
            ));
        }
        let requests = repo::reviews(&mut conn, crate::flows::ONBOARDING.kind, Some(&token.app_id)).await?;
        let data = requests
            .iter()
            .rev()
            .find(|r| r.status == "InProgress" || r.status == "Completed")
            .map(Data::of)
            .ok_or_else(|| {
                DpError::forbidden(
                    "APPLICATION_NOT_ONBOARDED",
                    "The application has not been verified for the Amazon Data Portability API",
                )
            })?;
        let sandbox = data.sandbox_granted && data.sandbox_customers.contains(&token.customer_id);
        let allowed = if data.production {
            data.unlocked.contains(&scope.category)
        } else {
            sandbox && data.categories.contains(&scope.category)
        };
        if !allowed {
            let reason = if !data.production && !sandbox {
                format!(
                    "The application has sandbox access only to the customers it named; {} is not one of them until the security review completes and production access is granted",
                    token.customer_id
                )
            } else {
                format!("Category {} data ({}) is not unlocked for the application", scope.category, scope.name)
            };
            let kind = if !data.production && !sandbox { "CUSTOMER_NOT_ALLOWED" } else { "CATEGORY_NOT_UNLOCKED" };
            return Err(DpError::forbidden(kind, reason));
        }
        Ok(Caller { token, scope })
    }

    async fn create_query(&self, headers: &HeaderMap, scope_id: &str) -> Result<(StatusCode, Value), DpError> {
        let caller = self.dp_caller(headers, scope_id).await?;
        let now = self.now_ms();
        let (app, scope) = (&caller.token.app_id, caller.scope.id);
        if !self.limiter.take(app, scope, "createDataQuery", CREATE_PLAN, now) {
            return Err(DpError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "THROTTLED",
                "TOO_MANY_REQUESTS",
                "The request was throttled",
            ));
        }
        if !self.dp_quota.take(app, scope, now) {
            return Err(DpError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "THROTTLED",
                "QUOTA_EXCEEDED",
                format!("The daily quota of {DAILY_QUOTA} requests for this application and scope is used up"),
            ));
        }
        let mut tx = self.begin().await?;
        let last = dp::recent_query(&mut tx, app, &caller.token.customer_id, scope, 0).await?;
        if let Some(q) = &last {
            if q.created_ms > now - TTL_MS {
                return Ok((StatusCode::CREATED, json!({"id": q.query_id})));
            }
            if q.ready_ms > now {
                return Err(DpError::conflict("There is a conflicting request in progress"));
            }
        }
        let customer = dp::customer(&mut tx, &caller.token.customer_id).await?.map_or(0, |c| c.query_ms);
        let q = dp::Query {
            query_id: self.ids().uuid(),
            app_id: app.clone(),
            customer_id: caller.token.customer_id.clone(),
            scope_id: scope.to_owned(),
            created_ms: now,
            ready_ms: now + customer,
        };
        dp::insert_query(&mut tx, &q).await?;
        commit(tx).await?;
        Ok((StatusCode::CREATED, json!({"id": q.query_id})))
    }

    async fn list_records(
        &self,
        headers: &HeaderMap,
        scope_id: &str,
        query_id: &str,
        params: &RecordsQuery,
    ) -> Result<(StatusCode, Value), DpError> {
        let caller = self.dp_caller(headers, scope_id).await?;
        let max =
            match params.max_results.as_deref() {
                None => MAX_RESULTS,
                Some(m) => m.parse::<usize>().ok().filter(|n| (1..=MAX_RESULTS).contains(n)).ok_or_else(|| {
                    DpError::bad(format!("maxResults must be an integer between 1 and {MAX_RESULTS}"))
                })?,
            };
        let mut conn = self.reader().await?;
        let q = dp::query(&mut conn, query_id)
            .await?
            .filter(|q| {
                q.app_id == caller.token.app_id && q.customer_id == caller.token.customer_id && q.scope_id == scope_id
            })
            .ok_or_else(|| {
                DpError::not_found("QUERY_NOT_FOUND", format!("There is no data query {query_id} for this scope"))
            })?;
        let now = self.now_ms();
        if q.ready_ms > now {
            return Err(DpError::conflict("The data query is still in progress; wait for it to complete"));
        }
        let offset = match params.next_page_token.as_deref() {
            None => 0,
            Some(t) => self
                .page_offset(query_id, t)
                .ok_or_else(|| DpError::bad("nextPageToken is not valid for this query"))?,
        };
        let total = file_count(&q);
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
        let expires = now / 1000 + FILE_URL_SECS;
        let end = (offset + max).min(total);
        let records: Vec<Value> = (offset..end)
            .map(|n| {
                let url = |file: &str| {
                    let sig = self.file_signature(query_id, n, file, expires);
                    format!("http://{host}/portability-files/{query_id}/{n}/{file}?expires={expires}&signature={sig}")
                };
                json!({"schema": url("schema"), "file": url("file")})
            })
            .collect();
        let mut body = json!({"records": records});
        if end < total {
            body["nextPageToken"] = json!(self.page_token(query_id, end));
        }
        Ok((StatusCode::OK, body))
    }

    fn page_mac(&self, query_id: &str, offset: usize) -> [u8; 32] {
        self.deps.verifier.mac(format!("dp-page:{query_id}:{offset}").as_bytes())
    }

    fn page_token(&self, query_id: &str, offset: usize) -> String {
        let mut raw = offset.to_string().into_bytes();
        raw.push(b'.');
        raw.extend_from_slice(&self.page_mac(query_id, offset)[..16]);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    fn page_offset(&self, query_id: &str, token: &str) -> Option<usize> {
        if token.len() > 256 {
            return None;
        }
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).ok()?;
        let dot = raw.iter().position(|b| *b == b'.')?;
        let offset: usize = std::str::from_utf8(&raw[..dot]).ok()?.parse().ok()?;
        crypto::constant_time_eq(&raw[dot + 1..], &self.page_mac(query_id, offset)[..16]).then_some(offset)
    }

    fn file_signature(&self, query_id: &str, n: usize, file: &str, expires: i64) -> String {
        hex::encode(self.deps.verifier.mac(format!("dp-file:{query_id}:{n}:{file}:{expires}").as_bytes()))
    }

    async fn file(&self, query_id: &str, n: usize, file: &str, params: &FileQuery) -> Result<Value, DpError> {
        let denied = || DpError::forbidden("INVALID_SIGNATURE", "The URL's signature is not valid or has expired");
        let (Some(expires), Some(sig)) = (params.expires, params.signature.as_deref()) else { return Err(denied()) };
        let expected = self.file_signature(query_id, n, file, expires);
        if !crypto::constant_time_eq(sig.as_bytes(), expected.as_bytes()) || expires * 1000 < self.now_ms() {
            return Err(denied());
        }
        let mut conn = self.reader().await?;
        let q = dp::query(&mut conn, query_id).await?.ok_or_else(denied)?;
        let scope = scopes::by_id(&q.scope_id).ok_or_else(denied)?;
        if n >= file_count(&q) {
            return Err(denied());
        }
        Ok(match file {
            "schema" => super::sample::schema(scope),
            _ => super::sample::data(scope, &q.customer_id, n),
        })
    }
}

/// How many files a query's records point to.
pub(crate) fn file_count(q: &dp::Query) -> usize {
    scopes::by_id(&q.scope_id).map_or(0, |s| super::sample::file_count(s, &q.customer_id))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RecordsQuery {
    #[serde(default)]
    max_results: Option<String>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FileQuery {
    #[serde(default)]
    expires: Option<i64>,
    #[serde(default)]
    signature: Option<String>,
}

async fn audited(
    sb: &Sandbox,
    peer: Option<SocketAddr>,
    operation: &str,
    result: Result<(StatusCode, Value), DpError>,
) -> Response {
    let (outcome, code) = match &result {
        Ok(_) => ("Allowed", None),
        Err(e) if e.status == StatusCode::UNAUTHORIZED || e.status == StatusCode::FORBIDDEN => {
            ("Denied", Some(e.kind.to_owned()))
        }
        Err(e) => ("Error", Some(e.kind.to_owned())),
    };
    let request_id = sb.ids().uuid();
    let record = store::audit::Record {
        time_ms: sb.now_ms(),
        request_id: request_id.clone(),
        principal_arn: None,
        source_ip: peer.map(|p| p.ip().to_string()).unwrap_or_default(),
        service: "portability".into(),
        operation: operation.into(),
        outcome: outcome.into(),
        error_code: code,
        region: None,
    };
    if sb.audit(record).await.is_err() {
        return DpError::from(store::StoreError::Corrupt("audit".into())).into_response();
    }
    let mut response = match result {
        Ok((status, body)) => (status, axum::Json(body)).into_response(),
        Err(e) => e.into_response(),
    };
    if let Ok(v) = request_id.parse() {
        response.headers_mut().insert("x-amzn-RequestId", v);
    }
    response
}

fn peer_of(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)
}

pub(crate) async fn create(
    State(sb): State<Arc<Sandbox>>,
    extensions: axum::http::Extensions,
    Path(scope_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = sb.create_query(&headers, &scope_id).await;
    audited(&sb, peer_of(&extensions), "createDataQuery", result).await
}

pub(crate) async fn records(
    State(sb): State<Arc<Sandbox>>,
    extensions: axum::http::Extensions,
    Path((scope_id, query_id)): Path<(String, String)>,
    query: Result<Query<RecordsQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let result = match query {
        Ok(Query(q)) => sb.list_records(&headers, &scope_id, &query_id, &q).await,
        Err(_) => Err(DpError::bad("the query string is not valid")),
    };
    audited(&sb, peer_of(&extensions), "listDataQueryRecords", result).await
}

pub(crate) async fn file(
    State(sb): State<Arc<Sandbox>>,
    Path((query_id, n, file)): Path<(String, usize, String)>,
    Query(params): Query<FileQuery>,
) -> Response {
    if !matches!(file.as_str(), "schema" | "file") {
        return DpError::not_found("FILE_NOT_FOUND", "no such file").into_response();
    }
    match sb.file(&query_id, n, &file, &params).await {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}
