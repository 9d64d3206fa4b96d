//! What `parse` refuses and how each refusal is worded and classed; requests signed by
//! botocore; secrets kept out of `Debug`.

mod common;

use common::{REGION, SECRET, creds, secret, time};
use spcred_sigv4::{
    Credentials, Error, ErrorKind, Request, Scope, ScopeProblem, SecretKey, parse, sign, signing_key, verify,
};

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
    SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

fn parse_with(authorization: Option<&str>, date: Option<&str>, query: &str) -> Result<spcred_sigv4::Auth, Error> {
    let headers: Vec<(&str, &str)> = [("Host", "example.amazonaws.com")]
        .into_iter()
        .chain(date.map(|d| ("X-Amz-Date", d)))
        .chain(authorization.map(|a| ("Authorization", a)))
        .collect();
    parse(&Request { method: "GET", path: "/", query, headers: &headers, body: b"" })
}

fn header_error(authorization: &str) -> Error {
    parse_with(Some(authorization), Some("20150830T123600Z"), "").unwrap_err()
}

#[test]
fn unsigned_requests_miss_the_authentication_token() {
    for auth in [None, Some("AWS AKIDEXAMPLE:c2lnbmF0dXJl"), Some("Bearer abc"), Some("")] {
        let err = parse_with(auth, Some("20150830T123600Z"), "Action=ListUsers").unwrap_err();
        assert_eq!(err, Error::MissingAuthenticationToken, "{auth:?}");
        assert_eq!(err.kind(), ErrorKind::MissingAuthenticationToken);
        assert_eq!(err.to_string(), "Request is missing Authentication Token");
    }
}

#[test]
fn header_and_query_auth_together_are_refused() {
    let err = parse_with(Some(AUTH), Some("20150830T123600Z"), "X-Amz-Algorithm=AWS4-HMAC-SHA256").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignatureDoesNotMatch);
    assert_eq!(
        err.to_string(),
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    );
}

#[test]
fn missing_components_are_listed_with_the_header() {
    let auth = "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date";
    let err = parse_with(Some(auth), None, "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncompleteSignature);
    assert_eq!(
        err.to_string(),
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' \
         parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
         Authorization=AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date"
    );
    let err = header_error("AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=ab");
    assert_eq!(
        err.to_string(),
        "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=ab"
    );
}

#[test]
fn a_component_without_equals_is_malformed() {
    let auth = "AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders";
    let err = header_error(auth);
    assert_eq!(err.kind(), ErrorKind::IncompleteSignature);
    assert_eq!(
        err.to_string(),
        "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: \
         'AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders'."
    );
}

#[test]
fn dates_must_be_iso8601_basic() {
    let err = parse_with(Some(AUTH), Some("2015-08-30T12:36:00Z"), "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncompleteSignature);
    assert_eq!(
        err.to_string(),
        "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"
    );
}

#[test]
fn the_http_date_header_is_a_fallback() {
    let auth = AUTH.replace("x-amz-date", "date");
    let headers = [
        ("Host", "example.amazonaws.com"),
        ("Date", "Sun, 30 Aug 2015 12:36:00 GMT"),
        ("Authorization", auth.as_str()),
    ];
    let parsed = parse(&Request { method: "GET", path: "/", query: "", headers: &headers, body: b"" }).unwrap();
    assert_eq!(parsed.amz_date, time());
    // Signing time is bound by the signed header it came from.
    let unsigned_date = [headers[0], headers[1], ("Authorization", AUTH)];
    let err = parse(&Request { method: "GET", path: "/", query: "", headers: &unsigned_date, body: b"" });
    assert_eq!(err.unwrap_err(), Error::DateNotSigned);
}

#[test]
fn host_must_be_signed() {
    let err = header_error(&AUTH.replace("host;", ""));
    assert_eq!(err, Error::HostNotSigned);
    assert_eq!(err.kind(), ErrorKind::SignatureDoesNotMatch);
    assert_eq!(err.to_string(), "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request\
                 &X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=x-k8s-aws-id&X-Amz-Signature=00";
    assert_eq!(parse_with(None, None, query).unwrap_err(), Error::HostNotSigned);
}

#[test]
fn only_aws4_hmac_sha256_is_supported() {
    let err = header_error(&AUTH.replace("SHA256", "SHA512"));
    assert_eq!(err.kind(), ErrorKind::IncompleteSignature);
    assert_eq!(err.to_string(), "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ");
}

#[test]
fn credentials_need_five_elements() {
    let err = header_error(&AUTH.replace("/service/aws4_request", "/service"));
    assert_eq!(err.kind(), ErrorKind::IncompleteSignature);
    assert_eq!(
        err.to_string(),
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got \
         'AKIDEXAMPLE/20150830/us-east-1/service'"
    );
    // Trailing slashes are ignored, as by AWS.
    parse_with(Some(&AUTH.replace("aws4_request", "aws4_request//")), Some("20150830T123600Z"), "").unwrap();
}

#[test]
fn scope_terminator_and_date_are_checked_together() {
    let err = header_error(
        &AUTH.replace("20150830/us-east-1/service/aws4_request", "20150831/us-east-1/service/aws5_request"),
    );
    assert_eq!(err.kind(), ErrorKind::SignatureDoesNotMatch);
    assert_eq!(
        err.to_string(),
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. Date in \
         Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != \
         '20150830', from '20150830T123600Z'. "
    );
}

#[test]
fn scope_region_and_service_are_the_callers_to_check() {
    let scope = Scope { date: "20150830".into(), region: "moon-1".into(), service: "iam".into() };
    assert_eq!(scope.to_string(), "20150830/moon-1/iam/aws4_request");
    assert_eq!(scope.check("iam", |_| true), Ok(()));
    let err = scope.check("sts", |r| r == "us-east-1").unwrap_err();
    assert_eq!(
        err,
        Error::InvalidCredentialScope {
            problems: vec![
                ScopeProblem::Region { region: "moon-1".into() },
                ScopeProblem::Service { expected: "sts".into() },
            ]
        }
    );
    assert_eq!(err.kind(), ErrorKind::SignatureDoesNotMatch);
    assert_eq!(
        err.to_string(),
        "Credential should be scoped to a valid region, not 'moon-1'. Credential should be scoped to correct \
         service: 'sts'. "
    );
}

#[test]
fn missing_query_parameters_are_listed() {
    let err = parse_with(None, None, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=&X-Amz-Expires=60").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncompleteSignature);
    assert_eq!(
        err.to_string(),
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include \
         'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string \
         parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
    );
}

#[test]
fn server_side_errors_have_their_kinds() {
    assert_eq!(Error::InvalidClientTokenId.kind(), ErrorKind::InvalidClientTokenId);
    assert_eq!(Error::InvalidClientTokenId.to_string(), "The security token included in the request is invalid.");
    assert_eq!(Error::ExpiredToken.kind(), ErrorKind::ExpiredToken);
    assert_eq!(Error::ExpiredToken.to_string(), "The security token included in the request is expired");
}

/// Requests botocore 1.44.5 sent (clock frozen at 2015-08-30T12:36:00Z, the suite's key, a
/// session token), with the headers it adds after signing and the `Host` its HTTP stack adds.
#[test]
fn botocore_signed_requests_verify() {
    let token = "FQoGZXIvYXdzEXAMPLE//token+=";
    let cases: [(&str, &str, &[u8], &str); 2] = [
        (
            "sts",
            "application/x-www-form-urlencoded; charset=utf-8",
            b"Action=GetCallerIdentity&Version=2011-06-15",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, \
             Signature=b7d72581a970da80f4f5b9116a85c88dcfa638eeeafffee457059c6172a4ac63",
        ),
        (
            "kms",
            "application/x-amz-json-1.1",
            br#"{"Limit": 10}"#,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, \
             Signature=ae810d4655007efe6da84b9febf8b8b0137878222fe526bd34e2d1d8c4ddae05",
        ),
    ];
    for (service, content_type, body, authorization) in cases {
        let host = format!("{service}.us-east-1.amazonaws.com");
        let length = body.len().to_string();
        let mut headers = vec![("Host", host.as_str()), ("Content-Type", content_type)];
        if service == "kms" {
            headers.push(("X-Amz-Target", "TrentService.ListKeys"));
        }
        headers.extend([
            ("User-Agent", "Botocore/1.44.5 ua/2.1 os/linux lang/python#3.11.7"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("X-Amz-Security-Token", token),
            ("Authorization", authorization),
            ("amz-sdk-invocation-id", "8231c3ca-b51f-4404-b43e-82a61984f796"),
            ("amz-sdk-request", "attempt=1; max=3"),
            ("Content-Length", length.as_str()),
        ]);
        let req = Request { method: "POST", path: "/", query: "", headers: &headers, body };
        let auth = parse(&req).unwrap();
        assert_eq!(auth.security_token.as_deref(), Some(token));
        auth.scope.check(service, |r| r == REGION).unwrap();
        verify(&req, &auth, &secret(), time()).unwrap_or_else(|e| panic!("{service}: {e}"));

        // Signing the same request reproduces botocore's header.
        let unsigned: Vec<(&str, &str)> =
            headers.iter().copied().filter(|(n, _)| !n.starts_with("amz-sdk") && *n != "Content-Length").collect();
        let ours = sign(&Request { headers: &unsigned, ..req }, &creds(Some(token)), REGION, service, time());
        assert_eq!(ours.authorization, authorization);
    }
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let token = "FQoGZXIvYXdzEXAMPLEsessiontoken";
    let creds = Credentials::new("AKIDEXAMPLE", SECRET, Some(token.to_owned()));
    let key = signing_key(&secret(), "20150830", REGION, "sts");
    let added = sign(
        &Request { method: "GET", path: "/", query: "", headers: &[("Host", "h")], body: b"" },
        &creds,
        REGION,
        "sts",
        time(),
    );
    let headers: Vec<(&str, &str)> = [("Host", "h")].into_iter().chain(added.iter()).collect();
    let auth = parse(&Request { method: "GET", path: "/", query: "", headers: &headers, body: b"" }).unwrap();
    let printed = format!("{creds:?} {:?} {key:?} {added:?} {auth:?}", SecretKey::new(SECRET));
    assert!(printed.contains("AKIDEXAMPLE"), "{printed}");
    assert!(!printed.contains(SECRET), "{printed}");
    assert!(!printed.contains(token), "{printed}");
    assert_eq!(format!("{key:?}"), "SigningKey(<redacted>)");
    assert_eq!(creds.secret_access_key.expose_secret(), SECRET);
}
