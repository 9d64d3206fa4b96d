//! Why a policy document was refused. `Display` gives IAM's exact message.

/// A refused policy document.
///
/// Every variant but [`PolicyError::TooLarge`] is IAM's `MalformedPolicyDocument`; `TooLarge` is
/// `LimitExceeded`. Services other than IAM (KMS, SNS, SQS) word their errors differently and
/// map these variants to their own codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The document is over the size limit (IAM counts characters other than white space).
    #[error("Cannot exceed quota for PolicySize: {limit}")]
    TooLarge {
        /// The document's size as counted.
        size: usize,
        /// The limit it exceeds.
        limit: usize,
    },
    /// Not JSON, or not shaped like a policy.
    #[error("Syntax errors in policy.")]
    Syntax,
    /// Not JSON, for a role trust policy (IAM words this case differently for `CreateRole`).
    #[error("This policy contains invalid Json")]
    InvalidJson,
    /// An identity or session policy without `"Version": "2012-10-17"`.
    #[error("Policy document must be version 2012-10-17 or greater.")]
    Version,
    /// A value IAM's older parser rejects: effect letter case, malformed dates, odd ARNs.
    #[error("The policy failed legacy parsing")]
    LegacyParsing,
    /// Two statements share a non-empty `Sid`.
    #[error("Statement IDs (SID) in a single policy must be unique.")]
    DuplicateSid,
    /// A statement without `Action`/`NotAction`, or with an empty list.
    #[error("Policy statement must contain actions.")]
    MissingActions,
    /// An identity policy statement without `Resource`/`NotResource`, or with an empty list.
    #[error("Policy statement must contain resources.")]
    MissingResources,
    /// A resource that is not an acceptable ARN; the message names it.
    #[error("{0}")]
    InvalidResource(String),
    /// An action without a `vendor:` prefix.
    #[error("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")]
    ActionWithoutVendor,
    /// An action with more than one colon.
    #[error("Actions/Condition can contain only one colon.")]
    ActionWithColons,
    /// An action whose vendor has characters other than letters, digits, `-` and `.`.
    #[error("Vendor {0} is not valid")]
    InvalidVendor(String),
    /// A `Principal`/`NotPrincipal` in an identity or session policy.
    #[error("Policy document should not specify a principal.")]
    PrincipalNotAllowed,
    /// A `Resource`/`NotResource` in a role trust policy.
    #[error("Has prohibited field Resource")]
    ResourceNotAllowed,
    /// A role trust policy statement without a principal (IAM's message, verbatim).
    #[error(
        "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"
    )]
    NoPrincipals,
    /// A resource-based policy statement without a principal.
    #[error("Missing required field Principal")]
    MissingPrincipal,
    /// A principal value that is not well formed.
    #[error("Invalid principal in policy: \"{principal_type}\":\"{value}\"")]
    InvalidPrincipal {
        /// The principal type, upper-cased as IAM prints it (`AWS`, `SERVICE`, ...).
        principal_type: String,
        /// The offending value.
        value: String,
    },
    /// A role trust policy granting actions other than STS ones.
    #[error("AssumeRole policy may only specify STS AssumeRole actions.")]
    TrustPolicyActions,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_verbatim() {
        assert_eq!(
            PolicyError::TooLarge { size: 7000, limit: 6144 }.to_string(),
            "Cannot exceed quota for PolicySize: 6144"
        );
        assert_eq!(PolicyError::InvalidVendor("a a".into()).to_string(), "Vendor a a is not valid");
        let p = PolicyError::InvalidPrincipal { principal_type: "AWS".into(), value: "arn:aws:iam::1:role/x".into() };
        assert_eq!(p.to_string(), "Invalid principal in policy: \"AWS\":\"arn:aws:iam::1:role/x\"");
    }
}
