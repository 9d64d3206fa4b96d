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
pub use ops::Op;
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
use aws_core::service::{self, Authorization, Check, Ctx, Operation as _, Service};
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

fn str_field<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Value::as_str)
}

#[async_trait::async_trait]
impl Service for EventBridge {
    type Request = aws_core::service::Untyped<Op>;
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

    async fn authorize(
        &self,
        ctx: &Ctx<'_>,
        request: &aws_core::service::Untyped<Op>,
    ) -> Result<Authorization, EventsError> {
        let (op, input) = (request.op, &request.input);
        let action = format!("events:{}", op.name());
        let (region, account) = (ctx.region, ctx.account());
        let bus = |field: &str| bus_name(ctx, str_field(input, field));
        let resource = match op {
            Op::CreateEventBus | Op::DeleteEventBus | Op::UpdateEventBus => {
                bus_arn(region, account, str_field(input, "Name").unwrap_or("default"))
            }
            Op::DescribeEventBus => bus_arn(region, account, &bus("Name")?),
            Op::PutRule | Op::DescribeRule | Op::DeleteRule | Op::EnableRule | Op::DisableRule => {
                rule_arn(region, account, &bus("EventBusName")?, str_field(input, "Name").unwrap_or_default())
            }
            Op::PutTargets | Op::RemoveTargets | Op::ListTargetsByRule => {
                rule_arn(region, account, &bus("EventBusName")?, str_field(input, "Rule").unwrap_or_default())
            }
            Op::TagResource | Op::UntagResource | Op::ListTagsForResource => {
                str_field(input, "ResourceARN").unwrap_or_default().to_owned()
            }
            Op::ListEventBuses | Op::ListRules | Op::ListRuleNamesByTarget | Op::TestEventPattern => "*".to_owned(),
            Op::PutEvents => return Ok(api::put_events_authorization(ctx, input)),
        };
        Ok(Authorization::one(Check::new(action, resource)))
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: aws_core::service::Untyped<Op>) -> Result<Value, EventsError> {
        let aws_core::service::Untyped { op, input } = request;
        let output = match op {
            Op::CreateEventBus => api::create_event_bus(ctx, service::input(input)?).await?,
            Op::DeleteEventBus => api::delete_event_bus(ctx, service::input(input)?).await?,
            Op::DescribeEventBus => api::describe_event_bus(ctx, service::input(input)?).await?,
            Op::UpdateEventBus => api::update_event_bus(ctx, service::input(input)?).await?,
            Op::ListEventBuses => api::list_event_buses(ctx, service::input(input)?).await?,
            Op::PutRule => api::put_rule(ctx, service::input(input)?).await?,
            Op::DescribeRule => api::describe_rule(ctx, service::input(input)?).await?,
            Op::DeleteRule => api::delete_rule(ctx, service::input(input)?).await?,
            Op::EnableRule => api::set_rule_state(ctx, service::input(input)?, "ENABLED").await?,
            Op::DisableRule => api::set_rule_state(ctx, service::input(input)?, "DISABLED").await?,
            Op::ListRules => api::list_rules(ctx, service::input(input)?).await?,
            Op::ListRuleNamesByTarget => api::list_rule_names_by_target(ctx, service::input(input)?).await?,
            Op::PutTargets => api::put_targets(ctx, service::input(input)?).await?,
            Op::RemoveTargets => api::remove_targets(ctx, service::input(input)?).await?,
            Op::ListTargetsByRule => api::list_targets_by_rule(ctx, service::input(input)?).await?,
            Op::PutEvents => api::put_events(ctx, service::input(input)?).await?,
            Op::TestEventPattern => api::test_event_pattern(&service::input(input)?)?,
            Op::TagResource => api::tag_resource(ctx, service::input(input)?).await?,
            Op::UntagResource => api::untag_resource(ctx, service::input(input)?).await?,
            Op::ListTagsForResource => api::list_tags_for_resource(ctx, service::input(input)?).await?,
        };
        Ok(output)
    }
}
