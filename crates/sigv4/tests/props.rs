//! Properties over arbitrary requests: what is signed verifies, and any change to a signed
//! part, the signature or the secret makes it fail; parsing never panics.

mod common;

use common::{REGION, creds, secret, time};
use proptest::prelude::*;
use spcred_sigv4::{ErrorKind, Request, SecretKey, parse, presign, sign, verify};

const SERVICE: &str = "sts";

#[derive(Debug, Clone)]
struct Input {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Input {
    fn header_refs(&self) -> Vec<(&str, &str)> {
        std::iter::once(("Host", "example.amazonaws.com"))
            .chain(self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))
            .collect()
    }
}

fn input() -> impl Strategy<Value = Input> {
    (
        "[A-Z]{1,7}",
        "(/[a-zA-Z0-9._~%!$&'()*+,;=:@ -]{0,12}){0,5}/?",
        "[a-zA-Z0-9._~%=&+/ -]{0,40}",
        prop::collection::vec(("x-p-[a-z0-9-]{1,8}", "[ -~\t]{0,20}"), 0..6),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(method, path, query, headers, body)| Input { method, path, query, headers, body })
}

/// The request `input` becomes once `sign` has added its headers.
fn signed(input: &Input) -> Vec<(String, String)> {
    let headers = input.header_refs();
    let req =
        Request { method: &input.method, path: &input.path, query: &input.query, headers: &headers, body: &input.body };
    let added = sign(&req, &creds(Some("session")), REGION, SERVICE, time());
    headers.into_iter().chain(added.iter()).map(|(n, v)| (n.to_owned(), v.to_owned())).collect()
}

fn check(input: &Input, headers: &[(String, String)], key: &SecretKey) -> Result<(), spcred_sigv4::Error> {
    let refs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let req =
        Request { method: &input.method, path: &input.path, query: &input.query, headers: &refs, body: &input.body };
    verify(&req, &parse(&req)?, key, time())
}

fn mismatch(result: Result<(), spcred_sigv4::Error>) -> bool {
    result.is_err_and(|e| e.kind() == ErrorKind::SignatureDoesNotMatch)
}

proptest! {
    #[test]
    fn what_is_signed_verifies(input in input()) {
        let headers = signed(&input);
        prop_assert_eq!(check(&input, &headers, &secret()), Ok(()));
    }

    #[test]
    fn a_flipped_signature_fails(input in input(), at in 0usize..64, to in 0u8..15) {
        let mut headers = signed(&input);
        let auth = &mut headers.iter_mut().find(|(n, _)| n == "Authorization").unwrap().1;
        let start = auth.len() - 64;
        let old = auth.as_bytes()[start + at];
        let new = b"0123456789abcdef".iter().copied().filter(|c| *c != old).nth(usize::from(to)).unwrap();
        auth.replace_range(start + at..=start + at, &char::from(new).to_string());
        prop_assert!(mismatch(check(&input, &headers, &secret())));
    }

    #[test]
    fn a_changed_signed_header_fails(input in input(), pick in any::<prop::sample::Index>(), extra in "[!-~]") {
        let mut headers = signed(&input);
        // Every header but Authorization and the date (which fails earlier) is signed.
        let candidates: Vec<usize> = (0..headers.len())
            .filter(|&i| !["Authorization", "X-Amz-Date"].contains(&headers[i].0.as_str()))
            .collect();
        let i = candidates[pick.index(candidates.len())];
        headers[i].1.push_str(&extra);
        prop_assert!(mismatch(check(&input, &headers, &secret())));
    }

    #[test]
    fn a_changed_body_fails(mut input in input(), at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let headers = signed(&input);
        if input.body.is_empty() {
            input.body.push(bit);
        } else {
            let i = at.index(input.body.len());
            input.body[i] ^= 1 << bit;
        }
        prop_assert!(mismatch(check(&input, &headers, &secret())));
    }

    #[test]
    fn another_secret_fails(input in input(), other in "[A-Za-z0-9/+]{40}") {
        prop_assume!(other != common::SECRET);
        let headers = signed(&input);
        prop_assert!(mismatch(check(&input, &headers, &SecretKey::new(other))));
    }

    #[test]
    fn what_is_presigned_verifies(input in input(), expires in 1u32..=604_800) {
        let headers = input.header_refs();
        let req = Request { method: &input.method, path: &input.path, query: &input.query, headers: &headers, body: &input.body };
        let query = presign(&req, &creds(None), REGION, SERVICE, time(), expires);
        let req = Request { query: &query, ..req };
        let auth = parse(&req).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(verify(&req, &auth, &secret(), time()), Ok(()));
        prop_assert!(verify(&req, &auth, &SecretKey::new("other"), time()).is_err());
    }

    #[test]
    fn parse_never_panics(
        authorization in prop::option::of(".{0,200}"),
        date in prop::option::of("[0-9TZ:, A-Za-z-]{0,32}"),
        query in "(X-Amz-[A-Za-z]{0,12}=[^&]{0,40}&?){0,8}|.{0,100}",
        path in ".{0,40}",
    ) {
        let headers: Vec<(&str, &str)> = [("Host", "h")]
            .into_iter()
            .chain(authorization.as_deref().map(|a| ("Authorization", a)))
            .chain(date.as_deref().map(|d| ("X-Amz-Date", d)))
            .collect();
        let req = Request { method: "GET", path: &path, query: &query, headers: &headers, body: b"" };
        if let Ok(auth) = parse(&req) {
            let _ = auth.check_time(time());
            let _ = verify(&req, &auth, &secret(), time());
        }
    }

    #[test]
    fn well_formed_authorization_with_garbage_parts_never_panics(
        credential in "[^ ,]{0,60}",
        signed_headers in "[^ ,]{0,40}",
        signature in "[^ ,]{0,70}",
    ) {
        let authorization = format!("AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed_headers}, Signature={signature}");
        let headers = [("Host", "h"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", authorization.as_str())];
        let req = Request { method: "GET", path: "/", query: "", headers: &headers, body: b"" };
        if let Ok(auth) = parse(&req) {
            prop_assert!(verify(&req, &auth, &secret(), time()).is_err());
        }
    }

    #[test]
    fn presigned_parameters_with_garbage_values_never_panic(
        params in prop::collection::vec(
            (
                prop::sample::select(vec![
                    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                    "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token", "x-amz-date",
                ]),
                prop_oneof![
                    Just("AWS4-HMAC-SHA256".to_owned()),
                    Just("20150830T123600Z".to_owned()),
                    Just("AKID%2F20150830%2Fus-east-1%2Fsts%2Faws4_request".to_owned()),
                    Just("host".to_owned()),
                    "-?[0-9]{0,12}",
                    "[^&]{0,30}",
                ],
            ),
            0..10,
        ),
    ) {
        let query: String = params.iter().flat_map(|(k, v)| [*k, "=", v.as_str(), "&"]).collect();
        let req = Request { method: "GET", path: "/", query: &query, headers: &[("Host", "h")], body: b"" };
        if let Ok(auth) = parse(&req) {
            prop_assert!(verify(&req, &auth, &secret(), time()).is_err());
        }
    }
}
