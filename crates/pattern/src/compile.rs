//! Compiles an event pattern into alternatives ("branches"), validating it with
//! the checks, texts and error locations of event-ruler, the library behind
//! EventBridge.
//!
//! event-ruler compiles a pattern twice if it has to: first with `$or` as the
//! OR operator; if that fails with a parse error, again with `$or` as an
//! ordinary field name (which is how patterns written before `$or` existed keep
//! working). The second attempt's outcome is final. Errors that are not parse
//! errors (a bad CIDR, an out-of-range single `anything-but` number) are not
//! retried, and carry no location.

use crate::error::PatternError;
use crate::fold::Folded;
use crate::ip::{IpRange, parse_cidr, parse_ip};
use crate::json::{Lexer, Tok};
use crate::lex::micros;
use crate::matcher::{Bound, Exclusion, Matcher};
use crate::table;
use crate::wildcard::{self, Wildcard};

/// Field names that may not appear inside a `$or` branch.
const RESERVED_IN_OR: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

/// The most alternatives `$or` may expand a pattern into.
pub(crate) const MAX_BRANCHES: usize = 1000;

const OUT_OF_RANGE: &str = "Value must be between -5.0E9 and 5.0E9, inclusive";
const TOO_MANY_ELEMENTS: &str = "Too many elements in numeric expression";
const ONE_KEY: &str = "Only one key allowed in match expression";

/// A compiled pattern field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// The dotted path.
    pub(crate) path: Box<str>,
    /// The path's hash, for event lookups.
    pub(crate) hash: u64,
    /// The value alternatives.
    pub(crate) matchers: Vec<Matcher>,
    /// Whether `{"exists": false}` is among the alternatives.
    pub(crate) absent: bool,
}

/// One alternative of a pattern: all its fields must match. Fields are sorted
/// by path in Java string order, the order event-ruler evaluates them in.
pub(crate) type Branch = Vec<Field>;

/// Compiles and validates `src`.
pub(crate) fn compile(src: &str) -> Result<Vec<Branch>, PatternError> {
    let branches = match Compiler::run(src, true) {
        Ok(branches) => branches,
        Err(Failure::Parse(_)) => match Compiler::run(src, false) {
            Ok(branches) => branches,
            Err(Failure::Parse(e) | Failure::Illegal(e)) => return Err(e),
        },
        Err(Failure::Illegal(e)) => return Err(e),
    };
    check_complexity(&branches)?;
    Ok(branches)
}

/// The kind of failure decides whether event-ruler retries.
enum Failure {
    /// A `JsonParseException`: a JSON or grammar error, with its location.
    Parse(PatternError),
    /// Any other exception.
    Illegal(PatternError),
}

impl From<PatternError> for Failure {
    fn from(e: PatternError) -> Self {
        Self::Parse(e)
    }
}

/// A branch under construction: fields in the order first written.
type Draft = Vec<Field>;

/// A pattern alternative: a value matcher, or `{"exists": false}`.
enum Entry {
    Match(Matcher),
    Absent,
}

/// An `anything-but` operand form.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nested {
    IgnoreCase,
    Prefix,
    Suffix,
    Wildcard,
}

struct Compiler<'a> {
    lexer: Lexer<'a>,
    or_enabled: bool,
    path: Vec<String>,
}

impl<'a> Compiler<'a> {
    fn run(src: &'a str, or_enabled: bool) -> Result<Vec<Branch>, Failure> {
        let mut compiler = Self { lexer: Lexer::new(src), or_enabled, path: Vec::new() };
        if compiler.lexer.next()? != Tok::StartObject {
            return Err(compiler.barf("Filter is not an object"));
        }
        let mut drafts: Vec<Draft> = Vec::new();
        compiler.object(&mut drafts, false)?;
        Ok(drafts.into_iter().map(finish_branch).collect())
    }

    fn barf(&self, reason: impl Into<String>) -> Failure {
        Failure::Parse(self.lexer.error(reason))
    }

    fn object(&mut self, drafts: &mut Vec<Draft>, inside_or: bool) -> Result<(), Failure> {
        let mut fields_present = false;
        while self.lexer.next()? != Tok::EndObject {
            fields_present = true;
            let name = self.lexer.field().to_owned();
            if self.or_enabled && name == "$or" {
                self.or(drafts)?;
                continue;
            }
            if inside_or && RESERVED_IN_OR.contains(&name.as_str()) {
                return Err(self.barf(format!("{name} is Ruler reserved fieldName which cannot be used inside $or.")));
            }
            match self.lexer.next()? {
                Tok::StartObject => {
                    self.path.push(name);
                    self.object(drafts, inside_or)?;
                    self.path.pop();
                }
                Tok::StartArray => {
                    let path = self.path_with(&name);
                    self.values(drafts, path)?;
                }
                _ => return Err(self.barf(format!("\"{name}\" must be an object or an array"))),
            }
        }
        if !fields_present {
            return Err(self.barf("Empty objects are not allowed"));
        }
        Ok(())
    }

    fn path_with(&self, name: &str) -> String {
        let mut path = self.path.join(".");
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(name);
        path
    }

    fn or(&mut self, drafts: &mut Vec<Draft>) -> Result<(), Failure> {
        let before = std::mem::take(drafts);
        if self.lexer.next()? != Tok::StartArray {
            return Err(self.barf("It must be an Array followed with $or."));
        }
        let mut members = 0;
        loop {
            let tok = self.lexer.next()?;
            if tok == Tok::EndArray {
                break;
            }
            members += 1;
            if tok != Tok::StartObject {
                return Err(self.barf("Only JSON object is allowed in array of $or relationship."));
            }
            let mut forked = if before.is_empty() { vec![Draft::new()] } else { before.clone() };
            self.object(&mut forked, true)?;
            drafts.append(&mut forked);
            if drafts.len() > MAX_BRANCHES {
                return Err(Failure::Illegal(PatternError::plain(format!(
                    "Event pattern contains more than {MAX_BRANCHES} rule combinations"
                ))));
            }
        }
        if members < 2 {
            return Err(self.barf("There must have at least 2 Objects in $or relationship."));
        }
        Ok(())
    }

    fn values(&mut self, drafts: &mut Vec<Draft>, path: String) -> Result<(), Failure> {
        let mut matchers = Vec::new();
        let mut absent = false;
        let mut count = 0usize;
        loop {
            let entry = match self.lexer.next()? {
                Tok::EndArray => break,
                Tok::StartObject => self.match_expression()?,
                Tok::String => {
                    let text = self.lexer.text()?;
                    Entry::Match(match parse_ip(&text) {
                        Some(ip) => Matcher::Ip(IpRange::single(ip)),
                        None => Matcher::Exact(text.into()),
                    })
                }
                Tok::Number => {
                    let text = self.lexer.number_text();
                    Entry::Match(Matcher::Number { text: text.into(), micros: micros(text) })
                }
                Tok::True => Entry::Match(Matcher::True),
                Tok::False => Entry::Match(Matcher::False),
                Tok::Null => Entry::Match(Matcher::Null),
                _ => return Err(self.barf("Match value must be String, number, true, false, or null")),
            };
            count += 1;
            match entry {
                Entry::Match(m) => matchers.push(m),
                Entry::Absent => absent = true,
            }
        }
        if count == 0 {
            return Err(self.barf("Empty arrays are not allowed"));
        }
        if drafts.is_empty() {
            drafts.push(Draft::new());
        }
        let field = Field { hash: table::hash(path.as_bytes()), path: path.into(), matchers, absent };
        for draft in drafts.iter_mut() {
            // A path written again replaces the earlier value.
            match draft.iter_mut().find(|f| f.path == field.path) {
                Some(existing) => *existing = field.clone(),
                None => draft.push(field.clone()),
            }
        }
        Ok(())
    }

    fn expect_end(&mut self, reason: &str) -> Result<(), Failure> {
        if self.lexer.next()? == Tok::EndObject { Ok(()) } else { Err(self.barf(reason)) }
    }

    /// Reads a string operand, or fails with `reason` if the next token is not
    /// a string.
    fn string_operand(&mut self, reason: &str) -> Result<String, Failure> {
        if self.lexer.next()? != Tok::String {
            return Err(self.barf(reason));
        }
        Ok(self.lexer.text()?)
    }

    fn match_expression(&mut self) -> Result<Entry, Failure> {
        if self.lexer.next()? != Tok::FieldName {
            return Err(self.barf("Match expression name not found"));
        }
        let name = self.lexer.field().to_owned();
        let matcher = match name.as_str() {
            "exactly" => {
                let text = self.string_operand("exact match pattern must be a string")?;
                self.expect_end(ONE_KEY)?;
                Matcher::Exact(text.into())
            }
            "prefix" | "suffix" => {
                let prefix = name == "prefix";
                let tok = self.lexer.next()?;
                if tok == Tok::StartObject {
                    return self.affix_ignoring_case(prefix).map(Entry::Match);
                }
                if tok != Tok::String {
                    return Err(self.barf(format!("{name} match pattern must be a string")));
                }
                let text: Box<str> = self.lexer.text()?.into();
                self.expect_end(ONE_KEY)?;
                if prefix { Matcher::Prefix(text) } else { Matcher::Suffix(text) }
            }
            "numeric" => {
                if self.lexer.next()? != Tok::StartArray {
                    return Err(self.barf("Value of numeric must be an array."));
                }
                let matcher = self.numeric()?;
                self.expect_end(TOO_MANY_ELEMENTS)?;
                matcher
            }
            "anything-but" => self.anything_but()?,
            "exists" => {
                let entry = match self.lexer.next()? {
                    Tok::True => Entry::Match(Matcher::Exists),
                    Tok::False => Entry::Absent,
                    _ => return Err(self.barf("exists match pattern must be either true or false.")),
                };
                self.expect_end(ONE_KEY)?;
                return Ok(entry);
            }
            "cidr" => {
                // EventBridge names the wrong operator here; the text is theirs.
                let text = self.string_operand("prefix match pattern must be a string")?;
                let range = parse_cidr(&text).map_err(|e| Failure::Illegal(PatternError::plain(e)))?;
                self.expect_end(ONE_KEY)?;
                Matcher::Ip(range)
            }
            "equals-ignore-case" => {
                let text = self.string_operand("equals-ignore-case match pattern must be a string")?;
                self.expect_end(ONE_KEY)?;
                Matcher::EqualsIgnoreCase(Folded::new(&text))
            }
            "wildcard" => {
                let text = self.string_operand("wildcard match pattern must be a string")?;
                let parsed = Wildcard::parse(&text).map_err(|e| self.barf(e))?;
                self.expect_end(ONE_KEY)?;
                Matcher::Wildcard(parsed)
            }
            _ => return Err(self.barf(format!("Unrecognized match type {name}"))),
        };
        Ok(Entry::Match(matcher))
    }

    /// `{"prefix": {"equals-ignore-case": ...}}` and the suffix form, after
    /// the inner `{`.
    fn affix_ignoring_case(&mut self, prefix: bool) -> Result<Matcher, Failure> {
        let (title, lower) = if prefix { ("Prefix", "prefix") } else { ("Suffix", "suffix") };
        if self.lexer.next()? != Tok::FieldName {
            return Err(self.barf(format!("{title} expression name not found")));
        }
        let op = self.lexer.field().to_owned();
        if op != "equals-ignore-case" {
            return Err(self.barf(format!("Unsupported {lower} pattern: {op}")));
        }
        let text = self.string_operand("equals-ignore-case match pattern must be a string")?;
        self.expect_end(ONE_KEY)?;
        self.expect_end(ONE_KEY)?;
        let folded = Folded::new(&text);
        Ok(if prefix { Matcher::PrefixIgnoreCase(folded) } else { Matcher::SuffixIgnoreCase(folded) })
    }

    /// The operand of `numeric`, after its `[`.
    fn numeric(&mut self) -> Result<Matcher, Failure> {
        if self.lexer.next()? != Tok::String {
            let text = self.lexer.text()?;
            return Err(self.barf(format!("Invalid member in numeric match: {text}")));
        }
        let op = self.lexer.text()?;
        let tok = self.lexer.next()?;
        let name = if op == "=" { "equals" } else { op.as_str() };
        if !matches!(op.as_str(), "=" | ">=" | ">" | "<=" | "<") {
            return Err(self.barf(format!("Unrecognized numeric range operator: {op}")));
        }
        if tok != Tok::Number {
            return Err(self.barf(format!("Value of {name} must be numeric")));
        }
        let value = self.lexer.number_text();
        match op.as_str() {
            ">=" | ">" => {
                let tok = self.lexer.next()?;
                let low = Some(Bound { micros: self.in_range(value)?, inclusive: op == ">=" });
                if tok == Tok::EndArray {
                    return Ok(Matcher::Numeric { low, high: None });
                }
                self.range_top(tok, value, op == ">=")
            }
            _ => {
                if self.lexer.next()? != Tok::EndArray {
                    return Err(self.barf(TOO_MANY_ELEMENTS));
                }
                let bound = Bound { micros: self.in_range(value)?, inclusive: op != "<" };
                Ok(match op.as_str() {
                    "=" => Matcher::Numeric { low: Some(bound), high: Some(bound) },
                    _ => Matcher::Numeric { low: None, high: Some(bound) },
                })
            }
        }
    }

    fn range_top(&mut self, tok: Tok, bottom: &str, bottom_inclusive: bool) -> Result<Matcher, Failure> {
        if tok != Tok::String {
            let text = self.lexer.text()?;
            return Err(self.barf(format!("Bad value in numeric range: {text}")));
        }
        let op = self.lexer.text()?;
        if op != "<" && op != "<=" {
            return Err(self.barf(format!("Bad numeric range operator: {op}")));
        }
        if self.lexer.next()? != Tok::Number {
            return Err(self.barf(format!("Value of {op} must be numeric")));
        }
        let top = self.lexer.number_text();
        if self.lexer.next()? != Tok::EndArray {
            return Err(self.barf("Too many terms in numeric range expression"));
        }
        let low = self.in_range(bottom)?;
        let high = self.in_range(top)?;
        if low >= high {
            return Err(self.barf("Bottom must be less than top"));
        }
        Ok(Matcher::Numeric {
            low: Some(Bound { micros: low, inclusive: bottom_inclusive }),
            high: Some(Bound { micros: high, inclusive: op == "<=" }),
        })
    }

    fn in_range(&self, text: &str) -> Result<i64, Failure> {
        micros(text).ok_or_else(|| self.barf(OUT_OF_RANGE))
    }

    fn anything_but(&mut self) -> Result<Matcher, Failure> {
        let mut tok = self.lexer.next()?;
        let mut nested = None;
        if tok == Tok::StartObject {
            if self.lexer.next()? != Tok::FieldName {
                return Err(self.barf("Anything-But expression name not found"));
            }
            nested = Some(match self.lexer.field() {
                "equals-ignore-case" => Nested::IgnoreCase,
                "prefix" => Nested::Prefix,
                "suffix" => Nested::Suffix,
                "wildcard" => Nested::Wildcard,
                other => {
                    let reason = format!("Unsupported anything-but pattern: {other}");
                    return Err(self.barf(reason));
                }
            });
            tok = self.lexer.next()?;
        }
        if !matches!(tok, Tok::StartArray | Tok::String | Tok::Number) {
            return Err(self.barf("Value of anything-but must be an array or single string/number value."));
        }
        let exclusion = match (tok, nested) {
            (Tok::StartArray, None) => self.plain_list()?,
            (Tok::StartArray, Some(kind)) => {
                let values = self.nested_list(kind)?;
                self.nested_exclusion(kind, &values)?
            }
            (Tok::Number, None) => {
                // Not a parse error in event-ruler: no location, no retry.
                let text = self.lexer.number_text();
                let value = micros(text).ok_or_else(|| Failure::Illegal(PatternError::plain(OUT_OF_RANGE)))?;
                Exclusion::Numbers(vec![value])
            }
            (_, None) => Exclusion::Strings(vec![self.lexer.text()?.into()]),
            (_, Some(kind)) => {
                let value = self.nested_value(tok, kind)?;
                self.nested_exclusion(kind, &[value])?
            }
        };
        self.expect_end(TOO_MANY_ELEMENTS)?;
        if nested.is_some() {
            self.expect_end(TOO_MANY_ELEMENTS)?;
        }
        Ok(Matcher::AnythingBut(exclusion))
    }

    /// `{"anything-but": [ ... ]}`: all strings or all numbers.
    ///
    /// Inside these lists event-ruler catches every parse error and raises it
    /// again, which writes its location twice.
    fn plain_list(&mut self) -> Result<Exclusion, Failure> {
        let mut strings: Vec<Box<str>> = Vec::new();
        let mut numbers = Vec::new();
        loop {
            match self.lexer.next().map_err(twice)? {
                Tok::EndArray => break,
                Tok::String => strings.push(self.lexer.text().map_err(twice)?.into()),
                Tok::Number => numbers.push(self.in_range(self.lexer.number_text())?),
                _ => {
                    let e = self.lexer.error("Inside anything but list, start|null|boolean is not supported.");
                    return Err(twice(e));
                }
            }
        }
        match (strings.is_empty(), numbers.is_empty()) {
            (false, true) => Ok(Exclusion::Strings(strings)),
            (true, false) => Ok(Exclusion::Numbers(numbers)),
            _ => Err(self
                .barf("Inside anything but list, either all values are number or string, mixed type is not supported")),
        }
    }

    /// The list operand of a nested `anything-but` form, after its `[`; parse
    /// errors are doubled as in [`Self::plain_list`].
    fn nested_list(&mut self, kind: Nested) -> Result<Vec<String>, Failure> {
        let mut values = Vec::new();
        loop {
            let tok = self.lexer.next().map_err(twice)?;
            if tok == Tok::EndArray {
                return Ok(values);
            }
            values.push(self.nested_value(tok, kind).map_err(|f| match f {
                Failure::Parse(e) => twice(e),
                illegal @ Failure::Illegal(_) => illegal,
            })?);
        }
    }

    /// One value of a nested `anything-but` form: a string (not empty for
    /// prefixes and suffixes).
    fn nested_value(&mut self, tok: Tok, kind: Nested) -> Result<String, Failure> {
        if tok != Tok::String {
            return Err(self.barf(match kind {
                Nested::IgnoreCase => {
                    "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
                }
                Nested::Wildcard => "wildcard match pattern must be a string",
                Nested::Prefix | Nested::Suffix => "prefix/suffix match pattern must be a string",
            }));
        }
        let text = self.lexer.text()?;
        if text.is_empty() && matches!(kind, Nested::Prefix | Nested::Suffix) {
            return Err(self.barf("Null prefix/suffix not allowed"));
        }
        Ok(text)
    }

    fn nested_exclusion(&self, kind: Nested, values: &[String]) -> Result<Exclusion, Failure> {
        let boxed = || values.iter().map(|v| Box::from(v.as_str())).collect();
        Ok(match kind {
            Nested::IgnoreCase => Exclusion::IgnoringCase(values.iter().map(|v| Folded::new(v)).collect()),
            Nested::Prefix => Exclusion::Prefixes(boxed()),
            Nested::Suffix => Exclusion::Suffixes(boxed()),
            Nested::Wildcard => Exclusion::Wildcards(
                values.iter().map(|v| Wildcard::parse(v).map_err(|e| self.barf(e))).collect::<Result<_, _>>()?,
            ),
        })
    }
}

/// The re-raised form of a parse error caught inside an `anything-but` list.
fn twice(e: PatternError) -> Failure {
    Failure::Parse(e.doubled())
}

fn finish_branch(mut draft: Draft) -> Branch {
    draft.sort_by(|a, b| a.path.encode_utf16().cmp(b.path.encode_utf16()));
    draft
}

/// EventBridge refuses a pattern whose wildcards on one field make matching
/// too non-deterministic.
fn check_complexity(branches: &[Branch]) -> Result<(), PatternError> {
    let mut by_path: Vec<(&str, Vec<&Wildcard>)> = Vec::new();
    for field in branches.iter().flatten() {
        for matcher in &field.matchers {
            let Matcher::Wildcard(w) = matcher else { continue };
            let index = by_path.iter().position(|(p, _)| *p == &*field.path).unwrap_or_else(|| {
                by_path.push((&field.path, Vec::new()));
                by_path.len() - 1
            });
            if !by_path[index].1.contains(&w) {
                by_path[index].1.push(w);
            }
        }
    }
    if by_path.iter().any(|(_, wildcards)| wildcard::too_complex(wildcards)) {
        return Err(PatternError::plain(
            "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
        ));
    }
    Ok(())
}
