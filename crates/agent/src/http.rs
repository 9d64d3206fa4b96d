//! The agent's HTTP API:
//!
//! ```text
//! GET  /v1/token?selling_partner_id=ID     a seller's access token (or the default seller's)
//! GET  /v1/token?scope=SCOPE               a grantless token
//! POST /v1/rdt[?region=na]                 a restricted data token: {"restrictedResources": [...]}
//! ANY  /sp/<na|eu|fe>/<SP-API path>        the proxy
//! GET  /metrics                            Prometheus text
//! GET  /health                             credentials' versions and verdicts (no authentication)
//! ```
//!
//! With a bearer token configured (required beyond loopback), everything but `/health` needs
//! `Authorization: Bearer <token>`.

use crate::Agent;
use crate::broker::{Resource, canonical};
use crate::cache::Key;
use crate::clock::Clock;
use crate::config::Region;
use crate::credentials::rfc3339;
use crate::error::Failure;
use crate::proxy::{self, SELLER_HEADER};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use std::time::SystemTime;

/// The agent's routes.
pub(crate) fn router(agent: Arc<Agent>) -> Router {
    let guarded = Router::new()
        .route("/v1/token", get(token))
        .route("/v1/rdt", post(rdt))
        .route("/sp/{*rest}", any(proxy::handle))
        .route("/metrics", get(metrics))
        .route_layer(middleware::from_fn_with_state(agent.clone(), authenticate));
    Router::new().route("/health", get(health)).merge(guarded).with_state(agent)
}

async fn authenticate(State(agent): State<Arc<Agent>>, request: Request, next: Next) -> Response {
    if let Some(expected) = &agent.config.auth_token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !crypto::constant_time_eq(given.as_bytes(), expected.expose().as_bytes()) {
            let body =
                json!({"error": "Unauthorized", "message": "the agent needs Authorization: Bearer <its auth token>"});
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], axum::Json(body))
                .into_response();
        }
    }
    next.run(request).await
}

#[derive(Deserialize)]
struct TokenQuery {
    selling_partner_id: Option<String>,
    scope: Option<String>,
}

/// The seconds from now, by `clock`, until `at`.
fn seconds_left(clock: &dyn Clock, at: SystemTime) -> u64 {
    at.duration_since(SystemTime::from(clock.now())).map_or(0, |d| d.as_secs())
}

async fn token(
    State(agent): State<Arc<Agent>>,
    headers: HeaderMap,
    query: Result<Query<TokenQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = query else {
        return Failure::BadRequest("the query takes selling_partner_id or scope".into()).into_token_response();
    };
    let answer = async {
        let key = match (&q.scope, &q.selling_partner_id) {
            (Some(_), Some(_)) => {
                return Err(Failure::BadRequest("ask for a selling_partner_id or a grantless scope, not both".into()));
            }
            (Some(scope), None) => {
                Key::Grantless(spapi::scope::ALL.iter().find(|s| **s == scope.as_str()).ok_or_else(|| {
                    Failure::BadRequest(format!(
                        "{scope:?} is not a grantless scope ({})",
                        spapi::scope::ALL.join(", ")
                    ))
                })?)
            }
            (None, named) => {
                let header = headers.get(SELLER_HEADER).and_then(|v| v.to_str().ok());
                Key::Seller(agent.seller(named.as_deref().or(header))?)
            }
        };
        let token = agent.token(&key).await?;
        Ok(axum::Json(json!({
            "access_token": token.value.expose(),
            "token_type": "bearer",
            "expires_in": seconds_left(agent.clock.as_ref(), token.expires_at),
            "expires_at": rfc3339(token.expires_at),
        }))
        .into_response())
    }
    .await;
    answer.unwrap_or_else(Failure::into_token_response)
}

#[derive(Deserialize)]
struct RdtQuery {
    region: Option<String>,
    selling_partner_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RdtRequest {
    restricted_resources: Vec<Resource>,
}

async fn rdt(State(agent): State<Arc<Agent>>, headers: HeaderMap, query: Query<RdtQuery>, body: Bytes) -> Response {
    let answer = async {
        let region_name = query.region.as_deref().unwrap_or("na");
        let region = Region::parse(region_name)
            .ok_or_else(|| Failure::BadRequest(format!("{region_name:?} is not an SP-API region (na, eu, fe)")))?;
        let request: RdtRequest = serde_json::from_slice(&body)
            .map_err(|e| Failure::BadRequest(format!("expected {{\"restrictedResources\": [...]}}: {e}")))?;
        let named = query.selling_partner_id.as_deref().or(headers.get(SELLER_HEADER).and_then(|v| v.to_str().ok()));
        let seller = agent.seller(named)?;
        let resources = canonical(&request.restricted_resources)?;
        let token = agent.token(&Key::Rdt { region, seller, resources }).await?;
        Ok(axum::Json(json!({
            "restrictedDataToken": token.value.expose(),
            "expiresIn": seconds_left(agent.clock.as_ref(), token.expires_at),
            "expiresAt": rfc3339(token.expires_at),
        }))
        .into_response())
    }
    .await;
    answer.unwrap_or_else(Failure::into_token_response)
}

async fn metrics(State(agent): State<Arc<Agent>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], agent.metrics.render()).into_response()
}

async fn health(State(agent): State<Arc<Agent>>) -> Response {
    let summary = agent.creds.summary();
    let healthy = summary.client_secret_rejected.is_none() && summary.client_secret_version.is_some();
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "credentials": summary,
    });
    (status, axum::Json(body)).into_response()
}
