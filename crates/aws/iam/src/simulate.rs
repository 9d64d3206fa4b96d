//! The policy simulator: `SimulatePrincipalPolicy`, `SimulateCustomPolicy` and the context-key
//! listings. The simulator evaluates exactly what it is given: context keys come only from
//! `ContextEntries`, and the keys a decision needed but lacked are reported as missing.

use super::entity::{self, Kind};
use super::ops::{
    ContextEntry, EvaluationResult, GetContextKeysForPolicyResponse, GetContextKeysForPrincipalPolicyRequest, Position,
    SimulateCustomPolicyRequest, SimulatePolicyResponse, SimulatePrincipalPolicyRequest, Statement,
};
use super::page::{Paging, paginate};
use super::{IamError, names};
use aws_core::authz::PolicyDoc as Doc;
use aws_core::service::Ctx;
use policy::{
    Context, ContextKeyType, Evaluation, Input, Policy, PolicyKind, Principal, PrincipalKind, Request, ResourceMode,
    ResourcePolicy, Source, SourceType,
};
use store::iam as db;

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
        let values = e.context_key_values.clone().unwrap_or_default();
        context.insert(key, ty, values).map_err(|e| IamError::InvalidInput(e.to_string()))?;
    }
    Ok(context)
}

fn position(line: u32, column: u32) -> Position {
    Position { line: i32::try_from(line).ok(), column: i32::try_from(column).ok() }
}

fn statements(ev: &Evaluation<'_>) -> Vec<Statement> {
    ev.matched
        .iter()
        .map(|m| Statement {
            source_policy_id: Some(m.source_id.to_owned()),
            source_policy_type: Some(m.source_type.as_str().to_owned()),
            start_position: Some(position(m.start.line, m.start.column)),
            end_position: Some(position(m.end.line, m.end.column)),
        })
        .collect()
}

/// Simulates `input` for `principal` with its policies `docs` (none for a custom simulation).
fn simulate(
    input: &SimulateCustomPolicyRequest,
    mut principal: Principal,
    docs: Vec<Doc>,
) -> Result<SimulatePolicyResponse, IamError> {
    let mut identity = Vec::new();
    for d in docs {
        identity.push(parse(&d.document, PolicyKind::Identity, d.id, d.source_type)?);
    }
    for (i, doc) in input.policy_input_list.iter().enumerate() {
        identity.push(parse(doc, PolicyKind::Identity, format!("PolicyInputList.{}", i + 1), SourceType::None)?);
    }
    let boundary = match input.permissions_boundary_policy_input_list.as_deref().unwrap_or_default().first() {
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
    let context = context_of(input.context_entries.as_deref().unwrap_or_default())?;
    let sources: Vec<Source<'_>> = identity.iter().map(source).collect();
    let eval_input = Input {
        identity: &sources,
        boundary: boundary.as_ref().map(source),
        resource: resource_policy.as_ref().map(|r| ResourcePolicy { source: source(r), mode: ResourceMode::Optional }),
        session: None,
        identity_applies: true,
    };
    let resources = match &input.resource_arns {
        Some(arns) if !arns.is_empty() => arns.clone(),
        _ => vec!["*".to_owned()],
    };
    let mut results = Vec::new();
    for action in &input.action_names {
        for resource in &resources {
            let request = Request { principal: &principal, action, resource, context: &context };
            let ev = policy::evaluate(&eval_input, &request);
            results.push(EvaluationResult {
                eval_action_name: action.clone(),
                eval_resource_name: Some(resource.clone()),
                eval_decision: ev.decision.as_str().to_owned(),
                matched_statements: Some(statements(&ev)),
                missing_context_values: Some(ev.missing_context_keys.iter().map(|k| (*k).to_owned()).collect()),
                ..EvaluationResult::default()
            });
        }
    }
    let numbered: Vec<(usize, EvaluationResult)> = results.into_iter().enumerate().collect();
    let paging = Paging::new(input.marker.clone(), input.max_items);
    let (page, t) = paginate(numbered, |(i, _)| format!("{i:010}"), &paging)?;
    let evaluation_results = page.into_iter().map(|(_, r)| r).collect();
    Ok(SimulatePolicyResponse {
        evaluation_results: Some(evaluation_results),
        is_truncated: Some(t.is_truncated),
        marker: t.marker,
    })
}

pub(crate) async fn principal_policy(
    ctx: &Ctx<'_>,
    input: SimulatePrincipalPolicyRequest,
) -> Result<SimulatePolicyResponse, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let (principal, docs) = principal_documents(ctx, &mut conn, &input.policy_source_arn).await?;
    drop(conn);
    // The principal's simulation is the custom one over the principal's own policies.
    let custom = SimulateCustomPolicyRequest {
        action_names: input.action_names,
        caller_arn: input.caller_arn,
        context_entries: input.context_entries,
        marker: input.marker,
        max_items: input.max_items,
        permissions_boundary_policy_input_list: input.permissions_boundary_policy_input_list,
        policy_input_list: input.policy_input_list.unwrap_or_default(),
        resource_arns: input.resource_arns,
        resource_handling_option: input.resource_handling_option,
        resource_owner: input.resource_owner,
        resource_policy: input.resource_policy,
        ordered_organization_policy_input_list: None,
    };
    simulate(&custom, principal, docs)
}

pub(crate) fn custom_policy(
    ctx: &Ctx<'_>,
    input: &SimulateCustomPolicyRequest,
) -> Result<SimulatePolicyResponse, IamError> {
    let principal = Principal {
        arn: String::new(),
        account: ctx.account().to_owned(),
        kind: PrincipalKind::User,
        userid: String::new(),
        username: None,
        tags: Vec::new(),
    };
    simulate(input, principal, Vec::new())
}

/// The context keys the policies `docs` use, each once (case-insensitively).
pub(crate) fn context_keys(docs: &[String]) -> Result<GetContextKeysForPolicyResponse, IamError> {
    let parsed: Vec<Policy> = docs.iter().map(|d| Policy::parse(d, PolicyKind::Identity)).collect::<Result<_, _>>()?;
    let mut keys: Vec<&str> = Vec::new();
    for k in parsed.iter().flat_map(Policy::context_keys) {
        if !keys.iter().any(|seen| seen.eq_ignore_ascii_case(k)) {
            keys.push(k);
        }
    }
    Ok(GetContextKeysForPolicyResponse { context_key_names: Some(keys.into_iter().map(str::to_owned).collect()) })
}

pub(crate) async fn context_keys_principal(
    ctx: &Ctx<'_>,
    input: GetContextKeysForPrincipalPolicyRequest,
) -> Result<GetContextKeysForPolicyResponse, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let (_, docs) = principal_documents(ctx, &mut conn, &input.policy_source_arn).await?;
    let mut all: Vec<String> = docs.into_iter().map(|d| d.document).collect();
    all.extend(input.policy_input_list.unwrap_or_default());
    context_keys(&all)
}
