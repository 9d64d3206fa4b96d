//! CloudWatch Logs state: log groups, log streams and their events (messages sealed by the
//! caller). Lists come back in CloudWatch Logs' order: groups and streams by name, events by
//! timestamp then arrival.

use crate::{Conn, Scope, StoreError};

/// A log group.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Group {
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created_ms: i64,
    /// Days its events are kept; `None` for ever.
    pub retention_days: Option<i64>,
    /// The KMS key named at creation.
    pub kms_key_id: Option<String>,
    /// `STANDARD`, `INFREQUENT_ACCESS` or `DELIVERY`.
    pub class: String,
    /// Its tags, a JSON object.
    pub tags: String,
    /// Bytes of events stored in its streams.
    pub stored_bytes: i64,
}

/// A log stream.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stream {
    /// Its row id (events point at it).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created_ms: i64,
    /// The earliest event's timestamp.
    pub first_event_ms: Option<i64>,
    /// The latest event's timestamp.
    pub last_event_ms: Option<i64>,
    /// When an event last arrived.
    pub last_ingestion_ms: Option<i64>,
    /// Bytes of events stored.
    pub stored_bytes: i64,
}

/// An event as stored: the message still sealed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    /// Its row id (its place among events of the same timestamp).
    pub id: i64,
    /// The stream it belongs to.
    pub stream_id: i64,
    /// The event's own time.
    pub timestamp_ms: i64,
    /// When it arrived.
    pub ingestion_ms: i64,
    /// The sealed message.
    pub message: Vec<u8>,
}

const GROUP_COLUMNS: &str = "g.name, g.created_ms, g.retention_days, g.kms_key_id, g.class, g.tags, \
     (SELECT CAST(COALESCE(SUM(s.stored_bytes), 0) AS BIGINT) FROM logs_streams s WHERE s.account_id = g.account_id \
      AND s.region = g.region AND s.group_name = g.name) AS stored_bytes";

/// Creates a group; `false` when one of that name exists.
pub async fn insert_group(conn: &mut Conn, scope: Scope<'_>, g: &Group) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO logs_groups (account_id, region, name, created_ms, retention_days, kms_key_id, class, tags) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(&g.name)
    .bind(g.created_ms)
    .bind(g.retention_days)
    .bind(&g.kms_key_id)
    .bind(&g.class)
    .bind(&g.tags)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The group `name`.
pub async fn group(conn: &mut Conn, scope: Scope<'_>, name: &str) -> Result<Option<Group>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {GROUP_COLUMNS} FROM logs_groups g WHERE g.account_id = $1 AND g.region = $2 AND g.name = $3"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .fetch_optional(conn)
    .await?)
}

/// Groups whose name starts with `prefix`, after `after` (exclusive), by name, at most `limit`.
pub async fn groups(
    conn: &mut Conn,
    scope: Scope<'_>,
    prefix: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<Group>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {GROUP_COLUMNS} FROM logs_groups g WHERE g.account_id = $1 AND g.region = $2 \
         AND substr(g.name, 1, length($3)) = $3 AND g.name > $4 ORDER BY g.name LIMIT $5"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(prefix)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Deletes the group `name` with its streams and events; `false` when there is none.
pub async fn delete_group(conn: &mut Conn, scope: Scope<'_>, name: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM logs_groups WHERE account_id = $1 AND region = $2 AND name = $3")
        .bind(scope.account_id)
        .bind(scope.region)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets (or with `None` removes) the group's retention.
pub async fn set_retention(
    conn: &mut Conn,
    scope: Scope<'_>,
    name: &str,
    days: Option<i64>,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE logs_groups SET retention_days = $1 WHERE account_id = $2 AND region = $3 AND name = $4")
            .bind(days)
            .bind(scope.account_id)
            .bind(scope.region)
            .bind(name)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the group's events older than `before_ms`, and corrects its streams' figures.
pub async fn expire(conn: &mut Conn, scope: Scope<'_>, group: &str, before_ms: i64) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "DELETE FROM logs_events WHERE timestamp_ms < $1 AND stream_id IN \
         (SELECT id FROM logs_streams WHERE account_id = $2 AND region = $3 AND group_name = $4)",
    )
    .bind(before_ms)
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(group)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() > 0 {
        sqlx::query(
            "UPDATE logs_streams SET \
             stored_bytes = (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM logs_events e WHERE e.stream_id = logs_streams.id), \
             first_event_ms = (SELECT MIN(timestamp_ms) FROM logs_events e WHERE e.stream_id = logs_streams.id) \
             WHERE account_id = $1 AND region = $2 AND group_name = $3",
        )
        .bind(scope.account_id)
        .bind(scope.region)
        .bind(group)
        .execute(conn)
        .await?;
    }
    Ok(done.rows_affected())
}

const STREAM_COLUMNS: &str = "id, name, created_ms, first_event_ms, last_event_ms, last_ingestion_ms, stored_bytes";

/// Creates a stream in `group`; `false` when one of that name exists there.
pub async fn insert_stream(
    conn: &mut Conn,
    scope: Scope<'_>,
    group: &str,
    name: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO logs_streams (account_id, region, group_name, name, created_ms) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT DO NOTHING",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(group)
    .bind(name)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The stream `name` of `group`.
pub async fn stream(conn: &mut Conn, scope: Scope<'_>, group: &str, name: &str) -> Result<Option<Stream>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {STREAM_COLUMNS} FROM logs_streams WHERE account_id = $1 AND region = $2 AND group_name = $3 AND name = $4"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(group)
    .bind(name)
    .fetch_optional(conn)
    .await?)
}

/// Every stream of `group` whose name starts with `prefix`, by name.
pub async fn streams(conn: &mut Conn, scope: Scope<'_>, group: &str, prefix: &str) -> Result<Vec<Stream>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {STREAM_COLUMNS} FROM logs_streams WHERE account_id = $1 AND region = $2 AND group_name = $3 \
         AND substr(name, 1, length($4)) = $4 ORDER BY name"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(group)
    .bind(prefix)
    .fetch_all(conn)
    .await?)
}

/// Deletes a stream with its events; `false` when there is none.
pub async fn delete_stream(conn: &mut Conn, scope: Scope<'_>, group: &str, name: &str) -> Result<bool, StoreError> {
    let done =
        sqlx::query("DELETE FROM logs_streams WHERE account_id = $1 AND region = $2 AND group_name = $3 AND name = $4")
            .bind(scope.account_id)
            .bind(scope.region)
            .bind(group)
            .bind(name)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The next event id (events are sealed bound to their id before they are inserted).
pub async fn next_event_id(conn: &mut Conn) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM logs_events").fetch_one(conn).await?)
}

/// Appends an event with id `id` (from [`next_event_id`], in the same transaction).
pub async fn insert_event(conn: &mut Conn, e: &Event, size: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO logs_events (id, stream_id, timestamp_ms, ingestion_ms, size, message) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(e.id)
    .bind(e.stream_id)
    .bind(e.timestamp_ms)
    .bind(e.ingestion_ms)
    .bind(size)
    .bind(&e.message)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a batch put to a stream: its first and last timestamps, arrival time and bytes.
pub async fn note_batch(
    conn: &mut Conn,
    stream_id: i64,
    first_ms: i64,
    last_ms: i64,
    now_ms: i64,
    bytes: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE logs_streams SET \
         first_event_ms = CASE WHEN first_event_ms IS NULL OR first_event_ms > $1 THEN $1 ELSE first_event_ms END, \
         last_event_ms = CASE WHEN last_event_ms IS NULL OR last_event_ms < $2 THEN $2 ELSE last_event_ms END, \
         last_ingestion_ms = $3, stored_bytes = stored_bytes + $4 WHERE id = $5",
    )
    .bind(first_ms)
    .bind(last_ms)
    .bind(now_ms)
    .bind(bytes)
    .bind(stream_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Which events to read.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Only events at or after this time.
    pub start_ms: i64,
    /// Only events before this time.
    pub end_ms: i64,
    /// Only events after this position (timestamp, id), exclusive.
    pub after: (i64, i64),
    /// Only events before this position, exclusive.
    pub before: (i64, i64),
    /// At most this many.
    pub limit: i64,
    /// From the newest down (then the caller reverses them), rather than from the oldest up.
    pub newest_first: bool,
}

/// Events of the streams `stream_ids` in `w`, by (timestamp, id) (or the reverse).
pub async fn events(conn: &mut Conn, stream_ids: &[i64], w: Window) -> Result<Vec<Event>, StoreError> {
    if stream_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = stream_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let order = if w.newest_first { "DESC" } else { "ASC" };
    Ok(sqlx::query_as(&format!(
        "SELECT id, stream_id, timestamp_ms, ingestion_ms, message FROM logs_events \
         WHERE stream_id IN ({ids}) AND timestamp_ms >= $1 AND timestamp_ms < $2 \
         AND (timestamp_ms, id) > ($3, $4) AND (timestamp_ms, id) < ($5, $6) \
         ORDER BY timestamp_ms {order}, id {order} LIMIT $7"
    ))
    .bind(w.start_ms)
    .bind(w.end_ms)
    .bind(w.after.0)
    .bind(w.after.1)
    .bind(w.before.0)
    .bind(w.before.1)
    .bind(w.limit)
    .fetch_all(conn)
    .await?)
}
