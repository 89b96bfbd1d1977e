//! The typed fields of each kind, as the registries give them. Every field is named in [`super::labels`].

use super::{DocumentKind, Multilingual};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NationalId {
    pub birth_place: Multilingual,
    pub nationality: Multilingual,
    pub issued_by: Multilingual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrivingLicence {
    /// Licence categories (A, B, C1, ...).
    pub categories: Vec<String>,
    pub issued_by: Multilingual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BirthCertificate {
    pub birth_place: Multilingual,
    pub father_name: Option<String>,
    pub mother_name: Option<String>,
    pub registry_office: Multilingual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarriageCertificate {
    pub spouse_name: String,
    pub registered_on: NaiveDate,
    pub registry_office: Multilingual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NameChangeCertificate {
    pub previous_name: String,
    pub new_name: String,
    pub registry_office: Multilingual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DivorceCertificate {
    pub former_spouse_name: String,
    pub dissolved_on: NaiveDate,
    pub registry_office: Multilingual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovidPcrResult {
    /// `negative` or `positive`.
    pub result: String,
    pub sampled_at: chrono::DateTime<chrono::Utc>,
    pub laboratory: Multilingual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentId {
    pub institution: Multilingual,
    pub faculty: Multilingual,
    pub year_of_study: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diploma {
    pub institution: Multilingual,
    pub speciality: Multilingual,
    /// `bachelor`, `master`, `doctor`, `specialist`, `vocational`.
    pub level: String,
    pub graduated_on: NaiveDate,
    pub with_honours: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PensionerId {
    pub pension_type: Multilingual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KandasCertificate {
    pub country_of_origin: Multilingual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VehicleRegistration {
    pub plate: String,
    pub vin: String,
    pub make: String,
    pub model: String,
    pub year: u16,
    pub colour: Multilingual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SocialId {
    pub category: Multilingual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaccinationStage {
    /// 1 for the first dose, 2 for the second...
    pub dose: u8,
    pub date: NaiveDate,
    pub batch: String,
    pub medical_organisation: Multilingual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaccinationPassport {
    pub vaccine: String,
    /// How many doses the course has.
    pub stages_required: u8,
    pub stages: Vec<VaccinationStage>,
}

impl VaccinationPassport {
    /// A vaccination passport exists only once every stage of the course is done: doses 1 to
    /// `stages_required` each recorded.
    pub fn is_complete(&self) -> bool {
        self.stages_required > 0 && (1..=self.stages_required).all(|dose| self.stages.iter().any(|s| s.dose == dose))
    }
}

/// The fields of a document, by kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DocumentBody {
    NationalId(NationalId),
    DrivingLicence(DrivingLicence),
    BirthCertificate(BirthCertificate),
    MarriageCertificate(MarriageCertificate),
    NameChangeCertificate(NameChangeCertificate),
    DivorceCertificate(DivorceCertificate),
    CovidPcrResult(CovidPcrResult),
    StudentId(StudentId),
    Diploma(Diploma),
    PensionerId(PensionerId),
    KandasCertificate(KandasCertificate),
    VehicleRegistration(VehicleRegistration),
    SocialId(SocialId),
    VaccinationPassport(VaccinationPassport),
}

/// Why a registry's fields were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fields of {kind}: {reason}")]
pub struct FieldsError {
    pub kind: &'static str,
    pub reason: String,
}

impl DocumentBody {
    /// Parses the registry's `fields` for `kind`.
    pub fn parse(kind: DocumentKind, fields: &serde_json::Value) -> Result<DocumentBody, FieldsError> {
        fn p<T: serde::de::DeserializeOwned>(kind: DocumentKind, v: &serde_json::Value) -> Result<T, FieldsError> {
            T::deserialize(v).map_err(|e| FieldsError { kind: kind.as_str(), reason: e.to_string() })
        }
        Ok(match kind {
            DocumentKind::NationalId => DocumentBody::NationalId(p(kind, fields)?),
            DocumentKind::DrivingLicence => DocumentBody::DrivingLicence(p(kind, fields)?),
            DocumentKind::BirthCertificate => DocumentBody::BirthCertificate(p(kind, fields)?),
            DocumentKind::MarriageCertificate => DocumentBody::MarriageCertificate(p(kind, fields)?),
            DocumentKind::NameChangeCertificate => DocumentBody::NameChangeCertificate(p(kind, fields)?),
            DocumentKind::DivorceCertificate => DocumentBody::DivorceCertificate(p(kind, fields)?),
            DocumentKind::CovidPcrResult => DocumentBody::CovidPcrResult(p(kind, fields)?),
            DocumentKind::StudentId => DocumentBody::StudentId(p(kind, fields)?),
            DocumentKind::Diploma => DocumentBody::Diploma(p(kind, fields)?),
            DocumentKind::PensionerId => DocumentBody::PensionerId(p(kind, fields)?),
            DocumentKind::KandasCertificate => DocumentBody::KandasCertificate(p(kind, fields)?),
            DocumentKind::VehicleRegistration => DocumentBody::VehicleRegistration(p(kind, fields)?),
            DocumentKind::SocialId => DocumentBody::SocialId(p(kind, fields)?),
            DocumentKind::VaccinationPassport => DocumentBody::VaccinationPassport(p(kind, fields)?),
        })
    }

    /// Whether a document with these fields exists yet (a vaccination course must be complete).
    pub fn is_issuable(&self) -> bool {
        match self {
            DocumentBody::VaccinationPassport(v) => v.is_complete(),
            _ => true,
        }
    }

    /// The fields as JSON (the stored and transmitted form).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// A plausible set of fields for `kind` (used by tests and examples).
pub fn sample_fields(kind: DocumentKind) -> serde_json::Value {
    use serde_json::json;
    let m = |kk: &str, ru: &str, en: &str| json!({"kk": kk, "ru": ru, "en": en});
    match kind {
        DocumentKind::NationalId => {
            json!({"birth_place": m("Алматы", "Алматы", "Almaty"), "nationality": m("қазақ", "казах", "Kazakh"), "issued_by": m("ҚР ІІМ", "МВД РК", "Ministry of Internal Affairs")})
        }
        DocumentKind::DrivingLicence => {
            json!({"categories": ["B", "C1"], "issued_by": m("ҚР ІІМ", "МВД РК", "Ministry of Internal Affairs")})
        }
        DocumentKind::BirthCertificate => {
            json!({"birth_place": m("Алматы", "Алматы", "Almaty"), "father_name": "Серік", "mother_name": "Гүлнар", "registry_office": m("АХАЖ", "ЗАГС", "Civil registry")})
        }
        DocumentKind::MarriageCertificate => {
            json!({"spouse_name": "Ерлан", "registered_on": "2012-06-15", "registry_office": m("АХАЖ", "ЗАГС", "Civil registry")})
        }
        DocumentKind::NameChangeCertificate => {
            json!({"previous_name": "А", "new_name": "Б", "registry_office": m("АХАЖ", "ЗАГС", "Civil registry")})
        }
        DocumentKind::DivorceCertificate => {
            json!({"former_spouse_name": "Ерлан", "dissolved_on": "2018-03-01", "registry_office": m("АХАЖ", "ЗАГС", "Civil registry")})
        }
        DocumentKind::CovidPcrResult => {
            json!({"result": "negative", "sampled_at": "2022-01-10T08:00:00Z", "laboratory": m("Олимп", "Олимп", "Olymp")})
        }
        DocumentKind::StudentId => {
            json!({"institution": m("ҚазҰУ", "КазНУ", "KazNU"), "faculty": m("Физика", "Физика", "Physics"), "year_of_study": 2})
        }
        DocumentKind::Diploma => {
            json!({"institution": m("ҚазҰУ", "КазНУ", "KazNU"), "speciality": m("Физика", "Физика", "Physics"), "level": "bachelor", "graduated_on": "2009-06-30", "with_honours": true})
        }
        DocumentKind::PensionerId => json!({"pension_type": m("Жасына байланысты", "По возрасту", "Old-age")}),
        DocumentKind::KandasCertificate => json!({"country_of_origin": m("Моңғолия", "Монголия", "Mongolia")}),
        DocumentKind::VehicleRegistration => {
            json!({"plate": "123ABC01", "vin": "XW8AN2NE3JH012345", "make": "Toyota", "model": "Camry", "year": 2019, "colour": m("ақ", "белый", "white")})
        }
        DocumentKind::SocialId => {
            json!({"category": m("Көп балалы ана", "Многодетная мать", "Mother of many children")})
        }
        DocumentKind::VaccinationPassport => {
            json!({"vaccine": "QazVac", "stages_required": 1, "stages": [{"dose": 1, "date": "2021-06-01", "batch": "B1", "medical_organisation": m("Емхана", "Поликлиника", "Clinic")}]})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stage(dose: u8) -> serde_json::Value {
        json!({"dose": dose, "date": "2021-06-01", "batch": "B1", "medical_organisation": {"kk": "a", "ru": "b", "en": "c"}})
    }

    #[test]
    fn a_vaccination_passport_exists_only_once_every_stage_is_done() {
        let partial = json!({"vaccine": "QazVac", "stages_required": 2, "stages": [stage(1)]});
        let body = DocumentBody::parse(DocumentKind::VaccinationPassport, &partial).unwrap();
        assert!(!body.is_issuable());
        let full = json!({"vaccine": "QazVac", "stages_required": 2, "stages": [stage(1), stage(2)]});
        assert!(DocumentBody::parse(DocumentKind::VaccinationPassport, &full).unwrap().is_issuable());
        let skipped = json!({"vaccine": "QazVac", "stages_required": 2, "stages": [stage(2), stage(2)]});
        assert!(!DocumentBody::parse(DocumentKind::VaccinationPassport, &skipped).unwrap().is_issuable());
    }

    #[test]
    fn a_vehicle_certificate_has_plate_vin_make_model_year_and_colour() {
        let f = json!({"plate": "123ABC01", "vin": "XW8AN2NE3JH012345", "make": "Toyota", "model": "Camry", "year": 2019,
            "colour": {"kk": "ақ", "ru": "белый", "en": "white"}});
        let DocumentBody::VehicleRegistration(v) = DocumentBody::parse(DocumentKind::VehicleRegistration, &f).unwrap()
        else {
            panic!()
        };
        assert_eq!((v.plate.as_str(), v.year, v.colour.en.as_str()), ("123ABC01", 2019, "white"));
    }

    #[test]
    fn fields_of_the_wrong_shape_are_refused_with_the_kind_named() {
        let e = DocumentBody::parse(DocumentKind::DrivingLicence, &json!({"categories": "B"})).unwrap_err();
        assert_eq!(e.kind, "driving_licence");
    }
}
