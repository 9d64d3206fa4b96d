//! Input validation against the model's constraints (required, length, range, enum, pattern),
//! with AWS's messages:
//!
//! ```text
//! 2 validation errors detected: Value null at 'userName' failed to satisfy constraint: Member
//! must not be null; Value '0' at 'maxItems' failed to satisfy constraint: Member must have value
//! greater than or equal to 1
//! ```
//!
//! As AWS does, constraints on the elements of a list of scalars (and on map keys and values)
//! are reported once for the whole collection, listing every constraint of the element shape
//! (`Member must satisfy constraint: [...]`), while structures inside lists are checked member by
//! member at `name.1.member.field`.

use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::{Map, Number, Value};

use crate::model::{Kind, ServiceModel, Shape, Structure};
use crate::path;

/// Nesting deeper than this is not validated (normalised input is bounded well below it).
const MAX_DEPTH: usize = 64;

/// How the offending value appears in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShownValue {
    /// The member is missing: `Value null at 'x'`.
    Null,
    /// The shape is sensitive, so the value is left out: `Value at 'x'`.
    Redacted,
    /// The value as AWS renders it (lists as `[a, b]`, maps as `{k=v}`): `Value 'v' at 'x'`.
    Text(String),
}

/// One failed constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The member path, e.g. `tags.1.member.key`.
    pub path: String,
    /// The value that failed.
    pub value: ShownValue,
    /// The constraint, e.g. `Member must not be null`.
    pub constraint: String,
}

impl Violation {
    /// This violation as one clause of AWS's message.
    pub fn message(&self) -> String {
        let value = match &self.value {
            ShownValue::Null => "Value null".to_owned(),
            ShownValue::Redacted => "Value".to_owned(),
            ShownValue::Text(v) => format!("Value '{v}'"),
        };
        format!("{value} at '{}' failed to satisfy constraint: {}", self.path, self.constraint)
    }
}

/// AWS's message for a set of violations, or `None` when there are none:
/// `1 validation error detected: …` or `N validation errors detected: …; …`.
pub fn validation_message(violations: &[Violation]) -> Option<String> {
    let (first, rest) = violations.split_first()?;
    let count = violations.len();
    let noun = if count == 1 { "error" } else { "errors" };
    let mut out = format!("{count} validation {noun} detected: {}", first.message());
    for v in rest {
        out.push_str("; ");
        out.push_str(&v.message());
    }
    Some(out)
}

/// Check a normalised input (as the decoders return it) against the operation's input shape.
/// An unknown operation or one without input has nothing to violate.
pub fn validate(model: &ServiceModel, operation: &str, input: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(op) = model.operation(operation)
        && let Some(Shape { kind: Kind::Structure(s), .. }) = model.input_shape(op)
        && let Value::Object(obj) = input
    {
        Validator { model, out: &mut out }.structure(s, obj, "", 0);
    }
    out
}

struct Validator<'m, 'o> {
    model: &'m ServiceModel,
    out: &'o mut Vec<Violation>,
}

impl Validator<'_, '_> {
    fn structure(&mut self, s: &Structure, obj: &Map<String, Value>, prefix: &str, depth: usize) {
        if depth > MAX_DEPTH || s.document {
            return;
        }
        for (name, member) in &s.members {
            let Some(shape) = self.model.shape(&member.shape) else {
                continue;
            };
            let at = path::member(prefix, name);
            match obj.get(name) {
                None | Some(Value::Null) => {
                    if s.required.iter().any(|r| r == name) {
                        self.out.push(Violation {
                            path: at,
                            value: ShownValue::Null,
                            constraint: "Member must not be null".to_owned(),
                        });
                    }
                }
                Some(value) => self.value(shape, value, &at, depth + 1),
            }
        }
    }

    fn value(&mut self, shape: &Shape, value: &Value, at: &str, depth: usize) {
        for constraint in failed_constraints(shape, value) {
            self.push(shape.sensitive, value, at, constraint);
        }
        match (&shape.kind, value) {
            (Kind::Structure(s), Value::Object(obj)) => self.structure(s, obj, at, depth),
            (Kind::List(item), Value::Array(items)) => {
                let Some(item_shape) = self.model.shape(&item.shape) else {
                    return;
                };
                if is_collection(item_shape) {
                    for (i, v) in items.iter().enumerate() {
                        self.value(item_shape, v, &path::element(at, i), depth + 1);
                    }
                } else if items.iter().any(|v| !failed_constraints(item_shape, v).is_empty()) {
                    let all = all_constraints(item_shape).join(", ");
                    self.push(
                        shape.sensitive || item_shape.sensitive,
                        value,
                        at,
                        format!("Member must satisfy constraint: [{all}]"),
                    );
                }
            }
            (Kind::Map { key, value: entry }, Value::Object(obj)) => {
                if let Some(key_shape) = self.model.shape(&key.shape) {
                    let keys_fail =
                        obj.keys().any(|k| !failed_constraints(key_shape, &Value::String(k.clone())).is_empty());
                    if keys_fail {
                        let all = all_constraints(key_shape).join(", ");
                        self.push(
                            shape.sensitive || key_shape.sensitive,
                            value,
                            at,
                            format!("Map keys must satisfy constraint: [{all}]"),
                        );
                    }
                }
                let Some(entry_shape) = self.model.shape(&entry.shape) else {
                    return;
                };
                if is_collection(entry_shape) {
                    for (k, v) in obj {
                        self.value(entry_shape, v, &path::entry(at, k), depth + 1);
                    }
                } else if obj.values().any(|v| !failed_constraints(entry_shape, v).is_empty()) {
                    let all = all_constraints(entry_shape).join(", ");
                    self.push(
                        shape.sensitive || entry_shape.sensitive,
                        value,
                        at,
                        format!("Map value must satisfy constraint: [{all}]"),
                    );
                }
            }
            _ => {}
        }
    }

    /// Record a violation; a sensitive value (or a collection of them) is left out.
    fn push(&mut self, sensitive: bool, value: &Value, at: &str, constraint: String) {
        let value = if sensitive { ShownValue::Redacted } else { ShownValue::Text(render(value)) };
        self.out.push(Violation { path: at.to_owned(), value, constraint });
    }
}

/// Structures, lists and maps are checked element by element; scalars are summarised.
fn is_collection(shape: &Shape) -> bool {
    matches!(shape.kind, Kind::Structure(_) | Kind::List(_) | Kind::Map { .. })
}

/// The constraints of `shape` that `value` fails, in the order AWS lists them.
fn failed_constraints(shape: &Shape, value: &Value) -> Vec<String> {
    let mut failed = Vec::new();
    if let Value::String(s) = value
        && !shape.enum_values.is_empty()
        && !shape.enum_values.iter().any(|e| e == s)
    {
        failed.push(enum_constraint(shape));
    }
    if let (Some(p), Value::String(s)) = (&shape.pattern, value) {
        // A pattern that exhausts the backtracking budget counts as not matching.
        let matched = p.regex.as_ref().is_none_or(|re| re.is_match(s).unwrap_or(false));
        if !matched {
            failed.push(pattern_constraint(&p.source));
        }
    }
    if let Some(len) = length(shape, value) {
        if let Some(min) = shape.min.as_ref().and_then(Number::as_f64) {
            #[allow(clippy::cast_precision_loss)]
            if (len as f64) < min {
                failed.push(format!(
                    "Member must have length greater than or equal to {}",
                    bound(&shape.kind, shape.min.as_ref())
                ));
            }
        }
        if let Some(max) = shape.max.as_ref().and_then(Number::as_f64) {
            #[allow(clippy::cast_precision_loss)]
            if (len as f64) > max {
                failed.push(format!(
                    "Member must have length less than or equal to {}",
                    bound(&shape.kind, shape.max.as_ref())
                ));
            }
        }
    }
    if let Some(n) = numeric(shape, value) {
        if shape.min.as_ref().and_then(Number::as_f64).is_some_and(|min| n < min) {
            failed.push(format!(
                "Member must have value greater than or equal to {}",
                bound(&shape.kind, shape.min.as_ref())
            ));
        }
        if shape.max.as_ref().and_then(Number::as_f64).is_some_and(|max| n > max) {
            failed.push(format!(
                "Member must have value less than or equal to {}",
                bound(&shape.kind, shape.max.as_ref())
            ));
        }
    }
    failed
}

/// Every constraint of `shape`, in the order AWS lists them inside `[...]`.
fn all_constraints(shape: &Shape) -> Vec<String> {
    let mut all = Vec::new();
    let sized = matches!(shape.kind, Kind::String | Kind::Blob | Kind::List(_) | Kind::Map { .. });
    let ranged = matches!(shape.kind, Kind::Integer | Kind::Long | Kind::Float | Kind::Double);
    let (less, greater) = if sized {
        ("Member must have length less than or equal to", "Member must have length greater than or equal to")
    } else {
        ("Member must have value less than or equal to", "Member must have value greater than or equal to")
    };
    if sized || ranged {
        if shape.max.is_some() {
            all.push(format!("{less} {}", bound(&shape.kind, shape.max.as_ref())));
        }
        if shape.min.is_some() {
            all.push(format!("{greater} {}", bound(&shape.kind, shape.min.as_ref())));
        }
    }
    if let Some(p) = &shape.pattern {
        all.push(pattern_constraint(&p.source));
    }
    if !shape.enum_values.is_empty() {
        all.push(enum_constraint(shape));
    }
    all
}

fn enum_constraint(shape: &Shape) -> String {
    format!("Member must satisfy enum value set: [{}]", shape.enum_values.join(", "))
}

fn pattern_constraint(source: &str) -> String {
    format!("Member must satisfy regular expression pattern: {source}")
}

/// Lengths count UTF-16 units for strings, as Java does, and bytes for blobs.
fn length(shape: &Shape, value: &Value) -> Option<usize> {
    match (&shape.kind, value) {
        (Kind::String, Value::String(s)) => Some(s.encode_utf16().count()),
        (Kind::Blob, Value::String(s)) => base64::engine::general_purpose::STANDARD.decode(s).ok().map(|b| b.len()),
        (Kind::List(_), Value::Array(a)) => Some(a.len()),
        (Kind::Map { .. }, Value::Object(o)) => Some(o.len()),
        _ => None,
    }
}

fn numeric(shape: &Shape, value: &Value) -> Option<f64> {
    match (&shape.kind, value) {
        (Kind::Integer | Kind::Long | Kind::Float | Kind::Double, Value::Number(n)) => n.as_f64(),
        _ => None,
    }
}

/// A bound as Java prints it: integers for integral shapes and lengths, doubles with a
/// fraction (`1.0`) for float and double ranges.
fn bound(kind: &Kind, n: Option<&Number>) -> String {
    let Some(n) = n else {
        return String::new();
    };
    match kind {
        Kind::Float | Kind::Double => n.as_f64().map_or_else(|| n.to_string(), java_double),
        _ => n.to_string(),
    }
}

fn java_double(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e7 { format!("{f:.1}") } else { f.to_string() }
}

/// A value as Java's `toString` shows it in AWS messages.
fn render(value: &Value) -> String {
    let mut out = String::new();
    render_into(value, &mut out, 0);
    out
}

fn render_into(value: &Value, out: &mut String, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => {
                let _ = write!(out, "{i}");
            }
            (None, Some(f)) => out.push_str(&java_double(f)),
            (None, None) => {
                let _ = write!(out, "{n}");
            }
        },
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render_into(item, out, depth + 1);
            }
            out.push(']');
        }
        Value::Object(obj) => {
            out.push('{');
            for (i, (k, v)) in obj.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                render_into(v, out, depth + 1);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model() -> ServiceModel {
        ServiceModel::from_json(
            r#"{"metadata": {"protocol": "query", "apiVersion": "2010-05-08"},
                "operations": {"Op": {"name": "Op", "input": {"shape": "In"}}},
                "shapes": {
                  "In": {"type": "structure", "required": ["UserName"], "members": {
                    "UserName": {"shape": "userNameType"},
                    "MaxItems": {"shape": "maxItemsType"},
                    "Weight": {"shape": "weightType"},
                    "Type": {"shape": "typeType"},
                    "Password": {"shape": "passwordType"},
                    "Tags": {"shape": "tagListType"},
                    "Names": {"shape": "nameListType"},
                    "Attrs": {"shape": "attrMap"},
                    "Data": {"shape": "blobType"},
                    "Secrets": {"shape": "secretListType"}}},
                  "secretListType": {"type": "list", "member": {"shape": "passwordType"}},
                  "userNameType": {"type": "string", "min": 1, "max": 64, "pattern": "[\\w+=,.@-]+"},
                  "maxItemsType": {"type": "integer", "min": 1, "max": 1000},
                  "weightType": {"type": "double", "min": 0, "max": 1},
                  "typeType": {"type": "string", "enum": ["String", "StringList", "SecureString"]},
                  "passwordType": {"type": "string", "min": 8, "sensitive": true},
                  "tagType": {"type": "structure", "required": ["Key", "Value"], "members": {
                    "Key": {"shape": "tagKeyType"}, "Value": {"shape": "tagValueType"}}},
                  "tagKeyType": {"type": "string", "min": 1, "max": 128},
                  "tagValueType": {"type": "string", "max": 256},
                  "tagListType": {"type": "list", "member": {"shape": "tagType"}, "max": 2},
                  "nameListType": {"type": "list", "member": {"shape": "nameType"}},
                  "nameType": {"type": "string", "min": 1, "max": 4},
                  "attrMap": {"type": "map", "key": {"shape": "tagKeyType"}, "value": {"shape": "nameType"}},
                  "blobType": {"type": "blob", "max": 2}}}"#,
        )
        .unwrap()
    }

    fn messages(input: &Value) -> Option<String> {
        validation_message(&validate(&model(), "Op", input))
    }

    #[test]
    fn missing_required_member() {
        assert_eq!(
            messages(&json!({})).unwrap(),
            "1 validation error detected: Value null at 'userName' failed to satisfy constraint: \
             Member must not be null"
        );
        assert_eq!(messages(&json!({"UserName": "bob"})), None);
    }

    #[test]
    fn several_violations_are_joined_with_semicolons() {
        assert_eq!(
            messages(&json!({"UserName": "", "MaxItems": 0})).unwrap(),
            "3 validation errors detected: \
             Value '' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; \
             Value '' at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1; \
             Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
    }

    #[test]
    fn enums_ranges_doubles_blobs_and_sensitive_values() {
        let v = validate(
            &model(),
            "Op",
            &json!({"UserName": "ok", "Type": "Secret", "Weight": 1.5,
                    "Password": "short", "Data": "AAAA", "MaxItems": 1001}),
        );
        let msgs: Vec<String> = v.iter().map(Violation::message).collect();
        assert_eq!(
            msgs,
            vec![
                "Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000",
                "Value '1.5' at 'weight' failed to satisfy constraint: Member must have value less than or equal to 1.0",
                "Value 'Secret' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [String, StringList, SecureString]",
                "Value at 'password' failed to satisfy constraint: Member must have length greater than or equal to 8",
                "Value 'AAAA' at 'data' failed to satisfy constraint: Member must have length less than or equal to 2",
            ]
        );
    }

    #[test]
    fn structures_in_lists_are_checked_member_by_member() {
        let v = validate(
            &model(),
            "Op",
            &json!({"UserName": "ok", "Tags": [{"Key": "a", "Value": "b"}, {"Key": ""}, {"Key": "c", "Value": "d"}]}),
        );
        let msgs: Vec<String> = v.iter().map(Violation::message).collect();
        assert_eq!(
            msgs,
            vec![
                "Value '[{Key=a, Value=b}, {Key=}, {Key=c, Value=d}]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 2",
                "Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1",
                "Value null at 'tags.2.member.value' failed to satisfy constraint: Member must not be null",
            ]
        );
    }

    #[test]
    fn scalar_lists_and_maps_are_summarised() {
        let v = validate(
            &model(),
            "Op",
            &json!({"UserName": "ok", "Names": ["abc", "toolong"], "Attrs": {"": "x", "k": ""}}),
        );
        let msgs: Vec<String> = v.iter().map(Violation::message).collect();
        assert_eq!(
            msgs,
            vec![
                "Value '[abc, toolong]' at 'names' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 4, Member must have length greater than or equal to 1]",
                "Value '{=x, k=}' at 'attrs' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]",
                "Value '{=x, k=}' at 'attrs' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 4, Member must have length greater than or equal to 1]",
            ]
        );
    }

    #[test]
    fn collections_of_sensitive_values_are_redacted() {
        let v = validate(&model(), "Op", &json!({"UserName": "ok", "Secrets": ["long enough", "short"]}));
        assert_eq!(
            v.iter().map(Violation::message).collect::<Vec<_>>(),
            vec![
                "Value at 'secrets' failed to satisfy constraint: Member must satisfy constraint: \
                  [Member must have length greater than or equal to 8]"
            ]
        );
    }

    #[test]
    fn lengths_count_utf16_units() {
        // U+1F600 is two UTF-16 units, so 33 of them exceed 64.
        let name = "\u{1F600}".repeat(33);
        let v = validate(&model(), "Op", &json!({"UserName": name}));
        assert!(v.iter().any(|v| v.constraint.contains("less than or equal to 64")));
    }

    #[test]
    fn unknown_operations_and_non_objects_have_no_violations() {
        assert!(validate(&model(), "Nope", &json!({})).is_empty());
        assert!(validate(&model(), "Op", &json!([])).is_empty());
        assert_eq!(validation_message(&[]), None);
    }
}
