//! The AWS SigV4 test suite (the classic 34 cases): canonical request, string to sign and
//! authorization when signing; acceptance of the signed request and refusal of every tampered
//! variant when verifying.

mod common;

use common::{Http, REGION, SERVICE, classic_cases, creds, secret, time};
use spcred_sigv4::{
    AuthKind, ErrorKind, Scope, SecretKey, canonical_request, parse, sign, signing_key, string_to_sign, verify,
};

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data))
}

fn scope() -> Scope {
    Scope { date: "20150830".into(), region: REGION.into(), service: SERVICE.into() }
}

#[test]
fn the_suite_has_all_34_cases() {
    assert_eq!(classic_cases().len(), 34);
}

#[test]
fn canonical_requests_match() {
    for case in classic_cases() {
        // The signed request carries every header the canonical request lists (the token of
        // the session-token case is only there).
        let headers = case.sreq.header_refs();
        let req = case.sreq.request(&headers);
        let creq = canonical_request(&req, &case.signed_headers(), &sha256_hex(&case.sreq.body), AuthKind::Header);
        assert_eq!(creq, case.creq, "{}", case.name);
    }
}

#[test]
fn strings_to_sign_match() {
    for case in classic_cases() {
        assert_eq!(string_to_sign(time(), &scope(), &case.creq), case.sts, "{}", case.name);
    }
}

#[test]
fn signing_produces_the_expected_authorization() {
    for case in classic_cases() {
        let headers = case.req.header_refs();
        let added = sign(&case.req.request(&headers), &creds(case.token()), REGION, SERVICE, time());
        assert_eq!(added.authorization, case.authz, "{}", case.name);
        assert_eq!(added.x_amz_date, "20150830T123600Z", "{}", case.name);
        assert_eq!(added.x_amz_security_token.as_deref(), case.token(), "{}", case.name);
    }
}

#[test]
fn the_signature_is_the_hmac_of_the_string_to_sign() {
    let key = signing_key(&secret(), "20150830", REGION, SERVICE);
    for case in classic_cases() {
        let expected = case.authz.rsplit("Signature=").next().unwrap();
        assert_eq!(spcred_sigv4::signature(&key, &case.sts), expected, "{}", case.name);
    }
}

fn check(http: &Http, key: &SecretKey) -> Result<(), spcred_sigv4::Error> {
    let headers = http.header_refs();
    let req = http.request(&headers);
    let auth = parse(&req)?;
    verify(&req, &auth, key, time())
}

#[test]
fn signed_requests_verify() {
    for case in classic_cases() {
        check(&case.sreq, &secret()).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    }
}

/// Every way of changing what was signed, with a description.
fn tamperings(case: &common::Case) -> Vec<(String, Http)> {
    let base = &case.sreq;
    let mut out = Vec::new();
    let mut method = base.clone();
    method.method = if base.method == "GET" { "HEAD".into() } else { "PUT".into() };
    out.push(("method".to_owned(), method));
    let mut path = base.clone();
    path.path.push('x');
    out.push(("path".to_owned(), path));
    let mut query = base.clone();
    query.query.push_str(if base.query.is_empty() { "zz=1" } else { "&zz=1" });
    out.push(("query".to_owned(), query));
    let mut body = base.clone();
    body.body.push(b'x');
    out.push(("body".to_owned(), body));
    let signed = case.signed_headers();
    for (i, (name, _)) in base.headers.iter().enumerate() {
        if signed.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            let mut changed = base.clone();
            changed.headers[i].1.push('x');
            out.push((format!("header {name} #{i}"), changed));
        }
    }
    let mut signature = base.clone();
    let auth = signature.headers.iter_mut().find(|(n, _)| n == "Authorization").unwrap();
    let last = auth.1.pop().unwrap();
    auth.1.push(if last == '0' { '1' } else { '0' });
    out.push(("signature".to_owned(), signature));
    out
}

#[test]
fn any_change_to_a_signed_element_fails() {
    for case in classic_cases() {
        for (what, tampered) in tamperings(&case) {
            let err = check(&tampered, &secret()).expect_err(&format!("{}: {what}", case.name));
            // A changed date is refused before the signature is even computed.
            if !what.starts_with("header X-Amz-Date") {
                assert_eq!(err.kind(), ErrorKind::SignatureDoesNotMatch, "{}: {what}: {err}", case.name);
            }
        }
    }
}

#[test]
fn a_wrong_secret_fails() {
    let wrong = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ");
    for case in classic_cases() {
        let err = check(&case.sreq, &wrong).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::SignatureDoesNotMatch, "{}", case.name);
        // AWS returns what it computed, which here is the suite's own expectation.
        let message = err.to_string();
        assert!(message.contains(&format!("\n'{}'\n", case.creq)), "{}: {message}", case.name);
        assert!(message.contains(&format!("\n'{}'\n", case.sts)), "{}: {message}", case.name);
    }
}

#[test]
fn parse_reads_the_authorization() {
    let case = classic_cases().into_iter().find(|c| c.name == "post-sts-header-before").unwrap();
    let headers = case.sreq.header_refs();
    let auth = parse(&case.sreq.request(&headers)).unwrap();
    assert_eq!(auth.access_key_id, "AKIDEXAMPLE");
    assert_eq!(auth.scope, scope());
    assert_eq!(auth.signed_headers, ["host", "x-amz-date", "x-amz-security-token"]);
    assert_eq!(auth.signature, "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
    assert_eq!(auth.amz_date, time());
    assert_eq!(auth.security_token.as_deref(), case.token());
    assert_eq!(auth.kind, AuthKind::Header);
}
