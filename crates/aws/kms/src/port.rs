//! KMS as the services that use it see it: the core's [`Keys`] port.

use crate::{KmsError, cipher, keys};
use aws_core::caller::CallerKind;
use aws_core::env::Env;
use aws_core::ports::{KeyError, KeyFault, Keys};
use aws_core::service::{Check, Ctx};
use aws_core::{CommonError, ServiceError as _};
use crypto::kms::{BlobOrigin, EncryptionContext};
use store::kms::Key;
use zeroize::Zeroizing;

/// KMS's implementation of [`Keys`], wired by the composition root.
#[derive(Debug, Clone, Copy, Default)]
pub struct KmsKeys;

impl From<KmsError> for KeyError {
    fn from(e: KmsError) -> Self {
        let fault = match &e {
            KmsError::NotFound(_) => KeyFault::NotFound,
            KmsError::Disabled(_) => KeyFault::Disabled,
            KmsError::InvalidState(_) => KeyFault::InvalidState,
            KmsError::InvalidKeyUsage(_) => KeyFault::InvalidKeyUsage,
            KmsError::InvalidCiphertext => KeyFault::InvalidCiphertext,
            KmsError::Common(CommonError::AccessDenied(_)) => KeyFault::AccessDenied,
            KmsError::Common(_)
            | KmsError::IncorrectKey
            | KmsError::AlreadyExists(_)
            | KmsError::MalformedPolicyDocument(_)
            | KmsError::Unsupported(_)
            | KmsError::LimitExceeded(_)
            | KmsError::Tag(_)
            | KmsError::DryRun
            | KmsError::NotAuthorized => KeyFault::Other,
        };
        let common = if let KmsError::Common(c) = &e { Some(c.clone()) } else { None };
        KeyError { fault, code: e.code().to_owned(), message: e.to_string(), common }
    }
}

#[async_trait::async_trait]
impl Keys for KmsKeys {
    async fn resolve(
        &self,
        env: &Env,
        account: &str,
        region: &str,
        key_ref: Option<&str>,
        default_alias: &str,
    ) -> Result<Key, KeyError> {
        Ok(match key_ref {
            Some(r) => keys::resolve(env, account, region, r, true).await?,
            None => keys::ensure_managed(env, account, region, default_alias).await?,
        })
    }

    fn require_enabled(&self, key: &Key) -> Result<(), KeyError> {
        Ok(keys::require_enabled(key)?)
    }

    /// AWS evaluates `kms:ViaService` as `SERVICE.REGION.amazonaws.com`. A service principal
    /// (SNS delivering to an encrypted queue) calls KMS itself, not through the service, so its
    /// check has no `kms:ViaService`.
    fn check(&self, ctx: &Ctx<'_>, action: &str, key: &Key, context: &EncryptionContext, service: &str) -> Check {
        let check = cipher::with_context(keys::check(ctx, action, key), context);
        if matches!(ctx.caller.kind, CallerKind::Service { .. }) {
            return check;
        }
        check.with_condition("kms:ViaService", vec![format!("{service}.{}.amazonaws.com", ctx.region)])
    }

    async fn encrypt(
        &self,
        env: &Env,
        key: &Key,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KeyError> {
        Ok(cipher::encrypt_with(env, key, plaintext, context).await?)
    }

    async fn generate_data_key(
        &self,
        env: &Env,
        key: &Key,
        len: usize,
        context: &EncryptionContext,
    ) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), KeyError> {
        Ok(cipher::generate_data_key_with(env, key, len, context).await?)
    }

    fn origin_of(&self, env: &Env, blob: &[u8]) -> Result<BlobOrigin, KeyError> {
        Ok(cipher::origin_of(env, blob)?)
    }

    async fn key_of_blob(
        &self,
        env: &Env,
        account: &str,
        region: &str,
        blob: &[u8],
    ) -> Result<(Key, BlobOrigin), KeyError> {
        Ok(cipher::key_of_blob(env, account, region, blob).await?)
    }

    async fn decrypt(
        &self,
        env: &Env,
        key: &Key,
        origin: &BlobOrigin,
        blob: &[u8],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        Ok(cipher::decrypt_with(env, key, origin, blob, context).await?.0)
    }
}
