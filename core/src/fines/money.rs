//! Money: integer tiyn (1 tenge = 100 tiyn), never floating point.

use serde::{Deserialize, Serialize};

/// An amount in tiyn. Serialises as `{"tiyn": 648750, "currency": "KZT"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tiyn(pub i64);

impl Tiyn {
    /// From whole tenge.
    pub fn from_tenge(tenge: i64) -> Tiyn {
        Tiyn(tenge * 100)
    }

    /// Half, rounded half up to the tiyn (half of 12 975 tenge is 6 487 tenge 50 tiyn exactly).
    pub fn half(self) -> Tiyn {
        Tiyn((self.0 + 1).div_euclid(2))
    }

    /// `12 975.00 KZT`-style text.
    pub fn display(self) -> String {
        let tenge = self.0.div_euclid(100);
        let digits = tenge.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push('\u{a0}');
            }
            grouped.push(c);
        }
        format!("{grouped}.{:02} ₸", self.0.rem_euclid(100))
    }
}

#[derive(Serialize, Deserialize)]
struct Wire {
    tiyn: i64,
    currency: String,
}

impl Serialize for Tiyn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire { tiyn: self.0, currency: "KZT".into() }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Tiyn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = Wire::deserialize(d)?;
        if w.currency != "KZT" {
            return Err(serde::de::Error::custom("currency must be KZT"));
        }
        Ok(Tiyn(w.tiyn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn half_of_an_odd_amount_keeps_its_half_tenge() {
        assert_eq!(Tiyn::from_tenge(12_975).half(), Tiyn(648_750));
        assert_eq!(Tiyn::from_tenge(12_975).half().display(), "6\u{a0}487.50 ₸");
        assert_eq!(
            serde_json::to_value(Tiyn(648_750)).unwrap(),
            serde_json::json!({"tiyn": 648750, "currency": "KZT"})
        );
    }

    proptest! {
        #[test]
        fn two_halves_never_fall_short_of_the_whole_by_more_than_a_tiyn(t in 0i64..10_000_000_000) {
            let h = Tiyn(t).half().0;
            prop_assert!(2 * h >= t && 2 * h - t <= 1);
        }
    }
}
