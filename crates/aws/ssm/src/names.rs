//! Parameter names, ARNs, `name:version` / `name:label` selectors and label rules.

use super::error::SsmError;
use aws_core::error::CommonError;

/// Hierarchy levels a name may have.
const MAX_LEVELS: usize = 15;
/// The longest parameter ARN (AWS counts the name's length as its full ARN's).
const MAX_ARN_LEN: usize = 1011;

const SHORT_PREFIX: &str = "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).";
const PATH_PREFIX: &str = "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can \
     consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the \
     following 3 symbols .-_";

/// The ARN of parameter `name`: hierarchical names lose their leading slash in it.
pub(crate) fn arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:ssm:{region}:{account}:parameter/{}", name.strip_prefix('/').unwrap_or(name))
}

fn valid_chars(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/'))
}

/// Checks a name for `PutParameter` as Parameter Store does.
pub(crate) fn validate(name: &str, region: &str, account: &str) -> Result<(), SsmError> {
    let bare = name.strip_prefix('/').unwrap_or(name);
    let lower = bare.to_ascii_lowercase();
    if lower.starts_with("aws") || lower.starts_with("ssm") {
        let is_path = name.matches('/').count() > 1;
        if is_path && lower.starts_with("aws") {
            return Err(SsmError::Common(CommonError::AccessDenied(format!(
                "No access to reserved parameter name: {bare}."
            ))));
        }
        return Err(SsmError::validation(if is_path { PATH_PREFIX } else { SHORT_PREFIX }));
    }
    let hierarchical = name.starts_with('/');
    if !valid_chars(name) || name.contains("//") || (!hierarchical && name.contains('/')) {
        return Err(SsmError::validation("Parameter name must be a fully qualified name"));
    }
    if name.ends_with('/') {
        return Err(SsmError::validation("Parameter name must not end with slash."));
    }
    if name.split('/').filter(|s| !s.is_empty()).count() > MAX_LEVELS {
        return Err(SsmError::HierarchyLevelLimitExceeded);
    }
    if arn(region, account, name).len() > MAX_ARN_LEN {
        return Err(SsmError::validation(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must have length \
             less than or equal to {MAX_ARN_LEN}"
        )));
    }
    Ok(())
}

/// Which version a reference selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Which {
    /// The current version.
    Current,
    /// `name:N`.
    Version(i64),
    /// `name:label`.
    Label(String),
}

/// A parameter reference as `GetParameter(s)` take it: a name or ARN, optionally `:selector`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    /// The names it may denote, most likely first (an ARN drops the leading slash of a
    /// hierarchical name, so `parameter/x` may be `/x` or `x`).
    pub candidates: Vec<String>,
    /// The version selected.
    pub which: Which,
    /// The selector as written, with its colon (`:3`, `:prod`), for the response's `Selector`.
    pub selector: Option<String>,
}

/// Parses a reference; `None` when it cannot name a parameter of this account and region.
pub(crate) fn reference(input: &str, region: &str, account: &str) -> Option<Reference> {
    let (name_part, arn_form) = match input.strip_prefix("arn:aws:ssm:") {
        Some(rest) => {
            let mut parts = rest.splitn(3, ':');
            let (r, a, resource) = (parts.next()?, parts.next()?, parts.next()?);
            if r != region || a != account {
                return None;
            }
            (resource.strip_prefix("parameter/")?, true)
        }
        None => (input, false),
    };
    let (name, selector) = match name_part.split_once(':') {
        Some((name, sel)) => (name, Some(sel)),
        None => (name_part, None),
    };
    if name.is_empty() || selector.is_some_and(|s| s.is_empty() || s.contains(':')) {
        return None;
    }
    let which = match selector {
        None => Which::Current,
        Some(s) if s.bytes().all(|b| b.is_ascii_digit()) => Which::Version(s.parse().ok()?),
        Some(s) => Which::Label(s.to_owned()),
    };
    let candidates = if !arn_form {
        vec![name.to_owned()]
    } else if name.contains('/') {
        vec![format!("/{name}")]
    } else {
        vec![name.to_owned(), format!("/{name}")]
    };
    Some(Reference { candidates, which, selector: selector.map(|s| format!(":{s}")) })
}

/// Whether `label` may be attached to a version (invalid ones are reported, not refused).
pub(crate) fn label_ok(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    !label.is_empty()
        && label.len() <= 100
        && !lower.starts_with("aws")
        && !lower.starts_with("ssm")
        && !label.starts_with(|c: char| c.is_ascii_digit())
        && label.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_core::error::ServiceError;

    const R: &str = "us-east-1";
    const A: &str = "111122223333";

    fn message(name: &str) -> (String, String) {
        let e = validate(name, R, A).unwrap_err();
        (e.code().to_owned(), e.to_string())
    }

    #[test]
    fn arns_drop_the_leading_slash() {
        assert_eq!(
            arn(R, A, "/my-erp/lwa/clientsecret"),
            "arn:aws:ssm:us-east-1:111122223333:parameter/my-erp/lwa/clientsecret"
        );
        assert_eq!(arn(R, A, "plain"), "arn:aws:ssm:us-east-1:111122223333:parameter/plain");
    }

    #[test]
    fn good_names_pass() {
        for name in ["/my-erp/lwa/clientsecret", "plain", "a.b-c_d", "/app/aws-thing", "/x/aws"] {
            assert!(validate(name, R, A).is_ok(), "{name}");
        }
    }

    #[test]
    fn reserved_prefixes_are_refused_as_aws_does() {
        assert_eq!(
            message("/awssec/lab01/vpc_id"),
            ("AccessDeniedException".into(), "No access to reserved parameter name: awssec/lab01/vpc_id.".into())
        );
        assert_eq!(message("/AWS/x").0, "AccessDeniedException");
        assert_eq!(message("/SSM/x"), ("ValidationException".into(), PATH_PREFIX.into()));
        assert_eq!(message("awsthing"), ("ValidationException".into(), SHORT_PREFIX.into()));
        assert_eq!(message("/ssmthing"), ("ValidationException".into(), SHORT_PREFIX.into()));
    }

    #[test]
    fn malformed_names_are_refused() {
        for name in ["a/b", "/a//b", "has space", "C:\\x", "tab\t", "/ünï"] {
            assert_eq!(message(name).1, "Parameter name must be a fully qualified name", "{name}");
        }
        assert_eq!(message("/a/").1, "Parameter name must not end with slash.");
        let deep = "/l".repeat(16);
        assert_eq!(message(&deep).0, "HierarchyLevelLimitExceededException");
        assert!(validate(&"/l".repeat(15), R, A).is_ok());
        let long = format!("/{}", "x".repeat(1000));
        assert!(message(&long).1.contains("Member must have length less than or equal to 1011"));
    }

    #[test]
    fn references_parse_names_arns_and_selectors() {
        let r = reference("/app/db:3", R, A).unwrap();
        assert_eq!(
            (r.candidates, r.which, r.selector.as_deref()),
            (vec!["/app/db".to_owned()], Which::Version(3), Some(":3"))
        );
        let r = reference("/app/db:prod", R, A).unwrap();
        assert_eq!(r.which, Which::Label("prod".into()));
        let r = reference("arn:aws:ssm:us-east-1:111122223333:parameter/app/db", R, A).unwrap();
        assert_eq!(r.candidates, vec!["/app/db".to_owned()]);
        let r = reference("arn:aws:ssm:us-east-1:111122223333:parameter/plain:2", R, A).unwrap();
        assert_eq!((r.candidates, r.which), (vec!["plain".to_owned(), "/plain".to_owned()], Which::Version(2)));
        assert!(reference("arn:aws:ssm:eu-west-1:111122223333:parameter/x", R, A).is_none());
        assert!(reference("x:1:2", R, A).is_none());
        assert!(reference("x:", R, A).is_none());
        assert!(reference("x:99999999999999999999999", R, A).is_none());
    }

    #[test]
    fn labels_follow_the_rules() {
        assert!(label_ok("prod"));
        assert!(label_ok("Release_1.2-rc"));
        for bad in ["", "1st", "awsy", "SSMx", "a b", "a:b", &"x".repeat(101)] {
            assert!(!label_ok(bad), "{bad}");
        }
    }
}
