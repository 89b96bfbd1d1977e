//! Digital documents (design 3.3): the fourteen kinds of the egov.kz FAQ, the agency each comes from,
//! their typed fields, their status, and who may hold them.

mod fields;
mod labels;

pub use fields::*;
pub use labels::{Lang, field_label};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A text in the three languages of the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Multilingual {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

impl Multilingual {
    pub fn new(kk: &str, ru: &str, en: &str) -> Self {
        Multilingual { kk: kk.into(), ru: ru.into(), en: en.into() }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Kk => &self.kk,
            Lang::Ru => &self.ru,
            Lang::En => &self.en,
        }
    }

    /// The texts by language code (`kk`, `ru`, `en`), as the wire carries them.
    pub fn by_code(&self) -> std::collections::HashMap<String, String> {
        [("kk", &self.kk), ("ru", &self.ru), ("en", &self.en)].into_iter().map(|(k, v)| (k.into(), v.clone())).collect()
    }
}

/// The agency information system a document comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// State database of individuals (ID cards, civil status certificates, the ID photo).
    Individuals,
    /// Ministry of Internal Affairs (driving licences with their own photo, vehicle registration).
    Interior,
    /// Ministry of Health (PCR results, vaccinations).
    Health,
    /// Ministry of Science and Higher Education (student IDs, diplomas).
    Education,
    /// Ministry of Labour and Social Protection (pensioner, social and kandas certificates).
    Labour,
}

impl Source {
    pub const ALL: [Source; 5] =
        [Source::Individuals, Source::Interior, Source::Health, Source::Education, Source::Labour];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Individuals => "individuals",
            Source::Interior => "interior",
            Source::Health => "health",
            Source::Education => "education",
            Source::Labour => "labour",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The agency's name.
    pub fn name(self) -> Multilingual {
        match self {
            Source::Individuals => Multilingual::new(
                "Жеке тұлғалардың мемлекеттік деректер қоры",
                "Государственная база данных физических лиц",
                "State database of individuals",
            ),
            Source::Interior => Multilingual::new(
                "ҚР Ішкі істер министрлігі",
                "Министерство внутренних дел РК",
                "Ministry of Internal Affairs",
            ),
            Source::Health => Multilingual::new(
                "ҚР Денсаулық сақтау министрлігі",
                "Министерство здравоохранения РК",
                "Ministry of Health",
            ),
            Source::Education => Multilingual::new(
                "ҚР Ғылым және жоғары білім министрлігі",
                "Министерство науки и высшего образования РК",
                "Ministry of Science and Higher Education",
            ),
            Source::Labour => Multilingual::new(
                "ҚР Еңбек және халықты әлеуметтік қорғау министрлігі",
                "Министерство труда и социальной защиты населения РК",
                "Ministry of Labour and Social Protection",
            ),
        }
    }
}

/// The fourteen kinds of digital document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    NationalId,
    DrivingLicence,
    BirthCertificate,
    MarriageCertificate,
    NameChangeCertificate,
    DivorceCertificate,
    CovidPcrResult,
    StudentId,
    Diploma,
    PensionerId,
    KandasCertificate,
    VehicleRegistration,
    SocialId,
    VaccinationPassport,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 14] = [
        DocumentKind::NationalId,
        DocumentKind::DrivingLicence,
        DocumentKind::BirthCertificate,
        DocumentKind::MarriageCertificate,
        DocumentKind::NameChangeCertificate,
        DocumentKind::DivorceCertificate,
        DocumentKind::CovidPcrResult,
        DocumentKind::StudentId,
        DocumentKind::Diploma,
        DocumentKind::PensionerId,
        DocumentKind::KandasCertificate,
        DocumentKind::VehicleRegistration,
        DocumentKind::SocialId,
        DocumentKind::VaccinationPassport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::NationalId => "national_id",
            DocumentKind::DrivingLicence => "driving_licence",
            DocumentKind::BirthCertificate => "birth_certificate",
            DocumentKind::MarriageCertificate => "marriage_certificate",
            DocumentKind::NameChangeCertificate => "name_change_certificate",
            DocumentKind::DivorceCertificate => "divorce_certificate",
            DocumentKind::CovidPcrResult => "covid_pcr_result",
            DocumentKind::StudentId => "student_id",
            DocumentKind::Diploma => "diploma",
            DocumentKind::PensionerId => "pensioner_id",
            DocumentKind::KandasCertificate => "kandas_certificate",
            DocumentKind::VehicleRegistration => "vehicle_registration",
            DocumentKind::SocialId => "social_id",
            DocumentKind::VaccinationPassport => "vaccination_passport",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The agency whose information system issues this kind.
    pub fn source(self) -> Source {
        match self {
            DocumentKind::NationalId
            | DocumentKind::BirthCertificate
            | DocumentKind::MarriageCertificate
            | DocumentKind::NameChangeCertificate
            | DocumentKind::DivorceCertificate => Source::Individuals,
            DocumentKind::DrivingLicence | DocumentKind::VehicleRegistration => Source::Interior,
            DocumentKind::CovidPcrResult | DocumentKind::VaccinationPassport => Source::Health,
            DocumentKind::StudentId | DocumentKind::Diploma => Source::Education,
            DocumentKind::PensionerId | DocumentKind::KandasCertificate | DocumentKind::SocialId => Source::Labour,
        }
    }

    /// Where the photo shown with this kind comes from: the licence has the interior ministry's own photo;
    /// every other kind shows the photo of the state database of individuals.
    pub fn photo_source(self) -> Source {
        match self {
            DocumentKind::DrivingLicence => Source::Interior,
            _ => Source::Individuals,
        }
    }

    /// The document's name.
    pub fn title(self) -> Multilingual {
        let (kk, ru, en) = match self {
            DocumentKind::NationalId => ("Жеке куәлік", "Удостоверение личности", "National ID card"),
            DocumentKind::DrivingLicence => ("Жүргізуші куәлігі", "Водительское удостоверение", "Driving licence"),
            DocumentKind::BirthCertificate => ("Туу туралы куәлік", "Свидетельство о рождении", "Birth certificate"),
            DocumentKind::MarriageCertificate => {
                ("Неке қию туралы куәлік", "Свидетельство о заключении брака", "Marriage certificate")
            }
            DocumentKind::NameChangeCertificate => (
                "Тегін, атын, әкесінің атын ауыстыру туралы куәлік",
                "Свидетельство о перемене имени",
                "Certificate of change of name",
            ),
            DocumentKind::DivorceCertificate => {
                ("Некені бұзу туралы куәлік", "Свидетельство о расторжении брака", "Divorce certificate")
            }
            DocumentKind::CovidPcrResult => {
                ("COVID-19 ПТР-тест нәтижесі", "Результат ПЦР-теста на COVID-19", "COVID-19 PCR test result")
            }
            DocumentKind::StudentId => ("Студенттік билет", "Студенческий билет", "Student ID"),
            DocumentKind::Diploma => ("Диплом", "Диплом", "Diploma"),
            DocumentKind::PensionerId => ("Зейнеткер куәлігі", "Удостоверение пенсионера", "Pensioner ID"),
            DocumentKind::KandasCertificate => ("Қандас куәлігі", "Удостоверение кандаса", "Kandas certificate"),
            DocumentKind::VehicleRegistration => (
                "Көлік құралын тіркеу туралы куәлік",
                "Свидетельство о регистрации транспортного средства",
                "Vehicle registration certificate",
            ),
            DocumentKind::SocialId => ("Әлеуметтік куәлік", "Социальное удостоверение", "Social ID"),
            DocumentKind::VaccinationPassport => ("Вакцинация паспорты", "Паспорт вакцинации", "Vaccination passport"),
        };
        Multilingual::new(kk, ru, en)
    }
}

/// Whether a document can be relied on today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Valid,
    /// Past its expiry date.
    Expired,
    /// Reported lost or stolen (or otherwise withdrawn): never valid again, never shareable.
    Revoked,
    /// Valid in itself, but unusable while the citizen's national ID is reported lost or stolen
    /// ("in case a document was lost or stolen, you cannot use digital documents", egov.kz); usable
    /// again once a new national ID is issued.
    Suspended,
}

/// Why all of a citizen's digital documents are suspended: the newest national ID issued to them is
/// reported lost or stolen. `reason` is that ID's revocation reason (`None` while it is valid). A national
/// ID withdrawn for another reason (replaced, expired) suspends nothing.
pub fn suspension(newest_national_id_revoked_reason: Option<&str>) -> Option<Suspension> {
    match newest_national_id_revoked_reason {
        Some("lost") => Some(Suspension::NationalIdLost),
        Some("stolen") => Some(Suspension::NationalIdStolen),
        _ => None,
    }
}

/// The reason a citizen's documents are suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Suspension {
    NationalIdLost,
    NationalIdStolen,
}

impl Suspension {
    pub fn as_str(self) -> &'static str {
        match self {
            Suspension::NationalIdLost => "national-id-lost",
            Suspension::NationalIdStolen => "national-id-stolen",
        }
    }

    /// What the citizen and a verifier are told.
    pub fn detail(self) -> &'static str {
        match self {
            Suspension::NationalIdLost => {
                "the national ID is reported lost: digital documents cannot be used until a new one is issued"
            }
            Suspension::NationalIdStolen => {
                "the national ID is reported stolen: digital documents cannot be used until a new one is issued"
            }
        }
    }
}

impl DocumentStatus {
    /// The status once the citizen's suspension (if any) is applied: a revoked document stays revoked,
    /// any other becomes suspended.
    pub fn under(self, suspension: Option<Suspension>) -> DocumentStatus {
        match (self, suspension) {
            (DocumentStatus::Revoked, _) | (_, None) => self,
            (_, Some(_)) => DocumentStatus::Suspended,
        }
    }
}

/// The status of a document on `today` (Asia/Almaty calendar date).
pub fn status(expires_on: Option<NaiveDate>, revoked: bool, today: NaiveDate) -> DocumentStatus {
    if revoked {
        DocumentStatus::Revoked
    } else if expires_on.is_some_and(|e| e < today) {
        DocumentStatus::Expired
    } else {
        DocumentStatus::Valid
    }
}

/// Digital documents are available from the 16th birthday.
pub const DIGITAL_DOCUMENTS_MIN_AGE: u32 = 16;

/// Why a citizen has no digital documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAvailable {
    /// Under 16; available from the given date.
    TooYoung { available_from: NaiveDate },
    /// No national ID card has been issued.
    NoNationalId,
}

/// Age in whole years on `today`.
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> u32 {
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// The day someone born on `birth` turns `years` (29 February birthdays turn on 1 March in common years).
pub fn birthday(birth: NaiveDate, years: u32) -> NaiveDate {
    let year = birth.year() + years as i32;
    NaiveDate::from_ymd_opt(year, birth.month(), birth.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
        .unwrap_or(birth)
}

/// Whether a citizen born on `birth` may hold digital documents on `today`.
pub fn documents_available(birth: NaiveDate, has_national_id: bool, today: NaiveDate) -> Result<(), NotAvailable> {
    if age_on(birth, today) < DIGITAL_DOCUMENTS_MIN_AGE {
        return Err(NotAvailable::TooYoung { available_from: birthday(birth, DIGITAL_DOCUMENTS_MIN_AGE) });
    }
    if !has_national_id {
        return Err(NotAvailable::NoNationalId);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn there_are_fourteen_kinds_each_with_a_source_and_three_titles() {
        assert_eq!(DocumentKind::ALL.len(), 14);
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(k.as_str()), Some(k));
            let t = k.title();
            assert!(!t.kk.is_empty() && !t.ru.is_empty() && !t.en.is_empty());
        }
    }

    #[test]
    fn the_licence_photo_comes_from_the_interior_ministry_and_every_other_from_the_individuals_database() {
        for k in DocumentKind::ALL {
            let expected = if k == DocumentKind::DrivingLicence { Source::Interior } else { Source::Individuals };
            assert_eq!(k.photo_source(), expected, "{k:?}");
        }
    }

    #[test]
    fn documents_open_on_the_sixteenth_birthday() {
        let birth = d("2010-11-24");
        assert_eq!(
            documents_available(birth, true, d("2026-11-23")),
            Err(NotAvailable::TooYoung { available_from: d("2026-11-24") })
        );
        assert_eq!(documents_available(birth, true, d("2026-11-24")), Ok(()));
    }

    #[test]
    fn a_leap_day_birthday_turns_sixteen_on_the_first_of_march() {
        assert_eq!(birthday(d("2008-02-29"), 16), d("2024-02-29"));
        assert_eq!(birthday(d("2008-02-29"), 17), d("2025-03-01"));
    }

    #[test]
    fn an_adult_without_a_national_id_has_no_documents() {
        assert_eq!(documents_available(d("1990-01-01"), false, d("2026-11-23")), Err(NotAvailable::NoNationalId));
    }

    #[test]
    fn revoked_beats_expired_and_expiry_is_the_day_after_the_last_valid_day() {
        let today = d("2026-11-23");
        assert_eq!(status(Some(d("2026-11-23")), false, today), DocumentStatus::Valid);
        assert_eq!(status(Some(d("2026-11-22")), false, today), DocumentStatus::Expired);
        assert_eq!(status(Some(d("2026-11-22")), true, today), DocumentStatus::Revoked);
        assert_eq!(status(None, false, today), DocumentStatus::Valid);
    }

    #[test]
    fn a_lost_or_stolen_national_id_suspends_every_other_document_until_a_new_one_is_issued() {
        assert_eq!(suspension(Some("lost")), Some(Suspension::NationalIdLost));
        assert_eq!(suspension(Some("stolen")), Some(Suspension::NationalIdStolen));
        assert_eq!(suspension(Some("withdrawn")), None, "a replaced ID suspends nothing");
        assert_eq!(suspension(None), None, "the newest ID is valid");
        let lost = suspension(Some("lost"));
        assert_eq!(DocumentStatus::Valid.under(lost), DocumentStatus::Suspended);
        assert_eq!(DocumentStatus::Expired.under(lost), DocumentStatus::Suspended);
        assert_eq!(DocumentStatus::Revoked.under(lost), DocumentStatus::Revoked);
        assert_eq!(DocumentStatus::Valid.under(None), DocumentStatus::Valid);
    }
}
