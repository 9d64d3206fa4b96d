//! The EventBridge operations.

use super::input::Input;
use super::schedule::Schedule;
use super::{EventsError, SCHEDULE_JOB, bus_arn, bus_name, ops, outbox, rule_arn};
use aws_core::service::{self, Authorization, Check, Ctx, epoch_seconds};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use store::Scope;
use store::events as db;
use store::{StoreError, jobs};

/// Targets a rule may have.
const MAX_TARGETS: usize = 5;
/// PutEvents' limit on the size of all entries together.
const MAX_PUT_EVENTS_BYTES: usize = 256 * 1024;
/// Tags a resource may carry.
const MAX_TAGS: usize = 50;

fn tag_pairs(tags: Vec<ops::Tag>) -> Result<Vec<(String, String)>, EventsError> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(tags.len());
    for tag in tags {
        if !seen.insert(tag.key.clone()) {
            return Err(EventsError::validation("Invalid parameter: Duplicated keys are not allowed."));
        }
        out.push((tag.key, tag.value));
    }
    Ok(out)
}

fn scope<'a>(ctx: &'a Ctx<'_>) -> Scope<'a> {
    Scope { account_id: ctx.account(), region: ctx.region }
}

async fn reader(ctx: &Ctx<'_>) -> Result<store::ReadConn, EventsError> {
    Ok(ctx.env.store.read().await?)
}

fn encode_token(last: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(last)
}

fn decode_token(token: Option<&str>) -> Result<String, EventsError> {
    let Some(token) = token else { return Ok(String::new()) };
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| EventsError::validation("The NextToken provided is invalid."))
}

fn bus_not_found(name: &str) -> EventsError {
    EventsError::NotFound(format!("Event bus {name} does not exist."))
}

fn rule_not_found(rule: &str, bus: &str) -> EventsError {
    EventsError::NotFound(format!("Rule {rule} does not exist on EventBus {bus}."))
}

/// The account's default bus exists from its first use.
async fn ensure_default_bus(ctx: &Ctx<'_>) -> Result<(), EventsError> {
    let exists = db::bus(&mut *reader(ctx).await?, scope(ctx), "default").await?.is_some();
    if !exists {
        let mut tx = ctx.env.store.begin().await?;
        db::ensure_default_bus(&mut tx, scope(ctx), ctx.now_ms).await?;
        tx.commit().await.map_err(StoreError::from)?;
    }
    Ok(())
}

async fn existing_bus(ctx: &Ctx<'_>, conn: &mut store::Conn, name: &str) -> Result<db::Bus, EventsError> {
    if name == "default" {
        ensure_default_bus(ctx).await?;
    }
    db::bus(conn, scope(ctx), name).await?.ok_or_else(|| bus_not_found(name))
}

async fn existing_rule(ctx: &Ctx<'_>, conn: &mut store::Conn, bus: &str, name: &str) -> Result<db::Rule, EventsError> {
    existing_bus(ctx, conn, bus).await?;
    db::rule(conn, scope(ctx), bus, name).await?.ok_or_else(|| rule_not_found(name, bus))
}

fn schedule_payload(rule_arn: &str) -> String {
    json!({ "rule": rule_arn }).to_string()
}

/// Drops a rule's pending schedule and, if it should fire, queues its next firing.
async fn reschedule(conn: &mut store::Conn, rule: &db::Rule, now_ms: i64) -> Result<(), EventsError> {
    let payload = schedule_payload(&rule.arn);
    jobs::cancel(conn, SCHEDULE_JOB, &payload).await?;
    if rule.state == "DISABLED" {
        return Ok(());
    }
    let Some(expression) = &rule.schedule else { return Ok(()) };
    let schedule = Schedule::parse(expression).map_err(EventsError::validation)?;
    if let Some(next) = schedule.next_after(now_ms, now_ms) {
        jobs::enqueue(conn, SCHEDULE_JOB, next, &payload, now_ms).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Event buses

pub(super) async fn create_event_bus(ctx: &Ctx<'_>, input: ops::CreateEventBusRequest) -> Result<Value, EventsError> {
    // A partner event bus carries the name of the partner event source it receives from (SP-API's
    // `aws.partner/sellingpartnerapi.amazon/ACCOUNT/DESTINATION`, the model checks the shape);
    // other names have no '/'.
    match input.event_source_name.as_deref() {
        Some(source) if source != input.name => {
            return Err(EventsError::validation("Event bus name must match the event source name."));
        }
        None if input.name.contains('/') => {
            return Err(EventsError::validation("Event bus name must not contain '/'."));
        }
        Some(_) | None => {}
    }
    let tags = tag_pairs(input.tags.unwrap_or_default())?;
    ensure_default_bus(ctx).await?;
    let arn = bus_arn(ctx.region, ctx.account(), &input.name);
    let mut tx = ctx.env.store.begin().await?;
    if !db::create_bus(&mut tx, scope(ctx), &input.name, input.description.as_deref(), ctx.now_ms).await? {
        return Err(EventsError::AlreadyExists(format!("Event bus {} already exists.", input.name)));
    }
    store::tags::EVENTS.put(&mut tx, &arn, &tags).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let out = ops::CreateEventBusResponse {
        event_bus_arn: Some(arn),
        description: input.description,
        ..ops::CreateEventBusResponse::default()
    };
    Ok(service::output(&out)?)
}

pub(super) async fn delete_event_bus(ctx: &Ctx<'_>, input: ops::DeleteEventBusRequest) -> Result<Value, EventsError> {
    let name = input.name;
    if name == "default" {
        return Err(EventsError::validation("Cannot delete event bus default."));
    }
    let mut tx = ctx.env.store.begin().await?;
    db::delete_bus(&mut tx, scope(ctx), &name, &bus_arn(ctx.region, ctx.account(), &name)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(json!({}))
}

fn bus_description(ctx: &Ctx<'_>, bus: db::Bus) -> ops::EventBus {
    ops::EventBus {
        arn: Some(bus_arn(ctx.region, ctx.account(), &bus.name)),
        creation_time: Some(epoch_seconds(bus.created_ms)),
        description: bus.description,
        last_modified_time: Some(epoch_seconds(bus.modified_ms)),
        name: Some(bus.name),
        ..ops::EventBus::default()
    }
}

pub(super) async fn describe_event_bus(
    ctx: &Ctx<'_>,
    input: ops::DescribeEventBusRequest,
) -> Result<Value, EventsError> {
    let name = bus_name(ctx, input.name.as_deref())?;
    let bus = existing_bus(ctx, &mut *reader(ctx).await?, &name).await?;
    let ops::EventBus { arn, creation_time, description, last_modified_time, name, .. } = bus_description(ctx, bus);
    let out = ops::DescribeEventBusResponse {
        arn,
        creation_time,
        description,
        last_modified_time,
        name,
        ..ops::DescribeEventBusResponse::default()
    };
    Ok(service::output(&out)?)
}

pub(super) async fn update_event_bus(ctx: &Ctx<'_>, input: ops::UpdateEventBusRequest) -> Result<Value, EventsError> {
    let name = input.name.unwrap_or_else(|| "default".to_owned());
    existing_bus(ctx, &mut *reader(ctx).await?, &name).await?;
    let mut tx = ctx.env.store.begin().await?;
    db::set_bus_description(&mut tx, scope(ctx), &name, input.description.as_deref(), ctx.now_ms).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let out = ops::UpdateEventBusResponse {
        arn: Some(bus_arn(ctx.region, ctx.account(), &name)),
        description: input.description,
        name: Some(name),
        ..ops::UpdateEventBusResponse::default()
    };
    Ok(service::output(&out)?)
}

/// One page of `items` (fetched one beyond `limit`), with the next token after its last name.
fn page<T>(mut items: Vec<T>, limit: i64, name: impl Fn(&T) -> &str) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if items.len() > limit {
        items.truncate(limit);
        let token = items.last().map(|i| encode_token(name(i)));
        (items, token)
    } else {
        (items, None)
    }
}

pub(super) async fn list_event_buses(ctx: &Ctx<'_>, input: ops::ListEventBusesRequest) -> Result<Value, EventsError> {
    ensure_default_bus(ctx).await?;
    let after = decode_token(input.next_token.as_deref())?;
    let limit = input.limit.map_or(100, i64::from);
    let prefix = input.name_prefix.unwrap_or_default();
    let buses = db::list_buses(&mut *reader(ctx).await?, scope(ctx), &prefix, &after, limit + 1).await?;
    let (buses, next_token) = page(buses, limit, |b| &b.name);
    let event_buses = buses.into_iter().map(|b| bus_description(ctx, b)).collect();
    Ok(service::output(&ops::ListEventBusesResponse { event_buses: Some(event_buses), next_token })?)
}

// ---------------------------------------------------------------------------------------------
// Rules

/// Refuses a pattern as EventBridge does.
fn check_pattern(text: &str) -> Result<(), EventsError> {
    pattern::Pattern::parse(text).map(drop).map_err(|e| match e.code() {
        pattern::PatternErrorCode::InvalidEventPattern => EventsError::InvalidEventPattern(e.message()),
        pattern::PatternErrorCode::Validation => EventsError::validation(e.message()),
    })
}

pub(super) async fn put_rule(ctx: &Ctx<'_>, input: ops::PutRuleRequest) -> Result<Value, EventsError> {
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    let schedule = input.schedule_expression.filter(|s| !s.is_empty());
    let pattern = input.event_pattern.filter(|p| !p.is_empty());
    if schedule.is_none() && pattern.is_none() {
        return Err(EventsError::validation("Parameter(s) EventPattern or ScheduleExpression must be specified."));
    }
    if let Some(expression) = &schedule {
        if bus != "default" {
            return Err(EventsError::validation("ScheduleExpression is supported only on the default event bus."));
        }
        Schedule::parse(expression).map_err(EventsError::validation)?;
    }
    if let Some(p) = &pattern {
        check_pattern(p)?;
    }
    let tags = tag_pairs(input.tags.unwrap_or_default())?;
    existing_bus(ctx, &mut *reader(ctx).await?, &bus).await?;
    let rule = db::Rule {
        arn: rule_arn(ctx.region, ctx.account(), &bus, &input.name),
        bus: bus.clone(),
        name: input.name,
        event_pattern: pattern,
        schedule,
        state: match input.state.as_deref() {
            Some("DISABLED") => "DISABLED",
            _ => "ENABLED",
        }
        .to_owned(),
        description: input.description,
        role_arn: input.role_arn,
        created_by: ctx.account().to_owned(),
        created_ms: ctx.now_ms,
    };
    let mut tx = ctx.env.store.begin().await?;
    db::put_rule(&mut tx, scope(ctx), &rule).await?;
    store::tags::EVENTS.put(&mut tx, &rule.arn, &tags).await?;
    reschedule(&mut tx, &rule, ctx.now_ms).await?;
    db::touch_bus(&mut tx, scope(ctx), &bus, ctx.now_ms).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(service::output(&ops::PutRuleResponse { rule_arn: Some(rule.arn) })?)
}

fn rule_description(rule: db::Rule) -> ops::Rule {
    ops::Rule {
        arn: Some(rule.arn),
        description: rule.description,
        event_bus_name: Some(rule.bus),
        event_pattern: rule.event_pattern,
        name: Some(rule.name),
        role_arn: rule.role_arn,
        schedule_expression: rule.schedule,
        state: Some(rule.state),
        ..ops::Rule::default()
    }
}

pub(super) async fn describe_rule(ctx: &Ctx<'_>, input: ops::DescribeRuleRequest) -> Result<Value, EventsError> {
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    let rule = existing_rule(ctx, &mut *reader(ctx).await?, &bus, &input.name).await?;
    let created_by = Some(rule.created_by.clone());
    let ops::Rule {
        arn, description, event_bus_name, event_pattern, name, role_arn, schedule_expression, state, ..
    } = rule_description(rule);
    let out = ops::DescribeRuleResponse {
        arn,
        created_by,
        description,
        event_bus_name,
        event_pattern,
        name,
        role_arn,
        schedule_expression,
        state,
        ..ops::DescribeRuleResponse::default()
    };
    Ok(service::output(&out)?)
}

pub(super) async fn delete_rule(ctx: &Ctx<'_>, input: ops::DeleteRuleRequest) -> Result<Value, EventsError> {
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    let mut tx = ctx.env.store.begin().await?;
    let Some(rule) = db::rule(&mut tx, scope(ctx), &bus, &input.name).await? else {
        // Deleting a rule that is not there is not an error.
        return Ok(json!({}));
    };
    if !db::targets(&mut tx, scope(ctx), &bus, &input.name).await?.is_empty() {
        return Err(EventsError::validation("Rule can't be deleted since it has targets."));
    }
    db::delete_rule(&mut tx, scope(ctx), &bus, &input.name).await?;
    jobs::cancel(&mut tx, SCHEDULE_JOB, &schedule_payload(&rule.arn)).await?;
    db::touch_bus(&mut tx, scope(ctx), &bus, ctx.now_ms).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(json!({}))
}

pub(super) async fn set_rule_state(
    ctx: &Ctx<'_>,
    event_bus_name: Option<&str>,
    name: &str,
    state: &str,
) -> Result<Value, EventsError> {
    let bus = bus_name(ctx, event_bus_name)?;
    let mut rule = existing_rule(ctx, &mut *reader(ctx).await?, &bus, name).await?;
    let mut tx = ctx.env.store.begin().await?;
    if !db::set_rule_state(&mut tx, scope(ctx), &bus, name, state).await? {
        return Err(rule_not_found(name, &bus));
    }
    if rule.state != state {
        rule.state = state.to_owned();
        reschedule(&mut tx, &rule, ctx.now_ms).await?;
    }
    db::touch_bus(&mut tx, scope(ctx), &bus, ctx.now_ms).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(json!({}))
}

pub(super) async fn list_rules(ctx: &Ctx<'_>, input: ops::ListRulesRequest) -> Result<Value, EventsError> {
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    let mut conn = reader(ctx).await?;
    existing_bus(ctx, &mut conn, &bus).await?;
    let after = decode_token(input.next_token.as_deref())?;
    let limit = input.limit.map_or(100, i64::from);
    let prefix = input.name_prefix.unwrap_or_default();
    let rules = db::list_rules(&mut conn, scope(ctx), &bus, &prefix, &after, limit + 1).await?;
    let (rules, next_token) = page(rules, limit, |r| &r.name);
    let rules = rules.into_iter().map(rule_description).collect();
    Ok(service::output(&ops::ListRulesResponse { next_token, rules: Some(rules) })?)
}

pub(super) async fn list_rule_names_by_target(
    ctx: &Ctx<'_>,
    input: ops::ListRuleNamesByTargetRequest,
) -> Result<Value, EventsError> {
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    let mut conn = reader(ctx).await?;
    existing_bus(ctx, &mut conn, &bus).await?;
    let after = decode_token(input.next_token.as_deref())?;
    let limit = input.limit.map_or(100, i64::from);
    let names = db::rules_by_target(&mut conn, scope(ctx), &bus, &input.target_arn, &after, limit + 1).await?;
    let (names, next_token) = page(names, limit, String::as_str);
    Ok(service::output(&ops::ListRuleNamesByTargetResponse { next_token, rule_names: Some(names) })?)
}

// ---------------------------------------------------------------------------------------------
// Targets

/// What kind of resource a target ARN names, if spcred can deliver to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TargetKind {
    /// An SNS topic.
    Topic,
    /// An SQS queue.
    Queue,
    /// An event bus.
    Bus,
    /// A Lambda function.
    Function,
}

impl TargetKind {
    /// The kind of `arn`.
    pub(crate) fn of(arn: &str) -> Option<Self> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        match parts.as_slice() {
            ["arn", _, "sns", region, account, name] if valid_scope(region, account) && !name.is_empty() => {
                Some(TargetKind::Topic)
            }
            ["arn", _, "sqs", region, account, name] if valid_scope(region, account) && !name.is_empty() => {
                Some(TargetKind::Queue)
            }
            ["arn", _, "events", region, account, resource]
                if valid_scope(region, account)
                    && resource.strip_prefix("event-bus/").is_some_and(|n| !n.is_empty()) =>
            {
                Some(TargetKind::Bus)
            }
            ["arn", _, "lambda", region, account, resource]
                if valid_scope(region, account)
                    && resource.strip_prefix("function:").is_some_and(|n| !n.is_empty() && !n.contains(':')) =>
            {
                Some(TargetKind::Function)
            }
            _ => None,
        }
    }

    /// The protocol recorded on its deliveries.
    pub(crate) fn protocol(self) -> &'static str {
        match self {
            TargetKind::Topic => "sns",
            TargetKind::Queue => "sqs",
            TargetKind::Bus => "events",
            TargetKind::Function => "lambda",
        }
    }
}

fn valid_scope(region: &str, account: &str) -> bool {
    !region.is_empty() && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

fn failed_entry(id: &str, code: &str, message: &str) -> ops::PutTargetsResultEntry {
    ops::PutTargetsResultEntry {
        error_code: Some(code.to_owned()),
        error_message: Some(message.to_owned()),
        target_id: Some(id.to_owned()),
    }
}

/// A count of entries as the model's integer.
fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub(super) async fn put_targets(ctx: &Ctx<'_>, input: ops::PutTargetsRequest) -> Result<Value, EventsError> {
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    let mut accepted = Vec::new();
    let mut failed = Vec::new();
    for target in &input.targets {
        let (id, arn) = (target.id.as_str(), target.arn.as_str());
        // Input settings are checked for the whole request, as EventBridge does.
        Input::from_target(id, target).map_err(|e| EventsError::validation(e.0))?;
        if let Some(dlq) = target.dead_letter_config.as_ref().and_then(|c| c.arn.as_deref())
            && TargetKind::of(dlq) != Some(TargetKind::Queue)
        {
            return Err(EventsError::validation(format!(
                "Parameter {dlq} is not valid. Reason: DeadLetterConfig.Arn must be the ARN of an SQS queue."
            )));
        }
        if !arn.starts_with("arn:") {
            failed.push(failed_entry(
                id,
                "ValidationException",
                &format!("Parameter {arn} is not valid. Reason: Provided Arn is not in correct format."),
            ));
        } else if TargetKind::of(arn) == Some(TargetKind::Bus)
            && !arn.starts_with(&format!("arn:aws:events:{}:{}:", ctx.region, ctx.account()))
        {
            failed.push(failed_entry(
                id,
                "ValidationException",
                &format!("Parameter {arn} is not valid. Reason: spcred forwards to event buses of the same account and Region only."),
            ));
        } else if TargetKind::of(arn).is_none() {
            failed.push(failed_entry(
                id,
                "ValidationException",
                &format!(
                    "Parameter {arn} is not valid. Reason: spcred delivers to SNS topics, SQS queues, Lambda functions and event buses only."
                ),
            ));
        } else {
            accepted.push(db::Target {
                rule: input.rule.clone(),
                id: id.to_owned(),
                arn: arn.to_owned(),
                spec: target_spec(target)?,
            });
        }
    }
    existing_rule(ctx, &mut *reader(ctx).await?, &bus, &input.rule).await?;
    let mut tx = ctx.env.store.begin().await?;
    let existing = db::targets(&mut tx, scope(ctx), &bus, &input.rule).await?;
    let new_ids = accepted.iter().filter(|t| !existing.iter().any(|e| e.id == t.id)).count();
    if existing.len() + new_ids > MAX_TARGETS {
        return Err(EventsError::LimitExceeded("The requested resource exceeds the maximum number allowed.".into()));
    }
    for target in &accepted {
        db::put_target(&mut tx, scope(ctx), &bus, target).await?;
    }
    db::touch_bus(&mut tx, scope(ctx), &bus, ctx.now_ms).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let out = ops::PutTargetsResponse { failed_entry_count: Some(count(failed.len())), failed_entries: Some(failed) };
    Ok(service::output(&out)?)
}

/// What the store keeps of a target: the JSON text of its model structure.
fn target_spec(target: &ops::Target) -> Result<String, EventsError> {
    Ok(service::output(target)?.to_string())
}

pub(super) async fn remove_targets(ctx: &Ctx<'_>, input: ops::RemoveTargetsRequest) -> Result<Value, EventsError> {
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    existing_rule(ctx, &mut *reader(ctx).await?, &bus, &input.rule).await?;
    let mut tx = ctx.env.store.begin().await?;
    let mut failed = Vec::new();
    for id in &input.ids {
        if !db::remove_target(&mut tx, scope(ctx), &bus, &input.rule, id).await? {
            failed.push(ops::RemoveTargetsResultEntry {
                error_code: Some("ResourceNotFoundException".to_owned()),
                error_message: Some(format!("Rule '{}' does not have a target with the Id '{id}'.", input.rule)),
                target_id: Some(id.clone()),
            });
        }
    }
    db::touch_bus(&mut tx, scope(ctx), &bus, ctx.now_ms).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let out =
        ops::RemoveTargetsResponse { failed_entry_count: Some(count(failed.len())), failed_entries: Some(failed) };
    Ok(service::output(&out)?)
}

pub(super) async fn list_targets_by_rule(
    ctx: &Ctx<'_>,
    input: ops::ListTargetsByRuleRequest,
) -> Result<Value, EventsError> {
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    let mut conn = reader(ctx).await?;
    existing_rule(ctx, &mut conn, &bus, &input.rule).await?;
    let targets = db::targets(&mut conn, scope(ctx), &bus, &input.rule).await?;
    let after = decode_token(input.next_token.as_deref())?;
    let start =
        if after.is_empty() { 0 } else { targets.iter().position(|t| t.id == after).map_or(targets.len(), |i| i + 1) };
    let rest: Vec<db::Target> = targets.into_iter().skip(start).collect();
    let (rest, next_token) = page(rest, input.limit.map_or(100, i64::from), |t| &t.id);
    let targets = rest.iter().filter_map(|t| serde_json::from_str(&t.spec).ok()).collect();
    Ok(service::output(&ops::ListTargetsByRuleResponse { next_token, targets: Some(targets) })?)
}

// ---------------------------------------------------------------------------------------------
// Events

/// PutEvents needs `events:PutEvents` on every bus it puts to, with the entries' sources and
/// detail types as `events:source` and `events:detail-type`.
pub(super) fn put_events_authorization(ctx: &Ctx<'_>, input: &ops::PutEventsRequest) -> Authorization {
    let mut buses: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for entry in &input.entries {
        // An entry naming no bus of the caller's fails on its own, later.
        let Ok(bus) = bus_name(ctx, entry.event_bus_name.as_deref()) else { continue };
        let (sources, types) = buses.entry(bus).or_default();
        sources.extend(entry.source.clone());
        types.extend(entry.detail_type.clone());
    }
    let checks = buses
        .into_iter()
        .map(|(bus, (sources, types))| {
            Check::new("events:PutEvents", bus_arn(ctx.region, ctx.account(), &bus))
                .with_condition("events:source", sources)
                .with_condition("events:detail-type", types)
        })
        .collect();
    Authorization::All(checks)
}

fn entry_error(code: &str, message: &str) -> ops::PutEventsResultEntry {
    ops::PutEventsResultEntry {
        error_code: Some(code.to_owned()),
        error_message: Some(message.to_owned()),
        event_id: None,
    }
}

/// The size EventBridge counts for an entry: the bytes of its Source, DetailType, Detail and
/// Resources, and 14 for a Time.
fn entry_size(entry: &ops::PutEventsRequestEntry) -> usize {
    let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    text(&entry.source)
        + text(&entry.detail_type)
        + text(&entry.detail)
        + entry.resources.iter().flatten().map(String::len).sum::<usize>()
        + if entry.time.is_some() { 14 } else { 0 }
}

/// An entry's event, or the error its result entry reports.
fn entry_event(
    ctx: &Ctx<'_>,
    entry: ops::PutEventsRequestEntry,
) -> Result<(String, outbox::Event), ops::PutEventsResultEntry> {
    let missing = |field: &str| {
        entry_error(
            "InvalidArgument",
            &format!("Parameter {field} is not valid. Reason: {field} is a required argument."),
        )
    };
    let source = entry.source.filter(|s| !s.is_empty()).ok_or_else(|| missing("Source"))?;
    let detail_type = entry.detail_type.filter(|s| !s.is_empty()).ok_or_else(|| missing("DetailType"))?;
    let detail = entry.detail.filter(|s| !s.is_empty()).ok_or_else(|| missing("Detail"))?;
    let detail: Value = serde_json::from_str(&detail)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| entry_error("MalformedDetail", "Detail is malformed."))?;
    if source.starts_with("aws.") {
        return Err(entry_error("NotAuthorizedForSourceException", "Not authorized for the source."));
    }
    let bus = bus_name(ctx, entry.event_bus_name.as_deref())
        .map_err(|e| entry_error("ResourceNotFoundException", &e.to_string()))?;
    #[allow(clippy::cast_possible_truncation)] // Seconds from the wire, bounded by the model.
    let time_ms = entry.time.map_or(ctx.now_ms, |s| (s * 1000.0) as i64);
    let event = outbox::Event::from_service(
        &ctx.env.ids,
        &source,
        &detail_type,
        Scope { account_id: ctx.account(), region: ctx.region },
        time_ms,
        entry.resources.unwrap_or_default(),
        detail,
    );
    Ok((bus, event))
}

pub(super) async fn put_events(ctx: &Ctx<'_>, input: ops::PutEventsRequest) -> Result<Value, EventsError> {
    if input.entries.iter().map(entry_size).sum::<usize>() > MAX_PUT_EVENTS_BYTES {
        return Err(EventsError::validation("Total size of the entries in the request is over the limit."));
    }
    let mut results = Vec::with_capacity(input.entries.len());
    let mut accepted = Vec::new();
    let mut known_buses: BTreeMap<String, bool> = BTreeMap::new();
    let mut conn = reader(ctx).await?;
    for entry in input.entries {
        match entry_event(ctx, entry) {
            Err(error) => results.push(error),
            Ok((bus, event)) => {
                let exists = if let Some(e) = known_buses.get(&bus) {
                    *e
                } else {
                    let e = bus == "default" || db::bus(&mut conn, scope(ctx), &bus).await?.is_some();
                    known_buses.insert(bus.clone(), e);
                    e
                };
                if exists {
                    results.push(ops::PutEventsResultEntry {
                        event_id: Some(event.id.clone()),
                        ..ops::PutEventsResultEntry::default()
                    });
                    accepted.push((bus, event));
                } else {
                    results.push(entry_error("ResourceNotFoundException", &format!("Event bus {bus} does not exist.")));
                }
            }
        }
    }
    drop(conn);
    if !accepted.is_empty() {
        if known_buses.contains_key("default") {
            ensure_default_bus(ctx).await?;
        }
        let mut tx = ctx.env.store.begin().await?;
        for (bus, event) in &accepted {
            outbox::enqueue(&mut tx, bus, event, 0, ctx.now_ms).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        ctx.env.work_queued.notify_one();
    }
    metrics::counter!("spcred_events_put_total").increment(u64::try_from(accepted.len()).unwrap_or(0));
    let failed = results.iter().filter(|r| r.error_code.is_some()).count();
    let out = ops::PutEventsResponse { entries: Some(results), failed_entry_count: Some(count(failed)) };
    Ok(service::output(&out)?)
}

pub(super) fn test_event_pattern(input: &ops::TestEventPatternRequest) -> Result<Value, EventsError> {
    match pattern::test_event_pattern(&input.event_pattern, &input.event) {
        Ok(result) => Ok(service::output(&ops::TestEventPatternResponse { result: Some(result) })?),
        Err(e) if e.code() == "InvalidEventPatternException" => Err(EventsError::InvalidEventPattern(e.message())),
        Err(e) => Err(EventsError::validation(e.message())),
    }
}

// ---------------------------------------------------------------------------------------------
// Tags

/// Checks that a taggable resource (a bus or a rule of the caller's) exists.
async fn taggable(ctx: &Ctx<'_>, conn: &mut store::Conn, arn: &str) -> Result<(), EventsError> {
    let prefix = format!("arn:aws:events:{}:{}:", ctx.region, ctx.account());
    let resource = arn.strip_prefix(&prefix);
    if let Some(bus) = resource.and_then(|r| r.strip_prefix("event-bus/")) {
        existing_bus(ctx, conn, bus).await?;
        return Ok(());
    }
    if let Some(rule) = resource.and_then(|r| r.strip_prefix("rule/")) {
        let (bus, name) = rule.rsplit_once('/').unwrap_or(("default", rule));
        existing_rule(ctx, conn, bus, name).await?;
        return Ok(());
    }
    Err(EventsError::NotFound(format!("Resource {arn} does not exist.")))
}

pub(super) async fn tag_resource(ctx: &Ctx<'_>, input: ops::TagResourceRequest) -> Result<Value, EventsError> {
    let tags = tag_pairs(input.tags)?;
    let mut conn = reader(ctx).await?;
    taggable(ctx, &mut conn, &input.resource_arn).await?;
    let existing = store::tags::EVENTS.list(&mut conn, &input.resource_arn).await?;
    drop(conn);
    let total = existing.iter().filter(|(k, _)| !tags.iter().any(|(n, _)| n == k)).count() + tags.len();
    if total > MAX_TAGS {
        return Err(EventsError::LimitExceeded("The requested resource exceeds the maximum number allowed.".into()));
    }
    let mut tx = ctx.env.store.begin().await?;
    store::tags::EVENTS.put(&mut tx, &input.resource_arn, &tags).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(json!({}))
}

pub(super) async fn untag_resource(ctx: &Ctx<'_>, input: ops::UntagResourceRequest) -> Result<Value, EventsError> {
    taggable(ctx, &mut *reader(ctx).await?, &input.resource_arn).await?;
    let mut tx = ctx.env.store.begin().await?;
    store::tags::EVENTS.remove(&mut tx, &input.resource_arn, &input.tag_keys).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(json!({}))
}

pub(super) async fn list_tags_for_resource(
    ctx: &Ctx<'_>,
    input: ops::ListTagsForResourceRequest,
) -> Result<Value, EventsError> {
    let mut conn = reader(ctx).await?;
    taggable(ctx, &mut conn, &input.resource_arn).await?;
    let tags = store::tags::EVENTS.list(&mut conn, &input.resource_arn).await?;
    let tags = tags.into_iter().map(|(key, value)| ops::Tag { key, value }).collect();
    Ok(service::output(&ops::ListTagsForResourceResponse { tags: Some(tags) })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_kinds() {
        assert_eq!(TargetKind::of("arn:aws:sns:us-east-1:123456789012:t"), Some(TargetKind::Topic));
        assert_eq!(TargetKind::of("arn:aws:sqs:us-east-1:123456789012:q"), Some(TargetKind::Queue));
        assert_eq!(TargetKind::of("arn:aws:events:us-east-1:123456789012:event-bus/b"), Some(TargetKind::Bus));
        assert_eq!(TargetKind::of("arn:aws:lambda:us-east-1:123456789012:function:f"), Some(TargetKind::Function));
        assert_eq!(TargetKind::of("arn:aws:lambda:us-east-1:123456789012:function:f:1"), None);
        assert_eq!(TargetKind::of("arn:aws:sns:us-east-1:1234:t"), None);
        assert_eq!(TargetKind::of("arn:aws:events:us-east-1:123456789012:rule/r"), None);
        assert_eq!(TargetKind::of("nope"), None);
    }

    #[test]
    fn stored_target_specs_keep_their_bytes() {
        // As stored by the version before the typed operations: the JSON of the target's model
        // structure, members in the model's order.
        let row = r#"{"Arn":"arn:aws:sqs:us-east-1:123456789012:q","DeadLetterConfig":{"Arn":"arn:aws:sqs:us-east-1:123456789012:dlq"},"Id":"t","InputTransformer":{"InputPathsMap":{"a":"$.a","b":"$.b"},"InputTemplate":"<a><b>"},"RetryPolicy":{"MaximumEventAgeInSeconds":60,"MaximumRetryAttempts":0},"SqsParameters":{"MessageGroupId":"g"}}"#;
        let target: ops::Target = serde_json::from_str(row).unwrap();
        assert_eq!(target_spec(&target).unwrap(), row);
        // Stored earlier still, in the client's order, it reads back as the same target.
        let client = r#"{"Id":"t","Arn":"arn:aws:sqs:us-east-1:123456789012:q","SqsParameters":{"MessageGroupId":"g"},"RetryPolicy":{"MaximumRetryAttempts":0,"MaximumEventAgeInSeconds":60},"InputTransformer":{"InputTemplate":"<a><b>","InputPathsMap":{"b":"$.b","a":"$.a"}},"DeadLetterConfig":{"Arn":"arn:aws:sqs:us-east-1:123456789012:dlq"}}"#;
        assert_eq!(serde_json::from_str::<ops::Target>(client).unwrap(), target);
    }

    #[test]
    fn pages_carry_a_token_only_when_more_remain() {
        let (items, token) = page(vec!["a", "b", "c"], 2, |s| s);
        assert_eq!(items, ["a", "b"]);
        assert_eq!(decode_token(token.as_deref()).unwrap(), "b");
        let (items, token) = page(vec!["a", "b"], 2, |s| s);
        assert_eq!(items.len(), 2);
        assert!(token.is_none());
        assert!(decode_token(Some("%%%")).is_err());
    }
}
