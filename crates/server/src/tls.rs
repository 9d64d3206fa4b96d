//! HTTPS for `spcred serve`: a certificate and key from PEM files (reread on SIGHUP), or one
//! spcred makes once and keeps sealed in the store, signed by a CA of its own whose certificate it
//! writes to `<data-dir>/ca.pem` for `AWS_CA_BUNDLE`. Serving is the `tls` crate's.

use crypto::{DataKey, Random};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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
    /// The certificate cannot be served.
    #[error(transparent)]
    Serve(#[from] tls::TlsError),
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
) -> Result<(tls::Tls, PathBuf), TlsError> {
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
    Ok((tls::Tls::from_der(vec![leaf], &key)?, ca_path))
}

/// The TLS endpoint for `source`, and the CA file to trust when spcred made the certificate.
pub async fn setup(
    source: &TlsSource,
    listen: SocketAddr,
    public_url: Option<&str>,
    store: &store::Store,
    at_rest: &DataKey,
    rng: &dyn Random,
    data_dir: &Path,
) -> Result<(tls::Tls, Option<PathBuf>), TlsError> {
    Ok(match source {
        TlsSource::Files { cert, key } => (tls::Tls::from_files(cert, key)?, None),
        TlsSource::SelfSigned => {
            let (served, ca) = self_signed(store, at_rest, rng, &names(listen, public_url), data_dir).await?;
            (served, Some(ca))
        }
    })
}
