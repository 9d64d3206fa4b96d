//! `ParameterFilters` (DescribeParameters, GetParametersByPath) and the legacy `Filters`.

use super::error::SsmError;
use store::Scope;
use store::ssm::Version;

pub(crate) use super::ops::{ParameterStringFilter as Filter, ParametersFilter as LegacyFilter};

/// A filter's option, or its key's default.
fn option(f: &Filter) -> &str {
    f.option.as_deref().unwrap_or(if f.key == "Path" { "OneLevel" } else { "Equals" })
}

/// A filter's values (none given is none).
fn values(f: &Filter) -> &[String] {
    f.values.as_deref().unwrap_or_default()
}

const PATH_RULES: &str = "The parameter doesn't meet the parameter name requirements. The parameter name must begin with \
     a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, \
     numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All \
     sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.";

/// Checks a path (`GetParametersByPath`'s `Path`, or a `Path` filter value).
pub(crate) fn validate_path(path: &str) -> Result<(), SsmError> {
    let ok = path.starts_with('/')
        && !path.contains("//")
        && path.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/'));
    if !ok {
        return Err(SsmError::validation(PATH_RULES));
    }
    let lower = path.to_ascii_lowercase();
    if lower.starts_with("/aws") || lower.starts_with("/ssm") {
        return Err(SsmError::validation(
            "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). When using \
             global parameters, please specify within a global namespace.",
        ));
    }
    Ok(())
}

/// Validates filters as Parameter Store does. `by_path` selects `GetParametersByPath`'s rules.
pub(crate) fn validate(filters: &[Filter], by_path: bool) -> Result<(), SsmError> {
    let mut seen: Vec<&str> = Vec::new();
    for f in filters {
        let key = f.key.as_str();
        if by_path && matches!(key, "Name" | "Path" | "Tier") {
            return Err(SsmError::InvalidFilterKey(format!(
                "The following filter key is not valid: {key}. Valid filter keys include: [Type, KeyId]."
            )));
        }
        if !by_path && key == "Label" {
            return Err(SsmError::InvalidFilterKey(
                "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier]."
                    .into(),
            ));
        }
        if seen.contains(&key) {
            return Err(SsmError::InvalidFilterKey(format!(
                "The following filter is duplicated in the request: {key}. A request can contain only one occurrence of a \
                 specific filter."
            )));
        }
        seen.push(key);
        if matches!(key, "Name" | "Type" | "Path" | "Tier" | "KeyId" | "Label" | "DataType") && values(f).is_empty() {
            return Err(SsmError::InvalidFilterValue(format!(
                "The following filter values are missing : null for filter key {key}."
            )));
        }
        let option = option(f);
        match key {
            "Path" => {
                if !matches!(option, "Recursive" | "OneLevel") {
                    return Err(SsmError::InvalidFilterOption(format!(
                        "The following filter option is not valid: {option}. Valid options include: [Recursive, OneLevel]."
                    )));
                }
                for value in values(f) {
                    validate_path(value)?;
                }
                continue;
            }
            "Tier" => allowed_values(values(f), &["Standard", "Advanced", "Intelligent-Tiering"])?,
            "Type" => allowed_values(values(f), &["String", "StringList", "SecureString"])?,
            _ => {}
        }
        let options: &[&str] = match key {
            "Name" => &["Equals", "BeginsWith", "Contains"],
            "Label" => &["Equals"],
            _ => &["Equals", "BeginsWith"],
        };
        if !options.contains(&option) {
            return Err(SsmError::InvalidFilterOption(format!(
                "The following filter option is not valid: {option}. Valid options include: [{}].",
                options.join(", ")
            )));
        }
    }
    Ok(())
}

fn allowed_values(values: &[String], allowed: &[&str]) -> Result<(), SsmError> {
    match values.iter().find(|v| !allowed.contains(&v.as_str())) {
        Some(v) => Err(SsmError::InvalidFilterOption(format!(
            "The following filter value is not valid: {v}. Valid values include: [{}].",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

fn slashed(s: &str) -> String {
    format!("/{}", s.trim_start_matches('/'))
}

fn compare(option: &str, what: &str, values: &[String]) -> bool {
    values.iter().any(|v| match option {
        "BeginsWith" => what.starts_with(v.as_str()),
        "Contains" => what.contains(v.as_str()),
        _ => what == v,
    })
}

fn in_path(option: &str, name: &str, values: &[String]) -> bool {
    let name = slashed(name);
    values.iter().any(|v| {
        let base = slashed(v.trim_end_matches('/'));
        let prefix = if base == "/" { "/".to_owned() } else { format!("{base}/") };
        name.strip_prefix(&prefix).is_some_and(|rest| option == "Recursive" || !rest.contains('/'))
    })
}

/// Whether the current version `v` passes every filter.
pub(crate) async fn matches(
    conn: &mut store::Conn,
    scope: Scope<'_>,
    v: &Version,
    filters: &[Filter],
) -> Result<bool, SsmError> {
    for f in filters {
        let option = option(f);
        let ok = match f.key.as_str() {
            "Name" if option == "Contains" => compare(option, &v.name, values(f)),
            "Name" => compare(option, &slashed(&v.name), &values(f).iter().map(|x| slashed(x)).collect::<Vec<_>>()),
            "Path" => in_path(option, &v.name, values(f)),
            "Type" => compare(option, &v.kind, values(f)),
            "Tier" => compare(option, &v.tier, values(f)),
            "DataType" => compare(option, &v.data_type, values(f)),
            "KeyId" => v.key_id.as_deref().is_some_and(|k| compare(option, k, values(f))),
            "Label" => store::ssm::labels(conn, scope, &v.name)
                .await?
                .iter()
                .any(|(label, version)| *version == v.version && values(f).contains(label)),
            key => match key.strip_prefix("tag:") {
                Some(tag_key) => {
                    let tags = store::ssm::tags(conn, scope, &v.name).await?;
                    tags.iter()
                        .any(|(k, value)| k == tag_key && (values(f).is_empty() || compare(option, value, values(f))))
                }
                None => false,
            },
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether `v` passes the legacy filters (a name filter matches by prefix).
pub(crate) fn matches_legacy(v: &Version, filters: &[LegacyFilter]) -> bool {
    filters.iter().all(|f| match f.key.as_str() {
        "Name" => f.values.iter().any(|x| v.name.starts_with(x.as_str())),
        "Type" => f.values.contains(&v.kind),
        "KeyId" => v.key_id.as_ref().is_some_and(|k| f.values.contains(k)),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_core::error::ServiceError;

    fn filter(key: &str, option: Option<&str>, values: &[&str]) -> Filter {
        Filter {
            key: key.into(),
            option: option.map(Into::into),
            values: Some(values.iter().map(|v| (*v).into()).collect()),
        }
    }

    fn error(filters: &[Filter], by_path: bool) -> (String, String) {
        let e = validate(filters, by_path).unwrap_err();
        (e.code().to_owned(), e.to_string())
    }

    #[test]
    fn filter_rules_follow_parameter_store() {
        assert!(validate(&[filter("Name", Some("Contains"), &["x"]), filter("tag:env", None, &[])], false).is_ok());
        assert_eq!(
            error(&[filter("Name", None, &["x"])], true).1,
            "The following filter key is not valid: Name. Valid filter keys include: [Type, KeyId]."
        );
        assert_eq!(error(&[filter("Label", None, &["x"])], false).0, "InvalidFilterKey");
        assert_eq!(
            error(&[filter("Type", None, &["String"]), filter("Type", None, &["String"])], false).0,
            "InvalidFilterKey"
        );
        assert_eq!(error(&[filter("Type", None, &[])], false).0, "InvalidFilterValue");
        assert_eq!(error(&[filter("Path", Some("Deep"), &["/a"])], false).0, "InvalidFilterOption");
        assert_eq!(error(&[filter("Type", None, &["Number"])], false).0, "InvalidFilterOption");
        assert_eq!(error(&[filter("KeyId", Some("Contains"), &["k"])], false).0, "InvalidFilterOption");
        assert_eq!(error(&[filter("Path", None, &["a"])], false).0, "ValidationException");
        assert_eq!(error(&[filter("Path", None, &["/aws/x"])], false).0, "ValidationException");
    }

    #[test]
    fn paths_match_one_level_or_recursively() {
        let values = vec!["/app".to_owned()];
        assert!(in_path("OneLevel", "/app/db", &values));
        assert!(!in_path("OneLevel", "/app/db/password", &values));
        assert!(in_path("Recursive", "/app/db/password", &values));
        assert!(!in_path("Recursive", "/application", &values));
        assert!(in_path("OneLevel", "top", &["/".to_owned()]));
    }

    #[test]
    fn comparisons_honour_the_option() {
        let values = vec!["/my-erp".to_owned()];
        assert!(compare("BeginsWith", "/my-erp/lwa", &values));
        assert!(!compare("Equals", "/my-erp/lwa", &values));
        assert!(compare("Contains", "/x/my-erp/y", &values));
    }
}
