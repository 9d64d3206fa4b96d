//! The seller-side agent: a token broker and SP-API auth proxy beside a seller app, with the
//! client secret's rotation.
//!
//! - [`config`]: flags, environment, TOML and defaults.
//! - [`clock`]: the date, injected.
//! - [`credentials`] and [`ssm`]: the LWA credentials in SSM Parameter Store, re-read by version.
//! - [`lwa`], `cache`, `broker`: LWA exchanges, the token cache (single flight) and restricted
//!   data tokens.
//! - `proxy`, `ratelimit`, `useragent`: calls to SP-API, by the operations of the shared table
//!   (`spapi`); an operation not in it is proxied with the seller's token and paced only by the
//!   429s and `x-amzn-RateLimit-Limit` headers SP-API returns.
//! - `http`: the agent's own API (`/v1/token`, `/v1/rdt`, `/sp/...`, `/metrics`, `/health`).
//! - `notices`, [`rotation`]: the notice queues and the client secret's rotation.

mod broker;
mod cache;
pub mod clock;
pub mod config;
pub mod credentials;
mod error;
mod http;
pub mod lwa;
mod metrics;
mod notices;
mod proxy;
mod ratelimit;
pub mod rotation;
pub mod ssm;
#[cfg(test)]
mod tests;
mod useragent;

/// The grantless scope of the Application Management API.
pub use spapi::scope::ROTATION as SCOPE_ROTATION;

use clock::{Clock, SystemClock};
use config::Config;
use credentials::{Credentials, LoadError};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// A running agent's shared state.
#[derive(Debug)]
pub struct Agent {
    config: Config,
    http: reqwest::Client,
    creds: Arc<Credentials>,
    lwa: lwa::Lwa,
    cache: cache::Cache,
    limiter: ratelimit::Limiter,
    metrics: metrics::Metrics,
    clock: Arc<dyn Clock>,
}

/// The agent could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The credentials could not be read.
    #[error(transparent)]
    Credentials(#[from] LoadError),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The listening socket.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("serving failed: {0}")]
    Serve(std::io::Error),
    /// The TLS certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
}

/// How long a connection to SP-API or LWA may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest SP-API may stay silent within an answer (answers stream, so there is no limit on
/// the whole).
const READ_TIMEOUT: Duration = Duration::from_secs(300);

impl Agent {
    /// An agent with `config`, reading the credentials from `store` once now, and the date from
    /// `clock`.
    pub async fn new(
        config: Config,
        store: Arc<dyn credentials::ParameterStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, AgentError> {
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| AgentError::Client(e.to_string()))?;
        let creds =
            Credentials::load(store, config.parameters.clone(), config.default_seller.clone(), clock.clone()).await?;
        let lwa = lwa::Lwa::new(http.clone(), config.lwa_endpoint.clone());
        Ok(Arc::new(Self {
            config,
            http,
            creds,
            lwa,
            cache: cache::Cache::new(clock.clone()),
            limiter: ratelimit::Limiter::default(),
            metrics: metrics::Metrics::default(),
            clock,
        }))
    }

    /// Re-reads the parameters whose versions changed, every `reload_interval`, for ever.
    async fn watch_parameters(self: Arc<Self>) {
        let mut tick = tokio::time::interval(self.config.reload_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Ok(changed) = self.creds.reload().await
                && !changed.is_empty()
            {
                tracing::info!(parameters = ?changed, "SSM parameters changed: using their new versions");
            }
        }
    }

    /// Serves on `listener` (over TLS when given) until `shutdown` completes, watching the
    /// parameters meanwhile.
    pub async fn serve(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        tls: Option<tls::Tls>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), AgentError> {
        let watcher = tokio::spawn(self.clone().watch_parameters());
        let router = http::router(self);
        let result = tls::serve(listener, router, tls, shutdown).await;
        watcher.abort();
        result.map_err(AgentError::Serve)
    }
}

/// Runs `spcred agent`: reads the credentials from SSM (the standard AWS credential chain and
/// `AWS_ENDPOINT_URL`), listens, and with a rotation queue configured, rotates the client secret.
pub async fn run(config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), AgentError> {
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    ssm::log_credential_source(&aws).await;
    let ssm = ssm::SsmStore::new(&aws);
    let listen = config.listen;
    let rotation = config.rotation.clone();
    let tls = match &config.tls {
        Some((cert, key)) => Some(tls::Tls::from_files(cert, key)?),
        None => None,
    };
    let agent = Agent::new(config, Arc::new(ssm.clone()), Arc::new(SystemClock)).await?;
    let listener =
        tokio::net::TcpListener::bind(listen).await.map_err(|source| AgentError::Listen { addr: listen, source })?;
    let addr = listener.local_addr().map_err(|source| AgentError::Listen { addr: listen, source })?;
    tracing::info!(%addr, tls = tls.is_some(), "spcred agent listening");
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("spcred agent listening on {scheme}://{addr}");
    if let Some(tls) = &tls {
        println!("  tls sha-256: {}", tls.fingerprint);
    }
    let rotator = rotation.map(|settings| tokio::spawn(rotation::run(agent.clone(), ssm, aws, settings)));
    let result = agent.serve(listener, tls, shutdown).await;
    if let Some(r) = rotator {
        r.abort();
    }
    result
}

/// Reads at most `limit` bytes of `response`'s body.
pub(crate) async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<bytes::Bytes, String> {
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.without_url().to_string())? {
        if body.len() + chunk.len() > limit {
            return Err(format!("the answer is larger than {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
