//! Authorization: every operation's declared checks are decided before it runs, by IAM's
//! evaluation logic (the pure `policy` crate). Deny by default.
//!
//! - Identity-based policies: an IAM user's inline and attached policies and those of its
//!   groups; for a role session, the role's, intersected with the session policies passed to
//!   `AssumeRole`.
//! - The resource's policy comes with the [`Check`]: SNS topic and SQS queue policies allow on
//!   their own ([`policy::ResourceMode::Optional`]); role trust policies and KMS key policies
//!   must allow ([`policy::ResourceMode::Required`]), and when they name only the account the
//!   caller's identity policies must allow too.
//! - The account's root user may do anything in its account that no resource policy explicitly
//!   denies, except where a required resource policy does not let the account in (a KMS key
//!   policy without the account statement locks root out, as AWS documents).
//! - Service principals, and principals of accounts outside the store (Amazon's SP-API account
//!   sending to a queue), are decided by the resource policy alone. A principal of another
//!   account of the store needs both: the resource's policy must let it in and its own
//!   account's policies must allow the action, as for any cross-account request.
//! - AWS Organizations: in a member account whose organization has service control policies
//!   enabled, every principal (root included) is bounded by them: at each level from the root
//!   through its OUs to the account, an attached SCP must allow the action and none may deny it.
//!   The management account is never bounded.
//!
//! Each principal's parsed policies are cached for a few seconds and dropped whenever IAM
//! changes anything, so a decision normally costs no database read and no parsing.

use crate::caller::{Caller, CallerKind};
use crate::error::CommonError;
use crate::service::{Authorization, Check, Ctx};
use policy::{
    Context, ContextKeyType, Decision, Input, Policy, PolicyKind, Principal, PrincipalKind, Request, ResourceMode,
    ResourcePolicy, Source, SourceType,
};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The service control policy every organization starts with, attached at every level; the store
/// keeps AWS's own policies without content, and this is what they say.
pub const FULL_AWS_ACCESS: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}";

/// Whose identity-based policies authorization asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// An IAM user (its own policies and its groups').
    User,
    /// An IAM role (for its sessions).
    Role,
}

/// A policy document that speaks for a principal, named as the simulator reports it.
#[derive(Debug, Clone)]
pub struct PolicyDoc {
    /// The policy's name (inline) or managed policy name.
    pub id: String,
    /// Where the policy comes from, as `SimulatePrincipalPolicy` reports it.
    pub source_type: SourceType,
    /// The document.
    pub document: String,
}

/// Where authorization finds principals' identity-based policies: IAM's data, read by IAM's
/// code, wired in by the composition root (the pipeline knows no service).
#[async_trait::async_trait]
pub trait Identities: Send + Sync + std::fmt::Debug {
    /// Every identity-based policy of a user (with its groups') or a role.
    async fn documents(&self, conn: &mut store::Conn, holder: Holder, id: &str) -> Result<Vec<PolicyDoc>, CommonError>;
    /// A managed policy's default document, AWS or customer managed, named by its ARN.
    async fn managed_document(&self, conn: &mut store::Conn, arn: &str) -> Result<Option<PolicyDoc>, CommonError>;
}

/// How long a principal's policies are reused without looking at the store.
const SUBJECT_TTL: Duration = Duration::from_secs(5);
/// Bounds on the caches; past them they are cleared rather than grown.
const SUBJECTS_MAX: usize = 10_000;
const DOCUMENTS_MAX: usize = 4_096;

/// AWS's denial message.
pub fn denied(caller_arn: &str, check: &Check) -> CommonError {
    CommonError::AccessDenied(format!(
        "User: {caller_arn} is not authorized to perform: {} on resource: {}",
        check.action, check.resource
    ))
}

/// AWS's denial message when a service control policy is the reason.
fn denied_by_scp(caller_arn: &str, check: &Check, explicit: bool) -> CommonError {
    let why = if explicit {
        "with an explicit deny in a service control policy".to_owned()
    } else {
        format!("because no service control policy allows the {} action", check.action)
    };
    CommonError::AccessDenied(format!(
        "User: {caller_arn} is not authorized to perform: {} on resource: {} {why}",
        check.action, check.resource
    ))
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Allowed,
    Denied,
    /// Denied by the caller's organization's service control policies (explicitly or not).
    DeniedByScp {
        explicit: bool,
    },
}

/// A policy ready for evaluation, with the name the simulator would give it.
#[derive(Debug)]
struct Compiled {
    policy: Arc<Policy>,
    id: String,
    source_type: SourceType,
}

impl Compiled {
    fn source(&self) -> Source<'_> {
        Source { policy: &self.policy, id: &self.id, source_type: self.source_type }
    }
}

/// What speaks for a principal: its identity-based policies, session policies and tags.
#[derive(Debug, Default)]
struct Subject {
    identity: Vec<Compiled>,
    /// `Some` when session policies were passed to `AssumeRole`.
    session: Option<Vec<Compiled>>,
    /// The user's or role's tags (`aws:PrincipalTag/*`).
    tags: Vec<(String, String)>,
    /// Whether the principal's account is one of the store's (so its own policies are known).
    local: bool,
    /// The service control policies bounding the principal's account, level by level from the
    /// organization's root; `None` when none apply.
    scps: Option<Vec<Vec<Compiled>>>,
}

/// Parsed policies: per principal, and per document text (shared by principals and reused for
/// resource policies, which arrive as text with every check).
#[derive(Debug, Default)]
pub(crate) struct PolicyCache {
    subjects: RwLock<HashMap<String, (Instant, Arc<Subject>)>>,
    documents: RwLock<HashMap<(PolicyKind, String), Arc<Policy>>>,
}

impl PolicyCache {
    /// Forgets every principal's policies (IAM changed something).
    pub(crate) fn invalidate(&self) {
        self.subjects.write().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    fn subject(&self, key: &str) -> Option<Arc<Subject>> {
        let subjects = self.subjects.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        subjects.get(key).filter(|(at, _)| at.elapsed() < SUBJECT_TTL).map(|(_, s)| s.clone())
    }

    fn keep_subject(&self, key: String, subject: Arc<Subject>) {
        let mut subjects = self.subjects.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if subjects.len() >= SUBJECTS_MAX {
            subjects.clear();
        }
        subjects.insert(key, (Instant::now(), subject));
    }

    /// The parsed form of a stored document. Stored documents were validated when written, so a
    /// failure means tampering or a grammar change: it is logged and the document grants nothing.
    fn parsed(&self, document: &str, kind: PolicyKind) -> Option<Arc<Policy>> {
        let key = (kind, document.to_owned());
        if let Some(p) = self.documents.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key) {
            return Some(p.clone());
        }
        let policy = match Policy::parse(document, kind) {
            Ok(p) => Arc::new(p),
            Err(e) => {
                tracing::error!(error = %e, ?kind, "a stored policy document no longer parses; it grants nothing");
                return None;
            }
        };
        let mut documents = self.documents.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if documents.len() >= DOCUMENTS_MAX {
            documents.clear();
        }
        documents.insert(key, policy.clone());
        Some(policy)
    }

    fn compile(&self, docs: Vec<PolicyDoc>, kind: PolicyKind) -> Vec<Compiled> {
        docs.into_iter()
            .filter_map(|d| {
                let policy = self.parsed(&d.document, kind)?;
                Some(Compiled { policy, id: d.id, source_type: d.source_type })
            })
            .collect()
    }
}

/// Loads (or reuses) the policies that speak for the caller.
async fn subject(ctx: &Ctx<'_>) -> Result<Arc<Subject>, CommonError> {
    let caller = ctx.caller;
    let key = match &caller.kind {
        CallerKind::User { .. } => format!("u:{}", caller.user_id),
        CallerKind::AssumedRole { .. } => format!("s:{}", caller.access_key_id.as_deref().unwrap_or_default()),
        CallerKind::Root => format!("r:{}", caller.account_id),
        CallerKind::Service { .. } | CallerKind::Anonymous => {
            return Ok(Arc::new(Subject::default()));
        }
    };
    let cache = &ctx.env.policies;
    if let Some(s) = cache.subject(&key) {
        return Ok(s);
    }
    let loaded = Arc::new(load_subject(ctx.env, caller).await?);
    cache.keep_subject(key, loaded.clone());
    Ok(loaded)
}

async fn load_subject(env: &crate::Env, caller: &Caller) -> Result<Subject, CommonError> {
    let mut conn = store::iam::reader(&env.store).await?;
    let cache = &env.policies;
    let tags_of = |tags: Vec<store::iam::Tag>| tags.into_iter().map(|t| (t.tag_key, t.tag_value)).collect();
    let identities = env.port::<dyn Identities>()?;
    match &caller.kind {
        CallerKind::User { .. } => {
            let docs = identities.documents(&mut conn, Holder::User, &caller.user_id).await?;
            let tags = store::iam::tags(&mut conn, store::iam::Owner::User, &caller.user_id).await?;
            Ok(Subject {
                identity: cache.compile(docs, PolicyKind::Identity),
                tags: tags_of(tags),
                ..account_bounds(&mut conn, cache, &caller.account_id).await?
            })
        }
        CallerKind::Root => account_bounds(&mut conn, cache, &caller.account_id).await,
        CallerKind::AssumedRole { .. } => {
            let role_id = caller.user_id.split(':').next().unwrap_or_default();
            let docs = identities.documents(&mut conn, Holder::Role, role_id).await?;
            let tags = store::iam::tags(&mut conn, store::iam::Owner::Role, role_id).await?;
            let key = caller.access_key_id.as_deref().unwrap_or_default();
            let session = match store::iam::session(&mut conn, key).await? {
                Some(s) if s.session_policy.is_some() || s.policy_arns.is_some() => {
                    let mut docs = Vec::new();
                    if let Some(doc) = s.session_policy {
                        docs.push(PolicyDoc {
                            id: "SessionPolicy".into(),
                            source_type: SourceType::None,
                            document: doc,
                        });
                    }
                    let arns: Vec<String> =
                        s.policy_arns.as_deref().and_then(|a| serde_json::from_str(a).ok()).unwrap_or_default();
                    for arn in arns {
                        if let Some(doc) = identities.managed_document(&mut conn, &arn).await? {
                            docs.push(doc);
                        }
                    }
                    Some(cache.compile(docs, PolicyKind::Session))
                }
                _ => None,
            };
            Ok(Subject {
                identity: cache.compile(docs, PolicyKind::Identity),
                session,
                tags: tags_of(tags),
                ..account_bounds(&mut conn, cache, &caller.account_id).await?
            })
        }
        CallerKind::Service { .. } | CallerKind::Anonymous => Ok(Subject::default()),
    }
}

/// What the principal's account says of every principal in it: whether the store holds it, and
/// the service control policies of its organization.
async fn account_bounds(conn: &mut store::Conn, cache: &PolicyCache, account: &str) -> Result<Subject, CommonError> {
    let local = store::org::account(conn, account).await?.is_some();
    let scps = store::org::scp_levels(conn, account).await?.map(|levels| {
        levels
            .into_iter()
            .map(|level| {
                let docs = level
                    .into_iter()
                    .map(|(id, content)| PolicyDoc {
                        document: content.unwrap_or_else(|| FULL_AWS_ACCESS.to_owned()),
                        id,
                        source_type: SourceType::None,
                    })
                    .collect();
                cache.compile(docs, PolicyKind::Identity)
            })
            .collect()
    });
    Ok(Subject { local, scps, ..Subject::default() })
}

/// The caller as the evaluator sees it.
fn principal(caller: &Caller, tags: &[(String, String)]) -> Principal {
    let (kind, username) = match &caller.kind {
        CallerKind::Root => (PrincipalKind::Root, None),
        CallerKind::User { name } => (PrincipalKind::User, Some(name.clone())),
        CallerKind::AssumedRole { role_arn, .. } => (PrincipalKind::AssumedRole { role_arn: role_arn.clone() }, None),
        CallerKind::Service { principal } => (PrincipalKind::Service(principal.clone()), None),
        CallerKind::Anonymous => (PrincipalKind::Anonymous, None),
    };
    let service = matches!(caller.kind, CallerKind::Service { .. } | CallerKind::Anonymous);
    Principal {
        arn: caller.arn.clone(),
        account: if service { String::new() } else { caller.account_id.clone() },
        kind,
        userid: caller.user_id.clone(),
        username,
        tags: tags.to_vec(),
    }
}

/// The global condition keys of the request.
fn base_context(ctx: &Ctx<'_>, principal: &Principal) -> Context {
    let mut c = Context::for_principal(principal);
    c.set_time(ctx.now_ms.div_euclid(1000));
    // Both values always parse as their declared types.
    let _ = c.insert("aws:SourceIp", ContextKeyType::Ip, vec![ctx.source_ip.to_string()]);
    let _ = c.insert("aws:SecureTransport", ContextKeyType::Boolean, vec![ctx.secure.to_string()]);
    c.set("aws:RequestedRegion", ctx.region);
    if let Some(issued) = ctx.caller.token_issued_ms {
        let _ = c.insert("aws:TokenIssueTime", ContextKeyType::Date, vec![issued.div_euclid(1000).to_string()]);
        // Temporary credentials carry the key (spcred has no MFA); long-term keys do not.
        let _ = c.insert("aws:MultiFactorAuthPresent", ContextKeyType::Boolean, vec!["false".into()]);
    }
    c
}

/// The account in an ARN's fifth field, when it is a 12-digit account.
fn resource_account(resource: &str) -> Option<&str> {
    let account = resource.strip_prefix("arn:")?.split(':').nth(3)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// Which grammar a resource policy is written in, from the action it governs.
fn resource_kind(action: &str) -> PolicyKind {
    let service = action.split(':').next().unwrap_or_default();
    if service.eq_ignore_ascii_case("sts") {
        PolicyKind::Trust
    } else if service.eq_ignore_ascii_case("kms") {
        PolicyKind::KeyPolicy
    } else {
        PolicyKind::Resource
    }
}

/// Decides every check of `authorization` for the request's caller.
pub async fn authorize(ctx: &Ctx<'_>, authorization: &Authorization) -> Result<(), CommonError> {
    let Authorization::All(checks) = authorization else {
        return Ok(());
    };
    let checks: Vec<&Check> = checks.iter().filter(|c| policy::requires_authorization(&c.action)).collect();
    if checks.is_empty() {
        return Ok(());
    }
    let caller = ctx.caller;
    // GetSessionToken's credentials "cannot call any IAM API operations unless MFA
    // authentication information is included" (there is no MFA here); IAM answers as for a
    // token it does not accept.
    let session_token = caller.token_issued_ms.is_some() && !matches!(caller.kind, CallerKind::AssumedRole { .. });
    let subject = subject(ctx).await?;
    let principal = principal(caller, &subject.tags);
    let base = base_context(ctx, &principal);
    for check in checks {
        if session_token && check.action.to_ascii_lowercase().starts_with("iam:") {
            return Err(CommonError::InvalidClientTokenId);
        }
        match decide(ctx, &subject, &principal, &base, check) {
            Verdict::Allowed => {}
            Verdict::Denied => return Err(denied(&caller.arn, check)),
            Verdict::DeniedByScp { explicit } => return Err(denied_by_scp(&caller.arn, check, explicit)),
        }
    }
    Ok(())
}

fn decide(ctx: &Ctx<'_>, subject: &Subject, principal: &Principal, base: &Context, check: &Check) -> Verdict {
    let with_conditions;
    let context = if check.conditions.is_empty() {
        base
    } else {
        let mut c = base.clone();
        for (key, values) in &check.conditions {
            if values.len() == 1 && !key.eq_ignore_ascii_case("aws:TagKeys") {
                c.set(key, values[0].clone());
            } else {
                c.set_list(key, values.iter().cloned());
            }
        }
        with_conditions = c;
        &with_conditions
    };
    // Service principals and unsigned callers have no policies of their own in the account.
    let is_service = matches!(principal.kind, PrincipalKind::Service(_) | PrincipalKind::Anonymous);
    let same_account = resource_account(&check.resource).is_none_or(|a| a == ctx.caller.account_id);
    let resource_policy = check.resource_policy.as_ref().and_then(|r| {
        let parsed = ctx.env.policies.parsed(&r.document, resource_kind(&check.action))?;
        Some((parsed, r.mode))
    });
    let resource_compiled = resource_policy.as_ref().map(|(p, mode)| {
        (Compiled { policy: p.clone(), id: "ResourcePolicy".into(), source_type: SourceType::Resource }, *mode)
    });
    let identity: Vec<Source<'_>> = subject.identity.iter().map(Compiled::source).collect();
    let session: Option<Vec<Source<'_>>> = subject.session.as_ref().map(|s| s.iter().map(Compiled::source).collect());
    let input = Input {
        identity: &identity,
        boundary: None,
        resource: resource_compiled.as_ref().map(|(c, mode)| ResourcePolicy { source: c.source(), mode: *mode }),
        session: session.as_deref(),
        identity_applies: !is_service && same_account,
    };
    // A required resource policy that is missing or unreadable lets nobody in.
    if check.resource_policy.as_ref().is_some_and(|r| r.mode == ResourceMode::Required) && input.resource.is_none() {
        return Verdict::Denied;
    }
    let request = Request { principal, action: &check.action, resource: &check.resource, context };
    if policy::decide(&input, &request) != Decision::Allowed {
        return Verdict::Denied;
    }
    // Across two of the store's accounts, the caller's own account must allow it too.
    if !same_account && !is_service && subject.local {
        let own = Input { resource: None, identity_applies: true, ..input };
        if policy::decide(&own, &request) != Decision::Allowed {
            return Verdict::Denied;
        }
    }
    for level in subject.scps.iter().flatten() {
        let sources: Vec<Source<'_>> = level.iter().map(Compiled::source).collect();
        match policy::bound(&sources, &request) {
            Decision::Allowed => {}
            Decision::ExplicitDeny => return Verdict::DeniedByScp { explicit: true },
            Decision::ImplicitDeny => return Verdict::DeniedByScp { explicit: false },
        }
    }
    Verdict::Allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_accounts() {
        assert_eq!(resource_account("arn:aws:sqs:us-east-1:123456789012:q"), Some("123456789012"));
        assert_eq!(resource_account("arn:aws:iam::123456789012:user/Bob"), Some("123456789012"));
        assert_eq!(resource_account("arn:aws:iam::aws:policy/ReadOnlyAccess"), None);
        assert_eq!(resource_account("*"), None);
        assert_eq!(resource_account("policy path /"), None);
    }

    #[test]
    fn resource_policy_grammar_follows_the_action() {
        assert_eq!(resource_kind("sts:AssumeRole"), PolicyKind::Trust);
        assert_eq!(resource_kind("kms:Decrypt"), PolicyKind::KeyPolicy);
        assert_eq!(resource_kind("sqs:SendMessage"), PolicyKind::Resource);
    }
}
