//! The time window: 15 minutes either side for header authentication; for presigned URLs, up to
//! 15 minutes early and until `X-Amz-Date + X-Amz-Expires`.

mod common;

use common::{REGION, creds, secret, time};
use jiff::{SignedDuration, Timestamp};
use spcred_sigv4::{Error, ErrorKind, ExpiresProblem, Request, parse, presign, sign, verify};

const HOST: [(&str, &str); 1] = [("Host", "sts.amazonaws.com")];
const BODY: &[u8] = b"Action=GetCallerIdentity&Version=2011-06-15";

fn at(offset_secs: i64) -> Timestamp {
    time().checked_add(SignedDuration::from_secs(offset_secs)).unwrap()
}

/// A POST signed at the suite's time, verified at `now`.
fn header_signed_at(now: Timestamp) -> Result<(), Error> {
    let unsigned = Request { method: "POST", path: "/", query: "", headers: &HOST, body: BODY };
    let added = sign(&unsigned, &creds(None), REGION, "sts", time());
    let headers: Vec<(&str, &str)> = HOST.iter().copied().chain(added.iter()).collect();
    let req = Request { headers: &headers, ..unsigned };
    verify(&req, &parse(&req)?, &secret(), now)
}

/// A GET presigned at the suite's time for `expires` seconds, verified at `now`.
fn presigned_at(expires: u32, now: Timestamp) -> Result<(), Error> {
    let unsigned = Request { method: "GET", path: "/", query: "Action=GetCallerIdentity", headers: &HOST, body: b"" };
    let query = presign(&unsigned, &creds(None), REGION, "sts", time(), expires);
    let req = Request { query: &query, ..unsigned };
    verify(&req, &parse(&req)?, &secret(), now)
}

#[test]
fn header_auth_is_accepted_within_15_minutes_either_side() {
    for offset in [0, 1, -1, 14 * 60 + 59, -(14 * 60 + 59), 15 * 60, -15 * 60] {
        header_signed_at(at(offset)).unwrap_or_else(|e| panic!("{offset}: {e}"));
    }
}

#[test]
fn header_auth_expires_after_15_minutes() {
    let err = header_signed_at(at(15 * 60 + 60)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignatureExpired);
    assert_eq!(
        err.to_string(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)"
    );
    // The example from AWS's documentation of the message.
    let aws = Error::SignatureExpired {
        signed_at: "2015-08-30T12:36:00Z".parse().unwrap(),
        now: "2015-08-30T13:06:00Z".parse().unwrap(),
    };
    assert_eq!(
        aws.to_string(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T125100Z (20150830T130600Z - 15 min.)"
    );
    // One nanosecond past the window is past it.
    let just = at(15 * 60).checked_add(SignedDuration::from_nanos(1)).unwrap();
    assert_eq!(header_signed_at(just).unwrap_err().kind(), ErrorKind::SignatureExpired);
}

#[test]
fn header_auth_is_not_yet_current_15_minutes_early() {
    let err = header_signed_at(at(-(15 * 60 + 60))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignatureExpired);
    assert_eq!(
        err.to_string(),
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z (20150830T122000Z + 15 min.)"
    );
}

#[test]
fn presigned_urls_live_for_x_amz_expires() {
    for offset in [0, 59, 60] {
        presigned_at(60, at(offset)).unwrap_or_else(|e| panic!("{offset}: {e}"));
    }
    assert_eq!(presigned_at(60, at(61)), Err(Error::PresignedUrlExpired));
    assert_eq!(Error::PresignedUrlExpired.to_string(), "Request has expired");
    // A long-lived URL outlives the 15 minutes of header authentication.
    presigned_at(604_800, at(604_800)).unwrap();
    assert_eq!(presigned_at(604_800, at(604_801)), Err(Error::PresignedUrlExpired));
}

#[test]
fn presigned_urls_may_be_dated_up_to_15_minutes_ahead() {
    presigned_at(60, at(-(14 * 60 + 59))).unwrap();
    let err = presigned_at(60, at(-(15 * 60 + 1))).unwrap_err();
    assert!(matches!(err, Error::SignatureNotYetCurrent { .. }), "{err}");
}

#[test]
fn x_amz_expires_must_be_1_to_604800() {
    let err = presigned_at(0, time()).unwrap_err();
    assert_eq!(err, Error::PresignedUrlExpired);
    let err = presigned_at(604_801, time()).unwrap_err();
    assert_eq!(err, Error::InvalidExpires(ExpiresProblem::TooLarge));
    assert_eq!(err.kind(), ErrorKind::IncompleteSignature);
    assert_eq!(
        err.to_string(),
        "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than \
         604800 seconds"
    );
    let query = |expires: &str| {
        format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request\
             &X-Amz-Date=20150830T123600Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
        )
    };
    for (expires, problem) in [
        ("-1", ExpiresProblem::Negative),
        ("abc", ExpiresProblem::NotANumber),
        ("1e3", ExpiresProblem::NotANumber),
        ("+5", ExpiresProblem::NotANumber),
        ("99999999999999999999999", ExpiresProblem::TooLarge),
    ] {
        let q = query(expires);
        let req = Request { method: "GET", path: "/", query: &q, headers: &HOST, body: b"" };
        assert_eq!(parse(&req).unwrap_err(), Error::InvalidExpires(problem), "{expires}");
    }
    assert_eq!(Error::InvalidExpires(ExpiresProblem::Negative).to_string(), "X-Amz-Expires must be non-negative");
    assert_eq!(Error::InvalidExpires(ExpiresProblem::NotANumber).to_string(), "X-Amz-Expires should be a number");
}
