//! IAM's naming: ARNs with paths, policy documents as IAM returns them, timestamps.

use std::fmt::Write;

/// `arn:aws:iam::ACCOUNT:KIND/PATH/NAME`, where `path` is `/` or `/a/b/`.
pub(crate) fn arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

/// The parts of an IAM resource ARN: (account, path, name). The account is 12 digits, or `aws`
/// for AWS managed policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedArn<'a> {
    pub account: &'a str,
    pub path: &'a str,
    pub name: &'a str,
}

/// Parses `arn:aws:iam::ACCOUNT:KIND/PATH/NAME` for the given `kind` (`policy`, `role`, ...).
pub(crate) fn parse_arn<'a>(arn: &'a str, kind: &str) -> Option<ParsedArn<'a>> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, rest) = rest.split_once(':')?;
    let account_ok = account == "aws" || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    let resource = rest.strip_prefix(kind)?;
    if !account_ok || !resource.starts_with('/') {
        return None;
    }
    let cut = resource.rfind('/')? + 1;
    let (path, name) = resource.split_at(cut);
    let name_ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    name_ok.then_some(ParsedArn { account, path, name })
}

/// A policy document as IAM returns it: percent-encoded per RFC 3986, every byte but the
/// unreserved characters (`A-Z a-z 0-9 - . _ ~`) as `%XX` (botocore and the CLI decode it).
pub(crate) fn encode_document(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len() * 2);
    for b in doc.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A stored time (epoch ms) as the whole seconds IAM reports.
pub(crate) fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// A stored time (epoch ms) as the whole seconds IAM reports, as the output structures carry it.
pub(crate) fn time(ms: i64) -> f64 {
    aws_core::service::epoch_seconds(secs(ms) * 1000)
}

/// ISO 8601 with an explicit offset, as in credential reports: `2024-05-01T10:00:00+00:00`.
pub(crate) fn iso_offset(ms: i64) -> String {
    jiff::Timestamp::from_second(secs(ms))
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_carry_paths() {
        assert_eq!(arn("123456789012", "user", "/", "Bob"), "arn:aws:iam::123456789012:user/Bob");
        assert_eq!(arn("123456789012", "role", "/sp/api/", "R"), "arn:aws:iam::123456789012:role/sp/api/R");
        let p = parse_arn("arn:aws:iam::123456789012:policy/a/b/SellingPartnerAPI", "policy").unwrap();
        assert_eq!((p.account, p.path, p.name), ("123456789012", "/a/b/", "SellingPartnerAPI"));
        let p = parse_arn("arn:aws:iam::aws:policy/AdministratorAccess", "policy").unwrap();
        assert_eq!((p.account, p.path, p.name), ("aws", "/", "AdministratorAccess"));
        assert!(parse_arn("arn:aws:iam::123456789012:policy/", "policy").is_none());
        assert!(parse_arn("arn:aws:iam::12345:policy/x", "policy").is_none());
        assert!(parse_arn("arn:aws:iam::123456789012:role/x", "policy").is_none());
        assert!(parse_arn("arn:aws:iam::123456789012:policyx", "policy").is_none());
        assert!(parse_arn("arn:aws:iam::123456789012:policy/a b", "policy").is_none());
    }

    #[test]
    fn documents_are_encoded_as_iam_returns_them() {
        // As recorded from IAM: `*` and spaces are encoded, `-` and `.` are not.
        assert_eq!(
            encode_document(r#"{"Action": "acm:*", "Version": "2012-10-17"}"#),
            "%7B%22Action%22%3A%20%22acm%3A%2A%22%2C%20%22Version%22%3A%20%222012-10-17%22%7D"
        );
        assert_eq!(encode_document("a\nb_~"), "a%0Ab_~");
        assert_eq!(encode_document("é"), "%C3%A9");
    }

    #[test]
    fn times() {
        assert_eq!(secs(1_700_000_000_999), 1_700_000_000);
        assert_eq!(iso_offset(1_556_190_000_000), "2019-04-25T11:00:00+00:00");
    }
}
