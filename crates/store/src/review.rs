//! The review engine's repository: reviews, their steps, history, case messages, sealed
//! documents, security findings and collaborators. The sandbox owns the state machine; this
//! module only stores what it decides. JSON columns and sealed blobs pass through unread.

use crate::{Conn, StoreError};

/// A review (a case): the developer registration, an app listing or an onboarding request.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Review {
    /// Its id.
    pub review_id: String,
    /// `registration`, `listing` or `onboarding`.
    pub kind: String,
    /// The developer or app it is about.
    pub subject: String,
    /// `InProgress`, `Completed`, `Denied`, `Withdrawn` or `Closed`.
    pub status: String,
    /// Kind-specific data, JSON.
    pub data: String,
    /// When it was opened.
    pub created_ms: i64,
    /// When it last changed.
    pub updated_ms: i64,
}

const REVIEW_COLUMNS: &str = "review_id, kind, subject, status, data, created_ms, updated_ms";

/// Inserts or replaces a review's row.
pub async fn put_review(conn: &mut Conn, r: &Review) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO reviews (review_id, kind, subject, status, data, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (review_id) DO UPDATE SET status = excluded.status, data = excluded.data, updated_ms = excluded.updated_ms",
    )
    .bind(&r.review_id)
    .bind(&r.kind)
    .bind(&r.subject)
    .bind(&r.status)
    .bind(&r.data)
    .bind(r.created_ms)
    .bind(r.updated_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The review with this id.
pub async fn review(conn: &mut Conn, review_id: &str) -> Result<Option<Review>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {REVIEW_COLUMNS} FROM reviews WHERE review_id = $1"))
        .bind(review_id)
        .fetch_optional(conn)
        .await?)
}

/// The reviews of `kind` (about `subject` if given), oldest first.
pub async fn reviews(conn: &mut Conn, kind: &str, subject: Option<&str>) -> Result<Vec<Review>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {REVIEW_COLUMNS} FROM reviews WHERE kind = $1 AND ($2 IS NULL OR subject = $2) ORDER BY created_ms, review_id"
    ))
    .bind(kind)
    .bind(subject)
    .fetch_all(conn)
    .await?)
}

/// One step of a review.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Step {
    /// The review.
    pub review_id: String,
    /// The step's name.
    pub step: String,
    /// Its place in the review.
    pub position: i64,
    /// Its state.
    pub state: String,
    /// Who owes the next move: `amazon`, `developer` or `none`.
    pub owner: String,
    /// When that move is due.
    pub due_ms: Option<i64>,
    /// When the developer last submitted it.
    pub submitted_ms: Option<i64>,
    /// The latest submission, sealed.
    pub submission: Option<Vec<u8>>,
    /// What Amazon's side last told the developer.
    pub message: Option<String>,
    /// Whether Amazon missed the due date.
    #[sqlx(try_from = "crate::Flag")]
    pub breached: bool,
    /// When it last changed.
    pub updated_ms: i64,
}

const STEP_COLUMNS: &str =
    "review_id, step, position, state, owner, due_ms, submitted_ms, submission, message, breached, updated_ms";

/// Inserts or replaces a step.
pub async fn put_step(conn: &mut Conn, s: &Step) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO review_steps ({STEP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (review_id, step) DO UPDATE SET position = excluded.position, state = excluded.state, \
         owner = excluded.owner, due_ms = excluded.due_ms, submitted_ms = excluded.submitted_ms, \
         submission = excluded.submission, message = excluded.message, breached = excluded.breached, \
         updated_ms = excluded.updated_ms"
    ))
    .bind(&s.review_id)
    .bind(&s.step)
    .bind(s.position)
    .bind(&s.state)
    .bind(&s.owner)
    .bind(s.due_ms)
    .bind(s.submitted_ms)
    .bind(&s.submission)
    .bind(&s.message)
    .bind(i64::from(s.breached))
    .bind(s.updated_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// A review's steps, in order.
pub async fn steps(conn: &mut Conn, review_id: &str) -> Result<Vec<Step>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {STEP_COLUMNS} FROM review_steps WHERE review_id = $1 ORDER BY position"))
        .bind(review_id)
        .fetch_all(conn)
        .await?)
}

/// Marks a step's SLA breached, if it still owes Amazon's move due at `due_ms`; returns whether
/// it did (a step already breached, moved on or given a new date is left alone).
pub async fn mark_breached(conn: &mut Conn, review_id: &str, step: &str, due_ms: i64) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE review_steps SET breached = 1 WHERE review_id = $1 AND step = $2 AND owner = 'amazon' AND due_ms = $3 \
         AND breached = 0",
    )
    .bind(review_id)
    .bind(step)
    .bind(due_ms)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// How many steps have had an SLA breached.
pub async fn breached_count(conn: &mut Conn) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM review_steps WHERE breached = 1").fetch_one(conn).await?)
}

/// An entry of a review's history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    /// When.
    pub at_ms: i64,
    /// The step, if the entry is about one.
    pub step: Option<String>,
    /// `developer`, `amazon` or `clock`.
    pub actor: String,
    /// What happened.
    pub action: String,
    /// The step's state afterwards.
    pub state: Option<String>,
    /// What the developer is told.
    pub message: Option<String>,
}

/// Appends to a review's history.
pub async fn add_event(conn: &mut Conn, review_id: &str, e: &Event) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO review_history (review_id, at_ms, step, actor, action, state, message) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(review_id)
    .bind(e.at_ms)
    .bind(&e.step)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.state)
    .bind(&e.message)
    .execute(conn)
    .await?;
    Ok(())
}

/// A review's history, oldest first.
pub async fn history(conn: &mut Conn, review_id: &str) -> Result<Vec<Event>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT at_ms, step, actor, action, state, message FROM review_history WHERE review_id = $1 ORDER BY id",
    )
    .bind(review_id)
    .fetch_all(conn)
    .await?)
}

/// A message on a review's case or TPS consultation thread.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    /// Its id.
    pub id: i64,
    /// `case` or `consultation`.
    pub thread: String,
    /// `developer` or `amazon`.
    pub author: String,
    /// The text.
    pub body: String,
    /// When it was written.
    pub at_ms: i64,
    /// A developer's message: when Amazon must answer by.
    pub due_ms: Option<i64>,
    /// When Amazon answered it.
    pub answered_ms: Option<i64>,
}

/// Adds a message; an answer from Amazon settles the thread's unanswered developer messages.
/// Returns its id.
pub async fn add_message(
    conn: &mut Conn,
    review_id: &str,
    thread: &str,
    author: &str,
    body: &str,
    due_ms: Option<i64>,
    now_ms: i64,
) -> Result<i64, StoreError> {
    if author == "amazon" {
        sqlx::query(
            "UPDATE review_messages SET answered_ms = $1 WHERE review_id = $2 AND thread = $3 AND author = 'developer' \
             AND answered_ms IS NULL",
        )
        .bind(now_ms)
        .bind(review_id)
        .bind(thread)
        .execute(&mut *conn)
        .await?;
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO review_messages (review_id, thread, author, body, at_ms, due_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(review_id)
    .bind(thread)
    .bind(author)
    .bind(body)
    .bind(now_ms)
    .bind(due_ms)
    .fetch_one(conn)
    .await?)
}

/// A review's messages, oldest first.
pub async fn messages(conn: &mut Conn, review_id: &str) -> Result<Vec<Message>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, thread, author, body, at_ms, due_ms, answered_ms FROM review_messages WHERE review_id = $1 ORDER BY id",
    )
    .bind(review_id)
    .fetch_all(conn)
    .await?)
}

/// A submitted document; the file itself is sealed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Document {
    /// Its id.
    pub document_id: String,
    /// The review it belongs to.
    pub review_id: String,
    /// What it is (`business-license`, `photo-id`, ...).
    pub kind: String,
    /// The file name given.
    pub file_name: String,
    /// Its media type, as detected.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// When it was uploaded.
    pub created_ms: i64,
}

/// Stores a document with its sealed content.
pub async fn insert_document(conn: &mut Conn, d: &Document, sealed: &[u8]) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO review_documents (document_id, review_id, kind, file_name, content_type, size, sha256, sealed, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&d.document_id)
    .bind(&d.review_id)
    .bind(&d.kind)
    .bind(&d.file_name)
    .bind(&d.content_type)
    .bind(d.size)
    .bind(&d.sha256)
    .bind(sealed)
    .bind(d.created_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// A review's documents (without their content), oldest first.
pub async fn documents(conn: &mut Conn, review_id: &str) -> Result<Vec<Document>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT document_id, review_id, kind, file_name, content_type, size, sha256, created_ms FROM review_documents \
         WHERE review_id = $1 ORDER BY created_ms, document_id",
    )
    .bind(review_id)
    .fetch_all(conn)
    .await?)
}

/// Deletes a review's documents of `kind` (a listing's logo, replaced by a new one).
pub async fn delete_documents(conn: &mut Conn, review_id: &str, kind: &str) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM review_documents WHERE review_id = $1 AND kind = $2")
        .bind(review_id)
        .bind(kind)
        .execute(conn)
        .await?
        .rows_affected())
}

/// A document's sealed content.
pub async fn document_content(conn: &mut Conn, document_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(sqlx::query_scalar("SELECT sealed FROM review_documents WHERE document_id = $1")
        .bind(document_id)
        .fetch_optional(conn)
        .await?)
}

/// Deletes every document of a review (and the sealed submissions of its steps): personal data
/// does not outlive a withdrawn or closed request. Returns how many documents went.
pub async fn purge_personal_data(conn: &mut Conn, review_id: &str) -> Result<u64, StoreError> {
    sqlx::query("UPDATE review_steps SET submission = NULL WHERE review_id = $1")
        .bind(review_id)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query("DELETE FROM review_documents WHERE review_id = $1")
        .bind(review_id)
        .execute(conn)
        .await?
        .rows_affected())
}

/// A security finding of the TPS assessment.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Finding {
    /// Its id.
    pub finding_id: String,
    /// The review.
    pub review_id: String,
    /// A short title.
    pub title: String,
    /// What the assessor found.
    pub detail: String,
    /// `Low`, `Medium`, `High` or `Critical`.
    pub severity: String,
    /// `Open`, `Remediated` or `Resolved`.
    pub status: String,
    /// The developer's remediation.
    pub remediation: Option<String>,
    /// When it was issued.
    pub created_ms: i64,
    /// When it last changed.
    pub updated_ms: i64,
}

/// Inserts or replaces a finding.
pub async fn put_finding(conn: &mut Conn, f: &Finding) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO review_findings (finding_id, review_id, title, detail, severity, status, remediation, \
         created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (finding_id) DO UPDATE SET \
         review_id = excluded.review_id, title = excluded.title, detail = excluded.detail, severity = excluded.severity, \
         status = excluded.status, remediation = excluded.remediation, created_ms = excluded.created_ms, \
         updated_ms = excluded.updated_ms",
    )
    .bind(&f.finding_id)
    .bind(&f.review_id)
    .bind(&f.title)
    .bind(&f.detail)
    .bind(&f.severity)
    .bind(&f.status)
    .bind(&f.remediation)
    .bind(f.created_ms)
    .bind(f.updated_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// A review's findings, oldest first.
pub async fn findings(conn: &mut Conn, review_id: &str) -> Result<Vec<Finding>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT finding_id, review_id, title, detail, severity, status, remediation, created_ms, updated_ms \
         FROM review_findings WHERE review_id = $1 ORDER BY created_ms, finding_id",
    )
    .bind(review_id)
    .fetch_all(conn)
    .await?)
}

/// Adds a collaborator; returns false if already invited.
pub async fn add_collaborator(conn: &mut Conn, review_id: &str, email: &str, now_ms: i64) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "INSERT INTO review_collaborators (review_id, email, invited_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(review_id)
    .bind(email)
    .bind(now_ms)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// A review's collaborators and when each was invited.
pub async fn collaborators(conn: &mut Conn, review_id: &str) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT email, invited_ms FROM review_collaborators WHERE review_id = $1 ORDER BY invited_ms, email",
    )
    .bind(review_id)
    .fetch_all(conn)
    .await?)
}
