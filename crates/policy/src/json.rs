//! A small JSON reader that keeps byte offsets, so statements can report where they sit in the
//! document the way IAM's simulator does.
//!
//! It accepts exactly RFC 8259 JSON (no comments, no trailing commas, no `NaN`), like the Jackson
//! parser behind IAM. Duplicate object keys are accepted and the last value wins, in the position
//! of the first occurrence: IAM (Jackson's tree model) and moto (Python's `dict`) both behave so.
//! Nesting deeper than [`MAX_DEPTH`] is refused instead of recursing without bound.

use std::collections::HashMap;

/// Deepest nesting of arrays and objects accepted. Real policies nest about six levels.
pub(crate) const MAX_DEPTH: usize = 64;

/// Objects with this many members look up duplicates in a hash map instead of scanning.
const INDEX_FROM: usize = 16;

/// A parsed value with the byte offsets of its first character and of the character after it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub start: usize,
    pub end: usize,
    pub value: Json,
}

/// The JSON data model; numbers keep their source text so nothing is lost to floating point.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(Box<str>),
    Str(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Json {
    /// The value of `key` in an object (keys are unique after parsing).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// The document is not JSON; IAM does not say where, so neither do we.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotJson;

/// Parses a whole document: one value surrounded by optional whitespace.
pub(crate) fn parse(src: &str) -> Result<Node, NotJson> {
    let mut reader = Reader { src: src.as_bytes(), text: src, pos: 0 };
    reader.skip_ws();
    let node = reader.value(0)?;
    reader.skip_ws();
    if reader.pos == reader.src.len() { Ok(node) } else { Err(NotJson) }
}

struct Reader<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Result<(), NotJson> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(NotJson)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, NotJson> {
        let start = self.pos;
        let value = match self.peek().ok_or(NotJson)? {
            b'{' => self.object(depth + 1)?,
            b'[' => self.array(depth + 1)?,
            b'"' => Json::Str(self.string()?),
            b't' => self.literal("true", Json::Bool(true))?,
            b'f' => self.literal("false", Json::Bool(false))?,
            b'n' => self.literal("null", Json::Null)?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return Err(NotJson),
        };
        Ok(Node { start, end: self.pos, value })
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, NotJson> {
        if self.src[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(NotJson)
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, NotJson> {
        if depth > MAX_DEPTH {
            return Err(NotJson);
        }
        self.eat(b'{')?;
        let mut members: Vec<(String, Node)> = Vec::new();
        // Large objects get an index so duplicate detection stays linear.
        let mut index: HashMap<String, usize> = HashMap::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(NotJson);
            }
            let key = self.string()?;
            self.skip_ws();
            self.eat(b':')?;
            self.skip_ws();
            let value = self.value(depth)?;
            let existing = if members.len() < INDEX_FROM {
                members.iter().position(|(k, _)| *k == key)
            } else {
                if index.is_empty() {
                    index.extend(members.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)));
                }
                index.get(&key).copied()
            };
            if let Some(i) = existing {
                members[i].1 = value;
            } else {
                if !index.is_empty() {
                    index.insert(key.clone(), members.len());
                }
                members.push((key, value));
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(NotJson),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, NotJson> {
        if depth > MAX_DEPTH {
            return Err(NotJson);
        }
        self.eat(b'[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(NotJson),
            }
        }
    }

    fn number(&mut self) -> Result<Json, NotJson> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(NotJson),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.require_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.require_digits()?;
        }
        Ok(Json::Number(self.text[start..self.pos].into()))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn require_digits(&mut self) -> Result<(), NotJson> {
        let before = self.pos;
        self.digits();
        if self.pos == before { Err(NotJson) } else { Ok(()) }
    }

    fn string(&mut self) -> Result<String, NotJson> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            // Copy the run of plain characters in one go; the source is valid UTF-8 and the run
            // stops only at ASCII bytes, so the slice boundaries are character boundaries.
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                _ => return Err(NotJson),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), NotJson> {
        let c = match self.peek().ok_or(NotJson)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                self.pos += 1;
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    self.eat(b'\\')?;
                    self.eat(b'u')?;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(NotJson);
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                out.push(char::from_u32(code).ok_or(NotJson)?);
                return Ok(());
            }
            _ => return Err(NotJson),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, NotJson> {
        let digits = self.src.get(self.pos..self.pos + 4).ok_or(NotJson)?;
        let mut code = 0;
        for &d in digits {
            code = code * 16 + char::from(d).to_digit(16).ok_or(NotJson)?;
        }
        self.pos += 4;
        Ok(code)
    }
}

/// Turns byte offsets into IAM's 1-based `(line, column)` positions, moving forward only.
///
/// IAM reports the position just after a statement's braces (Jackson's "current location"
/// after reading the token): for `{"Statement":{...}}` the statement starts at column 15.
/// Columns count UTF-16 code units as Java does; `\r\n`, `\n` and a lone `\r` end a line.
pub(crate) struct LineCounter<'a> {
    src: &'a str,
    offset: usize,
    line: u32,
    column: u32,
}

impl<'a> LineCounter<'a> {
    pub fn new(src: &'a str) -> Self {
        LineCounter { src, offset: 0, line: 1, column: 1 }
    }

    /// The position after the ASCII character at byte `at` (a brace). Calls normally move
    /// forward; a call that goes backwards restarts the count from the top.
    pub fn after(&mut self, at: usize) -> (u32, u32) {
        let bytes = self.src.as_bytes();
        if at >= bytes.len() || !bytes[at].is_ascii() {
            return (self.line, self.column);
        }
        if at < self.offset {
            *self = LineCounter::new(self.src);
        }
        for (i, c) in self.src[self.offset..=at].char_indices() {
            let here = self.offset + i;
            match c {
                '\n' if here > 0 && bytes[here - 1] == b'\r' => {}
                '\n' | '\r' => {
                    self.line = self.line.saturating_add(1);
                    self.column = 1;
                }
                _ => {
                    let units = u32::try_from(c.len_utf16()).unwrap_or(1);
                    self.column = self.column.saturating_add(units);
                }
            }
        }
        self.offset = at + 1;
        (self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> Json {
        parse(src).expect(src).value
    }

    #[test]
    fn parses_scalars_and_containers() {
        assert_eq!(ok(" true "), Json::Bool(true));
        assert_eq!(ok("null"), Json::Null);
        assert_eq!(ok("-12.5e+3"), Json::Number("-12.5e+3".into()));
        assert_eq!(ok(r#""a\u00e9\ud83d\ude00\n""#), Json::Str("aé😀\n".into()));
        let Json::Object(members) = ok(r#"{"a":[1,{"b":[]}],"c":{}}"#) else { panic!() };
        assert_eq!(members.len(), 2);
    }

    #[test]
    fn rejects_what_jackson_rejects() {
        for bad in [
            "",
            "{",
            "{]",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "NaN",
            "\"\u{1}\"",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
            "{} x",
            "{a:1}",
            "tru",
            "[1 2]",
        ] {
            assert_eq!(parse(bad), Err(NotJson), "{bad:?}");
        }
    }

    #[test]
    fn duplicate_keys_keep_the_last_value_in_the_first_place() {
        let Json::Object(members) = ok(r#"{"a":1,"b":2,"a":3}"#) else { panic!() };
        assert_eq!(members[0].0, "a");
        assert_eq!(members[0].1.value, Json::Number("3".into()));
        assert_eq!(members.len(), 2);
    }

    #[test]
    fn large_objects_deduplicate_too() {
        let members: Vec<String> = (0..40).map(|i| format!("\"k{}\":{i}", i % 30)).collect();
        let Json::Object(members) = ok(&format!("{{{}}}", members.join(","))) else { panic!() };
        assert_eq!(members.len(), 30);
        assert_eq!(
            members[3],
            (
                "k3".to_string(),
                Node { start: members[3].1.start, end: members[3].1.end, value: Json::Number("33".into()) }
            )
        );
        let mut flat = String::from("{");
        for i in 0..20_000 {
            flat.push_str("\"k");
            flat.push_str(&i.to_string());
            flat.push_str("\":0,");
        }
        flat.push_str("\"end\":0}");
        assert!(parse(&flat).is_ok());
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&deep).is_ok());
        let deeper = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&deeper), Err(NotJson));
        assert_eq!(parse(&"[".repeat(100_000)), Err(NotJson));
    }

    #[test]
    fn offsets_and_positions() {
        let src = "{\n  \"a\": {\"b\": 1},\r\n\t\"é\": {}\r}";
        let root = parse(src).unwrap();
        let a = root.value.get("a").unwrap();
        assert_eq!(&src[a.start..a.end], "{\"b\": 1}");
        let mut lines = LineCounter::new(src);
        assert_eq!(lines.after(a.start), (2, 9));
        assert_eq!(lines.after(a.end - 1), (2, 16));
        let e = root.value.get("é").unwrap();
        assert_eq!(lines.after(e.start), (3, 8));
        assert_eq!(lines.after(root.end - 1), (4, 2));
    }
}
