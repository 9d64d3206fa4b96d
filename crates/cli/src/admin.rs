//! Commands that talk to a running server's admin API.

use crate::{AdminArgs, AuditArgs};
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
