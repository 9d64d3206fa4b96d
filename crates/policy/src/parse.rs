//! Validation in IAM's order, then compilation.
//!
//! IAM reports one `MalformedPolicyDocument` message per document, and which one depends on the
//! order of its checks. The order here is the one observed from IAM (and mirrored by moto's
//! validator, whose 132 cases run in this crate's tests):
//!
//! 1. JSON and shape ("Syntax errors in policy.");
//! 2. `Version` ("must be version 2012-10-17 or greater", identity and session policies);
//! 3. "legacy parsing": exact `Allow`/`Deny`, well-formed dates, ARNs without stray `::`;
//! 4. unique `Sid`s; 5. every statement has actions;
//! 6. the last resource-format problem found while scanning (`Resource`, then `NotResource`);
//! 7. action vendors; 8. identity policies need resources;
//! 9. principals and trust-policy rules for policies attached to resources.

use std::collections::HashSet;

use crate::condition::{Condition, Operator};
use crate::error::PolicyError;
use crate::glob::{Flavor, Glob};
use crate::json::{self, Json, LineCounter, Node};
use crate::model::{
    ActionElement, Effect, Policy, PolicyKind, Position, PrincipalElement, ResourceElement, ResourcePattern, Statement,
};
use crate::principal::{self, Named, PrincipalType};
use crate::template::Template;

/// The hard cap on document length in bytes, whatever the kind: IAM's API refuses longer
/// `PolicyDocument` parameters, and it bounds the work any document can cause.
pub const MAX_DOCUMENT_BYTES: usize = 131_072;

const TOP_LEVEL: [&str; 4] = ["Version", "Id", "Statement", "Conditions"];
const STATEMENT_KEYS: [&str; 9] =
    ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal", "NotPrincipal"];
const VERSION_2012: &str = "2012-10-17";
const PARTITIONS: [&str; 9] =
    ["*", "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"];
const IAM_PATHS: [&str; 13] = [
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

/// Strings given as one string or as a list; IAM checks the two forms slightly differently.
struct Strings<'j> {
    items: Vec<&'j str>,
    list: bool,
}

/// A condition operator block before compilation: operator name and `key: values` pairs.
struct RawCondition<'j> {
    operator: &'j str,
    keys: Vec<(&'j str, Vec<String>)>,
    /// Whether every value was a JSON string (booleans and numbers are accepted too, but
    /// IAM's date check fails on them).
    all_strings: bool,
}

/// A statement that passed the shape checks.
struct Raw<'j> {
    node: &'j Node,
    sid: Option<&'j str>,
    effect: &'j str,
    action: Option<(bool, Strings<'j>)>,
    resource: Option<(bool, Strings<'j>)>,
    principal: Option<(bool, Vec<(PrincipalType, &'j str)>)>,
    conditions: Vec<RawCondition<'j>>,
}

/// Parses and validates `doc` as `kind`.
pub(crate) fn parse(doc: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
    if doc.len() > MAX_DOCUMENT_BYTES {
        return Err(PolicyError::TooLarge { size: doc.len(), limit: MAX_DOCUMENT_BYTES });
    }
    let root = json::parse(doc)
        .map_err(|_| if kind == PolicyKind::Trust { PolicyError::InvalidJson } else { PolicyError::Syntax })?;
    let (version, id, raws) = shape(&root).ok_or(PolicyError::Syntax)?;
    if kind.is_identity() {
        if raws.iter().any(|r| r.principal.is_some()) {
            return Err(PolicyError::PrincipalNotAllowed);
        }
        if version != Some(VERSION_2012) {
            return Err(PolicyError::Version);
        }
    }
    legacy_statements(&raws)?;
    let resource_error = resource_formats(&raws)?;
    unique_sids(&raws)?;
    if raws.iter().any(|r| r.action.as_ref().is_none_or(|(_, a)| a.list && a.items.is_empty())) {
        return Err(PolicyError::MissingActions);
    }
    if let Some(message) = resource_error {
        return Err(PolicyError::InvalidResource(message));
    }
    for not in [false, true] {
        for (_, actions) in raws.iter().filter_map(|r| r.action.as_ref()).filter(|(n, _)| *n == not) {
            actions.items.iter().try_for_each(|a| action_vendor(a))?;
        }
    }
    match kind {
        PolicyKind::Identity | PolicyKind::Session => {
            if raws.iter().any(|r| r.resource.as_ref().is_none_or(|(_, res)| res.list && res.items.is_empty())) {
                return Err(PolicyError::MissingResources);
            }
        }
        PolicyKind::Trust => trust_rules(&raws)?,
        PolicyKind::Resource | PolicyKind::KeyPolicy => principals(&raws, PolicyError::MissingPrincipal)?,
    }
    Ok(compile(doc, kind, version, id, &raws))
}

/// Step 1: the shape of the document. `None` means "Syntax errors in policy.".
fn shape(root: &Node) -> Option<(Option<&str>, Option<&str>, Vec<Raw<'_>>)> {
    let Json::Object(members) = &root.value else { return None };
    if members.iter().any(|(k, _)| !TOP_LEVEL.contains(&k.as_str())) {
        return None;
    }
    let version = match root.value.get("Version").map(|n| &n.value) {
        None => None,
        Some(Json::Str(v)) if v == "2008-10-17" || v == VERSION_2012 => Some(v.as_str()),
        Some(_) => return None,
    };
    let id = match root.value.get("Id").map(|n| &n.value) {
        None => None,
        Some(Json::Str(v)) => Some(v.as_str()),
        Some(_) => return None,
    };
    let statement = root.value.get("Statement")?;
    let nodes: Vec<&Node> = match &statement.value {
        Json::Object(_) => vec![statement],
        Json::Array(items) if !items.is_empty() => items.iter().collect(),
        _ => return None,
    };
    let raws = nodes.into_iter().map(statement_shape).collect::<Option<Vec<_>>>()?;
    Some((version, id, raws))
}

fn statement_shape(node: &Node) -> Option<Raw<'_>> {
    let Json::Object(members) = &node.value else { return None };
    if members.iter().any(|(k, _)| !STATEMENT_KEYS.contains(&k.as_str())) {
        return None;
    }
    let get = |k| node.value.get(k);
    let pair = |a, b| match (get(a), get(b)) {
        (Some(_), Some(_)) => Err(()),
        (Some(n), None) => Ok(Some((false, n))),
        (None, Some(n)) => Ok(Some((true, n))),
        (None, None) => Ok(None),
    };
    let effect = match get("Effect").map(|n| &n.value) {
        Some(Json::Str(e)) if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") => e.as_str(),
        _ => return None,
    };
    let action = match pair("Action", "NotAction").ok()? {
        Some((not, n)) => Some((not, strings(n, false)?)),
        None => None,
    };
    let resource = match pair("Resource", "NotResource").ok()? {
        // IAM accepts (and ignores) null entries in resource lists.
        Some((not, n)) => Some((not, strings(n, true)?)),
        None => None,
    };
    let principal = match pair("Principal", "NotPrincipal").ok()? {
        Some((not, n)) => Some((not, principal_shape(n)?)),
        None => None,
    };
    let conditions = match get("Condition") {
        Some(n) => condition_shape(n)?,
        None => Vec::new(),
    };
    let sid = match get("Sid").map(|n| &n.value) {
        None => None,
        Some(Json::Str(s)) => Some(s.as_str()),
        Some(_) => return None,
    };
    Some(Raw { node, sid, effect, action, resource, principal, conditions })
}

fn strings(node: &Node, skip_null: bool) -> Option<Strings<'_>> {
    match &node.value {
        Json::Str(s) => Some(Strings { items: vec![s.as_str()], list: false }),
        Json::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match &item.value {
                    Json::Str(s) => out.push(s.as_str()),
                    Json::Null if skip_null => {}
                    _ => return None,
                }
            }
            Some(Strings { items: out, list: true })
        }
        _ => None,
    }
}

fn principal_shape(node: &Node) -> Option<Vec<(PrincipalType, &str)>> {
    match &node.value {
        Json::Str(s) if s == "*" => Some(vec![(PrincipalType::Aws, "*")]),
        Json::Object(members) => {
            let mut out = Vec::new();
            for (key, value) in members {
                let ty = PrincipalType::from_key(key)?;
                let values = strings(value, false)?;
                out.extend(values.items.into_iter().map(|v| (ty, v)));
            }
            Some(out)
        }
        _ => None,
    }
}

fn condition_shape(node: &Node) -> Option<Vec<RawCondition<'_>>> {
    let Json::Object(blocks) = &node.value else { return None };
    let mut out = Vec::with_capacity(blocks.len());
    for (operator, block) in blocks {
        let Json::Object(pairs) = &block.value else { return None };
        let mut keys = Vec::with_capacity(pairs.len());
        let mut all_strings = true;
        for (key, values) in pairs {
            let scalars = match &values.value {
                Json::Array(items) => items.as_slice(),
                _ => std::slice::from_ref(values),
            };
            let mut texts = Vec::with_capacity(scalars.len());
            for n in scalars {
                texts.push(match &n.value {
                    Json::Str(s) => s.clone(),
                    Json::Bool(b) => b.to_string(),
                    Json::Number(n) => n.to_string(),
                    _ => return None,
                });
                all_strings &= matches!(n.value, Json::Str(_));
            }
            keys.push((key.as_str(), texts));
        }
        // An operator IAM does not know is tolerated only with nothing under it.
        if Operator::parse(operator).is_none() && !keys.is_empty() {
            return None;
        }
        out.push(RawCondition { operator, keys, all_strings });
    }
    Some(out)
}

/// Step 3a: exact effects and dates.
fn legacy_statements(raws: &[Raw<'_>]) -> Result<(), PolicyError> {
    for raw in raws {
        if raw.effect != "Allow" && raw.effect != "Deny" {
            return Err(PolicyError::LegacyParsing);
        }
        for c in raw.conditions.iter().filter(|c| Operator::is_date(c.operator)) {
            if !c.all_strings || !c.keys.iter().flat_map(|(_, v)| v).all(|v| legacy_date(v)) {
                return Err(PolicyError::LegacyParsing);
            }
        }
    }
    Ok(())
}

/// Step 3b and 6: resource formats. Returns the message of the last format problem seen;
/// ARNs are put through the legacy check only while no problem has been seen.
fn resource_formats(raws: &[Raw<'_>]) -> Result<Option<String>, PolicyError> {
    let mut error: Option<String> = None;
    for not in [false, true] {
        for (_, resources) in raws.iter().filter_map(|r| r.resource.as_ref()).filter(|(n, _)| *n == not) {
            let mut ordered = resources.items.clone();
            // IAM reports the problem of the last resource in descending order.
            ordered.sort_unstable_by(|a, b| b.cmp(a));
            for r in ordered {
                if let Some(message) = resource_format(r) {
                    error = Some(message);
                }
            }
            if error.is_none() && !resources.items.iter().all(|r| legacy_resource(r, resources.list)) {
                return Err(PolicyError::LegacyParsing);
            }
        }
    }
    Ok(error)
}

/// Splits at the first `sep`, like Python's `str.partition`.
fn partition(s: &str, sep: char) -> (&str, bool, &str) {
    match s.split_once(sep) {
        Some((a, b)) => (a, true, b),
        None => (s, false, ""),
    }
}

fn resource_format(resource: &str) -> Option<String> {
    if resource == "*" {
        return None;
    }
    let (_, has_colon, rest) = partition(resource, ':');
    if !has_colon {
        return Some(format!("Resource {resource} must be in ARN format or \"*\"."));
    }
    let (partition_name, has_service, rest) = partition(rest, ':');
    if !PARTITIONS.contains(&partition_name) {
        let parts: Vec<&str> = rest.split(':').collect();
        let at = |i: usize| parts.get(i).copied().unwrap_or("*");
        let first = if parts[0].is_empty() && parts.len() == 1 { "*" } else { parts[0] };
        let tail = if parts.len() > 3 { parts[3..].join(":") } else { "*".to_string() };
        return Some(format!(
            "Partition \"{partition_name}\" is not valid for resource \"arn:{partition_name}:{first}:{}:{}:{tail}\".",
            at(1),
            at(2)
        ));
    }
    if !has_service {
        return Some("Resource vendor must be fully qualified and cannot contain regexes.".to_string());
    }
    let (service, _, after_service) = partition(rest, ':');
    let (_, _, after_region) = partition(after_service, ':');
    let (_, _, resource_id) = partition(after_region, ':');
    if (service == "iam" || service == "s3") && !after_service.starts_with(':') {
        // S3 access points are regional; other IAM and S3 resources are not.
        if !(service == "s3" && resource_id.starts_with("accesspoint/")) {
            return Some(if service == "iam" {
                format!("IAM resource {resource} cannot contain region information.")
            } else {
                format!("Resource {resource} can not contain region information.")
            });
        }
    }
    if service == "iam" && !IAM_PATHS.iter().any(|p| resource_id.starts_with(p)) {
        return Some(format!("IAM resource path must either be \"*\" or start with {}.", IAM_PATHS.join(", ")));
    }
    None
}

/// IAM's older ARN reader: an ARN with an empty field needs all six fields, and a single
/// resource needs a service.
fn legacy_resource(resource: &str, in_list: bool) -> bool {
    if resource == "*" {
        return true;
    }
    if resource.matches(':').count() < 5 && resource.contains("::") {
        return false;
    }
    in_list || resource.split(':').nth(2).is_some_and(|s| !s.is_empty())
}

/// IAM's older date reader: epoch seconds in `0..=i64::MAX`, or a loose ISO 8601 form.
fn legacy_date(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if lower.contains('t') || value.contains('-') {
        legacy_iso(&lower)
    } else {
        loose_int(value).is_some_and(|n| (0..=i128::from(i64::MAX)).contains(&n))
    }
}

fn legacy_iso(v: &str) -> bool {
    let (date, _, time) = partition(v, 't');
    let negative = date.starts_with('-');
    let body = if negative { &date[1..] } else { date };
    let fields: Vec<&str> = body.split('-').collect();
    let in_range = |s: &str, lo: i128, hi: i128| loose_int(s).is_some_and(|n| (lo..=hi).contains(&n));
    let year = if negative { format!("-{}", fields[0]) } else { fields[0].to_string() };
    if !in_range(&year, -292_275_054, 292_278_993)
        || fields.get(1).is_some_and(|m| !in_range(m, 1, 12))
        || fields.get(2).is_some_and(|d| !in_range(d, 1, 31))
        || fields.len() >= 4
    {
        return false;
    }
    let clock: Vec<&str> = time.split(':').collect();
    if (!clock[0].is_empty() && !in_range(clock[0], 0, 23)) || clock.get(1).is_some_and(|m| !in_range(m, 0, 59)) {
        return false;
    }
    let Some(third) = clock.get(2) else { return true };
    let seconds = if let Some((before, after)) = third.split_once('z') {
        if !after.is_empty() {
            return false;
        }
        before
    } else if let Some((before, zone)) = third.split_once('+') {
        let (hours, has_minutes, minutes) = partition(zone, ':');
        let two = |s: &str| s.chars().count() == 2;
        if !two(hours) || !in_range(hours, 0, 23) || (has_minutes && (!two(minutes) || !in_range(minutes, 0, 59))) {
            return false;
        }
        before
    } else {
        third
    };
    let (whole, has_fraction, fraction) = partition(seconds, '.');
    in_range(whole, 0, 59) && (!has_fraction || in_range(fraction, 0, 999_999_999))
}

/// An integer as IAM's older reader accepted it: surrounding white space, a sign, and `_`
/// between digits. Saturates instead of overflowing.
fn loose_int(s: &str) -> Option<i128> {
    let t = s.trim();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let mut n: i128 = 0;
    for b in digits.bytes().filter(|b| *b != b'_') {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.saturating_mul(10).saturating_add(i128::from(b - b'0'));
    }
    Some(if negative { -n } else { n })
}

fn unique_sids(raws: &[Raw<'_>]) -> Result<(), PolicyError> {
    let mut seen = HashSet::new();
    if raws.iter().filter_map(|r| r.sid).filter(|s| !s.is_empty()).all(|sid| seen.insert(sid)) {
        Ok(())
    } else {
        Err(PolicyError::DuplicateSid)
    }
}

fn action_vendor(action: &str) -> Result<(), PolicyError> {
    let parts: Vec<&str> = action.split(':').collect();
    if parts.len() == 1 && parts[0] != "*" {
        return Err(PolicyError::ActionWithoutVendor);
    }
    if parts.len() > 2 {
        return Err(PolicyError::ActionWithColons);
    }
    let vendor = parts[0];
    if vendor != "*" && !vendor.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
        return Err(PolicyError::InvalidVendor(vendor.to_string()));
    }
    Ok(())
}

fn trust_rules(raws: &[Raw<'_>]) -> Result<(), PolicyError> {
    let sts_only = raws.iter().filter_map(|r| r.action.as_ref()).filter(|(not, _)| !not).all(|(_, actions)| {
        actions.items.iter().all(|a| *a == "*" || a.split_once(':').is_some_and(|(v, _)| v.eq_ignore_ascii_case("sts")))
    });
    if !sts_only {
        return Err(PolicyError::TrustPolicyActions);
    }
    if raws.iter().any(|r| r.resource.is_some()) {
        return Err(PolicyError::ResourceNotAllowed);
    }
    principals(raws, PolicyError::NoPrincipals)
}

fn principals(raws: &[Raw<'_>], missing: PolicyError) -> Result<(), PolicyError> {
    if raws.iter().any(|r| r.principal.as_ref().is_none_or(|(_, p)| p.is_empty())) {
        return Err(missing);
    }
    for (ty, value) in raws.iter().filter_map(|r| r.principal.as_ref()).flat_map(|(_, p)| p) {
        if !principal::is_valid(*ty, value) {
            return Err(PolicyError::InvalidPrincipal {
                principal_type: ty.as_str().to_ascii_uppercase(),
                value: (*value).to_string(),
            });
        }
    }
    Ok(())
}

/// Builds the evaluable form of a document that passed every check.
fn compile(doc: &str, kind: PolicyKind, version: Option<&str>, id: Option<&str>, raws: &[Raw<'_>]) -> Policy {
    let variables = version == Some(VERSION_2012);
    let mut lines = LineCounter::new(doc);
    let statements = raws
        .iter()
        .map(|raw| {
            let (line, column) = lines.after(raw.node.start);
            let start = Position { line, column };
            let (line, column) = lines.after(raw.node.end.saturating_sub(1));
            let end = Position { line, column };
            let (not, actions) = raw.action.as_ref().map_or((false, &[][..]), |(n, a)| (*n, a.items.as_slice()));
            let action = ActionElement {
                not,
                patterns: actions.iter().map(|a| Glob::new(a, Flavor::FoldCase)).collect(),
                services: actions
                    .iter()
                    .map(|a| Glob::new(a.split_once(':').map_or(&**a, |(service, _)| service), Flavor::FoldCase))
                    .collect(),
            };
            let resource = raw.resource.as_ref().map(|(not, r)| ResourceElement {
                not: *not,
                patterns: r
                    .items
                    .iter()
                    .map(|p| match Template::parse(p).filter(|_| variables) {
                        Some(t) => ResourcePattern::Dynamic(t),
                        None => ResourcePattern::Static(Glob::new(p, Flavor::Resource)),
                    })
                    .collect(),
            });
            let principal = raw.principal.as_ref().map(|(not, values)| PrincipalElement {
                not: *not,
                named: values.iter().map(|(t, v)| Named::new(*t, v)).collect(),
                raw: values.iter().map(|(t, v)| (*t, (*v).to_string())).collect(),
            });
            let conditions = raw
                .conditions
                .iter()
                .filter_map(|c| Operator::parse(c.operator).map(|op| (op, c)))
                .flat_map(|(op, c)| c.keys.iter().map(move |(k, v)| Condition::new(op, k, v, variables)))
                .collect();
            let effect = if raw.effect == "Allow" { Effect::Allow } else { Effect::Deny };
            Statement { sid: raw.sid.map(str::to_string), effect, principal, action, resource, conditions, start, end }
        })
        .collect();
    Policy { kind, version: version.map(str::to_string), id: id.map(str::to_string), statements }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_dates_follow_iam() {
        for ok in [
            "2019-07-01T13:20:15Z",
            "2016-12-13T21:20:37.593194+00:00",
            "2016-12-13t2:00:00.593194+23",
            "-292275054",
            "01T",
            "1500000000",
            " 15 ",
        ] {
            assert!(legacy_date(ok), "{ok:?}");
        }
        for bad in [
            "sdfdsf",
            "234-13",
            "2016-12-13t2:00:00.593194+1",
            "2016-12-13t2:00:00.1999999999+10:59",
            "9223372036854775808",
            "2016-1-1-1",
            "2016-12-13T10:00:00-05:00x",
            "1_",
        ] {
            assert!(!legacy_date(bad), "{bad:?}");
        }
    }

    #[test]
    fn resource_format_messages() {
        assert_eq!(
            resource_format("a:b:c:d:e:f:g:h").unwrap(),
            "Partition \"b\" is not valid for resource \"arn:b:c:d:e:f:g:h\"."
        );
        assert_eq!(
            resource_format("aws:s3:::example_bucket").unwrap(),
            "Partition \"s3\" is not valid for resource \"arn:s3:::example_bucket:*\"."
        );
        assert_eq!(
            resource_format("arn:aws").unwrap(),
            "Resource vendor must be fully qualified and cannot contain regexes."
        );
        assert_eq!(resource_format("arn:aws:s3:us-west-2:123456789012:accesspoint/ap"), None);
        assert_eq!(resource_format("arn:*:sqs:*:*:q"), None);
    }

    #[test]
    fn loose_ints() {
        assert_eq!(loose_int("+1_000"), Some(1000));
        assert_eq!(loose_int("-7"), Some(-7));
        assert_eq!(loose_int("- 7"), None);
        assert_eq!(loose_int(&"9".repeat(60)), Some(i128::MAX));
        assert_eq!(loose_int(""), None);
    }
}
