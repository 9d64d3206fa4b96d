//! SigV4: canonical requests, signing and constant-time verification (pure).
//!
//! This crate implements AWS Signature Version 4 for services that normalise their paths (every
//! AWS service except S3): the client side ([`sign`], [`presign`]) and the server side
//! ([`parse`], then [`verify`]). It knows nothing of HTTP types: a request is a [`Request`] made
//! of plain slices, exactly as received on the wire.
//!
//! Verification is split in two because the server must look up the secret between the steps:
//!
//! ```
//! use spcred_sigv4::{parse, sign, verify, Credentials, Request};
//!
//! let time: jiff::Timestamp = "2015-08-30T12:36:00Z".parse().unwrap();
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None);
//! let body = b"Action=GetCallerIdentity&Version=2011-06-15";
//! let host = [("Host", "sts.amazonaws.com")];
//! let unsigned = Request { method: "POST", path: "/", query: "", headers: &host, body };
//! let added = sign(&unsigned, &creds, "us-east-1", "sts", time);
//! let headers: Vec<(&str, &str)> = host.iter().copied().chain(added.iter()).collect();
//!
//! let received = Request { headers: &headers, ..unsigned };
//! let auth = parse(&received).unwrap();
//! // The server looks up `auth.access_key_id` here.
//! verify(&received, &auth, &creds.secret_access_key, time).unwrap();
//! ```

#![warn(missing_docs)]

mod auth;
mod canonical;
mod error;
mod secret;
mod sign;
mod time;
mod verify;

pub use auth::{Auth, AuthKind, Scope, parse};
pub use canonical::canonical_request;
pub use error::{Error, ErrorKind, ExpiresProblem, ScopeProblem};
pub use secret::{Credentials, SecretKey, SigningKey};
pub use sign::{SignedHeaders, presign, sign, signature, signing_key, string_to_sign};
pub use verify::verify;

/// The only signing algorithm SigV4 defines.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The literal a client puts in `x-amz-content-sha256` (and the canonical request) when it
/// does not sign the body.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The longest validity of a presigned URL, in seconds (seven days), and the largest
/// `X-Amz-Expires` accepted.
pub const MAX_PRESIGNED_EXPIRES_SECS: u32 = 604_800;

/// How far a request's signing time may be from the verifier's clock, either side, in seconds.
pub const MAX_CLOCK_SKEW_SECS: i64 = 15 * 60;

/// A request as received, or about to be sent.
///
/// `path` and `query` are raw, exactly as on the wire (still percent-encoded, without the `?`);
/// the canonical form is derived from them the way AWS does. Header names are matched without
/// regard to case and may repeat.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The raw request path, e.g. `/` or `/example%20space/`.
    pub path: &'a str,
    /// The raw query string without the leading `?`; empty when there is none.
    pub query: &'a str,
    /// The headers in the order received.
    pub headers: &'a [(&'a str, &'a str)],
    /// The request body.
    pub body: &'a [u8],
}

impl<'a> Request<'a> {
    /// The values of every header named `name` (any case), in the order received.
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }

    /// The first value of the header named `name` (any case), trimmed.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.header_values(name).next().map(str::trim)
    }
}
