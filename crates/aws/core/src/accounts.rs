//! The store's AWS accounts. The first is made at first start; more come from
//! `spcred account create` (the admin API) and from Organizations' `CreateAccount`. Each has
//! root credentials, sealed at rest like every access key, and accounts are as separate as in
//! AWS: a principal of one reaches another's resources only through that account's policies.

use crate::env::Env;
use crypto::{DataKey, Random, Secret};
use std::fmt;
use store::access_keys;

/// Why an account cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountError {
    /// The id is not 12 digits.
    InvalidId(String),
    /// The id is taken.
    Exists(String),
    /// Another account's root user has this email.
    EmailExists(String),
    /// The store failed.
    Store(String),
}

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountError::InvalidId(id) => write!(f, "an account id is 12 digits, not {id:?}"),
            AccountError::Exists(id) => write!(f, "account {id} already exists"),
            AccountError::EmailExists(email) => write!(f, "an account with email {email} already exists"),
            AccountError::Store(e) => write!(f, "the store failed: {e}"),
        }
    }
}

impl From<store::StoreError> for AccountError {
    fn from(e: store::StoreError) -> Self {
        AccountError::Store(e.to_string())
    }
}

/// Whether `id` is shaped like an account id.
pub fn valid_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// Stores an account with the given root access key.
pub async fn insert(
    tx: &mut store::Tx,
    at_rest: &DataKey,
    rng: &dyn Random,
    account_id: &str,
    key_id: &str,
    secret: &Secret,
    now_ms: i64,
) -> Result<(), store::StoreError> {
    access_keys::create_account(tx, account_id, now_ms).await?;
    let key = access_keys::AccessKey {
        secret_sealed: at_rest.seal(rng, secret.expose().as_bytes(), format!("access-key:{key_id}").as_bytes()),
        access_key_id: key_id.to_owned(),
        account_id: account_id.to_owned(),
        user_name: None,
        status: "Active".into(),
        created_ms: now_ms,
    };
    access_keys::insert(tx, &key).await
}

/// A new account and its root credentials (shown once, never stored in the clear).
pub struct Created {
    /// The account id.
    pub account_id: String,
    /// The root access key id.
    pub access_key_id: String,
    /// The root secret access key.
    pub secret_access_key: Secret,
}

impl fmt::Debug for Created {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Created")
            .field("account_id", &self.account_id)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Makes an account (the given id, or a new one) with its root key, named and with its root
/// user's email, inside `tx`.
pub async fn create(
    env: &Env,
    tx: &mut store::Tx,
    account_id: Option<&str>,
    name: Option<&str>,
    email: Option<&str>,
) -> Result<Created, AccountError> {
    let existing = access_keys::accounts(tx).await?;
    let account_id = match account_id {
        Some(id) if !valid_id(id) => return Err(AccountError::InvalidId(id.to_owned())),
        Some(id) if existing.iter().any(|a| a == id) => return Err(AccountError::Exists(id.to_owned())),
        Some(id) => id.to_owned(),
        None => loop {
            let id = env.ids.account_id();
            if !existing.contains(&id) {
                break id;
            }
        },
    };
    if let Some(email) = email
        && store::org::account_by_email(tx, email).await?.is_some()
    {
        return Err(AccountError::EmailExists(email.to_owned()));
    }
    let key_id = env.ids.access_key_id_for("AKIA", &account_id);
    let secret = Secret::new(env.ids.secret_access_key());
    insert(tx, &env.at_rest, env.rng.as_ref(), &account_id, &key_id, &secret, env.now_ms()).await?;
    store::org::set_account_details(tx, &account_id, name, email).await?;
    Ok(Created { account_id, access_key_id: key_id, secret_access_key: secret })
}
