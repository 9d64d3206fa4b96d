//! `sigv4::parse` (and, when it accepts, `verify`) on arbitrary requests: they must never
//! panic. The input is read as text: method, path and query on the first three lines, then
//! `name:value` header lines up to an empty line, then the body.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sigv4::{parse, verify, Request, SecretKey};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.split('\n');
    let method = lines.next().unwrap_or_default();
    let path = lines.next().unwrap_or_default();
    let query = lines.next().unwrap_or_default();
    let headers: Vec<(&str, &str)> = lines.map(|l| l.split_once(':').unwrap_or((l, ""))).collect();
    let req = Request { method, path, query, headers: &headers, body: body.as_bytes() };
    if let Ok(auth) = parse(&req) {
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let _ = auth.check_time(jiff::Timestamp::UNIX_EPOCH);
        let _ = verify(&req, &auth, &secret, auth.amz_date);
        let _ = auth.scope.check("sts", |r| r == "us-east-1");
    }
});
