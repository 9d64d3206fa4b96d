//! The website authorization workflow, Seller Central's side:
//!
//! ```text
//! GET  /apps/authorize/consent?application_id=..&state=..[&version=beta][&redirect_uri=..]
//!        the consent page: choose the selling partner, confirm
//! POST /apps/authorize/consent
//!        302 -> the app's login URI ?amazon_callback_uri=..&amazon_state=..&selling_partner_id=..
//! GET  /apps/authorize/confirm/{application_id}?amazon_state=..&state=..[&redirect_uri=..]
//!        (the app sends the browser back) 302 -> redirect URI ?state=..&selling_partner_id=..&spapi_oauth_code=..
//! ```
//!
//! `amazon_state` is good for one use within 10 minutes, `spapi_oauth_code` for one exchange
//! within 5 minutes; both are stored as keyed hashes. Errors carry Seller Central's codes
//! (MD1000: a draft app without `version=beta`; MD5101: a redirect URI that is not registered;
//! MD5110: a redirect URI with a fragment).

use crate::apps::stored_list;
use crate::catalog;
use crate::lwa::OAUTH_CODE;
use crate::{Sandbox, commit};
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;
use store::sp;

/// How long the `amazon_state` handed to the login URI stays good.
const STATE_TTL_MS: i64 = 10 * 60_000;
/// How long an `spapi_oauth_code` stays good.
pub(crate) const CODE_TTL_MS: i64 = 5 * 60_000;
const AMAZON_STATE: &str = "amazon-state";

struct RoleView {
    name: String,
    restricted: bool,
}

struct SellerView {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    app_name: String,
    developer: String,
    application_id: String,
    state: String,
    beta: bool,
    redirect_uri: Option<String>,
    roles: Vec<RoleView>,
    sellers: Vec<SellerView>,
}

#[derive(Template)]
#[template(path = "consent_error.html")]
struct ErrorPage {
    heading: String,
    code: Option<String>,
    message: String,
}

/// A page that stops the workflow.
#[derive(Debug)]
pub(crate) struct Stop {
    status: StatusCode,
    code: Option<&'static str>,
    message: String,
}

impl Stop {
    pub(crate) fn new(code: Option<&'static str>, message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, code, message: message.into() }
    }
}

impl From<store::StoreError> for Stop {
    fn from(e: store::StoreError) -> Self {
        tracing::error!(error = %e, "store error in the consent workflow");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: None,
            message: "Something went wrong; try again.".into(),
        }
    }
}

pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a consent page did not render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

impl IntoResponse for Stop {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            heading: "We can't authorize this application".into(),
            code: self.code.map(str::to_owned),
            message: self.message,
        };
        render(self.status, &page)
    }
}

pub(crate) fn params(raw: &[u8]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(raw) {
        out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    out
}

/// `uri` with `pairs` added to its query.
pub(crate) fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = uri.to_owned();
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        serializer.append_pair(k, v);
    }
    out.push(if uri.contains('?') { '&' } else { '?' });
    out.push_str(&serializer.finish());
    out
}

pub(crate) fn redirect(location: &str) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The redirect URI to use: the one asked for (which must be registered and fragment-free),
/// else the app's first.
pub(crate) fn redirect_uri(app: &sp::App, asked: Option<&str>) -> Result<String, Stop> {
    let registered = stored_list(&app.redirect_uris);
    match asked {
        Some(uri) if uri.contains('#') => {
            Err(Stop::new(Some("MD5110"), "The redirect URI contains a fragment (#), which OAuth 2.0 does not allow."))
        }
        Some(uri) if !registered.iter().any(|r| r == uri) => Err(Stop::new(
            Some("MD5101"),
            format!("The redirect URI {uri} is not one of the application's OAuth redirect URIs."),
        )),
        Some(uri) => Ok(uri.to_owned()),
        None => registered.into_iter().next().ok_or_else(|| {
            Stop::new(Some("MD5101"), "The application has no OAuth redirect URI; add one in Developer Central.")
        }),
    }
}

impl Sandbox {
    /// The app of a workflow request, checked: it exists, and a draft app is authorized only
    /// with `version=beta`.
    async fn consent_app(&self, p: &HashMap<String, String>) -> Result<sp::App, Stop> {
        let id = p.get("application_id").map(String::as_str).unwrap_or_default();
        if id.is_empty() {
            return Err(Stop::new(None, "The request has no application_id."));
        }
        let mut conn = self.reader().await?;
        let app =
            sp::app(&mut conn, id).await?.ok_or_else(|| Stop::new(None, format!("There is no application {id}.")))?;
        let beta = p.get("version").is_some_and(|v| v == "beta");
        if app.status == "Draft" && !beta {
            return Err(Stop::new(
                Some("MD1000"),
                "The application is in Draft: add version=beta to the authorization URI to authorize it for testing.",
            ));
        }
        if p.get("state").is_none_or(String::is_empty) {
            return Err(Stop::new(None, "The request has no state parameter."));
        }
        if let Some(uri) = p.get("redirect_uri") {
            redirect_uri(&app, Some(uri))?;
        }
        Ok(app)
    }

    async fn consent_page(&self, p: &HashMap<String, String>) -> Result<ConsentPage, Stop> {
        let app = self.consent_app(p).await?;
        let mut conn = self.reader().await?;
        let developer =
            sp::developer_by_id(&mut conn, &app.developer_id).await?.map(|d| d.organization).unwrap_or_default();
        let sellers = sp::sellers(&mut conn).await?;
        Ok(ConsentPage {
            app_name: app.name.clone(),
            developer,
            application_id: app.app_id.clone(),
            state: p.get("state").cloned().unwrap_or_default(),
            beta: p.get("version").is_some_and(|v| v == "beta"),
            redirect_uri: p.get("redirect_uri").cloned(),
            roles: stored_list(&app.roles)
                .iter()
                .filter_map(|n| catalog::role_named(n))
                .map(|r| RoleView { name: r.name.to_owned(), restricted: r.restricted })
                .collect(),
            sellers: sellers.into_iter().map(|s| SellerView { id: s.selling_partner_id, name: s.name }).collect(),
        })
    }

    /// The seller confirmed: hand an `amazon_state` to the app's login URI.
    async fn consent_confirmed(&self, p: &HashMap<String, String>, host: &str) -> Result<Response, Stop> {
        let app = self.consent_app(p).await?;
        if p.get("decision").is_some_and(|d| d == "cancel") {
            return Err(Stop {
                status: StatusCode::OK,
                code: None,
                message: "You cancelled the authorization.".into(),
            });
        }
        let seller_id = p.get("selling_partner_id").cloned().unwrap_or_default();
        let login = stored_list(&app.login_uris)
            .into_iter()
            .next()
            .ok_or_else(|| Stop::new(None, "The application has no OAuth login URI; add one in Developer Central."))?;
        let now = self.now_ms();
        let amazon_state = self.ids().amazon_state();
        let mut tx = self.begin().await?;
        if sp::seller(&mut tx, &seller_id).await?.is_none() {
            return Err(Stop::new(None, format!("There is no selling partner {seller_id}.")));
        }
        let grant = sp::Grant {
            kind: "state".into(),
            app_id: app.app_id.clone(),
            selling_partner_id: seller_id.clone(),
            redirect_uri: p.get("redirect_uri").cloned(),
            beta: p.get("version").is_some_and(|v| v == "beta"),
            expires_ms: now + STATE_TTL_MS,
            used_ms: None,
            scope: None,
        };
        sp::insert_grant(&mut tx, &self.verifier(AMAZON_STATE, &amazon_state), &grant, now).await?;
        commit(tx).await?;
        let callback = format!("http://{host}/apps/authorize/confirm/{}", app.app_id);
        Ok(redirect(&with_query(
            &login,
            &[("amazon_callback_uri", &callback), ("amazon_state", &amazon_state), ("selling_partner_id", &seller_id)],
        )))
    }

    /// The app sent the browser back to Amazon: issue the code to the redirect URI.
    async fn consent_callback(&self, app_id: &str, p: &HashMap<String, String>) -> Result<Response, Stop> {
        let now = self.now_ms();
        let amazon_state = p.get("amazon_state").map(String::as_str).unwrap_or_default();
        let state = p.get("state").cloned().unwrap_or_default();
        if state.is_empty() {
            return Err(Stop::new(None, "The request has no state parameter."));
        }
        let code = self.ids().oauth_code();
        let mut tx = self.begin().await?;
        let grant = sp::take_grant(&mut tx, &self.verifier(AMAZON_STATE, amazon_state), "state", now)
            .await?
            .filter(|g| g.app_id == app_id && g.used_ms.is_none() && g.expires_ms > now);
        // The state is spent whatever happens next.
        let Some(grant) = grant else {
            commit(tx).await?;
            return Err(Stop::new(
                None,
                "The authorization request is not valid: amazon_state is unknown, expired or already used. Start again from the consent page.",
            ));
        };
        let Some(app) = sp::app(&mut tx, app_id).await? else {
            return Err(Stop::new(None, format!("There is no application {app_id}.")));
        };
        let asked = p.get("redirect_uri").or(grant.redirect_uri.as_ref()).map(String::as_str);
        let uri = match redirect_uri(&app, asked) {
            Ok(u) => u,
            Err(stop) => {
                commit(tx).await?;
                return Err(stop);
            }
        };
        let code_grant = sp::Grant {
            kind: "code".into(),
            app_id: app.app_id.clone(),
            selling_partner_id: grant.selling_partner_id.clone(),
            redirect_uri: Some(uri.clone()),
            beta: grant.beta,
            expires_ms: now + CODE_TTL_MS,
            used_ms: None,
            scope: None,
        };
        sp::insert_grant(&mut tx, &self.verifier(OAUTH_CODE, &code), &code_grant, now).await?;
        commit(tx).await?;
        Ok(redirect(&with_query(
            &uri,
            &[("state", &state), ("selling_partner_id", &grant.selling_partner_id), ("spapi_oauth_code", &code)],
        )))
    }
}

/// `GET /apps/authorize/consent`.
pub(crate) async fn start(State(sb): State<Arc<Sandbox>>, RawQuery(query): RawQuery) -> Response {
    let p = params(query.unwrap_or_default().as_bytes());
    match sb.consent_page(&p).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(stop) => stop.into_response(),
    }
}

/// `POST /apps/authorize/consent`.
pub(crate) async fn confirm(State(sb): State<Arc<Sandbox>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let p = params(&body);
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1:4566");
    sb.consent_confirmed(&p, host).await.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /apps/authorize/confirm/{application_id}`: the `amazon_callback_uri`.
pub(crate) async fn callback(
    State(sb): State<Arc<Sandbox>>,
    Path(application_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let p = params(query.unwrap_or_default().as_bytes());
    sb.consent_callback(&application_id, &p).await.unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_are_appended_and_encoded() {
        assert_eq!(with_query("https://a.example/login", &[("x", "1 2")]), "https://a.example/login?x=1+2");
        assert_eq!(with_query("https://a.example/login?t=1", &[("s", "a&b")]), "https://a.example/login?t=1&s=a%26b");
    }
}
