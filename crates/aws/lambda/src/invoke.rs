//! One invocation: the package unsealed, the variables decrypted, the execution role assumed
//! (its trust policy must let `lambda.amazonaws.com` in), the handler run by the [`Runner`],
//! and what it printed written to `/aws/lambda/NAME` as the role (the role's `logs:*`
//! permissions decide, as on AWS; without them the log is dropped). Asynchronous invocations
//! (`Event`, and EventBridge and SNS targets) are jobs, retried twice on a function error.

use super::ops::{InvocationRequest, InvocationResponse};
use super::{ASYNC_PAYLOAD_MAX, LambdaError, PRINCIPAL, SYNC_PAYLOAD_MAX, code_aad, db, kms_context};
use aws_core::env::Env;
use aws_core::ports::{Keys, LogWriter, RoleSessions};
use aws_core::service::Ctx;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use store::Scope;
use store::jobs::{Handler, Job};
use zeroize::Zeroizing;

/// The job kind of an asynchronous invocation.
pub const INVOKE_JOB: &str = "lambda.invoke";
/// Asynchronous invocations that fail are tried twice more, one and then two minutes later.
const ASYNC_RETRIES: i64 = 2;
const RETRY_MS: i64 = 60_000;
/// When every execution slot is busy, an asynchronous invocation waits this long.
const BUSY_RETRY_MS: i64 = 1_000;
/// `LogType: Tail` returns the last 4 KB of the log.
const TAIL_BYTES: usize = 4096;

/// What a runner needs to run one invocation.
pub struct Execution {
    /// The function's name.
    pub function_name: String,
    /// Its ARN (`Lambda-Runtime-Invoked-Function-Arn`).
    pub function_arn: String,
    /// `module.function`.
    pub handler: String,
    /// e.g. `python3.12`.
    pub runtime: String,
    /// MB of memory configured.
    pub memory_mb: i64,
    /// How long it may run.
    pub timeout_ms: u64,
    /// The region (`AWS_REGION`).
    pub region: String,
    /// The deployment package.
    pub code: Zeroizing<Vec<u8>>,
    /// The function's environment variables, decrypted.
    pub variables: BTreeMap<String, Zeroizing<String>>,
    /// The execution role's session.
    pub credentials: aws_core::ports::RoleSession,
    /// The request id (`Lambda-Runtime-Aws-Request-Id`).
    pub request_id: String,
    /// The event.
    pub payload: Vec<u8>,
    /// `X-Amz-Client-Context`, passed through.
    pub client_context: Option<String>,
    /// Where the log goes (`AWS_LAMBDA_LOG_GROUP_NAME`, `AWS_LAMBDA_LOG_STREAM_NAME`).
    pub log_group: String,
    /// See `log_group`.
    pub log_stream: String,
}

impl std::fmt::Debug for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Execution")
            .field("function_arn", &self.function_arn)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

/// How the handler ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// It returned this payload.
    Ok(Vec<u8>),
    /// It raised: the runtime's error document (`errorMessage`, `errorType`, `stackTrace`).
    Error(Vec<u8>),
    /// It ran past its timeout and was killed.
    TimedOut,
    /// The runtime process ended without answering, with its exit status.
    Exited(String),
}

/// What a run came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// How it ended.
    pub response: Response,
    /// What it printed: milliseconds after the start, and the line.
    pub log: Vec<(u64, String)>,
    /// How long it ran.
    pub duration_ms: f64,
    /// The most memory its process used.
    pub max_memory_mb: i64,
}

/// Why a run did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunnerError {
    /// Every execution slot is busy.
    Busy,
    /// The runtime could not be started.
    Failed(String),
}

/// Runs functions' code. The composition root provides one.
#[async_trait::async_trait]
pub trait Runner: Send + Sync {
    /// Checks a deployment package before it is accepted: a zip that opens, within Lambda's
    /// unzipped size. The error is the message for `InvalidParameterValueException`.
    fn inspect(&self, zip: &[u8]) -> Result<(), String>;
    /// Runs one invocation to its end.
    async fn run(&self, execution: Execution) -> Result<Outcome, RunnerError>;
}

/// A finished synchronous invocation.
struct Ran {
    function_error: Option<&'static str>,
    payload: Vec<u8>,
    log: String,
}

pub(crate) async fn invoke(
    ctx: &Ctx<'_>,
    runner: &dyn Runner,
    name: &str,
    input: InvocationRequest,
) -> Result<InvocationResponse, LambdaError> {
    let scope = Scope { account_id: ctx.account(), region: ctx.region };
    let mut conn = ctx.env.store.read().await?;
    let function = db::get(&mut conn, scope, name)
        .await?
        .ok_or_else(|| LambdaError::NotFound(format!("Function not found: {}", super::function_arn(ctx, name))))?;
    drop(conn);
    let payload = match input.payload.as_deref() {
        Some(b64) => STANDARD.decode(b64).map_err(|_| LambdaError::Common(aws_core::CommonError::Internal))?,
        None => b"{}".to_vec(),
    };
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&payload) {
        return Err(LambdaError::InvalidRequestContent(format!(
            "Could not parse request body into json: Could not parse payload into json: {e}"
        )));
    }
    match input.invocation_type.as_deref().unwrap_or("RequestResponse") {
        "DryRun" => Ok(InvocationResponse { status_code: Some(204), ..Default::default() }),
        "Event" => {
            if payload.len() > ASYNC_PAYLOAD_MAX {
                return Err(LambdaError::RequestTooLarge(ASYNC_PAYLOAD_MAX));
            }
            let mut tx = ctx.env.store.begin().await?;
            enqueue(ctx.env, &mut tx, scope, name, ctx.request_id, &payload).await?;
            tx.commit().await.map_err(store::StoreError::from)?;
            ctx.env.work_queued.notify_one();
            Ok(InvocationResponse { status_code: Some(202), ..Default::default() })
        }
        _ => {
            if payload.len() > SYNC_PAYLOAD_MAX {
                return Err(LambdaError::RequestTooLarge(SYNC_PAYLOAD_MAX));
            }
            let ran =
                run_once(ctx.env, runner, scope, &function, payload, ctx.request_id, input.client_context).await?;
            let log_result = (input.log_type.as_deref() == Some("Tail")).then(|| {
                let bytes = ran.log.as_bytes();
                let mut start = bytes.len().saturating_sub(TAIL_BYTES);
                while !ran.log.is_char_boundary(start) {
                    start += 1;
                }
                STANDARD.encode(&bytes[start..])
            });
            Ok(InvocationResponse {
                status_code: Some(200),
                executed_version: Some("$LATEST".into()),
                payload: Some(STANDARD.encode(&ran.payload)),
                function_error: ran.function_error.map(str::to_owned),
                log_result,
                ..Default::default()
            })
        }
    }
}

/// An asynchronous invocation as queued: the event sealed, bound to its request id.
#[derive(Debug, Serialize, Deserialize)]
struct Queued {
    account: String,
    region: String,
    function: String,
    request_id: String,
    /// Base64 of the sealed event.
    event: String,
}

fn event_aad(request_id: &str) -> String {
    format!("lambda-event:{request_id}")
}

/// Queues an asynchronous invocation of `function` inside the caller's transaction (Invoke
/// with `Event`, and the EventBridge and SNS targets that deliver to a function).
pub async fn enqueue(
    env: &Env,
    conn: &mut store::Conn,
    scope: Scope<'_>,
    function: &str,
    request_id: &str,
    event: &[u8],
) -> Result<(), store::StoreError> {
    let queued = Queued {
        account: scope.account_id.to_owned(),
        region: scope.region.to_owned(),
        function: function.to_owned(),
        request_id: request_id.to_owned(),
        event: STANDARD.encode(env.seal(event, &event_aad(request_id))),
    };
    let payload = serde_json::to_string(&queued).map_err(|e| store::StoreError::Corrupt(e.to_string()))?;
    let now = env.now_ms();
    store::jobs::enqueue(conn, INVOKE_JOB, now, &payload, now).await?;
    Ok(())
}

/// The variables of `f`, decrypted as Lambda itself decrypts them to start the function.
pub(crate) async fn open_variables(
    env: &Env,
    scope: Scope<'_>,
    f: &db::Function,
) -> Result<BTreeMap<String, Zeroizing<String>>, LambdaError> {
    let Some(blob) = &f.environment else { return Ok(BTreeMap::new()) };
    let context = kms_context(&f.name);
    let keys = env.port::<dyn Keys>()?;
    let (key, origin) =
        keys.key_of_blob(env, scope.account_id, scope.region, blob).await.map_err(|e| super::kms_denied(&e))?;
    let plain = keys.decrypt(env, &key, &origin, blob, &context).await.map_err(|e| super::kms_denied(&e))?;
    let variables: BTreeMap<String, String> =
        serde_json::from_slice(&plain).map_err(|_| LambdaError::Common(aws_core::CommonError::Internal))?;
    Ok(variables.into_iter().map(|(k, v)| (k, Zeroizing::new(v))).collect())
}

/// `2026/12/07/[$LATEST]` and 32 hex digits, as Lambda names a function's log streams.
fn log_stream_name(env: &Env, now_ms: i64) -> String {
    let day = jiff::Timestamp::from_millisecond(now_ms).map(|t| t.strftime("%Y/%m/%d").to_string()).unwrap_or_default();
    format!("{day}/[$LATEST]{}", env.ids.uuid().replace('-', ""))
}

/// ISO 8601 with milliseconds and `Z`, as Lambda stamps its own log lines.
fn iso_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()).unwrap_or_default()
}

#[allow(clippy::too_many_lines)]
async fn run_once(
    env: &Env,
    runner: &dyn Runner,
    scope: Scope<'_>,
    f: &db::Function,
    payload: Vec<u8>,
    request_id: &str,
    client_context: Option<String>,
) -> Result<Ran, LambdaError> {
    let arn = format!("arn:aws:lambda:{}:{}:function:{}", scope.region, scope.account_id, f.name);
    let code = env.open(&f.code, &code_aad(&arn, &f.code_sha256)).map_err(|_| {
        tracing::error!(function = %arn, "a stored deployment package does not open under the master key");
        LambdaError::Common(aws_core::CommonError::Internal)
    })?;
    let variables = open_variables(env, scope, f).await?;
    let credentials = env
        .port::<dyn RoleSessions>()?
        .assume_for_service(env, scope.region, PRINCIPAL, &f.role, &f.name)
        .await
        .ok_or_else(|| {
            LambdaError::InvalidParameter("The role defined for the function cannot be assumed by Lambda.".into())
        })?;
    let started_ms = env.now_ms();
    let log_group = format!("/aws/lambda/{}", f.name);
    let log_stream = log_stream_name(env, started_ms);
    let access_key_id = credentials.access_key_id.clone();
    let execution = Execution {
        function_name: f.name.clone(),
        function_arn: arn.clone(),
        handler: f.handler.clone(),
        runtime: f.runtime.clone(),
        memory_mb: f.memory_mb,
        timeout_ms: u64::try_from(f.timeout_s).unwrap_or(3) * 1000,
        region: scope.region.to_owned(),
        code,
        variables,
        credentials,
        request_id: request_id.to_owned(),
        payload,
        client_context,
        log_group: log_group.clone(),
        log_stream: log_stream.clone(),
    };
    let outcome = runner.run(execution).await.map_err(|e| match e {
        RunnerError::Busy => LambdaError::TooManyRequests,
        RunnerError::Failed(why) => {
            tracing::error!(function = %arn, %why, "the function's runtime could not be started");
            LambdaError::Service(format!("The function's runtime could not be started: {why}"))
        }
    })?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let elapsed = outcome.duration_ms.max(0.0) as u64;
    let timeout_line = format!(
        "{} {request_id} Task timed out after {}.00 seconds",
        iso_ms(started_ms + i64::try_from(elapsed).unwrap_or(0)),
        f.timeout_s
    );
    let mut lines = vec![(0, format!("START RequestId: {request_id} Version: $LATEST"))];
    lines.extend(outcome.log.iter().cloned());
    if outcome.response == Response::TimedOut {
        lines.push((elapsed, timeout_line.clone()));
    }
    lines.push((elapsed, format!("END RequestId: {request_id}")));
    lines.push((
        elapsed,
        format!(
            "REPORT RequestId: {request_id}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t",
            outcome.duration_ms,
            elapsed.max(1),
            f.memory_mb,
            outcome.max_memory_mb
        ),
    ));
    let log = lines.iter().fold(String::new(), |mut text, (_, line)| {
        text.push_str(line);
        text.push('\n');
        text
    });
    write_log(env, scope.region, &access_key_id, &log_group, &log_stream, started_ms, &lines).await;
    let (function_error, payload) = match outcome.response {
        Response::Ok(p) => (None, p),
        Response::Error(p) => (Some("Unhandled"), p),
        Response::TimedOut => (Some("Unhandled"), json!({ "errorMessage": timeout_line }).to_string().into_bytes()),
        Response::Exited(status) => (
            Some("Unhandled"),
            json!({
                "errorType": "Runtime.ExitError",
                "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: {status}"),
            })
            .to_string()
            .into_bytes(),
        ),
    };
    Ok(Ran { function_error, payload, log })
}

/// Writes the invocation's log as the execution role: the group and the stream are created if
/// the role may, and the events put if it may. What the role may not do is left undone, as on
/// AWS, and noted in spcred's own log.
async fn write_log(
    env: &Env,
    region: &str,
    access_key_id: &str,
    group: &str,
    stream: &str,
    started_ms: i64,
    lines: &[(u64, String)],
) {
    let Ok(Some(caller)) = aws_core::auth::caller_of(env, access_key_id).await else {
        tracing::warn!(group, "the execution role's session is gone; the invocation's log is dropped");
        return;
    };
    let Ok(logs) = env.port::<dyn LogWriter>() else {
        tracing::warn!(group, "CloudWatch Logs is not wired; the invocation's log is dropped");
        return;
    };
    let events =
        lines.iter().map(|(offset, line)| (started_ms + i64::try_from(*offset).unwrap_or(0), line.clone())).collect();
    if let Err(e) = logs.write(env, &caller, region, group, stream, events).await {
        tracing::warn!(group, op = e.operation, error = %e.message, "the execution role could not write the function's log");
    }
}

/// Runs the queued asynchronous invocations ([`INVOKE_JOB`]).
pub struct AsyncInvoker {
    env: Arc<Env>,
    runner: Arc<dyn Runner>,
}

impl std::fmt::Debug for AsyncInvoker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncInvoker").finish_non_exhaustive()
    }
}

impl AsyncInvoker {
    /// An invoker running functions with `runner`.
    pub fn new(env: Arc<Env>, runner: Arc<dyn Runner>) -> Self {
        Self { env, runner }
    }
}

#[async_trait::async_trait]
impl Handler for AsyncInvoker {
    async fn run(&self, job: &Job) -> Result<store::jobs::Outcome, store::StoreError> {
        use store::jobs::Outcome as Next;
        let Ok(queued) = serde_json::from_str::<Queued>(&job.payload) else {
            tracing::error!(id = job.id, "an asynchronous invocation does not parse; dropping it");
            return Ok(Next::Done);
        };
        let Ok(event) = STANDARD
            .decode(&queued.event)
            .map_err(|_| ())
            .and_then(|sealed| self.env.open(&sealed, &event_aad(&queued.request_id)).map_err(|_| ()))
        else {
            tracing::error!(id = job.id, "an asynchronous invocation's event does not open; dropping it");
            return Ok(Next::Done);
        };
        let scope = Scope { account_id: &queued.account, region: &queued.region };
        let mut conn = self.env.store.read().await?;
        let Some(function) = db::get(&mut conn, scope, &queued.function).await? else {
            tracing::warn!(function = %queued.function, request_id = %queued.request_id, "the function of an asynchronous invocation was deleted; the event is dropped");
            return Ok(Next::Done);
        };
        drop(conn);
        let now = self.env.now_ms();
        let retry = |delay_ms: i64, error: String| Next::RetryAt { due_ms: now + delay_ms, error };
        let ran =
            run_once(&self.env, self.runner.as_ref(), scope, &function, event.to_vec(), &queued.request_id, None).await;
        Ok(match ran {
            Ok(Ran { function_error: None, .. }) => Next::Done,
            Err(LambdaError::TooManyRequests) => retry(BUSY_RETRY_MS, "every execution slot was busy".into()),
            Ok(Ran { payload, .. }) if job.attempts < ASYNC_RETRIES => {
                retry(RETRY_MS * (job.attempts + 1), String::from_utf8_lossy(&payload).into_owned())
            }
            Err(e) if job.attempts < ASYNC_RETRIES => retry(RETRY_MS * (job.attempts + 1), e.to_string()),
            Ok(_) | Err(_) => {
                tracing::warn!(function = %queued.function, request_id = %queued.request_id, "an asynchronous invocation failed three times; the event is discarded");
                Next::Done
            }
        })
    }
}
