//! Parameter policies: `Expiration`, `ExpirationNotification` and `NoChangeNotification`,
//! validated as Parameter Store does, scheduled on the server's clock, and fired by a job that
//! emits "Parameter Store Policy Action" events (and deletes an expired parameter).

use super::error::SsmError;
use super::events;
use aws_core::env::Env;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use store::Scope;
use store::StoreError;
use store::jobs::{Handler, Job, Outcome};
use store::ssm::Policy;

/// The job that fires one policy of one parameter.
pub const POLICY_JOB: &str = "ssm.policy";
/// Policies a parameter may have.
const MAX_POLICIES: usize = 10;
/// `Pending`: not applied yet.
pub(crate) const PENDING: &str = "Pending";
/// `Finished`: applied.
pub(crate) const FINISHED: &str = "Finished";
const HOUR_MS: i64 = 3_600_000;
/// The longest period accepted, in hours (a century): beyond it the arithmetic could overflow.
const MAX_HOURS: i64 = 100 * 366 * 24;

/// A validated policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Delete the parameter at this time (epoch ms).
    Expiration { at_ms: i64 },
    /// Notify this long (ms) before the expiration.
    ExpirationNotification { before_ms: i64 },
    /// Notify when the parameter has not changed for this long (ms).
    NoChangeNotification { after_ms: i64 },
}

impl Kind {
    fn type_name(&self) -> &'static str {
        match self {
            Kind::Expiration { .. } => "Expiration",
            Kind::ExpirationNotification { .. } => "ExpirationNotification",
            Kind::NoChangeNotification { .. } => "NoChangeNotification",
        }
    }
}

/// A policy with the JSON text reported for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub kind: Kind,
    /// The policy object, compact, in the caller's member order.
    pub text: String,
}

fn attribute_number(attributes: &serde_json::Map<String, Value>, name: &str) -> Result<i64, SsmError> {
    let n = match attributes.get(name) {
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    n.filter(|n| *n >= 1).ok_or(SsmError::InvalidPolicyAttribute)
}

/// A period of `Unit` `Days` or `Hours`, in ms.
fn period(attributes: &serde_json::Map<String, Value>, name: &str) -> Result<i64, SsmError> {
    let n = attribute_number(attributes, name)?;
    let hours = match attributes.get("Unit").and_then(Value::as_str) {
        Some("Days") => n.checked_mul(24),
        Some("Hours") => Some(n),
        _ => None,
    };
    hours.filter(|h| *h <= MAX_HOURS).map(|h| h * HOUR_MS).ok_or(SsmError::InvalidPolicyAttribute)
}

/// A timestamp in `ISO_INSTANT` or `ISO_OFFSET_DATE_TIME` form, in epoch ms.
fn timestamp(attributes: &serde_json::Map<String, Value>) -> Result<i64, SsmError> {
    let text = attributes.get("Timestamp").and_then(Value::as_str).ok_or(SsmError::InvalidPolicyAttribute)?;
    text.parse::<jiff::Timestamp>().map(jiff::Timestamp::as_millisecond).map_err(|_| SsmError::InvalidPolicyAttribute)
}

fn parse_one(value: &Value) -> Result<Option<Parsed>, SsmError> {
    let Value::Object(policy) = value else {
        return Err(SsmError::InvalidPolicyAttribute);
    };
    // `{}` stands for no policy: Parameter Store documents `[{}]` as the way to remove them all.
    if policy.is_empty() {
        return Ok(None);
    }
    let kind_name = policy.get("Type").and_then(Value::as_str).ok_or(SsmError::InvalidPolicyType)?;
    if policy.get("Version").and_then(Value::as_str) != Some("1.0") {
        return Err(SsmError::InvalidPolicyAttribute);
    }
    let Some(Value::Object(attributes)) = policy.get("Attributes") else {
        return Err(SsmError::InvalidPolicyAttribute);
    };
    let kind = match kind_name {
        "Expiration" => Kind::Expiration { at_ms: timestamp(attributes)? },
        "ExpirationNotification" => Kind::ExpirationNotification { before_ms: period(attributes, "Before")? },
        "NoChangeNotification" => Kind::NoChangeNotification { after_ms: period(attributes, "After")? },
        _ => return Err(SsmError::InvalidPolicyType),
    };
    Ok(Some(Parsed { kind, text: value.to_string() }))
}

/// Validates a `Policies` parameter (a JSON array of policies, as a string).
pub(crate) fn parse(policies: &str) -> Result<Vec<Parsed>, SsmError> {
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(policies) else {
        return Err(SsmError::InvalidPolicyAttribute);
    };
    if items.len() > MAX_POLICIES {
        return Err(SsmError::PoliciesLimitExceeded);
    }
    let mut parsed = Vec::with_capacity(items.len());
    for item in &items {
        if let Some(p) = parse_one(item)? {
            parsed.push(p);
        }
    }
    if parsed.iter().filter(|p| matches!(p.kind, Kind::Expiration { .. })).count() > 1 {
        return Err(SsmError::IncompatiblePolicy);
    }
    Ok(parsed)
}

/// The stored form of a version's policies: a JSON array of their texts.
pub(crate) fn texts_json(parsed: &[Parsed]) -> String {
    Value::Array(parsed.iter().map(|p| Value::String(p.text.clone())).collect()).to_string()
}

/// Policies from their stored texts (written by [`texts_json`], so they parse).
pub(crate) fn from_texts_json(json: &str) -> Vec<Parsed> {
    let texts: Vec<String> = serde_json::from_str(json).unwrap_or_default();
    texts
        .iter()
        .filter_map(|t| serde_json::from_str::<Value>(t).ok())
        .filter_map(|v| parse_one(&v).ok().flatten())
        .collect()
}

/// The schedule of `parsed` for a version written at `modified_ms`: when each policy fires.
/// An expiration notification without an expiration has nothing to fire on.
pub(crate) fn schedule(name: &str, parsed: &[Parsed], modified_ms: i64) -> Vec<Policy> {
    let expires = parsed.iter().find_map(|p| match p.kind {
        Kind::Expiration { at_ms } => Some(at_ms),
        _ => None,
    });
    parsed
        .iter()
        .zip(0_i64..)
        .map(|(p, idx)| Policy {
            name: name.to_owned(),
            idx,
            kind: p.kind.type_name().to_owned(),
            text: p.text.clone(),
            status: PENDING.to_owned(),
            due_ms: match p.kind {
                Kind::Expiration { at_ms } => Some(at_ms),
                Kind::ExpirationNotification { before_ms } => expires.map(|at| at - before_ms),
                Kind::NoChangeNotification { after_ms } => Some(modified_ms.saturating_add(after_ms)),
            },
        })
        .collect()
}

/// The payload of a [`POLICY_JOB`]; `due_ms` tells a stale job (its policy since rescheduled)
/// from a live one.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    account_id: String,
    region: String,
    name: String,
    idx: i64,
    due_ms: i64,
}

fn payload(scope: Scope<'_>, p: &Policy, due_ms: i64) -> String {
    serde_json::to_string(&Payload {
        account_id: scope.account_id.into(),
        region: scope.region.into(),
        name: p.name.clone(),
        idx: p.idx,
        due_ms,
    })
    .unwrap_or_default()
}

/// Replaces the stored schedule of a parameter with `next`, moving its jobs along.
pub(crate) async fn reschedule(
    conn: &mut store::Conn,
    scope: Scope<'_>,
    name: &str,
    next: &[Policy],
    now_ms: i64,
) -> Result<(), StoreError> {
    for old in store::ssm::policies(conn, scope, name).await? {
        if let Some(due) = old.due_ms {
            store::jobs::cancel(conn, POLICY_JOB, &payload(scope, &old, due)).await?;
        }
    }
    store::ssm::replace_policies(conn, scope, name, next).await?;
    for p in next {
        if let (Some(due), PENDING) = (p.due_ms, p.status.as_str()) {
            store::jobs::enqueue(conn, POLICY_JOB, due, &payload(scope, p, due), now_ms).await?;
        }
    }
    Ok(())
}

/// Drops the queued jobs of a parameter that is going away.
pub(crate) async fn unschedule(conn: &mut store::Conn, scope: Scope<'_>, name: &str) -> Result<(), StoreError> {
    for old in store::ssm::policies(conn, scope, name).await? {
        if let Some(due) = old.due_ms {
            store::jobs::cancel(conn, POLICY_JOB, &payload(scope, &old, due)).await?;
        }
    }
    Ok(())
}

/// Fires due policies.
#[derive(Debug)]
pub struct PolicyJobs {
    env: Arc<Env>,
}

impl PolicyJobs {
    /// A handler over `env`.
    pub fn new(env: Arc<Env>) -> Self {
        Self { env }
    }
}

fn unit_text(ms: i64) -> String {
    if ms % (24 * HOUR_MS) == 0 { format!("{} Days", ms / (24 * HOUR_MS)) } else { format!("{} Hours", ms / HOUR_MS) }
}

#[async_trait::async_trait]
impl Handler for PolicyJobs {
    async fn run(&self, job: &Job) -> Result<Outcome, StoreError> {
        let Ok(p) = serde_json::from_str::<Payload>(&job.payload) else {
            tracing::error!(id = job.id, "a parameter policy job with an unreadable payload; dropping it");
            return Ok(Outcome::Done);
        };
        let scope = Scope { account_id: &p.account_id, region: &p.region };
        let now = self.env.now_ms();
        let mut tx = self.env.store.begin().await?;
        let Some(policy) = store::ssm::policy(&mut tx, scope, &p.name, p.idx).await? else {
            return Ok(Outcome::Done);
        };
        if policy.status != PENDING || policy.due_ms != Some(p.due_ms) {
            return Ok(Outcome::Done);
        }
        let Some(current) = store::ssm::current(&mut tx, scope, &p.name).await? else {
            return Ok(Outcome::Done);
        };
        let parsed = serde_json::from_str::<Value>(&policy.text).ok().and_then(|v| parse_one(&v).ok().flatten());
        let reason = match parsed.as_ref().map(|x| &x.kind) {
            Some(Kind::Expiration { .. }) => format!("Parameter {} expired and was deleted.", p.name),
            Some(Kind::ExpirationNotification { before_ms }) => {
                format!("Parameter {} will expire in {}.", p.name, unit_text(*before_ms))
            }
            Some(Kind::NoChangeNotification { after_ms }) => {
                format!("Parameter {} has not been modified for {}.", p.name, unit_text(*after_ms))
            }
            None => return Ok(Outcome::Done),
        };
        let action = events::PolicyAction {
            name: &p.name,
            kind: &current.kind,
            policy_type: &policy.kind,
            policy_text: &policy.text,
            reason: &reason,
        };
        events::emit_policy_action(&self.env, &mut tx, scope, &action, now).await?;
        if policy.kind == "Expiration" {
            store::ssm::delete(&mut tx, scope, &p.name).await?;
            events::emit_change(&self.env, &mut tx, scope, "Delete", &current, now).await?;
        } else {
            store::ssm::update_policy(&mut tx, scope, &p.name, p.idx, FINISHED, policy.due_ms).await?;
        }
        tx.commit().await?;
        Ok(Outcome::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_core::error::ServiceError;

    const BLOG: &str =
        r#"[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"150","Unit":"Days"}}]"#;

    fn code(policies: &str) -> String {
        parse(policies).unwrap_err().code().to_owned()
    }

    #[test]
    fn the_blog_policy_parses() {
        let parsed = parse(BLOG).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].kind, Kind::NoChangeNotification { after_ms: 150 * 24 * HOUR_MS });
        assert_eq!(parsed[0].text, &BLOG[1..BLOG.len() - 1]);
    }

    #[test]
    fn all_three_types_parse_with_both_time_forms() {
        let doc = r#"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2018-12-02T21:34:33.000Z"}},
            {"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"15","Unit":"Days"}},
            {"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"5","Unit":"Hours"}},
            {"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2019-11-01T22:13:48.87+10:30"}}]"#;
        assert_eq!(code(doc), "IncompatiblePolicyException");
        let doc = doc.replace(
            r#",
            {"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2019-11-01T22:13:48.87+10:30"}}"#,
            "",
        );
        let parsed = parse(&doc).unwrap();
        assert_eq!(parsed[0].kind, Kind::Expiration { at_ms: 1_543_786_473_000 });
        assert_eq!(parsed[2].kind, Kind::ExpirationNotification { before_ms: 5 * HOUR_MS });
        let offset = parse(
            r#"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2019-11-01T22:13:48.87+10:30"}}]"#,
        )
        .unwrap();
        assert_eq!(offset[0].kind, Kind::Expiration { at_ms: 1_572_608_628_870 });
        // The form of AWS's own example, with seconds in the offset.
        let doc_example = parse(
            r#"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2019-11-01T22:13:48.87+10:30:00"}}]"#,
        )
        .unwrap();
        assert_eq!(doc_example[0].kind, Kind::Expiration { at_ms: 1_572_608_628_870 });
    }

    #[test]
    fn empty_policies_remove_them() {
        assert!(parse("[]").unwrap().is_empty());
        assert!(parse("[{}]").unwrap().is_empty());
    }

    #[test]
    fn invalid_policies_get_aws_errors() {
        assert_eq!(code(r#"[{"Type":"Rotation","Version":"1.0","Attributes":{}}]"#), "InvalidPolicyTypeException");
        assert_eq!(code(r#"[{"Version":"1.0","Attributes":{}}]"#), "InvalidPolicyTypeException");
        for bad in [
            "not json",
            "{}",
            r#"[{"Type":"NoChangeNotification","Version":"2.0","Attributes":{"After":"1","Unit":"Days"}}]"#,
            r#"[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"1","Unit":"Weeks"}}]"#,
            r#"[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"0","Unit":"Days"}}]"#,
            r#"[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"-1","Unit":"Days"}}]"#,
            r#"[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"99999999999999999999","Unit":"Days"}}]"#,
            r#"[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"Before":"1","Unit":"Days"}}]"#,
            r#"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"tomorrow"}}]"#,
            r#"[{"Type":"Expiration","Version":"1.0"}]"#,
            "[1]",
        ] {
            assert_eq!(code(bad), "InvalidPolicyAttributeException", "{bad}");
        }
        let eleven = format!("[{}]", [&BLOG[1..BLOG.len() - 1]; 11].join(","));
        assert_eq!(code(&eleven), "PoliciesLimitExceededException");
    }

    #[test]
    fn schedules_follow_the_policy_kinds() {
        let parsed = parse(
            r#"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"1970-01-11T00:00:00Z"}},
                {"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"1","Unit":"Days"}},
                {"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"2","Unit":"Hours"}}]"#,
        )
        .unwrap();
        let s = schedule("/p", &parsed, 1_000);
        let day = 24 * HOUR_MS;
        assert_eq!(
            s.iter().map(|p| p.due_ms).collect::<Vec<_>>(),
            [Some(10 * day), Some(9 * day), Some(1_000 + 2 * HOUR_MS)]
        );
        assert!(s.iter().all(|p| p.status == PENDING));
        let lonely = schedule("/p", &parsed[1..2], 0);
        assert_eq!(lonely[0].due_ms, None);
    }

    #[test]
    fn stored_texts_round_trip() {
        let parsed = parse(BLOG).unwrap();
        assert_eq!(from_texts_json(&texts_json(&parsed)), parsed);
        assert!(from_texts_json("[]").is_empty());
    }

    fn version(name: &str, modified_ms: i64) -> store::ssm::Version {
        store::ssm::Version {
            name: name.into(),
            version: 1,
            kind: "String".into(),
            value: Some("v".into()),
            ciphertext: None,
            key_id: None,
            kms_key_id: None,
            description: None,
            allowed_pattern: None,
            data_type: "text".into(),
            tier: "Advanced".into(),
            policies: "[]".into(),
            modified_ms,
            modified_user: "arn:aws:iam::111122223333:root".into(),
        }
    }

    #[tokio::test]
    async fn a_policy_fires_once_however_often_its_job_runs_and_stale_jobs_do_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = store::Store::open(&dir.path().join("spcred.db")).await.unwrap();
        let clock = Arc::new(store::VirtualClock::new());
        let master = crypto::MasterKey::generate(&crypto::SystemRandom);
        let env =
            Arc::new(Env::new(db.clone(), clock.clone(), Arc::new(crypto::SystemRandom), &master, "us-east-1".into()));
        let scope = Scope { account_id: "111122223333", region: "us-east-1" };
        let now = store::Clock::now_ms(clock.as_ref());
        let day = 24 * HOUR_MS;
        let parsed = parse(BLOG).unwrap();

        let mut tx = db.begin().await.unwrap();
        store::ssm::put_version(&mut tx, scope, &version("/stale", now)).await.unwrap();
        reschedule(&mut tx, scope, "/stale", &schedule("/stale", &parsed, now - 150 * day), now).await.unwrap();
        store::ssm::put_version(&mut tx, scope, &version("/due", now)).await.unwrap();
        reschedule(&mut tx, scope, "/due", &schedule("/due", &parsed, now - 150 * day), now).await.unwrap();
        tx.commit().await.unwrap();
        let mut conn = db.reader().acquire().await.unwrap();
        let queued = store::jobs::list(&mut conn, POLICY_JOB, 10).await.unwrap();
        assert_eq!(queued.len(), 2);
        drop(conn);

        // "/stale" changes after its job was claimed: the job now names an old due time.
        let mut tx = db.begin().await.unwrap();
        let restarted = schedule("/stale", &parsed, now);
        store::ssm::replace_policies(&mut tx, scope, "/stale", &restarted).await.unwrap();
        tx.commit().await.unwrap();

        let handler = PolicyJobs::new(env.clone());
        for job in queued.iter().chain(queued.iter()) {
            assert!(matches!(handler.run(job).await.unwrap(), Outcome::Done));
        }
        let mut conn = db.reader().acquire().await.unwrap();
        let events = store::jobs::list(&mut conn, aws_core::outbox::ROUTE_JOB, 10).await.unwrap();
        assert_eq!(events.len(), 1, "one event, for the due policy only");
        assert!(events[0].payload.contains("/due") && events[0].payload.contains("NoChangeNotification"));
        let due = store::ssm::policy(&mut conn, scope, "/due", 0).await.unwrap().unwrap();
        let stale = store::ssm::policy(&mut conn, scope, "/stale", 0).await.unwrap().unwrap();
        assert_eq!((due.status.as_str(), stale.status.as_str()), (FINISHED, PENDING));
    }

    #[test]
    fn units_are_reported_as_given() {
        assert_eq!(unit_text(150 * 24 * HOUR_MS), "150 Days");
        assert_eq!(unit_text(5 * HOUR_MS), "5 Hours");
    }
}
