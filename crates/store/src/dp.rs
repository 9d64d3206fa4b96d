//! The Amazon Data Portability side of the sandbox: customers, their authorizations of
//! applications (refresh tokens as keyed hashes), access tokens as the Data Portability API sees
//! them, and data queries.

use crate::{Conn, StoreError};

/// An Amazon customer (an Amazon account whose data an application can ask for).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Customer {
    /// `amzn1.account.` and 28 upper-case letters and digits.
    pub customer_id: String,
    /// The account holder's name.
    pub name: String,
    /// The account's e-mail.
    pub email: String,
    /// How long its data queries take.
    pub query_ms: i64,
    /// When it was made.
    pub created_ms: i64,
}

/// Inserts a customer.
pub async fn insert_customer(conn: &mut Conn, c: &Customer) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO dp_customers (customer_id, name, email, query_ms, created_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&c.customer_id)
    .bind(&c.name)
    .bind(&c.email)
    .bind(c.query_ms)
    .bind(c.created_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The customer with this id.
pub async fn customer(conn: &mut Conn, customer_id: &str) -> Result<Option<Customer>, StoreError> {
    Ok(sqlx::query_as("SELECT customer_id, name, email, query_ms, created_ms FROM dp_customers WHERE customer_id = $1")
        .bind(customer_id)
        .fetch_optional(conn)
        .await?)
}

/// Every customer, oldest first.
pub async fn customers(conn: &mut Conn) -> Result<Vec<Customer>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT customer_id, name, email, query_ms, created_ms FROM dp_customers ORDER BY created_ms, customer_id",
    )
    .fetch_all(conn)
    .await?)
}

/// A customer's authorization of an application (one refresh token).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Authorization {
    /// Row id.
    pub id: i64,
    /// The application.
    pub app_id: String,
    /// The customer.
    pub customer_id: String,
    /// The granted scopes, space-separated.
    pub scopes: String,
    /// When it was granted.
    pub created_ms: i64,
    /// When it was revoked.
    pub revoked_ms: Option<i64>,
}

/// Inserts an authorization; returns its id.
pub async fn insert_authorization(
    conn: &mut Conn,
    a: &Authorization,
    verifier: &[u8],
    via: &str,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO dp_authorizations (app_id, customer_id, scopes, verifier, via, created_ms) VALUES ($1, $2, $3, $4, $5, $6) \
         RETURNING id",
    )
    .bind(&a.app_id)
    .bind(&a.customer_id)
    .bind(&a.scopes)
    .bind(verifier)
    .bind(via)
    .bind(a.created_ms)
    .fetch_one(conn)
    .await?)
}

/// The authorization whose refresh token has this verifier.
pub async fn authorization_by_verifier(conn: &mut Conn, verifier: &[u8]) -> Result<Option<Authorization>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, app_id, customer_id, scopes, created_ms, revoked_ms FROM dp_authorizations WHERE verifier = $1",
    )
    .bind(verifier)
    .fetch_optional(conn)
    .await?)
}

/// An access token as the Data Portability API sees it: its authorization's customer, scopes
/// and revocation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessToken {
    /// The application.
    pub app_id: String,
    /// The customer.
    pub customer_id: String,
    /// The granted scopes, space-separated.
    pub scopes: String,
    /// When it stops working.
    pub expires_ms: i64,
    /// When its authorization was revoked.
    pub revoked_ms: Option<i64>,
}

/// The Data Portability access token with this verifier.
pub async fn access_token(conn: &mut Conn, verifier: &[u8]) -> Result<Option<AccessToken>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT t.app_id, a.customer_id, a.scopes, t.expires_ms, a.revoked_ms FROM sp_access_tokens t \
         JOIN dp_authorizations a ON a.id = t.authorization_id WHERE t.verifier = $1 AND t.kind = 'portability'",
    )
    .bind(verifier)
    .fetch_optional(conn)
    .await?)
}

/// A data query.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Query {
    /// Its id (a UUID).
    pub query_id: String,
    /// The application.
    pub app_id: String,
    /// The customer whose data it gathers.
    pub customer_id: String,
    /// The scope id (`portability-physical-orders`).
    pub scope_id: String,
    /// When it was created.
    pub created_ms: i64,
    /// When its records are ready.
    pub ready_ms: i64,
}

/// Inserts a query.
pub async fn insert_query(conn: &mut Conn, q: &Query) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO dp_queries (query_id, app_id, customer_id, scope_id, created_ms, ready_ms) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&q.query_id)
    .bind(&q.app_id)
    .bind(&q.customer_id)
    .bind(&q.scope_id)
    .bind(q.created_ms)
    .bind(q.ready_ms)
    .execute(conn)
    .await?;
    Ok(())
}

const QUERY_COLUMNS: &str = "query_id, app_id, customer_id, scope_id, created_ms, ready_ms";

/// The query with this id.
pub async fn query(conn: &mut Conn, query_id: &str) -> Result<Option<Query>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {QUERY_COLUMNS} FROM dp_queries WHERE query_id = $1"))
        .bind(query_id)
        .fetch_optional(conn)
        .await?)
}

/// The latest query of this application for this customer and scope made at or after
/// `since_ms`: within the API's five-minute window the same request gets the same answer.
pub async fn recent_query(
    conn: &mut Conn,
    app_id: &str,
    customer_id: &str,
    scope_id: &str,
    since_ms: i64,
) -> Result<Option<Query>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {QUERY_COLUMNS} FROM dp_queries WHERE app_id = $1 AND customer_id = $2 AND scope_id = $3 AND created_ms >= $4 \
         ORDER BY created_ms DESC LIMIT 1"
    ))
    .bind(app_id)
    .bind(customer_id)
    .bind(scope_id)
    .bind(since_ms)
    .fetch_optional(conn)
    .await?)
}
