//! `spcred`: the credential platform for Selling Partner API apps.

mod account;
mod admin;
mod agent;
mod dp;
mod setup;
mod sp;
mod store;

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "spcred", version, about = "The credential platform for Selling Partner API apps")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the credential platform: AWS-compatible IAM, STS, KMS, SSM, EventBridge, SNS, SQS and
    /// the SP-API sandbox on one port.
    Serve(ServeArgs),
    /// Print the audit log of a running server.
    Audit(AuditArgs),
    /// The store outside a running server: copy it to another database.
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// More AWS accounts in the store: another account to trust, or members of an organization.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// The SP-API sandbox's Developer Central: developer profile, apps, sellers, authorizations.
    #[command(subcommand)]
    Sp(sp::SpCommand),
    /// Amazon Data Portability in the sandbox: the onboarding request (Identity and Security
    /// Assessment), Amazon's reviewer decisions, customers and their authorizations.
    #[command(subcommand)]
    Dp(dp::DpCommand),
    /// Print the local outbox of a running server: the e-mail and SMS it kept because no SMTP
    /// server or SMS provider is configured.
    Outbox(OutboxArgs),
    /// Print a running server's deliveries (SNS notifications, EventBridge target invocations)
    /// and their outcomes.
    Deliveries(DeliveriesArgs),
    /// The token broker and SP-API auth proxy beside a seller app: LWA credentials from SSM,
    /// tokens cached and refreshed, restricted data tokens, usage plans.
    Agent(Box<agent::AgentArgs>),
    /// Store a client secret rotated by hand in Developer Central: proved with LWA, then written
    /// as a new version of the SSM parameter, which a running agent picks up.
    Rotate(Box<agent::RotateArgs>),
    /// Provision the seller's IAM and rotation infrastructure (seller guides and rotation blog)
    /// in AWS or spcred, idempotently; prints what to paste into Developer Central.
    Setup(setup::SetupArgs),
    /// Check the seller's IAM and rotation infrastructure, one line per check with the fix;
    /// exits non-zero when a check fails.
    Doctor(setup::DoctorArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:4566].
    #[arg(long, env = "SPCRED_LISTEN")]
    listen: Option<SocketAddr>,
    /// Data directory: store, master key, credentials [default: ./spcred-data].
    #[arg(long, env = "SPCRED_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Keep the store in this PostgreSQL database (postgres://user:password@host:port/db, 15 or
    /// later), which several `spcred serve` nodes can share; each node needs the same master key
    /// (SPCRED_MASTER_KEY_FILE) [default: SQLite in the data directory].
    #[arg(long, env = "SPCRED_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Default region [default: us-east-1].
    #[arg(long, env = "SPCRED_REGION")]
    region: Option<String>,
    /// Log format: text or json [default: text].
    #[arg(long, env = "SPCRED_LOG_FORMAT")]
    log_format: Option<server::LogFormat>,
    /// Virtual clock and the test admin API (POST /_spcred/clock).
    #[arg(long, env = "SPCRED_TEST_MODE", num_args = 0..=1, default_missing_value = "true")]
    test_mode: Option<bool>,
    /// Legacy IAM mode of the SP-API sandbox: every SP-API call must also be SigV4-signed
    /// (service execute-api) by the app's IAM ARN, and IAM must allow execute-api:Invoke.
    #[arg(long, env = "SPCRED_SP_REQUIRE_SIGV4", num_args = 0..=1, default_missing_value = "true")]
    sp_require_sigv4: Option<bool>,
    /// The URL clients reach this server at, the base of the links SNS sends (confirmation,
    /// unsubscribe, signing certificate) [default: http:// and the listening address].
    #[arg(long, env = "SPCRED_PUBLIC_URL")]
    public_url: Option<String>,
    /// SMTP server for e-mail: smtp://user:pass@host:port (add ?tls=required for STARTTLS) or
    /// smtps://... [default: none, e-mail goes to the local outbox].
    #[arg(long, env = "SPCRED_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// Sender address of e-mail [default: no-reply@localhost].
    #[arg(long, env = "SPCRED_SMTP_FROM")]
    smtp_from: Option<String>,
    /// SMS provider endpoint, a Twilio-style form POST (To, From, Body) with the credentials in
    /// the URL [default: none, texts go to the local outbox].
    #[arg(long, env = "SPCRED_SMS_URL", hide_env_values = true)]
    sms_url: Option<String>,
    /// Sender number or id given to the SMS provider.
    #[arg(long, env = "SPCRED_SMS_FROM")]
    sms_from: Option<String>,
    /// Holidays the SP-API sandbox's review SLAs skip besides weekends: ISO dates separated by
    /// commas (2026-12-25,2027-01-01).
    #[arg(long, env = "SPCRED_SP_HOLIDAYS")]
    sp_holidays: Option<String>,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); reloaded on SIGHUP.
    #[arg(long, env = "SPCRED_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, env = "SPCRED_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate spcred makes once and keeps sealed in the store, signed by
    /// its own CA, written to <data-dir>/ca.pem (for AWS_CA_BUNDLE).
    #[arg(long, env = "SPCRED_TLS_SELF_SIGNED", num_args = 0..=1, default_missing_value = "true")]
    tls_self_signed: Option<bool>,
    /// Serve plain HTTP on an address other machines can reach (refused otherwise).
    #[arg(long, env = "SPCRED_INSECURE_HTTP", num_args = 0..=1, default_missing_value = "true")]
    insecure_http: Option<bool>,
    /// The Python interpreter Lambda functions run with; it must have awslambdaric (and
    /// boto3, as Lambda's Python runtimes do) installed. Default: python3 on PATH.
    #[arg(long, env = "SPCRED_LAMBDA_PYTHON")]
    lambda_python: Option<PathBuf>,
    /// Lambda invocations that may run at once (each is a child process); more are throttled.
    #[arg(long, env = "SPCRED_LAMBDA_CONCURRENCY")]
    lambda_concurrency: Option<usize>,
    /// A TOML file with the same keys (listen, data-dir, database-url, region, log-format, test-mode,
    /// sp-require-sigv4, public-url, smtp-url, smtp-from, sms-url, sms-from, sp-holidays,
    /// tls-cert, tls-key, tls-self-signed, insecure-http, lambda-python, lambda-concurrency).
    #[arg(long, env = "SPCRED_CONFIG")]
    config: Option<PathBuf>,
}

/// How the CLI reaches a running server's admin API.
#[derive(Args)]
struct AdminArgs {
    /// The server's URL.
    #[arg(long, env = "SPCRED_ENDPOINT", default_value = "http://127.0.0.1:4566")]
    endpoint: String,
    /// The admin token [default: read from <data-dir>/admin-token].
    #[arg(long, env = "SPCRED_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// The server's data directory, to find the admin token.
    #[arg(long, env = "SPCRED_DATA_DIR", default_value = "spcred-data")]
    data_dir: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct AuditArgs {
    /// Only requests by this principal ARN.
    #[arg(long)]
    principal: Option<String>,
    /// Only this operation (e.g. GetCallerIdentity).
    #[arg(long)]
    operation: Option<String>,
    /// Only records at or after this RFC 3339 time.
    #[arg(long)]
    since: Option<String>,
    /// At most this many records (the newest).
    #[arg(long, default_value_t = 1000)]
    limit: u32,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
struct OutboxArgs {
    /// Only e-mail or only SMS.
    #[arg(long, value_parser = ["email", "sms"])]
    channel: Option<String>,
    /// Only messages after this position (the id of the last one seen).
    #[arg(long, default_value_t = 0)]
    after: i64,
    /// At most this many messages.
    #[arg(long, default_value_t = 1000)]
    limit: u32,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
struct DeliveriesArgs {
    /// Only deliveries in this state.
    #[arg(long, value_parser = ["pending", "delivered", "failed"])]
    status: Option<String>,
    /// Only deliveries from this topic or rule ARN.
    #[arg(long)]
    source: Option<String>,
    /// One delivery, with its attempts.
    #[arg(long)]
    id: Option<String>,
    /// At most this many deliveries (the newest).
    #[arg(long, default_value_t = 1000)]
    limit: u32,
    #[command(flatten)]
    admin: AdminArgs,
}

fn env_secret(name: &str) -> Option<crypto::Secret> {
    std::env::var(name).ok().filter(|v| !v.is_empty()).map(crypto::Secret::new)
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let given = server::Settings {
        listen: args.listen,
        data_dir: args.data_dir,
        database_url: args.database_url.map(server::config::DatabaseUrl::new),
        region: args.region,
        log_format: args.log_format,
        test_mode: args.test_mode,
        sp_require_sigv4: args.sp_require_sigv4,
        public_url: args.public_url,
        smtp_url: args.smtp_url,
        smtp_from: args.smtp_from,
        sms_url: args.sms_url,
        sms_from: args.sms_from,
        sp_holidays: args.sp_holidays,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        tls_self_signed: args.tls_self_signed,
        insecure_http: args.insecure_http,
        lambda_python: args.lambda_python,
        lambda_concurrency: args.lambda_concurrency,
    };
    let from_file = match &args.config {
        Some(path) => server::Settings::from_file(path).map_err(|e| e.to_string())?,
        None => server::Settings::default(),
    };
    let config = given.or(from_file).resolve().map_err(|e| e.to_string())?;
    server::init_logging(config.log_format);
    // The Debug forms redact the delivery URLs' user info.
    tracing::info!(?config, "configuration");
    let boot = server::Bootstrap {
        master_key_file: std::env::var_os("SPCRED_MASTER_KEY_FILE").map(PathBuf::from),
        account_id: std::env::var("SPCRED_ACCOUNT_ID").ok().filter(|v| !v.is_empty()),
        root_access_key_id: std::env::var("SPCRED_ROOT_ACCESS_KEY_ID").ok().filter(|v| !v.is_empty()),
        root_secret_access_key: env_secret("SPCRED_ROOT_SECRET_ACCESS_KEY"),
    };
    let server = server::Server::bind(&config, boot).await.map_err(|e| e.to_string())?;
    let data = &server.data;
    let scheme = if server.tls.is_some() { "https" } else { "http" };
    println!("spcred {} listening on {scheme}://{}", env!("CARGO_PKG_VERSION"), server.local_addr);
    if let Some((tls, ca)) = &server.tls {
        println!("  tls sha-256:   {}", tls.fingerprint);
        if let Some(ca) = ca {
            println!("  ca bundle:     {} (AWS_CA_BUNDLE)", ca.display());
        }
    }
    println!("  account:       {}{}", data.account_id, if data.created { " (created)" } else { "" });
    println!("  access key id: {}", data.root_access_key_id);
    println!("  credentials:   {} (profile spcred)", data.credentials_path.display());
    println!("  aws config:    {}", data.config_path.display());
    println!("  admin token:   {}", data.admin_token_path.display());
    if config.test_mode {
        println!("  test mode:     virtual clock at POST /_spcred/clock");
    }
    if config.sp_require_sigv4 {
        println!("  SP-API:        legacy IAM mode (SigV4 and execute-api:Invoke required)");
    }
    server.run(server::shutdown_signal()).await.map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Audit(args) => admin::audit(args).await,
            Command::Store(command) => store::run(command).await,
            Command::Account(command) => account::run(command).await,
            Command::Sp(command) => sp::run(command).await,
            Command::Dp(command) => dp::run(command).await,
            Command::Outbox(args) => admin::outbox(args).await,
            Command::Deliveries(args) => admin::deliveries(args).await,
            Command::Agent(args) => agent::run(*args).await,
            Command::Rotate(args) => agent::rotate(*args).await,
            Command::Setup(args) => {
                server::init_logging(server::LogFormat::Text);
                setup::setup(args).await
            }
            Command::Doctor(args) => {
                server::init_logging(server::LogFormat::Text);
                setup::doctor(args).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
