//! Time to authenticate a typical STS call: the `GetCallerIdentity` POST botocore sends with
//! temporary credentials (headers, body and signature as sent).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use spcred_sigv4::{Request, SecretKey, parse, verify};

const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, \
    SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, \
    Signature=b7d72581a970da80f4f5b9116a85c88dcfa638eeeafffee457059c6172a4ac63";

const HEADERS: [(&str, &str); 9] = [
    ("Host", "sts.us-east-1.amazonaws.com"),
    ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
    ("User-Agent", "Botocore/1.44.5 ua/2.1 os/linux lang/python#3.11.7"),
    ("X-Amz-Date", "20150830T123600Z"),
    ("X-Amz-Security-Token", "FQoGZXIvYXdzEXAMPLE//token+="),
    ("Authorization", AUTHORIZATION),
    ("amz-sdk-invocation-id", "8231c3ca-b51f-4404-b43e-82a61984f796"),
    ("amz-sdk-request", "attempt=1; max=3"),
    ("Content-Length", "43"),
];

fn bench(c: &mut Criterion) {
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &HEADERS,
        body: b"Action=GetCallerIdentity&Version=2011-06-15",
    };
    let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let now: jiff::Timestamp = "2015-08-30T12:40:00Z".parse().unwrap();
    let auth = parse(&req).unwrap();
    verify(&req, &auth, &secret, now).unwrap();

    let mut group = c.benchmark_group("verify");
    group.bench_function("sts_post", |b| {
        b.iter(|| verify(black_box(&req), black_box(&auth), &secret, now).unwrap());
    });
    group.bench_function("sts_post_parse_and_verify", |b| {
        b.iter(|| {
            let auth = parse(black_box(&req)).unwrap();
            verify(&req, &auth, &secret, now).unwrap();
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
