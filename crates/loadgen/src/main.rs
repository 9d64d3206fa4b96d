//! `spcred-loadgen`: drives a running `spcred serve` with N concurrent keep-alive connections,
//! every AWS request signed with our own SigV4 crate, and reports ops/s, p50 and p99.
//!
//! ```text
//! spcred-loadgen --credentials spcred-data/credentials --connections 32 --duration 10 noop gci lwa spapi
//! ```
//! `lwa` exchanges a refresh token at `/auth/o2/token`; `spapi` calls
//! `getMarketplaceParticipations` with an access token (its selling partner gets a usage plan
//! large enough not to meter the run). Both set themselves up through the admin API.
//! `agent-token` and `agent-spapi` drive a `spcred agent` at `--agent` (set up beforehand with a
//! seller whose usage plan will not meter the run): a cached token from `/v1/token`, and
//! `getMarketplaceParticipations` through its proxy, to compare with `spapi`.
//! Several scenarios run one after the other in the same process, so their figures compare.

mod conn;
mod scenarios;

use clap::Parser;
use conn::{Conn, Target};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "spcred-loadgen", about = "Load generator for spcred serve")]
struct Args {
    /// The server.
    #[arg(long, default_value = "http://127.0.0.1:4566")]
    endpoint: String,
    /// AWS shared-credentials file to sign with.
    #[arg(long, default_value = "spcred-data/credentials")]
    credentials: std::path::PathBuf,
    /// Profile in the credentials file.
    #[arg(long, default_value = "spcred")]
    profile: String,
    /// Region to sign for.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds per scenario (after a one-second warm-up).
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// The admin token file (the SP-API scenarios create an app, a seller and an authorization).
    #[arg(long, default_value = "spcred-data/admin-token")]
    admin_token_file: std::path::PathBuf,
    /// A `spcred agent` for the agent scenarios.
    #[arg(long)]
    agent: Option<String>,
    /// Print one JSON object per scenario instead of a table row.
    #[arg(long)]
    json: bool,
    /// Scenarios to run, in order.
    #[arg(required = true, value_parser = clap::builder::PossibleValuesParser::new(scenarios::NAMES))]
    scenarios: Vec<String>,
}

/// The figures of one scenario.
struct Report {
    ops: usize,
    errors: usize,
    seconds: f64,
    p50_us: u64,
    p99_us: u64,
    first_error: Option<String>,
}

async fn run_scenario(
    target: &Arc<Target>,
    scenario: Arc<dyn scenarios::Scenario>,
    connections: usize,
    duration: Duration,
) -> Result<Report, String> {
    scenario.setup(&mut Conn::open(target.clone()).await?).await?;
    let start = Instant::now() + Duration::from_secs(1);
    let end = start + duration;
    let mut tasks = Vec::with_capacity(connections);
    for worker in 0..connections {
        let target = target.clone();
        let scenario = scenario.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(target).await?;
            let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0usize, None);
            let mut n = 0u64;
            loop {
                let began = Instant::now();
                if began >= end || scenario.exhausted() {
                    break;
                }
                let result = scenario.step(&mut conn, worker, n).await;
                n += 1;
                if began < start {
                    continue; // warm-up
                }
                match result {
                    Ok(()) => latencies.push(u64::try_from(began.elapsed().as_micros()).unwrap_or(u64::MAX)),
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                        if conn.is_closed() {
                            conn = Conn::open(conn.target()).await?;
                        }
                    }
                }
            }
            Ok::<_, String>((latencies, errors, first_error))
        }));
    }
    let mut all = Vec::new();
    let (mut errors, mut first_error) = (0, None);
    for task in tasks {
        let (latencies, e, first) = task.await.map_err(|e| e.to_string())??;
        all.extend(latencies);
        errors += e;
        if first_error.is_none() {
            first_error = first;
        }
    }
    // A scenario that ran out of work stopped early; its rate counts the time it ran.
    let ran = Instant::now().min(end).saturating_duration_since(start).max(Duration::from_millis(1));
    all.sort_unstable();
    let pick = |q: f64| -> u64 {
        if all.is_empty() {
            return 0;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let i = ((all.len() - 1) as f64 * q).round() as usize;
        all[i]
    };
    Ok(Report {
        ops: all.len(),
        errors,
        seconds: ran.as_secs_f64(),
        p50_us: pick(0.5),
        p99_us: pick(0.99),
        first_error,
    })
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let mut target = Target::new(&args.endpoint, &args.credentials, &args.profile, &args.region)?;
    target.admin_token = std::fs::read_to_string(&args.admin_token_file).ok().map(|t| t.trim().to_owned());
    let agent = match &args.agent {
        Some(url) => Some(Arc::new(target.at(url)?)),
        None => None,
    };
    let target = Arc::new(target);
    if !args.json {
        println!(
            "{:<24} {:>6} {:>10} {:>12} {:>9} {:>9} {:>7}",
            "scenario", "conns", "ops", "ops/s", "p50", "p99", "errors"
        );
    }
    for name in &args.scenarios {
        let scenario = scenarios::by_name(name).ok_or_else(|| format!("unknown scenario {name}"))?;
        let at =
            if scenario.on_agent() { agent.as_ref().ok_or("the agent scenarios need --agent URL")? } else { &target };
        let r = run_scenario(at, scenario, args.connections, Duration::from_secs(args.duration)).await?;
        #[allow(clippy::cast_precision_loss)]
        let rate = r.ops as f64 / r.seconds;
        if args.json {
            let line = serde_json::json!({
                "scenario": name, "connections": args.connections, "ops": r.ops, "ops_per_sec": rate,
                "p50_us": r.p50_us, "p99_us": r.p99_us, "errors": r.errors, "first_error": r.first_error,
            });
            println!("{line}");
        } else {
            #[allow(clippy::cast_precision_loss)]
            let ms = |us: u64| format!("{:.2}ms", us as f64 / 1000.0);
            println!(
                "{name:<24} {:>6} {:>10} {:>12.0} {:>9} {:>9} {:>7}",
                args.connections,
                r.ops,
                rate,
                ms(r.p50_us),
                ms(r.p99_us),
                r.errors
            );
            if let Some(e) = r.first_error {
                println!("  first error: {e}");
            }
        }
    }
    Ok(())
}
