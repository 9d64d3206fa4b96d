//! SNS: topics, subscriptions, confirmation tokens (as keyed hashes), tags, and the store's
//! signing key (sealed by the caller before it gets here).

use crate::{Conn, StoreError};

/// A topic.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Topic {
    /// The topic's ARN.
    pub arn: String,
    /// The owner.
    pub account_id: String,
    /// The region.
    pub region: String,
    /// The name.
    pub name: String,
    /// JSON object of the attributes a caller set.
    pub attributes: String,
    /// How many subscriptions were deleted (`SubscriptionsDeleted`).
    pub subscriptions_deleted: i64,
    /// When it was created.
    pub created_ms: i64,
}

/// A subscription.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subscription {
    /// The subscription's ARN.
    pub arn: String,
    /// Its topic.
    pub topic_arn: String,
    /// The account that subscribed.
    pub owner: String,
    /// The topic's region.
    pub region: String,
    /// `email`, `email-json`, `sms`, `http`, `https` or `sqs`.
    pub protocol: String,
    /// The address, number, URL or queue ARN.
    pub endpoint: String,
    /// Whether it was confirmed.
    #[sqlx(try_from = "crate::Flag")]
    pub confirmed: bool,
    /// Whether the confirmation was authenticated (then unsubscribing must be too).
    #[sqlx(try_from = "crate::Flag")]
    pub authenticated: bool,
    /// JSON object of its attributes.
    pub attributes: String,
    /// When it was created.
    pub created_ms: i64,
}

/// Creates a topic; `false` if one with that ARN exists.
pub async fn create_topic(conn: &mut Conn, topic: &Topic) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO sns_topics (arn, account_id, region, name, attributes, created_ms) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&topic.arn)
    .bind(&topic.account_id)
    .bind(&topic.region)
    .bind(&topic.name)
    .bind(&topic.attributes)
    .bind(topic.created_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A topic by ARN.
pub async fn topic(conn: &mut Conn, arn: &str) -> Result<Option<Topic>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT arn, account_id, region, name, attributes, subscriptions_deleted, created_ms FROM sns_topics WHERE arn = $1",
    )
    .bind(arn)
    .fetch_optional(conn)
    .await?)
}

/// The ARNs of an account's topics in a region that sort after `after`, at most `limit`.
pub async fn list_topics(
    conn: &mut Conn,
    account_id: &str,
    region: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT arn FROM sns_topics WHERE account_id = $1 AND region = $2 AND arn > $3 ORDER BY arn LIMIT $4",
    )
    .bind(account_id)
    .bind(region)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Replaces a topic's attributes.
pub async fn set_topic_attributes(conn: &mut Conn, arn: &str, attributes: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE sns_topics SET attributes = $1 WHERE arn = $2")
        .bind(attributes)
        .bind(arn)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a topic with its subscriptions and tags; `false` if it did not exist.
pub async fn delete_topic(conn: &mut Conn, arn: &str) -> Result<bool, StoreError> {
    sqlx::query(
        "DELETE FROM sns_tags WHERE arn = $1 OR arn IN (SELECT arn FROM sns_subscriptions WHERE topic_arn = $2)",
    )
    .bind(arn)
    .bind(arn)
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query("DELETE FROM sns_topics WHERE arn = $1").bind(arn).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

const SUBSCRIPTION_COLUMNS: &str =
    "arn, topic_arn, owner, region, protocol, endpoint, confirmed, authenticated, attributes, created_ms";

/// Creates a subscription.
pub async fn insert_subscription(conn: &mut Conn, s: &Subscription) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO sns_subscriptions ({SUBSCRIPTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&s.arn)
    .bind(&s.topic_arn)
    .bind(&s.owner)
    .bind(&s.region)
    .bind(&s.protocol)
    .bind(&s.endpoint)
    .bind(i64::from(s.confirmed))
    .bind(i64::from(s.authenticated))
    .bind(&s.attributes)
    .bind(s.created_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// A subscription by ARN.
pub async fn subscription(conn: &mut Conn, arn: &str) -> Result<Option<Subscription>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {SUBSCRIPTION_COLUMNS} FROM sns_subscriptions WHERE arn = $1"))
        .bind(arn)
        .fetch_optional(conn)
        .await?)
}

/// The subscription of a topic to an endpoint over a protocol, if there is one.
pub async fn find_subscription(
    conn: &mut Conn,
    topic_arn: &str,
    protocol: &str,
    endpoint: &str,
) -> Result<Option<Subscription>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM sns_subscriptions WHERE topic_arn = $1 AND protocol = $2 AND endpoint = $3"
    ))
    .bind(topic_arn)
    .bind(protocol)
    .bind(endpoint)
    .fetch_optional(conn)
    .await?)
}

/// A topic's subscriptions that sort after `after` (by ARN), at most `limit`.
pub async fn topic_subscriptions(
    conn: &mut Conn,
    topic_arn: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<Subscription>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM sns_subscriptions WHERE topic_arn = $1 AND arn > $2 ORDER BY arn LIMIT $3"
    ))
    .bind(topic_arn)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// An account's subscriptions in a region that sort after `after` (by ARN), at most `limit`.
pub async fn owner_subscriptions(
    conn: &mut Conn,
    owner: &str,
    region: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<Subscription>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM sns_subscriptions WHERE owner = $1 AND region = $2 AND arn > $3 \
         ORDER BY arn LIMIT $4"
    ))
    .bind(owner)
    .bind(region)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// (confirmed, pending) subscription counts of a topic.
pub async fn subscription_counts(conn: &mut Conn, topic_arn: &str) -> Result<(i64, i64), StoreError> {
    Ok(sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(confirmed), 0) AS BIGINT), CAST(COALESCE(SUM(1 - confirmed), 0) AS BIGINT) \
         FROM sns_subscriptions WHERE topic_arn = $1",
    )
    .bind(topic_arn)
    .fetch_one(conn)
    .await?)
}

/// Marks a subscription confirmed.
pub async fn confirm(conn: &mut Conn, arn: &str, authenticated: bool) -> Result<(), StoreError> {
    sqlx::query("UPDATE sns_subscriptions SET confirmed = 1, authenticated = $1 WHERE arn = $2")
        .bind(i64::from(authenticated))
        .bind(arn)
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces a subscription's attributes.
pub async fn set_subscription_attributes(conn: &mut Conn, arn: &str, attributes: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE sns_subscriptions SET attributes = $1 WHERE arn = $2")
        .bind(attributes)
        .bind(arn)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a subscription (its tokens go with it) and counts it on its topic; `false` if there
/// was none.
pub async fn delete_subscription(conn: &mut Conn, arn: &str) -> Result<bool, StoreError> {
    let topic: Option<String> = sqlx::query_scalar("DELETE FROM sns_subscriptions WHERE arn = $1 RETURNING topic_arn")
        .bind(arn)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(topic) = topic else { return Ok(false) };
    sqlx::query("UPDATE sns_topics SET subscriptions_deleted = subscriptions_deleted + 1 WHERE arn = $1")
        .bind(topic)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM sns_tags WHERE arn = $1").bind(arn).execute(conn).await?;
    Ok(true)
}

/// Keeps a confirmation token's keyed hash for a subscription until `expires_ms`.
pub async fn insert_token(
    conn: &mut Conn,
    mac: &[u8],
    subscription_arn: &str,
    expires_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO sns_tokens (mac, subscription_arn, expires_ms) VALUES ($1, $2, $3)")
        .bind(mac)
        .bind(subscription_arn)
        .bind(expires_ms)
        .execute(conn)
        .await?;
    Ok(())
}

/// The subscription a token (by keyed hash) confirms, unless it expired before `now_ms`.
pub async fn token_subscription(conn: &mut Conn, mac: &[u8], now_ms: i64) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT subscription_arn FROM sns_tokens WHERE mac = $1 AND expires_ms > $2")
        .bind(mac)
        .bind(now_ms)
        .fetch_optional(conn)
        .await?)
}

/// Forgets tokens that expired before `now_ms`.
pub async fn purge_tokens(conn: &mut Conn, now_ms: i64) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM sns_tokens WHERE expires_ms <= $1").bind(now_ms).execute(conn).await?.rows_affected())
}

/// The store's signing key (sealed) and certificate (PEM), once made.
pub async fn signing_key(conn: &mut Conn) -> Result<Option<(Vec<u8>, String)>, StoreError> {
    Ok(sqlx::query_as("SELECT key_sealed, cert_pem FROM sns_signing WHERE id = 1").fetch_optional(conn).await?)
}

/// Keeps a signing key unless another one was kept first (another node may race); returns the
/// one kept.
pub async fn put_signing_key(
    conn: &mut Conn,
    key_sealed: &[u8],
    cert_pem: &str,
    now_ms: i64,
) -> Result<(Vec<u8>, String), StoreError> {
    sqlx::query(
        "INSERT INTO sns_signing (id, key_sealed, cert_pem, created_ms) VALUES (1, $1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(key_sealed)
    .bind(cert_pem)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    signing_key(conn).await?.ok_or_else(|| StoreError::Corrupt("the signing key vanished".into()))
}
