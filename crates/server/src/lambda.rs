//! Runs Lambda functions: each invocation gets its own child process running the real runtime
//! interface client (`python -m awslambdaric HANDLER`, from PyPI), its own unpacked copy of the
//! package in a private temporary directory, and its own loopback listener serving the Lambda
//! Runtime API (`/2018-06-01/runtime/...`) for exactly that one invocation. The process has no
//! environment of spcred's: only what Lambda sets (the role's session, `AWS_REGION`,
//! `AWS_ENDPOINT_URL` back at spcred) and the function's own variables. It is killed when it
//! answers, when it runs past its timeout, or when spcred stops.
//!
//! Function code runs as spcred's own OS user; isolate it (a separate user, a container) when
//! the functions are not your own.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::{get, post};
use lambda::{Execution, Outcome, Response, Runner, RunnerError};
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{Semaphore, oneshot};

/// Invocations running at once unless configured.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Lambda's limit on a package unzipped.
const UNZIPPED_MAX: u64 = 262_144_000;
/// Files in a package at most.
const FILES_MAX: usize = 20_000;
/// A response or error document from the function: at most 6 MB (and a little framing).
const RESPONSE_MAX: usize = 6_291_556;
/// What an invocation's log keeps: lines, each line's bytes, and bytes in all.
const LOG_LINES_MAX: usize = 10_000;
const LOG_LINE_MAX: usize = 256 * 1024 - 26;
const LOG_BYTES_MAX: usize = 8 * 1024 * 1024;
/// How long to wait for the output readers after the process is gone.
const DRAIN: Duration = Duration::from_secs(2);

/// How functions run.
#[derive(Debug, Clone)]
pub struct LambdaConfig {
    /// The interpreter for the Python runtimes.
    pub python: PathBuf,
    /// Invocations that may run at once.
    pub concurrency: usize,
}

/// The runner `spcred serve` wires into Lambda.
#[derive(Debug)]
pub struct ProcessRunner {
    python: PathBuf,
    endpoint: String,
    ca_bundle: Option<PathBuf>,
    work: PathBuf,
    slots: Arc<Semaphore>,
}

impl ProcessRunner {
    /// A runner whose functions call spcred at `endpoint` (trusting `ca_bundle` over HTTPS)
    /// and unpack their code below `lambda/` in the data directory.
    pub fn new(config: &LambdaConfig, endpoint: &str, ca_bundle: Option<PathBuf>, data_dir: &Path) -> Self {
        Self {
            python: config.python.clone(),
            endpoint: endpoint.to_owned(),
            ca_bundle,
            work: data_dir.join("lambda"),
            slots: Arc::new(Semaphore::new(config.concurrency)),
        }
    }
}

/// Why a package cannot be accepted, as Lambda words it.
const UNZIP_FAILED: &str = "Could not unzip uploaded file. Please check your file, then try to upload again.";

/// The relative path an entry unpacks to, refusing absolute paths and `..`.
fn safe_path(name: &str) -> Option<PathBuf> {
    let path = Path::new(name);
    path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)).then(|| path.to_path_buf())
}

fn check_package(zip: &[u8]) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).map_err(|_| UNZIP_FAILED.to_owned())?;
    if archive.len() > FILES_MAX {
        return Err(format!("The package holds more than {FILES_MAX} files."));
    }
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| UNZIP_FAILED.to_owned())?;
        if safe_path(entry.name()).is_none() {
            return Err(UNZIP_FAILED.to_owned());
        }
        total = total.saturating_add(entry.size());
    }
    if total > UNZIPPED_MAX {
        return Err(format!("Unzipped size must be smaller than {UNZIPPED_MAX} bytes"));
    }
    Ok(())
}

/// Unpacks `zip` into `dir`, holding every entry to the sizes it declared (a lying header is
/// cut short, not believed).
fn unpack(zip: &[u8], dir: &Path) -> Result<(), String> {
    check_package(zip)?;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).map_err(|e| e.to_string())?;
    let mut budget = UNZIPPED_MAX;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| e.to_string())?;
        let relative = safe_path(entry.name()).ok_or_else(|| UNZIP_FAILED.to_owned())?;
        let target = dir.join(relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| e.to_string())?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let mut out = std::fs::File::create(&target).map_err(|e| e.to_string())?;
        let written =
            std::io::copy(&mut (&mut entry).take(budget.saturating_add(1)), &mut out).map_err(|e| e.to_string())?;
        if written > budget {
            return Err(format!("Unzipped size must be smaller than {UNZIPPED_MAX} bytes"));
        }
        budget -= written;
        #[cfg(unix)]
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode & 0o755));
        }
    }
    Ok(())
}

/// The one invocation a runtime API listener serves.
struct Invocation {
    request_id: String,
    function_arn: String,
    deadline_ms: i64,
    client_context: Option<String>,
    event: Mutex<Option<Vec<u8>>>,
    done: Mutex<Option<oneshot::Sender<Response>>>,
}

impl Invocation {
    fn finish(&self, response: Response) {
        if let Some(tx) = self.done.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            let _ = tx.send(response);
        }
    }
}

async fn next(State(inv): State<Arc<Invocation>>) -> HttpResponse {
    let event = inv.event.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
    let Some(event) = event else {
        // One invocation per process: the runtime's next poll waits until it is stopped.
        std::future::pending::<()>().await;
        unreachable!("a pending future never resolves")
    };
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set("lambda-runtime-aws-request-id", &inv.request_id);
    set("lambda-runtime-deadline-ms", &inv.deadline_ms.to_string());
    set("lambda-runtime-invoked-function-arn", &inv.function_arn);
    set(
        "lambda-runtime-trace-id",
        &format!(
            "Root=1-{:08x}-{}",
            inv.deadline_ms / 1000,
            inv.request_id.replace('-', "").get(..24).unwrap_or_default()
        ),
    );
    if let Some(context) = &inv.client_context {
        set("lambda-runtime-client-context", context);
    }
    set("content-type", "application/json");
    (StatusCode::OK, headers, event).into_response()
}

fn accepted() -> HttpResponse {
    (StatusCode::ACCEPTED, axum::Json(serde_json::json!({"status": "OK"}))).into_response()
}

fn too_large(inv: &Invocation) -> HttpResponse {
    let error = serde_json::json!({
        "errorType": "Function.ResponseSizeTooLarge",
        "errorMessage": format!("Response payload size exceeded maximum allowed payload size ({RESPONSE_MAX} bytes)."),
    });
    inv.finish(Response::Error(error.to_string().into_bytes()));
    (StatusCode::PAYLOAD_TOO_LARGE, axum::Json(serde_json::json!({"errorType": "RequestEntityTooLarge"})))
        .into_response()
}

async fn read_body(body: axum::body::Body) -> Option<Bytes> {
    axum::body::to_bytes(body, RESPONSE_MAX).await.ok()
}

/// Ends the invocation with the document the runtime posted, read as `outcome` says.
async fn finish_with(inv: &Invocation, body: axum::body::Body, outcome: fn(Vec<u8>) -> Response) -> HttpResponse {
    match read_body(body).await {
        Some(bytes) => {
            inv.finish(outcome(bytes.to_vec()));
            accepted()
        }
        None => too_large(inv),
    }
}

async fn respond(
    State(inv): State<Arc<Invocation>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: axum::body::Body,
) -> HttpResponse {
    finish_request(&inv, &id, body, Response::Ok).await
}

async fn fail(
    State(inv): State<Arc<Invocation>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: axum::body::Body,
) -> HttpResponse {
    finish_request(&inv, &id, body, Response::Error).await
}

/// Ends the invocation with the runtime's answer to request `id`, which must be this one.
async fn finish_request(
    inv: &Invocation,
    id: &str,
    body: axum::body::Body,
    outcome: fn(Vec<u8>) -> Response,
) -> HttpResponse {
    if id != inv.request_id {
        return StatusCode::BAD_REQUEST.into_response();
    }
    finish_with(inv, body, outcome).await
}

async fn init_error(State(inv): State<Arc<Invocation>>, body: axum::body::Body) -> HttpResponse {
    finish_with(&inv, body, Response::Error).await
}

fn runtime_api(inv: Arc<Invocation>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(respond))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(inv)
}

/// What the process printed, bounded.
#[derive(Default)]
struct Captured {
    lines: Vec<(u64, String)>,
    bytes: usize,
    truncated: bool,
}

fn capture<R: AsyncRead + Unpin + Send + 'static>(
    stream: R,
    started: Instant,
    log: Arc<Mutex<Captured>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream).split(b'\n');
        while let Ok(Some(mut line)) = reader.next_segment().await {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            line.truncate(LOG_LINE_MAX);
            let text = String::from_utf8_lossy(&line).into_owned();
            #[allow(clippy::cast_possible_truncation)]
            let at = started.elapsed().as_millis() as u64;
            let mut log = log.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if log.lines.len() >= LOG_LINES_MAX || log.bytes + text.len() > LOG_BYTES_MAX {
                log.truncated = true;
                continue;
            }
            log.bytes += text.len();
            log.lines.push((at, text));
        }
    })
}

/// The peak resident memory of `pid` (`VmHWM`), in MB.
fn peak_memory_mb(pid: Option<u32>) -> i64 {
    let Some(pid) = pid else { return 0 };
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { return 0 };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
        .map_or(0, |kb| (kb + 1023) / 1024)
}

#[async_trait::async_trait]
impl Runner for ProcessRunner {
    fn inspect(&self, zip: &[u8]) -> Result<(), String> {
        check_package(zip)
    }

    #[allow(clippy::too_many_lines)]
    async fn run(&self, e: Execution) -> Result<Outcome, RunnerError> {
        let _slot = self.slots.clone().try_acquire_owned().map_err(|_| RunnerError::Busy)?;
        let failed = |what: &str, err: &dyn std::fmt::Display| RunnerError::Failed(format!("{what}: {err}"));
        std::fs::create_dir_all(&self.work).map_err(|err| failed("creating the work directory", &err))?;
        let dir = tempfile::Builder::new()
            .prefix("invocation-")
            .tempdir_in(&self.work)
            .map_err(|err| failed("creating the invocation's directory", &err))?;
        let task = dir.path().join("task");
        let tmp = dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).map_err(|err| failed("creating /tmp", &err))?;
        let code = e.code;
        let unpack_into = task.clone();
        tokio::task::spawn_blocking(move || unpack(&code, &unpack_into))
            .await
            .map_err(|err| failed("unpacking the package", &err))?
            .map_err(|err| failed("unpacking the package", &err))?;

        let started_wall = jiff::Timestamp::now().as_millisecond();
        let timeout = Duration::from_millis(e.timeout_ms);
        let (done_tx, done_rx) = oneshot::channel();
        let invocation = Arc::new(Invocation {
            request_id: e.request_id.clone(),
            function_arn: e.function_arn.clone(),
            deadline_ms: started_wall + i64::try_from(e.timeout_ms).unwrap_or(i64::MAX / 2),
            client_context: e.client_context.clone(),
            event: Mutex::new(Some(e.payload)),
            done: Mutex::new(Some(done_tx)),
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|err| failed("binding the runtime API", &err))?;
        let api_addr = listener.local_addr().map_err(|err| failed("binding the runtime API", &err))?;
        let api = tokio::spawn(async move {
            let _ = axum::serve(listener, runtime_api(invocation)).await;
        });

        let mut command = tokio::process::Command::new(&self.python);
        command
            .arg("-m")
            .arg("awslambdaric")
            .arg(&e.handler)
            .current_dir(&task)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into()))
            .env("LANG", "C.UTF-8")
            .env("TZ", ":UTC")
            .env("HOME", &tmp)
            .env("TMPDIR", &tmp)
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONPATH", &task);
        // The function's own variables first: what Lambda sets cannot be overridden (the
        // reserved names are refused when the function is configured).
        for (k, v) in &e.variables {
            command.env(k, v.as_str());
        }
        command
            .env("LAMBDA_TASK_ROOT", &task)
            .env("LAMBDA_RUNTIME_DIR", &task)
            .env("_HANDLER", &e.handler)
            .env("AWS_LAMBDA_RUNTIME_API", api_addr.to_string())
            .env("AWS_REGION", &e.region)
            .env("AWS_DEFAULT_REGION", &e.region)
            .env("AWS_EXECUTION_ENV", format!("AWS_Lambda_{}", e.runtime))
            .env("AWS_LAMBDA_FUNCTION_NAME", &e.function_name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", e.memory_mb.to_string())
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", &e.log_group)
            .env("AWS_LAMBDA_LOG_STREAM_NAME", &e.log_stream)
            .env("AWS_ACCESS_KEY_ID", &e.credentials.access_key_id)
            .env("AWS_ACCESS_KEY", &e.credentials.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", e.credentials.secret_access_key.as_str())
            .env("AWS_SESSION_TOKEN", e.credentials.session_token.as_str());
        if !e.variables.contains_key("AWS_ENDPOINT_URL") {
            command.env("AWS_ENDPOINT_URL", &self.endpoint);
        }
        if let Some(ca) = &self.ca_bundle
            && !e.variables.contains_key("AWS_CA_BUNDLE")
        {
            command.env("AWS_CA_BUNDLE", ca);
        }
        command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = match command.spawn() {
            Ok(c) => c,
            Err(err) => {
                api.abort();
                return Err(failed(&format!("starting {}", self.python.display()), &err));
            }
        };
        let pid = child.id();
        let log = Arc::new(Mutex::new(Captured::default()));
        let readers: Vec<_> = [
            child.stdout.take().map(|s| capture(s, started, log.clone())),
            child.stderr.take().map(|s| capture(s, started, log.clone())),
        ]
        .into_iter()
        .flatten()
        .collect();

        let response = tokio::select! {
            r = done_rx => r.unwrap_or(Response::Exited("the runtime API closed".into())),
            status = child.wait() => {
                let status = status.map_or_else(|err| err.to_string(), |s| s.to_string());
                Response::Exited(status)
            }
            () = tokio::time::sleep(timeout) => Response::TimedOut,
        };
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let max_memory_mb = peak_memory_mb(pid);
        let _ = child.start_kill();
        let _ = child.wait().await;
        api.abort();
        for reader in readers {
            let _ = tokio::time::timeout(DRAIN, reader).await;
        }
        let mut captured = std::mem::take(&mut *log.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        if captured.truncated {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            captured.lines.push((
                duration_ms as u64,
                "spcred: the rest of this invocation's output was dropped (more than 10,000 lines or 8 MB)".into(),
            ));
        }
        drop(dir);
        Ok(Outcome { response, log: captured.lines, duration_ms, max_memory_mb })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut out);
        for (name, body) in files {
            writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            writer.write_all(body).unwrap();
        }
        writer.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn packages_are_checked_before_they_are_accepted() {
        assert_eq!(check_package(&zip_of(&[("lambda_function.py", b"def h(e, c): return 1\n")])), Ok(()));
        assert_eq!(check_package(b"not a zip"), Err(UNZIP_FAILED.to_owned()));
        assert_eq!(check_package(&zip_of(&[("../escape.py", b"x")])), Err(UNZIP_FAILED.to_owned()));
        assert_eq!(check_package(&zip_of(&[("/etc/passwd", b"x")])), Err(UNZIP_FAILED.to_owned()));
    }

    #[test]
    fn packages_unpack_below_their_directory() {
        let dir = tempfile::tempdir().unwrap();
        unpack(&zip_of(&[("pkg/mod.py", b"X = 1\n"), ("top.py", b"")]), dir.path()).unwrap();
        assert_eq!(std::fs::read(dir.path().join("pkg/mod.py")).unwrap(), b"X = 1\n");
        assert!(dir.path().join("top.py").exists());
    }
}
