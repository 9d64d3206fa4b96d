//! Partner events (SP-API's notifications) onto partner buses; the outbox itself, which every
//! service writes its events to, is the core's ([`aws_core::outbox`]).

pub(crate) use aws_core::outbox::{Event, RouteJob, enqueue, enqueue_text, rfc3339_seconds};
use serde_json::Value;

/// Puts a SaaS partner's event (SP-API's notifications) on the partner event bus of `source` in
/// `scope`: the bus the account created with that `EventSourceName`. `Ok(false)` when no bus is
/// associated with the source, where EventBridge has nowhere to put the partner's events.
pub async fn put_partner_event(
    env: &aws_core::Env,
    scope: store::Scope<'_>,
    source: &str,
    event: &Value,
) -> Result<bool, store::StoreError> {
    let text = serde_json::to_string(event).map_err(|e| store::StoreError::Corrupt(e.to_string()))?;
    let now_ms = env.now_ms();
    let mut tx = env.store.begin().await?;
    if store::events::bus(&mut tx, scope, source).await?.is_none() {
        return Ok(false);
    }
    enqueue_text(&mut tx, source, text, 0, now_ms).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(true)
}
