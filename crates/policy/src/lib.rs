//! IAM policy grammar, validation and evaluation (pure).
//!
//! [`Policy::parse`] validates a document the way IAM does, with IAM's exact
//! `MalformedPolicyDocument` messages, and compiles it: actions are lower-cased and wildcards
//! compiled once, so [`decide`] and [`evaluate`] do no parsing per request. Each statement
//! keeps the position IAM's simulator reports for it.
//!
//! [`evaluate`] implements IAM's evaluation logic within an account: an explicit deny in any
//! policy wins; otherwise identity-based policies (intersected with a permissions boundary and
//! session policies) or the resource-based policy must allow, with the resource-based policy
//! weighing differently by the principal it names (see [`ResourceMode`] and [`Input`]).
//!
//! # Condition keys the caller fills in
//!
//! [`Context::fill_principal`] (or [`Context::for_principal`]) sets the principal-derived
//! global keys: `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:userid`,
//! `aws:username`, `aws:PrincipalTag/*`, `aws:PrincipalIsAWSService`,
//! `aws:PrincipalServiceName`. [`Context::set_time`] sets `aws:CurrentTime` and
//! `aws:EpochTime`. The request handler sets the rest when they apply: `aws:SourceIp`,
//! `aws:SecureTransport`, `aws:RequestedRegion`, `aws:MultiFactorAuthPresent` and
//! `aws:TokenIssueTime` (temporary credentials only), `aws:RequestTag/*` and `aws:TagKeys`
//! (tags in the request, see [`Context::set_request_tags`]), `aws:ResourceTag/*` (tags of the
//! resource, [`Context::set_resource_tags`]), `aws:SourceArn` and
//! `aws:SourceAccount` (a service acting for a resource), and service-specific keys.
//!
//! # Example
//!
//! ```
//! use spcred_policy::{decide, Context, Decision, Input, Policy, PolicyKind, Principal, PrincipalKind, Request, Source, SourceType};
//!
//! let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:*"}]}"#;
//! let policy = Policy::parse(doc, PolicyKind::Identity).unwrap();
//! let alice = Principal {
//!     arn: "arn:aws:iam::111122223333:user/alice".into(),
//!     account: "111122223333".into(),
//!     kind: PrincipalKind::User,
//!     userid: "AIDAEXAMPLEALICE".into(),
//!     username: Some("alice".into()),
//!     tags: vec![],
//! };
//! let context = Context::for_principal(&alice);
//! let sources = [Source { policy: &policy, id: "SellingPartnerAPI", source_type: SourceType::UserManaged }];
//! let input = Input { identity: &sources, boundary: None, resource: None, session: None, identity_applies: true };
//! let request = Request {
//!     principal: &alice,
//!     action: "execute-api:Invoke",
//!     resource: "arn:aws:execute-api:us-east-1:111122223333:api/GET/orders",
//!     context: &context,
//! };
//! assert_eq!(decide(&input, &request), Decision::Allowed);
//! ```

mod condition;
mod context;
mod error;
mod eval;
mod glob;
mod json;
mod model;
mod parse;
mod principal;
mod template;
mod values;

pub use context::{Context, ContextError, ContextKeyType};
pub use error::PolicyError;
pub use eval::{
    Decision, Evaluation, Input, MatchedStatement, Request, ResourceMode, ResourcePolicy, Source, SourceType, bound,
    decide, evaluate, requires_authorization,
};
pub use model::{Effect, Policy, PolicyKind, Position, Statement};
pub use principal::{Principal, PrincipalKind, PrincipalType};

/// IAM's size quotas for policy documents, in characters other than white space ("IAM doesn't
/// count white space when calculating the size of a policy").
pub mod limits {
    /// A customer managed policy.
    pub const MANAGED_POLICY: usize = 6_144;
    /// All inline policies of one user together.
    pub const INLINE_USER: usize = 2_048;
    /// All inline policies of one role together.
    pub const INLINE_ROLE: usize = 10_240;
    /// All inline policies of one group together.
    pub const INLINE_GROUP: usize = 5_120;
    /// A role trust policy (IAM's default quota).
    pub const TRUST_POLICY: usize = 2_048;
    /// A session policy's plain text.
    pub const SESSION_POLICY: usize = 2_048;
    /// A KMS key policy (32 KB).
    pub const KEY_POLICY: usize = 32_768;
    /// Any document, in bytes, before anything else is looked at.
    pub const MAX_DOCUMENT_BYTES: usize = crate::parse::MAX_DOCUMENT_BYTES;
    /// The deepest JSON nesting accepted.
    pub const MAX_DEPTH: usize = crate::json::MAX_DEPTH;
}

/// The size of a document as IAM counts it against its quotas: characters other than white space.
pub fn policy_size(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}

impl Policy {
    /// Validates and compiles `doc` as a policy of `kind`. Only the absolute
    /// [`limits::MAX_DOCUMENT_BYTES`] bound applies; see [`Policy::parse_with_limit`].
    pub fn parse(doc: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        parse::parse(doc, kind)
    }

    /// As [`Policy::parse`], first refusing documents whose [`policy_size`] exceeds `limit`
    /// (one of [`limits`]).
    pub fn parse_with_limit(doc: &str, kind: PolicyKind, limit: usize) -> Result<Policy, PolicyError> {
        let size = policy_size(doc);
        if size > limit {
            return Err(PolicyError::TooLarge { size, limit });
        }
        parse::parse(doc, kind)
    }
}
