//! The cities whose cameras record traffic offences: the three cities of republican significance and the
//! regional centres, each with its name in Kazakh, Russian and English and the spellings people type
//! (former names, transliterations). A search names a city in any of them, in any case and spacing; an
//! unknown name is refused with the list, never answered with an empty result (issue 24).

use serde::Serialize;

/// A city, by its stable id (the English name) and its names in the three languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct City {
    pub id: &'static str,
    pub kk: &'static str,
    pub ru: &'static str,
    pub en: &'static str,
    /// Other spellings and former names, matched too.
    #[serde(skip)]
    pub aliases: &'static [&'static str],
}

const fn city(id: &'static str, kk: &'static str, ru: &'static str, aliases: &'static [&'static str]) -> City {
    City { id, kk, ru, en: id, aliases }
}

/// The cities, in the order the design lists them (republican significance first, then the regional
/// centres alphabetically by English name).
pub const CITIES: [City; 20] = [
    city("Astana", "Астана", "Астана", &["Nur-Sultan", "Нур-Султан", "Нұр-Сұлтан", "Akmola", "Tselinograd"]),
    city("Almaty", "Алматы", "Алматы", &["Alma-Ata", "Алма-Ата"]),
    city("Shymkent", "Шымкент", "Шымкент", &["Chimkent", "Чимкент"]),
    city("Aktau", "Ақтау", "Актау", &[]),
    city("Aktobe", "Ақтөбе", "Актобе", &["Aktyubinsk", "Актюбинск"]),
    city("Atyrau", "Атырау", "Атырау", &["Guryev", "Гурьев"]),
    city("Karaganda", "Қарағанды", "Караганда", &["Karagandy", "Qaraghandy"]),
    city("Kokshetau", "Көкшетау", "Кокшетау", &["Kokchetav", "Кокчетав"]),
    city("Konaev", "Қонаев", "Конаев", &["Kunaev", "Qonaev", "Kapchagay", "Капшагай", "Қапшағай"]),
    city("Kostanay", "Қостанай", "Костанай", &["Kustanay", "Кустанай", "Qostanai"]),
    city("Kyzylorda", "Қызылорда", "Кызылорда", &["Qyzylorda", "Kzyl-Orda"]),
    city("Oral", "Орал", "Уральск", &["Uralsk"]),
    city("Oskemen", "Өскемен", "Усть-Каменогорск", &["Öskemen", "Ust-Kamenogorsk"]),
    city("Pavlodar", "Павлодар", "Павлодар", &[]),
    city("Petropavl", "Петропавл", "Петропавловск", &["Petropavlovsk"]),
    city("Semey", "Семей", "Семей", &["Semipalatinsk", "Семипалатинск"]),
    city("Taldykorgan", "Талдықорған", "Талдыкорган", &["Taldyqorghan"]),
    city("Taraz", "Тараз", "Тараз", &["Zhambyl", "Джамбул"]),
    city("Turkistan", "Түркістан", "Туркестан", &["Turkestan"]),
    city("Zhezkazgan", "Жезқазған", "Жезказган", &["Jezkazgan", "Dzhezkazgan", "Джезказган"]),
];

/// A name folded for comparison: lower case, `ё` as `е`, and spaces, dashes, dots and apostrophes
/// dropped, so `almaty`, ` АЛМАТЫ `, `Alma-Ata` and `alma ata` compare alike.
fn fold(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '‐' | '–' | '.' | '\'' | '’' | '`'))
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

/// The city a typed name means, in any of the three languages or a known other spelling.
pub fn city_named(name: &str) -> Option<&'static City> {
    let wanted = fold(name);
    if wanted.is_empty() {
        return None;
    }
    CITIES.iter().find(|c| [c.id, c.kk, c.ru].iter().chain(c.aliases.iter()).any(|n| fold(n) == wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_city_is_found_in_any_language_case_and_spacing() {
        for typed in ["Almaty", "almaty", "  ALMATY ", "Алматы", "алматы", "Alma-Ata", "алма ата"] {
            assert_eq!(city_named(typed).map(|c| c.id), Some("Almaty"), "{typed:?}");
        }
        assert_eq!(city_named("Усть-Каменогорск").map(|c| c.id), Some("Oskemen"));
        assert_eq!(city_named("усть каменогорск").map(|c| c.id), Some("Oskemen"));
        assert_eq!(city_named("Өскемен").map(|c| c.id), Some("Oskemen"));
        assert_eq!(city_named("Nur-Sultan").map(|c| c.id), Some("Astana"));
        assert_eq!(city_named("Уральск").map(|c| c.id), Some("Oral"));
    }

    #[test]
    fn an_unknown_or_empty_name_is_no_city() {
        assert_eq!(city_named("Almaty2"), None);
        assert_eq!(city_named("Moscow"), None);
        assert_eq!(city_named(" - "), None);
        assert_eq!(city_named(""), None);
    }

    #[test]
    fn no_two_cities_share_a_spelling() {
        let mut seen = std::collections::HashMap::new();
        for c in &CITIES {
            for n in [c.id, c.kk, c.ru].iter().chain(c.aliases.iter()) {
                if let Some(other) = seen.insert(fold(n), c.id) {
                    assert_eq!(other, c.id, "{n:?} names both {other} and {}", c.id);
                }
            }
        }
    }
}
