//! CloudFormation state: stacks (live ones unique by name, deleted ones kept and found by id),
//! the resources each made, its events in order, and its change sets. Sealed columns are sealed
//! and opened by the caller.

use crate::{Conn, Scope, StoreError};

/// A stack as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stack {
    /// Its ARN.
    pub stack_id: String,
    /// Its name.
    pub name: String,
    /// e.g. `CREATE_COMPLETE`.
    pub status: String,
    /// Why it is in that status.
    pub status_reason: Option<String>,
    /// The template's description.
    pub description: Option<String>,
    /// Sealed template, parameters and outputs.
    pub body: Vec<u8>,
    /// JSON array of the capabilities acknowledged.
    pub capabilities: String,
    /// JSON array of `{Key, Value}`.
    pub tags: String,
    /// Whether a failure is left as it is instead of rolled back.
    #[sqlx(try_from = "crate::Flag")]
    pub disable_rollback: bool,
    /// When it was created.
    pub created_ms: i64,
    /// When it was last updated.
    pub updated_ms: Option<i64>,
    /// When it was deleted.
    pub deleted_ms: Option<i64>,
}

/// A resource a stack made.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Resource {
    /// Its name in the template.
    pub logical_id: String,
    /// The name or ARN the service gave it.
    pub physical_id: String,
    /// e.g. `AWS::SNS::Topic`.
    pub r#type: String,
    /// e.g. `CREATE_COMPLETE`.
    pub status: String,
    /// Why it is in that status.
    pub status_reason: Option<String>,
    /// Sealed resolved properties and attributes.
    pub state: Vec<u8>,
    /// When it last changed.
    pub updated_ms: i64,
}

/// One stack event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    /// Its place in the stack's history.
    pub id: i64,
    /// Its id as CloudFormation shows it.
    pub event_id: String,
    /// When it happened.
    pub time_ms: i64,
    /// The resource (or the stack's name for the stack itself).
    pub logical_id: String,
    /// The resource's physical id, if it has one yet.
    pub physical_id: String,
    /// The resource's type.
    pub r#type: String,
    /// The status it reached.
    pub status: String,
    /// Why.
    pub status_reason: Option<String>,
}

/// A change set.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChangeSet {
    /// Its ARN.
    pub change_set_id: String,
    /// The stack it belongs to.
    pub stack_id: String,
    /// Its name.
    pub name: String,
    /// `CREATE` or `UPDATE`.
    pub kind: String,
    /// `CREATE_COMPLETE` or `FAILED`.
    pub status: String,
    /// Why it failed.
    pub status_reason: Option<String>,
    /// `AVAILABLE`, `UNAVAILABLE`, `EXECUTE_COMPLETE`, `EXECUTE_FAILED` or `OBSOLETE`.
    pub execution_status: String,
    /// Its description.
    pub description: Option<String>,
    /// Sealed template and parameters.
    pub body: Vec<u8>,
    /// JSON array of the changes.
    pub changes: String,
    /// JSON array of the capabilities acknowledged.
    pub capabilities: String,
    /// JSON array of `{Key, Value}`.
    pub tags: String,
    /// When it was created.
    pub created_ms: i64,
}

const STACK_COLUMNS: &str = "stack_id, name, status, status_reason, description, body, capabilities, tags, \
     disable_rollback, created_ms, updated_ms, deleted_ms";
const RESOURCE_COLUMNS: &str = "logical_id, physical_id, type, status, status_reason, state, updated_ms";
const EVENT_COLUMNS: &str = "id, event_id, time_ms, logical_id, physical_id, type, status, status_reason";
const CHANGE_SET_COLUMNS: &str = "change_set_id, stack_id, name, kind, status, status_reason, execution_status, \
     description, body, changes, capabilities, tags, created_ms";

/// Creates a stack; `false` when a live one of that name exists.
pub async fn insert_stack(conn: &mut Conn, scope: Scope<'_>, s: &Stack) -> Result<bool, StoreError> {
    let done = sqlx::query(&format!(
        "INSERT INTO cfn_stacks (account_id, region, {STACK_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(&s.stack_id)
    .bind(&s.name)
    .bind(&s.status)
    .bind(&s.status_reason)
    .bind(&s.description)
    .bind(&s.body)
    .bind(&s.capabilities)
    .bind(&s.tags)
    .bind(i64::from(s.disable_rollback))
    .bind(s.created_ms)
    .bind(s.updated_ms)
    .bind(s.deleted_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Writes back everything about a stack but its id, name and creation.
pub async fn update_stack(conn: &mut Conn, s: &Stack) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE cfn_stacks SET status = $1, status_reason = $2, description = $3, body = $4, capabilities = $5, \
         tags = $6, disable_rollback = $7, updated_ms = $8, deleted_ms = $9 WHERE stack_id = $10",
    )
    .bind(&s.status)
    .bind(&s.status_reason)
    .bind(&s.description)
    .bind(&s.body)
    .bind(&s.capabilities)
    .bind(&s.tags)
    .bind(i64::from(s.disable_rollback))
    .bind(s.updated_ms)
    .bind(s.deleted_ms)
    .bind(&s.stack_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a stack from `from` to `to` if no other operation moved it first: `None` when it
/// moved, else the status another operation left it in.
pub async fn transition(conn: &mut Conn, stack_id: &str, from: &str, to: &str) -> Result<Option<String>, StoreError> {
    let done = sqlx::query(
        "UPDATE cfn_stacks SET status = $1, status_reason = 'User Initiated' WHERE stack_id = $2 AND status = $3",
    )
    .bind(to)
    .bind(stack_id)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(None);
    }
    let current: Option<String> = sqlx::query_scalar("SELECT status FROM cfn_stacks WHERE stack_id = $1")
        .bind(stack_id)
        .fetch_optional(conn)
        .await?;
    Ok(Some(current.unwrap_or_default()))
}

/// After a restart: the stacks an operation was running on when the server stopped, moved to the
/// failed status of that operation (a create to `CREATE_FAILED`, an update or its rollback to
/// `UPDATE_ROLLBACK_FAILED`, a delete or a rollback to `DELETE_FAILED` or `ROLLBACK_FAILED`), so
/// that they can be deleted; returns how many. The resources each had made are recorded step by
/// step, so deleting the stack removes them.
pub async fn interrupted(conn: &mut Conn, now_ms: i64) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE cfn_stacks SET status = CASE \
           WHEN status = 'CREATE_IN_PROGRESS' THEN 'CREATE_FAILED' \
           WHEN status = 'ROLLBACK_IN_PROGRESS' THEN 'ROLLBACK_FAILED' \
           WHEN status = 'DELETE_IN_PROGRESS' THEN 'DELETE_FAILED' \
           ELSE 'UPDATE_ROLLBACK_FAILED' END, \
         status_reason = 'spcred stopped while the operation ran; delete the stack to remove what it made', \
         updated_ms = $1 \
         WHERE status LIKE '%_IN_PROGRESS' AND status != 'REVIEW_IN_PROGRESS'",
    )
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The stack a name (a live stack) or a stack id (live or deleted) names.
pub async fn stack(conn: &mut Conn, scope: Scope<'_>, name_or_id: &str) -> Result<Option<Stack>, StoreError> {
    let by = if name_or_id.starts_with("arn:") { "stack_id = $3" } else { "name = $3 AND deleted_ms IS NULL" };
    Ok(sqlx::query_as(&format!(
        "SELECT {STACK_COLUMNS} FROM cfn_stacks WHERE account_id = $1 AND region = $2 AND {by}"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name_or_id)
    .fetch_optional(conn)
    .await?)
}

/// Every stack of the scope, deleted ones too, newest first.
pub async fn stacks(conn: &mut Conn, scope: Scope<'_>) -> Result<Vec<Stack>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {STACK_COLUMNS} FROM cfn_stacks WHERE account_id = $1 AND region = $2 ORDER BY created_ms DESC, stack_id"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .fetch_all(conn)
    .await?)
}

/// Records a resource, or its new state.
pub async fn put_resource(conn: &mut Conn, stack_id: &str, r: &Resource) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO cfn_resources (stack_id, {RESOURCE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (stack_id, logical_id) DO UPDATE SET physical_id = excluded.physical_id, type = excluded.type, \
         status = excluded.status, status_reason = excluded.status_reason, state = excluded.state, \
         updated_ms = excluded.updated_ms"
    ))
    .bind(stack_id)
    .bind(&r.logical_id)
    .bind(&r.physical_id)
    .bind(&r.r#type)
    .bind(&r.status)
    .bind(&r.status_reason)
    .bind(&r.state)
    .bind(r.updated_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a resource the stack no longer has.
pub async fn delete_resource(conn: &mut Conn, stack_id: &str, logical_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM cfn_resources WHERE stack_id = $1 AND logical_id = $2")
        .bind(stack_id)
        .bind(logical_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A stack's resources, by logical id.
pub async fn resources(conn: &mut Conn, stack_id: &str) -> Result<Vec<Resource>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {RESOURCE_COLUMNS} FROM cfn_resources WHERE stack_id = $1 ORDER BY logical_id"))
        .bind(stack_id)
        .fetch_all(conn)
        .await?)
}

/// Appends an event (its `id` is assigned).
pub async fn add_event(conn: &mut Conn, stack_id: &str, e: &Event) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO cfn_events (stack_id, event_id, time_ms, logical_id, physical_id, type, status, status_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(stack_id)
    .bind(&e.event_id)
    .bind(e.time_ms)
    .bind(&e.logical_id)
    .bind(&e.physical_id)
    .bind(&e.r#type)
    .bind(&e.status)
    .bind(&e.status_reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// A stack's events newest first, from before the event `before` (a page's token), at most `limit`.
pub async fn events(
    conn: &mut Conn,
    stack_id: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {EVENT_COLUMNS} FROM cfn_events WHERE stack_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    ))
    .bind(stack_id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Creates a change set; `false` when the stack has one of that name.
pub async fn insert_change_set(conn: &mut Conn, c: &ChangeSet) -> Result<bool, StoreError> {
    let done = sqlx::query(&format!(
        "INSERT INTO cfn_change_sets ({CHANGE_SET_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING"
    ))
    .bind(&c.change_set_id)
    .bind(&c.stack_id)
    .bind(&c.name)
    .bind(&c.kind)
    .bind(&c.status)
    .bind(&c.status_reason)
    .bind(&c.execution_status)
    .bind(&c.description)
    .bind(&c.body)
    .bind(&c.changes)
    .bind(&c.capabilities)
    .bind(&c.tags)
    .bind(c.created_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The change set of `stack_id` a name or change set id names.
pub async fn change_set(conn: &mut Conn, stack_id: &str, name_or_id: &str) -> Result<Option<ChangeSet>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CHANGE_SET_COLUMNS} FROM cfn_change_sets WHERE stack_id = $1 AND (name = $2 OR change_set_id = $2)"
    ))
    .bind(stack_id)
    .bind(name_or_id)
    .fetch_optional(conn)
    .await?)
}

/// The change set with this id, whichever stack it belongs to.
pub async fn change_set_by_id(conn: &mut Conn, change_set_id: &str) -> Result<Option<ChangeSet>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {CHANGE_SET_COLUMNS} FROM cfn_change_sets WHERE change_set_id = $1"))
        .bind(change_set_id)
        .fetch_optional(conn)
        .await?)
}

/// A stack's change sets, oldest first.
pub async fn change_sets(conn: &mut Conn, stack_id: &str) -> Result<Vec<ChangeSet>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CHANGE_SET_COLUMNS} FROM cfn_change_sets WHERE stack_id = $1 ORDER BY created_ms, change_set_id"
    ))
    .bind(stack_id)
    .fetch_all(conn)
    .await?)
}

/// Sets a change set's execution status; with `others`, the stack's other change sets become
/// that instead (after one was executed, the rest are `OBSOLETE`).
pub async fn set_execution_status(
    conn: &mut Conn,
    c: &ChangeSet,
    status: &str,
    others: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE cfn_change_sets SET execution_status = $1 WHERE change_set_id = $2")
        .bind(status)
        .bind(&c.change_set_id)
        .execute(&mut *conn)
        .await?;
    if let Some(others) = others {
        sqlx::query("UPDATE cfn_change_sets SET execution_status = $1 WHERE stack_id = $2 AND change_set_id != $3")
            .bind(others)
            .bind(&c.stack_id)
            .bind(&c.change_set_id)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Deletes a change set.
pub async fn delete_change_set(conn: &mut Conn, change_set_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM cfn_change_sets WHERE change_set_id = $1").bind(change_set_id).execute(conn).await?;
    Ok(())
}
