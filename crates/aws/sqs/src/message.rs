//! Message bodies and attributes: SQS's validation, size accounting and MD5 digests.

use super::error::SqsError;
use super::ops::{MessageAttributeValue, MessageSystemAttributeValue};
use base64::Engine as _;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The largest message (body and attributes) and the largest batch.
pub const MAX_MESSAGE_SIZE: usize = 262_144;
/// The most message attributes on one message.
const MAX_ATTRIBUTES: usize = 10;
/// The longest attribute name and data type.
const MAX_NAME: usize = 256;

/// A message attribute as stored and as `ReceiveMessage` returns it (binary values base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageAttribute {
    /// `String`, `Number` or `Binary`, optionally with a custom label (`Number.float`).
    pub data_type: String,
    /// The value of a `String` or `Number` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    /// The value of a `Binary` attribute, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_value: Option<String>,
}

impl From<MessageAttributeValue> for MessageAttribute {
    /// A sent attribute as SQS keeps it (it carries no list values).
    fn from(value: MessageAttributeValue) -> Self {
        MessageAttribute {
            data_type: value.data_type,
            string_value: value.string_value,
            binary_value: value.binary_value,
        }
    }
}

impl From<MessageSystemAttributeValue> for MessageAttribute {
    /// A sent system attribute as SQS keeps it (it carries no list values).
    fn from(value: MessageSystemAttributeValue) -> Self {
        MessageAttribute {
            data_type: value.data_type,
            string_value: value.string_value,
            binary_value: value.binary_value,
        }
    }
}

impl From<MessageAttribute> for MessageAttributeValue {
    fn from(value: MessageAttribute) -> Self {
        MessageAttributeValue {
            data_type: value.data_type,
            string_value: value.string_value,
            binary_value: value.binary_value,
            ..MessageAttributeValue::default()
        }
    }
}

/// Attributes by name, in name order (the order the MD5 digest uses).
pub type Attributes = BTreeMap<String, MessageAttribute>;

/// The type an attribute's value travels as: `String`, `Number` or `Binary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    String,
    Number,
    Binary,
}

impl Transport {
    fn of(data_type: &str) -> Option<Self> {
        let (base, label) = match data_type.split_once('.') {
            Some((base, label)) => (base, Some(label)),
            None => (data_type, None),
        };
        if label == Some("") {
            return None;
        }
        match base {
            "String" => Some(Transport::String),
            "Number" => Some(Transport::Number),
            "Binary" => Some(Transport::Binary),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Transport::String => "String",
            Transport::Number => "Number",
            Transport::Binary => "Binary",
        }
    }
}

fn decode_binary(value: &str) -> Vec<u8> {
    // The wire layer hands blobs over as canonical base64; anything else would be a bug upstream.
    base64::engine::general_purpose::STANDARD.decode(value).unwrap_or_default()
}

/// Whether every character is one SQS carries: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to
/// #xFFFD | #x10000 to #x10FFFF.
pub(crate) fn valid_text(s: &str) -> bool {
    s.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..))
}

/// Checks a message body.
pub(crate) fn validate_body(body: &str) -> Result<(), SqsError> {
    if body.is_empty() {
        return Err(SqsError::MissingParameter("MessageBody".into()));
    }
    if !valid_text(body) {
        return Err(SqsError::InvalidMessageContents);
    }
    Ok(())
}

fn is_number(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    !(int.is_empty() && frac.is_empty()) && digits(int) && digits(frac) && exponent_ok
}

fn attribute_name_ok(name: &str, kind: &str) -> Result<(), SqsError> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(SqsError::InvalidParameterValue(format!(
            "Message {kind} attribute name '{name}' is invalid. Names must be 1 to 256 characters long."
        )));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(SqsError::InvalidParameterValue(format!(
            "Message {kind} attribute name '{name}' can only contain upper and lower case characters, digits, periods, \
             hyphens and underscores."
        )));
    }
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("aws.") || lower.starts_with("amazon.") {
        return Err(SqsError::InvalidParameterValue(format!(
            "Message {kind} attribute name '{name}' is invalid. You can't use message attribute names beginning with \
             'AWS.' or 'Amazon.'. These strings are reserved for internal use."
        )));
    }
    if name.starts_with('.') || name.ends_with('.') || name.contains("..") {
        return Err(SqsError::InvalidParameterValue(format!(
            "Message {kind} attribute name '{name}' is invalid. Names can't start or end with a period or contain \
             two periods in a row."
        )));
    }
    Ok(())
}

/// The size in bytes SQS counts message attributes against the message size: names, data
/// types and values.
pub(crate) fn attributes_size(attributes: &Attributes) -> usize {
    attributes
        .iter()
        .map(|(name, value)| {
            let value_size = match (&value.string_value, &value.binary_value) {
                (_, Some(binary)) if Transport::of(&value.data_type) == Some(Transport::Binary) => {
                    decode_binary(binary).len()
                }
                (Some(text), _) => text.len(),
                _ => 0,
            };
            name.len() + value.data_type.len() + value_size
        })
        .sum()
}

/// Checks message attributes: user attributes, or system attributes when `system`.
pub(crate) fn validate_attributes(attributes: &Attributes, system: bool) -> Result<(), SqsError> {
    let kind = if system { "system" } else { "(user)" };
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(SqsError::InvalidParameterValue(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_ATTRIBUTES}].",
            attributes.len()
        )));
    }
    for (name, value) in attributes {
        attribute_name_ok(name, kind)?;
        let Some(transport) = Transport::of(&value.data_type).filter(|_| value.data_type.len() <= MAX_NAME) else {
            return Err(SqsError::InvalidParameterValue(format!(
                "The type of message {kind} attribute '{name}' is invalid. You must use only the following supported \
                 type prefixes: Binary, Number, String."
            )));
        };
        let empty = || {
            SqsError::InvalidParameterValue(format!(
                "Message {kind} attribute '{name}' must contain a non-empty value of type '{}'.",
                transport.name()
            ))
        };
        match transport {
            Transport::String | Transport::Number => {
                let text = value.string_value.as_deref().filter(|s| !s.is_empty()).ok_or_else(empty)?;
                if transport == Transport::Number && !is_number(text) {
                    return Err(SqsError::InvalidParameterValue(format!(
                        "Can't cast the value of message {kind} attribute '{name}' to a number."
                    )));
                }
                if !valid_text(text) {
                    return Err(SqsError::InvalidParameterValue(SqsError::InvalidMessageContents.to_string()));
                }
            }
            Transport::Binary => {
                if decode_binary(value.binary_value.as_deref().ok_or_else(empty)?).is_empty() {
                    return Err(empty());
                }
            }
        }
    }
    Ok(())
}

/// The hex MD5 of a message body.
pub(crate) fn md5_of_body(body: &str) -> String {
    hex::encode(Md5::digest(body.as_bytes()))
}

/// The hex MD5 of message attributes, by SQS's documented algorithm: for each attribute in name
/// order, the name, the data type, a transport byte (1 for String and Number, 2 for Binary) and
/// the value, the name, type and value each preceded by its length as a 4-byte big-endian
/// integer. `None` when there are none.
pub(crate) fn md5_of_attributes(attributes: &Attributes) -> Option<String> {
    fn field(md5: &mut Md5, bytes: &[u8]) {
        // Names, types and values are bounded far below 4 GiB by the request size.
        md5.update(u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
        md5.update(bytes);
    }
    if attributes.is_empty() {
        return None;
    }
    let mut md5 = Md5::new();
    for (name, value) in attributes {
        field(&mut md5, name.as_bytes());
        field(&mut md5, value.data_type.as_bytes());
        if Transport::of(&value.data_type) == Some(Transport::Binary) {
            md5.update([2u8]);
            field(&mut md5, &decode_binary(value.binary_value.as_deref().unwrap_or_default()));
        } else {
            md5.update([1u8]);
            field(&mut md5, value.string_value.as_deref().unwrap_or_default().as_bytes());
        }
    }
    Some(hex::encode(md5.finalize()))
}

/// Whether an attribute named `name` is selected by `ReceiveMessage`'s `MessageAttributeNames`:
/// `All`, `*` and `.*` select everything, `Prefix.*` every name that starts with `Prefix`,
/// anything else the attribute of that name.
pub(crate) fn selected(name: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| match p.as_str() {
        "All" | "*" | ".*" => true,
        p => match p.strip_suffix(".*") {
            Some(prefix) => name.starts_with(prefix),
            None => p == name,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    const VECTORS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../testdata/sqs/md5-vectors.json"));

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn attr(data_type: &str, value: &str) -> MessageAttribute {
        MessageAttribute { data_type: data_type.into(), string_value: Some(value.into()), binary_value: None }
    }

    #[test]
    fn every_md5_vector_matches() {
        let vectors: Value = serde_json::from_str(VECTORS).unwrap();
        let cases = vectors["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 9);
        for case in cases {
            let name = case["name"].as_str().unwrap();
            let body = case["MessageBody"].as_str().unwrap();
            let expected = &case["expected"];
            assert_eq!(md5_of_body(body), expected["MD5OfMessageBody"].as_str().unwrap(), "{name}");
            let mut attributes = Attributes::new();
            for (attr_name, value) in case["MessageAttributes"].as_object().into_iter().flatten() {
                attributes.insert(
                    attr_name.clone(),
                    MessageAttribute {
                        data_type: value["DataType"].as_str().unwrap().into(),
                        string_value: value["StringValue"].as_str().map(str::to_owned),
                        binary_value: value["BinaryValue"].as_str().map(b64),
                    },
                );
            }
            validate_attributes(&attributes, false).unwrap();
            assert_eq!(
                md5_of_attributes(&attributes).as_deref(),
                expected["MD5OfMessageAttributes"].as_str(),
                "{name}"
            );
        }
        // aws-sdk-go's checksum test.
        assert_eq!(md5_of_body("test"), "098f6bcd4621d373cade4e832627b4f6");
    }

    #[test]
    fn attribute_rules_and_messages() {
        let one = |name: &str, a: MessageAttribute| Attributes::from([(name.to_owned(), a)]);
        let err = |attrs: &Attributes| validate_attributes(attrs, false).unwrap_err().to_string();
        assert_eq!(
            err(&one("ErrorDetails", attr("String", ""))),
            "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."
        );
        assert_eq!(
            err(&one("n", attr("Number", "12a"))),
            "Can't cast the value of message (user) attribute 'n' to a number."
        );
        assert!(err(&one("n", attr("Numbers", "1"))).contains("supported type prefixes: Binary, Number, String"));
        assert!(err(&one("n", attr("String.", "1"))).contains("supported type prefixes"));
        assert!(err(&one("AWS.x", attr("String", "1"))).contains("reserved for internal use"));
        assert!(err(&one("amazon.x", attr("String", "1"))).contains("reserved for internal use"));
        for bad in [".a", "a.", "a..b"] {
            assert!(err(&one(bad, attr("String", "1"))).contains("period"), "{bad}");
        }
        assert!(err(&one("a b", attr("String", "1"))).contains("can only contain"));
        assert!(err(&one(&"a".repeat(257), attr("String", "1"))).contains("1 to 256"));
        let binary_empty =
            MessageAttribute { data_type: "Binary".into(), string_value: None, binary_value: Some(String::new()) };
        assert!(err(&one("b", binary_empty)).contains("of type 'Binary'"));
        let eleven: Attributes = (0..11).map(|i| (format!("a{i}"), attr("String", "v"))).collect();
        assert_eq!(err(&eleven), "Number of message attributes [11] exceeds the allowed maximum [10].");
        assert!(err(&one("s", attr("String", "\u{1}"))).starts_with("Invalid characters found."));
        let system = validate_attributes(&one("AWSTraceHeader", attr("Strin", "x")), true).unwrap_err().to_string();
        assert!(system.contains("message system attribute 'AWSTraceHeader'"), "{system}");
    }

    #[test]
    fn sizes_count_names_types_and_values() {
        let attrs = Attributes::from([
            ("ab".to_owned(), attr("String", "xyz")),
            (
                "c".to_owned(),
                MessageAttribute { data_type: "Binary".into(), string_value: None, binary_value: Some(b64("1234")) },
            ),
        ]);
        validate_attributes(&attrs, false).unwrap();
        assert_eq!(attributes_size(&attrs), (2 + 6 + 3) + (1 + 6 + 4));
        assert_eq!(attributes_size(&Attributes::new()), 0);
    }

    #[test]
    fn numbers_as_sqs_reads_them() {
        for ok in ["0", "-1", "+2", "3.5", ".5", "5.", "1e10", "1E-3", "-0.0e+1"] {
            assert!(is_number(ok), "{ok}");
        }
        for bad in ["", "-", ".", "1e", "e1", "1.2.3", "0x10", "1 ", "NaN", "1e+"] {
            assert!(!is_number(bad), "{bad}");
        }
    }

    #[test]
    fn bodies() {
        assert!(matches!(validate_body(""), Err(SqsError::MissingParameter(p)) if p == "MessageBody"));
        assert_eq!(validate_body("a\u{0}b"), Err(SqsError::InvalidMessageContents));
        assert_eq!(validate_body("a\u{FFFE}"), Err(SqsError::InvalidMessageContents));
        assert!(validate_body("tab\tnl\ncr\r 😀 \u{E000}").is_ok());
    }

    #[test]
    fn attribute_name_selection() {
        let p = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(selected("x", &p(&["All"])));
        assert!(selected("x", &p(&[".*"])));
        assert!(selected("x", &p(&["*"])));
        assert!(selected("Hello", &p(&["Hel.*"])));
        assert!(selected("Help.Me", &p(&["Hel.*"])));
        assert!(!selected("General", &p(&["Hel.*"])));
        assert!(selected("General", &p(&["Hel.*", "General"])));
        assert!(!selected("Gen", &p(&["General"])));
        assert!(!selected("x", &[]));
    }

    proptest! {
        #[test]
        fn validation_and_digests_never_panic(
            name in ".{0,300}", data_type in ".{0,20}", value in proptest::option::of(".{0,40}"), binary in proptest::option::of(".{0,40}"),
        ) {
            let attrs = Attributes::from([(name, MessageAttribute { data_type, string_value: value, binary_value: binary })]);
            let _ = validate_attributes(&attrs, false);
            let _ = md5_of_attributes(&attrs);
        }
    }
}
