//! Authentication: `SigV4` against the secret of the access key that signed the request.
//!
//! Three kinds of key sign requests: the root user's and IAM users' long-term keys (`AKIA...`,
//! refused while `Inactive`), and STS's temporary credentials (`ASIA...`), which must come with
//! their session token (compared in constant time against the keyed hash that is all the store
//! keeps of it) and are `ExpiredToken` once the server clock passes their expiry.
//!
//! Opened secrets are cached briefly in memory so a busy client does not cost a database read
//! and an AES-GCM open per request; the cache is dropped for a key the moment IAM changes it, and
//! entries expire after a few seconds so that other nodes' changes are seen soon.

use crate::caller::{Caller, CallerKind};
use crate::env::Env;
use crate::error::CommonError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

const CACHE_TTL: Duration = Duration::from_secs(5);
/// Bound on cached entries; past it the cache is cleared rather than grown.
const CACHE_MAX: usize = 10_000;

/// What temporary credentials must also satisfy.
#[derive(Debug)]
pub(crate) struct SessionCheck {
    /// The keyed hash of the session token.
    token_mac: Vec<u8>,
    /// When the credentials expire, on the server clock.
    expires_ms: i64,
}

/// A resolved access key: who it is, and the secret that signs for it.
#[derive(Debug)]
pub(crate) struct Credential {
    pub caller: Caller,
    pub secret: sigv4::SecretKey,
    pub active: bool,
    /// Present for STS credentials.
    pub session: Option<SessionCheck>,
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

/// When each access key was last used (`GetAccessKeyLastUsed`), noted in memory on every request
/// and written to the store in batches, so that authentication never waits for a write.
#[derive(Debug, Default)]
pub(crate) struct KeyUsage {
    entries: Mutex<HashMap<String, Usage>>,
}

#[derive(Debug, Clone)]
struct Usage {
    ms: i64,
    service: String,
    region: String,
    dirty: bool,
}

/// How often noted uses are written.
const FLUSH_EVERY: Duration = Duration::from_secs(2);
/// Uses closer together than this (same service and region) are not worth a new record.
const USAGE_RESOLUTION_MS: i64 = 1_000;

impl KeyUsage {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Usage>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes that `access_key_id` signed a request to `service` in `region` at `ms`.
    pub(crate) fn note(&self, access_key_id: &str, ms: i64, service: &str, region: &str) {
        let mut entries = self.lock();
        if let Some(u) = entries.get(access_key_id)
            && u.service == service
            && u.region == region
            && (ms - u.ms).abs() < USAGE_RESOLUTION_MS
        {
            return;
        }
        let usage = Usage { ms, service: service.to_owned(), region: region.to_owned(), dirty: true };
        entries.insert(access_key_id.to_owned(), usage);
    }

    /// The last use noted in this process: (epoch ms, service, region).
    pub(crate) fn get(&self, access_key_id: &str) -> Option<(i64, String, String)> {
        self.lock().get(access_key_id).map(|u| (u.ms, u.service.clone(), u.region.clone()))
    }

    /// Writes the uses noted since the last flush in one transaction.
    pub(crate) async fn flush(&self, store: &store::Store) {
        let pending: Vec<(String, Usage)> =
            self.lock().iter().filter(|(_, u)| u.dirty).map(|(k, u)| (k.clone(), u.clone())).collect();
        if pending.is_empty() {
            return;
        }
        let written = async {
            let mut tx = store.begin().await?;
            for (key, u) in &pending {
                store::access_keys::touch(&mut tx, key, u.ms, &u.service, &u.region).await?;
            }
            store::iam::commit(tx).await
        }
        .await;
        match written {
            Ok(()) => {
                let mut entries = self.lock();
                for (key, u) in pending {
                    if let Some(now) = entries.get_mut(&key)
                        && now.ms == u.ms
                    {
                        now.dirty = false;
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not record access key use; will retry"),
        }
    }

    /// Flushes every few seconds for as long as the usage record lives.
    pub(crate) fn start_flushing(this: &Arc<Self>, store: store::Store) {
        let weak: Weak<Self> = Arc::downgrade(this);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(FLUSH_EVERY).await;
                let Some(usage) = weak.upgrade() else { return };
                usage.flush(&store).await;
            }
        });
    }
}

/// The outcome of a successful authentication.
#[derive(Debug)]
pub(crate) struct Authenticated {
    pub caller: Caller,
    pub region: String,
}

/// Maps a `SigV4` failure onto the common error it is reported as.
fn signature_error(e: &sigv4::Error) -> CommonError {
    match e.kind() {
        sigv4::ErrorKind::MissingAuthenticationToken => CommonError::MissingAuthenticationToken,
        sigv4::ErrorKind::IncompleteSignature => CommonError::IncompleteSignature(e.to_string()),
        _ => CommonError::SignatureDoesNotMatch(e.to_string()),
    }
}

fn open_secret(env: &Env, sealed: &[u8], aad: &str, access_key_id: &str) -> Result<sigv4::SecretKey, CommonError> {
    let secret = env.open(sealed, aad).map_err(|_| {
        tracing::error!(access_key_id, "a stored secret access key does not open under the master key");
        CommonError::Internal
    })?;
    let secret = String::from_utf8(secret.to_vec()).map_err(|_| CommonError::Internal)?;
    Ok(sigv4::SecretKey::new(secret))
}

/// A long-term key: the root user's or an IAM user's.
async fn resolve_key(
    env: &Env,
    conn: &mut store::Conn,
    access_key_id: &str,
) -> Result<Option<Credential>, CommonError> {
    let Some(key) = store::access_keys::get(conn, access_key_id).await? else {
        return Ok(None);
    };
    let caller = match &key.user_name {
        None => Caller::root(&key.account_id, Some(key.access_key_id.clone())),
        Some(name) => {
            let Some(user) = store::iam::user_by_name(conn, &key.account_id, name).await? else {
                return Ok(None);
            };
            Caller {
                arn: format!("arn:aws:iam::{}:user{}{}", user.account_id, user.path, user.user_name),
                account_id: user.account_id,
                user_id: user.user_id,
                kind: CallerKind::User { name: user.user_name },
                access_key_id: Some(key.access_key_id.clone()),
                token_issued_ms: None,
            }
        }
    };
    let secret = open_secret(env, &key.secret_sealed, &format!("access-key:{}", key.access_key_id), access_key_id)?;
    Ok(Some(Credential { caller, secret, active: key.status == "Active", session: None }))
}

/// Temporary credentials issued by STS.
async fn resolve_session(
    env: &Env,
    conn: &mut store::Conn,
    access_key_id: &str,
) -> Result<Option<Credential>, CommonError> {
    let Some(s) = store::iam::session(conn, access_key_id).await? else {
        return Ok(None);
    };
    let kind = match (s.kind.as_str(), &s.user_name, &s.role_name, &s.role_arn, &s.session_name) {
        ("role", _, Some(role_name), Some(role_arn), Some(session_name)) => CallerKind::AssumedRole {
            role_name: role_name.clone(),
            role_arn: role_arn.clone(),
            session_name: session_name.clone(),
        },
        ("user", Some(name), ..) => CallerKind::User { name: name.clone() },
        ("root", ..) => CallerKind::Root,
        _ => {
            tracing::error!(access_key_id, "a stored session has an unknown shape");
            return Ok(None);
        }
    };
    let secret = open_secret(env, &s.secret_sealed, &session_aad(access_key_id), access_key_id)?;
    let caller = Caller {
        account_id: s.account_id,
        arn: s.arn,
        user_id: s.user_id,
        kind,
        access_key_id: Some(s.access_key_id),
        token_issued_ms: Some(s.issued_ms),
    };
    let session = SessionCheck { token_mac: s.token_mac, expires_ms: s.expires_ms };
    Ok(Some(Credential { caller, secret, active: true, session: Some(session) }))
}

/// The associated data that binds a session's sealed secret to its key id.
pub fn session_aad(access_key_id: &str) -> String {
    format!("session-key:{access_key_id}")
}

async fn resolve(env: &Env, access_key_id: &str) -> Result<Option<Arc<Credential>>, CommonError> {
    if let Some(c) = env.keys.get(access_key_id) {
        return Ok(Some(c));
    }
    let mut conn = store::iam::reader(&env.store).await?;
    let credential = if access_key_id.starts_with("ASIA") {
        resolve_session(env, &mut conn, access_key_id).await?
    } else {
        resolve_key(env, &mut conn, access_key_id).await?
    };
    let Some(credential) = credential else { return Ok(None) };
    let credential = Arc::new(credential);
    env.keys.put(access_key_id, credential.clone());
    Ok(Some(credential))
}

/// The principal behind `access_key_id` (a key or an STS session), if it is known.
pub async fn caller_of(env: &Env, access_key_id: &str) -> Result<Option<Caller>, CommonError> {
    Ok(resolve(env, access_key_id).await?.map(|c| c.caller.clone()))
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
    // A session token goes with temporary credentials only, and must be theirs: as AWS does, a
    // missing or wrong token is an invalid token, whatever the signature.
    match (&credential.session, auth.security_token.as_deref()) {
        (None, None) => {}
        (Some(s), Some(token)) if crypto::constant_time_eq(&env.verifier.mac(token.as_bytes()), &s.token_mac) => {}
        _ => return Err(CommonError::InvalidClientTokenId),
    }
    // The SigV4 window is checked against the wall clock: clients sign with theirs, and a test that
    // moves the virtual clock 150 days must still be able to call.
    let wall = jiff::Timestamp::now();
    sigv4::verify(request, &auth, &credential.secret, wall).map_err(|e| signature_error(&e))?;
    let now_ms = env.now_ms();
    if let Some(s) = &credential.session
        && now_ms >= s.expires_ms
    {
        return Err(CommonError::ExpiredToken);
    }
    if auth.scope.service != service {
        return Err(CommonError::SignatureDoesNotMatch(format!(
            "Credential should be scoped to correct service: '{service}'. "
        )));
    }
    if credential.session.is_none() {
        env.key_usage.note(&auth.access_key_id, now_ms, service, &auth.scope.region);
    }
    Ok(Authenticated { caller: credential.caller.clone(), region: auth.scope.region.clone() })
}

/// Authenticates a SigV4-signed request for `service` outside the AWS pipeline (the SP-API
/// sandbox's legacy IAM mode signs SP-API calls for `execute-api`): the caller, and the region of
/// the signature's credential scope.
pub async fn authenticate_request(
    env: &Env,
    request: &sigv4::Request<'_>,
    auth: sigv4::Auth,
    service: &str,
) -> Result<(Caller, String), CommonError> {
    let Authenticated { caller, region } = authenticate(env, request, Ok(auth), service).await?;
    Ok((caller, region))
}
