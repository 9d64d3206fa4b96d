//! The server side, once the secret is known: the time window and the signature.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use jiff::Timestamp;

use crate::canonical::canonical_prefix;
use crate::error::Error;
use crate::secret::SecretKey;
use crate::sign::{payload_hash, signature_bytes, signing_key, string_to_sign};
use crate::{Auth, AuthKind, MAX_CLOCK_SKEW_SECS, Request, UNSIGNED_PAYLOAD};

const NANOS_PER_SEC: i128 = 1_000_000_000;

impl Auth {
    /// Checks the signing time against `now`: within 15 minutes either side for header
    /// authentication; for a presigned URL, not more than 15 minutes ahead and not past
    /// `X-Amz-Date + X-Amz-Expires`. [`verify`] does this too; a server may call it before
    /// looking the key up, which is AWS's order of checks.
    pub fn check_time(&self, now: Timestamp) -> Result<(), Error> {
        let skew = i128::from(MAX_CLOCK_SKEW_SECS) * NANOS_PER_SEC;
        let (signed, current) = (self.amz_date.as_nanosecond(), now.as_nanosecond());
        if signed > current + skew {
            return Err(Error::SignatureNotYetCurrent { signed_at: self.amz_date, now });
        }
        match self.kind {
            AuthKind::Header if signed < current - skew => {
                Err(Error::SignatureExpired { signed_at: self.amz_date, now })
            }
            AuthKind::Presigned { expires_secs } if current > signed + i128::from(expires_secs) * NANOS_PER_SEC => {
                Err(Error::PresignedUrlExpired)
            }
            _ => Ok(()),
        }
    }
}

/// Verifies `req`, whose authentication [`parse`](crate::parse) read into `auth`, with the
/// secret of `auth.access_key_id`, at `now`.
///
/// Checks the time window ([`Auth::check_time`]), then recomputes the signature and compares it
/// in constant time. The payload hash is `UNSIGNED-PAYLOAD` if `x-amz-content-sha256` says so,
/// else the hash of the actual body. A presigned URL without that header may have been signed
/// either way (botocore and the AWS SDKs hash the empty body except for S3, other presigners
/// use `UNSIGNED-PAYLOAD`), so both are accepted. The scope's region and service are not
/// checked here (see [`Scope::check`](crate::Scope::check)).
pub fn verify(req: &Request<'_>, auth: &Auth, secret: &SecretKey, now: Timestamp) -> Result<(), Error> {
    auth.check_time(now)?;
    let key = signing_key(secret, &auth.scope.date, &auth.scope.region, &auth.scope.service);
    // A signature that is not 64 hex digits matches nothing; it is still compared so the
    // failure takes the same path.
    let mut provided = [0u8; 32];
    let well_formed = hex::decode_to_slice(&auth.signature, &mut provided).is_ok();

    let prefix = canonical_prefix(req, &auth.signed_headers, auth.kind);
    let attempt = |hash: &str| {
        let canonical_request = format!("{prefix}{hash}");
        let string_to_sign = string_to_sign(auth.amz_date, &auth.scope, &canonical_request);
        let computed = signature_bytes(&key, &string_to_sign);
        let matches = verify_slices_are_equal(&computed, &provided).is_ok() && well_formed;
        (matches, canonical_request, string_to_sign)
    };
    let (matches, canonical_request, string_to_sign) = attempt(&payload_hash(req));
    let unsigned_too = matches!(auth.kind, AuthKind::Presigned { .. }) && req.header("x-amz-content-sha256").is_none();
    if matches || (unsigned_too && attempt(UNSIGNED_PAYLOAD).0) {
        return Ok(());
    }
    Err(Error::SignatureDoesNotMatch { canonical_request, string_to_sign })
}
