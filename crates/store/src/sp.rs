//! The SP-API sandbox's repository: Developer Central, selling partners, authorizations, tokens,
//! one-time grants, the Notifications API's destinations and subscriptions, sample orders and the
//! record of notification deliveries.
//!
//! Bearer secrets (client secrets, refresh and access tokens, codes) arrive here only as keyed
//! hashes made by the sandbox (`verifier`); JSON columns are passed through as text for the
//! sandbox to parse.

use crate::{Conn, StoreError};

/// The developer profile (the registration form of Developer Central).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Developer {
    /// The developer id.
    pub developer_id: String,
    /// The organization's name.
    pub organization: String,
    /// The registration form, as JSON.
    pub profile: String,
    /// The approved roles, as a JSON array.
    pub roles: String,
    /// `Approved` once reviewed.
    pub status: String,
    /// First registration.
    pub created_ms: i64,
    /// Last (re)submission.
    pub updated_ms: i64,
}

/// Saves the developer profile, replacing an earlier submission with the same id.
pub async fn put_developer(conn: &mut Conn, d: &Developer) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sp_developers (developer_id, organization, profile, roles, status, created_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (developer_id) DO UPDATE SET organization = excluded.organization, \
         profile = excluded.profile, roles = excluded.roles, status = excluded.status, updated_ms = excluded.updated_ms",
    )
    .bind(&d.developer_id)
    .bind(&d.organization)
    .bind(&d.profile)
    .bind(&d.roles)
    .bind(&d.status)
    .bind(d.created_ms)
    .bind(d.updated_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The developer profile with this id, if it was registered.
pub async fn developer_by_id(conn: &mut Conn, developer_id: &str) -> Result<Option<Developer>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT developer_id, organization, profile, roles, status, created_ms, updated_ms FROM sp_developers \
         WHERE developer_id = $1",
    )
    .bind(developer_id)
    .fetch_optional(conn)
    .await?)
}

/// The admin API's developer profile, if one was registered: the first one (the admin API and
/// the CLI act as one developer; console accounts each have their own).
pub async fn developer(conn: &mut Conn) -> Result<Option<Developer>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT developer_id, organization, profile, roles, status, created_ms, updated_ms FROM sp_developers \
         ORDER BY created_ms LIMIT 1",
    )
    .fetch_optional(conn)
    .await?)
}

/// An app client.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct App {
    /// `amzn1.sp.solution.<uuid>`.
    pub app_id: String,
    /// The owning developer.
    pub developer_id: String,
    /// The app's name.
    pub name: String,
    /// The LWA client identifier.
    pub client_id: String,
    /// `Draft` or `Published`.
    pub status: String,
    /// Whether the app is for vendors rather than sellers.
    #[sqlx(try_from = "crate::Flag")]
    pub vendor: bool,
    /// Roles, as a JSON array.
    pub roles: String,
    /// OAuth login URIs, as a JSON array.
    pub login_uris: String,
    /// OAuth redirect URIs, as a JSON array.
    pub redirect_uris: String,
    /// The IAM ARN registered for legacy (`SigV4`) calls.
    pub iam_arn: Option<String>,
    /// The SQS queue for "Application Client Secret Expiry" notifications.
    pub expiry_queue_arn: Option<String>,
    /// The SQS queue for "Application Client New Secret" notifications.
    pub new_secret_queue_arn: Option<String>,
    /// The subscription id stamped on expiry notifications.
    pub expiry_subscription_id: Option<String>,
    /// The subscription id stamped on new-secret notifications.
    pub new_secret_subscription_id: Option<String>,
    /// When it was created.
    pub created_ms: i64,
}

const APP_COLUMNS: &str = "app_id, developer_id, name, client_id, status, vendor, roles, login_uris, redirect_uris, \
     iam_arn, expiry_queue_arn, new_secret_queue_arn, expiry_subscription_id, new_secret_subscription_id, created_ms";

/// Inserts an app.
pub async fn insert_app(conn: &mut Conn, a: &App) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO sp_apps ({APP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    ))
    .bind(&a.app_id)
    .bind(&a.developer_id)
    .bind(&a.name)
    .bind(&a.client_id)
    .bind(&a.status)
    .bind(i64::from(a.vendor))
    .bind(&a.roles)
    .bind(&a.login_uris)
    .bind(&a.redirect_uris)
    .bind(&a.iam_arn)
    .bind(&a.expiry_queue_arn)
    .bind(&a.new_secret_queue_arn)
    .bind(&a.expiry_subscription_id)
    .bind(&a.new_secret_subscription_id)
    .bind(a.created_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// An app by its application id, client id or (unique) name.
pub async fn find_app(conn: &mut Conn, key: &str) -> Result<Option<App>, StoreError> {
    let mut apps: Vec<App> = sqlx::query_as(&format!(
        "SELECT {APP_COLUMNS} FROM sp_apps WHERE app_id = $1 OR client_id = $1 OR name = $1 ORDER BY created_ms LIMIT 2"
    ))
    .bind(key)
    .fetch_all(conn)
    .await?;
    // A name shared by two apps names neither; ids are unique.
    Ok(match apps.len() {
        1 => apps.pop(),
        _ => apps.into_iter().find(|a| a.app_id == key || a.client_id == key),
    })
}

/// An app by its application id.
pub async fn app(conn: &mut Conn, app_id: &str) -> Result<Option<App>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {APP_COLUMNS} FROM sp_apps WHERE app_id = $1"))
        .bind(app_id)
        .fetch_optional(conn)
        .await?)
}

/// An app by its LWA client identifier.
pub async fn app_by_client_id(conn: &mut Conn, client_id: &str) -> Result<Option<App>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {APP_COLUMNS} FROM sp_apps WHERE client_id = $1"))
        .bind(client_id)
        .fetch_optional(conn)
        .await?)
}

/// Every app, oldest first.
pub async fn apps(conn: &mut Conn) -> Result<Vec<App>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {APP_COLUMNS} FROM sp_apps ORDER BY created_ms, app_id"))
        .fetch_all(conn)
        .await?)
}

/// The apps of one developer, oldest first.
pub async fn apps_of(conn: &mut Conn, developer_id: &str) -> Result<Vec<App>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {APP_COLUMNS} FROM sp_apps WHERE developer_id = $1 ORDER BY created_ms, app_id"
    ))
    .bind(developer_id)
    .fetch_all(conn)
    .await?)
}

/// Saves what "Edit App" changes: the name, the OAuth URIs and the IAM ARN.
pub async fn update_app(conn: &mut Conn, a: &App) -> Result<(), StoreError> {
    sqlx::query("UPDATE sp_apps SET name = $1, login_uris = $2, redirect_uris = $3, iam_arn = $4 WHERE app_id = $5")
        .bind(&a.name)
        .bind(&a.login_uris)
        .bind(&a.redirect_uris)
        .bind(&a.iam_arn)
        .bind(&a.app_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Registers the queues of the application notifications, with the subscription ids stamped on them.
pub async fn set_app_queues(
    conn: &mut Conn,
    app_id: &str,
    expiry: Option<(&str, &str)>,
    new_secret: Option<(&str, &str)>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sp_apps SET expiry_queue_arn = $1, expiry_subscription_id = $2, new_secret_queue_arn = $3, \
         new_secret_subscription_id = $4 WHERE app_id = $5",
    )
    .bind(expiry.map(|e| e.0))
    .bind(expiry.map(|e| e.1))
    .bind(new_secret.map(|e| e.0))
    .bind(new_secret.map(|e| e.1))
    .bind(app_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Changes an app's status (`Draft`, `Published`).
pub async fn set_app_status(conn: &mut Conn, app_id: &str, status: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE sp_apps SET status = $1 WHERE app_id = $2").bind(status).bind(app_id).execute(conn).await?;
    Ok(())
}

/// An LWA client secret, by its verifier.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientSecret {
    /// The secret's public id (never the secret).
    pub secret_id: String,
    /// The app it belongs to.
    pub app_id: String,
    /// When it was created.
    pub created_ms: i64,
    /// When it stops working.
    pub expires_ms: i64,
}

/// Inserts a client secret's verifier, and the secret sealed under the at-rest key (for
/// Developer Central's "View").
pub async fn insert_secret(
    conn: &mut Conn,
    s: &ClientSecret,
    verifier: &[u8],
    sealed: &[u8],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sp_client_secrets (secret_id, app_id, verifier, sealed, created_ms, expires_ms, seq) \
         VALUES ($1, $2, $3, $4, $5, $6, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sp_client_secrets))",
    )
    .bind(&s.secret_id)
    .bind(&s.app_id)
    .bind(verifier)
    .bind(sealed)
    .bind(s.created_ms)
    .bind(s.expires_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// An app's client secrets, newest first.
pub async fn secrets(conn: &mut Conn, app_id: &str) -> Result<Vec<ClientSecret>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT secret_id, app_id, created_ms, expires_ms FROM sp_client_secrets WHERE app_id = $1 \
         ORDER BY created_ms DESC, seq DESC",
    )
    .bind(app_id)
    .fetch_all(conn)
    .await?)
}

/// The sealed copy of a client secret (`None` for one made before copies were kept).
pub async fn sealed_secret(conn: &mut Conn, secret_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(sqlx::query_scalar("SELECT sealed FROM sp_client_secrets WHERE secret_id = $1")
        .bind(secret_id)
        .fetch_optional(conn)
        .await?
        .flatten())
}

/// The client secret with this verifier, if any.
pub async fn secret_by_verifier(conn: &mut Conn, verifier: &[u8]) -> Result<Option<ClientSecret>, StoreError> {
    Ok(sqlx::query_as("SELECT secret_id, app_id, created_ms, expires_ms FROM sp_client_secrets WHERE verifier = $1")
        .bind(verifier)
        .fetch_optional(conn)
        .await?)
}

/// Cuts every secret of `app_id` but `keep` to expire at `cap_ms` at the latest (a rotation).
pub async fn cap_secrets(conn: &mut Conn, app_id: &str, keep: &str, cap_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sp_client_secrets SET expires_ms = CASE WHEN expires_ms < $1 THEN expires_ms ELSE $1 END \
         WHERE app_id = $2 AND secret_id != $3",
    )
    .bind(cap_ms)
    .bind(app_id)
    .bind(keep)
    .execute(conn)
    .await?;
    Ok(())
}

/// A selling partner.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Seller {
    /// The selling partner id, e.g. `A3TH9S8BH6GOGM`.
    pub selling_partner_id: String,
    /// The business name.
    pub name: String,
    /// Marketplace ids, as a JSON array.
    pub marketplaces: String,
    /// The usage plan relative to Amazon's published one.
    pub rate_scale: f64,
    /// When it was created.
    pub created_ms: i64,
}

/// Inserts a selling partner.
pub async fn insert_seller(conn: &mut Conn, s: &Seller) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sp_sellers (selling_partner_id, name, marketplaces, rate_scale, created_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.selling_partner_id)
    .bind(&s.name)
    .bind(&s.marketplaces)
    .bind(s.rate_scale)
    .bind(s.created_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// A selling partner by id.
pub async fn seller(conn: &mut Conn, id: &str) -> Result<Option<Seller>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT selling_partner_id, name, marketplaces, rate_scale, created_ms FROM sp_sellers WHERE selling_partner_id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Every selling partner, oldest first.
pub async fn sellers(conn: &mut Conn) -> Result<Vec<Seller>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT selling_partner_id, name, marketplaces, rate_scale, created_ms FROM sp_sellers ORDER BY created_ms, selling_partner_id",
    )
    .fetch_all(conn)
    .await?)
}

/// A selling partner's authorization of an app (one refresh token).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Authorization {
    /// Row id.
    pub id: i64,
    /// The app.
    pub app_id: String,
    /// The selling partner.
    pub selling_partner_id: String,
    /// `self` or `oauth`.
    pub via: String,
    /// When it was granted.
    pub created_ms: i64,
    /// When it was revoked.
    pub revoked_ms: Option<i64>,
}

/// Inserts an authorization; returns its id.
pub async fn insert_authorization(
    conn: &mut Conn,
    app_id: &str,
    selling_partner_id: &str,
    verifier: &[u8],
    via: &str,
    now_ms: i64,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO sp_authorizations (app_id, selling_partner_id, verifier, via, created_ms) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id",
    )
    .bind(app_id)
    .bind(selling_partner_id)
    .bind(verifier)
    .bind(via)
    .bind(now_ms)
    .fetch_one(conn)
    .await?)
}

/// The authorization whose refresh token has this verifier.
pub async fn authorization_by_verifier(conn: &mut Conn, verifier: &[u8]) -> Result<Option<Authorization>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, app_id, selling_partner_id, via, created_ms, revoked_ms FROM sp_authorizations WHERE verifier = $1",
    )
    .bind(verifier)
    .fetch_optional(conn)
    .await?)
}

/// An app's authorizations, newest first.
pub async fn authorizations(conn: &mut Conn, app_id: &str) -> Result<Vec<Authorization>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, app_id, selling_partner_id, via, created_ms, revoked_ms FROM sp_authorizations WHERE app_id = $1 \
         ORDER BY id DESC",
    )
    .bind(app_id)
    .fetch_all(conn)
    .await?)
}

/// Revokes every live authorization of `app_id` by `selling_partner_id`; returns how many.
pub async fn revoke_authorizations(
    conn: &mut Conn,
    app_id: &str,
    selling_partner_id: &str,
    now_ms: i64,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "UPDATE sp_authorizations SET revoked_ms = $1 WHERE app_id = $2 AND selling_partner_id = $3 AND revoked_ms IS NULL",
    )
    .bind(now_ms)
    .bind(app_id)
    .bind(selling_partner_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// A new access token (LWA access token, grantless token or restricted data token).
#[derive(Debug, Clone)]
pub struct NewAccessToken<'a> {
    /// `seller`, `grantless` or `rdt`.
    pub kind: &'a str,
    /// The app it acts for.
    pub app_id: &'a str,
    /// The selling partner, except for grantless tokens.
    pub selling_partner_id: Option<&'a str>,
    /// The authorization it derives from, except for grantless tokens.
    pub authorization_id: Option<i64>,
    /// A grantless token's scope.
    pub scope: Option<&'a str>,
    /// A restricted data token's resources, as JSON.
    pub resources: Option<&'a str>,
    /// When it stops working.
    pub expires_ms: i64,
}

/// How many expired rows one insert clears, so the tables never grow without bound.
const PURGE_BATCH: i64 = 8;
/// Expired rows are kept a day, so a late caller still hears "expired" rather than "invalid".
const PURGE_AFTER_MS: i64 = 86_400_000;

/// Stores an access token's verifier, clearing a few long-expired ones on the way.
pub async fn insert_access_token(
    conn: &mut Conn,
    verifier: &[u8],
    t: &NewAccessToken<'_>,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM sp_access_tokens WHERE verifier IN \
         (SELECT verifier FROM sp_access_tokens WHERE expires_ms < $1 ORDER BY expires_ms LIMIT $2)",
    )
    .bind(now_ms - PURGE_AFTER_MS)
    .bind(PURGE_BATCH)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO sp_access_tokens (verifier, kind, app_id, selling_partner_id, authorization_id, scope, resources, expires_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(verifier)
    .bind(t.kind)
    .bind(t.app_id)
    .bind(t.selling_partner_id)
    .bind(t.authorization_id)
    .bind(t.scope)
    .bind(t.resources)
    .bind(t.expires_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// An access token as presented on an SP-API call, with what decides whether it still works.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessToken {
    /// `seller`, `grantless` or `rdt`.
    pub kind: String,
    /// The app it acts for.
    pub app_id: String,
    /// The selling partner, except for grantless tokens.
    pub selling_partner_id: Option<String>,
    /// The authorization it derives from.
    pub authorization_id: Option<i64>,
    /// A grantless token's scope.
    pub scope: Option<String>,
    /// A restricted data token's resources, as JSON.
    pub resources: Option<String>,
    /// When it stops working.
    pub expires_ms: i64,
    /// When its authorization was revoked.
    pub revoked_ms: Option<i64>,
    /// The selling partner's usage plan scale (1 for grantless tokens).
    pub rate_scale: f64,
}

/// The access token with this verifier.
pub async fn access_token(conn: &mut Conn, verifier: &[u8]) -> Result<Option<AccessToken>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT t.kind, t.app_id, t.selling_partner_id, t.authorization_id, t.scope, t.resources, t.expires_ms, \
         a.revoked_ms, COALESCE(s.rate_scale, 1.0) AS rate_scale FROM sp_access_tokens t \
         LEFT JOIN sp_authorizations a ON a.id = t.authorization_id \
         LEFT JOIN sp_sellers s ON s.selling_partner_id = t.selling_partner_id WHERE t.verifier = $1",
    )
    .bind(verifier)
    .fetch_optional(conn)
    .await?)
}

/// A one-time grant of the website workflow (`state` or `code`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grant {
    /// `state` (the `amazon_state`) or `code` (the `spapi_oauth_code`).
    pub kind: String,
    /// The app.
    pub app_id: String,
    /// The selling partner who consented.
    pub selling_partner_id: String,
    /// For a code: the redirect URI it was sent to.
    pub redirect_uri: Option<String>,
    /// Whether the workflow runs against the draft app (`version=beta`).
    #[sqlx(try_from = "crate::Flag")]
    pub beta: bool,
    /// When it stops working.
    pub expires_ms: i64,
    /// When it was used, if it was.
    pub used_ms: Option<i64>,
    /// A Data Portability code: the scopes the customer granted (space-separated); `None` for
    /// the SP-API website workflow, where `selling_partner_id` is the seller.
    pub scope: Option<String>,
}

/// Stores a grant's verifier, clearing a few long-expired grants on the way.
pub async fn insert_grant(conn: &mut Conn, verifier: &[u8], g: &Grant, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM sp_grants WHERE verifier IN \
         (SELECT verifier FROM sp_grants WHERE expires_ms < $1 ORDER BY expires_ms LIMIT $2)",
    )
    .bind(now_ms - PURGE_AFTER_MS)
    .bind(PURGE_BATCH)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO sp_grants (verifier, kind, app_id, selling_partner_id, redirect_uri, beta, expires_ms, used_ms, scope) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(verifier)
    .bind(&g.kind)
    .bind(&g.app_id)
    .bind(&g.selling_partner_id)
    .bind(&g.redirect_uri)
    .bind(i64::from(g.beta))
    .bind(g.expires_ms)
    .bind(g.used_ms)
    .bind(&g.scope)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the grant of `kind` with this verifier used and returns it as it was before, so the
/// caller can tell an unknown grant from a used or expired one. A grant is used at most once.
pub async fn take_grant(
    conn: &mut Conn,
    verifier: &[u8],
    kind: &str,
    now_ms: i64,
) -> Result<Option<Grant>, StoreError> {
    let grant: Option<Grant> = sqlx::query_as(
        "SELECT kind, app_id, selling_partner_id, redirect_uri, beta, expires_ms, used_ms, scope FROM sp_grants \
         WHERE verifier = $1 AND kind = $2",
    )
    .bind(verifier)
    .bind(kind)
    .fetch_optional(&mut *conn)
    .await?;
    if grant.as_ref().is_some_and(|g| g.used_ms.is_none()) {
        sqlx::query("UPDATE sp_grants SET used_ms = $1 WHERE verifier = $2")
            .bind(now_ms)
            .bind(verifier)
            .execute(conn)
            .await?;
    }
    Ok(grant)
}

/// A notification destination.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Destination {
    /// The destination id.
    pub destination_id: String,
    /// The app that created it.
    pub app_id: String,
    /// Its developer-defined name.
    pub name: String,
    /// An SQS queue ARN.
    pub sqs_arn: Option<String>,
    /// An `EventBridge` destination's account.
    pub eb_account_id: Option<String>,
    /// An `EventBridge` destination's region.
    pub eb_region: Option<String>,
    /// An `EventBridge` destination's partner event source name.
    pub eb_name: Option<String>,
    /// When it was created.
    pub created_ms: i64,
}

const DESTINATION_COLUMNS: &str =
    "destination_id, app_id, name, sqs_arn, eb_account_id, eb_region, eb_name, created_ms";

/// Inserts a destination.
pub async fn insert_destination(conn: &mut Conn, d: &Destination) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO sp_destinations ({DESTINATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&d.destination_id)
    .bind(&d.app_id)
    .bind(&d.name)
    .bind(&d.sqs_arn)
    .bind(&d.eb_account_id)
    .bind(&d.eb_region)
    .bind(&d.eb_name)
    .bind(d.created_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// An app's destinations, oldest first.
pub async fn destinations(conn: &mut Conn, app_id: &str) -> Result<Vec<Destination>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {DESTINATION_COLUMNS} FROM sp_destinations WHERE app_id = $1 ORDER BY created_ms, destination_id"
    ))
    .bind(app_id)
    .fetch_all(conn)
    .await?)
}

/// A destination by id.
pub async fn destination(conn: &mut Conn, destination_id: &str) -> Result<Option<Destination>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {DESTINATION_COLUMNS} FROM sp_destinations WHERE destination_id = $1"))
        .bind(destination_id)
        .fetch_optional(conn)
        .await?)
}

/// Deletes a destination; returns whether it existed.
pub async fn delete_destination(conn: &mut Conn, destination_id: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query("DELETE FROM sp_destinations WHERE destination_id = $1")
        .bind(destination_id)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}

/// How many subscriptions deliver to a destination.
pub async fn subscriptions_to(conn: &mut Conn, destination_id: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM sp_subscriptions WHERE destination_id = $1")
        .bind(destination_id)
        .fetch_one(conn)
        .await?)
}

/// A subscription to a notification type.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subscription {
    /// The subscription id.
    pub subscription_id: String,
    /// The app.
    pub app_id: String,
    /// The selling partner whose events it carries (none for application notifications).
    pub selling_partner_id: Option<String>,
    /// E.g. `ORDER_CHANGE`.
    pub notification_type: String,
    /// Where it delivers.
    pub destination_id: String,
    /// The payload version.
    pub payload_version: String,
    /// The processing directive, as JSON.
    pub processing_directive: Option<String>,
    /// When it was created.
    pub created_ms: i64,
}

const SUBSCRIPTION_COLUMNS: &str = "subscription_id, app_id, selling_partner_id, notification_type, destination_id, \
     payload_version, processing_directive, created_ms";

/// Inserts a subscription.
pub async fn insert_subscription(conn: &mut Conn, s: &Subscription) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO sp_subscriptions ({SUBSCRIPTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&s.subscription_id)
    .bind(&s.app_id)
    .bind(&s.selling_partner_id)
    .bind(&s.notification_type)
    .bind(&s.destination_id)
    .bind(&s.payload_version)
    .bind(&s.processing_directive)
    .bind(s.created_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The subscription of `app_id` to `notification_type` for `selling_partner_id`.
pub async fn subscription_for(
    conn: &mut Conn,
    app_id: &str,
    selling_partner_id: Option<&str>,
    notification_type: &str,
) -> Result<Option<Subscription>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM sp_subscriptions WHERE app_id = $1 AND COALESCE(selling_partner_id, '') = $2 \
         AND notification_type = $3"
    ))
    .bind(app_id)
    .bind(selling_partner_id.unwrap_or(""))
    .bind(notification_type)
    .fetch_optional(conn)
    .await?)
}

/// A subscription by id.
pub async fn subscription(conn: &mut Conn, subscription_id: &str) -> Result<Option<Subscription>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {SUBSCRIPTION_COLUMNS} FROM sp_subscriptions WHERE subscription_id = $1"))
        .bind(subscription_id)
        .fetch_optional(conn)
        .await?)
}

/// Deletes a subscription; returns whether it existed.
pub async fn delete_subscription(conn: &mut Conn, subscription_id: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query("DELETE FROM sp_subscriptions WHERE subscription_id = $1")
        .bind(subscription_id)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}

/// The subscriptions to `notification_type` for `selling_partner_id`, across apps, with their
/// destinations, oldest first.
pub async fn subscribers(
    conn: &mut Conn,
    notification_type: &str,
    selling_partner_id: &str,
) -> Result<Vec<(Subscription, Destination)>, StoreError> {
    let subs: Vec<Subscription> = sqlx::query_as(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM sp_subscriptions WHERE notification_type = $1 AND selling_partner_id = $2 \
         ORDER BY created_ms, subscription_id"
    ))
    .bind(notification_type)
    .bind(selling_partner_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(subs.len());
    for s in subs {
        if let Some(d) = destination(conn, &s.destination_id).await? {
            out.push((s, d));
        }
    }
    Ok(out)
}

/// A sample order.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Order {
    /// The 3-7-7 order id.
    pub amazon_order_id: String,
    /// The seller.
    pub selling_partner_id: String,
    /// The marketplace.
    pub marketplace_id: String,
    /// When it was placed.
    pub purchase_ms: i64,
    /// When it last changed.
    pub updated_ms: i64,
    /// The order status.
    pub status: String,
    /// The order, items, address and buyer, as JSON.
    pub document: String,
}

const ORDER_COLUMNS: &str =
    "amazon_order_id, selling_partner_id, marketplace_id, purchase_ms, updated_ms, status, document";

/// Inserts an order.
pub async fn insert_order(conn: &mut Conn, o: &Order) -> Result<(), StoreError> {
    sqlx::query(&format!("INSERT INTO sp_orders ({ORDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
        .bind(&o.amazon_order_id)
        .bind(&o.selling_partner_id)
        .bind(&o.marketplace_id)
        .bind(o.purchase_ms)
        .bind(o.updated_ms)
        .bind(&o.status)
        .bind(&o.document)
        .execute(conn)
        .await?;
    Ok(())
}

/// An order of `selling_partner_id`.
pub async fn order(conn: &mut Conn, selling_partner_id: &str, order_id: &str) -> Result<Option<Order>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM sp_orders WHERE selling_partner_id = $1 AND amazon_order_id = $2"
    ))
    .bind(selling_partner_id)
    .bind(order_id)
    .fetch_optional(conn)
    .await?)
}

/// Which orders to list.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    /// Select by last update instead of purchase time.
    pub by_update: bool,
    /// At or after this time.
    pub after_ms: i64,
    /// At or before this time.
    pub before_ms: i64,
    /// Only these statuses (all when empty).
    pub statuses: Vec<String>,
    /// Continue after this (time, order id) position (pagination).
    pub after: Option<(i64, String)>,
    /// At most this many.
    pub limit: i64,
}

/// The orders of `selling_partner_id` in `marketplace_ids` matching `q`, in time order.
pub async fn orders(
    conn: &mut Conn,
    selling_partner_id: &str,
    marketplace_ids: &[String],
    q: &OrderQuery,
) -> Result<Vec<Order>, StoreError> {
    let (after_ms, after_id) = q.after.clone().unwrap_or((i64::MIN, String::new()));
    let column = if q.by_update { "updated_ms" } else { "purchase_ms" };
    // The lists become placeholders after the fixed ones ($1 to $6); the API bounds their length.
    if marketplace_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marketplaces = crate::params(7, marketplace_ids.len());
    let statuses = if q.statuses.is_empty() {
        String::new()
    } else {
        format!("AND status IN ({})", crate::params(7 + marketplace_ids.len(), q.statuses.len()))
    };
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM sp_orders WHERE selling_partner_id = $1 \
         AND marketplace_id IN ({marketplaces}) AND {column} >= $2 AND {column} <= $3 {statuses} \
         AND ({column} > $4 OR ({column} = $4 AND amazon_order_id > $5)) \
         ORDER BY {column}, amazon_order_id LIMIT $6"
    );
    let mut query = sqlx::query_as(&sql)
        .bind(selling_partner_id)
        .bind(q.after_ms)
        .bind(q.before_ms)
        .bind(after_ms)
        .bind(after_id)
        .bind(q.limit);
    for v in marketplace_ids.iter().chain(&q.statuses) {
        query = query.bind(v);
    }
    Ok(query.fetch_all(conn).await?)
}

/// The ids of a selling partner's orders, newest first (at most `limit`).
pub async fn order_ids(conn: &mut Conn, selling_partner_id: &str, limit: i64) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT amazon_order_id FROM sp_orders WHERE selling_partner_id = $1 ORDER BY purchase_ms DESC, amazon_order_id LIMIT $2",
    )
    .bind(selling_partner_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Replaces an order's status and document.
pub async fn update_order(
    conn: &mut Conn,
    order_id: &str,
    status: &str,
    document: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sp_orders SET status = $1, document = $2, updated_ms = $3 WHERE amazon_order_id = $4")
        .bind(status)
        .bind(document)
        .bind(now_ms)
        .bind(order_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// One attempt to deliver a notification.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    /// The app.
    pub app_id: String,
    /// The notification's id.
    pub notification_id: String,
    /// Its type.
    pub notification_type: String,
    /// The queue ARN or event bus it went to.
    pub destination: String,
    /// `Delivered` or `Failed`.
    pub outcome: String,
    /// Why it failed.
    pub error: Option<String>,
    /// When.
    pub time_ms: i64,
}

/// Delivery attempts kept per app: the record explains recent failures, it is not a log.
const DELIVERIES_KEPT: i64 = 100;

/// Records a delivery attempt, forgetting the app's oldest beyond the last hundred.
pub async fn record_delivery(conn: &mut Conn, d: &Delivery) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sp_deliveries (app_id, notification_id, notification_type, destination, outcome, error, time_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&d.app_id)
    .bind(&d.notification_id)
    .bind(&d.notification_type)
    .bind(&d.destination)
    .bind(&d.outcome)
    .bind(&d.error)
    .bind(d.time_ms)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM sp_deliveries WHERE app_id = $1 AND id <= \
         (SELECT id FROM sp_deliveries WHERE app_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
    )
    .bind(&d.app_id)
    .bind(DELIVERIES_KEPT)
    .execute(conn)
    .await?;
    Ok(())
}

/// The last `limit` delivery attempts for `app_id`, newest first.
pub async fn deliveries(conn: &mut Conn, app_id: &str, limit: i64) -> Result<Vec<Delivery>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT app_id, notification_id, notification_type, destination, outcome, error, time_ms FROM sp_deliveries \
         WHERE app_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(app_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
