//! Who is calling ([`Principal`]) and how the `Principal` / `NotPrincipal` element of a
//! resource-based policy names callers.

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The caller's ARN: `arn:aws:iam::ACCT:user/path/name`, `arn:aws:iam::ACCT:root`,
    /// `arn:aws:sts::ACCT:assumed-role/name/session`, `arn:aws:sts::ACCT:federated-user/name`;
    /// the service name for service principals; empty for anonymous callers.
    pub arn: String,
    /// The 12-digit account the caller belongs to (empty for services and anonymous callers).
    pub account: String,
    /// What kind of principal this is.
    pub kind: PrincipalKind,
    /// The unique id IAM reports as `aws:userid` (`AIDA...` for users, `AROA...:session` for
    /// role sessions, `ACCT:name` for federated users, the account id for root).
    pub userid: String,
    /// The friendly user name, present for IAM users only.
    pub username: Option<String>,
    /// Tags of the user or role, plus session tags (`aws:PrincipalTag/<key>`).
    pub tags: Vec<(String, String)>,
}

/// The kinds of principal IAM distinguishes when matching policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// The account root user.
    Root,
    /// An IAM user.
    User,
    /// A role session from `AssumeRole*`; `role_arn` is the role's ARN with its path.
    AssumedRole {
        /// `arn:aws:iam::ACCT:role/path/name`
        role_arn: String,
    },
    /// A federated user session from `GetFederationToken`; `user_arn` is the IAM user (or root)
    /// that federated.
    FederatedUser {
        /// ARN of the user who called `GetFederationToken`.
        user_arn: String,
    },
    /// A web identity or SAML caller of `AssumeRoleWith*`, named by its provider
    /// (`accounts.google.com`, `arn:aws:iam::ACCT:oidc-provider/host`, ...).
    WebIdentity {
        /// The `Federated` principal that identifies the provider.
        provider: String,
    },
    /// An AWS service principal such as `events.amazonaws.com`.
    Service(String),
    /// An unauthenticated caller.
    Anonymous,
}

/// The principal types of the `Principal` element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalType {
    /// `"AWS"`: accounts, users, roles, sessions.
    Aws,
    /// `"Service"`
    Service,
    /// `"Federated"`
    Federated,
    /// `"CanonicalUser"` (an S3 account identifier; spcred has none, so it never matches)
    CanonicalUser,
}

impl PrincipalType {
    /// The JSON key.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Aws => "AWS",
            PrincipalType::Service => "Service",
            PrincipalType::Federated => "Federated",
            PrincipalType::CanonicalUser => "CanonicalUser",
        }
    }

    pub(crate) fn from_key(key: &str) -> Option<PrincipalType> {
        [PrincipalType::Aws, PrincipalType::Service, PrincipalType::Federated, PrincipalType::CanonicalUser]
            .into_iter()
            .find(|t| t.as_str() == key)
    }
}

/// How strongly a matching resource-policy statement names the caller. IAM's evaluation logic
/// treats these differently when other policy types implicitly deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grant {
    /// The account (`"ACCT"` or `arn:aws:iam::ACCT:root`): delegates to the account, whose
    /// identity-based policies must then allow.
    Account,
    /// The role of a role session, or the IAM user behind a federated user: "limited by an
    /// implicit deny in a permissions boundary or session policy".
    Parent,
    /// The caller itself (user, session, federated-user ARN, service, provider) or everyone
    /// (`"*"`): no other policy type is needed.
    Direct,
}

/// One value of a `Principal` / `NotPrincipal` element, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Named {
    Everyone,
    Account(Box<str>),
    Arn(Box<str>),
    Service(Box<str>),
    Federated(Box<str>),
    CanonicalUser,
}

impl Named {
    /// Compiles one value; `"*"` in any type means everyone, as IAM documents for `"AWS": "*"`.
    pub fn new(ty: PrincipalType, value: &str) -> Named {
        if value == "*" {
            return Named::Everyone;
        }
        match ty {
            PrincipalType::Aws => match account_of_root(value) {
                Some(account) => Named::Account(account.into()),
                None => Named::Arn(value.into()),
            },
            PrincipalType::Service => Named::Service(value.to_ascii_lowercase().into()),
            PrincipalType::Federated => Named::Federated(value.into()),
            PrincipalType::CanonicalUser => Named::CanonicalUser,
        }
    }

    /// How this value names `p`, if at all.
    pub fn grant(&self, p: &Principal) -> Option<Grant> {
        match (self, &p.kind) {
            (Named::Everyone, _) => Some(Grant::Direct),
            (Named::Account(a), PrincipalKind::Root) if **a == p.account => Some(Grant::Direct),
            (
                Named::Account(a),
                PrincipalKind::User | PrincipalKind::AssumedRole { .. } | PrincipalKind::FederatedUser { .. },
            ) if **a == p.account => Some(Grant::Account),
            (Named::Arn(arn), _) if **arn == p.arn && !p.arn.is_empty() => Some(Grant::Direct),
            (Named::Arn(arn), PrincipalKind::AssumedRole { role_arn }) if **arn == *role_arn => Some(Grant::Parent),
            (Named::Arn(arn), PrincipalKind::FederatedUser { user_arn }) if **arn == *user_arn => Some(Grant::Parent),
            (Named::Service(s), PrincipalKind::Service(name)) if s.eq_ignore_ascii_case(name) => Some(Grant::Direct),
            (Named::Federated(f), PrincipalKind::WebIdentity { provider }) if **f == *provider => Some(Grant::Direct),
            _ => None,
        }
    }

    /// Whether this value names one of the identities IAM may check for the caller: the
    /// account, then the role or federating user, then the caller itself.
    pub fn covers(&self, identity: &str, account: &str) -> bool {
        match self {
            Named::Everyone => true,
            Named::Account(a) => identity == account && **a == *account,
            Named::Arn(arn) => **arn == *identity,
            Named::Service(s) => s.eq_ignore_ascii_case(identity),
            Named::Federated(f) => **f == *identity,
            Named::CanonicalUser => false,
        }
    }
}

/// The account of `"123456789012"` or `arn:<partition>:iam::123456789012:root`.
pub(crate) fn account_of_root(value: &str) -> Option<&str> {
    if is_account_id(value) {
        return Some(value);
    }
    let rest = value.strip_prefix("arn:")?;
    let (_partition, rest) = rest.split_once(':')?;
    let account = rest.strip_prefix("iam::")?.strip_suffix(":root")?;
    is_account_id(account).then_some(account)
}

pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The identities IAM may check for `p` against a `NotPrincipal` list, outermost first: the
/// account, the role or federating user, the caller. The account is named by its id.
pub(crate) fn identity_chain(p: &Principal) -> impl Iterator<Item = &str> {
    let account = (!p.account.is_empty()).then_some(p.account.as_str());
    let parent = match &p.kind {
        PrincipalKind::AssumedRole { role_arn } => Some(role_arn.as_str()),
        PrincipalKind::FederatedUser { user_arn } => Some(user_arn.as_str()),
        _ => None,
    };
    let own = match &p.kind {
        PrincipalKind::Root => None,
        PrincipalKind::Service(name) => Some(name.as_str()),
        PrincipalKind::WebIdentity { provider } => Some(provider.as_str()),
        _ => (!p.arn.is_empty()).then_some(p.arn.as_str()),
    };
    account.into_iter().chain(parent).chain(own)
}

/// Whether a value of the given type is a well-formed principal for IAM. Existence (does the
/// user or role exist?) is for the caller to check.
pub(crate) fn is_valid(ty: PrincipalType, value: &str) -> bool {
    if value == "*" {
        return true;
    }
    match ty {
        PrincipalType::Aws => account_of_root(value).is_some() || is_principal_arn(value) || is_unique_id(value),
        PrincipalType::Service => {
            value.contains('.') && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        }
        PrincipalType::Federated => {
            !value.is_empty() && !value.contains(['*', '?']) && !value.chars().any(char::is_whitespace)
        }
        PrincipalType::CanonicalUser => value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()),
    }
}

/// `arn:<partition>:iam::ACCT:user/...|role/...` or `arn:<partition>:sts::ACCT:assumed-role/R/S|federated-user/N`,
/// with no wildcards ("You cannot use a wildcard to match part of a principal name or ARN").
fn is_principal_arn(value: &str) -> bool {
    if value.contains(['*', '?']) {
        return false;
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else { return false };
    if *arn != "arn" || partition.is_empty() || !region.is_empty() || !is_account_id(account) {
        return false;
    }
    let named = |prefix: &str, min_slashes: usize| {
        resource
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.ends_with('/') && rest.matches('/').count() >= min_slashes)
    };
    match *service {
        "iam" => named("user/", 0) || named("role/", 0),
        "sts" => named("assumed-role/", 1) || named("federated-user/", 0),
        _ => false,
    }
}

/// The unique ids IAM stores in place of user and role ARNs (`AIDA...`, `AROA...`).
fn is_unique_id(value: &str) -> bool {
    (value.starts_with("AIDA") || value.starts_with("AROA"))
        && value.len() >= 16
        && value.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Principal {
        Principal {
            arn: "arn:aws:iam::111122223333:user/alice".into(),
            account: "111122223333".into(),
            kind: PrincipalKind::User,
            userid: "AIDAEXAMPLE".into(),
            username: Some("alice".into()),
            tags: vec![],
        }
    }

    fn session() -> Principal {
        Principal {
            arn: "arn:aws:sts::111122223333:assumed-role/app/s1".into(),
            account: "111122223333".into(),
            kind: PrincipalKind::AssumedRole { role_arn: "arn:aws:iam::111122223333:role/team/app".into() },
            userid: "AROAEXAMPLE:s1".into(),
            username: None,
            tags: vec![],
        }
    }

    #[test]
    fn grants_by_form() {
        let aws = |v| Named::new(PrincipalType::Aws, v);
        assert_eq!(aws("111122223333").grant(&user()), Some(Grant::Account));
        assert_eq!(aws("arn:aws:iam::111122223333:root").grant(&user()), Some(Grant::Account));
        assert_eq!(aws("arn:aws:iam::111122223333:user/alice").grant(&user()), Some(Grant::Direct));
        assert_eq!(aws("arn:aws:iam::111122223333:user/Alice").grant(&user()), None);
        assert_eq!(aws("arn:aws:iam::111122223333:role/team/app").grant(&session()), Some(Grant::Parent));
        assert_eq!(aws("arn:aws:sts::111122223333:assumed-role/app/s1").grant(&session()), Some(Grant::Direct));
        assert_eq!(aws("444455556666").grant(&user()), None);
        assert_eq!(aws("*").grant(&user()), Some(Grant::Direct));
        assert_eq!(Named::new(PrincipalType::CanonicalUser, &"a".repeat(64)).grant(&user()), None);
    }

    #[test]
    fn validity() {
        assert!(is_valid(PrincipalType::Aws, "arn:aws:iam::111122223333:root"));
        assert!(is_valid(PrincipalType::Aws, "arn:aws:sts::111122223333:assumed-role/r/s"));
        assert!(is_valid(PrincipalType::Aws, "AIDAJQABLZS4A3QDU576Q"));
        assert!(!is_valid(PrincipalType::Aws, "arn:aws:iam::111122223333:role/*"));
        assert!(!is_valid(PrincipalType::Aws, "arn:aws:sts::111122223333:assumed-role/r"));
        assert!(!is_valid(PrincipalType::Aws, "alice"));
        assert!(!is_valid(PrincipalType::Aws, "arn:aws:s3:::bucket"));
        assert!(is_valid(PrincipalType::Service, "events.amazonaws.com"));
        assert!(!is_valid(PrincipalType::Service, "events"));
        assert!(is_valid(PrincipalType::Federated, "arn:aws:iam::111122223333:oidc-provider/example.com"));
        assert!(!is_valid(PrincipalType::CanonicalUser, "abc"));
    }

    #[test]
    fn chains() {
        let s = session();
        let ids: Vec<&str> = identity_chain(&s).collect();
        assert_eq!(
            ids,
            [
                "111122223333",
                "arn:aws:iam::111122223333:role/team/app",
                "arn:aws:sts::111122223333:assumed-role/app/s1"
            ]
        );
    }
}
