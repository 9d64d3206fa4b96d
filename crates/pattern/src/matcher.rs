//! The value tests a pattern field can hold, and how each one judges a leaf
//! value of an event.

use crate::fold::{Anchor, Folded};
use crate::ip::{IpRange, parse_ip};
use crate::wildcard::Wildcard;

/// A leaf value of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'e> {
    /// A string, unescaped.
    Str(&'e str),
    /// A number: its JSON text and its comparable value in millionths (`None`
    /// outside the numeric-matching range).
    Num {
        text: &'e str,
        micros: Option<i64>,
    },
    True,
    False,
    Null,
}

/// A bound of a numeric range, in millionths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bound {
    pub(crate) micros: i64,
    pub(crate) inclusive: bool,
}

/// What `anything-but` excludes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Exclusion {
    Strings(Vec<Box<str>>),
    Numbers(Vec<i64>),
    Prefixes(Vec<Box<str>>),
    Suffixes(Vec<Box<str>>),
    IgnoringCase(Vec<Folded>),
    Wildcards(Vec<Wildcard>),
}

/// One alternative of a pattern field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Matcher {
    /// A string equal to this one (also `{"exactly": ...}`).
    Exact(Box<str>),
    /// A number: equal text, or an equal comparable value.
    Number {
        text: Box<str>,
        micros: Option<i64>,
    },
    True,
    False,
    Null,
    /// An IP address in the range (a `cidr`, or a string value that is an IP
    /// address, which EventBridge compares as an address).
    Ip(IpRange),
    Prefix(Box<str>),
    Suffix(Box<str>),
    EqualsIgnoreCase(Folded),
    PrefixIgnoreCase(Folded),
    SuffixIgnoreCase(Folded),
    Wildcard(Wildcard),
    Numeric {
        low: Option<Bound>,
        high: Option<Bound>,
    },
    /// `{"exists": true}`: any leaf value at all.
    Exists,
    /// Any leaf value except the excluded ones.
    AnythingBut(Exclusion),
}

impl Matcher {
    /// Whether a leaf value satisfies this alternative.
    pub(crate) fn matches(&self, value: Value<'_>) -> bool {
        match (self, value) {
            (Self::Exists, _) | (Self::True, Value::True) | (Self::False, Value::False) | (Self::Null, Value::Null) => {
                true
            }
            (Self::AnythingBut(exclusion), value) => !exclusion.excludes(value),
            (Self::Number { text, micros }, Value::Num { text: v_text, micros: v_micros }) => {
                **text == *v_text || (micros.is_some() && *micros == v_micros)
            }
            (Self::Numeric { low, high }, Value::Num { micros: Some(m), .. }) => {
                low.is_none_or(|b| m > b.micros || (b.inclusive && m == b.micros))
                    && high.is_none_or(|b| m < b.micros || (b.inclusive && m == b.micros))
            }
            (_, Value::Str(s)) => self.matches_str(s),
            _ => false,
        }
    }

    fn matches_str(&self, s: &str) -> bool {
        match self {
            Self::Exact(v) => **v == *s,
            Self::Prefix(p) => s.starts_with(&**p),
            Self::Suffix(p) => s.ends_with(&**p),
            Self::EqualsIgnoreCase(f) => f.matches(s, Anchor::Whole),
            Self::PrefixIgnoreCase(f) => f.matches(s, Anchor::Start),
            Self::SuffixIgnoreCase(f) => f.matches(s, Anchor::End),
            Self::Wildcard(w) => w.matches(s),
            Self::Ip(range) => parse_ip(s).is_some_and(|ip| range.contains(ip)),
            _ => false,
        }
    }
}

impl Exclusion {
    fn excludes(&self, value: Value<'_>) -> bool {
        match (self, value) {
            (Self::Numbers(numbers), Value::Num { micros: Some(m), .. }) => numbers.contains(&m),
            (Self::Strings(values), Value::Str(s)) => values.iter().any(|v| **v == *s),
            (Self::Prefixes(values), Value::Str(s)) => values.iter().any(|v| s.starts_with(&**v)),
            (Self::Suffixes(values), Value::Str(s)) => values.iter().any(|v| s.ends_with(&**v)),
            (Self::IgnoringCase(values), Value::Str(s)) => values.iter().any(|v| v.matches(s, Anchor::Whole)),
            (Self::Wildcards(values), Value::Str(s)) => values.iter().any(|v| v.matches(s)),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::micros;

    fn num(text: &str) -> Value<'_> {
        Value::Num { text, micros: micros(text) }
    }

    #[test]
    fn number_equality_normalises() {
        let m = Matcher::Number { text: "300".into(), micros: micros("300") };
        assert!(m.matches(num("300.0")));
        assert!(m.matches(num("3.0e2")));
        assert!(!m.matches(num("300.000001")));
        assert!(!m.matches(Value::Str("300")));
        let big = Matcher::Number { text: "123456789012".into(), micros: None };
        assert!(big.matches(num("123456789012")));
        assert!(!big.matches(num("123456789012.0")));
    }

    #[test]
    fn anything_but_matches_other_types() {
        let m = Matcher::AnythingBut(Exclusion::Strings(vec!["a".into()]));
        assert!(m.matches(Value::Null));
        assert!(m.matches(num("1")));
        assert!(!m.matches(Value::Str("a")));
        let n = Matcher::AnythingBut(Exclusion::Numbers(vec![100_000_000]));
        assert!(!n.matches(num("1e2")));
        assert!(n.matches(Value::Str("100")));
    }

    #[test]
    fn numeric_ranges() {
        let m = Matcher::Numeric {
            low: Some(Bound { micros: 0, inclusive: false }),
            high: Some(Bound { micros: 5_000_000, inclusive: true }),
        };
        assert!(m.matches(num("5")));
        assert!(!m.matches(num("0")));
        assert!(m.matches(num("0.000001")));
        assert!(!m.matches(num("5.000001")));
        assert!(!m.matches(Value::Str("3")));
        assert!(!m.matches(num("1e10")));
    }
}
