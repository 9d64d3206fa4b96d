//! A small open-addressing hash index used to look up field paths and string
//! values. Keys live wherever the owner keeps them; the index stores entry
//! numbers and asks the owner to compare. The hash is fixed (not seeded), so a
//! path hashed once while flattening an event is reused by every rule set.

/// Hashes a path or string value (FxHash-style, 8 bytes at a time).
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h: u64 = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h.rotate_left(5) ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    // Final avalanche so the low bits used for buckets depend on every byte.
    h ^= h >> 32;
    h.wrapping_mul(K)
}

/// Maps hashes to entry numbers; collisions are resolved by the caller's
/// equality test.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    /// Entry number + 1, or 0 for an empty slot.
    slots: Vec<u32>,
}

impl Index {
    /// Removes every entry, keeping the allocation.
    pub(crate) fn clear(&mut self) {
        self.slots.fill(0);
    }

    /// Finds the entry with `hash` for which `is_key` holds.
    pub(crate) fn find(&self, hash: u64, mut is_key: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut slot = bucket(hash, mask);
        loop {
            match self.slots[slot] {
                0 => return None,
                stored if is_key(stored - 1) => return Some(stored - 1),
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    /// Adds entry `id` (whose key is not yet present) under `hash`. `len` is the
    /// number of entries after this one is added; `hash_of` gives the hash of
    /// any existing entry, for growing.
    pub(crate) fn insert(&mut self, hash: u64, id: u32, len: usize, hash_of: impl Fn(u32) -> u64) {
        if len * 2 > self.slots.len() {
            let capacity = (len * 2).next_power_of_two().max(8);
            let old = std::mem::replace(&mut self.slots, vec![0; capacity]);
            for stored in old.into_iter().filter(|&s| s != 0) {
                self.place(hash_of(stored - 1), stored);
            }
        }
        self.place(hash, id + 1);
    }

    fn place(&mut self, hash: u64, stored: u32) {
        let mask = self.slots.len() - 1;
        let mut slot = bucket(hash, mask);
        while self.slots[slot] != 0 {
            slot = (slot + 1) & mask;
        }
        self.slots[slot] = stored;
    }
}

fn bucket(hash: u64, mask: usize) -> usize {
    // Truncation is intended: the mask keeps only the low bits.
    #[allow(clippy::cast_possible_truncation)]
    let low = hash as usize;
    low & mask
}

/// A map from strings to values built on [`Index`].
#[derive(Debug, Clone)]
pub(crate) struct StrMap<V> {
    index: Index,
    entries: Vec<(u64, Box<str>, V)>,
}

impl<V> Default for StrMap<V> {
    fn default() -> Self {
        Self { index: Index::default(), entries: Vec::new() }
    }
}

impl<V> StrMap<V> {
    /// The value for `key`, whose hash is `h`.
    pub(crate) fn get(&self, h: u64, key: &str) -> Option<&V> {
        self.find(h, |k| k == key)
    }

    /// The value whose key has hash `h` and satisfies `is_key`.
    pub(crate) fn find(&self, h: u64, is_key: impl Fn(&str) -> bool) -> Option<&V> {
        let id = self.index.find(h, |id| {
            let (eh, ek, _) = &self.entries[id as usize];
            *eh == h && is_key(ek)
        })?;
        Some(&self.entries[id as usize].2)
    }

    /// The value for `key`, inserting `make()` if absent.
    pub(crate) fn entry(&mut self, key: &str, make: impl FnOnce() -> V) -> &mut V {
        let h = hash(key.as_bytes());
        let found = self.index.find(h, |id| {
            let (eh, ek, _) = &self.entries[id as usize];
            *eh == h && **ek == *key
        });
        let id = if let Some(id) = found {
            id as usize
        } else {
            let id = self.entries.len();
            self.entries.push((h, key.into(), make()));
            let entries = &self.entries;
            self.index.insert(h, u32::try_from(id).unwrap_or(u32::MAX), id + 1, |i| entries[i as usize].0);
            id
        };
        &mut self.entries[id].2
    }

    /// Whether the map is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_map_round_trips_many_keys() {
        let mut map = StrMap::default();
        for i in 0..1000 {
            *map.entry(&format!("key-{i}"), || 0) += i;
        }
        *map.entry("key-7", || 0) += 1;
        for i in 0..1000 {
            let key = format!("key-{i}");
            let expected = if i == 7 { 8 } else { i };
            assert_eq!(map.get(hash(key.as_bytes()), &key), Some(&expected));
        }
        assert_eq!(map.get(hash(b"missing"), "missing"), None);
        assert!(!map.is_empty());
    }

    #[test]
    fn hash_depends_on_every_byte() {
        assert_ne!(hash(b"properties.STREET"), hash(b"properties.STREEU"));
        assert_ne!(hash(b""), hash(b"\0"));
        assert_ne!(hash(b"abcdefgh"), hash(b"abcdefgh\0"));
    }
}
