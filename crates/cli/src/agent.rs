//! `spcred agent`: flags and environment into the agent's settings; the agent does the rest.

use agent::config::{Settings, SsmSettings};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Args)]
pub struct AgentArgs {
    /// Address to listen on [default: 127.0.0.1:4580]; beyond loopback, --auth-token-file is required.
    #[arg(long, env = "SPCRED_AGENT_LISTEN")]
    listen: Option<SocketAddr>,
    /// One SP-API endpoint for every region (spcred's sandbox: http://127.0.0.1:4566)
    /// [default: https://sellingpartnerapi-{na,eu,fe}.amazon.com].
    #[arg(long, env = "SPCRED_AGENT_SP_ENDPOINT")]
    sp_endpoint: Option<String>,
    /// The LWA token endpoint [default: https://api.amazon.com/auth/o2/token].
    #[arg(long, env = "SPCRED_AGENT_LWA_ENDPOINT")]
    lwa_endpoint: Option<String>,
    /// The prefix of the SSM parameter names [default: /my-erp].
    #[arg(long, env = "SPCRED_AGENT_SSM_PREFIX")]
    ssm_prefix: Option<String>,
    /// How often the SSM parameters' versions are checked, in seconds [default: 60].
    #[arg(long, env = "SPCRED_AGENT_RELOAD_SECONDS")]
    reload_seconds: Option<u64>,
    /// The selling partner of requests that name none.
    #[arg(long, env = "SPCRED_AGENT_DEFAULT_SELLER")]
    default_seller: Option<String>,
    /// A file holding the bearer token clients must present.
    #[arg(long, env = "SPCRED_AGENT_AUTH_TOKEN_FILE")]
    auth_token_file: Option<PathBuf>,
    /// The application's name in the user-agent [default: spcred-agent].
    #[arg(long, env = "SPCRED_AGENT_APP_NAME")]
    app_name: Option<String>,
    /// The application's version in the user-agent.
    #[arg(long, env = "SPCRED_AGENT_APP_VERSION")]
    app_version: Option<String>,
    /// The longest a proxied call waits for its usage plan, 429 retries included, in seconds [default: 60].
    #[arg(long, env = "SPCRED_AGENT_MAX_THROTTLE_WAIT")]
    max_throttle_wait: Option<u64>,
    /// A TOML file with the same keys, plus [endpoints] (na, eu, fe) and [ssm] (prefix, client-id,
    /// client-secret, refresh-token, sellers-prefix, reload-seconds).
    #[arg(long, env = "SPCRED_AGENT_CONFIG")]
    config: Option<PathBuf>,
    /// Log format: text or json [default: text].
    #[arg(long, env = "SPCRED_LOG_FORMAT")]
    log_format: Option<server::LogFormat>,
}

impl AgentArgs {
    fn settings(&self) -> Settings {
        let ssm = (self.ssm_prefix.is_some() || self.reload_seconds.is_some()).then(|| SsmSettings {
            prefix: self.ssm_prefix.clone(),
            reload_seconds: self.reload_seconds,
            ..SsmSettings::default()
        });
        Settings {
            listen: self.listen,
            sp_endpoint: self.sp_endpoint.clone(),
            lwa_endpoint: self.lwa_endpoint.clone(),
            default_seller: self.default_seller.clone(),
            auth_token_file: self.auth_token_file.clone(),
            app_name: self.app_name.clone(),
            app_version: self.app_version.clone(),
            max_throttle_wait_seconds: self.max_throttle_wait,
            ssm,
            ..Settings::default()
        }
    }
}

/// Resolves the configuration (flags, then environment, then the file) and runs the agent.
pub async fn run(args: AgentArgs) -> Result<(), String> {
    let from_file = match &args.config {
        Some(path) => Settings::from_file(path).map_err(|e| e.to_string())?,
        None => Settings::default(),
    };
    let config = args.settings().or(from_file).resolve().map_err(|e| e.to_string())?;
    server::init_logging(args.log_format.unwrap_or_default());
    agent::run(config, server::shutdown_signal()).await.map_err(|e| e.to_string())
}
