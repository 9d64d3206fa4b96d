//! AWS Systems Manager Parameter Store (awsJson1_1, `AmazonSSM`).
//!
//! SecureString values are stored only as KMS ciphertext and decrypted through KMS (an
//! in-process call, with the caller's `kms:*` permission on the key checked every time).
//! Parameter policies are scheduled as jobs on the server's clock; every change and every fired
//! policy puts an `aws.ssm` event in the outbox within the same transaction.

pub mod ops;
pub use ops::{Op, Request};
mod error;
mod events;
mod filters;
mod names;
mod params;
mod policies;
mod secure;
mod settings;
mod tags;

/// SSM (Parameter Store)'s service model (generated from botocore by `tools/gen-models.py`).
pub static MODEL: std::sync::LazyLock<wire::ServiceModel> =
    std::sync::LazyLock::new(|| aws_core::models::load("ssm", include_str!("../models/ssm.json")));

use aws_core::error::Flavor;
use aws_core::service::{Authorization, Check, Ctx, Operation as _, Request as _, Service};
use serde_json::Value;

pub use error::SsmError;
pub use policies::{POLICY_JOB, PolicyJobs};

/// The Parameter Store service.
#[derive(Debug, Default)]
pub struct Ssm;

fn on(ctx: &Ctx<'_>, action: &str, reference: &str) -> Check {
    Check::new(action, params::arn_of(ctx, reference))
}

fn tagging(ctx: &Ctx<'_>, action: &str, resource_type: &str, resource_id: &str) -> Authorization {
    if resource_type == "Parameter" {
        Authorization::one(on(ctx, action, resource_id))
    } else {
        Authorization::one(Check::new(action, "*"))
    }
}

#[async_trait::async_trait]
impl Service for Ssm {
    type Request = Request;
    type Error = SsmError;

    fn signing_name(&self) -> &'static str {
        "ssm"
    }

    fn model(&self) -> &'static wire::ServiceModel {
        &crate::MODEL
    }

    fn flavor(&self) -> Flavor {
        Flavor::Json
    }

    async fn authorize(&self, ctx: &Ctx<'_>, request: &Request) -> Result<Authorization, SsmError> {
        Ok(match request {
            Request::PutParameter(input) => {
                let mut checks = vec![on(ctx, "ssm:PutParameter", &input.name)];
                if input.tags.as_ref().is_some_and(|t| !t.is_empty()) {
                    checks.push(on(ctx, "ssm:AddTagsToResource", &input.name));
                }
                Authorization::All(checks)
            }
            Request::GetParameter(input) => Authorization::one(on(ctx, "ssm:GetParameter", &input.name)),
            Request::GetParameters(input) => {
                Authorization::All(input.names.iter().map(|n| on(ctx, "ssm:GetParameters", n)).collect())
            }
            Request::GetParametersByPath(input) => {
                let recursive = input.recursive.unwrap_or(false);
                let check = on(ctx, "ssm:GetParametersByPath", &input.path)
                    .with_condition("ssm:Recursive", vec![if recursive { "Recursive" } else { "OneLevel" }.into()]);
                Authorization::one(check)
            }
            Request::DescribeParameters(_) => Authorization::one(Check::new("ssm:DescribeParameters", "*")),
            Request::GetParameterHistory(input) => Authorization::one(on(ctx, "ssm:GetParameterHistory", &input.name)),
            Request::LabelParameterVersion(input) => {
                Authorization::one(on(ctx, "ssm:LabelParameterVersion", &input.name))
            }
            Request::UnlabelParameterVersion(input) => {
                Authorization::one(on(ctx, "ssm:UnlabelParameterVersion", &input.name))
            }
            Request::DeleteParameter(input) => Authorization::one(on(ctx, "ssm:DeleteParameter", &input.name)),
            Request::DeleteParameters(input) => {
                Authorization::All(input.names.iter().map(|n| on(ctx, "ssm:DeleteParameters", n)).collect())
            }
            Request::AddTagsToResource(i) => tagging(ctx, "ssm:AddTagsToResource", &i.resource_type, &i.resource_id),
            Request::RemoveTagsFromResource(i) => {
                tagging(ctx, "ssm:RemoveTagsFromResource", &i.resource_type, &i.resource_id)
            }
            Request::ListTagsForResource(i) => {
                tagging(ctx, "ssm:ListTagsForResource", &i.resource_type, &i.resource_id)
            }
            Request::GetServiceSetting(input) => setting(ctx, request, &input.setting_id),
            Request::ResetServiceSetting(input) => setting(ctx, request, &input.setting_id),
            Request::UpdateServiceSetting(input) => setting(ctx, request, &input.setting_id),
        })
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: Request) -> Result<Value, SsmError> {
        match request {
            Request::PutParameter(input) => params::put_parameter(ctx, input).await,
            Request::GetParameter(input) => params::get_parameter(ctx, input).await,
            Request::GetParameters(input) => params::get_parameters(ctx, input).await,
            Request::GetParametersByPath(input) => params::get_parameters_by_path(ctx, input).await,
            Request::DescribeParameters(input) => params::describe_parameters(ctx, input).await,
            Request::GetParameterHistory(input) => params::get_parameter_history(ctx, input).await,
            Request::LabelParameterVersion(input) => params::label_parameter_version(ctx, input).await,
            Request::UnlabelParameterVersion(input) => params::unlabel_parameter_version(ctx, input).await,
            Request::DeleteParameter(input) => params::delete_parameter(ctx, input).await,
            Request::DeleteParameters(input) => params::delete_parameters(ctx, input).await,
            Request::AddTagsToResource(input) => tags::add_tags(ctx, input).await,
            Request::RemoveTagsFromResource(input) => tags::remove_tags(ctx, input).await,
            Request::ListTagsForResource(input) => tags::list_tags(ctx, input).await,
            Request::GetServiceSetting(input) => settings::get_service_setting(ctx, input).await,
            Request::UpdateServiceSetting(input) => settings::update_service_setting(ctx, input).await,
            Request::ResetServiceSetting(input) => settings::reset_service_setting(ctx, input).await,
        }
    }
}

/// A service-setting operation's check: `ssm:<operation>` on the setting.
fn setting(ctx: &Ctx<'_>, request: &Request, setting_id: &str) -> Authorization {
    Authorization::one(Check::new(format!("ssm:{}", request.op().name()), settings::resource(ctx, setting_id)))
}
