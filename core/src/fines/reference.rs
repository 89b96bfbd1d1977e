//! Reference data of fines: the monthly calculation index (MCI) in force, known articles of the
//! Administrative Offences Code, and vehicle plates.

use chrono::NaiveDate;
use serde::Deserialize;

/// The MCI in tenge from a date on (a data table; the operator extends it).
#[derive(Debug, Clone, Deserialize)]
pub struct MciPeriod {
    pub from: NaiveDate,
    pub tenge: i64,
}

/// The MCI values in force, as shipped (design 3.7; 2022 had a mid-year rise).
pub const MCI_TABLE_JSON: &str = r#"[
  {"from": "2022-01-01", "tenge": 3063}, {"from": "2022-06-01", "tenge": 3180},
  {"from": "2023-01-01", "tenge": 3450}, {"from": "2024-01-01", "tenge": 3692},
  {"from": "2025-01-01", "tenge": 3932}, {"from": "2026-01-01", "tenge": 4325}
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
    fn the_mci_of_the_day_the_case_was_opened_applies() {
        let table: Vec<MciPeriod> = serde_json::from_str(MCI_TABLE_JSON).unwrap();
        assert_eq!(mci_on(&table, "2026-11-20".parse().unwrap()), Some(4325));
        assert_eq!(mci_on(&table, "2025-12-31".parse().unwrap()), Some(3932));
        assert_eq!(mci_on(&table, "2022-06-01".parse().unwrap()), Some(3180));
        assert_eq!(mci_on(&table, "2021-12-31".parse().unwrap()), None);
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
