//! Shared by the protocol conformance tests and `examples/encode_cases.rs`: loading the botocore
//! protocol test cases and bringing their expectations into the crate's normalised form.

// Each test target uses a different part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use quick_xml::Reader;
use quick_xml::events::Event;

use base64::Engine as _;
use serde_json::{Map, Value, json};
use spcred_wire::ServiceModel;

/// The protocol test files this crate answers for.
pub const PROTOCOLS: [&str; 4] = ["query", "json", "json_1_0", "json_1_0-query-compatible"];

/// One case with the suite it belongs to.
#[derive(Debug, Clone)]
pub struct Case {
    /// The file, e.g. `query`.
    pub protocol: String,
    /// The suite's `metadata`.
    pub metadata: Value,
    /// The suite's `shapes`.
    pub shapes: Value,
    /// The case itself: `id`, `given`, and `params`/`serialized` or `result`/`response`.
    pub data: Value,
}

impl Case {
    /// The case id.
    pub fn id(&self) -> &str {
        self.data["id"].as_str().unwrap_or_default()
    }

    /// The operation name.
    pub fn operation(&self) -> &str {
        self.data["given"]["name"].as_str().unwrap_or_default()
    }

    /// The botocore model of the case: its suite's metadata and shapes, and the one operation.
    /// awsQuery responses in these cases use `https://example.com/` as namespace while their
    /// metadata has none, so the namespace is given here to compare bodies.
    pub fn model_json(&self, xml_namespace: Option<&str>) -> Value {
        let mut metadata = self.metadata.clone();
        if let (Some(ns), Some(m)) = (xml_namespace, metadata.as_object_mut()) {
            m.insert("xmlNamespace".into(), json!(ns));
        }
        json!({
            "metadata": metadata,
            "shapes": self.shapes,
            "operations": {self.operation(): self.data["given"]},
        })
    }

    /// The loaded model.
    pub fn model(&self, xml_namespace: Option<&str>) -> ServiceModel {
        ServiceModel::from_json(&self.model_json(xml_namespace).to_string())
            .unwrap_or_else(|e| panic!("{}: model does not load: {e}", self.id()))
    }

    /// The name of the given's `input`/`output` shape.
    pub fn shape_of(&self, which: &str) -> Option<&str> {
        self.data["given"][which]["shape"].as_str()
    }
}

/// The directory of the botocore protocol tests.
pub fn cases_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/protocol-tests/botocore-json"))
}

/// All cases of `kind` (`input` or `output`) for `protocol`.
pub fn load(kind: &str, protocol: &str) -> Vec<Case> {
    let path = cases_dir().join(kind).join(format!("{protocol}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let suites: Vec<Value> = serde_json::from_str(&text).expect("protocol test JSON");
    let mut out = Vec::new();
    for suite in suites {
        for case in suite["cases"].as_array().into_iter().flatten() {
            out.push(Case {
                protocol: protocol.to_owned(),
                metadata: suite["metadata"].clone(),
                shapes: suite["shapes"].clone(),
                data: case.clone(),
            });
        }
    }
    out
}

/// A value as the cases write it (blobs as raw text, `null` members meaning "not set") in the
/// crate's normalised form (blobs as base64, no `null`s), following `shape` in `shapes`.
pub fn normalise(shapes: &Value, shape: &str, value: &Value) -> Option<Value> {
    let def = &shapes[shape];
    let target = |member: &Value| member["shape"].as_str().unwrap_or_default().to_owned();
    match (def["type"].as_str(), value) {
        (_, Value::Null) => None,
        (Some("structure"), _) if def["document"] == json!(true) => Some(value.clone()),
        (Some("structure"), Value::Object(obj)) => {
            let mut out = Map::new();
            for (name, v) in obj {
                let member = &def["members"][name];
                if let Some(n) = normalise(shapes, &target(member), v) {
                    out.insert(name.clone(), n);
                }
            }
            Some(Value::Object(out))
        }
        (Some("list"), Value::Array(items)) => {
            Some(Value::Array(items.iter().filter_map(|i| normalise(shapes, &target(&def["member"]), i)).collect()))
        }
        (Some("map"), Value::Object(obj)) => Some(Value::Object(
            obj.iter().filter_map(|(k, v)| Some((k.clone(), normalise(shapes, &target(&def["value"]), v)?))).collect(),
        )),
        (Some("blob"), Value::String(s)) => Some(json!(base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))),
        _ => Some(value.clone()),
    }
}

/// A case that is skipped, and why.
pub struct Skip {
    pub id: &'static str,
    pub reason: &'static str,
}

/// Look up `id` in `skips`.
pub fn skip_reason<'a>(skips: &'a [Skip], id: &str) -> Option<&'a str> {
    skips.iter().find(|s| s.id == id).map(|s| s.reason)
}

/// A model excerpt from `tests/models`.
pub fn excerpt(service: &str) -> ServiceModel {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/models")).join(format!("{service}.json"));
    let text = std::fs::read_to_string(&path).expect("model excerpt");
    ServiceModel::from_json(&text).expect("model excerpt loads")
}

/// The full botocore model of `service` from the project's Python environment, when it exists
/// (and `gzip` is there to unpack it).
pub fn botocore_model(service: &str, version: &str) -> Option<String> {
    let path =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv/lib/python3.11/site-packages/botocore/data"))
            .join(service)
            .join(version)
            .join("service-2.json.gz");
    if !path.exists() {
        return None;
    }
    let out = std::process::Command::new("gzip").arg("-dc").arg(&path).output().ok()?;
    out.status.success().then(|| String::from_utf8(out.stdout).ok()).flatten()
}

/// An XML element reduced to what a parser sees: whitespace between elements does not count,
/// and `<a/>`, `<a></a>` and `<a>\n</a>` are the same.
#[derive(Debug, PartialEq)]
pub struct Element {
    pub name: String,
    pub attrs: BTreeMap<String, String>,
    pub text: String,
    pub children: Vec<Element>,
}

pub fn parse_xml(xml: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let open = |e: &quick_xml::events::BytesStart<'_>| -> Result<Element, String> {
        let mut attrs = BTreeMap::new();
        for a in e.attributes() {
            let a = a.map_err(|e| e.to_string())?;
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let value = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
            attrs.insert(key, value);
        }
        Ok(Element {
            name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
            attrs,
            text: String::new(),
            children: Vec::new(),
        })
    };
    let close = |mut el: Element, stack: &mut Vec<Element>| -> Option<Element> {
        if el.text.trim().is_empty() {
            el.text.clear();
        }
        match stack.last_mut() {
            Some(parent) => {
                parent.children.push(el);
                None
            }
            None => Some(el),
        }
    };
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => stack.push(open(&e)?),
            Event::Empty(e) => {
                let el = open(&e)?;
                if let Some(root) = close(el, &mut stack) {
                    return Ok(root);
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or("unbalanced")?;
                if let Some(root) = close(el, &mut stack) {
                    return Ok(root);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => match r.decode().map_err(|e| e.to_string())?.as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => return Err(format!("unknown entity {other}")),
                    },
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::Eof => return Err("no root element".into()),
            _ => {}
        }
    }
}
