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

/// The parent of top-level paths.
const ROOT: u32 = u32::MAX;

/// A flattened event.
///
/// An `Event` can be refilled with [`Event::parse_into`], which reuses its
/// buffers: matching a stream of events then allocates nothing per event once
/// the buffers have grown.
#[derive(Debug, Clone, Default)]
pub struct Event {
    /// Unescaped strings, number texts and path names.
    arena: String,
    /// Leaves, grouped by path.
    leaves: Vec<Leaf>,
    paths: Vec<PathInfo>,
    /// Paths by full dotted name.
    by_name: Index,
    /// Paths by (parent path, last key), for reading.
    by_key: Index,
    /// Array memberships: (array number, element index), outermost first.
    chains: Vec<(u32, u32)>,
    /// The paths of the top-level keys.
    top_keys: Vec<u32>,
    work: Work,
}

/// State used while reading, kept to be reused.
#[derive(Debug, Clone, Default)]
struct Work {
    /// Leaves in document order, with their path number.
    raw: Vec<(u32, Leaf)>,
    /// The path numbers of the keys being read, outermost first.
    keys: Vec<u32>,
    /// The arrays enclosing the value being read.
    membership: Vec<(u32, u32)>,
    /// Whether `membership` changed since the last leaf.
    membership_changed: bool,
    /// The key path just left (to guess the next sibling), or `ROOT`.
    left: u32,
    /// The first top-level path.
    root_first_child: u32,
    /// The chain span of the last leaf.
    chain: (u32, u16),
    arrays: u32,
    key: String,
    cursor: Vec<u32>,
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
    chain_len: u16,
    /// Span of the string or number text in the arena.
    start: u32,
    len: u32,
    /// Span start of the array membership chain in `chains`.
    chain_start: u32,
}

impl Leaf {
    const EMPTY: Self = Self { kind: Kind::Null, chain_len: 0, start: 0, len: 0, chain_start: 0 };
}

#[derive(Debug, Clone, Copy)]
struct PathInfo {
    hash: u64,
    name_start: u32,
    name_len: u32,
    parent: u32,
    /// The last key is the last `key_len` bytes of the name.
    key_len: u32,
    key_hash: u64,
    first_leaf: u32,
    leaf_count: u32,
    /// The child path read first the last time this path held an object, and
    /// the sibling read after this path: arrays of objects repeat their keys,
    /// so these usually name the next path without a lookup.
    first_child: u32,
    next_sibling: u32,
}

/// A path of an event, as seen by the matchers.
pub(crate) struct PathView<'e> {
    event: &'e Event,
    info: &'e PathInfo,
}

impl<'e> PathView<'e> {
    /// The hash of the dotted name.
    pub(crate) fn hash(&self) -> u64 {
        self.info.hash
    }

    /// The dotted name.
    pub(crate) fn name(&self) -> &'e str {
        self.event.name(self.info)
    }

    /// The leaves.
    pub(crate) fn leaves(&self) -> &'e [Leaf] {
        self.event.leaves_of(self.info)
    }
}

impl Event {
    /// Parses and flattens a JSON event. The event must be a JSON object.
    pub fn parse(json: &str) -> Result<Self, EventError> {
        let mut event = Self::default();
        event.parse_into(json)?;
        Ok(event)
    }

    /// Like [`Event::parse`], replacing this event's content and reusing its
    /// buffers. On error the event is left empty.
    pub fn parse_into(&mut self, json: &str) -> Result<(), EventError> {
        self.reset(json.len());
        let mut parser = Parser { src: json, pos: 0, event: self };
        parser.skip_whitespace();
        let object = parser.peek() == Some(b'{');
        let mut result = parser.value();
        parser.skip_whitespace();
        if result.is_ok() && parser.pos != json.len() {
            result = Err(EventError::InvalidJson);
        }
        if result.is_ok() && !object {
            result = Err(EventError::NotAnObject);
        }
        match result {
            Ok(()) => {
                self.finish();
                Ok(())
            }
            Err(e) => {
                self.reset(0);
                Err(e)
            }
        }
    }

    /// Flattens an already parsed JSON value. A value that is not an object
    /// has no fields.
    pub fn from_value(value: &Json) -> Self {
        let mut event = Self::default();
        event.reset(0);
        if value.is_object() {
            event.walk(value);
        }
        event.finish();
        event
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
        self.top_keys.iter().any(|&id| self.name(&self.paths[id as usize]) == name)
    }

    /// The leaves at `path` (hashed as `h`).
    pub(crate) fn leaves(&self, h: u64, path: &str) -> &[Leaf] {
        let found = self.by_name.find(h, |id| {
            let p = &self.paths[id as usize];
            p.hash == h && self.name(p) == path
        });
        found.map_or(&[], |id| self.leaves_of(&self.paths[id as usize]))
    }

    /// Every path with its leaves.
    pub(crate) fn paths(&self) -> impl Iterator<Item = PathView<'_>> {
        self.paths.iter().filter(|p| p.leaf_count > 0).map(|info| PathView { event: self, info })
    }

    /// The value of a leaf. A number's comparable value is worked out here,
    /// when a pattern looks at it, rather than for every number read.
    pub(crate) fn value(&self, leaf: &Leaf) -> Value<'_> {
        match leaf.kind {
            Kind::Str => Value::Str(self.text(leaf.start, leaf.len)),
            Kind::Num => {
                let text = self.text(leaf.start, leaf.len);
                Value::Num { text, micros: micros(text) }
            }
            Kind::True => Value::True,
            Kind::False => Value::False,
            Kind::Null => Value::Null,
        }
    }

    /// The array membership of a leaf: (array, element index), outermost first.
    pub(crate) fn chain(&self, leaf: &Leaf) -> &[(u32, u32)] {
        let start = leaf.chain_start as usize;
        &self.chains[start..start + usize::from(leaf.chain_len)]
    }

    fn leaves_of(&self, p: &PathInfo) -> &[Leaf] {
        &self.leaves[p.first_leaf as usize..(p.first_leaf + p.leaf_count) as usize]
    }

    fn name(&self, p: &PathInfo) -> &str {
        self.text(p.name_start, p.name_len)
    }

    fn text(&self, start: u32, len: u32) -> &str {
        &self.arena[start as usize..(start + len) as usize]
    }

    /// Empties the event, keeping its buffers, sized for `len` bytes of JSON.
    fn reset(&mut self, len: usize) {
        self.arena.clear();
        self.arena.reserve(len);
        self.leaves.clear();
        self.paths.clear();
        self.by_name.clear();
        self.by_key.clear();
        self.chains.clear();
        self.top_keys.clear();
        let work = &mut self.work;
        work.raw.clear();
        work.raw.reserve(len / 12);
        work.keys.clear();
        work.membership.clear();
        work.membership_changed = false;
        work.left = ROOT;
        work.root_first_child = ROOT;
        work.chain = (0, 0);
        work.arrays = 0;
    }

    /// Enters `key` below the current path; `first` if it is the first key of
    /// its object.
    fn push_key(&mut self, key: &str, first: bool) {
        let parent = self.work.keys.last().copied().unwrap_or(ROOT);
        let guess = match (first, parent) {
            (true, ROOT) => self.work.root_first_child,
            (true, _) => self.paths[parent as usize].first_child,
            (false, _) if self.work.left != ROOT => self.paths[self.work.left as usize].next_sibling,
            _ => ROOT,
        };
        let id = if guess != ROOT && self.is_child(guess, parent, key) { guess } else { self.lookup(parent, key) };
        match (first, parent) {
            (true, ROOT) => self.work.root_first_child = id,
            (true, _) => self.paths[parent as usize].first_child = id,
            (false, _) if self.work.left != ROOT => self.paths[self.work.left as usize].next_sibling = id,
            _ => {}
        }
        if parent == ROOT {
            self.top_keys.push(id);
        }
        self.work.keys.push(id);
    }

    /// Whether path `id` is `key` below `parent`.
    fn is_child(&self, id: u32, parent: u32, key: &str) -> bool {
        let p = &self.paths[id as usize];
        let end = (p.name_start + p.name_len) as usize;
        p.parent == parent && p.key_len as usize == key.len() && self.arena[end - key.len()..end] == *key
    }

    /// The path for `key` below `parent`, found by hash or created.
    fn lookup(&mut self, parent: u32, key: &str) -> u32 {
        let key_hash = hash(key.as_bytes());
        let h = key_hash ^ u64::from(parent).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let (paths, arena) = (&self.paths, &self.arena);
        let found = self.by_key.find(h, |id| {
            let p = &paths[id as usize];
            let end = (p.name_start + p.name_len) as usize;
            p.parent == parent && p.key_hash == key_hash && arena[end - p.key_len as usize..end] == *key
        });
        found.unwrap_or_else(|| self.new_path(parent, key, key_hash, h))
    }

    fn pop_key(&mut self) {
        self.work.left = self.work.keys.pop().unwrap_or(ROOT);
    }

    /// The path for `key` below `parent`, created if this is its first use.
    fn new_path(&mut self, parent: u32, key: &str, key_hash: u64, by_key_hash: u64) -> u32 {
        let name_start = to_u32(self.arena.len());
        if parent != ROOT {
            let p = self.paths[parent as usize];
            self.arena.extend_from_within(p.name_start as usize..(p.name_start + p.name_len) as usize);
            self.arena.push('.');
        }
        self.arena.push_str(key);
        let name_len = to_u32(self.arena.len()) - name_start;
        let name_hash = hash(self.text(name_start, name_len).as_bytes());
        // A dotted key can name a path already reached through nested keys.
        let (paths, arena) = (&self.paths, &self.arena);
        let name = &arena[name_start as usize..(name_start + name_len) as usize];
        let existing = self.by_name.find(name_hash, |id| {
            let p = &paths[id as usize];
            p.hash == name_hash && &arena[p.name_start as usize..(p.name_start + p.name_len) as usize] == name
        });
        if let Some(id) = existing {
            self.arena.truncate(name_start as usize);
            return id;
        }
        let id = to_u32(self.paths.len());
        self.paths.push(PathInfo {
            hash: name_hash,
            name_start,
            name_len,
            parent,
            key_len: to_u32(key.len()),
            key_hash,
            first_leaf: 0,
            leaf_count: 0,
            first_child: ROOT,
            next_sibling: ROOT,
        });
        let paths = &self.paths;
        self.by_name.insert(name_hash, id, paths.len(), |i| paths[i as usize].hash);
        self.by_key.insert(by_key_hash, id, paths.len(), |i| {
            let p = &paths[i as usize];
            p.key_hash ^ u64::from(p.parent).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        });
        id
    }

    fn leaf(&mut self, kind: Kind, start: u32, len: u32) {
        let work = &mut self.work;
        let Some(&path) = work.keys.last() else {
            // A value outside any object (only when reading a non-object).
            return;
        };
        if work.membership_changed {
            work.membership_changed = false;
            work.chain = if work.membership.is_empty() {
                (0, 0)
            } else {
                let start = to_u32(self.chains.len());
                self.chains.extend_from_slice(&work.membership);
                (start, u16::try_from(work.membership.len()).unwrap_or(u16::MAX))
            };
        }
        let (chain_start, chain_len) = work.chain;
        work.raw.push((path, Leaf { kind, chain_len, start, len, chain_start }));
    }

    fn string_leaf(&mut self, text: &str) {
        let start = to_u32(self.arena.len());
        self.arena.push_str(text);
        self.leaf(Kind::Str, start, to_u32(text.len()));
    }

    fn number_leaf(&mut self, text: &str) {
        let start = to_u32(self.arena.len());
        self.arena.push_str(text);
        self.leaf(Kind::Num, start, to_u32(text.len()));
    }

    fn open_array(&mut self) {
        let work = &mut self.work;
        work.membership.push((work.arrays, 0));
        work.arrays += 1;
        work.membership_changed = true;
    }

    fn next_element(&mut self, index: u32) {
        let work = &mut self.work;
        if let Some(last) = work.membership.last_mut() {
            last.1 = index;
        }
        work.membership_changed = true;
    }

    fn close_array(&mut self) {
        self.work.membership.pop();
        self.work.membership_changed = true;
    }

    fn walk(&mut self, value: &Json) {
        match value {
            Json::Object(map) => {
                for (i, (key, child)) in map.iter().enumerate() {
                    self.push_key(key, i == 0);
                    self.walk(child);
                    self.pop_key();
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
            Json::Bool(true) => self.leaf(Kind::True, 0, 0),
            Json::Bool(false) => self.leaf(Kind::False, 0, 0),
            Json::Null => self.leaf(Kind::Null, 0, 0),
        }
    }

    /// Groups the leaves by path, keeping document order within a path.
    fn finish(&mut self) {
        let work = &mut self.work;
        for (path, _) in &work.raw {
            self.paths[*path as usize].leaf_count += 1;
        }
        let mut next = 0u32;
        work.cursor.clear();
        for p in &mut self.paths {
            p.first_leaf = next;
            work.cursor.push(next);
            next += p.leaf_count;
        }
        self.leaves.clear();
        self.leaves.resize(work.raw.len(), Leaf::EMPTY);
        for (path, leaf) in work.raw.drain(..) {
            let slot = &mut work.cursor[path as usize];
            self.leaves[*slot as usize] = leaf;
            *slot += 1;
        }
    }
}

/// Offsets and counts fit in 32 bits: events are far smaller than 4 GiB.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A strict JSON reader that flattens as it goes. It keeps its own stack
/// instead of recursing, so no input can exhaust the thread's stack.
struct Parser<'s, 'e> {
    src: &'s str,
    pos: usize,
    event: &'e mut Event,
}

/// An open object or array (with the index of its current element).
enum Frame {
    Object,
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
                            self.key(true)?;
                            stack.push(Frame::Object);
                            true
                        }
                    } else {
                        self.event.open_array();
                        if self.eat(b']') {
                            self.event.close_array();
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
                    Some(Frame::Object) => {
                        self.event.pop_key();
                        if self.eat(b',') {
                            self.key(false)?;
                            break;
                        }
                        if !self.eat(b'}') {
                            return Err(EventError::InvalidJson);
                        }
                    }
                    Some(Frame::Array(index)) => {
                        if self.eat(b',') {
                            *index += 1;
                            self.event.next_element(*index);
                            break;
                        }
                        if !self.eat(b']') {
                            return Err(EventError::InvalidJson);
                        }
                        self.event.close_array();
                    }
                }
                stack.pop();
            }
        }
    }

    /// Reads `"key":` and enters the key's path (`first` in its object).
    fn key(&mut self, first: bool) -> Result<(), EventError> {
        if !self.eat(b'"') {
            return Err(EventError::InvalidJson);
        }
        if let Some(end) = lex::plain_string_end(self.src.as_bytes(), self.pos) {
            // No escapes: use the key in place.
            let key = &self.src[self.pos..end];
            self.pos = end + 1;
            if !self.eat(b':') {
                return Err(EventError::InvalidJson);
            }
            self.event.push_key(key, first);
            return Ok(());
        }
        let mut key = std::mem::take(&mut self.event.work.key);
        key.clear();
        let decoded = lex::decode_string(self.src, self.pos, &mut key);
        let result = match decoded {
            Ok(end) => {
                self.pos = end;
                if self.eat(b':') {
                    self.event.push_key(&key, first);
                    Ok(())
                } else {
                    Err(EventError::InvalidJson)
                }
            }
            Err(_) => Err(EventError::InvalidJson),
        };
        self.event.work.key = key;
        result
    }

    fn scalar(&mut self, byte: u8) -> Result<(), EventError> {
        match byte {
            b'"' => {
                self.pos += 1;
                let start = to_u32(self.event.arena.len());
                self.pos = lex::decode_string(self.src, self.pos, &mut self.event.arena)
                    .map_err(|_| EventError::InvalidJson)?;
                let len = to_u32(self.event.arena.len()) - start;
                self.event.leaf(Kind::Str, start, len);
            }
            b'-' | b'0'..=b'9' => {
                let (end, _) = lex::scan_number(self.src.as_bytes(), self.pos).map_err(|_| EventError::InvalidJson)?;
                let text = &self.src[self.pos..end];
                self.pos = end;
                self.event.number_leaf(text);
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
        self.event.leaf(kind, 0, 0);
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
            ["Num { text: \"1\", micros: Some(1000000) }@[(0, 0)]", "True@[(0, 1), (1, 0)]", "Null@[(0, 1), (1, 1)]"]
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
    fn parse_into_replaces_the_content() {
        let mut event = Event::parse(r#"{"a": [1, 2], "b": {"c": "x"}}"#).unwrap();
        event.parse_into(r#"{"b": {"c": "y"}, "d": true}"#).unwrap();
        assert!(values(&event, "a").is_empty());
        assert_eq!(values(&event, "b.c"), ["Str(\"y\")@[]"]);
        assert_eq!(values(&event, "d"), ["True@[]"]);
        assert!(event.has_top_level("d") && !event.has_top_level("a"));
        assert_eq!(event.parse_into("{\"a\": x}"), Err(EventError::InvalidJson));
        assert!(event.is_empty());
        assert!(!event.has_top_level("d"));
    }

    #[test]
    fn dotted_keys_share_the_nested_path() {
        let event = Event::parse(r#"{"a": {"b": 1}, "a.b": 2, "x": [{"a.b": 3}]}"#).unwrap();
        assert_eq!(values(&event, "a.b").len(), 2);
        assert_eq!(values(&event, "x.a.b").len(), 1);
        assert!(event.has_top_level("a.b"));
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
