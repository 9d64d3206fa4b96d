//! Cryptographic operations: Encrypt, Decrypt, GenerateDataKey(WithoutPlaintext), ReEncrypt,
//! GenerateRandom; and the key operations the [`Keys`](aws_core::ports::Keys) port is made of.

use super::error::KmsError;
use super::keys::{self, SYMMETRIC_DEFAULT};
use crate::ops::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, GenerateDataKeyRequest, GenerateDataKeyResponse,
    GenerateDataKeyWithoutPlaintextRequest, GenerateDataKeyWithoutPlaintextResponse, GenerateRandomRequest,
    GenerateRandomResponse, ReEncryptRequest, ReEncryptResponse,
};
use aws_core::env::Env;
use aws_core::service::{Authorization, Check, Ctx};
use base64::Engine as _;
use crypto::kms::{BlobOrigin, EncryptionContext, KeyMaterial};
use std::collections::HashMap;
use std::sync::RwLock;
use store::kms::Key;
use zeroize::Zeroizing;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(s: &str) -> Result<Vec<u8>, KmsError> {
    // The wire layer hands blobs over as canonical base64; anything else is a bug upstream.
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| KmsError::validation("Invalid base64 in a blob parameter"))
}

/// Opened key material by key id and version, with its public id. A version's material never
/// changes, so entries need no invalidation (a deleted key is refused before its material is
/// looked for); the map is bounded and cleared when full.
#[derive(Default)]
pub(crate) struct MaterialCache {
    entries: RwLock<HashMap<(String, i64), (KeyMaterial, String)>>,
}

/// Entries kept before the cache starts over.
const MATERIAL_CACHE_MAX: usize = 10_000;

impl std::fmt::Debug for MaterialCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MaterialCache(<redacted>)")
    }
}

impl MaterialCache {
    fn get(&self, key_id: &str, version: i64) -> Option<(KeyMaterial, String)> {
        let entries = self.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(&(key_id.to_owned(), version)).cloned()
    }

    fn put(&self, key_id: &str, version: i64, entry: (KeyMaterial, String)) {
        let mut entries = self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MATERIAL_CACHE_MAX {
            entries.clear();
        }
        entries.insert((key_id.to_owned(), version), entry);
    }
}

/// A key's material version, opened, with its public id.
async fn material(env: &Env, key: &Key, version: i64) -> Result<Option<(KeyMaterial, String)>, KmsError> {
    if let Some(hit) = env.state::<MaterialCache>().get(&key.key_id, version) {
        return Ok(Some(hit));
    }
    let mut conn = env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let Some(row) = store::kms::get_material(&mut conn, &key.key_id, version).await? else {
        return Ok(None);
    };
    let sealed_version = u32::try_from(version).map_err(|_| KmsError::InvalidCiphertext)?;
    let opened = KeyMaterial::open(&env.at_rest, &row.material_sealed, &key.key_id, sealed_version).map_err(|_| {
        tracing::error!(key_id = %key.key_id, version, "stored key material does not open under the master key");
        KmsError::Common(aws_core::CommonError::Internal)
    })?;
    env.state::<MaterialCache>().put(&key.key_id, version, (opened.clone(), row.material_id.clone()));
    Ok(Some((opened, row.material_id)))
}

/// Encrypts under the key's current material. The key must be enabled.
pub(crate) async fn encrypt_with(
    env: &Env,
    key: &Key,
    plaintext: &[u8],
    context: &EncryptionContext,
) -> Result<Vec<u8>, KmsError> {
    keys::require_enabled(key)?;
    let (material, _) =
        material(env, key, key.current_version).await?.ok_or(KmsError::Common(aws_core::CommonError::Internal))?;
    let version = u32::try_from(key.current_version).map_err(|_| KmsError::Common(aws_core::CommonError::Internal))?;
    let origin = BlobOrigin { key_id: key.key_id.clone(), version };
    env.kms_envelope
        .seal(env.rng.as_ref(), &origin, &material, plaintext, context)
        .map_err(|_| KmsError::Common(aws_core::CommonError::Internal))
}

/// A fresh data key of `len` bytes and its ciphertext under `key`.
pub(crate) async fn generate_data_key_with(
    env: &Env,
    key: &Key,
    len: usize,
    context: &EncryptionContext,
) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), KmsError> {
    let mut plaintext = Zeroizing::new(vec![0u8; len]);
    env.rng.fill(&mut plaintext);
    let blob = encrypt_with(env, key, &plaintext, context).await?;
    Ok((plaintext, blob))
}

/// Which key and material version sealed `blob`.
pub(crate) fn origin_of(env: &Env, blob: &[u8]) -> Result<BlobOrigin, KmsError> {
    env.kms_envelope.origin(blob).map_err(|_| KmsError::InvalidCiphertext)
}

/// The key (of the caller's account and region) that sealed `blob`.
pub(crate) async fn key_of_blob(
    env: &Env,
    account: &str,
    region: &str,
    blob: &[u8],
) -> Result<(Key, BlobOrigin), KmsError> {
    let origin = origin_of(env, blob)?;
    let mut conn = env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let key = store::kms::get_key(&mut conn, account, region, &origin.key_id).await?.ok_or_else(|| {
        KmsError::NotFound(format!("Key '{}' does not exist", keys::key_arn(region, account, &origin.key_id)))
    })?;
    Ok((key, origin))
}

/// Decrypts `blob`, sealed by `key` (as found by [`key_of_blob`]) with `context`. Returns the
/// plaintext and the id of the material that opened it.
pub(crate) async fn decrypt_with(
    env: &Env,
    key: &Key,
    origin: &BlobOrigin,
    blob: &[u8],
    context: &EncryptionContext,
) -> Result<(Zeroizing<Vec<u8>>, String), KmsError> {
    keys::require_enabled(key)?;
    let (material, material_id) =
        material(env, key, i64::from(origin.version)).await?.ok_or(KmsError::InvalidCiphertext)?;
    let plaintext = env.kms_envelope.open(blob, &material, context).map_err(|_| KmsError::InvalidCiphertext)?;
    Ok((plaintext, material_id))
}

/// `check` with the encryption context's condition keys.
pub(crate) fn with_context(mut check: Check, context: &EncryptionContext) -> Check {
    for (k, v) in context {
        check = check.with_condition(format!("kms:EncryptionContext:{k}"), vec![v.clone()]);
    }
    if !context.is_empty() {
        check = check.with_condition("kms:EncryptionContextKeys", context.keys().cloned().collect());
    }
    check
}

/// The checks of a request that names a key and an encryption context.
fn request_check(ctx: &Ctx<'_>, action: &str, key: &Key, key_ref: &str, context: Option<&EncryptionContext>) -> Check {
    let mut check = keys::check(ctx, action, key);
    if let Some(context) = context {
        check = with_context(check, context);
    }
    if let Some(alias) = keys::alias_in(key_ref) {
        check = check.with_condition("kms:RequestAlias", vec![alias]);
    }
    check
}

fn require_algorithm(algorithm: Option<&str>) -> Result<(), KmsError> {
    match algorithm {
        None | Some(SYMMETRIC_DEFAULT) => Ok(()),
        Some(other) => Err(KmsError::InvalidKeyUsage(format!(
            "Algorithm {other} is incompatible with key spec {SYMMETRIC_DEFAULT}."
        ))),
    }
}

fn dry_run(flag: Option<bool>) -> Result<(), KmsError> {
    if flag == Some(true) { Err(KmsError::DryRun) } else { Ok(()) }
}

pub(crate) async fn authorize_encrypt(ctx: &Ctx<'_>, input: &EncryptRequest) -> Result<Authorization, KmsError> {
    let key = keys::resolve(ctx.env, ctx.account(), ctx.region, &input.key_id, true).await?;
    let mut check = request_check(ctx, "kms:Encrypt", &key, &input.key_id, input.encryption_context.as_ref());
    if let Some(algorithm) = &input.encryption_algorithm {
        check = check.with_condition("kms:EncryptionAlgorithm", vec![algorithm.clone()]);
    }
    Ok(Authorization::one(check))
}

pub(crate) async fn encrypt(ctx: &Ctx<'_>, input: EncryptRequest) -> Result<EncryptResponse, KmsError> {
    let key = keys::resolve(ctx.env, ctx.account(), ctx.region, &input.key_id, true).await?;
    require_algorithm(input.encryption_algorithm.as_deref())?;
    keys::require_enabled(&key)?;
    dry_run(input.dry_run)?;
    let plaintext = Zeroizing::new(unb64(&input.plaintext)?);
    let blob = encrypt_with(ctx.env, &key, &plaintext, &input.encryption_context.unwrap_or_default()).await?;
    Ok(EncryptResponse {
        ciphertext_blob: Some(b64(&blob)),
        key_id: Some(key.arn),
        encryption_algorithm: Some(SYMMETRIC_DEFAULT.to_owned()),
    })
}

fn required_blob(blob: Option<&String>) -> Result<Vec<u8>, KmsError> {
    let blob = blob.ok_or_else(|| {
        KmsError::validation(
            "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null",
        )
    })?;
    unb64(blob)
}

/// The key a blob was sealed with, checked against the key the request names (if any).
async fn source_key(ctx: &Ctx<'_>, blob: &[u8], named: Option<&str>) -> Result<(Key, BlobOrigin), KmsError> {
    let (key, origin) = key_of_blob(ctx.env, ctx.account(), ctx.region, blob).await?;
    if let Some(named) = named {
        let named = keys::resolve(ctx.env, ctx.account(), ctx.region, named, true).await?;
        if named.key_id != key.key_id {
            return Err(KmsError::IncorrectKey);
        }
    }
    Ok((key, origin))
}

pub(crate) async fn authorize_decrypt(ctx: &Ctx<'_>, input: &DecryptRequest) -> Result<Authorization, KmsError> {
    let blob = required_blob(input.ciphertext_blob.as_ref())?;
    let (key, _) = source_key(ctx, &blob, input.key_id.as_deref()).await?;
    let key_ref = input.key_id.as_deref().unwrap_or_default();
    Ok(Authorization::one(request_check(ctx, "kms:Decrypt", &key, key_ref, input.encryption_context.as_ref())))
}

pub(crate) async fn decrypt(ctx: &Ctx<'_>, input: DecryptRequest) -> Result<DecryptResponse, KmsError> {
    let blob = required_blob(input.ciphertext_blob.as_ref())?;
    require_algorithm(input.encryption_algorithm.as_deref())?;
    let (key, origin) = source_key(ctx, &blob, input.key_id.as_deref()).await?;
    keys::require_enabled(&key)?;
    dry_run(input.dry_run)?;
    let context = input.encryption_context.unwrap_or_default();
    let (plaintext, material_id) = decrypt_with(ctx.env, &key, &origin, &blob, &context).await?;
    Ok(DecryptResponse {
        key_id: Some(key.arn),
        plaintext: Some(b64(&plaintext)),
        encryption_algorithm: Some(SYMMETRIC_DEFAULT.to_owned()),
        key_material_id: Some(material_id),
        ciphertext_for_recipient: None,
    })
}

/// `GenerateDataKey` and `GenerateDataKeyWithoutPlaintext` need their action on the key.
pub(crate) async fn authorize_data_key(
    ctx: &Ctx<'_>,
    action: &str,
    key_ref: &str,
    context: Option<&EncryptionContext>,
) -> Result<Authorization, KmsError> {
    let key = keys::resolve(ctx.env, ctx.account(), ctx.region, key_ref, true).await?;
    Ok(Authorization::one(request_check(ctx, action, &key, key_ref, context)))
}

fn data_key_len(key_spec: Option<&str>, number_of_bytes: Option<i32>) -> Result<usize, KmsError> {
    match (key_spec, number_of_bytes) {
        (Some("AES_256"), None) => Ok(32),
        (Some("AES_128"), None) => Ok(16),
        // The wire layer already holds NumberOfBytes to 1..=1024 and KeySpec to its enum.
        (None, Some(n)) => usize::try_from(n).map_err(|_| KmsError::validation("NumberOfBytes must be positive.")),
        _ => Err(KmsError::validation("Please specify either number of bytes or key spec.")),
    }
}

pub(crate) async fn generate_data_key(
    ctx: &Ctx<'_>,
    input: GenerateDataKeyRequest,
) -> Result<GenerateDataKeyResponse, KmsError> {
    let len = data_key_len(input.key_spec.as_deref(), input.number_of_bytes)?;
    let key = keys::resolve(ctx.env, ctx.account(), ctx.region, &input.key_id, true).await?;
    keys::require_enabled(&key)?;
    dry_run(input.dry_run)?;
    let (plaintext, blob) =
        generate_data_key_with(ctx.env, &key, len, &input.encryption_context.unwrap_or_default()).await?;
    let material_id = current_material_id(ctx.env, &key).await?;
    Ok(GenerateDataKeyResponse {
        ciphertext_blob: Some(b64(&blob)),
        plaintext: Some(b64(&plaintext)),
        key_id: Some(key.arn),
        key_material_id: Some(material_id),
        ciphertext_for_recipient: None,
    })
}

/// `GenerateDataKey` without the plaintext in the answer.
pub(crate) async fn generate_data_key_without_plaintext(
    ctx: &Ctx<'_>,
    input: GenerateDataKeyWithoutPlaintextRequest,
) -> Result<GenerateDataKeyWithoutPlaintextResponse, KmsError> {
    let GenerateDataKeyWithoutPlaintextRequest {
        dry_run,
        encryption_context,
        grant_tokens,
        key_id,
        key_spec,
        number_of_bytes,
    } = input;
    let request = GenerateDataKeyRequest {
        dry_run,
        encryption_context,
        grant_tokens,
        key_id,
        key_spec,
        number_of_bytes,
        recipient: None,
    };
    let out = generate_data_key(ctx, request).await?;
    Ok(GenerateDataKeyWithoutPlaintextResponse {
        ciphertext_blob: out.ciphertext_blob,
        key_id: out.key_id,
        key_material_id: out.key_material_id,
    })
}

/// The public id of a key's current material.
pub(crate) async fn current_material_id(env: &Env, key: &Key) -> Result<String, KmsError> {
    let mut conn = env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    Ok(store::kms::get_material(&mut conn, &key.key_id, key.current_version)
        .await?
        .map(|m| m.material_id)
        .unwrap_or_default())
}

pub(crate) async fn authorize_re_encrypt(ctx: &Ctx<'_>, input: &ReEncryptRequest) -> Result<Authorization, KmsError> {
    let blob = required_blob(input.ciphertext_blob.as_ref())?;
    let (source, _) = source_key(ctx, &blob, input.source_key_id.as_deref()).await?;
    let destination = keys::resolve(ctx.env, ctx.account(), ctx.region, &input.destination_key_id, true).await?;
    let source_ref = input.source_key_id.as_deref().unwrap_or_default();
    Ok(Authorization::All(vec![
        request_check(ctx, "kms:ReEncryptFrom", &source, source_ref, input.source_encryption_context.as_ref()),
        request_check(
            ctx,
            "kms:ReEncryptTo",
            &destination,
            &input.destination_key_id,
            input.destination_encryption_context.as_ref(),
        ),
    ]))
}

pub(crate) async fn re_encrypt(ctx: &Ctx<'_>, input: ReEncryptRequest) -> Result<ReEncryptResponse, KmsError> {
    let blob = required_blob(input.ciphertext_blob.as_ref())?;
    require_algorithm(input.source_encryption_algorithm.as_deref())?;
    require_algorithm(input.destination_encryption_algorithm.as_deref())?;
    let (source, origin) = source_key(ctx, &blob, input.source_key_id.as_deref()).await?;
    let destination = keys::resolve(ctx.env, ctx.account(), ctx.region, &input.destination_key_id, true).await?;
    keys::require_enabled(&source)?;
    keys::require_enabled(&destination)?;
    dry_run(input.dry_run)?;
    let source_context = input.source_encryption_context.unwrap_or_default();
    let (plaintext, source_material) = decrypt_with(ctx.env, &source, &origin, &blob, &source_context).await?;
    let destination_context = input.destination_encryption_context.unwrap_or_default();
    let sealed = encrypt_with(ctx.env, &destination, &plaintext, &destination_context).await?;
    let destination_material = current_material_id(ctx.env, &destination).await?;
    Ok(ReEncryptResponse {
        ciphertext_blob: Some(b64(&sealed)),
        source_key_id: Some(source.arn),
        key_id: Some(destination.arn),
        source_encryption_algorithm: Some(SYMMETRIC_DEFAULT.to_owned()),
        destination_encryption_algorithm: Some(SYMMETRIC_DEFAULT.to_owned()),
        source_key_material_id: Some(source_material),
        destination_key_material_id: Some(destination_material),
    })
}

pub(crate) fn generate_random(
    ctx: &Ctx<'_>,
    input: &GenerateRandomRequest,
) -> Result<GenerateRandomResponse, KmsError> {
    if input.custom_key_store_id.is_some() {
        return Err(KmsError::Unsupported("Custom key stores are not supported.".into()));
    }
    let n = input.number_of_bytes.ok_or_else(|| KmsError::validation("NumberOfBytes is required."))?;
    // The wire layer holds NumberOfBytes to 1..=1024.
    let n = usize::try_from(n).map_err(|_| KmsError::validation("NumberOfBytes must be positive."))?;
    let mut bytes = Zeroizing::new(vec![0u8; n]);
    ctx.env.rng.fill(&mut bytes);
    Ok(GenerateRandomResponse { plaintext: Some(b64(&bytes)), ciphertext_for_recipient: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_key_length_follows_key_spec_or_number_of_bytes() {
        assert_eq!(data_key_len(Some("AES_256"), None).unwrap(), 32);
        assert_eq!(data_key_len(Some("AES_128"), None).unwrap(), 16);
        assert_eq!(data_key_len(None, Some(64)).unwrap(), 64);
        for (spec, n) in [(None, None), (Some("AES_256"), Some(32))] {
            let e = data_key_len(spec, n).unwrap_err();
            assert_eq!(e.to_string(), "Please specify either number of bytes or key spec.");
        }
    }

    #[test]
    fn only_the_symmetric_algorithm_is_accepted() {
        assert!(require_algorithm(None).is_ok());
        assert!(require_algorithm(Some("SYMMETRIC_DEFAULT")).is_ok());
        let e = require_algorithm(Some("RSAES_OAEP_SHA_256")).unwrap_err();
        assert_eq!(e.to_string(), "Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT.");
    }
}
