//! The `user-agent` SP-API requires on every request: `AppName/AppVersion (Language=...;
//! attributes)`, with Amazon's quoting (a backslash before `\`, before `/` in the name, `(` in
//! the version, `=` in attribute names, `)` and `;` in attribute values), at most 500 characters.

/// Amazon refuses longer `user-agent` headers.
const MAX_LEN: usize = 500;

fn quote(text: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\\' || special.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The header for `app_name` at `app_version`, calling as this agent (language Rust) on this
/// platform.
pub(crate) fn build(app_name: &str, app_version: &str) -> Result<String, String> {
    if app_name.trim().is_empty() || app_version.trim().is_empty() {
        return Err("the app name and version in the user-agent must not be empty".into());
    }
    if app_name.chars().chain(app_version.chars()).any(char::is_control) {
        return Err("the app name and version in the user-agent must be printable".into());
    }
    let attributes = [
        ("Language", "Rust".to_owned()),
        ("Platform", format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH)),
        ("Agent", format!("spcred/{}", env!("CARGO_PKG_VERSION"))),
    ];
    let attrs: Vec<String> =
        attributes.iter().map(|(k, v)| format!("{}={}", quote(k, &['=']), quote(v, &[')', ';']))).collect();
    let header = format!("{}/{} ({})", quote(app_name, &['/']), quote(app_version, &['(']), attrs.join("; "));
    if header.len() > MAX_LEN {
        return Err(format!("the user-agent would be {} characters; SP-API refuses more than {MAX_LEN}", header.len()));
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amazons_format_with_language_and_platform() {
        let ua = build("My Selling Tool", "2.0").unwrap();
        let platform = format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH);
        assert_eq!(
            ua,
            format!(
                "My Selling Tool/2.0 (Language=Rust; Platform={platform}; Agent=spcred/{})",
                env!("CARGO_PKG_VERSION")
            )
        );
    }

    #[test]
    fn special_characters_are_quoted() {
        let ua = build(r"Acme/ERP\x", "2(beta)").unwrap();
        assert!(ua.starts_with(r"Acme\/ERP\\x/2\(beta) (Language=Rust;"), "{ua}");
        assert_eq!(quote("a;b)c", &[')', ';']), r"a\;b\)c");
        assert_eq!(quote("k=v", &['=']), r"k\=v");
    }

    #[test]
    fn empty_control_and_long_values_are_refused() {
        assert!(build("", "1").is_err());
        assert!(build("app", " ").is_err());
        assert!(build("app\r\nX-Injected: 1", "1").is_err());
        assert!(build(&"a".repeat(480), "1").unwrap_err().contains("refuses more than 500"));
    }
}
