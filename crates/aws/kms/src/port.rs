//! KMS as the services that use it see it: the core's [`Keys`] port.

use crate::{KmsError, cipher, keys};
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
            _ => KeyFault::Other,
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

    fn check(&self, ctx: &Ctx<'_>, action: &str, key: &Key, context: &EncryptionContext, service: &str) -> Check {
        cipher::service_check(ctx, action, key, context, service)
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
