//! Persistence: versioned migrations and the repositories the services use, over SQLite (the
//! embedded default, in WAL mode) or PostgreSQL (several nodes on one database), through sqlx's
//! `Any` driver. Times are stored as epoch milliseconds.
//!
//! Writers are serialized: SQLite allows one at a time, so every write goes through a
//! one-connection pool (queued in-process) while reads use a pool of their own and see a
//! consistent WAL snapshot; on PostgreSQL every write transaction first takes one advisory lock,
//! which queues the writers of every node the same way. The services never see which it is.

pub mod access_keys;
pub mod audit;
pub mod clock;
pub mod cloudformation;
pub mod console;
pub mod copy;
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

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor};
use std::path::Path;
use std::str::FromStr;
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
pub type Tx = sqlx::Transaction<'static, Any>;
/// A connection usable for reads or, inside a transaction, for writes.
pub type Conn = sqlx::AnyConnection;
/// A pooled read connection (dereferences to [`Conn`]).
pub type ReadConn = sqlx::pool::PoolConnection<Any>;

/// Which database engine a store runs on. The repositories are written once, in SQL both
/// accept; the few places the engines differ ask [`Store::backend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file in the data directory (the embedded default).
    Sqlite,
    /// A PostgreSQL database, shared by any number of nodes.
    Postgres,
}

impl Backend {
    /// The file a `sqlite:` URL names (`sqlite:///abs/path`, `sqlite://rel/path`), its query
    /// left out; `None` for any other URL.
    #[must_use]
    pub fn sqlite_path(url: &str) -> Option<&Path> {
        let path = url.strip_prefix("sqlite:")?.trim_start_matches("//");
        Some(Path::new(path.split_once('?').map_or(path, |(p, _)| p)))
    }

    /// The backend a database URL names: `postgres://` or `postgresql://`, or `sqlite:`.
    ///
    /// # Errors
    /// Any other scheme.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        match url.split_once(':').map(|(scheme, _)| scheme) {
            Some("postgres" | "postgresql") => Ok(Self::Postgres),
            Some("sqlite") => Ok(Self::Sqlite),
            _ => Err(StoreError::Unavailable(format!(
                "unsupported database URL {}: expected postgres://... or sqlite://...",
                redact_url(url)
            ))),
        }
    }
}

impl Backend {
    /// The engine `conn` talks to.
    #[must_use]
    pub fn of(conn: &Conn) -> Self {
        if conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME { Self::Postgres } else { Self::Sqlite }
    }
}

/// `url` with its password, if any, replaced, for messages and logs.
#[must_use]
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
                format!("{scheme}://{user}:***@{host}")
            }
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The advisory lock every PostgreSQL write transaction takes, so that writes are serialized
/// across all nodes exactly as SQLite's single writer serializes them in one process: the
/// repositories' read-then-write steps (a name not yet taken, the next sequence number, a message
/// not yet received) stay correct whichever node runs them. Reads take no lock.
const WRITE_LOCK: i64 = 0x7370_6372_6564_0001;

/// A SQLite URL for `path`, its `%`, `?` and `#` escaped (SQLite's URI syntax).
fn sqlite_url(path: &Path, mode: &str) -> String {
    let mut url = String::from("sqlite://");
    for c in path.display().to_string().chars() {
        match c {
            '%' => url.push_str("%25"),
            '?' => url.push_str("%3F"),
            '#' => url.push_str("%23"),
            c => url.push(c),
        }
    }
    url.push_str("?mode=");
    url.push_str(mode);
    url
}

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

/// The store: on SQLite, a read pool and a single-connection write pool over one file; on
/// PostgreSQL, one pool whose write transactions take [`WRITE_LOCK`].
#[derive(Debug, Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens (creating if missing) the SQLite database at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        // Under WAL, synchronous=NORMAL: a commit survives a process crash (kill -9); only power
        // loss can roll back the last transactions.
        let pragmas = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; \
                       PRAGMA foreign_keys = ON;";
        let options = |mode: &str| -> Result<AnyConnectOptions, StoreError> {
            Ok(AnyConnectOptions::from_str(&sqlite_url(path, mode))?)
        };
        let write = AnyPoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| Box::pin(async move { conn.execute(pragmas).await.map(|_| ()) }))
            .connect_with(options("rwc")?)
            .await?;
        migrate::run(&write, Backend::Sqlite, &path.display().to_string()).await?;
        let read = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;").await.map(|_| ())
                })
            })
            .connect_with(options("ro")?)
            .await?;
        Ok(Self { read, write, backend: Backend::Sqlite })
    }

    /// Opens the store a database URL names (`postgres://user:pass@host/db`, or `sqlite://path`)
    /// and brings its schema up to date; on PostgreSQL, under a lock, so that nodes starting at
    /// once migrate one after the other.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        match Backend::of_url(url)? {
            Backend::Sqlite => match Backend::sqlite_path(url) {
                Some(path) => Self::open(path).await,
                None => Err(StoreError::Unavailable(format!("unsupported database URL {}", redact_url(url)))),
            },
            Backend::Postgres => {
                sqlx::any::install_default_drivers();
                let options = AnyConnectOptions::from_str(url)?;
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await?;
                migrate::run(&pool, Backend::Postgres, &redact_url(url)).await?;
                Ok(Self { read: pool.clone(), write: pool, backend: Backend::Postgres })
            }
        }
    }

    /// The engine this store runs on.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether other processes (other nodes) write to this store too, so that a change may come
    /// without this process hearing of it: who waits for one must look again now and then.
    #[must_use]
    pub fn is_shared(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// The pool for reads.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// A connection from the read pool.
    pub async fn read(&self) -> Result<ReadConn, StoreError> {
        Ok(self.read.acquire().await?)
    }

    /// Starts a write transaction, queued behind every other writer (in this process on SQLite,
    /// on every node on PostgreSQL).
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let mut tx = self.write.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITE_LOCK).execute(&mut *tx).await?;
        }
        Ok(tx)
    }

    /// A connection for writes that are each one atomic statement (an SQS send, claim or
    /// delete): on SQLite the writer connection outside any transaction, one round trip instead of
    /// three, which is most of what a busy queue costs; on PostgreSQL a transaction holding the
    /// write lock like [`Store::begin`]'s. Either way, call [`Writer::done`] at the end; dropping
    /// it instead undoes what it wrote on PostgreSQL.
    pub async fn writer(&self) -> Result<Writer, StoreError> {
        Ok(Writer(match self.backend {
            Backend::Sqlite => WriterInner::Conn(self.write.acquire().await?),
            Backend::Postgres => WriterInner::Tx(self.begin().await?),
        }))
    }

    /// Closes both pools (on SQLite, checkpointing the WAL).
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// See [`Store::writer`]; dereferences to [`Conn`].
#[derive(Debug)]
pub struct Writer(WriterInner);

#[derive(Debug)]
enum WriterInner {
    Conn(ReadConn),
    Tx(Tx),
}

impl Writer {
    /// Makes what was written durable (commits, where there is a transaction).
    pub async fn done(self) -> Result<(), StoreError> {
        match self.0 {
            WriterInner::Conn(_) => Ok(()),
            WriterInner::Tx(tx) => Ok(tx.commit().await?),
        }
    }
}

impl std::ops::Deref for Writer {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        match &self.0 {
            WriterInner::Conn(c) => c,
            WriterInner::Tx(tx) => tx,
        }
    }
}

impl std::ops::DerefMut for Writer {
    fn deref_mut(&mut self) -> &mut Conn {
        match &mut self.0 {
            WriterInner::Conn(c) => c,
            WriterInner::Tx(tx) => tx,
        }
    }
}

/// A query being bound (for helpers that bind one row's values).
pub(crate) type Query<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// Placeholders `$from` to `$(from + n - 1)`, comma-separated, for a list bound in order.
pub(crate) fn params(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// `rows` row values of `width` placeholders each, from `$from` on: `($1, $2), ($3, $4)`.
pub(crate) fn param_rows(from: usize, rows: usize, width: usize) -> String {
    (0..rows).map(|r| format!("({})", params(from + r * width, width))).collect::<Vec<_>>().join(", ")
}

/// A flag column (0 or 1, an integer in both engines), decoded as `bool`: a field reads it with
/// `#[sqlx(try_from = "crate::Flag")]`, and a flag is bound as `i64::from(flag)`.
pub(crate) struct Flag(i64);

impl sqlx::Type<Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        <i64 as sqlx::Decode<'r, Any>>::decode(value).map(Flag)
    }
}

impl From<Flag> for bool {
    fn from(flag: Flag) -> Self {
        flag.0 != 0
    }
}
