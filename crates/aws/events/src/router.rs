//! The background half of EventBridge: routing events to the targets of the rules they match,
//! invoking SNS and bus targets, and firing scheduled rules. All three are job handlers.

use super::api::TargetKind;
use super::input::{Input, Invocation};
use super::schedule::Schedule;
use super::{INVOKE_JOB, PRINCIPAL, SCHEDULE_JOB, ops, outbox, rule_arn};
use aws_core::env::Env;
use aws_core::error::CommonError;
use aws_core::ports::{Functions, Published, TopicError, Topics};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use store::Scope;
use store::StoreError;
use store::delivery::{self, Attempt, NewDelivery, Retry, Send, Settled};
use store::events as db;
use store::jobs::{self, Handler, Job, Outcome};

/// Buses an event may pass through before it is refused (bus targets forming a cycle).
const MAX_HOPS: u32 = 5;
/// Missed firings of a scheduled rule that are caught up at once (after downtime or a jump of
/// the virtual clock); older ones are skipped, counted and logged.
const MAX_CATCH_UP: usize = 10;

/// A target, ready to invoke.
#[derive(Debug)]
struct ReadyTarget {
    target: db::Target,
    kind: TargetKind,
    input: Input,
    retry: Retry,
    dead_letter: Option<String>,
}

impl ReadyTarget {
    fn new(target: db::Target) -> Option<Self> {
        let spec: ops::Target = serde_json::from_str(&target.spec).ok()?;
        let kind = TargetKind::of(&target.arn)?;
        let input = Input::from_target(&target.id, &spec).ok()?;
        let policy = spec.retry_policy.unwrap_or_default();
        let number = |value: Option<i32>, default: u32| value.and_then(|v| u32::try_from(v).ok()).unwrap_or(default);
        let retry = match Retry::EVENTS_DEFAULT {
            Retry::Doubling { first_s, cap_s, retries, max_age_s } => Retry::Doubling {
                first_s,
                cap_s,
                retries: number(policy.maximum_retry_attempts, retries),
                max_age_s: number(policy.maximum_event_age_in_seconds, max_age_s),
            },
            other @ Retry::Phases { .. } => other,
        };
        let dead_letter = spec.dead_letter_config.and_then(|c| c.arn);
        Some(Self { target, kind, input, retry, dead_letter })
    }
}

/// A rule and its targets.
#[derive(Debug)]
struct ReadyRule {
    rule: db::Rule,
    targets: Vec<ReadyTarget>,
}

/// What a bus's rules compile to, valid for one generation of the bus.
#[derive(Debug)]
struct Compiled {
    generation: i64,
    rules: pattern::RuleSet<usize>,
    entries: Vec<ReadyRule>,
}

async fn ready_targets(
    conn: &mut store::Conn,
    scope: Scope<'_>,
    rule: &db::Rule,
) -> Result<Vec<ReadyTarget>, StoreError> {
    let targets = db::targets(conn, scope, &rule.bus, &rule.name).await?;
    Ok(targets
        .into_iter()
        .filter_map(|t| {
            let id = t.id.clone();
            let ready = ReadyTarget::new(t);
            if ready.is_none() {
                tracing::error!(rule = %rule.arn, target = %id, "a stored target no longer parses; it is skipped");
            }
            ready
        })
        .collect())
}

/// An event on its way to targets.
#[derive(Debug, Clone, Copy)]
struct Routed<'a> {
    /// Its JSON text, as matched and delivered.
    text: &'a str,
    /// The same, parsed (for input paths and transformers).
    value: &'a Value,
    /// How many buses it went through.
    hops: u32,
}

/// Queues one delivery per target of `rule` for the event, in the caller's transaction.
async fn queue_targets(
    env: &Env,
    conn: &mut store::Conn,
    rule: &db::Rule,
    targets: &[ReadyTarget],
    event: Routed<'_>,
    now_ms: i64,
) -> Result<(), StoreError> {
    let event_id = event.value.get("id").and_then(Value::as_str).unwrap_or_default();
    let ingestion_time = outbox::rfc3339_seconds(now_ms);
    let at = Invocation { rule_arn: &rule.arn, rule_name: &rule.name, ingestion_time: &ingestion_time };
    for target in targets {
        let send = Send {
            delivery_id: env.ids.uuid(),
            endpoint: target.target.arn.clone(),
            subject: None,
            sender_name: None,
            body: target.input.render(event.text, event.value, &at),
            headers: Vec::new(),
            attributes: None,
            principal: PRINCIPAL.to_owned(),
            source_arn: rule.arn.clone(),
            retry: target.retry,
            dead_letter: target.dead_letter.clone(),
            created_ms: now_ms,
            hops: event.hops,
        };
        let new = NewDelivery {
            id: &send.delivery_id,
            source: &rule.arn,
            destination: &target.target.id,
            protocol: target.kind.protocol(),
            endpoint: &target.target.arn,
            message_id: event_id,
            message_type: "Event",
        };
        let kind = if target.kind == TargetKind::Queue { delivery::SQS_JOB } else { INVOKE_JOB };
        delivery::enqueue(conn, kind, &new, &send, now_ms, now_ms).await?;
    }
    Ok(())
}

/// Matches each routed event ([`aws_core::outbox::ROUTE_JOB`]) against its bus's rules and queues a
/// delivery per target of every rule it matches, in one transaction that also completes the
/// routing job, so an event is routed exactly once.
pub struct Router {
    env: Arc<Env>,
    compiled: Mutex<HashMap<(String, String, String), Arc<Compiled>>>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router").finish_non_exhaustive()
    }
}

impl Router {
    /// A router with nothing compiled yet.
    pub fn new(env: Arc<Env>) -> Self {
        Self { env, compiled: Mutex::new(HashMap::new()) }
    }

    /// The bus's compiled rules, reloaded when the bus changed since they were compiled.
    async fn rules(&self, scope: Scope<'_>, bus: &str) -> Result<Option<Arc<Compiled>>, StoreError> {
        let mut conn = self.env.store.read().await?;
        let Some(current) = db::bus(&mut conn, scope, bus).await? else { return Ok(None) };
        let key = (scope.account_id.to_owned(), scope.region.to_owned(), bus.to_owned());
        let cached = self.compiled.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key).cloned();
        if let Some(c) = cached.filter(|c| c.generation == current.generation) {
            return Ok(Some(c));
        }
        let mut rules = pattern::RuleSet::new();
        let mut entries = Vec::new();
        for rule in db::routing_rules(&mut conn, scope, bus).await? {
            let Some(pattern) = rule.event_pattern.as_deref().and_then(|p| pattern::Pattern::parse(p).ok()) else {
                tracing::error!(rule = %rule.arn, "a stored event pattern no longer parses; the rule is skipped");
                continue;
            };
            let targets = ready_targets(&mut conn, scope, &rule).await?;
            rules.add(entries.len(), pattern);
            entries.push(ReadyRule { rule, targets });
        }
        let compiled = Arc::new(Compiled { generation: current.generation, rules, entries });
        self.compiled.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key, compiled.clone());
        Ok(Some(compiled))
    }
}

#[async_trait::async_trait]
impl Handler for Router {
    async fn run(&self, job: &Job) -> Result<Outcome, StoreError> {
        let Ok(routed) = serde_json::from_str::<outbox::RouteJob>(&job.payload) else {
            tracing::error!(id = job.id, "an event routing job does not parse; dropping it");
            return Ok(Outcome::Done);
        };
        let (Ok(event), Ok(flat)) =
            (serde_json::from_str::<Value>(&routed.event), pattern::Event::parse(&routed.event))
        else {
            tracing::error!(id = job.id, "a routed event is not a JSON object; dropping it");
            return Ok(Outcome::Done);
        };
        let text = |k: &str| event.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let (account, region) = (text("account"), text("region"));
        let scope = Scope { account_id: &account, region: &region };
        if routed.hops > MAX_HOPS {
            metrics::counter!("spcred_events_refused_total", "reason" => "hops").increment(1);
            tracing::error!(bus = %routed.bus, event = %text("id"), "an event went through too many buses (a cycle of bus targets?); it is not routed further");
            return Ok(Outcome::Done);
        }
        let now = self.env.now_ms();
        let compiled = match self.rules(scope, &routed.bus).await? {
            Some(compiled) => compiled,
            // A bus that does not exist has no rules (the default bus exists once it is used);
            // the event is still logged.
            None => Arc::new(Compiled { generation: -1, rules: pattern::RuleSet::new(), entries: Vec::new() }),
        };
        let matched = compiled.rules.matching(&flat);
        let mut tx = self.env.store.begin().await?;
        let log = db::Logged {
            id: job.id,
            time_ms: now,
            account_id: account.clone(),
            region: region.clone(),
            bus: routed.bus.clone(),
            source: text("source"),
            detail_type: text("detail-type"),
            event: routed.event.clone(),
            matched: i64::try_from(matched.len()).unwrap_or(i64::MAX),
        };
        db::log_event(&mut tx, scope, &routed.bus, &log).await?;
        for index in &matched {
            let entry = &compiled.entries[**index];
            let routed_event = Routed { text: &routed.event, value: &event, hops: routed.hops };
            queue_targets(&self.env, &mut tx, &entry.rule, &entry.targets, routed_event, now).await?;
        }
        jobs::complete(&mut tx, job.id).await?;
        tx.commit().await?;
        metrics::counter!("spcred_events_routed_total").increment(1);
        metrics::counter!("spcred_events_rule_matches_total").increment(u64::try_from(matched.len()).unwrap_or(0));
        if !matched.is_empty() {
            self.env.work_queued.notify_one();
        }
        Ok(Outcome::Done)
    }
}

/// Invokes SNS topic and event bus targets ([`INVOKE_JOB`]): a topic gets the event published
/// if its policy lets `events.amazonaws.com` publish for the rule; a bus gets it routed. Each
/// attempt is recorded; failures that retrying cannot fix (no such topic, no permission) are
/// not retried, as EventBridge does, and go to the target's dead-letter queue if it has one.
pub struct Invoker {
    env: Arc<Env>,
}

impl std::fmt::Debug for Invoker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invoker").finish_non_exhaustive()
    }
}

/// What invoking a target came to, before it is recorded.
enum Invoked {
    /// Delivered in this transaction.
    Delivered(store::Tx, String),
    /// Not delivered.
    Failed(Attempt),
}

impl Invoker {
    /// An invoker publishing through the core's `Topics` port and invoking through its
    /// `Functions` port.
    pub fn new(env: Arc<Env>) -> Self {
        Self { env }
    }

    async fn audit(&self, send: &Send, operation: &str, outcome: &str, error: Option<&str>) {
        let record = store::audit::Record {
            time_ms: self.env.now_ms(),
            request_id: send.delivery_id.clone(),
            principal_arn: Some(PRINCIPAL.to_owned()),
            source_ip: "internal".to_owned(),
            service: operation.split(':').next().unwrap_or_default().to_owned(),
            operation: operation.split(':').nth(1).unwrap_or_default().to_owned(),
            outcome: outcome.to_owned(),
            error_code: error.map(str::to_owned),
            region: None,
        };
        if self.env.audit.record(record).await.is_err() {
            tracing::error!(delivery = %send.delivery_id, "could not audit a target invocation");
        }
    }

    async fn to_topic(&self, send: &Send) -> Result<Invoked, StoreError> {
        let internal =
            |error: String| Invoked::Failed(Attempt::Failed { error: format!("INTERNAL: {error}"), retryable: true });
        let topics = match self.env.port::<dyn Topics>() {
            Ok(topics) => topics,
            Err(e) => return Ok(internal(e.to_string())),
        };
        match topics.publish(&self.env, &send.endpoint, &send.body, PRINCIPAL, &send.source_arn).await {
            Ok(Published { tx, message_id }) => {
                Ok(Invoked::Delivered(tx, format!("published as message {message_id}")))
            }
            Err(TopicError::NoSuchTopic(_)) => {
                self.audit(send, "sns:Publish", "Error", Some("NotFound")).await;
                Ok(Invoked::Failed(Attempt::Failed {
                    error: format!("RESOURCE_NOT_FOUND: topic {} does not exist", send.endpoint),
                    retryable: false,
                }))
            }
            Err(TopicError::AccessDenied(message)) => {
                self.audit(send, "sns:Publish", "Denied", Some("AuthorizationError")).await;
                Ok(Invoked::Failed(Attempt::Failed { error: format!("NO_PERMISSIONS: {message}"), retryable: false }))
            }
            Err(TopicError::Failed(message)) => Ok(internal(message)),
            Err(TopicError::Store(e)) => Err(e),
        }
    }

    /// Queues an asynchronous invocation of the function, if its resource-based policy lets
    /// EventBridge invoke it for the rule (as `aws lambda add-permission` grants).
    async fn to_function(&self, send: &Send) -> Result<Invoked, StoreError> {
        let not_found = || {
            Invoked::Failed(Attempt::Failed {
                error: format!("RESOURCE_NOT_FOUND: function {} does not exist", send.endpoint),
                retryable: false,
            })
        };
        let functions = match self.env.port::<dyn Functions>() {
            Ok(functions) => functions,
            Err(e) => return Ok(Invoked::Failed(Attempt::Failed { error: format!("INTERNAL: {e}"), retryable: true })),
        };
        let Some((scope, name)) = functions.parse_arn(&send.endpoint) else {
            return Ok(not_found());
        };
        match functions.authorize_service_invoke(&self.env, PRINCIPAL, &send.source_arn, scope, name).await {
            Ok(true) => {}
            Ok(false) => return Ok(not_found()),
            Err(CommonError::AccessDenied(message)) => {
                self.audit(send, "lambda:InvokeFunction", "Denied", Some("AccessDeniedException")).await;
                return Ok(Invoked::Failed(Attempt::Failed {
                    error: format!("NO_PERMISSIONS: {message}"),
                    retryable: false,
                }));
            }
            Err(e) => return Ok(Invoked::Failed(Attempt::Failed { error: format!("INTERNAL: {e}"), retryable: true })),
        }
        let mut tx = self.env.store.begin().await?;
        functions.enqueue_invocation(&self.env, &mut tx, scope, name, &send.delivery_id, send.body.as_bytes()).await?;
        Ok(Invoked::Delivered(tx, format!("queued an asynchronous invocation of {name}")))
    }

    async fn to_bus(&self, send: &Send) -> Result<Invoked, StoreError> {
        let parts: Vec<&str> = send.endpoint.splitn(6, ':').collect();
        let (region, account, bus) = match parts.as_slice() {
            [_, _, _, region, account, resource] => (*region, *account, resource.trim_start_matches("event-bus/")),
            _ => ("", "", ""),
        };
        let scope = Scope { account_id: account, region };
        let exists = bus == "default" || db::bus(&mut *self.env.store.read().await?, scope, bus).await?.is_some();
        if !exists {
            return Ok(Invoked::Failed(Attempt::Failed {
                error: format!("RESOURCE_NOT_FOUND: event bus {} does not exist", send.endpoint),
                retryable: false,
            }));
        }
        let mut tx = self.env.store.begin().await?;
        outbox::enqueue_text(&mut tx, bus, send.body.clone(), send.hops + 1, self.env.now_ms()).await?;
        Ok(Invoked::Delivered(tx, format!("put on event bus {bus}")))
    }
}

#[async_trait::async_trait]
impl Handler for Invoker {
    async fn run(&self, job: &Job) -> Result<Outcome, StoreError> {
        let Ok(send) = serde_json::from_str::<Send>(&job.payload) else {
            tracing::error!(id = job.id, "a target invocation job does not parse; dropping it");
            return Ok(Outcome::Done);
        };
        let Some(open) = delivery::open(&mut *self.env.store.read().await?, &send.delivery_id).await? else {
            return Ok(Outcome::Done);
        };
        let invoked = match TargetKind::of(&send.endpoint) {
            Some(TargetKind::Topic) => self.to_topic(&send).await?,
            Some(TargetKind::Bus) => self.to_bus(&send).await?,
            Some(TargetKind::Function) => self.to_function(&send).await?,
            _ => Invoked::Failed(Attempt::Failed { error: "unsupported target".into(), retryable: false }),
        };
        let now = self.env.now_ms();
        let settled = match invoked {
            Invoked::Delivered(mut tx, detail) => {
                delivery::mark_delivered(&mut tx, &send.delivery_id, open.attempts + 1, &detail, now).await?;
                jobs::complete(&mut tx, job.id).await?;
                tx.commit().await?;
                // Audited once committed: the audit log writes through the same store writer.
                match TargetKind::of(&send.endpoint) {
                    Some(TargetKind::Topic) => self.audit(&send, "sns:Publish", "Allowed", None).await,
                    Some(TargetKind::Function) => self.audit(&send, "lambda:InvokeFunction", "Allowed", None).await,
                    _ => {}
                }
                self.env.work_queued.notify_one();
                (Outcome::Done, Settled::Delivered)
            }
            Invoked::Failed(attempt) => {
                if let Attempt::Failed { error, .. } = &attempt {
                    tracing::warn!(rule = %send.source_arn, target = %send.endpoint, %error, "target invocation failed");
                }
                delivery::settle(&self.env.store, job, &send, open.attempts, attempt, now, self.env.ids.random_u64())
                    .await?
            }
        };
        metrics::counter!("spcred_events_invocations_total", "outcome" => settled.1.as_str()).increment(1);
        Ok(settled.0)
    }
}

/// Fires scheduled rules ([`SCHEDULE_JOB`]): each firing sends a "Scheduled Event" to the
/// rule's targets and queues the next firing, in one transaction.
pub struct ScheduledRules {
    env: Arc<Env>,
}

impl std::fmt::Debug for ScheduledRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScheduledRules").finish_non_exhaustive()
    }
}

impl ScheduledRules {
    /// The scheduled-rule handler.
    pub fn new(env: Arc<Env>) -> Self {
        Self { env }
    }
}

#[async_trait::async_trait]
impl Handler for ScheduledRules {
    async fn run(&self, job: &Job) -> Result<Outcome, StoreError> {
        let arn = serde_json::from_str::<Value>(&job.payload)
            .ok()
            .and_then(|v| v.get("rule").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [_, _, _, region, account, _] = parts.as_slice() else { return Ok(Outcome::Done) };
        let scope = Scope { account_id: account, region };
        // Everything is decided in one write transaction, so a PutRule, DisableRule or
        // DeleteRule running at the same time is either wholly before or wholly after it.
        let mut tx = self.env.store.begin().await?;
        let rule = db::rule_by_arn(&mut tx, &arn).await?;
        // This firing's timer and any other of the rule's (a PutRule re-schedules) go; the
        // next one is queued below if the rule still fires.
        jobs::cancel(&mut tx, SCHEDULE_JOB, &job.payload).await?;
        let Some((rule, schedule)) = rule
            .filter(|r| r.state != "DISABLED")
            .and_then(|r| r.schedule.as_deref().and_then(|s| Schedule::parse(s).ok()).map(|s| (r, s)))
        else {
            tx.commit().await?;
            return Ok(Outcome::Done);
        };
        let now = self.env.now_ms();
        let mut firings = vec![job.due_ms];
        while let Some(next) =
            schedule.next_after(job.due_ms, *firings.last().unwrap_or(&job.due_ms)).filter(|n| *n <= now)
        {
            if firings.len() == MAX_CATCH_UP {
                break;
            }
            firings.push(next);
        }
        let last = *firings.last().unwrap_or(&job.due_ms);
        let skipped = schedule_gap(&schedule, job.due_ms, last, now);
        if skipped > 0 {
            metrics::counter!("spcred_events_schedule_skipped_total").increment(skipped);
            tracing::warn!(rule = %arn, skipped, "missed firings of a scheduled rule were skipped (the server was down or the clock jumped)");
        }
        let targets = ready_targets(&mut tx, scope, &rule).await?;
        for at in firings {
            let event = outbox::Event::from_service(
                &self.env.ids,
                "aws.events",
                "Scheduled Event",
                scope,
                at,
                vec![rule_arn(region, account, &rule.bus, &rule.name)],
                Value::Object(serde_json::Map::new()),
            );
            let text = serde_json::to_string(&event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let value = serde_json::to_value(&event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            queue_targets(&self.env, &mut tx, &rule, &targets, Routed { text: &text, value: &value, hops: 0 }, now)
                .await?;
        }
        if let Some(next) = schedule.next_after(job.due_ms, last.max(now)) {
            jobs::enqueue(&mut tx, SCHEDULE_JOB, next, &job.payload, now).await?;
        }
        tx.commit().await?;
        self.env.work_queued.notify_one();
        metrics::counter!("spcred_events_scheduled_total").increment(1);
        Ok(Outcome::Done)
    }
}

/// How many firings between `last` (fired) and `now` were skipped, counted up to a bound.
fn schedule_gap(schedule: &Schedule, anchor: i64, last: i64, now: i64) -> u64 {
    let mut count = 0;
    let mut at = last;
    while let Some(next) = schedule.next_after(anchor, at).filter(|n| *n <= now) {
        count += 1;
        at = next;
        if count == 1_000_000 {
            break;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(spec: &str) -> db::Target {
        db::Target {
            rule: "r".to_owned(),
            id: "t".to_owned(),
            arn: "arn:aws:sns:us-east-1:123456789012:topic".to_owned(),
            spec: spec.to_owned(),
        }
    }

    #[test]
    fn targets_stored_by_earlier_versions_still_read() {
        // The JSON of the request's target, in the order the client sent its members.
        let row = stored(
            r#"{"Id":"t","Arn":"arn:aws:sns:us-east-1:123456789012:topic","RetryPolicy":{"MaximumRetryAttempts":3,"MaximumEventAgeInSeconds":120},"DeadLetterConfig":{"Arn":"arn:aws:sqs:us-east-1:123456789012:dlq"},"InputTransformer":{"InputTemplate":"\"<s> on <aws.events.rule-name>\"","InputPathsMap":{"s":"$.source"}}}"#,
        );
        let ready = ReadyTarget::new(row).unwrap();
        assert_eq!(ready.kind, TargetKind::Topic);
        assert_eq!(ready.retry, Retry::Doubling { first_s: 1, cap_s: 480, retries: 3, max_age_s: 120 });
        assert_eq!(ready.dead_letter.as_deref(), Some("arn:aws:sqs:us-east-1:123456789012:dlq"));
        let at = Invocation { rule_arn: "arn", rule_name: "r", ingestion_time: "now" };
        let event = serde_json::json!({"source": "app"});
        assert_eq!(ready.input.render(&event.to_string(), &event, &at), r#""app on r""#);

        let plain = ReadyTarget::new(stored(r#"{"Id":"t","Arn":"arn:aws:sns:us-east-1:123456789012:topic"}"#)).unwrap();
        assert_eq!(plain.retry, Retry::EVENTS_DEFAULT);
        assert_eq!(plain.dead_letter, None);
        assert!(matches!(plain.input, Input::Event));
    }
}
