//! `spcred account ...`: more AWS accounts in one store, over the admin API, so that the guides'
//! "Another AWS account" trust and AWS Organizations can be rehearsed.

use crate::AdminArgs;
use crate::admin::Admin;
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::json;

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Create an account with its root credentials; the secret is printed this once.
    Create(CreateArgs),
    /// List the accounts, oldest first, with their organization.
    List(ListArgs),
}

#[derive(Args)]
pub struct CreateArgs {
    /// The 12-digit account id [default: a new random one].
    #[arg(long)]
    account_id: Option<String>,
    /// The account's name.
    #[arg(long)]
    name: Option<String>,
    /// The root user's email.
    #[arg(long)]
    email: Option<String>,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    admin: AdminArgs,
}

pub async fn run(command: AccountCommand) -> Result<(), String> {
    match command {
        AccountCommand::Create(args) => {
            let admin = Admin::new(&args.admin)?;
            let body = json!({ "account_id": args.account_id, "name": args.name, "email": args.email });
            let created = admin.send_json(Method::POST, "/_spcred/accounts", &body).await?;
            if admin.json {
                println!("{}", serde_json::to_string_pretty(&created).unwrap_or_default());
            } else {
                println!("account:           {}", created["account_id"].as_str().unwrap_or_default());
                println!("access key id:     {}", created["access_key_id"].as_str().unwrap_or_default());
                println!(
                    "secret access key: {}  (shown this once)",
                    created["secret_access_key"].as_str().unwrap_or_default()
                );
            }
            Ok(())
        }
        AccountCommand::List(args) => {
            let admin = Admin::new(&args.admin)?;
            let body = admin.get("/_spcred/accounts", &[]).await?;
            if admin.json {
                println!("{}", serde_json::to_string_pretty(&body).unwrap_or_default());
                return Ok(());
            }
            for a in body["accounts"].as_array().into_iter().flatten() {
                let org = match (a["organization"].as_str(), a["management_account"].as_bool()) {
                    (Some(o), Some(true)) => format!("{o} (management)"),
                    (Some(o), _) => o.to_owned(),
                    (None, _) => "-".to_owned(),
                };
                println!(
                    "{}  {:<20} {:<30} {}  {}",
                    a["account_id"].as_str().unwrap_or_default(),
                    a["name"].as_str().unwrap_or("-"),
                    a["email"].as_str().unwrap_or("-"),
                    a["created"].as_str().unwrap_or_default(),
                    org
                );
            }
            Ok(())
        }
    }
}
