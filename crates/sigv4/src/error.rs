//! Authentication errors, worded as AWS words them.
//!
//! The texts come from what AWS services return (as recorded by clients' bug reports and by
//! emulators that copied real responses, e.g. dynalite, kinesalite, scratchstack): the
//! Coral-based services behind the Query and JSON protocols share them.

use std::fmt;

use jiff::Timestamp;

use crate::time::{format_amz_date, shifted};
use crate::{MAX_CLOCK_SKEW_SECS, MAX_PRESIGNED_EXPIRES_SECS};

/// Why authentication failed. `Display` gives AWS's exact message; [`Error::kind`] the class
/// that decides the protocol's error code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Neither an `Authorization` header starting with `AWS4-` nor an `X-Amz-Algorithm` query
    /// parameter: the request is not SigV4-signed at all.
    MissingAuthenticationToken,
    /// Both an `Authorization` header and `X-Amz-Algorithm` in the query.
    HeaderAndQueryAuth,
    /// An `Authorization` component without `=`.
    MalformedAuthorizationPair {
        /// The component as sent.
        pair: String,
        /// The whole header as sent (AWS echoes it).
        authorization: String,
    },
    /// Required `Authorization` components, or a date header, are missing or empty.
    IncompleteAuthorization {
        /// The names of the missing components (`Credential`, `Signature`, `SignedHeaders`).
        missing: Vec<&'static str>,
        /// Neither `X-Amz-Date` nor `Date` is present.
        missing_date: bool,
        /// The whole header as sent (AWS echoes it).
        authorization: String,
    },
    /// Required `X-Amz-*` query parameters of a presigned URL are missing or empty.
    IncompleteQueryAuth {
        /// The names of the missing parameters.
        missing: Vec<&'static str>,
    },
    /// The signing time is not in ISO 8601 basic format (nor, for `Date`, an HTTP date).
    InvalidDate {
        /// The value as sent.
        value: String,
    },
    /// The algorithm is not `AWS4-HMAC-SHA256`.
    UnsupportedAlgorithm {
        /// The algorithm as sent.
        algorithm: String,
    },
    /// The credential is not `keyid/date/region/service/term`.
    MalformedCredential {
        /// The credential as sent.
        credential: String,
    },
    /// The credential scope is wrong in one or more ways (reported together, as AWS does).
    InvalidCredentialScope {
        /// Each problem found, in AWS's order.
        problems: Vec<ScopeProblem>,
    },
    /// `host` is not among the signed headers.
    HostNotSigned,
    /// The header carrying the signing time (`x-amz-date`, or `date` without it) is not among
    /// the signed headers. AWS binds the time through the string to sign and does not check
    /// this; the message is ours, worded like AWS's `host` message.
    DateNotSigned,
    /// `X-Amz-Expires` is not a number of seconds in 0..=604800.
    InvalidExpires(ExpiresProblem),
    /// The signature does not match the one computed from the request and the secret.
    SignatureDoesNotMatch {
        /// The canonical request the server computed (AWS returns it to help debugging).
        canonical_request: String,
        /// The string to sign the server computed.
        string_to_sign: String,
    },
    /// The signing time is more than 15 minutes before the verifier's clock.
    SignatureExpired {
        /// The signing time of the request.
        signed_at: Timestamp,
        /// The verifier's clock.
        now: Timestamp,
    },
    /// The signing time is more than 15 minutes after the verifier's clock.
    SignatureNotYetCurrent {
        /// The signing time of the request.
        signed_at: Timestamp,
        /// The verifier's clock.
        now: Timestamp,
    },
    /// A presigned URL used after `X-Amz-Date + X-Amz-Expires`, or with `X-Amz-Expires=0`.
    PresignedUrlExpired,
    /// The access key id is unknown, or the session token does not belong to it. Never
    /// returned by this crate; the server returns it after looking the key up.
    InvalidClientTokenId,
    /// The session token has expired. Never returned by this crate; the server returns it
    /// after looking the session up.
    ExpiredToken,
}

/// The class of an [`Error`], which is what decides the error code on the wire.
///
/// | kind | Query protocol (IAM, STS, SNS, SQS query) | JSON protocols (KMS, SSM, EventBridge, SQS JSON) |
/// | --- | --- | --- |
/// | `MissingAuthenticationToken` | `MissingAuthenticationToken` | `MissingAuthenticationTokenException` |
/// | `IncompleteSignature` | `IncompleteSignature` | `IncompleteSignatureException` |
/// | `SignatureDoesNotMatch` | `SignatureDoesNotMatch` | `InvalidSignatureException` |
/// | `SignatureExpired` | `SignatureDoesNotMatch` | `InvalidSignatureException` |
/// | `InvalidClientTokenId` | `InvalidClientTokenId` | `UnrecognizedClientException` |
/// | `ExpiredToken` | `ExpiredToken` | `ExpiredTokenException` |
///
/// AWS reports an expired signature under the same code as a wrong one (e.g. STS:
/// `SignatureDoesNotMatch: Signature expired: ...`; DynamoDB and KMS:
/// `InvalidSignatureException`), and SDKs recognise clock skew from the message; the separate
/// kind exists for logging and metrics. All are client (sender) faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request carries no SigV4 authentication.
    MissingAuthenticationToken,
    /// The authentication information is malformed or incomplete.
    IncompleteSignature,
    /// The signature, its scope or its signed headers are wrong.
    SignatureDoesNotMatch,
    /// The signing time is outside the accepted window.
    SignatureExpired,
    /// The access key or session token is not recognised.
    InvalidClientTokenId,
    /// The session token has expired.
    ExpiredToken,
}

/// One way a credential scope (`date/region/service/aws4_request`) is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeProblem {
    /// The region is not one this service answers for.
    Region {
        /// The region in the scope.
        region: String,
    },
    /// The service is not the one that received the request.
    Service {
        /// The service that received the request.
        expected: String,
    },
    /// The last element is not `aws4_request`.
    Terminator {
        /// The terminator in the scope.
        found: String,
    },
    /// The date differs from the date of the signing time.
    Date {
        /// The date in the scope.
        scope_date: String,
        /// The signing time.
        signed_at: Timestamp,
    },
}

/// Why an `X-Amz-Expires` value is refused (S3's wording; the Coral services ignore the
/// parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiresProblem {
    /// Not a decimal number.
    NotANumber,
    /// Below zero.
    Negative,
    /// Above 604800 (seven days).
    TooLarge,
}

impl Error {
    /// The class of this error, which decides the protocol's error code (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::MissingAuthenticationToken => ErrorKind::MissingAuthenticationToken,
            Self::MalformedAuthorizationPair { .. }
            | Self::IncompleteAuthorization { .. }
            | Self::IncompleteQueryAuth { .. }
            | Self::InvalidDate { .. }
            | Self::UnsupportedAlgorithm { .. }
            | Self::MalformedCredential { .. }
            | Self::InvalidExpires(_) => ErrorKind::IncompleteSignature,
            Self::HeaderAndQueryAuth
            | Self::InvalidCredentialScope { .. }
            | Self::HostNotSigned
            | Self::DateNotSigned
            | Self::SignatureDoesNotMatch { .. } => ErrorKind::SignatureDoesNotMatch,
            Self::SignatureExpired { .. } | Self::SignatureNotYetCurrent { .. } | Self::PresignedUrlExpired => {
                ErrorKind::SignatureExpired
            }
            Self::InvalidClientTokenId => ErrorKind::InvalidClientTokenId,
            Self::ExpiredToken => ErrorKind::ExpiredToken,
        }
    }
}

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the \
    signature you provided. Check your AWS Secret Access Key and signing method. Consult the \
    service documentation for details.";

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let skew_mins = MAX_CLOCK_SKEW_SECS / 60;
        match self {
            Self::MissingAuthenticationToken => f.write_str("Request is missing Authentication Token"),
            Self::HeaderAndQueryAuth => {
                f.write_str("Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
            }
            Self::MalformedAuthorizationPair { pair, authorization } => write!(
                f,
                "'{pair}' not a valid key=value pair (missing equal-sign) in Authorization header: \
                 '{authorization}'."
            ),
            Self::IncompleteAuthorization { missing, missing_date, authorization } => {
                for name in missing {
                    write!(f, "Authorization header requires '{name}' parameter. ")?;
                }
                if *missing_date {
                    f.write_str(
                        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
                    )?;
                }
                write!(f, "Authorization={authorization}")
            }
            Self::IncompleteQueryAuth { missing } => {
                for name in missing {
                    write!(f, "AWS query-string parameters must include '{name}'. ")?;
                }
                f.write_str("Re-examine the query-string parameters.")
            }
            Self::InvalidDate { value } => write!(
                f,
                "Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ),
            Self::UnsupportedAlgorithm { algorithm } => {
                write!(f, "Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). ")
            }
            Self::MalformedCredential { credential } => write!(
                f,
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, \
                 got '{credential}'"
            ),
            Self::InvalidCredentialScope { problems } => problems.iter().try_for_each(|p| write!(f, "{p}")),
            Self::HostNotSigned => {
                f.write_str("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
            }
            Self::DateNotSigned => {
                f.write_str("'X-Amz-Date' or 'Date' must be a 'SignedHeader' in the AWS Authorization.")
            }
            Self::InvalidExpires(problem) => write!(f, "{problem}"),
            Self::SignatureDoesNotMatch { canonical_request, string_to_sign } => write!(
                f,
                "{SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n\
                 '{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
            ),
            Self::SignatureExpired { signed_at, now } => write!(
                f,
                "Signature expired: {} is now earlier than {} ({} - {skew_mins} min.)",
                format_amz_date(*signed_at),
                format_amz_date(shifted(*now, -MAX_CLOCK_SKEW_SECS)),
                format_amz_date(*now),
            ),
            Self::SignatureNotYetCurrent { signed_at, now } => write!(
                f,
                "Signature not yet current: {} is still later than {} ({} + {skew_mins} min.)",
                format_amz_date(*signed_at),
                format_amz_date(shifted(*now, MAX_CLOCK_SKEW_SECS)),
                format_amz_date(*now),
            ),
            Self::PresignedUrlExpired => f.write_str("Request has expired"),
            Self::InvalidClientTokenId => f.write_str("The security token included in the request is invalid."),
            Self::ExpiredToken => f.write_str("The security token included in the request is expired"),
        }
    }
}

impl std::error::Error for Error {}

impl fmt::Display for ScopeProblem {
    /// Each problem ends with `". "`: AWS concatenates them into one message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Region { region } => {
                write!(f, "Credential should be scoped to a valid region, not '{region}'. ")
            }
            Self::Service { expected } => {
                write!(f, "Credential should be scoped to correct service: '{expected}'. ")
            }
            Self::Terminator { found } => {
                write!(f, "Credential should be scoped with a valid terminator: 'aws4_request', not '{found}'. ")
            }
            Self::Date { scope_date, signed_at } => {
                let amz = format_amz_date(*signed_at);
                let day = amz.get(..8).unwrap_or_default();
                write!(
                    f,
                    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
                     '{scope_date}' != '{day}', from '{amz}'. "
                )
            }
        }
    }
}

impl fmt::Display for ExpiresProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotANumber => f.write_str("X-Amz-Expires should be a number"),
            Self::Negative => f.write_str("X-Amz-Expires must be non-negative"),
            Self::TooLarge => write!(
                f,
                "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires \
                 must be less than {MAX_PRESIGNED_EXPIRES_SECS} seconds"
            ),
        }
    }
}
