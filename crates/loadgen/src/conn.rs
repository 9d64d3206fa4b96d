//! One keep-alive HTTP/1.1 connection that signs what it sends.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use std::path::Path;
use std::sync::Arc;

/// Where and as whom to send.
pub struct Target {
    addr: String,
    host: String,
    creds: sigv4::Credentials,
    region: String,
    /// The admin token, for scenarios that set up SP-API sandbox state.
    pub admin_token: Option<String>,
}

impl Target {
    pub fn new(endpoint: &str, credentials: &Path, profile: &str, region: &str) -> Result<Self, String> {
        let host = host_of(endpoint)?;
        let text = std::fs::read_to_string(credentials).map_err(|e| format!("{}: {e}", credentials.display()))?;
        let (mut id, mut secret, mut in_profile) = (None, None, false);
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                in_profile = line == format!("[{profile}]");
            } else if in_profile && let Some((k, v)) = line.split_once('=') {
                match k.trim() {
                    "aws_access_key_id" => id = Some(v.trim().to_owned()),
                    "aws_secret_access_key" => secret = Some(v.trim().to_owned()),
                    _ => {}
                }
            }
        }
        let (Some(id), Some(secret)) = (id, secret) else {
            return Err(format!("no keys for profile {profile} in {}", credentials.display()));
        };
        Ok(Self {
            addr: host.clone(),
            host,
            creds: sigv4::Credentials::new(id, secret, None),
            region: region.to_owned(),
            admin_token: None,
        })
    }
}

fn host_of(endpoint: &str) -> Result<String, String> {
    Ok(endpoint
        .strip_prefix("http://")
        .ok_or("the endpoint must be http://HOST:PORT")?
        .trim_end_matches('/')
        .to_owned())
}

impl Target {
    /// The same credentials and region at another endpoint (a `spcred agent` beside the server).
    pub fn at(&self, endpoint: &str) -> Result<Self, String> {
        let host = host_of(endpoint)?;
        Ok(Self { addr: host.clone(), host, creds: self.creds.clone(), region: self.region.clone(), admin_token: None })
    }
}

/// A connection and the target it talks to.
pub struct Conn {
    target: Arc<Target>,
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    pub async fn open(target: Arc<Target>) -> Result<Self, String> {
        let stream =
            tokio::net::TcpStream::connect(&target.addr).await.map_err(|e| format!("connect {}: {e}", target.addr))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        Ok(Self { target, sender })
    }

    pub fn target(&self) -> Arc<Target> {
        self.target.clone()
    }

    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    /// Sends a request; signs it for `service` unless `service` is `None`. Returns status and body.
    pub async fn send(
        &mut self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Bytes,
        service: Option<&str>,
    ) -> Result<(u16, Bytes), String> {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let mut all: Vec<(&str, &str)> = vec![("host", self.target.host.as_str())];
        all.extend_from_slice(headers);
        let signed;
        if let Some(service) = service {
            let req = sigv4::Request { method, path, query, headers: &all, body: &body };
            signed = sigv4::sign(&req, &self.target.creds, &self.target.region, service, jiff::Timestamp::now());
            all.extend(signed.iter());
        }
        let mut builder = http::Request::builder().method(method).uri(path_and_query);
        for (k, v) in &all {
            builder = builder.header(*k, *v);
        }
        let request = builder.body(Full::new(body)).map_err(|e| e.to_string())?;
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let response = self.sender.send_request(request).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok((status, body))
    }

    /// An awsQuery call (form POST to `/`).
    pub async fn query(&mut self, service: &str, form: &str) -> Result<Bytes, String> {
        let headers = [("content-type", "application/x-www-form-urlencoded; charset=utf-8")];
        expect_ok(self.send("POST", "/", &headers, Bytes::copy_from_slice(form.as_bytes()), Some(service)).await?)
    }

    /// An awsJson call.
    pub async fn json(&mut self, service: &str, content_type: &str, target: &str, body: &str) -> Result<Bytes, String> {
        let headers = [("content-type", content_type), ("x-amz-target", target)];
        expect_ok(self.send("POST", "/", &headers, Bytes::copy_from_slice(body.as_bytes()), Some(service)).await?)
    }
}

impl Conn {
    /// An admin API call with a JSON body; returns the JSON answer of a 2xx.
    pub async fn admin(
        &mut self,
        method: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let token =
            self.target.admin_token.clone().ok_or("the SP-API scenarios need the admin token (--admin-token-file)")?;
        let auth = format!("Bearer {token}");
        let headers = [("content-type", "application/json"), ("authorization", auth.as_str())];
        let (status, bytes) = self.send(method, path, &headers, Bytes::from(body.to_string()), None).await?;
        if !(200..300).contains(&status) {
            return Err(format!("{method} {path}: HTTP {status}: {}", String::from_utf8_lossy(&bytes)));
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("{method} {path}: {e}"))
    }
}

/// The body of a 200, or the status and body as the error.
pub fn expect_ok((status, body): (u16, Bytes)) -> Result<Bytes, String> {
    if status == 200 {
        Ok(body)
    } else {
        Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body).chars().take(300).collect::<String>()))
    }
}
