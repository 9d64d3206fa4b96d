//! The AWS clients, built from the standard chain (credentials, region, `AWS_ENDPOINT_URL`), and
//! AWS errors reduced to what the commands report.

use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::fmt;

/// One client per service, all from one SDK configuration.
#[derive(Debug, Clone)]
pub struct Clients {
    /// IAM.
    pub iam: aws_sdk_iam::Client,
    /// STS.
    pub sts: aws_sdk_sts::Client,
    /// KMS.
    pub kms: aws_sdk_kms::Client,
    /// SSM Parameter Store.
    pub ssm: aws_sdk_ssm::Client,
    /// SNS.
    pub sns: aws_sdk_sns::Client,
    /// EventBridge.
    pub events: aws_sdk_eventbridge::Client,
    /// SQS.
    pub sqs: aws_sdk_sqs::Client,
    /// CloudWatch Logs.
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// The region the regional resources live in.
    pub region: String,
    config: aws_config::SdkConfig,
}

impl Clients {
    /// Clients from the standard chain: environment, shared config and credentials files,
    /// profiles, SSO, IMDS; `AWS_ENDPOINT_URL` (and the per-service variables) redirect them.
    pub async fn from_env() -> Result<Self, AwsError> {
        let config = aws_config::load_from_env().await;
        agent::ssm::log_credential_source(&config).await;
        Self::from_config(config)
    }

    /// Clients from `config`.
    pub fn from_config(config: aws_config::SdkConfig) -> Result<Self, AwsError> {
        let region = config.region().map(ToString::to_string).ok_or_else(|| AwsError {
            operation: "configuration",
            code: None,
            message: "no AWS region: set AWS_REGION or a region in the profile".into(),
        })?;
        Ok(Self {
            iam: aws_sdk_iam::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            kms: aws_sdk_kms::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            events: aws_sdk_eventbridge::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            region,
            config,
        })
    }

    /// The same endpoint and region with other credentials (the IAM user's, to assume the role
    /// as it would).
    pub fn sts_as(&self, access_key_id: &str, secret_access_key: &str) -> aws_sdk_sts::Client {
        let credentials =
            aws_sdk_sts::config::Credentials::new(access_key_id, secret_access_key, None, None, "spcred-setup");
        let config = aws_sdk_sts::config::Builder::from(&self.config).credentials_provider(credentials).build();
        aws_sdk_sts::Client::from_conf(config)
    }
}

/// A failed AWS call: the operation, AWS's error code and message.
#[derive(Debug, Clone)]
pub struct AwsError {
    /// The operation, as AWS names it.
    pub operation: &'static str,
    /// AWS's error code, when the service answered.
    pub code: Option<String>,
    /// The message.
    pub message: String,
}

impl AwsError {
    /// Whether AWS answered with one of `codes`.
    pub fn is(&self, codes: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|c| codes.contains(&c))
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} failed: {code}: {}", self.operation, self.message),
            None => write!(f, "{} failed: {}", self.operation, self.message),
        }
    }
}

impl std::error::Error for AwsError {}

/// Maps an SDK error of `operation` to an [`AwsError`].
pub(crate) fn failed<E, R>(operation: &'static str) -> impl FnOnce(SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug,
{
    move |e| match e.code() {
        Some(code) => {
            AwsError { operation, code: Some(code.to_owned()), message: e.message().unwrap_or_default().to_owned() }
        }
        None => AwsError { operation, code: None, message: DisplayErrorContext(&e).to_string() },
    }
}

/// `Ok(None)` when AWS said the thing does not exist (one of `codes`).
pub(crate) fn absent<T>(result: Result<T, AwsError>, codes: &[&str]) -> Result<Option<T>, AwsError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is(codes) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The codes with which each service says "no such thing".
pub(crate) mod missing {
    /// IAM.
    pub const IAM: &[&str] = &["NoSuchEntity"];
    /// SSM.
    pub const SSM: &[&str] = &["ParameterNotFound"];
    /// EventBridge.
    pub const EVENTS: &[&str] = &["ResourceNotFoundException"];
    /// SNS.
    pub const SNS: &[&str] = &["NotFound"];
    /// SQS, in its JSON and its Query spelling.
    pub const SQS: &[&str] = &["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"];
}
