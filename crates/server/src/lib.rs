//! The composition root of `spcred serve`: configuration, the data directory, the services, the
//! HTTP router, background workers, and graceful shutdown.

mod accounts;
pub mod config;
pub mod http;
pub mod init;
pub mod lambda;
mod outbox;
pub mod scheduler;
pub mod sp_bridge;
pub mod tls;

use crypto::{Random, SystemRandom};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::Arc;
use store::{Clock, SystemClock, VirtualClock};

pub use config::{LogFormat, ServeConfig, Settings};
pub use init::Bootstrap;

/// Why `spcred serve` could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The data directory could not be opened or initialised.
    #[error(transparent)]
    Init(#[from] init::InitError),
    /// The listening address is taken or not ours to bind.
    #[error("cannot listen on {addr}: {source}{hint}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
        /// What to do about it.
        hint: &'static str,
    },
    /// The server failed while running.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
    /// The store failed while the server started.
    #[error("the store failed: {0}")]
    Store(#[from] store::StoreError),
    /// A delivery channel is misconfigured.
    #[error(transparent)]
    Delivery(#[from] delivery::ConfigError),
    /// HTTPS could not be set up.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// Plain HTTP on an address other machines reach, without --insecure-http.
    #[error(
        "refusing to serve plain HTTP on {0}, which other machines can reach: credentials would cross the network in the clear. Give --tls-cert and --tls-key, or --tls-self-signed; or --insecure-http to accept the risk"
    )]
    Insecure(SocketAddr),
}

/// Sets up logging to stderr. `RUST_LOG` refines the level (default `info`). Colours only on a
/// terminal: a pipe, a file or journald would get the escape codes as text.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    // A second initialisation (tests start several servers in one process) keeps the first.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

fn metrics_handle() -> PrometheusHandle {
    let buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
    let builder = PrometheusBuilder::new().set_buckets(&buckets).expect("the bucket list is not empty");
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    // Only the first server in a process owns the global recorder; a later one (in tests) still
    // answers /metrics, from its own empty registry.
    let _ = metrics::set_global_recorder(recorder);
    handle
}

/// A server that is bound and initialised but not yet serving.
#[derive(Debug)]
pub struct Server {
    listener: tokio::net::TcpListener,
    state: http::AppState,
    /// Where it listens (useful when the port was 0).
    pub local_addr: SocketAddr,
    /// What the data directory holds.
    pub data: init::DataDir,
    /// HTTPS, when configured, with the CA file to trust if spcred made the certificate.
    pub tls: Option<(::tls::Tls, Option<std::path::PathBuf>)>,
    /// The web console's routes.
    console: axum::Router,
}

impl Server {
    /// Initialises the data directory and binds the listener.
    pub async fn bind(config: &ServeConfig, boot: Bootstrap) -> Result<Self, ServeError> {
        let rng: Arc<dyn Random> = Arc::new(SystemRandom);
        let virtual_clock = config.test_mode.then(|| Arc::new(VirtualClock::new()));
        let clock: Arc<dyn Clock> = match &virtual_clock {
            Some(c) => c.clone(),
            None => Arc::new(SystemClock),
        };
        let ids = aws_core::Ids::new(rng.clone());
        if config.tls.is_none() && !config.listen.ip().is_loopback() {
            if !config.insecure_http {
                return Err(ServeError::Insecure(config.listen));
            }
            tracing::warn!(listen = %config.listen, "serving plain HTTP beyond loopback (--insecure-http): secrets cross the network in the clear");
        }
        let data = init::open(config, boot, rng.as_ref(), &ids, clock.now_ms()).await?;
        let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|source| ServeError::Listen {
            addr: config.listen,
            hint: if source.kind() == std::io::ErrorKind::AddrInUse {
                " (another process uses this port: stop it or pick another with --listen)"
            } else {
                ""
            },
            source,
        })?;
        let local_addr = listener.local_addr()?;
        let tls = setup_tls(config, local_addr, &data, rng.as_ref()).await?;
        let scheme = if tls.is_some() { "https" } else { "http" };

        let mut env =
            aws_core::Env::new(data.store.clone(), clock.clone(), rng.clone(), &data.master, config.region.clone());
        env.public_url = config.public_url.clone().unwrap_or_else(|| {
            // Links to 0.0.0.0 lead nowhere; a server listening on every address is reached on
            // the loopback one from here (and should be given --public-url for other hosts).
            let mut reachable = local_addr;
            if reachable.ip().is_unspecified() {
                reachable.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            format!("{scheme}://{reachable}")
        });
        let sns = sns::Sns::new();
        wire_ports(&env, &sns);
        let env = Arc::new(env);
        cloudformation::recover(&env).await?;
        let sandbox = sp::Sandbox::new(sp::Deps {
            store: data.store.clone(),
            clock: clock.clone(),
            rng: rng.clone(),
            verifier: data.master.subkey(crypto::Purpose::Verifier),
            at_rest: data.master.subkey(crypto::Purpose::AtRest),
            audit: env.audit.clone(),
            sink: Arc::new(sp_bridge::AwsSink::new(env.clone())),
            gate: config
                .sp_require_sigv4
                .then(|| Arc::new(sp_bridge::AwsGate::new(env.clone())) as Arc<dyn sp::IamGate>),
            calendar: config.sp_calendar.clone(),
        });
        let ca_bundle = tls.as_ref().and_then(|(_, ca)| ca.clone());
        let runner: Arc<dyn ::lambda::Runner> =
            Arc::new(lambda::ProcessRunner::new(&config.lambda, &env.public_url, ca_bundle, &config.data_dir));
        let dispatcher = dispatcher(&env, &sns, ::lambda::Lambda::new(runner.clone()));
        let mut scheduler = scheduler::Scheduler::new(data.store.clone(), clock.clone());
        scheduler.wake_on(env.work_queued.clone());
        let key_lifecycle = Arc::new(kms::KeyLifecycle::new(env.clone()));
        scheduler.register(kms::DELETE_JOB, key_lifecycle.clone());
        scheduler.register(kms::ROTATE_JOB, key_lifecycle);
        scheduler.register(ssm::POLICY_JOB, Arc::new(ssm::PolicyJobs::new(env.clone())));
        for (kind, handler) in sandbox.job_handlers() {
            scheduler.register(kind, handler);
        }
        scheduler.register(aws_core::outbox::ROUTE_JOB, Arc::new(events::Router::new(env.clone())));
        scheduler.register(events::INVOKE_JOB, Arc::new(events::Invoker::new(env.clone())));
        scheduler.register(events::SCHEDULE_JOB, Arc::new(events::ScheduledRules::new(env.clone())));
        scheduler.register(::lambda::INVOKE_JOB, Arc::new(::lambda::AsyncInvoker::new(env.clone(), runner)));
        scheduler.register(store::delivery::SQS_JOB, Arc::new(sns::QueueDelivery::new(env.clone())));
        scheduler.register(store::delivery::LAMBDA_JOB, Arc::new(sns::QueueDelivery::functions(env.clone())));
        for (kind, handler) in delivery::handlers(&config.delivery, &data.store, &clock, &rng)? {
            scheduler.register(kind, handler);
        }
        tracing::info!(public_url = %env.public_url, delivery = ?config.delivery, "deliveries configured");
        let admin_token = Arc::new(data.admin_token.clone());
        let console = console::router(console::Deps {
            sandbox: sandbox.clone(),
            store: data.store.clone(),
            clock: clock.clone(),
            rng: rng.clone(),
            verifier: data.master.subkey(crypto::Purpose::Verifier),
            admin_token: admin_token.clone(),
            audit: env.audit.clone(),
        });
        let state = http::AppState {
            dispatcher,
            admin_token,
            virtual_clock,
            scheduler: Arc::new(scheduler),
            metrics: metrics_handle(),
            store: data.store.clone(),
            sandbox,
            sns,
        };
        Ok(Self { listener, state, local_addr, data, tls, console })
    }

    /// Serves until `shutdown` resolves, then stops accepting, finishes in-flight requests and
    /// closes the store.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> Result<(), ServeError> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = {
            let mut stop = stop_rx.clone();
            tokio::spawn(self.state.scheduler.clone().run(async move {
                let _ = stop.wait_for(|s| *s).await;
            }))
        };
        let upkeep = {
            let handle = self.state.metrics.clone();
            let mut stop = stop_rx;
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = stop.wait_for(|s| *s) => return,
                        () = tokio::time::sleep(std::time::Duration::from_secs(5)) => handle.run_upkeep(),
                    }
                }
            })
        };
        let store = self.state.store.clone();
        let dispatcher = self.state.dispatcher.clone();
        let router = http::router(self.state).merge(self.console);
        let served = ::tls::serve(self.listener, router, self.tls.map(|(tls, _)| tls), shutdown).await;
        let _ = stop_tx.send(true);
        let _ = worker.await;
        let _ = upkeep.await;
        dispatcher.env().flush_key_usage().await;
        store.close().await;
        tracing::info!("stopped");
        Ok(served?)
    }
}

/// The AWS pipeline with every service; CloudFormation calls the others through it.
fn dispatcher(env: &Arc<aws_core::Env>, sns: &sns::Sns, lambda: ::lambda::Lambda) -> Arc<aws_core::Dispatcher> {
    let link = cloudformation::DispatcherLink::default();
    let mut dispatcher = aws_core::Dispatcher::new(env.clone());
    dispatcher.register(sts::Sts);
    dispatcher.register(iam::Iam);
    dispatcher.register(organizations::Organizations);
    dispatcher.register(sqs::Sqs);
    dispatcher.register(kms::Kms);
    dispatcher.register(ssm::Ssm);
    dispatcher.register(logs::Logs);
    dispatcher.register(events::EventBridge);
    dispatcher.register(sns.clone());
    dispatcher.register(lambda);
    dispatcher.register(cloudformation::CloudFormation::new(link.clone()));
    let dispatcher = Arc::new(dispatcher);
    link.connect(&dispatcher);
    dispatcher
}

/// HTTPS as configured, or `None` for plain HTTP.
async fn setup_tls(
    config: &ServeConfig,
    local_addr: SocketAddr,
    data: &init::DataDir,
    rng: &dyn Random,
) -> Result<Option<(::tls::Tls, Option<std::path::PathBuf>)>, ServeError> {
    let Some(source) = &config.tls else { return Ok(None) };
    let at_rest = data.master.subkey(crypto::Purpose::AtRest);
    let public_url = config.public_url.as_deref();
    Ok(Some(tls::setup(source, local_addr, public_url, &data.store, &at_rest, rng, &config.data_dir).await?))
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// Wires each port a service uses another through to the service that implements it.
fn wire_ports(env: &aws_core::Env, sns: &sns::Sns) {
    env.wire::<dyn aws_core::authz::Identities>(Arc::new(iam::IamIdentities));
    env.wire::<dyn aws_core::ports::Keys>(Arc::new(kms::KmsKeys));
    env.wire::<dyn aws_core::ports::Queues>(Arc::new(sqs::SqsQueues));
    env.wire::<dyn aws_core::ports::Functions>(Arc::new(::lambda::LambdaFunctions));
    env.wire::<dyn aws_core::ports::RoleSessions>(Arc::new(sts::StsRoleSessions));
    env.wire::<dyn aws_core::ports::LogWriter>(Arc::new(logs::LogsWriter));
    env.wire::<dyn aws_core::ports::Topics>(Arc::new(sns.clone()));
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_embedded_service_model_parses() {
        for model in [
            &*iam::MODEL,
            &*sts::MODEL,
            &*kms::MODEL,
            &*ssm::MODEL,
            &*events::MODEL,
            &*sns::MODEL,
            &*sqs::MODEL,
            &*sqs::QUERY_MODEL,
            &*organizations::MODEL,
            &*logs::MODEL,
            &*::lambda::MODEL,
            &*cloudformation::MODEL,
        ] {
            assert!(model.operation_names().next().is_some());
        }
    }
}
