//! Rendering: the layout's navigation, message pages, the vendored assets.

use crate::auth::{Signed, Who};
use crate::{App, Ctx, harden, see_other};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// What the layout shows of the session.
pub(crate) struct Nav {
    /// Who is signed in, as the header shows it.
    pub(crate) who: Option<String>,
    pub(crate) developer: bool,
    pub(crate) operator: bool,
    /// The sign-out form's CSRF token.
    pub(crate) csrf: String,
}

impl Nav {
    pub(crate) fn of(signed: Option<&Signed>) -> Self {
        match signed.map(|s| (&s.who, &s.csrf)) {
            None => Self { who: None, developer: false, operator: false, csrf: String::new() },
            Some((Who::Developer { email, .. }, csrf)) => {
                Self { who: Some(email.clone()), developer: true, operator: false, csrf: csrf.clone() }
            }
            Some((Who::Operator, csrf)) => {
                Self { who: Some("Operator".into()), developer: false, operator: true, csrf: csrf.clone() }
            }
        }
    }
}

/// A page (or fragment) with `status`.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => harden((status, Html(html)).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "a console page did not render");
            harden((StatusCode::INTERNAL_SERVER_ERROR, "the page did not render; see the server log").into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    nav: Nav,
    heading: &'a str,
    text: &'a str,
}

/// A page that says one thing.
pub(crate) fn message(status: StatusCode, signed: Option<&Signed>, heading: &str, text: &str) -> Response {
    render(status, &MessagePage { nav: Nav::of(signed), heading, text })
}

/// The store failed: said plainly, the detail in the server log.
pub(crate) fn store_failed(e: &store::StoreError) -> Response {
    tracing::error!(error = %e, "store error in the console");
    message(StatusCode::SERVICE_UNAVAILABLE, None, "Try again", "The store did not answer; see the server log.")
}

/// No such page, or not the signed-in user's to see.
pub(crate) fn not_found_for(signed: Option<&Signed>) -> Response {
    message(StatusCode::NOT_FOUND, signed, "Not found", "There is no such page, or it is not yours to see.")
}

pub(crate) async fn not_found(State(app): State<App>, ctx: Ctx) -> Response {
    let signed = app.signed(&ctx).await.ok().flatten();
    not_found_for(signed.as_ref())
}

pub(crate) async fn home(State(app): State<App>, ctx: Ctx) -> Response {
    match app.signed(&ctx).await {
        Ok(Some(Signed { who: Who::Operator, .. })) => see_other("/console/reviews"),
        Ok(Some(_)) => see_other("/console/apps"),
        Ok(None) => see_other("/console/signin"),
        Err(r) => r,
    }
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    r.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

/// htmx 2.0, vendored (0BSD; see `assets/htmx.LICENSE`).
pub(crate) async fn htmx() -> Response {
    asset(include_str!("../assets/htmx.min.js"), "text/javascript; charset=utf-8")
}

pub(crate) async fn css() -> Response {
    asset(include_str!("../assets/console.css"), "text/css; charset=utf-8")
}
