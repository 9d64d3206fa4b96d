//! What the connections do, one step at a time. A step is one measured operation (one request,
//! or a short sequence when the operation needs state, such as receive-then-delete).

use crate::conn::{Conn, expect_ok};
use bytes::Bytes;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};

/// A load scenario.
#[async_trait::async_trait]
pub trait Scenario: Send + Sync {
    /// Prepares server-side state once, before the run (create a queue, put a parameter).
    async fn setup(&self, _conn: &mut Conn) -> Result<(), String> {
        Ok(())
    }
    /// One measured operation by connection `worker`, its `n`-th.
    async fn step(&self, conn: &mut Conn, worker: usize, n: u64) -> Result<(), String>;
    /// Whether the scenario has run out of work (the queue a receive run drains is empty): its
    /// connections stop, and its rate counts only the time it ran.
    fn exhausted(&self) -> bool {
        false
    }
    /// Whether it drives a `spcred agent` (`--agent`) rather than the server.
    fn on_agent(&self) -> bool {
        false
    }
}

/// The scenario names, for the command line.
pub const NAMES: &[&str] = &[
    "noop",
    "gci",
    "iam-get-user",
    "sqs-send",
    "sqs-send-batch",
    "sqs-receive",
    "sqs-delete",
    "ssm-get-secure",
    "lwa",
    "spapi",
    "agent-token",
    "agent-spapi",
];

/// The scenario called `name`.
pub fn by_name(name: &str) -> Option<Arc<dyn Scenario>> {
    Some(match name {
        "noop" => Arc::new(Noop),
        "gci" => Arc::new(GetCallerIdentity),
        "iam-get-user" => Arc::new(IamGetUser),
        "sqs-send" => Arc::new(SqsSend),
        "sqs-send-batch" => Arc::new(SqsSendBatch),
        "sqs-receive" => Arc::new(SqsReceive),
        "sqs-delete" => Arc::new(SqsDelete),
        "ssm-get-secure" => Arc::new(SsmGetSecure),
        "lwa" => Arc::new(LwaExchange::default()),
        "spapi" => Arc::new(SpApiCall::default()),
        "agent-token" => Arc::new(AgentCall("/v1/token")),
        "agent-spapi" => Arc::new(AgentCall("/sp/na/sellers/v1/marketplaceParticipations")),
        _ => return None,
    })
}

/// The loopback ceiling: an unauthenticated no-op handler (`GET /_spcred/health`) on the same
/// server stack.
struct Noop;

#[async_trait::async_trait]
impl Scenario for Noop {
    async fn step(&self, conn: &mut Conn, _: usize, _: u64) -> Result<(), String> {
        expect_ok(conn.send("GET", "/_spcred/health", &[], Bytes::new(), None).await?).map(drop)
    }
}

/// STS GetCallerIdentity: SigV4 verification, authorization, audit, XML.
struct GetCallerIdentity;

#[async_trait::async_trait]
impl Scenario for GetCallerIdentity {
    async fn step(&self, conn: &mut Conn, _: usize, _: u64) -> Result<(), String> {
        conn.query("sts", "Action=GetCallerIdentity&Version=2011-06-15").await.map(drop)
    }
}

/// IAM GetUser of the caller itself: SigV4, a store read for the user's ARN, IAM policy
/// evaluation (the caller's policies come from the per-principal cache), audit, XML.
struct IamGetUser;

#[async_trait::async_trait]
impl Scenario for IamGetUser {
    async fn step(&self, conn: &mut Conn, _: usize, _: u64) -> Result<(), String> {
        conn.query("iam", "Action=GetUser&Version=2010-05-08").await.map(drop)
    }
}

/// The queue the SQS scenarios share in one run, and the receipt handles `sqs-receive` leaves
/// for `sqs-delete`: run them in the order send, receive, delete. A receive run stops when it
/// has drained the queue, a delete run when it has deleted every message received.
struct SqsRun {
    url: OnceLock<String>,
    handles: Mutex<Vec<String>>,
    drained: AtomicBool,
}

static SQS: LazyLock<SqsRun> =
    LazyLock::new(|| SqsRun { url: OnceLock::new(), handles: Mutex::new(Vec::new()), drained: AtomicBool::new(false) });

/// A message body of a realistic size (an SP-API notification is a few hundred bytes).
const SQS_BODY: &str = concat!(
    r#"{"notificationVersion":"1.0","notificationType":"APPLICATION_OAUTH_CLIENT_NEW_SECRET","payload":"#,
    r#"{"applicationOAuthClientNewSecret":{"clientId":"amzn1.application-oa2-client.0123456789abcdef","#,
    r#""newClientSecret":"amzn1.oa2-cs.v1.0123456789abcdef","oldClientSecretExpiryTime":"2025-01-01T00:00:00Z"}}}"#
);

async fn sqs(conn: &mut Conn, operation: &str, body: &Value) -> Result<Value, String> {
    let target = format!("AmazonSQS.{operation}");
    let bytes = conn.json("sqs", "application/x-amz-json-1.0", &target, &body.to_string()).await?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{operation}: {e}"))
}

/// Creates the run's queue once (a fresh name per run, so earlier runs leave nothing in it).
async fn sqs_setup(conn: &mut Conn) -> Result<(), String> {
    if SQS.url.get().is_some() {
        return Ok(());
    }
    let name = format!("spcred-loadgen-{}", jiff::Timestamp::now().as_millisecond());
    let out = sqs(conn, "CreateQueue", &json!({"QueueName": name})).await?;
    let url = out["QueueUrl"].as_str().ok_or("CreateQueue returned no QueueUrl")?;
    let _ = SQS.url.set(url.to_owned());
    Ok(())
}

fn sqs_url() -> Result<&'static str, String> {
    SQS.url.get().map(String::as_str).ok_or_else(|| "the SQS queue was not set up".to_owned())
}

/// SQS SendMessage: one message per operation.
struct SqsSend;

#[async_trait::async_trait]
impl Scenario for SqsSend {
    async fn setup(&self, conn: &mut Conn) -> Result<(), String> {
        sqs_setup(conn).await
    }

    async fn step(&self, conn: &mut Conn, _: usize, _: u64) -> Result<(), String> {
        sqs(conn, "SendMessage", &json!({"QueueUrl": sqs_url()?, "MessageBody": SQS_BODY})).await.map(drop)
    }
}

/// SQS SendMessageBatch: ten messages per operation.
struct SqsSendBatch;

#[async_trait::async_trait]
impl Scenario for SqsSendBatch {
    async fn setup(&self, conn: &mut Conn) -> Result<(), String> {
        sqs_setup(conn).await
    }

    async fn step(&self, conn: &mut Conn, _: usize, _: u64) -> Result<(), String> {
        let entries: Vec<Value> = (0..10).map(|i| json!({"Id": i.to_string(), "MessageBody": SQS_BODY})).collect();
        let out = sqs(conn, "SendMessageBatch", &json!({"QueueUrl": sqs_url()?, "Entries": entries})).await?;
        match out["Failed"].as_array().map(Vec::len) {
            Some(0) | None => Ok(()),
            Some(n) => Err(format!("{n} entries failed")),
        }
    }
}

/// SQS ReceiveMessage of up to ten messages per operation, kept invisible for the delete run,
/// until the queue is empty.
struct SqsReceive;

#[async_trait::async_trait]
impl Scenario for SqsReceive {
    async fn setup(&self, conn: &mut Conn) -> Result<(), String> {
        sqs_setup(conn).await
    }

    async fn step(&self, conn: &mut Conn, _: usize, _: u64) -> Result<(), String> {
        let request = json!({"QueueUrl": sqs_url()?, "MaxNumberOfMessages": 10, "VisibilityTimeout": 900});
        let out = sqs(conn, "ReceiveMessage", &request).await?;
        let handles: Vec<String> = out["Messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["ReceiptHandle"].as_str().map(str::to_owned))
            .collect();
        if handles.len() < 10 {
            SQS.drained.store(true, Ordering::Relaxed);
        }
        if handles.is_empty() {
            return Err("the queue is empty: run sqs-send or sqs-send-batch before sqs-receive".to_owned());
        }
        SQS.handles.lock().unwrap_or_else(PoisonError::into_inner).extend(handles);
        Ok(())
    }

    fn exhausted(&self) -> bool {
        SQS.drained.load(Ordering::Relaxed)
    }
}

/// SQS DeleteMessageBatch of ten received messages per operation, until none are left.
struct SqsDelete;

#[async_trait::async_trait]
impl Scenario for SqsDelete {
    async fn setup(&self, conn: &mut Conn) -> Result<(), String> {
        sqs_setup(conn).await
    }

    async fn step(&self, conn: &mut Conn, _: usize, _: u64) -> Result<(), String> {
        let handles: Vec<String> = {
            let mut pool = SQS.handles.lock().unwrap_or_else(PoisonError::into_inner);
            let keep = pool.len().saturating_sub(10);
            pool.split_off(keep)
        };
        if handles.is_empty() {
            return Err("no receipt handles: run sqs-receive before sqs-delete".to_owned());
        }
        let entries: Vec<Value> =
            handles.iter().enumerate().map(|(i, h)| json!({"Id": i.to_string(), "ReceiptHandle": h})).collect();
        let out = sqs(conn, "DeleteMessageBatch", &json!({"QueueUrl": sqs_url()?, "Entries": entries})).await?;
        match out["Failed"].as_array().map(Vec::len) {
            Some(0) | None => Ok(()),
            Some(n) => Err(format!("{n} deletes failed")),
        }
    }

    fn exhausted(&self) -> bool {
        SQS.handles.lock().unwrap_or_else(PoisonError::into_inner).is_empty()
    }
}

/// SSM GetParameter WithDecryption of a SecureString: SigV4, authorization of the SSM action and
/// of `kms:Decrypt` on the key, a store read, KMS decryption, JSON.
struct SsmGetSecure;

const SSM_JSON: &str = "application/x-amz-json-1.1";
const SECURE_NAME: &str = "/spcred-loadgen/secure";

#[async_trait::async_trait]
impl Scenario for SsmGetSecure {
    async fn setup(&self, conn: &mut Conn) -> Result<(), String> {
        let body = serde_json::json!({
            "Name": SECURE_NAME, "Value": "loadgen-secret-value", "Type": "SecureString", "Overwrite": true,
        });
        conn.json("ssm", SSM_JSON, "AmazonSSM.PutParameter", &body.to_string()).await.map(drop)
    }

    async fn step(&self, conn: &mut Conn, _: usize, _: u64) -> Result<(), String> {
        let body = format!(r#"{{"Name":"{SECURE_NAME}","WithDecryption":true}}"#);
        let reply = conn.json("ssm", SSM_JSON, "AmazonSSM.GetParameter", &body).await?;
        if carries_plaintext(&reply) { Ok(()) } else { Err("GetParameter did not return the decrypted value".into()) }
    }
}

/// Whether the reply carries the plaintext (a cheap check that decryption really happened).
fn carries_plaintext(reply: &[u8]) -> bool {
    reply.windows(b"loadgen-secret-value".len()).any(|w| w == b"loadgen-secret-value")
}

/// What the SP-API scenarios set up once: an app authorized by a selling partner.
struct SpState {
    client_id: String,
    client_secret: String,
    refresh_token: String,
    access_token: String,
}

fn field(v: &serde_json::Value, path: &[&str]) -> Result<String, String> {
    let mut at = v;
    for key in path {
        at = &at[*key];
    }
    at.as_str().map(str::to_owned).ok_or_else(|| format!("no {} in {v}", path.join(".")))
}

/// Registers the developer (and approves the registration), creates an app and a selling partner (with a usage plan that will
/// not meter the run), self-authorizes, and takes a first access token.
async fn sp_setup(conn: &mut Conn) -> Result<SpState, String> {
    let roles = serde_json::json!(["Inventory and Order Tracking"]);
    let profile = conn
        .admin(
            "POST",
            "/_spcred/sp/developers",
            &serde_json::json!({
                "organization": {"name": "loadgen"},
                "contact": {"name": "loadgen", "email": "loadgen@example.com"},
                "dataAccess": "private",
                "useCases": {"roles": roles},
            }),
        )
        .await?;
    // Amazon's side approves the registration before apps can be made.
    let case = field(&profile, &["registrationCaseId"])?;
    conn.admin(
        "POST",
        &format!("/_spcred/sp/reviews/{case}/decisions"),
        &serde_json::json!({"step": "registration", "decision": "approve"}),
    )
    .await?;
    let app = conn
        .admin(
            "POST",
            "/_spcred/sp/apps",
            &serde_json::json!({"name": format!("loadgen-{}", std::process::id()), "roles": roles}),
        )
        .await?;
    let seller = conn
        .admin("POST", "/_spcred/sp/sellers", &serde_json::json!({"name": "loadgen store", "rateScale": 1_000_000.0}))
        .await?;
    let app_id = field(&app, &["applicationId"])?;
    let seller_id = field(&seller, &["sellingPartnerId"])?;
    let auth = conn
        .admin(
            "POST",
            "/_spcred/sp/authorizations",
            &serde_json::json!({"applicationId": app_id, "sellingPartnerId": seller_id}),
        )
        .await?;
    let mut state = SpState {
        client_id: field(&app, &["lwaCredentials", "clientId"])?,
        client_secret: field(&app, &["clientSecret"])?,
        refresh_token: field(&auth, &["refreshToken"])?,
        access_token: String::new(),
    };
    let body =
        expect_ok(conn.send("POST", "/auth/o2/token", &[("content-type", FORM)], exchange_form(&state), None).await?)?;
    let token: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    state.access_token = field(&token, &["access_token"])?;
    Ok(state)
}

const FORM: &str = "application/x-www-form-urlencoded";

fn exchange_form(s: &SpState) -> Bytes {
    let enc = |v: &str| percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string();
    Bytes::from(format!(
        "grant_type=refresh_token&refresh_token={}&client_id={}&client_secret={}",
        enc(&s.refresh_token),
        enc(&s.client_id),
        enc(&s.client_secret)
    ))
}

/// The LWA token exchange: a refresh token for an access token at `/auth/o2/token`.
#[derive(Default)]
struct LwaExchange(std::sync::OnceLock<SpState>);

#[async_trait::async_trait]
impl Scenario for LwaExchange {
    async fn setup(&self, conn: &mut Conn) -> Result<(), String> {
        let state = sp_setup(conn).await?;
        self.0.set(state).map_err(|_| "set up twice".to_owned())
    }

    async fn step(&self, conn: &mut Conn, _: usize, _: u64) -> Result<(), String> {
        let s = self.0.get().ok_or("not set up")?;
        expect_ok(conn.send("POST", "/auth/o2/token", &[("content-type", FORM)], exchange_form(s), None).await?)
            .map(drop)
    }
}

/// An authorized SP-API call: `getMarketplaceParticipations` with a selling partner's access token.
#[derive(Default)]
struct SpApiCall(std::sync::OnceLock<SpState>);

#[async_trait::async_trait]
impl Scenario for SpApiCall {
    async fn setup(&self, conn: &mut Conn) -> Result<(), String> {
        let state = sp_setup(conn).await?;
        self.0.set(state).map_err(|_| "set up twice".to_owned())
    }

    async fn step(&self, conn: &mut Conn, _: usize, _: u64) -> Result<(), String> {
        let s = self.0.get().ok_or("not set up")?;
        let headers = [("x-amz-access-token", s.access_token.as_str())];
        expect_ok(conn.send("GET", "/sellers/v1/marketplaceParticipations", &headers, Bytes::new(), None).await?)
            .map(drop)
    }
}

/// A `GET` to a `spcred agent` whose parameters name a selling partner authorized with a large
/// usage plan: `/v1/token` (a cached token) or the same `getMarketplaceParticipations` as
/// `spapi`, through the proxy, so that the two compare.
struct AgentCall(&'static str);

#[async_trait::async_trait]
impl Scenario for AgentCall {
    async fn step(&self, conn: &mut Conn, _: usize, _: u64) -> Result<(), String> {
        expect_ok(conn.send("GET", self.0, &[], Bytes::new(), None).await?).map(drop)
    }

    fn on_agent(&self) -> bool {
        true
    }
}
