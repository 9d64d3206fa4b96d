//! Persistence: SQLite in WAL mode through sqlx, versioned migrations, and the repositories the
//! services use. Times are stored as epoch milliseconds.
//!
//! SQLite allows one writer at a time; rather than let concurrent transactions collide and retry,
//! every write goes through a one-connection pool (queued in-process), while reads use a pool of
//! their own and see a consistent WAL snapshot.

pub mod access_keys;
pub mod audit;
pub mod clock;
pub mod cloudformation;
pub mod console;
pub mod delivery;
pub mod dp;
pub mod events;
pub mod iam;
pub mod jobs;
pub mod kms;
pub mod lambda;
pub mod logs;
pub mod meta;
mod migrate;
pub mod org;
pub mod review;
pub mod sns;
pub mod sp;
pub mod sqs;
pub mod ssm;
pub mod tags;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};
use std::path::Path;
use std::time::Duration;

pub use clock::{Clock, SystemClock, VirtualClock};
pub use migrate::SCHEMA_VERSION;

/// The account and region a regional resource (an SSM parameter, an event bus) lives in.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The account.
    pub account_id: &'a str,
    /// The region.
    pub region: &'a str,
}

/// A write transaction. Commit it with `tx.commit().await`; dropping it rolls back.
pub type Tx = sqlx::Transaction<'static, Sqlite>;
/// A connection usable for reads or, inside a transaction, for writes.
pub type Conn = sqlx::SqliteConnection;
/// A pooled read connection (dereferences to [`Conn`]).
pub type ReadConn = sqlx::pool::PoolConnection<Sqlite>;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database was written by a newer spcred.
    #[error(
        "the store at {path} has schema version {found}, newer than this spcred supports ({supported}); upgrade spcred"
    )]
    NewerSchema {
        /// Where the database is.
        path: String,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// Anything the database reported.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A background writer has stopped (the server is shutting down) or failed to commit.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A stored JSON value did not parse (only after tampering or a bug).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

/// The store: a read pool and a single-connection write pool over one SQLite file.
#[derive(Debug, Clone)]
pub struct Store {
    read: SqlitePool,
    write: SqlitePool,
}

impl Store {
    /// Opens (creating if missing) the database at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL under WAL: a commit survives a process crash (kill -9); only power loss can
            // roll back the last transactions.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        migrate::run(&write, &path.display().to_string()).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self { read, write })
    }

    /// The pool for reads.
    pub fn reader(&self) -> &SqlitePool {
        &self.read
    }

    /// A connection from the read pool.
    pub async fn read(&self) -> Result<ReadConn, StoreError> {
        Ok(self.read.acquire().await?)
    }

    /// Starts a write transaction (queued behind other writers in this process).
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(self.write.begin().await?)
    }

    /// Closes both pools, checkpointing the WAL.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}
