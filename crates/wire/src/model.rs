//! botocore service models (`service-2.json`): the subset that drives decoding, validation and
//! encoding for awsQuery and awsJson services.
//!
//! Every shape reference is checked when the model is loaded, so the rest of the crate can treat a
//! missing shape as "nothing to do" instead of an error path.

use std::collections::HashMap;
use std::fmt;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Number;

/// Why a service model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The document is not JSON of the botocore model format.
    #[error("the service model is not a valid botocore model: {0}")]
    Json(#[from] serde_json::Error),
    /// The model's protocol is not awsQuery or awsJson.
    #[error("unsupported protocol {0:?}")]
    UnsupportedProtocol(String),
    /// `metadata.jsonVersion` is neither 1.0 nor 1.1.
    #[error("unsupported JSON version {0:?}")]
    UnsupportedJsonVersion(String),
    /// A shape has a `type` this crate does not know.
    #[error("shape {shape:?} has unsupported type {kind:?}")]
    UnsupportedType {
        /// The shape's name.
        shape: String,
        /// Its `type`.
        kind: String,
    },
    /// A shape or an operation refers to a shape the model does not define.
    #[error("{from} refers to shape {target:?}, which the model does not define")]
    MissingShape {
        /// Where the reference is.
        from: String,
        /// The missing shape.
        target: String,
    },
    /// A list shape without `member`, or a map without `key` or `value`.
    #[error("shape {0:?} lacks its member, key or value")]
    Incomplete(String),
    /// A member `location` other than uri, querystring, header, headers or statusCode.
    #[error("unknown member location {0:?}")]
    UnknownLocation(String),
    /// A `timestampFormat` other than iso8601, rfc822 or unixTimestamp.
    #[error("unknown timestamp format {0:?}")]
    UnknownTimestampFormat(String),
}

/// The wire protocol a service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// awsQuery: form-encoded parameters in, XML out.
    Query,
    /// awsJson 1.0: JSON in and out, operation named by `X-Amz-Target`.
    Json1_0,
    /// awsJson 1.1: as 1.0 but for the media type.
    Json1_1,
    /// restJson: the operation named by method and path, members bound to the path, the query
    /// string and headers, the rest in a JSON body (or one member as the whole body).
    RestJson,
}

impl Protocol {
    /// The media type of responses.
    pub fn content_type(self) -> &'static str {
        match self {
            Protocol::Query => "text/xml",
            Protocol::Json1_0 => JsonVersion::V1_0.content_type(),
            Protocol::Json1_1 => JsonVersion::V1_1.content_type(),
            Protocol::RestJson => "application/json",
        }
    }
}

/// The awsJson protocol version, which only changes the media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonVersion {
    /// `application/x-amz-json-1.0`
    V1_0,
    /// `application/x-amz-json-1.1`
    V1_1,
}

impl JsonVersion {
    /// The media type of requests and responses.
    pub fn content_type(self) -> &'static str {
        match self {
            JsonVersion::V1_0 => "application/x-amz-json-1.0",
            JsonVersion::V1_1 => "application/x-amz-json-1.1",
        }
    }
}

/// Service-wide facts from the model's `metadata`.
#[derive(Debug, Clone)]
pub struct Metadata {
    /// The protocol, from `protocol` and `jsonVersion`.
    pub protocol: Protocol,
    /// `apiVersion`, which awsQuery requests carry as `Version`.
    pub api_version: String,
    /// `targetPrefix`, the part of `X-Amz-Target` before the operation (awsJson).
    pub target_prefix: Option<String>,
    /// `xmlNamespace` of awsQuery responses.
    pub xml_namespace: Option<String>,
    /// `endpointPrefix`, e.g. `sqs`.
    pub endpoint_prefix: Option<String>,
    /// `signingName`, when it differs from the endpoint prefix.
    pub signing_name: Option<String>,
    /// `serviceId`, e.g. `SQS`.
    pub service_id: Option<String>,
    /// Whether `awsQueryCompatible` is set: a JSON service that used to speak awsQuery and keeps
    /// its old error codes in the `x-amzn-query-error` header.
    pub aws_query_compatible: bool,
}

/// One operation of the model.
#[derive(Debug, Clone)]
pub struct Operation {
    name: String,
    input: Option<String>,
    output: Option<String>,
    result_wrapper: Option<String>,
    errors: Vec<String>,
    http: Option<Http>,
}

/// Where a restJson operation lives: its method, path template and success status.
#[derive(Debug, Clone)]
pub struct Http {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path template, e.g. `/2015-03-31/functions/{FunctionName}/policy/{StatementId}`
    /// (`{Name+}` takes the rest of the path), before any `?`.
    pub request_uri: String,
    /// The status of a successful answer (200 unless the model says otherwise).
    pub response_code: u16,
}

impl Operation {
    /// The operation name, e.g. `GetCallerIdentity`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The input structure's shape name, if the operation takes input.
    pub fn input_shape(&self) -> Option<&str> {
        self.input.as_deref()
    }

    /// The output structure's shape name, if the operation returns output.
    pub fn output_shape(&self) -> Option<&str> {
        self.output.as_deref()
    }

    /// The element that wraps an awsQuery result: the model's `resultWrapper`, or `{Name}Result`
    /// as awsQuery defines it when the model leaves it out.
    pub fn result_wrapper(&self) -> String {
        self.result_wrapper.clone().unwrap_or_else(|| format!("{}Result", self.name))
    }

    /// The shape names of the errors the operation declares.
    pub fn errors(&self) -> impl Iterator<Item = &str> {
        self.errors.iter().map(String::as_str)
    }

    /// The operation's HTTP binding (restJson models have one for every operation).
    pub fn http(&self) -> Option<&Http> {
        self.http.as_ref()
    }
}

/// A modelled error, looked up by its wire code or its shape name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorShape<'a> {
    /// The shape name (the awsJson `__type`), e.g. `NoSuchEntityException`.
    pub shape: &'a str,
    /// The awsQuery code: the shape's `error.code`, or its name.
    pub code: &'a str,
    /// `error.httpStatusCode`, if the model gives one.
    pub http_status: Option<u16>,
    /// Whether the client is at fault (`Sender`) rather than the service (`Receiver`).
    pub sender_fault: bool,
}

/// A loaded botocore service model.
#[derive(Debug)]
pub struct ServiceModel {
    metadata: Metadata,
    operations: HashMap<String, Operation>,
    shapes: HashMap<String, Shape>,
    /// Wire code and shape name of every exception, both pointing at the shape name.
    error_index: HashMap<String, String>,
    unsupported_patterns: Vec<String>,
}

impl ServiceModel {
    /// Parse a botocore `service-2.json` document.
    pub fn from_json(s: &str) -> Result<Self, ModelError> {
        let raw: RawModel = serde_json::from_str(s)?;
        Self::from_raw(raw)
    }

    /// The operation named `name`, if the model has it.
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// The names of all operations, in no particular order.
    pub fn operation_names(&self) -> impl Iterator<Item = &str> {
        self.operations.keys().map(String::as_str)
    }

    /// Service-wide metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The exception shape whose wire code or shape name is `code`.
    pub fn error(&self, code: &str) -> Option<ErrorShape<'_>> {
        let name = self.error_index.get(code)?;
        let shape = self.shapes.get(name)?;
        let trait_ = shape.error.as_ref();
        Some(ErrorShape {
            shape: name,
            code: trait_.and_then(|e| e.code.as_deref()).unwrap_or(name),
            http_status: trait_.and_then(|e| e.http_status_code),
            sender_fault: trait_.and_then(|e| e.sender_fault).unwrap_or(!shape.fault),
        })
    }

    /// Shapes whose `pattern` could not be compiled (Java regex features with no equivalent
    /// here); their values are validated without the pattern.
    pub fn unsupported_patterns(&self) -> &[String] {
        &self.unsupported_patterns
    }

    pub(crate) fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    pub(crate) fn input_shape(&self, op: &Operation) -> Option<&Shape> {
        op.input.as_deref().and_then(|s| self.shapes.get(s))
    }

    fn from_raw(raw: RawModel) -> Result<Self, ModelError> {
        let metadata = metadata(raw.metadata)?;
        let mut shapes = HashMap::with_capacity(raw.shapes.len());
        let mut unsupported_patterns = Vec::new();
        for (name, raw_shape) in raw.shapes {
            let shape = Shape::from_raw(&name, raw_shape, &mut unsupported_patterns)?;
            shapes.insert(name, shape);
        }
        unsupported_patterns.sort();
        let mut operations = HashMap::with_capacity(raw.operations.len());
        for (key, op) in raw.operations {
            let operation = Operation {
                name: op.name.unwrap_or_else(|| key.clone()),
                input: op.input.map(|r| r.shape),
                result_wrapper: op.output.as_ref().and_then(|r| r.result_wrapper.clone()),
                output: op.output.map(|r| r.shape),
                errors: op.errors.into_iter().map(|r| r.shape).collect(),
                http: op.http.map(|h| Http {
                    method: h.method,
                    request_uri: h.request_uri.split('?').next().unwrap_or_default().to_owned(),
                    response_code: h.response_code.unwrap_or(200),
                }),
            };
            operations.insert(key, operation);
        }
        check_references(&shapes, &operations)?;
        let mut error_index = HashMap::new();
        for (name, shape) in &shapes {
            if shape.exception
                && let Some(code) = shape.error.as_ref().and_then(|e| e.code.clone())
            {
                error_index.insert(code, name.clone());
            }
        }
        // Shape names win over another shape's wire code: they are unambiguous.
        for (name, shape) in &shapes {
            if shape.exception {
                error_index.insert(name.clone(), name.clone());
            }
        }
        Ok(ServiceModel { metadata, operations, shapes, error_index, unsupported_patterns })
    }
}

fn metadata(raw: RawMetadata) -> Result<Metadata, ModelError> {
    let protocol = match raw.protocol.as_str() {
        "query" => Protocol::Query,
        "json" => match raw.json_version.as_deref() {
            None | Some("1.0") => Protocol::Json1_0,
            Some("1.1") => Protocol::Json1_1,
            Some(other) => return Err(ModelError::UnsupportedJsonVersion(other.to_owned())),
        },
        "rest-json" => Protocol::RestJson,
        other => return Err(ModelError::UnsupportedProtocol(other.to_owned())),
    };
    Ok(Metadata {
        protocol,
        api_version: raw.api_version,
        target_prefix: raw.target_prefix,
        xml_namespace: raw.xml_namespace,
        endpoint_prefix: raw.endpoint_prefix,
        signing_name: raw.signing_name,
        service_id: raw.service_id,
        aws_query_compatible: raw.aws_query_compatible.is_some(),
    })
}

fn check_references(
    shapes: &HashMap<String, Shape>,
    operations: &HashMap<String, Operation>,
) -> Result<(), ModelError> {
    let check = |from: &dyn Fn() -> String, target: &str| {
        if shapes.contains_key(target) {
            Ok(())
        } else {
            Err(ModelError::MissingShape { from: from(), target: target.to_owned() })
        }
    };
    for (name, shape) in shapes {
        match &shape.kind {
            Kind::Structure(s) => {
                for (member, m) in &s.members {
                    check(&|| format!("member {name}.{member}"), &m.shape)?;
                }
            }
            Kind::List(m) => check(&|| format!("list {name}"), &m.shape)?,
            Kind::Map { key, value } => {
                check(&|| format!("map {name}"), &key.shape)?;
                check(&|| format!("map {name}"), &value.shape)?;
            }
            _ => {}
        }
    }
    for (name, op) in operations {
        let refs = op.input.iter().chain(&op.output).chain(&op.errors);
        for target in refs {
            check(&|| format!("operation {name}"), target)?;
        }
    }
    Ok(())
}

/// How a timestamp travels on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimestampFormat {
    Iso8601,
    Rfc822,
    UnixTimestamp,
}

impl TimestampFormat {
    fn parse(s: &str) -> Result<Self, ModelError> {
        match s {
            "iso8601" => Ok(TimestampFormat::Iso8601),
            "rfc822" => Ok(TimestampFormat::Rfc822),
            "unixTimestamp" => Ok(TimestampFormat::UnixTimestamp),
            other => Err(ModelError::UnknownTimestampFormat(other.to_owned())),
        }
    }
}

/// An XML namespace declaration: `xmlns="uri"` or `xmlns:prefix="uri"`.
#[derive(Debug, Clone)]
pub(crate) struct XmlNamespace {
    pub prefix: Option<String>,
    pub uri: String,
}

impl XmlNamespace {
    pub(crate) fn attribute(&self) -> (String, String) {
        let name = match &self.prefix {
            Some(p) => format!("xmlns:{p}"),
            None => "xmlns".to_owned(),
        };
        (name, self.uri.clone())
    }
}

// The flags mirror the model's own boolean traits.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug)]
pub(crate) struct Shape {
    pub kind: Kind,
    pub min: Option<Number>,
    pub max: Option<Number>,
    pub pattern: Option<Pattern>,
    pub enum_values: Vec<String>,
    pub timestamp_format: Option<TimestampFormat>,
    pub flattened: bool,
    pub sensitive: bool,
    pub exception: bool,
    fault: bool,
    error: Option<RawErrorTrait>,
}

/// A model `pattern`: Java regex syntax, matched against the whole value.
#[derive(Debug)]
pub(crate) struct Pattern {
    pub source: String,
    pub regex: Option<fancy_regex::Regex>,
}

#[derive(Debug)]
pub(crate) enum Kind {
    String,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Blob,
    Timestamp,
    Structure(Structure),
    List(Member),
    Map { key: Member, value: Member },
}

#[derive(Debug)]
pub(crate) struct Structure {
    pub members: Vec<(String, Member)>,
    pub required: Vec<String>,
    /// A Smithy document: free-form JSON that passes through untouched.
    pub document: bool,
    /// restJson: the member that is the whole body.
    pub payload: Option<String>,
}

/// A reference to a shape from a structure member, a list member or a map key or value, with the
/// serialisation traits that sit on the reference.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub shape: String,
    pub location_name: Option<String>,
    /// restJson: where outside the body the member travels.
    pub location: Option<Location>,
    pub flattened: bool,
    pub xml_attribute: bool,
    pub xml_namespace: Option<XmlNamespace>,
    pub timestamp_format: Option<TimestampFormat>,
}

/// Where a restJson member travels when it is not in the JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    /// A `{label}` of the path.
    Uri,
    /// A query string parameter.
    Querystring,
    /// A header.
    Header,
    /// Every header with a prefix (a map).
    Headers,
    /// The HTTP status (output only).
    StatusCode,
}

impl Member {
    fn from_raw(raw: RawMember) -> Result<Self, ModelError> {
        let location = match raw.location.as_deref() {
            None => None,
            Some("uri") => Some(Location::Uri),
            Some("querystring") => Some(Location::Querystring),
            Some("header") => Some(Location::Header),
            Some("headers") => Some(Location::Headers),
            Some("statusCode") => Some(Location::StatusCode),
            Some(other) => return Err(ModelError::UnknownLocation(other.to_owned())),
        };
        Ok(Member {
            shape: raw.shape,
            location_name: raw.location_name,
            location,
            flattened: raw.flattened,
            xml_attribute: raw.xml_attribute,
            xml_namespace: raw.xml_namespace.map(RawNamespace::into_namespace),
            timestamp_format: raw.timestamp_format.as_deref().map(TimestampFormat::parse).transpose()?,
        })
    }
}

impl Shape {
    fn from_raw(name: &str, raw: RawShape, unsupported_patterns: &mut Vec<String>) -> Result<Self, ModelError> {
        let incomplete = || ModelError::Incomplete(name.to_owned());
        let kind = match raw.kind.as_str() {
            "string" => Kind::String,
            "integer" => Kind::Integer,
            "long" => Kind::Long,
            "float" => Kind::Float,
            "double" => Kind::Double,
            "boolean" => Kind::Boolean,
            "blob" => Kind::Blob,
            "timestamp" => Kind::Timestamp,
            "structure" => Kind::Structure(Structure {
                members: raw
                    .members
                    .into_iter()
                    .map(|(n, m)| Ok((n, Member::from_raw(m)?)))
                    .collect::<Result<_, ModelError>>()?,
                required: raw.required,
                document: raw.document,
                payload: raw.payload,
            }),
            "list" => Kind::List(Member::from_raw(raw.member.ok_or_else(incomplete)?)?),
            "map" => Kind::Map {
                key: Member::from_raw(raw.key.ok_or_else(incomplete)?)?,
                value: Member::from_raw(raw.value.ok_or_else(incomplete)?)?,
            },
            other => {
                return Err(ModelError::UnsupportedType { shape: name.to_owned(), kind: other.to_owned() });
            }
        };
        let pattern = raw.pattern.map(|source| {
            let regex = compile_java_pattern(&source);
            if regex.is_none() {
                unsupported_patterns.push(name.to_owned());
            }
            Pattern { source, regex }
        });
        Ok(Shape {
            kind,
            min: raw.min,
            max: raw.max,
            pattern,
            enum_values: raw.enum_values,
            timestamp_format: raw.timestamp_format.as_deref().map(TimestampFormat::parse).transpose()?,
            flattened: raw.flattened,
            sensitive: raw.sensitive,
            exception: raw.exception,
            fault: raw.fault,
            error: raw.error,
        })
    }
}

/// Compile a model pattern (Java `java.util.regex` syntax, whole-value match).
///
/// Java's `\w`, `\d` and `\s` are ASCII-only while Rust's are Unicode-aware, so they are rewritten
/// to ASCII classes; a `-` right after such a class inside brackets is a literal in Java.
fn compile_java_pattern(source: &str) -> Option<fancy_regex::Regex> {
    let translated = translate_java_pattern(source);
    fancy_regex::Regex::new(&format!("^(?:{translated})$")).ok()
}

fn translate_java_pattern(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 16);
    let mut chars = source.chars().peekable();
    let mut class_depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(escaped) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let posix = match escaped {
                    'w' => Some("word"),
                    'W' => Some("^word"),
                    'd' => Some("digit"),
                    'D' => Some("^digit"),
                    's' => Some("space"),
                    'S' => Some("^space"),
                    _ => None,
                };
                match posix {
                    Some(class) if class_depth > 0 => {
                        out.push_str("[:");
                        out.push_str(class);
                        out.push_str(":]");
                        if chars.peek() == Some(&'-') {
                            chars.next();
                            out.push_str("\\-");
                        }
                    }
                    Some(class) => {
                        out.push_str("[[:");
                        out.push_str(class);
                        out.push_str(":]]");
                    }
                    None => {
                        out.push('\\');
                        out.push(escaped);
                    }
                }
            }
            '[' => {
                class_depth += 1;
                out.push(c);
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

// ---- the botocore JSON format -------------------------------------------------------------

#[derive(Deserialize)]
struct RawModel {
    metadata: RawMetadata,
    #[serde(default)]
    operations: HashMap<String, RawOperation>,
    #[serde(default)]
    shapes: HashMap<String, RawShape>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetadata {
    protocol: String,
    #[serde(default)]
    api_version: String,
    json_version: Option<String>,
    target_prefix: Option<String>,
    xml_namespace: Option<String>,
    endpoint_prefix: Option<String>,
    signing_name: Option<String>,
    service_id: Option<String>,
    aws_query_compatible: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOperation {
    name: Option<String>,
    input: Option<RawShapeRef>,
    output: Option<RawShapeRef>,
    #[serde(default)]
    errors: Vec<RawShapeRef>,
    http: Option<RawHttp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHttp {
    method: String,
    request_uri: String,
    response_code: Option<u16>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawShapeRef {
    shape: String,
    result_wrapper: Option<String>,
}

#[allow(clippy::struct_excessive_bools)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawShape {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, deserialize_with = "ordered_map")]
    members: Vec<(String, RawMember)>,
    #[serde(default)]
    required: Vec<String>,
    member: Option<RawMember>,
    key: Option<RawMember>,
    value: Option<RawMember>,
    min: Option<Number>,
    max: Option<Number>,
    pattern: Option<String>,
    #[serde(default, rename = "enum")]
    enum_values: Vec<String>,
    timestamp_format: Option<String>,
    #[serde(default)]
    flattened: bool,
    #[serde(default)]
    sensitive: bool,
    #[serde(default)]
    exception: bool,
    #[serde(default)]
    fault: bool,
    #[serde(default)]
    document: bool,
    payload: Option<String>,
    error: Option<RawErrorTrait>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawErrorTrait {
    code: Option<String>,
    http_status_code: Option<u16>,
    sender_fault: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMember {
    shape: String,
    location_name: Option<String>,
    location: Option<String>,
    #[serde(default)]
    flattened: bool,
    #[serde(default)]
    xml_attribute: bool,
    xml_namespace: Option<RawNamespace>,
    timestamp_format: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawNamespace {
    Uri(String),
    Prefixed { prefix: Option<String>, uri: String },
}

impl RawNamespace {
    fn into_namespace(self) -> XmlNamespace {
        match self {
            RawNamespace::Uri(uri) => XmlNamespace { prefix: None, uri },
            RawNamespace::Prefixed { prefix, uri } => XmlNamespace { prefix, uri },
        }
    }
}

/// Structure members keep the model's order: it is the order of encoded output and of
/// validation messages.
fn ordered_map<'de, D, T>(deserializer: D) -> Result<Vec<(String, T)>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Ordered<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for Ordered<T> {
        type Value = Vec<(String, T)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of members")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while let Some(entry) = map.next_entry()? {
                out.push(entry);
            }
            Ok(out)
        }
    }
    deserializer.deserialize_map(Ordered(std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(protocol_bits: &str, shapes: &str) -> Result<ServiceModel, ModelError> {
        ServiceModel::from_json(&format!(
            r#"{{"metadata": {{{protocol_bits}, "apiVersion": "2020-01-01"}},
                 "operations": {{"Op": {{"name": "Op", "input": {{"shape": "In"}}}}}},
                 "shapes": {{{shapes}}}}}"#
        ))
    }

    #[test]
    fn protocol_comes_from_protocol_and_json_version() {
        let s = r#""In": {"type": "structure", "members": {}}"#;
        let q = model(r#""protocol": "query""#, s).unwrap();
        assert_eq!(q.metadata().protocol, Protocol::Query);
        let j = model(r#""protocol": "json", "jsonVersion": "1.1""#, s).unwrap();
        assert_eq!(j.metadata().protocol, Protocol::Json1_1);
        assert_eq!(j.metadata().protocol.content_type(), "application/x-amz-json-1.1");
        let j0 = model(r#""protocol": "json""#, s).unwrap();
        assert_eq!(j0.metadata().protocol, Protocol::Json1_0);
        assert_eq!(q.metadata().protocol.content_type(), "text/xml");
        assert!(matches!(
            model(r#""protocol": "rest-xml""#, s),
            Err(ModelError::UnsupportedProtocol(p)) if p == "rest-xml"
        ));
        assert!(matches!(
            model(r#""protocol": "json", "jsonVersion": "2.0""#, s),
            Err(ModelError::UnsupportedJsonVersion(_))
        ));
    }

    #[test]
    fn dangling_references_are_rejected() {
        let err =
            model(r#""protocol": "query""#, r#""In": {"type": "structure", "members": {"A": {"shape": "Nope"}}}"#)
                .unwrap_err();
        assert!(matches!(&err, ModelError::MissingShape { target, .. } if target == "Nope"), "{err}");
        let err = model(r#""protocol": "query""#, r#""Other": {"type": "string"}"#).unwrap_err();
        assert!(matches!(err, ModelError::MissingShape { .. }));
    }

    #[test]
    fn unknown_types_and_incomplete_shapes_are_rejected() {
        let err = model(r#""protocol": "query""#, r#""In": {"type": "bigDecimal"}"#).unwrap_err();
        assert!(matches!(err, ModelError::UnsupportedType { .. }));
        let err = model(r#""protocol": "query""#, r#""In": {"type": "list"}"#).unwrap_err();
        assert!(matches!(err, ModelError::Incomplete(_)));
    }

    #[test]
    fn errors_are_found_by_code_or_shape_name() {
        let m = model(
            r#""protocol": "query""#,
            r#""In": {"type": "structure", "members": {}},
               "NoSuchEntityException": {"type": "structure", "members": {}, "exception": true,
                 "error": {"code": "NoSuchEntity", "httpStatusCode": 404, "senderFault": true}},
               "ServiceFailureException": {"type": "structure", "members": {}, "exception": true,
                 "fault": true}"#,
        )
        .unwrap();
        let by_code = m.error("NoSuchEntity").unwrap();
        assert_eq!(by_code, m.error("NoSuchEntityException").unwrap());
        assert_eq!(by_code.shape, "NoSuchEntityException");
        assert_eq!(by_code.code, "NoSuchEntity");
        assert_eq!(by_code.http_status, Some(404));
        assert!(by_code.sender_fault);
        let fault = m.error("ServiceFailureException").unwrap();
        assert_eq!(fault.code, "ServiceFailureException");
        assert!(!fault.sender_fault);
        assert!(m.error("In").is_none());
    }

    #[test]
    fn result_wrapper_defaults_to_operation_result() {
        let m = ServiceModel::from_json(
            r#"{"metadata": {"protocol": "query"},
                "operations": {
                  "A": {"name": "A", "output": {"shape": "S", "resultWrapper": "Wrapped"}},
                  "B": {"name": "B", "output": {"shape": "S"}}},
                "shapes": {"S": {"type": "structure", "members": {}}}}"#,
        )
        .unwrap();
        assert_eq!(m.operation("A").unwrap().result_wrapper(), "Wrapped");
        assert_eq!(m.operation("B").unwrap().result_wrapper(), "BResult");
        assert!(m.operation("C").is_none());
    }

    #[test]
    fn java_classes_are_ascii_like_java() {
        let re = compile_java_pattern(r"[\w+=,.@-]+").unwrap();
        assert!(re.is_match("user.name@x").unwrap());
        assert!(!re.is_match("usér").unwrap());
        assert!(!re.is_match("a b").unwrap());
        let digits = compile_java_pattern(r"\d{12}").unwrap();
        assert!(digits.is_match("123456789012").unwrap());
        assert!(!digits.is_match("١٢٣٤٥٦٧٨٩٠١٢").unwrap());
        // Java reads the `-` after `\w` in a class as a literal.
        let dash = compile_java_pattern(r"[\w-\/.]+").unwrap();
        assert!(dash.is_match("a-b/c.d").unwrap());
        assert!(!dash.is_match("a,b").unwrap());
    }

    #[test]
    fn patterns_match_the_whole_value_and_support_lookahead() {
        let re = compile_java_pattern(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$").unwrap();
        assert!(re.is_match("my-alias").unwrap());
        assert!(!re.is_match("my--alias").unwrap());
        let partial = compile_java_pattern("[a-z]+").unwrap();
        assert!(!partial.is_match("abc1").unwrap());
        assert!(compile_java_pattern(".{1,100000}").is_none());
    }
}
