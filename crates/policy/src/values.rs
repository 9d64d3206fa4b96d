//! Typed readings of condition values: decimals, dates, booleans, IP ranges, base64.

use std::cmp::Ordering;
use std::net::IpAddr;

use base64::Engine as _;

/// An exact decimal number ("integer or decimal value" for the Numeric operators), compared
/// without floating-point rounding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decimal {
    negative: bool,
    /// Integer digits without leading zeros.
    int: Box<str>,
    /// Fraction digits without trailing zeros.
    frac: Box<str>,
}

impl Decimal {
    /// Reads `[+-]digits[.digits]`, surrounding whitespace allowed.
    pub fn parse(text: &str) -> Option<Decimal> {
        let t = text.trim();
        let (negative, t) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
            return None;
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        let zero = int.is_empty() && frac.is_empty();
        Some(Decimal { negative: negative && !zero, int: int.into(), frac: frac.into() })
    }

    fn cmp_magnitude(&self, other: &Decimal) -> Ordering {
        self.int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(&other.int))
            .then_with(|| self.frac.cmp(&other.frac))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Decimal) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A point in time as nanoseconds since the Unix epoch; wide enough for IAM's year range
/// (-292275054 to 292278993).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Instant(i128);

const NANOS: i128 = 1_000_000_000;

impl Instant {
    /// Reads a date as IAM's Date operators do: epoch seconds, or a W3C ISO 8601 form
    /// (`2020`, `2020-01`, `2020-01-02`, `2020-01-02T03:04Z`, `2020-01-02T03:04:05.678+01:00`).
    /// Lower-case `t`/`z`, one-digit hours and `+hh` offsets are accepted as IAM accepts them.
    pub fn parse(text: &str) -> Option<Instant> {
        let t = text.trim();
        if !t.contains(['t', 'T', '-']) {
            let secs: i128 = t.strip_prefix('+').unwrap_or(t).parse().ok()?;
            return secs.checked_mul(NANOS).map(Instant);
        }
        let (date, time) = match t.find(['t', 'T']) {
            Some(i) => (&t[..i], Some(&t[i + 1..])),
            None => (t, None),
        };
        let (negative_year, date) = match date.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, date),
        };
        let mut fields = date.split('-');
        let year: i64 = number(fields.next()?, 1, 9)?;
        let year = if negative_year { -year } else { year };
        let month = fields.next().map_or(Some(1), |m| number(m, 1, 2))?;
        let day = fields.next().map_or(Some(1), |d| number(d, 1, 2))?;
        if fields.next().is_some() || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        let mut nanos = i128::from(days_from_civil(year, month, day)) * 86_400 * NANOS;
        if let Some(time) = time.filter(|t| !t.is_empty()) {
            nanos += time_of_day(time)?;
        }
        Some(Instant(nanos))
    }

    /// Seconds since the epoch, rounded down.
    pub fn from_unix_seconds(secs: i64) -> Instant {
        Instant(i128::from(secs) * NANOS)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the form IAM uses for `aws:CurrentTime`.
    pub fn to_iso(self) -> String {
        let secs = self.0.div_euclid(NANOS);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
        format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
    }
}

/// Parses 1..=`max_len` ASCII digits.
fn number(s: &str, min_len: usize, max_len: usize) -> Option<i64> {
    if s.len() < min_len || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `hh[:mm[:ss[.fff]]]` followed by `Z`, `+hh[:mm]`, `-hh[:mm]` or nothing (UTC).
fn time_of_day(time: &str) -> Option<i128> {
    let (clock, offset) = match time.find(['z', 'Z', '+', '-']) {
        Some(i) => (&time[..i], &time[i..]),
        None => (time, ""),
    };
    let mut fields = clock.split(':');
    let hours = number(fields.next()?, 1, 2)?;
    let minutes = fields.next().map_or(Some(0), |m| number(m, 1, 2))?;
    let (seconds, fraction) = match fields.next() {
        Some(s) => {
            let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
            let frac_nanos = if s.contains('.') {
                if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                format!("{frac:0<9}").parse::<i128>().ok()?
            } else {
                0
            };
            (number(whole, 1, 2)?, frac_nanos)
        }
        None => (0, 0),
    };
    if fields.next().is_some() || hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    let offset_minutes = match offset.as_bytes().first() {
        None | Some(b'z' | b'Z') if offset.len() <= 1 => 0,
        Some(sign @ (b'+' | b'-')) => {
            let body = &offset[1..];
            let (h, m) = match body.split_once(':') {
                Some((h, m)) => (number(h, 2, 2)?, number(m, 2, 2)?),
                None if body.len() == 4 && body.is_ascii() => (number(&body[..2], 2, 2)?, number(&body[2..], 2, 2)?),
                None => (number(body, 2, 2)?, 0),
            };
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'+' { h * 60 + m } else { -(h * 60 + m) }
        }
        _ => return None,
    };
    let secs = hours * 3600 + minutes * 60 + seconds - offset_minutes * 60;
    Some(i128::from(secs) * NANOS + fraction)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `true`/`false`, any letter case, as the Bool operator compares.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// An IPv4 or IPv6 range; a bare address is a /32 or /128 as IAM documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    /// Whether `ip` is inside the range (host bits of the range are ignored).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Reads a request IP; IAM's `ip` context values may also be written as a /32 or /128.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    let t = t.strip_suffix("/32").or_else(|| t.strip_suffix("/128")).unwrap_or(t);
    t.parse().ok()
}

/// Decodes standard base64 (with padding), as `BinaryEquals` values are written.
pub(crate) fn parse_base64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).expect(s)
    }

    #[test]
    fn decimals_compare_exactly() {
        assert_eq!(d("10"), d("010.000"));
        assert_eq!(d("-0"), d("0.0"));
        assert!(d("9.99") < d("10"));
        assert!(d("-10") < d("-9.5"));
        assert!(d("0.1") > d("0.09999999999999999999"));
        assert!(d("+3") > d("-3"));
        for bad in ["", ".", "1e3", "1.2.3", "abc", "--1", " "] {
            assert_eq!(Decimal::parse(bad), None, "{bad:?}");
        }
        assert_eq!(d(".5"), d("0.5"));
        assert_eq!(d("5."), d("5"));
    }

    fn secs(s: &str) -> i128 {
        Instant::parse(s).expect(s).0 / NANOS
    }

    #[test]
    fn dates_in_w3c_and_epoch_forms() {
        assert_eq!(secs("1970-01-01T00:00:00Z"), 0);
        assert_eq!(secs("1500000000"), 1_500_000_000);
        assert_eq!(secs("2017-07-14T02:40:00Z"), 1_500_000_000);
        assert_eq!(secs("2017-07-14T04:40:00+02:00"), 1_500_000_000);
        assert_eq!(secs("2017-07-13T21:40:00-05:00"), 1_500_000_000);
        assert_eq!(secs("2017-07-14t2:40:00z"), 1_500_000_000);
        assert_eq!(secs("2017-07-14T02:40Z"), 1_500_000_000);
        assert_eq!(secs("2017-07-14"), 1_499_990_400);
        // Without `T` or `-` a value is epoch seconds, so a bare year is not a year.
        assert_eq!(secs("2017"), 2017);
        assert_eq!(secs("2017-01"), secs("2017-01-01"));
        assert_eq!(secs("2016-12-13t2:00:00.593194+23"), secs("2016-12-12T03:00:00Z"));
        assert_eq!(Instant::parse("2016-12-13T21:20:37.5Z").unwrap().0 % NANOS, NANOS / 2);
        assert_eq!(secs("-292275054"), secs("-292275054-01-01"));
        for bad in ["2017-13-01", "2017-02-29", "2017-01-01T24:00", "x", "2017-01-01T10:00:00+5", "1.5"] {
            assert_eq!(Instant::parse(bad), None, "{bad:?}");
        }
        assert_eq!(secs("2016-02-29"), secs("2016-03-01") - 86_400);
    }

    #[test]
    fn iso_formatting_round_trips() {
        for s in [0i64, 1_556_190_000, -86_401, 4_102_444_800] {
            let iso = Instant::from_unix_seconds(s).to_iso();
            assert_eq!(secs(&iso), i128::from(s), "{iso}");
        }
        assert_eq!(Instant::from_unix_seconds(1_556_190_000).to_iso(), "2019-04-25T11:00:00Z");
    }

    #[test]
    fn cidr_ranges() {
        let net = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(net.contains("203.0.113.77".parse().unwrap()));
        assert!(!net.contains("203.0.114.1".parse().unwrap()));
        assert!(Cidr::parse("203.0.113.5").unwrap().contains("203.0.113.5".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        let v6 = Cidr::parse("2001:DB8:1234:5678::/64").unwrap();
        assert!(v6.contains("2001:db8:1234:5678:ffff::1".parse().unwrap()));
        assert!(!v6.contains("2001:db8:1234:5679::1".parse().unwrap()));
        assert!(!v6.contains("203.0.113.5".parse().unwrap()));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("nope"), None);
        assert_eq!(parse_ip("10.1.2.3/32"), Some("10.1.2.3".parse().unwrap()));
    }

    proptest::proptest! {
        #[test]
        fn readers_never_panic(text in "\\PC{0,40}", tail in "[0-9+:.TZ-]{0,12}") {
            for t in [text.as_str(), &format!("2020-01-01T{tail}"), &format!("2020-01-01T10:00{text}")] {
                let _ = Instant::parse(t);
                let _ = Decimal::parse(t);
                let _ = Cidr::parse(t);
                let _ = parse_ip(t);
                let _ = parse_base64(t);
                let _ = parse_bool(t);
            }
        }
    }

    #[test]
    fn offsets_need_ascii_digits() {
        assert_eq!(Instant::parse("2020-01-01T10:00+1\u{e9}1"), None);
        assert_eq!(Instant::parse("2020-01-01T10:00+0130"), Instant::parse("2020-01-01T08:30Z"));
    }

    #[test]
    fn bools_and_base64() {
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("FALSE"), Some(false));
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(parse_base64("QmluYXJ5VmFsdWVJbkJhc2U2NA==").as_deref(), Some(&b"BinaryValueInBase64"[..]));
        assert_eq!(parse_base64("***"), None);
    }
}
