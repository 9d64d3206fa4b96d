//! The canonical request, as AWS computes it for services that normalise paths.

use std::cmp::Ordering;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};

use crate::{AuthKind, Request};

/// SigV4's URI encoding: everything but the unreserved characters of RFC 3986.
pub(crate) const URI_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The same, keeping `/` as the path separator.
const PATH_ENCODE: &AsciiSet = &URI_ENCODE.remove(b'/');

/// The query parameter that carries a presigned URL's signature, and so is left out of what is
/// signed.
pub(crate) const SIGNATURE_PARAM: &str = "X-Amz-Signature";

/// The canonical request for `req`, signing `signed_headers` (names as they appear in the
/// `SignedHeaders` list) with `payload_hash` as its last line.
///
/// The path is normalised (empty and `.` segments dropped, `..` resolved) and then URI-encoded
/// once more, as botocore and the AWS SDKs do for every service but S3: since `req.path` is raw
/// from the wire, a client's `%20` becomes `%2520` here, which is what those clients signed.
/// The query is decoded and re-encoded pair by pair, then sorted by key and value; for
/// [`AuthKind::Presigned`] `X-Amz-Signature` is left out. A signed header absent from the
/// request contributes an empty value (the signature then fails to match).
pub fn canonical_request<S: AsRef<str>>(
    req: &Request<'_>,
    signed_headers: &[S],
    payload_hash: &str,
    kind: AuthKind,
) -> String {
    let mut out = canonical_prefix(req, signed_headers, kind);
    out.push_str(payload_hash);
    out
}

/// Everything of the canonical request but the payload hash, so a verifier can try several
/// hashes without redoing the rest.
pub(crate) fn canonical_prefix<S: AsRef<str>>(req: &Request<'_>, signed_headers: &[S], kind: AuthKind) -> String {
    let presigned = matches!(kind, AuthKind::Presigned { .. });
    let mut out = String::with_capacity(256 + req.path.len() + req.query.len());
    out.push_str(req.method);
    out.push('\n');
    push_canonical_path(&mut out, req.path);
    out.push('\n');
    push_canonical_query(&mut out, req.query, presigned);
    out.push('\n');
    push_canonical_headers(&mut out, req.headers, signed_headers);
    out.push('\n');
    for (i, name) in signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name.as_ref());
    }
    out.push('\n');
    out
}

fn push_canonical_path(out: &mut String, path: &str) {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    out.push('/');
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.extend(percent_encode(segment.as_bytes(), PATH_ENCODE));
    }
    if !segments.is_empty() && path.ends_with('/') {
        out.push('/');
    }
}

/// Decodes one query component and encodes it the SigV4 way. Invalid escapes are kept as
/// literal text (so their `%` is encoded), and `+` is a literal plus, not a space.
fn reencode(component: &str) -> String {
    let decoded = percent_decode_str(component).collect::<Vec<u8>>();
    percent_encode(&decoded, URI_ENCODE).to_string()
}

/// The query's `key=value` pairs, decoded; empty pairs (from `&&` or a trailing `&`) are
/// skipped, a pair without `=` has an empty value.
pub(crate) fn query_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query.split('&').filter(|pair| !pair.is_empty()).map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

fn push_canonical_query(out: &mut String, query: &str, presigned: bool) {
    let mut pairs: Vec<(String, String)> = query_pairs(query)
        .map(|(k, v)| (reencode(k), reencode(v)))
        // The signature cannot sign itself; after re-encoding the key compares as plain text.
        .filter(|(k, _)| !(presigned && k == SIGNATURE_PARAM))
        .collect();
    pairs.sort_unstable();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
}

fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// `name:value` lines for the signed headers, in the order of the list. Repeated headers are
/// joined with `,` in the order received; each value is trimmed and its runs of whitespace
/// (including the line breaks of folded headers) collapsed to one space.
fn push_canonical_headers<S: AsRef<str>>(out: &mut String, headers: &[(&str, &str)], signed_headers: &[S]) {
    // Sorting once keeps the cost O((h + s) log h) whatever the number of headers or signed
    // names; the stable sort keeps repeated headers in the order received.
    let mut sorted: Vec<&(&str, &str)> = headers.iter().collect();
    sorted.sort_by(|a, b| cmp_ignore_case(a.0, b.0));
    for name in signed_headers {
        let name = name.as_ref();
        let start = sorted.partition_point(|h| cmp_ignore_case(h.0, name) == Ordering::Less);
        let same = sorted.get(start..).unwrap_or_default();
        let len = same.partition_point(|h| cmp_ignore_case(h.0, name) == Ordering::Equal);
        out.extend(name.chars().map(|c| c.to_ascii_lowercase()));
        out.push(':');
        for (i, (_, value)) in same.iter().take(len).enumerate() {
            if i > 0 {
                out.push(',');
            }
            for (j, word) in value.split_ascii_whitespace().enumerate() {
                if j > 0 {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> String {
        let mut out = String::new();
        push_canonical_path(&mut out, p);
        out
    }

    fn query(q: &str, presigned: bool) -> String {
        let mut out = String::new();
        push_canonical_query(&mut out, q, presigned);
        out
    }

    #[test]
    fn paths_are_normalised_then_encoded_again() {
        assert_eq!(path(""), "/");
        assert_eq!(path("/"), "/");
        assert_eq!(path("//"), "/");
        assert_eq!(path("/a/./b/../c/"), "/a/c/");
        assert_eq!(path("/../../a"), "/a");
        assert_eq!(path("/a/.."), "/");
        assert_eq!(path("/a/../"), "/");
        assert_eq!(path("//example//"), "/example/");
        assert_eq!(path("/example%20space/"), "/example%2520space/");
        assert_eq!(path("/%E1%88%B4"), "/%25E1%2588%25B4");
        assert_eq!(path("/$delete"), "/%24delete");
        assert_eq!(path("/a+b:c"), "/a%2Bb%3Ac");
    }

    #[test]
    fn queries_are_reencoded_and_sorted() {
        assert_eq!(query("", false), "");
        assert_eq!(query("b=2&a=1&a=0", false), "a=0&a=1&b=2");
        assert_eq!(query("a&b=", false), "a=&b=");
        assert_eq!(query("&&a=1&", false), "a=1");
        assert_eq!(query("k=a%20b+c", false), "k=a%20b%2Bc");
        assert_eq!(query("k=%7e%2d", false), "k=~-");
        assert_eq!(query("k=%zz%4", false), "k=%25zz%254");
        assert_eq!(query("k=%FF", false), "k=%FF");
        assert_eq!(query("%E1%88%B4=Value1&Param=Value2", false), "%E1%88%B4=Value1&Param=Value2");
        assert_eq!(query("X-Amz-Signature=ab&a=1", false), "X-Amz-Signature=ab&a=1");
        assert_eq!(query("X-Amz-Signature=ab&a=1", true), "a=1");
        assert_eq!(query("X%2DAmz-Signature=ab&a=1", true), "a=1");
    }

    #[test]
    fn headers_are_trimmed_joined_and_matched_without_case() {
        let headers = [("My-Header1", "  a   b\n\t c "), ("host", "example.com"), ("MY-HEADER1", "second")];
        let mut out = String::new();
        push_canonical_headers(&mut out, &headers, &["host", "my-header1", "absent"]);
        assert_eq!(out, "host:example.com\nmy-header1:a b c,second\nabsent:\n");
    }
}
