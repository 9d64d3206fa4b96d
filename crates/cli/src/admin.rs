//! Commands that talk to a running server's admin API.

use crate::{AdminArgs, AuditArgs, DeliveriesArgs, OutboxArgs};
use serde_json::Value;

/// A client of the admin API.
pub struct Admin {
    http: reqwest::Client,
    endpoint: String,
    token: String,
    pub json: bool,
}

impl Admin {
    pub fn new(args: &AdminArgs) -> Result<Self, String> {
        let token = if let Some(t) = &args.admin_token {
            t.clone()
        } else {
            let path = args.data_dir.join("admin-token");
            std::fs::read_to_string(&path)
                .map_err(|e| {
                    format!(
                        "no admin token: give --admin-token or SPCRED_ADMIN_TOKEN, or make {} readable ({e})",
                        path.display()
                    )
                })?
                .trim()
                .to_owned()
        };
        Ok(Self {
            http: reqwest::Client::new(),
            endpoint: args.endpoint.trim_end_matches('/').to_owned(),
            token,
            json: args.json,
        })
    }

    /// GETs `path` (under the endpoint) with `query`, returning the JSON body or the API's error.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, String> {
        self.send(self.http.get(format!("{}{path}", self.endpoint)).query(query)).await
    }

    /// Sends `body` as JSON with `method` to `path`, returning the JSON body or the API's error.
    pub async fn send_json(&self, method: reqwest::Method, path: &str, body: &Value) -> Result<Value, String> {
        self.send(self.http.request(method, format!("{}{path}", self.endpoint)).json(body)).await
    }

    /// POSTs a file's bytes to `path` with `query`, returning the JSON body or the API's error.
    pub async fn upload(&self, path: &str, query: &[(&str, String)], bytes: Vec<u8>) -> Result<Value, String> {
        let request = self.http.post(format!("{}{path}", self.endpoint)).query(query).body(bytes);
        self.send(request.header(reqwest::header::CONTENT_TYPE, "application/octet-stream")).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, String> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| format!("cannot reach spcred at {}: {e}", self.endpoint))?;
        let status = response.status();
        let body: Value =
            response.json().await.map_err(|e| format!("unexpected answer from {}: {e}", self.endpoint))?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!(
                "{} ({status}): {}",
                body["error"].as_str().unwrap_or("error"),
                body["message"].as_str().unwrap_or("")
            ))
        }
    }
}

pub async fn audit(args: AuditArgs) -> Result<(), String> {
    let admin = Admin::new(&args.admin)?;
    let mut query = vec![("limit", args.limit.to_string())];
    query.extend(args.principal.map(|p| ("principal", p)));
    query.extend(args.operation.map(|o| ("operation", o)));
    query.extend(args.since.map(|s| ("since", s)));
    let body = admin.get("/_spcred/audit", &query).await?;
    if admin.json {
        println!("{}", serde_json::to_string_pretty(&body).unwrap_or_default());
        return Ok(());
    }
    for r in body["records"].as_array().into_iter().flatten() {
        let time = r["time_ms"]
            .as_i64()
            .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
            .map(|t| t.to_string())
            .unwrap_or_default();
        println!(
            "{time}  {:<7} {:<45} {}:{}  {}  {} {}",
            r["outcome"].as_str().unwrap_or(""),
            r["principal_arn"].as_str().unwrap_or("-"),
            r["service"].as_str().unwrap_or(""),
            r["operation"].as_str().unwrap_or(""),
            r["error_code"].as_str().unwrap_or("-"),
            r["source_ip"].as_str().unwrap_or(""),
            r["request_id"].as_str().unwrap_or(""),
        );
    }
    Ok(())
}

fn time(ms: Option<i64>) -> String {
    ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok()).map(|t| t.to_string()).unwrap_or_default()
}

pub async fn outbox(args: OutboxArgs) -> Result<(), String> {
    let admin = Admin::new(&args.admin)?;
    let mut query = vec![("after", args.after.to_string()), ("limit", args.limit.to_string())];
    query.extend(args.channel.map(|c| ("channel", c)));
    let body = admin.get("/_spcred/outbox", &query).await?;
    if admin.json {
        println!("{}", serde_json::to_string_pretty(&body).unwrap_or_default());
        return Ok(());
    }
    for m in body["messages"].as_array().into_iter().flatten() {
        println!(
            "#{} {} {} to {}{}",
            m["id"],
            time(m["created_ms"].as_i64()),
            m["channel"].as_str().unwrap_or(""),
            m["recipient"].as_str().unwrap_or(""),
            m["subject"].as_str().map(|s| format!(": {s}")).unwrap_or_default(),
        );
        for line in m["body"].as_str().unwrap_or("").lines() {
            println!("    {line}");
        }
    }
    Ok(())
}

pub async fn deliveries(args: DeliveriesArgs) -> Result<(), String> {
    let admin = Admin::new(&args.admin)?;
    let mut query = vec![("limit", args.limit.to_string())];
    query.extend(args.status.map(|s| ("status", s)));
    query.extend(args.source.map(|s| ("source", s)));
    query.extend(args.id.map(|i| ("id", i)));
    let body = admin.get("/_spcred/deliveries", &query).await?;
    if admin.json {
        println!("{}", serde_json::to_string_pretty(&body).unwrap_or_default());
        return Ok(());
    }
    let line = |d: &Value| {
        println!(
            "{}  {}  {:<9} {:<10} {:<5} attempts={} {} -> {}  {}",
            time(d["created_ms"].as_i64()),
            d["id"].as_str().unwrap_or(""),
            d["status"].as_str().unwrap_or(""),
            d["protocol"].as_str().unwrap_or(""),
            d["message_type"].as_str().unwrap_or(""),
            d["attempts"],
            d["source"].as_str().unwrap_or(""),
            d["endpoint"].as_str().unwrap_or(""),
            d["last_error"].as_str().unwrap_or(""),
        );
    };
    if let Some(d) = body.get("delivery") {
        line(d);
        for a in body["attempts"].as_array().into_iter().flatten() {
            println!(
                "    #{} {} {} {}",
                a["attempt"],
                time(a["at_ms"].as_i64()),
                a["outcome"].as_str().unwrap_or(""),
                a["detail"].as_str().unwrap_or("")
            );
        }
        return Ok(());
    }
    for d in body["deliveries"].as_array().into_iter().flatten() {
        line(d);
    }
    Ok(())
}
