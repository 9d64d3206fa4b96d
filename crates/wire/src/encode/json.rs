//! awsJson responses and errors.

use serde_json::{Map, Value};

use super::{ErrorBody, MAX_DEPTH, is_message_member};
use crate::model::{Kind, Member, ServiceModel, Shape, Structure, TimestampFormat};
use crate::timestamp;

/// Encode an awsJson response body. Timestamps are epoch seconds unless the model gives another
/// `timestampFormat`; an operation without output (or one the model does not know) answers `{}`.
pub fn encode_json(model: &ServiceModel, operation: &str, output: &Value) -> Vec<u8> {
    let shape = model.operation(operation).and_then(|op| model.shape(op.output_shape()?));
    let body = match (shape, output) {
        (Some(Shape { kind: Kind::Structure(s), .. }), Value::Object(obj)) => structure(model, s, obj, 0),
        _ => Map::new(),
    };
    Value::Object(body).to_string().into_bytes()
}

/// An awsJson error response: the headers to add and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// `x-amzn-ErrorType`, and for `awsQueryCompatible` services `x-amzn-query-error`.
    pub headers: Vec<(String, String)>,
    /// `{"__type": …, "message": …}` and the error shape's other members.
    pub body: Vec<u8>,
}

/// Encode an awsJson error.
///
/// `__type` is the error's shape name. For an `awsQueryCompatible` service (SQS) it is the
/// shape's full id, `com.amazonaws.<endpointPrefix>#Shape`, and the legacy awsQuery code travels
/// in `x-amzn-query-error: Code;Sender` — from `query_error_code`, or else from the shape's
/// `error.code` (SQS's model no longer carries those codes, so its service passes them in).
/// The message uses the name of the shape's message member (`message` or `Message`), and
/// `message` for unmodelled errors.
pub fn encode_json_error(model: &ServiceModel, e: &ErrorBody<'_>, query_error_code: Option<&str>) -> JsonError {
    let metadata = model.metadata();
    let found = model.error(e.code);
    let shape_name = found.map_or(e.code, |f| f.shape);
    let error_type = match (&metadata.endpoint_prefix, found) {
        (Some(prefix), Some(_)) if metadata.aws_query_compatible => {
            format!("com.amazonaws.{prefix}#{shape_name}")
        }
        _ => shape_name.to_owned(),
    };
    let structure_shape = found.and_then(|f| model.shape(f.shape)).and_then(|s| match &s.kind {
        Kind::Structure(st) => Some(st),
        _ => None,
    });
    let message_key = structure_shape
        .and_then(|s| s.members.iter().find(|(n, _)| is_message_member(n)))
        .map_or("message", |(n, m)| m.location_name.as_deref().unwrap_or(n));

    let mut body = Map::new();
    body.insert("__type".to_owned(), Value::String(error_type));
    if !e.message.is_empty() {
        body.insert(message_key.to_owned(), Value::String(e.message.to_owned()));
    }
    if let (Some(s), Some(Value::Object(fields))) = (structure_shape, e.fields) {
        for (k, v) in structure(model, s, fields, 0) {
            if !is_message_member(&k) {
                body.insert(k, v);
            }
        }
    }

    let mut headers = vec![("x-amzn-ErrorType".to_owned(), shape_name.to_owned())];
    if metadata.aws_query_compatible {
        let legacy = query_error_code.or_else(|| found.filter(|f| f.code != f.shape).map(|f| f.code));
        if let Some(code) = legacy {
            headers.push(("x-amzn-query-error".to_owned(), format!("{code};{}", e.fault())));
        }
    }
    JsonError { headers, body: Value::Object(body).to_string().into_bytes() }
}

pub(crate) fn structure(
    model: &ServiceModel,
    s: &Structure,
    obj: &Map<String, Value>,
    depth: usize,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, member) in &s.members {
        let (Some(v), Some(shape)) = (obj.get(name), model.shape(&member.shape)) else {
            continue;
        };
        if v.is_null() {
            continue;
        }
        if let Some(encoded) = value(model, member, shape, v, depth + 1) {
            let key = member.location_name.as_deref().unwrap_or(name);
            out.insert(key.to_owned(), encoded);
        }
    }
    out
}

fn value(model: &ServiceModel, member: &Member, shape: &Shape, v: &Value, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    match (&shape.kind, v) {
        (Kind::Structure(s), _) if s.document => Some(v.clone()),
        (Kind::Structure(s), Value::Object(obj)) => Some(Value::Object(structure(model, s, obj, depth))),
        (Kind::List(item), Value::Array(items)) => {
            let item_shape = model.shape(&item.shape)?;
            Some(Value::Array(
                items
                    .iter()
                    .filter(|i| !i.is_null())
                    .filter_map(|i| value(model, item, item_shape, i, depth + 1))
                    .collect(),
            ))
        }
        (Kind::Map { value: entry, .. }, Value::Object(obj)) => {
            let entry_shape = model.shape(&entry.shape)?;
            Some(Value::Object(
                obj.iter()
                    .filter(|(_, e)| !e.is_null())
                    .filter_map(|(k, e)| Some((k.clone(), value(model, entry, entry_shape, e, depth + 1)?)))
                    .collect(),
            ))
        }
        (Kind::Structure(_) | Kind::List(_) | Kind::Map { .. }, _) => None,
        (Kind::Timestamp, _) => {
            let format = member.timestamp_format.or(shape.timestamp_format).unwrap_or(TimestampFormat::UnixTimestamp);
            timestamp::format(v, format)
        }
        _ => Some(v.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model(extra_metadata: &str) -> ServiceModel {
        ServiceModel::from_json(&format!(
            r#"{{"metadata": {{"protocol": "json", "jsonVersion": "1.0", "targetPrefix": "AmazonSQS",
                             "endpointPrefix": "sqs" {extra_metadata}}},
                "operations": {{"Op": {{"name": "Op", "output": {{"shape": "Out"}}}},
                               "Bare": {{"name": "Bare"}}}},
                "shapes": {{
                  "Out": {{"type": "structure", "members": {{
                    "When": {{"shape": "T"}}, "Iso": {{"shape": "T", "timestampFormat": "iso8601"}},
                    "Renamed": {{"shape": "S", "locationName": "wire"}},
                    "List": {{"shape": "L"}}}}}},
                  "L": {{"type": "list", "member": {{"shape": "T"}}}},
                  "S": {{"type": "string"}}, "T": {{"type": "timestamp"}},
                  "QueueDoesNotExist": {{"type": "structure", "exception": true,
                    "members": {{"message": {{"shape": "S"}}}}}},
                  "Coded": {{"type": "structure", "exception": true,
                    "members": {{"Message": {{"shape": "S"}}, "Extra": {{"shape": "S"}}}},
                    "error": {{"code": "Legacy.Code", "senderFault": true}}}}}}}}"#
        ))
        .unwrap()
    }

    fn body(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn outputs_follow_the_model() {
        let out = encode_json(
            &model(""),
            "Op",
            &json!({"When": 1.5, "Iso": 0, "Renamed": "r", "List": [1, null, 2], "Unknown": 1}),
        );
        assert_eq!(body(&out), json!({"When": 1.5, "Iso": "1970-01-01T00:00:00Z", "wire": "r", "List": [1, 2]}));
        assert_eq!(encode_json(&model(""), "Bare", &json!({"x": 1})), b"{}");
        assert_eq!(encode_json(&model(""), "Nope", &json!({"When": 1})), b"{}");
    }

    #[test]
    fn plain_json_errors() {
        let e = encode_json_error(&model(""), &ErrorBody::new("QueueDoesNotExist", "gone", true, "r"), None);
        assert_eq!(e.headers, vec![("x-amzn-ErrorType".to_owned(), "QueueDoesNotExist".to_owned())]);
        assert_eq!(body(&e.body), json!({"__type": "QueueDoesNotExist", "message": "gone"}));
        let unmodelled = encode_json_error(&model(""), &ErrorBody::new("ThrottlingException", "", false, "r"), None);
        assert_eq!(body(&unmodelled.body), json!({"__type": "ThrottlingException"}));
    }

    #[test]
    fn query_compatible_errors_carry_the_legacy_code() {
        let m = model(r#", "awsQueryCompatible": {}"#);
        let e = encode_json_error(
            &m,
            &ErrorBody::new("QueueDoesNotExist", "The specified queue does not exist.", true, "r"),
            Some("AWS.SimpleQueueService.NonExistentQueue"),
        );
        assert_eq!(
            e.headers,
            vec![
                ("x-amzn-ErrorType".to_owned(), "QueueDoesNotExist".to_owned()),
                ("x-amzn-query-error".to_owned(), "AWS.SimpleQueueService.NonExistentQueue;Sender".to_owned()),
            ]
        );
        assert_eq!(
            String::from_utf8(e.body).unwrap(),
            r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#
        );
        // The model's own `error.code`, found by code or by shape name; fields after the message.
        let fields = json!({"Extra": "x", "Message": "dropped"});
        let coded = encode_json_error(&m, &ErrorBody::new("Legacy.Code", "m", false, "r").with_fields(&fields), None);
        assert_eq!(coded.headers[1].1, "Legacy.Code;Receiver");
        assert_eq!(body(&coded.body), json!({"__type": "com.amazonaws.sqs#Coded", "Message": "m", "Extra": "x"}));
        // No legacy code known: no header.
        let plain = encode_json_error(&m, &ErrorBody::new("QueueDoesNotExist", "x", true, "r"), None);
        assert_eq!(plain.headers.len(), 1);
    }
}
