//! `spcred setup` and `spcred doctor`: thin over the setup crate.

use clap::Args;
use setup::{Credentials, Names, Scope};
use std::io::Read;

/// What both commands share.
#[derive(Args)]
pub struct Common {
    /// The prefix of the parameter names (the blog's /my-erp).
    #[arg(long, env = "SPCRED_AGENT_SSM_PREFIX", default_value = "/my-erp")]
    ssm_prefix: String,
    /// Also the guides' IAM user, SellingPartnerAPI policy, role and STS policy (legacy: SP-API
    /// has ignored IAM since 2 October 2023).
    #[arg(long)]
    iam: bool,
    /// An e-mail address for the rotation reminders (repeat).
    #[arg(long = "email", value_name = "ADDRESS")]
    emails: Vec<String>,
    /// A phone number (E.164) for the rotation reminders by SMS (repeat).
    #[arg(long = "sms", value_name = "NUMBER")]
    phones: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

// A command's switches are flags by nature.
#[allow(clippy::struct_excessive_bools)]
#[derive(Args)]
pub struct SetupArgs {
    #[command(flatten)]
    common: Common,
    /// Encrypt the rotation queues with the KMS key (SSE-KMS); the key policy then lets Amazon use it.
    #[arg(long)]
    queue_kms: bool,
    /// Read the LWA credentials from stdin as NAME=value lines (SPCRED_LWA_CLIENT_ID,
    /// SPCRED_LWA_CLIENT_SECRET, SPCRED_REFRESH_TOKEN) instead of, or over, the environment.
    #[arg(long)]
    credentials_from_stdin: bool,
    /// Print the plan; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the whole rotation chain as one CloudFormation template (JSON) instead of making
    /// it; deploy it, then run setup again to put the SecureStrings.
    #[arg(long, conflicts_with_all = ["dry_run", "credentials_from_stdin"])]
    cloudformation: bool,
}

#[derive(Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    common: Common,
    /// The SP-API endpoint the sellers' tokens are tried against.
    #[arg(long, env = "SPCRED_AGENT_SP_ENDPOINT", default_value = "https://sellingpartnerapi-na.amazon.com")]
    sp_endpoint: String,
    /// The LWA token endpoint.
    #[arg(long, env = "SPCRED_AGENT_LWA_ENDPOINT", default_value = "https://api.amazon.com/auth/o2/token")]
    lwa_endpoint: String,
}

impl Common {
    fn scope(self) -> Scope {
        Scope { names: Names::under(&self.ssm_prefix), iam: self.iam, emails: self.emails, phones: self.phones }
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<(), String> {
    println!("{}", serde_json::to_string_pretty(value).map_err(|e| e.to_string())?);
    Ok(())
}

pub async fn setup(args: SetupArgs) -> Result<(), String> {
    if args.cloudformation {
        return print_json(&setup::template::rotation_template(&args.common.scope(), args.queue_kms));
    }
    let mut credentials = Credentials::from_lookup(|name| std::env::var(name).ok());
    if args.credentials_from_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read stdin: {e}"))?;
        credentials = Credentials::from_lines(&text)?.or(credentials);
    }
    let json = args.common.json;
    let options = setup::setup::Options {
        scope: args.common.scope(),
        queue_kms: args.queue_kms,
        credentials,
        dry_run: args.dry_run,
    };
    let aws = setup::aws::Clients::from_env().await.map_err(|e| e.to_string())?;
    let report = setup::setup::run(&aws, &options).await.map_err(|e| e.to_string())?;
    if json {
        print_json(&report)
    } else {
        println!("{report}");
        Ok(())
    }
}

/// Runs the checks; an error (and so a non-zero exit) when one failed.
pub async fn doctor(args: DoctorArgs) -> Result<(), String> {
    let json = args.common.json;
    let options = setup::doctor::Options {
        scope: args.common.scope(),
        sp_endpoint: args.sp_endpoint,
        lwa_endpoint: args.lwa_endpoint,
    };
    let aws = setup::aws::Clients::from_env().await.map_err(|e| e.to_string())?;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let report = setup::doctor::run(&aws, &http, &options).await;
    if json {
        print_json(&report)?;
    } else {
        println!("{report}");
    }
    let failed = report.checks.iter().filter(|c| c.status == setup::doctor::Status::Fail).count();
    if failed == 0 { Ok(()) } else { Err(format!("{failed} check(s) failed")) }
}
