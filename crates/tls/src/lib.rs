//! The listener of `spcred serve` and `spcred agent`: plain HTTP, or HTTPS (rustls) with a
//! certificate from PEM files, reread on SIGHUP, or one given in memory (`spcred serve
//! --tls-self-signed` makes its own). Connections are bounded (a cap on how many are open, time
//! limits on handshakes and on sending request headers, so slow clients cannot hold the server),
//! and every request that came over TLS carries [`OverTls`], which is what makes
//! `aws:SecureTransport` true.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tower::ServiceExt;

/// Marks a request that came over TLS.
#[derive(Debug, Clone, Copy)]
pub struct OverTls;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file that cannot be read or used.
    #[error("cannot use {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The certificate and key do not go together, or rustls refused them.
    #[error("the TLS certificate and key cannot be used: {0}")]
    Key(String),
}

/// The certificate in use, swapped on reload.
#[derive(Debug)]
struct Current(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
    }
}

/// A ready TLS endpoint.
#[derive(Clone)]
pub struct Tls {
    acceptor: tokio_rustls::TlsAcceptor,
    current: Arc<Current>,
    /// The files it was loaded from, reread by [`Tls::reload`].
    files: Option<(PathBuf, PathBuf)>,
    /// The SHA-256 fingerprint of the leaf certificate, as `AB:CD:...`.
    pub fingerprint: String,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("files", &self.files)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// The SHA-256 fingerprint of a DER certificate, as `AB:CD:...`.
pub fn fingerprint(der: &[u8]) -> String {
    crypto::sha256(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

fn certified(chain: Vec<CertificateDer<'static>>, key: &PrivateKeyDer<'_>) -> Result<CertifiedKey, TlsError> {
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    CertifiedKey::from_der(chain, key.clone_key(), &provider).map_err(|e| TlsError::Key(e.to_string()))
}

fn load_files(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let bad = |path: &Path| {
        let path = path.to_owned();
        move |e: rustls::pki_types::pem::Error| TlsError::File { path, message: e.to_string() }
    };
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(cert).map_err(bad(cert))?.collect::<Result<_, _>>().map_err(bad(cert))?;
    if chain.is_empty() {
        return Err(TlsError::File { path: cert.to_owned(), message: "no CERTIFICATE in it".into() });
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(bad(key))?;
    certified(chain, &key_der)
}

impl Tls {
    /// Serves the certificate chain and key in these PEM files.
    pub fn from_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        Self::new(load_files(cert, key)?, Some((cert.to_owned(), key.to_owned())))
    }

    /// Serves this certificate chain (leaf first) and key.
    pub fn from_der(chain: Vec<CertificateDer<'static>>, key: &PrivateKeyDer<'_>) -> Result<Self, TlsError> {
        Self::new(certified(chain, key)?, None)
    }

    fn new(key: CertifiedKey, files: Option<(PathBuf, PathBuf)>) -> Result<Self, TlsError> {
        let fingerprint = key.cert.first().map(|c| fingerprint(c)).unwrap_or_default();
        let current = Arc::new(Current(RwLock::new(Arc::new(key))));
        let mut config =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| TlsError::Key(e.to_string()))?
                .with_no_client_auth()
                .with_cert_resolver(current.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self { acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)), current, files, fingerprint })
    }

    /// Rereads the certificate files (a certificate given in memory does not change) and returns
    /// the new fingerprint; on failure the certificate in use stays.
    pub fn reload(&self) -> Result<String, TlsError> {
        let Some((cert, key)) = &self.files else {
            return Ok(self.fingerprint.clone());
        };
        let fresh = load_files(cert, key)?;
        let print = fresh.cert.first().map(|c| fingerprint(c)).unwrap_or_default();
        *self.current.0.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(fresh);
        Ok(print)
    }
}

/// How long a client may take to send a request's headers (slow clients are dropped).
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The most connections open at once; past it, new ones wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 8_192;

/// Serves `router` on `listener`, over TLS when `tls` is given, until `shutdown`, then lets open
/// connections finish. Requests carry `ConnectInfo<SocketAddr>`, and [`OverTls`] under TLS.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    tls: Option<Tls>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let reloads = tls.clone().map(reload_on_sighup);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small requests and answers go out at once rather than waiting on Nagle.
        let _ = tcp.set_nodelay(true);
        let acceptor = tls.as_ref().map(|t| t.acceptor.clone());
        let router = router.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _slot = slot;
            match acceptor {
                None => connection(TokioIo::new(tcp), peer, router, false, watcher).await,
                Some(acceptor) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => connection(TokioIo::new(stream), peer, router, true, watcher).await,
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                },
            }
        });
    }
    if let Some(r) = reloads {
        r.abort();
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Serves one connection's requests.
async fn connection<I>(
    io: TokioIo<I>,
    peer: SocketAddr,
    router: Router,
    over_tls: bool,
    watcher: hyper_util::server::graceful::Watcher,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = tower::service_fn(move |mut request: axum::http::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
        if over_tls {
            request.extensions_mut().insert(OverTls);
        }
        router.clone().oneshot(request.map(axum::body::Body::new))
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(io, TowerToHyperService::new(service));
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// Rereads the certificate files whenever the process gets SIGHUP.
fn reload_on_sighup(tls: Tls) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
            tracing::warn!("cannot watch SIGHUP: the TLS certificate will not be reloaded");
            return;
        };
        while hangups.recv().await.is_some() {
            match tls.reload() {
                Ok(print) => tracing::info!(fingerprint = %print, "reloaded the TLS certificate"),
                Err(e) => tracing::error!(error = %e, "reloading the TLS certificate failed; the old one stays"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn started() -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route("/", axum::routing::get(|| async { "ok" }));
        tokio::spawn(serve(listener, router, None, std::future::pending()));
        addr
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_too_slow_to_send_its_headers_is_dropped() {
        let addr = started().await;
        let mut complete = tokio::net::TcpStream::connect(addr).await.unwrap();
        complete.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
        let mut answer = String::new();
        complete.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

        // Half a request head, then nothing: after the header timeout the connection is closed.
        let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n").await.unwrap();
        let started = tokio::time::Instant::now();
        let mut rest = Vec::new();
        let _ = slow.read_to_end(&mut rest).await;
        assert!(started.elapsed() >= HEADER_TIMEOUT, "closed after {:?}", started.elapsed());
        assert!(!String::from_utf8_lossy(&rest).contains("200"));
    }
}
