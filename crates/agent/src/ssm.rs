//! SSM Parameter Store through aws-sdk-ssm, with the standard AWS credential chain and
//! `AWS_ENDPOINT_URL` (real AWS, or spcred).

use crate::credentials::{Parameter, ParameterError, ParameterStore};
use aws_sdk_ssm::error::DisplayErrorContext;
use crypto::Secret;

/// GetParameters takes at most this many names.
const NAMES_PER_CALL: usize = 10;

/// The parameter store of an AWS account.
#[derive(Debug, Clone)]
pub struct SsmStore {
    client: aws_sdk_ssm::Client,
}

fn failed(e: impl std::error::Error) -> ParameterError {
    ParameterError(DisplayErrorContext(e).to_string())
}

fn parameter(p: &aws_sdk_ssm::types::Parameter, decrypt: bool) -> Option<Parameter> {
    Some(Parameter {
        name: p.name()?.to_owned(),
        version: p.version(),
        value: if decrypt { Some(Secret::new(p.value()?)) } else { None },
    })
}

/// Logs which source of the standard chain gave the AWS credentials, or why none did. The SDK's
/// `Debug` of credentials names the provider and the access key id and redacts the secret.
pub async fn log_credential_source(config: &aws_config::SdkConfig) {
    use aws_sdk_ssm::config::ProvideCredentials as _;
    match config.credentials_provider() {
        None => tracing::warn!("no AWS credential provider is configured"),
        Some(provider) => match provider.provide_credentials().await {
            Ok(credentials) => tracing::info!(?credentials, "AWS credentials"),
            Err(e) => tracing::warn!(error = %e, "the standard AWS credential chain gave no credentials"),
        },
    }
}

impl SsmStore {
    /// A store reached with `config` (from `aws_config::load_defaults`).
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self { client: aws_sdk_ssm::Client::new(config) }
    }

    /// Writes `value` as a new version of the SecureString `name` under `key_id` (the
    /// account's default key when `None`); its version.
    pub async fn put_secret(
        &self,
        name: &str,
        value: &Secret,
        description: &str,
        key_id: Option<&str>,
    ) -> Result<i64, ParameterError> {
        let out = self
            .client
            .put_parameter()
            .name(name)
            .value(value.expose())
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .overwrite(true)
            .description(description)
            .set_key_id(key_id.map(str::to_owned))
            .send()
            .await
            .map_err(failed)?;
        Ok(out.version())
    }

    /// What DescribeParameters says of `name`, if it exists.
    pub async fn describe(&self, name: &str) -> Result<Option<Described>, ParameterError> {
        let filter = aws_sdk_ssm::types::ParameterStringFilter::builder()
            .key("Name")
            .option("Equals")
            .values(name)
            .build()
            .map_err(failed)?;
        let out = self.client.describe_parameters().parameter_filters(filter).send().await.map_err(failed)?;
        Ok(out.parameters().iter().find(|p| p.name() == Some(name)).map(|p| Described {
            description: p.description().map(str::to_owned),
            key_id: p.key_id().map(str::to_owned),
            last_modified: p.last_modified_date().and_then(|d| jiff::Timestamp::from_second(d.secs()).ok()),
        }))
    }
}

/// A parameter's metadata.
#[derive(Debug, Clone, Default)]
pub struct Described {
    /// Its description.
    pub description: Option<String>,
    /// The KMS key of a SecureString.
    pub key_id: Option<String>,
    /// When its current version was written.
    pub last_modified: Option<jiff::Timestamp>,
}

#[async_trait::async_trait]
impl ParameterStore for SsmStore {
    async fn get(&self, names: &[String], decrypt: bool) -> Result<Vec<Parameter>, ParameterError> {
        let mut out = Vec::new();
        for chunk in names.chunks(NAMES_PER_CALL) {
            let answer = self
                .client
                .get_parameters()
                .set_names(Some(chunk.to_vec()))
                .with_decryption(decrypt)
                .send()
                .await
                .map_err(failed)?;
            out.extend(answer.parameters().iter().filter_map(|p| parameter(p, decrypt)));
        }
        Ok(out)
    }

    async fn under(&self, prefix: &str, decrypt: bool) -> Result<Vec<Parameter>, ParameterError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .get_parameters_by_path()
            .path(prefix.trim_end_matches('/'))
            .recursive(true)
            .with_decryption(decrypt)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            out.extend(page.map_err(failed)?.parameters().iter().filter_map(|p| parameter(p, decrypt)));
        }
        Ok(out)
    }
}
