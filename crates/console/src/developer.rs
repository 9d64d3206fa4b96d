//! Developer Central: the developer profile, the app clients and their LWA credentials.

use crate::auth::{Signed, Who};
use crate::form::Form;
use crate::pages::{self, Nav};
use crate::{App, Console, Ctx, see_other};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use sp::{AppEdit, ConsoleError, Dev, NewApp, Registration};

/// The signed-in developer; the operator has no Developer Central of their own.
pub(crate) struct Me {
    pub(crate) signed: Signed,
    pub(crate) email: String,
    pub(crate) developer_id: String,
}

impl Me {
    pub(crate) fn of(signed: Signed) -> Result<Self, Box<Response>> {
        match &signed.who {
            Who::Developer { email, developer_id } => {
                let (email, developer_id) = (email.clone(), developer_id.clone());
                Ok(Self { signed, email, developer_id })
            }
            Who::Operator => Err(Box::new(pages::message(
                StatusCode::NOT_FOUND,
                Some(&signed),
                "Not a developer",
                "Developer Central belongs to developer accounts; the operator reviews them under Reviews.",
            ))),
        }
    }
}

/// The developer of a page request (signed out: a redirect to sign-in).
pub(crate) async fn me(app: &Console, ctx: &Ctx) -> Result<Me, Response> {
    Me::of(app.page_guard(ctx).await?).map_err(|r| *r)
}

/// The developer and form of a form post (its CSRF token checked).
pub(crate) async fn me_form(app: &Console, ctx: &Ctx, body: &[u8]) -> Result<(Me, Form), Response> {
    let (signed, form) = app.form_guard(ctx, body).await?;
    Ok((Me::of(signed).map_err(|r| *r)?, form))
}

/// A sandbox error as the page shows it: what to change, or (for a store failure) to retry.
fn status_of(e: &ConsoleError) -> StatusCode {
    match e.code {
        "NotFound" | "NoDeveloperProfile" => StatusCode::NOT_FOUND,
        "InternalFailure" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn failed(signed: &Signed, e: &ConsoleError) -> Response {
    pages::message(status_of(e), Some(signed), "That did not work", &e.message)
}

/// `v[ptr]` as text (`""` when absent or not a string).
fn text(v: &Value, ptr: &str) -> String {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn texts(v: &Value, ptr: &str) -> Vec<String> {
    v.pointer(ptr)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The names of a profile's or an app's roles (`roles: [{name, restricted}]`).
fn role_names(v: &Value) -> Vec<String> {
    v["roles"].as_array().into_iter().flatten().filter_map(|r| r["name"].as_str()).map(str::to_owned).collect()
}

/// A role checkbox.
pub(crate) struct RoleBox {
    name: &'static str,
    restricted: bool,
    checked: bool,
}

fn role_boxes(offered: impl Fn(&sp::Role) -> bool, checked: &[String]) -> Vec<RoleBox> {
    sp::ROLES
        .iter()
        .filter(|r| offered(r))
        .map(|r| RoleBox { name: r.name, restricted: r.restricted, checked: checked.iter().any(|c| c == r.name) })
        .collect()
}

// --- the developer profile -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    nav: Nav,
    status: Option<String>,
    approved_roles: Vec<String>,
    form: ProfileForm,
    error: Option<String>,
}

struct ProfileForm {
    organization: String,
    website: String,
    country: String,
    contact_name: String,
    contact_email: String,
    phone: String,
    public: bool,
    roles: Vec<RoleBox>,
    description: String,
    incident_response_policy: String,
    encryption_at_rest: bool,
    access_control: String,
}

impl ProfileForm {
    fn of(r: Option<&Registration>, email: &str) -> Self {
        let opt = |o: Option<&Option<String>>| o.and_then(Clone::clone).unwrap_or_default();
        Self {
            organization: r.map(|r| r.organization.name.clone()).unwrap_or_default(),
            website: opt(r.map(|r| &r.organization.website)),
            country: opt(r.map(|r| &r.organization.country)),
            contact_name: r.map(|r| r.contact.name.clone()).unwrap_or_default(),
            contact_email: r.map_or_else(|| email.to_owned(), |r| r.contact.email.clone()),
            phone: opt(r.map(|r| &r.contact.phone)),
            public: r.is_none_or(|r| r.data_access == "public"),
            roles: role_boxes(|_| true, r.map(|r| r.use_cases.roles.as_slice()).unwrap_or_default()),
            description: opt(r.map(|r| &r.use_cases.description)),
            incident_response_policy: opt(r.map(|r| &r.security_controls.incident_response_policy)),
            encryption_at_rest: r.is_some_and(|r| r.security_controls.encryption_at_rest == Some(true)),
            access_control: opt(r.map(|r| &r.security_controls.access_control)),
        }
    }
}

fn registration_of(f: &Form) -> Registration {
    Registration {
        organization: sp::Organization {
            name: f.get("organization").into(),
            website: f.opt("website"),
            country: f.opt("country"),
        },
        contact: sp::Contact {
            name: f.get("contact_name").into(),
            email: f.get("contact_email").into(),
            phone: f.opt("phone"),
        },
        data_access: f.get("data_access").into(),
        use_cases: sp::UseCases { roles: f.all("roles"), description: f.opt("description") },
        security_controls: sp::SecurityControls {
            incident_response_policy: f.opt("incident_response_policy"),
            encryption_at_rest: Some(f.checked("encryption_at_rest")),
            access_control: f.opt("access_control"),
        },
    }
}

impl Console {
    async fn profile_view(&self, developer_id: &str) -> Result<Option<Value>, ConsoleError> {
        match self.deps.sandbox.developer(Dev::Id(developer_id)).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.code == "NoDeveloperProfile" => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn profile_of(
    signed: &Signed,
    email: &str,
    view: Option<&Value>,
    form: Option<ProfileForm>,
    error: Option<String>,
) -> ProfilePage {
    let registration: Option<Registration> =
        view.and_then(|v| v.get("registration")).and_then(|r| serde_json::from_value(r.clone()).ok());
    ProfilePage {
        nav: Nav::of(Some(signed)),
        status: view.map(|v| text(v, "/status")),
        approved_roles: view.filter(|v| v["status"] == "Approved").map(role_names).unwrap_or_default(),
        form: form.unwrap_or_else(|| ProfileForm::of(registration.as_ref(), email)),
        error,
    }
}

pub(crate) async fn profile_page(State(app): State<App>, ctx: Ctx) -> Response {
    let me = match me(&app, &ctx).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    match app.profile_view(&me.developer_id).await {
        Ok(view) => pages::render(StatusCode::OK, &profile_of(&me.signed, &me.email, view.as_ref(), None, None)),
        Err(e) => failed(&me.signed, &e),
    }
}

pub(crate) async fn register(State(app): State<App>, ctx: Ctx, body: Bytes) -> Response {
    let (me, form) = match me_form(&app, &ctx, &body).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let registration = registration_of(&form);
    let result = app.deps.sandbox.register_developer(Dev::Id(&me.developer_id), &registration).await;
    app.audit(&ctx, &me.signed.principal(), "RegisterDeveloper", crate::outcome(&result)).await;
    match result {
        Ok(_) => see_other("/console/profile"),
        Err(e) if e.code == "InternalFailure" => failed(&me.signed, &e),
        Err(e) => {
            let view = app.profile_view(&me.developer_id).await.ok().flatten();
            let mut echoed = ProfileForm::of(Some(&registration), &me.email);
            echoed.public = registration.data_access != "private";
            pages::render(
                StatusCode::BAD_REQUEST,
                &profile_of(&me.signed, &me.email, view.as_ref(), Some(echoed), Some(e.message)),
            )
        }
    }
}

// --- the app clients ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "apps.html")]
struct AppsPage {
    nav: Nav,
    profile_status: Option<String>,
    apps: Vec<AppRow>,
}

struct AppRow {
    app_id: String,
    name: String,
    status: String,
    client_id: String,
}

pub(crate) async fn apps_page(State(app): State<App>, ctx: Ctx) -> Response {
    let me = match me(&app, &ctx).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let profile = match app.profile_view(&me.developer_id).await {
        Ok(p) => p,
        Err(e) => return failed(&me.signed, &e),
    };
    let apps = match app.deps.sandbox.apps(Dev::Id(&me.developer_id)).await {
        Ok(a) => a,
        Err(e) => return failed(&me.signed, &e),
    };
    let page = AppsPage {
        nav: Nav::of(Some(&me.signed)),
        profile_status: profile.map(|p| text(&p, "/status")),
        apps: apps
            .into_iter()
            .map(|a| AppRow { app_id: a.app_id, name: a.name, status: a.status, client_id: a.client_id })
            .collect(),
    };
    pages::render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "app_new.html")]
struct NewAppPage {
    nav: Nav,
    roles: Vec<RoleBox>,
    name: String,
    vendor: bool,
    iam_arn: String,
    login_uris: String,
    redirect_uris: String,
    error: Option<String>,
}

/// The roles approved on the developer's profile, or the page that says why an app cannot be added yet.
async fn approved_roles(app: &Console, signed: &Signed, developer_id: &str) -> Result<Vec<String>, Response> {
    let profile = app.profile_view(developer_id).await.map_err(|e| failed(signed, &e))?;
    match profile {
        Some(p) if p["status"] == "Approved" => Ok(role_names(&p)),
        Some(p) => Err(pages::message(
            StatusCode::CONFLICT,
            Some(signed),
            "Your developer profile is not approved yet",
            &format!(
                "Its status is {}: Amazon reviews it by hand. App clients can be added once it is approved.",
                text(&p, "/status")
            ),
        )),
        None => Err(see_other("/console/profile")),
    }
}

pub(crate) async fn new_app_page(State(app): State<App>, ctx: Ctx) -> Response {
    let me = match me(&app, &ctx).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let approved = match approved_roles(&app, &me.signed, &me.developer_id).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let page = NewAppPage {
        nav: Nav::of(Some(&me.signed)),
        roles: role_boxes(|r| approved.iter().any(|a| a == r.name), &[]),
        name: String::new(),
        vendor: false,
        iam_arn: String::new(),
        login_uris: String::new(),
        redirect_uris: String::new(),
        error: None,
    };
    pages::render(StatusCode::OK, &page)
}

pub(crate) async fn create_app(State(app): State<App>, ctx: Ctx, body: Bytes) -> Response {
    let (me, form) = match me_form(&app, &ctx, &body).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let new = NewApp {
        name: form.get("name").into(),
        redirect_uris: form.lines("redirect_uris"),
        login_uris: form.lines("login_uris"),
        roles: form.all("roles"),
        iam_arn: form.opt("iam_arn"),
        vendor: form.get("business") == "vendors",
    };
    let result = app.deps.sandbox.create_app(Dev::Id(&me.developer_id), &new).await;
    app.audit(&ctx, &me.signed.principal(), "CreateApplication", crate::outcome(&result)).await;
    match result {
        Ok((created, _)) => see_other(&format!("/console/apps/{}", created.app_id)),
        Err(e) if e.code == "InternalFailure" => failed(&me.signed, &e),
        Err(e) => {
            let approved = approved_roles(&app, &me.signed, &me.developer_id).await.unwrap_or_default();
            let page = NewAppPage {
                nav: Nav::of(Some(&me.signed)),
                roles: role_boxes(|r| approved.iter().any(|a| a == r.name), &new.roles),
                name: new.name,
                vendor: new.vendor,
                iam_arn: new.iam_arn.unwrap_or_default(),
                login_uris: new.login_uris.join("\n"),
                redirect_uris: new.redirect_uris.join("\n"),
                error: Some(e.message),
            };
            pages::render(StatusCode::BAD_REQUEST, &page)
        }
    }
}

/// App `id` if it is the signed-in developer's; another developer's app is not found.
async fn owned_app(app: &Console, me: &Me, id: &str) -> Result<store::sp::App, Response> {
    match app.deps.sandbox.find_app(id).await {
        Ok(a) if a.developer_id == me.developer_id && a.app_id == id => Ok(a),
        Ok(_) => Err(pages::not_found_for(Some(&me.signed))),
        Err(e) if e.code == "NotFound" => Err(pages::not_found_for(Some(&me.signed))),
        Err(e) => Err(failed(&me.signed, &e)),
    }
}

#[derive(Template)]
#[template(path = "app.html")]
struct AppPage {
    nav: Nav,
    app_id: String,
    name: String,
    status: String,
    business: String,
    roles: Vec<String>,
    login_uris: Vec<String>,
    redirect_uris: Vec<String>,
    iam_arn: String,
    client_id: String,
    secret_expires: String,
    secrets: Vec<[String; 4]>,
    expiry_queue: String,
    new_secret_queue: String,
    deliveries: Vec<[String; 5]>,
    authorizations: Vec<[String; 4]>,
    sellers: Vec<(String, String)>,
    /// The client secret, after "View" or a rotation.
    revealed: Option<String>,
    /// What just happened.
    notice: Option<String>,
    /// A refresh token from self-authorization, shown once.
    refresh_token: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "secret.html")]
struct SecretFragment {
    secret: String,
}

/// What an app page shows besides the app.
#[derive(Default)]
struct Extra {
    revealed: Option<String>,
    notice: Option<String>,
    refresh_token: Option<String>,
    error: Option<String>,
}

fn rows(v: &Value, ptr: &str, fields: &[&str]) -> Vec<Vec<String>> {
    v.pointer(ptr)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|r| {
                    fields.iter().map(|f| r.get(*f).and_then(Value::as_str).unwrap_or_default().to_owned()).collect()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn fixed<const N: usize>(rows: Vec<Vec<String>>) -> Vec<[String; N]> {
    rows.into_iter().filter_map(|r| <[String; N]>::try_from(r).ok()).collect()
}

async fn app_page_of(app: &Console, signed: &Signed, a: &store::sp::App, status: StatusCode, extra: Extra) -> Response {
    let view = match app.deps.sandbox.app_view(a).await {
        Ok(v) => v,
        Err(e) => return failed(signed, &e),
    };
    let sellers = match app.deps.store.read().await {
        Ok(mut conn) => store::sp::sellers(&mut conn).await.unwrap_or_default(),
        Err(e) => return pages::store_failed(&e),
    };
    let page = AppPage {
        nav: Nav::of(Some(signed)),
        app_id: a.app_id.clone(),
        name: a.name.clone(),
        status: a.status.clone(),
        business: text(&view, "/businessEntities"),
        roles: role_names(&view),
        login_uris: texts(&view, "/loginUris"),
        redirect_uris: texts(&view, "/redirectUris"),
        iam_arn: text(&view, "/iamArn"),
        client_id: a.client_id.clone(),
        secret_expires: text(&view, "/lwaCredentials/clientSecretExpiresAt"),
        secrets: fixed(rows(&view, "/lwaCredentials/clientSecrets", &["secretId", "createdAt", "expiresAt", "status"])),
        expiry_queue: text(&view, "/notifications/applicationClientSecretExpiry/queueArn"),
        new_secret_queue: text(&view, "/notifications/applicationClientNewSecret/queueArn"),
        deliveries: fixed(rows(
            &view,
            "/notifications/recentDeliveries",
            &["time", "notificationType", "destination", "outcome", "error"],
        )),
        authorizations: fixed(rows(
            &view,
            "/authorizations",
            &["sellingPartnerId", "via", "authorizedAt", "revokedAt"],
        )),
        sellers: sellers.into_iter().map(|s| (s.selling_partner_id, s.name)).collect(),
        revealed: extra.revealed,
        notice: extra.notice,
        refresh_token: extra.refresh_token,
        error: extra.error,
    };
    pages::render(status, &page)
}

pub(crate) async fn app_page(State(app): State<App>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let me = match me(&app, &ctx).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    match owned_app(&app, &me, &id).await {
        Ok(a) => app_page_of(&app, &me.signed, &a, StatusCode::OK, Extra::default()).await,
        Err(r) => r,
    }
}

/// A form post on one of the developer's apps: the session, the form and the app.
async fn app_post(app: &Console, ctx: &Ctx, id: &str, body: &[u8]) -> Result<(Me, Form, store::sp::App), Response> {
    let (me, form) = me_form(app, ctx, body).await?;
    let a = owned_app(app, &me, id).await?;
    Ok((me, form, a))
}

/// "View" under LWA credentials: the client secret, revealed on this explicit action and audited.
pub(crate) async fn reveal(State(app): State<App>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    let (me, _, a) = match app_post(&app, &ctx, &id, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let result = app.deps.sandbox.reveal_secret(&a).await;
    app.audit(&ctx, &me.signed.principal(), "RevealClientSecret", crate::outcome(&result)).await;
    match result {
        Ok(secret) if ctx.htmx() => {
            pages::render(StatusCode::OK, &SecretFragment { secret: secret.expose().to_owned() })
        }
        Ok(secret) => {
            let extra = Extra { revealed: Some(secret.expose().to_owned()), ..Extra::default() };
            app_page_of(&app, &me.signed, &a, StatusCode::OK, extra).await
        }
        Err(e) => {
            app_page_of(&app, &me.signed, &a, status_of(&e), Extra { error: Some(e.message), ..Extra::default() }).await
        }
    }
}

pub(crate) async fn rotate(State(app): State<App>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    let (me, _, a) = match app_post(&app, &ctx, &id, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let result = app.deps.sandbox.rotate(&a).await;
    app.audit(&ctx, &me.signed.principal(), "RotateClientSecret", crate::outcome(&result)).await;
    let extra = match result {
        Ok(fresh) => Extra {
            revealed: Some(fresh.secret.expose().to_owned()),
            notice: Some("The client secret was rotated. The previous secret keeps working for 7 days: update your application now.".into()),
            ..Extra::default()
        },
        Err(e) => Extra { error: Some(e.message), ..Extra::default() },
    };
    app_page_of(&app, &me.signed, &a, StatusCode::OK, extra).await
}

pub(crate) async fn queues(State(app): State<App>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    let (me, form, a) = match app_post(&app, &ctx, &id, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (expiry, new_secret) = (form.opt("expiry_queue"), form.opt("new_secret_queue"));
    let result = app.deps.sandbox.set_queues(&a, expiry.as_deref(), new_secret.as_deref()).await;
    app.audit(&ctx, &me.signed.principal(), "SetNotificationQueues", crate::outcome(&result)).await;
    match result {
        Ok(()) => see_other(&format!("/console/apps/{}", a.app_id)),
        Err(e) => {
            app_page_of(&app, &me.signed, &a, status_of(&e), Extra { error: Some(e.message), ..Extra::default() }).await
        }
    }
}

/// Self-authorization: the refresh token, shown once.
pub(crate) async fn authorize(State(app): State<App>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    let (me, form, a) = match app_post(&app, &ctx, &id, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let result = app.deps.sandbox.self_authorize(&a, form.get("seller_id")).await;
    app.audit(&ctx, &me.signed.principal(), "AuthorizeSeller", crate::outcome(&result)).await;
    let (status, extra) = match result {
        Ok(token) => (StatusCode::OK, Extra { refresh_token: Some(token.expose().to_owned()), ..Extra::default() }),
        Err(e) => (status_of(&e), Extra { error: Some(e.message), ..Extra::default() }),
    };
    app_page_of(&app, &me.signed, &a, status, extra).await
}

#[derive(Template)]
#[template(path = "app_edit.html")]
struct EditPage {
    nav: Nav,
    app_id: String,
    name: String,
    iam_arn: String,
    login_uris: String,
    redirect_uris: String,
    error: Option<String>,
}

pub(crate) async fn edit_page(State(app): State<App>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let me = match me(&app, &ctx).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let a = match owned_app(&app, &me, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let list = |json: &str| serde_json::from_str::<Vec<String>>(json).unwrap_or_default().join("\n");
    let page = EditPage {
        nav: Nav::of(Some(&me.signed)),
        app_id: a.app_id.clone(),
        name: a.name.clone(),
        iam_arn: a.iam_arn.clone().unwrap_or_default(),
        login_uris: list(&a.login_uris),
        redirect_uris: list(&a.redirect_uris),
        error: None,
    };
    pages::render(StatusCode::OK, &page)
}

pub(crate) async fn edit(State(app): State<App>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    let (me, form, a) = match app_post(&app, &ctx, &id, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let change = AppEdit {
        name: form.get("name").into(),
        login_uris: form.lines("login_uris"),
        redirect_uris: form.lines("redirect_uris"),
        iam_arn: form.opt("iam_arn"),
    };
    let result = app.deps.sandbox.update_app(&a, &change).await;
    app.audit(&ctx, &me.signed.principal(), "UpdateApplication", crate::outcome(&result)).await;
    match result {
        Ok(_) => see_other(&format!("/console/apps/{}", a.app_id)),
        Err(e) if e.code == "InternalFailure" => failed(&me.signed, &e),
        Err(e) => {
            let page = EditPage {
                nav: Nav::of(Some(&me.signed)),
                app_id: a.app_id,
                name: change.name,
                iam_arn: change.iam_arn.unwrap_or_default(),
                login_uris: change.login_uris.join("\n"),
                redirect_uris: change.redirect_uris.join("\n"),
                error: Some(e.message),
            };
            pages::render(StatusCode::BAD_REQUEST, &page)
        }
    }
}
