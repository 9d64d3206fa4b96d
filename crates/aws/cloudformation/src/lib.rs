//! AWS CloudFormation (awsQuery): stacks from JSON or YAML templates, made of the resources the
//! other spcred services serve, created in dependency order and rolled back on failure; change
//! sets, so `aws cloudformation deploy` works as written.
//!
//! Each step calls the owning service's own operation as the stack's caller (see
//! [`Dispatcher::call`]): validated, authorized and audited as if the caller had made it. Stack
//! operations run to their end inside the request that starts them, so by the time the caller
//! polls, the stack is in a final state; the events tell what happened step by step. Templates,
//! parameter values and resource properties are sealed at rest.

pub mod ops;
pub use ops::Op;
mod changes;
mod error;
mod resources;
mod stack;
mod template;

pub use error::CfnError;

/// AWS CloudFormation's service model (generated from botocore by `tools/gen-models.py`).
pub static MODEL: std::sync::LazyLock<wire::ServiceModel> = std::sync::LazyLock::new(|| {
    aws_core::models::load("cloudformation", include_str!("../models/cloudformation.json"))
});

use aws_core::pipeline::Dispatcher;
use aws_core::service::{Authorization, Check, Ctx, Service};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ops::Request;
use resources::Calls;
use serde_json::{Value, json};
use stack::{Body, Runner};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};
use store::Scope;
use store::cloudformation as db;
use template::Template;

/// Events per DescribeStackEvents page, stacks per DescribeStacks/ListStacks page.
const EVENTS_PAGE: i64 = 100;
const STACKS_PAGE: usize = 100;
/// At most this many live stacks per account and region (CloudFormation's default quota).
const MAX_STACKS: usize = 2000;

/// The dispatcher CloudFormation calls the other services through, set once the dispatcher
/// that holds CloudFormation itself is built.
#[derive(Debug, Clone, Default)]
pub struct DispatcherLink(Arc<OnceLock<Weak<Dispatcher>>>);

impl DispatcherLink {
    /// Points the link at the dispatcher.
    pub fn connect(&self, dispatcher: &Arc<Dispatcher>) {
        let _ = self.0.set(Arc::downgrade(dispatcher));
    }

    fn get(&self) -> Result<Arc<Dispatcher>, CfnError> {
        self.0.get().and_then(Weak::upgrade).ok_or(CfnError::Common(aws_core::CommonError::Internal))
    }
}

/// At start: stacks left mid-operation by a server that stopped are marked failed (see
/// `store::cloudformation::interrupted`), so they can be deleted instead of staying busy forever.
pub async fn recover(env: &aws_core::Env) -> Result<(), store::StoreError> {
    let mut tx = env.store.begin().await?;
    let stacks = db::interrupted(&mut tx, env.now_ms()).await?;
    tx.commit().await?;
    if stacks > 0 {
        tracing::warn!(stacks, "stacks left mid-operation by the last run are marked failed");
    }
    Ok(())
}

/// The CloudFormation service.
#[derive(Debug, Default)]
pub struct CloudFormation {
    link: DispatcherLink,
}

impl CloudFormation {
    /// CloudFormation, calling the services through `link` once it is connected.
    pub fn new(link: DispatcherLink) -> Self {
        Self { link }
    }
}

fn stack_arn(ctx: &Ctx<'_>, name: &str) -> String {
    if name.starts_with("arn:") {
        return name.to_owned();
    }
    format!("arn:aws:cloudformation:{}:{}:stack/{name}/*", ctx.region, ctx.account())
}

#[async_trait::async_trait]
impl Service for CloudFormation {
    type Request = Request;
    type Error = CfnError;

    fn signing_name(&self) -> &'static str {
        "cloudformation"
    }

    fn model(&self) -> &'static wire::ServiceModel {
        &crate::MODEL
    }

    fn flavor(&self) -> aws_core::error::Flavor {
        aws_core::error::Flavor::Query
    }

    async fn authorize(&self, ctx: &Ctx<'_>, request: &Request) -> Result<Authorization, CfnError> {
        use aws_core::service::{Operation, Request as _};
        let resource = stack_name(request).map_or_else(|| "*".to_owned(), |name| stack_arn(ctx, name));
        Ok(Authorization::one(Check::new(format!("cloudformation:{}", request.op().name()), resource)))
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: Request) -> Result<Value, CfnError> {
        let c = Stacks { ctx, link: &self.link, scope: Scope { account_id: ctx.account(), region: ctx.region } };
        match request {
            Request::CreateStack(input) => answer(&c.create(input).await?),
            Request::UpdateStack(input) => answer(&c.update(input).await?),
            Request::DeleteStack(input) => {
                c.delete(input).await?;
                Ok(json!({}))
            }
            Request::DescribeStacks(input) => answer(&c.describe(input).await?),
            Request::ListStacks(input) => answer(&c.list(input).await?),
            Request::DescribeStackEvents(input) => answer(&c.events(input).await?),
            Request::ListStackResources(input) => answer(&c.list_resources(&input.stack_name).await?),
            Request::DescribeStackResources(input) => answer(&c.describe_resources(input).await?),
            Request::DescribeStackResource(input) => answer(&c.describe_resource(input).await?),
            Request::GetTemplate(input) => answer(&c.template(input).await?),
            Request::GetTemplateSummary(input) => answer(&c.summary(input).await?),
            Request::ValidateTemplate(input) => answer(&Stacks::validate(input)?),
            Request::CreateChangeSet(input) => answer(&c.create_change_set(input).await?),
            Request::DescribeChangeSet(input) => answer(&c.describe_change_set(input).await?),
            Request::ExecuteChangeSet(input) => answer(&c.execute_change_set(input).await?),
            Request::DeleteChangeSet(input) => answer(&c.delete_change_set(input).await?),
            Request::ListChangeSets(input) => answer(&c.list_change_sets(input).await?),
        }
    }
}

/// An operation's typed output as the normalised value.
fn answer<T: serde::Serialize>(out: &T) -> Result<Value, CfnError> {
    Ok(aws_core::service::output(out)?)
}

/// The stack a request acts on, as its caller named it.
fn stack_name(request: &Request) -> Option<&str> {
    match request {
        Request::CreateChangeSet(i) => Some(&i.stack_name),
        Request::CreateStack(i) => Some(&i.stack_name),
        Request::DeleteStack(i) => Some(&i.stack_name),
        Request::DescribeStackEvents(i) => Some(&i.stack_name),
        Request::DescribeStackResource(i) => Some(&i.stack_name),
        Request::ListChangeSets(i) => Some(&i.stack_name),
        Request::ListStackResources(i) => Some(&i.stack_name),
        Request::UpdateStack(i) => Some(&i.stack_name),
        Request::DeleteChangeSet(i) => i.stack_name.as_deref(),
        Request::DescribeChangeSet(i) => i.stack_name.as_deref(),
        Request::DescribeStackResources(i) => i.stack_name.as_deref(),
        Request::DescribeStacks(i) => i.stack_name.as_deref(),
        Request::ExecuteChangeSet(i) => i.stack_name.as_deref(),
        Request::GetTemplate(i) => i.stack_name.as_deref(),
        Request::GetTemplateSummary(i) => i.stack_name.as_deref(),
        Request::ListStacks(_) | Request::ValidateTemplate(_) => None,
    }
}

use aws_core::service::epoch_seconds as time;

fn not_found(name: &str) -> CfnError {
    CfnError::Validation(format!("Stack with id {name} does not exist"))
}

fn page_token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(offset.to_string())
}

fn page_offset(token: Option<&String>) -> Result<usize, CfnError> {
    match token {
        None => Ok(0),
        Some(t) => URL_SAFE_NO_PAD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| CfnError::Validation("Invalid NextToken".into())),
    }
}

/// Loads a template body: parsed, checked, every resource type supported.
fn load(body: &str) -> Result<Template, CfnError> {
    let value = template::parse(body).map_err(CfnError::Validation)?;
    Template::load(&value, resources::supported).map_err(CfnError::Validation)
}

/// CloudFormation's answers for one account and region.
struct Stacks<'a> {
    ctx: &'a Ctx<'a>,
    link: &'a DispatcherLink,
    scope: Scope<'a>,
}

impl Stacks<'_> {
    async fn find(&self, name: &str) -> Result<Option<db::Stack>, CfnError> {
        Ok(db::stack(&mut *self.ctx.env.store.read().await?, self.scope, name).await?)
    }

    async fn live(&self, name: &str) -> Result<db::Stack, CfnError> {
        match self.find(name).await? {
            Some(s) if s.deleted_ms.is_none() => Ok(s),
            _ => Err(not_found(name)),
        }
    }

    /// The template text of a request: its body, or the stack's own with `UsePreviousTemplate`.
    fn body_of(
        body: Option<&String>,
        url: Option<&String>,
        use_previous: bool,
        previous: Option<&Body>,
    ) -> Result<String, CfnError> {
        if url.is_some() {
            return Err(CfnError::Validation(
                "TemplateURL is not supported: spcred has no S3; pass the template as TemplateBody".into(),
            ));
        }
        match (body, use_previous, previous) {
            (Some(body), false, _) => Ok(body.clone()),
            (None, true, Some(p)) => Ok(p.template.clone()),
            (Some(_), true, _) => Err(CfnError::Validation(
                "An input must be specified for either TemplateBody or UsePreviousTemplate, not both".into(),
            )),
            _ => Err(CfnError::Validation("Either Template URL or Template Body must be specified.".into())),
        }
    }

    /// Checks parameters and capabilities against a template.
    fn prepare(
        template: &Template,
        parameters: &[ops::Parameter],
        capabilities: &[String],
        previous: Option<&Body>,
    ) -> Result<Vec<(String, String)>, CfnError> {
        let given: Vec<(String, Option<String>, bool)> = parameters
            .iter()
            .map(|p| {
                let key = p.parameter_key.clone().unwrap_or_default();
                (key, p.parameter_value.clone(), p.use_previous_value.unwrap_or(false))
            })
            .collect();
        let previous: HashMap<String, String> =
            previous.map(|b| b.parameters.iter().cloned().collect()).unwrap_or_default();
        let bound = template.bind(&given, &previous).map_err(CfnError::Validation)?;
        if let Some((needed, _)) = template.capability() {
            let ok = capabilities.iter().any(|c| c == needed || c == "CAPABILITY_NAMED_IAM");
            if !ok {
                return Err(CfnError::InsufficientCapabilities(format!("Requires capabilities : [{needed}]")));
            }
        }
        Ok(bound)
    }

    fn runner<'r>(&'r self, dispatcher: &'r Dispatcher, stack: db::Stack, name: &'r str) -> Runner<'r> {
        Runner { calls: Calls { dispatcher, ctx: self.ctx, stack_name: name }, stack }
    }

    fn new_stack(
        &self,
        name: &str,
        status: &str,
        capabilities: &[String],
        tags: &[ops::Tag],
        disable_rollback: bool,
    ) -> db::Stack {
        let stack_id = format!(
            "arn:aws:cloudformation:{}:{}:stack/{name}/{}",
            self.ctx.region,
            self.ctx.account(),
            self.ctx.env.ids.uuid()
        );
        db::Stack {
            body: stack::seal_body(self.ctx.env, &stack_id, &Body::default()),
            stack_id,
            name: name.to_owned(),
            status: status.to_owned(),
            status_reason: None,
            description: None,
            capabilities: json!(capabilities).to_string(),
            tags: json!(tags).to_string(),
            disable_rollback,
            created_ms: self.ctx.now_ms,
            updated_ms: None,
            deleted_ms: None,
        }
    }

    async fn insert(&self, stack: &db::Stack) -> Result<(), CfnError> {
        let mut tx = self.ctx.env.store.begin().await?;
        let live = db::stacks(&mut tx, self.scope).await?.iter().filter(|s| s.deleted_ms.is_none()).count();
        if live >= MAX_STACKS {
            return Err(CfnError::Validation(format!("Limit on the number of stacks ({MAX_STACKS}) exceeded")));
        }
        if !db::insert_stack(&mut tx, self.scope, stack).await? {
            return Err(CfnError::AlreadyExists(format!("Stack [{}] already exists", stack.name)));
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(())
    }

    async fn create(&self, input: ops::CreateStackInput) -> Result<ops::CreateStackOutput, CfnError> {
        let name = input.stack_name.clone();
        let text = Self::body_of(input.template_body.as_ref(), input.template_url.as_ref(), false, None)?;
        let template = load(&text)?;
        let capabilities = input.capabilities.as_deref().unwrap_or_default();
        let parameters = Self::prepare(&template, input.parameters.as_deref().unwrap_or_default(), capabilities, None)?;
        if self.find(&name).await?.is_some_and(|s| s.deleted_ms.is_none()) {
            return Err(CfnError::AlreadyExists(format!("Stack [{name}] already exists")));
        }
        let disable_rollback =
            input.disable_rollback.unwrap_or(false) || input.on_failure.as_deref() == Some("DO_NOTHING");
        let tags = input.tags.as_deref().unwrap_or_default();
        let stack = self.new_stack(&name, "CREATE_IN_PROGRESS", capabilities, tags, disable_rollback);
        self.insert(&stack).await?;
        let dispatcher = self.link.get()?;
        let mut runner = self.runner(&dispatcher, stack, &name);
        runner.deploy(&template, &text, parameters, None).await?;
        if runner.stack.status == "ROLLBACK_COMPLETE" && input.on_failure.as_deref() == Some("DELETE") {
            runner.delete(Some(&template)).await?;
        }
        Ok(ops::CreateStackOutput { stack_id: Some(runner.stack.stack_id), ..Default::default() })
    }

    async fn update(&self, input: ops::UpdateStackInput) -> Result<ops::UpdateStackOutput, CfnError> {
        let stack = self.live(&input.stack_name).await?;
        if !stack::settled_for_update(&stack.status) {
            return Err(CfnError::Validation(format!(
                "Stack:{} is in {} state and can not be updated.",
                stack.stack_id, stack.status
            )));
        }
        let previous = stack::open_body(self.ctx.env, &stack)?;
        let use_previous = input.use_previous_template.unwrap_or(false);
        let text =
            Self::body_of(input.template_body.as_ref(), input.template_url.as_ref(), use_previous, Some(&previous))?;
        let template = load(&text)?;
        let capabilities = input.capabilities.as_deref().unwrap_or_default();
        let given = input.parameters.as_deref().unwrap_or_default();
        let parameters = Self::prepare(&template, given, capabilities, Some(&previous))?;
        if text == previous.template && parameters == previous.parameters {
            return Err(CfnError::Validation("No updates are to be performed.".into()));
        }
        let old = load(&previous.template)?;
        let name = stack.name.clone();
        let dispatcher = self.link.get()?;
        let mut runner = self.runner(&dispatcher, stack, &name);
        runner.stack.capabilities = json!(capabilities).to_string();
        runner.stack.disable_rollback = input.disable_rollback.unwrap_or(false);
        runner.deploy(&template, &text, parameters, Some(&old)).await?;
        Ok(ops::UpdateStackOutput { stack_id: Some(runner.stack.stack_id), ..Default::default() })
    }

    async fn delete(&self, input: ops::DeleteStackInput) -> Result<(), CfnError> {
        let name = input.stack_name;
        // Deleting a stack that does not exist (or no longer does) succeeds, as in AWS.
        let Some(stack) = self.find(&name).await?.filter(|s| s.deleted_ms.is_none()) else {
            return Ok(());
        };
        if stack.status.ends_with("_IN_PROGRESS") && stack.status != "REVIEW_IN_PROGRESS" {
            return Err(CfnError::Validation(format!(
                "Stack [{}] cannot be deleted while in status {}",
                stack.name, stack.status
            )));
        }
        let body = stack::open_body(self.ctx.env, &stack)?;
        let template = if body.template.is_empty() { None } else { load(&body.template).ok() };
        let stack_name = stack.name.clone();
        let dispatcher = self.link.get()?;
        let mut runner = self.runner(&dispatcher, stack, &stack_name);
        runner.delete(template.as_ref()).await
    }

    fn stack_view(&self, s: &db::Stack) -> Result<ops::Stack, CfnError> {
        let body = stack::open_body(self.ctx.env, s)?;
        let template = if body.template.is_empty() { None } else { load(&body.template).ok() };
        let outputs = body
            .outputs
            .iter()
            .map(|o| ops::Output {
                output_key: Some(o.key.clone()),
                output_value: Some(o.value.clone()),
                description: o.description.clone(),
                export_name: o.export.clone(),
            })
            .collect();
        Ok(ops::Stack {
            stack_id: Some(s.stack_id.clone()),
            stack_name: s.name.clone(),
            parameters: Some(parameter_views(template.as_ref(), &body.parameters)),
            creation_time: time(s.created_ms),
            stack_status: s.status.clone(),
            disable_rollback: Some(s.disable_rollback),
            notification_ar_ns: Some(vec![]),
            capabilities: Some(serde_json::from_str(&s.capabilities).unwrap_or_default()),
            outputs: Some(outputs),
            tags: Some(serde_json::from_str(&s.tags).unwrap_or_default()),
            enable_termination_protection: Some(false),
            drift_information: Some(ops::StackDriftInformation {
                stack_drift_status: "NOT_CHECKED".into(),
                last_check_timestamp: None,
            }),
            description: s.description.clone(),
            stack_status_reason: s.status_reason.clone(),
            last_updated_time: s.updated_ms.map(time),
            deletion_time: s.deleted_ms.map(time),
            ..Default::default()
        })
    }

    async fn describe(&self, input: ops::DescribeStacksInput) -> Result<ops::DescribeStacksOutput, CfnError> {
        if let Some(name) = &input.stack_name {
            let stack = self.find(name).await?.ok_or_else(|| not_found(name))?;
            return Ok(ops::DescribeStacksOutput { stacks: Some(vec![self.stack_view(&stack)?]), next_token: None });
        }
        let all = db::stacks(&mut *self.ctx.env.store.read().await?, self.scope).await?;
        let live: Vec<&db::Stack> = all.iter().filter(|s| s.deleted_ms.is_none()).collect();
        let offset = page_offset(input.next_token.as_ref())?;
        let page = live.iter().skip(offset).take(STACKS_PAGE).map(|s| self.stack_view(s)).collect::<Result<_, _>>()?;
        Ok(ops::DescribeStacksOutput {
            stacks: Some(page),
            next_token: (offset + STACKS_PAGE < live.len()).then(|| page_token(offset + STACKS_PAGE)),
        })
    }

    async fn list(&self, input: ops::ListStacksInput) -> Result<ops::ListStacksOutput, CfnError> {
        let filter = input.stack_status_filter.unwrap_or_default();
        let all = db::stacks(&mut *self.ctx.env.store.read().await?, self.scope).await?;
        let chosen: Vec<&db::Stack> = all.iter().filter(|s| filter.is_empty() || filter.contains(&s.status)).collect();
        let offset = page_offset(input.next_token.as_ref())?;
        let summaries = chosen
            .iter()
            .skip(offset)
            .take(STACKS_PAGE)
            .map(|s| ops::StackSummary {
                stack_id: Some(s.stack_id.clone()),
                stack_name: s.name.clone(),
                creation_time: time(s.created_ms),
                stack_status: s.status.clone(),
                drift_information: Some(ops::StackDriftInformationSummary {
                    stack_drift_status: "NOT_CHECKED".into(),
                    last_check_timestamp: None,
                }),
                template_description: s.description.clone(),
                stack_status_reason: s.status_reason.clone(),
                last_updated_time: s.updated_ms.map(time),
                deletion_time: s.deleted_ms.map(time),
                ..Default::default()
            })
            .collect();
        Ok(ops::ListStacksOutput {
            stack_summaries: Some(summaries),
            next_token: (offset + STACKS_PAGE < chosen.len()).then(|| page_token(offset + STACKS_PAGE)),
        })
    }

    async fn events(&self, input: ops::DescribeStackEventsInput) -> Result<ops::DescribeStackEventsOutput, CfnError> {
        let name = input.stack_name;
        let stack = self.find(&name).await?.ok_or_else(|| not_found(&name))?;
        let before = match &input.next_token {
            None => None,
            Some(t) => Some(
                i64::try_from(page_offset(Some(t))?).map_err(|_| CfnError::Validation("Invalid NextToken".into()))?,
            ),
        };
        let rows = db::events(&mut *self.ctx.env.store.read().await?, &stack.stack_id, before, EVENTS_PAGE + 1).await?;
        let more = rows.len() > usize::try_from(EVENTS_PAGE).unwrap_or(usize::MAX);
        let events = rows
            .iter()
            .take(usize::try_from(EVENTS_PAGE).unwrap_or(usize::MAX))
            .map(|e| ops::StackEvent {
                stack_id: stack.stack_id.clone(),
                event_id: e.event_id.clone(),
                stack_name: stack.name.clone(),
                logical_resource_id: Some(e.logical_id.clone()),
                physical_resource_id: Some(e.physical_id.clone()),
                resource_type: Some(e.r#type.clone()),
                timestamp: time(e.time_ms),
                resource_status: Some(e.status.clone()),
                resource_status_reason: e.status_reason.clone(),
                ..Default::default()
            })
            .collect();
        let next_token = match rows.get(usize::try_from(EVENTS_PAGE - 1).unwrap_or_default()) {
            Some(last) if more => Some(page_token(usize::try_from(last.id).unwrap_or_default())),
            _ => None,
        };
        Ok(ops::DescribeStackEventsOutput { stack_events: Some(events), next_token })
    }

    /// A stack and its resources.
    async fn stack_resources(&self, name: &str) -> Result<(db::Stack, Vec<db::Resource>), CfnError> {
        let stack = self.find(name).await?.ok_or_else(|| not_found(name))?;
        let rows = db::resources(&mut *self.ctx.env.store.read().await?, &stack.stack_id).await?;
        Ok((stack, rows))
    }

    async fn list_resources(&self, name: &str) -> Result<ops::ListStackResourcesOutput, CfnError> {
        let (_, rows) = self.stack_resources(name).await?;
        let summaries = rows
            .iter()
            .map(|r| ops::StackResourceSummary {
                logical_resource_id: r.logical_id.clone(),
                physical_resource_id: Some(r.physical_id.clone()),
                resource_type: r.r#type.clone(),
                resource_status: r.status.clone(),
                last_updated_timestamp: time(r.updated_ms),
                drift_information: Some(ops::StackResourceDriftInformationSummary {
                    stack_resource_drift_status: "NOT_CHECKED".into(),
                    last_check_timestamp: None,
                }),
                resource_status_reason: r.status_reason.clone(),
                ..Default::default()
            })
            .collect();
        Ok(ops::ListStackResourcesOutput { stack_resource_summaries: Some(summaries), next_token: None })
    }

    async fn describe_resource(
        &self,
        input: ops::DescribeStackResourceInput,
    ) -> Result<ops::DescribeStackResourceOutput, CfnError> {
        let (name, logical) = (input.stack_name, input.logical_resource_id);
        let (stack, rows) = self.stack_resources(&name).await?;
        let r = rows
            .iter()
            .find(|r| r.logical_id == logical)
            .ok_or_else(|| CfnError::Validation(format!("Resource {logical} does not exist for stack {name}")))?;
        Ok(ops::DescribeStackResourceOutput {
            stack_resource_detail: Some(ops::StackResourceDetail {
                logical_resource_id: r.logical_id.clone(),
                physical_resource_id: Some(r.physical_id.clone()),
                resource_type: r.r#type.clone(),
                resource_status: r.status.clone(),
                last_updated_timestamp: time(r.updated_ms),
                drift_information: Some(not_checked()),
                resource_status_reason: r.status_reason.clone(),
                stack_name: Some(stack.name.clone()),
                stack_id: Some(stack.stack_id.clone()),
                ..Default::default()
            }),
        })
    }

    async fn describe_resources(
        &self,
        input: ops::DescribeStackResourcesInput,
    ) -> Result<ops::DescribeStackResourcesOutput, CfnError> {
        let (stack, rows) = self.stack_resources(input.stack_name.as_deref().unwrap_or_default()).await?;
        let chosen = rows
            .iter()
            .filter(|r| input.logical_resource_id.as_ref().is_none_or(|l| *l == r.logical_id))
            .filter(|r| input.physical_resource_id.as_ref().is_none_or(|p| *p == r.physical_id))
            .map(|r| ops::StackResource {
                logical_resource_id: r.logical_id.clone(),
                physical_resource_id: Some(r.physical_id.clone()),
                resource_type: r.r#type.clone(),
                resource_status: r.status.clone(),
                timestamp: time(r.updated_ms),
                drift_information: Some(not_checked()),
                resource_status_reason: r.status_reason.clone(),
                stack_name: Some(stack.name.clone()),
                stack_id: Some(stack.stack_id.clone()),
                ..Default::default()
            })
            .collect();
        Ok(ops::DescribeStackResourcesOutput { stack_resources: Some(chosen) })
    }

    async fn template(&self, input: ops::GetTemplateInput) -> Result<ops::GetTemplateOutput, CfnError> {
        let name = input.stack_name.clone().unwrap_or_default();
        let stack = self.find(&name).await?.ok_or_else(|| not_found(&name))?;
        let text = match &input.change_set_name {
            Some(cs) => changes::open_body(self.ctx.env, &self.change_set(&stack, cs).await?)?.template,
            None => stack::open_body(self.ctx.env, &stack)?.template,
        };
        Ok(ops::GetTemplateOutput {
            template_body: Some(text),
            stages_available: Some(vec!["Original".into(), "Processed".into()]),
        })
    }

    async fn summary(&self, input: ops::GetTemplateSummaryInput) -> Result<ops::GetTemplateSummaryOutput, CfnError> {
        let text = match (&input.template_body, &input.stack_name) {
            (Some(body), None) => body.clone(),
            (None, Some(name)) => stack::open_body(self.ctx.env, &self.live(name).await?)?.template,
            _ => {
                return Err(CfnError::Validation(
                    "Exactly one of TemplateBody, TemplateUrl or StackName must be specified".into(),
                ));
            }
        };
        let template = load(&text)?;
        let parameters = template
            .parameters
            .iter()
            .map(|(k, p)| ops::ParameterDeclaration {
                parameter_key: Some(k.clone()),
                no_echo: Some(p.no_echo),
                parameter_type: Some(p.kind.clone()),
                parameter_constraints: Some(ops::ParameterConstraints {
                    allowed_values: Some(p.allowed_values.clone()),
                }),
                default_value: p.default.clone(),
                description: p.description.clone(),
            })
            .collect();
        let mut types: Vec<String> = template.resources.iter().map(|(_, r)| r.kind.clone()).collect();
        types.sort_unstable();
        types.dedup();
        let (capabilities, capabilities_reason) = capability(&template);
        Ok(ops::GetTemplateSummaryOutput {
            parameters: Some(parameters),
            declared_transforms: Some(vec![]),
            capabilities,
            capabilities_reason,
            description: template.description.clone(),
            resource_types: Some(types),
            version: Some("2010-09-09".into()),
            ..Default::default()
        })
    }

    fn validate(input: ops::ValidateTemplateInput) -> Result<ops::ValidateTemplateOutput, CfnError> {
        let Some(text) = input.template_body else {
            return Err(CfnError::Validation("Either Template URL or Template Body must be specified.".into()));
        };
        let template = load(&text)?;
        let parameters = template
            .parameters
            .iter()
            .map(|(k, p)| ops::TemplateParameter {
                parameter_key: Some(k.clone()),
                no_echo: Some(p.no_echo),
                default_value: p.default.clone(),
                description: p.description.clone(),
            })
            .collect();
        let (capabilities, capabilities_reason) = capability(&template);
        Ok(ops::ValidateTemplateOutput {
            parameters: Some(parameters),
            declared_transforms: Some(vec![]),
            capabilities,
            capabilities_reason,
            description: template.description.clone(),
        })
    }
}

/// A stack resource's drift, never checked.
fn not_checked() -> ops::StackResourceDriftInformation {
    ops::StackResourceDriftInformation { stack_resource_drift_status: "NOT_CHECKED".into(), last_check_timestamp: None }
}

/// Parameter values as DescribeStacks and DescribeChangeSet show them: NoEcho ones as `****`.
fn parameter_views(template: Option<&Template>, parameters: &[(String, String)]) -> Vec<ops::Parameter> {
    parameters
        .iter()
        .map(|(k, v)| {
            let shown = if template.is_some_and(|t| t.no_echo(k)) { "****" } else { v.as_str() };
            ops::Parameter {
                parameter_key: Some(k.clone()),
                parameter_value: Some(shown.to_owned()),
                ..Default::default()
            }
        })
        .collect()
}

/// The capability a template's IAM resources need, and why, as ValidateTemplate and
/// GetTemplateSummary say it.
fn capability(template: &Template) -> (Option<Vec<String>>, Option<String>) {
    match template.capability() {
        Some((capability, types)) => (
            Some(vec![capability.to_owned()]),
            Some(format!("The following resource(s) require capabilities: [{}]", types.join(", "))),
        ),
        None => (None, None),
    }
}
