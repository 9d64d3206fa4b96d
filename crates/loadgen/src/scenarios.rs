//! What the connections do, one step at a time. A step is one measured operation (one request,
//! or a short sequence when the operation needs state, such as receive-then-delete).

use crate::conn::{Conn, expect_ok};
use bytes::Bytes;
use std::sync::Arc;

/// A load scenario.
#[async_trait::async_trait]
pub trait Scenario: Send + Sync {
    /// Prepares server-side state once, before the run (create a queue, put a parameter).
    async fn setup(&self, _conn: &mut Conn) -> Result<(), String> {
        Ok(())
    }
    /// One measured operation by connection `worker`, its `n`-th.
    async fn step(&self, conn: &mut Conn, worker: usize, n: u64) -> Result<(), String>;
}

/// The scenario names, for the command line.
pub const NAMES: &[&str] = &["noop", "gci", "iam-get-user"];

/// The scenario called `name`.
pub fn by_name(name: &str) -> Option<Arc<dyn Scenario>> {
    Some(match name {
        "noop" => Arc::new(Noop),
        "gci" => Arc::new(GetCallerIdentity),
        "iam-get-user" => Arc::new(IamGetUser),
        _ => return None,
    })
}

/// The loopback ceiling: an unauthenticated no-op handler (`GET /_spcred/health`) on the same
/// server stack.
struct Noop;

#[async_trait::async_trait]
impl Scenario for Noop {
    async fn step(&self, conn: &mut Conn, _: usize, _: u64) -> Result<(), String> {
        expect_ok(conn.send("GET", "/_spcred/health", &[], Bytes::new(), None).await?).map(drop)
    }
}

/// STS GetCallerIdentity: SigV4 verification, authorization, audit, XML.
struct GetCallerIdentity;

#[async_trait::async_trait]
impl Scenario for GetCallerIdentity {
    async fn step(&self, conn: &mut Conn, _: usize, _: u64) -> Result<(), String> {
        conn.query("sts", "Action=GetCallerIdentity&Version=2011-06-15").await.map(drop)
    }
}

/// IAM GetUser of the caller itself: SigV4, a store read for the user's ARN, IAM policy
/// evaluation (the caller's policies come from the per-principal cache), audit, XML.
struct IamGetUser;

#[async_trait::async_trait]
impl Scenario for IamGetUser {
    async fn step(&self, conn: &mut Conn, _: usize, _: u64) -> Result<(), String> {
        conn.query("iam", "Action=GetUser&Version=2010-05-08").await.map(drop)
    }
}
