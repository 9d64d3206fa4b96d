//! restJson: the operation is found by method and path; input members travel in path labels,
//! the query string and headers, the rest in a JSON body, or one member (`payload`) is the
//! whole body. Output members may be headers or the status code, as the model binds them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use crate::decode::{DecodeError, invalid, json, scalar_from_text};
use crate::encode::json as encode_json;
use crate::model::{Kind, Location, ServiceModel, Shape, Structure};
use crate::path;

/// Query parameters read at most (more is refused as [`DecodeError::TooManyParameters`]).
const MAX_QUERY_PARAMS: usize = crate::MAX_QUERY_PARAMS;

/// The operation a request's method and path name, with its path labels, percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestMatch {
    /// The operation's name.
    pub operation: String,
    /// `(label, value)` for each `{label}` of the template.
    pub labels: Vec<(String, String)>,
}

/// The operation whose method and path template match; the one with the most literal segments
/// wins when several do (`/functions/{Name}/policy` over `/functions/{Name+}`).
pub fn match_rest(model: &ServiceModel, method: &str, path: &str) -> Option<RestMatch> {
    let segments: Vec<&str> = trim(path).split('/').collect();
    let mut best: Option<(usize, RestMatch)> = None;
    for name in model.operation_names() {
        let Some(http) = model.operation(name).and_then(|op| op.http()) else { continue };
        if !http.method.eq_ignore_ascii_case(method) {
            continue;
        }
        let Some((literals, labels)) = match_template(trim(&http.request_uri), &segments) else { continue };
        if best.as_ref().is_none_or(|(score, _)| literals > *score) {
            best = Some((literals, RestMatch { operation: name.to_owned(), labels }));
        }
    }
    best.map(|(_, m)| m)
}

fn trim(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() { "/" } else { trimmed }
}

fn decode_segment(raw: &str) -> Option<String> {
    percent_encoding::percent_decode_str(raw).decode_utf8().ok().map(std::borrow::Cow::into_owned)
}

/// The number of literal segments and the labels, when `template` matches `segments`.
fn match_template(template: &str, segments: &[&str]) -> Option<(usize, Vec<(String, String)>)> {
    let parts: Vec<&str> = template.split('/').collect();
    let mut labels = Vec::new();
    let mut literals = 0;
    for (i, part) in parts.iter().enumerate() {
        if let Some(label) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if let Some(greedy) = label.strip_suffix('+') {
                let rest = segments.get(i..).filter(|r| !r.is_empty())?.join("/");
                labels.push((greedy.to_owned(), decode_segment(&rest)?));
                return (i + 1 == parts.len()).then_some((literals, labels));
            }
            let segment = segments.get(i).filter(|s| !s.is_empty())?;
            labels.push((label.to_owned(), decode_segment(segment)?));
        } else {
            if segments.get(i) != Some(part) {
                return None;
            }
            literals += 1;
        }
    }
    (parts.len() == segments.len()).then_some((literals, labels))
}

fn header<'a>(headers: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
}

/// One restJson request's parts, as [`decode_rest_json`] reads them.
#[derive(Debug, Clone, Copy)]
pub struct RestRequest<'a> {
    /// The labels from [`match_rest`].
    pub labels: &'a [(String, String)],
    /// The raw query string.
    pub query: &'a str,
    /// The headers.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
}

/// Decode a restJson request for `operation` into the normalised input value.
pub fn decode_rest_json(model: &ServiceModel, operation: &str, req: &RestRequest<'_>) -> Result<Value, DecodeError> {
    let op = model.operation(operation).ok_or_else(|| DecodeError::UnknownOperation(operation.to_owned()))?;
    let Some(Shape { kind: Kind::Structure(s), .. }) = model.input_shape(op) else {
        return Ok(Value::Object(Map::new()));
    };
    let mut query = Vec::new();
    for pair in form_urlencoded::parse(req.query.as_bytes()) {
        if query.len() == MAX_QUERY_PARAMS {
            return Err(DecodeError::TooManyParameters);
        }
        query.push(pair);
    }
    let mut out = match &s.payload {
        Some(_) => Map::new(),
        None => body_members(model, s, req.body)?,
    };
    for (name, member) in &s.members {
        let Some(shape) = model.shape(&member.shape) else { continue };
        let wire_name = member.location_name.as_deref().unwrap_or(name);
        let at = path::member("", name);
        let value = match member.location {
            Some(Location::Uri) => match req.labels.iter().find(|(l, _)| l == wire_name) {
                Some((_, v)) => Some(scalar_from_text(&shape.kind, v, &at)?),
                None => None,
            },
            Some(Location::Header) => match header(req.headers, wire_name) {
                Some(v) => Some(scalar_from_text(&shape.kind, v.trim(), &at)?),
                None => None,
            },
            Some(Location::Querystring) => {
                let mut values = query.iter().filter(|(k, _)| k == wire_name).map(|(_, v)| v.as_ref());
                match &shape.kind {
                    Kind::List(item) => {
                        let Some(item_shape) = model.shape(&item.shape) else { continue };
                        let items = values
                            .enumerate()
                            .map(|(i, v)| scalar_from_text(&item_shape.kind, v, &path::element(&at, i)))
                            .collect::<Result<Vec<_>, _>>()?;
                        (!items.is_empty()).then_some(Value::Array(items))
                    }
                    kind => match values.next() {
                        Some(v) => Some(scalar_from_text(kind, v, &at)?),
                        None => None,
                    },
                }
            }
            Some(Location::Headers | Location::StatusCode) => None,
            None if s.payload.as_deref() == Some(name) => payload_in(model, shape, req.body, &at)?,
            None => continue,
        };
        match value {
            Some(v) => out.insert(name.clone(), v),
            None => out.remove(name),
        };
    }
    Ok(Value::Object(out))
}

/// The members a JSON body carries: those without a location.
fn body_members(model: &ServiceModel, s: &Structure, body: &[u8]) -> Result<Map<String, Value>, DecodeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let parsed: Value = serde_json::from_slice(body).map_err(|e| DecodeError::InvalidJson(e.to_string()))?;
    let Value::Object(obj) = parsed else { return Err(invalid("", "structure")) };
    let mut members = json::structure(model, s, &obj, "")?;
    members.retain(|name, _| s.members.iter().any(|(n, m)| n == name && m.location.is_none()));
    Ok(members)
}

/// The whole body as the payload member: a blob as is, a string as UTF-8, a structure as JSON.
fn payload_in(model: &ServiceModel, shape: &Shape, body: &[u8], at: &str) -> Result<Option<Value>, DecodeError> {
    if body.is_empty() {
        return Ok(None);
    }
    match &shape.kind {
        Kind::Blob => Ok(Some(Value::String(STANDARD.encode(body)))),
        Kind::String => {
            std::str::from_utf8(body).map(|s| Some(Value::String(s.to_owned()))).map_err(|_| invalid(at, "string"))
        }
        Kind::Structure(s) => {
            let parsed: Value = serde_json::from_slice(body).map_err(|e| DecodeError::InvalidJson(e.to_string()))?;
            let Value::Object(obj) = parsed else { return Err(invalid(at, "structure")) };
            Ok(Some(Value::Object(json::structure(model, s, &obj, at)?)))
        }
        _ => Err(invalid(at, "structure")),
    }
}

/// A restJson answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestResponse {
    /// The status: the model's `responseCode`, or the output's `statusCode` member.
    pub status: u16,
    /// Headers bound by the output shape, and `content-type` when there is a body.
    pub headers: Vec<(String, String)>,
    /// The body: the output's JSON members, or its payload member.
    pub body: Vec<u8>,
}

/// Encode `output` for `operation` as a restJson answer.
pub fn encode_rest_json(model: &ServiceModel, operation: &str, output: &Value) -> RestResponse {
    let op = model.operation(operation);
    let mut response = RestResponse {
        status: op.and_then(|o| o.http()).map_or(200, |h| h.response_code),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let shape = op.and_then(|o| model.shape(o.output_shape()?));
    let (Some(Shape { kind: Kind::Structure(s), .. }), Value::Object(obj)) = (shape, output) else {
        return response;
    };
    let mut body = Map::new();
    for (name, member) in &s.members {
        let Some(v) = obj.get(name).filter(|v| !v.is_null()) else { continue };
        let wire_name = member.location_name.as_deref().unwrap_or(name);
        match member.location {
            Some(Location::Header) => {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                response.headers.push((wire_name.to_owned(), text));
            }
            Some(Location::StatusCode) => {
                if let Some(status) = v.as_u64().and_then(|n| u16::try_from(n).ok()) {
                    response.status = status;
                }
            }
            Some(_) => {}
            None if s.payload.as_deref() == Some(name) => {
                response.body = payload_out(model, member, v);
                if !response.body.is_empty() {
                    response.headers.push(("content-type".into(), "application/json".into()));
                }
                return finish(response);
            }
            None => {
                body.insert(name.clone(), v.clone());
            }
        }
    }
    if s.payload.is_none() {
        // `body` holds only the members without a location, so the structure encodes just those.
        response.body = Value::Object(encode_json::structure(model, s, &body, 0)).to_string().into_bytes();
        response.headers.push(("content-type".into(), "application/json".into()));
    }
    finish(response)
}

fn finish(mut response: RestResponse) -> RestResponse {
    // A 204 has no body, whatever the output held.
    if response.status == 204 {
        response.body.clear();
        response.headers.retain(|(k, _)| k != "content-type");
    }
    response
}

fn payload_out(model: &ServiceModel, member: &crate::model::Member, v: &Value) -> Vec<u8> {
    match (model.shape(&member.shape).map(|s| &s.kind), v) {
        (Some(Kind::Blob), Value::String(b64)) => STANDARD.decode(b64).unwrap_or_default(),
        (Some(Kind::String), Value::String(s)) => s.clone().into_bytes(),
        (Some(Kind::Structure(s)), Value::Object(obj)) => {
            Value::Object(encode_json::structure(model, s, obj, 0)).to_string().into_bytes()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model() -> ServiceModel {
        ServiceModel::from_json(
            r#"{"metadata": {"protocol": "rest-json", "apiVersion": "2015-03-31", "endpointPrefix": "lambda"},
               "operations": {
                 "Get": {"name": "Get", "http": {"method": "GET", "requestUri": "/2015-03-31/functions/{FunctionName}", "responseCode": 200},
                         "input": {"shape": "GetIn"}, "output": {"shape": "Config"}},
                 "List": {"name": "List", "http": {"method": "GET", "requestUri": "/2015-03-31/functions/"},
                          "input": {"shape": "ListIn"}, "output": {"shape": "Config"}},
                 "Create": {"name": "Create", "http": {"method": "POST", "requestUri": "/2015-03-31/functions", "responseCode": 201},
                            "input": {"shape": "Config"}, "output": {"shape": "Config"}},
                 "Remove": {"name": "Remove", "http": {"method": "DELETE", "requestUri": "/2015-03-31/functions/{FunctionName}/policy/{StatementId}", "responseCode": 204},
                            "input": {"shape": "RemoveIn"}},
                 "Any": {"name": "Any", "http": {"method": "DELETE", "requestUri": "/2015-03-31/functions/{Rest+}"},
                         "input": {"shape": "AnyIn"}},
                 "Invoke": {"name": "Invoke", "http": {"method": "POST", "requestUri": "/2015-03-31/functions/{FunctionName}/invocations"},
                            "input": {"shape": "InvokeIn"}, "output": {"shape": "InvokeOut"}}},
               "shapes": {
                 "S": {"type": "string"}, "I": {"type": "integer"}, "B": {"type": "blob"},
                 "L": {"type": "list", "member": {"shape": "S"}},
                 "GetIn": {"type": "structure", "members": {
                   "FunctionName": {"shape": "S", "location": "uri", "locationName": "FunctionName"},
                   "Qualifier": {"shape": "S", "location": "querystring", "locationName": "Qualifier"}}},
                 "ListIn": {"type": "structure", "members": {
                   "MaxItems": {"shape": "I", "location": "querystring", "locationName": "MaxItems"},
                   "Names": {"shape": "L", "location": "querystring", "locationName": "name"}}},
                 "Config": {"type": "structure", "members": {"FunctionName": {"shape": "S"}, "Timeout": {"shape": "I"}}},
                 "RemoveIn": {"type": "structure", "members": {
                   "FunctionName": {"shape": "S", "location": "uri", "locationName": "FunctionName"},
                   "StatementId": {"shape": "S", "location": "uri", "locationName": "StatementId"}}},
                 "AnyIn": {"type": "structure", "members": {"Rest": {"shape": "S", "location": "uri", "locationName": "Rest"}}},
                 "InvokeIn": {"type": "structure", "payload": "Payload", "members": {
                   "FunctionName": {"shape": "S", "location": "uri", "locationName": "FunctionName"},
                   "InvocationType": {"shape": "S", "location": "header", "locationName": "X-Amz-Invocation-Type"},
                   "Payload": {"shape": "B"}}},
                 "InvokeOut": {"type": "structure", "payload": "Payload", "members": {
                   "StatusCode": {"shape": "I", "location": "statusCode"},
                   "FunctionError": {"shape": "S", "location": "header", "locationName": "X-Amz-Function-Error"},
                   "Payload": {"shape": "B"}}}}}"#,
        )
        .unwrap()
    }

    fn matched(method: &str, path: &str) -> Option<(String, Vec<(String, String)>)> {
        match_rest(&model(), method, path).map(|m| (m.operation, m.labels))
    }

    #[test]
    fn operations_are_found_by_method_and_path() {
        let label = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(matched("GET", "/2015-03-31/functions/"), Some(("List".into(), vec![])));
        assert_eq!(matched("GET", "/2015-03-31/functions"), Some(("List".into(), vec![])));
        assert_eq!(matched("POST", "/2015-03-31/functions"), Some(("Create".into(), vec![])));
        let arn = "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af";
        assert_eq!(
            matched("GET", &format!("/2015-03-31/functions/{arn}")),
            Some(("Get".into(), vec![label("FunctionName", "arn:aws:lambda:us-east-1:123456789012:function:f")]))
        );
        assert_eq!(
            matched("DELETE", "/2015-03-31/functions/f/policy/s1"),
            Some(("Remove".into(), vec![label("FunctionName", "f"), label("StatementId", "s1")]))
        );
        assert_eq!(matched("DELETE", "/2015-03-31/functions/f/x"), Some(("Any".into(), vec![label("Rest", "f/x")])));
        assert_eq!(matched("PATCH", "/2015-03-31/functions"), None);
        assert_eq!(matched("GET", "/2015-03-31/functions/f/extra"), None);
        assert_eq!(matched("GET", "/2015-03-31/functions/%FF"), None, "labels must be UTF-8");
    }

    #[test]
    fn members_come_from_labels_query_headers_and_body() {
        let m = model();
        let labels = vec![("FunctionName".to_owned(), "f".to_owned())];
        let req = |query, headers, body| RestRequest { labels: &labels, query, headers, body };
        let got = decode_rest_json(&m, "Get", &req("Qualifier=%24LATEST", &[], b"")).unwrap();
        assert_eq!(got, json!({"FunctionName": "f", "Qualifier": "$LATEST"}));
        let list = decode_rest_json(&m, "List", &req("MaxItems=5&name=a&name=b", &[], b"")).unwrap();
        assert_eq!(list, json!({"MaxItems": 5, "Names": ["a", "b"]}));
        assert!(decode_rest_json(&m, "List", &req("MaxItems=five", &[], b"")).is_err());
        let body = decode_rest_json(&m, "Create", &req("", &[], br#"{"FunctionName": "g", "Timeout": 3}"#)).unwrap();
        assert_eq!(body, json!({"FunctionName": "g", "Timeout": 3}));
        assert!(matches!(decode_rest_json(&m, "Create", &req("", &[], b"{")), Err(DecodeError::InvalidJson(_))));
        // A label always wins over a body member of the same name.
        let got = decode_rest_json(&m, "Get", &req("", &[], br#"{"FunctionName": "other"}"#)).unwrap();
        assert_eq!(got["FunctionName"], "f");
        let headers = [("x-amz-invocation-type", "Event")];
        let invoke = decode_rest_json(&m, "Invoke", &req("", &headers, br#"{"a":1}"#)).unwrap();
        assert_eq!(invoke, json!({"FunctionName": "f", "InvocationType": "Event", "Payload": "eyJhIjoxfQ=="}));
    }

    #[test]
    fn outputs_bind_status_headers_and_payload() {
        let m = model();
        let out = encode_rest_json(&m, "Create", &json!({"FunctionName": "g", "Timeout": 3, "Other": 1}));
        assert_eq!(out.status, 201);
        assert_eq!(serde_json::from_slice::<Value>(&out.body).unwrap(), json!({"FunctionName": "g", "Timeout": 3}));
        let invoked = encode_rest_json(
            &m,
            "Invoke",
            &json!({"StatusCode": 200, "FunctionError": "Unhandled", "Payload": "eyJhIjoxfQ=="}),
        );
        assert_eq!(invoked.status, 200);
        assert_eq!(invoked.body, br#"{"a":1}"#);
        assert!(invoked.headers.contains(&("X-Amz-Function-Error".to_owned(), "Unhandled".to_owned())));
        let accepted = encode_rest_json(&m, "Invoke", &json!({"StatusCode": 202}));
        assert_eq!((accepted.status, accepted.body.len()), (202, 0));
        let removed = encode_rest_json(&m, "Remove", &json!({}));
        assert_eq!((removed.status, removed.body.len()), (204, 0));
    }
}
