//! # egov-mobile
//!
//! The facade that exposes `egov-core` and `egov-client` to the Android and iOS apps through uniffi
//! (proc-macros, library mode). It converts arguments, errors and the platform signer and adds no rule,
//! record or transport of its own: every offline answer comes from a function of `egov-core`, every call
//! of the API goes through `egov-client`, and the records are `egov-api`'s. Every exported item's doc
//! comment appears in the generated Kotlin and Swift.

uniffi::setup_scaffolding!();

use chrono::{DateTime, NaiveDate, Utc};
use egov_core::fines::{Exclusion, FineFacts, RecordedBy, Tiyn};

mod client;
mod signer;

pub use client::*;
pub use signer::{PlatformSigner, software_signer, software_signer_from_pkcs8};

/// Errors the app handles (not named `Error`: Kotlin would turn that into `Exception`). In Kotlin each
/// case is a subclass of `MobileException`, in Swift a case of `MobileError`. `problem` is the server's
/// stable problem type (`otp-wrong`, `share-used`...) for finer handling; `detail` is for people.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum MobileError {
    /// The input is not valid (a message says which rule it breaks); nothing was changed.
    #[error("invalid input: {reason}")]
    InvalidInput { reason: String },
    /// A signed copy or receipt does not verify against the key set.
    #[error("signature not valid: {reason}")]
    InvalidSignature { reason: String },
    /// Not signed in, the session ended, or a wrong/expired code (`problem` says which): sign in again
    /// or ask for the code again.
    #[error("unauthorized ({problem}): {detail}")]
    Unauthorized { problem: String, detail: String },
    /// The action needs a full session: sign in with the device key (`signInWithKey`) and retry.
    #[error("a digital-signature sign-in is required: {detail}")]
    EdsRequired { detail: String },
    /// Not allowed for this citizen (under 16, not their key, not their fine...).
    #[error("forbidden ({problem}): {detail}")]
    Forbidden { problem: String, detail: String },
    /// No such thing for this citizen.
    #[error("not found: {detail}")]
    NotFound { detail: String },
    /// The state does not allow it (already registered, already scanned, wrong check code...).
    #[error("conflict ({problem}): {detail}")]
    Conflict { problem: String, detail: String },
    /// It existed but is over: a share used, expired or revoked, a QR code rotated.
    #[error("gone ({problem}): {detail}")]
    Gone { problem: String, detail: String },
    /// The bank declined the payment; nothing was charged (`decline_code` is the acquirer's code).
    #[error("payment declined ({decline_code}): {detail}")]
    PaymentDeclined { decline_code: String, detail: String },
    /// Too many attempts: wait `retry_after_seconds`.
    #[error("rate limited ({problem}): {detail}")]
    RateLimited { problem: String, detail: String, retry_after_seconds: u64 },
    /// The service (or the agencies behind it) is unavailable for now: retry later.
    #[error("unavailable: {detail}")]
    Unavailable { detail: String },
    /// No answer: no connection, a timeout, an interrupted answer. Retrying is safe.
    #[error("network: {reason}")]
    Network { reason: String },
    /// The server failed or answered something unexpected.
    #[error("server error {status} ({problem}): {detail}")]
    Server { status: u16, problem: String, detail: String },
    /// The platform signer could not sign (key missing, the user cancelled the prompt).
    #[error("signer: {reason}")]
    Signer { reason: String },
    /// Anything else.
    #[error("{reason}")]
    Other { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for MobileError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        MobileError::Signer { reason: e.reason }
    }
}

fn invalid(reason: impl std::fmt::Display) -> MobileError {
    MobileError::InvalidInput { reason: reason.to_string() }
}

/// Whether `input` is a valid individual identification number (12 digits with a correct check digit).
#[uniffi::export]
pub fn is_valid_iin(input: String) -> bool {
    egov_core::identity::Iin::parse(&input).is_ok()
}

/// The E.164 form (`+77011234567`) of a Kazakhstan mobile number typed in any usual way
/// (`8 701 123 45 67`, `+7 (701) 123-45-67`); an error says why another input is refused.
#[uniffi::export]
pub fn normalize_phone(input: String) -> Result<String, MobileError> {
    egov_core::identity::Phone::parse(&input).map(|p| p.as_str().to_string()).map_err(invalid)
}

/// What a scanned QR code is for this deployment.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ScannedCode {
    /// A one-time document share: redeem it with the token.
    Share { token: String },
    /// A website login request: send the whole scanned URL to the web-login scan endpoint.
    WebLogin { secret: String },
    /// A website signing request: fetch it by id.
    SignRequest { id: String },
    /// Not one of ours (another site, plain text, a look-alike domain): show a warning.
    NotOurs,
}

/// Reads a scanned text against the deployment's public URL (`https://...`, exactly).
#[uniffi::export]
pub fn parse_scanned(text: String, public_url: String) -> ScannedCode {
    match egov_core::qr::parse_scanned(&text, &public_url) {
        egov_core::qr::Scanned::Share { token } => ScannedCode::Share { token },
        egov_core::qr::Scanned::WebLogin { secret } => ScannedCode::WebLogin { secret },
        egov_core::qr::Scanned::SignRequest { id } => ScannedCode::SignRequest { id },
        egov_core::qr::Scanned::NotOurs => ScannedCode::NotOurs,
    }
}

/// The QR code of `text` as an SVG document, drawn exactly as the server draws it.
#[uniffi::export]
pub fn qr_svg(text: String) -> Result<String, MobileError> {
    egov_core::qr::render_svg(&text).map_err(invalid)
}

/// The QR code of `text` as rows of modules (`true` = dark), without the quiet zone, for native drawing.
#[uniffi::export]
pub fn qr_matrix(text: String) -> Result<Vec<Vec<bool>>, MobileError> {
    egov_core::qr::render_matrix(&text).map_err(invalid)
}

/// A verified signed document: its payload as JSON text, and who it was issued to view it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct VerifiedPayload {
    /// The payload (JSON) of the signed copy or receipt.
    pub payload_json: String,
    /// The key id that signed it.
    pub key_id: String,
}

fn verify_with(
    token: &str,
    jwks_json: &str,
    f: fn(&str, &serde_json::Value) -> Result<egov_core::jws::Verified, egov_core::jws::JwsError>,
) -> Result<VerifiedPayload, MobileError> {
    let jwks: serde_json::Value =
        serde_json::from_str(jwks_json).map_err(|e| invalid(format!("the key set is not JSON: {e}")))?;
    let v = f(token, &jwks).map_err(|e| MobileError::InvalidSignature { reason: e.to_string() })?;
    Ok(VerifiedPayload {
        payload_json: v.payload.to_string(),
        key_id: v.header["kid"].as_str().unwrap_or_default().to_string(),
    })
}

/// Verifies a signed document copy offline against the server's JWKS (`/.well-known/jwks.json`, kept
/// by the app).
#[uniffi::export]
pub fn verify_document_copy(copy: String, jwks_json: String) -> Result<VerifiedPayload, MobileError> {
    verify_with(&copy, &jwks_json, egov_core::sharing::verify_copy)
}

/// Verifies a signed fine receipt offline against the server's JWKS.
#[uniffi::export]
pub fn verify_receipt(receipt: String, jwks_json: String) -> Result<VerifiedPayload, MobileError> {
    verify_with(&receipt, &jwks_json, egov_core::fines::verify_receipt)
}

/// Seconds left before a share expires (0 once it has): the countdown the app shows.
#[uniffi::export]
pub fn share_seconds_left(expires_at_unix: i64, now_unix: i64) -> i64 {
    let at = |s: i64| DateTime::<Utc>::from_timestamp(s, 0).unwrap_or_default();
    egov_core::sharing::seconds_left(at(expires_at_unix), at(now_unix))
}

/// The latest instant (unix seconds) a share created at `created_at_unix` may be extended to (30 minutes
/// after creation): the app disables "extend" once the expiry reaches it.
#[uniffi::export]
pub fn share_max_expiry(created_at_unix: i64) -> i64 {
    created_at_unix + egov_core::sharing::SHARE_MAX_LIFETIME.num_seconds()
}

/// A fine's discount for display, computed by the same rule as the server.
#[derive(Debug, Clone, uniffi::Record)]
pub struct DiscountView {
    pub eligible: bool,
    /// `YYYY-MM-DD`, or `None` while a camera fine's notice is not delivered.
    pub last_day: Option<String>,
    /// The discounted amount in tiyn.
    pub amount_tiyn: i64,
    /// What is due at `now` in tiyn.
    pub due_now_tiyn: i64,
}

/// The discount of a fine: `recorded_by` is `officer` or `camera`, dates are `YYYY-MM-DD`,
/// `calendar_years_json` are the server's calendar files (a JSON array of the year files' contents).
#[uniffi::export]
pub fn fine_discount(
    recorded_by: String,
    notice_date: String,
    delivered_on: Option<String>,
    excluded: Option<String>,
    amount_tiyn: i64,
    calendar_years_json: String,
    now_unix: i64,
) -> Result<DiscountView, MobileError> {
    let date = |s: &str| s.parse::<NaiveDate>().map_err(|_| invalid(format!("{s} is not YYYY-MM-DD")));
    let years: Vec<serde_json::Value> = serde_json::from_str(&calendar_years_json).map_err(invalid)?;
    let texts: Vec<String> = years.iter().map(|y| y.to_string()).collect();
    let calendar = egov_core::fines::Calendar::load(texts.iter().map(String::as_str)).map_err(invalid)?;
    let facts = FineFacts {
        recorded_by: match recorded_by.as_str() {
            "officer" => RecordedBy::Officer,
            "camera" => RecordedBy::Camera,
            other => return Err(invalid(format!("recorded_by {other:?} is not officer or camera"))),
        },
        notice_date: date(&notice_date)?,
        delivered_on: delivered_on.as_deref().map(date).transpose()?,
        excluded: excluded
            .map(|e| serde_json::from_value::<Exclusion>(serde_json::json!(e)).map_err(invalid))
            .transpose()?,
        appealed: false,
        amount: Tiyn(amount_tiyn),
    };
    let now = DateTime::<Utc>::from_timestamp(now_unix, 0).unwrap_or_default();
    let d = facts.discount(&calendar).map_err(invalid)?;
    let due = facts.amount_due(&calendar, now).map_err(invalid)?;
    Ok(DiscountView {
        eligible: d.eligible,
        last_day: d.last_day.map(|l| l.to_string()),
        amount_tiyn: d.amount.0,
        due_now_tiyn: due.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_facade_answers_as_core_does() {
        assert!(is_valid_iin("871008401427".into()));
        assert!(!is_valid_iin("871008401428".into()));
        assert_eq!(normalize_phone("8 701 000 00 01".into()).unwrap(), "+77010000001");
        assert!(matches!(normalize_phone("+7 717 212 34 56".into()), Err(MobileError::InvalidInput { .. })));
        assert_eq!(
            parse_scanned("https://egov.kz/s/abc".into(), "https://egov.kz".into()),
            ScannedCode::Share { token: "abc".into() }
        );
        assert_eq!(parse_scanned("https://egov.kz.evil/s/abc".into(), "https://egov.kz".into()), ScannedCode::NotOurs);
        assert!(qr_svg("https://egov.kz/s/abc".into()).unwrap().contains("<svg"));
        assert_eq!(share_max_expiry(1_000), 2_800);
        assert_eq!(share_seconds_left(1_300, 1_000), 300);
    }

    #[test]
    fn the_discount_for_display_is_the_servers_rule() {
        let years = format!("[{}]", egov_core::fines::SHIPPED_CALENDARS[0]);
        let now = DateTime::parse_from_rfc3339("2022-08-05T06:00:00Z").unwrap().timestamp();
        let d = fine_discount("officer".into(), "2022-08-01".into(), None, None, 1_297_500, years, now).unwrap();
        assert_eq!(d.last_day.as_deref(), Some("2022-08-10"));
        assert_eq!((d.amount_tiyn, d.due_now_tiyn), (648_750, 648_750));
    }

    #[test]
    fn a_forged_copy_is_a_typed_error() {
        let err = verify_document_copy("a.b.c".into(), r#"{"keys": []}"#.into()).unwrap_err();
        assert!(matches!(err, MobileError::InvalidSignature { .. }));
    }
}
