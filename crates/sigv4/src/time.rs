//! The two timestamp formats SigV4 meets: ISO 8601 basic (`20150830T123600Z`), used in
//! `X-Amz-Date` and the string to sign, and the HTTP `Date` header.

use jiff::civil::DateTime;
use jiff::fmt::rfc2822::DateTimeParser;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

static HTTP_DATE: DateTimeParser = DateTimeParser::new();

/// Parses `YYYYMMDDTHHMMSSZ`, the only form AWS accepts in `X-Amz-Date`.
pub(crate) fn parse_amz_date(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i16> {
        b.get(range)?.iter().try_fold(0i16, |acc, &d| d.is_ascii_digit().then(|| acc * 10 + i16::from(d - b'0')))
    };
    let small = |range| num(range).and_then(|v| i8::try_from(v).ok());
    let dt =
        DateTime::new(num(0..4)?, small(4..6)?, small(6..8)?, small(9..11)?, small(11..13)?, small(13..15)?, 0).ok()?;
    TimeZone::UTC.to_timestamp(dt).ok()
}

/// Parses an HTTP `Date` header (`Sun, 30 Aug 2015 12:36:00 GMT`), the fallback AWS accepts
/// when `X-Amz-Date` is absent.
pub(crate) fn parse_http_date(s: &str) -> Option<Timestamp> {
    HTTP_DATE.parse_timestamp(s).ok()
}

/// Formats as `YYYYMMDDTHHMMSSZ` (UTC, whole seconds).
pub(crate) fn format_amz_date(ts: Timestamp) -> String {
    let dt = TimeZone::UTC.to_datetime(ts);
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", dt.year(), dt.month(), dt.day(), dt.hour(), dt.minute(), dt.second())
}

/// `ts` moved by `secs`, or `ts` itself at the edges of the representable range (only used to
/// word error messages, so saturating silently is enough).
pub(crate) fn shifted(ts: Timestamp, secs: i64) -> Timestamp {
    ts.checked_add(SignedDuration::from_secs(secs)).unwrap_or(ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date_round_trips() {
        let ts = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(ts.to_string(), "2015-08-30T12:36:00Z");
        assert_eq!(format_amz_date(ts), "20150830T123600Z");
    }

    #[test]
    fn amz_date_rejects_other_shapes() {
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "2015-08-30T12:36:00Z",
            "20151330T123600Z",
            "20150830T246000Z",
            "2015083OT123600Z",
            "+0150830T123600Z",
            "20150830T12360ÿZ",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn http_date_is_accepted() {
        let ts = parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT").unwrap();
        assert_eq!(format_amz_date(ts), "20150830T123600Z");
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
