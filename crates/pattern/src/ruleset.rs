//! Many patterns matched against one event at once.
//!
//! Every field of every pattern alternative is indexed by its path. Matching
//! walks the event's paths once, looks each up in the index, and tests the
//! leaves only against the values registered for that path (exact strings by
//! hash lookup). An alternative whose fields all found a value is a candidate;
//! candidates that involve arrays or `{"exists": false}` are then confirmed by
//! the full array-consistent check. The work per event therefore depends on
//! the event's size and on the patterns that share its paths, not on the total
//! number of patterns.

use std::collections::HashMap;
use std::hash::Hash;

use crate::event::Event;
use crate::matcher::{Matcher, Value};
use crate::pattern::{Pattern, branch_matches};
use crate::table::{StrMap, hash};

/// A set of patterns, each registered under a key; finds the keys whose
/// patterns match an event.
///
/// Adding several patterns under one key means "any of them" (like calling
/// event-ruler's `addRule` several times with one name).
#[derive(Debug, Clone)]
pub struct RuleSet<K> {
    rules: Vec<Option<Rule<K>>>,
    free: Vec<u32>,
    by_key: HashMap<K, Vec<u32>>,
    index: PathIndex,
    /// Indexed alternatives that have been removed; once they outnumber the
    /// live ones the index is rebuilt.
    dead: usize,
}

#[derive(Debug, Clone)]
struct Rule<K> {
    key: K,
    pattern: Pattern,
}

/// Reusable buffers for [`RuleSet::matching_into`].
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    hits: Vec<u64>,
    matched: Vec<u32>,
}

/// One field of one alternative: (alternative number, field index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Target {
    branch: u32,
    field: u32,
}

impl Target {
    fn packed(self) -> u64 {
        (u64::from(self.branch) << 32) | u64::from(self.field)
    }
}

#[derive(Debug, Clone)]
struct BranchInfo {
    rule: u32,
    branch: u32,
    /// Fields that need a matching value (those without `exists: false`).
    required: u32,
    /// Whether a hit on the single required field is a match by itself.
    simple: bool,
    live: bool,
}

#[derive(Debug, Clone, Default)]
struct PathIndex {
    paths: StrMap<PathMatchers>,
    branches: Vec<BranchInfo>,
    /// Alternatives with no required field: checked against every event.
    unconditional: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
struct PathMatchers {
    exact: StrMap<Vec<Target>>,
    others: Vec<(Matcher, Target)>,
}

impl<K: Eq + Hash + Clone> Default for RuleSet<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Eq + Hash + Clone> RuleSet<K> {
    /// An empty rule set.
    pub fn new() -> Self {
        Self { rules: Vec::new(), free: Vec::new(), by_key: HashMap::new(), index: PathIndex::default(), dead: 0 }
    }

    /// Registers `pattern` under `key`.
    pub fn add(&mut self, key: K, pattern: Pattern) {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.rules.push(None);
            u32::try_from(self.rules.len() - 1).unwrap_or(u32::MAX)
        });
        self.index.add(slot, &pattern);
        self.by_key.entry(key.clone()).or_default().push(slot);
        self.rules[slot as usize] = Some(Rule { key, pattern });
    }

    /// Removes every pattern registered under `key`; returns how many.
    pub fn remove(&mut self, key: &K) -> usize {
        let Some(slots) = self.by_key.remove(key) else {
            return 0;
        };
        for &slot in &slots {
            self.rules[slot as usize] = None;
            self.free.push(slot);
        }
        for info in &mut self.index.branches {
            if info.live && slots.contains(&info.rule) {
                info.live = false;
                self.dead += 1;
            }
        }
        if self.dead * 2 > self.index.branches.len() {
            self.rebuild();
        }
        slots.len()
    }

    /// The number of patterns registered.
    pub fn len(&self) -> usize {
        self.by_key.values().map(Vec::len).sum()
    }

    /// Whether no pattern is registered.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// The keys whose patterns match `event`, each once.
    pub fn matching(&self, event: &Event) -> Vec<&K> {
        let mut out = Vec::new();
        self.matching_into(event, &mut Scratch::default(), &mut out);
        out
    }

    /// Like [`RuleSet::matching`], appending to `out` and reusing `scratch`,
    /// so that matching a stream of events allocates nothing per event once
    /// the buffers have grown.
    pub fn matching_into<'a>(&'a self, event: &Event, scratch: &mut Scratch, out: &mut Vec<&'a K>) {
        let index = &self.index;
        scratch.hits.clear();
        scratch.matched.clear();
        for path in event.paths() {
            // The name is only compared once a hash matches.
            let Some(matchers) = index.paths.find(path.hash(), |name| name == path.name()) else {
                continue;
            };
            for leaf in path.leaves() {
                let value = event.value(leaf);
                if let (Value::Str(s), false) = (value, matchers.exact.is_empty())
                    && let Some(targets) = matchers.exact.get(hash(s.as_bytes()), s)
                {
                    scratch.hits.extend(targets.iter().map(|t| t.packed()));
                }
                for (matcher, target) in &matchers.others {
                    if matcher.matches(value) {
                        scratch.hits.push(target.packed());
                    }
                }
            }
        }
        scratch.hits.sort_unstable();
        scratch.hits.dedup();
        let mut i = 0;
        while i < scratch.hits.len() {
            let branch = scratch.hits[i] >> 32;
            let start = i;
            while i < scratch.hits.len() && scratch.hits[i] >> 32 == branch {
                i += 1;
            }
            let info = &index.branches[usize::try_from(branch).unwrap_or(usize::MAX)];
            let hits = u32::try_from(i - start).unwrap_or(u32::MAX);
            if info.live && hits == info.required && (info.simple || self.confirm(info, event)) {
                scratch.matched.push(info.rule);
            }
        }
        for &b in &index.unconditional {
            let info = &index.branches[b as usize];
            if info.live && self.confirm(info, event) {
                scratch.matched.push(info.rule);
            }
        }
        scratch.matched.sort_unstable();
        scratch.matched.dedup();
        let matched = &scratch.matched;
        for &slot in matched {
            let Some(rule) = &self.rules[slot as usize] else { continue };
            // A key with several matching patterns is reported for the first.
            let first = self
                .by_key
                .get(&rule.key)
                .is_none_or(|slots| !slots.iter().any(|&other| other < slot && matched.binary_search(&other).is_ok()));
            if first {
                out.push(&rule.key);
            }
        }
    }

    fn confirm(&self, info: &BranchInfo, event: &Event) -> bool {
        self.rules[info.rule as usize]
            .as_ref()
            .is_some_and(|rule| branch_matches(&rule.pattern.branches()[info.branch as usize], event))
    }

    fn rebuild(&mut self) {
        self.index = PathIndex::default();
        self.dead = 0;
        for (slot, rule) in (0u32..).zip(&self.rules) {
            if let Some(rule) = rule {
                self.index.add(slot, &rule.pattern);
            }
        }
    }
}

impl PathIndex {
    fn add(&mut self, rule: u32, pattern: &Pattern) {
        for (b, branch) in (0u32..).zip(pattern.branches()) {
            let id = u32::try_from(self.branches.len()).unwrap_or(u32::MAX);
            let required = branch.iter().filter(|f| !f.absent).count();
            self.branches.push(BranchInfo {
                rule,
                branch: b,
                required: u32::try_from(required).unwrap_or(u32::MAX),
                simple: branch.len() == 1 && required == 1,
                live: true,
            });
            if required == 0 {
                self.unconditional.push(id);
                continue;
            }
            for (f, field) in (0u32..).zip(branch) {
                if field.absent {
                    continue;
                }
                let target = Target { branch: id, field: f };
                let matchers = self.paths.entry(&field.path, PathMatchers::default);
                for matcher in &field.matchers {
                    match matcher {
                        Matcher::Exact(s) => matchers.exact.entry(s, Vec::new).push(target),
                        other => matchers.others.push((other.clone(), target)),
                    }
                }
            }
        }
    }
}
