//! Wildcard patterns (`*` any run of characters, `?` one character), compiled once.
//!
//! Three flavours cover IAM: actions (ASCII case-insensitive), plain strings (`StringLike`,
//! case-sensitive) and resource ARNs. For resources IAM documents that wildcards work "within
//! the individual segments of an ARN" and that "if the `*` is the last character of a resource
//! ARN segment, it can expand to match beyond colon boundaries": a `*` followed by `:` or at the
//! end may cross colons, any other `*` stops at a colon.

/// One compiled pattern element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(char),
    One,
    Star,
    /// A `*` in the middle of a resource ARN segment: never consumes a `:`.
    SegmentStar,
}

/// Where a piece of pattern text came from: the policy (wildcards active) or a resolved
/// variable or `${*}`-style escape (taken literally).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Piece<'a> {
    Pattern(&'a str),
    Literal(&'a str),
}

/// How a pattern compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// Case-sensitive; `*` matches anything.
    Plain,
    /// ASCII case-insensitive; `*` matches anything (action names).
    FoldCase,
    /// Case-sensitive; `*` crosses `:` only at the end of an ARN segment.
    Resource,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    kind: Kind,
    fold: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Any,
    Exact(Box<str>),
    Prefix(Box<str>),
    /// Only `?` and crossing `*`: a greedy matcher with one backtrack point is exact.
    Greedy(Box<[Tok]>),
    /// Has segment-bounded stars: simulated as an NFA.
    Segmented(Box<[Tok]>),
}

impl Glob {
    /// Compiles policy text whose `*` and `?` are wildcards.
    pub fn new(pattern: &str, flavor: Flavor) -> Glob {
        Glob::from_pieces(&[Piece::Pattern(pattern)], flavor)
    }

    /// Compiles a pattern assembled from policy text and literal substitutions.
    pub fn from_pieces(pieces: &[Piece<'_>], flavor: Flavor) -> Glob {
        let fold = flavor == Flavor::FoldCase;
        let mut toks = Vec::new();
        for piece in pieces {
            match *piece {
                Piece::Pattern(text) => toks.extend(text.chars().map(|c| match c {
                    '*' => Tok::Star,
                    '?' => Tok::One,
                    c => Tok::Lit(fold_char(c, fold)),
                })),
                Piece::Literal(text) => toks.extend(text.chars().map(|c| Tok::Lit(fold_char(c, fold)))),
            }
        }
        if flavor == Flavor::Resource {
            for i in 0..toks.len() {
                let crosses = matches!(toks.get(i + 1), None | Some(Tok::Lit(':')));
                if toks[i] == Tok::Star && !crosses {
                    toks[i] = Tok::SegmentStar;
                }
            }
        }
        Glob { kind: classify(toks), fold }
    }

    /// Whether the whole of `s` matches.
    pub fn matches(&self, s: &str) -> bool {
        match &self.kind {
            Kind::Any => true,
            Kind::Exact(e) => {
                if self.fold {
                    e.as_bytes().eq_ignore_ascii_case(s.as_bytes())
                } else {
                    **e == *s
                }
            }
            Kind::Prefix(p) => {
                s.len() >= p.len()
                    && if self.fold {
                        p.as_bytes().eq_ignore_ascii_case(&s.as_bytes()[..p.len()])
                    } else {
                        s.as_bytes().starts_with(p.as_bytes())
                    }
            }
            Kind::Greedy(toks) => greedy(toks, s, self.fold),
            Kind::Segmented(toks) => segmented(toks, s),
        }
    }
}

fn fold_char(c: char, fold: bool) -> char {
    if fold { c.to_ascii_lowercase() } else { c }
}

fn classify(toks: Vec<Tok>) -> Kind {
    let literal = |toks: &[Tok]| -> Option<String> {
        toks.iter().map(|t| if let Tok::Lit(c) = t { Some(*c) } else { None }).collect()
    };
    if let Some(exact) = literal(&toks) {
        return Kind::Exact(exact.into());
    }
    if let Some((Tok::Star, head)) = toks.split_last() {
        if head.is_empty() {
            return Kind::Any;
        }
        if let Some(prefix) = literal(head) {
            return Kind::Prefix(prefix.into());
        }
    }
    if toks.contains(&Tok::SegmentStar) { Kind::Segmented(toks.into()) } else { Kind::Greedy(toks.into()) }
}

/// The length of the UTF-8 character that starts with `lead`.
fn char_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn char_at(s: &str, i: usize) -> char {
    s[i..].chars().next().unwrap_or('\u{FFFD}')
}

/// Classic wildcard matching: on a mismatch, let the most recent `*` swallow one more
/// character. Exact when every `*` may match anything.
fn greedy(toks: &[Tok], text: &str, fold: bool) -> bool {
    let bytes = text.as_bytes();
    let (mut tok, mut at) = (0, 0);
    // The last star seen and the text position it currently extends to.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if let Some(current) = toks.get(tok) {
            let step = match *current {
                Tok::Star | Tok::SegmentStar => {
                    // A final star takes whatever is left (only crossing stars end a pattern).
                    if tok + 1 == toks.len() {
                        return true;
                    }
                    let Some(next) = landing(toks, tok, bytes, at, fold) else { return false };
                    star = Some((tok, next));
                    tok += 1;
                    at = next;
                    continue;
                }
                _ if at >= bytes.len() => None,
                Tok::One => Some(char_len(bytes[at])),
                Tok::Lit(c) if c.is_ascii() => {
                    let b = if fold { bytes[at].to_ascii_lowercase() } else { bytes[at] };
                    (u32::from(b) == u32::from(c)).then_some(1)
                }
                Tok::Lit(c) => (char_at(text, at) == c).then(|| c.len_utf8()),
            };
            if let Some(len) = step {
                tok += 1;
                at += len;
                continue;
            }
        } else if at == bytes.len() {
            return true;
        }
        match star {
            Some((star_tok, star_end)) if star_end < bytes.len() => {
                let Some(next) = landing(toks, star_tok, bytes, star_end + char_len(bytes[star_end]), fold) else {
                    return false;
                };
                star = Some((star_tok, next));
                tok = star_tok + 1;
                at = next;
            }
            _ => return false,
        }
    }
}

/// Where the star at `star` can next stop, from `from` on: when an ASCII literal follows the
/// star, only at an occurrence of it (ASCII bytes are always character boundaries).
fn landing(toks: &[Tok], star: usize, bytes: &[u8], from: usize, fold: bool) -> Option<usize> {
    match toks.get(star + 1) {
        Some(Tok::Lit(c)) if c.is_ascii() => {
            let want = u8::try_from(u32::from(*c)).ok()?;
            let rest = bytes.get(from..)?;
            let offset = if fold {
                rest.iter().position(|b| b.to_ascii_lowercase() == want)
            } else {
                rest.iter().position(|b| *b == want)
            };
            offset.map(|o| from + o)
        }
        _ => (from <= bytes.len()).then_some(from),
    }
}

/// Simulates the pattern as an NFA over the set of token positions, so segment-bounded stars
/// cost no backtracking. State `k` means "tokens before `k` are matched".
fn segmented(toks: &[Tok], s: &str) -> bool {
    if toks.len() >= 128 {
        return segmented_table(toks, s);
    }
    let star_mask: u128 = toks
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(t, Tok::Star | Tok::SegmentStar))
        .fold(0, |m, (k, _)| m | (1 << k));
    // A star may match nothing: reaching its position also reaches the next one.
    let close = |mut set: u128| loop {
        let grown = set | ((set & star_mask) << 1);
        if grown == set {
            return set;
        }
        set = grown;
    };
    let mut active = close(1);
    for c in s.chars() {
        let mut next = 0u128;
        let mut bits = active;
        while bits != 0 {
            let k = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            match toks.get(k) {
                Some(Tok::Lit(l)) if *l == c => next |= 1 << (k + 1),
                Some(Tok::One) => next |= 1 << (k + 1),
                Some(Tok::Star) => next |= 1 << k,
                Some(Tok::SegmentStar) if c != ':' => next |= 1 << k,
                _ => {}
            }
        }
        active = close(next);
        if active == 0 {
            return false;
        }
    }
    active & (1 << toks.len()) != 0
}

/// The same automaton with a boolean row per step, for patterns too long for a bit mask.
fn segmented_table(toks: &[Tok], s: &str) -> bool {
    let n = toks.len();
    let close = |row: &mut Vec<bool>| {
        for k in 0..n {
            if row[k] && matches!(toks[k], Tok::Star | Tok::SegmentStar) {
                row[k + 1] = true;
            }
        }
    };
    let mut active = vec![false; n + 1];
    active[0] = true;
    close(&mut active);
    let mut next = vec![false; n + 1];
    for c in s.chars() {
        next.fill(false);
        for k in 0..n {
            if !active[k] {
                continue;
            }
            match toks[k] {
                Tok::Lit(l) if l == c => next[k + 1] = true,
                Tok::One => next[k + 1] = true,
                Tok::Star => next[k] = true,
                Tok::SegmentStar if c != ':' => next[k] = true,
                _ => {}
            }
        }
        close(&mut next);
        std::mem::swap(&mut active, &mut next);
    }
    active[n]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, f: Flavor, s: &str) -> bool {
        Glob::new(p, f).matches(s)
    }

    #[test]
    fn fast_paths() {
        assert_eq!(Glob::new("*", Flavor::Plain).kind, Kind::Any);
        assert_eq!(Glob::new("iam:Get*", Flavor::FoldCase).kind, Kind::Prefix("iam:get".into()));
        assert!(m("iam:Get*", Flavor::FoldCase, "IAM:getuser"));
        assert!(!m("iam:Get*", Flavor::FoldCase, "iam:ListUsers"));
        assert!(m("sqs:SendMessage", Flavor::FoldCase, "SQS:sendmessage"));
        assert!(!m("Bob", Flavor::Plain, "bob"));
        assert!(m("", Flavor::Plain, ""));
    }

    #[test]
    fn greedy_wildcards() {
        assert!(m("a*b?d", Flavor::Plain, "axxxbcd"));
        assert!(!m("a*b?d", Flavor::Plain, "axxxbd"));
        assert!(m("*Object", Flavor::FoldCase, "s3:GetObject"));
        assert!(m("é?*", Flavor::Plain, "éü"));
        assert!(!m("?", Flavor::Plain, "üü"));
        assert!(m("a**", Flavor::Plain, "a"));
    }

    #[test]
    fn resource_stars_respect_segments() {
        // The documented ArnLike/Resource example: a mid-segment star stays in its segment.
        let p = "arn:aws:someservice:*:111122223333:finance/*";
        assert!(m(p, Flavor::Resource, "arn:aws:someservice:us-east-2:111122223333:finance/x.txt"));
        assert!(m(
            p,
            Flavor::Plain,
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        ));
        // The region star ends its segment, so for Resource it may cross colons.
        assert!(m(
            p,
            Flavor::Resource,
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        ));
        assert!(!m("arn:aws:s3:::bu*t", Flavor::Resource, "arn:aws:s3:::bu:x:t"));
        assert!(m("arn:aws:s3:::bu*t", Flavor::Resource, "arn:aws:s3:::bucket"));
        assert!(m("arn:aws:s3:::bucket/*", Flavor::Resource, "arn:aws:s3:::bucket/a:b"));
    }

    #[test]
    fn long_segmented_patterns_use_the_table() {
        let long = format!("{}a*b", "x".repeat(200));
        let glob = Glob::new(&long, Flavor::Resource);
        assert!(glob.matches(&format!("{}aZZZb", "x".repeat(200))));
        assert!(!glob.matches(&format!("{}aZ:Zb", "x".repeat(200))));
        assert!(!glob.matches(&format!("{}aZZZ", "x".repeat(200))));
    }

    #[test]
    fn literal_pieces_are_not_wildcards() {
        let g =
            Glob::from_pieces(&[Piece::Pattern("home/"), Piece::Literal("a*b"), Piece::Pattern("/*")], Flavor::Plain);
        assert!(g.matches("home/a*b/x"));
        assert!(!g.matches("home/aXb/x"));
    }
}
