//! The parsed form of a policy document.

use crate::condition::Condition;
use crate::glob::Glob;
use crate::principal::{Named, PrincipalType};
use crate::template::Template;

/// What a policy document is attached to; decides which elements it must and must not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A user, group or role policy, inline or managed: no `Principal`, `Resource` required,
    /// `"Version": "2012-10-17"` required.
    Identity,
    /// A resource-based policy such as an SNS topic or SQS queue policy: `Principal` required.
    Resource,
    /// A role's trust (assume-role) policy: `Principal` required, `Resource` prohibited,
    /// STS actions only.
    Trust,
    /// A KMS key policy: `Principal` required.
    KeyPolicy,
    /// A session policy passed to `AssumeRole*` or `GetFederationToken`: grammar of an
    /// identity policy.
    Session,
}

impl PolicyKind {
    /// Whether the kind is attached to an identity (no `Principal` element).
    pub fn is_identity(self) -> bool {
        matches!(self, PolicyKind::Identity | PolicyKind::Session)
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `"Effect": "Allow"`
    Allow,
    /// `"Effect": "Deny"`
    Deny,
}

/// A 1-based line and column in the policy text, as IAM's simulator reports them
/// (`StartPosition` / `EndPosition`: just after the statement's opening and closing braces;
/// columns count UTF-16 code units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// A validated, compiled policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub(crate) kind: PolicyKind,
    pub(crate) version: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) statements: Vec<Statement>,
}

impl Policy {
    /// The kind it was parsed as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The `Version` element, if present.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The `Id` element, if present.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Whether some statement allows some action of the service `namespace` (`ssm`, `sqs`):
    /// what IAM's last-accessed report calls the services a policy "allows access to". A
    /// `NotAction` allow counts for every service, as it does there.
    pub fn allows_service(&self, namespace: &str) -> bool {
        self.statements.iter().any(|s| {
            s.effect == Effect::Allow && (s.action.not || s.action.services.iter().any(|g| g.matches(namespace)))
        })
    }

    /// The statements in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// Every context key the policy reads, in condition keys and in `${...}` variables, as
    /// written, first occurrence first and without case-insensitive duplicates (what IAM's
    /// `GetContextKeysForCustomPolicy` lists).
    pub fn context_keys(&self) -> Vec<&str> {
        fn add<'p>(keys: &mut Vec<&'p str>, k: &'p str) {
            if !keys.iter().any(|seen| seen.eq_ignore_ascii_case(k)) {
                keys.push(k);
            }
        }
        let mut keys = Vec::new();
        for s in &self.statements {
            for p in s.resource.iter().flat_map(|r| &r.patterns) {
                if let ResourcePattern::Dynamic(t) = p {
                    t.keys().for_each(|k| add(&mut keys, k));
                }
            }
            for c in &s.conditions {
                add(&mut keys, c.key());
                c.variable_keys().for_each(|k| add(&mut keys, k));
            }
        }
        keys
    }
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) principal: Option<PrincipalElement>,
    pub(crate) action: ActionElement,
    pub(crate) resource: Option<ResourceElement>,
    pub(crate) conditions: Vec<Condition>,
    pub(crate) start: Position,
    pub(crate) end: Position,
}

impl Statement {
    /// The `Sid`, if present.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// The effect.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// Where the statement starts in the document.
    pub fn start(&self) -> Position {
        self.start
    }

    /// Where the statement ends in the document.
    pub fn end(&self) -> Position {
        self.end
    }

    /// Whether the principals are given as `NotPrincipal`.
    pub fn is_not_principal(&self) -> bool {
        self.principal.as_ref().is_some_and(|p| p.not)
    }

    /// The values of `Principal` (or `NotPrincipal`), with `"*"` reported as type `AWS`; used
    /// to check that named users and roles exist.
    pub fn principals(&self) -> impl Iterator<Item = (PrincipalType, &str)> {
        self.principal.iter().flat_map(|p| p.raw.iter().map(|(t, v)| (*t, v.as_str())))
    }
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrincipalElement {
    pub not: bool,
    pub named: Vec<Named>,
    pub raw: Vec<(PrincipalType, String)>,
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionElement {
    pub not: bool,
    pub patterns: Vec<Glob>,
    /// The service part of each pattern (before its `:`; a bare `*` is every service).
    pub services: Vec<Glob>,
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceElement {
    pub not: bool,
    pub patterns: Vec<ResourcePattern>,
}

/// A resource ARN pattern; one with variables is compiled per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResourcePattern {
    Static(Glob),
    Dynamic(Template),
}
