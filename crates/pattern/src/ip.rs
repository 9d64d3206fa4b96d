//! IP addresses and CIDR blocks as EventBridge reads them.
//!
//! EventBridge only treats a string as an address when it has the shape of one
//! (four dot-separated digit runs, or hex digits and colons with at least one
//! colon), then parses it the way Java's `InetAddress` does: IPv4 octets are
//! decimal even with leading zeros, and an IPv4-mapped IPv6 address is the
//! IPv4 address it maps.

use std::net::Ipv6Addr;
use std::str::FromStr;

/// An inclusive range of addresses of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpRange {
    v6: bool,
    low: u128,
    high: u128,
}

impl IpRange {
    /// The range holding exactly `ip`.
    pub(crate) fn single(ip: Ip) -> Self {
        let (v6, value) = ip.as_u128();
        Self { v6, low: value, high: value }
    }

    /// Whether `ip` lies in the range.
    pub(crate) fn contains(&self, ip: Ip) -> bool {
        let (v6, value) = ip.as_u128();
        v6 == self.v6 && self.low <= value && value <= self.high
    }
}

/// A parsed address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ip {
    V4(u32),
    V6(u128),
}

impl Ip {
    fn as_u128(self) -> (bool, u128) {
        match self {
            Self::V4(v) => (false, u128::from(v)),
            Self::V6(v) => (true, v),
        }
    }
}

fn looks_like_ipv4(s: &str) -> bool {
    let mut groups = 0;
    for group in s.split('.') {
        if group.is_empty() || !group.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        groups += 1;
    }
    groups == 4
}

fn looks_like_ipv6(s: &str) -> bool {
    s.contains(':') && s.bytes().all(|b| b == b':' || b.is_ascii_hexdigit())
}

/// Whether `s` has the shape of an address (EventBridge's regex test).
pub(crate) fn looks_like_ip(s: &str) -> bool {
    looks_like_ipv4(s) || looks_like_ipv6(s)
}

/// Parses `s` as an address if it has the shape of one and is valid.
pub(crate) fn parse_ip(s: &str) -> Option<Ip> {
    if looks_like_ipv4(s) {
        let mut value: u32 = 0;
        for group in s.split('.') {
            let octet = group.bytes().try_fold(0u32, |acc, b| {
                let next = acc * 10 + u32::from(b - b'0');
                (next <= 255).then_some(next)
            })?;
            value = (value << 8) | octet;
        }
        return Some(Ip::V4(value));
    }
    if looks_like_ipv6(s) {
        let addr = Ipv6Addr::from_str(s).ok()?;
        if let Some(v4) = addr.to_ipv4_mapped() {
            return Some(Ip::V4(u32::from(v4)));
        }
        return Some(Ip::V6(u128::from(addr)));
    }
    None
}

/// Parses a `cidr` operand, with EventBridge's error texts.
pub(crate) fn parse_cidr(text: &str) -> Result<IpRange, String> {
    // Java's String.split drops trailing empty pieces.
    let mut parts: Vec<&str> = text.split('/').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    let [address, mask] = parts[..] else {
        return Err("Malformed CIDR, one '/' required".to_owned());
    };
    let bits = parse_java_int(mask).ok_or("Malformed CIDR, mask bits must be an integer")?;
    if bits < 0 {
        return Err("Malformed CIDR, mask bits must not be negative".to_owned());
    }
    if !looks_like_ip(address) {
        return Err(format!("Nonstandard IP address: {address}"));
    }
    let ip = parse_ip(address).ok_or_else(|| format!("Invalid IP address: {address}"))?;
    let (v6, value) = ip.as_u128();
    let width: u32 = if v6 { 128 } else { 32 };
    if bits.unsigned_abs() >= width {
        return Err(if v6 {
            "IPv6 mask bits must be < 128".to_owned()
        } else {
            "IPv4 mask bits must be < 32".to_owned()
        });
    }
    let host_bits = width - bits.unsigned_abs();
    let host_mask = (1u128 << host_bits) - 1;
    Ok(IpRange { v6, low: value & !host_mask, high: value | host_mask })
}

/// Java's `Integer.parseInt` for ASCII input: an optional sign, then digits,
/// within the 32-bit range.
fn parse_java_int(s: &str) -> Option<i32> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i32>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_inet_address() {
        assert_eq!(parse_ip("10.0.0.1"), Some(Ip::V4(0x0A00_0001)));
        assert_eq!(parse_ip("010.000.0.01"), Some(Ip::V4(0x0A00_0001)));
        assert_eq!(parse_ip("256.0.0.1"), None);
        assert_eq!(parse_ip("::ffff:a00:1"), Some(Ip::V4(0x0A00_0001)));
        assert_eq!(parse_ip("::1"), Some(Ip::V6(1)));
        assert_eq!(parse_ip("08:23"), None);
        assert_eq!(parse_ip("1.2.3"), None);
        assert_eq!(parse_ip("::ffff:10.0.0.1"), None);
    }

    #[test]
    fn cidr_ranges_are_floored_and_capped() {
        let range = parse_cidr("54.240.196.171/24").unwrap();
        assert!(range.contains(Ip::V4(0x36F0_C400)));
        assert!(range.contains(Ip::V4(0x36F0_C4FF)));
        assert!(!range.contains(Ip::V4(0x36F0_C500)));
        let v6 = parse_cidr("2400:6500:FF00::36FB:1F80/122").unwrap();
        assert!(v6.contains(parse_ip("2400:6500:ff00::36fb:1fbf").unwrap()));
        assert!(!v6.contains(parse_ip("2400:6500:ff00::36fb:1fc0").unwrap()));
        assert!(!v6.contains(Ip::V4(0)));
    }

    #[test]
    fn cidr_errors_use_event_ruler_texts() {
        let err = |s: &str| parse_cidr(s).unwrap_err();
        assert_eq!(err("10.0.0.0"), "Malformed CIDR, one '/' required");
        assert_eq!(err("10.0.0.0/"), "Malformed CIDR, one '/' required");
        assert_eq!(err("a/b/c"), "Malformed CIDR, one '/' required");
        assert_eq!(err("10.0.0.0/x"), "Malformed CIDR, mask bits must be an integer");
        assert_eq!(err("10.0.0.0/-1"), "Malformed CIDR, mask bits must not be negative");
        assert_eq!(err("xx.11.xx/24"), "Nonstandard IP address: xx.11.xx");
        assert_eq!(err("300.1.1.1/8"), "Invalid IP address: 300.1.1.1");
        assert_eq!(err("10.0.0.1/32"), "IPv4 mask bits must be < 32");
        assert_eq!(err("::1/128"), "IPv6 mask bits must be < 128");
        assert_eq!(err("/24"), "Nonstandard IP address: ");
    }
}
