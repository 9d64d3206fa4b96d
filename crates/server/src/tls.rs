//! HTTPS for `spcred serve` (rustls): a certificate and key from PEM files, reloaded on SIGHUP,
//! or a certificate spcred makes once and keeps sealed in the store, signed by a CA of its own
//! whose certificate it writes to `<data-dir>/ca.pem` for `AWS_CA_BUNDLE`. Requests that came
//! over TLS carry [`OverTls`], which is what makes `aws:SecureTransport` true.

use crate::http::OverTls;
use axum::Router;
use axum::extract::ConnectInfo;
use crypto::{DataKey, Random};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tower::ServiceExt;

/// Where the server's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// PEM files: the certificate chain and its private key.
    Files {
        /// The certificate chain, leaf first.
        cert: PathBuf,
        /// The private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
    /// A certificate spcred makes and keeps.
    SelfSigned,
}

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
    /// Making the self-signed certificate failed.
    #[error("cannot make the self-signed certificate: {0}")]
    Generate(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// Writing the CA file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
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
    source: TlsSource,
    /// The SHA-256 fingerprint of the leaf certificate, as `AB:CD:...`.
    pub fingerprint: String,
    /// The CA certificate to trust, for a self-signed setup.
    pub ca_path: Option<PathBuf>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("source", &self.source)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

fn fingerprint(der: &[u8]) -> String {
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

/// What the store keeps of the self-signed setup, sealed.
#[derive(Serialize, Deserialize)]
struct Kept {
    ca_key_pkcs8: Vec<u8>,
    ca_pem: String,
    names: Vec<String>,
    leaf_key_pkcs8: Vec<u8>,
    leaf_pem: String,
}

const KEPT: &str = "tls-self-signed";

fn generate_error(e: impl std::fmt::Display) -> TlsError {
    TlsError::Generate(e.to_string())
}

fn ca_params() -> Result<rcgen::CertificateParams, TlsError> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(generate_error)?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "spcred local CA");
    params.distinguished_name.push(rcgen::DnType::OrganizationName, "spcred");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = rcgen::date_time_ymd(2045, 1, 1);
    Ok(params)
}

/// A leaf for `names` signed by the kept CA (made now if there is none).
fn issue(kept: Option<&Kept>, names: &[String]) -> Result<Kept, TlsError> {
    let ca_key = match kept {
        Some(k) => {
            let der = PrivatePkcs8KeyDer::from(k.ca_key_pkcs8.clone());
            rcgen::KeyPair::try_from(&der).map_err(generate_error)?
        }
        None => rcgen::KeyPair::generate().map_err(generate_error)?,
    };
    let params = ca_params()?;
    let ca_pem = match kept {
        Some(k) => k.ca_pem.clone(),
        None => params.self_signed(&ca_key).map_err(generate_error)?.pem(),
    };
    let issuer = rcgen::Issuer::new(params, &ca_key);
    let leaf_key = rcgen::KeyPair::generate().map_err(generate_error)?;
    let mut leaf = rcgen::CertificateParams::new(names.to_vec()).map_err(generate_error)?;
    leaf.distinguished_name.push(rcgen::DnType::CommonName, "spcred serve");
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = rcgen::date_time_ymd(2025, 1, 1);
    leaf.not_after = rcgen::date_time_ymd(2045, 1, 1);
    let leaf_pem = leaf.signed_by(&leaf_key, &issuer).map_err(generate_error)?.pem();
    Ok(Kept {
        ca_key_pkcs8: ca_key.serialize_der(),
        ca_pem,
        names: names.to_vec(),
        leaf_key_pkcs8: leaf_key.serialize_der(),
        leaf_pem,
    })
}

/// The names the self-signed certificate covers: the loopback names, the address listened on
/// and the public URL's host.
fn names(listen: SocketAddr, public_url: Option<&str>) -> Vec<String> {
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    if !listen.ip().is_unspecified() {
        names.push(listen.ip().to_string());
    }
    if let Some(host) = public_url.and_then(|u| u.split_once("://")).map(|(_, rest)| rest) {
        let authority = host.split('/').next().unwrap_or_default();
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
        };
        if !host.is_empty() {
            names.push(host.to_owned());
        }
    }
    names.sort();
    names.dedup();
    names
}

/// The self-signed setup: kept in the store, its leaf remade when the names it must cover
/// change (the CA stays, so a trusted `ca.pem` stays valid).
async fn self_signed(
    store: &store::Store,
    at_rest: &DataKey,
    rng: &dyn Random,
    names: &[String],
    data_dir: &Path,
) -> Result<(CertifiedKey, PathBuf), TlsError> {
    let mut tx = store.begin().await?;
    let kept: Option<Kept> = match store::meta::get(&mut tx, KEPT).await? {
        Some(sealed) => {
            let plain = at_rest.open(&sealed, KEPT.as_bytes()).map_err(generate_error)?;
            Some(serde_json::from_slice(&plain).map_err(generate_error)?)
        }
        None => None,
    };
    let kept = match kept {
        Some(k) if k.names == names => k,
        other => {
            let fresh = issue(other.as_ref(), names)?;
            let plain = zeroize::Zeroizing::new(serde_json::to_vec(&fresh).map_err(generate_error)?);
            store::meta::put(&mut tx, KEPT, &at_rest.seal(rng, &plain, KEPT.as_bytes())).await?;
            fresh
        }
    };
    tx.commit().await.map_err(store::StoreError::from)?;
    let ca_path = data_dir.join("ca.pem");
    std::fs::write(&ca_path, &kept.ca_pem).map_err(|source| TlsError::Write { path: ca_path.clone(), source })?;
    let leaf = CertificateDer::from_pem_slice(kept.leaf_pem.as_bytes()).map_err(generate_error)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(kept.leaf_key_pkcs8.clone()));
    Ok((certified(vec![leaf], &key)?, ca_path))
}

impl Tls {
    /// Sets TLS up from `source`.
    pub async fn new(
        source: &TlsSource,
        listen: SocketAddr,
        public_url: Option<&str>,
        store: &store::Store,
        at_rest: &DataKey,
        rng: &dyn Random,
        data_dir: &Path,
    ) -> Result<Self, TlsError> {
        let (key, ca_path) = match source {
            TlsSource::Files { cert, key } => (load_files(cert, key)?, None),
            TlsSource::SelfSigned => {
                let (key, ca) = self_signed(store, at_rest, rng, &names(listen, public_url), data_dir).await?;
                (key, Some(ca))
            }
        };
        let fingerprint = key.cert.first().map(|c| fingerprint(c)).unwrap_or_default();
        let current = Arc::new(Current(RwLock::new(Arc::new(key))));
        let mut config =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| TlsError::Key(e.to_string()))?
                .with_no_client_auth()
                .with_cert_resolver(current.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            current,
            source: source.clone(),
            fingerprint,
            ca_path,
        })
    }

    /// Rereads the certificate files (a self-signed certificate does not change); on failure
    /// the certificate in use stays.
    pub fn reload(&self) -> Result<String, TlsError> {
        let TlsSource::Files { cert, key } = &self.source else {
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

/// Serves `router` over TLS on `listener` until `shutdown`, then lets open connections finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    tls: Tls,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let reloads = reload_on_sighup(tls.clone());
    tokio::pin!(shutdown);
    loop {
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
        let acceptor = tls.acceptor.clone();
        let router = router.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            let service = tower::service_fn(move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.extensions_mut().insert(OverTls);
                router.clone().oneshot(request.map(axum::body::Body::new))
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            if let Err(e) = watcher.watch(connection).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    reloads.abort();
    drop(listener);
    graceful.shutdown().await;
    Ok(())
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
