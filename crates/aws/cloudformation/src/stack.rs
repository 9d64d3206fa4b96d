//! Running a stack: creating, updating and deleting its resources in dependency order, each step
//! an event, and on failure undoing what was done (a create rolls back to `ROLLBACK_COMPLETE`,
//! an update to `UPDATE_ROLLBACK_COMPLETE`). Nothing is held open across a call to a service:
//! each event and resource state is written as it happens, so what the stack shows is what was
//! done.

use super::error::CfnError;
use super::resources::{Calls, Spec, name_key};
use super::template::{Made, Template, Values};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use store::cloudformation as db;

/// A stack's sealed body: its template as given, parameter values and outputs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Body {
    pub template: String,
    pub parameters: Vec<(String, String)>,
    pub outputs: Vec<OutputValue>,
}

/// One evaluated output.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OutputValue {
    pub key: String,
    pub value: String,
    pub description: Option<String>,
    pub export: Option<String>,
}

/// A resource's sealed state: the properties it was made with and what it offers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    pub properties: Map<String, Value>,
    pub made: Made,
}

/// A resource of the stack as loaded.
#[derive(Debug, Clone)]
pub(crate) struct Current {
    pub kind: String,
    pub status: String,
    pub state: State,
}

/// What a step did, to undo it.
enum Step {
    Added(String),
    Updated { logical: String, old: Current },
    Replaced { logical: String, old: Current },
}

/// The stack being run, with its caller.
pub(crate) struct Runner<'a> {
    pub calls: Calls<'a>,
    pub stack: db::Stack,
}

pub(crate) fn seal_body(env: &aws_core::Env, stack_id: &str, body: &Body) -> Vec<u8> {
    env.seal(&serde_json::to_vec(body).unwrap_or_default(), stack_id)
}

pub(crate) fn open_body(env: &aws_core::Env, stack: &db::Stack) -> Result<Body, CfnError> {
    let plain =
        env.open(&stack.body, &stack.stack_id).map_err(|_| CfnError::Common(aws_core::CommonError::Internal))?;
    serde_json::from_slice(&plain).map_err(|_| CfnError::Common(aws_core::CommonError::Internal))
}

fn aad(stack_id: &str, logical: &str) -> String {
    format!("{stack_id}/{logical}")
}

/// A stack's resources, their states opened.
pub(crate) async fn load_resources(env: &aws_core::Env, stack_id: &str) -> Result<HashMap<String, Current>, CfnError> {
    let rows = db::resources(&mut *env.store.read().await?, stack_id).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let plain = env
            .open(&row.state, &aad(stack_id, &row.logical_id))
            .map_err(|_| CfnError::Common(aws_core::CommonError::Internal))?;
        let state: State =
            serde_json::from_slice(&plain).map_err(|_| CfnError::Common(aws_core::CommonError::Internal))?;
        out.insert(row.logical_id, Current { kind: row.r#type, status: row.status, state });
    }
    Ok(out)
}

/// Whether a stack in `status` is busy or gone, so no other operation may start on it.
pub(crate) fn settled_for_update(status: &str) -> bool {
    matches!(status, "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE" | "IMPORT_COMPLETE")
}

impl Runner<'_> {
    fn env(&self) -> &aws_core::Env {
        self.calls.ctx.env
    }

    async fn event(
        &self,
        logical: &str,
        physical: &str,
        kind: &str,
        status: &str,
        reason: Option<&str>,
    ) -> Result<(), CfnError> {
        let env = self.env();
        let event = db::Event {
            id: 0,
            event_id: if logical == self.stack.name {
                format!("{}-{}", status, env.ids.uuid())
            } else {
                format!("{logical}-{status}-{}", env.ids.uuid())
            },
            time_ms: env.now_ms(),
            logical_id: logical.to_owned(),
            physical_id: physical.to_owned(),
            r#type: kind.to_owned(),
            status: status.to_owned(),
            status_reason: reason.map(str::to_owned),
        };
        let mut tx = env.store.begin().await?;
        db::add_event(&mut tx, &self.stack.stack_id, &event).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(())
    }

    /// Starts an operation: the stack moves to `status` only from the status it was read in, so
    /// two operations never run on one stack at once (the second is refused, as on AWS).
    async fn claim(&mut self, status: &str) -> Result<(), CfnError> {
        let mut tx = self.env().store.begin().await?;
        let busy = db::transition(&mut tx, &self.stack.stack_id, &self.stack.status, status).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        if let Some(current) = busy {
            return Err(CfnError::Validation(format!(
                "Stack:{} is in {current} state and can not be updated.",
                self.stack.stack_id
            )));
        }
        status.clone_into(&mut self.stack.status);
        self.stack.status_reason = Some("User Initiated".into());
        let (name, id) = (self.stack.name.clone(), self.stack.stack_id.clone());
        self.event(&name, &id, "AWS::CloudFormation::Stack", status, Some("User Initiated")).await
    }

    /// Moves the stack to `status` (with its event), writing its row.
    pub(crate) async fn status(&mut self, status: &str, reason: Option<&str>) -> Result<(), CfnError> {
        status.clone_into(&mut self.stack.status);
        self.stack.status_reason = reason.map(str::to_owned);
        let mut tx = self.env().store.begin().await?;
        db::update_stack(&mut tx, &self.stack).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        let (name, id) = (self.stack.name.clone(), self.stack.stack_id.clone());
        self.event(&name, &id, "AWS::CloudFormation::Stack", status, reason).await
    }

    async fn save(
        &self,
        logical: &str,
        kind: &str,
        status: &str,
        reason: Option<&str>,
        state: &State,
    ) -> Result<(), CfnError> {
        let env = self.env();
        let sealed = env.seal(&serde_json::to_vec(state).unwrap_or_default(), &aad(&self.stack.stack_id, logical));
        let row = db::Resource {
            logical_id: logical.to_owned(),
            physical_id: state.made.physical_id.clone(),
            r#type: kind.to_owned(),
            status: status.to_owned(),
            status_reason: reason.map(str::to_owned),
            state: sealed,
            updated_ms: env.now_ms(),
        };
        let mut tx = env.store.begin().await?;
        db::put_resource(&mut tx, &self.stack.stack_id, &row).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        self.event(logical, &state.made.physical_id, kind, status, reason).await
    }

    async fn forget(&self, logical: &str) -> Result<(), CfnError> {
        let mut tx = self.env().store.begin().await?;
        db::delete_resource(&mut tx, &self.stack.stack_id, logical).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(())
    }

    /// Removes one resource (unless the template retains it), with its events; `Err` is why not.
    async fn remove(&self, logical: &str, current: &Current, retain: bool) -> Result<(), String> {
        let physical = current.state.made.physical_id.as_str();
        let store_failed = |e: CfnError| e.to_string();
        if retain {
            return self.event(logical, physical, &current.kind, "DELETE_SKIPPED", None).await.map_err(store_failed);
        }
        self.event(logical, physical, &current.kind, "DELETE_IN_PROGRESS", None).await.map_err(store_failed)?;
        match self.calls.delete(&current.kind, &current.state.properties, &current.state.made).await {
            Ok(()) => self.event(logical, physical, &current.kind, "DELETE_COMPLETE", None).await.map_err(store_failed),
            Err(e) => {
                self.event(logical, physical, &current.kind, "DELETE_FAILED", Some(&e)).await.map_err(store_failed)?;
                Err(e)
            }
        }
    }

    /// Creates or updates the stack's resources to `template` with `parameters`. On success the
    /// stack holds the new body; on failure what was done is undone (unless rollback is off).
    pub(crate) async fn deploy(
        &mut self,
        template: &Template,
        text: &str,
        parameters: Vec<(String, String)>,
        old_template: Option<&Template>,
    ) -> Result<(), CfnError> {
        let creating = old_template.is_none();
        self.claim(if creating { "CREATE_IN_PROGRESS" } else { "UPDATE_IN_PROGRESS" }).await?;
        let mut current = load_resources(self.env(), &self.stack.stack_id).await?;
        let mut made: HashMap<String, Made> = current.iter().map(|(k, c)| (k.clone(), c.state.made.clone())).collect();
        let mut steps: Vec<Step> = Vec::new();
        let mut failure: Option<(String, String)> = None;
        let order = template.order().map_err(CfnError::Validation)?;
        let mut kept: Vec<String> = Vec::new();
        for logical in &order {
            let decl = &template.resources.iter().find(|(n, _)| n == logical).expect("ordered from the template").1;
            let values = self.values(template, &parameters, &made);
            let included = match &decl.condition {
                Some(c) => values.condition(c),
                None => Ok(true),
            };
            let props = included.and_then(|inc| {
                if !inc {
                    return Ok(None);
                }
                match values.resolve(&decl.properties)? {
                    Some(Value::Object(m)) => Ok(Some(m)),
                    _ => Ok(Some(Map::new())),
                }
            });
            let props = match props {
                Ok(Some(p)) => p,
                Ok(None) => continue,
                Err(e) => {
                    let status = if current.contains_key(logical) { "UPDATE_FAILED" } else { "CREATE_FAILED" };
                    self.event(logical, "", &decl.kind, status, Some(&e)).await?;
                    failure = Some((logical.clone(), status.to_owned()));
                    break;
                }
            };
            kept.push(logical.clone());
            let outcome = self.apply(&mut current, &mut made, &mut steps, logical, &decl.kind, props).await?;
            if let Err((status, reason)) = outcome {
                let physical = current.get(logical).map(|c| c.state.made.physical_id.clone()).unwrap_or_default();
                self.event(logical, &physical, &decl.kind, status, Some(&reason)).await?;
                failure = Some((logical.clone(), status.to_owned()));
                break;
            }
        }
        let outputs = match failure {
            None => match self.outputs(template, &parameters, &made) {
                Ok(o) => Some(o),
                Err(e) => {
                    let (name, id) = (self.stack.name.clone(), self.stack.stack_id.clone());
                    self.event(
                        &name,
                        &id,
                        "AWS::CloudFormation::Stack",
                        if creating { "CREATE_FAILED" } else { "UPDATE_FAILED" },
                        Some(&e),
                    )
                    .await?;
                    failure = Some((String::new(), String::new()));
                    None
                }
            },
            Some(_) => None,
        };
        match (failure, outputs) {
            (None, Some(outputs)) => {
                let body = Body { template: text.to_owned(), parameters, outputs };
                self.stack.body = seal_body(self.env(), &self.stack.stack_id, &body);
                self.stack.description.clone_from(&template.description);
                if creating {
                    self.status("CREATE_COMPLETE", None).await
                } else {
                    self.stack.updated_ms = Some(self.env().now_ms());
                    self.status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None).await?;
                    self.cleanup(steps, &current, &kept, old_template).await;
                    self.status("UPDATE_COMPLETE", None).await
                }
            }
            (failure, _) => {
                let (logical, status) = failure.unwrap_or_default();
                let verb = if status == "UPDATE_FAILED" { "update" } else { "create" };
                let reason = if logical.is_empty() {
                    "The stack's outputs could not be evaluated. ".to_owned()
                } else {
                    format!("The following resource(s) failed to {verb}: [{logical}]. ")
                };
                if creating {
                    self.roll_back_create(steps, &current, &reason).await
                } else {
                    self.roll_back_update(steps, &current, &reason).await
                }
            }
        }
    }

    /// Makes or changes one resource to `props`, noting what it did; `Ok(Err(..))` is the
    /// resource's failure (its status and reason), `Err` the store's.
    #[allow(clippy::too_many_arguments)]
    async fn apply(
        &self,
        current: &mut HashMap<String, Current>,
        made: &mut HashMap<String, Made>,
        steps: &mut Vec<Step>,
        logical: &String,
        kind: &str,
        props: Map<String, Value>,
    ) -> Result<Result<(), (&'static str, String)>, CfnError> {
        let spec = Spec { logical_id: logical, props: &props };
        let existing = current.get(logical).filter(|c| c.status != "DELETE_COMPLETE").cloned();
        Ok(match existing {
            None => {
                self.event(logical, "", kind, "CREATE_IN_PROGRESS", None).await?;
                match self.calls.create(kind, &spec).await {
                    Ok(m) => {
                        let state = State { properties: props.clone(), made: m };
                        self.save(logical, kind, "CREATE_COMPLETE", None, &state).await?;
                        made.insert(logical.clone(), state.made.clone());
                        current.insert(
                            logical.clone(),
                            Current { kind: kind.to_owned(), status: "CREATE_COMPLETE".into(), state },
                        );
                        steps.push(Step::Added(logical.clone()));
                        Ok(())
                    }
                    Err(e) => Err(("CREATE_FAILED", e)),
                }
            }
            Some(old) if old.kind == kind && old.state.properties == props => Ok(()),
            Some(old) => {
                let physical = old.state.made.physical_id.clone();
                self.event(logical, &physical, kind, "UPDATE_IN_PROGRESS", None).await?;
                let in_place = if old.kind == kind {
                    self.calls.update(kind, &spec, &old.state.properties, &old.state.made).await
                } else {
                    Ok(None)
                };
                let result = match in_place {
                    Ok(Some(m)) => Ok((m, false)),
                    Ok(None) => self.replace(kind, &spec, &old).await.map(|m| (m, true)),
                    Err(e) => Err(e),
                };
                match result {
                    Ok((m, replaced)) => {
                        let state = State { properties: props.clone(), made: m };
                        self.save(logical, kind, "UPDATE_COMPLETE", None, &state).await?;
                        made.insert(logical.clone(), state.made.clone());
                        current.insert(
                            logical.clone(),
                            Current { kind: kind.to_owned(), status: "UPDATE_COMPLETE".into(), state },
                        );
                        steps.push(if replaced {
                            Step::Replaced { logical: logical.clone(), old }
                        } else {
                            Step::Updated { logical: logical.clone(), old }
                        });
                        Ok(())
                    }
                    Err(e) => Err(("UPDATE_FAILED", e)),
                }
            }
        })
    }

    /// A new resource in place of `old`. A resource the template names cannot be replaced under
    /// the same name, as CloudFormation says.
    async fn replace(&self, kind: &str, spec: &Spec<'_>, old: &Current) -> Result<Made, String> {
        if let Some(key) = name_key(kind)
            && spec.props.get(key).is_some()
            && spec.props.get(key) == old.state.properties.get(key)
            && old.kind == kind
        {
            return Err(format!(
                "CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename {} and \
                 update the stack again.",
                spec.props.get(key).map(super::template::scalar_text).unwrap_or_default()
            ));
        }
        self.calls.create(kind, spec).await
    }

    fn values<'v>(
        &'v self,
        template: &'v Template,
        parameters: &'v [(String, String)],
        made: &'v HashMap<String, Made>,
    ) -> Values<'v> {
        Values {
            template,
            parameters,
            resources: made,
            account: self.calls.ctx.account(),
            region: self.calls.ctx.region,
            stack_id: &self.stack.stack_id,
            stack_name: &self.stack.name,
            preview: false,
        }
    }

    fn outputs(
        &self,
        template: &Template,
        parameters: &[(String, String)],
        made: &HashMap<String, Made>,
    ) -> Result<Vec<OutputValue>, String> {
        let values = self.values(template, parameters, made);
        let mut out = Vec::new();
        for (key, o) in &template.outputs {
            if let Some(c) = &o.condition
                && !values.condition(c)?
            {
                continue;
            }
            let value = values.resolve(&o.value)?.unwrap_or(Value::Null);
            let export = match &o.export {
                Some(e) => Some(super::template::scalar_text(&values.resolve(e)?.unwrap_or(Value::Null))),
                None => None,
            };
            out.push(OutputValue {
                key: key.clone(),
                value: super::template::scalar_text(&value),
                description: o.description.clone(),
                export,
            });
        }
        Ok(out)
    }

    /// After a successful update: removes what was replaced, and what the template no longer
    /// has, dependents first. A failure here leaves the resource behind but not the update.
    async fn cleanup(
        &self,
        steps: Vec<Step>,
        current: &HashMap<String, Current>,
        kept: &[String],
        old_template: Option<&Template>,
    ) {
        for step in steps.into_iter().rev() {
            if let Step::Replaced { logical, old } = step {
                let _ = self.remove(&logical, &old, false).await;
            }
        }
        let old_order = old_template.and_then(|t| t.order().ok()).unwrap_or_default();
        let retained = |logical: &str| {
            old_template.and_then(|t| t.resources.iter().find(|(n, _)| n == logical)).is_some_and(|(_, r)| r.retain)
        };
        let mut gone: Vec<&String> = current.keys().filter(|k| !kept.contains(k)).collect();
        gone.sort_by_key(|k| std::cmp::Reverse(old_order.iter().position(|o| o == *k)));
        for logical in gone {
            let c = &current[logical];
            if c.status != "DELETE_COMPLETE" && self.remove(logical, c, retained(logical)).await.is_err() {
                continue;
            }
            let _ = self.forget(logical).await;
        }
    }

    async fn roll_back_create(
        &mut self,
        steps: Vec<Step>,
        current: &HashMap<String, Current>,
        reason: &str,
    ) -> Result<(), CfnError> {
        if self.stack.disable_rollback {
            return self.status("CREATE_FAILED", Some(reason)).await;
        }
        let reason = format!("{reason}Rollback requested by user.");
        self.status("ROLLBACK_IN_PROGRESS", Some(&reason)).await?;
        let mut failed = false;
        for step in steps.into_iter().rev() {
            if let Step::Added(logical) = step {
                let c = &current[&logical];
                if self.remove(&logical, c, false).await.is_err() {
                    failed = true;
                    continue;
                }
                self.mark_deleted(&logical, c).await?;
            }
        }
        if failed {
            self.status("ROLLBACK_FAILED", Some("The following resource(s) failed to delete during rollback.")).await
        } else {
            // The stack keeps saying why it was rolled back.
            self.status("ROLLBACK_COMPLETE", Some(&reason)).await
        }
    }

    async fn mark_deleted(&self, logical: &str, c: &Current) -> Result<(), CfnError> {
        let env = self.env();
        let sealed = env.seal(&serde_json::to_vec(&c.state).unwrap_or_default(), &aad(&self.stack.stack_id, logical));
        let row = db::Resource {
            logical_id: logical.to_owned(),
            physical_id: c.state.made.physical_id.clone(),
            r#type: c.kind.clone(),
            status: "DELETE_COMPLETE".into(),
            status_reason: None,
            state: sealed,
            updated_ms: env.now_ms(),
        };
        let mut tx = env.store.begin().await?;
        db::put_resource(&mut tx, &self.stack.stack_id, &row).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(())
    }

    async fn roll_back_update(
        &mut self,
        steps: Vec<Step>,
        current: &HashMap<String, Current>,
        reason: &str,
    ) -> Result<(), CfnError> {
        self.status("UPDATE_ROLLBACK_IN_PROGRESS", Some(reason)).await?;
        let mut failed = false;
        for step in steps.into_iter().rev() {
            match step {
                Step::Added(logical) => {
                    let c = &current[&logical];
                    if self.remove(&logical, c, false).await.is_ok() {
                        self.forget(&logical).await?;
                    } else {
                        failed = true;
                    }
                }
                Step::Updated { logical, old } => {
                    let now = &current[&logical];
                    let spec = Spec { logical_id: &logical, props: &old.state.properties };
                    self.event(&logical, &now.state.made.physical_id, &old.kind, "UPDATE_IN_PROGRESS", None).await?;
                    match self.calls.update(&old.kind, &spec, &now.state.properties, &now.state.made).await {
                        Ok(_) => self.save(&logical, &old.kind, "UPDATE_COMPLETE", None, &old.state).await?,
                        Err(e) => {
                            self.event(&logical, &now.state.made.physical_id, &old.kind, "UPDATE_FAILED", Some(&e))
                                .await?;
                            failed = true;
                        }
                    }
                }
                Step::Replaced { logical, old } => {
                    let now = &current[&logical];
                    if self.remove(&logical, now, false).await.is_err() {
                        failed = true;
                    }
                    self.save(&logical, &old.kind, "UPDATE_COMPLETE", None, &old.state).await?;
                }
            }
        }
        if failed {
            return self.status("UPDATE_ROLLBACK_FAILED", Some("The following resource(s) failed to roll back.")).await;
        }
        self.status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None).await?;
        self.status("UPDATE_ROLLBACK_COMPLETE", Some(reason)).await
    }

    /// Deletes every resource the stack holds, dependents first, then the stack.
    pub(crate) async fn delete(&mut self, template: Option<&Template>) -> Result<(), CfnError> {
        self.claim("DELETE_IN_PROGRESS").await?;
        let current = load_resources(self.env(), &self.stack.stack_id).await?;
        let order = template.and_then(|t| t.order().ok()).unwrap_or_default();
        let mut logicals: Vec<&String> = current.keys().collect();
        logicals.sort_by_key(|k| std::cmp::Reverse(order.iter().position(|o| o == *k)));
        let retained = |logical: &str| {
            template.and_then(|t| t.resources.iter().find(|(n, _)| n == logical)).is_some_and(|(_, r)| r.retain)
        };
        let mut failed = Vec::new();
        for logical in logicals {
            let c = &current[logical];
            if c.status == "DELETE_COMPLETE" {
                continue;
            }
            if self.remove(logical, c, retained(logical)).await.is_err() {
                failed.push(logical.clone());
                continue;
            }
            self.mark_deleted(logical, c).await?;
        }
        if !failed.is_empty() {
            let reason = format!("The following resource(s) failed to delete: [{}]. ", failed.join(", "));
            return self.status("DELETE_FAILED", Some(&reason)).await;
        }
        self.stack.deleted_ms = Some(self.env().now_ms());
        self.status("DELETE_COMPLETE", None).await
    }
}
