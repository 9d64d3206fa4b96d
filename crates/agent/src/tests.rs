//! The agent against a fake SP-API and LWA on loopback: what goes over the wire.

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::credentials::tests::blog_store;
use crate::{Agent, metrics};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What the fake SP-API and LWA saw.
#[derive(Default)]
pub(crate) struct Fake {
    exchanges: AtomicUsize,
    throttled: AtomicUsize,
    user_agents: Mutex<Vec<String>>,
    /// rotateApplicationClientSecret calls.
    pub rotations: AtomicUsize,
}

async fn lwa(State(f): State<Arc<Fake>>) -> impl IntoResponse {
    let n = f.exchanges.fetch_add(1, Ordering::SeqCst) + 1;
    axum::Json(serde_json::json!({"access_token": format!("Atza|{n}"), "token_type": "bearer", "expires_in": 3600}))
}

async fn participations(State(f): State<Arc<Fake>>, headers: HeaderMap) -> impl IntoResponse {
    let ua = headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    f.user_agents.lock().unwrap().push(ua);
    // The first token has expired by the time it is used.
    if headers.get("x-amz-access-token").is_some_and(|t| t == "Atza|1") {
        let body = r#"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The access token you provided has expired."}]}"#;
        return (StatusCode::FORBIDDEN, body.to_owned()).into_response();
    }
    ([("x-amzn-RateLimit-Limit", "100.0")], "x".repeat(1 << 20)).into_response()
}

async fn order(State(f): State<Arc<Fake>>) -> impl IntoResponse {
    if f.throttled.fetch_add(1, Ordering::SeqCst) < 2 {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource."}]}"#,
        )
            .into_response();
    }
    ([("x-amzn-RateLimit-Limit", "0.5")], r#"{"payload":{}}"#).into_response()
}

async fn rotate(State(f): State<Arc<Fake>>) -> StatusCode {
    f.rotations.fetch_add(1, Ordering::SeqCst);
    StatusCode::NO_CONTENT
}

/// A fake SP-API and LWA on loopback, and an agent against them dated by `clock`.
pub(crate) async fn fake_and_agent(clock: Arc<dyn Clock>) -> (Arc<Fake>, Arc<Agent>) {
    let fake = Arc::new(Fake::default());
    let app = Router::new()
        .route("/auth/o2/token", post(lwa))
        .route("/sellers/v1/marketplaceParticipations", get(participations))
        .route("/orders/v0/orders/{id}", get(order))
        .route(spapi::ROTATE_APPLICATION_CLIENT_SECRET.template, post(rotate))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let agent_settings = Settings {
        sp_endpoint: Some(url.clone()),
        lwa_endpoint: Some(format!("{url}/auth/o2/token")),
        app_name: Some("Acme ERP".into()),
        app_version: Some("3.1".into()),
        ..Settings::default()
    };
    let agent = Agent::new(agent_settings.resolve().unwrap(), blog_store(), clock).await.unwrap();
    (fake, agent)
}

async fn start() -> (Arc<Fake>, String) {
    let (fake, agent) = fake_and_agent(Arc::new(SystemClock)).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let agent_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(agent.serve(listener, None, std::future::pending()));
    (fake, agent_url)
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_with_amazons_user_agent_and_the_answer_streams() {
    let (fake, agent) = start().await;
    let r = reqwest::get(format!("{agent}/sp/na/sellers/v1/marketplaceParticipations")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-amzn-ratelimit-limit"], "100.0");
    assert_eq!(r.bytes().await.unwrap().len(), 1 << 20);
    assert_eq!(fake.exchanges.load(Ordering::SeqCst), 2);
    let agents = fake.user_agents.lock().unwrap().clone();
    assert_eq!(agents.len(), 2);
    assert!(agents.iter().all(|ua| ua.starts_with("Acme ERP/3.1 (Language=Rust; Platform=")), "{agents:?}");
    let text = reqwest::get(format!("{agent}/metrics")).await.unwrap().text().await.unwrap();
    assert!(
        text.contains(&format!(
            "{}{{operation=\"getMarketplaceParticipations\",reason=\"token_refused\"}} 1",
            metrics::RETRIES.name
        )),
        "{text}"
    );
}

#[tokio::test]
async fn throttled_calls_are_retried_and_the_client_sees_only_the_answer() {
    let (fake, agent) = start().await;
    let r = reqwest::get(format!("{agent}/sp/na/orders/v0/orders/1-2-3")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), r#"{"payload":{}}"#);
    assert_eq!(fake.throttled.load(Ordering::SeqCst), 3);
    let text = reqwest::get(format!("{agent}/metrics")).await.unwrap().text().await.unwrap();
    assert!(text.contains("spcred_agent_throttled_total{operation=\"getOrder\"} 2"), "{text}");
    assert!(text.contains("spcred_agent_proxied_calls_total{operation=\"getOrder\",status=\"200\"} 1"), "{text}");
}
