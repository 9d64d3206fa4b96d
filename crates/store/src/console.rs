//! The web console's accounts and sessions.

use crate::{Conn, StoreError};

/// A developer's console account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    /// Lower-cased.
    pub email: String,
    /// The developer profile it signs in as.
    pub developer_id: String,
    /// Argon2id in PHC format (a hash, not the password).
    pub password_hash: String,
    /// When it was created.
    pub created_ms: i64,
}

/// Creates an account; `false` when the e-mail address already has one.
pub async fn insert_user(conn: &mut Conn, u: &User) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO console_users (email, developer_id, password_hash, created_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(&u.email)
    .bind(&u.developer_id)
    .bind(&u.password_hash)
    .bind(u.created_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The account of `email` (lower-cased), if any.
pub async fn user(conn: &mut Conn, email: &str) -> Result<Option<User>, StoreError> {
    Ok(sqlx::query_as("SELECT email, developer_id, password_hash, created_ms FROM console_users WHERE email = $1")
        .bind(email)
        .fetch_optional(conn)
        .await?)
}

/// Every account, oldest first (the operator's view).
pub async fn users(conn: &mut Conn) -> Result<Vec<User>, StoreError> {
    Ok(sqlx::query_as("SELECT email, developer_id, password_hash, created_ms FROM console_users ORDER BY created_ms")
        .fetch_all(conn)
        .await?)
}

/// A signed-in session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    /// `developer` or `operator`.
    pub role: String,
    /// The developer's e-mail address.
    pub email: Option<String>,
    /// The developer profile, for a developer.
    pub developer_id: Option<String>,
    /// When it was opened.
    pub created_ms: i64,
    /// When it ends.
    pub expires_ms: i64,
}

/// Opens a session known by `verifier`, and drops the expired ones.
pub async fn insert_session(conn: &mut Conn, verifier: &[u8], s: &Session) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM console_sessions WHERE expires_ms <= $1").bind(s.created_ms).execute(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO console_sessions (verifier, role, email, developer_id, created_ms, expires_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(verifier)
    .bind(&s.role)
    .bind(&s.email)
    .bind(&s.developer_id)
    .bind(s.created_ms)
    .bind(s.expires_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The live session known by `verifier` at `now_ms`, if any.
pub async fn session(conn: &mut Conn, verifier: &[u8], now_ms: i64) -> Result<Option<Session>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT role, email, developer_id, created_ms, expires_ms FROM console_sessions \
         WHERE verifier = $1 AND expires_ms > $2",
    )
    .bind(verifier)
    .bind(now_ms)
    .fetch_optional(conn)
    .await?)
}

/// Ends the session known by `verifier` (signing out).
pub async fn delete_session(conn: &mut Conn, verifier: &[u8]) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM console_sessions WHERE verifier = $1").bind(verifier).execute(conn).await?;
    Ok(())
}

/// A parameter as the operator's view shows it: never its value.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ParameterRow {
    /// The account.
    pub account_id: String,
    /// The region.
    pub region: String,
    /// The name.
    pub name: String,
    /// The current version.
    pub version: i64,
    /// `String`, `StringList` or `SecureString`.
    pub kind: String,
    /// `Standard`, `Advanced` or `Intelligent-Tiering`.
    pub tier: String,
    /// How many parameter policies it has.
    pub policies: i64,
}

/// Parameters of every account and region, by name, at most `limit`.
pub async fn parameters(conn: &mut Conn, limit: i64) -> Result<Vec<ParameterRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT p.account_id, p.region, p.name, p.version, v.type AS kind, v.tier, \
         (SELECT COUNT(*) FROM ssm_policies s WHERE s.account_id = p.account_id AND s.region = p.region \
          AND s.name = p.name) AS policies \
         FROM ssm_parameters p JOIN ssm_parameter_versions v ON v.account_id = p.account_id AND v.region = p.region \
         AND v.name = p.name AND v.version = p.version ORDER BY p.account_id, p.region, p.name LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A queue and how many messages it holds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueRow {
    /// The account.
    pub account_id: String,
    /// The region.
    pub region: String,
    /// The name.
    pub name: String,
    /// Messages stored (visible, in flight or delayed).
    pub depth: i64,
}

/// Queues of every account and region, by name, at most `limit`.
pub async fn queues(conn: &mut Conn, limit: i64) -> Result<Vec<QueueRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT q.account_id, q.region, q.name, (SELECT COUNT(*) FROM sqs_messages m WHERE m.queue_id = q.id) AS depth \
         FROM sqs_queues q ORDER BY q.account_id, q.region, q.name LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The jobs waiting to run, the earliest due first, at most `limit` (kinds and due dates only:
/// payloads may carry sealed secrets).
pub async fn scheduled(conn: &mut Conn, limit: i64) -> Result<Vec<crate::jobs::Job>, StoreError> {
    Ok(sqlx::query_as("SELECT id, kind, due_ms, '' AS payload, attempts FROM jobs ORDER BY due_ms, id LIMIT $1")
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// A parameter policy waiting to fire.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PolicyEvent {
    /// The account.
    pub account_id: String,
    /// The region.
    pub region: String,
    /// The parameter.
    pub name: String,
    /// `Expiration`, `ExpirationNotification` or `NoChangeNotification`.
    pub kind: String,
    /// When it fires.
    pub due_ms: i64,
}

/// Parameter policies still to fire, the earliest first, at most `limit`.
pub async fn policy_events(conn: &mut Conn, limit: i64) -> Result<Vec<PolicyEvent>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT account_id, region, name, type AS kind, due_ms FROM ssm_policies \
         WHERE status = 'Pending' AND due_ms IS NOT NULL ORDER BY due_ms, account_id, region, name, idx LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// How many reviews (registrations, listings, onboarding requests) are in progress.
pub async fn open_reviews(conn: &mut Conn) -> Result<usize, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reviews WHERE status = 'InProgress'").fetch_one(conn).await?;
    Ok(usize::try_from(n).unwrap_or_default())
}
