//! Kazakhstan's working-day calendar, as data: one JSON file per year with its holidays, the days off
//! that replace holidays falling on a weekend, and the government's transfers. Each file is checked when
//! it is loaded, so an operator can add next year's decree without a release and a typo cannot slip in.

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

#[derive(Debug, Deserialize, Default)]
struct Transfers {
    #[serde(default)]
    days_off: Vec<NaiveDate>,
    #[serde(default)]
    working_days: Vec<NaiveDate>,
}

#[derive(Debug, Deserialize)]
struct YearFile {
    year: i32,
    holidays: Vec<Holiday>,
    #[serde(default)]
    moved_days_off: Vec<MovedDay>,
    #[serde(default)]
    transfers: Transfers,
}

/// One year's days that differ from "Monday to Friday work".
#[derive(Debug, Clone, Default)]
struct Year {
    days_off: BTreeSet<NaiveDate>,
    working_weekend_days: BTreeSet<NaiveDate>,
}

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
    let all_dates = file
        .holidays
        .iter()
        .map(|h| h.date)
        .chain(file.moved_days_off.iter().flat_map(|m| [m.date, m.replaces]))
        .chain(file.transfers.days_off.iter().copied())
        .chain(file.transfers.working_days.iter().copied());
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
    if let Some(d) = file.transfers.working_days.iter().find(|d| !weekend(**d)) {
        return Err(bad(format!("transferred working day {d} is not a Saturday or Sunday")));
    }
    if let Some(d) = file.transfers.days_off.iter().find(|d| weekend(**d) || holidays.contains(d)) {
        return Err(bad(format!("transferred day off {d} is already a day off")));
    }
    let mut days_off: BTreeSet<NaiveDate> = holidays.iter().copied().filter(|d| !weekend(*d)).collect();
    days_off.extend(expected.values().copied());
    days_off.extend(file.transfers.days_off.iter().copied());
    Ok(Year { days_off, working_weekend_days: file.transfers.working_days.into_iter().collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn file(moved: &str) -> String {
        format!(
            r#"{{"year": 2026, "holidays": [{{"date": "2026-03-21"}}, {{"date": "2026-03-22"}}, {{"date": "2026-03-23"}}, {{"date": "2026-01-07", "never_moves": true}}],
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
        let text = r#"{"year": 2025, "holidays": [], "transfers": {"days_off": ["2025-01-03"], "working_days": ["2025-01-05"]}}"#;
        let cal = Calendar::load([text]).unwrap();
        assert!(cal.is_working_day(d("2025-01-05")).unwrap());
        assert!(!cal.is_working_day(d("2025-01-03")).unwrap());
        assert_eq!(cal.is_working_day(d("2024-12-31")), Err(CalendarError::MissingYear(2024)));
        let bad = r#"{"year": 2025, "holidays": [], "transfers": {"days_off": [], "working_days": ["2025-01-06"]}}"#;
        assert!(Calendar::load([bad]).is_err());
    }
}
