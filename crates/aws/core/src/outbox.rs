//! The service event outbox: AWS services' events (SSM's parameter changes, ...) written to the
//! job queue in the same transaction as the change that causes them, so that an acknowledged
//! change never loses its event. EventBridge's router consumes jobs of kind [`ROUTE_JOB`]; a
//! service emits without knowing EventBridge.

use serde::Serialize;
use serde_json::Value;

/// The job kind that carries one event to a bus's rules.
pub const ROUTE_JOB: &str = "events.route";

/// An event in EventBridge's envelope, as rules match it and targets receive it.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// Always "0".
    pub version: String,
    /// A UUID.
    pub id: String,
    /// e.g. "Parameter Store Policy Action".
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    /// e.g. "aws.ssm".
    pub source: String,
    /// The account whose bus receives it.
    pub account: String,
    /// RFC 3339, seconds precision, `Z` (as EventBridge writes it).
    pub time: String,
    /// The region of the bus.
    pub region: String,
    /// ARNs of the resources involved.
    pub resources: Vec<String>,
    /// The service-specific payload.
    pub detail: Value,
}

/// The payload of a [`ROUTE_JOB`]: an event and the bus it was put on.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RouteJob {
    /// The bus name (`default` for service events).
    pub bus: String,
    /// The event, as JSON text exactly as it will be matched and delivered.
    pub event: String,
    /// How many buses the event went through before this one (bus targets forward events; a
    /// cycle of buses must not forward forever).
    #[serde(default)]
    pub hops: u32,
}

/// RFC 3339 at seconds precision with `Z`, as EventBridge writes event times.
pub fn rfc3339_seconds(ms: i64) -> String {
    jiff::Timestamp::from_second(ms.div_euclid(1000))
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

impl Event {
    /// An AWS service's event for the default bus of `scope`'s account and region, at `now_ms`.
    pub fn from_service(
        ids: &crate::Ids,
        source: &str,
        detail_type: &str,
        scope: store::Scope<'_>,
        now_ms: i64,
        resources: Vec<String>,
        detail: Value,
    ) -> Self {
        let time = rfc3339_seconds(now_ms);
        Self {
            version: "0".into(),
            id: ids.uuid(),
            detail_type: detail_type.into(),
            source: source.into(),
            account: scope.account_id.into(),
            time,
            region: scope.region.into(),
            resources,
            detail,
        }
    }
}

/// Queues `event` for the default bus, inside the caller's transaction.
pub async fn emit(conn: &mut store::Conn, event: &Event, now_ms: i64) -> Result<(), store::StoreError> {
    enqueue(conn, "default", event, 0, now_ms).await
}

/// Queues `event` for `bus` (of the event's account and region), inside the caller's
/// transaction; `hops` counts the buses it already went through.
pub async fn enqueue(
    conn: &mut store::Conn,
    bus: &str,
    event: &Event,
    hops: u32,
    now_ms: i64,
) -> Result<(), store::StoreError> {
    let event = serde_json::to_string(event).map_err(|e| store::StoreError::Corrupt(e.to_string()))?;
    enqueue_text(conn, bus, event, hops, now_ms).await
}

/// Queues an event already in its JSON text for `bus`.
pub async fn enqueue_text(
    conn: &mut store::Conn,
    bus: &str,
    event: String,
    hops: u32,
    now_ms: i64,
) -> Result<(), store::StoreError> {
    let job = RouteJob { bus: bus.to_owned(), event, hops };
    let payload = serde_json::to_string(&job).map_err(|e| store::StoreError::Corrupt(e.to_string()))?;
    store::jobs::enqueue(conn, ROUTE_JOB, now_ms, &payload, now_ms).await?;
    Ok(())
}
