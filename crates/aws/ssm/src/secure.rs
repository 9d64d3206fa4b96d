//! SecureString values: stored only as KMS ciphertext, encrypted and decrypted through KMS on
//! the caller's behalf, with the caller's permission on the key checked each time.
//!
//! As in AWS, a standard parameter is encrypted by KMS directly (`kms:Encrypt`), an advanced one
//! (up to 8 KB, beyond KMS's 4 KB) under a data key from `GenerateDataKey` that KMS wraps
//! (`kms:GenerateDataKey`); both need `kms:Decrypt` to read. The encryption context is always
//! `{"PARAMETER_ARN": <the parameter's ARN>}`.

use super::error::SsmError;
use aws_core::ports::{KeyError, Keys};
use aws_core::service::Ctx;
use crypto::DataKey;
use crypto::kms::EncryptionContext;
use store::kms::Key;
use zeroize::Zeroizing;

/// The first byte of an advanced parameter's envelope (a KMS blob starts with 1).
const ENVELOPE_V2: u8 = 2;

fn context(arn: &str) -> EncryptionContext {
    [("PARAMETER_ARN".to_owned(), arn.to_owned())].into_iter().collect()
}

async fn authorize(
    ctx: &Ctx<'_>,
    keys: &dyn Keys,
    action: &str,
    key: &Key,
    context: &EncryptionContext,
) -> Result<(), SsmError> {
    ctx.authorize(keys.check(ctx, action, key, context, "ssm"))
        .await
        .map_err(|e| SsmError::from_kms(e.into(), &ctx.env.ids.uuid()))
}

fn kms(ctx: &Ctx<'_>) -> impl Fn(KeyError) -> SsmError {
    let request_id = ctx.env.ids.uuid();
    move |e| SsmError::from_kms(e, &request_id)
}

/// Encrypts `plaintext` for the parameter `arn` under `key`.
pub(crate) async fn encrypt(
    ctx: &Ctx<'_>,
    key: &Key,
    arn: &str,
    advanced: bool,
    plaintext: &str,
) -> Result<Vec<u8>, SsmError> {
    let context = context(arn);
    let keys = ctx.env.port::<dyn Keys>()?;
    if !advanced {
        authorize(ctx, keys.as_ref(), "kms:Encrypt", key, &context).await?;
        return keys.encrypt(ctx.env, key, plaintext.as_bytes(), &context).await.map_err(kms(ctx));
    }
    authorize(ctx, keys.as_ref(), "kms:GenerateDataKey", key, &context).await?;
    let (data_key, wrapped) =
        keys.generate_data_key(ctx.env, key, crypto::KEY_LEN, &context).await.map_err(kms(ctx))?;
    let data_key = DataKey::from_bytes(&data_key).map_err(|_| SsmError::Common(aws_core::CommonError::Internal))?;
    let sealed = data_key.seal(ctx.env.rng.as_ref(), plaintext.as_bytes(), arn.as_bytes());
    let wrapped_len = u16::try_from(wrapped.len()).map_err(|_| SsmError::Common(aws_core::CommonError::Internal))?;
    let mut blob = Vec::with_capacity(3 + wrapped.len() + sealed.len());
    blob.push(ENVELOPE_V2);
    blob.extend_from_slice(&wrapped_len.to_be_bytes());
    blob.extend_from_slice(&wrapped);
    blob.extend_from_slice(&sealed);
    Ok(blob)
}

/// Decrypts the value of parameter `arn`, sealed under `key`.
pub(crate) async fn decrypt(ctx: &Ctx<'_>, key: &Key, arn: &str, blob: &[u8]) -> Result<Zeroizing<String>, SsmError> {
    let context = context(arn);
    let keys = ctx.env.port::<dyn Keys>()?;
    authorize(ctx, keys.as_ref(), "kms:Decrypt", key, &context).await?;
    let (kms_blob, sealed) = match blob.split_first() {
        Some((&ENVELOPE_V2, rest)) => {
            let (len, rest) = rest.split_at_checked(2).ok_or_else(corrupt)?;
            let (wrapped, sealed) =
                rest.split_at_checked(usize::from(u16::from_be_bytes([len[0], len[1]]))).ok_or_else(corrupt)?;
            (wrapped, Some(sealed))
        }
        _ => (blob, None),
    };
    // The parameter records its key; the blob must agree (no need to look the key up again).
    let origin = keys.origin_of(ctx.env, kms_blob).map_err(kms(ctx))?;
    if origin.key_id != key.key_id {
        return Err(corrupt());
    }
    let plain = keys.decrypt(ctx.env, key, &origin, kms_blob, &context).await.map_err(kms(ctx))?;
    let plain = match sealed {
        None => plain,
        Some(sealed) => {
            let data_key = DataKey::from_bytes(&plain).map_err(|_| corrupt())?;
            data_key.open(sealed, arn.as_bytes()).map_err(|_| corrupt())?
        }
    };
    let text = std::str::from_utf8(&plain).map_err(|_| corrupt())?;
    Ok(Zeroizing::new(text.to_owned()))
}

fn corrupt() -> SsmError {
    tracing::error!("a stored SecureString does not decrypt; the store was altered");
    SsmError::Common(aws_core::CommonError::Internal)
}
