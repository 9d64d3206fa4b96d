//! The store a test runs against: a new SQLite file, or, when `SPCRED_TEST_DATABASE_URL` names a
//! PostgreSQL server (the test command starts a throwaway one and runs these tests again with
//! it), a new database on that server. Every repository test thus runs on both engines.

#![allow(dead_code)] // each test file uses what it needs of this module

use spcred_store::Store;
use sqlx::{Connection, Executor};
use std::sync::atomic::{AtomicU32, Ordering};

/// Where a test's store lives; kept alive for the test's length.
pub struct Fresh {
    _dir: tempfile::TempDir,
    url: String,
}

impl Fresh {
    /// Opens the same store again (a restart).
    pub async fn reopen(&self) -> Result<Store, spcred_store::StoreError> {
        Store::connect(&self.url).await
    }
}

/// A new, empty store with its schema applied.
pub async fn open() -> (Fresh, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = match std::env::var("SPCRED_TEST_DATABASE_URL") {
        Ok(server) if !server.is_empty() => new_database(&server).await,
        _ => format!("sqlite://{}", dir.path().join("spcred.db").display()),
    };
    let store = Store::connect(&url).await.unwrap();
    (Fresh { _dir: dir, url }, store)
}

async fn new_database(server: &str) -> String {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    sqlx::any::install_default_drivers();
    let name = format!("t{}_{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed), rand_suffix());
    let mut admin = sqlx::AnyConnection::connect(server).await.unwrap();
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    admin.close().await.unwrap();
    let (base, _) = server.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// Tells apart runs of the same process id on one server.
fn rand_suffix() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
}
