//! Developer Central: the developer profile, app clients with their LWA credentials, client
//! secret rotation, self-authorization and revocation, and the application notifications'
//! queues. Typed operations; the admin API and the Application Management API call them.

use crate::catalog::{self, Role};
use crate::lwa::{CLIENT_SECRET, REFRESH_TOKEN};
use crate::notify::{self, Notice, Target};
use crate::{Sandbox, commit, flows, iso_ms, review};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::sp;

/// A client secret lives 180 days.
pub(crate) const SECRET_LIFETIME_MS: i64 = 180 * DAY_MS;
/// After a rotation the previous secrets keep working 7 days.
pub(crate) const OVERLAP_MS: i64 = 7 * DAY_MS;
pub(crate) const DAY_MS: i64 = 86_400_000;
/// Expiry notices go out this many days before a secret expires.
pub(crate) const EXPIRY_NOTICE_DAYS: [i64; 4] = [90, 30, 7, 1];

/// A Developer Central error: an admin API error code and a message that says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleError {
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ConsoleError {
    /// Bad input (the message says what to change).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self { code: "InvalidRequest", message: message.into() }
    }

    /// No such thing (or not the caller's to see).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self { code: "NotFound", message: message.into() }
    }
}

impl From<store::StoreError> for ConsoleError {
    fn from(e: store::StoreError) -> Self {
        tracing::error!(error = %e, "store error in Developer Central");
        Self { code: "InternalFailure", message: "the store failed; see the server log".into() }
    }
}

/// The developer registration form.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Registration {
    pub organization: Organization,
    pub contact: Contact,
    /// `public` (the organization builds and offers publicly available applications) or
    /// `private` (applications for its own use).
    pub data_access: String,
    pub use_cases: UseCases,
    #[serde(default)]
    pub security_controls: SecurityControls,
}

/// Organization section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Organization {
    pub name: String,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

/// Contact section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
}

/// Use cases section: the roles asked for and what the applications do with them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UseCases {
    pub roles: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// Security controls section: required for restricted roles.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecurityControls {
    #[serde(default)]
    pub incident_response_policy: Option<String>,
    #[serde(default)]
    pub encryption_at_rest: Option<bool>,
    #[serde(default)]
    pub access_control: Option<String>,
}

const MAX_TEXT: usize = 4096;

fn check_text(what: &str, value: &str, required: bool) -> Result<(), ConsoleError> {
    if required && value.trim().is_empty() {
        return Err(ConsoleError::invalid(format!("{what} is required")));
    }
    if value.len() > MAX_TEXT {
        return Err(ConsoleError::invalid(format!("{what} is longer than {MAX_TEXT} characters")));
    }
    Ok(())
}

/// Resolves role names against Amazon's list (deduplicated, in the order given).
fn roles(names: &[String]) -> Result<Vec<&'static Role>, ConsoleError> {
    if names.len() > catalog::ROLES.len() * 2 {
        return Err(ConsoleError::invalid("too many roles"));
    }
    let mut out: Vec<&'static Role> = Vec::new();
    for name in names {
        let role = catalog::role_named(name).ok_or_else(|| {
            let known: Vec<&str> = catalog::ROLES.iter().map(|r| r.name).collect();
            ConsoleError::invalid(format!("{name:?} is not an SP-API role; the roles are: {}", known.join(", ")))
        })?;
        if !out.contains(&role) {
            out.push(role);
        }
    }
    Ok(out)
}

fn roles_json(roles: &[&Role]) -> Value {
    Value::Array(roles.iter().map(|r| json!({"name": r.name, "restricted": r.restricted})).collect())
}

/// A list of strings stored as a JSON array (roles, URIs).
pub(crate) fn stored_list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// An OAuth login or redirect URI as the console accepts it: absolute http(s), no fragment.
fn check_uri(what: &str, uri: &str) -> Result<(), ConsoleError> {
    let ok_scheme = uri.starts_with("https://") || uri.starts_with("http://");
    if !ok_scheme || uri.len() > 2048 || uri.chars().any(char::is_whitespace) {
        return Err(ConsoleError::invalid(format!("{what} {uri:?} must be an absolute https:// (or http://) URI")));
    }
    if uri.contains('#') {
        return Err(ConsoleError::invalid(format!("{what} {uri:?} must not contain a fragment (#)")));
    }
    Ok(())
}

/// An IAM user or role ARN, as the app registration form asks for.
fn check_iam_arn(arn: &str) -> Result<(), ConsoleError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && parts[1] == "aws"
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && (parts[5].starts_with("user/") || parts[5].starts_with("role/"))
        && parts[5].len() > 5;
    if valid {
        Ok(())
    } else {
        Err(ConsoleError::invalid(format!(
            "the IAM ARN {arn:?} must name an IAM user or role: arn:aws:iam::123456789012:role/SellingPartnerAPIRole"
        )))
    }
}

/// An SQS queue ARN: `arn:aws:sqs:REGION:ACCOUNT:NAME`.
pub(crate) fn check_queue_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.split(':').collect();
    let valid = parts.len() == 6
        && parts[..3] == ["arn", "aws", "sqs"]
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && !parts[5].is_empty()
        && arn.len() <= 1000;
    if valid { Ok(()) } else { Err(format!("{arn:?} is not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)")) }
}

/// A new app client.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewApp {
    pub name: String,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub login_uris: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub iam_arn: Option<String>,
    #[serde(default)]
    pub vendor: bool,
}

/// Whose Developer Central a call acts in.
#[derive(Debug, Clone, Copy)]
pub enum Dev<'a> {
    /// The admin API's (and the CLI's): the first developer profile registered.
    Admin,
    /// A console account's own profile.
    Id(&'a str),
}

/// What "Edit App" changes.
#[derive(Debug, Clone)]
pub struct AppEdit {
    /// The app's name.
    pub name: String,
    /// The OAuth login URIs.
    pub login_uris: Vec<String>,
    /// The OAuth redirect URIs.
    pub redirect_uris: Vec<String>,
    /// The IAM user or role ARN (legacy IAM mode).
    pub iam_arn: Option<String>,
}

fn check_name_and_uris(name: &str, login_uris: &[String], redirect_uris: &[String]) -> Result<(), ConsoleError> {
    check_text("name", name, true)?;
    if name.chars().count() > 256 {
        return Err(ConsoleError::invalid("name is longer than 256 characters"));
    }
    if redirect_uris.len() > 20 || login_uris.len() > 20 {
        return Err(ConsoleError::invalid("an app has at most 20 login URIs and 20 redirect URIs"));
    }
    for uri in login_uris {
        check_uri("the OAuth login URI", uri)?;
    }
    for uri in redirect_uris {
        check_uri("the OAuth redirect URI", uri)?;
    }
    Ok(())
}

/// A client secret and when it expires, shown once.
#[derive(Debug)]
pub struct FreshSecret {
    pub secret: crypto::Secret,
    pub expires_ms: i64,
}

impl Sandbox {
    /// Registers (or resubmits) the developer profile, for Amazon's review (the registration case).
    pub async fn register_developer(&self, dev: Dev<'_>, r: &Registration) -> Result<Value, ConsoleError> {
        check_text("organization.name", &r.organization.name, true)?;
        check_text("contact.name", &r.contact.name, true)?;
        check_text("contact.email", &r.contact.email, true)?;
        if !r.contact.email.contains('@') {
            return Err(ConsoleError::invalid(format!("contact.email {:?} is not an e-mail address", r.contact.email)));
        }
        if !matches!(r.data_access.as_str(), "public" | "private") {
            return Err(ConsoleError::invalid(
                "dataAccess must be public (publicly available applications) or private (applications for your own organization)",
            ));
        }
        let asked = roles(&r.use_cases.roles)?;
        if asked.is_empty() {
            return Err(ConsoleError::invalid("useCases.roles must name at least one role"));
        }
        let restricted: Vec<&str> = asked.iter().filter(|r| r.restricted).map(|r| r.name).collect();
        let policy = r.security_controls.incident_response_policy.as_deref().unwrap_or("");
        if !restricted.is_empty() && policy.trim().is_empty() {
            return Err(ConsoleError::invalid(format!(
                "restricted roles ({}) need the security controls section: give securityControls.incidentResponsePolicy",
                restricted.join(", ")
            )));
        }
        for text in [
            &r.use_cases.description,
            &r.security_controls.incident_response_policy,
            &r.security_controls.access_control,
        ]
        .into_iter()
        .flatten()
        {
            check_text("a form field", text, false)?;
        }
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let existing = profile_of(&mut tx, dev).await?;
        let developer_id = match (&existing, dev) {
            (Some(d), _) => d.developer_id.clone(),
            (None, Dev::Id(id)) => id.to_owned(),
            (None, Dev::Admin) => self.ids().uuid(),
        };
        // Each submission goes to Amazon's manual review; a resubmission reopens the same case.
        let form = serde_json::to_value(r).unwrap_or(Value::Null);
        let case = store::review::reviews(&mut tx, flows::REGISTRATION.kind, Some(&developer_id))
            .await?
            .into_iter()
            .rfind(|c| c.status == "InProgress" || c.status == "Completed");
        let case_id = match case {
            Some(c) if c.status == "InProgress" => c.review_id,
            _ => {
                let id = self.ids().case_id();
                let data = review::Data { email: Some(r.contact.email.clone()), ..review::Data::default() };
                self.open_review(&mut tx, &flows::REGISTRATION, &id, &developer_id, &data, |_| true).await?;
                id
            }
        };
        self.move_step(
            &mut tx,
            &flows::REGISTRATION,
            &case_id,
            "registration",
            review::Action::Submit,
            None,
            Some(&form),
        )
        .await?;
        // Roles already approved stay usable while a resubmission is reviewed.
        let asked_names: Vec<&str> = asked.iter().map(|r| r.name).collect();
        let (status, roles) = match &existing {
            Some(d) if d.status == "Approved" => ("Approved", d.roles.clone()),
            _ => ("UnderReview", serde_json::to_string(&asked_names).unwrap_or_default()),
        };
        let developer = sp::Developer {
            developer_id,
            organization: r.organization.name.clone(),
            profile: serde_json::to_string(r).unwrap_or_default(),
            roles,
            status: status.into(),
            created_ms: existing.as_ref().map_or(now, |d| d.created_ms),
            updated_ms: now,
        };
        sp::put_developer(&mut tx, &developer).await?;
        commit(tx).await?;
        let mut view = developer_json(&developer);
        view["registrationCaseId"] = json!(case_id);
        Ok(view)
    }

    /// Applies a decision on the registration case to the developer profile: approval makes the
    /// profile (and the roles of its latest submission) usable.
    pub(crate) async fn registration_decided(
        &self,
        tx: &mut store::Tx,
        moved: &review::Moved,
    ) -> Result<(), ConsoleError> {
        let Some(mut d) = sp::developer_by_id(tx, &moved.review.subject).await? else {
            return Ok(());
        };
        let form: Option<Registration> = store::review::steps(tx, &moved.review.review_id)
            .await?
            .first()
            .and_then(|s| self.open_submission(s))
            .and_then(|v| serde_json::from_value(v).ok());
        match moved.state {
            review::State::Approved => {
                d.status = "Approved".into();
                if let Some(form) = form {
                    let asked: Vec<&str> = roles(&form.use_cases.roles)?.iter().map(|r| r.name).collect();
                    d.roles = serde_json::to_string(&asked).unwrap_or_default();
                }
            }
            review::State::Denied if d.status != "Approved" => d.status = "Denied".into(),
            review::State::InfoRequested if d.status != "Approved" => d.status = "InfoRequested".into(),
            _ => return Ok(()),
        }
        d.updated_ms = self.now_ms();
        sp::put_developer(tx, &d).await?;
        Ok(())
    }

    /// The developer profile.
    pub async fn developer(&self, dev: Dev<'_>) -> Result<Value, ConsoleError> {
        let mut conn = self.reader().await?;
        let d = profile_of(&mut conn, dev).await?.ok_or_else(no_profile)?;
        Ok(developer_json(&d))
    }

    /// Creates an app client in Draft with its first client secret.
    pub async fn create_app(&self, dev: Dev<'_>, new: &NewApp) -> Result<(sp::App, FreshSecret), ConsoleError> {
        check_name_and_uris(&new.name, &new.login_uris, &new.redirect_uris)?;
        if let Some(arn) = &new.iam_arn {
            check_iam_arn(arn)?;
        }
        let wanted = roles(&new.roles)?;
        if new.vendor
            && let Some(r) = wanted.iter().find(|r| !r.vendor)
        {
            return Err(ConsoleError::invalid(format!("{} is not a role for vendor applications", r.name)));
        }
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let developer = profile_of(&mut tx, dev).await?.ok_or_else(no_profile)?;
        if developer.status != "Approved" {
            return Err(ConsoleError {
                code: "DeveloperNotApproved",
                message: format!(
                    "the developer registration is {} (Amazon reviews it by hand): spcred sp developer show",
                    developer.status
                ),
            });
        }
        let approved = stored_list(&developer.roles);
        // Developer Central cannot save an app without a role, and SP-API refuses every call of one.
        if wanted.is_empty() {
            return Err(ConsoleError::invalid(format!(
                "an app needs at least one role (roles), from those approved on the developer profile: {}",
                approved.join(", ")
            )));
        }
        if let Some(r) = wanted.iter().find(|r| !approved.iter().any(|a| a == r.name)) {
            return Err(ConsoleError::invalid(format!(
                "the developer profile is not approved for the role {}: add it to useCases.roles and register again",
                r.name
            )));
        }
        let ids = self.ids();
        let app = sp::App {
            app_id: ids.application_id(),
            developer_id: developer.developer_id,
            name: new.name.clone(),
            client_id: ids.client_id(),
            status: "Draft".into(),
            vendor: new.vendor,
            roles: serde_json::to_string(&wanted.iter().map(|r| r.name).collect::<Vec<_>>()).unwrap_or_default(),
            login_uris: serde_json::to_string(&new.login_uris).unwrap_or_default(),
            redirect_uris: serde_json::to_string(&new.redirect_uris).unwrap_or_default(),
            iam_arn: new.iam_arn.clone(),
            expiry_queue_arn: None,
            new_secret_queue_arn: None,
            expiry_subscription_id: None,
            new_secret_subscription_id: None,
            created_ms: now,
        };
        sp::insert_app(&mut tx, &app).await?;
        let secret = self.add_secret(&mut tx, &app.app_id, now).await?;
        commit(tx).await?;
        Ok((app, secret))
    }

    /// Adds a client secret valid 180 days, and schedules its expiry notices.
    async fn add_secret(&self, tx: &mut store::Tx, app_id: &str, now: i64) -> Result<FreshSecret, ConsoleError> {
        let secret = crypto::Secret::new(self.ids().client_secret());
        let row = sp::ClientSecret {
            secret_id: self.ids().uuid(),
            app_id: app_id.to_owned(),
            created_ms: now,
            expires_ms: now + SECRET_LIFETIME_MS,
        };
        let sealed =
            self.deps.at_rest.seal(self.deps.rng.as_ref(), secret.expose().as_bytes(), &sealed_aad(&row.secret_id));
        sp::insert_secret(tx, &row, &self.verifier(CLIENT_SECRET, secret.expose()), &sealed).await?;
        for days in EXPIRY_NOTICE_DAYS {
            let due = row.expires_ms - days * DAY_MS;
            if due > now {
                let payload = notify::ExpiryJob {
                    app_id: app_id.to_owned(),
                    secret_id: row.secret_id.clone(),
                    expires_ms: row.expires_ms,
                    days,
                };
                store::jobs::enqueue(
                    tx,
                    notify::EXPIRY_JOB,
                    due,
                    &serde_json::to_string(&payload).unwrap_or_default(),
                    now,
                )
                .await?;
            }
        }
        Ok(FreshSecret { secret, expires_ms: row.expires_ms })
    }

    /// Rotates an app's client secret: a new one valid 180 days, every older one cut to 7 days
    /// from now at most, and an `APPLICATION_OAUTH_CLIENT_NEW_SECRET` notification to the
    /// registered queue (when there is one).
    pub async fn rotate(&self, app: &sp::App) -> Result<FreshSecret, ConsoleError> {
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let fresh = self.add_secret(&mut tx, &app.app_id, now).await?;
        let newest = sp::secrets(&mut tx, &app.app_id).await?;
        let keep = newest.first().map(|s| s.secret_id.clone()).unwrap_or_default();
        sp::cap_secrets(&mut tx, &app.app_id, &keep, now + OVERLAP_MS).await?;
        let old_expiry = newest.get(1).map_or(now, |s| s.expires_ms.min(now + OVERLAP_MS));
        if let (Some(queue), Some(subscription)) = (&app.new_secret_queue_arn, &app.new_secret_subscription_id) {
            let notification_id = self.ids().uuid();
            let body = notify::application_envelope(
                "APPLICATION_OAUTH_CLIENT_NEW_SECRET",
                &json!({"applicationOAuthClientNewSecret": {
                    "clientId": app.client_id,
                    "newClientSecret": fresh.secret.expose(),
                    "newClientSecretExpiryTime": iso_ms(fresh.expires_ms),
                    "oldClientSecretExpiryTime": iso_ms(old_expiry),
                }}),
                &notify::Meta {
                    app_id: &app.app_id,
                    subscription_id: subscription,
                    notification_id: &notification_id,
                    now_ms: now,
                },
            );
            let notice = Notice::new(
                self,
                &app.app_id,
                &notification_id,
                "APPLICATION_OAUTH_CLIENT_NEW_SECRET",
                Target::Sqs { arn: queue.clone() },
                &body,
                true,
            );
            notify::enqueue(&mut tx, &notice, now).await?;
        }
        commit(tx).await?;
        Ok(fresh)
    }

    /// Registers the SQS queues of the application notifications.
    pub async fn set_queues(
        &self,
        app: &sp::App,
        expiry: Option<&str>,
        new_secret: Option<&str>,
    ) -> Result<(), ConsoleError> {
        for arn in [expiry, new_secret].into_iter().flatten() {
            check_queue_arn(arn).map_err(ConsoleError::invalid)?;
        }
        // Subscription ids stay stable while a queue stays registered.
        let keep = |arn: Option<&str>, old_arn: &Option<String>, old_id: &Option<String>| {
            arn.map(|a| {
                let id = match (old_arn, old_id) {
                    (Some(o), Some(id)) if o == a => id.clone(),
                    _ => self.ids().uuid(),
                };
                (a.to_owned(), id)
            })
        };
        let expiry = keep(expiry, &app.expiry_queue_arn, &app.expiry_subscription_id);
        let new_secret = keep(new_secret, &app.new_secret_queue_arn, &app.new_secret_subscription_id);
        let mut tx = self.begin().await?;
        sp::set_app_queues(
            &mut tx,
            &app.app_id,
            expiry.as_ref().map(|(a, i)| (a.as_str(), i.as_str())),
            new_secret.as_ref().map(|(a, i)| (a.as_str(), i.as_str())),
        )
        .await?;
        commit(tx).await?;
        Ok(())
    }

    /// Self-authorization: the selling partner authorizes the app; returns the refresh token.
    pub async fn self_authorize(&self, app: &sp::App, seller_id: &str) -> Result<crypto::Secret, ConsoleError> {
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        if sp::seller(&mut tx, seller_id).await?.is_none() {
            return Err(ConsoleError::not_found(format!(
                "no selling partner {seller_id}: create one with spcred sp seller create"
            )));
        }
        let refresh = crypto::Secret::new(self.ids().refresh_token());
        sp::insert_authorization(
            &mut tx,
            &app.app_id,
            seller_id,
            &self.verifier(REFRESH_TOKEN, refresh.expose()),
            "self",
            now,
        )
        .await?;
        commit(tx).await?;
        Ok(refresh)
    }

    /// Revokes every authorization of the app by the selling partner; returns how many.
    pub(crate) async fn revoke(&self, app: &sp::App, seller_id: &str) -> Result<u64, ConsoleError> {
        let mut tx = self.begin().await?;
        let n = sp::revoke_authorizations(&mut tx, &app.app_id, seller_id, self.now_ms()).await?;
        commit(tx).await?;
        Ok(n)
    }

    /// "Edit App": the name, the OAuth URIs and the IAM ARN.
    pub async fn update_app(&self, app: &sp::App, edit: &AppEdit) -> Result<sp::App, ConsoleError> {
        check_name_and_uris(&edit.name, &edit.login_uris, &edit.redirect_uris)?;
        if let Some(arn) = &edit.iam_arn {
            check_iam_arn(arn)?;
        }
        let mut updated = app.clone();
        updated.name.clone_from(&edit.name);
        updated.login_uris = serde_json::to_string(&edit.login_uris).unwrap_or_default();
        updated.redirect_uris = serde_json::to_string(&edit.redirect_uris).unwrap_or_default();
        updated.iam_arn.clone_from(&edit.iam_arn);
        let mut tx = self.begin().await?;
        sp::update_app(&mut tx, &updated).await?;
        commit(tx).await?;
        Ok(updated)
    }

    /// "View" under LWA credentials: the app's current client secret, opened from its sealed
    /// copy. The caller audits the reveal.
    pub async fn reveal_secret(&self, app: &sp::App) -> Result<crypto::Secret, ConsoleError> {
        let mut conn = self.reader().await?;
        let current = sp::secrets(&mut conn, &app.app_id).await?.into_iter().next();
        let Some(current) = current.filter(|s| s.expires_ms > self.now_ms()) else {
            return Err(ConsoleError::not_found("the app has no client secret in force: rotate it"));
        };
        let sealed = sp::sealed_secret(&mut conn, &current.secret_id).await?.ok_or_else(|| {
            ConsoleError::not_found("this client secret was made before spcred kept a copy to show: rotate it")
        })?;
        let plain = self.deps.at_rest.open(&sealed, &sealed_aad(&current.secret_id)).map_err(|_| {
            tracing::error!(secret_id = %current.secret_id, "a sealed client secret does not open");
            ConsoleError {
                code: "InternalFailure",
                message: "the client secret cannot be opened; see the server log".into(),
            }
        })?;
        String::from_utf8(plain.to_vec()).map(crypto::Secret::new).map_err(|_| ConsoleError {
            code: "InternalFailure",
            message: "the client secret cannot be opened; see the server log".into(),
        })
    }

    /// The apps of a developer (the admin API's: every app).
    pub async fn apps(&self, dev: Dev<'_>) -> Result<Vec<sp::App>, ConsoleError> {
        let mut conn = self.reader().await?;
        Ok(match dev {
            Dev::Admin => sp::apps(&mut conn).await?,
            Dev::Id(id) => sp::apps_of(&mut conn, id).await?,
        })
    }

    /// An app by application id, client id or name.
    pub async fn find_app(&self, key: &str) -> Result<sp::App, ConsoleError> {
        let mut conn = self.reader().await?;
        sp::find_app(&mut conn, key).await?.ok_or_else(|| {
            ConsoleError::not_found(format!("no app {key:?} (give its application id, client id or name)"))
        })
    }

    /// What Developer Central shows of an app: never a secret, only the credentials' ids and
    /// expiry dates, and the fate of recent notifications.
    pub async fn app_view(&self, app: &sp::App) -> Result<Value, ConsoleError> {
        let now = self.now_ms();
        let mut conn = self.reader().await?;
        let secrets = sp::secrets(&mut conn, &app.app_id).await?;
        let deliveries = sp::deliveries(&mut conn, &app.app_id, 20).await?;
        let auths = sp::authorizations(&mut conn, &app.app_id).await?;
        let current = secrets.first();
        let secret_rows: Vec<Value> = secrets
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let status = if s.expires_ms <= now {
                    "Expired"
                } else if i == 0 {
                    "Current"
                } else {
                    "Previous"
                };
                json!({"secretId": s.secret_id, "createdAt": iso_ms(s.created_ms), "expiresAt": iso_ms(s.expires_ms), "status": status})
            })
            .collect();
        let failures: Vec<&sp::Delivery> = deliveries.iter().filter(|d| d.outcome == "Failed").collect();
        let delivery_json = |d: &sp::Delivery| {
            json!({
                "notificationId": d.notification_id,
                "notificationType": d.notification_type,
                "destination": d.destination,
                "outcome": d.outcome,
                "error": d.error,
                "time": iso_ms(d.time_ms),
            })
        };
        let roles: Vec<&Role> = stored_list(&app.roles).iter().filter_map(|n| catalog::role_named(n)).collect();
        Ok(json!({
            "applicationId": app.app_id,
            "name": app.name,
            "status": app.status,
            "businessEntities": if app.vendor { "Vendors" } else { "Sellers" },
            "roles": roles_json(&roles),
            "loginUris": stored_list(&app.login_uris),
            "redirectUris": stored_list(&app.redirect_uris),
            "iamArn": app.iam_arn,
            "lwaCredentials": {
                "clientId": app.client_id,
                "clientSecretExpiresAt": current.map(|s| iso_ms(s.expires_ms)),
                "clientSecrets": secret_rows,
            },
            "notifications": {
                "applicationClientSecretExpiry": app.expiry_queue_arn.as_ref().map(|q| json!({"queueArn": q, "subscriptionId": app.expiry_subscription_id})),
                "applicationClientNewSecret": app.new_secret_queue_arn.as_ref().map(|q| json!({"queueArn": q, "subscriptionId": app.new_secret_subscription_id})),
                "lastFailure": failures.first().map(|d| delivery_json(d)),
                "recentDeliveries": deliveries.iter().map(delivery_json).collect::<Vec<_>>(),
            },
            "authorizations": auths.iter().map(|a| json!({
                "sellingPartnerId": a.selling_partner_id,
                "via": a.via,
                "authorizedAt": iso_ms(a.created_ms),
                "revokedAt": a.revoked_ms.map(iso_ms),
            })).collect::<Vec<_>>(),
            "createdAt": iso_ms(app.created_ms),
        }))
    }
}

/// The additional data a sealed client secret is bound to.
fn sealed_aad(secret_id: &str) -> Vec<u8> {
    format!("sp-client-secret\0{secret_id}").into_bytes()
}

async fn profile_of(conn: &mut store::Conn, dev: Dev<'_>) -> Result<Option<sp::Developer>, ConsoleError> {
    Ok(match dev {
        Dev::Admin => sp::developer(conn).await?,
        Dev::Id(id) => sp::developer_by_id(conn, id).await?,
    })
}

fn no_profile() -> ConsoleError {
    ConsoleError {
        code: "NoDeveloperProfile",
        message: "register as a developer first: spcred sp developer register".into(),
    }
}

fn developer_json(d: &sp::Developer) -> Value {
    let profile: Value = serde_json::from_str(&d.profile).unwrap_or(Value::Null);
    let roles: Vec<&Role> = stored_list(&d.roles).iter().filter_map(|n| catalog::role_named(n)).collect();
    json!({
        "developerId": d.developer_id,
        "organization": d.organization,
        "status": d.status,
        "roles": roles_json(&roles),
        "registration": profile,
        "registeredAt": iso_ms(d.created_ms),
        "updatedAt": iso_ms(d.updated_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_arns_are_checked() {
        assert!(check_uri("u", "https://example.com/cb?x=1").is_ok());
        assert!(check_uri("u", "http://localhost:8080/cb").is_ok());
        assert!(check_uri("u", "example.com/cb").is_err());
        assert!(check_uri("u", "https://example.com/cb#frag").unwrap_err().message.contains("fragment"));
        assert!(check_iam_arn("arn:aws:iam::123456789012:role/SellingPartnerAPIRole").is_ok());
        assert!(check_iam_arn("arn:aws:iam::123456789012:user/bob").is_ok());
        assert!(check_iam_arn("arn:aws:iam::123456789012:group/devs").is_err());
        assert!(check_iam_arn("arn:aws:iam::12345:role/x").is_err());
        assert!(check_queue_arn("arn:aws:sqs:us-east-1:123456789012:rotation").is_ok());
        assert!(check_queue_arn("arn:aws:sns:us-east-1:123456789012:topic").is_err());
        assert!(check_queue_arn("arn:aws:sqs:us-east-1:123456789012").is_err());
    }

    #[test]
    fn roles_resolve_and_deduplicate() {
        let r = roles(&["pricing".into(), "Pricing".into(), "Tax Invoicing".into()]).unwrap();
        assert_eq!(r.iter().map(|r| r.name).collect::<Vec<_>>(), vec!["Pricing", "Tax Invoicing"]);
        assert!(roles(&["Admin".into()]).unwrap_err().message.contains("not an SP-API role"));
    }
}
