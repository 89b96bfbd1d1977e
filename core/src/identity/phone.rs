//! Kazakhstan mobile phone numbers, the login identifier of SMS one-time passwords.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Mobile operator prefixes (the three digits after `+7`) in Kazakhstan's numbering plan: Beeline
/// 705/771/776/777, Kcell/Activ 701/702/775/778, Tele2/Altel 700/707/708/747, and 706, 760-764, 785.
const MOBILE_PREFIXES: [u16; 19] =
    [700, 701, 702, 705, 706, 707, 708, 747, 760, 761, 762, 763, 764, 771, 775, 776, 777, 778, 785];

/// Why a phone number was refused. The messages name the rule, never the number itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Not a Kazakhstan number: it does not reduce to `+7` and ten digits.
    #[error("must be a Kazakhstan number: +7 and 10 digits")]
    Format,
    /// A Kazakhstan number, but not on a mobile operator's prefix.
    #[error("must be a Kazakhstan mobile number (prefixes 700-702, 705-708, 747, 760-764, 771, 775-778, 785)")]
    NotMobile,
}

/// A Kazakhstan mobile number in E.164 form (`+77011234567`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl Phone {
    /// Accepts `+7 701 123 45 67`, `8 (701) 123-45-67`, `87011234567`, `77011234567` and similar spaced or
    /// punctuated input, and normalises it to E.164.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        let plus = trimmed.starts_with('+');
        let mut digits = String::with_capacity(12);
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '-' | '(' | ')' | '.' | '\u{a0}' => {}
                _ => return Err(PhoneError::Format),
            }
        }
        let national = match (plus, digits.len()) {
            (true, 11) if digits.starts_with('7') => &digits[1..],
            (false, 11) if digits.starts_with('8') || digits.starts_with('7') => &digits[1..],
            _ => return Err(PhoneError::Format),
        };
        let prefix: u16 = national[..3].parse().map_err(|_| PhoneError::Format)?;
        if !MOBILE_PREFIXES.contains(&prefix) {
            return Err(PhoneError::NotMobile);
        }
        Ok(Phone(format!("+7{national}")))
    }

    /// The E.164 form, `+7` and ten digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The block of 10 000 numbers this one belongs to: the number without its last four digits
    /// (`+7701123`). SMS pumping walks such blocks, so the SMS circuit breaker counts per block.
    pub fn block(&self) -> &str {
        &self.0[..self.0.len() - 4]
    }

    /// The number with all but the last two digits hidden (`+7 7** *** ** 67`), for screens and logs.
    pub fn masked(&self) -> String {
        format!("+7 {}** *** ** {}", &self.0[2..3], &self.0[10..])
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `Debug` shows the masked form so a phone never lands whole in a log line.
impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl Serialize for Phone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Phone::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spaced_national_and_international_forms_normalise_to_e164() {
        for input in
            ["+77011234567", "+7 701 123 45 67", "8 701 123 45 67", "8(701)123-45-67", "87011234567", "77011234567"]
        {
            assert_eq!(Phone::parse(input).unwrap().as_str(), "+77011234567", "{input}");
        }
    }

    #[test]
    fn every_mobile_prefix_of_the_design_is_accepted() {
        let design = [700, 701, 702, 705, 706, 707, 708, 747, 760, 761, 762, 763, 764, 771, 775, 776, 777, 778, 785];
        for p in design {
            assert!(Phone::parse(&format!("+7{p}1234567")).is_ok(), "{p}");
        }
    }

    #[test]
    fn landlines_and_other_countries_are_refused() {
        assert_eq!(Phone::parse("+77172123456"), Err(PhoneError::NotMobile)); // Astana landline
        assert_eq!(Phone::parse("+79161234567"), Err(PhoneError::NotMobile)); // Russian mobile
        assert_eq!(Phone::parse("+998901234567"), Err(PhoneError::Format));
        assert_eq!(Phone::parse("+7701123456"), Err(PhoneError::Format));
        assert_eq!(Phone::parse("+7701123456a"), Err(PhoneError::Format));
        assert_eq!(Phone::parse("7011234567"), Err(PhoneError::Format));
        assert_eq!(Phone::parse("++77011234567"), Err(PhoneError::Format));
        assert_eq!(Phone::parse(""), Err(PhoneError::Format));
    }

    #[test]
    fn a_block_is_the_number_without_its_last_four_digits() {
        assert_eq!(Phone::parse("8 (701) 123-45-67").unwrap().block(), "+7701123");
    }

    #[test]
    fn masked_form_hides_the_subscriber_digits() {
        let p = Phone::parse("+77011234567").unwrap();
        assert_eq!(p.masked(), "+7 7** *** ** 67");
        assert!(!format!("{p:?}").contains("1234"));
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_accepted_numbers_are_canonical(s in "\\PC{0,24}") {
            if let Ok(p) = Phone::parse(&s) {
                prop_assert_eq!(p.as_str().len(), 12);
                prop_assert_eq!(Phone::parse(p.as_str()).unwrap(), p.clone());
            }
        }
    }
}
