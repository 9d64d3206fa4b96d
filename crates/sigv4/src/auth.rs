//! Reading the authentication information out of a request, before any secret is known.

use std::borrow::Cow;
use std::fmt;

use jiff::Timestamp;
use percent_encoding::percent_decode_str;

use crate::canonical::{SIGNATURE_PARAM, query_pairs};
use crate::error::{Error, ExpiresProblem, ScopeProblem};
use crate::time::{format_amz_date, parse_amz_date, parse_http_date};
use crate::{ALGORITHM, MAX_PRESIGNED_EXPIRES_SECS, Request};

/// The last element of every SigV4 credential scope.
pub(crate) const TERMINATOR: &str = "aws4_request";

/// The credential scope: which day, region and service a signature is good for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The day, `YYYYMMDD`.
    pub date: String,
    /// The region, e.g. `us-east-1`.
    pub region: String,
    /// The service's signing name, e.g. `sts`.
    pub service: String,
}

impl Scope {
    /// Checks the scope against the service that received the request and the regions it
    /// answers for, reporting both problems at once as AWS does.
    pub fn check(&self, service: &str, region_is_valid: impl FnOnce(&str) -> bool) -> Result<(), Error> {
        let mut problems = Vec::new();
        if !region_is_valid(&self.region) {
            problems.push(ScopeProblem::Region { region: self.region.clone() });
        }
        if self.service != service {
            problems.push(ScopeProblem::Service { expected: service.to_owned() });
        }
        if problems.is_empty() { Ok(()) } else { Err(Error::InvalidCredentialScope { problems }) }
    }
}

impl fmt::Display for Scope {
    /// `date/region/service/aws4_request`, as in the string to sign.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}/{TERMINATOR}", self.date, self.region, self.service)
    }
}

/// Where the signature travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// In the `Authorization` header.
    Header,
    /// In `X-Amz-*` query parameters (a presigned URL).
    Presigned {
        /// `X-Amz-Expires`: seconds the URL stays valid after `X-Amz-Date`, 1..=604800.
        expires_secs: u32,
    },
}

/// The authentication information of a request, read by [`parse`].
#[derive(Clone, PartialEq, Eq)]
pub struct Auth {
    /// The access key id the request claims.
    pub access_key_id: String,
    /// The credential scope.
    pub scope: Scope,
    /// The signed header names, as listed by the client.
    pub signed_headers: Vec<String>,
    /// The signature, hex as sent.
    pub signature: String,
    /// The signing time (`X-Amz-Date`, or the `Date` header).
    pub amz_date: Timestamp,
    /// The session token (`X-Amz-Security-Token` header or query parameter), if any.
    pub security_token: Option<String>,
    /// Header or presigned.
    pub kind: AuthKind,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &self.signature)
            .field("amz_date", &self.amz_date)
            .field("security_token", &self.security_token.as_ref().map(|_| "<redacted>"))
            .field("kind", &self.kind)
            .finish()
    }
}

/// Reads the SigV4 authentication of `req`, from the `Authorization` header or, for a
/// presigned URL, from the `X-Amz-*` query parameters. Needs no secret and no clock.
///
/// Checks everything that does not need them, in the order AWS does: that the request is
/// signed at all, that no required part is missing, the date format, `X-Amz-Expires`, that
/// `host` (and, for header auth, the date header) is signed, the algorithm, the credential's
/// shape, and that its scope ends in `aws4_request` and names the signing day. The scope's
/// region and service are the caller's to check ([`Scope::check`]); the time window and the
/// signature are [`verify`](crate::verify)'s.
pub fn parse(req: &Request<'_>) -> Result<Auth, Error> {
    let presigned = query_pairs(req.query).any(|(k, _)| decode(k) == "X-Amz-Algorithm");
    match (req.header("authorization"), presigned) {
        (Some(_), true) => Err(Error::HeaderAndQueryAuth),
        (Some(authorization), false) => parse_header(req, authorization),
        (None, true) => parse_query(req),
        (None, false) => Err(Error::MissingAuthenticationToken),
    }
}

fn decode(component: &str) -> Cow<'_, str> {
    percent_decode_str(component).decode_utf8_lossy()
}

/// The parts common to both places a signature can travel, before validation.
struct Raw<'a> {
    algorithm: &'a str,
    credential: Cow<'a, str>,
    signed_headers: Cow<'a, str>,
    signature: Cow<'a, str>,
    amz_date: Timestamp,
    security_token: Option<String>,
    kind: AuthKind,
}

fn present(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

fn signs(signed_headers: &str, name: &str) -> bool {
    signed_headers.split(';').any(|h| h.eq_ignore_ascii_case(name))
}

fn parse_header(req: &Request<'_>, authorization: &str) -> Result<Auth, Error> {
    // Anything else (SigV2's `AWS key:sig`, `Bearer`, ...) is not SigV4 at all.
    if !authorization.starts_with("AWS4-") {
        return Err(Error::MissingAuthenticationToken);
    }
    let (algorithm, params) = authorization.split_once(char::is_whitespace).unwrap_or((authorization, ""));
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for pair in params.split(|c: char| c == ',' || c.is_whitespace()).filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(Error::MalformedAuthorizationPair {
                pair: pair.to_owned(),
                authorization: authorization.to_owned(),
            });
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    let amz_date = req.header("x-amz-date");
    let (date_header, date) = match amz_date {
        Some(d) => ("x-amz-date", Some(d)),
        None => ("date", req.header("date")),
    };
    let (credential, signed_headers, signature, date) =
        match (present(credential), present(signed_headers), present(signature), present(date)) {
            (Some(c), Some(h), Some(s), Some(d)) => (c, h, s, d),
            (c, h, s, d) => {
                let missing = [("Credential", c), ("Signature", s), ("SignedHeaders", h)]
                    .into_iter()
                    .filter_map(|(name, v)| v.is_none().then_some(name))
                    .collect();
                return Err(Error::IncompleteAuthorization {
                    missing,
                    missing_date: d.is_none(),
                    authorization: authorization.to_owned(),
                });
            }
        };
    let parsed = if amz_date.is_some() { parse_amz_date(date) } else { parse_http_date(date) };
    let Some(amz_date) = parsed else {
        return Err(Error::InvalidDate { value: date.to_owned() });
    };
    if !signs(signed_headers, "host") {
        return Err(Error::HostNotSigned);
    }
    if !signs(signed_headers, date_header) {
        return Err(Error::DateNotSigned);
    }
    finish(Raw {
        algorithm,
        credential: Cow::Borrowed(credential),
        signed_headers: Cow::Borrowed(signed_headers),
        signature: Cow::Borrowed(signature),
        amz_date,
        security_token: req.header("x-amz-security-token").map(str::to_owned),
        kind: AuthKind::Header,
    })
}

/// The parameters a presigned URL must carry. AWS's Coral services do not require
/// `X-Amz-Expires` (they ignore it and allow 15 minutes); every SDK sends it, and without it a
/// URL would have no lifetime, so it is required here, reported in AWS's words for the others.
const QUERY_PARAMS: [&str; 6] =
    ["X-Amz-Algorithm", "X-Amz-Credential", SIGNATURE_PARAM, "X-Amz-SignedHeaders", "X-Amz-Date", "X-Amz-Expires"];

fn parse_query(req: &Request<'_>) -> Result<Auth, Error> {
    // The first occurrence of each parameter wins, as with AWS.
    let mut found: [Option<Cow<'_, str>>; QUERY_PARAMS.len()] = Default::default();
    let mut security_token = None;
    for (k, v) in query_pairs(req.query) {
        let key = decode(k);
        if let Some(slot) = QUERY_PARAMS.iter().zip(&mut found).find_map(|(p, slot)| (*p == key).then_some(slot)) {
            slot.get_or_insert_with(|| decode(v));
        } else if key == "X-Amz-Security-Token" && security_token.is_none() {
            security_token = Some(decode(v).into_owned());
        }
    }
    let found = found.map(|v| v.filter(|v| !v.is_empty()));
    let missing: Vec<&'static str> =
        QUERY_PARAMS.iter().zip(&found).filter_map(|(name, v)| v.is_none().then_some(*name)).collect();
    let [Some(algorithm), Some(credential), Some(signature), Some(signed_headers), Some(date), Some(expires)] = found
    else {
        return Err(Error::IncompleteQueryAuth { missing });
    };
    let Some(amz_date) = parse_amz_date(&date) else {
        return Err(Error::InvalidDate { value: date.into_owned() });
    };
    let expires_secs = parse_expires(&expires)?;
    if !signs(&signed_headers, "host") {
        return Err(Error::HostNotSigned);
    }
    finish(Raw {
        algorithm: &algorithm,
        credential,
        signed_headers,
        signature,
        amz_date,
        security_token,
        kind: AuthKind::Presigned { expires_secs },
    })
}

fn parse_expires(value: &str) -> Result<u32, Error> {
    let (negative, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidExpires(ExpiresProblem::NotANumber));
    }
    if negative && digits.bytes().any(|b| b != b'0') {
        return Err(Error::InvalidExpires(ExpiresProblem::Negative));
    }
    // Any value with more digits than u32 holds is far beyond the limit.
    let secs = digits.parse::<u32>().unwrap_or(u32::MAX);
    if secs > MAX_PRESIGNED_EXPIRES_SECS {
        return Err(Error::InvalidExpires(ExpiresProblem::TooLarge));
    }
    if secs == 0 {
        // S3 answers a zero lifetime with an expired URL; refusing it here says the same.
        return Err(Error::PresignedUrlExpired);
    }
    Ok(secs)
}

/// The checks shared by both kinds once every part is present: the algorithm, the
/// credential's shape and its scope's terminator and date.
fn finish(raw: Raw<'_>) -> Result<Auth, Error> {
    if raw.algorithm != ALGORITHM {
        return Err(Error::UnsupportedAlgorithm { algorithm: raw.algorithm.to_owned() });
    }
    // AWS ignores trailing slashes in the credential.
    let trimmed = raw.credential.trim_end_matches('/');
    let parts: Vec<&str> = trimmed.split('/').collect();
    let [key, date, region, service, terminator] = parts.as_slice() else {
        return Err(Error::MalformedCredential { credential: raw.credential.into_owned() });
    };
    let mut problems = Vec::new();
    if *terminator != TERMINATOR {
        problems.push(ScopeProblem::Terminator { found: (*terminator).to_owned() });
    }
    if Some(*date) != format_amz_date(raw.amz_date).get(..8) {
        problems.push(ScopeProblem::Date { scope_date: (*date).to_owned(), signed_at: raw.amz_date });
    }
    if !problems.is_empty() {
        return Err(Error::InvalidCredentialScope { problems });
    }
    Ok(Auth {
        access_key_id: (*key).to_owned(),
        scope: Scope { date: (*date).to_owned(), region: (*region).to_owned(), service: (*service).to_owned() },
        signed_headers: raw.signed_headers.split(';').map(str::to_owned).collect(),
        signature: raw.signature.into_owned(),
        amz_date: raw.amz_date,
        security_token: raw.security_token,
        kind: raw.kind,
    })
}
