//! The HTTP front: the admin API under `/_spcred/` (the SP-API sandbox's under `/_spcred/sp/`),
//! `/metrics`, the SP-API sandbox's endpoints, and every other request to the AWS pipeline.

use crate::scheduler::Scheduler;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use crypto::Secret;
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use store::{Store, VirtualClock, audit};

/// The largest request body accepted (SQS and SNS batches of 256 KB messages fit with room).
pub const MAX_BODY: usize = 4 * 1024 * 1024;
/// Lambda's CreateFunction and UpdateFunctionCode carry the zip (up to 50 MB) in base64.
pub const LAMBDA_CODE_BODY: usize = 70 * 1024 * 1024;

/// The body limit of a request: larger only where Lambda takes a deployment package.
fn body_limit(method: &axum::http::Method, path: &str) -> usize {
    let functions = path.strip_prefix("/2015-03-31/functions");
    let create = *method == axum::http::Method::POST && functions.is_some_and(|rest| rest.trim_matches('/').is_empty());
    let code = *method == axum::http::Method::PUT && functions.is_some_and(|rest| rest.ends_with("/code"));
    if create || code { LAMBDA_CODE_BODY } else { MAX_BODY }
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The AWS pipeline.
    pub dispatcher: Arc<aws_core::Dispatcher>,
    /// The admin bearer token.
    pub admin_token: Arc<Secret>,
    /// The virtual clock, in test mode only.
    pub virtual_clock: Option<Arc<VirtualClock>>,
    /// The job runner.
    pub scheduler: Arc<Scheduler>,
    /// The Prometheus exporter.
    pub metrics: PrometheusHandle,
    /// The store (admin reads).
    pub store: Store,
    /// The SP-API sandbox.
    pub sandbox: Arc<sp::Sandbox>,
    /// SNS, for its signing certificate.
    pub sns: sns::Sns,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("test_mode", &self.virtual_clock.is_some()).finish_non_exhaustive()
    }
}

/// The router for `state`: the admin API, `/metrics`, the SP-API sandbox's endpoints, and every
/// other request to the AWS pipeline.
pub fn router(state: AppState) -> Router {
    let admin = Router::new()
        .route("/clock", get(get_clock).post(set_clock))
        .route("/audit", get(list_audit))
        .route("/accounts", get(crate::accounts::list).post(crate::accounts::create))
        .route("/outbox", get(crate::outbox::list_outbox))
        .route("/deliveries", get(crate::outbox::list_deliveries))
        .route("/events", get(crate::outbox::list_events))
        .layer(middleware::from_fn_with_state(state.clone(), require_admin));
    let sp_admin = state.sandbox.admin_router().layer(middleware::from_fn_with_state(state.clone(), require_admin));
    let sp_public = state.sandbox.router();
    Router::new()
        .route("/_spcred/health", get(health))
        .nest("/_spcred", admin)
        .route("/metrics", get(render_metrics))
        .fallback(aws_request)
        .with_state(state)
        .nest("/_spcred/sp", sp_admin)
        .merge(sp_public)
}

/// An admin query's `since=` (RFC 3339) in epoch ms, or the 400 that says what is wrong with it.
pub(crate) fn parse_since(since: Option<&str>) -> Result<Option<i64>, Box<Response>> {
    let Some(since) = since else { return Ok(None) };
    match since.parse::<jiff::Timestamp>() {
        Ok(t) => Ok(Some(t.as_millisecond())),
        Err(e) => Err(Box::new(admin_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            format!("since must be an RFC 3339 time: {e}"),
        ))),
    }
}

/// An admin API error: `{"error": code, "message": text}`.
pub(crate) fn admin_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": code, "message": message.into()}))).into_response()
}

async fn require_admin(State(state): State<AppState>, headers: HeaderMap, request: Request, next: Next) -> Response {
    let presented =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        Some(token) if crypto::constant_time_eq(token.trim().as_bytes(), state.admin_token.expose().as_bytes()) => {
            next.run(request).await
        }
        _ => admin_error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "the admin API needs Authorization: Bearer <token from <data-dir>/admin-token>",
        ),
    }
}

async fn health() -> Response {
    axum::Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})).into_response()
}

async fn render_metrics(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

fn clock_body(now_ms: i64) -> Response {
    let now = jiff::Timestamp::from_millisecond(now_ms).map(|t| t.to_string()).unwrap_or_default();
    axum::Json(json!({"now": now, "now_ms": now_ms})).into_response()
}

fn not_test_mode() -> Response {
    admin_error(StatusCode::NOT_FOUND, "NotTestMode", "the clock API exists only under spcred serve --test-mode")
}

async fn get_clock(State(state): State<AppState>) -> Response {
    match &state.virtual_clock {
        Some(clock) => clock_body(store::Clock::now_ms(clock.as_ref())),
        None => not_test_mode(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    advance_seconds: Option<i64>,
    set: Option<String>,
}

async fn set_clock(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let Some(clock) = &state.virtual_clock else {
        return not_test_mode();
    };
    let change: ClockChange = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                format!("expected {{\"advance_seconds\": N}} or {{\"set\": \"RFC 3339 time\"}}: {e}"),
            );
        }
    };
    let now = store::Clock::now_ms(clock.as_ref());
    match (change.advance_seconds, change.set) {
        (Some(seconds), None) if (0..=100 * 365 * 86_400).contains(&seconds) => clock.advance_ms(seconds * 1000),
        (Some(_), None) => {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                "advance_seconds must be between 0 and 100 years",
            );
        }
        (None, Some(time)) => match time.parse::<jiff::Timestamp>() {
            Ok(t) if t.as_millisecond() >= now => clock.set_ms(t.as_millisecond()),
            Ok(_) => return admin_error(StatusCode::BAD_REQUEST, "InvalidRequest", "the clock only moves forward"),
            Err(e) => {
                return admin_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    format!("set must be an RFC 3339 time: {e}"),
                );
            }
        },
        _ => {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                "give exactly one of advance_seconds and set",
            );
        }
    }
    // Everything that became due runs before the caller hears back.
    if let Err(e) = state.scheduler.run_until_idle().await {
        tracing::error!(error = %e, "running due jobs after a clock change failed");
        return admin_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            "running due work failed; see the server log",
        );
    }
    clock_body(store::Clock::now_ms(clock.as_ref()))
}

#[derive(Deserialize)]
struct AuditQuery {
    principal: Option<String>,
    operation: Option<String>,
    since: Option<String>,
    limit: Option<i64>,
}

async fn list_audit(State(state): State<AppState>, Query(q): Query<AuditQuery>) -> Response {
    let since_ms = match parse_since(q.since.as_deref()) {
        Ok(since) => since,
        Err(response) => return *response,
    };
    let filter = audit::Filter {
        principal_arn: q.principal,
        operation: q.operation,
        since_ms,
        limit: q.limit.unwrap_or(1000).clamp(1, 100_000),
    };
    let records = match state.store.reader().acquire().await {
        Ok(mut conn) => audit::list(&mut conn, &filter).await,
        Err(e) => Err(e.into()),
    };
    match records {
        Ok(records) => axum::Json(json!({"records": records})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "audit read failed");
            admin_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "reading the audit log failed")
        }
    }
}

async fn aws_request(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if let Some(name) = crate::outbox::certificate_name(request.method(), request.uri().path()) {
        return crate::outbox::certificate(&state, name).await;
    }
    let (parts, body) = request.into_parts();
    let limit = body_limit(&parts.method, parts.uri.path());
    let Ok(body) = axum::body::to_bytes(body, limit).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, format!("request body larger than {limit} bytes")).into_response();
    };
    let headers = parts
        .headers
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.to_owned())))
        .collect();
    let aws_request = aws_core::AwsRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers,
        body: body.to_vec(),
        source_ip: peer.ip(),
        secure: parts.extensions.get::<tls::OverTls>().is_some(),
    };
    let response = state.dispatcher.handle(aws_request).await;
    let mut out = Response::new(Body::from(response.body));
    *out.status_mut() = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in response.headers {
        if let (Ok(name), Ok(value)) = (header::HeaderName::try_from(name), HeaderValue::try_from(value)) {
            out.headers_mut().append(name, value);
        }
    }
    out
}
