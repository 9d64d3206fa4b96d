//! awsJson input: the JSON body, checked against the model and normalised.

use serde_json::{Map, Value};

use super::{DecodeError, invalid, scalar_from_json};
use crate::model::{Kind, ServiceModel, Shape, Structure};
use crate::path;

/// Decode an awsJson request body for `operation`. An empty body is an empty input.
///
/// Nesting is bounded by `serde_json`'s parser (128 levels), and decoding only follows the
/// parsed value, so a recursive shape cannot recurse deeper than that.
pub fn decode_json(model: &ServiceModel, operation: &str, body: &[u8]) -> Result<Value, DecodeError> {
    let op = model.operation(operation).ok_or_else(|| DecodeError::UnknownOperation(operation.to_owned()))?;
    let input = model.input_shape(op);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let parsed: Value = serde_json::from_slice(body).map_err(|e| DecodeError::InvalidJson(e.to_string()))?;
    let members = match (&parsed, input.map(|s| &s.kind)) {
        (Value::Object(obj), Some(Kind::Structure(s))) => structure(model, s, obj, "")?,
        (Value::Object(_) | Value::Null, _) => Map::new(),
        _ => return Err(invalid("", "structure")),
    };
    Ok(Value::Object(members))
}

pub(crate) fn structure(
    model: &ServiceModel,
    s: &Structure,
    obj: &Map<String, Value>,
    prefix: &str,
) -> Result<Map<String, Value>, DecodeError> {
    let mut out = Map::new();
    for (name, member) in &s.members {
        let key = member.location_name.as_deref().unwrap_or(name);
        let (Some(raw), Some(shape)) = (obj.get(key), model.shape(&member.shape)) else {
            continue;
        };
        if raw.is_null() {
            continue;
        }
        let at = path::member(prefix, name);
        out.insert(name.clone(), value(model, shape, raw, &at)?);
    }
    Ok(out)
}

fn value(model: &ServiceModel, shape: &Shape, raw: &Value, at: &str) -> Result<Value, DecodeError> {
    match (&shape.kind, raw) {
        (Kind::Structure(s), _) if s.document => Ok(raw.clone()),
        (Kind::Structure(s), Value::Object(obj)) => Ok(Value::Object(structure(model, s, obj, at)?)),
        (Kind::List(item), Value::Array(items)) => {
            let Some(item_shape) = model.shape(&item.shape) else {
                return Ok(Value::Array(Vec::new()));
            };
            let mut out = Vec::with_capacity(items.len());
            for raw_item in items.iter().filter(|v| !v.is_null()) {
                let item_path = path::element(at, out.len());
                out.push(value(model, item_shape, raw_item, &item_path)?);
            }
            Ok(Value::Array(out))
        }
        (Kind::Map { value: entry, .. }, Value::Object(obj)) => {
            let Some(entry_shape) = model.shape(&entry.shape) else {
                return Ok(Value::Object(Map::new()));
            };
            let mut out = Map::new();
            for (k, v) in obj.iter().filter(|(_, v)| !v.is_null()) {
                let entry_path = path::entry(at, k);
                out.insert(k.clone(), value(model, entry_shape, v, &entry_path)?);
            }
            Ok(Value::Object(out))
        }
        (Kind::Structure(_) | Kind::List(_) | Kind::Map { .. }, _) => Err(invalid(at, super::kind_name(&shape.kind))),
        (scalar, _) => scalar_from_json(scalar, raw, at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model() -> ServiceModel {
        ServiceModel::from_json(
            r#"{"metadata": {"protocol": "json", "jsonVersion": "1.1", "targetPrefix": "T"},
                "operations": {"Op": {"name": "Op", "input": {"shape": "In"}},
                               "Bare": {"name": "Bare"}},
                "shapes": {
                  "In": {"type": "structure", "members": {
                    "Name": {"shape": "S"},
                    "Renamed": {"shape": "S", "locationName": "wire"},
                    "List": {"shape": "L"},
                    "Map": {"shape": "M"},
                    "Doc": {"shape": "D"},
                    "Self": {"shape": "In"}}},
                  "S": {"type": "string"},
                  "L": {"type": "list", "member": {"shape": "S"}},
                  "M": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "L"}},
                  "D": {"type": "structure", "members": {}, "document": true}}}"#,
        )
        .unwrap()
    }

    #[test]
    fn nulls_and_unknown_members_are_dropped_and_wire_names_mapped() {
        let body = br#"{"Name": null, "wire": "w", "Renamed": "ignored", "Other": 1,
                        "List": ["a", null, "b"], "Map": {"k": ["v"], "n": null},
                        "Doc": {"any": [1, {"thing": null}]}}"#;
        assert_eq!(
            decode_json(&model(), "Op", body).unwrap(),
            json!({"Renamed": "w", "List": ["a", "b"], "Map": {"k": ["v"]},
                   "Doc": {"any": [1, {"thing": null}]}})
        );
    }

    #[test]
    fn doubles_decode_exactly() {
        let m = ServiceModel::from_json(
            r#"{"metadata": {"protocol": "json"},
                "operations": {"Op": {"name": "Op", "input": {"shape": "In"}}},
                "shapes": {"In": {"type": "structure", "members": {"D": {"shape": "D"}}},
                           "D": {"type": "double"}}}"#,
        )
        .unwrap();
        let v = decode_json(&m, "Op", br#"{"D": 123456789.12345679}"#).unwrap();
        assert_eq!(v["D"].as_f64(), Some(123_456_789.123_456_79));
    }

    #[test]
    fn empty_body_is_empty_input() {
        assert_eq!(decode_json(&model(), "Op", b"").unwrap(), json!({}));
        assert_eq!(decode_json(&model(), "Op", b" \n").unwrap(), json!({}));
        assert_eq!(decode_json(&model(), "Bare", b"{\"x\": 1}").unwrap(), json!({}));
    }

    #[test]
    fn wrong_shapes_are_errors_with_paths() {
        let m = model();
        assert_eq!(
            decode_json(&m, "Op", br#"{"Self": {"List": ["a", 3]}}"#),
            Err(DecodeError::InvalidValue { path: "self.list.2.member".into(), expected: "string" })
        );
        assert_eq!(
            decode_json(&m, "Op", br#"{"Map": []}"#),
            Err(DecodeError::InvalidValue { path: "map".into(), expected: "map" })
        );
        assert_eq!(
            decode_json(&m, "Op", b"[1]"),
            Err(DecodeError::InvalidValue { path: String::new(), expected: "structure" })
        );
        assert!(matches!(decode_json(&m, "Op", b"{"), Err(DecodeError::InvalidJson(_))));
        assert_eq!(decode_json(&m, "Nope", b"{}"), Err(DecodeError::UnknownOperation("Nope".into())));
    }

    #[test]
    fn nesting_beyond_the_parser_limit_is_an_error_not_a_crash() {
        let body = format!("{}{}", r#"{"Self":"#.repeat(10_000), "}".repeat(10_000));
        assert!(matches!(decode_json(&model(), "Op", body.as_bytes()), Err(DecodeError::InvalidJson(_))));
    }
}
