//! Who may hold a driving licence of which category: the minimum ages of the Law of the Republic of
//! Kazakhstan "On Road Traffic" (17 April 2014 No. 194-V), article 73, paragraph 3: subcategories A1 and
//! B1 from 16; categories A, B, C, BE, CE and subcategories C1, C1E from 18; categories D, DE and
//! subcategories D1, D1E, Tb, Tm from 21.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// A category or subcategory of the driving licence (article 73, paragraph 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LicenceCategory {
    A1,
    B1,
    A,
    B,
    C,
    BE,
    CE,
    C1,
    C1E,
    D,
    DE,
    D1,
    D1E,
    Tb,
    Tm,
}

impl LicenceCategory {
    pub const ALL: [LicenceCategory; 15] = [
        Self::A1,
        Self::B1,
        Self::A,
        Self::B,
        Self::C,
        Self::BE,
        Self::CE,
        Self::C1,
        Self::C1E,
        Self::D,
        Self::DE,
        Self::D1,
        Self::D1E,
        Self::Tb,
        Self::Tm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::A1 => "A1",
            Self::B1 => "B1",
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::BE => "BE",
            Self::CE => "CE",
            Self::C1 => "C1",
            Self::C1E => "C1E",
            Self::D => "D",
            Self::DE => "DE",
            Self::D1 => "D1",
            Self::D1E => "D1E",
            Self::Tb => "Tb",
            Self::Tm => "Tm",
        }
    }

    /// Latin or Cyrillic letters, any case (`b`, `В`, `c1e`, `С1Е`).
    pub fn parse(s: &str) -> Option<Self> {
        let latin: String = s
            .trim()
            .chars()
            .map(|c| match c.to_uppercase().next().unwrap_or(c) {
                'А' => 'A',
                'В' => 'B',
                'С' => 'C',
                'Е' => 'E',
                'Т' => 'T',
                'М' => 'M',
                c => c,
            })
            .collect();
        Self::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(&latin))
    }

    /// The minimum age for this category.
    pub fn minimum_age(self) -> u32 {
        match self {
            Self::A1 | Self::B1 => 16,
            Self::A | Self::B | Self::C | Self::BE | Self::CE | Self::C1 | Self::C1E => 18,
            Self::D | Self::DE | Self::D1 | Self::D1E | Self::Tb | Self::Tm => 21,
        }
    }

    /// The first day someone born on `birth` is old enough (a 29 February birthday counts from 1 March
    /// in a common year).
    pub fn old_enough_from(self, birth: NaiveDate) -> NaiveDate {
        let year = birth.year() + self.minimum_age() as i32;
        NaiveDate::from_ymd_opt(year, birth.month(), birth.day())
            .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
            .unwrap_or(NaiveDate::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_fifteen_year_old_is_old_enough_for_nothing_and_a_sixteen_year_old_for_a1_and_b1_only() {
        let birth = d("2010-06-15");
        let on = d("2026-06-14");
        assert!(LicenceCategory::ALL.iter().all(|c| c.old_enough_from(birth) > on));
        let on = d("2026-06-15");
        let allowed: Vec<_> = LicenceCategory::ALL.into_iter().filter(|c| c.old_enough_from(birth) <= on).collect();
        assert_eq!(allowed, vec![LicenceCategory::A1, LicenceCategory::B1]);
    }

    #[test]
    fn cars_from_eighteen_and_buses_from_twenty_one() {
        assert_eq!(LicenceCategory::B.minimum_age(), 18);
        assert_eq!(LicenceCategory::C1E.minimum_age(), 18);
        assert_eq!(LicenceCategory::D.minimum_age(), 21);
        assert_eq!(LicenceCategory::Tm.minimum_age(), 21);
        assert_eq!(LicenceCategory::B.old_enough_from(d("2008-02-29")), d("2026-03-01"));
    }

    #[test]
    fn categories_read_in_latin_or_cyrillic_letters() {
        assert_eq!(LicenceCategory::parse("b"), Some(LicenceCategory::B));
        assert_eq!(LicenceCategory::parse("В"), Some(LicenceCategory::B));
        assert_eq!(LicenceCategory::parse("С1Е"), Some(LicenceCategory::C1E));
        assert_eq!(LicenceCategory::parse("tb"), Some(LicenceCategory::Tb));
        assert_eq!(LicenceCategory::parse("X"), None);
    }
}
