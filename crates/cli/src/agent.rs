//! `spcred agent`: flags and environment into the agent's settings; the agent does the rest.

use agent::config::{RotationSettings, Settings, SsmSettings};
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
    /// Serve HTTPS with this certificate chain (PEM, leaf first); reread on SIGHUP.
    #[arg(long, env = "SPCRED_AGENT_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, env = "SPCRED_AGENT_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP beyond loopback (refused otherwise: the agent hands out access tokens).
    #[arg(long, env = "SPCRED_AGENT_INSECURE_HTTP", num_args = 0..=1, default_missing_value = "true")]
    insecure_http: Option<bool>,
    /// The application's name in the user-agent [default: spcred-agent].
    #[arg(long, env = "SPCRED_AGENT_APP_NAME")]
    app_name: Option<String>,
    /// The application's version in the user-agent.
    #[arg(long, env = "SPCRED_AGENT_APP_VERSION")]
    app_version: Option<String>,
    /// The longest a proxied call waits for its usage plan, 429 retries included, in seconds [default: 60].
    #[arg(long, env = "SPCRED_AGENT_MAX_THROTTLE_WAIT")]
    max_throttle_wait: Option<u64>,
    /// An SQS queue of the application notices of the client secret (repeatable); with one, the
    /// agent rotates the secret.
    #[arg(long = "rotation-queue-url", env = "SPCRED_AGENT_ROTATION_QUEUE_URL", value_delimiter = ',')]
    rotation_queue_urls: Vec<String>,
    /// The SNS topic told of every rotation outcome.
    #[arg(long, env = "SPCRED_AGENT_ROTATION_TOPIC_ARN")]
    rotation_topic_arn: Option<String>,
    /// Rotate when the secret expires within this many days [default: 30].
    #[arg(long, env = "SPCRED_AGENT_ROTATION_THRESHOLD_DAYS")]
    rotation_threshold_days: Option<u32>,
    /// A TOML file with the same keys, plus [endpoints] (na, eu, fe) and [ssm] (prefix, client-id,
    /// client-secret, refresh-token, sellers-prefix, reload-seconds) and [rotation] (queue-urls,
    /// topic-arn, threshold-days, secret-lifetime-days, check-seconds).
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
        let rotation = (!self.rotation_queue_urls.is_empty()
            || self.rotation_topic_arn.is_some()
            || self.rotation_threshold_days.is_some())
        .then(|| RotationSettings {
            queue_urls: (!self.rotation_queue_urls.is_empty()).then(|| self.rotation_queue_urls.clone()),
            topic_arn: self.rotation_topic_arn.clone(),
            threshold_days: self.rotation_threshold_days,
            ..RotationSettings::default()
        });
        Settings {
            rotation,
            listen: self.listen,
            sp_endpoint: self.sp_endpoint.clone(),
            lwa_endpoint: self.lwa_endpoint.clone(),
            default_seller: self.default_seller.clone(),
            auth_token_file: self.auth_token_file.clone(),
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            insecure_http: self.insecure_http,
            app_name: self.app_name.clone(),
            app_version: self.app_version.clone(),
            max_throttle_wait_seconds: self.max_throttle_wait,
            ssm,
            ..Settings::default()
        }
    }

    /// The configuration: flags, then environment, then the file.
    fn resolve(&self) -> Result<agent::config::Config, String> {
        let from_file = match &self.config {
            Some(path) => Settings::from_file(path).map_err(|e| e.to_string())?,
            None => Settings::default(),
        };
        self.settings().or(from_file).resolve().map_err(|e| e.to_string())
    }
}

/// Runs the agent.
pub async fn run(args: AgentArgs) -> Result<(), String> {
    let config = args.resolve()?;
    server::init_logging(args.log_format.unwrap_or_default());
    // Secrets (the bearer token) redact themselves in Debug.
    tracing::info!(?config, "configuration");
    agent::run(config, server::shutdown_signal()).await.map_err(|e| e.to_string())
}

#[derive(Args)]
pub struct RotateArgs {
    /// Read the new client secret (rotated by hand in Developer Central) from stdin.
    #[arg(long, required = true)]
    new_secret_from_stdin: bool,
    #[command(flatten)]
    agent: AgentArgs,
}

/// Proves the secret read from stdin with LWA and stores it as a new version of the parameter.
pub async fn rotate(args: RotateArgs) -> Result<(), String> {
    let config = args.agent.resolve()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|e| format!("cannot read the secret from stdin: {e}"))?;
    let secret = crypto::Secret::new(line.trim());
    if secret.expose().is_empty() {
        return Err("no secret on stdin".into());
    }
    let version = agent::rotation::store_by_hand(&config, &secret, &agent::clock::SystemClock).await?;
    println!("stored the new client secret as version {version} of {}", config.parameters.client_secret);
    Ok(())
}
