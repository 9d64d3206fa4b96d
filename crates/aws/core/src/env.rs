//! What every service shares: the store, time, randomness, the key that seals secrets at rest.

use crate::auth::{KeyCache, KeyUsage};
use crate::authz::PolicyCache;
use crate::error::CommonError;
use crate::ids::Ids;
use crypto::{DataKey, MasterKey, Purpose, Random};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use store::audit::AuditLog;
use store::{Clock, Store};

/// The services' shared environment, built once by the server.
#[derive(Debug)]
pub struct Env {
    /// The database.
    pub store: Store,
    /// The server's clock (virtual in test mode); `SigV4` windows use the wall clock instead.
    pub clock: Arc<dyn Clock>,
    /// Randomness for ids, keys and nonces.
    pub rng: Arc<dyn Random>,
    /// Identifier generation in AWS's shapes.
    pub ids: Ids,
    /// Seals secrets at rest (IAM secret keys, KMS key material).
    pub at_rest: DataKey,
    /// Keyed hashes of bearer secrets.
    pub verifier: DataKey,
    /// Seals and opens KMS ciphertext blobs.
    pub kms_envelope: crypto::kms::Envelope,
    /// The audit log writer.
    pub audit: AuditLog,
    /// The region used when a request does not name one.
    pub default_region: String,
    /// The URL clients reach this server at, without a trailing slash: the base of the links
    /// SNS puts in what it delivers (SubscribeURL, UnsubscribeURL, SigningCertURL).
    pub public_url: String,
    /// Wakes the job runner when a service queues work due now (a publish, an event), so it
    /// does not wait for its next look.
    pub work_queued: Arc<tokio::sync::Notify>,
    pub(crate) keys: KeyCache,
    /// When access keys were last used, noted in memory and flushed in batches.
    pub(crate) key_usage: Arc<KeyUsage>,
    pub(crate) policies: PolicyCache,
    /// What the environment keeps for others, by type: the ports wired by the composition root
    /// (see [`crate::ports`]), under the port's trait object type, and each service's own
    /// in-memory state (caches, long-poll notifiers), under the state's type, which the service
    /// defines and uses; the environment only keeps them for the server's lifetime.
    parts: RwLock<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Env {
    /// Assembles the environment.
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        rng: Arc<dyn Random>,
        master: &MasterKey,
        default_region: String,
    ) -> Self {
        let audit = AuditLog::start(store.clone());
        let key_usage = Arc::new(KeyUsage::default());
        KeyUsage::start_flushing(&key_usage, store.clone());
        Self {
            ids: Ids::new(rng.clone()),
            store,
            clock,
            rng,
            at_rest: master.subkey(Purpose::AtRest),
            verifier: master.subkey(Purpose::Verifier),
            kms_envelope: crypto::kms::Envelope::new(master.subkey(Purpose::KmsEnvelope)),
            audit,
            default_region,
            public_url: "http://127.0.0.1:4566".to_owned(),
            work_queued: Arc::new(tokio::sync::Notify::new()),
            keys: KeyCache::default(),
            key_usage,
            policies: PolicyCache::default(),
            parts: RwLock::default(),
        }
    }

    /// Now, on the server's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Seals a secret for the row named by `aad`.
    pub fn seal(&self, plaintext: &[u8], aad: &str) -> Vec<u8> {
        self.at_rest.seal(self.rng.as_ref(), plaintext, aad.as_bytes())
    }

    /// Opens a secret sealed by [`Env::seal`] for the same row.
    pub fn open(&self, blob: &[u8], aad: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, crypto::Error> {
        self.at_rest.open(blob, aad.as_bytes())
    }

    /// The service state of type `T`, made on first use. A service keeps its caches here rather
    /// than in statics, so that each environment (each server, each test) has its own.
    pub fn state<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let key = TypeId::of::<T>();
        let found = self.parts.read().unwrap_or_else(PoisonError::into_inner).get(&key).cloned();
        let any = found.unwrap_or_else(|| {
            let mut parts = self.parts.write().unwrap_or_else(PoisonError::into_inner);
            parts.entry(key).or_insert_with(|| Arc::new(T::default())).clone()
        });
        // The map is keyed by the value's own type id.
        any.downcast::<T>().unwrap_or_else(|_| unreachable!("a service state is stored under its own type"))
    }

    /// Wires in the implementation of a port (`P` is the port's trait object type, e.g.
    /// `dyn ports::Keys`); at start, by the composition root. A second wiring replaces the first.
    pub fn wire<P: ?Sized + Send + Sync + 'static>(&self, implementation: Arc<P>) {
        let mut parts = self.parts.write().unwrap_or_else(PoisonError::into_inner);
        parts.insert(TypeId::of::<P>(), Arc::new(implementation));
    }

    /// The implementation wired for the port `P`. Unwired, the request fails as an internal
    /// error (logged): a composition defect, never a reason to skip a check.
    pub fn port<P: ?Sized + Send + Sync + 'static>(&self) -> Result<Arc<P>, CommonError> {
        let parts = self.parts.read().unwrap_or_else(PoisonError::into_inner);
        let found = parts.get(&TypeId::of::<P>()).and_then(|any| any.downcast_ref::<Arc<P>>()).cloned();
        found.ok_or_else(|| {
            tracing::error!(port = std::any::type_name::<P>(), "a port the request needs is not wired");
            CommonError::Internal
        })
    }

    /// Forgets cached credentials (after a key is deactivated or deleted).
    pub fn forget_credentials(&self, access_key_id: &str) {
        self.keys.forget(access_key_id);
    }

    /// Drops every cached principal's policies, after IAM changed any of them.
    pub fn iam_changed(&self) {
        self.policies.invalidate();
    }

    /// An access key's last use noted since the last flush: when, in which service and region.
    pub fn key_last_used(&self, access_key_id: &str) -> Option<(i64, String, String)> {
        self.key_usage.get(access_key_id)
    }

    /// Writes the access keys' last uses noted since the last flush (on shutdown).
    pub async fn flush_key_usage(&self) {
        self.key_usage.flush(&self.store).await;
    }
}
