//! Condition operators, compiled once per policy and evaluated against a [`Context`].
//!
//! The rules, from IAM's "Condition operators" and "multiple context keys or values" pages:
//! - operators in a block, and keys under one operator, must all hold; any value of a key may
//!   match, except that negated operators (`StringNotEquals`, `NotIpAddress`, ...) need none
//!   to match;
//! - a key absent from the request makes the condition false, or true for negated operators;
//!   `...IfExists` makes it true; `Null` tests presence itself;
//! - `ForAnyValue:` is true when some request value matches (false when the key is absent or
//!   empty); `ForAllValues:` when every request value matches (true when absent or empty); with
//!   a negated operator each request value must match none of the policy values;
//! - variables are substituted only in string, ARN and Bool values.

use crate::context::Context;
use crate::glob::{Flavor, Glob, Piece};
use crate::template::{Template, join};
use crate::values::{Cidr, Decimal, Instant, parse_base64, parse_bool, parse_ip};

/// How request values relate to policy values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Str { ignore_case: bool },
    Like,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            Cmp::Eq => ord == Equal,
            Cmp::Lt => ord == Less,
            Cmp::Le => ord != Greater,
            Cmp::Gt => ord == Greater,
            Cmp::Ge => ord != Less,
        }
    }
}

/// Every operator IAM defines: name, category, negated.
const OPERATORS: [(&str, Category, bool); 27] = [
    ("StringEquals", Category::Str { ignore_case: false }, false),
    ("StringNotEquals", Category::Str { ignore_case: false }, true),
    ("StringEqualsIgnoreCase", Category::Str { ignore_case: true }, false),
    ("StringNotEqualsIgnoreCase", Category::Str { ignore_case: true }, true),
    ("StringLike", Category::Like, false),
    ("StringNotLike", Category::Like, true),
    ("NumericEquals", Category::Numeric(Cmp::Eq), false),
    ("NumericNotEquals", Category::Numeric(Cmp::Eq), true),
    ("NumericLessThan", Category::Numeric(Cmp::Lt), false),
    ("NumericLessThanEquals", Category::Numeric(Cmp::Le), false),
    ("NumericGreaterThan", Category::Numeric(Cmp::Gt), false),
    ("NumericGreaterThanEquals", Category::Numeric(Cmp::Ge), false),
    ("DateEquals", Category::Date(Cmp::Eq), false),
    ("DateNotEquals", Category::Date(Cmp::Eq), true),
    ("DateLessThan", Category::Date(Cmp::Lt), false),
    ("DateLessThanEquals", Category::Date(Cmp::Le), false),
    ("DateGreaterThan", Category::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", Category::Date(Cmp::Ge), false),
    ("Bool", Category::Bool, false),
    ("BinaryEquals", Category::Binary, false),
    ("IpAddress", Category::Ip, false),
    ("NotIpAddress", Category::Ip, true),
    ("ArnEquals", Category::Arn, false),
    ("ArnLike", Category::Arn, false),
    ("ArnNotEquals", Category::Arn, true),
    ("ArnNotLike", Category::Arn, true),
    ("Null", Category::Null, false),
];

/// A set operator prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Single,
    ForAnyValue,
    ForAllValues,
}

/// An operator name split into its parts; `None` when IAM does not know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operator {
    category: Category,
    negated: bool,
    set: SetOp,
    if_exists: bool,
}

impl Operator {
    /// Parses `[ForAnyValue:|ForAllValues:]Name[IfExists]` (case-sensitive, as IAM reads it).
    pub fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (SetOp::ForAnyValue, r)
        } else if let Some(r) = name.strip_prefix("ForAllValues:") {
            (SetOp::ForAllValues, r)
        } else {
            (SetOp::Single, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let (_, category, negated) = OPERATORS.iter().find(|(n, _, _)| *n == base)?;
        Some(Operator { category: *category, negated: *negated, set, if_exists })
    }

    /// Whether the operator reads dates (their values get IAM's legacy date check).
    pub fn is_date(name: &str) -> bool {
        // IAM checks dates for any operator whose stripped name starts with "Date".
        let stripped = name.strip_prefix("ForAnyValue:").or_else(|| name.strip_prefix("ForAllValues:")).unwrap_or(name);
        stripped.starts_with("Date")
    }
}

/// One compiled policy value.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(Box<str>),
    Glob(Glob),
    Arn(ArnPattern),
    Template(Template),
    Number(Option<Decimal>),
    Date(Option<Instant>),
    Binary(Option<Vec<u8>>),
    Ip(Option<Cidr>),
    Null(Option<bool>),
}

/// One `operator: { key: values }` pair of a `Condition` block.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    op: Operator,
    key: Box<str>,
    lower: Box<str>,
    values: Box<[Value]>,
    dynamic: bool,
}

impl Condition {
    /// Compiles `key: values` under `op`; `variables` says whether `${...}` is substituted.
    pub fn new(op: Operator, key: &str, raw: &[String], variables: bool) -> Condition {
        let values: Box<[Value]> = raw.iter().map(|v| compile(op.category, v, variables)).collect();
        let dynamic = values.iter().any(|v| matches!(v, Value::Template(_)));
        Condition { op, key: key.into(), lower: key.to_ascii_lowercase().into(), values, dynamic }
    }

    /// The condition key as written.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Keys of variables used in the values.
    pub fn variable_keys(&self) -> impl Iterator<Item = &str> {
        self.values
            .iter()
            .filter_map(|v| match v {
                Value::Template(t) => Some(t.keys()),
                _ => None,
            })
            .flatten()
    }

    /// Evaluates against `ctx`, reporting keys (as written) that the context lacks.
    pub fn eval<'p>(&'p self, ctx: &Context, missing: &mut dyn FnMut(&'p str)) -> bool {
        let request = ctx.values(&self.lower);
        if request.is_none() {
            missing(&self.key);
        }
        if self.op.category == Category::Null {
            let absent = request.is_none();
            return self.values.contains(&Value::Null(Some(absent)));
        }
        let Some(request) = request else {
            return self.op.if_exists
                || match self.op.set {
                    SetOp::Single => self.op.negated,
                    SetOp::ForAnyValue => false,
                    SetOp::ForAllValues => true,
                };
        };
        let resolved;
        let values: &[Value] = if self.dynamic {
            let mut out = Vec::with_capacity(self.values.len());
            for v in &*self.values {
                match v {
                    Value::Template(t) => match t.resolve(ctx, missing) {
                        Some(pieces) => out.push(compile_pieces(self.op.category, &pieces)),
                        // "If AWS cannot resolve a variable, this might cause the entire
                        // statement to be invalid": a negated test cannot hold.
                        None if self.op.negated => return false,
                        None => {}
                    },
                    other => out.push(other.clone()),
                }
            }
            resolved = out;
            &resolved
        } else {
            &self.values
        };
        let category = self.op.category;
        let hit = |r: &String| values.iter().any(|v| matches(category, v, r));
        let negated = self.op.negated;
        match self.op.set {
            SetOp::Single => request.iter().any(hit) != negated,
            SetOp::ForAnyValue => request.iter().any(|r| hit(r) != negated),
            SetOp::ForAllValues => request.iter().all(|r| hit(r) != negated),
        }
    }
}

fn compile(category: Category, raw: &str, variables: bool) -> Value {
    let templated = matches!(category, Category::Str { .. } | Category::Like | Category::Arn | Category::Bool);
    if let Some(t) = Template::parse(raw).filter(|_| variables && templated) {
        return Value::Template(t);
    }
    match category {
        Category::Numeric(_) => Value::Number(Decimal::parse(raw)),
        Category::Date(_) => Value::Date(Instant::parse(raw)),
        Category::Binary => Value::Binary(parse_base64(raw)),
        Category::Ip => Value::Ip(Cidr::parse(raw)),
        Category::Null => Value::Null(parse_bool(raw)),
        _ => compile_pieces(category, &[Piece::Pattern(raw)]),
    }
}

/// Builds a text-like value from policy text and substituted literals.
fn compile_pieces(category: Category, pieces: &[Piece<'_>]) -> Value {
    match category {
        Category::Like => Value::Glob(Glob::from_pieces(pieces, Flavor::Plain)),
        Category::Arn => Value::Arn(ArnPattern::new(pieces)),
        _ => Value::Text(join(pieces).into()),
    }
}

fn matches(category: Category, policy: &Value, request: &str) -> bool {
    match (category, policy) {
        (Category::Str { ignore_case: false }, Value::Text(t)) => **t == *request,
        (Category::Str { ignore_case: true }, Value::Text(t)) => {
            t.chars().flat_map(char::to_lowercase).eq(request.chars().flat_map(char::to_lowercase))
        }
        (Category::Bool, Value::Text(t)) => parse_bool(t).is_some_and(|b| parse_bool(request) == Some(b)),
        (Category::Like, Value::Glob(g)) => g.matches(request),
        (Category::Arn, Value::Arn(a)) => a.matches(request),
        (Category::Numeric(cmp), Value::Number(Some(n))) => {
            Decimal::parse(request).is_some_and(|r| cmp.holds(r.cmp(n)))
        }
        (Category::Date(cmp), Value::Date(Some(d))) => Instant::parse(request).is_some_and(|r| cmp.holds(r.cmp(d))),
        (Category::Binary, Value::Binary(Some(b))) => parse_base64(request).is_some_and(|r| r == *b),
        (Category::Ip, Value::Ip(Some(c))) => parse_ip(request).is_some_and(|ip| c.contains(ip)),
        _ => false,
    }
}

/// An `ArnEquals`/`ArnLike` pattern: "each of the six colon-delimited components of the ARN is
/// checked separately and each can include wildcards". A pattern with fewer than six parts
/// (such as `*`) is matched against the whole value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    Segments(Box<[Glob]>),
    Whole(Glob),
}

impl ArnPattern {
    pub fn new(pieces: &[Piece<'_>]) -> ArnPattern {
        let mut segments: Vec<Vec<Piece<'_>>> = vec![Vec::new()];
        for piece in pieces {
            let (text, literal) = match *piece {
                Piece::Pattern(t) => (t, false),
                Piece::Literal(t) => (t, true),
            };
            let mut rest = text;
            while segments.len() < 6 {
                let Some(i) = rest.find(':') else { break };
                push_piece(segments.last_mut(), &rest[..i], literal);
                segments.push(Vec::new());
                rest = &rest[i + 1..];
            }
            push_piece(segments.last_mut(), rest, literal);
        }
        if segments.len() == 6 {
            ArnPattern::Segments(segments.iter().map(|s| Glob::from_pieces(s, Flavor::Plain)).collect())
        } else {
            ArnPattern::Whole(Glob::from_pieces(pieces, Flavor::Plain))
        }
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            ArnPattern::Whole(g) => g.matches(value),
            ArnPattern::Segments(globs) => {
                let mut parts = value.splitn(6, ':');
                globs.iter().all(|g| parts.next().is_some_and(|p| g.matches(p)))
            }
        }
    }
}

fn push_piece<'a>(segment: Option<&mut Vec<Piece<'a>>>, text: &'a str, literal: bool) {
    if let Some(segment) = segment.filter(|_| !text.is_empty()) {
        segment.push(if literal { Piece::Literal(text) } else { Piece::Pattern(text) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn(p: &str) -> ArnPattern {
        ArnPattern::new(&[Piece::Pattern(p)])
    }

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAllValues:StringNotLikeIfExists").unwrap();
        assert_eq!((op.set, op.negated, op.if_exists, op.category), (SetOp::ForAllValues, true, true, Category::Like));
        assert!(Operator::parse("stringequals").is_none());
        assert!(Operator::parse("ForAnyValue::StringEquals").is_none());
        assert!(Operator::parse("NullIfExists").is_some());
        assert!(Operator::is_date("ForAnyValue:DateLessThanIfExists"));
        assert!(!Operator::is_date("StringEquals"));
    }

    #[test]
    fn arn_segments_are_separate() {
        // IAM's example: with ArnLike the region star cannot swallow the account and more.
        let p = arn("arn:aws:someservice:*:111122223333:finance/*");
        assert!(!p.matches("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"));
        assert!(p.matches("arn:aws:someservice:us-east-2:111122223333:finance/a:b"));
        assert!(!p.matches("arn:aws:someservice:us-east-2"));
        assert!(arn("*").matches("anything:at:all"));
        let with_var = ArnPattern::new(&[
            Piece::Pattern("arn:aws:sns:*:"),
            Piece::Literal("111122223333"),
            Piece::Pattern(":topic"),
        ]);
        assert!(with_var.matches("arn:aws:sns:us-east-1:111122223333:topic"));
        assert!(!with_var.matches("arn:aws:sns:us-east-1:111122223333:topic2"));
    }
}
