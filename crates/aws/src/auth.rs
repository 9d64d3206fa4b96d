//! Authentication: SigV4 against the secret of the access key that signed the request.
//!
//! Opened secrets are cached briefly in memory so a busy client does not cost a database read
//! and an AES-GCM open per request; the cache is dropped for a key the moment IAM changes it, and
//! entries expire after a few seconds so that other nodes' changes are seen soon.

use crate::caller::Caller;
use crate::env::Env;
use crate::error::CommonError;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

const CACHE_TTL: Duration = Duration::from_secs(5);
/// Bound on cached entries; past it the cache is cleared rather than grown.
const CACHE_MAX: usize = 10_000;

/// A resolved access key: who it is, and the secret that signs for it.
#[derive(Debug)]
pub(crate) struct Credential {
    pub caller: Caller,
    pub secret: sigv4::SecretKey,
    pub active: bool,
}

#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    entries: RwLock<HashMap<String, (Instant, Arc<Credential>)>>,
}

impl KeyCache {
    fn get(&self, access_key_id: &str) -> Option<Arc<Credential>> {
        let entries = self.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(access_key_id).filter(|(at, _)| at.elapsed() < CACHE_TTL).map(|(_, c)| c.clone())
    }

    fn put(&self, access_key_id: &str, credential: Arc<Credential>) {
        let mut entries = self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= CACHE_MAX {
            entries.clear();
        }
        entries.insert(access_key_id.to_owned(), (Instant::now(), credential));
    }

    pub(crate) fn forget(&self, access_key_id: &str) {
        self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(access_key_id);
    }
}

/// The outcome of a successful authentication.
#[derive(Debug)]
pub(crate) struct Authenticated {
    pub caller: Caller,
    pub region: String,
}

/// Maps a SigV4 failure onto the common error it is reported as.
fn signature_error(e: &sigv4::Error) -> CommonError {
    match e.kind() {
        sigv4::ErrorKind::MissingAuthenticationToken => CommonError::MissingAuthenticationToken,
        sigv4::ErrorKind::IncompleteSignature => CommonError::IncompleteSignature(e.to_string()),
        _ => CommonError::SignatureDoesNotMatch(e.to_string()),
    }
}

async fn resolve(env: &Env, access_key_id: &str) -> Result<Option<Arc<Credential>>, CommonError> {
    if let Some(c) = env.keys.get(access_key_id) {
        return Ok(Some(c));
    }
    let mut conn = env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let Some(key) = store::access_keys::get(&mut conn, access_key_id).await? else {
        return Ok(None);
    };
    let secret = env.open(&key.secret_sealed, &format!("access-key:{}", key.access_key_id)).map_err(|_| {
        tracing::error!(access_key_id, "a stored secret access key does not open under the master key");
        CommonError::Internal
    })?;
    let secret = String::from_utf8(secret.to_vec()).map_err(|_| CommonError::Internal)?;
    let caller = match &key.user_name {
        None => Caller::root(&key.account_id, Some(key.access_key_id.clone())),
        // IAM users' keys are resolved once IAM users exist (the IAM service adds them).
        Some(_) => return Ok(None),
    };
    let credential =
        Arc::new(Credential { caller, secret: sigv4::SecretKey::new(secret), active: key.status == "Active" });
    env.keys.put(access_key_id, credential.clone());
    Ok(Some(credential))
}

/// Verifies the request's signature and returns the caller. `service` is the signing name the
/// request was routed to: a signature scoped to another service is refused.
pub(crate) async fn authenticate(
    env: &Env,
    request: &sigv4::Request<'_>,
    parsed: Result<sigv4::Auth, sigv4::Error>,
    service: &str,
) -> Result<Authenticated, CommonError> {
    let auth = parsed.map_err(|e| signature_error(&e))?;
    let credential = resolve(env, &auth.access_key_id).await?.ok_or(CommonError::InvalidClientTokenId)?;
    if !credential.active {
        return Err(CommonError::InvalidClientTokenId);
    }
    // The SigV4 window is checked against the wall clock: clients sign with theirs, and a test that
    // moves the virtual clock 150 days must still be able to call.
    let wall = jiff::Timestamp::now();
    sigv4::verify(request, &auth, &credential.secret, wall).map_err(|e| signature_error(&e))?;
    if auth.scope.service != service {
        return Err(CommonError::SignatureDoesNotMatch(format!(
            "Credential should be scoped to correct service: '{service}'. "
        )));
    }
    Ok(Authenticated { caller: credential.caller.clone(), region: auth.scope.region.clone() })
}
