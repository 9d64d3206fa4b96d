//! Classify a request before authentication: which protocol, which operation.

use crate::model::JsonVersion;

/// The most query parameters a request may carry. The largest legitimate requests (SQS and
/// SNS batches with message attributes) stay well under a thousand.
pub const MAX_QUERY_PARAMS: usize = 5_000;

/// The parts of an HTTP request that classification needs, as received on the wire.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The path. Classification does not depend on it: awsQuery and awsJson route on parameters
    /// and headers alone, and SQS's legacy awsQuery API posts to queue-URL paths.
    pub path: &'a str,
    /// The raw query string, without the `?`.
    pub query: &'a str,
    /// The headers, names in any case.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
}

/// What kind of AWS request this is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    /// awsJson: `X-Amz-Target: Prefix.Operation` with an `application/x-amz-json-1.x` body.
    Json {
        /// The part of the target before the last dot, e.g. `AmazonSQS`.
        target_prefix: String,
        /// The operation, e.g. `SendMessage`.
        operation: String,
        /// From the media type.
        version: JsonVersion,
    },
    /// awsQuery: a form-encoded POST body (and its query string) or the query string of a
    /// GET, with an `Action` parameter.
    Query {
        /// The `Action` parameter.
        action: String,
        /// The `Version` parameter.
        version: Option<String>,
        /// The other parameters in order, without `Action`, `Version` and the `X-Amz-*`
        /// parameters of presigned URLs.
        params: Vec<(String, String)>,
    },
    /// The request is shaped like awsQuery or awsJson but cannot be accepted.
    Malformed(Malformed),
    /// Neither awsQuery nor awsJson, or awsQuery without `Action`.
    Unknown,
}

/// Why a request was refused before parsing its operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// More than [`MAX_QUERY_PARAMS`] parameters.
    #[error("the request has more than {MAX_QUERY_PARAMS} parameters")]
    TooManyParameters,
}

/// Classify a request.
pub fn detect(req: &RequestParts<'_>) -> Detected {
    let content_type = header(req.headers, "content-type").map(media_type);
    if let Some(target) = header(req.headers, "x-amz-target") {
        let version = match content_type.as_deref() {
            Some("application/x-amz-json-1.0") => JsonVersion::V1_0,
            Some("application/x-amz-json-1.1") => JsonVersion::V1_1,
            _ => return Detected::Unknown,
        };
        let Some((prefix, operation)) = target.trim().rsplit_once('.') else {
            return Detected::Unknown;
        };
        if prefix.is_empty() || operation.is_empty() {
            return Detected::Unknown;
        }
        return Detected::Json { target_prefix: prefix.to_owned(), operation: operation.to_owned(), version };
    }
    let form = content_type.as_deref() == Some("application/x-www-form-urlencoded");
    let post = req.method.eq_ignore_ascii_case("POST");
    // A POST may carry its parameters in the query string alone: a presigned URL signed for POST
    // (botocore's default for awsQuery operations) is sent with an empty body.
    let query_only = req.method.eq_ignore_ascii_case("GET") || (post && req.body.is_empty());
    let sources: &[&[u8]] = if post && form {
        &[req.query.as_bytes(), req.body]
    } else if query_only && !req.query.is_empty() {
        &[req.query.as_bytes()]
    } else {
        return Detected::Unknown;
    };
    let mut action = None;
    let mut version = None;
    let mut params = Vec::new();
    let mut count = 0usize;
    for pair in sources.iter().flat_map(|s| form_urlencoded::parse(s)) {
        count += 1;
        if count > MAX_QUERY_PARAMS {
            return Detected::Malformed(Malformed::TooManyParameters);
        }
        let (name, value) = pair;
        if name == "Action" {
            action.get_or_insert_with(|| value.into_owned());
        } else if name == "Version" {
            version.get_or_insert_with(|| value.into_owned());
        } else if !is_presign_param(&name) {
            params.push((name.into_owned(), value.into_owned()));
        }
    }
    match action {
        Some(action) => Detected::Query { action, version, params },
        None => Detected::Unknown,
    }
}

fn header<'a>(headers: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
}

/// The media type without parameters such as `; charset=utf-8`, lower-cased.
fn media_type(value: &str) -> String {
    value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

fn is_presign_param(name: &str) -> bool {
    name.as_bytes().get(..6).is_some_and(|p| p.eq_ignore_ascii_case(b"x-amz-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(
        method: &'a str,
        query: &'a str,
        headers: &'a [(&'a str, &'a str)],
        body: &'a [u8],
    ) -> RequestParts<'a> {
        RequestParts { method, path: "/", query, headers, body }
    }

    #[test]
    fn json_needs_target_and_amz_json_media_type() {
        let h = [("Content-Type", "application/x-amz-json-1.0"), ("X-Amz-Target", "AmazonSQS.SendMessage")];
        assert_eq!(
            detect(&parts("POST", "", &h, b"{}")),
            Detected::Json {
                target_prefix: "AmazonSQS".into(),
                operation: "SendMessage".into(),
                version: JsonVersion::V1_0
            }
        );
        let h =
            [("content-type", "application/x-amz-json-1.1; charset=utf-8"), ("x-amz-target", "TrentService.Encrypt")];
        assert!(matches!(detect(&parts("POST", "", &h, b"{}")), Detected::Json { version: JsonVersion::V1_1, .. }));
        let wrong_type = [("Content-Type", "application/json"), ("X-Amz-Target", "TrentService.Encrypt")];
        assert_eq!(detect(&parts("POST", "", &wrong_type, b"{}")), Detected::Unknown);
        let no_dot = [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "Encrypt")];
        assert_eq!(detect(&parts("POST", "", &no_dot, b"{}")), Detected::Unknown);
    }

    #[test]
    fn query_post_takes_form_body_and_pulls_out_action_and_version() {
        let h = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")];
        let body = b"Action=CreateUser&Version=2010-05-08&UserName=a%20b&Tags.member.1.Key=k";
        assert_eq!(
            detect(&parts("POST", "", &h, body)),
            Detected::Query {
                action: "CreateUser".into(),
                version: Some("2010-05-08".into()),
                params: vec![("UserName".into(), "a b".into()), ("Tags.member.1.Key".into(), "k".into())],
            }
        );
    }

    #[test]
    fn first_action_wins() {
        let h = [("Content-Type", "application/x-www-form-urlencoded")];
        let got = detect(&parts("POST", "Action=A", &h, b"Action=B"));
        assert!(matches!(got, Detected::Query { action, .. } if action == "A"));
    }

    #[test]
    fn presigned_get_drops_signature_parameters() {
        let q = "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256\
                 &X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fsts%2Faws4_request\
                 &X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host\
                 &X-Amz-Signature=abc&x-amz-security-token=tok";
        assert_eq!(
            detect(&parts("GET", q, &[], b"")),
            Detected::Query { action: "GetCallerIdentity".into(), version: Some("2011-06-15".into()), params: vec![] }
        );
    }

    #[test]
    fn a_post_with_an_empty_body_takes_the_query_string() {
        // botocore presigns awsQuery operations for POST; the URL is then sent with no body.
        let q = "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Signature=abc";
        assert!(matches!(
            detect(&parts("POST", q, &[], b"")),
            Detected::Query { action, .. } if action == "GetCallerIdentity"
        ));
        assert_eq!(detect(&parts("POST", q, &[("Content-Type", "text/plain")], b"x")), Detected::Unknown);
    }

    #[test]
    fn other_requests_are_unknown() {
        assert_eq!(detect(&parts("GET", "", &[], b"")), Detected::Unknown);
        assert_eq!(detect(&parts("GET", "foo=bar", &[], b"")), Detected::Unknown);
        assert_eq!(detect(&parts("POST", "", &[("Content-Type", "text/plain")], b"Action=X")), Detected::Unknown);
        assert_eq!(detect(&parts("PUT", "Action=X", &[], b"")), Detected::Unknown);
    }

    #[test]
    fn a_form_post_without_action_is_unknown() {
        let h = [("Content-Type", "application/x-www-form-urlencoded")];
        assert_eq!(detect(&parts("POST", "", &h, b"UserName=x")), Detected::Unknown);
    }

    #[test]
    fn parameter_count_is_bounded() {
        let h = [("Content-Type", "application/x-www-form-urlencoded")];
        let body = "a=1&".repeat(MAX_QUERY_PARAMS + 1);
        assert_eq!(detect(&parts("POST", "", &h, body.as_bytes())), Detected::Malformed(Malformed::TooManyParameters));
        let ok = format!("Action=X&{}", "a=1&".repeat(MAX_QUERY_PARAMS - 1));
        assert!(matches!(detect(&parts("POST", "", &h, ok.as_bytes())), Detected::Query { .. }));
    }
}
