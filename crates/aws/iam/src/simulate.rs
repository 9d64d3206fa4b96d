//! The policy simulator: `SimulatePrincipalPolicy`, `SimulateCustomPolicy` and the context-key
//! listings. The simulator evaluates exactly what it is given: context keys come only from
//! `ContextEntries`, and the keys a decision needed but lacked are reported as missing.

use super::entity::{self, Kind};
use super::page::{Paging, Truncation, paginate};
use super::{IamError, names};
use aws_core::authz::PolicyDoc as Doc;
use aws_core::service::{self, Ctx};
use policy::{
    Context, ContextKeyType, Evaluation, Input, Policy, PolicyKind, Principal, PrincipalKind, Request, ResourceMode,
    ResourcePolicy, Source, SourceType,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::iam as db;

// The member names are IAM's.
#[allow(clippy::struct_field_names)]
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContextEntry {
    context_key_name: Option<String>,
    context_key_type: Option<String>,
    #[serde(default)]
    context_key_values: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SimulateInput {
    policy_source_arn: Option<String>,
    #[serde(default)]
    policy_input_list: Vec<String>,
    #[serde(default)]
    permissions_boundary_policy_input_list: Vec<String>,
    #[serde(default)]
    action_names: Vec<String>,
    #[serde(default)]
    resource_arns: Vec<String>,
    resource_policy: Option<String>,
    caller_arn: Option<String>,
    #[serde(default)]
    context_entries: Vec<ContextEntry>,
    #[serde(flatten)]
    paging: Paging,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PositionOut {
    line: u32,
    column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StatementOut {
    source_policy_id: String,
    source_policy_type: &'static str,
    start_position: PositionOut,
    end_position: PositionOut,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ResultOut {
    eval_action_name: String,
    eval_resource_name: String,
    eval_decision: &'static str,
    matched_statements: Vec<StatementOut>,
    missing_context_values: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SimulateResponse {
    evaluation_results: Vec<ResultOut>,
    #[serde(flatten)]
    truncation: Truncation,
}

/// A parsed policy with its simulator name.
struct Named {
    policy: Policy,
    id: String,
    source_type: SourceType,
}

fn parse(doc: &str, kind: PolicyKind, id: String, source_type: SourceType) -> Result<Named, IamError> {
    Ok(Named { policy: Policy::parse(doc, kind)?, id, source_type })
}

fn source(n: &Named) -> Source<'_> {
    Source { policy: &n.policy, id: &n.id, source_type: n.source_type }
}

/// The policies and principal `PolicySourceArn` names: a user (with its groups' policies), a
/// role or a group.
async fn principal_documents(
    ctx: &Ctx<'_>,
    conn: &mut store::Conn,
    arn: &str,
) -> Result<(Principal, Vec<Doc>), IamError> {
    for kind in [Kind::User, Kind::Role, Kind::Group] {
        let Some(parsed) = names::parse_arn(arn, kind.word()) else { continue };
        let found = if parsed.account == ctx.account() {
            entity::find(conn, ctx.account(), kind, parsed.name).await?.filter(|e| e.arn == arn)
        } else {
            None
        };
        let e = found.ok_or_else(|| kind.not_found(parsed.name))?;
        let kind_of = match kind {
            Kind::Role => PrincipalKind::AssumedRole { role_arn: e.arn.clone() },
            Kind::User | Kind::Group => PrincipalKind::User,
        };
        let principal = Principal {
            arn: e.arn.clone(),
            account: ctx.account().to_owned(),
            kind: kind_of,
            userid: e.id.clone(),
            username: (kind == Kind::User).then(|| e.name.clone()),
            tags: Vec::new(),
        };
        return Ok((principal, entity::documents(conn, kind, &e.id).await?));
    }
    Err(IamError::InvalidInput(format!("ARN {arn} is not valid.")))
}

fn context_of(entries: &[ContextEntry]) -> Result<Context, IamError> {
    let mut context = Context::new();
    for e in entries {
        let (Some(key), Some(ty)) = (&e.context_key_name, &e.context_key_type) else {
            return Err(IamError::InvalidInput("Context entries need a key name and a key type.".into()));
        };
        let ty: ContextKeyType = ty.parse().map_err(|e: policy::ContextError| IamError::InvalidInput(e.to_string()))?;
        context.insert(key, ty, e.context_key_values.clone()).map_err(|e| IamError::InvalidInput(e.to_string()))?;
    }
    Ok(context)
}

fn statements(ev: &Evaluation<'_>) -> Vec<StatementOut> {
    ev.matched
        .iter()
        .map(|m| StatementOut {
            source_policy_id: m.source_id.to_owned(),
            source_policy_type: m.source_type.as_str(),
            start_position: PositionOut { line: m.start.line, column: m.start.column },
            end_position: PositionOut { line: m.end.line, column: m.end.column },
        })
        .collect()
}

fn simulate(input: &SimulateInput, mut principal: Principal, docs: Vec<Doc>) -> Result<Value, IamError> {
    let mut identity = Vec::new();
    for d in docs {
        identity.push(parse(&d.document, PolicyKind::Identity, d.id, d.source_type)?);
    }
    for (i, doc) in input.policy_input_list.iter().enumerate() {
        identity.push(parse(doc, PolicyKind::Identity, format!("PolicyInputList.{}", i + 1), SourceType::None)?);
    }
    let boundary = match input.permissions_boundary_policy_input_list.first() {
        Some(doc) => {
            Some(parse(doc, PolicyKind::Identity, "PermissionsBoundaryPolicyInputList.1".into(), SourceType::None)?)
        }
        None => None,
    };
    let resource_policy = match &input.resource_policy {
        Some(doc) => Some(parse(doc, PolicyKind::Resource, "ResourcePolicy".into(), SourceType::Resource)?),
        None => None,
    };
    if let Some(caller) = &input.caller_arn {
        principal.arn.clone_from(caller);
        principal.kind = PrincipalKind::User;
        principal.username = names::parse_arn(caller, "user").map(|p| p.name.to_owned());
    }
    let context = context_of(&input.context_entries)?;
    let sources: Vec<Source<'_>> = identity.iter().map(source).collect();
    let eval_input = Input {
        identity: &sources,
        boundary: boundary.as_ref().map(source),
        resource: resource_policy.as_ref().map(|r| ResourcePolicy { source: source(r), mode: ResourceMode::Optional }),
        session: None,
        identity_applies: true,
    };
    let resources = if input.resource_arns.is_empty() { vec!["*".to_owned()] } else { input.resource_arns.clone() };
    let mut results = Vec::new();
    for action in &input.action_names {
        for resource in &resources {
            let request = Request { principal: &principal, action, resource, context: &context };
            let ev = policy::evaluate(&eval_input, &request);
            results.push(ResultOut {
                eval_action_name: action.clone(),
                eval_resource_name: resource.clone(),
                eval_decision: ev.decision.as_str(),
                matched_statements: statements(&ev),
                missing_context_values: ev.missing_context_keys.iter().map(|k| (*k).to_owned()).collect(),
            });
        }
    }
    let numbered: Vec<(usize, ResultOut)> = results.into_iter().enumerate().collect();
    let (page, truncation) = paginate(numbered, |(i, _)| format!("{i:010}"), &input.paging)?;
    let evaluation_results = page.into_iter().map(|(_, r)| r).collect();
    Ok(service::output(&SimulateResponse { evaluation_results, truncation })?)
}

pub(crate) async fn principal_policy(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: SimulateInput = service::input(input)?;
    let arn = input.policy_source_arn.clone().unwrap_or_default();
    let mut conn = db::reader(&ctx.env.store).await?;
    let (principal, docs) = principal_documents(ctx, &mut conn, &arn).await?;
    drop(conn);
    simulate(&input, principal, docs)
}

pub(crate) fn custom_policy(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: SimulateInput = service::input(input)?;
    let principal = Principal {
        arn: String::new(),
        account: ctx.account().to_owned(),
        kind: PrincipalKind::User,
        userid: String::new(),
        username: None,
        tags: Vec::new(),
    };
    simulate(&input, principal, Vec::new())
}

fn context_keys(docs: &[String]) -> Result<Value, IamError> {
    let parsed: Vec<Policy> = docs.iter().map(|d| Policy::parse(d, PolicyKind::Identity)).collect::<Result<_, _>>()?;
    let mut keys: Vec<&str> = Vec::new();
    for k in parsed.iter().flat_map(Policy::context_keys) {
        if !keys.iter().any(|seen| seen.eq_ignore_ascii_case(k)) {
            keys.push(k);
        }
    }
    Ok(serde_json::json!({ "ContextKeyNames": keys }))
}

pub(crate) fn context_keys_custom(input: Value) -> Result<Value, IamError> {
    let input: SimulateInput = service::input(input)?;
    context_keys(&input.policy_input_list)
}

pub(crate) async fn context_keys_principal(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    let input: SimulateInput = service::input(input)?;
    let arn = input.policy_source_arn.clone().unwrap_or_default();
    let mut conn = db::reader(&ctx.env.store).await?;
    let (_, docs) = principal_documents(ctx, &mut conn, &arn).await?;
    let mut all: Vec<String> = docs.into_iter().map(|d| d.document).collect();
    all.extend(input.policy_input_list);
    context_keys(&all)
}
