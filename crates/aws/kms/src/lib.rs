//! AWS Key Management Service (awsJson1_1, `TrentService`): symmetric encryption keys.
//!
//! Key material never leaves the store unsealed (see `crypto::kms`); ciphertext blobs name
//! their key only inside a sealed header. Every operation declares its key as the resource,
//! with the key policy attached in `Required` mode, so IAM and the key policy decide together
//! as in AWS. Other services (SSM) use keys through the crate-internal functions of
//! [`cipher`], never over HTTP.

pub mod ops;
pub use ops::Op;
mod aliases;
pub(crate) mod cipher;
mod error;
mod jobs;
pub(crate) mod keys;
mod manage;
mod port;

/// KMS's service model (generated from botocore by `tools/gen-models.py`).
pub static MODEL: std::sync::LazyLock<wire::ServiceModel> =
    std::sync::LazyLock::new(|| aws_core::models::load("kms", include_str!("../models/kms.json")));

use aws_core::error::Flavor;
use aws_core::service::{self, Authorization, Ctx, Service};
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

#[async_trait::async_trait]
impl Service for Kms {
    type Request = aws_core::service::Untyped<Op>;
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

    async fn authorize(
        &self,
        ctx: &Ctx<'_>,
        request: &aws_core::service::Untyped<Op>,
    ) -> Result<Authorization, KmsError> {
        let (op, input) = (request.op, &request.input);
        let input = input.clone();
        match op {
            Op::CreateKey => Ok(manage::authorize_create(&service::input(input)?)),
            Op::ListKeys => Ok(Authorization::one(service::Check::new("kms:ListKeys", "*"))),
            Op::ListAliases => Ok(Authorization::one(service::Check::new("kms:ListAliases", "*"))),
            Op::GenerateRandom => Ok(Authorization::one(service::Check::new("kms:GenerateRandom", "*"))),
            Op::CreateAlias => aliases::authorize_create(ctx, &service::input(input)?).await,
            Op::UpdateAlias => aliases::authorize_update(ctx, &service::input(input)?).await,
            Op::DeleteAlias => aliases::authorize_delete(ctx, &service::input(input)?).await,
            Op::Encrypt => cipher::authorize_encrypt(ctx, &service::input(input)?).await,
            Op::Decrypt => cipher::authorize_decrypt(ctx, &service::input(input)?).await,
            Op::GenerateDataKey => {
                cipher::authorize_data_key(ctx, "kms:GenerateDataKey", &service::input(input)?).await
            }
            Op::GenerateDataKeyWithoutPlaintext => {
                cipher::authorize_data_key(ctx, "kms:GenerateDataKeyWithoutPlaintext", &service::input(input)?).await
            }
            Op::ReEncrypt => cipher::authorize_re_encrypt(ctx, &service::input(input)?).await,
            Op::CancelKeyDeletion
            | Op::DescribeKey
            | Op::DisableKey
            | Op::DisableKeyRotation
            | Op::EnableKey
            | Op::EnableKeyRotation
            | Op::GetKeyPolicy
            | Op::GetKeyRotationStatus
            | Op::ListKeyPolicies
            | Op::ListKeyRotations
            | Op::ListResourceTags
            | Op::PutKeyPolicy
            | Op::RotateKeyOnDemand
            | Op::ScheduleKeyDeletion
            | Op::TagResource
            | Op::UntagResource
            | Op::UpdateKeyDescription => manage::authorize_on_key(ctx, op, &input).await,
        }
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: aws_core::service::Untyped<Op>) -> Result<Value, KmsError> {
        let aws_core::service::Untyped { op, input } = request;
        match op {
            Op::CreateKey => manage::create_key(ctx, service::input(input)?).await,
            Op::DescribeKey => manage::describe_key(ctx, service::input(input)?).await,
            Op::ListKeys => manage::list_keys(ctx, service::input(input)?).await,
            Op::UpdateKeyDescription => manage::update_key_description(ctx, service::input(input)?).await,
            Op::EnableKey => manage::enable_key(ctx, service::input(input)?).await,
            Op::DisableKey => manage::disable_key(ctx, service::input(input)?).await,
            Op::ScheduleKeyDeletion => manage::schedule_key_deletion(ctx, service::input(input)?).await,
            Op::CancelKeyDeletion => manage::cancel_key_deletion(ctx, service::input(input)?).await,
            Op::EnableKeyRotation => manage::enable_key_rotation(ctx, service::input(input)?).await,
            Op::DisableKeyRotation => manage::disable_key_rotation(ctx, service::input(input)?).await,
            Op::GetKeyRotationStatus => manage::get_key_rotation_status(ctx, service::input(input)?).await,
            Op::RotateKeyOnDemand => manage::rotate_key_on_demand(ctx, service::input(input)?).await,
            Op::ListKeyRotations => manage::list_key_rotations(ctx, service::input(input)?).await,
            Op::GetKeyPolicy => manage::get_key_policy(ctx, service::input(input)?).await,
            Op::PutKeyPolicy => manage::put_key_policy(ctx, service::input(input)?).await,
            Op::ListKeyPolicies => manage::list_key_policies(ctx, service::input(input)?).await,
            Op::TagResource => manage::tag_resource(ctx, service::input(input)?).await,
            Op::UntagResource => manage::untag_resource(ctx, service::input(input)?).await,
            Op::ListResourceTags => manage::list_resource_tags(ctx, service::input(input)?).await,
            Op::CreateAlias => aliases::create_alias(ctx, service::input(input)?).await,
            Op::UpdateAlias => aliases::update_alias(ctx, service::input(input)?).await,
            Op::DeleteAlias => aliases::delete_alias(ctx, service::input(input)?).await,
            Op::ListAliases => aliases::list_aliases(ctx, service::input(input)?).await,
            Op::Encrypt => cipher::encrypt(ctx, service::input(input)?).await,
            Op::Decrypt => cipher::decrypt(ctx, service::input(input)?).await,
            Op::GenerateDataKey => cipher::generate_data_key(ctx, service::input(input)?, true).await,
            Op::GenerateDataKeyWithoutPlaintext => cipher::generate_data_key(ctx, service::input(input)?, false).await,
            Op::ReEncrypt => cipher::re_encrypt(ctx, service::input(input)?).await,
            Op::GenerateRandom => cipher::generate_random(ctx, &service::input(input)?),
        }
    }
}
