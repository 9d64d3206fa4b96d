//! IAM's policy evaluation logic for one request within an account.

use crate::context::Context;
use crate::glob::{Flavor, Glob};
use crate::model::{Effect, Policy, Position, ResourcePattern, Statement};
use crate::principal::{Grant, Named, Principal, PrincipalKind, identity_chain};

/// The request being authorized.
#[derive(Debug, Clone, Copy)]
pub struct Request<'r> {
    /// Who is calling.
    pub principal: &'r Principal,
    /// The IAM action, `service:Action` (compared case-insensitively).
    pub action: &'r str,
    /// The resource ARN, or `"*"` for actions without a resource.
    pub resource: &'r str,
    /// Condition keys and values; see the crate docs for the keys callers must fill.
    pub context: &'r Context,
}

/// Where a policy comes from, as the simulator reports it (`SourcePolicyType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceType {
    /// An inline user policy.
    User,
    /// An inline or managed policy reached through a group.
    Group,
    /// An inline role policy.
    Role,
    /// An AWS managed policy.
    AwsManaged,
    /// A customer managed policy.
    UserManaged,
    /// A resource-based policy.
    Resource,
    /// A policy passed in directly (`PolicyInputList`, session policies).
    None,
}

impl SourceType {
    /// The wire value: `user`, `group`, `role`, `aws-managed`, `user-managed`, `resource`, `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::User => "user",
            SourceType::Group => "group",
            SourceType::Role => "role",
            SourceType::AwsManaged => "aws-managed",
            SourceType::UserManaged => "user-managed",
            SourceType::Resource => "resource",
            SourceType::None => "none",
        }
    }
}

/// A policy with the identifier the simulator reports for it (`SourcePolicyId`).
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The parsed policy.
    pub policy: &'a Policy,
    /// Its identifier: a policy name, ARN, or `PolicyInputList.1`.
    pub id: &'a str,
    /// Where it comes from.
    pub source_type: SourceType,
}

/// How a resource-based policy combines with identity-based policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceMode {
    /// Most resources (SNS topics, SQS queues): an allow in either the identity-based or the
    /// resource-based policy is enough.
    Optional,
    /// Role trust policies and KMS key policies, which "must explicitly allow access for
    /// principals": without an allow here the request is denied. When the allow names only
    /// the caller's account (`"ACCT"` or `arn:aws:iam::ACCT:root`) the identity-based policies
    /// must allow as well; when it names the caller itself they are not needed.
    Required,
}

/// The resource-based policy of the requested resource.
#[derive(Debug, Clone, Copy)]
pub struct ResourcePolicy<'a> {
    /// The policy.
    pub source: Source<'a>,
    /// How it combines with identity-based policies.
    pub mode: ResourceMode,
}

/// Everything that speaks for one request.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The caller's identity-based policies: user, group and role policies, inline and managed.
    pub identity: &'a [Source<'a>],
    /// The caller's permissions boundary, if one is set.
    pub boundary: Option<Source<'a>>,
    /// The resource's policy, if it has one.
    pub resource: Option<ResourcePolicy<'a>>,
    /// Session policies of a role or federated-user session, if any were passed. A federated
    /// user session without session policies has no permissions of its own.
    pub session: Option<&'a [Source<'a>]>,
    /// `false` when the caller's own policies are not ours to evaluate: service principals,
    /// anonymous callers and principals of other accounts. Then only the resource policy
    /// speaks, an account principal in it counts as a full grant, and `identity`, `boundary`
    /// and `session` are ignored. For a cross-account request the caller's account must allow
    /// too: evaluate its policies separately (with `resource: None`) and require both.
    pub identity_applies: bool,
}

/// The outcome, as the simulator names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Some statement allows and none denies.
    Allowed,
    /// Some statement denies.
    ExplicitDeny,
    /// Nothing allows.
    ImplicitDeny,
}

impl Decision {
    /// The wire value: `allowed`, `explicitDeny`, `implicitDeny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }
}

/// A statement that determined the decision (`MatchedStatements`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchedStatement<'a> {
    /// The source's identifier.
    pub source_id: &'a str,
    /// The source's type.
    pub source_type: SourceType,
    /// The statement's index in its policy.
    pub index: usize,
    /// The statement's `Sid`.
    pub sid: Option<&'a str>,
    /// The statement's effect.
    pub effect: Effect,
    /// Where it starts.
    pub start: Position,
    /// Where it ends.
    pub end: Position,
}

/// A decision with the statements behind it and the context keys that were needed but absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation<'a> {
    /// The decision.
    pub decision: Decision,
    /// For `ExplicitDeny` the denying statements, for `Allowed` the allowing ones, else none.
    pub matched: Vec<MatchedStatement<'a>>,
    /// Condition keys and variables the applicable statements read but the context lacked, as
    /// written in the policies, without case-insensitive duplicates (`MissingContextValues`).
    pub missing_context_keys: Vec<&'a str>,
}

/// Evaluates with full reporting (for the simulator and audit).
pub fn evaluate<'a>(input: &Input<'a>, req: &Request<'_>) -> Evaluation<'a> {
    let mut rec = Full { matched: Vec::new(), missing: Vec::new() };
    let decision = run(input, req, &mut rec);
    let wanted = match decision {
        Decision::Allowed => Some(Effect::Allow),
        Decision::ExplicitDeny => Some(Effect::Deny),
        Decision::ImplicitDeny => None,
    };
    rec.matched.retain(|m| Some(m.effect) == wanted);
    Evaluation { decision, matched: rec.matched, missing_context_keys: rec.missing }
}

/// Decides only, stopping at the first explicit deny; allocates nothing unless a statement
/// uses policy variables. Same decision as [`evaluate`].
pub fn decide(input: &Input<'_>, req: &Request<'_>) -> Decision {
    run(input, req, &mut Quiet)
}

/// The verdict of policies that only bound what other policies grant, as AWS Organizations'
/// service control policies do at one level of an organization: `ExplicitDeny` if one of them
/// denies, `Allowed` if one allows, otherwise `ImplicitDeny`. Principals play no part: these
/// policies have no `Principal` element and apply to every principal of the account.
pub fn bound(policies: &[Source<'_>], req: &Request<'_>) -> Decision {
    let mut allowed = false;
    for source in policies {
        let said = scan(source, req, &mut Quiet);
        if said.deny {
            return Decision::ExplicitDeny;
        }
        allowed |= said.allow.is_some();
    }
    if allowed { Decision::Allowed } else { Decision::ImplicitDeny }
}

/// Whether AWS authorizes the action at all. `sts:GetCallerIdentity` needs no permission: "If
/// an administrator attaches a policy to your identity that explicitly denies access to the
/// `sts:GetCallerIdentity` action, you can still perform this operation." Services call this
/// before [`decide`]; the simulator evaluates every action as written.
pub fn requires_authorization(action: &str) -> bool {
    !action.eq_ignore_ascii_case("sts:GetCallerIdentity")
}

/// What evaluation reports as it goes.
trait Recorder<'a> {
    /// Whether to look at everything (`true`) or stop as soon as the decision is known.
    const FULL: bool;
    fn statement(&mut self, source: &Source<'a>, index: usize, statement: &'a Statement);
    fn missing(&mut self, key: &'a str);
}

struct Quiet;

impl<'a> Recorder<'a> for Quiet {
    const FULL: bool = false;
    fn statement(&mut self, _: &Source<'a>, _: usize, _: &'a Statement) {}
    fn missing(&mut self, _: &'a str) {}
}

struct Full<'a> {
    matched: Vec<MatchedStatement<'a>>,
    missing: Vec<&'a str>,
}

impl<'a> Recorder<'a> for Full<'a> {
    const FULL: bool = true;

    fn statement(&mut self, source: &Source<'a>, index: usize, s: &'a Statement) {
        self.matched.push(MatchedStatement {
            source_id: source.id,
            source_type: source.source_type,
            index,
            sid: s.sid(),
            effect: s.effect,
            start: s.start,
            end: s.end,
        });
    }

    fn missing(&mut self, key: &'a str) {
        if !self.missing.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            self.missing.push(key);
        }
    }
}

/// What one policy says about the request.
#[derive(Debug, Default)]
struct Said {
    deny: bool,
    allow: Option<Grant>,
}

fn run<'a, R: Recorder<'a>>(input: &Input<'a>, req: &Request<'_>, rec: &mut R) -> Decision {
    let p = req.principal;
    let mut deny = false;
    let mut identity_allow = p.kind == PrincipalKind::Root;
    let mut boundary_ok = true;
    // "If there is no session policy ... if the principal is a role session, then the request
    // is Allowed. Otherwise, the request is implicitly denied" (federated users).
    let mut session_ok = !matches!(p.kind, PrincipalKind::FederatedUser { .. });
    if input.identity_applies {
        for source in input.identity {
            let said = scan(source, req, rec);
            deny |= said.deny;
            identity_allow |= said.allow.is_some();
            if deny && !R::FULL {
                return Decision::ExplicitDeny;
            }
        }
        if let Some(source) = &input.boundary {
            let said = scan(source, req, rec);
            deny |= said.deny;
            boundary_ok = said.allow.is_some();
        }
        if let Some(sessions) = input.session {
            session_ok = false;
            for source in sessions {
                let said = scan(source, req, rec);
                deny |= said.deny;
                session_ok |= said.allow.is_some();
            }
        }
    }
    let (grant, mode) = match &input.resource {
        Some(r) => {
            let said = scan(&r.source, req, rec);
            deny |= said.deny;
            (said.allow, r.mode)
        }
        None => (None, ResourceMode::Optional),
    };
    if deny {
        return Decision::ExplicitDeny;
    }
    let identity_path = input.identity_applies && identity_allow && boundary_ok && session_ok;
    let by_resource = match grant {
        // Naming the caller (or everyone) grants "directly to the session" or user.
        Some(Grant::Direct) => true,
        // "limited by an implicit deny in a permissions boundary or session policy".
        Some(Grant::Parent) => !input.identity_applies || (boundary_ok && session_ok),
        // The account principal "delegates authority to the account".
        Some(Grant::Account) => !input.identity_applies || identity_path,
        None => false,
    };
    if by_resource || (mode == ResourceMode::Optional && identity_path) {
        Decision::Allowed
    } else {
        Decision::ImplicitDeny
    }
}

fn scan<'a, R: Recorder<'a>>(source: &Source<'a>, req: &Request<'_>, rec: &mut R) -> Said {
    let mut said = Said::default();
    for (index, statement) in source.policy.statements.iter().enumerate() {
        let Some(grant) = applies(statement, req, rec) else { continue };
        rec.statement(source, index, statement);
        match statement.effect {
            Effect::Deny => {
                said.deny = true;
                if !R::FULL {
                    return said;
                }
            }
            Effect::Allow => said.allow = said.allow.max(Some(grant)),
        }
    }
    said
}

/// Whether the statement applies to the request, and how it names the caller.
fn applies<'a, R: Recorder<'a>>(s: &'a Statement, req: &Request<'_>, rec: &mut R) -> Option<Grant> {
    let action_hit = s.action.patterns.iter().any(|g| g.matches(req.action));
    if action_hit == s.action.not {
        return None;
    }
    if let Some(resources) = &s.resource {
        let mut hit = false;
        for pattern in &resources.patterns {
            hit = match pattern {
                ResourcePattern::Static(g) => g.matches(req.resource),
                ResourcePattern::Dynamic(t) => match t.resolve(req.context, &mut |k| rec.missing(k)) {
                    Some(pieces) => Glob::from_pieces(&pieces, Flavor::Resource).matches(req.resource),
                    // An unresolvable exclusion leaves the statement invalid.
                    None if resources.not => return None,
                    None => false,
                },
            };
            if hit {
                break;
            }
        }
        if hit == resources.not {
            return None;
        }
    }
    let grant = match &s.principal {
        None => Grant::Direct,
        Some(el) if !el.not => el.named.iter().filter_map(|n| n.grant(req.principal)).max()?,
        Some(el) => not_principal(&el.named, s.effect, req.principal)?,
    };
    let mut holds = true;
    for c in &s.conditions {
        holds &= c.eval(req.context, &mut |k| rec.missing(k));
        if !holds && !R::FULL {
            return None;
        }
    }
    holds.then_some(grant)
}

/// `NotPrincipal`: IAM "might validate the account first, then the role, and then the
/// assumed-role user", so a `Deny` spares the caller only when every identity in that chain
/// is listed, and an `Allow` (which IAM advises against) applies only when none is.
fn not_principal(named: &[Named], effect: Effect, p: &Principal) -> Option<Grant> {
    if named.contains(&Named::Everyone) {
        return None;
    }
    let listed = |id: &str| named.iter().any(|n| n.covers(id, &p.account));
    let mut chain = identity_chain(p).peekable();
    let applies = match effect {
        Effect::Deny => chain.peek().is_none() || !chain.all(listed),
        Effect::Allow => !chain.any(listed),
    };
    applies.then_some(Grant::Direct)
}
