//! Member paths as AWS prints them in validation messages: member names with a lower-case first
//! letter, list elements as `name.1.member` (counted from 1), e.g. `tags.1.member.key`.

/// The path of a structure member below `prefix`.
pub(crate) fn member(prefix: &str, name: &str) -> String {
    let mut chars = name.chars();
    let first = chars.next().map(|c| c.to_lowercase().collect::<String>());
    let lowered = first.unwrap_or_default() + chars.as_str();
    if prefix.is_empty() { lowered } else { format!("{prefix}.{lowered}") }
}

/// The path of the element at `index` (0-based) of the list at `prefix`.
pub(crate) fn element(prefix: &str, index: usize) -> String {
    format!("{prefix}.{}.member", index + 1)
}

/// The path of the value under `key` of the map at `prefix`.
pub(crate) fn entry(prefix: &str, key: &str) -> String {
    format!("{prefix}.{key}.member")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_look_like_aws() {
        let tags = member("", "Tags");
        let key = member(&element(&tags, 0), "Key");
        assert_eq!(key, "tags.1.member.key");
        assert_eq!(member("", "SSEKMSKeyId"), "sSEKMSKeyId");
        assert_eq!(member("", ""), "");
        assert_eq!(entry("attributes", "Policy"), "attributes.Policy.member");
    }
}
