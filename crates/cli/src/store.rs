//! `spcred store`: the store itself, outside a running server.

use clap::Subcommand;

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Copy a whole store to a new, empty one (SQLite to PostgreSQL, or back), then verify the copy
    /// table by table (row counts and a checksum over every value). Secrets are copied sealed:
    /// nothing is decrypted, and the target needs the same master key. Stop the servers on the
    /// source first.
    Migrate {
        /// The store to copy: sqlite:///path/to/spcred-data/spcred.db or postgres://...
        #[arg(long)]
        from: String,
        /// The new store: postgres://user:password@host/db (an empty database) or sqlite:///path.
        #[arg(long)]
        to: String,
    },
}

pub async fn run(command: StoreCommand) -> Result<(), String> {
    match command {
        StoreCommand::Migrate { from, to } => migrate(&from, &to).await,
    }
}

async fn connect(url: &str) -> Result<store::Store, String> {
    store::Store::connect(url).await.map_err(|e| format!("{}: {e}", store::redact_url(url)))
}

async fn migrate(from: &str, to: &str) -> Result<(), String> {
    // Opening a SQLite store creates it: the source must exist. A new target file is made; an
    // existing one must be empty like any target.
    if let Some(path) = store::Backend::sqlite_path(from)
        && !path.exists()
    {
        return Err(format!("{} does not exist", path.display()));
    }
    let source = connect(from).await?;
    let target = connect(to).await?;
    let report = store::copy::copy(&source, &target).await.map_err(|e| e.to_string())?;
    let width = report.iter().map(|t| t.table.len()).max().unwrap_or(5);
    let mut rows = 0;
    for t in &report {
        println!("{:<width$}  {:>9} rows  checksum {:016x}", t.table, t.rows, t.checksum);
        rows += t.rows;
    }
    println!(
        "copied {rows} rows in {} tables from {} to {}, verified",
        report.len(),
        store::redact_url(from),
        store::redact_url(to)
    );
    source.close().await;
    target.close().await;
    Ok(())
}
