//! Case-insensitive comparison as EventBridge's `equals-ignore-case` does it:
//! each character of the pattern value may appear in the event as itself, its
//! lower-case form or its upper-case form (which may be several characters,
//! like `ß` → `SS`). The event side is not folded.

/// A pattern value prepared for case-insensitive comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Folded {
    text: Box<str>,
    /// Per pattern character, its accepted spellings; empty for ASCII values,
    /// which compare byte-wise ignoring ASCII case.
    alternatives: Vec<Vec<Box<str>>>,
}

/// Which part of the event value must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Whole,
    Start,
    End,
}

impl Folded {
    pub(crate) fn new(text: &str) -> Self {
        let alternatives = if text.is_ascii() {
            Vec::new()
        } else {
            text.chars()
                .map(|c| {
                    let mut spellings: Vec<Box<str>> = vec![c.to_string().into()];
                    for form in [c.to_lowercase().collect::<String>(), c.to_uppercase().collect::<String>()] {
                        if !spellings.iter().any(|s| **s == *form) {
                            spellings.push(form.into());
                        }
                    }
                    spellings
                })
                .collect()
        };
        Self { text: text.into(), alternatives }
    }

    /// Whether `value` matches at `anchor`.
    pub(crate) fn matches(&self, value: &str, anchor: Anchor) -> bool {
        if self.alternatives.is_empty() {
            let pattern = self.text.as_bytes();
            let value = value.as_bytes();
            if value.len() < pattern.len() {
                return false;
            }
            return match anchor {
                Anchor::Whole => value.len() == pattern.len() && value.eq_ignore_ascii_case(pattern),
                Anchor::Start => value[..pattern.len()].eq_ignore_ascii_case(pattern),
                Anchor::End => value[value.len() - pattern.len()..].eq_ignore_ascii_case(pattern),
            };
        }
        if anchor == Anchor::End {
            return self.matches_end(value);
        }
        // The set of value offsets reachable after consuming a pattern prefix.
        let mut positions = vec![0usize];
        for spellings in &self.alternatives {
            let mut next = Vec::new();
            for &p in &positions {
                for s in spellings {
                    if value[p..].starts_with(&**s) && !next.contains(&(p + s.len())) {
                        next.push(p + s.len());
                    }
                }
            }
            if next.is_empty() {
                return false;
            }
            positions = next;
        }
        anchor == Anchor::Start || positions.contains(&value.len())
    }

    fn matches_end(&self, value: &str) -> bool {
        let mut positions = vec![value.len()];
        for spellings in self.alternatives.iter().rev() {
            let mut next = Vec::new();
            for &p in &positions {
                for s in spellings {
                    if value[..p].ends_with(&**s) && !next.contains(&(p - s.len())) {
                        next.push(p - s.len());
                    }
                }
            }
            if next.is_empty() {
                return false;
            }
            positions = next;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii() {
        let f = Folded::new("EventB");
        assert!(f.matches("eventb", Anchor::Whole));
        assert!(f.matches("EVENTBRIDGE", Anchor::Start));
        assert!(!f.matches("EVENTBRIDGE", Anchor::Whole));
        assert!(!f.matches("Event", Anchor::Start));
        assert!(Folded::new("tBridge").matches("EVENTBRIDGE", Anchor::End));
        assert!(!Folded::new("k").matches("\u{212a}", Anchor::Whole));
    }

    #[test]
    fn unicode() {
        let f = Folded::new("Straße");
        assert!(f.matches("STRASSE", Anchor::Whole));
        assert!(f.matches("straße", Anchor::Whole));
        assert!(!f.matches("strasse", Anchor::Whole));
        assert!(Folded::new("Ünï").matches("üNÏcode", Anchor::Start));
        assert!(Folded::new("ÉTÉ").matches("en été", Anchor::End));
        assert!(!Folded::new("été").matches("ete", Anchor::Whole));
    }
}
