//! The admin API of the review engine, nested with Developer Central's at `/_spcred/sp` behind
//! the admin token: the developer's side (workspace, TPS portal, app listings) and Amazon's
//! (the reviewer queue and decisions). Errors are `{"error": code, "message": text}`.
//!
//! ```text
//! GET  /reviews                                Amazon's queue: steps waiting on Amazon, earliest due first
//! GET  /reviews/{id}                           a review: steps, due dates, breaches, history, messages
//! POST /reviews/{id}/decisions                 {step, decision: start|approve|deny|request-info, message}
//! GET  /reviews/{id}/steps/{step}/submission   the developer's submission, for the reviewer
//! POST /reviews/{id}/documents?kind=..&fileName=..   upload (raw body, at most 10 MiB)
//! GET  /reviews/{id}/documents/{doc}           a document, for the reviewer
//! POST /reviews/{id}/messages                  {thread: case|consultation, from: developer|amazon, body}
//! POST /reviews/{id}/withdraw                  {reason}
//! POST /dp/requests, GET /dp/requests[/{id}]   onboarding requests
//! POST /dp/requests/{id}/identity|verification|privacy|security|sandbox|production
//! POST /dp/requests/{id}/collaborators         {email}
//! POST /dp/requests/{id}/findings              {title, detail, severity}        (assessor)
//! POST /dp/requests/{id}/findings/{f}          {remediation} (developer) or {} to resolve (assessor)
//! GET  /dp/questionnaires/{privacy|security}?categories=1,2
//! POST /dp/customers, GET /dp/customers        Amazon customers
//! POST /dp/authorizations                      self-authorization: a refresh token
//! PUT  /apps/{app}/listing, GET /apps/{app}/listing, POST /apps/{app}/listing/images?kind=..&fileName=..,
//! POST /apps/{app}/listing/submit              the app listing
//! ```

use crate::Sandbox;
use crate::apps::ConsoleError;
use crate::documents::{MAX_DOCUMENT_BYTES, too_large};
use crate::dp::{self, NewRequest};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

type Reply = Result<axum::Json<Value>, ConsoleError>;

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ConsoleError> {
    crate::admin::parse(body)
}

pub(crate) fn routes() -> Router<Arc<Sandbox>> {
    let upload = DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 1);
    Router::new()
        .route("/reviews", get(queue))
        .route("/reviews/{id}", get(show))
        .route("/reviews/{id}/decisions", post(decide))
        .route("/reviews/{id}/steps/{step}/submission", get(submission))
        .route("/reviews/{id}/documents", post(upload_document).layer(upload))
        .route("/reviews/{id}/documents/{doc}", get(document))
        .route("/reviews/{id}/messages", post(message))
        .route("/reviews/{id}/withdraw", post(withdraw))
        .route("/dp/requests", post(create_request).get(list_requests))
        .route("/dp/requests/{id}", get(show))
        .route("/dp/requests/{id}/{step}", post(submit))
        .route("/dp/requests/{id}/findings/{finding}", post(finding))
        .route("/dp/questionnaires/{set}", get(questionnaire))
        .route("/dp/customers", post(create_customer).get(list_customers))
        .route("/dp/authorizations", post(authorize))
        .route("/apps/{app}/listing", get(show_listing).put(save_listing))
        .route("/apps/{app}/listing/images", post(listing_image).layer(upload))
        .route("/apps/{app}/listing/submit", post(submit_listing))
}

async fn queue(State(sb): State<Arc<Sandbox>>) -> Reply {
    Ok(axum::Json(sb.reviewer_queue().await?))
}

async fn show(State(sb): State<Arc<Sandbox>>, Path(id): Path<String>) -> Reply {
    Ok(axum::Json(sb.any_review_view(&id).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DecisionBody {
    step: String,
    decision: String,
    #[serde(default)]
    message: Option<String>,
}

async fn decide(State(sb): State<Arc<Sandbox>>, Path(id): Path<String>, body: Bytes) -> Reply {
    let d: DecisionBody = parse(&body)?;
    Ok(axum::Json(sb.decide(&id, &d.step, &d.decision, d.message.as_deref()).await?))
}

async fn submission(State(sb): State<Arc<Sandbox>>, Path((id, step)): Path<(String, String)>) -> Reply {
    Ok(axum::Json(sb.submission(&id, &step).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Upload {
    kind: String,
    file_name: String,
}

fn upload_of(query: Result<Query<Upload>, axum::extract::rejection::QueryRejection>) -> Result<Upload, ConsoleError> {
    query.map(|Query(u)| u).map_err(|_| ConsoleError::invalid("an upload needs ?kind=...&fileName=..."))
}

/// An upload's body, refused whole when it is too large (a 413, never a truncated file).
fn body_of(body: Result<Bytes, axum::extract::rejection::BytesRejection>) -> Result<Bytes, ConsoleError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { ConsoleError::invalid(e.body_text()) }
    })
}

async fn upload_document(
    State(sb): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    query: Result<Query<Upload>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, axum::Json<Value>), ConsoleError> {
    let u = upload_of(query)?;
    let body = body_of(body)?;
    Ok((StatusCode::CREATED, axum::Json(sb.upload(&id, &u.kind, &u.file_name, &body).await?)))
}

async fn document(
    State(sb): State<Arc<Sandbox>>,
    Path((id, doc)): Path<(String, String)>,
) -> Result<Response, ConsoleError> {
    let (d, bytes) = sb.document(&id, &doc).await?;
    Ok(([(header::CONTENT_TYPE, d.content_type)], bytes).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Message {
    #[serde(default = "case")]
    thread: String,
    from: String,
    body: String,
}

fn case() -> String {
    "case".into()
}

async fn message(State(sb): State<Arc<Sandbox>>, Path(id): Path<String>, body: Bytes) -> Reply {
    let m: Message = parse(&body)?;
    Ok(axum::Json(sb.reply(&id, &m.thread, &m.from, &m.body).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Withdrawal {
    #[serde(default)]
    reason: Option<String>,
}

async fn withdraw(State(sb): State<Arc<Sandbox>>, Path(id): Path<String>, body: Bytes) -> Reply {
    let w: Withdrawal = if body.is_empty() { Withdrawal { reason: None } } else { parse(&body)? };
    Ok(axum::Json(sb.withdraw_any(&id, w.reason.as_deref()).await?))
}

async fn create_request(
    State(sb): State<Arc<Sandbox>>,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<Value>), ConsoleError> {
    let new: NewRequest = parse(&body)?;
    Ok((StatusCode::CREATED, axum::Json(sb.create_request(&new).await?)))
}

async fn list_requests(State(sb): State<Arc<Sandbox>>) -> Reply {
    Ok(axum::Json(sb.list_requests(crate::Dev::Admin).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Sandboxes {
    customer_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Invite {
    email: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewFinding {
    title: String,
    detail: String,
    severity: String,
}

async fn submit(State(sb): State<Arc<Sandbox>>, Path((id, step)): Path<(String, String)>, body: Bytes) -> Reply {
    let v = match step.as_str() {
        "identity" => sb.submit_identity(&id, &parse(&body)?).await?,
        "verification" => sb.verify_identity(&id, &parse(&body)?).await?,
        "privacy" => sb.submit_privacy(&id, &parse::<Map<String, Value>>(&body)?).await?,
        "security" => sb.submit_security(&id, &parse(&body)?).await?,
        "sandbox" => sb.request_sandbox(&id, &parse::<Sandboxes>(&body)?.customer_ids).await?,
        "production" => sb.request_production(&id).await?,
        "collaborators" => sb.invite_collaborator(&id, &parse::<Invite>(&body)?.email).await?,
        "findings" => {
            let f: NewFinding = parse(&body)?;
            sb.issue_finding(&id, &f.title, &f.detail, &f.severity).await?
        }
        other => return Err(ConsoleError::not_found(format!("no /dp/requests/{{id}}/{other}"))),
    };
    Ok(axum::Json(v))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FindingUpdate {
    #[serde(default)]
    remediation: Option<String>,
}

async fn finding(State(sb): State<Arc<Sandbox>>, Path((id, f)): Path<(String, String)>, body: Bytes) -> Reply {
    let u: FindingUpdate = if body.is_empty() { FindingUpdate { remediation: None } } else { parse(&body)? };
    Ok(axum::Json(sb.update_finding(&id, &f, u.remediation.as_deref()).await?))
}

#[derive(Deserialize)]
struct Categories {
    #[serde(default)]
    categories: Option<String>,
}

async fn questionnaire(Path(set): Path<String>, Query(c): Query<Categories>) -> Reply {
    let cats: Vec<u8> =
        c.categories.unwrap_or_else(|| "1".into()).split(',').filter_map(|x| x.trim().parse().ok()).collect();
    let questions = match set.as_str() {
        "privacy" => dp::PRIVACY_QUESTIONS,
        "security" => dp::SECURITY_QUESTIONS,
        _ => return Err(ConsoleError::not_found("the questionnaires are privacy and security")),
    };
    Ok(axum::Json(json!({"questionnaire": set, "categories": cats, "questions": dp::questions_json(questions, &cats)})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewCustomer {
    name: String,
    email: String,
    #[serde(default)]
    query_seconds: Option<u32>,
}

async fn create_customer(
    State(sb): State<Arc<Sandbox>>,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<Value>), ConsoleError> {
    let c: NewCustomer = parse(&body)?;
    Ok((StatusCode::CREATED, axum::Json(sb.create_customer(&c.name, &c.email, c.query_seconds.unwrap_or(2)).await?)))
}

async fn list_customers(State(sb): State<Arc<Sandbox>>) -> Reply {
    Ok(axum::Json(sb.list_customers().await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CustomerGrant {
    application_id: String,
    customer_id: String,
    scopes: Vec<String>,
}

async fn authorize(State(sb): State<Arc<Sandbox>>, body: Bytes) -> Reply {
    let g: CustomerGrant = parse(&body)?;
    let app = sb.find_app(&g.application_id).await?;
    let refresh = sb.authorize_customer(&app, &g.customer_id, &g.scopes, "self").await?;
    Ok(axum::Json(json!({
        "applicationId": app.app_id, "clientId": app.client_id, "customerId": g.customer_id,
        "scope": g.scopes.join(" "), "refreshToken": refresh.expose(),
    })))
}

async fn show_listing(State(sb): State<Arc<Sandbox>>, Path(app): Path<String>) -> Reply {
    let app = sb.find_app(&app).await?;
    Ok(axum::Json(sb.listing_view(&app).await?))
}

async fn save_listing(State(sb): State<Arc<Sandbox>>, Path(app): Path<String>, body: Bytes) -> Reply {
    let form = parse(&body)?;
    let app = sb.find_app(&app).await?;
    Ok(axum::Json(sb.save_listing(&app, &form).await?))
}

async fn listing_image(
    State(sb): State<Arc<Sandbox>>,
    Path(app): Path<String>,
    query: Result<Query<Upload>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, axum::Json<Value>), ConsoleError> {
    let u = upload_of(query)?;
    let body = body_of(body)?;
    let app = sb.find_app(&app).await?;
    Ok((StatusCode::CREATED, axum::Json(sb.add_listing_image(&app, &u.kind, &u.file_name, &body).await?)))
}

async fn submit_listing(State(sb): State<Arc<Sandbox>>, Path(app): Path<String>) -> Reply {
    let app = sb.find_app(&app).await?;
    Ok(axum::Json(sb.submit_listing(&app).await?))
}
