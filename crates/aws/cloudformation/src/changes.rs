//! Change sets: what a template would add, modify and remove, computed without touching a
//! resource, and executed later as an update (or as the create of a stack in
//! `REVIEW_IN_PROGRESS`). This is what `aws cloudformation deploy` drives.

use super::error::CfnError;
use super::stack::{self, Current};
use super::template::{Made, Values};
use super::{Stacks, load, ops, time};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use store::cloudformation as db;

/// A change set's sealed body: the template and parameter values it would apply.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Body {
    pub template: String,
    pub parameters: Vec<(String, String)>,
}

pub(crate) fn open_body(env: &aws_core::Env, c: &db::ChangeSet) -> Result<Body, CfnError> {
    let plain = env.open(&c.body, &c.change_set_id).map_err(|_| CfnError::Common(aws_core::CommonError::Internal))?;
    serde_json::from_slice(&plain).map_err(|_| CfnError::Common(aws_core::CommonError::Internal))
}

const NO_CHANGES: &str =
    "The submitted information didn't contain changes. Submit different information to create a change set.";

/// The resource changes `template` makes to a stack holding `current`.
fn plan(values: &Values<'_>, current: &HashMap<String, Current>) -> Result<Vec<Value>, String> {
    let template = values.template;
    let mut out = Vec::new();
    let mut kept = Vec::new();
    for logical in template.order()? {
        let decl = &template.resources.iter().find(|(n, _)| *n == logical).expect("ordered from the template").1;
        if let Some(c) = &decl.condition
            && !values.condition(c)?
        {
            continue;
        }
        kept.push(logical.clone());
        let props = match values.resolve(&decl.properties)? {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let change = match current.get(&logical) {
            None => json!({"Action": "Add", "LogicalResourceId": logical, "ResourceType": decl.kind}),
            Some(old) if old.kind == decl.kind && old.state.properties == props => continue,
            Some(old) => {
                let renamed =
                    super::resources::name_key(&decl.kind).is_some_and(|k| props.get(k) != old.state.properties.get(k));
                let replacement = if old.kind != decl.kind || renamed { "True" } else { "Conditional" };
                let scope: Vec<&str> = if old.state.properties == props { vec![] } else { vec!["Properties"] };
                json!({"Action": "Modify", "LogicalResourceId": logical, "PhysicalResourceId": old.state.made.physical_id,
                    "ResourceType": decl.kind, "Replacement": replacement, "Scope": scope})
            }
        };
        out.push(change);
    }
    let mut removed: Vec<(&String, &Current)> = current.iter().filter(|(k, _)| !kept.contains(k)).collect();
    removed.sort_by_key(|(k, _)| k.as_str());
    for (logical, old) in removed {
        out.push(json!({"Action": "Remove", "LogicalResourceId": logical,
            "PhysicalResourceId": old.state.made.physical_id, "ResourceType": old.kind}));
    }
    Ok(out
        .into_iter()
        .map(|mut c| {
            if c.get("Scope").is_none() {
                c["Scope"] = json!([]);
            }
            c["Details"] = json!([]);
            json!({"Type": "Resource", "ResourceChange": c})
        })
        .collect())
}

impl Stacks<'_> {
    /// The change set a request names: by ARN alone, or by name within its stack.
    pub(super) async fn change_set(&self, stack: &db::Stack, name_or_id: &str) -> Result<db::ChangeSet, CfnError> {
        db::change_set(&mut *self.ctx.env.store.read().await?, &stack.stack_id, name_or_id)
            .await?
            .ok_or_else(|| CfnError::ChangeSetNotFound(format!("ChangeSet [{name_or_id}] does not exist")))
    }

    async fn named_change_set(
        &self,
        stack_name: Option<&str>,
        name: &str,
    ) -> Result<(db::Stack, db::ChangeSet), CfnError> {
        let missing = || CfnError::ChangeSetNotFound(format!("ChangeSet [{name}] does not exist"));
        let stack = match (stack_name, name.starts_with("arn:")) {
            (Some(stack), _) => self.find(stack).await?.ok_or_else(|| not_found_change_set_stack(stack))?,
            (None, true) => {
                let c =
                    db::change_set_by_id(&mut *self.ctx.env.store.read().await?, name).await?.ok_or_else(missing)?;
                let stack = self.find(&c.stack_id).await?.ok_or_else(missing)?;
                return Ok((stack, c));
            }
            (None, false) => {
                return Err(CfnError::Validation(
                    "StackName must be specified if ChangeSetName is not specified as an ARN.".into(),
                ));
            }
        };
        let c = self.change_set(&stack, name).await?;
        Ok((stack, c))
    }

    pub(super) async fn create_change_set(
        &self,
        input: ops::CreateChangeSetInput,
    ) -> Result<ops::CreateChangeSetOutput, CfnError> {
        let kind = input.change_set_type.clone().unwrap_or_else(|| "UPDATE".into());
        let existing = self.find(&input.stack_name).await?.filter(|s| s.deleted_ms.is_none());
        let previous = match (kind.as_str(), &existing) {
            ("CREATE", Some(s)) if s.status != "REVIEW_IN_PROGRESS" => {
                return Err(CfnError::AlreadyExists(format!(
                    "Stack [{}] already exists and cannot be created again with the changeSet [{}].",
                    s.name, input.change_set_name
                )));
            }
            ("CREATE", _) => None,
            ("UPDATE", None) => {
                return Err(CfnError::Validation(format!("Stack [{}] does not exist", input.stack_name)));
            }
            ("UPDATE", Some(s)) if !stack::settled_for_update(&s.status) => {
                return Err(CfnError::Validation(format!(
                    "Stack:{} is in {} state and can not be updated.",
                    s.stack_id, s.status
                )));
            }
            ("UPDATE", Some(s)) => Some(stack::open_body(self.ctx.env, s)?),
            (other, _) => return Err(CfnError::Validation(format!("ChangeSetType {other} is not supported"))),
        };
        let use_previous = input.use_previous_template.unwrap_or(false);
        let text =
            Self::body_of(input.template_body.as_ref(), input.template_url.as_ref(), use_previous, previous.as_ref())?;
        let template = load(&text)?;
        let capabilities = input.capabilities.as_deref().unwrap_or_default();
        let tags = input.tags.as_deref().unwrap_or_default();
        let given = input.parameters.as_deref().unwrap_or_default();
        let parameters = Self::prepare(&template, given, capabilities, previous.as_ref())?;
        let stack = if let Some(s) = existing {
            s
        } else {
            let s = self.new_stack(&input.stack_name, "REVIEW_IN_PROGRESS", capabilities, tags, false);
            self.insert(&s).await?;
            let mut tx = self.ctx.env.store.begin().await?;
            let event = db::Event {
                id: 0,
                event_id: self.ctx.env.ids.uuid(),
                time_ms: self.ctx.now_ms,
                logical_id: s.name.clone(),
                physical_id: s.stack_id.clone(),
                r#type: "AWS::CloudFormation::Stack".into(),
                status: "REVIEW_IN_PROGRESS".into(),
                status_reason: Some("User Initiated".into()),
            };
            db::add_event(&mut tx, &s.stack_id, &event).await?;
            tx.commit().await.map_err(store::StoreError::from)?;
            s
        };
        let current =
            if kind == "UPDATE" { stack::load_resources(self.ctx.env, &stack.stack_id).await? } else { HashMap::new() };
        let made: HashMap<String, Made> = current.iter().map(|(k, c)| (k.clone(), c.state.made.clone())).collect();
        let values = Values {
            template: &template,
            parameters: &parameters,
            resources: &made,
            account: self.ctx.account(),
            region: self.ctx.region,
            stack_id: &stack.stack_id,
            stack_name: &stack.name,
            preview: true,
        };
        let unchanged = previous.as_ref().is_some_and(|p| p.template == text && p.parameters == parameters);
        let (status, reason, execution, changes) = match plan(&values, &current) {
            Err(e) => ("FAILED", Some(e), "UNAVAILABLE", Vec::new()),
            Ok(c) if c.is_empty() && unchanged => ("FAILED", Some(NO_CHANGES.to_owned()), "UNAVAILABLE", c),
            Ok(c) => ("CREATE_COMPLETE", None, "AVAILABLE", c),
        };
        let change_set_id = format!(
            "arn:aws:cloudformation:{}:{}:changeSet/{}/{}",
            self.ctx.region,
            self.ctx.account(),
            input.change_set_name,
            self.ctx.env.ids.uuid()
        );
        let body = Body { template: text, parameters };
        let row = db::ChangeSet {
            body: self.ctx.env.seal(&serde_json::to_vec(&body).unwrap_or_default(), &change_set_id),
            change_set_id,
            stack_id: stack.stack_id.clone(),
            name: input.change_set_name.clone(),
            kind,
            status: status.into(),
            status_reason: reason,
            execution_status: execution.into(),
            description: input.description.clone(),
            changes: Value::Array(changes).to_string(),
            capabilities: json!(capabilities).to_string(),
            tags: json!(tags).to_string(),
            created_ms: self.ctx.now_ms,
        };
        let mut tx = self.ctx.env.store.begin().await?;
        if !db::insert_change_set(&mut tx, &row).await? {
            return Err(CfnError::AlreadyExists(format!("ChangeSet [{}] already exists", row.name)));
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(ops::CreateChangeSetOutput { id: Some(row.change_set_id), stack_id: Some(stack.stack_id) })
    }

    pub(super) async fn describe_change_set(
        &self,
        input: ops::DescribeChangeSetInput,
    ) -> Result<ops::DescribeChangeSetOutput, CfnError> {
        let (stack, c) = self.named_change_set(input.stack_name.as_deref(), &input.change_set_name).await?;
        let body = open_body(self.ctx.env, &c)?;
        let template = load(&body.template).ok();
        Ok(ops::DescribeChangeSetOutput {
            change_set_name: Some(c.name),
            change_set_id: Some(c.change_set_id),
            stack_id: Some(stack.stack_id),
            stack_name: Some(stack.name),
            parameters: Some(super::parameter_views(template.as_ref(), &body.parameters)),
            creation_time: Some(time(c.created_ms)),
            execution_status: Some(c.execution_status),
            status: Some(c.status),
            notification_ar_ns: Some(vec![]),
            capabilities: Some(serde_json::from_str(&c.capabilities).unwrap_or_default()),
            tags: Some(serde_json::from_str(&c.tags).unwrap_or_default()),
            changes: Some(serde_json::from_str(&c.changes).unwrap_or_default()),
            include_nested_stacks: Some(false),
            description: c.description,
            status_reason: c.status_reason,
            ..Default::default()
        })
    }

    pub(super) async fn execute_change_set(
        &self,
        input: ops::ExecuteChangeSetInput,
    ) -> Result<ops::ExecuteChangeSetOutput, CfnError> {
        let (stack, c) = self.named_change_set(input.stack_name.as_deref(), &input.change_set_name).await?;
        if c.execution_status != "AVAILABLE" {
            return Err(CfnError::InvalidChangeSetStatus(format!(
                "ChangeSet [{}] cannot be executed in its current status of [{}]",
                c.change_set_id, c.status
            )));
        }
        let ready = if c.kind == "CREATE" {
            stack.status == "REVIEW_IN_PROGRESS"
        } else {
            stack::settled_for_update(&stack.status)
        };
        if !ready {
            return Err(CfnError::InvalidChangeSetStatus(format!(
                "ChangeSet [{}] cannot be executed in its current status of [{}]",
                c.change_set_id, stack.status
            )));
        }
        let body = open_body(self.ctx.env, &c)?;
        let template = load(&body.template)?;
        let old =
            if c.kind == "UPDATE" { Some(load(&stack::open_body(self.ctx.env, &stack)?.template)?) } else { None };
        let name = stack.name.clone();
        let dispatcher = self.link.get()?;
        let mut runner = self.runner(&dispatcher, stack, &name);
        runner.stack.capabilities.clone_from(&c.capabilities);
        runner.stack.tags.clone_from(&c.tags);
        runner.stack.disable_rollback = input.disable_rollback.unwrap_or(false);
        let mut tx = self.ctx.env.store.begin().await?;
        db::set_execution_status(&mut tx, &c, "EXECUTE_IN_PROGRESS", Some("OBSOLETE")).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        let result = runner.deploy(&template, &body.template, body.parameters, old.as_ref()).await;
        let done = if matches!(runner.stack.status.as_str(), "CREATE_COMPLETE" | "UPDATE_COMPLETE") {
            "EXECUTE_COMPLETE"
        } else {
            "EXECUTE_FAILED"
        };
        let mut tx = self.ctx.env.store.begin().await?;
        db::set_execution_status(&mut tx, &c, done, None).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        result?;
        Ok(ops::ExecuteChangeSetOutput {})
    }

    pub(super) async fn delete_change_set(
        &self,
        input: ops::DeleteChangeSetInput,
    ) -> Result<ops::DeleteChangeSetOutput, CfnError> {
        let (_, c) = self.named_change_set(input.stack_name.as_deref(), &input.change_set_name).await?;
        if c.execution_status == "EXECUTE_IN_PROGRESS" {
            return Err(CfnError::InvalidChangeSetStatus(format!(
                "Cannot delete ChangeSet in status {}",
                c.execution_status
            )));
        }
        let mut tx = self.ctx.env.store.begin().await?;
        db::delete_change_set(&mut tx, &c.change_set_id).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(ops::DeleteChangeSetOutput {})
    }

    pub(super) async fn list_change_sets(
        &self,
        input: ops::ListChangeSetsInput,
    ) -> Result<ops::ListChangeSetsOutput, CfnError> {
        let name = input.stack_name;
        let stack = self.find(&name).await?.ok_or_else(|| not_found_change_set_stack(&name))?;
        let rows = db::change_sets(&mut *self.ctx.env.store.read().await?, &stack.stack_id).await?;
        let summaries = rows
            .into_iter()
            .map(|c| ops::ChangeSetSummary {
                stack_id: Some(stack.stack_id.clone()),
                stack_name: Some(stack.name.clone()),
                change_set_id: Some(c.change_set_id),
                change_set_name: Some(c.name),
                execution_status: Some(c.execution_status),
                status: Some(c.status),
                creation_time: Some(time(c.created_ms)),
                include_nested_stacks: Some(false),
                description: c.description,
                status_reason: c.status_reason,
                ..Default::default()
            })
            .collect();
        Ok(ops::ListChangeSetsOutput { summaries: Some(summaries), next_token: None })
    }
}

fn not_found_change_set_stack(name: &str) -> CfnError {
    CfnError::Validation(format!("Stack [{name}] does not exist"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::State;
    use crate::template::Template;

    #[test]
    fn a_plan_names_what_is_added_modified_and_removed() {
        let text =
            "Resources:\n  T: {Type: AWS::SNS::Topic, Properties: {DisplayName: new}}\n  Q: {Type: AWS::SQS::Queue}\n";
        let template = Template::load(&super::super::template::parse(text).unwrap(), |_| true).unwrap();
        let old = |props: Value| Current {
            kind: "AWS::SNS::Topic".into(),
            status: "CREATE_COMPLETE".into(),
            state: State {
                properties: props.as_object().cloned().unwrap(),
                made: Made { physical_id: "arn:x".into(), ..Made::default() },
            },
        };
        let current: HashMap<String, Current> =
            [("T".to_owned(), old(json!({"DisplayName": "old"}))), ("Gone".to_owned(), old(json!({})))].into();
        let made = HashMap::new();
        let values = Values {
            template: &template,
            parameters: &[],
            resources: &made,
            account: "1",
            region: "r",
            stack_id: "s",
            stack_name: "s",
            preview: true,
        };
        let changes = plan(&values, &current).unwrap();
        let actions: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| {
                (
                    c["ResourceChange"]["Action"].as_str().unwrap(),
                    c["ResourceChange"]["LogicalResourceId"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(actions, [("Modify", "T"), ("Add", "Q"), ("Remove", "Gone")]);
    }
}
