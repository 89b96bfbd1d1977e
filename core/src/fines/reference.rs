//! Reference data of fines: the monthly calculation index (MCI) in force, known articles of the
//! Administrative Offences Code, and vehicle plates.

use chrono::NaiveDate;
use serde::Deserialize;

/// The MCI in tenge from a date on (a data table; the operator extends it), with the law that set it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MciPeriod {
    pub from: NaiveDate,
    pub tenge: i64,
    pub source: String,
}

/// The MCI values in force for fines, as shipped, each with its law (design 3.7). The index changed
/// mid-year in 2020. In 2022 a second value, 3 180 tenge from 1 June, applied to benefits and social
/// payments only: fines, taxes and other payments kept 3 063 tenge, so it is not in this table.
pub const MCI_TABLE_JSON: &str = r#"[
  {"from": "2020-01-01", "tenge": 2651, "source": "Law on the republican budget for 2020-2022 (December 2019)"},
  {"from": "2020-04-01", "tenge": 2778, "source": "The 2020 republican budget as amended under the state of emergency (April 2020)"},
  {"from": "2021-01-01", "tenge": 2917, "source": "Law on the republican budget for 2021-2023 (December 2020)"},
  {"from": "2022-01-01", "tenge": 3063, "source": "Law on the republican budget for 2022-2024 (December 2021); the 3 180 of 1 June 2022 applied to social payments only"},
  {"from": "2023-01-01", "tenge": 3450, "source": "Law on the republican budget for 2023-2025 (November 2022)"},
  {"from": "2024-01-01", "tenge": 3692, "source": "Law on the republican budget for 2024-2026 (December 2023)"},
  {"from": "2025-01-01", "tenge": 3932, "source": "Law on the republican budget for 2025-2027 (December 2024)"},
  {"from": "2026-01-01", "tenge": 4325, "source": "Law on the republican budget for 2026-2028 (December 2025)"}
]"#;

/// The MCI in force on `date`, from `table` (periods in any order); None before the first period.
pub fn mci_on(table: &[MciPeriod], date: NaiveDate) -> Option<i64> {
    table.iter().filter(|p| p.from <= date).max_by_key(|p| p.from).map(|p| p.tenge)
}

/// Traffic articles of the Administrative Offences Code this service accepts from state bodies, with a
/// short description.
pub const ARTICLES: &[(&str, &str)] = &[
    ("590-1", "Violation of the rules of vehicle operation"),
    ("590-2", "Driving without a licence of the category"),
    ("591-1", "Driving an unregistered vehicle"),
    ("592-1", "Speeding by 10-20 km/h"),
    ("592-2", "Speeding by 20-40 km/h"),
    ("592-3", "Speeding by more than 40 km/h"),
    ("593-1", "Running a red light"),
    ("594-1", "Illegal overtaking"),
    ("596-1", "Stopping or parking in violation of the rules"),
    ("597-1", "Failing to give way to pedestrians"),
    ("599-1", "Driving without a seat belt"),
    ("608-1", "Driving under the influence"),
    ("610-1", "Using a phone while driving"),
    ("613-1", "Violation of the rules by pedestrians"),
];

/// Whether `article` is a known traffic article.
pub fn known_article(article: &str) -> bool {
    ARTICLES.iter().any(|(a, _)| *a == article)
}

/// A plate as stored: upper case, no spaces or dashes, Cyrillic look-alike letters replaced by Latin
/// (`123 АВС 02` typed on a Russian keyboard is `123ABC02`). None when it is not plausibly a plate.
pub fn normalize_plate(input: &str) -> Option<String> {
    let mut out = String::new();
    for c in input.chars() {
        let c = match c {
            ' ' | '-' | '\u{a0}' => continue,
            'А' | 'а' => 'A',
            'В' | 'в' => 'B',
            'Е' | 'е' => 'E',
            'К' | 'к' => 'K',
            'М' | 'м' => 'M',
            'Н' | 'н' => 'H',
            'О' | 'о' => 'O',
            'Р' | 'р' => 'P',
            'С' | 'с' => 'C',
            'Т' | 'т' => 'T',
            'У' | 'у' => 'Y',
            'Х' | 'х' => 'X',
            c if c.is_ascii_alphanumeric() => c.to_ascii_uppercase(),
            _ => return None,
        };
        out.push(c);
    }
    let digits = out.chars().filter(char::is_ascii_digit).count();
    ((5..=9).contains(&out.len()) && digits >= 2 && digits < out.len()).then_some(out)
}

/// The operators whose subscribers can pay from the phone balance: Beeline and Activ (Kcell).
pub fn pays_from_balance(phone: &crate::identity::Phone) -> bool {
    matches!(&phone.as_str()[2..5], "705" | "771" | "776" | "777" | "701" | "702" | "775" | "778")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mci_for_fines_of_the_day_the_case_was_opened_applies_with_its_law() {
        let table: Vec<MciPeriod> = serde_json::from_str(MCI_TABLE_JSON).unwrap();
        assert_eq!(mci_on(&table, "2026-11-20".parse().unwrap()), Some(4325));
        assert_eq!(mci_on(&table, "2025-12-31".parse().unwrap()), Some(3932));
        assert_eq!(mci_on(&table, "2022-06-01".parse().unwrap()), Some(3063), "3 180 was for social payments");
        assert_eq!(mci_on(&table, "2021-12-31".parse().unwrap()), Some(2917));
        assert_eq!(mci_on(&table, "2020-03-31".parse().unwrap()), Some(2651));
        assert_eq!(mci_on(&table, "2020-04-01".parse().unwrap()), Some(2778), "the mid-year change of 2020");
        assert_eq!(mci_on(&table, "2019-12-31".parse().unwrap()), None);
        assert!(table.iter().all(|p| !p.source.trim().is_empty()), "every period names its law");
    }

    #[test]
    fn cyrillic_look_alikes_in_plates_become_latin() {
        assert_eq!(normalize_plate("123 АВС 02").as_deref(), Some("123ABC02"));
        assert_eq!(normalize_plate("123abc02").as_deref(), Some("123ABC02"));
        assert_eq!(normalize_plate("123ЖЖЖ02"), None);
        assert_eq!(normalize_plate("12"), None);
        assert_eq!(normalize_plate("ABCDEFG"), None);
    }

    #[test]
    fn beeline_and_activ_numbers_pay_from_the_balance_and_others_do_not() {
        let p = |s: &str| crate::identity::Phone::parse(s).unwrap();
        assert!(pays_from_balance(&p("+77771234567")) && pays_from_balance(&p("+77011234567")));
        assert!(!pays_from_balance(&p("+77071234567")) && !pays_from_balance(&p("+77471234567")));
    }
}
