//! The admin API's accounts: `POST /_spcred/accounts` makes another AWS account with its root
//! credentials (shown once, in the answer), `GET /_spcred/accounts` lists them with their
//! organization. What `spcred account create` and `spcred account list` call.

use crate::http::{AppState, admin_error};
use aws_core::accounts::AccountError;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

/// The longest account name and email AWS Organizations accepts.
const NAME_MAX: usize = 50;
const EMAIL_MAX: usize = 64;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    account_id: Option<String>,
    name: Option<String>,
    email: Option<String>,
}

fn internal(what: &str, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "{what} failed");
    admin_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", format!("{what} failed; see the server log"))
}

fn invalid(message: impl Into<String>) -> Response {
    admin_error(StatusCode::BAD_REQUEST, "InvalidRequest", message)
}

/// `POST /_spcred/accounts`: `{"account_id"?, "name"?, "email"?}`.
pub(crate) async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<axum::Json<CreateBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let body = match body {
        Ok(axum::Json(b)) => b,
        Err(e) => return invalid(e.body_text()),
    };
    if body.name.as_deref().is_some_and(|n| n.is_empty() || n.chars().count() > NAME_MAX) {
        return invalid(format!("name must be 1 to {NAME_MAX} characters"));
    }
    if body.email.as_deref().is_some_and(|e| e.len() < 6 || e.len() > EMAIL_MAX || !e.contains('@')) {
        return invalid(format!("email must be an address of 6 to {EMAIL_MAX} characters"));
    }
    let env = state.dispatcher.env();
    let mut tx = match env.store.begin().await {
        Ok(tx) => tx,
        Err(e) => return internal("opening a transaction", &e),
    };
    let created = match aws_core::accounts::create(
        env,
        &mut tx,
        body.account_id.as_deref(),
        body.name.as_deref(),
        body.email.as_deref(),
    )
    .await
    {
        Ok(c) => c,
        Err(e @ AccountError::InvalidId(_)) => return invalid(e.to_string()),
        Err(e @ (AccountError::Exists(_) | AccountError::EmailExists(_))) => {
            return admin_error(StatusCode::CONFLICT, "AccountExists", e.to_string());
        }
        Err(e @ AccountError::Store(_)) => return internal("creating the account", &e),
    };
    if let Err(e) = tx.commit().await {
        return internal("creating the account", &e);
    }
    let record = store::audit::Record {
        time_ms: env.now_ms(),
        request_id: env.ids.uuid(),
        principal_arn: Some("spcred:admin".into()),
        source_ip: peer.ip().to_string(),
        service: "spcred".into(),
        operation: "CreateAccount".into(),
        outcome: "Allowed".into(),
        error_code: None,
        region: None,
    };
    if env.audit.record(record).await.is_err() {
        return internal("auditing the new account", &"the audit log refused the record");
    }
    tracing::info!(account = %created.account_id, "created an account");
    let answer = json!({
        "account_id": created.account_id,
        "access_key_id": created.access_key_id,
        "secret_access_key": created.secret_access_key.expose(),
        "name": body.name,
        "email": body.email,
    });
    (StatusCode::CREATED, axum::Json(answer)).into_response()
}

/// `GET /_spcred/accounts`: every account, oldest first, with its organization if it has one.
pub(crate) async fn list(State(state): State<AppState>) -> Response {
    let mut conn = match state.store.read().await {
        Ok(c) => c,
        Err(e) => return internal("reading the accounts", &e),
    };
    let accounts = match store::org::accounts(&mut conn).await {
        Ok(a) => a,
        Err(e) => return internal("reading the accounts", &e),
    };
    let mut out = Vec::with_capacity(accounts.len());
    for a in accounts {
        let membership = match store::org::membership(&mut conn, &a.account_id).await {
            Ok(m) => m,
            Err(e) => return internal("reading the accounts", &e),
        };
        let created = jiff::Timestamp::from_millisecond(a.created_ms).map(|t| t.to_string()).unwrap_or_default();
        out.push(json!({
            "account_id": a.account_id,
            "name": a.name,
            "email": a.email,
            "created": created,
            "organization": membership.as_ref().map(|(o, _)| o.org_id.clone()),
            "management_account": membership.as_ref().is_some_and(|(o, _)| o.management_account == a.account_id),
        }));
    }
    axum::Json(json!({ "accounts": out })).into_response()
}
