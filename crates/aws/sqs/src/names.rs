//! Queue names, URLs (`http(s)://HOST/ACCOUNT/NAME`) and ARNs (`arn:aws:sqs:REGION:ACCOUNT:NAME`).

use super::error::SqsError;

/// The longest queue name, `.fifo` included.
const MAX_NAME: usize = 80;

/// Where a queue lives: its account and name (the region comes from the request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueueRef {
    pub account: String,
    pub name: String,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `name` can name a queue at all (standard or FIFO), as a URL or ARN may carry it.
fn is_queue_name(name: &str) -> bool {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    !base.is_empty() && name.len() <= MAX_NAME && base.chars().all(is_name_char)
}

/// Checks a new queue's name against its type, with SQS's messages.
pub(crate) fn validate_name(name: &str, fifo: bool) -> Result<(), SqsError> {
    let ok = if fifo {
        name.strip_suffix(".fifo").is_some_and(|base| !base.is_empty() && base.chars().all(is_name_char))
    } else {
        !name.is_empty() && name.chars().all(is_name_char)
    };
    if ok && name.len() <= MAX_NAME {
        return Ok(());
    }
    Err(SqsError::InvalidParameterValue(if fifo {
        "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with \
         .fifo suffix and be 1 to 80 in length."
            .to_owned()
    } else {
        "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length".to_owned()
    }))
}

/// Reads a queue URL: any scheme and host, then `/ACCOUNT/NAME`.
pub(crate) fn parse_url(url: &str) -> Result<QueueRef, SqsError> {
    let invalid = || SqsError::InvalidAddress(url.to_owned());
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).ok_or_else(invalid)?;
    let (host, path) = rest.split_once('/').ok_or_else(invalid)?;
    if host.is_empty() {
        return Err(invalid());
    }
    parse_path(&format!("/{path}")).ok_or_else(invalid)
}

/// Reads a queue URL's path, `/ACCOUNT/NAME`.
pub(crate) fn parse_path(path: &str) -> Option<QueueRef> {
    let (account, name) = path.strip_prefix('/')?.split_once('/')?;
    (is_account(account) && is_queue_name(name))
        .then(|| QueueRef { account: account.to_owned(), name: name.to_owned() })
}

/// The queue's URL as seen by a client that reached us at `host`.
pub(crate) fn url(host: &str, secure: bool, account: &str, name: &str) -> String {
    let scheme = if secure { "https" } else { "http" };
    let host = if host.is_empty() { "localhost" } else { host };
    format!("{scheme}://{host}/{account}/{name}")
}

/// The queue's ARN.
pub(crate) fn arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:sqs:{region}:{account}:{name}")
}

/// A queue ARN's region and queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueueArn {
    pub region: String,
    pub queue: QueueRef,
}

/// Reads a queue ARN.
pub(crate) fn parse_arn(arn: &str) -> Option<QueueArn> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("sqs"), Some(region), Some(account), Some(name)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    (!region.is_empty() && is_account(account) && is_queue_name(name)).then(|| QueueArn {
        region: region.to_owned(),
        queue: QueueRef { account: account.to_owned(), name: name.to_owned() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn urls_and_arns_round_trip() {
        let u = url("127.0.0.1:4566", false, "123456789012", "q.fifo");
        assert_eq!(u, "http://127.0.0.1:4566/123456789012/q.fifo");
        assert_eq!(parse_url(&u).unwrap(), QueueRef { account: "123456789012".into(), name: "q.fifo".into() });
        let a = arn("eu-west-1", "123456789012", "dlq");
        assert_eq!(a, "arn:aws:sqs:eu-west-1:123456789012:dlq");
        let parsed = parse_arn(&a).unwrap();
        assert_eq!((parsed.region.as_str(), parsed.queue.name.as_str()), ("eu-west-1", "dlq"));
    }

    #[test]
    fn malformed_urls_and_arns_are_refused() {
        for bad in [
            "",
            "q",
            "http://",
            "http:///123456789012/q",
            "http://h/12345678901/q",
            "http://h/123456789012/",
            "http://h/123456789012/q/x",
            "http://h/123456789012/a b",
            "ftp://h/123456789012/q",
        ] {
            assert!(matches!(parse_url(bad), Err(SqsError::InvalidAddress(_))), "{bad}");
        }
        for bad in ["dummy", "arn:aws:sns:us-east-1:123456789012:t", "arn:aws:sqs::123456789012:q", "arn:aws:sqs:r:1:q"]
        {
            assert_eq!(parse_arn(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_follow_the_queue_type() {
        assert!(validate_name("my-queue_1", false).is_ok());
        assert!(validate_name(&"a".repeat(80), false).is_ok());
        assert!(validate_name(&"a".repeat(81), false).is_err());
        assert!(validate_name("q.fifo", false).is_err());
        assert!(validate_name("q.fifo", true).is_ok());
        assert!(validate_name(&format!("{}.fifo", "a".repeat(75)), true).is_ok());
        assert!(validate_name(&format!("{}.fifo", "a".repeat(76)), true).is_err());
        assert!(validate_name(".fifo", true).is_err());
        assert!(validate_name("q", true).is_err());
        assert!(validate_name("", false).is_err());
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in ".{0,120}") {
            let _ = parse_url(&s);
            let _ = parse_arn(&s);
            let _ = parse_path(&s);
        }
    }
}
