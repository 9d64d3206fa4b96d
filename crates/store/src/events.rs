//! EventBridge: event buses, rules, targets and tags.
//!
//! Every change to a bus's rules or targets bumps the bus's `generation` in the same
//! transaction, so a router that keeps compiled patterns in memory reloads exactly when needed
//! (on this node or another one sharing the database).

use crate::{Conn, Scope, StoreError};

/// An event bus.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Bus {
    /// The name (`default` for the account's default bus).
    pub name: String,
    /// The description, if any.
    pub description: Option<String>,
    /// Bumped on every change to the bus's rules or targets.
    pub generation: i64,
    /// When it was created.
    pub created_ms: i64,
    /// When it last changed.
    pub modified_ms: i64,
}

/// A rule.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Rule {
    /// The bus it belongs to.
    pub bus: String,
    /// The rule's name.
    pub name: String,
    /// The rule's ARN.
    pub arn: String,
    /// The event pattern, as given.
    pub event_pattern: Option<String>,
    /// `rate(...)` or `cron(...)`.
    pub schedule: Option<String>,
    /// `ENABLED` or `DISABLED`.
    pub state: String,
    /// The description, if any.
    pub description: Option<String>,
    /// The role EventBridge would use for the targets, if any.
    pub role_arn: Option<String>,
    /// The account that created it.
    pub created_by: String,
    /// When it was created (a `rate()` schedule counts from here).
    pub created_ms: i64,
}

/// A rule's target.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Target {
    /// The rule it belongs to.
    pub rule: String,
    /// The target's id within the rule.
    pub id: String,
    /// The target's ARN.
    pub arn: String,
    /// The target as given to PutTargets (JSON).
    pub spec: String,
}

/// Creates the account's default bus in `scope` unless it exists.
pub async fn ensure_default_bus(conn: &mut Conn, scope: Scope<'_>, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO events_buses (account_id, region, name, created_ms, modified_ms) VALUES ($1, $2, 'default', $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(now_ms)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// A bus by name.
pub async fn bus(conn: &mut Conn, scope: Scope<'_>, name: &str) -> Result<Option<Bus>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT name, description, generation, created_ms, modified_ms FROM events_buses \
         WHERE account_id = $1 AND region = $2 AND name = $3",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .fetch_optional(conn)
    .await?)
}

/// Creates a bus; `false` if one of that name exists.
pub async fn create_bus(
    conn: &mut Conn,
    scope: Scope<'_>,
    name: &str,
    description: Option<&str>,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO events_buses (account_id, region, name, description, created_ms, modified_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .bind(description)
    .bind(now_ms)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a bus with its rules, targets and tags (`arn` is the bus's); `false` if it did not exist.
pub async fn delete_bus(conn: &mut Conn, scope: Scope<'_>, name: &str, arn: &str) -> Result<bool, StoreError> {
    sqlx::query(
        "DELETE FROM events_tags WHERE arn = $1 OR arn IN \
         (SELECT arn FROM events_rules WHERE account_id = $2 AND region = $3 AND bus = $4)",
    )
    .bind(arn)
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query("DELETE FROM events_buses WHERE account_id = $1 AND region = $2 AND name = $3")
        .bind(scope.account_id)
        .bind(scope.region)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Buses whose names start with `prefix` and sort after `after`, by name, at most `limit`.
pub async fn list_buses(
    conn: &mut Conn,
    scope: Scope<'_>,
    prefix: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<Bus>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT name, description, generation, created_ms, modified_ms FROM events_buses \
         WHERE account_id = $1 AND region = $2 AND substr(name, 1, length($3)) = $3 AND name > $4 ORDER BY name LIMIT $5",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(prefix)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Sets a bus's description.
pub async fn set_bus_description(
    conn: &mut Conn,
    scope: Scope<'_>,
    name: &str,
    description: Option<&str>,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE events_buses SET description = $1, modified_ms = $2 WHERE account_id = $3 AND region = $4 AND name = $5",
    )
    .bind(description)
    .bind(now_ms)
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the bus's rules as changed.
pub async fn touch_bus(conn: &mut Conn, scope: Scope<'_>, bus: &str, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE events_buses SET generation = generation + 1, modified_ms = $1 \
         WHERE account_id = $2 AND region = $3 AND name = $4",
    )
    .bind(now_ms)
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(bus)
    .execute(conn)
    .await?;
    Ok(())
}

const RULE_COLUMNS: &str =
    "bus, name, arn, event_pattern, schedule, state, description, role_arn, created_by, created_ms";

/// A rule by bus and name.
pub async fn rule(conn: &mut Conn, scope: Scope<'_>, bus: &str, name: &str) -> Result<Option<Rule>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {RULE_COLUMNS} FROM events_rules WHERE account_id = $1 AND region = $2 AND bus = $3 AND name = $4"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(bus)
    .bind(name)
    .fetch_optional(conn)
    .await?)
}

/// A rule by ARN.
pub async fn rule_by_arn(conn: &mut Conn, arn: &str) -> Result<Option<Rule>, StoreError> {
    Ok(sqlx::query_as(&format!("SELECT {RULE_COLUMNS} FROM events_rules WHERE arn = $1"))
        .bind(arn)
        .fetch_optional(conn)
        .await?)
}

/// Creates or replaces a rule (its targets stay).
pub async fn put_rule(conn: &mut Conn, scope: Scope<'_>, rule: &Rule) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO events_rules (account_id, region, bus, name, arn, event_pattern, schedule, state, description, \
         role_arn, created_by, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (account_id, region, bus, name) DO UPDATE SET event_pattern = excluded.event_pattern, \
         schedule = excluded.schedule, state = excluded.state, description = excluded.description, \
         role_arn = excluded.role_arn",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(&rule.bus)
    .bind(&rule.name)
    .bind(&rule.arn)
    .bind(&rule.event_pattern)
    .bind(&rule.schedule)
    .bind(&rule.state)
    .bind(&rule.description)
    .bind(&rule.role_arn)
    .bind(&rule.created_by)
    .bind(rule.created_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets a rule's state; `false` if there is no such rule.
pub async fn set_rule_state(
    conn: &mut Conn,
    scope: Scope<'_>,
    bus: &str,
    name: &str,
    state: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE events_rules SET state = $1 WHERE account_id = $2 AND region = $3 AND bus = $4 AND name = $5",
    )
    .bind(state)
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(bus)
    .bind(name)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a rule (and its tags); `false` if there was none.
pub async fn delete_rule(conn: &mut Conn, scope: Scope<'_>, bus: &str, name: &str) -> Result<bool, StoreError> {
    let arn: Option<String> = sqlx::query_scalar(
        "DELETE FROM events_rules WHERE account_id = $1 AND region = $2 AND bus = $3 AND name = $4 RETURNING arn",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(bus)
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(arn) = arn else { return Ok(false) };
    crate::tags::EVENTS.clear(conn, &arn).await?;
    Ok(true)
}

/// Rules of `bus` whose names start with `prefix` and sort after `after`, by name, at most `limit`.
pub async fn list_rules(
    conn: &mut Conn,
    scope: Scope<'_>,
    bus: &str,
    prefix: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<Rule>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {RULE_COLUMNS} FROM events_rules WHERE account_id = $1 AND region = $2 AND bus = $3 \
         AND substr(name, 1, length($4)) = $4 AND name > $5 ORDER BY name LIMIT $6"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(bus)
    .bind(prefix)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The enabled rules of `bus` that have an event pattern, by name.
pub async fn routing_rules(conn: &mut Conn, scope: Scope<'_>, bus: &str) -> Result<Vec<Rule>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {RULE_COLUMNS} FROM events_rules WHERE account_id = $1 AND region = $2 AND bus = $3 \
         AND event_pattern IS NOT NULL AND state != 'DISABLED' ORDER BY name"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(bus)
    .fetch_all(conn)
    .await?)
}

/// The targets of a rule, in the order they were added.
pub async fn targets(conn: &mut Conn, scope: Scope<'_>, bus: &str, rule: &str) -> Result<Vec<Target>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT rule, id, arn, spec FROM events_targets WHERE account_id = $1 AND region = $2 AND bus = $3 AND rule = $4 \
         ORDER BY seq",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(bus)
    .bind(rule)
    .fetch_all(conn)
    .await?)
}

/// Adds or replaces a target (a replaced target keeps its place).
pub async fn put_target(conn: &mut Conn, scope: Scope<'_>, bus: &str, target: &Target) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO events_targets (account_id, region, bus, rule, id, arn, spec, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, \
         (SELECT COALESCE(MAX(seq), 0) + 1 FROM events_targets WHERE account_id = $1 AND region = $2 AND bus = $3 AND rule = $4)) \
         ON CONFLICT (account_id, region, bus, rule, id) DO UPDATE SET arn = excluded.arn, spec = excluded.spec",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(bus)
    .bind(&target.rule)
    .bind(&target.id)
    .bind(&target.arn)
    .bind(&target.spec)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a target; `false` if the rule has no target with that id.
pub async fn remove_target(
    conn: &mut Conn,
    scope: Scope<'_>,
    bus: &str,
    rule: &str,
    id: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "DELETE FROM events_targets WHERE account_id = $1 AND region = $2 AND bus = $3 AND rule = $4 AND id = $5",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(bus)
    .bind(rule)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The names of the rules of `bus` with a target of ARN `arn`, sorting after `after`, at most `limit`.
pub async fn rules_by_target(
    conn: &mut Conn,
    scope: Scope<'_>,
    bus: &str,
    arn: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT rule FROM events_targets WHERE account_id = $1 AND region = $2 AND bus = $3 AND arn = $4 \
         AND rule > $5 ORDER BY rule LIMIT $6",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(bus)
    .bind(arn)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// An event as a bus received it.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Logged {
    /// Its position in the log.
    pub id: i64,
    /// When it was routed.
    pub time_ms: i64,
    /// The bus's account.
    pub account_id: String,
    /// The bus's region.
    pub region: String,
    /// The bus.
    pub bus: String,
    /// The event's source.
    pub source: String,
    /// The event's detail-type.
    pub detail_type: String,
    /// The event (JSON).
    pub event: String,
    /// How many rules it matched.
    pub matched: i64,
}

/// Which logged events to list.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// Only this source.
    pub source: Option<String>,
    /// Only this detail-type.
    pub detail_type: Option<String>,
    /// Only events after this position.
    pub after: i64,
    /// At most this many, oldest first.
    pub limit: i64,
}

/// Logs a routed event. Its `id` is the id of the job that routed it, so the log lists events in
/// the order they were put, however the routing jobs ran.
pub async fn log_event(conn: &mut Conn, scope: Scope<'_>, bus: &str, event: &Logged) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO events_log (id, time_ms, account_id, region, bus, source, detail_type, event, matched) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(event.id)
    .bind(event.time_ms)
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(bus)
    .bind(&event.source)
    .bind(&event.detail_type)
    .bind(&event.event)
    .bind(event.matched)
    .execute(conn)
    .await?;
    Ok(())
}

/// Logged events matching `filter`, oldest first.
pub async fn logged(conn: &mut Conn, filter: &LogFilter) -> Result<Vec<Logged>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, time_ms, account_id, region, bus, source, detail_type, event, matched FROM events_log \
         WHERE id > $1 AND ($2 IS NULL OR source = $2) AND ($3 IS NULL OR detail_type = $3) ORDER BY id LIMIT $4",
    )
    .bind(filter.after)
    .bind(&filter.source)
    .bind(&filter.detail_type)
    .bind(filter.limit)
    .fetch_all(conn)
    .await?)
}
