//! Storing new access tokens with group commit: concurrent token requests share one write
//! transaction, so the single SQLite writer is not paid once per token. A caller hears back only
//! once its token is committed, so a token handed out is always one the store knows.

use std::sync::Arc;
use store::{Clock, Store, StoreError, sp};
use tokio::sync::{mpsc, oneshot};

/// What a new token grants.
#[derive(Debug)]
pub(crate) struct NewToken {
    pub kind: &'static str,
    pub app_id: String,
    pub selling_partner_id: Option<String>,
    pub authorization_id: Option<i64>,
    pub scope: Option<String>,
    pub resources: Option<String>,
    pub expires_ms: i64,
}

type Pending = ([u8; 32], NewToken, oneshot::Sender<Result<(), String>>);

/// How many tokens one commit takes at most.
const BATCH: usize = 256;

/// The writer task's handle.
#[derive(Debug, Clone)]
pub(crate) struct TokenWriter {
    tx: mpsc::Sender<Pending>,
}

async fn write(store: &Store, batch: &[Pending], now_ms: i64) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    for (verifier, t, _) in batch {
        let row = sp::NewAccessToken {
            kind: t.kind,
            app_id: &t.app_id,
            selling_partner_id: t.selling_partner_id.as_deref(),
            authorization_id: t.authorization_id,
            scope: t.scope.as_deref(),
            resources: t.resources.as_deref(),
            expires_ms: t.expires_ms,
        };
        sp::insert_access_token(&mut tx, verifier, &row, now_ms).await?;
    }
    Ok(tx.commit().await?)
}

impl TokenWriter {
    /// Starts the writer task on `store`.
    pub fn start(store: Store, clock: Arc<dyn Clock>) -> Self {
        let (tx, mut rx) = mpsc::channel::<Pending>(4096);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut batch, BATCH).await > 0 {
                let result = write(&store, &batch, clock.now_ms()).await.map_err(|e| e.to_string());
                if let Err(e) = &result {
                    tracing::error!(error = %e, tokens = batch.len(), "storing access tokens failed");
                }
                for (_, _, done) in batch.drain(..) {
                    let _ = done.send(result.clone());
                }
            }
        });
        Self { tx }
    }

    /// Stores `token` under `verifier` and waits until it is committed.
    pub async fn insert(&self, verifier: [u8; 32], token: NewToken) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((verifier, token, done))
            .await
            .map_err(|_| StoreError::Unavailable("token writer stopped".into()))?;
        wait.await.map_err(|_| StoreError::Unavailable("token writer stopped".into()))?.map_err(StoreError::Unavailable)
    }
}
