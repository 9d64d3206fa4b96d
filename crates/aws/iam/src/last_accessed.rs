//! Last-accessed reports (IAM access advisor): `GenerateServiceLastAccessedDetails` and
//! `GetServiceLastAccessedDetails`, computed from the audit log.
//!
//! A report lists the services the entity's policies allow access to and, for each, when an
//! authenticated principal of the entity last attempted to use it (whatever the outcome, as in
//! IAM), from where and how many of the entity's principals did: the user itself; a role's
//! sessions; a group's members; the users and roles a managed policy is attached to (and the
//! members of the groups it is attached to). `ACTION_LEVEL` adds IAM's tracked actions, IAM's
//! own operations, that were used. The tracking period is IAM's: 400 days.

use super::ops::{
    GenerateServiceLastAccessedDetailsRequest, GenerateServiceLastAccessedDetailsResponse,
    GetServiceLastAccessedDetailsRequest, GetServiceLastAccessedDetailsResponse, ServiceLastAccessed,
    TrackedActionLastAccessed,
};
use super::page::{Paging, paginate};
use super::{IamError, Kind, entity, names, policies};
use aws_core::service::Ctx;
use policy::{Policy, PolicyKind};
use std::collections::BTreeMap;
use store::audit::{self, Who};
use store::iam::{self as db, Owner};

/// IAM tracks access for the last 400 days.
const TRACKING_MS: i64 = 400 * 86_400_000;
/// How long a generated report can be read (spcred's choice; IAM does not say).
const REPORT_KEPT_MS: i64 = 30 * 86_400_000;

/// The services spcred serves, by IAM namespace, with the names IAM's reports give them, and the
/// name each one has in the audit log.
const SERVICES: [(&str, &str, &str); 8] = [
    ("events", "Amazon EventBridge", "events"),
    ("execute-api", "Amazon API Gateway", "sellingpartnerapi"),
    ("iam", "AWS Identity and Access Management", "iam"),
    ("kms", "AWS Key Management Service", "kms"),
    ("sns", "Amazon SNS", "sns"),
    ("sqs", "Amazon SQS", "sqs"),
    ("ssm", "AWS Systems Manager", "ssm"),
    ("sts", "AWS Security Token Service", "sts"),
];

/// Services whose actions are tracked one by one at `ACTION_LEVEL` (of spcred's, IAM only).
const TRACKED: [&str; 1] = ["iam"];

/// Whose requests a report reads, and the entity each principal is reported as.
struct Subject {
    who: Vec<(Who, String)>,
    documents: Vec<String>,
}

fn invalid_arn(arn: &str) -> IamError {
    IamError::InvalidInput(format!("ARN {arn} is not valid."))
}

fn session_prefix(account: &str, role_name: &str) -> Who {
    Who::Prefix(format!("arn:aws:sts::{account}:assumed-role/{role_name}/"))
}

/// The documents that speak for the entity named by `arn`, and its principals.
async fn subject(conn: &mut store::Conn, account: &str, arn: &str) -> Result<Subject, IamError> {
    let kind = ["user", "role", "group"].into_iter().find(|k| names::parse_arn(arn, k).is_some());
    let docs = |d: Vec<aws_core::authz::PolicyDoc>| d.into_iter().map(|d| d.document).collect::<Vec<_>>();
    if let Some(word) = kind {
        let parsed = names::parse_arn(arn, word).ok_or_else(|| invalid_arn(arn))?;
        let kind = match word {
            "user" => Kind::User,
            "role" => Kind::Role,
            _ => Kind::Group,
        };
        let found =
            if parsed.account == account { entity::find(conn, account, kind, parsed.name).await? } else { None };
        let e = found.ok_or_else(|| kind.not_found(parsed.name))?;
        let documents = docs(entity::documents(conn, kind, &e.id).await?);
        let who = match kind {
            Kind::User => vec![(Who::Exact(e.arn.clone()), e.arn)],
            Kind::Role => vec![(session_prefix(account, &e.name), e.arn)],
            Kind::Group => members(conn, &e.id).await?,
        };
        return Ok(Subject { who, documents });
    }
    let Some(parsed) = names::parse_arn(arn, "policy") else {
        return Err(invalid_arn(arn));
    };
    if parsed.account != account && parsed.account != "aws" {
        return Err(IamError::NoSuchEntity(format!("Policy {arn} was not found.")));
    }
    let document = match policies::find(conn, arn).await? {
        policies::AnyPolicy::Aws(p) => p.document.to_owned(),
        policies::AnyPolicy::Customer(_) => db::default_document(conn, arn).await?.unwrap_or_default(),
    };
    let mut who = Vec::new();
    for (owner, id) in db::attachments_of(conn, account, arn).await? {
        match owner {
            Owner::User => {
                if let Some(u) = db::user_by_id(conn, &id).await? {
                    let arn = names::arn(account, "user", &u.path, &u.user_name);
                    who.push((Who::Exact(arn.clone()), arn));
                }
            }
            Owner::Role => {
                if let Some(r) = db::role_by_id(conn, &id).await? {
                    who.push((session_prefix(account, &r.role_name), super::role_arn(&r)));
                }
            }
            Owner::Group => who.extend(members(conn, &id).await?),
            Owner::Policy => {}
        }
    }
    Ok(Subject { who, documents: vec![document] })
}

async fn members(conn: &mut store::Conn, group_id: &str) -> Result<Vec<(Who, String)>, IamError> {
    Ok(db::group_members(conn, group_id)
        .await?
        .into_iter()
        .map(|u| {
            let arn = names::arn(&u.account_id, "user", &u.path, &u.user_name);
            (Who::Exact(arn.clone()), arn)
        })
        .collect())
}

/// The entity a principal of the audit log is reported as.
fn entity_of<'a>(who: &'a [(Who, String)], principal: &str) -> Option<&'a str> {
    who.iter()
        .find(|(w, _)| match w {
            Who::Exact(arn) => arn == principal,
            Who::Prefix(p) => principal.starts_with(p.as_str()),
        })
        .map(|(_, entity)| entity.as_str())
}

/// The report's services: those the documents allow, each with its last access.
fn services(subject: &Subject, accesses: &[audit::LastAccess], action_level: bool) -> Vec<ServiceLastAccessed> {
    let parsed: Vec<Policy> =
        subject.documents.iter().filter_map(|d| Policy::parse(d, PolicyKind::Identity).ok()).collect();
    let mut out = Vec::new();
    for (namespace, name, audit_name) in SERVICES {
        if !parsed.iter().any(|p| p.allows_service(namespace)) {
            continue;
        }
        let mut newest: Option<(&audit::LastAccess, &str)> = None;
        let mut entities: Vec<&str> = Vec::new();
        let mut actions: BTreeMap<&str, TrackedActionLastAccessed> = BTreeMap::new();
        for a in accesses.iter().filter(|a| a.service == audit_name) {
            let Some(entity) = entity_of(&subject.who, &a.principal_arn) else { continue };
            if !entities.contains(&entity) {
                entities.push(entity);
            }
            if newest.is_none_or(|(n, _)| a.time_ms > n.time_ms) {
                newest = Some((a, entity));
            }
            let tracked = TrackedActionLastAccessed {
                action_name: Some(a.operation.clone()),
                last_accessed_entity: Some(entity.to_owned()),
                last_accessed_region: a.region.clone(),
                last_accessed_time: Some(names::time(a.time_ms)),
            };
            match actions.get(a.operation.as_str()) {
                Some(seen) if seen.last_accessed_time >= tracked.last_accessed_time => {}
                _ => {
                    actions.insert(a.operation.as_str(), tracked);
                }
            }
        }
        let tracked = (action_level && TRACKED.contains(&namespace)).then(|| actions.into_values().collect());
        out.push(ServiceLastAccessed {
            service_name: name.to_owned(),
            service_namespace: namespace.to_owned(),
            last_authenticated: newest.map(|(a, _)| names::time(a.time_ms)),
            last_authenticated_entity: newest.map(|(_, e)| e.to_owned()),
            last_authenticated_region: newest.and_then(|(a, _)| a.region.clone()),
            total_authenticated_entities: Some(i32::try_from(entities.len()).unwrap_or(i32::MAX)),
            tracked_actions_last_accessed: tracked,
        });
    }
    out
}

/// `GenerateServiceLastAccessedDetails`: the report is computed at once and kept under its job id.
pub(crate) async fn generate(
    ctx: &Ctx<'_>,
    input: GenerateServiceLastAccessedDetailsRequest,
) -> Result<GenerateServiceLastAccessedDetailsResponse, IamError> {
    let granularity = input.granularity.unwrap_or_else(|| "SERVICE_LEVEL".into());
    if !matches!(granularity.as_str(), "SERVICE_LEVEL" | "ACTION_LEVEL") {
        return Err(IamError::InvalidInput(format!(
            "Value '{granularity}' at 'granularity' failed to satisfy constraint: Member must satisfy enum value set: [SERVICE_LEVEL, ACTION_LEVEL]"
        )));
    }
    let account = ctx.account();
    let mut conn = db::reader(&ctx.env.store).await?;
    let subject = subject(&mut conn, account, &input.arn).await?;
    let who: Vec<Who> = subject.who.iter().map(|(w, _)| w.clone()).collect();
    let accesses = audit::last_accessed(&mut conn, &who, ctx.now_ms - TRACKING_MS).await?;
    drop(conn);
    let list = services(&subject, &accesses, granularity == "ACTION_LEVEL");
    let report = db::AccessReport {
        job_id: ctx.env.ids.uuid(),
        account_id: account.to_owned(),
        entity_arn: input.arn,
        granularity,
        created_ms: ctx.now_ms,
        completed_ms: ctx.env.now_ms(),
        services: serde_json::to_string(&list).map_err(|_| IamError::Common(aws_core::CommonError::Internal))?,
    };
    let mut tx = ctx.env.store.begin().await?;
    db::put_access_report(&mut tx, &report, ctx.now_ms - REPORT_KEPT_MS).await?;
    db::commit(tx).await?;
    Ok(GenerateServiceLastAccessedDetailsResponse { job_id: Some(report.job_id) })
}

/// `GetServiceLastAccessedDetails`: a generated report, a page of its services at a time.
pub(crate) async fn get(
    ctx: &Ctx<'_>,
    input: GetServiceLastAccessedDetailsRequest,
) -> Result<GetServiceLastAccessedDetailsResponse, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let report = db::access_report(&mut conn, ctx.account(), &input.job_id)
        .await?
        .filter(|r| r.created_ms >= ctx.now_ms - REPORT_KEPT_MS)
        .ok_or_else(|| IamError::NoSuchEntity(format!("Job with id {} does not exist.", input.job_id)))?;
    let list: Vec<ServiceLastAccessed> = serde_json::from_str(&report.services).map_err(|e| {
        tracing::error!(error = %e, "a stored last-accessed report does not read back");
        IamError::Common(aws_core::CommonError::Internal)
    })?;
    let paging = Paging::new(input.marker, input.max_items);
    let (page, t) = paginate(list, |s| s.service_namespace.clone(), &paging)?;
    Ok(GetServiceLastAccessedDetailsResponse {
        job_status: "COMPLETED".into(),
        job_type: Some(report.granularity),
        job_creation_date: names::time(report.created_ms),
        job_completion_date: names::time(report.completed_ms),
        services_last_accessed: page,
        error: None,
        is_truncated: Some(t.is_truncated),
        marker: t.marker,
    })
}
