//! Who is calling: the principal behind an authenticated request.

/// What kind of principal made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerKind {
    /// The account's root credentials.
    Root,
    /// An IAM user.
    User {
        /// The user name.
        name: String,
    },
    /// A session of an assumed role.
    AssumedRole {
        /// The role's name.
        role_name: String,
        /// The role's ARN (`arn:aws:iam::ACCOUNT:role/PATH/NAME`).
        role_arn: String,
        /// The session name.
        session_name: String,
    },
    /// An AWS service principal acting on its own (e.g. `events.amazonaws.com` delivering to a topic).
    Service {
        /// The service principal, e.g. `events.amazonaws.com`.
        principal: String,
    },
    /// An unsigned request to one of the few operations AWS serves without a signature (SNS's
    /// ConfirmSubscription and Unsubscribe through the links it sends).
    Anonymous,
}

/// The authenticated principal of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account the principal belongs to.
    pub account_id: String,
    /// The principal's ARN as GetCallerIdentity reports it.
    pub arn: String,
    /// GetCallerIdentity's `UserId`: the account id for root, `AIDA...` for users,
    /// `AROA...:session` for role sessions.
    pub user_id: String,
    /// What kind of principal.
    pub kind: CallerKind,
    /// The access key that signed the request, if any.
    pub access_key_id: Option<String>,
    /// When the temporary credentials were issued (aws:TokenIssueTime), epoch ms.
    pub token_issued_ms: Option<i64>,
}

impl Caller {
    /// The account's root principal.
    pub fn root(account_id: &str, access_key_id: Option<String>) -> Self {
        Self {
            account_id: account_id.to_owned(),
            arn: format!("arn:aws:iam::{account_id}:root"),
            user_id: account_id.to_owned(),
            kind: CallerKind::Root,
            access_key_id,
            token_issued_ms: None,
        }
    }

    /// An AWS service principal acting within `account_id`.
    pub fn service(principal: &str, account_id: &str) -> Self {
        Self {
            account_id: account_id.to_owned(),
            arn: principal.to_owned(),
            user_id: principal.to_owned(),
            kind: CallerKind::Service { principal: principal.to_owned() },
            access_key_id: None,
            token_issued_ms: None,
        }
    }

    /// The caller of an unsigned request (it belongs to no account).
    pub fn anonymous() -> Self {
        Self {
            account_id: String::new(),
            arn: "anonymous".to_owned(),
            user_id: "anonymous".to_owned(),
            kind: CallerKind::Anonymous,
            access_key_id: None,
            token_issued_ms: None,
        }
    }

    /// Whether the request was unsigned.
    pub fn is_anonymous(&self) -> bool {
        self.kind == CallerKind::Anonymous
    }

    /// Whether this is the account's root.
    pub fn is_root(&self) -> bool {
        self.kind == CallerKind::Root
    }
}
