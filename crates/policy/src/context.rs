//! The request context: condition keys and their values.
//!
//! Key names are case-insensitive in IAM ("`aws:CurrentTime` is equivalent to
//! `AWS:currenttime`"), so keys are stored lower-cased. Every key holds a list of values; a
//! single-valued key is a list of one, and an empty list counts as absent. Each key also has one
//! of the simulator's `ContextKeyType`s, checked when values are inserted with
//! [`Context::insert`]; the operators themselves read values as their category requires.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use crate::principal::{Principal, PrincipalKind};
use crate::values::{Decimal, Instant, parse_base64, parse_bool, parse_ip};

/// The value types of IAM's `ContextEntry.ContextKeyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContextKeyType {
    /// `string`
    String,
    /// `stringList`
    StringList,
    /// `numeric`
    Numeric,
    /// `numericList`
    NumericList,
    /// `boolean`
    Boolean,
    /// `booleanList`
    BooleanList,
    /// `ip`
    Ip,
    /// `ipList`
    IpList,
    /// `binary` (base64 text)
    Binary,
    /// `binaryList`
    BinaryList,
    /// `date` (ISO 8601 or epoch seconds)
    Date,
    /// `dateList`
    DateList,
}

const TYPE_NAMES: [(ContextKeyType, &str); 12] = [
    (ContextKeyType::String, "string"),
    (ContextKeyType::StringList, "stringList"),
    (ContextKeyType::Numeric, "numeric"),
    (ContextKeyType::NumericList, "numericList"),
    (ContextKeyType::Boolean, "boolean"),
    (ContextKeyType::BooleanList, "booleanList"),
    (ContextKeyType::Ip, "ip"),
    (ContextKeyType::IpList, "ipList"),
    (ContextKeyType::Binary, "binary"),
    (ContextKeyType::BinaryList, "binaryList"),
    (ContextKeyType::Date, "date"),
    (ContextKeyType::DateList, "dateList"),
];

impl ContextKeyType {
    /// The wire name (`"stringList"`, ...).
    pub fn as_str(self) -> &'static str {
        TYPE_NAMES.iter().find(|(t, _)| *t == self).map_or("string", |(_, n)| n)
    }

    /// Whether the type holds a list of values.
    pub fn is_list(self) -> bool {
        self.as_str().ends_with("List")
    }

    fn accepts(self, value: &str) -> bool {
        match self {
            ContextKeyType::String | ContextKeyType::StringList => true,
            ContextKeyType::Numeric | ContextKeyType::NumericList => Decimal::parse(value).is_some(),
            ContextKeyType::Boolean | ContextKeyType::BooleanList => parse_bool(value).is_some(),
            ContextKeyType::Ip | ContextKeyType::IpList => parse_ip(value).is_some(),
            ContextKeyType::Binary | ContextKeyType::BinaryList => parse_base64(value).is_some(),
            ContextKeyType::Date | ContextKeyType::DateList => Instant::parse(value).is_some(),
        }
    }
}

impl FromStr for ContextKeyType {
    type Err = ContextError;

    /// Parses a wire name, exactly as IAM spells it.
    fn from_str(s: &str) -> Result<Self, ContextError> {
        TYPE_NAMES
            .iter()
            .find(|(_, n)| *n == s)
            .map(|(t, _)| *t)
            .ok_or_else(|| ContextError::UnknownType(s.to_string()))
    }
}

impl fmt::Display for ContextKeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A context entry that does not fit its declared type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// The type name is not one of IAM's.
    #[error("unknown context key type {0}")]
    UnknownType(String),
    /// A single-valued type was given other than one value.
    #[error("context key {key} of type {ty} needs exactly one value")]
    NotSingle {
        /// The key as given.
        key: String,
        /// Its declared type.
        ty: ContextKeyType,
    },
    /// A value does not parse as the declared type.
    #[error("context key {key} value {value} is not a valid {ty}")]
    InvalidValue {
        /// The key as given.
        key: String,
        /// The offending value.
        value: String,
        /// Its declared type.
        ty: ContextKeyType,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    ty: ContextKeyType,
    values: Vec<String>,
}

/// Condition keys and values for one request. See the module docs of [`crate`] for which
/// global keys callers fill in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    entries: HashMap<Box<str>, Entry>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// A context holding the principal-derived global keys (see [`Context::fill_principal`]).
    pub fn for_principal(principal: &Principal) -> Context {
        let mut ctx = Context::new();
        ctx.fill_principal(principal);
        ctx
    }

    /// Sets a single string value, replacing any previous value.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.put(key, ContextKeyType::String, vec![value.into()]);
    }

    /// Sets a list of string values (a multivalued key such as `aws:TagKeys`).
    pub fn set_list<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.put(key, ContextKeyType::StringList, values.into_iter().map(Into::into).collect());
    }

    /// Sets values with a declared type, checking each value as the simulator does.
    pub fn insert(&mut self, key: &str, ty: ContextKeyType, values: Vec<String>) -> Result<(), ContextError> {
        if !ty.is_list() && values.len() != 1 {
            return Err(ContextError::NotSingle { key: key.to_string(), ty });
        }
        if let Some(bad) = values.iter().find(|v| !ty.accepts(v)) {
            return Err(ContextError::InvalidValue { key: key.to_string(), value: bad.clone(), ty });
        }
        self.put(key, ty, values);
        Ok(())
    }

    fn put(&mut self, key: &str, ty: ContextKeyType, values: Vec<String>) {
        self.entries.insert(key.to_ascii_lowercase().into(), Entry { ty, values });
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) {
        self.entries.remove(key.to_ascii_lowercase().as_str());
    }

    /// The values of a key, any letter case.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.values(&key.to_ascii_lowercase())
    }

    /// The declared type of a key, any letter case.
    pub fn key_type(&self, key: &str) -> Option<ContextKeyType> {
        self.entries.get(key.to_ascii_lowercase().as_str()).map(|e| e.ty)
    }

    /// Values of an already lower-cased key; an empty list reads as absent.
    pub(crate) fn values(&self, lower: &str) -> Option<&[String]> {
        self.entries.get(lower).map(|e| e.values.as_slice()).filter(|v| !v.is_empty())
    }

    /// The value of a single-valued, already lower-cased key; keys of a list type never
    /// qualify, whatever their number of values.
    pub(crate) fn single(&self, lower: &str) -> Option<&str> {
        match self.entries.get(lower) {
            Some(Entry { ty, values }) if !ty.is_list() && values.len() == 1 => Some(&values[0]),
            _ => None,
        }
    }

    /// Sets `aws:CurrentTime` (ISO 8601, UTC) and `aws:EpochTime` from Unix seconds.
    pub fn set_time(&mut self, unix_seconds: i64) {
        let iso = Instant::from_unix_seconds(unix_seconds).to_iso();
        self.put("aws:CurrentTime", ContextKeyType::Date, vec![iso]);
        self.put("aws:EpochTime", ContextKeyType::Date, vec![unix_seconds.to_string()]);
    }

    /// Sets the tags passed in a request: `aws:RequestTag/<key>` for each, and `aws:TagKeys`
    /// (multivalued) listing their keys.
    pub fn set_request_tags<'t>(&mut self, tags: impl IntoIterator<Item = (&'t str, &'t str)>) {
        let mut keys = Vec::new();
        for (k, v) in tags {
            self.set(&format!("aws:RequestTag/{k}"), v);
            keys.push(k.to_string());
        }
        self.put("aws:TagKeys", ContextKeyType::StringList, keys);
    }

    /// Sets `aws:ResourceTag/<key>` for each tag of the requested resource.
    pub fn set_resource_tags<'t>(&mut self, tags: impl IntoIterator<Item = (&'t str, &'t str)>) {
        for (k, v) in tags {
            self.set(&format!("aws:ResourceTag/{k}"), v);
        }
    }

    /// Fills the global keys that follow from who is calling, per IAM's "principal key values":
    /// `aws:PrincipalArn` (the caller's ARN, but the role's ARN for role sessions),
    /// `aws:PrincipalAccount`, `aws:PrincipalType` (`Account`, `User`, `AssumedRole`,
    /// `FederatedUser`, `Anonymous`), `aws:userid`, `aws:username` (IAM users only),
    /// `aws:PrincipalTag/<key>` for each tag, `aws:PrincipalIsAWSService` and, for service
    /// principals, `aws:PrincipalServiceName`. Keys that do not apply are removed.
    pub fn fill_principal(&mut self, p: &Principal) {
        for key in [
            "aws:PrincipalArn",
            "aws:PrincipalAccount",
            "aws:PrincipalType",
            "aws:userid",
            "aws:username",
            "aws:PrincipalServiceName",
        ] {
            self.remove(key);
        }
        self.entries.retain(|k, _| !k.starts_with("aws:principaltag/"));
        let (ty, arn) = match &p.kind {
            PrincipalKind::Root => (Some("Account"), Some(p.arn.as_str())),
            PrincipalKind::User => (Some("User"), Some(p.arn.as_str())),
            PrincipalKind::AssumedRole { role_arn } => (Some("AssumedRole"), Some(role_arn.as_str())),
            PrincipalKind::FederatedUser { .. } => (Some("FederatedUser"), Some(p.arn.as_str())),
            PrincipalKind::Anonymous => (Some("Anonymous"), None),
            PrincipalKind::WebIdentity { .. } | PrincipalKind::Service(_) => (None, None),
        };
        if let Some(ty) = ty {
            self.set("aws:PrincipalType", ty);
        }
        if let Some(arn) = arn {
            self.set("aws:PrincipalArn", arn);
        }
        if !p.account.is_empty() {
            self.set("aws:PrincipalAccount", p.account.clone());
        }
        if !p.userid.is_empty() {
            self.set("aws:userid", p.userid.clone());
        }
        if let (PrincipalKind::User, Some(name)) = (&p.kind, &p.username) {
            self.set("aws:username", name.clone());
        }
        for (k, v) in &p.tags {
            self.set(&format!("aws:PrincipalTag/{k}"), v.clone());
        }
        let service = matches!(p.kind, PrincipalKind::Service(_));
        self.put("aws:PrincipalIsAWSService", ContextKeyType::Boolean, vec![service.to_string()]);
        if let PrincipalKind::Service(name) = &p.kind {
            self.set("aws:PrincipalServiceName", name.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_empty_lists_are_absent() {
        let mut ctx = Context::new();
        ctx.set("AWS:SourceIp", "10.0.0.1");
        assert_eq!(ctx.get("aws:sourceip"), Some(&["10.0.0.1".to_string()][..]));
        ctx.set_list("aws:TagKeys", Vec::<String>::new());
        assert_eq!(ctx.get("aws:TagKeys"), None);
        assert_eq!(ctx.key_type("aws:tagkeys"), Some(ContextKeyType::StringList));
        ctx.remove("aws:SOURCEIP");
        assert_eq!(ctx.get("aws:SourceIp"), None);
    }

    #[test]
    fn typed_inserts_are_checked() {
        let mut ctx = Context::new();
        assert!(ctx.insert("aws:CurrentTime", ContextKeyType::Date, vec!["2019-04-25T11:00:00Z".into()]).is_ok());
        assert!(matches!(
            ctx.insert("aws:SourceIp", ContextKeyType::Ip, vec!["300.1.1.1".into()]),
            Err(ContextError::InvalidValue { .. })
        ));
        assert!(matches!(ctx.insert("k", ContextKeyType::Numeric, vec![]), Err(ContextError::NotSingle { .. })));
        assert!(ctx.insert("k", ContextKeyType::NumericList, vec!["1".into(), "2.5".into()]).is_ok());
        assert!(ctx.insert("b", ContextKeyType::BooleanList, vec!["TRUE".into()]).is_ok());
        assert!(ctx.insert("x", ContextKeyType::Binary, vec!["QQ==".into()]).is_ok());
        assert_eq!("ipList".parse::<ContextKeyType>(), Ok(ContextKeyType::IpList));
        assert!("IPLIST".parse::<ContextKeyType>().is_err());
        assert_eq!(ContextKeyType::DateList.to_string(), "dateList");
    }

    #[test]
    fn tag_keys() {
        let mut ctx = Context::new();
        ctx.set_request_tags([("CostCenter", "A-123"), ("env", "prod")]);
        ctx.set_resource_tags([("owner", "alice")]);
        assert_eq!(ctx.get("aws:RequestTag/costcenter").unwrap(), ["A-123"]);
        assert_eq!(ctx.get("aws:TagKeys").unwrap(), ["CostCenter", "env"]);
        assert_eq!(ctx.key_type("aws:TagKeys"), Some(ContextKeyType::StringList));
        assert_eq!(ctx.get("aws:ResourceTag/owner").unwrap(), ["alice"]);
    }

    #[test]
    fn time_keys() {
        let mut ctx = Context::new();
        ctx.set_time(1_556_190_000);
        assert_eq!(ctx.get("aws:CurrentTime").unwrap()[0], "2019-04-25T11:00:00Z");
        assert_eq!(ctx.get("aws:EpochTime").unwrap()[0], "1556190000");
    }
}
