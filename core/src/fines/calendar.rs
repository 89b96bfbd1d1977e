//! Kazakhstan's working-day calendar, as data: one JSON file per year with its holidays, the days off
//! that replace holidays falling on a weekend, and the government's transfers, each naming its source.
//! Each file is checked when it is loaded, so an operator can add next year's decree without a release
//! and a typo cannot slip in. A year whose movable holiday is not yet decreed is marked provisional.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar file: {0}")]
    Parse(String),
    #[error("calendar {year}: {problem}")]
    Invalid { year: i32, problem: String },
    #[error("no calendar is loaded for {0}")]
    MissingYear(i32),
}

#[derive(Debug, Deserialize)]
struct Holiday {
    date: NaiveDate,
    #[serde(default)]
    never_moves: bool,
}

#[derive(Debug, Deserialize)]
struct MovedDay {
    date: NaiveDate,
    replaces: NaiveDate,
}

/// A day off the government moved by decree: `working_day` (a Saturday or Sunday) is worked and
/// `day_off` (a weekday) is not.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Transfer {
    working_day: NaiveDate,
    day_off: NaiveDate,
    /// The decree or order, with its date.
    source: String,
}

#[derive(Debug, Deserialize)]
struct YearFile {
    year: i32,
    /// The law the holidays and moved days follow.
    source: String,
    /// Why the year may still change (a holiday not yet decreed); absent once it is confirmed.
    #[serde(default)]
    provisional: Option<String>,
    holidays: Vec<Holiday>,
    #[serde(default)]
    moved_days_off: Vec<MovedDay>,
    #[serde(default)]
    transfers: Vec<Transfer>,
}

/// One year's days that differ from "Monday to Friday work".
#[derive(Debug, Clone, Default)]
struct Year {
    days_off: BTreeSet<NaiveDate>,
    working_weekend_days: BTreeSet<NaiveDate>,
    provisional: Option<String>,
}

/// The shipped years (2022-2027), in year order; `Calendar::load` takes them, then an operator's files.
pub const SHIPPED: [&str; 6] = [
    include_str!("../../calendars/kz-2022.json"),
    include_str!("../../calendars/kz-2023.json"),
    include_str!("../../calendars/kz-2024.json"),
    include_str!("../../calendars/kz-2025.json"),
    include_str!("../../calendars/kz-2026.json"),
    include_str!("../../calendars/kz-2027.json"),
];

/// The working-day calendar of the loaded years.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
}

fn weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl Calendar {
    /// Loads and checks year files (JSON). A later file for the same year replaces an earlier one.
    pub fn load<'a>(files: impl IntoIterator<Item = &'a str>) -> Result<Calendar, CalendarError> {
        let mut cal = Calendar::default();
        for text in files {
            let file: YearFile = serde_json::from_str(text).map_err(|e| CalendarError::Parse(e.to_string()))?;
            let year = file.year;
            cal.years.insert(year, check(file)?);
        }
        Ok(cal)
    }

    /// The years loaded.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// The loaded years still provisional, each with why (the server warns at start until an operator
    /// loads the decreed file).
    pub fn provisional(&self) -> Vec<(i32, &str)> {
        self.years.iter().filter_map(|(y, d)| d.provisional.as_deref().map(|why| (*y, why))).collect()
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let y = self.years.get(&date.year()).ok_or(CalendarError::MissingYear(date.year()))?;
        Ok(if weekend(date) { y.working_weekend_days.contains(&date) } else { !y.days_off.contains(&date) })
    }

    /// The `n`-th working day strictly after `date` (n >= 1).
    pub fn nth_working_day_after(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut d = date;
        let mut counted = 0;
        while counted < n {
            d = d.succ_opt().ok_or(CalendarError::MissingYear(date.year() + 1))?;
            if self.is_working_day(d)? {
                counted += 1;
            }
        }
        Ok(d)
    }
}

/// Checks a year file against the rules and derives its days off.
fn check(file: YearFile) -> Result<Year, CalendarError> {
    let year = file.year;
    let bad = |problem: String| CalendarError::Invalid { year, problem };
    if file.source.trim().is_empty() {
        return Err(bad("the file names no source".into()));
    }
    if let Some(t) = file.transfers.iter().find(|t| t.source.trim().is_empty()) {
        return Err(bad(format!("the transfer to {} names no source", t.day_off)));
    }
    let all_dates = file
        .holidays
        .iter()
        .map(|h| h.date)
        .chain(file.moved_days_off.iter().flat_map(|m| [m.date, m.replaces]))
        .chain(file.transfers.iter().flat_map(|t| [t.working_day, t.day_off]));
    for d in all_dates {
        if d.year() != year {
            return Err(bad(format!("{d} is not in {year}")));
        }
    }
    let holidays: BTreeSet<NaiveDate> = file.holidays.iter().map(|h| h.date).collect();
    if holidays.len() != file.holidays.len() {
        return Err(bad("a holiday is listed twice".into()));
    }
    // The rule: a holiday on a Saturday or Sunday gives the next working day off (in date order, a day
    // already given off is skipped), except holidays that never move (7 January, Kurban Ait).
    let mut expected = BTreeMap::new();
    let mut taken = BTreeSet::new();
    for h in file.holidays.iter().filter(|h| weekend(h.date) && !h.never_moves) {
        let mut n = h.date;
        loop {
            n = n.succ_opt().ok_or_else(|| bad("a moved day falls outside the year".into()))?;
            if !weekend(n) && !holidays.contains(&n) && !taken.contains(&n) {
                break;
            }
        }
        if n.year() != year {
            return Err(bad(format!("the day off for {} falls in the next year; list it there", h.date)));
        }
        taken.insert(n);
        expected.insert(h.date, n);
    }
    let listed: BTreeMap<NaiveDate, NaiveDate> = file.moved_days_off.iter().map(|m| (m.replaces, m.date)).collect();
    if listed != expected {
        return Err(bad(format!(
            "moved days off {:?} do not follow the rule, which gives {:?}",
            listed.values().collect::<Vec<_>>(),
            expected.values().collect::<Vec<_>>()
        )));
    }
    let mut days_off: BTreeSet<NaiveDate> = holidays.iter().copied().filter(|d| !weekend(*d)).collect();
    days_off.extend(expected.values().copied());
    let mut working_weekend_days = BTreeSet::new();
    for t in &file.transfers {
        if !weekend(t.working_day) {
            return Err(bad(format!("transferred working day {} is not a Saturday or Sunday", t.working_day)));
        }
        if weekend(t.day_off) || !days_off.insert(t.day_off) {
            return Err(bad(format!("transferred day off {} is already a day off", t.day_off)));
        }
        if !working_weekend_days.insert(t.working_day) {
            return Err(bad(format!("{} is transferred twice", t.working_day)));
        }
    }
    Ok(Year { days_off, working_weekend_days, provisional: file.provisional })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn file(moved: &str) -> String {
        format!(
            r#"{{"year": 2026, "source": "test", "holidays": [{{"date": "2026-03-21"}}, {{"date": "2026-03-22"}}, {{"date": "2026-03-23"}}, {{"date": "2026-01-07", "never_moves": true}}],
               "moved_days_off": {moved}}}"#
        )
    }

    #[test]
    fn a_weekend_holiday_moves_to_the_next_working_day_and_nauryz_2026_gives_five_days() {
        let cal = Calendar::load([file(
            r#"[{"date": "2026-03-24", "replaces": "2026-03-21"}, {"date": "2026-03-25", "replaces": "2026-03-22"}]"#,
        )
        .as_str()])
        .unwrap();
        for day in ["2026-03-21", "2026-03-22", "2026-03-23", "2026-03-24", "2026-03-25"] {
            assert!(!cal.is_working_day(d(day)).unwrap(), "{day}");
        }
        assert!(cal.is_working_day(d("2026-03-26")).unwrap());
    }

    #[test]
    fn a_file_whose_moved_days_break_the_rule_is_refused() {
        let e = Calendar::load([file(r#"[{"date": "2026-03-24", "replaces": "2026-03-21"}]"#).as_str()]).unwrap_err();
        assert!(matches!(e, CalendarError::Invalid { year: 2026, .. }), "{e}");
    }

    #[test]
    fn a_working_saturday_counts_and_a_missing_year_is_an_error() {
        let text = r#"{"year": 2025, "source": "test", "holidays": [], "transfers": [{"working_day": "2025-01-05", "day_off": "2025-01-03", "source": "order"}]}"#;
        let cal = Calendar::load([text]).unwrap();
        assert!(cal.is_working_day(d("2025-01-05")).unwrap());
        assert!(!cal.is_working_day(d("2025-01-03")).unwrap());
        assert_eq!(cal.is_working_day(d("2024-12-31")), Err(CalendarError::MissingYear(2024)));
        let bad = r#"{"year": 2025, "source": "test", "holidays": [], "transfers": [{"working_day": "2025-01-06", "day_off": "2025-01-03", "source": "order"}]}"#;
        assert!(Calendar::load([bad]).is_err());
        let unsourced = r#"{"year": 2025, "source": "test", "holidays": [], "transfers": [{"working_day": "2025-01-05", "day_off": "2025-01-03", "source": " "}]}"#;
        assert!(matches!(Calendar::load([unsourced]), Err(CalendarError::Invalid { year: 2025, .. })));
    }

    fn shipped() -> Calendar {
        Calendar::load(SHIPPED).unwrap()
    }

    /// Asserts for each `(date, working)` whether the shipped calendar counts the day as worked.
    fn worked(cal: &Calendar, expect: &[(&str, bool)]) {
        for (day, working) in expect {
            assert_eq!(cal.is_working_day(d(day)).unwrap(), *working, "{day}");
        }
    }

    #[test]
    fn the_shipped_years_are_2022_to_2027_and_only_2027_is_provisional() {
        let cal = shipped();
        assert_eq!(cal.years(), (2022..=2027).collect::<Vec<_>>());
        let provisional = cal.provisional();
        assert_eq!(provisional.len(), 1);
        assert_eq!(provisional[0].0, 2027);
        assert!(provisional[0].1.contains("Kurban Ait"), "{}", provisional[0].1);
    }

    #[test]
    fn y2022_decree_713_and_its_october_amendment_work_three_saturdays() {
        let cal = shipped();
        worked(
            &cal,
            &[
                ("2022-01-03", false),
                ("2022-01-04", false),
                ("2022-03-05", true),
                ("2022-03-07", false),
                ("2022-03-08", false),
                ("2022-05-10", false),
                ("2022-08-27", true),
                ("2022-08-29", false),
                ("2022-08-30", false),
                ("2022-10-22", true),
                ("2022-10-24", false),
                ("2022-10-25", false),
            ],
        );
        // The egov.kz example: notice Monday 1 August 2022, discount until Wednesday 10 August 2022.
        assert_eq!(cal.nth_working_day_after(d("2022-08-01"), 7).unwrap(), d("2022-08-10"));
        // The worked Saturday counts: a notice of Thursday 24 February ends on Saturday 5 March, not Monday 7.
        assert_eq!(cal.nth_working_day_after(d("2022-02-24"), 7).unwrap(), d("2022-03-05"));
    }

    #[test]
    fn y2023_saturday_1_july_is_worked_for_friday_7_july() {
        let cal = shipped();
        worked(
            &cal,
            &[
                ("2023-01-03", false),
                ("2023-05-08", false),
                ("2023-06-28", false),
                ("2023-07-01", true),
                ("2023-07-06", false),
                ("2023-07-07", false),
                ("2023-12-18", false),
            ],
        );
        assert_eq!(cal.nth_working_day_after(d("2023-06-21"), 7).unwrap(), d("2023-07-01"));
    }

    #[test]
    fn y2024_saturday_4_may_is_worked_for_wednesday_8_may() {
        let cal = shipped();
        worked(
            &cal,
            &[
                ("2024-03-25", false),
                ("2024-05-04", true),
                ("2024-05-07", false),
                ("2024-05-08", false),
                ("2024-05-09", false),
                ("2024-05-10", true),
                ("2024-06-17", true),
                ("2024-07-08", false),
            ],
        );
    }

    #[test]
    fn y2025_sunday_5_january_is_worked_for_friday_3_january() {
        let cal = shipped();
        worked(
            &cal,
            &[
                ("2025-01-03", false),
                ("2025-01-05", true),
                ("2025-01-06", true),
                ("2025-01-07", false),
                ("2025-03-10", false),
                ("2025-03-25", false),
                ("2025-09-01", false),
                ("2025-10-27", false),
            ],
        );
    }

    #[test]
    fn y2026_has_no_transfer_and_no_worked_weekend_day() {
        let cal = shipped();
        let mut day = d("2026-01-01");
        while day.year() == 2026 {
            if weekend(day) {
                assert!(!cal.is_working_day(day).unwrap(), "{day}");
            }
            day = day.succ_opt().unwrap();
        }
        worked(&cal, &[("2026-01-05", true), ("2026-03-09", false), ("2026-05-11", false), ("2026-08-31", true)]);
    }

    #[test]
    fn y2027_constitution_day_is_15_march_and_kurban_ait_on_a_sunday_does_not_move() {
        let cal = shipped();
        worked(&cal, &[("2027-03-15", false), ("2027-03-24", false), ("2027-05-17", true), ("2027-08-30", true)]);
    }

    #[test]
    fn an_operators_decreed_file_replaces_the_provisional_year() {
        let decreed = SHIPPED[5]
            .replace("\"date\": \"2027-05-16\"", "\"date\": \"2027-05-17\"")
            .replace("\"provisional\":", "\"note\":");
        let cal = Calendar::load(SHIPPED.into_iter().chain([decreed.as_str()])).unwrap();
        assert!(cal.provisional().is_empty());
        assert!(!cal.is_working_day(d("2027-05-17")).unwrap(), "the decreed Kurban Ait");
    }
}
