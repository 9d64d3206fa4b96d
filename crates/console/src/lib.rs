//! The web console at `/console/`: Developer Central for developers (their profile, app clients,
//! LWA credentials, rotation, notification queues, self-authorization), and for the operator
//! (signed in with the admin token) Amazon's reviewer queue and a read-only view of the platform.
//!
//! Server-rendered (askama) with htmx for the one partial update (revealing a client secret);
//! both are vendored and served from here, nothing is fetched at run time. Every action calls
//! the same [`sp::Sandbox`] operations as the CLI and the admin API, and is audited like an API
//! call (service `console`).
//!
//! Sign-in: a developer account per e-mail address with an Argon2id password hash; sessions are
//! random tokens in an HttpOnly, SameSite=Strict cookie (Secure over TLS), of which the store
//! keeps only a keyed hash; every form carries a CSRF token derived from the session; failed
//! sign-ins are limited per address and per e-mail.

mod auth;
mod developer;
mod dp;
mod form;
mod operator;
mod pages;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use crypto::{DataKey, Random, Secret};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use store::audit::AuditLog;
use store::{Clock, Store};

/// What the console needs from its host.
pub struct Deps {
    /// The SP-API sandbox, whose operations the console calls.
    pub sandbox: Arc<sp::Sandbox>,
    /// The store (accounts, sessions, the operator's reads).
    pub store: Store,
    /// The server clock: session expiry and the sign-in limit use it.
    pub clock: Arc<dyn Clock>,
    /// Randomness for session tokens and password salts.
    pub rng: Arc<dyn Random>,
    /// The key of the keyed hashes that stand for session tokens and derive CSRF tokens.
    pub verifier: DataKey,
    /// The admin token, with which the operator signs in.
    pub admin_token: Arc<Secret>,
    /// The audit log.
    pub audit: AuditLog,
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps").finish_non_exhaustive()
    }
}

/// The console's shared state.
struct Console {
    deps: Deps,
    guard: auth::Guard,
}

type App = Arc<Console>;

/// The console's routes, under `/console`, to be merged into the server's router.
pub fn router(deps: Deps) -> Router {
    let app: App = Arc::new(Console { deps, guard: auth::Guard::default() });
    Router::new()
        .route("/console", get(pages::home))
        .route("/console/", get(pages::home))
        .route("/console/assets/htmx.min.js", get(pages::htmx))
        .route("/console/assets/console.css", get(pages::css))
        .route("/console/signin", get(auth::signin_page).post(auth::signin))
        .route("/console/signup", get(auth::signup_page).post(auth::signup))
        .route("/console/signout", post(auth::signout))
        .route("/console/profile", get(developer::profile_page).post(developer::register))
        .route("/console/apps", get(developer::apps_page).post(developer::create_app))
        .route("/console/apps/new", get(developer::new_app_page))
        .route("/console/apps/{id}", get(developer::app_page))
        .route("/console/apps/{id}/edit", get(developer::edit_page).post(developer::edit))
        .route("/console/apps/{id}/reveal", post(developer::reveal))
        .route("/console/apps/{id}/rotate", post(developer::rotate))
        .route("/console/apps/{id}/queues", post(developer::queues))
        .route("/console/apps/{id}/authorize", post(developer::authorize))
        .route("/console/dp", get(dp::requests_page).post(dp::create))
        .route("/console/dp/{id}", get(dp::request))
        .route(
            "/console/dp/{id}/documents",
            post(dp::upload).layer(axum::extract::DefaultBodyLimit::max(dp::MAX_UPLOAD)),
        )
        .route("/console/dp/{id}/{action}", post(dp::act))
        .route("/console/reviews", get(operator::queue_page))
        .route("/console/reviews/{id}", get(operator::review_page).post(operator::decide))
        .route("/console/reviews/{id}/{action}", post(operator::act))
        .route("/console/platform", get(operator::platform_page))
        .route("/console/{*rest}", axum::routing::any(pages::not_found))
        .layer(axum::extract::DefaultBodyLimit::max(form::MAX_BODY))
        .with_state(app)
}

/// What every handler knows of the request.
struct Ctx {
    headers: HeaderMap,
    ip: IpAddr,
    tls: bool,
}

impl Ctx {
    /// Whether htmx sent it (it then wants a fragment, not a page).
    fn htmx(&self) -> bool {
        self.headers.get("hx-request").is_some_and(|v| v.as_bytes() == b"true")
    }

    /// The value of cookie `name`.
    fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip =
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        let tls = parts.extensions.get::<tls::OverTls>().is_some();
        Ok(Self { headers: parts.headers.clone(), ip, tls })
    }
}

impl Console {
    fn now_ms(&self) -> i64 {
        self.deps.clock.now_ms()
    }

    /// Records a console action in the audit log before it is answered.
    async fn audit(&self, ctx: &Ctx, principal: &str, operation: &str, outcome: Result<(), &str>) {
        let mut id = [0u8; 16];
        self.deps.rng.fill(&mut id);
        let record = store::audit::Record {
            time_ms: self.now_ms(),
            request_id: uuid::Builder::from_random_bytes(id).into_uuid().to_string(),
            principal_arn: Some(principal.to_owned()),
            source_ip: ctx.ip.to_string(),
            service: "console".into(),
            operation: operation.into(),
            outcome: match outcome {
                Ok(()) => "Allowed".into(),
                Err("AccessDenied") => "Denied".into(),
                Err(_) => "Error".into(),
            },
            error_code: outcome.err().map(str::to_owned),
            region: None,
        };
        if let Err(e) = self.deps.audit.record(record).await {
            tracing::error!(error = %e, operation, "a console action could not be audited");
        }
    }
}

/// How a sandbox call ended, as the audit log records it.
fn outcome<T>(result: &Result<T, sp::ConsoleError>) -> Result<(), &'static str> {
    result.as_ref().map(|_| ()).map_err(|e| e.code)
}

/// A response that must not be cached or framed, with the console's content security policy.
fn harden(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// A 303 to `to`.
fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    harden(r)
}
