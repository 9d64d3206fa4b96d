//! Decoding: from the wire to the normalised value (see the crate documentation) that follows
//! the operation's input shape. Members the model does not know are ignored, as AWS does.

pub(crate) mod json;
mod query;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use serde_json::{Number, Value};

pub use json::decode_json;
pub use query::{MAX_KEY_LENGTH, MAX_KEY_SEGMENTS, decode_query};

use crate::model::Kind;
use crate::timestamp;

/// Why a request's input could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The model has no operation of that name.
    #[error("unknown operation {0:?}")]
    UnknownOperation(String),
    /// The awsJson body is not JSON.
    #[error("the request body is not valid JSON: {0}")]
    InvalidJson(String),
    /// A value has the wrong JSON type or cannot be read as its shape's type.
    #[error("the value at '{path}' is not a valid {expected}")]
    InvalidValue {
        /// Where, as AWS prints member paths (`tags.1.member.key`).
        path: String,
        /// What the model expects there.
        expected: &'static str,
    },
    /// More awsQuery parameters than [`crate::MAX_QUERY_PARAMS`].
    #[error("the request has more than {} parameters", crate::MAX_QUERY_PARAMS)]
    TooManyParameters,
    /// An awsQuery parameter name longer than [`MAX_KEY_LENGTH`] or with more than
    /// [`MAX_KEY_SEGMENTS`] dotted segments.
    #[error("the parameter name is too long or too deeply nested")]
    ParameterNameTooLong,
}

/// Blobs are accepted with or without padding and re-encoded canonically.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub(crate) fn invalid(path: &str, expected: &'static str) -> DecodeError {
    DecodeError::InvalidValue { path: path.to_owned(), expected }
}

/// The name of a scalar kind in error messages.
fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::String => "string",
        Kind::Integer => "integer",
        Kind::Long => "long",
        Kind::Float => "float",
        Kind::Double => "double",
        Kind::Boolean => "boolean",
        Kind::Blob => "blob",
        Kind::Timestamp => "timestamp",
        Kind::Structure(_) => "structure",
        Kind::List(_) => "list",
        Kind::Map { .. } => "map",
    }
}

fn non_finite(text: &str) -> Option<Value> {
    matches!(text, "NaN" | "Infinity" | "-Infinity").then(|| Value::String(text.to_owned()))
}

fn canonical_blob(text: &str) -> Option<Value> {
    let bytes = LENIENT_BASE64.decode(text.trim()).ok()?;
    Some(Value::String(STANDARD.encode(bytes)))
}

/// Read a scalar from its text form (awsQuery parameters).
pub(crate) fn scalar_from_text(kind: &Kind, text: &str, path: &str) -> Result<Value, DecodeError> {
    let value = match kind {
        Kind::String => Some(Value::String(text.to_owned())),
        Kind::Integer => text.parse::<i32>().ok().map(Value::from),
        Kind::Long => text.parse::<i64>().ok().map(Value::from),
        Kind::Float | Kind::Double => {
            non_finite(text).or_else(|| text.parse::<f64>().ok().and_then(Number::from_f64).map(Value::Number))
        }
        Kind::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        Kind::Blob => canonical_blob(text),
        Kind::Timestamp => timestamp::parse_text(text).map(timestamp::to_value),
        Kind::Structure(_) | Kind::List(_) | Kind::Map { .. } => None,
    };
    value.ok_or_else(|| invalid(path, kind_name(kind)))
}

/// Read a scalar from a JSON value (awsJson bodies).
fn scalar_from_json(kind: &Kind, value: &Value, path: &str) -> Result<Value, DecodeError> {
    let integral = |v: &Value| -> Option<i64> {
        match v {
            Value::Number(n) => n.as_i64().or_else(|| {
                let f = n.as_f64()?;
                #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
                let fits = f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64;
                #[allow(clippy::cast_possible_truncation)]
                fits.then_some(f as i64)
            }),
            _ => None,
        }
    };
    let decoded = match (kind, value) {
        (Kind::String, Value::String(s)) => Some(Value::String(s.clone())),
        (Kind::Integer, v) => integral(v).and_then(|i| i32::try_from(i).ok()).map(Value::from),
        (Kind::Long, v) => integral(v).map(Value::from),
        (Kind::Float | Kind::Double, Value::Number(n)) => n.as_f64().and_then(Number::from_f64).map(Value::Number),
        (Kind::Float | Kind::Double, Value::String(s)) => non_finite(s),
        (Kind::Boolean, Value::Bool(b)) => Some(Value::Bool(*b)),
        (Kind::Blob, Value::String(s)) => canonical_blob(s),
        (Kind::Timestamp, Value::Number(_)) => timestamp::from_value(value).map(timestamp::to_value),
        (Kind::Timestamp, Value::String(s)) => timestamp::parse_text(s).map(timestamp::to_value),
        _ => None,
    };
    decoded.ok_or_else(|| invalid(path, kind_name(kind)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_scalars() {
        let ok = |k: &Kind, t: &str| scalar_from_text(k, t, "p").unwrap();
        assert_eq!(ok(&Kind::Integer, "-12"), json!(-12));
        assert_eq!(ok(&Kind::Long, "999999999999"), json!(999_999_999_999_i64));
        assert_eq!(ok(&Kind::Double, "10.8"), json!(10.8));
        assert_eq!(ok(&Kind::Float, "-Infinity"), json!("-Infinity"));
        assert_eq!(ok(&Kind::Boolean, "TRUE"), json!(true));
        assert_eq!(ok(&Kind::Blob, "dmFsdWU"), json!("dmFsdWU="));
        assert_eq!(ok(&Kind::Timestamp, "2015-01-25T08:00:00Z"), json!(1_422_172_800));
        for (kind, text) in [
            (Kind::Integer, "2147483648"),
            (Kind::Integer, "1.5"),
            (Kind::Long, "x"),
            (Kind::Double, "1e400"),
            (Kind::Double, "nan"),
            (Kind::Boolean, "yes"),
            (Kind::Blob, "not base64!"),
            (Kind::Timestamp, "soon"),
        ] {
            assert_eq!(
                scalar_from_text(&kind, text, "a.b"),
                Err(DecodeError::InvalidValue { path: "a.b".into(), expected: kind_name(&kind) }),
                "{text}"
            );
        }
    }

    #[test]
    fn json_scalars() {
        let ok = |k: &Kind, v: Value| scalar_from_json(k, &v, "p").unwrap();
        assert_eq!(ok(&Kind::Integer, json!(7.0)), json!(7));
        assert_eq!(ok(&Kind::Double, json!(3)), json!(3.0));
        assert_eq!(ok(&Kind::Double, json!("NaN")), json!("NaN"));
        assert_eq!(ok(&Kind::Timestamp, json!(1.5e9)), json!(1_500_000_000));
        assert_eq!(ok(&Kind::Timestamp, json!("2000-01-02T20:34:56Z")), json!(946_845_296));
        for (kind, v) in [
            (Kind::String, json!(1)),
            (Kind::Integer, json!(1.5)),
            (Kind::Integer, json!(4_294_967_296_i64)),
            (Kind::Long, json!("1")),
            (Kind::Long, json!(1e300)),
            (Kind::Double, json!("1.5")),
            (Kind::Boolean, json!("true")),
            (Kind::Blob, json!("@@")),
            (Kind::Timestamp, json!(true)),
        ] {
            assert!(scalar_from_json(&kind, &v, "p").is_err(), "{v}");
        }
    }
}
