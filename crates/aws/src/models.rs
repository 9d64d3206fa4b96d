//! The AWS service models (generated from botocore by `tools/gen-models.py`), parsed once.

use std::sync::LazyLock;
use wire::ServiceModel;

fn load(name: &str, json: &str) -> ServiceModel {
    // The models are compiled in and checked by the tests; a failure here is a build defect.
    ServiceModel::from_json(json).unwrap_or_else(|e| panic!("the embedded {name} model does not parse: {e}"))
}

/// IAM.
pub static IAM: LazyLock<ServiceModel> = LazyLock::new(|| load("iam", include_str!("../models/iam.json")));
/// STS.
pub static STS: LazyLock<ServiceModel> = LazyLock::new(|| load("sts", include_str!("../models/sts.json")));
/// KMS.
pub static KMS: LazyLock<ServiceModel> = LazyLock::new(|| load("kms", include_str!("../models/kms.json")));
/// SSM.
pub static SSM: LazyLock<ServiceModel> = LazyLock::new(|| load("ssm", include_str!("../models/ssm.json")));
/// EventBridge.
pub static EVENTS: LazyLock<ServiceModel> = LazyLock::new(|| load("events", include_str!("../models/events.json")));
/// SNS.
pub static SNS: LazyLock<ServiceModel> = LazyLock::new(|| load("sns", include_str!("../models/sns.json")));
/// SQS.
pub static SQS: LazyLock<ServiceModel> = LazyLock::new(|| load("sqs", include_str!("../models/sqs.json")));
/// AWS Organizations.
pub static ORGANIZATIONS: LazyLock<ServiceModel> =
    LazyLock::new(|| load("organizations", include_str!("../models/organizations.json")));
/// CloudWatch Logs.
pub static LOGS: LazyLock<ServiceModel> = LazyLock::new(|| load("logs", include_str!("../models/logs.json")));
/// AWS Lambda.
pub static LAMBDA: LazyLock<ServiceModel> = LazyLock::new(|| load("lambda", include_str!("../models/lambda.json")));
/// AWS CloudFormation.
pub static CLOUDFORMATION: LazyLock<ServiceModel> =
    LazyLock::new(|| load("cloudformation", include_str!("../models/cloudformation.json")));
/// SQS's Query API: the same model with the awsQuery wire names (derived by tools/gen-models.py).
pub static SQS_QUERY: LazyLock<ServiceModel> =
    LazyLock::new(|| load("sqs-query", include_str!("../models/sqs-query.json")));

#[cfg(test)]
mod tests {
    #[test]
    fn every_embedded_model_parses() {
        for model in [
            &super::IAM,
            &super::STS,
            &super::KMS,
            &super::SSM,
            &super::EVENTS,
            &super::SNS,
            &super::SQS,
            &super::SQS_QUERY,
            &super::ORGANIZATIONS,
            &super::LOGS,
            &super::LAMBDA,
            &super::CLOUDFORMATION,
        ] {
            assert!(model.operation_names().next().is_some());
        }
    }
}
