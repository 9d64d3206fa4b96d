//! A pull tokenizer for event patterns that reads and fails the way Jackson's
//! streaming parser does, so that error texts and `line`/`column` locations are
//! the ones EventBridge reports.
//!
//! Like Jackson, reading a field name also reads the first character of its
//! value (the whole value for numbers and literals), and a string value is only
//! decoded when its text is asked for: a location reported before that points
//! just past the opening quote.

use crate::error::{PatternError, location};
use crate::lex::{self, NumError, StrError, utf16_len};

const VALUE_LIST: &str = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

/// A token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    StartObject,
    EndObject,
    StartArray,
    EndArray,
    /// A field name; see [`Lexer::field`].
    FieldName,
    /// A string value; see [`Lexer::text`].
    String,
    /// A number; see [`Lexer::number_text`].
    Number,
    True,
    False,
    Null,
    /// The end of the input (only possible at the root).
    Eof,
}

impl Tok {
    /// Jackson's `getText()` for a token that is not a string or number.
    fn text(self) -> &'static str {
        match self {
            Self::StartObject => "{",
            Self::EndObject => "}",
            Self::StartArray => "[",
            Self::EndArray => "]",
            Self::True => "true",
            Self::False => "false",
            Self::Null => "null",
            Self::FieldName | Self::String | Self::Number | Self::Eof => "",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
}

#[derive(Debug, Clone, Copy)]
struct Context {
    kind: Kind,
    entries: u32,
    line: u32,
    column: usize,
}

/// Where an error is reported relative to the read pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// At the read pointer (Jackson's `getCurrentLocation`).
    Here,
    /// One character back (Jackson's `_currentLocationMinusOne`), used for
    /// "unexpected character" errors.
    Back,
}

/// The tokenizer.
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line: u32,
    line_start: usize,
    stack: Vec<Context>,
    pending: Option<Tok>,
    open_string: Option<usize>,
    number: (usize, usize),
    field: String,
    text: String,
    current: Tok,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Self {
            src,
            pos: 0,
            line: 1,
            line_start: 0,
            stack: Vec::new(),
            pending: None,
            open_string: None,
            number: (0, 0),
            field: String::new(),
            text: String::new(),
            current: Tok::Eof,
        }
    }

    /// The last field name read.
    pub(crate) fn field(&self) -> &str {
        &self.field
    }

    /// The text of the current number token.
    pub(crate) fn number_text(&self) -> &'a str {
        &self.src[self.number.0..self.number.1]
    }

    /// Jackson's `getText()`: the decoded string for a string token (decoding
    /// it now if needed), the number text, or the token's own text.
    pub(crate) fn text(&mut self) -> Result<String, PatternError> {
        match self.current {
            Tok::String => {
                self.finish_string()?;
                Ok(self.text.clone())
            }
            Tok::Number => Ok(self.number_text().to_owned()),
            Tok::FieldName => Ok(self.field.clone()),
            other => Ok(other.text().to_owned()),
        }
    }

    /// An error at the read pointer, as event-ruler's `barf` reports it.
    pub(crate) fn error(&self, reason: impl Into<String>) -> PatternError {
        self.error_at(reason, At::Here)
    }

    fn error_at(&self, reason: impl Into<String>, at: At) -> PatternError {
        let mut column = utf16_len(&self.src[self.line_start..self.pos]) + 1;
        if at == At::Back {
            column = column.saturating_sub(1);
        }
        PatternError::located(reason, self.src, self.line, column)
    }

    /// Reads the next token.
    pub(crate) fn next(&mut self) -> Result<Tok, PatternError> {
        let tok = self.advance()?;
        self.current = tok;
        Ok(tok)
    }

    fn advance(&mut self) -> Result<Tok, PatternError> {
        if let Some(tok) = self.pending.take() {
            match tok {
                Tok::StartObject => self.push(Kind::Object, self.pos - 1),
                Tok::StartArray => self.push(Kind::Array, self.pos - 1),
                _ => {}
            }
            return Ok(tok);
        }
        if self.open_string.is_some() {
            self.finish_string()?;
        }
        let Some(mut ch) = self.skip_whitespace()? else {
            return match self.stack.last() {
                None => Ok(Tok::Eof),
                Some(ctx) => {
                    let kind = if ctx.kind == Kind::Object { "Object" } else { "Array" };
                    let start = location(self.src, ctx.line, ctx.column);
                    Err(self.error(format!(
                        "Unexpected end-of-input: expected close marker for {kind} (start marker at {start})"
                    )))
                }
            };
        };
        if ch == b']' || ch == b'}' {
            return self.close(ch);
        }
        let in_object = self.stack.last().is_some_and(|c| c.kind == Kind::Object);
        if let Some(ctx) = self.stack.last_mut() {
            ctx.entries += 1;
            if ctx.entries > 1 {
                if ch != b',' {
                    let kind = if ctx.kind == Kind::Object { "Object" } else { "Array" };
                    return Err(self.unexpected(ch, &format!("was expecting comma to separate {kind} entries")));
                }
                ch = self.skip_whitespace_in_entries()?;
            }
        }
        if in_object {
            if ch != b'"' {
                return Err(self.unexpected(ch, "was expecting double-quote to start field name"));
            }
            self.read_name()?;
            let colon = self.skip_whitespace_in_entries()?;
            if colon != b':' {
                return Err(self.unexpected(colon, "was expecting a colon to separate field name and value"));
            }
            let first = self.skip_whitespace_in_entries()?;
            let value = self.value_start(first)?;
            self.pending = Some(value);
            return Ok(Tok::FieldName);
        }
        let value = self.value_start(ch)?;
        match value {
            Tok::StartObject => self.push(Kind::Object, self.pos - 1),
            Tok::StartArray => self.push(Kind::Array, self.pos - 1),
            Tok::Number if self.stack.is_empty() => self.verify_root_space()?,
            _ => {}
        }
        Ok(value)
    }

    fn push(&mut self, kind: Kind, at: usize) {
        let column = utf16_len(&self.src[self.line_start..at]) + 1;
        self.stack.push(Context { kind, entries: 0, line: self.line, column });
    }

    fn close(&mut self, ch: u8) -> Result<Tok, PatternError> {
        let (want, tok) = if ch == b']' { (Kind::Array, Tok::EndArray) } else { (Kind::Object, Tok::EndObject) };
        match self.stack.last() {
            Some(ctx) if ctx.kind == want => {
                self.stack.pop();
                Ok(tok)
            }
            ctx => {
                let expected = if ch == b']' { '}' } else { ']' };
                let (desc, start) = match ctx {
                    Some(c) => {
                        (if c.kind == Kind::Object { "Object" } else { "Array" }, location(self.src, c.line, c.column))
                    }
                    None => ("root", location(self.src, 1, 0)),
                };
                Err(self.error_at(
                    format!(
                        "Unexpected close marker '{}': expected '{expected}' (for {desc} starting at {start})",
                        char::from(ch)
                    ),
                    At::Back,
                ))
            }
        }
    }

    /// Skips whitespace; returns the next byte (consumed) or `None` at the end.
    fn skip_whitespace(&mut self) -> Result<Option<u8>, PatternError> {
        let bytes = self.src.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            self.pos += 1;
            match b {
                b' ' | b'\t' => {}
                b'\n' => self.new_line(),
                b'\r' => {
                    if bytes.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    self.new_line();
                }
                b'/' => {
                    return Err(self.unexpected(
                        b,
                        "maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)",
                    ));
                }
                0..=0x1f => {
                    return Err(self.error(format!(
                        "Illegal character ({}): only regular white space (\\r, \\n, \\t) is allowed between tokens",
                        char_desc(char::from(b))
                    )));
                }
                _ => {
                    // Keep the read pointer on a character boundary.
                    while !self.src.is_char_boundary(self.pos) {
                        self.pos += 1;
                    }
                    return Ok(Some(b));
                }
            }
        }
        Ok(None)
    }

    /// Skips whitespace inside an object or array, where the input may not end.
    fn skip_whitespace_in_entries(&mut self) -> Result<u8, PatternError> {
        if let Some(b) = self.skip_whitespace()? {
            return Ok(b);
        }
        let kind = match self.stack.last() {
            Some(c) if c.kind == Kind::Array => "Array",
            _ => "Object",
        };
        Err(self.error(format!("Unexpected end-of-input within/between {kind} entries")))
    }

    fn new_line(&mut self) {
        self.line += 1;
        self.line_start = self.pos;
    }

    /// "Unexpected character" for the byte just consumed.
    fn unexpected(&self, byte: u8, comment: &str) -> PatternError {
        let ch = self.char_before(byte);
        self.error_at(format!("Unexpected character ({}): {comment}", char_desc(ch)), At::Back)
    }

    /// The character whose first byte (`byte`) was the last one consumed (the
    /// read pointer is already past the whole character).
    fn char_before(&self, byte: u8) -> char {
        if byte.is_ascii() {
            return char::from(byte);
        }
        self.src[..self.pos].chars().next_back().unwrap_or(char::REPLACEMENT_CHARACTER)
    }

    fn read_name(&mut self) -> Result<(), PatternError> {
        self.field.clear();
        match lex::decode_string(self.src, self.pos, &mut self.field) {
            Ok(end) => {
                self.pos = end;
                Ok(())
            }
            Err((error, at)) => Err(self.string_error(error, at, "name", "Unexpected end-of-input in field name")),
        }
    }

    fn finish_string(&mut self) -> Result<(), PatternError> {
        let Some(start) = self.open_string.take() else {
            return Ok(());
        };
        self.text.clear();
        match lex::decode_string(self.src, start, &mut self.text) {
            Ok(end) => {
                self.pos = end;
                Ok(())
            }
            Err((error, at)) => Err(self.string_error(
                error,
                at,
                "string value",
                "Unexpected end-of-input: was expecting closing quote for a string value",
            )),
        }
    }

    fn string_error(&mut self, error: StrError, at: usize, what: &str, eof: &str) -> PatternError {
        self.pos = at;
        match error {
            StrError::Eof => self.error(eof),
            StrError::EofInEscape => self.error("Unexpected end-of-input in character escape sequence"),
            StrError::Control(b) => self.error(format!(
                "Illegal unquoted character ({}): has to be escaped using backslash to be included in {what}",
                char_desc(char::from(b))
            )),
            StrError::BadEscape(ch) => {
                self.error_at(format!("Unrecognized character escape {}", char_desc(ch)), At::Back)
            }
            StrError::BadHex(ch) => self.error_at(
                format!("Unexpected character ({}): expected a hex-digit for character escape sequence", char_desc(ch)),
                At::Back,
            ),
        }
    }

    /// Reads the start of a value whose first byte `ch` was just consumed.
    fn value_start(&mut self, ch: u8) -> Result<Tok, PatternError> {
        match ch {
            b'"' => {
                self.open_string = Some(self.pos);
                Ok(Tok::String)
            }
            b'[' => Ok(Tok::StartArray),
            b'{' => Ok(Tok::StartObject),
            b']' | b'}' => Err(self.unexpected(ch, "expected a value")),
            b't' => self.literal("true", Tok::True),
            b'f' => self.literal("false", Tok::False),
            b'n' => self.literal("null", Tok::Null),
            b'N' => self.non_numeric("NaN"),
            b'I' => self.non_numeric("Infinity"),
            b'-' | b'0'..=b'9' => self.number(),
            b'+' => {
                let next = self.src[self.pos..].chars().next();
                match next {
                    None => Err(self.error("Unexpected end-of-input in a Number value")),
                    Some(after) => {
                        self.pos += after.len_utf8();
                        Err(self.error(
                            "Unexpected character ('+' (code 43)) in numeric value: JSON spec does not allow numbers to have plus signs: enable `JsonReadFeature.ALLOW_LEADING_PLUS_SIGN_FOR_NUMBERS` to allow",
                        ))
                    }
                }
            }
            _ => {
                let first = self.char_before(ch);
                if is_identifier_start(first) {
                    Err(self.invalid_token(first.to_string()))
                } else {
                    Err(self.unexpected(ch, &format!("expected a valid value {VALUE_LIST}")))
                }
            }
        }
    }

    fn literal(&mut self, word: &str, tok: Tok) -> Result<Tok, PatternError> {
        let start = self.pos - 1;
        let rest = &self.src[start..];
        if is_word(rest, word) {
            self.pos = start + word.len();
            return Ok(tok);
        }
        // Jackson keeps the matching part and then any identifier characters.
        let matched = rest.bytes().zip(word.bytes()).take_while(|(a, b)| a == b).count().max(1);
        self.pos = start + matched;
        Err(self.invalid_token(rest[..matched].to_owned()))
    }

    fn non_numeric(&mut self, word: &str) -> Result<Tok, PatternError> {
        let start = self.pos - 1;
        if is_word(&self.src[start..], word) {
            self.pos = start + word.len();
            return Err(self.error(format!(
                "Non-standard token '{word}': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow"
            )));
        }
        self.literal(word, Tok::Null)
    }

    /// "Unrecognized token": `prefix` plus the identifier characters after it.
    fn invalid_token(&mut self, mut token: String) -> PatternError {
        const MAX_TOKEN: usize = 256;
        for ch in self.src[self.pos..].chars() {
            if !is_identifier_part(ch) {
                break;
            }
            self.pos += ch.len_utf8();
            token.push(ch);
            if token.chars().count() >= MAX_TOKEN {
                token.push_str("...");
                break;
            }
        }
        self.error(format!("Unrecognized token '{token}': was expecting {VALUE_LIST}"))
    }

    fn number(&mut self) -> Result<Tok, PatternError> {
        let start = self.pos - 1;
        match lex::scan_number(self.src.as_bytes(), start) {
            Ok((end, _)) => {
                self.pos = end;
                self.number = (start, end);
                Ok(Tok::Number)
            }
            Err((error, at)) => {
                self.pos = at;
                Err(self.error(match error {
                    NumError::Eof => "Unexpected end-of-input in a Number value".to_owned(),
                    NumError::LeadingZero => "Invalid numeric value: Leading zeroes not allowed".to_owned(),
                    NumError::MinusNoDigit(ch) => format!(
                        "Unexpected character ({}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value",
                        char_desc(ch)
                    ),
                    NumError::DecimalNoDigit(ch) => format!(
                        "Unexpected character ({}) in numeric value: Decimal point not followed by a digit",
                        char_desc(ch)
                    ),
                    NumError::ExponentNoDigit(ch) => format!(
                        "Unexpected character ({}) in numeric value: Exponent indicator not followed by a digit",
                        char_desc(ch)
                    ),
                }))
            }
        }
    }

    /// Jackson requires white space after a number at the root.
    fn verify_root_space(&mut self) -> Result<(), PatternError> {
        match self.src.as_bytes().get(self.pos) {
            None | Some(b' ' | b'\t' | b'\n' | b'\r') => Ok(()),
            Some(&b) => {
                self.pos += self.src[self.pos..].chars().next().map_or(1, char::len_utf8);
                Err(self.unexpected(b, "Expected space separating root-level values"))
            }
        }
    }
}

/// Whether `rest` starts with the keyword `word` not followed by an
/// identifier character.
fn is_word(rest: &str, word: &str) -> bool {
    rest.starts_with(word) && !rest[word.len()..].chars().next().is_some_and(is_identifier_part)
}

/// Jackson's description of a character in error messages.
pub(crate) fn char_desc(ch: char) -> String {
    let code = u32::from(ch);
    if ch.is_control() {
        format!("(CTRL-CHAR, code {code})")
    } else if code > 255 {
        format!("'{ch}' (code {code} / 0x{code:x})")
    } else {
        format!("'{ch}' (code {code})")
    }
}

/// Java's `Character.isJavaIdentifierStart`, closely enough for error texts.
fn is_identifier_start(ch: char) -> bool {
    ch.is_alphabetic() || ch == '$' || ch == '_'
}

/// Java's `Character.isJavaIdentifierPart`, closely enough for error texts.
fn is_identifier_part(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '$' || ch == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Result<Vec<Tok>, String> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let tok = lexer.next().map_err(|e| e.message())?;
            if tok == Tok::String {
                lexer.text().map_err(|e| e.message())?;
            }
            out.push(tok);
            if tok == Tok::Eof || (tok == Tok::EndObject && lexer.stack.is_empty()) {
                return Ok(out);
            }
        }
    }

    #[test]
    fn tokenizes() {
        use Tok::*;
        assert_eq!(
            tokens(r#"{"a": ["x", 1, true, false, null, {"b": []}]}"#).unwrap(),
            vec![
                StartObject,
                FieldName,
                StartArray,
                String,
                Number,
                True,
                False,
                Null,
                StartObject,
                FieldName,
                StartArray,
                EndArray,
                EndObject,
                EndArray,
                EndObject
            ]
        );
    }

    fn error(src: &str) -> String {
        tokens(src).unwrap_err()
    }

    #[test]
    fn syntax_errors_read_like_jackson() {
        // Recorded from EventBridge.
        assert_eq!(
            error("{'bad': 'quotation'}"),
            "Event pattern is not valid. Reason: Unexpected character (''' (code 39)): was expecting double-quote to start field name\n at [Source: (String)\"{'bad': 'quotation'}\"; line: 1, column: 2]"
        );
        assert_eq!(
            error("this is valid json but not a dict"),
            "Event pattern is not valid. Reason: Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"this is valid json but not a dict\"; line: 1, column: 5]"
        );
        assert_eq!(
            error("{\"not\": closed mark\""),
            "Event pattern is not valid. Reason: Unrecognized token 'closed': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"{\"not\": closed mark\"\"; line: 1, column: 15]"
        );
        // From event-ruler's test suite.
        assert!(error(r#"{"key": [{"wildcard": "a*c\def"}]}"#).starts_with(
            "Event pattern is not valid. Reason: Unrecognized character escape 'd' (code 100)\n at [Source: (String)\"{\"key\": [{\"wildcard\": \"a*c\\def\"}]}\"; line: 1, column: 28]"
        ));
    }

    #[test]
    fn structural_errors() {
        assert!(error("{\"a\": [1,]}").contains("Unexpected character (']' (code 93)): expected a value"));
        assert!(error("{\"a\": [1}").contains(
            "Unexpected close marker '}': expected ']' (for Array starting at [Source: (String)\"{\"a\": [1}\"; line: 1, column: 7])\n at [Source: (String)\"{\"a\": [1}\"; line: 1, column: 9]"
        ));
        assert!(error("{\"a\": [1").contains(
            "Unexpected end-of-input: expected close marker for Array (start marker at [Source: (String)\"{\"a\": [1\"; line: 1, column: 7])"
        ));
        assert!(error("{\"a\" 1}").contains("was expecting a colon to separate field name and value"));
        assert!(error("{\"a\": [1 2]}").contains("was expecting comma to separate Array entries"));
        assert!(error("{\"a\": [01]}").contains("Invalid numeric value: Leading zeroes not allowed"));
        assert!(error("{\"a\": [-x]}").contains("expected digit (0-9) to follow minus sign"));
        assert!(error("{\"a\": [\"x\ny\"]}").contains("Illegal unquoted character ((CTRL-CHAR, code 10))"));
        assert!(error("{\"a\": [tru]}").contains("Unrecognized token 'tru'"));
        assert!(error("{\"a\": [NaN]}").contains("Non-standard token 'NaN'"));
        assert!(error("{/* c */}").contains("maybe a (non-standard) comment?"));
        assert!(error("{\"a\": [\u{1}]}").contains("Illegal character ((CTRL-CHAR, code 1))"));
        assert!(error("{\"a\": [#]}").contains("Unexpected character ('#' (code 35)): expected a valid value"));
        assert!(error("{\"a\": [\"é\\q\"]}").contains("column: 11]"));
        assert!(error("{\n  \"a\": [x]\n}").contains("line: 2, column: 10]"));
    }
}
