//! Sign-up, sign-in and sign-out; sessions, CSRF tokens and the sign-in limit.

use crate::form::Form;
use crate::pages::{self, Nav};
use crate::{App, Console, Ctx, see_other};
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use crypto::Secret;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use store::console as repo;

/// The session cookie.
const SESSION_COOKIE: &str = "spcred_console";
/// The cookie that binds the sign-in and sign-up forms' CSRF tokens before there is a session.
const PRE_COOKIE: &str = "spcred_console_pre";
/// A session lasts 12 hours.
const SESSION_MS: i64 = 12 * 3_600_000;
/// Failed sign-ins allowed per client address and per e-mail address in [`WINDOW_MS`].
const MAX_FAILURES: usize = 10;
const WINDOW_MS: i64 = 15 * 60_000;
/// The limiter forgets its oldest keys beyond this many (memory stays bounded under a spray).
const MAX_KEYS: usize = 100_000;
/// Passwords: at least this many characters, at most [`MAX_PASSWORD`] bytes.
const MIN_PASSWORD: usize = 12;
const MAX_PASSWORD: usize = 1024;
const MAX_EMAIL: usize = 254;

/// Who a session belongs to.
#[derive(Debug, Clone)]
pub(crate) enum Who {
    /// A developer, signed in with their account.
    Developer { email: String, developer_id: String },
    /// The operator, signed in with the admin token.
    Operator,
}

/// A signed-in session.
#[derive(Debug)]
pub(crate) struct Signed {
    pub(crate) who: Who,
    /// The CSRF token its forms carry.
    pub(crate) csrf: String,
    verifier: [u8; 32],
}

impl Signed {
    /// The principal the audit log records.
    pub(crate) fn principal(&self) -> String {
        match &self.who {
            Who::Developer { email, .. } => format!("console:developer/{email}"),
            Who::Operator => "console:operator".into(),
        }
    }
}

/// The sign-in limit and the password hasher's concurrency bound.
pub(crate) struct Guard {
    failures: Mutex<HashMap<String, VecDeque<i64>>>,
    /// Argon2 takes ~20 MB and tens of milliseconds per hash: at most two at once.
    hashing: tokio::sync::Semaphore,
    /// The hash an unknown e-mail address is checked against, so that it takes as long as a known one.
    dummy: OnceLock<String>,
}

impl Default for Guard {
    fn default() -> Self {
        Self { failures: Mutex::default(), hashing: tokio::sync::Semaphore::new(2), dummy: OnceLock::new() }
    }
}

impl Guard {
    fn limited(&self, keys: &[String], now: i64) -> bool {
        let map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.iter().any(|k| {
            map.get(k).is_some_and(|times| times.iter().filter(|t| **t > now - WINDOW_MS).count() >= MAX_FAILURES)
        })
    }

    fn failed(&self, keys: &[String], now: i64) {
        let mut map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_KEYS {
            map.retain(|_, times| times.back().is_some_and(|t| *t > now - WINDOW_MS));
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        for k in keys {
            let times = map.entry(k.clone()).or_default();
            while times.front().is_some_and(|t| *t <= now - WINDOW_MS) || times.len() >= MAX_FAILURES {
                times.pop_front();
            }
            times.push_back(now);
        }
    }

    fn forget(&self, keys: &[String]) {
        let mut map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for k in keys {
            map.remove(k);
        }
    }
}

impl Console {
    fn mac_hex(&self, purpose: &str, value: &str) -> String {
        hex::encode(self.deps.verifier.mac(format!("console-{purpose}\0{value}").as_bytes()))
    }

    fn fresh_token(&self) -> String {
        let mut bytes = [0u8; 32];
        self.deps.rng.fill(&mut bytes);
        hex::encode(bytes)
    }

    /// The session the request's cookie names, if it is live.
    pub(crate) async fn signed(&self, ctx: &Ctx) -> Result<Option<Signed>, Response> {
        let Some(token) = ctx.cookie(SESSION_COOKIE).filter(|t| is_token(t)) else {
            return Ok(None);
        };
        let verifier = self.deps.verifier.mac(format!("console-session\0{token}").as_bytes());
        let mut conn = self.deps.store.read().await.map_err(|e| pages::store_failed(&e))?;
        let Some(s) = repo::session(&mut conn, &verifier, self.now_ms()).await.map_err(|e| pages::store_failed(&e))?
        else {
            return Ok(None);
        };
        let who = match (s.role.as_str(), s.email, s.developer_id) {
            ("operator", _, _) => Who::Operator,
            ("developer", Some(email), Some(developer_id)) => Who::Developer { email, developer_id },
            _ => return Ok(None),
        };
        Ok(Some(Signed { who, csrf: self.mac_hex("csrf", token), verifier }))
    }

    /// The session of a page request; signed out, a redirect to sign-in.
    pub(crate) async fn page_guard(&self, ctx: &Ctx) -> Result<Signed, Response> {
        self.signed(ctx).await?.ok_or_else(|| see_other("/console/signin"))
    }

    /// The session and form of a form post, whose CSRF token must match the session's;
    /// otherwise a 403 (nothing is done).
    pub(crate) async fn form_guard(&self, ctx: &Ctx, body: &[u8]) -> Result<(Signed, Form), Response> {
        let form = Form::parse(body).ok_or_else(|| {
            pages::message(
                StatusCode::BAD_REQUEST,
                None,
                "Too many fields",
                "This form has more fields than any console form.",
            )
        })?;
        let Some(signed) = self.signed(ctx).await? else {
            return Err(pages::message(
                StatusCode::FORBIDDEN,
                None,
                "Signed out",
                "Your session has ended. Sign in again and repeat what you were doing.",
            ));
        };
        if !crypto::constant_time_eq(form.get("csrf").as_bytes(), signed.csrf.as_bytes()) {
            return Err(pages::message(
                StatusCode::FORBIDDEN,
                Some(&signed),
                "Form expired",
                "This form is not from your current session (its CSRF token does not match). Reload the page and try again.",
            ));
        }
        Ok((signed, form))
    }

    /// Opens a session for `who`: the cookie to set.
    async fn open_session(&self, ctx: &Ctx, who: &Who) -> Result<HeaderValue, Response> {
        let token = self.fresh_token();
        let now = self.now_ms();
        let (role, email, developer_id) = match who {
            Who::Developer { email, developer_id } => ("developer", Some(email.clone()), Some(developer_id.clone())),
            Who::Operator => ("operator", None, None),
        };
        let session =
            repo::Session { role: role.into(), email, developer_id, created_ms: now, expires_ms: now + SESSION_MS };
        let verifier = self.deps.verifier.mac(format!("console-session\0{token}").as_bytes());
        let mut tx = self.deps.store.begin().await.map_err(|e| pages::store_failed(&e))?;
        repo::insert_session(&mut tx, &verifier, &session).await.map_err(|e| pages::store_failed(&e))?;
        tx.commit().await.map_err(|e| pages::store_failed(&store::StoreError::from(e)))?;
        Ok(cookie(ctx, SESSION_COOKIE, &token, SESSION_MS / 1000))
    }

    /// The pre-session token of the sign-in and sign-up forms (a new one when the browser has none).
    fn pre_token(&self, ctx: &Ctx) -> (String, Option<HeaderValue>) {
        if let Some(t) = ctx.cookie(PRE_COOKIE).filter(|t| is_token(t)) {
            (self.mac_hex("pre", t), None)
        } else {
            let t = self.fresh_token();
            (self.mac_hex("pre", &t), Some(cookie(ctx, PRE_COOKIE, &t, 3600)))
        }
    }

    fn pre_form_ok(&self, ctx: &Ctx, form: &Form) -> bool {
        ctx.cookie(PRE_COOKIE)
            .is_some_and(|t| crypto::constant_time_eq(form.get("csrf").as_bytes(), self.mac_hex("pre", t).as_bytes()))
    }

    async fn hash_password(&self, password: Secret) -> Option<String> {
        let mut salt = [0u8; 16];
        self.deps.rng.fill(&mut salt);
        let salt = SaltString::encode_b64(&salt).ok()?;
        let _permit = self.guard.hashing.acquire().await.ok()?;
        tokio::task::spawn_blocking(move || {
            Argon2::default().hash_password(password.expose().as_bytes(), &salt).ok().map(|h| h.to_string())
        })
        .await
        .ok()
        .flatten()
    }

    async fn verify_password(&self, password: Secret, phc: Option<String>) -> bool {
        let real = phc.is_some();
        let phc = match phc {
            Some(p) => p,
            None => {
                if let Some(d) = self.guard.dummy.get() {
                    d.clone()
                } else {
                    let d = self.hash_password(Secret::new(self.fresh_token())).await.unwrap_or_default();
                    let _ = self.guard.dummy.set(d.clone());
                    d
                }
            }
        };
        let Ok(_permit) = self.guard.hashing.acquire().await else { return false };
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&phc)
                .is_ok_and(|h| Argon2::default().verify_password(password.expose().as_bytes(), &h).is_ok())
        })
        .await
        .unwrap_or(false);
        ok && real
    }
}

/// Whether a cookie holds a token of ours (64 hex digits).
fn is_token(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A console cookie: HttpOnly, SameSite=Strict, scoped to `/console`, Secure over TLS.
fn cookie(ctx: &Ctx, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if ctx.tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage {
    nav: Nav,
    csrf: String,
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    nav: Nav,
    csrf: String,
    email: String,
    error: Option<String>,
}

pub(crate) async fn signin_page(State(app): State<App>, ctx: Ctx) -> Response {
    match app.signed(&ctx).await {
        Ok(Some(_)) => return see_other("/console/"),
        Ok(None) => {}
        Err(r) => return r,
    }
    let (csrf, set) = app.pre_token(&ctx);
    with_cookie(
        pages::render(StatusCode::OK, &SigninPage { nav: Nav::of(None), csrf, email: String::new(), error: None }),
        set,
    )
}

pub(crate) async fn signup_page(State(app): State<App>, ctx: Ctx) -> Response {
    let (csrf, set) = app.pre_token(&ctx);
    with_cookie(
        pages::render(StatusCode::OK, &SignupPage { nav: Nav::of(None), csrf, email: String::new(), error: None }),
        set,
    )
}

fn expired_form() -> Response {
    pages::message(
        StatusCode::FORBIDDEN,
        None,
        "Form expired",
        "This form is not from this browser session (its CSRF token does not match). Reload the page and try again.",
    )
}

pub(crate) async fn signin(State(app): State<App>, ctx: Ctx, body: Bytes) -> Response {
    let Some(form) = Form::parse(&body) else { return expired_form() };
    if !app.pre_form_ok(&ctx, &form) {
        return expired_form();
    }
    let now = app.now_ms();
    let ip_key = format!("ip:{}", ctx.ip);
    let (csrf, _) = app.pre_token(&ctx);
    let refuse = |email: String, status: StatusCode, error: &str| {
        pages::render(status, &SigninPage { nav: Nav::of(None), csrf: csrf.clone(), email, error: Some(error.into()) })
    };
    let too_many = "Too many failed sign-ins. Wait 15 minutes and try again.";

    if let Some(token) = form.opt("admin_token") {
        let keys = [ip_key, "operator".to_owned()];
        if app.guard.limited(&keys, now) {
            app.audit(&ctx, "console:operator", "SignIn", Err("Throttling")).await;
            return refuse(String::new(), StatusCode::TOO_MANY_REQUESTS, too_many);
        }
        if !crypto::constant_time_eq(token.as_bytes(), app.deps.admin_token.expose().as_bytes()) {
            app.guard.failed(&keys, now);
            app.audit(&ctx, "console:operator", "SignIn", Err("AccessDenied")).await;
            return refuse(
                String::new(),
                StatusCode::UNAUTHORIZED,
                "That is not the admin token (see <data-dir>/admin-token).",
            );
        }
        app.guard.forget(&keys[1..]);
        return match app.open_session(&ctx, &Who::Operator).await {
            Ok(c) => {
                app.audit(&ctx, "console:operator", "SignIn", Ok(())).await;
                with_cookie(see_other("/console/reviews"), Some(c))
            }
            Err(r) => r,
        };
    }

    let email = form.get("email").to_lowercase();
    let password = Secret::new(form.get_raw("password"));
    let principal = format!("console:developer/{email}");
    if email.is_empty()
        || email.len() > MAX_EMAIL
        || password.expose().is_empty()
        || password.expose().len() > MAX_PASSWORD
    {
        return refuse(email, StatusCode::BAD_REQUEST, "Give your e-mail address and your password.");
    }
    let keys = [ip_key, format!("email:{email}")];
    if app.guard.limited(&keys, now) {
        app.audit(&ctx, &principal, "SignIn", Err("Throttling")).await;
        return refuse(email, StatusCode::TOO_MANY_REQUESTS, too_many);
    }
    let user = match app.deps.store.read().await {
        Ok(mut conn) => match repo::user(&mut conn, &email).await {
            Ok(u) => u,
            Err(e) => return pages::store_failed(&e),
        },
        Err(e) => return pages::store_failed(&e),
    };
    let ok = app.verify_password(password, user.as_ref().map(|u| u.password_hash.clone())).await;
    let Some(user) = user.filter(|_| ok) else {
        app.guard.failed(&keys, now);
        app.audit(&ctx, &principal, "SignIn", Err("AccessDenied")).await;
        return refuse(email, StatusCode::UNAUTHORIZED, "The e-mail address or the password is wrong.");
    };
    app.guard.forget(&keys[1..]);
    match app.open_session(&ctx, &Who::Developer { email: user.email, developer_id: user.developer_id }).await {
        Ok(c) => {
            app.audit(&ctx, &principal, "SignIn", Ok(())).await;
            with_cookie(see_other("/console/apps"), Some(c))
        }
        Err(r) => r,
    }
}

pub(crate) async fn signup(State(app): State<App>, ctx: Ctx, body: Bytes) -> Response {
    let Some(form) = Form::parse(&body) else { return expired_form() };
    if !app.pre_form_ok(&ctx, &form) {
        return expired_form();
    }
    let (csrf, _) = app.pre_token(&ctx);
    let email = form.get("email").to_lowercase();
    let password = Secret::new(form.get_raw("password"));
    let refuse = |email: String, error: String| {
        pages::render(
            StatusCode::BAD_REQUEST,
            &SignupPage { nav: Nav::of(None), csrf: csrf.clone(), email, error: Some(error) },
        )
    };
    let valid_email = email.len() <= MAX_EMAIL
        && !email.chars().any(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'));
    if !valid_email {
        return refuse(email, "Give a valid e-mail address, such as ana@acme.example.".into());
    }
    if password.expose().chars().count() < MIN_PASSWORD || password.expose().len() > MAX_PASSWORD {
        return refuse(
            email,
            format!("Choose a password of at least {MIN_PASSWORD} characters (and at most {MAX_PASSWORD} bytes)."),
        );
    }
    if !crypto::constant_time_eq(password.expose().as_bytes(), form.get_raw("confirm").as_bytes()) {
        return refuse(email, "The two passwords differ.".into());
    }
    let Some(password_hash) = app.hash_password(password).await else {
        return pages::message(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "Try again",
            "The password could not be hashed; try again.",
        );
    };
    let mut id = [0u8; 16];
    app.deps.rng.fill(&mut id);
    let user = repo::User {
        email: email.clone(),
        developer_id: uuid::Builder::from_random_bytes(id).into_uuid().to_string(),
        password_hash,
        created_ms: app.now_ms(),
    };
    let principal = format!("console:developer/{email}");
    let created = async {
        let mut tx = app.deps.store.begin().await?;
        let created = repo::insert_user(&mut tx, &user).await?;
        tx.commit().await?;
        Ok::<bool, store::StoreError>(created)
    }
    .await;
    match created {
        Ok(true) => {}
        Ok(false) => {
            app.audit(&ctx, &principal, "SignUp", Err("EntityAlreadyExists")).await;
            return refuse(email, "There is already an account with this e-mail address: sign in instead.".into());
        }
        Err(e) => return pages::store_failed(&e),
    }
    app.audit(&ctx, &principal, "SignUp", Ok(())).await;
    match app.open_session(&ctx, &Who::Developer { email: user.email, developer_id: user.developer_id }).await {
        Ok(c) => with_cookie(see_other("/console/profile"), Some(c)),
        Err(r) => r,
    }
}

pub(crate) async fn signout(State(app): State<App>, ctx: Ctx, body: Bytes) -> Response {
    let (signed, _) = match app.form_guard(&ctx, &body).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let ended = async {
        let mut tx = app.deps.store.begin().await?;
        repo::delete_session(&mut tx, &signed.verifier).await?;
        tx.commit().await?;
        Ok::<(), store::StoreError>(())
    }
    .await;
    if let Err(e) = ended {
        return pages::store_failed(&e);
    }
    app.audit(&ctx, &signed.principal(), "SignOut", Ok(())).await;
    with_cookie(see_other("/console/signin"), Some(cookie(&ctx, SESSION_COOKIE, "", 0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_limited_per_key_within_the_window() {
        let g = Guard::default();
        let keys = ["ip:127.0.0.1".to_owned(), "email:a@b.example".to_owned()];
        for i in 0..9 {
            g.failed(&keys, 1_000 + i);
        }
        assert!(!g.limited(&keys, 2_000));
        g.failed(&keys, 2_000);
        assert!(g.limited(&keys, 2_001));
        assert!(g.limited(&["ip:127.0.0.1".to_owned()], 2_001), "each key counts on its own");
        assert!(!g.limited(&["ip:10.0.0.1".to_owned()], 2_001));
        assert!(!g.limited(&keys, 2_000 + WINDOW_MS + 1), "the window passes");
        g.forget(&keys[1..]);
        assert!(!g.limited(&keys[1..], 2_001));
    }

    #[test]
    fn only_our_tokens_are_read_from_cookies() {
        assert!(is_token(&"a1".repeat(32)));
        assert!(!is_token("a1"));
        assert!(!is_token(&"zz".repeat(32)));
    }
}
