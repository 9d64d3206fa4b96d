//! awsQuery input: dotted parameter names (`Tags.member.1.Key=k`) into the normalised value.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{DecodeError, scalar_from_text};
use crate::model::{Kind, Member, ServiceModel, Shape, Structure};
use crate::{MAX_QUERY_PARAMS, path};

/// The longest parameter name accepted.
pub const MAX_KEY_LENGTH: usize = 512;
/// The most dotted segments in a parameter name. Real names have fewer than ten.
pub const MAX_KEY_SEGMENTS: usize = 32;

/// Decode awsQuery parameters (as [`crate::detect`] returns them, without `Action` and
/// `Version`) for `operation`. When a name repeats, the first value counts.
pub fn decode_query(model: &ServiceModel, operation: &str, params: &[(String, String)]) -> Result<Value, DecodeError> {
    let op = model.operation(operation).ok_or_else(|| DecodeError::UnknownOperation(operation.to_owned()))?;
    let input = model.input_shape(op);
    if params.len() > MAX_QUERY_PARAMS {
        return Err(DecodeError::TooManyParameters);
    }
    let mut root = Node::default();
    for (name, value) in params {
        if name.len() > MAX_KEY_LENGTH || name.split('.').count() > MAX_KEY_SEGMENTS {
            return Err(DecodeError::ParameterNameTooLong);
        }
        root.insert(name, value);
    }
    let decoder = Decoder { model };
    let members = match input.map(|s| &s.kind) {
        Some(Kind::Structure(s)) => decoder.structure(s, &root, "")?,
        _ => Map::new(),
    };
    Ok(Value::Object(members))
}

/// The parameters as a tree of their dotted name segments. Its depth is bounded by
/// [`MAX_KEY_SEGMENTS`], and each decoding step consumes at least one level, so decoding a
/// recursive shape cannot recurse deeper than that.
#[derive(Default)]
struct Node<'a> {
    value: Option<&'a str>,
    children: BTreeMap<&'a str, Node<'a>>,
}

impl<'a> Node<'a> {
    fn insert(&mut self, name: &'a str, value: &'a str) {
        let mut node = self;
        for segment in name.split('.') {
            node = node.children.entry(segment).or_default();
        }
        node.value.get_or_insert(value);
    }

    /// Children named by a number, in numeric order: list elements and map entries.
    fn indexed(&self) -> Vec<&Node<'a>> {
        let mut items: Vec<(u32, &Node<'a>)> =
            self.children.iter().filter_map(|(k, n)| Some((k.parse::<u32>().ok()?, n))).collect();
        items.sort_by_key(|(i, _)| *i);
        items.into_iter().map(|(_, n)| n).collect()
    }

    /// `Name=` with nothing below it: how awsQuery sends an empty list.
    fn is_empty_marker(&self) -> bool {
        self.children.is_empty() && self.value == Some("")
    }
}

struct Decoder<'m> {
    model: &'m ServiceModel,
}

impl Decoder<'_> {
    fn structure(&self, s: &Structure, node: &Node<'_>, prefix: &str) -> Result<Map<String, Value>, DecodeError> {
        let mut out = Map::new();
        for (name, member) in &s.members {
            let Some(shape) = self.model.shape(&member.shape) else {
                continue;
            };
            let Some(child) = Self::member_node(node, name, member, shape) else {
                continue;
            };
            let member_path = path::member(prefix, name);
            if let Some(value) = self.value(member, shape, child, &member_path)? {
                out.insert(name.clone(), value);
            }
        }
        Ok(out)
    }

    /// Find a member's parameters. A flattened list is named after the member (Smithy); botocore
    /// names it after the list's member instead, so both are accepted.
    fn member_node<'n, 'a>(node: &'n Node<'a>, name: &str, member: &Member, shape: &Shape) -> Option<&'n Node<'a>> {
        let key = member.location_name.as_deref().unwrap_or(name);
        node.children.get(key).or_else(|| match &shape.kind {
            Kind::List(item) if member.flattened || shape.flattened => {
                item.location_name.as_deref().and_then(|alt| node.children.get(alt))
            }
            _ => None,
        })
    }

    fn value(&self, member: &Member, shape: &Shape, node: &Node<'_>, at: &str) -> Result<Option<Value>, DecodeError> {
        let flattened = member.flattened || shape.flattened;
        match &shape.kind {
            Kind::Structure(s) => {
                if node.children.is_empty() || s.document {
                    return Ok(None);
                }
                Ok(Some(Value::Object(self.structure(s, node, at)?)))
            }
            Kind::List(item) => {
                let items = if flattened {
                    Some(node)
                } else {
                    let name = item.location_name.as_deref().unwrap_or("member");
                    node.children.get(name)
                };
                let Some(items) = items.filter(|n| !n.children.is_empty()) else {
                    return Ok(node.is_empty_marker().then(|| Value::Array(Vec::new())));
                };
                let Some(item_shape) = self.model.shape(&item.shape) else {
                    return Ok(None);
                };
                let mut out = Vec::new();
                for child in items.indexed() {
                    let item_path = path::element(at, out.len());
                    if let Some(v) = self.value(item, item_shape, child, &item_path)? {
                        out.push(v);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            Kind::Map { key, value } => {
                let entries = if flattened { Some(node) } else { node.children.get("entry") };
                let Some(entries) = entries.filter(|n| !n.children.is_empty()) else {
                    return Ok(node.is_empty_marker().then(|| Value::Object(Map::new())));
                };
                let Some(value_shape) = self.model.shape(&value.shape) else {
                    return Ok(None);
                };
                let key_name = key.location_name.as_deref().unwrap_or("key");
                let value_name = value.location_name.as_deref().unwrap_or("value");
                let mut out = Map::new();
                for entry in entries.indexed() {
                    let Some(k) = entry.children.get(key_name).and_then(|n| n.value) else {
                        continue;
                    };
                    let Some(v) = entry.children.get(value_name) else {
                        continue;
                    };
                    if out.contains_key(k) {
                        continue;
                    }
                    let entry_path = path::entry(at, k);
                    if let Some(decoded) = self.value(value, value_shape, v, &entry_path)? {
                        out.insert(k.to_owned(), decoded);
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            scalar => node.value.map(|text| scalar_from_text(scalar, text, at)).transpose(),
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
                "operations": {"Op": {"name": "Op", "input": {"shape": "In"}},
                               "Bare": {"name": "Bare"}},
                "shapes": {
                  "In": {"type": "structure", "members": {
                    "Name": {"shape": "S"},
                    "Count": {"shape": "I"},
                    "Tags": {"shape": "TagList"},
                    "Attrs": {"shape": "AttrMap"},
                    "Self": {"shape": "In"}}},
                  "S": {"type": "string"},
                  "I": {"type": "integer"},
                  "Tag": {"type": "structure", "members": {"Key": {"shape": "S"}, "Value": {"shape": "S"}}},
                  "TagList": {"type": "list", "member": {"shape": "Tag"}},
                  "AttrMap": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "S"}}}}"#,
        )
        .unwrap()
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn lists_are_ordered_by_index_not_by_text() {
        let p = params(&[
            ("Tags.member.10.Key", "ten"),
            ("Tags.member.2.Key", "two"),
            ("Tags.member.1.Key", "one"),
            ("Tags.member.x.Key", "ignored"),
        ]);
        let v = decode_query(&model(), "Op", &p).unwrap();
        assert_eq!(v, json!({"Tags": [{"Key": "one"}, {"Key": "two"}, {"Key": "ten"}]}));
    }

    #[test]
    fn first_value_wins_and_unknown_names_are_ignored() {
        let p = params(&[("Name", "a"), ("Name", "b"), ("Nope", "x"), ("Name.x", "y")]);
        assert_eq!(decode_query(&model(), "Op", &p).unwrap(), json!({"Name": "a"}));
    }

    #[test]
    fn map_entries_need_key_and_value_and_first_key_wins() {
        let p = params(&[
            ("Attrs.entry.1.key", "a"),
            ("Attrs.entry.1.value", "1"),
            ("Attrs.entry.2.key", "a"),
            ("Attrs.entry.2.value", "2"),
            ("Attrs.entry.3.key", "b"),
            ("Attrs.entry.4.value", "orphan"),
        ]);
        assert_eq!(decode_query(&model(), "Op", &p).unwrap(), json!({"Attrs": {"a": "1"}}));
    }

    #[test]
    fn bad_scalars_name_the_aws_path() {
        let p = params(&[("Self.Count", "many")]);
        assert_eq!(
            decode_query(&model(), "Op", &p),
            Err(DecodeError::InvalidValue { path: "self.count".into(), expected: "integer" })
        );
    }

    #[test]
    fn limits_and_unknown_operations() {
        let m = model();
        assert_eq!(decode_query(&m, "Nope", &[]), Err(DecodeError::UnknownOperation("Nope".into())));
        assert_eq!(decode_query(&m, "Bare", &params(&[("A", "1")])), Ok(json!({})));
        let deep = vec!["Self"; MAX_KEY_SEGMENTS + 1].join(".");
        assert_eq!(decode_query(&m, "Op", &params(&[(&deep, "x")])), Err(DecodeError::ParameterNameTooLong));
        let long = "N".repeat(MAX_KEY_LENGTH + 1);
        assert_eq!(decode_query(&m, "Op", &params(&[(&long, "x")])), Err(DecodeError::ParameterNameTooLong));
        let many = vec![("Name".to_owned(), "x".to_owned()); MAX_QUERY_PARAMS + 1];
        assert_eq!(decode_query(&m, "Op", &many), Err(DecodeError::TooManyParameters));
    }

    #[test]
    fn recursion_follows_the_parameters() {
        let mut name = vec!["Self"; MAX_KEY_SEGMENTS - 1].join(".");
        name.push_str(".Name");
        let v = decode_query(&model(), "Op", &params(&[(&name, "deep")])).unwrap();
        let mut cur = &v;
        for _ in 0..MAX_KEY_SEGMENTS - 1 {
            cur = &cur["Self"];
        }
        assert_eq!(cur, &json!({"Name": "deep"}));
    }
}
