//! Business days: Amazon's review SLAs count them, skipping Saturdays, Sundays and the holidays
//! of a configurable calendar. Times are UTC.

use jiff::civil::{Date, Weekday};
use jiff::{Timestamp, tz::TimeZone};

/// The calendar the SLAs are counted on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: Vec<Date>,
}

impl Calendar {
    /// A calendar with these holidays (besides weekends).
    pub fn new(mut holidays: Vec<Date>) -> Self {
        holidays.sort_unstable();
        holidays.dedup();
        Self { holidays }
    }

    /// Parses a holiday list as `spcred serve --sp-holidays` takes it: ISO dates separated by
    /// commas or whitespace (`2026-12-25,2027-01-01`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut days = Vec::new();
        for part in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|p| !p.is_empty()) {
            let day: Date = part.parse().map_err(|_| format!("{part:?} is not a date (YYYY-MM-DD)"))?;
            days.push(day);
        }
        if days.len() > 10_000 {
            return Err("a holiday calendar has at most 10000 days".into());
        }
        Ok(Self::new(days))
    }

    /// The holidays, in order.
    pub fn holidays(&self) -> &[Date] {
        &self.holidays
    }

    /// Whether `day` is a business day.
    pub fn is_business_day(&self, day: Date) -> bool {
        !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) && self.holidays.binary_search(&day).is_err()
    }

    /// The moment `days` business days after `from_ms` (epoch ms): the same time of day on the
    /// `days`-th business day that follows. Zero days is `from_ms` itself.
    pub fn add_business_days(&self, from_ms: i64, days: u32) -> i64 {
        let Ok(start) = Timestamp::from_millisecond(from_ms) else { return from_ms };
        let zoned = start.to_zoned(TimeZone::UTC);
        let mut day = zoned.date();
        let mut counted = 0;
        // A calendar cannot hold more than 10,000 holidays, so this ends.
        while counted < days {
            let Ok(next) = day.tomorrow() else { return i64::MAX };
            day = next;
            if self.is_business_day(day) {
                counted += 1;
            }
        }
        let elapsed_days = i64::from((day - zoned.date()).get_days());
        from_ms + elapsed_days * 86_400_000
    }

    /// Business days from `from_ms` to `to_ms` (whole days; 0 when `to_ms` is not later).
    pub fn business_days_between(&self, from_ms: i64, to_ms: i64) -> u32 {
        let (Ok(a), Ok(b)) = (Timestamp::from_millisecond(from_ms), Timestamp::from_millisecond(to_ms)) else {
            return 0;
        };
        let (mut day, end) = (a.to_zoned(TimeZone::UTC).date(), b.to_zoned(TimeZone::UTC).date());
        let mut n = 0;
        while day < end {
            let Ok(next) = day.tomorrow() else { break };
            day = next;
            if self.is_business_day(day) {
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn weekends_and_holidays_are_skipped() {
        let cal = Calendar::default();
        // Friday 2026-12-04 10:00 + 1 business day is Monday 2026-12-07 10:00.
        assert_eq!(cal.add_business_days(ms("2026-12-04T10:00:00Z"), 1), ms("2026-12-07T10:00:00Z"));
        // + 5 business days from a Monday is the next Monday.
        assert_eq!(cal.add_business_days(ms("2026-12-07T09:30:00Z"), 5), ms("2026-12-14T09:30:00Z"));
        // Saturday + 1 is Monday; zero days is the same moment.
        assert_eq!(cal.add_business_days(ms("2026-12-05T08:00:00Z"), 1), ms("2026-12-07T08:00:00Z"));
        assert_eq!(cal.add_business_days(ms("2026-12-05T08:00:00Z"), 0), ms("2026-12-05T08:00:00Z"));
        let xmas = Calendar::parse("2026-12-25, 2027-01-01 2026-12-25").unwrap();
        assert_eq!(xmas.holidays().len(), 2);
        // Thursday 2026-12-24 + 1 skips Christmas (Friday) and the weekend.
        assert_eq!(xmas.add_business_days(ms("2026-12-24T12:00:00Z"), 1), ms("2026-12-28T12:00:00Z"));
        // Ten business days from Monday 2026-12-21 skip two holidays and two weekends.
        assert_eq!(xmas.add_business_days(ms("2026-12-21T00:00:00Z"), 10), ms("2027-01-06T00:00:00Z"));
        assert_eq!(xmas.business_days_between(ms("2026-12-21T00:00:00Z"), ms("2027-01-06T00:00:00Z")), 10);
        assert!(Calendar::parse("2026-13-01").unwrap_err().contains("2026-13-01"));
    }
}
