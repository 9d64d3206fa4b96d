//! Form bodies: `application/x-www-form-urlencoded`, with repeated fields (role checkboxes).

/// The largest form body accepted.
pub(crate) const MAX_BODY: usize = 64 * 1024;
/// The most fields a form may carry.
const MAX_FIELDS: usize = 256;

/// A parsed form.
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    /// Parses `body`; `None` when it has more fields than any console form.
    pub(crate) fn parse(body: &[u8]) -> Option<Self> {
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(body).take(MAX_FIELDS + 1).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        (pairs.len() <= MAX_FIELDS).then_some(Self(pairs))
    }

    /// The first value of `name`, trimmed; `""` when absent.
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.trim())
    }

    /// The first value of `name` as sent (passwords are not trimmed).
    pub(crate) fn get_raw(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    /// The first value of `name`, trimmed, or `None` when absent or blank.
    pub(crate) fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    /// Every non-blank value of `name`, in order.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim().to_owned()).collect()
    }

    /// The non-blank lines of the text field `name` (URIs, one per line).
    pub(crate) fn lines(&self, name: &str) -> Vec<String> {
        self.get(name).lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
    }

    /// Whether the checkbox `name` is ticked.
    pub(crate) fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_lines_and_bounds() {
        let f = Form::parse(b"roles=Pricing&roles=&roles=Direct-to-Consumer+Shipping&uris=https%3A%2F%2Fa%0D%0A%0D%0A+https%3A%2F%2Fb+&x=+1+").unwrap();
        assert_eq!(f.all("roles"), ["Pricing", "Direct-to-Consumer Shipping"]);
        assert_eq!(f.lines("uris"), ["https://a", "https://b"]);
        assert_eq!(f.get("x"), "1");
        assert_eq!(f.opt("missing"), None);
        assert!(!f.checked("missing"));
        let many = "a=1&".repeat(MAX_FIELDS + 1);
        assert!(Form::parse(many.as_bytes()).is_none());
    }
}
