//! The Amazon Developer workspace for Data Portability: the onboarding request with its steps
//! and SLAs, the identity forms with document upload, the privacy questionnaire, and the TPS
//! portal (security questionnaire, evidence, findings, collaborators), case messages and
//! withdrawal. Only the developer whose app a request is for sees it.

use crate::developer::{Me, me, me_form};
use crate::form::Form;
use crate::pages::{self, Nav};
use crate::{App, Console, Ctx, see_other};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};
use sp::{ConsoleError, Dev};

/// The largest upload: a document (10 MiB) and the form around it.
pub(crate) const MAX_UPLOAD: usize = 10 * 1024 * 1024 + 64 * 1024;

fn s(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn list(v: &Value, key: &str) -> Vec<Value> {
    v.get(key).and_then(Value::as_array).cloned().unwrap_or_default()
}

fn failed(me: &Me, e: &ConsoleError) -> Response {
    let status = match e.code {
        "NotFound" => StatusCode::NOT_FOUND,
        "InternalFailure" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    pages::message(status, Some(&me.signed), "That did not work", &e.message)
}

// --- the list and a new request ----------------------------------------------------------------

struct RequestRow {
    id: String,
    app: String,
    status: String,
    step: String,
    created: String,
}

#[derive(Template)]
#[template(path = "dp_list.html")]
struct ListPage {
    nav: Nav,
    requests: Vec<RequestRow>,
    apps: Vec<(String, String)>,
    error: Option<String>,
}

async fn list_page(app: &Console, me: &Me, status: StatusCode, error: Option<String>) -> Response {
    let (requests, apps) = match (
        app.deps.sandbox.list_requests(Dev::Id(&me.developer_id)).await,
        app.deps.sandbox.apps(Dev::Id(&me.developer_id)).await,
    ) {
        (Ok(r), Ok(a)) => (r, a),
        (Err(e), _) | (_, Err(e)) => return failed(me, &e),
    };
    let name_of = |id: &str| apps.iter().find(|a| a.app_id == id).map_or_else(|| id.to_owned(), |a| a.name.clone());
    let page = ListPage {
        nav: Nav::of(Some(&me.signed)),
        requests: list(&requests, "requests")
            .iter()
            .map(|r| RequestRow {
                id: s(r, "id"),
                app: name_of(&s(r, "applicationId")),
                status: s(r, "status"),
                step: s(r, "currentStep"),
                created: s(r, "createdAt"),
            })
            .collect(),
        apps: apps.iter().map(|a| (a.app_id.clone(), a.name.clone())).collect(),
        error,
    };
    pages::render(status, &page)
}

pub(crate) async fn requests_page(State(app): State<App>, ctx: Ctx) -> Response {
    match me(&app, &ctx).await {
        Ok(me) => list_page(&app, &me, StatusCode::OK, None).await,
        Err(r) => r,
    }
}

pub(crate) async fn create(State(app): State<App>, ctx: Ctx, body: Bytes) -> Response {
    let (me, form) = match me_form(&app, &ctx, &body).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let application_id = form.get("application_id").to_owned();
    // Only the developer's own apps: another's is "no app", as if it did not exist.
    let mine = app.deps.sandbox.apps(Dev::Id(&me.developer_id)).await.unwrap_or_default();
    let result = if mine.iter().any(|a| a.app_id == application_id) {
        let categories = form.all("categories").iter().filter_map(|c| c.parse().ok()).collect();
        app.deps.sandbox.create_request(&sp::NewRequest { application_id, categories }).await
    } else {
        Err(ConsoleError::invalid("choose one of your apps"))
    };
    app.audit(&ctx, &me.signed.principal(), "CreateOnboardingRequest", crate::outcome(&result)).await;
    match result {
        Ok(v) => see_other(&format!("/console/dp/{}", s(&v, "id"))),
        Err(e) => list_page(&app, &me, StatusCode::BAD_REQUEST, Some(e.message)).await,
    }
}

// --- one request -------------------------------------------------------------------------------

struct StepRow {
    step: String,
    title: String,
    state: String,
    owner: String,
    due_by: String,
    breached: bool,
    message: String,
    /// Whether the developer may act on it now (not approved, not waiting on Amazon).
    open: bool,
}

struct Doc {
    id: String,
    kind: String,
    name: String,
    size: String,
}

struct Question {
    id: &'static str,
    text: &'static str,
}

struct Finding {
    id: String,
    title: String,
    detail: String,
    severity: String,
    status: String,
    remediation: String,
}

struct Message {
    thread: String,
    author: String,
    body: String,
    at: String,
    due: String,
    breached: bool,
}

#[derive(Template)]
#[template(path = "dp_request.html")]
struct RequestPage {
    nav: Nav,
    id: String,
    app_id: String,
    status: String,
    live: bool,
    categories: String,
    unlocked: String,
    sandbox: bool,
    production: bool,
    steps: Vec<StepRow>,
    documents: Vec<Doc>,
    privacy: Vec<Question>,
    security: Vec<Question>,
    findings: Vec<Finding>,
    collaborators: Vec<(String, String)>,
    messages: Vec<Message>,
    error: Option<String>,
    notice: Option<String>,
}

impl RequestPage {
    fn step(&self, name: &str) -> Option<&StepRow> {
        self.steps.iter().find(|s| s.step == name)
    }

    /// Whether the developer's form for `name` is shown.
    fn open(&self, name: &str) -> bool {
        self.live && self.step(name).is_some_and(|s| s.open)
    }

    fn docs_of(&self, kind: &str) -> Vec<&Doc> {
        self.documents.iter().filter(|d| d.kind == kind).collect()
    }
}

fn questions(set: &'static [sp::Question], categories: &[u8]) -> Vec<Question> {
    sp::questions(set, categories).into_iter().map(|q| Question { id: q.id, text: q.text }).collect()
}

fn numbers(v: &Value, key: &str) -> Vec<u8> {
    list(v, key).iter().filter_map(Value::as_u64).filter_map(|n| u8::try_from(n).ok()).collect()
}

fn joined(ns: &[u8]) -> String {
    ns.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")
}

/// Request `id`, if it is for one of the developer's apps (otherwise: not found).
async fn owned(app: &Console, me: &Me, id: &str) -> Result<Value, Response> {
    let not_found = || pages::not_found_for(Some(&me.signed));
    let view = match app.deps.sandbox.find_request(id).await {
        Ok(_) => app.deps.sandbox.any_review_view(id).await.map_err(|e| failed(me, &e))?,
        Err(e) if e.code == "NotFound" => return Err(not_found()),
        Err(e) => return Err(failed(me, &e)),
    };
    match app.deps.sandbox.find_app(&s(&view, "applicationId")).await {
        Ok(a) if a.developer_id == me.developer_id => Ok(view),
        Ok(_) => Err(not_found()),
        Err(e) if e.code == "NotFound" => Err(not_found()),
        Err(e) => Err(failed(me, &e)),
    }
}

fn request_page(me: &Me, v: &Value, error: Option<String>, notice: Option<String>) -> RequestPage {
    let categories = numbers(v, "categories");
    let steps = list(v, "steps")
        .iter()
        .map(|st| StepRow {
            step: s(st, "step"),
            title: s(st, "title"),
            state: s(st, "state"),
            owner: s(st, "owner"),
            due_by: s(st, "dueBy"),
            breached: st["breached"] == true,
            message: s(st, "message"),
            open: st["owner"] == "developer" && st["state"] != "Approved",
        })
        .collect();
    RequestPage {
        nav: Nav::of(Some(&me.signed)),
        id: s(v, "id"),
        app_id: s(v, "applicationId"),
        status: s(v, "status"),
        live: v["status"] == "InProgress",
        categories: joined(&categories),
        unlocked: joined(&numbers(v, "unlockedCategories")),
        sandbox: v["sandboxAccess"] == true,
        production: v["productionAccess"] == true,
        steps,
        documents: list(v, "documents")
            .iter()
            .map(|d| Doc { id: s(d, "documentId"), kind: s(d, "kind"), name: s(d, "fileName"), size: s(d, "size") })
            .collect(),
        privacy: questions(sp::PRIVACY_QUESTIONS, &categories),
        security: questions(sp::SECURITY_QUESTIONS, &categories),
        findings: list(v, "findings")
            .iter()
            .map(|f| Finding {
                id: s(f, "findingId"),
                title: s(f, "title"),
                detail: s(f, "detail"),
                severity: s(f, "severity"),
                status: s(f, "status"),
                remediation: s(f, "remediation"),
            })
            .collect(),
        collaborators: list(v, "collaborators").iter().map(|c| (s(c, "email"), s(c, "invitedAt"))).collect(),
        messages: list(v, "messages")
            .iter()
            .map(|m| Message {
                thread: s(m, "thread"),
                author: s(m, "author"),
                body: s(m, "body"),
                at: s(m, "at"),
                due: s(m, "answerDueBy"),
                breached: m["breached"] == true,
            })
            .collect(),
        error,
        notice,
    }
}

pub(crate) async fn request(State(app): State<App>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let me = match me(&app, &ctx).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    match owned(&app, &me, &id).await {
        Ok(v) => pages::render(StatusCode::OK, &request_page(&me, &v, None, None)),
        Err(r) => r,
    }
}

/// After an action on request `id`: its page again, with what went wrong if anything did.
async fn after(app: &Console, me: &Me, id: &str, result: Result<(), ConsoleError>, done: &str) -> Response {
    let view = match owned(app, me, id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match result {
        Ok(()) => pages::render(StatusCode::OK, &request_page(me, &view, None, Some(done.to_owned()))),
        Err(e) if e.code == "InternalFailure" => failed(me, &e),
        Err(e) => pages::render(StatusCode::BAD_REQUEST, &request_page(me, &view, Some(e.message), None)),
    }
}

fn answers(form: &Form, set: &'static [sp::Question]) -> Map<String, Value> {
    set.iter().filter_map(|q| form.opt(&format!("q_{}", q.id)).map(|a| (q.id.to_owned(), Value::String(a)))).collect()
}

/// A developer's form on request `id`: `action` names which.
pub(crate) async fn act(
    State(app): State<App>,
    ctx: Ctx,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (me, form) = match me_form(&app, &ctx, &body).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = owned(&app, &me, &id).await {
        return r;
    }
    let sb = &app.deps.sandbox;
    let (operation, done, result) = match action.as_str() {
        "identity" => {
            let identity = sp::Identity {
                company_name: form.get("company_name").into(),
                address: form.get("address").into(),
                representative: form.get("representative").into(),
                email: form.get("email").into(),
                license_document_id: form.get("license_document_id").into(),
            };
            (
                "SubmitIdentity",
                "Your business information was submitted for review.",
                sb.submit_identity(&id, &identity).await,
            )
        }
        "verification" => {
            let v = sp::Verification {
                photo_id_document_id: form.get("photo_id_document_id").into(),
                face_image_document_id: form.get("face_image_document_id").into(),
            };
            ("VerifyIdentity", "Your identity was verified.", sb.verify_identity(&id, &v).await)
        }
        "privacy" => (
            "SubmitPrivacyQuestionnaire",
            "The privacy questionnaire was submitted for review.",
            sb.submit_privacy(&id, &answers(&form, sp::PRIVACY_QUESTIONS)).await,
        ),
        "security" => {
            let security = sp::Security {
                answers: answers(&form, sp::SECURITY_QUESTIONS),
                evidence_document_ids: form.all("evidence"),
                additional_follow_up: form.opt("follow_up"),
            };
            (
                "SubmitSecurityQuestionnaire",
                "The security questionnaire was submitted for review.",
                sb.submit_security(&id, &security).await,
            )
        }
        "sandbox" => (
            "RequestSandboxAccess",
            "Sandbox access was requested.",
            sb.request_sandbox(&id, &form.lines("customers")).await,
        ),
        "production" => {
            ("RequestProductionAccess", "Production access was requested.", sb.request_production(&id).await)
        }
        "collaborators" => (
            "InviteCollaborator",
            "The collaborator was invited by e-mail.",
            sb.invite_collaborator(&id, form.get("email")).await,
        ),
        "remediate" => (
            "RemediateFinding",
            "The remediation was sent to the assessor.",
            sb.update_finding(&id, form.get("finding_id"), Some(form.get("remediation"))).await,
        ),
        "messages" => (
            "ReplyToCase",
            "Your message was sent.",
            sb.reply(&id, form.get("thread"), "developer", form.get("body")).await,
        ),
        "withdraw" => {
            ("WithdrawRequest", "The request was withdrawn.", sb.withdraw_any(&id, form.opt("reason").as_deref()).await)
        }
        _ => return pages::not_found_for(Some(&me.signed)),
    };
    app.audit(&ctx, &me.signed.principal(), operation, crate::outcome(&result)).await;
    after(&app, &me, &id, result.map(|_| ()), done).await
}

/// A document upload (multipart: `csrf`, `kind`, `file`).
pub(crate) async fn upload(
    State(app): State<App>,
    ctx: Ctx,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let Ok(Some(me)) = app.signed(&ctx).await.map(|s| s.and_then(|s| Me::of(s).ok())) else {
        return pages::message(StatusCode::FORBIDDEN, None, "Signed out", "Sign in again and repeat the upload.");
    };
    let (mut csrf, mut kind, mut file) = (String::new(), String::new(), None);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().unwrap_or("document").to_owned();
                match (name.as_str(), field.bytes().await) {
                    ("csrf", Ok(b)) => csrf = String::from_utf8_lossy(&b).into_owned(),
                    ("kind", Ok(b)) => kind = String::from_utf8_lossy(&b).into_owned(),
                    ("file", Ok(b)) => file = Some((file_name, b)),
                    (_, Ok(_)) => {}
                    (_, Err(e)) => {
                        return pages::message(e.status(), Some(&me.signed), "Upload failed", &e.body_text());
                    }
                }
            }
            Ok(None) => break,
            Err(e) => return pages::message(e.status(), Some(&me.signed), "Upload failed", &e.body_text()),
        }
    }
    if !crypto::constant_time_eq(csrf.as_bytes(), me.signed.csrf.as_bytes()) {
        return pages::message(
            StatusCode::FORBIDDEN,
            Some(&me.signed),
            "Form expired",
            "Reload the page and upload again.",
        );
    }
    if let Err(r) = owned(&app, &me, &id).await {
        return r;
    }
    let result = match &file {
        Some((name, bytes)) => app.deps.sandbox.upload(&id, &kind, name, bytes).await,
        None => Err(ConsoleError::invalid("choose a file to upload")),
    };
    app.audit(&ctx, &me.signed.principal(), "UploadDocument", crate::outcome(&result)).await;
    after(&app, &me, &id, result.map(|_| ()), "The document was uploaded.").await
}
