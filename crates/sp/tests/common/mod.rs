//! A sandbox over a real `SQLite` store, served in-process, with a recording notification sink
//! and a scheduler that runs due jobs on demand.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use spcred_sp::{Deps, GateRefusal, IamGate, NotificationSink, PartnerEventTarget, Sandbox, SinkError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use store::{Clock, Store, VirtualClock};
use tower::ServiceExt;

/// Records what it delivers; refuses queues whose name contains `denied`.
#[derive(Default)]
pub struct Sink {
    pub sent: Mutex<Vec<(String, Value)>>,
}

#[async_trait::async_trait]
impl NotificationSink for Sink {
    async fn send_to_queue(&self, queue_arn: &str, body: &str) -> Result<(), SinkError> {
        if queue_arn.contains("denied") {
            return Err(SinkError::Refused(format!(
                "the queue policy of {queue_arn} does not allow arn:aws:iam::437568002678:root to sqs:SendMessage"
            )));
        }
        self.sent.lock().unwrap().push((queue_arn.to_owned(), serde_json::from_str(body).unwrap()));
        Ok(())
    }

    async fn put_partner_event(&self, target: &PartnerEventTarget, event: &Value) -> Result<(), SinkError> {
        self.sent.lock().unwrap().push((target.source_name.clone(), event.clone()));
        Ok(())
    }
}

/// Verifies signatures against known keys and allows what `allowed` lists.
pub struct Gate {
    /// access key id -> (secret, the signer's ARN, the role it is a session of).
    pub keys: HashMap<String, (String, String, Option<String>)>,
    /// Signer ARNs IAM allows to invoke.
    pub allowed: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl IamGate for Gate {
    async fn check(
        &self,
        request: &sigv4::Request<'_>,
        auth: &sigv4::Auth,
        _source_ip: std::net::IpAddr,
        registered_arn: &str,
    ) -> Result<(), GateRefusal> {
        let account = registered_arn.split(':').nth(4).unwrap_or_default();
        let resource_arn = spcred_sp::execute_api_arn(&auth.scope.region, account, request.method, request.path);
        let (secret, signer, role) = self.keys.get(&auth.access_key_id).ok_or(GateRefusal::InvalidToken)?;
        sigv4::verify(request, auth, &sigv4::SecretKey::new(secret.clone()), jiff::Timestamp::now())
            .map_err(|e| GateRefusal::InvalidSignature(e.to_string()))?;
        if signer != registered_arn && role.as_deref() != Some(registered_arn) {
            return Err(GateRefusal::NotRegistered { signer: signer.clone() });
        }
        if self.allowed.lock().unwrap().contains(signer) {
            Ok(())
        } else {
            Err(GateRefusal::Denied(format!(
                "User: {signer} is not authorized to perform: execute-api:Invoke on resource: {resource_arn}"
            )))
        }
    }
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub clock: Arc<VirtualClock>,
    pub sb: Arc<Sandbox>,
    pub router: Router,
    pub sink: Arc<Sink>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `errors[0]` of an SP-API error.
    pub fn error(&self) -> (String, String, String) {
        let e = &self.json()["errors"][0];
        (
            e["code"].as_str().unwrap_or_default().to_owned(),
            e["message"].as_str().unwrap_or_default().to_owned(),
            e["details"].as_str().unwrap_or_default().to_owned(),
        )
    }
}

impl Env {
    pub async fn new(gate: Option<Arc<dyn IamGate>>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("spcred.db")).await.unwrap();
        let clock = Arc::new(VirtualClock::new());
        let rng: Arc<dyn crypto::Random> = Arc::new(crypto::SystemRandom);
        let master = crypto::MasterKey::generate(rng.as_ref());
        let sink = Arc::new(Sink::default());
        let sb = Sandbox::new(Deps {
            store: store.clone(),
            clock: clock.clone(),
            rng,
            verifier: master.subkey(crypto::Purpose::Verifier),
            at_rest: master.subkey(crypto::Purpose::AtRest),
            audit: store::audit::AuditLog::start(store.clone()),
            calendar: spcred_sp::Calendar::default(),
            sink: sink.clone(),
            gate,
        });
        let router = sb.router().nest("/_spcred/sp", sb.admin_router());
        Self { dir, store, clock, sb, router, sink }
    }

    pub async fn send(&self, method: &str, uri: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
        let mut req = Request::builder().method(method).uri(uri).header("host", "sandbox.test");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let response = self.router.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn admin(&self, method: &str, path: &str, body: Value) -> Reply {
        let bytes = if body.is_null() { Vec::new() } else { body.to_string().into_bytes() };
        self.send(method, &format!("/_spcred/sp{path}"), &[("content-type", "application/json")], bytes).await
    }

    /// An SP-API call with an access token.
    pub async fn call(&self, method: &str, uri: &str, token: &str, body: Option<Value>) -> Reply {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.send(method, uri, &[("x-amz-access-token", token), ("content-type", "application/json")], bytes).await
    }

    /// A form POST to the LWA token endpoint.
    pub async fn token(&self, form: &[(&str, &str)]) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        self.send("POST", "/auth/o2/token", &[("content-type", "application/x-www-form-urlencoded")], body.into_bytes())
            .await
    }

    pub fn advance_days(&self, days: f64) {
        #[allow(clippy::cast_possible_truncation)]
        self.clock.advance_ms((days * 86_400_000.0) as i64);
    }

    /// Runs every sandbox job due now, as the server's scheduler does after a clock change (the
    /// e-mail the review engine queues belongs to the delivery crate and stays leased here).
    pub async fn run_jobs(&self) {
        let handlers: HashMap<&str, Arc<dyn store::jobs::Handler>> = self.sb.job_handlers().into_iter().collect();
        loop {
            let mut tx = self.store.begin().await.unwrap();
            let jobs = store::jobs::claim_due(&mut tx, self.clock.now_ms(), store::clock::wall_ms(), 64).await.unwrap();
            tx.commit().await.unwrap();
            if jobs.is_empty() {
                return;
            }
            for job in jobs {
                let Some(handler) = handlers.get(job.kind.as_str()) else { continue };
                let outcome = handler.run(&job).await.unwrap();
                let mut tx = self.store.begin().await.unwrap();
                match outcome {
                    store::jobs::Outcome::Done => store::jobs::complete(&mut tx, job.id).await.unwrap(),
                    store::jobs::Outcome::RetryAt { due_ms, error } => {
                        store::jobs::retry(&mut tx, job.id, due_ms, &error).await.unwrap();
                    }
                }
                tx.commit().await.unwrap();
            }
        }
    }

    pub fn take_sent(&self) -> Vec<(String, Value)> {
        std::mem::take(&mut *self.sink.sent.lock().unwrap())
    }

    /// Has Amazon's side approve the registration `response` opened.
    pub async fn approve_registration(&self, response: &Reply) {
        let case = response.json()["registrationCaseId"].as_str().unwrap().to_owned();
        let body = json!({"step": "registration", "decision": "approve"});
        let r = self.admin("POST", &format!("/reviews/{case}/decisions"), body).await;
        assert_eq!((r.status, r.json()["status"].as_str()), (StatusCode::OK, Some("Completed")), "{}", r.text);
    }

    /// Registers the developer with every role, and approves the registration.
    pub async fn developer(&self) {
        let roles: Vec<&str> = spcred_sp::ROLES.iter().map(|r| r.name).collect();
        let r = self
            .admin(
                "POST",
                "/developers",
                json!({
                    "organization": {"name": "Acme Integrations", "website": "https://acme.example"},
                    "contact": {"name": "Ana", "email": "ana@acme.example"},
                    "dataAccess": "public",
                    "useCases": {"roles": roles, "description": "order sync"},
                    "securityControls": {"incidentResponsePolicy": "24h notification"},
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        self.approve_registration(&r).await;
    }

    /// Creates an app with `roles`; returns (applicationId, clientId, clientSecret).
    pub async fn app(&self, roles: &[&str], iam_arn: Option<&str>) -> (String, String, String) {
        let r = self
            .admin(
                "POST",
                "/apps",
                json!({
                    "name": format!("app-{}", uuid_like()),
                    "redirectUris": ["https://app.example/callback"],
                    "loginUris": ["https://app.example/login"],
                    "roles": roles,
                    "iamArn": iam_arn,
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let v = r.json();
        (
            v["applicationId"].as_str().unwrap().to_owned(),
            v["lwaCredentials"]["clientId"].as_str().unwrap().to_owned(),
            v["clientSecret"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn seller(&self) -> String {
        let r = self.admin("POST", "/sellers", json!({"name": "Demo Store"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()["sellingPartnerId"].as_str().unwrap().to_owned()
    }

    pub async fn authorize(&self, app: &str, seller: &str) -> String {
        let r = self.admin("POST", "/authorizations", json!({"applicationId": app, "sellingPartnerId": seller})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json()["refreshToken"].as_str().unwrap().to_owned()
    }

    pub async fn access_token(&self, client_id: &str, secret: &str, refresh: &str) -> String {
        let r = self
            .token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", client_id),
                ("client_secret", secret),
            ])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn grantless(&self, client_id: &str, secret: &str, scope: &str) -> String {
        let r = self
            .token(&[
                ("grant_type", "client_credentials"),
                ("scope", scope),
                ("client_id", client_id),
                ("client_secret", secret),
            ])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// A seller, an app with `roles` authorized by it, and an access token: (app, client id,
    /// secret, seller, refresh token, access token).
    pub async fn authorized(&self, roles: &[&str]) -> (String, String, String, String, String, String) {
        self.developer().await;
        let (app, client, secret) = self.app(roles, None).await;
        let seller = self.seller().await;
        let refresh = self.authorize(&app, &seller).await;
        let access = self.access_token(&client, &secret, &refresh).await;
        (app, client, secret, seller, refresh, access)
    }

    pub async fn order_ids(&self, seller: &str) -> Vec<String> {
        let r = self.admin("GET", &format!("/sellers/{seller}"), Value::Null).await;
        r.json()["orderIds"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
    }
}

fn uuid_like() -> String {
    let mut b = [0u8; 6];
    crypto::Random::fill(&crypto::SystemRandom, &mut b);
    hex::encode(b)
}
