//! Amazon EventBridge (awsJson1_1, `AWSEvents`): event buses, rules with event patterns or
//! schedules, targets (SNS topics, SQS queues, other buses) with their input transformations,
//! PutEvents, TestEventPattern and tags.
//!
//! Nothing is delivered inside a request. PutEvents and AWS services ([`aws_core::outbox::emit`]) queue
//! each event as a [`aws_core::outbox::ROUTE_JOB`] in the transaction that causes it; the [`Router`]
//! matches it against the bus's rules (the `pattern` crate, compiled once per change of the
//! bus) and queues one delivery per matching target, rendered as the target asks; the
//! [`Invoker`] (SNS topics, other buses) and the SQS delivery job then deliver it, each attempt
//! recorded and retried by the target's retry policy, and only if the target's resource policy
//! lets `events.amazonaws.com` in for that rule.

pub mod ops;
pub use ops::{Op, Request};
mod api;
mod error;
pub(crate) mod input;
pub mod outbox;
mod router;
pub(crate) mod schedule;

/// EventBridge's service model (generated from botocore by `tools/gen-models.py`).
pub static MODEL: std::sync::LazyLock<wire::ServiceModel> =
    std::sync::LazyLock::new(|| aws_core::models::load("events", include_str!("../models/events.json")));

use aws_core::error::Flavor;
use aws_core::service::{Authorization, Check, Ctx, Operation as _, Request as _, Service};
use serde_json::Value;

pub use error::EventsError;
pub use router::{Invoker, Router, ScheduledRules};

/// The job that delivers one event to an SNS topic or another bus; its payload is a
/// `store::delivery::Send`.
pub const INVOKE_JOB: &str = "events.invoke";
/// The job that fires a scheduled rule; payload `{"rule": ARN}`.
pub const SCHEDULE_JOB: &str = "events.schedule";

/// The service principal EventBridge delivers as.
pub const PRINCIPAL: &str = "events.amazonaws.com";

/// An event bus's ARN.
pub(crate) fn bus_arn(region: &str, account: &str, bus: &str) -> String {
    format!("arn:aws:events:{region}:{account}:event-bus/{bus}")
}

/// A rule's ARN: rules of the default bus leave the bus out.
pub(crate) fn rule_arn(region: &str, account: &str, bus: &str, name: &str) -> String {
    if bus == "default" {
        format!("arn:aws:events:{region}:{account}:rule/{name}")
    } else {
        format!("arn:aws:events:{region}:{account}:rule/{bus}/{name}")
    }
}

/// The name in an `EventBusName` parameter (a name or an ARN); `default` when absent. A bus ARN
/// of another account or region names no bus of the caller's.
pub(crate) fn bus_name(ctx: &Ctx<'_>, given: Option<&str>) -> Result<String, EventsError> {
    let Some(given) = given else { return Ok("default".to_owned()) };
    let Some(rest) = given.strip_prefix("arn:") else { return Ok(given.to_owned()) };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    match parts.as_slice() {
        [_, "events", region, account, resource] if *region == ctx.region && *account == ctx.account() => {
            match resource.strip_prefix("event-bus/") {
                Some(name) if !name.is_empty() => Ok(name.to_owned()),
                _ => Err(EventsError::NotFound(format!("Event bus {given} does not exist."))),
            }
        }
        _ => Err(EventsError::NotFound(format!("Event bus {given} does not exist."))),
    }
}

/// The EventBridge service.
#[derive(Debug, Default)]
pub struct EventBridge;

#[async_trait::async_trait]
impl Service for EventBridge {
    type Request = Request;
    type Error = EventsError;

    fn signing_name(&self) -> &'static str {
        "events"
    }

    fn model(&self) -> &'static wire::ServiceModel {
        &crate::MODEL
    }

    fn flavor(&self) -> Flavor {
        Flavor::Json
    }

    async fn authorize(&self, ctx: &Ctx<'_>, request: &Request) -> Result<Authorization, EventsError> {
        let action = format!("events:{}", request.op().name());
        let (region, account) = (ctx.region, ctx.account());
        let bus = |given: &Option<String>| bus_name(ctx, given.as_deref());
        let resource = match request {
            Request::CreateEventBus(ops::CreateEventBusRequest { name, .. })
            | Request::DeleteEventBus(ops::DeleteEventBusRequest { name }) => bus_arn(region, account, name),
            Request::UpdateEventBus(input) => bus_arn(region, account, input.name.as_deref().unwrap_or("default")),
            Request::DescribeEventBus(input) => bus_arn(region, account, &bus(&input.name)?),
            Request::PutRule(ops::PutRuleRequest { event_bus_name, name, .. })
            | Request::DescribeRule(ops::DescribeRuleRequest { event_bus_name, name })
            | Request::DeleteRule(ops::DeleteRuleRequest { event_bus_name, name, .. })
            | Request::EnableRule(ops::EnableRuleRequest { event_bus_name, name })
            | Request::DisableRule(ops::DisableRuleRequest { event_bus_name, name }) => {
                rule_arn(region, account, &bus(event_bus_name)?, name)
            }
            Request::PutTargets(ops::PutTargetsRequest { event_bus_name, rule, .. })
            | Request::RemoveTargets(ops::RemoveTargetsRequest { event_bus_name, rule, .. })
            | Request::ListTargetsByRule(ops::ListTargetsByRuleRequest { event_bus_name, rule, .. }) => {
                rule_arn(region, account, &bus(event_bus_name)?, rule)
            }
            Request::TagResource(ops::TagResourceRequest { resource_arn, .. })
            | Request::UntagResource(ops::UntagResourceRequest { resource_arn, .. })
            | Request::ListTagsForResource(ops::ListTagsForResourceRequest { resource_arn }) => resource_arn.clone(),
            Request::ListEventBuses(_)
            | Request::ListRules(_)
            | Request::ListRuleNamesByTarget(_)
            | Request::TestEventPattern(_) => "*".to_owned(),
            Request::PutEvents(input) => return Ok(api::put_events_authorization(ctx, input)),
        };
        Ok(Authorization::one(Check::new(action, resource)))
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: Request) -> Result<Value, EventsError> {
        let output = match request {
            Request::CreateEventBus(input) => api::create_event_bus(ctx, input).await?,
            Request::DeleteEventBus(input) => api::delete_event_bus(ctx, input).await?,
            Request::DescribeEventBus(input) => api::describe_event_bus(ctx, input).await?,
            Request::UpdateEventBus(input) => api::update_event_bus(ctx, input).await?,
            Request::ListEventBuses(input) => api::list_event_buses(ctx, input).await?,
            Request::PutRule(input) => api::put_rule(ctx, input).await?,
            Request::DescribeRule(input) => api::describe_rule(ctx, input).await?,
            Request::DeleteRule(input) => api::delete_rule(ctx, input).await?,
            Request::EnableRule(input) => {
                api::set_rule_state(ctx, input.event_bus_name.as_deref(), &input.name, "ENABLED").await?
            }
            Request::DisableRule(input) => {
                api::set_rule_state(ctx, input.event_bus_name.as_deref(), &input.name, "DISABLED").await?
            }
            Request::ListRules(input) => api::list_rules(ctx, input).await?,
            Request::ListRuleNamesByTarget(input) => api::list_rule_names_by_target(ctx, input).await?,
            Request::PutTargets(input) => api::put_targets(ctx, input).await?,
            Request::RemoveTargets(input) => api::remove_targets(ctx, input).await?,
            Request::ListTargetsByRule(input) => api::list_targets_by_rule(ctx, input).await?,
            Request::PutEvents(input) => api::put_events(ctx, input).await?,
            Request::TestEventPattern(input) => api::test_event_pattern(&input)?,
            Request::TagResource(input) => api::tag_resource(ctx, input).await?,
            Request::UntagResource(input) => api::untag_resource(ctx, input).await?,
            Request::ListTagsForResource(input) => api::list_tags_for_resource(ctx, input).await?,
        };
        Ok(output)
    }
}
