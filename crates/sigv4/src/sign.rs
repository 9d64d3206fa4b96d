//! The client side: deriving the key, signing headers and presigning URLs.

use std::fmt;
use std::fmt::Write as _;

use aws_lc_rs::{digest, hmac};
use jiff::Timestamp;
use percent_encoding::utf8_percent_encode;
use zeroize::Zeroizing;

use crate::auth::TERMINATOR;
use crate::canonical::{URI_ENCODE, canonical_request, query_pairs};
use crate::secret::{Credentials, SecretKey, SigningKey};
use crate::time::format_amz_date;
use crate::{ALGORITHM, AuthKind, Request, Scope, UNSIGNED_PAYLOAD};

/// Headers never signed, because proxies and HTTP stacks add, drop or rewrite them (botocore's
/// list), plus the ones the signer itself sets.
const UNSIGNABLE: [&str; 17] = [
    "authorization",
    "baggage",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "traceparent",
    "tracestate",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
    "x-amz-date",
    "x-amz-security-token",
];

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Lower-case hex SHA-256, the form SigV4 uses for payload and canonical request hashes.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data))
}

/// Derives the signing key for one day (`YYYYMMDD`), region and service.
pub fn signing_key(secret: &SecretKey, date: &str, region: &str, service: &str) -> SigningKey {
    let mut seed = Zeroizing::new(Vec::with_capacity(4 + secret.expose_secret().len()));
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret.expose_secret().as_bytes());
    let k_date = Zeroizing::new(hmac_sha256(&seed, date.as_bytes()));
    let k_region = Zeroizing::new(hmac_sha256(&*k_date, region.as_bytes()));
    let k_service = Zeroizing::new(hmac_sha256(&*k_region, service.as_bytes()));
    SigningKey(hmac_sha256(&*k_service, TERMINATOR.as_bytes()))
}

/// The string to sign: algorithm, signing time, scope and the hash of the canonical request.
pub fn string_to_sign(amz_date: Timestamp, scope: &Scope, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{}\n{scope}\n{}", format_amz_date(amz_date), sha256_hex(canonical_request.as_bytes()))
}

/// The raw HMAC of `string_to_sign`; [`signature`] is its hex form.
pub(crate) fn signature_bytes(key: &SigningKey, string_to_sign: &str) -> [u8; 32] {
    hmac_sha256(&key.0, string_to_sign.as_bytes())
}

/// The signature of `string_to_sign`, lower-case hex.
pub fn signature(key: &SigningKey, string_to_sign: &str) -> String {
    hex::encode(signature_bytes(key, string_to_sign))
}

/// The payload hash a signer puts in the canonical request: `UNSIGNED-PAYLOAD` if the request
/// says so in `x-amz-content-sha256`, else the hash of the body (also when that header holds a
/// hash: a body changed after signing must not verify).
pub(crate) fn payload_hash(req: &Request<'_>) -> String {
    if req.header("x-amz-content-sha256") == Some(UNSIGNED_PAYLOAD) {
        UNSIGNED_PAYLOAD.to_owned()
    } else {
        sha256_hex(req.body)
    }
}

/// The names of the request's headers a signer signs, lower-cased, sorted and unique, plus
/// `extra` (the headers the signer adds).
fn names_to_sign(req: &Request<'_>, extra: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .filter(|name| !UNSIGNABLE.contains(&name.as_str()))
        .chain(extra.iter().map(|name| (*name).to_owned()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

fn scope_for(time: Timestamp, region: &str, service: &str) -> (String, Scope) {
    let amz_date = format_amz_date(time);
    let date = amz_date.get(..8).unwrap_or_default().to_owned();
    let scope = Scope { date, region: region.to_owned(), service: service.to_owned() };
    (amz_date, scope)
}

/// The headers [`sign`] adds to a request.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// The `Authorization` header.
    pub authorization: String,
    /// The `X-Amz-Date` header.
    pub x_amz_date: String,
    /// The `X-Amz-Security-Token` header, for temporary credentials.
    pub x_amz_security_token: Option<String>,
}

impl SignedHeaders {
    /// The headers as `(name, value)` pairs, ready to append to the request.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        [
            Some(("X-Amz-Date", self.x_amz_date.as_str())),
            self.x_amz_security_token.as_deref().map(|t| ("X-Amz-Security-Token", t)),
            Some(("Authorization", self.authorization.as_str())),
        ]
        .into_iter()
        .flatten()
    }
}

impl fmt::Debug for SignedHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedHeaders")
            .field("authorization", &self.authorization)
            .field("x_amz_date", &self.x_amz_date)
            .field("x_amz_security_token", &self.x_amz_security_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Signs `req` in the `Authorization` header, as botocore does: every header is signed except
/// the hop-by-hop and tracing ones, together with the `X-Amz-Date` (and, for temporary
/// credentials, `X-Amz-Security-Token`) headers this returns. Any `Authorization`,
/// `X-Amz-Date` or `X-Amz-Security-Token` already in `req` is ignored: the caller replaces them
/// with the returned headers. `req` must carry a `Host` header, which verifiers require.
pub fn sign(req: &Request<'_>, creds: &Credentials, region: &str, service: &str, time: Timestamp) -> SignedHeaders {
    let (amz_date, scope) = scope_for(time, region, service);
    let token = creds.session_token.as_deref();
    let own: Vec<(&str, &str)> = req
        .headers
        .iter()
        .filter(|(name, _)| !["x-amz-date", "x-amz-security-token"].iter().any(|n| name.eq_ignore_ascii_case(n)))
        .copied()
        .chain([("x-amz-date", amz_date.as_str())])
        .chain(token.map(|t| ("x-amz-security-token", t)))
        .collect();
    let extra: &[&str] = if token.is_some() { &["x-amz-date", "x-amz-security-token"] } else { &["x-amz-date"] };
    let signed = Request { headers: &own, ..*req };
    let names = names_to_sign(&signed, extra);
    let creq = canonical_request(&signed, &names, &payload_hash(&signed), AuthKind::Header);
    let key = signing_key(&creds.secret_access_key, &scope.date, region, service);
    let sig = signature(&key, &string_to_sign(time, &scope, &creq));
    SignedHeaders {
        authorization: format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={sig}",
            creds.access_key_id,
            names.join(";")
        ),
        x_amz_date: amz_date,
        x_amz_security_token: token.map(str::to_owned),
    }
}

/// The `X-Amz-*` parameters a presigned URL carries; any already in the query are replaced.
const PRESIGN_PARAMS: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
];

/// Presigns `req` for `expires_secs` seconds (1..=604800; verifiers refuse anything else) and
/// returns the complete query string to use: the request's own parameters followed by the
/// `X-Amz-*` ones, signature last.
///
/// Like botocore and the AWS SDKs for services other than S3, the canonical request ends with
/// the hash of the body (of the empty body for a `GET`), or `UNSIGNED-PAYLOAD` if the request's
/// `x-amz-content-sha256` header says so. Every header of `req` but the hop-by-hop ones is
/// signed; usually that is just `Host`, which must be present.
pub fn presign(
    req: &Request<'_>,
    creds: &Credentials,
    region: &str,
    service: &str,
    time: Timestamp,
    expires_secs: u32,
) -> String {
    let (amz_date, scope) = scope_for(time, region, service);
    let names = names_to_sign(req, &[]);
    let mut query = String::with_capacity(req.query.len() + 512);
    for (k, v) in query_pairs(req.query) {
        let key = percent_encoding::percent_decode_str(k).decode_utf8_lossy();
        if !PRESIGN_PARAMS.contains(&key.as_ref()) {
            query.push_str(k);
            query.push('=');
            query.push_str(v);
            query.push('&');
        }
    }
    let enc = |s: &str| utf8_percent_encode(s, URI_ENCODE).to_string();
    // Writing to a String cannot fail.
    let _ = write!(
        query,
        "X-Amz-Algorithm={ALGORITHM}&X-Amz-Credential={}&X-Amz-Date={amz_date}&X-Amz-Expires={expires_secs}\
         &X-Amz-SignedHeaders={}",
        enc(&format!("{}/{scope}", creds.access_key_id)),
        enc(&names.join(";")),
    );
    if let Some(token) = &creds.session_token {
        let _ = write!(query, "&X-Amz-Security-Token={}", enc(token));
    }
    let kind = AuthKind::Presigned { expires_secs };
    let signed = Request { query: &query, ..*req };
    let creq = canonical_request(&signed, &names, &payload_hash(&signed), kind);
    let key = signing_key(&creds.secret_access_key, &scope.date, region, service);
    let _ = write!(query, "&X-Amz-Signature={}", signature(&key, &string_to_sign(time, &scope, &creq)));
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_matches_aws_documentation() {
        // The worked example of AWS's "Deriving the signing key" documentation.
        let key =
            signing_key(&SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), "20120215", "us-east-1", "iam");
        assert_eq!(hex::encode(key.0), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
    }

    #[test]
    fn unsignable_headers_are_left_out() {
        let headers = [("Host", "h"), ("User-Agent", "ua"), ("X-Foo", "1"), ("x-foo", "2")];
        let req = Request { method: "GET", path: "/", query: "", headers: &headers, body: b"" };
        assert_eq!(names_to_sign(&req, &["x-amz-date"]), ["host", "x-amz-date", "x-foo"]);
    }
}
