//! SQS: queues, messages, FIFO deduplication records.
//!
//! A receive claims its messages in one statement on the caller's writer ([`Store::writer`]);
//! since writes are serialized (one writer connection on SQLite, the write lock on PostgreSQL),
//! two receivers can never claim the same message in the same visibility window, on one node or
//! on several.
//!
//! [`Store::writer`]: crate::Store::writer

use crate::{Conn, Query, StoreError};
use sqlx::Row;

/// A stored queue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Queue {
    /// Row id (never reused).
    pub id: i64,
    /// The owning account.
    pub account_id: String,
    /// The region.
    pub region: String,
    /// The queue name (`.fifo` included for FIFO queues).
    pub name: String,
    /// Whether it is a FIFO queue.
    #[sqlx(try_from = "crate::Flag")]
    pub fifo: bool,
    /// The settable attributes, as JSON.
    pub attributes: String,
    /// The tags, as a JSON object.
    pub tags: String,
    /// The dead-letter target of its redrive policy, if any.
    pub dlq_arn: Option<String>,
    /// When it was created.
    pub created_ms: i64,
    /// When its attributes last changed.
    pub modified_ms: i64,
    /// When it was last purged.
    pub purged_ms: Option<i64>,
}

const QUEUE_COLUMNS: &str =
    "id, account_id, region, name, fifo, attributes, tags, dlq_arn, created_ms, modified_ms, purged_ms";

/// A queue to create.
#[derive(Debug, Clone)]
pub struct NewQueue<'a> {
    /// The owning account.
    pub account_id: &'a str,
    /// The region.
    pub region: &'a str,
    /// The name.
    pub name: &'a str,
    /// Whether it is a FIFO queue.
    pub fifo: bool,
    /// The settable attributes, as JSON.
    pub attributes: &'a str,
    /// The tags, as a JSON object.
    pub tags: &'a str,
    /// The dead-letter target of its redrive policy.
    pub dlq_arn: Option<&'a str>,
    /// Now.
    pub now_ms: i64,
    /// The first FIFO sequence number minus one.
    pub first_seq: i64,
}

/// Creates a queue and returns its row id. The caller checks first that the name is free.
pub async fn insert_queue(conn: &mut Conn, q: &NewQueue<'_>) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO sqs_queues (account_id, region, name, fifo, attributes, tags, dlq_arn, created_ms, modified_ms, last_seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(q.account_id)
    .bind(q.region)
    .bind(q.name)
    .bind(i64::from(q.fifo))
    .bind(q.attributes)
    .bind(q.tags)
    .bind(q.dlq_arn)
    .bind(q.now_ms)
    .bind(q.now_ms)
    .bind(q.first_seq)
    .fetch_one(conn)
    .await?)
}

/// The queue named `name` in `account_id` and `region`.
pub async fn queue(conn: &mut Conn, account_id: &str, region: &str, name: &str) -> Result<Option<Queue>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {QUEUE_COLUMNS} FROM sqs_queues WHERE account_id = $1 AND region = $2 AND name = $3"
    ))
    .bind(account_id)
    .bind(region)
    .bind(name)
    .fetch_optional(conn)
    .await?)
}

/// Names of the queues of `account_id` in `region` that start with `prefix` and sort after
/// `after`, in name order, at most `limit`.
pub async fn queue_names(
    conn: &mut Conn,
    account_id: &str,
    region: &str,
    prefix: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    // `substr` rather than LIKE: queue names may contain `_`, a LIKE wildcard.
    Ok(sqlx::query_scalar(
        "SELECT name FROM sqs_queues WHERE account_id = $1 AND region = $2 AND substr(name, 1, length($3)) = $3 \
         AND name > $4 ORDER BY name LIMIT $5",
    )
    .bind(account_id)
    .bind(region)
    .bind(prefix)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Names of the queues in `account_id` and `region` whose dead-letter target is `dlq_arn`, after
/// `after`, in name order, at most `limit`.
pub async fn dead_letter_sources(
    conn: &mut Conn,
    account_id: &str,
    region: &str,
    dlq_arn: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT name FROM sqs_queues WHERE dlq_arn = $1 AND account_id = $2 AND region = $3 AND name > $4 \
         ORDER BY name LIMIT $5",
    )
    .bind(dlq_arn)
    .bind(account_id)
    .bind(region)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Replaces a queue's settable attributes.
pub async fn update_attributes(
    conn: &mut Conn,
    id: i64,
    attributes: &str,
    dlq_arn: Option<&str>,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sqs_queues SET attributes = $1, dlq_arn = $2, modified_ms = $3 WHERE id = $4")
        .bind(attributes)
        .bind(dlq_arn)
        .bind(now_ms)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces a queue's tags.
pub async fn update_tags(conn: &mut Conn, id: i64, tags: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE sqs_queues SET tags = $1 WHERE id = $2").bind(tags).bind(id).execute(conn).await?;
    Ok(())
}

/// Deletes a queue with its messages, remembering the name's deletion time.
pub async fn delete_queue(conn: &mut Conn, queue: &Queue, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sqs_queues WHERE id = $1").bind(queue.id).execute(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO sqs_deleted (account_id, region, name, deleted_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, region, name) DO UPDATE SET deleted_ms = excluded.deleted_ms",
    )
    .bind(&queue.account_id)
    .bind(&queue.region)
    .bind(&queue.name)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// When a queue of that name was last deleted, if one was.
pub async fn deleted_at(
    conn: &mut Conn,
    account_id: &str,
    region: &str,
    name: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar("SELECT deleted_ms FROM sqs_deleted WHERE account_id = $1 AND region = $2 AND name = $3")
        .bind(account_id)
        .bind(region)
        .bind(name)
        .fetch_optional(conn)
        .await?)
}

/// Deletes every message of the queue and records the purge time.
pub async fn purge(conn: &mut Conn, queue_id: i64, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sqs_messages WHERE queue_id = $1").bind(queue_id).execute(&mut *conn).await?;
    sqlx::query("UPDATE sqs_queues SET purged_ms = $1 WHERE id = $2").bind(now_ms).bind(queue_id).execute(conn).await?;
    Ok(())
}

/// The next FIFO sequence number of a queue.
pub async fn next_sequence(conn: &mut Conn, queue_id: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("UPDATE sqs_queues SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq")
        .bind(queue_id)
        .fetch_one(conn)
        .await?)
}

/// A message to enqueue.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// The queue.
    pub queue_id: i64,
    /// The message id (a UUID).
    pub message_id: &'a str,
    /// The body, sealed when `sealed`.
    pub body: &'a [u8],
    /// Whether the body is sealed.
    pub sealed: bool,
    /// MD5 of the plain body.
    pub md5_body: &'a str,
    /// Message attributes as JSON.
    pub attributes: Option<&'a str>,
    /// System attributes as a JSON object.
    pub system: &'a str,
    /// When it entered the queue (kept across a dead-letter move).
    pub sent_ms: i64,
    /// When it becomes receivable.
    pub visible_ms: i64,
    /// FIFO message group.
    pub group_id: Option<&'a str>,
    /// FIFO deduplication id.
    pub dedup_id: Option<&'a str>,
    /// FIFO sequence number.
    pub sequence_number: Option<&'a str>,
}

/// The columns [`bind_message`] binds, in its order.
const NEW_MESSAGE_COLUMNS: &str = "queue_id, message_id, body, sealed, md5_body, attributes, system, sent_ms, visible_ms, \
     group_id, dedup_id, sequence_number";

/// Binds one message's [`NEW_MESSAGE_COLUMNS`].
fn bind_message<'q>(query: Query<'q>, m: &NewMessage<'q>) -> Query<'q> {
    query
        .bind(m.queue_id)
        .bind(m.message_id)
        .bind(m.body)
        .bind(i64::from(m.sealed))
        .bind(m.md5_body)
        .bind(m.attributes)
        .bind(m.system)
        .bind(m.sent_ms)
        .bind(m.visible_ms)
        .bind(m.group_id)
        .bind(m.dedup_id)
        .bind(m.sequence_number)
}

/// Enqueues a message and returns its row id.
pub async fn insert_message(conn: &mut Conn, m: &NewMessage<'_>) -> Result<i64, StoreError> {
    let sql =
        format!("INSERT INTO sqs_messages ({NEW_MESSAGE_COLUMNS}) VALUES ({}) RETURNING id", crate::params(1, 12));
    Ok(bind_message(sqlx::query(&sql), m).fetch_one(conn).await?.try_get(0)?)
}

/// Enqueues messages in one statement.
pub async fn insert_messages(conn: &mut Conn, messages: &[NewMessage<'_>]) -> Result<(), StoreError> {
    if messages.is_empty() {
        return Ok(());
    }
    let sql =
        format!("INSERT INTO sqs_messages ({NEW_MESSAGE_COLUMNS}) VALUES {}", crate::param_rows(1, messages.len(), 12));
    let mut q = sqlx::query(&sql);
    for m in messages {
        q = bind_message(q, m);
    }
    q.execute(conn).await?;
    Ok(())
}

/// The message and sequence number first sent under a deduplication key, while its five
/// minutes last; expired records of the queue are dropped on the way.
pub async fn dedup_lookup(
    conn: &mut Conn,
    queue_id: i64,
    key: &str,
    now_ms: i64,
) -> Result<Option<(String, String)>, StoreError> {
    sqlx::query("DELETE FROM sqs_dedup WHERE queue_id = $1 AND expires_ms <= $2")
        .bind(queue_id)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_as("SELECT message_id, sequence_number FROM sqs_dedup WHERE queue_id = $1 AND dedup_key = $2")
        .bind(queue_id)
        .bind(key)
        .fetch_optional(conn)
        .await?)
}

/// Records a deduplication key until `expires_ms`.
pub async fn dedup_insert(
    conn: &mut Conn,
    queue_id: i64,
    key: &str,
    message_id: &str,
    sequence_number: &str,
    expires_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sqs_dedup (queue_id, dedup_key, message_id, sequence_number, expires_ms) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (queue_id, dedup_key) DO UPDATE SET message_id = excluded.message_id, \
         sequence_number = excluded.sequence_number, expires_ms = excluded.expires_ms",
    )
    .bind(queue_id)
    .bind(key)
    .bind(message_id)
    .bind(sequence_number)
    .bind(expires_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// A message as a receive hands it out.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    /// Row id (never reused).
    pub id: i64,
    /// The message id.
    pub message_id: String,
    /// The body, sealed when `sealed`.
    pub body: Vec<u8>,
    /// Whether the body is sealed.
    #[sqlx(try_from = "crate::Flag")]
    pub sealed: bool,
    /// MD5 of the plain body.
    pub md5_body: String,
    /// Message attributes as JSON.
    pub attributes: Option<String>,
    /// System attributes as a JSON object.
    pub system: String,
    /// When it entered the queue.
    pub sent_ms: i64,
    /// Receives so far, this one included.
    pub receive_count: i64,
    /// When it was first received.
    pub first_receive_ms: Option<i64>,
    /// FIFO message group.
    pub group_id: Option<String>,
    /// FIFO deduplication id.
    pub dedup_id: Option<String>,
    /// FIFO sequence number.
    pub sequence_number: Option<String>,
}

const MESSAGE_COLUMNS: &str = "id, message_id, body, sealed, md5_body, attributes, system, sent_ms, receive_count, \
                               first_receive_ms, group_id, dedup_id, sequence_number";

/// Drops the queue's messages that entered it at or before `cutoff_ms` (past their retention).
pub async fn expire(conn: &mut Conn, queue_id: i64, cutoff_ms: i64) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM sqs_messages WHERE queue_id = $1 AND sent_ms <= $2")
        .bind(queue_id)
        .bind(cutoff_ms)
        .execute(conn)
        .await?
        .rows_affected())
}

/// What a receive asks for.
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    /// The queue.
    pub queue_id: i64,
    /// FIFO: one group at a time, in order, and no group with a message in flight.
    pub fifo: bool,
    /// Now.
    pub now_ms: i64,
    /// Messages that entered the queue at or before this are expired and never handed out.
    pub cutoff_ms: i64,
    /// The claimed messages stay invisible until then.
    pub visible_until_ms: i64,
    /// At most this many.
    pub limit: i64,
}

/// Claims up to `limit` receivable messages: each becomes invisible until `visible_until_ms`
/// and its receive count goes up by one. Run it inside a write transaction.
pub async fn claim(conn: &mut Conn, c: &Claim) -> Result<Vec<Message>, StoreError> {
    // A FIFO group is blocked while any of its messages is in flight, or an earlier one is not
    // yet visible; within a group, messages go out in the order they were sent.
    let pick = if c.fifo {
        "SELECT m.id FROM sqs_messages m WHERE m.queue_id = $1 AND m.visible_ms <= $2 AND m.sent_ms > $3 \
         AND NOT EXISTS (SELECT 1 FROM sqs_messages b WHERE b.queue_id = $1 AND b.group_id = m.group_id \
                         AND b.visible_ms > $2 AND b.sent_ms > $3 AND (b.receive_count > 0 OR b.id < m.id)) \
         ORDER BY m.id LIMIT $5"
    } else {
        "SELECT id FROM sqs_messages WHERE queue_id = $1 AND visible_ms <= $2 AND sent_ms > $3 \
         ORDER BY visible_ms LIMIT $5"
    };
    let mut claimed: Vec<Message> = sqlx::query_as(&format!(
        "UPDATE sqs_messages SET visible_ms = $4, receive_count = receive_count + 1, \
         first_receive_ms = COALESCE(first_receive_ms, $2), received_ms = $2 WHERE id IN ({pick}) \
         RETURNING {MESSAGE_COLUMNS}"
    ))
    .bind(c.queue_id)
    .bind(c.now_ms)
    .bind(c.cutoff_ms)
    .bind(c.visible_until_ms)
    .bind(c.limit)
    .fetch_all(conn)
    .await?;
    // RETURNING comes back in no promised order; hand them out in queue order.
    claimed.sort_by_key(|m| m.id);
    Ok(claimed)
}

/// Moves up to `limit` receivable messages that have been received `max_receive_count` times
/// already from `queue_id` to `dlq_id`: they keep their id, body, attributes and age, start over
/// with no receives, and record `source_arn`. Returns how many moved.
pub async fn redrive(
    conn: &mut Conn,
    c: &Claim,
    max_receive_count: i64,
    dlq_id: i64,
    source_arn: &str,
) -> Result<u64, StoreError> {
    let system = match crate::Backend::of(conn) {
        crate::Backend::Sqlite => "json_set(system, '$.DeadLetterQueueSourceArn', $2)",
        crate::Backend::Postgres => "jsonb_set(system::jsonb, '{DeadLetterQueueSourceArn}', to_jsonb($2::text))::text",
    };
    let moved = sqlx::query(&format!(
        "INSERT INTO sqs_messages (queue_id, message_id, body, sealed, md5_body, attributes, system, sent_ms, visible_ms, \
         group_id, dedup_id, sequence_number) \
         SELECT $1, message_id, body, sealed, md5_body, attributes, {system}, sent_ms, $3, group_id, dedup_id, sequence_number \
         FROM sqs_messages WHERE queue_id = $4 AND visible_ms <= $3 AND receive_count >= $5 AND sent_ms > $6 \
         ORDER BY id LIMIT $7",
    ))
    .bind(dlq_id)
    .bind(source_arn)
    .bind(c.now_ms)
    .bind(c.queue_id)
    .bind(max_receive_count)
    .bind(c.cutoff_ms)
    .bind(c.limit)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if moved > 0 {
        sqlx::query(
            "DELETE FROM sqs_messages WHERE id IN (SELECT id FROM sqs_messages WHERE queue_id = $1 AND visible_ms <= $2 \
             AND receive_count >= $3 AND sent_ms > $4 ORDER BY id LIMIT $5)",
        )
        .bind(c.queue_id)
        .bind(c.now_ms)
        .bind(max_receive_count)
        .bind(c.cutoff_ms)
        .bind(c.limit)
        .execute(conn)
        .await?;
    }
    Ok(moved)
}

/// When the next message of the queue that is now invisible becomes receivable (the end of a
/// delay or of a visibility timeout).
pub async fn next_visible(conn: &mut Conn, queue_id: i64, now_ms: i64) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar("SELECT MIN(visible_ms) FROM sqs_messages WHERE queue_id = $1 AND visible_ms > $2")
        .bind(queue_id)
        .bind(now_ms)
        .fetch_one(conn)
        .await?)
}

/// The Approximate* counts of a queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Counts {
    /// Receivable now.
    pub visible: i64,
    /// In flight: received and not yet visible again.
    pub not_visible: i64,
    /// Delayed: never received and not yet visible.
    pub delayed: i64,
}

/// Counts the queue's unexpired messages by state.
pub async fn counts(conn: &mut Conn, queue_id: i64, now_ms: i64, cutoff_ms: i64) -> Result<Counts, StoreError> {
    Ok(sqlx::query_as(
        "SELECT COUNT(CASE WHEN visible_ms <= $2 THEN 1 END) AS visible, \
                COUNT(CASE WHEN visible_ms > $2 AND receive_count > 0 THEN 1 END) AS not_visible, \
                COUNT(CASE WHEN visible_ms > $2 AND receive_count = 0 THEN 1 END) AS delayed \
         FROM sqs_messages WHERE queue_id = $1 AND sent_ms > $3",
    )
    .bind(queue_id)
    .bind(now_ms)
    .bind(cutoff_ms)
    .fetch_one(conn)
    .await?)
}

/// A message's receive state, as receipt handles are checked against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct ReceiveState {
    /// Receives so far.
    pub receive_count: i64,
    /// When it is next receivable.
    pub visible_ms: i64,
    /// When the current receive happened.
    pub received_ms: Option<i64>,
}

/// The receive state of message row `id` of the queue.
pub async fn receive_state(conn: &mut Conn, queue_id: i64, id: i64) -> Result<Option<ReceiveState>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT receive_count, visible_ms, received_ms FROM sqs_messages WHERE id = $1 AND queue_id = $2",
    )
    .bind(id)
    .bind(queue_id)
    .fetch_optional(conn)
    .await?)
}

/// Deletes message row `id` of the queue.
pub async fn delete_message(conn: &mut Conn, queue_id: i64, id: i64) -> Result<bool, StoreError> {
    Ok(sqlx::query("DELETE FROM sqs_messages WHERE id = $1 AND queue_id = $2")
        .bind(id)
        .bind(queue_id)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}

/// Deletes the messages of the queue named by (row id, receive count), in one statement: a
/// message received again since (another count) stays. Returns how many went.
pub async fn delete_received(conn: &mut Conn, queue_id: i64, receipts: &[(i64, i64)]) -> Result<u64, StoreError> {
    if receipts.is_empty() {
        return Ok(0);
    }
    // `id IN (…)` lets SQLite go straight to the rows; the pairs then check the receive counts.
    let n = receipts.len();
    let sql = format!(
        "DELETE FROM sqs_messages WHERE queue_id = $1 AND id IN ({}) AND (id, receive_count) IN (VALUES {})",
        crate::params(2, n),
        crate::param_rows(2 + n, n, 2)
    );
    let mut q = sqlx::query(&sql).bind(queue_id);
    for (id, _) in receipts {
        q = q.bind(*id);
    }
    for (id, count) in receipts {
        q = q.bind(*id).bind(*count);
    }
    Ok(q.execute(conn).await?.rows_affected())
}

/// Sets when message row `id` of the queue becomes receivable again.
pub async fn set_visible(conn: &mut Conn, queue_id: i64, id: i64, visible_ms: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE sqs_messages SET visible_ms = $1 WHERE id = $2 AND queue_id = $3")
        .bind(visible_ms)
        .bind(id)
        .bind(queue_id)
        .execute(conn)
        .await?;
    Ok(())
}
