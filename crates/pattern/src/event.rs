//! Events, flattened once into leaf values grouped by dotted path, so that any
//! number of patterns can be matched against them without re-reading the JSON.
//!
//! Arrays are flattened away (a field holding an array has one leaf per
//! element), but each leaf remembers which element of which array it came
//! from, so matching can refuse to combine values from different elements of
//! the same array, as EventBridge does.

use serde_json::Value as Json;

use crate::error::EventError;
use crate::lex::{self, micros};
use crate::matcher::Value;
use crate::table::{Index, hash};

/// The deepest nesting of objects and arrays an event may have.
pub const MAX_EVENT_DEPTH: usize = 1000;

/// A flattened event.
#[derive(Debug, Clone, Default)]
pub struct Event {
    /// Unescaped strings, number texts and path names.
    arena: String,
    /// Leaves, grouped by path.
    leaves: Vec<Leaf>,
    paths: Vec<PathInfo>,
    index: Index,
    /// Array memberships: (array number, element index), outermost first.
    chains: Vec<(u32, u32)>,
    /// Spans of the top-level keys in the arena.
    top_keys: Vec<(u32, u32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Num,
    True,
    False,
    Null,
}

/// One leaf value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Leaf {
    kind: Kind,
    /// Span of the string or number text in the arena.
    start: u32,
    len: u32,
    /// The number's value in millionths, if comparable.
    micros: Option<i64>,
    /// Span of the array membership chain in `chains`.
    chain_start: u32,
    chain_len: u32,
}

#[derive(Debug, Clone, Copy)]
struct PathInfo {
    hash: u64,
    name_start: u32,
    name_len: u32,
    first_leaf: u32,
    leaf_count: u32,
}

/// A path of an event and its leaves, as seen by the matchers.
pub(crate) struct PathView<'e> {
    pub(crate) hash: u64,
    pub(crate) name: &'e str,
    pub(crate) leaves: &'e [Leaf],
}

impl Event {
    /// Parses and flattens a JSON event. The event must be a JSON object.
    pub fn parse(json: &str) -> Result<Self, EventError> {
        let mut builder = Builder::default();
        let mut parser = Parser { src: json, pos: 0, builder: &mut builder, key: String::new() };
        parser.skip_whitespace();
        if parser.peek() != Some(b'{') {
            // Tell a non-object apart from broken JSON.
            parser.value()?;
            parser.skip_whitespace();
            return Err(if parser.pos == json.len() { EventError::NotAnObject } else { EventError::InvalidJson });
        }
        parser.value()?;
        parser.skip_whitespace();
        if parser.pos != json.len() {
            return Err(EventError::InvalidJson);
        }
        Ok(builder.finish())
    }

    /// Flattens an already parsed JSON value. A value that is not an object
    /// has no fields.
    pub fn from_value(value: &Json) -> Self {
        let mut builder = Builder::default();
        if value.is_object() {
            builder.walk(value);
        }
        builder.finish()
    }

    /// The number of leaf values.
    pub fn len(&self) -> usize {
        self.leaves.len()
    }

    /// Whether the event has no leaf values.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// Whether the event has a top-level field with this name (with any value,
    /// even an empty object or array), for `TestEventPattern`'s envelope check.
    pub(crate) fn has_top_level(&self, name: &str) -> bool {
        self.top_keys.iter().any(|&(start, len)| self.text(start, len) == name)
    }

    /// The leaves at `path` (hashed as `h`).
    pub(crate) fn leaves(&self, h: u64, path: &str) -> &[Leaf] {
        let found = self.index.find(h, |id| {
            let p = &self.paths[id as usize];
            p.hash == h && self.text(p.name_start, p.name_len) == path
        });
        match found {
            Some(id) => {
                let p = &self.paths[id as usize];
                &self.leaves[p.first_leaf as usize..(p.first_leaf + p.leaf_count) as usize]
            }
            None => &[],
        }
    }

    /// Every path with its leaves.
    pub(crate) fn paths(&self) -> impl Iterator<Item = PathView<'_>> {
        self.paths.iter().map(|p| PathView {
            hash: p.hash,
            name: self.text(p.name_start, p.name_len),
            leaves: &self.leaves[p.first_leaf as usize..(p.first_leaf + p.leaf_count) as usize],
        })
    }

    /// The value of a leaf.
    pub(crate) fn value(&self, leaf: &Leaf) -> Value<'_> {
        match leaf.kind {
            Kind::Str => Value::Str(self.text(leaf.start, leaf.len)),
            Kind::Num => Value::Num { text: self.text(leaf.start, leaf.len), micros: leaf.micros },
            Kind::True => Value::True,
            Kind::False => Value::False,
            Kind::Null => Value::Null,
        }
    }

    /// The array membership of a leaf: (array, element index), outermost first.
    pub(crate) fn chain(&self, leaf: &Leaf) -> &[(u32, u32)] {
        &self.chains[leaf.chain_start as usize..(leaf.chain_start + leaf.chain_len) as usize]
    }

    fn text(&self, start: u32, len: u32) -> &str {
        &self.arena[start as usize..(start + len) as usize]
    }
}

/// Collects leaves while an event is being read.
#[derive(Default)]
struct Builder {
    arena: String,
    /// Leaves in document order, with their path number.
    raw: Vec<(u32, Leaf)>,
    paths: Vec<PathInfo>,
    index: Index,
    chains: Vec<(u32, u32)>,
    /// The path being read.
    path: String,
    /// The path number of `path`, once looked up.
    path_id: Option<u32>,
    /// The arrays enclosing the value being read.
    membership: Vec<(u32, u32)>,
    arrays: u32,
    /// How many keys `path` is made of.
    key_depth: usize,
    /// Spans of the top-level keys in the arena.
    top_keys: Vec<(u32, u32)>,
}

impl Builder {
    fn push_key(&mut self, key: &str) -> usize {
        let mark = self.path.len();
        if self.key_depth == 0 {
            let span = self.store(key);
            self.top_keys.push(span);
        }
        if self.key_depth > 0 {
            self.path.push('.');
        }
        self.key_depth += 1;
        self.path.push_str(key);
        self.path_id = None;
        mark
    }

    fn pop_key(&mut self, mark: usize) {
        self.key_depth -= 1;
        self.path.truncate(mark);
        self.path_id = None;
    }

    fn current_path(&mut self) -> u32 {
        if let Some(id) = self.path_id {
            return id;
        }
        let h = hash(self.path.as_bytes());
        let (arena, paths, path) = (&self.arena, &self.paths, &self.path);
        let found = self.index.find(h, |id| {
            let p = &paths[id as usize];
            p.hash == h && arena[p.name_start as usize..(p.name_start + p.name_len) as usize] == **path
        });
        let id = found.unwrap_or_else(|| {
            let id = to_u32(self.paths.len());
            let name_start = to_u32(self.arena.len());
            self.arena.push_str(&self.path);
            let name_len = to_u32(self.path.len());
            self.paths.push(PathInfo { hash: h, name_start, name_len, first_leaf: 0, leaf_count: 0 });
            let paths = &self.paths;
            self.index.insert(h, id, paths.len(), |i| paths[i as usize].hash);
            id
        });
        self.path_id = Some(id);
        id
    }

    fn store(&mut self, text: &str) -> (u32, u32) {
        let start = to_u32(self.arena.len());
        self.arena.push_str(text);
        (start, to_u32(text.len()))
    }

    fn leaf(&mut self, kind: Kind, start: u32, len: u32, micros: Option<i64>) {
        let path = self.current_path();
        // Consecutive leaves in the same array element share one chain.
        let reuse = self.raw.last().map(|(_, l)| l).filter(|l| {
            l.chain_len as usize == self.membership.len()
                && self.chains[l.chain_start as usize..(l.chain_start + l.chain_len) as usize] == self.membership[..]
        });
        let (chain_start, chain_len) = if let Some(l) = reuse {
            (l.chain_start, l.chain_len)
        } else {
            let start = to_u32(self.chains.len());
            self.chains.extend_from_slice(&self.membership);
            (start, to_u32(self.membership.len()))
        };
        self.raw.push((path, Leaf { kind, start, len, micros, chain_start, chain_len }));
    }

    fn string_leaf(&mut self, text: &str) {
        let (start, len) = self.store(text);
        self.leaf(Kind::Str, start, len, None);
    }

    fn number_leaf(&mut self, text: &str) {
        let (start, len) = self.store(text);
        self.leaf(Kind::Num, start, len, micros(text));
    }

    fn open_array(&mut self) {
        self.membership.push((self.arrays, 0));
        self.arrays += 1;
    }

    fn next_element(&mut self, index: u32) {
        if let Some(last) = self.membership.last_mut() {
            last.1 = index;
        }
    }

    fn close_array(&mut self) {
        self.membership.pop();
    }

    fn walk(&mut self, value: &Json) {
        match value {
            Json::Object(map) => {
                for (key, child) in map {
                    let mark = self.push_key(key);
                    self.walk(child);
                    self.pop_key(mark);
                }
            }
            Json::Array(items) => {
                self.open_array();
                for (i, item) in items.iter().enumerate() {
                    self.next_element(to_u32(i));
                    self.walk(item);
                }
                self.close_array();
            }
            Json::String(s) => self.string_leaf(s),
            Json::Number(n) => self.number_leaf(&n.to_string()),
            Json::Bool(true) => self.leaf(Kind::True, 0, 0, None),
            Json::Bool(false) => self.leaf(Kind::False, 0, 0, None),
            Json::Null => self.leaf(Kind::Null, 0, 0, None),
        }
    }

    /// Groups the leaves by path, keeping document order within a path.
    fn finish(mut self) -> Event {
        for (path, _) in &self.raw {
            self.paths[*path as usize].leaf_count += 1;
        }
        let mut next = 0u32;
        for p in &mut self.paths {
            p.first_leaf = next;
            next += p.leaf_count;
        }
        let mut cursor: Vec<u32> = self.paths.iter().map(|p| p.first_leaf).collect();
        let mut leaves = vec![
            Leaf { kind: Kind::Null, start: 0, len: 0, micros: None, chain_start: 0, chain_len: 0 };
            self.raw.len()
        ];
        for (path, leaf) in self.raw {
            let slot = &mut cursor[path as usize];
            leaves[*slot as usize] = leaf;
            *slot += 1;
        }
        Event {
            arena: self.arena,
            leaves,
            paths: self.paths,
            index: self.index,
            chains: self.chains,
            top_keys: self.top_keys,
        }
    }
}

/// Offsets and counts fit in 32 bits: events are far smaller than 4 GiB.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A strict JSON reader that flattens as it goes. It keeps its own stack
/// instead of recursing, so no input can exhaust the thread's stack.
struct Parser<'s, 'b> {
    src: &'s str,
    pos: usize,
    builder: &'b mut Builder,
    key: String,
}

/// An open object (with the path mark of its current key) or array (with the
/// index of its current element).
enum Frame {
    Object(usize),
    Array(u32),
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Skips white space and consumes `byte` if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Reads one complete JSON value.
    fn value(&mut self) -> Result<(), EventError> {
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            // Read a value, or open a container and read its first value.
            self.skip_whitespace();
            let byte = self.peek().ok_or(EventError::InvalidJson)?;
            let opened = match byte {
                b'{' | b'[' => {
                    if stack.len() >= MAX_EVENT_DEPTH {
                        return Err(EventError::TooDeep);
                    }
                    self.pos += 1;
                    if byte == b'{' {
                        if self.eat(b'}') {
                            false
                        } else {
                            let mark = self.key()?;
                            stack.push(Frame::Object(mark));
                            true
                        }
                    } else {
                        self.builder.open_array();
                        if self.eat(b']') {
                            self.builder.close_array();
                            false
                        } else {
                            stack.push(Frame::Array(0));
                            true
                        }
                    }
                }
                _ => {
                    self.scalar(byte)?;
                    false
                }
            };
            if opened {
                continue;
            }
            // A value is complete: close containers until one has another value.
            loop {
                match stack.last_mut() {
                    None => return Ok(()),
                    Some(Frame::Object(mark)) => {
                        self.builder.pop_key(*mark);
                        if self.eat(b',') {
                            *mark = self.key()?;
                            break;
                        }
                        if !self.eat(b'}') {
                            return Err(EventError::InvalidJson);
                        }
                    }
                    Some(Frame::Array(index)) => {
                        if self.eat(b',') {
                            *index += 1;
                            self.builder.next_element(*index);
                            break;
                        }
                        if !self.eat(b']') {
                            return Err(EventError::InvalidJson);
                        }
                        self.builder.close_array();
                    }
                }
                stack.pop();
            }
        }
    }

    /// Reads `"key":` and enters the key's path; returns the path mark.
    fn key(&mut self) -> Result<usize, EventError> {
        if !self.eat(b'"') {
            return Err(EventError::InvalidJson);
        }
        self.key.clear();
        self.pos = lex::decode_string(self.src, self.pos, &mut self.key).map_err(|_| EventError::InvalidJson)?;
        if !self.eat(b':') {
            return Err(EventError::InvalidJson);
        }
        Ok(self.builder.push_key(&self.key))
    }

    fn scalar(&mut self, byte: u8) -> Result<(), EventError> {
        match byte {
            b'"' => {
                self.pos += 1;
                let start = to_u32(self.builder.arena.len());
                self.pos = lex::decode_string(self.src, self.pos, &mut self.builder.arena)
                    .map_err(|_| EventError::InvalidJson)?;
                let len = to_u32(self.builder.arena.len()) - start;
                self.builder.leaf(Kind::Str, start, len, None);
            }
            b'-' | b'0'..=b'9' => {
                let (end, _) =
                    lex::scan_number(self.src.as_bytes(), self.pos).map_err(|_| EventError::InvalidJson)?;
                let text = &self.src[self.pos..end];
                self.pos = end;
                self.builder.number_leaf(text);
            }
            b't' => self.literal("true", Kind::True)?,
            b'f' => self.literal("false", Kind::False)?,
            b'n' => self.literal("null", Kind::Null)?,
            _ => return Err(EventError::InvalidJson),
        }
        Ok(())
    }

    fn literal(&mut self, word: &str, kind: Kind) -> Result<(), EventError> {
        if !self.src[self.pos..].starts_with(word) {
            return Err(EventError::InvalidJson);
        }
        self.pos += word.len();
        self.builder.leaf(kind, 0, 0, None);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(event: &Event, path: &str) -> Vec<String> {
        event
            .leaves(hash(path.as_bytes()), path)
            .iter()
            .map(|l| format!("{:?}@{:?}", event.value(l), event.chain(l)))
            .collect()
    }

    #[test]
    fn flattens_with_array_membership() {
        let e = Event::parse(r#"{"a": [{"b": 1, "c": "x"}, {"b": [true, null]}], "d": {"e": "\u00e9"}}"#).unwrap();
        assert_eq!(
            values(&e, "a.b"),
            [
                "Num { text: \"1\", micros: Some(1000000) }@[(0, 0)]",
                "True@[(0, 1), (1, 0)]",
                "Null@[(0, 1), (1, 1)]"
            ]
        );
        assert_eq!(values(&e, "a.c"), ["Str(\"x\")@[(0, 0)]"]);
        assert_eq!(values(&e, "d.e"), ["Str(\"é\")@[]"]);
        assert!(values(&e, "a").is_empty());
        assert_eq!(e.len(), 5);
        assert!(e.has_top_level("d"));
        assert!(!e.has_top_level("e"));
        assert!(Event::parse(r#"{"x": {}, "": {"y": []}}"#).unwrap().has_top_level("x"));
        assert!(!Event::parse(r#"{"": {"y": 1}}"#).unwrap().has_top_level("y"));
    }

    #[test]
    fn from_value_agrees_with_parse() {
        let text = r#"{"x": [1, 2.5, "s"], "y": {"z": [[false]]}, "w": {}}"#;
        let parsed = Event::parse(text).unwrap();
        let value: Json = serde_json::from_str(text).unwrap();
        let built = Event::from_value(&value);
        for path in ["x", "y.z", "w"] {
            assert_eq!(values(&parsed, path), values(&built, path));
        }
        assert!(Event::from_value(&Json::Null).is_empty());
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(Event::parse("[1]").unwrap_err(), EventError::NotAnObject);
        assert_eq!(Event::parse("\"s\"").unwrap_err(), EventError::NotAnObject);
        assert_eq!(Event::parse("{").unwrap_err(), EventError::InvalidJson);
        assert_eq!(Event::parse("{} x").unwrap_err(), EventError::InvalidJson);
        assert_eq!(Event::parse("{\"a\": [1,]}").unwrap_err(), EventError::InvalidJson);
        assert_eq!(Event::parse("{\"a\": 01}").unwrap_err(), EventError::InvalidJson);
        assert_eq!(Event::parse("{\"a\": tru}").unwrap_err(), EventError::InvalidJson);
        assert_eq!(Event::parse("").unwrap_err(), EventError::InvalidJson);
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(MAX_EVENT_DEPTH), "]".repeat(MAX_EVENT_DEPTH));
        assert_eq!(Event::parse(&deep).unwrap_err(), EventError::TooDeep);
        assert!(Event::parse("{\"a\": 1, \"a\": 2}").unwrap().len() == 2);
    }
}
