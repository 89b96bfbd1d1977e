//! Kazakhstan's civil time. Calendar dates of documents and fines are Asia/Almaty dates.
//!
//! Asia/Almaty has had no daylight saving time since 2005; it was UTC+6 until Kazakhstan moved to a single
//! time zone at 00:00 local time on 1 March 2024, and is UTC+5 since. Those two rules are the whole of
//! the tz database's entry for the years this service handles, so we keep them here instead of a time
//! zone library.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

/// 2024-03-01 00:00 in UTC+6.
fn switch_to_utc5() -> DateTime<Utc> {
    DateTime::from_timestamp(1_709_229_600, 0).unwrap_or_default()
}

/// The UTC offset of Asia/Almaty at `at`.
pub fn almaty_offset(at: DateTime<Utc>) -> FixedOffset {
    let hours = if at < switch_to_utc5() { 6 } else { 5 };
    FixedOffset::east_opt(hours * 3600).unwrap_or(FixedOffset::east_opt(5 * 3600).expect("valid offset"))
}

/// The calendar date in Almaty at `at`.
pub fn almaty_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&almaty_offset(at)).date_naive()
}

/// The first instant of the day after `date` in Almaty: everything strictly before it is on or before `date`.
pub fn almaty_end_of(date: NaiveDate) -> DateTime<Utc> {
    let next = Utc.from_utc_datetime(&date.succ_opt().unwrap_or(date).and_time(NaiveTime::MIN));
    // Local midnight on the UTC+6 clock, if that clock was still in force then; else on the UTC+5 clock.
    let on_old_clock = next - Duration::hours(6);
    if on_old_clock < switch_to_utc5() { on_old_clock } else { next - Duration::hours(5) }
}

/// A date as people in Kazakhstan write it: `10.08.2022`.
pub fn day_month_year(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// A wait as people say it: seconds under a minute, then minutes rounded up, then hours and minutes, so
/// the wait is never shorter than said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    Seconds(u64),
    Minutes(u64),
    Hours(u64),
    HoursMinutes(u64, u64),
}

impl Wait {
    pub fn of(seconds: u64) -> Wait {
        if seconds < 60 {
            return Wait::Seconds(seconds.max(1));
        }
        let minutes = seconds.div_ceil(60);
        match (minutes / 60, minutes % 60) {
            (0, m) => Wait::Minutes(m),
            (h, 0) => Wait::Hours(h),
            (h, m) => Wait::HoursMinutes(h, m),
        }
    }
}

/// A wait in English words ("45 seconds", "15 minutes", "1 hour 5 minutes"; see [`Wait`]). The server
/// words it in Kazakh and Russian too; the problem's `retry_after` member carries the seconds.
pub fn wait_in_words(seconds: u64) -> String {
    let unit = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match Wait::of(seconds) {
        Wait::Seconds(s) => unit(s, "second", "seconds"),
        Wait::Minutes(m) => unit(m, "minute", "minutes"),
        Wait::Hours(h) => unit(h, "hour", "hours"),
        Wait::HoursMinutes(h, m) => format!("{} {}", unit(h, "hour", "hours"), unit(m, "minute", "minutes")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_reads_as_words_never_shorter_than_it_is() {
        assert_eq!(wait_in_words(0), "1 second");
        assert_eq!(wait_in_words(45), "45 seconds");
        assert_eq!(wait_in_words(61), "2 minutes");
        assert_eq!(wait_in_words(900), "15 minutes");
        assert_eq!(wait_in_words(3599), "1 hour");
        assert_eq!(wait_in_words(3600 + 300), "1 hour 5 minutes");
        assert_eq!(wait_in_words(2 * 86_400), "48 hours");
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn almaty_is_utc_plus_five_since_march_2024_and_plus_six_before() {
        assert_eq!(almaty_date(t("2026-11-23T18:59:59Z")).to_string(), "2026-11-23");
        assert_eq!(almaty_date(t("2026-11-23T19:00:00Z")).to_string(), "2026-11-24");
        assert_eq!(almaty_date(t("2022-08-10T17:59:59Z")).to_string(), "2022-08-10");
        assert_eq!(almaty_date(t("2022-08-10T18:00:00Z")).to_string(), "2022-08-11");
    }

    #[test]
    fn the_end_of_an_almaty_day_is_local_midnight() {
        assert_eq!(almaty_end_of(NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()), t("2026-12-02T19:00:00Z"));
        assert_eq!(almaty_end_of(NaiveDate::from_ymd_opt(2022, 8, 10).unwrap()), t("2022-08-10T18:00:00Z"));
        // At 00:00 (UTC+6) on 1 March 2024 the clocks went back to 23:00 (UTC+5) on 29 February, which
        // therefore ended at 00:00 UTC+5.
        assert_eq!(almaty_end_of(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()), t("2024-02-29T19:00:00Z"));
        assert_eq!(almaty_date(t("2024-02-29T18:30:00Z")).to_string(), "2024-02-29");
        assert_eq!(almaty_end_of(NaiveDate::from_ymd_opt(2024, 2, 28).unwrap()), t("2024-02-28T18:00:00Z"));
    }
}
