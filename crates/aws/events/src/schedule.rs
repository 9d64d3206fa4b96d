//! Schedule expressions: `rate(value unit)` and AWS's six-field `cron(...)`, evaluated in UTC.
//!
//! Cron fields are minutes, hours, day-of-month, month, day-of-week and year. Day-of-week runs
//! 1 (SUN) to 7 (SAT). Exactly one of day-of-month and day-of-week is `?`. Beyond `*`, lists,
//! ranges and `/` increments, day-of-month takes `L` (last day), `nW` (nearest weekday) and `LW`;
//! day-of-week takes `nL` (last such weekday of the month) and `n#k` (k-th such weekday).

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;

/// The only message EventBridge gives for a malformed expression.
pub const INVALID: &str = "Parameter ScheduleExpression is not valid.";

/// Years the cron year field accepts.
const YEARS: std::ops::RangeInclusive<i16> = 1970..=2199;

/// A parsed schedule expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every `every_ms`, counted from when the rule was created.
    Rate {
        /// The period, milliseconds.
        every_ms: i64,
    },
    /// A cron expression.
    Cron(Box<Cron>),
}

/// A cron expression's fields as sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u32,
    months: u16,
    years: Vec<bool>,
    day: DayRule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DayRule {
    /// Day-of-month set (bit d for day d), plus `L`, `LW` and `nW`.
    OfMonth { days: u32, last: bool, last_weekday: bool, nearest_weekday: Vec<u8> },
    /// Day-of-week set (bit 1..=7, SUN=1), plus `nL` and `n#k`.
    OfWeek { days: u8, last: Vec<u8>, nth: Vec<(u8, u8)> },
}

impl Schedule {
    /// Parses `rate(...)` or `cron(...)`; `Err` carries EventBridge's message.
    pub fn parse(expression: &str) -> Result<Self, &'static str> {
        if let Some(inner) = expression.strip_prefix("rate(").and_then(|s| s.strip_suffix(')')) {
            return parse_rate(inner).ok_or(INVALID);
        }
        if let Some(inner) = expression.strip_prefix("cron(").and_then(|s| s.strip_suffix(')')) {
            return Cron::parse(inner).map(|c| Schedule::Cron(Box::new(c))).ok_or(INVALID);
        }
        Err(INVALID)
    }

    /// The first time the schedule fires strictly after `after_ms`; `start_ms` anchors a rate.
    pub fn next_after(&self, start_ms: i64, after_ms: i64) -> Option<i64> {
        match self {
            Schedule::Rate { every_ms } => {
                let elapsed = after_ms.saturating_sub(start_ms);
                let periods = if elapsed < 0 { 1 } else { elapsed / every_ms + 1 };
                start_ms.checked_add(periods.checked_mul(*every_ms)?)
            }
            Schedule::Cron(cron) => cron.next_after(after_ms),
        }
    }
}

fn parse_rate(inner: &str) -> Option<Schedule> {
    let (value, unit) = inner.split_once(' ')?;
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) || value.starts_with('0') {
        return None;
    }
    let value: i64 = value.parse().ok()?;
    // "If the value is equal to 1, then the unit must be singular ... greater than 1, plural."
    let unit_ms = match (value == 1, unit) {
        (true, "minute") | (false, "minutes") => 60_000,
        (true, "hour") | (false, "hours") => 3_600_000,
        (true, "day") | (false, "days") => 86_400_000,
        _ => return None,
    };
    Some(Schedule::Rate { every_ms: value.checked_mul(unit_ms)? })
}

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// One value of a field: a number, or a name from `names` (numbered from `first`).
fn value(text: &str, min: u32, max: u32, names: &[&str], first: u32) -> Option<u32> {
    let n = if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() && text.len() <= 4 {
        text.parse().ok()?
    } else {
        let index = names.iter().position(|n| n.eq_ignore_ascii_case(text))?;
        u32::try_from(index).ok()? + first
    };
    (min..=max).contains(&n).then_some(n)
}

/// The values a plain field (`*`, lists, ranges, increments) selects within `min..=max`.
fn field(text: &str, min: u32, max: u32, names: &[&str], first: u32) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s.parse().ok().filter(|s| *s > 0)?;
                (r, step)
            }
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, min, max, names, first)?, value(b, min, max, names, first)?)
        } else {
            let v = value(range, min, max, names, first)?;
            // "5/10" means from 5, every 10, to the end of the field.
            (v, if part.contains('/') { max } else { v })
        };
        if lo > hi {
            return None;
        }
        out.extend((lo..=hi).step_by(usize::try_from(step).ok()?));
    }
    Some(out)
}

fn bits<T: From<u8> + std::ops::BitOr<Output = T> + std::ops::Shl<u32, Output = T> + Default>(values: &[u32]) -> T {
    values.iter().fold(T::default(), |acc, v| acc | (T::from(1) << *v))
}

impl Cron {
    fn parse(inner: &str) -> Option<Self> {
        let fields: Vec<&str> = inner.split(' ').filter(|f| !f.is_empty()).collect();
        let [minutes, hours, dom, month, dow, year] = fields.as_slice() else { return None };
        let minutes: u64 = bits(&field(minutes, 0, 59, &[], 0)?);
        let hours: u32 = bits(&field(hours, 0, 23, &[], 0)?);
        let months: u16 = bits::<u16>(&field(month, 1, 12, &MONTHS, 1)?);
        let year_values =
            field(year, u32::from(YEARS.start().unsigned_abs()), u32::from(YEARS.end().unsigned_abs()), &[], 0)?;
        let mut years = vec![false; YEARS.len()];
        for y in year_values {
            years[usize::try_from(y).ok()? - usize::from(YEARS.start().unsigned_abs())] = true;
        }
        let day = match (*dom, *dow) {
            ("?", "?") => return None,
            (dom, "?") => parse_day_of_month(dom)?,
            ("?", dow) => parse_day_of_week(dow)?,
            _ => return None,
        };
        Some(Cron { minutes, hours, months, years, day })
    }

    fn day_matches(&self, date: Date) -> bool {
        let day = u32::try_from(date.day()).unwrap_or(0);
        let last_day = u32::try_from(date.last_of_month().day()).unwrap_or(31);
        match &self.day {
            DayRule::OfMonth { days, last, last_weekday, nearest_weekday } => {
                (days >> day) & 1 == 1
                    || (*last && day == last_day)
                    || (*last_weekday && date == last_weekday_of_month(date))
                    || nearest_weekday.iter().any(|n| nearest_weekday_to(date, *n) == Some(date))
            }
            DayRule::OfWeek { days, last, nth } => {
                let weekday = date.weekday().to_sunday_one_offset().unsigned_abs();
                let week = u8::try_from((day - 1) / 7 + 1).unwrap_or(0);
                (days >> weekday) & 1 == 1
                    || last.iter().any(|w| *w == weekday && day + 7 > last_day)
                    || nth.iter().any(|(w, k)| *w == weekday && *k == week)
            }
        }
    }

    fn date_matches(&self, date: Date) -> bool {
        let year_ok =
            usize::try_from(date.year() - YEARS.start()).ok().and_then(|i| self.years.get(i)).copied() == Some(true);
        year_ok && (self.months >> date.month().unsigned_abs()) & 1 == 1 && self.day_matches(date)
    }

    /// The first matching minute strictly after `after_ms`.
    fn next_after(&self, after_ms: i64) -> Option<i64> {
        let after = jiff::Timestamp::from_millisecond(after_ms).ok()?.to_zoned(TimeZone::UTC).datetime();
        let mut date = after.date();
        // Start with the minute after `after`, truncated to the minute.
        let mut from_minute = u32::try_from(after.hour()).ok()? * 60 + u32::try_from(after.minute()).ok()? + 1;
        while date.year() <= *YEARS.end() {
            if self.date_matches(date)
                && let Some(minute_of_day) = (from_minute..24 * 60)
                    .find(|m| (self.hours >> (m / 60)) & 1 == 1 && (self.minutes >> (m % 60)) & 1 == 1)
            {
                let at = DateTime::new(
                    date.year(),
                    date.month(),
                    date.day(),
                    i8::try_from(minute_of_day / 60).ok()?,
                    i8::try_from(minute_of_day % 60).ok()?,
                    0,
                    0,
                )
                .ok()?;
                return Some(at.to_zoned(TimeZone::UTC).ok()?.timestamp().as_millisecond());
            }
            date = date.tomorrow().ok()?;
            from_minute = 0;
        }
        None
    }
}

fn parse_day_of_month(text: &str) -> Option<DayRule> {
    let (mut days, mut last, mut last_weekday, mut nearest_weekday) = (0u32, false, false, Vec::new());
    for part in text.split(',') {
        match part {
            "L" => last = true,
            "LW" => last_weekday = true,
            _ => {
                if let Some(n) = part.strip_suffix('W') {
                    nearest_weekday.push(u8::try_from(value(n, 1, 31, &[], 0)?).ok()?);
                } else {
                    days |= bits::<u32>(&field(part, 1, 31, &[], 0)?);
                }
            }
        }
    }
    Some(DayRule::OfMonth { days, last, last_weekday, nearest_weekday })
}

fn parse_day_of_week(text: &str) -> Option<DayRule> {
    let (mut days, mut last, mut nth) = (0u8, Vec::new(), Vec::new());
    for part in text.split(',') {
        if part == "L" {
            // A lone L in day-of-week is Saturday, the last day of the week.
            days |= 1 << 7;
        } else if let Some(w) = part.strip_suffix('L') {
            last.push(u8::try_from(value(w, 1, 7, &WEEKDAYS, 1)?).ok()?);
        } else if let Some((w, k)) = part.split_once('#') {
            let w = u8::try_from(value(w, 1, 7, &WEEKDAYS, 1)?).ok()?;
            let k: u8 = k.parse().ok().filter(|k| (1..=5).contains(k))?;
            nth.push((w, k));
        } else {
            days |= bits::<u8>(&field(part, 1, 7, &WEEKDAYS, 1)?);
        }
    }
    Some(DayRule::OfWeek { days, last, nth })
}

fn is_weekday(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn last_weekday_of_month(date: Date) -> Date {
    let mut d = date.last_of_month();
    while !is_weekday(d) {
        d = d.yesterday().unwrap_or(d);
    }
    d
}

/// The weekday nearest to day `n` of `date`'s month, without leaving the month (Quartz's `nW`).
fn nearest_weekday_to(date: Date, n: u8) -> Option<Date> {
    let target = date.first_of_month().checked_add(jiff::Span::new().days(i64::from(n) - 1)).ok()?;
    if target.month() != date.month() {
        return None;
    }
    if is_weekday(target) {
        return Some(target);
    }
    let candidates = if target.weekday() == Weekday::Saturday { [-1i64, 2] } else { [1, -2] };
    candidates
        .into_iter()
        .filter_map(|d| target.checked_add(jiff::Span::new().days(d)).ok())
        .find(|d| d.month() == date.month() && is_weekday(*d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    fn next(expr: &str, after: &str) -> String {
        let s = Schedule::parse(expr).unwrap();
        let ms = s.next_after(0, at(after)).unwrap();
        jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
    }

    #[test]
    fn rates_need_the_right_number_of_the_unit() {
        assert_eq!(Schedule::parse("rate(1 minute)"), Ok(Schedule::Rate { every_ms: 60_000 }));
        assert_eq!(Schedule::parse("rate(5 minutes)"), Ok(Schedule::Rate { every_ms: 300_000 }));
        assert_eq!(Schedule::parse("rate(2 days)"), Ok(Schedule::Rate { every_ms: 172_800_000 }));
        for bad in [
            "rate(1 minutes)",
            "rate(5 minute)",
            "rate(0 minutes)",
            "rate(01 minute)",
            "rate(-1 minute)",
            "rate(1 week)",
            "rate(1  minute)",
            "rate(minute)",
            "rate(99999999999999999999 days)",
            "Rate(1 minute)",
            "rate(1 minute",
        ] {
            assert_eq!(Schedule::parse(bad), Err(INVALID), "{bad}");
        }
    }

    #[test]
    fn a_rate_counts_from_its_start() {
        let s = Schedule::parse("rate(5 minutes)").unwrap();
        assert_eq!(s.next_after(1_000, 1_000), Some(301_000));
        assert_eq!(s.next_after(1_000, 300_999), Some(301_000));
        assert_eq!(s.next_after(1_000, 301_000), Some(601_000));
        assert_eq!(s.next_after(1_000, 0), Some(301_000));
    }

    #[test]
    fn cron_examples_from_the_eventbridge_guide() {
        // 10:15 UTC every day.
        assert_eq!(next("cron(15 10 * * ? *)", "2024-03-01T10:15:00Z"), "2024-03-02T10:15:00Z");
        // 18:00 Monday through Friday.
        assert_eq!(next("cron(0 18 ? * MON-FRI *)", "2024-03-01T18:00:00Z"), "2024-03-04T18:00:00Z");
        // 8:00 on the first day of the month.
        assert_eq!(next("cron(0 8 1 * ? *)", "2024-03-01T08:00:00Z"), "2024-04-01T08:00:00Z");
        // Every 10 minutes on weekdays.
        assert_eq!(next("cron(0/10 * ? * MON-FRI *)", "2024-03-01T23:55:00Z"), "2024-03-04T00:00:00Z");
        // Every 5 minutes between 8:00 and 17:55 on weekdays.
        assert_eq!(next("cron(0/5 8-17 ? * MON-FRI *)", "2024-03-04T17:55:00Z"), "2024-03-05T08:00:00Z");
        // 9:00 on the first Monday of each month.
        assert_eq!(next("cron(0 9 ? * 2#1 *)", "2024-03-01T00:00:00Z"), "2024-03-04T09:00:00Z");
    }

    #[test]
    fn cron_special_days() {
        // Last day of February in a leap year.
        assert_eq!(next("cron(0 0 L * ? *)", "2024-02-01T00:00:00Z"), "2024-02-29T00:00:00Z");
        // Last weekday of June 2024 (the 30th is a Sunday).
        assert_eq!(next("cron(0 12 LW * ? *)", "2024-06-01T00:00:00Z"), "2024-06-28T12:00:00Z");
        // The weekday nearest the 1st of June 2024 (a Saturday) stays in June: Monday the 3rd.
        assert_eq!(next("cron(0 12 1W * ? *)", "2024-05-31T00:00:00Z"), "2024-06-03T12:00:00Z");
        // The weekday nearest the 15th of June 2024 (a Saturday) is Friday the 14th.
        assert_eq!(next("cron(0 12 15W * ? *)", "2024-06-01T00:00:00Z"), "2024-06-14T12:00:00Z");
        // The last Friday of March 2024.
        assert_eq!(next("cron(30 6 ? * 6L *)", "2024-03-01T00:00:00Z"), "2024-03-29T06:30:00Z");
        // February 29th only comes every four years.
        assert_eq!(next("cron(0 0 29 FEB ? *)", "2024-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
        // A year field.
        assert_eq!(next("cron(0 0 1 1 ? 2030-2031)", "2024-03-01T00:00:00Z"), "2030-01-01T00:00:00Z");
        assert!(Schedule::parse("cron(0 0 1 1 ? 2020)").unwrap().next_after(0, at("2024-01-01T00:00:00Z")).is_none());
    }

    #[test]
    fn malformed_crons_are_refused() {
        for bad in [
            "cron(0 0 * * * *)",
            "cron(0 0 ? * ? *)",
            "cron(60 0 * * ? *)",
            "cron(0 24 * * ? *)",
            "cron(0 0 32 * ? *)",
            "cron(0 0 * 13 ? *)",
            "cron(0 0 ? * 8 *)",
            "cron(0 0 * * ? 1969)",
            "cron(0 0 * * ?)",
            "cron(0 0 * * ? * *)",
            "cron(0/0 0 * * ? *)",
            "cron(5-1 0 * * ? *)",
            "cron(0 0 ? * MON#6 *)",
            "cron(0 0 * FOO ? *)",
            "cron()",
        ] {
            assert_eq!(Schedule::parse(bad), Err(INVALID), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics_and_next_is_later(text in "(rate|cron)\\([ 0-9a-zA-Z*?/,#LW-]{0,40}\\)", after in 0i64..4_000_000_000_000) {
            if let Ok(s) = Schedule::parse(&text)
                && let Some(next) = s.next_after(0, after)
            {
                proptest::prop_assert!(next > after);
            }
        }
    }
}
