//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, any context key,
//! the escapes `${*}`, `${?}`, `${$}` and defaults such as `${aws:userid, 'anonymous'}`.
//!
//! IAM substitutes variables only in policies with `"Version": "2012-10-17"`; elsewhere the text
//! is literal. A variable resolves only from a single-valued context key ("you can't use a
//! multivalued context key as a policy variable"); when it cannot be resolved and has no
//! default, "any attempt to match it fails".

use crate::context::Context;
use crate::glob::Piece;

/// One run of template text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Policy text; wildcards in it stay wildcards.
    Text(Box<str>),
    /// `${*}`, `${?}` or `${$}`: the character itself, never a wildcard.
    Escaped(&'static str),
    Var {
        key: Box<str>,
        lower: Box<str>,
        default: Option<Box<str>>,
    },
}

/// Text with at least one `${...}` in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Box<[Part]>,
}

impl Template {
    /// Splits `text` into parts; `None` when it holds no variable or escape.
    pub fn parse(text: &str) -> Option<Template> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut literal = String::new();
        while let Some(open) = rest.find("${") {
            let Some(close) = rest[open + 2..].find('}') else { break };
            literal.push_str(&rest[..open]);
            let inner = &rest[open + 2..open + 2 + close];
            rest = &rest[open + 3 + close..];
            let part = match inner {
                "*" => Part::Escaped("*"),
                "?" => Part::Escaped("?"),
                "$" => Part::Escaped("$"),
                _ => {
                    let Some(var) = variable(inner) else {
                        // Not a variable after all: keep the text as written.
                        literal.push_str("${");
                        literal.push_str(inner);
                        literal.push('}');
                        continue;
                    };
                    var
                }
            };
            if !literal.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut literal).into()));
            }
            parts.push(part);
        }
        if parts.is_empty() {
            return None;
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal.into()));
        }
        Some(Template { parts: parts.into() })
    }

    /// The keys of the variables, as written in the policy.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { key, .. } => Some(&**key),
            _ => None,
        })
    }

    /// Substitutes from `ctx`; reports each unresolved key without default to `missing` and
    /// returns `None` if any was unresolved.
    pub fn resolve<'t: 'r, 'c: 'r, 'r>(
        &'t self,
        ctx: &'c Context,
        missing: &mut dyn FnMut(&'t str),
    ) -> Option<Vec<Piece<'r>>> {
        let mut pieces = Vec::with_capacity(self.parts.len());
        let mut complete = true;
        for part in &*self.parts {
            match part {
                Part::Text(t) => pieces.push(Piece::Pattern(t)),
                Part::Escaped(c) => pieces.push(Piece::Literal(c)),
                Part::Var { key, lower, default } => {
                    if let Some(value) = ctx.single(lower) {
                        pieces.push(Piece::Literal(value));
                        continue;
                    }
                    if ctx.values(lower).is_none() {
                        missing(key);
                    }
                    match default {
                        Some(d) => pieces.push(Piece::Literal(d)),
                        None => complete = false,
                    }
                }
            }
        }
        complete.then_some(pieces)
    }
}

/// Parses `key` or `key, 'default'` (IAM documents a comma and a space before the quoted default).
fn variable(inner: &str) -> Option<Part> {
    let (key, default) = match inner.split_once(',') {
        Some((key, tail)) => {
            let quoted = tail.trim();
            let default = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
            (key.trim(), Some(default.into()))
        }
        None => (inner.trim(), None),
    };
    if key.is_empty() || key.contains(['$', '{', '\'']) {
        return None;
    }
    Some(Part::Var { key: key.into(), lower: key.to_ascii_lowercase().into(), default })
}

/// Joins resolved pieces into plain text (for comparisons that have no wildcards).
pub(crate) fn join(pieces: &[Piece<'_>]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Pattern(t) | Piece::Literal(t) => *t,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Context;

    fn resolved(t: &str, ctx: &Context) -> Option<String> {
        Template::parse(t).expect(t).resolve(ctx, &mut |_| {}).map(|p| join(&p))
    }

    #[test]
    fn parses_variables_escapes_and_defaults() {
        assert_eq!(Template::parse("plain"), None);
        assert_eq!(Template::parse("${unclosed"), None);
        let mut ctx = Context::new();
        ctx.set("aws:username", "alice");
        ctx.set("aws:PrincipalTag/team", "blue");
        assert_eq!(resolved("home/${aws:username}/*", &ctx).as_deref(), Some("home/alice/*"));
        assert_eq!(resolved("${AWS:UserName}", &ctx).as_deref(), Some("alice"));
        assert_eq!(resolved("${aws:PrincipalTag/team}-${*}${?}${$}", &ctx).as_deref(), Some("blue-*?$"));
        assert_eq!(resolved("${aws:userid, 'anonymous'}", &ctx).as_deref(), Some("anonymous"));
        assert_eq!(resolved("${aws:userid}", &ctx), None);
        assert_eq!(resolved("a${}b${x y, z}c${aws:username}", &ctx).as_deref(), Some("a${}b${x y, z}calice"));
    }

    #[test]
    fn multivalued_keys_do_not_resolve() {
        let mut ctx = Context::new();
        ctx.set_list("aws:TagKeys", ["a", "b"]);
        let mut missed = Vec::new();
        let t = Template::parse("${aws:TagKeys}").unwrap();
        assert!(t.resolve(&ctx, &mut |k| missed.push(k.to_string())).is_none());
        assert!(missed.is_empty(), "present but multivalued is not missing");
        let t = Template::parse("${aws:SourceArn}").unwrap();
        assert!(t.resolve(&ctx, &mut |k| missed.push(k.to_string())).is_none());
        assert_eq!(missed, ["aws:SourceArn"]);
        assert_eq!(t.keys().collect::<Vec<_>>(), ["aws:SourceArn"]);
    }
}
