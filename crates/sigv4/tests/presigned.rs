//! Presigned URLs: exactly what botocore produces for STS `GetCallerIdentity` (the URL an EKS
//! token wraps), both payload-hash conventions, every suite request presigned and verified, and
//! the query variants of aws-c-auth's suite when they are present.

mod common;

use std::path::Path;

use common::{Http, REGION, SECRET, SERVICE, classic_cases, creds, secret, time};
use spcred_sigv4::{
    AuthKind, Error, ErrorKind, Request, Scope, SecretKey, UNSIGNED_PAYLOAD, canonical_request, parse, presign,
    signature, signing_key, string_to_sign, verify,
};

const STS_HOST: [(&str, &str); 1] = [("Host", "sts.amazonaws.com")];
const GET_CALLER_IDENTITY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

/// Generated with botocore 1.44.5, clock frozen at 2015-08-30T12:36:00Z:
/// `sts.generate_presigned_url('get_caller_identity', Params={}, ExpiresIn=60, HttpMethod='GET')`
/// for the suite's key; the second with a session token, `ExpiresIn=900`; the third with the
/// `x-k8s-aws-id: my-cluster` header `aws eks get-token` adds.
const BOTOCORE_PLAIN: &str = "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256\
    &X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z\
    &X-Amz-Expires=60&X-Amz-SignedHeaders=host\
    &X-Amz-Signature=1d10ef2bc2bb1b02201752f1912e9eb7a5df0d0d7bd2cc98b1f5557b7a9254be";
const BOTOCORE_TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtoken+/=";
const BOTOCORE_WITH_TOKEN: &str = "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256\
    &X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z\
    &X-Amz-Expires=900&X-Amz-SignedHeaders=host\
    &X-Amz-Security-Token=AQoDYXdzEPT%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEXAMPLEtoken%2B%2F%3D\
    &X-Amz-Signature=bdc12a322408f8cff2d8ad5a43ae7092fbbd75f65134b9ea20d3e954a4d492f1";
const BOTOCORE_EKS: &str = "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256\
    &X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z\
    &X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id\
    &X-Amz-Signature=1d40a7bfe56981137281869d000466c8c49fc5d5357d6dc78efa3b0903cece8f";

fn get<'a>(query: &'a str, headers: &'a [(&'a str, &'a str)]) -> Request<'a> {
    Request { method: "GET", path: "/", query, headers, body: b"" }
}

fn check(req: &Request<'_>, key: &SecretKey, now: jiff::Timestamp) -> Result<(), Error> {
    verify(req, &parse(req)?, key, now)
}

#[test]
fn botocore_sts_urls_verify() {
    let eks = [("Host", "sts.amazonaws.com"), ("x-k8s-aws-id", "my-cluster")];
    for (query, headers) in
        [(BOTOCORE_PLAIN, &STS_HOST[..]), (BOTOCORE_WITH_TOKEN, &STS_HOST[..]), (BOTOCORE_EKS, &eks[..])]
    {
        check(&get(query, headers), &secret(), time()).unwrap();
    }
    let auth = parse(&get(BOTOCORE_WITH_TOKEN, &STS_HOST)).unwrap();
    assert_eq!(auth.security_token.as_deref(), Some(BOTOCORE_TOKEN));
    assert_eq!(auth.kind, AuthKind::Presigned { expires_secs: 900 });
    assert_eq!(auth.scope, Scope { date: "20150830".into(), region: "us-east-1".into(), service: "sts".into() });
    // The EKS header is signed: a token replayed for another cluster fails.
    let other = [("Host", "sts.amazonaws.com"), ("x-k8s-aws-id", "other-cluster")];
    let err = check(&get(BOTOCORE_EKS, &other), &secret(), time()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignatureDoesNotMatch);
}

#[test]
fn presign_produces_what_botocore_produces() {
    let req = get(GET_CALLER_IDENTITY, &STS_HOST);
    assert_eq!(presign(&req, &creds(None), REGION, "sts", time(), 60), BOTOCORE_PLAIN);
    assert_eq!(presign(&req, &creds(Some(BOTOCORE_TOKEN)), REGION, "sts", time(), 900), BOTOCORE_WITH_TOKEN);
    let eks = [("Host", "sts.amazonaws.com"), ("x-k8s-aws-id", "my-cluster")];
    assert_eq!(presign(&get(GET_CALLER_IDENTITY, &eks), &creds(None), REGION, "sts", time(), 60), BOTOCORE_EKS);
}

#[test]
fn presign_replaces_auth_parameters_already_in_the_query() {
    let stale = format!("{BOTOCORE_PLAIN}&X-Amz-Security-Token=old");
    let fresh = presign(&get(&stale, &STS_HOST), &creds(None), REGION, "sts", time(), 60);
    assert_eq!(fresh, BOTOCORE_PLAIN);
}

/// A URL signed the S3 way, over `UNSIGNED-PAYLOAD`, by the building blocks.
fn unsigned_payload_url(body_header: Option<&str>) -> String {
    let query = format!(
        "{GET_CALLER_IDENTITY}&X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z\
         &X-Amz-Expires=60&X-Amz-SignedHeaders=host"
    );
    let headers: Vec<(&str, &str)> =
        STS_HOST.into_iter().chain(body_header.map(|v| ("x-amz-content-sha256", v))).collect();
    let kind = AuthKind::Presigned { expires_secs: 60 };
    let creq = canonical_request(&get(&query, &headers), &["host"], UNSIGNED_PAYLOAD, kind);
    let scope = Scope { date: "20150830".into(), region: REGION.into(), service: "sts".into() };
    let key = signing_key(&secret(), "20150830", REGION, "sts");
    format!("{query}&X-Amz-Signature={}", signature(&key, &string_to_sign(time(), &scope, &creq)))
}

#[test]
fn unsigned_payload_presigned_urls_verify_too() {
    let url = unsigned_payload_url(None);
    check(&get(&url, &STS_HOST), &secret(), time()).unwrap();
    // Said explicitly in the header, it is the only convention tried.
    let said = [STS_HOST[0], ("x-amz-content-sha256", UNSIGNED_PAYLOAD)];
    check(&get(&unsigned_payload_url(Some(UNSIGNED_PAYLOAD)), &said), &secret(), time()).unwrap();
    // A header naming a hash means the body's hash, so an UNSIGNED-PAYLOAD signature fails.
    let hashed =
        [STS_HOST[0], ("x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")];
    let err = check(&get(&url, &hashed), &secret(), time()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignatureDoesNotMatch);
}

#[test]
fn presigned_tampering_fails() {
    let base = get(BOTOCORE_WITH_TOKEN, &STS_HOST);
    let swaps = [
        ("Action=GetCallerIdentity", "Action=GetSessionToken"),
        ("X-Amz-Expires=900", "X-Amz-Expires=901"),
        ("token%2B", "token%2C"),
        ("Signature=bdc1", "Signature=bdc2"),
    ];
    for (from, to) in swaps {
        let query = BOTOCORE_WITH_TOKEN.replace(from, to);
        let err = check(&get(&query, &STS_HOST), &secret(), time()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::SignatureDoesNotMatch, "{from}");
    }
    let moved = [("Host", "sts.us-east-1.amazonaws.com")];
    assert!(check(&get(BOTOCORE_WITH_TOKEN, &moved), &secret(), time()).is_err());
    assert!(check(&Request { method: "POST", ..base }, &secret(), time()).is_err());
    assert!(check(&Request { path: "/x", ..base }, &secret(), time()).is_err());
    assert!(check(&Request { body: b"Action=DeleteUser", ..base }, &secret(), time()).is_err());
    assert!(check(&base, &SecretKey::new("wrong"), time()).is_err());
}

#[test]
fn every_suite_request_presigns_and_verifies() {
    for case in classic_cases() {
        let unsigned = case.req.without("X-Amz-Date");
        let headers = unsigned.header_refs();
        let req = unsigned.request(&headers);
        let query = presign(&req, &creds(case.token()), REGION, SERVICE, time(), 300);
        let signed = Request { query: &query, ..req };
        let auth = parse(&signed).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(auth.kind, AuthKind::Presigned { expires_secs: 300 });
        verify(&signed, &auth, &secret(), time()).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let later = time().checked_add(jiff::SignedDuration::from_secs(301)).unwrap();
        assert_eq!(verify(&signed, &auth, &secret(), later), Err(Error::PresignedUrlExpired), "{}", case.name);
    }
}

/// The query-signed variants of awslabs/aws-c-auth's `tests/aws-signing-test-suite/v4`, for
/// the cases that normalise the path: each `query-signed-request.txt` must verify with the
/// case's `context.json`. Read from `testdata/sigv4/aws-c-auth-v4` when that copy is
/// there.
#[test]
fn aws_c_auth_query_variants_verify() {
    let root = common::testdata().join("aws-c-auth-v4");
    if !root.is_dir() {
        eprintln!("skipped: {} is not in the test data", root.display());
        return;
    }
    let mut checked = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let (Some(context), Ok(signed)) =
            (read(&dir, "context.json"), std::fs::read_to_string(dir.join("query-signed-request.txt")))
        else {
            continue;
        };
        if json_field(&context, "normalize") != Some("true") || json_field(&context, "service") == Some("\"s3\"") {
            continue;
        }
        let secret = json_field(&context, "secret_access_key").map_or(SECRET, |s| s.trim_matches('"'));
        let now: jiff::Timestamp = json_field(&context, "timestamp").unwrap().trim_matches('"').parse().unwrap();
        let http = Http::parse(&signed);
        let headers = http.header_refs();
        check(&http.request(&headers), &SecretKey::new(secret), now)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        checked += 1;
    }
    assert!(checked > 0, "no normalised query case in {}", root.display());
}

fn read(dir: &Path, file: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(file)).ok()
}

/// The raw value of `"key": value` in a small flat JSON file.
fn json_field<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let rest = json.split(&format!("\"{key}\"")).nth(1)?.trim_start().strip_prefix(':')?;
    rest.split([',', '\n', '}']).next().map(str::trim)
}
