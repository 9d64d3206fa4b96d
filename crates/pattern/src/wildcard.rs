//! Wildcard values: `*` matches any run of characters (including none), `\*`
//! and `\\` stand for a literal star and backslash, and nothing else may follow
//! a backslash. Matching works on UTF-8 bytes, as EventBridge's does.

use std::collections::HashSet;

/// A compiled wildcard value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wildcard {
    /// Literal runs between stars, unescaped.
    segments: Vec<Box<[u8]>>,
}

/// One element of a wildcard, for the complexity evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Token {
    Byte(u8),
    Star,
}

impl Wildcard {
    /// Parses a wildcard value. Errors carry EventBridge's text; positions count
    /// UTF-8 bytes from the opening quote EventBridge puts around the value.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let bytes = text.as_bytes();
        let mut segments = Vec::new();
        let mut current = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'*' => {
                    if bytes.get(i + 1) == Some(&b'*') {
                        return Err(format!("Consecutive wildcard characters at pos {}", i + 1));
                    }
                    segments.push(std::mem::take(&mut current).into_boxed_slice());
                }
                b'\\' => match bytes.get(i + 1) {
                    Some(&escaped @ (b'*' | b'\\')) => {
                        current.push(escaped);
                        i += 1;
                    }
                    _ => return Err(format!("Invalid escape character at pos {}", i + 1)),
                },
                other => current.push(other),
            }
            i += 1;
        }
        segments.push(current.into_boxed_slice());
        Ok(Self { segments })
    }

    /// Whether `value` matches.
    pub(crate) fn matches(&self, value: &str) -> bool {
        let value = value.as_bytes();
        // `parse` always leaves at least one (possibly empty) segment.
        let Some((first, rest)) = self.segments.split_first() else {
            return value.is_empty();
        };
        let Some((last, middle)) = rest.split_last() else {
            // No star: the whole value must equal the single segment.
            return value == &first[..];
        };
        if value.len() < first.len() + last.len() || !value.starts_with(first) || !value.ends_with(last) {
            return false;
        }
        // Greedy leftmost placement of the middle segments is optimal for
        // star-only globs.
        let mut window = &value[first.len()..value.len() - last.len()];
        for segment in middle {
            match find(window, segment) {
                Some(at) => window = &window[at + segment.len()..],
                None => return false,
            }
        }
        true
    }

    /// The tokens EventBridge's byte machine sees: the value between quotes.
    fn tokens(&self) -> Vec<Token> {
        let mut tokens = vec![Token::Byte(b'"')];
        for (i, segment) in self.segments.iter().enumerate() {
            if i > 0 {
                tokens.push(Token::Star);
            }
            tokens.extend(segment.iter().map(|&b| Token::Byte(b)));
        }
        tokens.push(Token::Byte(b'"'));
        tokens
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// EventBridge refuses a pattern whose wildcards on one field can leave the
/// matcher in more than this many places at once.
pub(crate) const MAX_COMPLEXITY: usize = 10;

/// Bounds the work of [`too_complex`]; a field whose state space is larger than
/// this is treated as too complex.
const MAX_STATE_SETS: usize = 20_000;

/// Whether the wildcards on one field are too complex for EventBridge.
///
/// The measure follows event-ruler's `MachineComplexityEvaluator`: run the
/// wildcards as one non-deterministic automaton over every input a byte at a
/// time, and count the automaton positions alive at once (a star position and
/// the position after it both count, since a star may match nothing). The worst
/// input over all inputs is the complexity.
pub(crate) fn too_complex(wildcards: &[&Wildcard]) -> bool {
    let machines: Vec<Vec<Token>> = wildcards.iter().map(|w| w.tokens()).collect();
    let mut alphabet: Vec<Option<u8>> = machines
        .iter()
        .flatten()
        .filter_map(|t| match t {
            Token::Byte(b) => Some(Some(*b)),
            Token::Star => None,
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    // One representative for every byte no wildcard mentions.
    alphabet.push(None);
    let start = closure(&machines, (0..machines.len()).map(|m| (m, 0)).collect());
    if start.len() > MAX_COMPLEXITY {
        return true;
    }
    let mut seen: HashSet<Vec<(usize, usize)>> = HashSet::new();
    let mut pending = vec![start.clone()];
    seen.insert(start);
    while let Some(active) = pending.pop() {
        for &byte in &alphabet {
            let mut next = Vec::new();
            for &(m, pos) in &active {
                match machines[m].get(pos) {
                    Some(Token::Star) => next.push((m, pos)),
                    Some(&Token::Byte(b)) if Some(b) == byte => next.push((m, pos + 1)),
                    _ => {}
                }
            }
            if next.is_empty() {
                continue;
            }
            let next = closure(&machines, next);
            if next.len() > MAX_COMPLEXITY {
                return true;
            }
            if !seen.contains(&next) {
                if seen.len() >= MAX_STATE_SETS {
                    return true;
                }
                seen.insert(next.clone());
                pending.push(next);
            }
        }
    }
    false
}

/// Adds the positions reachable by letting stars match nothing; sorted and
/// deduplicated so equal sets compare equal.
fn closure(machines: &[Vec<Token>], mut set: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut i = 0;
    while i < set.len() {
        let (m, pos) = set[i];
        if machines[m].get(pos) == Some(&Token::Star) && !set.contains(&(m, pos + 1)) {
            set.push((m, pos + 1));
        }
        i += 1;
    }
    set.sort_unstable();
    set.dedup();
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Wildcard {
        Wildcard::parse(s).unwrap()
    }

    #[test]
    fn parse_reports_event_ruler_positions() {
        assert_eq!(Wildcard::parse("abc**def").unwrap_err(), "Consecutive wildcard characters at pos 4");
        assert_eq!(Wildcard::parse(r"a*c\def").unwrap_err(), "Invalid escape character at pos 4");
        assert_eq!(Wildcard::parse("ab\\").unwrap_err(), "Invalid escape character at pos 3");
        assert_eq!(Wildcard::parse("é**").unwrap_err(), "Consecutive wildcard characters at pos 3");
    }

    #[test]
    fn matching() {
        assert!(w("*.png").matches("dir/a.png"));
        assert!(!w("*.png").matches("dir/a.png.txt"));
        assert!(w("dir/*.png").matches("dir/.png"));
        assert!(w("*").matches(""));
        assert!(w("a*a").matches("aa"));
        assert!(!w("a*a").matches("a"));
        assert!(w("2*0*1*7").matches("2607117"));
        assert!(!w("2*0*1*7").matches("2607118"));
        assert!(w(r"a\*\*\\.b").matches(r"a**\.b"));
        assert!(!w(r"a\*b").matches("axb"));
        assert!(w("abc").matches("abc"));
        assert!(!w("abc").matches("abcd"));
        assert!(w("*Title*").matches("My Title Here"));
    }

    #[test]
    fn complexity_calibration() {
        let judge = |values: &[&str]| {
            let parsed: Vec<Wildcard> = values.iter().map(|v| w(v)).collect();
            too_complex(&parsed.iter().collect::<Vec<_>>())
        };
        // Refused by EventBridge (recorded against the live service).
        assert!(judge(&["*:*:*:*:*:event-bus/*"]));
        assert!(judge(&["*/datasync/*.bif", "*/datasync/*.tiff", "*/datasync/*.tif", "*/datasync/*.svs"]));
        // Accepted by EventBridge.
        assert!(!judge(&["/Users/*/dir/dir/dir/dir/dir/doc.txt"]));
        assert!(!judge(&["*/datasync/*.bif", "*/datasync/*.tif"]));
        assert!(!judge(&["*/lib/*"]));
        assert!(!judge(&["143*"]));
        assert!(!judge(&["2*0*1*7"]));
    }
}
