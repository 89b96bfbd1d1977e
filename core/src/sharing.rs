//! One-time document sharing (design 3.4): how long a share lives, the short code, extensions, what a
//! viewer is shown under each disclosure preset, and the signed copy they receive.

use crate::auth::rate::Window;
use crate::documents::{DocumentKind, age_on};
use crate::jws::{self, JwsError, Verified};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// A share lives 5 minutes unless the owner asks otherwise.
pub const SHARE_DEFAULT_TTL: Duration = Duration::minutes(5);
/// The shortest lifetime an owner may ask for.
pub const SHARE_MIN_TTL: Duration = Duration::minutes(1);
/// No share lives past 30 minutes after its creation, however often it is extended.
pub const SHARE_MAX_LIFETIME: Duration = Duration::minutes(30);
/// Share tokens carry 144 random bits (24 base64url characters; the design's floor is 128).
pub const SHARE_TOKEN_BYTES: usize = 18;
/// Short codes are 12 digits, shown as three groups of four.
pub const SHORT_CODE_DIGITS: usize = 12;
/// Wrong short codes per redeemer: 10 in 10 minutes...
pub const SHORT_CODE_FAILURES: Window = Window { limit: 10, period: Duration::minutes(10) };
/// ...lock that redeemer out of short codes for an hour.
pub const SHORT_CODE_LOCKOUT: Duration = Duration::hours(1);
/// Refused attempts on one share reach the owner as at most one notification this often, carrying how
/// many there were (each is still in the history): a relayed code tried in a loop is one alarm a minute,
/// not a flood (issue 23).
pub const REFUSED_NOTICE_EVERY: Duration = Duration::minutes(1);
/// Wrong short codes from all the desks of one organisation together before every desk of it is locked
/// out for [`SHORT_CODE_LOCKOUT`]: one desk's typos lock only that desk, a brute force spread over many
/// desks meets this ceiling (issue 23).
pub const SHORT_CODE_FAILURES_PER_ORGANISATION: Window = Window { limit: 100, period: Duration::minutes(10) };
/// The `typ` of a signed document copy.
pub const COPY_TYP: &str = "egov-document-copy+jws";

/// A 12-digit short code from 8 random bytes (the modulo bias of 2^64 over 10^12 is below 10^-7).
pub fn short_code_from(bytes: [u8; 8]) -> String {
    format!("{:012}", u64::from_be_bytes(bytes) % 1_000_000_000_000)
}

/// `123456789012` as `1234 5678 9012`.
pub fn format_short_code(code: &str) -> String {
    code.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

/// Reads a typed short code: twelve digits, spaces and dashes ignored.
pub fn parse_short_code(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{a0}')).collect();
    (digits.len() == SHORT_CODE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// Whether `ttl` is an acceptable lifetime for a new share.
pub fn valid_ttl(ttl: Duration) -> bool {
    ttl >= SHARE_MIN_TTL && ttl <= SHARE_MAX_LIFETIME
}

/// Why a share could not be extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtendError {
    /// Used, revoked or expired.
    NotActive,
    /// Already at 30 minutes after creation.
    AtCeiling,
    /// The requested lifetime ends before the current one.
    NotLonger,
}

/// The new expiry when the owner asks for `ttl` more from `now`: capped at 30 minutes after creation
/// (the second value says whether it was capped).
pub fn extended_expiry(
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    active: bool,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, bool), ExtendError> {
    if !active || now >= expires_at {
        return Err(ExtendError::NotActive);
    }
    let ceiling = created_at + SHARE_MAX_LIFETIME;
    if expires_at >= ceiling {
        return Err(ExtendError::AtCeiling);
    }
    let wanted = now + ttl;
    let new = wanted.min(ceiling);
    if new <= expires_at {
        return Err(ExtendError::NotLonger);
    }
    Ok((new, wanted > ceiling))
}

/// Seconds left before a share expires (0 once it has).
pub fn seconds_left(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (expires_at - now).num_seconds().max(0)
}

/// What the viewer gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// The whole document with the holder and the photo.
    #[default]
    Full,
    /// Name, photo, IIN.
    Identity,
    /// Whether the holder is over 18, and the photo; nothing else.
    AgeOver18,
    /// Plate, make, model and the owner's name (vehicle registration only).
    Vehicle,
}

impl Preset {
    pub const ALL: [Preset; 4] = [Preset::Full, Preset::Identity, Preset::AgeOver18, Preset::Vehicle];

    /// A stored preset; an unknown one is an error, never the default (which discloses the whole
    /// document).
    pub fn stored(s: &str) -> Result<Preset, crate::UnknownValue> {
        Preset::parse(s).ok_or_else(|| crate::UnknownValue::new("preset", s))
    }

    pub fn parse(s: &str) -> Option<Preset> {
        match s {
            "full" => Some(Preset::Full),
            "identity" => Some(Preset::Identity),
            "age_over_18" => Some(Preset::AgeOver18),
            "vehicle" => Some(Preset::Vehicle),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Full => "full",
            Preset::Identity => "identity",
            Preset::AgeOver18 => "age_over_18",
            Preset::Vehicle => "vehicle",
        }
    }

    /// Whether this preset makes sense for `kind`.
    pub fn applies_to(self, kind: DocumentKind) -> bool {
        self != Preset::Vehicle || kind == DocumentKind::VehicleRegistration
    }
}

/// The holder as the registry knows them.
#[derive(Debug, Clone)]
pub struct HolderData {
    pub iin: String,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub birth_date: NaiveDate,
}

/// The document as stored.
#[derive(Debug, Clone)]
pub struct DocumentData {
    pub kind: DocumentKind,
    pub number: String,
    pub issued_on: String,
    pub expires_on: Option<String>,
    pub fields: Value,
}

/// What a preset discloses: the values, and the names of every disclosed item (photo included), which
/// are what histories record.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    pub values: Map<String, Value>,
    pub photo: bool,
    pub names: Vec<String>,
}

/// The values a viewer gets under `preset`, on `today`.
pub fn disclose(preset: Preset, doc: &DocumentData, holder: &HolderData, today: NaiveDate) -> Disclosure {
    let mut v = Map::new();
    let full_name = || {
        [Some(holder.surname.as_str()), Some(holder.given_name.as_str()), holder.patronymic.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let photo = match preset {
        Preset::Full => {
            v.insert("iin".into(), json!(holder.iin));
            v.insert("surname".into(), json!(holder.surname));
            v.insert("given_name".into(), json!(holder.given_name));
            v.insert("patronymic".into(), json!(holder.patronymic));
            v.insert("birth_date".into(), json!(holder.birth_date));
            v.insert("number".into(), json!(doc.number));
            v.insert("issued_on".into(), json!(doc.issued_on));
            v.insert("expires_on".into(), json!(doc.expires_on));
            if let Some(fields) = doc.fields.as_object() {
                v.extend(fields.clone());
            }
            true
        }
        Preset::Identity => {
            v.insert("iin".into(), json!(holder.iin));
            v.insert("surname".into(), json!(holder.surname));
            v.insert("given_name".into(), json!(holder.given_name));
            v.insert("patronymic".into(), json!(holder.patronymic));
            true
        }
        Preset::AgeOver18 => {
            v.insert("over_18".into(), json!(age_on(holder.birth_date, today) >= 18));
            true
        }
        Preset::Vehicle => {
            for f in ["plate", "make", "model"] {
                v.insert(f.into(), doc.fields[f].clone());
            }
            v.insert("holder_name".into(), json!(full_name()));
            false
        }
    };
    let mut names: Vec<String> = v.keys().cloned().collect();
    if photo {
        names.push("photo".into());
    }
    Disclosure { values: v, photo, names }
}

/// Verifies a signed document copy offline against the server's key set; its payload.
pub fn verify_copy(token: &str, jwks: &Value) -> Result<Verified, JwsError> {
    jws::verify(token, jwks, COPY_TYP)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn holder(birth: &str) -> HolderData {
        HolderData {
            iin: "871008401427".into(),
            surname: "Ахметова".into(),
            given_name: "Айгерим".into(),
            patronymic: None,
            birth_date: birth.parse().unwrap(),
        }
    }

    fn vehicle() -> DocumentData {
        DocumentData {
            kind: DocumentKind::VehicleRegistration,
            number: "AA 1".into(),
            issued_on: "2020-01-01".into(),
            expires_on: None,
            fields: json!({"plate": "123ABC02", "vin": "XW8", "make": "Toyota", "model": "Camry", "year": 2019, "colour": {"kk": "ақ", "ru": "белый", "en": "white"}}),
        }
    }

    #[test]
    fn short_codes_are_twelve_digits_in_three_groups_and_typing_noise_is_ignored() {
        let code = short_code_from([0xff; 8]);
        assert_eq!(code.len(), 12);
        assert_eq!(format_short_code("123456789012"), "1234 5678 9012");
        assert_eq!(parse_short_code(" 1234 5678-9012 ").as_deref(), Some("123456789012"));
        assert_eq!(parse_short_code("1234 5678 901"), None);
        assert_eq!(parse_short_code("1234 5678 901a"), None);
    }

    #[test]
    fn an_extension_is_capped_at_thirty_minutes_after_creation_and_no_further() {
        let created = t("2026-11-23T10:00:00Z");
        let (e1, capped) = extended_expiry(
            created,
            created + SHARE_DEFAULT_TTL,
            true,
            Duration::minutes(20),
            t("2026-11-23T10:04:00Z"),
        )
        .unwrap();
        assert_eq!((e1, capped), (t("2026-11-23T10:24:00Z"), false));
        let (e2, capped) =
            extended_expiry(created, e1, true, Duration::minutes(20), t("2026-11-23T10:20:00Z")).unwrap();
        assert_eq!((e2, capped), (t("2026-11-23T10:30:00Z"), true));
        assert_eq!(
            extended_expiry(created, e2, true, Duration::minutes(5), t("2026-11-23T10:25:00Z")),
            Err(ExtendError::AtCeiling)
        );
        assert_eq!(
            extended_expiry(created, e1, true, Duration::minutes(1), t("2026-11-23T10:20:00Z")),
            Err(ExtendError::NotLonger)
        );
        assert_eq!(
            extended_expiry(created, e1, false, Duration::minutes(5), t("2026-11-23T10:20:00Z")),
            Err(ExtendError::NotActive)
        );
        assert_eq!(
            extended_expiry(created, e1, true, Duration::minutes(5), t("2026-11-23T10:24:00Z")),
            Err(ExtendError::NotActive)
        );
    }

    #[test]
    fn the_age_preset_discloses_only_over_18_and_the_photo() {
        let d = disclose(Preset::AgeOver18, &vehicle(), &holder("2008-11-24"), "2026-11-23".parse().unwrap());
        assert_eq!(d.values, json!({"over_18": false}).as_object().unwrap().clone());
        assert_eq!(d.names, ["over_18", "photo"]);
        let d = disclose(Preset::AgeOver18, &vehicle(), &holder("2008-11-23"), "2026-11-23".parse().unwrap());
        assert_eq!(d.values["over_18"], true);
    }

    #[test]
    fn the_vehicle_preset_discloses_plate_make_model_and_owner_and_no_vin() {
        let d = disclose(Preset::Vehicle, &vehicle(), &holder("1987-10-08"), "2026-11-23".parse().unwrap());
        assert_eq!(d.values["plate"], "123ABC02");
        assert_eq!(d.values["holder_name"], "Ахметова Айгерим");
        assert!(!d.values.contains_key("vin") && !d.values.contains_key("iin") && !d.photo);
        assert!(!Preset::Vehicle.applies_to(DocumentKind::NationalId));
    }

    #[test]
    fn the_identity_preset_discloses_name_iin_and_photo_only() {
        let d = disclose(Preset::Identity, &vehicle(), &holder("1987-10-08"), "2026-11-23".parse().unwrap());
        let mut names = d.names.clone();
        names.sort();
        assert_eq!(names, ["given_name", "iin", "patronymic", "photo", "surname"]);
    }

    #[test]
    fn the_full_preset_discloses_every_field_and_the_holder() {
        let d = disclose(Preset::Full, &vehicle(), &holder("1987-10-08"), "2026-11-23".parse().unwrap());
        for f in ["vin", "plate", "colour", "iin", "surname", "number", "birth_date"] {
            assert!(d.values.contains_key(f), "{f}");
        }
        assert!(d.photo);
    }

    #[test]
    fn an_unknown_stored_preset_is_refused_not_read_as_the_whole_document() {
        for p in Preset::ALL {
            assert_eq!(Preset::stored(p.as_str()), Ok(p));
        }
        assert_eq!(Preset::default(), Preset::Full, "the default discloses everything, so it never stands in");
        assert!(Preset::stored("age_over18").is_err());
        assert!(Preset::stored("").is_err());
    }
}
