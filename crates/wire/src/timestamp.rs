//! Timestamps: normalised values are epoch seconds (a JSON integer, or a fractional number when
//! there are sub-second digits); on the wire they are ISO 8601, RFC 822 (HTTP date) or epoch
//! seconds.

use jiff::Timestamp;
use serde_json::{Number, Value};

use crate::model::TimestampFormat;

/// Parse any timestamp a client may send: epoch seconds, ISO 8601 / RFC 3339 (with `Z` or an
/// offset; without one it is read as UTC) or an HTTP date.
pub(crate) fn parse_text(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(seconds) = s.parse::<f64>() {
        return from_epoch_seconds(seconds);
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts);
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return dt.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp());
    }
    jiff::fmt::rfc2822::parse(s).ok().map(|z| z.timestamp())
}

/// Read a normalised (epoch seconds) value.
pub(crate) fn from_value(value: &Value) -> Option<Timestamp> {
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Timestamp::from_second(i).ok(),
            None => from_epoch_seconds(n.as_f64()?),
        },
        Value::String(s) => parse_text(s),
        _ => None,
    }
}

fn from_epoch_seconds(seconds: f64) -> Option<Timestamp> {
    if !seconds.is_finite() {
        return None;
    }
    let nanos = (seconds * 1e9).round();
    if nanos.abs() >= 9.0e27 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    Timestamp::from_nanosecond(nanos as i128).ok()
}

/// The normalised value of a timestamp: whole seconds as an integer, otherwise the decimal
/// epoch seconds (parsed from the exact decimal text, so `…56.123` stays `…56.123`).
pub(crate) fn to_value(ts: Timestamp) -> Value {
    let seconds = ts.as_second();
    let nanos = ts.subsec_nanosecond();
    if nanos == 0 {
        return Value::from(seconds);
    }
    // jiff gives the whole and sub-second parts the same sign, and either may be zero.
    let sign = if seconds < 0 || nanos < 0 { "-" } else { "" };
    let digits = format!("{:09}", nanos.unsigned_abs());
    let text = format!("{sign}{}.{}", seconds.unsigned_abs(), digits.trim_end_matches('0'));
    text.parse::<f64>().ok().and_then(Number::from_f64).map_or(Value::from(seconds), Value::Number)
}

/// Render a normalised timestamp in a wire format. Sub-second precision is kept to the
/// millisecond, as AWS services do.
pub(crate) fn format(value: &Value, format: TimestampFormat) -> Option<Value> {
    let ts = from_value(value)?;
    Some(match format {
        TimestampFormat::UnixTimestamp => to_value(round_to_millis(ts)?),
        TimestampFormat::Iso8601 => Value::String(iso8601(ts)?),
        TimestampFormat::Rfc822 => Value::String(ts.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()),
    })
}

fn round_to_millis(ts: Timestamp) -> Option<Timestamp> {
    let nanos = ts.as_nanosecond();
    let millis = (nanos + 500_000).div_euclid(1_000_000);
    Timestamp::from_millisecond(i64::try_from(millis).ok()?).ok()
}

fn iso8601(ts: Timestamp) -> Option<String> {
    let ts = round_to_millis(ts)?;
    let base = ts.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let millis = ts.subsec_millisecond();
    Some(if millis == 0 { format!("{base}Z") } else { format!("{base}.{millis:03}Z") })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(s: &str) -> Value {
        to_value(parse_text(s).unwrap())
    }

    #[test]
    fn client_formats_all_parse_to_the_same_instant() {
        for s in [
            "2014-04-29T18:30:38Z",
            "2014-04-29T18:30:38.000Z",
            "2014-04-29T19:30:38+01:00",
            "2014-04-29T18:30:38",
            "Tue, 29 Apr 2014 18:30:38 GMT",
            "1398796238",
        ] {
            assert_eq!(parsed(s), json!(1_398_796_238), "{s}");
        }
        assert!(parse_text("yesterday").is_none());
        assert!(parse_text("1e400").is_none());
    }

    #[test]
    fn fractions_survive_as_decimal_numbers() {
        assert_eq!(parsed("2000-01-02T20:34:56.123Z"), json!(946_845_296.123));
        assert_eq!(parsed("946845296.5"), json!(946_845_296.5));
        assert_eq!(parsed("1969-12-31T23:59:59.5Z"), json!(-0.5));
    }

    #[test]
    fn formats_render_like_aws() {
        let v = json!(1_398_796_238);
        assert_eq!(format(&v, TimestampFormat::Iso8601), Some(json!("2014-04-29T18:30:38Z")));
        assert_eq!(format(&v, TimestampFormat::Rfc822), Some(json!("Tue, 29 Apr 2014 18:30:38 GMT")));
        assert_eq!(format(&v, TimestampFormat::UnixTimestamp), Some(v.clone()));
        let frac = json!(946_845_296.123);
        assert_eq!(format(&frac, TimestampFormat::Iso8601), Some(json!("2000-01-02T20:34:56.123Z")));
        assert_eq!(format(&frac, TimestampFormat::UnixTimestamp), Some(frac));
        assert_eq!(format(&json!(true), TimestampFormat::Iso8601), None);
        assert_eq!(format(&json!(1e300), TimestampFormat::Iso8601), None);
    }
}
