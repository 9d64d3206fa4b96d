//! AWS Key Management Service (awsJson1_1, `TrentService`): symmetric encryption keys.
//!
//! Key material never leaves the store unsealed (see `crypto::kms`); ciphertext blobs name
//! their key only inside a sealed header. Every operation declares its key as the resource,
//! with the key policy attached in `Required` mode, so IAM and the key policy decide together
//! as in AWS. Other services (SSM, SQS, Lambda) use keys through the core's
//! [`Keys`](aws_core::ports::Keys) port, which [`KmsKeys`] implements, never over HTTP.

pub mod ops;
pub use ops::Op;
mod aliases;
mod cipher;
mod error;
mod jobs;
mod keys;
mod manage;
mod port;

/// KMS's service model (generated from botocore by `tools/gen-models.py`).
pub static MODEL: std::sync::LazyLock<wire::ServiceModel> =
    std::sync::LazyLock::new(|| aws_core::models::load("kms", include_str!("../models/kms.json")));

use aws_core::error::Flavor;
use aws_core::service::{self, Authorization, Check, Ctx, Request as _, Service};
use ops::Request;
use serde_json::Value;

pub use error::KmsError;
pub use jobs::KeyLifecycle;
pub use port::KmsKeys;

/// The job that deletes a key when its waiting period ends; payload `{"key_id": ...}`.
pub const DELETE_JOB: &str = "kms.delete-key";
/// The job that rotates a key's material automatically; payload `{"key_id": ...}`.
pub const ROTATE_JOB: &str = "kms.rotate-key";

pub(crate) use aws_core::service::epoch_seconds;

/// The KMS service.
#[derive(Debug, Default)]
pub struct Kms;

/// The answer of an operation whose model has no output, once it has run.
fn empty((): ()) -> Value {
    Value::Object(serde_json::Map::new())
}

#[async_trait::async_trait]
impl Service for Kms {
    type Request = Request;
    type Error = KmsError;

    fn signing_name(&self) -> &'static str {
        "kms"
    }

    fn model(&self) -> &'static wire::ServiceModel {
        &crate::MODEL
    }

    fn flavor(&self) -> Flavor {
        Flavor::Json
    }

    async fn authorize(&self, ctx: &Ctx<'_>, request: &Request) -> Result<Authorization, KmsError> {
        match request {
            Request::CreateKey(input) => Ok(manage::authorize_create(input)),
            Request::ListKeys(_) => Ok(Authorization::one(Check::new("kms:ListKeys", "*"))),
            Request::ListAliases(_) => Ok(Authorization::one(Check::new("kms:ListAliases", "*"))),
            Request::GenerateRandom(_) => Ok(Authorization::one(Check::new("kms:GenerateRandom", "*"))),
            Request::CreateAlias(input) => aliases::authorize_create(ctx, input).await,
            Request::UpdateAlias(input) => aliases::authorize_update(ctx, input).await,
            Request::DeleteAlias(input) => aliases::authorize_delete(ctx, input).await,
            Request::Encrypt(input) => cipher::authorize_encrypt(ctx, input).await,
            Request::Decrypt(input) => cipher::authorize_decrypt(ctx, input).await,
            Request::GenerateDataKey(input) => {
                let context = input.encryption_context.as_ref();
                cipher::authorize_data_key(ctx, "kms:GenerateDataKey", &input.key_id, context).await
            }
            Request::GenerateDataKeyWithoutPlaintext(input) => {
                let context = input.encryption_context.as_ref();
                cipher::authorize_data_key(ctx, "kms:GenerateDataKeyWithoutPlaintext", &input.key_id, context).await
            }
            Request::ReEncrypt(input) => cipher::authorize_re_encrypt(ctx, input).await,
            Request::CancelKeyDeletion(ops::CancelKeyDeletionRequest { key_id })
            | Request::DescribeKey(ops::DescribeKeyRequest { key_id, .. })
            | Request::DisableKey(ops::DisableKeyRequest { key_id })
            | Request::DisableKeyRotation(ops::DisableKeyRotationRequest { key_id })
            | Request::EnableKey(ops::EnableKeyRequest { key_id })
            | Request::EnableKeyRotation(ops::EnableKeyRotationRequest { key_id, .. })
            | Request::GetKeyPolicy(ops::GetKeyPolicyRequest { key_id, .. })
            | Request::GetKeyRotationStatus(ops::GetKeyRotationStatusRequest { key_id })
            | Request::ListKeyPolicies(ops::ListKeyPoliciesRequest { key_id, .. })
            | Request::ListKeyRotations(ops::ListKeyRotationsRequest { key_id, .. })
            | Request::ListResourceTags(ops::ListResourceTagsRequest { key_id, .. })
            | Request::PutKeyPolicy(ops::PutKeyPolicyRequest { key_id, .. })
            | Request::RotateKeyOnDemand(ops::RotateKeyOnDemandRequest { key_id })
            | Request::ScheduleKeyDeletion(ops::ScheduleKeyDeletionRequest { key_id, .. })
            | Request::TagResource(ops::TagResourceRequest { key_id, .. })
            | Request::UntagResource(ops::UntagResourceRequest { key_id, .. })
            | Request::UpdateKeyDescription(ops::UpdateKeyDescriptionRequest { key_id, .. }) => {
                manage::authorize_on_key(ctx, request.op(), key_id).await
            }
        }
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: Request) -> Result<Value, KmsError> {
        Ok(match request {
            Request::CreateKey(input) => service::output(&manage::create_key(ctx, input).await?)?,
            Request::DescribeKey(input) => service::output(&manage::describe_key(ctx, input).await?)?,
            Request::ListKeys(input) => service::output(&manage::list_keys(ctx, input).await?)?,
            Request::UpdateKeyDescription(input) => empty(manage::update_key_description(ctx, input).await?),
            Request::EnableKey(input) => empty(manage::enable_key(ctx, input).await?),
            Request::DisableKey(input) => empty(manage::disable_key(ctx, input).await?),
            Request::ScheduleKeyDeletion(input) => service::output(&manage::schedule_key_deletion(ctx, input).await?)?,
            Request::CancelKeyDeletion(input) => service::output(&manage::cancel_key_deletion(ctx, input).await?)?,
            Request::EnableKeyRotation(input) => empty(manage::enable_key_rotation(ctx, input).await?),
            Request::DisableKeyRotation(input) => empty(manage::disable_key_rotation(ctx, input).await?),
            Request::GetKeyRotationStatus(input) => {
                service::output(&manage::get_key_rotation_status(ctx, input).await?)?
            }
            Request::RotateKeyOnDemand(input) => service::output(&manage::rotate_key_on_demand(ctx, input).await?)?,
            Request::ListKeyRotations(input) => service::output(&manage::list_key_rotations(ctx, input).await?)?,
            Request::GetKeyPolicy(input) => service::output(&manage::get_key_policy(ctx, input).await?)?,
            Request::PutKeyPolicy(input) => empty(manage::put_key_policy(ctx, input).await?),
            Request::ListKeyPolicies(input) => service::output(&manage::list_key_policies(ctx, input).await?)?,
            Request::TagResource(input) => empty(manage::tag_resource(ctx, input).await?),
            Request::UntagResource(input) => empty(manage::untag_resource(ctx, input).await?),
            Request::ListResourceTags(input) => service::output(&manage::list_resource_tags(ctx, input).await?)?,
            Request::CreateAlias(input) => empty(aliases::create_alias(ctx, input).await?),
            Request::UpdateAlias(input) => empty(aliases::update_alias(ctx, input).await?),
            Request::DeleteAlias(input) => empty(aliases::delete_alias(ctx, input).await?),
            Request::ListAliases(input) => service::output(&aliases::list_aliases(ctx, input).await?)?,
            Request::Encrypt(input) => service::output(&cipher::encrypt(ctx, input).await?)?,
            Request::Decrypt(input) => service::output(&cipher::decrypt(ctx, input).await?)?,
            Request::GenerateDataKey(input) => service::output(&cipher::generate_data_key(ctx, input).await?)?,
            Request::GenerateDataKeyWithoutPlaintext(input) => {
                service::output(&cipher::generate_data_key_without_plaintext(ctx, input).await?)?
            }
            Request::ReEncrypt(input) => service::output(&cipher::re_encrypt(ctx, input).await?)?,
            Request::GenerateRandom(input) => service::output(&cipher::generate_random(ctx, &input)?)?,
        })
    }
}
