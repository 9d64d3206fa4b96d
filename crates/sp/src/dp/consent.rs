//! Login with Amazon's authorization page for Data Portability scopes:
//!
//! ```text
//! GET  /ap/oa?client_id=..&scope=portability::..&response_type=code&redirect_uri=..&state=..
//!        sign in as a customer, choose the scopes to share (voluntary: none selected)
//! POST /ap/oa   302 -> redirect_uri?code=..&scope=..&state=..   (or ?error=access_denied)
//! ```
//!
//! The code is good for one exchange at `POST /auth/o2/token` (`grant_type=authorization_code`)
//! within 5 minutes, and is kept as a keyed hash with the scopes the customer chose.

use super::scopes;
use crate::consent::{CODE_TTL_MS, Stop, params, redirect, redirect_uri, render, with_query};
use crate::lwa::OAUTH_CODE;
use crate::{Sandbox, commit};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;
use store::{dp, sp};

struct CustomerView {
    id: String,
    name: String,
}

struct ScopeView {
    name: &'static str,
    description: &'static str,
}

#[derive(Template)]
#[template(path = "dp_consent.html")]
struct Page {
    app_name: String,
    developer: String,
    client_id: String,
    redirect_uri: String,
    state: String,
    customers: Vec<CustomerView>,
    scopes: Vec<ScopeView>,
}

impl Sandbox {
    /// The app and its registered redirect URI named by the request; errors that cannot be sent
    /// back to the app are shown on the page.
    async fn dp_app(&self, p: &HashMap<String, String>) -> Result<(sp::App, String), Stop> {
        let client_id = p.get("client_id").map(String::as_str).unwrap_or_default();
        let mut conn = self.reader().await?;
        let app = sp::app_by_client_id(&mut conn, client_id)
            .await?
            .ok_or_else(|| Stop::new(None, "The client_id is not a registered application (invalid_client)."))?;
        let uri = redirect_uri(&app, p.get("redirect_uri").map(String::as_str))?;
        Ok((app, uri))
    }

    async fn dp_consent_page(&self, p: &HashMap<String, String>) -> Result<Response, Stop> {
        let (app, uri) = self.dp_app(p).await?;
        let state = p.get("state").cloned().unwrap_or_default();
        let back = |error: &str, description: &str| {
            redirect(&with_query(&uri, &[("error", error), ("error_description", description), ("state", &state)]))
        };
        if p.get("response_type").map(String::as_str) != Some("code") {
            return Ok(back("unsupported_response_type", "response_type must be code"));
        }
        let asked: Vec<String> = p
            .get("scope")
            .map(|s| s.split(' ').filter(|x| !x.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default();
        let Ok(names) = scopes::parse_list(&asked) else {
            return Ok(back("invalid_scope", "The requested scope is invalid, unknown or malformed"));
        };
        let mut conn = self.reader().await?;
        let customers = dp::customers(&mut conn).await?;
        let developer =
            sp::developer_by_id(&mut conn, &app.developer_id).await?.map(|d| d.organization).unwrap_or_default();
        let page = Page {
            app_name: app.name,
            developer,
            client_id: app.client_id,
            redirect_uri: uri,
            state,
            customers: customers.into_iter().map(|c| CustomerView { id: c.customer_id, name: c.name }).collect(),
            scopes: names
                .iter()
                .filter_map(|n| scopes::by_name(n))
                .map(|s| ScopeView { name: s.name, description: s.description })
                .collect(),
        };
        Ok(render(StatusCode::OK, &page))
    }

    async fn dp_consent_confirmed(&self, p: &HashMap<String, String>, granted: &[String]) -> Result<Response, Stop> {
        let (app, uri) = self.dp_app(p).await?;
        let state = p.get("state").cloned().unwrap_or_default();
        if p.get("decision").is_some_and(|d| d == "cancel") || granted.is_empty() {
            return Ok(redirect(&with_query(
                &uri,
                &[("error", "access_denied"), ("error_description", "The user denied the request"), ("state", &state)],
            )));
        }
        let names = scopes::parse_list(granted).map_err(|e| Stop::new(None, e))?;
        let customer = p.get("customer_id").cloned().unwrap_or_default();
        let now = self.now_ms();
        let code = self.ids().oauth_code();
        let mut tx = self.begin().await?;
        if dp::customer(&mut tx, &customer).await?.is_none() {
            return Err(Stop::new(None, format!("There is no Amazon account {customer}.")));
        }
        let scope = names.join(" ");
        let grant = sp::Grant {
            kind: "code".into(),
            app_id: app.app_id.clone(),
            selling_partner_id: customer,
            redirect_uri: Some(uri.clone()),
            beta: false,
            expires_ms: now + CODE_TTL_MS,
            used_ms: None,
            scope: Some(scope.clone()),
        };
        sp::insert_grant(&mut tx, &self.verifier(OAUTH_CODE, &code), &grant, now).await?;
        commit(tx).await?;
        Ok(redirect(&with_query(&uri, &[("code", &code), ("scope", &scope), ("state", &state)])))
    }
}

/// `GET /ap/oa`.
pub(crate) async fn start(State(sb): State<Arc<Sandbox>>, RawQuery(query): RawQuery) -> Response {
    let p = params(query.unwrap_or_default().as_bytes());
    sb.dp_consent_page(&p).await.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /ap/oa`.
pub(crate) async fn confirm(State(sb): State<Arc<Sandbox>>, body: axum::body::Bytes) -> Response {
    let p = params(&body);
    let granted: Vec<String> =
        form_urlencoded::parse(&body).filter(|(k, _)| k == "grant").map(|(_, v)| v.into_owned()).take(32).collect();
    sb.dp_consent_confirmed(&p, &granted).await.unwrap_or_else(IntoResponse::into_response)
}
