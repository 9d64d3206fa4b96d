//! Server-side encryption of message bodies.
//!
//! SSE-SQS bodies are sealed under the master key. SSE-KMS bodies are sealed under data keys
//! from the queue's KMS key, with the encryption context SQS uses (`aws:sqs:arn`, the queue's
//! ARN), each data key reused for the queue's `KmsDataKeyReusePeriodSeconds`, per sending
//! principal, as AWS does. Senders need `kms:GenerateDataKey` and `kms:Decrypt` on the key,
//! receivers `kms:Decrypt` (AWS documents both); the permission and the key's state are checked
//! on every call, so a cached data key never outlives a disabled key or a revoked permission.
//!
//! A KMS-sealed body names the queue whose context sealed it (a dead-letter queue's messages
//! keep their source queue's) and its data key as KMS ciphertext:
//! `2 || len(arn) || arn || len(wrapped) || wrapped || sealed body` (lengths as u16, big-endian).

use super::error::SqsError;
use super::queue::Queue;
use aws_core::CommonError;
use aws_core::env::Env;
use aws_core::ports::{KeyError, KeyFault, Keys};
use aws_core::service::Ctx;
use crypto::DataKey;
use crypto::kms::EncryptionContext;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use store::kms::Key;

/// The first byte of a KMS-sealed body (master-key sealed bodies start with 1).
const KMS_ENVELOPE: u8 = 2;
/// Cached data keys kept before the caches start over.
const CACHE_MAX: usize = 10_000;

/// A data key in use, with its KMS ciphertext.
pub(crate) struct Entry {
    key: DataKey,
    pub(super) wrapped: Vec<u8>,
    /// The queue whose encryption context wraps it.
    pub(super) arn: String,
    expires_ms: i64,
}

/// (queue ARN, KMS key id, sending principal's ARN): principals do not share data keys.
type SendKey = (String, String, String);

/// Data keys by their use: to seal (per queue, key and principal) and to open (by their KMS
/// ciphertext). AWS caches them separately; the reuse period bounds both.
#[derive(Default)]
pub(crate) struct DataKeys {
    sending: RwLock<HashMap<SendKey, Arc<Entry>>>,
    opening: RwLock<HashMap<Vec<u8>, (DataKey, i64)>>,
}

impl std::fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKeys(<redacted>)")
    }
}

fn bounded_insert<K: std::hash::Hash + Eq, V>(map: &RwLock<HashMap<K, V>>, key: K, value: V) {
    let mut map = map.write().unwrap_or_else(PoisonError::into_inner);
    if map.len() >= CACHE_MAX {
        map.clear();
    }
    map.insert(key, value);
}

impl DataKeys {
    fn sending(&self, key: &SendKey, now_ms: i64) -> Option<Arc<Entry>> {
        let map = self.sending.read().unwrap_or_else(PoisonError::into_inner);
        map.get(key).filter(|e| e.expires_ms > now_ms).cloned()
    }

    fn opening(&self, wrapped: &[u8], now_ms: i64) -> Option<DataKey> {
        let map = self.opening.read().unwrap_or_else(PoisonError::into_inner);
        map.get(wrapped).filter(|(_, expires_ms)| *expires_ms > now_ms).map(|(k, _)| k.clone())
    }
}

/// How a send seals its bodies.
pub(crate) enum Sealer {
    /// Not at all.
    Plain,
    /// Under the master key (SSE-SQS).
    Sqs,
    /// Under a data key from the queue's KMS key (SSE-KMS).
    Kms(Arc<Entry>),
}

/// SQS's AWS managed key.
const MANAGED_KEY: &str = "alias/aws/sqs";

fn context(queue_arn: &str) -> EncryptionContext {
    [("aws:sqs:arn".to_owned(), queue_arn.to_owned())].into_iter().collect()
}

/// Maps KMS's failures to SQS's; the message names the request id of the (inner) KMS call.
fn kms_error(ctx: &Ctx<'_>) -> impl Fn(KeyError) -> SqsError {
    let request_id = ctx.env.ids.uuid();
    move |e| SqsError::from_kms(&e, &request_id)
}

/// Decides `action` on `key` for the caller, as SQS asks KMS on its behalf.
async fn authorize(
    ctx: &Ctx<'_>,
    keys: &dyn Keys,
    action: &str,
    key: &Key,
    context: &EncryptionContext,
) -> Result<(), SqsError> {
    ctx.authorize(keys.check(ctx, action, key, context, "sqs")).await.map_err(|e| kms_error(ctx)(e.into()))
}

/// The queue's KMS key, which the caller may use for `actions`, and which must be enabled.
async fn usable_key(
    ctx: &Ctx<'_>,
    keys: &dyn Keys,
    q: &Queue,
    key_ref: &str,
    actions: &[&str],
) -> Result<Key, SqsError> {
    let (account, region) = (&q.row.account_id, &q.row.region);
    let key = keys.resolve(ctx.env, account, region, Some(key_ref), MANAGED_KEY).await.map_err(kms_error(ctx))?;
    let context = context(&q.arn());
    for action in actions {
        authorize(ctx, keys, action, &key, &context).await?;
    }
    keys.require_enabled(&key).map_err(kms_error(ctx))?;
    Ok(key)
}

/// The sealer for a send by the caller to `q`: for an SSE-KMS queue, a data key it may use.
pub(crate) async fn sealer(ctx: &Ctx<'_>, q: &Queue) -> Result<Sealer, SqsError> {
    let Some(key_ref) = q.config.kms_master_key_id.as_deref() else {
        return Ok(if q.config.sqs_managed_sse_enabled { Sealer::Sqs } else { Sealer::Plain });
    };
    let keys = ctx.env.port::<dyn Keys>()?;
    let key = usable_key(ctx, keys.as_ref(), q, key_ref, &["kms:GenerateDataKey", "kms:Decrypt"]).await?;
    let arn = q.arn();
    let cache_key = (arn.clone(), key.key_id.clone(), ctx.caller.arn.clone());
    if let Some(entry) = super::shared(ctx.env).data_keys.sending(&cache_key, ctx.now_ms) {
        return Ok(Sealer::Kms(entry));
    }
    let (plain, wrapped) =
        keys.generate_data_key(ctx.env, &key, crypto::KEY_LEN, &context(&arn)).await.map_err(kms_error(ctx))?;
    let key = DataKey::from_bytes(&plain).map_err(|_| SqsError::Common(CommonError::Internal))?;
    let expires_ms = ctx.now_ms + q.config.kms_data_key_reuse_period_seconds * 1000;
    let entry = Arc::new(Entry { key, wrapped, arn, expires_ms });
    bounded_insert(&super::shared(ctx.env).data_keys.sending, cache_key, entry.clone());
    Ok(Sealer::Kms(entry))
}

fn push_with_len(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), SqsError> {
    let len = u16::try_from(bytes.len()).map_err(|_| SqsError::Common(CommonError::Internal))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

impl Sealer {
    /// The body as stored, bound to `aad` (the message's row), and whether it is sealed.
    pub(crate) fn seal(&self, env: &Env, body: &str, aad: &str) -> Result<(Vec<u8>, bool), SqsError> {
        match self {
            Sealer::Plain => Ok((body.as_bytes().to_vec(), false)),
            Sealer::Sqs => Ok((env.seal(body.as_bytes(), aad), true)),
            Sealer::Kms(entry) => {
                let sealed = entry.key.seal(env.rng.as_ref(), body.as_bytes(), aad.as_bytes());
                let mut out = Vec::with_capacity(5 + entry.arn.len() + entry.wrapped.len() + sealed.len());
                out.push(KMS_ENVELOPE);
                push_with_len(&mut out, entry.arn.as_bytes())?;
                push_with_len(&mut out, &entry.wrapped)?;
                out.extend_from_slice(&sealed);
                Ok((out, true))
            }
        }
    }
}

/// The next length-prefixed field of an envelope, and the rest.
fn take_field(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = bytes.split_at_checked(2)?;
    rest.split_at_checked(usize::from(u16::from_be_bytes([len[0], len[1]])))
}

/// A KMS-sealed body's parts: (queue ARN, wrapped data key, sealed body).
fn parts(blob: &[u8]) -> Option<(&str, &[u8], &[u8])> {
    let (arn, rest) = take_field(blob.strip_prefix(&[KMS_ENVELOPE])?)?;
    let (wrapped, sealed) = take_field(rest)?;
    Some((std::str::from_utf8(arn).ok()?, wrapped, sealed))
}

fn corrupt() -> SqsError {
    tracing::error!("a stored SQS message body does not open; the store was altered");
    SqsError::Common(CommonError::Internal)
}

/// Opens the bodies of one receive for the caller, deciding `kms:Decrypt` once per key.
pub(crate) struct Opener<'c, 'a> {
    ctx: &'c Ctx<'a>,
    q: &'c Queue,
    /// Keys the caller was allowed to decrypt with in this receive, by key id and the queue
    /// ARN of the encryption context.
    allowed: HashMap<(String, String), Key>,
}

impl<'c, 'a> Opener<'c, 'a> {
    /// Checks, before a receive changes anything, that the caller may decrypt with the queue's
    /// KMS key (if it has one).
    pub(crate) async fn new(ctx: &'c Ctx<'a>, q: &'c Queue) -> Result<Self, SqsError> {
        let mut allowed = HashMap::new();
        if let Some(key_ref) = q.config.kms_master_key_id.as_deref() {
            let keys = ctx.env.port::<dyn Keys>()?;
            let key = usable_key(ctx, keys.as_ref(), q, key_ref, &["kms:Decrypt"]).await?;
            allowed.insert((key.key_id.clone(), q.arn()), key);
        }
        Ok(Self { ctx, q, allowed })
    }

    /// The stored body `blob` (sealed or not) of the message whose row `aad` names.
    pub(crate) async fn open(&mut self, blob: &[u8], sealed: bool, aad: &str) -> Result<Vec<u8>, SqsError> {
        let env = self.ctx.env;
        if !sealed {
            return Ok(blob.to_vec());
        }
        if blob.first() != Some(&KMS_ENVELOPE) {
            return Ok(env.open(blob, aad).map_err(|_| corrupt())?.to_vec());
        }
        let (arn, wrapped, sealed) = parts(blob).ok_or_else(corrupt)?;
        let data_key = self.data_key(arn, wrapped).await?;
        Ok(data_key.open(sealed, aad.as_bytes()).map_err(|_| corrupt())?.to_vec())
    }

    async fn data_key(&mut self, arn: &str, wrapped: &[u8]) -> Result<DataKey, SqsError> {
        let (ctx, kms_error) = (self.ctx, kms_error(self.ctx));
        let context = context(arn);
        let keys = ctx.env.port::<dyn Keys>()?;
        let origin = keys.origin_of(ctx.env, wrapped).map_err(|_| corrupt())?;
        let allowed = (origin.key_id.clone(), arn.to_owned());
        let key = if let Some(key) = self.allowed.get(&allowed) {
            key.clone()
        } else {
            let (account, region) = (&self.q.row.account_id, &self.q.row.region);
            let (key, _) = keys.key_of_blob(ctx.env, account, region, wrapped).await.map_err(&kms_error)?;
            authorize(ctx, keys.as_ref(), "kms:Decrypt", &key, &context).await?;
            keys.require_enabled(&key).map_err(&kms_error)?;
            self.allowed.insert(allowed, key.clone());
            key
        };
        if let Some(hit) = super::shared(ctx.env).data_keys.opening(wrapped, ctx.now_ms) {
            return Ok(hit);
        }
        let plain = keys.decrypt(ctx.env, &key, &origin, wrapped, &context).await.map_err(|e| match e.fault {
            KeyFault::InvalidCiphertext => corrupt(),
            _ => kms_error(e),
        })?;
        let data_key = DataKey::from_bytes(&plain).map_err(|_| corrupt())?;
        let expires_ms = ctx.now_ms + self.q.config.kms_data_key_reuse_period_seconds * 1000;
        bounded_insert(&super::shared(ctx.env).data_keys.opening, wrapped.to_vec(), (data_key.clone(), expires_ms));
        Ok(data_key)
    }
}
