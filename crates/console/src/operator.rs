//! The operator's side: Amazon's reviewer queue and decisions, and a read-only view of the platform.

use crate::auth::{Signed, Who};
use crate::pages::{self, Nav};
use crate::{App, Console, Ctx, see_other};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

/// The operator's session; a developer is told the page is not theirs.
async fn operator(app: &Console, ctx: &Ctx) -> Result<Signed, Response> {
    let signed = app.page_guard(ctx).await?;
    match signed.who {
        Who::Operator => Ok(signed),
        Who::Developer { .. } => Err(pages::not_found_for(Some(&signed))),
    }
}

fn s(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}

// --- reviews -----------------------------------------------------------------------------------

struct QueueRow {
    id: String,
    kind: String,
    step: String,
    state: String,
    due_by: String,
    breached: bool,
}

#[derive(Template)]
#[template(path = "reviews.html")]
struct QueuePage {
    nav: Nav,
    rows: Vec<QueueRow>,
}

pub(crate) async fn queue_page(State(app): State<App>, ctx: Ctx) -> Response {
    let signed = match operator(&app, &ctx).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let queue = match app.deps.sandbox.reviewer_queue().await {
        Ok(q) => q,
        Err(e) => return pages::message(StatusCode::SERVICE_UNAVAILABLE, Some(&signed), "Try again", &e.message),
    };
    let rows = queue["queue"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| QueueRow {
            id: s(r, "id"),
            kind: s(r, "kind"),
            step: s(r, "step"),
            state: s(r, "state"),
            due_by: s(r, "dueBy"),
            breached: r["breached"] == true,
        })
        .collect();
    pages::render(StatusCode::OK, &QueuePage { nav: Nav::of(Some(&signed)), rows })
}

struct StepRow {
    step: String,
    title: String,
    state: String,
    owner: String,
    due_by: String,
    breached: bool,
    message: String,
    /// The developer's submission, for a step waiting on Amazon.
    submission: String,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    nav: Nav,
    id: String,
    kind: String,
    subject: String,
    status: String,
    steps: Vec<StepRow>,
    live: bool,
    onboarding: bool,
    /// Id, title, severity, status and remediation of each finding.
    findings: Vec<[String; 5]>,
    /// Thread, author, time and body of each message.
    messages: Vec<[String; 4]>,
    detail: String,
    error: Option<String>,
}

async fn review_page_of(
    app: &Console,
    signed: &Signed,
    id: &str,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let view = match app.deps.sandbox.any_review_view(id).await {
        Ok(v) => v,
        Err(e) if e.code == "NotFound" => return pages::not_found_for(Some(signed)),
        Err(e) => return pages::message(StatusCode::SERVICE_UNAVAILABLE, Some(signed), "Try again", &e.message),
    };
    let mut steps = Vec::new();
    for st in view["steps"].as_array().into_iter().flatten() {
        let step = s(st, "step");
        let submission = if s(st, "owner") == "amazon" {
            app.deps
                .sandbox
                .submission(id, &step)
                .await
                .ok()
                .filter(|v| !v.is_null())
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_default()
        } else {
            String::new()
        };
        steps.push(StepRow {
            title: s(st, "title"),
            state: s(st, "state"),
            owner: s(st, "owner"),
            due_by: s(st, "dueBy"),
            breached: st["breached"] == true,
            message: s(st, "message"),
            submission,
            step,
        });
    }
    let page = ReviewPage {
        nav: Nav::of(Some(signed)),
        id: s(&view, "id"),
        kind: s(&view, "kind"),
        subject: s(&view, "subject"),
        status: s(&view, "status"),
        steps,
        live: view["status"] == "InProgress",
        onboarding: view["kind"] == "onboarding",
        findings: rows(&view, "findings", ["findingId", "title", "severity", "status", "remediation"]),
        messages: rows(&view, "messages", ["thread", "author", "at", "body"]),
        detail: serde_json::to_string_pretty(&view).unwrap_or_default(),
        error,
    };
    pages::render(status, &page)
}

pub(crate) async fn review_page(State(app): State<App>, ctx: Ctx, Path(id): Path<String>) -> Response {
    match operator(&app, &ctx).await {
        Ok(signed) => review_page_of(&app, &signed, &id, StatusCode::OK, None).await,
        Err(r) => r,
    }
}

/// A reviewer's decision (start, approve, deny, request information) on a step.
pub(crate) async fn decide(State(app): State<App>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    let (signed, form) = match app.form_guard(&ctx, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !matches!(signed.who, Who::Operator) {
        return pages::not_found_for(Some(&signed));
    }
    let message = form.opt("message");
    let result = app.deps.sandbox.decide(&id, form.get("step"), form.get("decision"), message.as_deref()).await;
    app.audit(&ctx, &signed.principal(), "DecideReview", crate::outcome(&result)).await;
    match result {
        Ok(_) => see_other(&format!("/console/reviews/{id}")),
        Err(e) if e.code == "NotFound" && e.message.starts_with("no review") => pages::not_found_for(Some(&signed)),
        Err(e) => review_page_of(&app, &signed, &id, StatusCode::BAD_REQUEST, Some(e.message)).await,
    }
}

fn rows<const N: usize>(v: &Value, key: &str, fields: [&str; N]) -> Vec<[String; N]> {
    v[key].as_array().into_iter().flatten().map(|r| fields.map(|f| s(r, f))).collect()
}

/// The assessor's actions on a review: issue or resolve a finding, reply on a thread.
pub(crate) async fn act(
    State(app): State<App>,
    ctx: Ctx,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (signed, form) = match app.form_guard(&ctx, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !matches!(signed.who, Who::Operator) {
        return pages::not_found_for(Some(&signed));
    }
    let sb = &app.deps.sandbox;
    let (operation, result) = match action.as_str() {
        "findings" => {
            ("IssueFinding", sb.issue_finding(&id, form.get("title"), form.get("detail"), form.get("severity")).await)
        }
        "resolve" => ("ResolveFinding", sb.update_finding(&id, form.get("finding_id"), None).await),
        "messages" => ("ReplyToCase", sb.reply(&id, form.get("thread"), "amazon", form.get("body")).await),
        _ => return pages::not_found_for(Some(&signed)),
    };
    app.audit(&ctx, &signed.principal(), operation, crate::outcome(&result)).await;
    match result {
        Ok(_) => see_other(&format!("/console/reviews/{id}")),
        Err(e) if e.code == "NotFound" && e.message.starts_with("no review") => pages::not_found_for(Some(&signed)),
        Err(e) => review_page_of(&app, &signed, &id, StatusCode::BAD_REQUEST, Some(e.message)).await,
    }
}

// --- the platform ------------------------------------------------------------------------------

/// How many rows each table shows at most.
const ROWS: i64 = 200;

struct AccountView {
    account_id: String,
    name: String,
    users: Vec<String>,
    roles: Vec<String>,
    policies: Vec<String>,
}

#[derive(Template)]
#[template(path = "platform.html")]
struct PlatformPage {
    nav: Nav,
    accounts: Vec<AccountView>,
    developers: Vec<[String; 4]>,
    parameters: Vec<store::console::ParameterRow>,
    queues: Vec<store::console::QueueRow>,
    scheduled: Vec<[String; 3]>,
    /// Due, policy type, account, region and parameter of each pending parameter policy.
    policy_events: Vec<[String; 5]>,
    /// Created, protocol, endpoint, message type, status, attempts, last error.
    deliveries: Vec<[String; 7]>,
    /// Label and figure of each count at a glance.
    glance: Vec<(&'static str, usize)>,
    audit: Vec<[String; 6]>,
    principal: String,
    operation: String,
}

/// Every account with its IAM users, roles and customer managed policies.
async fn accounts(conn: &mut store::Conn) -> Result<Vec<AccountView>, store::StoreError> {
    let mut out = Vec::new();
    for a in store::org::accounts(conn).await? {
        let users = store::iam::list_users(conn, &a.account_id, "/").await?;
        let roles = store::iam::list_roles(conn, &a.account_id, "/").await?;
        let policies = store::iam::list_policies(conn, &a.account_id, "/").await?;
        out.push(AccountView {
            policies: policies.into_iter().map(|p| format!("{}{}", p.path, p.policy_name)).collect(),
            name: a.name.unwrap_or_default(),
            users: users.into_iter().map(|u| format!("{}{}", u.path, u.user_name)).collect(),
            roles: roles.into_iter().map(|r| format!("{}{}", r.path, r.role_name)).collect(),
            account_id: a.account_id,
        });
    }
    Ok(out)
}

/// Every console developer account: e-mail, organization, profile status, since when.
async fn developers(conn: &mut store::Conn) -> Result<Vec<[String; 4]>, store::StoreError> {
    let mut out = Vec::new();
    for u in store::console::users(conn).await? {
        let profile = store::sp::developer_by_id(conn, &u.developer_id).await?;
        out.push([
            u.email,
            profile.as_ref().map(|d| d.organization.clone()).unwrap_or_default(),
            profile.map_or_else(|| "No profile".to_owned(), |d| d.status),
            iso(u.created_ms),
        ]);
    }
    Ok(out)
}

pub(crate) async fn platform_page(State(app): State<App>, ctx: Ctx, RawQuery(query): RawQuery) -> Response {
    let signed = match operator(&app, &ctx).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let filter = crate::form::Form::parse(query.unwrap_or_default().as_bytes());
    let principal = filter.as_ref().map(|f| f.get("principal").to_owned()).unwrap_or_default();
    let operation = filter.as_ref().map(|f| f.get("operation").to_owned()).unwrap_or_default();
    let page = async {
        let mut conn = app.deps.store.read().await?;
        let accounts = accounts(&mut conn).await?;
        let developers = developers(&mut conn).await?;
        let audit_filter = store::audit::Filter {
            principal_arn: Some(principal.clone()).filter(|p| !p.is_empty()),
            operation: Some(operation.clone()).filter(|o| !o.is_empty()),
            since_ms: None,
            limit: ROWS,
        };
        let audit = store::audit::list(&mut conn, &audit_filter)
            .await?
            .into_iter()
            .rev()
            .map(|r| {
                [
                    iso(r.time_ms),
                    r.principal_arn.unwrap_or_default(),
                    r.service,
                    r.operation,
                    r.outcome,
                    r.error_code.unwrap_or_default(),
                ]
            })
            .collect();
        let deliveries =
            store::delivery::list(&mut conn, &store::delivery::Filter { limit: ROWS, ..Default::default() })
                .await?
                .into_iter()
                .rev()
                .map(|d| {
                    [
                        iso(d.created_ms),
                        d.protocol,
                        d.endpoint,
                        d.message_type,
                        d.status,
                        d.attempts.to_string(),
                        d.last_error.unwrap_or_default(),
                    ]
                })
                .collect::<Vec<_>>();
        let parameters = store::console::parameters(&mut conn, ROWS).await?;
        let queues = store::console::queues(&mut conn, ROWS).await?;
        let scheduled: Vec<[String; 3]> = store::console::scheduled(&mut conn, ROWS)
            .await?
            .into_iter()
            .map(|j| [iso(j.due_ms), j.kind, j.attempts.to_string()])
            .collect();
        let open_reviews = store::console::open_reviews(&mut conn).await?;
        let failing = deliveries.iter().filter(|d| d[4] == "failed").count();
        let glance = vec![
            ("accounts", accounts.len()),
            ("developer accounts", developers.len()),
            ("parameters", parameters.len()),
            ("queues", queues.len()),
            ("scheduled jobs", scheduled.len()),
            ("open reviews", open_reviews),
            ("recent failed deliveries", failing),
        ];
        Ok::<PlatformPage, store::StoreError>(PlatformPage {
            nav: Nav::of(Some(&signed)),
            accounts,
            developers,
            parameters,
            queues,
            scheduled,
            policy_events: store::console::policy_events(&mut conn, ROWS)
                .await?
                .into_iter()
                .map(|e| [iso(e.due_ms), e.kind, e.account_id, e.region, e.name])
                .collect(),
            deliveries,
            glance,
            audit,
            principal: principal.clone(),
            operation: operation.clone(),
        })
    }
    .await;
    match page {
        Ok(p) => pages::render(StatusCode::OK, &p),
        Err(e) => pages::store_failed(&e),
    }
}
