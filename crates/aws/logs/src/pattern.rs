//! CloudWatch Logs' text filter patterns: terms that must all appear (`ERROR Exception`),
//! `"quoted phrases"`, `?either ?or` (at least one), and `-excluded` terms; matching is
//! case-sensitive, as in CloudWatch Logs. JSON (`{ $.x = 1 }`), space-delimited (`[a, b]`) and
//! regular expression (`%...%`) patterns are refused by name rather than matched wrongly.

/// A parsed text pattern.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Pattern {
    all: Vec<String>,
    any: Vec<String>,
    none: Vec<String>,
}

impl Pattern {
    /// Parses `text`; the error says what is wrong, for `InvalidParameterException`.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.starts_with('{') || text.starts_with('[') || text.starts_with('%') {
            return Err(format!(
                "Invalid filter pattern {text:?}: this endpoint matches text patterns (terms, \"quoted phrases\", ?either and -excluded terms), not JSON, space-delimited or regular expression patterns"
            ));
        }
        let mut out = Self::default();
        let mut chars = text.chars().peekable();
        loop {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            let Some(&first) = chars.peek() else { break };
            let list = match first {
                '?' => {
                    chars.next();
                    &mut out.any
                }
                '-' => {
                    chars.next();
                    &mut out.none
                }
                _ => &mut out.all,
            };
            let mut term = String::new();
            if chars.next_if_eq(&'"').is_some() {
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => term.extend(chars.next()),
                        '"' => {
                            closed = true;
                            break;
                        }
                        c => term.push(c),
                    }
                }
                if !closed {
                    return Err(format!("Invalid filter pattern {text:?}: a quoted term is not closed"));
                }
            } else {
                while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                    term.push(c);
                }
            }
            if term.is_empty() {
                return Err(format!("Invalid filter pattern {text:?}: an empty term"));
            }
            list.push(term);
        }
        Ok(out)
    }

    /// Whether `message` matches.
    pub(crate) fn matches(&self, message: &str) -> bool {
        self.all.iter().all(|t| message.contains(t.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|t| message.contains(t.as_str())))
            && !self.none.iter().any(|t| message.contains(t.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_phrases_alternatives_and_exclusions() {
        let p = Pattern::parse("ERROR \"access token\" -debug").unwrap();
        assert!(p.matches("ERROR: the access token expired"));
        assert!(!p.matches("ERROR: the access token expired (debug)"));
        assert!(!p.matches("error: the access token expired"), "case-sensitive");
        assert!(!p.matches("ERROR: the token expired"));
        let either = Pattern::parse("?Atza ?Atzr").unwrap();
        assert!(either.matches("{\"access_token\":\"Atza|IwEBI...\"}"));
        assert!(!either.matches("nothing here"));
        assert!(Pattern::parse("").unwrap().matches("anything"));
        assert!(Pattern::parse("  ").unwrap().matches(""));
    }

    #[test]
    fn other_syntaxes_and_broken_patterns_are_refused() {
        for bad in ["{ $.level = \"ERROR\" }", "[ip, user]", "%ERR.R%", "\"unclosed", "ERROR - other", "?"] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Pattern::parse("a\\\"b").unwrap().all, ["a\\\"b"]);
        assert_eq!(Pattern::parse("\"say \\\"hi\\\"\"").unwrap().all, ["say \"hi\""]);
    }
}
