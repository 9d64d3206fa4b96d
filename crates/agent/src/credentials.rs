//! The LWA credentials, read from a parameter store (SSM Parameter Store in production) by name:
//! the client identifier, the client secret, one seller's refresh token (the blog's layout) and
//! any number of sellers' refresh tokens under a prefix (`.../sellers/<sellingPartnerId>/refreshToken`).
//!
//! Each value is held with its parameter version. A reload first lists the versions without
//! decrypting, and decrypts only what changed: a rotated client secret (a new version, written by
//! a person, by `put-parameter`, or by the agent's own rotation) takes effect at the next reload,
//! without a restart. LWA's verdicts are kept here too: a seller whose refresh token LWA refused
//! (`invalid_grant`) is marked revoked until its parameter changes, and a client secret LWA refused
//! (`invalid_client`) is marked rejected until its parameter changes.

use crate::clock::Clock;
use crate::config::ParameterNames;
use crypto::Secret;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// One parameter as read.
#[derive(Debug)]
pub struct Parameter {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: i64,
    /// Its decrypted value; `None` when read without decryption.
    pub value: Option<Secret>,
}

/// A parameter store that could not be read; the text says why (never a value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParameterError(pub String);

/// Where parameters are read from.
#[async_trait::async_trait]
pub trait ParameterStore: Send + Sync + std::fmt::Debug {
    /// The parameters among `names` that exist, in any order; values only when `decrypt`.
    async fn get(&self, names: &[String], decrypt: bool) -> Result<Vec<Parameter>, ParameterError>;
    /// Every parameter under the path `prefix`, recursively; values only when `decrypt`.
    async fn under(&self, prefix: &str, decrypt: bool) -> Result<Vec<Parameter>, ParameterError>;
}

/// A value and the parameter version it came from.
#[derive(Debug, Clone)]
pub(crate) struct Versioned {
    pub version: i64,
    pub value: Secret,
}

/// LWA's verdict on a credential, kept until its parameter changes.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    pub at: SystemTime,
    pub since: Instant,
    pub reason: String,
}

#[derive(Debug)]
struct Seller {
    parameter: String,
    refresh: Versioned,
    revoked: Option<Verdict>,
}

#[derive(Debug, Default)]
struct State {
    client_id: Option<Versioned>,
    client_secret: Option<Versioned>,
    rejected: Option<(i64, Verdict)>,
    sellers: BTreeMap<String, Seller>,
    last_error: Option<String>,
    reloaded_at: Option<SystemTime>,
}

/// Why a seller's refresh token is not available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SellerError {
    /// The request names no seller and there is no default.
    NoDefault,
    /// No parameter holds this seller's refresh token.
    Unknown(String),
    /// LWA said `invalid_grant`: the seller revoked the authorization (or the token is wrong).
    Revoked { seller: String, parameter: String, reason: String, at: SystemTime },
}

/// Why the client credentials are not available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientError {
    /// A parameter is missing or was never read.
    Missing(String),
    /// LWA said `invalid_client` for this secret version.
    Rejected { parameter: String, version: i64, reason: String },
}

/// A health summary: versions and verdicts, never a value.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Summary {
    pub client_secret_parameter: String,
    pub client_secret_version: Option<i64>,
    pub client_secret_rejected: Option<String>,
    pub sellers: Vec<String>,
    pub revoked_sellers: Vec<String>,
    pub last_reload: Option<String>,
    pub last_error: Option<String>,
}

/// A failed first load.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The store could not be read.
    #[error("cannot read the LWA credentials from SSM Parameter Store: {0}")]
    Store(#[from] ParameterError),
    /// A required parameter does not exist.
    #[error(
        "the SSM parameter {0} does not exist: store the LWA credentials first (aws ssm put-parameter --type SecureString ...), or point the agent at them ([ssm] in the config file, --ssm-prefix)"
    )]
    Missing(String),
}

/// For this long after LWA rejected the client secret, calls fail at once instead of asking LWA
/// again with the secret it refused; then one call tries again.
const REJECTED_COOLDOWN: Duration = Duration::from_secs(60);

/// The credentials and what LWA said about them.
#[derive(Debug)]
pub struct Credentials {
    store: Arc<dyn ParameterStore>,
    names: ParameterNames,
    /// The seller the single `refreshToken` parameter belongs to, and of requests naming none.
    default_seller: String,
    state: RwLock<State>,
    /// Serialises reloads; holds when the last one finished.
    reloading: tokio::sync::Mutex<Option<Instant>>,
    /// The date of verdicts and reloads.
    clock: Arc<dyn Clock>,
}

/// The seller id of the blog's single refresh token when no default seller is configured.
pub(crate) const DEFAULT_SELLER: &str = "default";

impl Credentials {
    /// Reads every credential once; fails when the client id or secret is missing. Verdicts
    /// and reloads are dated by `clock`.
    pub async fn load(
        store: Arc<dyn ParameterStore>,
        names: ParameterNames,
        default_seller: Option<String>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, LoadError> {
        let creds = Arc::new(Self {
            store,
            names,
            default_seller: default_seller.unwrap_or_else(|| DEFAULT_SELLER.to_owned()),
            state: RwLock::new(State::default()),
            reloading: tokio::sync::Mutex::new(None),
            clock,
        });
        creds.reload().await?;
        for name in [&creds.names.client_id, &creds.names.client_secret] {
            let held = {
                let s = creds.read();
                if *name == creds.names.client_id { s.client_id.is_some() } else { s.client_secret.is_some() }
            };
            if !held {
                return Err(LoadError::Missing(name.clone()));
            }
        }
        Ok(creds)
    }

    fn now(&self) -> SystemTime {
        SystemTime::from(self.clock.now())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks every parameter's version and reads again those that changed. Returns the names
    /// of the parameters read again.
    pub async fn reload(&self) -> Result<Vec<String>, ParameterError> {
        let mut last = self.reloading.lock().await;
        let result = self.reload_locked().await;
        *last = Some(Instant::now());
        let mut s = self.write();
        s.reloaded_at = Some(self.now());
        match &result {
            Ok(_) => s.last_error = None,
            Err(e) => {
                tracing::warn!(error = %e, "reading the LWA credentials from SSM failed; keeping what was read before");
                s.last_error = Some(e.0.clone());
            }
        }
        result
    }

    /// Reloads unless a reload finished less than `age` ago (or is running: then waits for it).
    /// Whether this call reloaded successfully.
    pub(crate) async fn reload_if_older(&self, age: Duration) -> bool {
        let recent = {
            let last = self.reloading.lock().await;
            last.is_some_and(|t| t.elapsed() < age)
        };
        !recent && self.reload().await.is_ok()
    }

    async fn reload_locked(&self) -> Result<Vec<String>, ParameterError> {
        let fixed = [self.names.client_id.clone(), self.names.client_secret.clone(), self.names.refresh_token.clone()];
        let mut listed = self.store.get(&fixed, false).await?;
        listed.extend(
            self.store
                .under(&self.names.sellers_prefix, false)
                .await?
                .into_iter()
                .filter(|p| self.names.seller_of(&p.name).is_some()),
        );
        let current: HashMap<String, i64> = listed.into_iter().map(|p| (p.name, p.version)).collect();
        let held = self.held_versions();
        let mut changed: Vec<String> =
            current.iter().filter(|(name, v)| held.get(*name) != Some(*v)).map(|(name, _)| name.clone()).collect();
        changed.sort();
        let fresh = if changed.is_empty() { Vec::new() } else { self.store.get(&changed, true).await? };
        let mut fresh: HashMap<String, Versioned> = fresh
            .into_iter()
            .filter_map(|p| Some((p.name, Versioned { version: p.version, value: p.value? })))
            .collect();
        let mut s = self.write();
        let take = |fresh: &mut HashMap<String, Versioned>, name: &str, old: Option<Versioned>| {
            if current.contains_key(name) { fresh.remove(name).or(old) } else { None }
        };
        s.client_id = take(&mut fresh, &self.names.client_id, s.client_id.take());
        let secret = take(&mut fresh, &self.names.client_secret, s.client_secret.take());
        if s.rejected.as_ref().is_some_and(|(v, _)| secret.as_ref().map(|x| x.version) != Some(*v)) {
            tracing::info!(parameter = %self.names.client_secret, "the client secret changed: LWA's earlier rejection no longer applies");
            s.rejected = None;
        }
        s.client_secret = secret;
        let mut old = std::mem::take(&mut s.sellers);
        let mut sellers = BTreeMap::new();
        let single = (self.names.refresh_token.clone(), self.default_seller.clone());
        let mut params: Vec<(String, String)> =
            current.keys().filter_map(|n| self.names.seller_of(n).map(|id| (n.clone(), id))).collect();
        params.sort();
        // A seller's own parameter beats the single refresh token when both name it.
        for (parameter, id) in std::iter::once(single).chain(params) {
            let previous = old.remove(&id).filter(|p| p.parameter == parameter);
            let refresh = match fresh.remove(&parameter) {
                Some(v) => Some(v),
                None if current.contains_key(&parameter) => previous.as_ref().map(|p| p.refresh.clone()),
                None => None,
            };
            let Some(refresh) = refresh else {
                continue;
            };
            // A new version of the refresh token (a new authorization) lifts the revocation.
            let revoked = previous.and_then(|p| p.revoked.filter(|_| p.refresh.version == refresh.version));
            sellers.insert(id, Seller { parameter, refresh, revoked });
        }
        s.sellers = sellers;
        Ok(changed)
    }

    fn held_versions(&self) -> HashMap<String, i64> {
        let s = self.read();
        let mut held = HashMap::new();
        if let Some(v) = &s.client_id {
            held.insert(self.names.client_id.clone(), v.version);
        }
        if let Some(v) = &s.client_secret {
            held.insert(self.names.client_secret.clone(), v.version);
        }
        for seller in s.sellers.values() {
            held.insert(seller.parameter.clone(), seller.refresh.version);
        }
        held
    }

    /// The client id, whatever LWA said of the secret.
    pub(crate) fn client_id(&self) -> Option<Secret> {
        self.read().client_id.as_ref().map(|v| v.value.clone())
    }

    /// The version of the client secret in use.
    pub(crate) fn client_secret_version(&self) -> Option<i64> {
        self.read().client_secret.as_ref().map(|v| v.version)
    }

    /// The client id and secret, unless LWA rejected this secret within the cooldown.
    pub(crate) fn client(&self) -> Result<(Secret, Versioned), ClientError> {
        let s = self.read();
        let id = s.client_id.as_ref().ok_or_else(|| ClientError::Missing(self.names.client_id.clone()))?;
        let secret = s.client_secret.as_ref().ok_or_else(|| ClientError::Missing(self.names.client_secret.clone()))?;
        if let Some((version, verdict)) = &s.rejected
            && *version == secret.version
            && verdict.since.elapsed() < REJECTED_COOLDOWN
        {
            return Err(ClientError::Rejected {
                parameter: self.names.client_secret.clone(),
                version: *version,
                reason: verdict.reason.clone(),
            });
        }
        Ok((id.value.clone(), secret.clone()))
    }

    /// Marks the client secret of `version` rejected by LWA.
    pub(crate) fn reject_client_secret(&self, version: i64, reason: &str) -> ClientError {
        let mut s = self.write();
        if s.client_secret.as_ref().is_some_and(|v| v.version == version) {
            let verdict = Verdict { at: self.now(), since: Instant::now(), reason: reason.to_owned() };
            s.rejected = Some((version, verdict));
        }
        ClientError::Rejected { parameter: self.names.client_secret.clone(), version, reason: reason.to_owned() }
    }

    /// The seller `id` (or the default seller) and its refresh token.
    pub(crate) fn seller(&self, id: Option<&str>) -> Result<(String, Versioned), SellerError> {
        let s = self.read();
        let id = match id {
            Some(id) => id,
            None if s.sellers.contains_key(&self.default_seller) => self.default_seller.as_str(),
            // With exactly one seller, that seller is the default.
            None if s.sellers.len() == 1 => s.sellers.keys().next().map_or("", String::as_str),
            None => return Err(SellerError::NoDefault),
        };
        let seller = s.sellers.get(id).ok_or_else(|| SellerError::Unknown(id.to_owned()))?;
        if let Some(v) = &seller.revoked {
            return Err(SellerError::Revoked {
                seller: id.to_owned(),
                parameter: seller.parameter.clone(),
                reason: v.reason.clone(),
                at: v.at,
            });
        }
        Ok((id.to_owned(), seller.refresh.clone()))
    }

    /// Marks `seller`'s refresh token of `version` revoked (LWA's `invalid_grant`).
    pub(crate) fn revoke_seller(&self, seller: &str, version: i64, reason: &str) -> SellerError {
        let mut s = self.write();
        let at = self.now();
        let mut parameter = self.names.seller_refresh_token(seller);
        if let Some(entry) = s.sellers.get_mut(seller) {
            parameter.clone_from(&entry.parameter);
            if entry.refresh.version == version && entry.revoked.is_none() {
                entry.revoked = Some(Verdict { at, since: Instant::now(), reason: reason.to_owned() });
            }
        }
        SellerError::Revoked { seller: seller.to_owned(), parameter, reason: reason.to_owned(), at }
    }

    /// Versions and verdicts, for `/health`.
    pub(crate) fn summary(&self) -> Summary {
        let s = self.read();
        Summary {
            client_secret_parameter: self.names.client_secret.clone(),
            client_secret_version: s.client_secret.as_ref().map(|v| v.version),
            client_secret_rejected: s.rejected.as_ref().map(|(v, verdict)| {
                format!("LWA rejected version {v} ({}) at {}", verdict.reason, rfc3339(verdict.at))
            }),
            sellers: s.sellers.keys().cloned().collect(),
            revoked_sellers: s.sellers.iter().filter(|(_, x)| x.revoked.is_some()).map(|(k, _)| k.clone()).collect(),
            last_reload: s.reloaded_at.map(rfc3339),
            last_error: s.last_error.clone(),
        }
    }
}

/// `t` as RFC 3339 UTC, to the second.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    jiff::Timestamp::try_from(t).map(|ts| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// An in-memory parameter store that counts decrypting reads.
    #[derive(Debug, Default)]
    pub(crate) struct MemoryStore {
        values: Mutex<BTreeMap<String, (i64, String)>>,
        pub decrypted: AtomicUsize,
        pub fail: std::sync::atomic::AtomicBool,
    }

    impl MemoryStore {
        pub fn put(&self, name: &str, value: &str) {
            let mut v = self.values.lock().unwrap();
            let version = v.get(name).map_or(1, |(n, _)| n + 1);
            v.insert(name.to_owned(), (version, value.to_owned()));
        }

        pub fn delete(&self, name: &str) {
            self.values.lock().unwrap().remove(name);
        }

        fn read(&self, names: impl Iterator<Item = String>, decrypt: bool) -> Result<Vec<Parameter>, ParameterError> {
            if self.fail.load(Ordering::SeqCst) {
                return Err(ParameterError("AccessDeniedException: not allowed".into()));
            }
            let values = self.values.lock().unwrap();
            let mut out: Vec<Parameter> = names
                .filter_map(|n| {
                    values.get(&n).map(|(version, value)| Parameter {
                        name: n.clone(),
                        version: *version,
                        value: decrypt.then(|| Secret::new(value.clone())),
                    })
                })
                .collect();
            // Like SSM: in name order, not request order.
            out.sort_by(|a, b| a.name.cmp(&b.name));
            if decrypt {
                self.decrypted.fetch_add(out.len(), Ordering::SeqCst);
            }
            Ok(out)
        }
    }

    #[async_trait::async_trait]
    impl ParameterStore for MemoryStore {
        async fn get(&self, names: &[String], decrypt: bool) -> Result<Vec<Parameter>, ParameterError> {
            self.read(names.iter().cloned(), decrypt)
        }

        async fn under(&self, prefix: &str, decrypt: bool) -> Result<Vec<Parameter>, ParameterError> {
            let names: Vec<String> = self
                .values
                .lock()
                .unwrap()
                .keys()
                .filter(|n| n.starts_with(&format!("{}/", prefix.trim_end_matches('/'))))
                .cloned()
                .collect();
            self.read(names.into_iter(), decrypt)
        }
    }

    pub(crate) fn blog_store() -> Arc<MemoryStore> {
        let store = Arc::new(MemoryStore::default());
        store.put("/my-erp/lwa/clientidentifier", "amzn1.application-oa2-client.1");
        store.put("/my-erp/lwa/clientsecret", "secret-1");
        store.put("/my-erp/refreshToken", "Atzr|single");
        store
    }

    #[tokio::test]
    async fn reads_by_name_and_decrypts_only_what_changed() {
        let store = blog_store();
        store.put("/my-erp/sellers/A1/refreshToken", "Atzr|a1");
        store.put("/my-erp/sellers/A2/refreshToken", "Atzr|a2");
        store.put("/my-erp/sellers/A2/notes", "not a token");
        let creds = Credentials::load(store.clone(), ParameterNames::under("/my-erp"), None, Arc::new(SystemClock))
            .await
            .unwrap();
        assert_eq!(store.decrypted.load(Ordering::SeqCst), 5);
        let (id, secret) = creds.client().unwrap();
        assert_eq!(id.expose(), "amzn1.application-oa2-client.1");
        assert_eq!((secret.version, secret.value.expose()), (1, "secret-1"));
        assert_eq!(creds.seller(Some("A2")).unwrap().1.value.expose(), "Atzr|a2");
        let (id, token) = creds.seller(None).unwrap();
        assert_eq!((id.as_str(), token.value.expose()), ("default", "Atzr|single"));
        assert_eq!(creds.seller(Some("A3")).unwrap_err(), SellerError::Unknown("A3".into()));

        // Nothing changed: nothing is decrypted.
        assert!(creds.reload().await.unwrap().is_empty());
        assert_eq!(store.decrypted.load(Ordering::SeqCst), 5);

        // The secret rotates: only it is read again.
        store.put("/my-erp/lwa/clientsecret", "secret-2");
        assert_eq!(creds.reload().await.unwrap(), vec!["/my-erp/lwa/clientsecret".to_owned()]);
        assert_eq!(store.decrypted.load(Ordering::SeqCst), 6);
        let (_, secret) = creds.client().unwrap();
        assert_eq!((secret.version, secret.value.expose()), (2, "secret-2"));

        // A seller's parameter deleted: the seller is gone.
        store.delete("/my-erp/sellers/A1/refreshToken");
        creds.reload().await.unwrap();
        assert_eq!(creds.seller(Some("A1")).unwrap_err(), SellerError::Unknown("A1".into()));
        assert_eq!(creds.summary().sellers, vec!["A2".to_owned(), "default".to_owned()]);
    }

    #[tokio::test]
    async fn a_revoked_seller_stays_revoked_until_its_token_changes() {
        let store = blog_store();
        store.put("/my-erp/sellers/A1/refreshToken", "Atzr|a1");
        store.put("/my-erp/sellers/A2/refreshToken", "Atzr|a2");
        let creds = Credentials::load(
            store.clone(),
            ParameterNames::under("/my-erp"),
            Some("A2".into()),
            Arc::new(SystemClock),
        )
        .await
        .unwrap();
        // The default seller's own parameter beats the single refresh token.
        assert_eq!(creds.seller(None).unwrap().1.value.expose(), "Atzr|a2");
        let (_, token) = creds.seller(Some("A1")).unwrap();
        creds.revoke_seller("A1", token.version, "The request has an invalid grant parameter : refresh_token");
        let Err(SellerError::Revoked { seller, parameter, .. }) = creds.seller(Some("A1")) else {
            panic!("not revoked");
        };
        assert_eq!((seller.as_str(), parameter.as_str()), ("A1", "/my-erp/sellers/A1/refreshToken"));
        assert!(creds.seller(Some("A2")).is_ok());
        creds.reload().await.unwrap();
        assert!(matches!(creds.seller(Some("A1")), Err(SellerError::Revoked { .. })));
        assert_eq!(creds.summary().revoked_sellers, vec!["A1".to_owned()]);
        // The seller authorizes again: a new refresh token, a new version.
        store.put("/my-erp/sellers/A1/refreshToken", "Atzr|a1-again");
        creds.reload().await.unwrap();
        assert_eq!(creds.seller(Some("A1")).unwrap().1.value.expose(), "Atzr|a1-again");
    }

    #[tokio::test]
    async fn a_rejected_secret_fails_fast_until_a_new_version() {
        let store = blog_store();
        let creds = Credentials::load(store.clone(), ParameterNames::under("/my-erp"), None, Arc::new(SystemClock))
            .await
            .unwrap();
        let (_, secret) = creds.client().unwrap();
        creds.reject_client_secret(secret.version, "Client authentication failed");
        assert!(matches!(creds.client(), Err(ClientError::Rejected { version: 1, .. })));
        assert!(creds.summary().client_secret_rejected.unwrap().contains("LWA rejected version 1"));
        creds.reload().await.unwrap();
        assert!(creds.client().is_err());
        store.put("/my-erp/lwa/clientsecret", "secret-2");
        creds.reload().await.unwrap();
        assert_eq!(creds.client().unwrap().1.value.expose(), "secret-2");
        assert_eq!(creds.summary().client_secret_rejected, None);
    }

    #[tokio::test]
    async fn verdicts_and_reloads_are_dated_by_the_clock() {
        let clock = crate::clock::TestClock::at("2030-01-02T03:04:05Z");
        let creds =
            Credentials::load(blog_store(), ParameterNames::under("/my-erp"), None, clock.clone()).await.unwrap();
        assert_eq!(creds.summary().last_reload.as_deref(), Some("2030-01-02T03:04:05Z"));
        clock.advance(60);
        let version = creds.client_secret_version().unwrap();
        creds.reject_client_secret(version, "invalid_client");
        let rejected = creds.summary().client_secret_rejected.unwrap();
        assert!(rejected.ends_with("at 2030-01-02T03:05:05Z"), "{rejected}");
        clock.advance(60);
        let (_, refresh) = creds.seller(None).unwrap();
        let SellerError::Revoked { at, .. } = creds.revoke_seller(DEFAULT_SELLER, refresh.version, "invalid_grant")
        else {
            panic!("not revoked");
        };
        assert_eq!(rfc3339(at), "2030-01-02T03:06:05Z");
    }

    #[tokio::test]
    async fn a_failed_reload_keeps_the_credentials_and_says_why() {
        let store = blog_store();
        let creds = Credentials::load(store.clone(), ParameterNames::under("/my-erp"), None, Arc::new(SystemClock))
            .await
            .unwrap();
        store.fail.store(true, Ordering::SeqCst);
        assert!(creds.reload().await.is_err());
        assert!(creds.client().is_ok());
        assert_eq!(creds.summary().last_error.as_deref(), Some("AccessDeniedException: not allowed"));
        assert!(!creds.reload_if_older(Duration::from_secs(60)).await, "reloaded just now");
    }

    #[tokio::test]
    async fn missing_client_parameters_are_named() {
        let store = Arc::new(MemoryStore::default());
        store.put("/my-erp/lwa/clientidentifier", "id");
        let err =
            Credentials::load(store, ParameterNames::under("/my-erp"), None, Arc::new(SystemClock)).await.unwrap_err();
        assert!(err.to_string().starts_with("the SSM parameter /my-erp/lwa/clientsecret does not exist"), "{err}");
    }

    #[tokio::test]
    async fn without_a_default_several_sellers_need_a_name() {
        let store = blog_store();
        store.delete("/my-erp/refreshToken");
        store.put("/my-erp/sellers/A1/refreshToken", "Atzr|a1");
        let creds = Credentials::load(store.clone(), ParameterNames::under("/my-erp"), None, Arc::new(SystemClock))
            .await
            .unwrap();
        assert_eq!(creds.seller(None).unwrap().0, "A1");
        store.put("/my-erp/sellers/A2/refreshToken", "Atzr|a2");
        creds.reload().await.unwrap();
        assert_eq!(creds.seller(None).unwrap_err(), SellerError::NoDefault);
    }
}
