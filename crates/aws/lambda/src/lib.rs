//! AWS Lambda (restJson): functions deployed from a zip, their configuration and resource-based
//! policy, and invocations (RequestResponse, Event and DryRun) that run the handler with the
//! real Lambda runtime interface client under the execution role's temporary credentials.
//!
//! This module is Lambda's control plane and the invocation's bookkeeping (the code unsealed,
//! the variables decrypted, the role assumed, the log written to CloudWatch Logs). Running the
//! code is the [`Runner`]'s: the composition root wires one that starts a child process and
//! serves it the Lambda Runtime API.
//!
//! The deployment package is sealed under the at-rest key; the environment variables are a KMS
//! ciphertext under the function's key or the AWS managed key `aws/lambda`, with the encryption
//! context `LambdaFunctionName`, as Lambda keeps them.

pub mod ops;
pub use ops::Op;
mod error;
mod invoke;
mod port;
pub use port::LambdaFunctions;

pub use error::LambdaError;
pub use invoke::enqueue as enqueue_invocation;
pub use invoke::{AsyncInvoker, Execution, INVOKE_JOB, Outcome, Response, Runner, RunnerError};

/// AWS Lambda's service model (generated from botocore by `tools/gen-models.py`).
pub static MODEL: std::sync::LazyLock<wire::ServiceModel> =
    std::sync::LazyLock::new(|| aws_core::models::load("lambda", include_str!("../models/lambda.json")));

use aws_core::ports::{KeyError, Keys};
use aws_core::service::{Authorization, Check, Ctx, Service, output};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ops::{
    AddPermissionRequest, AddPermissionResponse, CreateFunctionRequest, DeleteFunctionResponse, EnvironmentError,
    EnvironmentResponse, EphemeralStorage, FunctionCodeLocation, FunctionConfiguration, GetFunctionResponse,
    GetPolicyResponse, ListFunctionsRequest, ListFunctionsResponse, LoggingConfig, RemovePermissionRequest, Request,
    SnapStartResponse, TracingConfigResponse, UpdateFunctionCodeRequest, UpdateFunctionConfigurationRequest,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use store::Scope;
use store::lambda as db;

/// Lambda's service principal (execution roles trust it; it writes the function's log).
pub const PRINCIPAL: &str = "lambda.amazonaws.com";
/// The largest zip taken in the request itself (AWS: 50 MB).
const ZIP_MAX: usize = 50 * 1024 * 1024;
/// Environment variables: at most 4 KB in all, as JSON.
const ENV_BYTES_MAX: usize = 4096;
/// Invocation payloads: 6 MB synchronous, 1 MB asynchronous.
const SYNC_PAYLOAD_MAX: usize = 6_291_456;
const ASYNC_PAYLOAD_MAX: usize = 1_048_576;
/// A resource-based policy may hold at most 20 KB.
const POLICY_BYTES_MAX: usize = 20_480;
/// ListFunctions pages: 50 by default, 10,000 at most.
const LIST_DEFAULT: i64 = 50;
const LIST_MAX: i64 = 10_000;
/// The Python runtimes spcred runs (with the configured interpreter).
const RUNTIMES: &[&str] = &["python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14"];
/// Variables Lambda sets itself, which a function may not.
const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];
/// The AWS managed key for environment variables.
const DEFAULT_KEY: &str = "alias/aws/lambda";

/// The Lambda service.
#[derive(Clone)]
pub struct Lambda {
    runner: Arc<dyn Runner>,
}

impl std::fmt::Debug for Lambda {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lambda").finish_non_exhaustive()
    }
}

impl Lambda {
    /// Lambda running functions with `runner`.
    pub fn new(runner: Arc<dyn Runner>) -> Self {
        Self { runner }
    }
}

#[async_trait::async_trait]
impl Service for Lambda {
    type Request = ops::Request;
    type Error = LambdaError;

    fn signing_name(&self) -> &'static str {
        "lambda"
    }

    fn model(&self) -> &'static wire::ServiceModel {
        &crate::MODEL
    }

    fn flavor(&self) -> aws_core::error::Flavor {
        aws_core::error::Flavor::Json
    }

    async fn authorize(&self, ctx: &Ctx<'_>, request: &Request) -> Result<Authorization, LambdaError> {
        use aws_core::service::{Operation, Request as _};
        let Some((raw, qualifier)) = target(request) else {
            return Ok(Authorization::one(Check::new("lambda:ListFunctions", "*")));
        };
        let name = function_name(ctx, raw, qualifier)?;
        let arn = function_arn(ctx, &name);
        let invoke = matches!(request, Request::Invoke(_));
        let action =
            if invoke { "lambda:InvokeFunction".to_owned() } else { format!("lambda:{}", request.op().name()) };
        let mut check = Check::new(action, arn);
        if invoke {
            // The function's resource-based policy takes part, as a queue's or a topic's does.
            let mut conn = ctx.env.store.read().await?;
            if let Some(policy) = db::get(&mut conn, scope(ctx), &name).await?.and_then(|f| f.policy) {
                check = check.with_resource_policy(policy, policy::ResourceMode::Optional);
            }
        }
        let mut checks = vec![check];
        // Handing a function its role is passing the role to Lambda.
        let role = match request {
            Request::CreateFunction(input) => Some(input.role.as_str()),
            Request::UpdateFunctionConfiguration(input) => input.role.as_deref(),
            _ => None,
        };
        if let Some(role) = role {
            checks.push(
                Check::new("iam:PassRole", role).with_condition("iam:PassedToService", vec![PRINCIPAL.to_owned()]),
            );
        }
        Ok(Authorization::All(checks))
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: Request) -> Result<Value, LambdaError> {
        let runner = self.runner.as_ref();
        let named = |raw: &str, qualifier: Option<&str>| Functions::named(ctx, raw, qualifier);
        Ok(match request {
            Request::ListFunctions(input) => output(&list(ctx, input).await?)?,
            Request::CreateFunction(input) => {
                let f = named(&input.function_name, None)?;
                output(&f.create(runner, input).await?)?
            }
            Request::GetFunction(input) => {
                output(&named(&input.function_name, input.qualifier.as_deref())?.get().await?)?
            }
            Request::GetFunctionConfiguration(input) => {
                let f = named(&input.function_name, input.qualifier.as_deref())?;
                let function = f.load().await?;
                output(&f.configuration(&function).await?)?
            }
            Request::UpdateFunctionCode(input) => {
                let f = named(&input.function_name, None)?;
                output(&f.update_code(runner, input).await?)?
            }
            Request::UpdateFunctionConfiguration(input) => {
                let f = named(&input.function_name, None)?;
                output(&f.update_configuration(input).await?)?
            }
            Request::DeleteFunction(input) => {
                output(&named(&input.function_name, input.qualifier.as_deref())?.delete().await?)?
            }
            Request::AddPermission(input) => {
                let f = named(&input.function_name, input.qualifier.as_deref())?;
                output(&f.add_permission(input).await?)?
            }
            Request::RemovePermission(input) => {
                let f = named(&input.function_name, input.qualifier.as_deref())?;
                f.remove_permission(&input).await?;
                json!({})
            }
            Request::GetPolicy(input) => {
                output(&named(&input.function_name, input.qualifier.as_deref())?.policy().await?)?
            }
            Request::Invoke(input) => {
                let f = named(&input.function_name, input.qualifier.as_deref())?;
                output(&invoke::invoke(ctx, runner, &f.name, input).await?)?
            }
        })
    }
}

/// The function a request names, and its qualifier; `None` for ListFunctions, which names none.
fn target(request: &Request) -> Option<(&str, Option<&str>)> {
    match request {
        Request::ListFunctions(_) => None,
        Request::CreateFunction(input) => Some((&input.function_name, None)),
        Request::UpdateFunctionCode(input) => Some((&input.function_name, None)),
        Request::UpdateFunctionConfiguration(input) => Some((&input.function_name, None)),
        Request::GetFunction(input) => Some((&input.function_name, input.qualifier.as_deref())),
        Request::GetFunctionConfiguration(input) => Some((&input.function_name, input.qualifier.as_deref())),
        Request::DeleteFunction(input) => Some((&input.function_name, input.qualifier.as_deref())),
        Request::AddPermission(input) => Some((&input.function_name, input.qualifier.as_deref())),
        Request::RemovePermission(input) => Some((&input.function_name, input.qualifier.as_deref())),
        Request::GetPolicy(input) => Some((&input.function_name, input.qualifier.as_deref())),
        Request::Invoke(input) => Some((&input.function_name, input.qualifier.as_deref())),
    }
}

/// `(region, account, name)` of an unqualified function ARN.
pub fn parse_function_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:lambda:")?;
    let (region, rest) = rest.split_once(':')?;
    let (account, name) = rest.split_once(":function:")?;
    (!name.is_empty() && !name.contains(':')).then_some((region, account, name))
}

/// Whether service `principal` (EventBridge for a rule, SNS for a topic: `source_arn`) may
/// invoke the function, as its resource-based policy decides. `Ok(false)`: no such function.
pub async fn authorize_service_invoke(
    env: &aws_core::env::Env,
    principal: &str,
    source_arn: &str,
    scope: Scope<'_>,
    name: &str,
) -> Result<bool, aws_core::CommonError> {
    let mut conn = env.store.read().await?;
    let Some(function) = db::get(&mut conn, scope, name).await? else { return Ok(false) };
    drop(conn);
    let source_account = source_arn.split(':').nth(4).unwrap_or_default().to_owned();
    let caller = aws_core::caller::Caller::service(principal, scope.account_id);
    let request_id = env.ids.uuid();
    let ctx = aws_core::service::internal_ctx(env, &request_id, &caller, scope.region);
    let arn = format!("arn:aws:lambda:{}:{}:function:{name}", scope.region, scope.account_id);
    let mut check = Check::new("lambda:InvokeFunction", arn)
        .with_condition("aws:SourceArn", vec![source_arn.to_owned()])
        .with_condition("aws:SourceAccount", vec![source_account]);
    if let Some(policy) = function.policy {
        check = check.with_resource_policy(policy, policy::ResourceMode::Optional);
    }
    ctx.authorize(check).await?;
    Ok(true)
}

fn scope<'a>(ctx: &'a Ctx<'_>) -> Scope<'a> {
    Scope { account_id: ctx.account(), region: ctx.region }
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME`.
fn function_arn(ctx: &Ctx<'_>, name: &str) -> String {
    format!("arn:aws:lambda:{}:{}:function:{name}", ctx.region, ctx.account())
}

/// The function a request names by `FunctionName`: a name, a full ARN or a partial one
/// (`ACCOUNT:function:NAME`), optionally qualified by `$LATEST`. A function of another account
/// or region is not found here.
fn function_name(ctx: &Ctx<'_>, raw: &str, given_qualifier: Option<&str>) -> Result<String, LambdaError> {
    let not_found = || LambdaError::NotFound(format!("Function not found: {}", function_arn(ctx, raw)));
    let (rest, full) = match raw.strip_prefix("arn:aws:lambda:") {
        Some(rest) => {
            let rest = rest.strip_prefix(ctx.region).and_then(|r| r.strip_prefix(':')).ok_or_else(not_found)?;
            (rest, true)
        }
        None => (raw, false),
    };
    let rest = match rest.strip_prefix(ctx.account()).and_then(|r| r.strip_prefix(":function:")) {
        Some(r) => r,
        None if full || rest.contains(':') && rest.split(':').count() > 2 => return Err(not_found()),
        None => rest,
    };
    let (name, qualifier) = match rest.split_once(':') {
        Some((n, q)) => (n, Some(q)),
        None => (rest, None),
    };
    if qualifier.is_some_and(|q| q != "$LATEST") || given_qualifier.is_some_and(|q| q != "$LATEST") {
        return Err(LambdaError::NotFound(format!(
            "Function not found: {}:{}",
            function_arn(ctx, name),
            qualifier.or(given_qualifier).unwrap_or_default()
        )));
    }
    Ok(name.to_owned())
}

/// The associated data that binds a sealed package to its function and content.
fn code_aad(arn: &str, sha256: &str) -> String {
    format!("lambda-code:{arn}:{sha256}")
}

fn kms_context(name: &str) -> crypto::kms::EncryptionContext {
    BTreeMap::from([("LambdaFunctionName".to_owned(), name.to_owned())])
}

/// `2026-12-07T06:30:00.000+0000`, as Lambda writes `LastModified`.
fn last_modified(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string())
        .unwrap_or_default()
}

fn invalid(message: impl Into<String>) -> LambdaError {
    LambdaError::InvalidParameter(message.into())
}

/// One function of the caller's account and region.
struct Functions<'c, 'a> {
    ctx: &'c Ctx<'a>,
    name: String,
}

impl<'c, 'a> Functions<'c, 'a> {
    /// The function `raw` names (with `qualifier`, if the request has one).
    fn named(ctx: &'c Ctx<'a>, raw: &str, qualifier: Option<&str>) -> Result<Self, LambdaError> {
        Ok(Self { ctx, name: function_name(ctx, raw, qualifier)? })
    }

    fn arn(&self) -> String {
        function_arn(self.ctx, &self.name)
    }

    fn not_found(&self) -> LambdaError {
        LambdaError::NotFound(format!("Function not found: {}", self.arn()))
    }

    async fn load(&self) -> Result<db::Function, LambdaError> {
        let mut conn = self.ctx.env.store.read().await?;
        db::get(&mut conn, scope(self.ctx), &self.name).await?.ok_or_else(|| self.not_found())
    }

    /// Stores `updated` if `current` is still the latest revision.
    async fn save(&self, current: &db::Function, mut updated: db::Function) -> Result<db::Function, LambdaError> {
        updated.revision_id = self.ctx.env.ids.uuid();
        updated.last_modified_ms = self.ctx.now_ms;
        let mut tx = self.ctx.env.store.begin().await?;
        if !db::replace(&mut tx, scope(self.ctx), &current.revision_id, &updated).await? {
            return Err(LambdaError::PreconditionFailed);
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(updated)
    }

    fn check_revision(current: &db::Function, given: Option<&String>) -> Result<(), LambdaError> {
        match given {
            Some(r) if *r != current.revision_id => Err(LambdaError::PreconditionFailed),
            _ => Ok(()),
        }
    }

    /// The zip of `ZipFile`, checked as Lambda checks a package before accepting it.
    fn package(runner: &dyn Runner, zip_file: Option<&str>, s3: bool, image: bool) -> Result<Vec<u8>, LambdaError> {
        if image {
            return Err(invalid("spcred runs .zip file archives only; container images are not supported."));
        }
        if s3 {
            return Err(invalid(
                "spcred takes the deployment package as ZipFile only; S3Bucket and S3Key are not supported.",
            ));
        }
        let zip = STANDARD
            .decode(zip_file.ok_or_else(|| invalid("Please provide a source for function code."))?)
            .map_err(|_| invalid("Could not unzip uploaded file. Please check your file, then try to upload again."))?;
        if zip.len() > ZIP_MAX {
            return Err(LambdaError::RequestTooLarge(ZIP_MAX));
        }
        runner.inspect(&zip).map_err(invalid)?;
        Ok(zip)
    }

    async fn check_role(&self, role: &str) -> Result<(), LambdaError> {
        let sessions = self.ctx.env.port::<dyn aws_core::ports::RoleSessions>()?;
        if sessions.service_may_assume(self.ctx.env, self.ctx.region, PRINCIPAL, role, &self.name).await {
            Ok(())
        } else {
            Err(invalid("The role defined for the function cannot be assumed by Lambda."))
        }
    }

    /// The variables as Lambda keeps them: a KMS ciphertext, or nothing when there are none.
    async fn seal_environment(
        &self,
        variables: &BTreeMap<String, String>,
        key_arn: Option<&str>,
    ) -> Result<Option<Vec<u8>>, LambdaError> {
        let reserved: Vec<&str> = variables.keys().map(String::as_str).filter(|k| RESERVED_ENV.contains(k)).collect();
        if !reserved.is_empty() {
            return Err(invalid(format!(
                "Lambda was unable to configure your environment variables because the environment variables you \
                 have provided contains reserved keys that are currently not supported for modification. Reserved \
                 keys used in this request: {}",
                reserved.join(",")
            )));
        }
        if variables.is_empty() {
            return Ok(None);
        }
        let text =
            serde_json::to_string(variables).map_err(|_| LambdaError::Common(aws_core::CommonError::Internal))?;
        if text.len() > ENV_BYTES_MAX {
            // AWS echoes the variables here; their values may be secrets, so only the size is told.
            return Err(invalid(format!(
                "Lambda was unable to configure your environment variables because the environment variables you \
                 have provided exceeded the 4KB limit. Size measured: {} bytes",
                text.len()
            )));
        }
        let context = kms_context(&self.name);
        let (env, keys) = (self.ctx.env, self.ctx.env.port::<dyn Keys>()?);
        let key = keys
            .resolve(env, self.ctx.account(), self.ctx.region, key_arn, DEFAULT_KEY)
            .await
            .map_err(|e| kms_denied(&e))?;
        if key_arn.is_some() {
            self.ctx.authorize(keys.check(self.ctx, "kms:Encrypt", &key, &context, "lambda")).await?;
        }
        let blob = keys.encrypt(env, &key, text.as_bytes(), &context).await.map_err(|e| kms_denied(&e))?;
        Ok(Some(blob))
    }

    async fn create(
        &self,
        runner: &dyn Runner,
        input: CreateFunctionRequest,
    ) -> Result<FunctionConfiguration, LambdaError> {
        if input.package_type.as_deref() == Some("Image") {
            return Err(invalid("spcred runs .zip file archives only; container images are not supported."));
        }
        let runtime = input.runtime.ok_or_else(|| {
            invalid("Runtime and Handler are mandatory parameters for functions created with Zip packages.")
        })?;
        let handler = input.handler.ok_or_else(|| {
            invalid("Runtime and Handler are mandatory parameters for functions created with Zip packages.")
        })?;
        check_runtime(&runtime)?;
        let zip = Self::package(
            runner,
            input.code.zip_file.as_deref(),
            input.code.s3_bucket.is_some(),
            input.code.image_uri.is_some(),
        )?;
        self.check_role(&input.role).await?;
        let variables = input.environment.and_then(|e| e.variables).unwrap_or_default();
        let environment = self.seal_environment(&variables, input.kms_key_arn.as_deref()).await?;
        let sha = STANDARD.encode(crypto::sha256(&zip));
        let arn = self.arn();
        let function = db::Function {
            name: self.name.clone(),
            function_id: self.ctx.env.ids.uuid().replace('-', ""),
            runtime,
            handler,
            role: input.role,
            description: input.description.unwrap_or_default(),
            timeout_s: input.timeout.map_or(3, i64::from),
            memory_mb: input.memory_size.map_or(128, i64::from),
            ephemeral_mb: input.ephemeral_storage.map_or(512, |s| i64::from(s.size)),
            architecture: architecture(input.architectures.as_deref())?,
            environment,
            kms_key_arn: input.kms_key_arn,
            code: self.ctx.env.seal(&zip, &code_aad(&arn, &sha)),
            code_sha256: sha,
            code_size: i64::try_from(zip.len()).unwrap_or(i64::MAX),
            revision_id: self.ctx.env.ids.uuid(),
            last_modified_ms: self.ctx.now_ms,
            policy: None,
            tags: serde_json::to_string(&input.tags.unwrap_or_default()).unwrap_or_else(|_| "{}".into()),
        };
        let mut tx = self.ctx.env.store.begin().await?;
        if !db::insert(&mut tx, scope(self.ctx), &function).await? {
            return Err(LambdaError::Conflict(format!("Function already exist: {}", self.name)));
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        self.configuration(&function).await
    }

    async fn get(&self) -> Result<GetFunctionResponse, LambdaError> {
        let function = self.load().await?;
        let tags = serde_json::from_str::<BTreeMap<String, String>>(&function.tags).ok().filter(|t| !t.is_empty());
        Ok(GetFunctionResponse {
            configuration: Some(self.configuration(&function).await?),
            // The package stays in spcred (sealed); there is no S3 location to download it from.
            code: Some(FunctionCodeLocation { repository_type: Some("S3".into()), ..Default::default() }),
            tags,
            ..Default::default()
        })
    }

    /// The function's configuration, its variables decrypted if the caller may see them.
    async fn configuration(&self, f: &db::Function) -> Result<FunctionConfiguration, LambdaError> {
        let environment = match &f.environment {
            None => None,
            Some(_) => Some(match self.open_environment(f, true).await {
                Ok(variables) => EnvironmentResponse { variables: Some(variables), error: None },
                Err(e) => EnvironmentResponse {
                    variables: None,
                    error: Some(EnvironmentError {
                        error_code: Some("AccessDeniedException".into()),
                        message: Some(e.to_string()),
                    }),
                },
            }),
        };
        Ok(FunctionConfiguration {
            function_name: Some(f.name.clone()),
            function_arn: Some(self.arn()),
            runtime: Some(f.runtime.clone()),
            role: Some(f.role.clone()),
            handler: Some(f.handler.clone()),
            code_size: Some(f.code_size),
            description: Some(f.description.clone()),
            timeout: Some(i32::try_from(f.timeout_s).unwrap_or(i32::MAX)),
            memory_size: Some(i32::try_from(f.memory_mb).unwrap_or(i32::MAX)),
            last_modified: Some(last_modified(f.last_modified_ms)),
            code_sha256: Some(f.code_sha256.clone()),
            version: Some("$LATEST".into()),
            tracing_config: Some(TracingConfigResponse { mode: Some("PassThrough".into()) }),
            revision_id: Some(f.revision_id.clone()),
            state: Some("Active".into()),
            last_update_status: Some("Successful".into()),
            package_type: Some("Zip".into()),
            architectures: Some(vec![f.architecture.clone()]),
            ephemeral_storage: Some(EphemeralStorage { size: i32::try_from(f.ephemeral_mb).unwrap_or(i32::MAX) }),
            snap_start: Some(SnapStartResponse {
                apply_on: Some("None".into()),
                optimization_status: Some("Off".into()),
            }),
            logging_config: Some(LoggingConfig {
                log_format: Some("Text".into()),
                log_group: Some(format!("/aws/lambda/{}", f.name)),
                ..Default::default()
            }),
            kms_key_arn: f.kms_key_arn.clone(),
            environment,
            ..Default::default()
        })
    }

    /// Decrypts the variables; `as_caller` holds a customer managed key to the caller's
    /// permission to decrypt with it (the managed key serves every principal of the account).
    async fn open_environment(
        &self,
        f: &db::Function,
        as_caller: bool,
    ) -> Result<BTreeMap<String, String>, LambdaError> {
        if as_caller
            && f.kms_key_arn.is_some()
            && let Some(blob) = &f.environment
        {
            let keys = self.ctx.env.port::<dyn Keys>()?;
            let (key, _) = keys
                .key_of_blob(self.ctx.env, self.ctx.account(), self.ctx.region, blob)
                .await
                .map_err(|e| kms_denied(&e))?;
            let check = keys.check(self.ctx, "kms:Decrypt", &key, &kms_context(&f.name), "lambda");
            self.ctx.authorize(check).await?;
        }
        let variables = invoke::open_variables(self.ctx.env, scope(self.ctx), f).await?;
        Ok(variables.into_iter().map(|(k, v)| (k, v.to_string())).collect())
    }

    async fn update_code(
        &self,
        runner: &dyn Runner,
        input: UpdateFunctionCodeRequest,
    ) -> Result<FunctionConfiguration, LambdaError> {
        let current = self.load().await?;
        Self::check_revision(&current, input.revision_id.as_ref())?;
        let zip =
            Self::package(runner, input.zip_file.as_deref(), input.s3_bucket.is_some(), input.image_uri.is_some())?;
        let sha = STANDARD.encode(crypto::sha256(&zip));
        let mut updated = current.clone();
        updated.code = self.ctx.env.seal(&zip, &code_aad(&self.arn(), &sha));
        updated.code_sha256 = sha;
        updated.code_size = i64::try_from(zip.len()).unwrap_or(i64::MAX);
        if let Some(architectures) = input.architectures.as_deref() {
            updated.architecture = architecture(Some(architectures))?;
        }
        let saved = self.save(&current, updated).await?;
        self.configuration(&saved).await
    }

    async fn update_configuration(
        &self,
        input: UpdateFunctionConfigurationRequest,
    ) -> Result<FunctionConfiguration, LambdaError> {
        let current = self.load().await?;
        Self::check_revision(&current, input.revision_id.as_ref())?;
        let mut updated = current.clone();
        if let Some(runtime) = input.runtime {
            check_runtime(&runtime)?;
            updated.runtime = runtime;
        }
        if let Some(role) = input.role {
            self.check_role(&role).await?;
            updated.role = role;
        }
        if let Some(handler) = input.handler {
            updated.handler = handler;
        }
        if let Some(description) = input.description {
            updated.description = description;
        }
        if let Some(timeout) = input.timeout {
            updated.timeout_s = i64::from(timeout);
        }
        if let Some(memory) = input.memory_size {
            updated.memory_mb = i64::from(memory);
        }
        if let Some(storage) = input.ephemeral_storage {
            updated.ephemeral_mb = i64::from(storage.size);
        }
        // An empty string puts the variables back under the AWS managed key.
        let key_changed = input.kms_key_arn.is_some();
        if let Some(key) = input.kms_key_arn {
            updated.kms_key_arn = (!key.is_empty()).then_some(key);
        }
        let variables = match (input.environment, &current.environment) {
            (Some(env), _) => Some(env.variables.unwrap_or_default()),
            (None, Some(_)) if key_changed => Some(self.open_environment(&current, true).await?),
            (None, _) => None,
        };
        if let Some(variables) = variables {
            updated.environment = self.seal_environment(&variables, updated.kms_key_arn.as_deref()).await?;
        }
        let saved = self.save(&current, updated).await?;
        self.configuration(&saved).await
    }

    async fn delete(&self) -> Result<DeleteFunctionResponse, LambdaError> {
        let mut tx = self.ctx.env.store.begin().await?;
        if !db::delete(&mut tx, scope(self.ctx), &self.name).await? {
            return Err(self.not_found());
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(DeleteFunctionResponse { status_code: Some(204) })
    }

    async fn add_permission(&self, input: AddPermissionRequest) -> Result<AddPermissionResponse, LambdaError> {
        let current = self.load().await?;
        Self::check_revision(&current, input.revision_id.as_ref())?;
        if input.event_source_token.is_some() || input.function_url_auth_type.is_some() {
            return Err(invalid("spcred does not serve function URLs or Alexa event source tokens."));
        }
        let action = match input.action.as_str() {
            "lambda:InvokeFunction" | "lambda:*" | "lambda:GetFunction" | "lambda:GetFunctionConfiguration" => {
                input.action.clone()
            }
            other if other.starts_with("lambda:") => other.to_owned(),
            _ => {
                return Err(invalid(format!(
                    "1 validation error detected: Value '{}' at 'action' failed to satisfy constraint: Member must \
                     satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])",
                    input.action
                )));
            }
        };
        let principal = principal_of(&input.principal)?;
        let mut document = current.policy.as_deref().map_or_else(
            || json!({"Version": "2012-10-17", "Id": "default", "Statement": []}),
            |p| {
                serde_json::from_str(p)
                    .unwrap_or_else(|_| json!({"Version": "2012-10-17", "Id": "default", "Statement": []}))
            },
        );
        let statements =
            document["Statement"].as_array_mut().ok_or(LambdaError::Common(aws_core::CommonError::Internal))?;
        if statements.iter().any(|s| s["Sid"] == input.statement_id.as_str()) {
            return Err(LambdaError::Conflict(format!(
                "The statement id ({}) provided already exists. Please provide a new statement id, or remove the \
                 existing statement.",
                input.statement_id
            )));
        }
        let mut conditions = serde_json::Map::new();
        if let Some(source) = &input.source_arn {
            conditions.insert("ArnLike".into(), json!({"AWS:SourceArn": source}));
        }
        let mut equals = serde_json::Map::new();
        if let Some(account) = &input.source_account {
            equals.insert("AWS:SourceAccount".into(), json!(account));
        }
        if let Some(org) = &input.principal_org_id {
            equals.insert("aws:PrincipalOrgID".into(), json!(org));
        }
        if !equals.is_empty() {
            conditions.insert("StringEquals".into(), Value::Object(equals));
        }
        let mut statement = json!({
            "Sid": input.statement_id,
            "Effect": "Allow",
            "Principal": principal,
            "Action": action,
            "Resource": self.arn(),
        });
        if !conditions.is_empty() {
            statement["Condition"] = Value::Object(conditions);
        }
        statements.push(statement.clone());
        let text = document.to_string();
        if text.len() > POLICY_BYTES_MAX {
            return Err(LambdaError::InvalidParameter(
                "The final policy size is bigger than the limit (20480).".into(),
            ));
        }
        // The document must be one IAM evaluates; anything it would refuse is refused here.
        policy::Policy::parse(&text, policy::PolicyKind::Resource)
            .map_err(|e| invalid(format!("The policy is not valid: {e}")))?;
        let mut updated = current.clone();
        updated.policy = Some(text);
        self.save(&current, updated).await?;
        Ok(AddPermissionResponse { statement: Some(statement.to_string()) })
    }

    async fn remove_permission(&self, input: &RemovePermissionRequest) -> Result<(), LambdaError> {
        let current = self.load().await?;
        Self::check_revision(&current, input.revision_id.as_ref())?;
        let missing =
            || LambdaError::NotFound(format!("Statement {} is not found in resource policy.", input.statement_id));
        let mut document: Value =
            current.policy.as_deref().and_then(|p| serde_json::from_str(p).ok()).ok_or_else(missing)?;
        let statements = document["Statement"].as_array_mut().ok_or_else(missing)?;
        let before = statements.len();
        statements.retain(|s| s["Sid"] != input.statement_id.as_str());
        if statements.len() == before {
            return Err(missing());
        }
        let mut updated = current.clone();
        updated.policy = (!statements.is_empty()).then(|| document.to_string());
        self.save(&current, updated).await?;
        Ok(())
    }

    async fn policy(&self) -> Result<GetPolicyResponse, LambdaError> {
        let current = self.load().await?;
        let policy =
            current.policy.ok_or_else(|| LambdaError::NotFound("The resource you requested does not exist.".into()))?;
        Ok(GetPolicyResponse { policy: Some(policy), revision_id: Some(current.revision_id) })
    }
}

async fn list(ctx: &Ctx<'_>, input: ListFunctionsRequest) -> Result<ListFunctionsResponse, LambdaError> {
    let limit = input.max_items.map_or(LIST_DEFAULT, i64::from).clamp(1, LIST_MAX);
    let after = match input.marker.as_deref() {
        Some(m) => String::from_utf8(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(m).map_err(|_| invalid("Invalid Marker."))?,
        )
        .map_err(|_| invalid("Invalid Marker."))?,
        None => String::new(),
    };
    let mut conn = ctx.env.store.read().await?;
    let mut page = db::list(&mut conn, scope(ctx), &after, limit + 1).await?;
    drop(conn);
    let more = page.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    page.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let mut functions = Vec::with_capacity(page.len());
    for f in &page {
        let one = Functions { ctx, name: f.name.clone() };
        functions.push(one.configuration(f).await?);
    }
    let next_marker =
        page.last().filter(|_| more).map(|last| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&last.name));
    Ok(ListFunctionsResponse { functions: Some(functions), next_marker })
}

fn check_runtime(runtime: &str) -> Result<(), LambdaError> {
    if RUNTIMES.contains(&runtime) {
        return Ok(());
    }
    Err(invalid(format!(
        "The runtime parameter of {runtime} is not supported by spcred, which runs Python functions ({}).",
        RUNTIMES.join(", ")
    )))
}

fn architecture(given: Option<&[String]>) -> Result<String, LambdaError> {
    match given {
        None | Some([]) => Ok("x86_64".into()),
        Some([one]) => Ok(one.clone()),
        Some(_) => Err(invalid("Function can have only one architecture.")),
    }
}

/// A permission's `Principal` as the policy statement names it: a service, an account (its
/// root), an ARN, or everyone.
fn principal_of(principal: &str) -> Result<Value, LambdaError> {
    if principal == "*" {
        return Ok(json!("*"));
    }
    if principal.ends_with(".amazonaws.com") || principal.ends_with(".amazon.com") {
        return Ok(json!({ "Service": principal }));
    }
    if principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(json!({ "AWS": format!("arn:aws:iam::{principal}:root") }));
    }
    if principal.starts_with("arn:aws:iam::") || principal.starts_with("arn:aws:sts::") {
        return Ok(json!({ "AWS": principal }));
    }
    Err(invalid(format!("The provided principal was invalid. Please check the principal and try again: {principal}")))
}

fn kms_denied(e: &KeyError) -> LambdaError {
    LambdaError::KmsAccessDenied(format!(
        "Lambda was unable to decrypt the environment variables because KMS access was denied. Please check the \
         function's KMS key settings. KMS Exception: {e}"
    ))
}
