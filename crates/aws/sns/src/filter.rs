//! Subscription filter policies: the EventBridge pattern language (the `pattern` crate) applied
//! to a message's attributes (scope `MessageAttributes`, the default) or to its JSON body
//! (`MessageBody`), with SNS's own limits.

use super::message::Attributes;
use serde_json::{Map, Value};

/// Attribute names a policy may name.
const MAX_KEYS: usize = 5;
/// Combinations of values a policy may allow.
const MAX_COMBINATIONS: usize = 150;

/// Where a policy looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The message attributes.
    MessageAttributes,
    /// The message body, as JSON.
    MessageBody,
}

impl Scope {
    /// Parses a `FilterPolicyScope` value.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "MessageAttributes" => Some(Scope::MessageAttributes),
            "MessageBody" => Some(Scope::MessageBody),
            _ => None,
        }
    }
}

/// The leaves of a policy (paths to their lists of alternatives) and the policy's width.
fn leaves(value: &Value, depth: usize, keys: &mut usize, combinations: &mut usize, nested: &mut bool) {
    let Value::Object(map) = value else { return };
    for (key, v) in map {
        match v {
            Value::Object(inner) if key == "$or" || inner.keys().any(|k| k == "$or") => {
                leaves(v, depth + 1, keys, combinations, nested);
            }
            Value::Object(_) => {
                if depth == 0 {
                    *nested = true;
                }
                leaves(v, depth + 1, keys, combinations, nested);
            }
            Value::Array(alternatives) if key == "$or" => {
                for alt in alternatives {
                    leaves(alt, depth, keys, combinations, nested);
                }
            }
            Value::Array(alternatives) => {
                *keys += 1;
                *combinations = combinations.saturating_mul(alternatives.len().max(1));
            }
            _ => {}
        }
    }
}

/// Checks a policy for `scope`; `Err` is the reason SNS gives after `FilterPolicy: `.
pub fn validate(text: &str, scope: Scope) -> Result<(), String> {
    let value: Value = serde_json::from_str(text).map_err(|_| "failed to parse JSON.".to_owned())?;
    if !value.is_object() {
        return Err("Filter policy must be a JSON object".into());
    }
    if value.as_object().is_some_and(Map::is_empty) {
        return Ok(());
    }
    pattern::Pattern::parse(text).map_err(|e| e.reason().to_owned())?;
    let (mut keys, mut combinations, mut nested) = (0, 1, false);
    leaves(&value, 0, &mut keys, &mut combinations, &mut nested);
    if scope == Scope::MessageAttributes && nested {
        return Err("Filter policy scope MessageAttributes does not support nested filter policy".into());
    }
    if keys > MAX_KEYS {
        return Err(format!("Filter policy can not have more than {MAX_KEYS} keys"));
    }
    if combinations > MAX_COMBINATIONS {
        return Err("Filter policy is too complex".into());
    }
    Ok(())
}

/// Whether a message passes a policy (an empty policy passes everything).
pub fn matches(text: &str, scope: Scope, message: &str, attributes: &Attributes) -> bool {
    if text.trim().is_empty()
        || serde_json::from_str::<Value>(text).is_ok_and(|v| v.as_object().is_some_and(Map::is_empty))
    {
        return true;
    }
    let Ok(policy) = pattern::Pattern::parse(text) else { return false };
    let subject = match scope {
        Scope::MessageAttributes => Value::Object(
            attributes.iter().filter_map(|(name, a)| a.filter_value().map(|v| (name.clone(), v))).collect(),
        ),
        Scope::MessageBody => match serde_json::from_str::<Value>(message) {
            Ok(v @ Value::Object(_)) => v,
            _ => return false,
        },
    };
    policy.matches(&pattern::Event::from_value(&subject))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Attribute;

    fn attrs(pairs: &[(&str, &str, &str)]) -> Attributes {
        pairs
            .iter()
            .map(|(n, t, v)| {
                (
                    (*n).to_owned(),
                    Attribute { data_type: (*t).into(), string_value: Some((*v).into()), binary_value: None },
                )
            })
            .collect()
    }

    #[test]
    fn attribute_policies() {
        let policy = r#"{"store": ["example_corp"], "price_usd": [{"numeric": [">=", 100]}], "customer_interests": ["rugby", "football"]}"#;
        assert!(validate(policy, Scope::MessageAttributes).is_ok());
        let m = attrs(&[
            ("store", "String", "example_corp"),
            ("price_usd", "Number", "210.75"),
            ("customer_interests", "String.Array", "[\"soccer\", \"rugby\"]"),
        ]);
        assert!(matches(policy, Scope::MessageAttributes, "", &m));
        let cheap = attrs(&[
            ("store", "String", "example_corp"),
            ("price_usd", "Number", "99"),
            ("customer_interests", "String", "rugby"),
        ]);
        assert!(!matches(policy, Scope::MessageAttributes, "", &cheap));
        assert!(matches(r#"{"missing": [{"exists": false}]}"#, Scope::MessageAttributes, "", &m));
        assert!(matches("{}", Scope::MessageAttributes, "", &Attributes::new()));
    }

    #[test]
    fn body_policies() {
        let policy = r#"{"detail": {"parameter-name": ["/my-erp/lwa/clientsecret"]}}"#;
        assert!(validate(policy, Scope::MessageBody).is_ok());
        assert_eq!(
            validate(policy, Scope::MessageAttributes).unwrap_err(),
            "Filter policy scope MessageAttributes does not support nested filter policy"
        );
        let body = r#"{"detail": {"parameter-name": "/my-erp/lwa/clientsecret"}}"#;
        assert!(matches(policy, Scope::MessageBody, body, &Attributes::new()));
        assert!(!matches(policy, Scope::MessageBody, "not json", &Attributes::new()));
    }

    #[test]
    fn limits_and_errors() {
        assert_eq!(validate("{", Scope::MessageAttributes).unwrap_err(), "failed to parse JSON.");
        assert_eq!(
            validate(r#"{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]}"#, Scope::MessageAttributes).unwrap_err(),
            "Filter policy can not have more than 5 keys"
        );
        let wide = format!(
            r#"{{"a": [{}], "b": [{}]}}"#,
            (0..20).map(|i| i.to_string()).collect::<Vec<_>>().join(","),
            (0..20).map(|i| i.to_string()).collect::<Vec<_>>().join(",")
        );
        assert_eq!(validate(&wide, Scope::MessageAttributes).unwrap_err(), "Filter policy is too complex");
        assert!(validate(r#"{"a": [{"numeric": ["<", "x"]}]}"#, Scope::MessageAttributes).is_err());
    }
}
