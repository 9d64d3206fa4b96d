//! AWS Systems Manager Parameter Store (awsJson1_1, `AmazonSSM`).
//!
//! SecureString values are stored only as KMS ciphertext and decrypted through KMS (an
//! in-process call, with the caller's `kms:*` permission on the key checked every time).
//! Parameter policies are scheduled as jobs on the server's clock; every change and every fired
//! policy puts an `aws.ssm` event in the outbox within the same transaction.

pub mod ops;
pub use ops::Op;
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
use aws_core::service::{self, Authorization, Check, Ctx, Operation as _, Service};
use serde_json::Value;

pub use error::SsmError;
pub use policies::{POLICY_JOB, PolicyJobs};

/// The Parameter Store service.
#[derive(Debug, Default)]
pub struct Ssm;

fn on(ctx: &Ctx<'_>, action: &str, reference: &str) -> Check {
    Check::new(action, params::arn_of(ctx, reference))
}

fn tagging(ctx: &Ctx<'_>, action: &str, input: &tags::ResourceInput) -> Authorization {
    if input.resource_type == "Parameter" {
        Authorization::one(on(ctx, action, &input.resource_id))
    } else {
        Authorization::one(Check::new(action, "*"))
    }
}

#[async_trait::async_trait]
impl Service for Ssm {
    type Request = aws_core::service::Untyped<Op>;
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

    async fn authorize(
        &self,
        ctx: &Ctx<'_>,
        request: &aws_core::service::Untyped<Op>,
    ) -> Result<Authorization, SsmError> {
        let (op, input) = (request.op, &request.input);
        let input = input.clone();
        Ok(match op {
            Op::PutParameter => {
                let input: params::PutInput = service::input(input)?;
                let mut checks = vec![on(ctx, "ssm:PutParameter", &input.name)];
                if !input.tags.is_empty() {
                    checks.push(on(ctx, "ssm:AddTagsToResource", &input.name));
                }
                Authorization::All(checks)
            }
            Op::GetParameter => {
                let input: params::GetInput = service::input(input)?;
                Authorization::one(on(ctx, "ssm:GetParameter", &input.name))
            }
            Op::GetParameters => {
                let input: params::GetManyInput = service::input(input)?;
                Authorization::All(input.names.iter().map(|n| on(ctx, "ssm:GetParameters", n)).collect())
            }
            Op::GetParametersByPath => {
                let input: params::ByPathInput = service::input(input)?;
                let check = on(ctx, "ssm:GetParametersByPath", &input.path).with_condition(
                    "ssm:Recursive",
                    vec![if input.recursive { "Recursive" } else { "OneLevel" }.into()],
                );
                Authorization::one(check)
            }
            Op::DescribeParameters => Authorization::one(Check::new("ssm:DescribeParameters", "*")),
            Op::GetParameterHistory => {
                let input: params::HistoryInput = service::input(input)?;
                Authorization::one(on(ctx, "ssm:GetParameterHistory", &input.name))
            }
            Op::LabelParameterVersion => {
                let input: params::LabelInput = service::input(input)?;
                Authorization::one(on(ctx, "ssm:LabelParameterVersion", &input.name))
            }
            Op::UnlabelParameterVersion => {
                let input: params::UnlabelInput = service::input(input)?;
                Authorization::one(on(ctx, "ssm:UnlabelParameterVersion", &input.name))
            }
            Op::DeleteParameter => {
                let input: params::DeleteInput = service::input(input)?;
                Authorization::one(on(ctx, "ssm:DeleteParameter", &input.name))
            }
            Op::DeleteParameters => {
                let input: params::DeleteManyInput = service::input(input)?;
                Authorization::All(input.names.iter().map(|n| on(ctx, "ssm:DeleteParameters", n)).collect())
            }
            Op::AddTagsToResource => tagging(ctx, "ssm:AddTagsToResource", &service::input(input)?),
            Op::RemoveTagsFromResource => tagging(ctx, "ssm:RemoveTagsFromResource", &service::input(input)?),
            Op::ListTagsForResource => tagging(ctx, "ssm:ListTagsForResource", &service::input(input)?),
            Op::GetServiceSetting | Op::ResetServiceSetting => {
                let input: settings::SettingInput = service::input(input)?;
                Authorization::one(Check::new(format!("ssm:{}", op.name()), settings::resource(ctx, &input.setting_id)))
            }
            Op::UpdateServiceSetting => {
                let input: settings::UpdateInput = service::input(input)?;
                Authorization::one(Check::new("ssm:UpdateServiceSetting", settings::resource(ctx, &input.setting_id)))
            }
        })
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: aws_core::service::Untyped<Op>) -> Result<Value, SsmError> {
        let aws_core::service::Untyped { op, input } = request;
        match op {
            Op::PutParameter => params::put_parameter(ctx, service::input(input)?).await,
            Op::GetParameter => params::get_parameter(ctx, service::input(input)?).await,
            Op::GetParameters => params::get_parameters(ctx, service::input(input)?).await,
            Op::GetParametersByPath => params::get_parameters_by_path(ctx, service::input(input)?).await,
            Op::DescribeParameters => params::describe_parameters(ctx, service::input(input)?).await,
            Op::GetParameterHistory => params::get_parameter_history(ctx, service::input(input)?).await,
            Op::LabelParameterVersion => params::label_parameter_version(ctx, service::input(input)?).await,
            Op::UnlabelParameterVersion => params::unlabel_parameter_version(ctx, service::input(input)?).await,
            Op::DeleteParameter => params::delete_parameter(ctx, service::input(input)?).await,
            Op::DeleteParameters => params::delete_parameters(ctx, service::input(input)?).await,
            Op::AddTagsToResource => tags::add_tags(ctx, service::input(input)?).await,
            Op::RemoveTagsFromResource => tags::remove_tags(ctx, service::input(input)?).await,
            Op::ListTagsForResource => tags::list_tags(ctx, service::input(input)?).await,
            Op::GetServiceSetting => settings::get_service_setting(ctx, service::input(input)?).await,
            Op::UpdateServiceSetting => settings::update_service_setting(ctx, service::input(input)?).await,
            Op::ResetServiceSetting => settings::reset_service_setting(ctx, service::input(input)?).await,
        }
    }
}
