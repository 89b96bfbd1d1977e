//! The languages of the service: Kazakh (the state language), Russian and English.

use serde::{Deserialize, Serialize};

/// A language every human text of the API is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Kk,
    Ru,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Kk, Lang::Ru, Lang::En];

    /// The language tag (`kk`, `ru`, `en`), as in `Content-Language`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The language a tag means (`kk`, `kk-KZ`, `RU`, `en-GB`...), by its primary subtag.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        Lang::ALL.into_iter().find(|l| primary.eq_ignore_ascii_case(l.as_str()))
    }

    /// The language an `Accept-Language` header asks for (RFC 9110 §12.5.4): the supported one with the
    /// highest weight, the earlier one on a tie; `None` when it names none of ours (or refuses them with
    /// `q=0`). Malformed weights count as 1, so a sloppy header still gets its first language.
    pub fn negotiate(accept_language: &str) -> Option<Lang> {
        let mut best: Option<(Lang, u16)> = None;
        for item in accept_language.split(',').take(32) {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else { continue };
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .map_or(1000, quality);
            if weight > 0 && best.is_none_or(|(_, w)| weight > w) {
                best = Some((lang, weight));
            }
        }
        best.map(|(l, _)| l)
    }
}

/// A quality value in thousandths ("0.8" is 800); anything unreadable counts as 1.
fn quality(q: &str) -> u16 {
    let q = q.trim();
    let (whole, frac) = q.split_once('.').unwrap_or((q, ""));
    match whole {
        "0" => {
            let digits: String = frac.chars().take(3).collect();
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return 0;
            }
            format!("{digits:0<3}").parse().unwrap_or(0)
        }
        _ => 1000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_weighted_language_of_ours_wins() {
        assert_eq!(Lang::negotiate("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"), Some(Lang::Ru));
        assert_eq!(Lang::negotiate("de-DE, kk;q=0.5, ru;q=0.4"), Some(Lang::Kk));
        assert_eq!(Lang::negotiate("en;q=0.3, kk-KZ;q=0.9"), Some(Lang::Kk));
        assert_eq!(Lang::negotiate("KK"), Some(Lang::Kk));
    }

    #[test]
    fn a_tie_goes_to_the_earlier_language() {
        assert_eq!(Lang::negotiate("ru, kk"), Some(Lang::Ru));
    }

    #[test]
    fn none_of_ours_or_refused_means_no_choice() {
        assert_eq!(Lang::negotiate("de, fr;q=0.5"), None);
        assert_eq!(Lang::negotiate("kk;q=0, de"), None);
        assert_eq!(Lang::negotiate(""), None);
        assert_eq!(Lang::negotiate("kazakh"), None);
    }

    #[test]
    fn malformed_weights_do_not_panic() {
        assert_eq!(Lang::negotiate("ru;q=abc"), Some(Lang::Ru));
        assert_eq!(Lang::negotiate("ru;q=0.x, kk"), Some(Lang::Kk));
        assert_eq!(Lang::negotiate(";;,,;q="), None);
    }
}
