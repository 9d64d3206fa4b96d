//! The admin views of deliveries: the local outbox (e-mail and SMS kept when no SMTP server or
//! SMS provider is configured), every delivery with its attempts, and the SNS signing
//! certificate served at the `SigningCertURL`.

use crate::http::{AppState, admin_error, parse_since};
use axum::extract::{Query, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use store::delivery;

#[derive(Deserialize)]
pub(crate) struct OutboxQuery {
    after: Option<i64>,
    channel: Option<String>,
    limit: Option<i64>,
}

fn internal(what: &str, e: &store::StoreError) -> Response {
    tracing::error!(error = %e, "{what} failed");
    admin_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", format!("{what} failed; see the server log"))
}

/// `GET /_spcred/outbox?after=ID&channel=email|sms&limit=N`: the local outbox, oldest first.
pub(crate) async fn list_outbox(State(state): State<AppState>, Query(q): Query<OutboxQuery>) -> Response {
    if q.channel.as_deref().is_some_and(|c| c != "email" && c != "sms") {
        return admin_error(StatusCode::BAD_REQUEST, "InvalidRequest", "channel must be email or sms");
    }
    let limit = q.limit.unwrap_or(1000).clamp(1, 10_000);
    let entries = match state.store.read().await {
        Ok(mut conn) => delivery::outbox(&mut conn, q.after.unwrap_or(0), q.channel.as_deref(), limit).await,
        Err(e) => Err(e),
    };
    match entries {
        Ok(entries) => axum::Json(json!({ "messages": entries })).into_response(),
        Err(e) => internal("reading the outbox", &e),
    }
}

#[derive(Deserialize)]
pub(crate) struct DeliveriesQuery {
    id: Option<String>,
    status: Option<String>,
    source: Option<String>,
    since: Option<String>,
    limit: Option<i64>,
}

/// `GET /_spcred/deliveries?status=&source=&since=&limit=`: deliveries, oldest first; with
/// `id=`, one delivery and its attempts.
pub(crate) async fn list_deliveries(State(state): State<AppState>, Query(q): Query<DeliveriesQuery>) -> Response {
    let since_ms = match parse_since(q.since.as_deref()) {
        Ok(since) => since,
        Err(response) => return *response,
    };
    let mut conn = match state.store.read().await {
        Ok(c) => c,
        Err(e) => return internal("reading deliveries", &e),
    };
    if let Some(id) = q.id {
        let found = match delivery::get(&mut conn, &id).await {
            Ok(d) => d,
            Err(e) => return internal("reading deliveries", &e),
        };
        let Some(found) = found else {
            return admin_error(StatusCode::NOT_FOUND, "NotFound", format!("no delivery {id}"));
        };
        return match delivery::attempts(&mut conn, &id).await {
            Ok(attempts) => axum::Json(json!({ "delivery": found, "attempts": attempts })).into_response(),
            Err(e) => internal("reading deliveries", &e),
        };
    }
    let filter = delivery::Filter {
        status: q.status,
        source: q.source,
        since_ms,
        limit: q.limit.unwrap_or(1000).clamp(1, 100_000),
    };
    match delivery::list(&mut conn, &filter).await {
        Ok(deliveries) => axum::Json(json!({ "deliveries": deliveries })).into_response(),
        Err(e) => internal("reading deliveries", &e),
    }
}

#[derive(Deserialize)]
pub(crate) struct EventsQuery {
    source: Option<String>,
    #[serde(rename = "detail-type")]
    detail_type: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
}

/// `GET /_spcred/events?source=&detail-type=&after=&limit=`: the events the buses received
/// (from PutEvents, AWS services and schedules), oldest first, each with the bus and how many
/// rules it matched, then those still waiting to be routed. Each event is as EventBridge
/// delivers it, with a `spcred` member saying where it is.
pub(crate) async fn list_events(State(state): State<AppState>, Query(q): Query<EventsQuery>) -> Response {
    let limit = q.limit.unwrap_or(1000).clamp(1, 100_000);
    let filter = store::events::LogFilter {
        source: q.source.clone(),
        detail_type: q.detail_type.clone(),
        after: q.after.unwrap_or(0),
        limit,
    };
    let mut conn = match state.store.read().await {
        Ok(c) => c,
        Err(e) => return internal("reading the event log", &e),
    };
    let (logged, queued) = match (
        store::events::logged(&mut conn, &filter).await,
        store::jobs::list(&mut conn, aws_core::outbox::ROUTE_JOB, limit).await,
    ) {
        (Ok(l), Ok(q)) => (l, q),
        (Err(e), _) | (_, Err(e)) => return internal("reading the event log", &e),
    };
    let with = |text: &str, meta: serde_json::Value| {
        let mut event: serde_json::Value = serde_json::from_str(text).ok()?;
        event.as_object_mut()?.insert("spcred".into(), meta);
        Some(event)
    };
    let wanted = |event: &serde_json::Value, key: &str, value: Option<&String>| {
        value.is_none_or(|v| event.get(key).and_then(serde_json::Value::as_str) == Some(v.as_str()))
    };
    let routed = logged.into_iter().filter_map(|l| {
        with(&l.event, json!({"id": l.id, "bus": l.bus, "matched_rules": l.matched, "routed_ms": l.time_ms}))
    });
    let waiting = queued
        .iter()
        .filter_map(|job| serde_json::from_str::<aws_core::outbox::RouteJob>(&job.payload).ok())
        .filter_map(|route| with(&route.event, json!({"bus": route.bus, "queued": true})))
        .filter(|e| wanted(e, "source", q.source.as_ref()) && wanted(e, "detail-type", q.detail_type.as_ref()));
    let events: Vec<serde_json::Value> = routed.chain(waiting).take(usize::try_from(limit).unwrap_or(1000)).collect();
    axum::Json(json!({ "events": events })).into_response()
}

/// The certificate file a GET asks for, if it asks for one (`/SimpleNotificationService-*`; only
/// the certificate's exact name is served).
pub(crate) fn certificate_name<'a>(method: &Method, path: &'a str) -> Option<&'a str> {
    let name = path.strip_prefix('/')?;
    (method == Method::GET && name.starts_with("SimpleNotificationService-")).then_some(name)
}

/// Serves the SNS signing certificate (no authentication: it is public, as on AWS).
pub(crate) async fn certificate(state: &AppState, name: &str) -> Response {
    match state.sns.certificate(state.dispatcher.env(), name).await {
        Some(pem) => ([(header::CONTENT_TYPE, "application/x-x509-ca-cert")], pem).into_response(),
        None => (StatusCode::NOT_FOUND, "no such certificate").into_response(),
    }
}
