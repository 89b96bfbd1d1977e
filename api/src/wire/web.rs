//! Signing in to a website by QR code, and signing a website's request by QR code.

use super::{time, wire_enum};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::SystemTime;

wire_enum! {
    /// Where a website's signing request stands.
    SignStatus {
        /// Waiting for the citizen.
        Pending = "pending",
        Signed = "signed",
        Expired = "expired",
    }
}

/// A scanned website login request: show who asks (the website's registered name), the browser, city and
/// time, and ask the citizen to type the two digits the browser shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct WebLoginPrompt {
    pub request_id: String,
    pub site: String,
    pub browser: String,
    pub os: String,
    pub city: Option<String>,
    #[serde(with = "time")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    pub requested_at: SystemTime,
    #[serde(with = "time")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    pub expires_at: SystemTime,
}

/// A website's request to sign a document by QR code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SignRequest {
    pub request_id: String,
    pub organisation: String,
    /// What is signed, by language code.
    #[cfg_attr(feature = "utoipa", schema(value_type = Object))]
    pub description: HashMap<String, String>,
    /// SHA-256 of what is signed, hex.
    pub digest: String,
    pub status: SignStatus,
    /// The exact bytes to sign (base64url): `egov-mobile/sign-request/v2\n{request_id}\n{digest}\n
    /// {organisation_id}\n{organisation}\n{sha256 of the descriptions shown}`.
    pub message: String,
    #[serde(with = "time")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    pub expires_at: SystemTime,
    pub signer_name: Option<String>,
    pub public_key: Option<String>,
    pub signature: Option<String>,
    #[serde(with = "time::option")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<String>, format = DateTime))]
    pub signed_at: Option<SystemTime>,
}

// ----- request bodies ------------------------------------------------------------------------------

/// `POST /v1/web-login/scan`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// The scanned text, `{PUBLIC_URL}/ql/{secret}`.
    pub qr_url: String,
}

/// `POST /v1/web-login/requests/{id}/approve`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CheckCode {
    /// The two digits the citizen typed from the browser's screen (10-99).
    #[cfg_attr(feature = "utoipa", schema(minimum = 10, maximum = 99))]
    pub check_code: u8,
}

/// `POST /v1/sign-requests/{id}/sign`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignatureBody {
    /// The enrolled device key's id.
    pub key_id: String,
    /// The device's signature over the request message, base64url.
    pub signature: String,
}
