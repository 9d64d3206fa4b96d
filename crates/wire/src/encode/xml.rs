//! awsQuery responses: XML in the layout AWS services emit (two-space indentation, no XML
//! declaration, a trailing newline).

use serde_json::{Map, Value};

use super::{ErrorBody, MAX_DEPTH, is_message_member};
use crate::model::{Kind, Member, ServiceModel, Shape, Structure, TimestampFormat};
use crate::timestamp;

/// Encode an awsQuery response:
/// `<OpResponse xmlns="…"><OpResult>…</OpResult><ResponseMetadata><RequestId>…</RequestId>
/// </ResponseMetadata></OpResponse>`. An operation without output (or one the model does not
/// know) has no result element.
pub fn encode_query(model: &ServiceModel, operation: &str, output: &Value, request_id: &str) -> String {
    let mut w = Writer::default();
    let root = format!("{operation}Response");
    w.open(&root, &namespace(model));
    let op = model.operation(operation);
    let result = op.and_then(|op| Some((op, model.shape(op.output_shape()?)?)));
    if let Some((op, Shape { kind: Kind::Structure(s), .. })) = result {
        let empty = Map::new();
        let obj = output.as_object().unwrap_or(&empty);
        let enc = Encoder { model };
        enc.structure_element(&mut w, &op.result_wrapper(), Vec::new(), s, obj, 0);
    }
    w.open("ResponseMetadata", &[]);
    w.leaf("RequestId", &[], request_id);
    w.close("ResponseMetadata");
    w.close(&root);
    w.out
}

/// Encode an awsQuery error:
/// `<ErrorResponse xmlns="…"><Error><Type>Sender</Type><Code>…</Code><Message>…</Message>
/// </Error><RequestId>…</RequestId></ErrorResponse>`, with the error shape's other members after
/// the message. A modelled error's code is its wire code (`error.code`) even when
/// [`ErrorBody::code`] names the shape.
pub fn encode_query_error(model: &ServiceModel, e: &ErrorBody<'_>) -> String {
    let found = model.error(e.code);
    let mut w = Writer::default();
    w.open("ErrorResponse", &namespace(model));
    w.open("Error", &[]);
    w.leaf("Type", &[], e.fault());
    w.leaf("Code", &[], found.map_or(e.code, |f| f.code));
    if !e.message.is_empty() {
        w.leaf("Message", &[], e.message);
    }
    let shape = found.and_then(|f| model.shape(f.shape));
    if let (Some(Shape { kind: Kind::Structure(s), .. }), Some(Value::Object(fields))) = (shape, e.fields) {
        let others: Map<String, Value> =
            fields.iter().filter(|(k, _)| !is_message_member(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        Encoder { model }.members(&mut w, s, &others, 1);
    }
    w.close("Error");
    w.leaf("RequestId", &[], e.request_id);
    w.close("ErrorResponse");
    w.out
}

fn namespace(model: &ServiceModel) -> Vec<(String, String)> {
    model.metadata().xml_namespace.iter().map(|ns| ("xmlns".to_owned(), ns.clone())).collect()
}

type Attrs = Vec<(String, String)>;

fn namespace_attr(member: &Member) -> Attrs {
    member.xml_namespace.iter().map(crate::model::XmlNamespace::attribute).collect()
}

struct Encoder<'m> {
    model: &'m ServiceModel,
}

impl Encoder<'_> {
    fn structure_element(
        &self,
        w: &mut Writer,
        name: &str,
        mut attrs: Attrs,
        s: &Structure,
        obj: &Map<String, Value>,
        depth: usize,
    ) {
        for (member_name, member) in s.members.iter().filter(|(_, m)| m.xml_attribute) {
            if let (Some(v), Some(shape)) = (obj.get(member_name), self.model.shape(&member.shape))
                && let Some(text) = scalar_text(shape, member, v)
            {
                let attr = member.location_name.as_deref().unwrap_or(member_name);
                attrs.push((attr.to_owned(), text));
            }
        }
        let has_children = s.members.iter().any(|(n, m)| !m.xml_attribute && obj.get(n).is_some_and(|v| !v.is_null()));
        if has_children {
            w.open(name, &attrs);
            self.members(w, s, obj, depth + 1);
            w.close(name);
        } else {
            w.empty(name, &attrs);
        }
    }

    fn members(&self, w: &mut Writer, s: &Structure, obj: &Map<String, Value>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        for (member_name, member) in &s.members {
            if member.xml_attribute {
                continue;
            }
            let (Some(value), Some(shape)) = (obj.get(member_name), self.model.shape(&member.shape)) else {
                continue;
            };
            if value.is_null() {
                continue;
            }
            let name = member.location_name.as_deref().unwrap_or(member_name);
            let flattened = member.flattened || shape.flattened;
            match (&shape.kind, value, flattened) {
                (Kind::List(item), Value::Array(items), true) => {
                    let Some(item_shape) = self.model.shape(&item.shape) else {
                        continue;
                    };
                    let attrs =
                        if member.xml_namespace.is_some() { namespace_attr(member) } else { namespace_attr(item) };
                    for v in items.iter().filter(|v| !v.is_null()) {
                        self.element(w, name, attrs.clone(), item_shape, item, v, depth);
                    }
                }
                (Kind::Map { key, value: val }, Value::Object(entries), true) => {
                    for (k, v) in entries.iter().filter(|(_, v)| !v.is_null()) {
                        w.open(name, &namespace_attr(member));
                        self.entry(w, key, val, k, v, depth);
                        w.close(name);
                    }
                }
                _ => self.element(w, name, namespace_attr(member), shape, member, value, depth),
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn element(
        &self,
        w: &mut Writer,
        name: &str,
        attrs: Attrs,
        shape: &Shape,
        member: &Member,
        value: &Value,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        match (&shape.kind, value) {
            (Kind::Structure(s), Value::Object(obj)) => {
                if s.document {
                    return;
                }
                self.structure_element(w, name, attrs, s, obj, depth);
            }
            (Kind::List(item), Value::Array(items)) => {
                let Some(item_shape) = self.model.shape(&item.shape) else {
                    return;
                };
                let items: Vec<&Value> = items.iter().filter(|v| !v.is_null()).collect();
                if items.is_empty() {
                    w.empty(name, &attrs);
                    return;
                }
                let item_name = item.location_name.as_deref().unwrap_or("member");
                w.open(name, &attrs);
                for v in items {
                    self.element(w, item_name, namespace_attr(item), item_shape, item, v, depth + 1);
                }
                w.close(name);
            }
            (Kind::Map { key, value: val }, Value::Object(entries)) => {
                let entries: Vec<(&String, &Value)> = entries.iter().filter(|(_, v)| !v.is_null()).collect();
                if entries.is_empty() {
                    w.empty(name, &attrs);
                    return;
                }
                w.open(name, &attrs);
                for (k, v) in entries {
                    w.open("entry", &[]);
                    self.entry(w, key, val, k, v, depth + 1);
                    w.close("entry");
                }
                w.close(name);
            }
            (Kind::Structure(_) | Kind::List(_) | Kind::Map { .. }, _) => {}
            _ => {
                if let Some(text) = scalar_text(shape, member, value) {
                    w.leaf(name, &attrs, &text);
                }
            }
        }
    }

    fn entry(&self, w: &mut Writer, key: &Member, val: &Member, k: &str, v: &Value, depth: usize) {
        w.leaf(key.location_name.as_deref().unwrap_or("key"), &namespace_attr(key), k);
        if let Some(val_shape) = self.model.shape(&val.shape) {
            let name = val.location_name.as_deref().unwrap_or("value");
            self.element(w, name, namespace_attr(val), val_shape, val, v, depth + 1);
        }
    }
}

/// The text of a scalar: booleans lower-case, timestamps ISO 8601 unless the model says
/// otherwise, blobs as their (already base64) normalised string.
fn scalar_text(shape: &Shape, member: &Member, value: &Value) -> Option<String> {
    if let Kind::Timestamp = shape.kind {
        let format = member.timestamp_format.or(shape.timestamp_format).unwrap_or(TimestampFormat::Iso8601);
        return timestamp::format(value, format).map(|v| match v {
            Value::String(s) => s,
            other => other.to_string(),
        });
    }
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

#[derive(Default)]
struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn start(&mut self, name: &str, attrs: &[(String, String)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_into(&mut self.out, v);
            self.out.push('"');
        }
    }

    fn open(&mut self, name: &str, attrs: &[(String, String)]) {
        self.start(name, attrs);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    fn leaf(&mut self, name: &str, attrs: &[(String, String)], text: &str) {
        self.start(name, attrs);
        self.out.push('>');
        escape_into(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    fn empty(&mut self, name: &str, attrs: &[(String, String)]) {
        self.start(name, attrs);
        self.out.push_str("/>\n");
    }
}

/// Escape text and attribute values as AWS does: `&`, `<`, `>` and `"` as entities, and `\r`
/// as `&#xD;` so that XML line-end normalisation does not turn it into `\n`. Characters that
/// XML 1.0 cannot carry at all become U+FFFD, which keeps the document parseable.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'.. => {
                out.push(c);
            }
            _ => out.push('\u{FFFD}'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escaping_matches_aws() {
        let mut out = String::new();
        escape_into(&mut out, "a&b<c>d\"e'f\r\n\tg\u{0}h\u{FFFE}");
        assert_eq!(out, "a&amp;b&lt;c&gt;d&quot;e'f&#xD;\n\tg\u{FFFD}h\u{FFFD}");
    }

    fn model() -> ServiceModel {
        ServiceModel::from_json(
            r#"{"metadata": {"protocol": "query", "apiVersion": "2010-05-08",
                             "xmlNamespace": "https://iam.amazonaws.com/doc/2010-05-08/"},
                "operations": {
                  "ListThings": {"name": "ListThings", "output": {"shape": "Out", "resultWrapper": "ListThingsResult"}},
                  "DeleteThing": {"name": "DeleteThing"}},
                "shapes": {
                  "Out": {"type": "structure", "members": {
                    "Things": {"shape": "ThingList"},
                    "Attrs": {"shape": "AttrMap"},
                    "IsTruncated": {"shape": "B"},
                    "When": {"shape": "T"},
                    "Id": {"shape": "S", "xmlAttribute": true, "locationName": "id"}}},
                  "Thing": {"type": "structure", "members": {"Name": {"shape": "S"}}},
                  "ThingList": {"type": "list", "member": {"shape": "Thing"}},
                  "AttrMap": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "S"}},
                  "S": {"type": "string"}, "B": {"type": "boolean"}, "T": {"type": "timestamp"},
                  "LimitExceededException": {"type": "structure", "exception": true,
                    "members": {"message": {"shape": "S"}, "Limit": {"shape": "S"}},
                    "error": {"code": "LimitExceeded", "httpStatusCode": 409, "senderFault": true}}}}"#,
        )
        .unwrap()
    }

    #[test]
    fn lists_maps_booleans_timestamps_and_attributes() {
        let out = encode_query(
            &model(),
            "ListThings",
            &json!({"Things": [{"Name": "a"}, {}], "Attrs": {"k": "v"}, "IsTruncated": false,
                    "When": 1_398_796_238, "Id": "x\"y"}),
            "rid",
        );
        assert_eq!(
            out,
            "<ListThingsResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n\
             \x20 <ListThingsResult id=\"x&quot;y\">\n\
             \x20   <Things>\n\
             \x20     <member>\n\
             \x20       <Name>a</Name>\n\
             \x20     </member>\n\
             \x20     <member/>\n\
             \x20   </Things>\n\
             \x20   <Attrs>\n\
             \x20     <entry>\n\
             \x20       <key>k</key>\n\
             \x20       <value>v</value>\n\
             \x20     </entry>\n\
             \x20   </Attrs>\n\
             \x20   <IsTruncated>false</IsTruncated>\n\
             \x20   <When>2014-04-29T18:30:38Z</When>\n\
             \x20 </ListThingsResult>\n\
             \x20 <ResponseMetadata>\n\
             \x20   <RequestId>rid</RequestId>\n\
             \x20 </ResponseMetadata>\n\
             </ListThingsResponse>\n"
        );
    }

    #[test]
    fn empty_collections_and_results_are_self_closed() {
        let out = encode_query(&model(), "ListThings", &json!({"Things": []}), "r");
        assert!(out.contains("  <ListThingsResult>\n    <Things/>\n  </ListThingsResult>\n"), "{out}");
        let out = encode_query(&model(), "ListThings", &json!({}), "r");
        assert!(out.contains("  <ListThingsResult/>\n"), "{out}");
    }

    #[test]
    fn operations_without_output_have_only_metadata() {
        let out = encode_query(&model(), "DeleteThing", &json!({}), "r");
        assert_eq!(
            out,
            "<DeleteThingResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n\
             \x20 <ResponseMetadata>\n\
             \x20   <RequestId>r</RequestId>\n\
             \x20 </ResponseMetadata>\n\
             </DeleteThingResponse>\n"
        );
        assert_eq!(encode_query(&model(), "Nope", &json!({}), "r"), out.replace("DeleteThing", "Nope"));
    }

    #[test]
    fn modelled_errors_use_the_wire_code_and_carry_their_fields() {
        let fields = json!({"Limit": "5", "message": "ignored"});
        let body = ErrorBody::new("LimitExceededException", "Too many", true, "r").with_fields(&fields);
        let out = encode_query_error(&model(), &body);
        assert_eq!(
            out,
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n\
             \x20 <Error>\n\
             \x20   <Type>Sender</Type>\n\
             \x20   <Code>LimitExceeded</Code>\n\
             \x20   <Message>Too many</Message>\n\
             \x20   <Limit>5</Limit>\n\
             \x20 </Error>\n\
             \x20 <RequestId>r</RequestId>\n\
             </ErrorResponse>\n"
        );
        let unmodelled = encode_query_error(&model(), &ErrorBody::new("InternalFailure", "", false, "r"));
        assert!(
            unmodelled.contains("<Type>Receiver</Type>\n    <Code>InternalFailure</Code>\n  </Error>"),
            "{unmodelled}"
        );
    }
}
