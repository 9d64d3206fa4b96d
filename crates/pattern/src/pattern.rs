//! A compiled pattern, and the array-consistent matching of one alternative
//! ("branch") against an event.

use std::collections::HashSet;

use crate::compile::{self, Branch, Field};
use crate::error::PatternError;
use crate::event::{Event, Leaf};

/// The longest `EventPattern` the EventBridge API accepts, in characters.
pub const MAX_PATTERN_LEN: usize = 4096;

/// A validated, compiled EventBridge event pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: Box<str>,
    branches: Vec<Branch>,
}

impl Pattern {
    /// Parses and validates a pattern, refusing exactly what EventBridge
    /// refuses, with its error texts.
    pub fn parse(json: &str) -> Result<Self, PatternError> {
        if json.chars().count() > MAX_PATTERN_LEN {
            return Err(PatternError::too_long());
        }
        let branches = compile::compile(json)?;
        Ok(Self { source: json.into(), branches })
    }

    /// Whether the event matches the pattern.
    pub fn matches(&self, event: &Event) -> bool {
        self.branches.iter().any(|branch| branch_matches(branch, event))
    }

    /// The pattern's JSON text, as given to [`Pattern::parse`].
    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub(crate) fn branches(&self) -> &[Branch] {
        &self.branches
    }
}

/// After this many search steps the search starts remembering dead ends, so
/// that adversarial events cannot make it exponential.
const MEMO_AFTER: usize = 4096;

/// The leaves one field can use.
struct Slot<'e> {
    /// Every leaf at the field's path.
    all: &'e [Leaf],
    /// Indices into `all` of the leaves that match the field's values.
    candidates: Vec<u32>,
}

/// Whether all fields of `branch` match `event` with array consistency: the
/// values used must not come from different elements of one array.
///
/// Fields are tried in path order, as event-ruler does; `{"exists": false}`
/// holds for a field when no leaf at its path is consistent with the values
/// chosen for the fields before it.
pub(crate) fn branch_matches(branch: &[Field], event: &Event) -> bool {
    let mut slots = Vec::with_capacity(branch.len());
    let mut arrays_involved = false;
    for field in branch {
        let all = event.leaves(field.hash, &field.path);
        let candidates: Vec<u32> = (0u32..)
            .zip(all)
            .filter(|(_, leaf)| {
                let value = event.value(leaf);
                field.matchers.iter().any(|m| m.matches(value))
            })
            .map(|(i, _)| i)
            .collect();
        if candidates.is_empty() && !field.absent {
            return false;
        }
        arrays_involved |= if field.absent {
            all.iter().any(|l| !event.chain(l).is_empty())
        } else {
            candidates.iter().any(|&i| !event.chain(&all[i as usize]).is_empty())
        };
        slots.push(Slot { all, candidates });
    }
    if !arrays_involved {
        return branch
            .iter()
            .zip(&slots)
            .all(|(field, slot)| !slot.candidates.is_empty() || (field.absent && slot.all.is_empty()));
    }
    Search { branch, event, slots: &slots, membership: Vec::new(), steps: 0, memo: None }.from(0)
}

struct Search<'a, 'e> {
    branch: &'a [Field],
    event: &'e Event,
    slots: &'a [Slot<'e>],
    /// (array, element) pairs the values chosen so far come from.
    membership: Vec<(u32, u32)>,
    steps: usize,
    memo: Option<Memo>,
}

/// Dead ends seen, keyed by field index and the part of the membership that
/// the remaining fields can conflict with.
struct Memo {
    /// For each field index, the arrays the fields from there on touch.
    relevant: Vec<Vec<u32>>,
    failed: HashSet<(usize, Vec<(u32, u32)>)>,
}

impl Search<'_, '_> {
    fn from(&mut self, k: usize) -> bool {
        if k == self.branch.len() {
            return true;
        }
        self.steps += 1;
        if self.steps > MEMO_AFTER && self.memo.is_none() {
            self.memo = Some(self.build_memo());
        }
        let key = self.memo.as_ref().map(|memo| {
            let relevant = &memo.relevant[k];
            let mut projected: Vec<(u32, u32)> =
                self.membership.iter().copied().filter(|(a, _)| relevant.binary_search(a).is_ok()).collect();
            projected.sort_unstable();
            (k, projected)
        });
        if let (Some(memo), Some(key)) = (&self.memo, &key)
            && memo.failed.contains(key)
        {
            return false;
        }
        if self.try_field(k) {
            return true;
        }
        if let (Some(memo), Some(key)) = (&mut self.memo, key) {
            memo.failed.insert(key);
        }
        false
    }

    fn try_field(&mut self, k: usize) -> bool {
        let slot = &self.slots[k];
        if self.branch[k].absent {
            let present = slot.all.iter().any(|l| consistent(&self.membership, self.event.chain(l)));
            if !present && self.from(k + 1) {
                return true;
            }
        }
        for &i in &slot.candidates {
            let chain = self.event.chain(&slot.all[i as usize]);
            if !consistent(&self.membership, chain) {
                continue;
            }
            let mark = self.membership.len();
            for pair in chain {
                if !self.membership.contains(pair) {
                    self.membership.push(*pair);
                }
            }
            if self.from(k + 1) {
                return true;
            }
            self.membership.truncate(mark);
        }
        false
    }

    fn build_memo(&self) -> Memo {
        let mut relevant = vec![Vec::new(); self.branch.len() + 1];
        for k in (0..self.branch.len()).rev() {
            let mut arrays = relevant[k + 1].clone();
            for leaf in self.slots[k].all {
                arrays.extend(self.event.chain(leaf).iter().map(|(a, _)| *a));
            }
            arrays.sort_unstable();
            arrays.dedup();
            relevant[k] = arrays;
        }
        Memo { relevant, failed: HashSet::new() }
    }
}

/// Whether a leaf's chain agrees with the membership on every shared array.
fn consistent(membership: &[(u32, u32)], chain: &[(u32, u32)]) -> bool {
    chain.iter().all(|(array, index)| membership.iter().all(|(a, i)| a != array || i == index))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event where `a.y` and `b.x` each have `n` candidates and `b.z`
    /// (checked last) sits only in an element of `b` without an `x` unless
    /// `z_with_x`: without remembering dead ends the search would try every
    /// combination.
    fn crossed(n: usize, z_with_x: bool) -> Event {
        let a: Vec<&str> = (0..n).map(|_| r#"{"y": 1}"#).collect();
        let mut b: Vec<&str> = (0..n).map(|_| r#"{"x": 1}"#).collect();
        b.push(if z_with_x { r#"{"x": 1, "z": 1}"# } else { r#"{"z": 1}"# });
        Event::parse(&format!(r#"{{"a": [{}], "b": [{}]}}"#, a.join(","), b.join(","))).unwrap()
    }

    #[test]
    fn large_searches_stay_correct_with_memoization() {
        let pattern = Pattern::parse(r#"{"b": {"x": [1], "z": [1]}, "a": {"y": [1]}}"#).unwrap();
        assert!(!pattern.matches(&crossed(300, false)));
        assert!(pattern.matches(&crossed(300, true)));
    }

    #[test]
    fn keeps_its_source() {
        let text = r#"{"source": ["aws.ec2"]}"#;
        assert_eq!(Pattern::parse(text).unwrap().as_str(), text);
    }
}
