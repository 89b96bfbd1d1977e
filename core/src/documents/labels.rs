//! Labels of document fields in Kazakh, Russian and English, for the language the app asks for.

use serde::{Deserialize, Serialize};

/// A language of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Kazakh, the state language: the default.
    #[default]
    Kk,
    Ru,
    En,
}

impl Lang {
    /// The first of kk, ru, en an `Accept-Language` header prefers (by q-value, then order); Kazakh when
    /// none is named.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (i, part) in header.split(',').enumerate() {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok())).unwrap_or(1.0);
            let lang = match tag.split('-').next().unwrap_or("") {
                "kk" => Lang::Kk,
                "ru" => Lang::Ru,
                "en" => Lang::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
                best = Some((q, i, lang));
            }
        }
        best.map(|(_, _, l)| l).unwrap_or_default()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }
}

const LABELS: &[(&str, &str, &str, &str)] = &[
    ("number", "Нөмірі", "Номер", "Number"),
    ("issued_on", "Берілген күні", "Дата выдачи", "Issued on"),
    ("expires_on", "Жарамдылық мерзімі", "Срок действия", "Valid until"),
    ("surname", "Тегі", "Фамилия", "Surname"),
    ("given_name", "Аты", "Имя", "Given name"),
    ("patronymic", "Әкесінің аты", "Отчество", "Patronymic"),
    ("birth_date", "Туған күні", "Дата рождения", "Date of birth"),
    ("iin", "ЖСН", "ИИН", "IIN"),
    ("photo", "Фото", "Фото", "Photo"),
    ("birth_place", "Туған жері", "Место рождения", "Place of birth"),
    ("nationality", "Ұлты", "Национальность", "Nationality"),
    ("issued_by", "Берген орган", "Орган выдачи", "Issued by"),
    ("categories", "Санаттары", "Категории", "Categories"),
    ("father_name", "Әкесі", "Отец", "Father"),
    ("mother_name", "Анасы", "Мать", "Mother"),
    ("registry_office", "Тіркеу органы", "Орган регистрации", "Registry office"),
    ("spouse_name", "Жұбайы", "Супруг(а)", "Spouse"),
    ("registered_on", "Тіркелген күні", "Дата регистрации", "Registered on"),
    ("previous_name", "Бұрынғы аты-жөні", "Прежнее ФИО", "Previous name"),
    ("new_name", "Жаңа аты-жөні", "Новое ФИО", "New name"),
    ("former_spouse_name", "Бұрынғы жұбайы", "Бывший супруг(а)", "Former spouse"),
    ("dissolved_on", "Бұзылған күні", "Дата расторжения", "Dissolved on"),
    ("result", "Нәтиже", "Результат", "Result"),
    ("sampled_at", "Сынама алынған уақыт", "Время забора", "Sampled at"),
    ("laboratory", "Зертхана", "Лаборатория", "Laboratory"),
    ("institution", "Оқу орны", "Учебное заведение", "Institution"),
    ("faculty", "Факультет", "Факультет", "Faculty"),
    ("year_of_study", "Курс", "Курс", "Year of study"),
    ("speciality", "Мамандығы", "Специальность", "Speciality"),
    ("level", "Деңгейі", "Уровень", "Level"),
    ("graduated_on", "Бітірген күні", "Дата окончания", "Graduated on"),
    ("with_honours", "Үздік", "С отличием", "With honours"),
    ("pension_type", "Зейнетақы түрі", "Вид пенсии", "Pension type"),
    ("country_of_origin", "Келген елі", "Страна прибытия", "Country of origin"),
    ("plate", "Мемлекеттік нөмірі", "Госномер", "Plate"),
    ("vin", "VIN", "VIN", "VIN"),
    ("make", "Маркасы", "Марка", "Make"),
    ("model", "Моделі", "Модель", "Model"),
    ("year", "Шығарылған жылы", "Год выпуска", "Year"),
    ("colour", "Түсі", "Цвет", "Colour"),
    ("category", "Санаты", "Категория", "Category"),
    ("vaccine", "Вакцина", "Вакцина", "Vaccine"),
    ("stages_required", "Кезеңдер саны", "Количество этапов", "Stages"),
    ("stages", "Кезеңдер", "Этапы", "Stages done"),
    ("over_18", "18 жастан асқан", "Старше 18 лет", "Over 18"),
    ("holder_name", "Иесі", "Владелец", "Holder"),
];

/// The label of `field` in `lang` (the field name itself when unknown).
pub fn field_label(field: &str, lang: Lang) -> &str {
    LABELS
        .iter()
        .find(|(f, ..)| *f == field)
        .map(|(_, kk, ru, en)| match lang {
            Lang::Kk => *kk,
            Lang::Ru => *ru,
            Lang::En => *en,
        })
        .unwrap_or(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(Lang::from_accept_language("ru-RU,ru;q=0.9,en;q=0.8"), Lang::Ru);
        assert_eq!(Lang::from_accept_language("de-DE, en;q=0.5, kk;q=0.7"), Lang::Kk);
        assert_eq!(Lang::from_accept_language("en-GB"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr, de"), Lang::Kk);
        assert_eq!(Lang::from_accept_language(""), Lang::Kk);
        assert_eq!(Lang::from_accept_language("ru;q=0, en"), Lang::En);
    }

    #[test]
    fn every_field_of_every_kind_has_a_label() {
        use crate::documents::{DocumentBody, DocumentKind};
        for kind in DocumentKind::ALL {
            let body = DocumentBody::parse(kind, &crate::documents::sample_fields(kind)).expect("the sample parses");
            for field in body.to_json().as_object().expect("an object").keys() {
                for lang in [Lang::Kk, Lang::Ru, Lang::En] {
                    assert!(LABELS.iter().any(|(f, ..)| f == field), "{kind:?}.{field} has no label");
                    assert!(!field_label(field, lang).is_empty());
                }
            }
        }
    }
}
