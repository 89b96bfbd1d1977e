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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct WebLoginPrompt {
    pub request_id: String,
    pub site: String,
    pub browser: String,
    pub os: String,
    pub city: Option<String>,
    #[serde(with = "time")]
    pub requested_at: SystemTime,
    #[serde(with = "time")]
    pub expires_at: SystemTime,
}

/// A website's request to sign a document by QR code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SignRequest {
    pub request_id: String,
    pub organisation: String,
    /// What is signed, by language code.
    pub description: HashMap<String, String>,
    /// SHA-256 of the document, hex.
    pub digest: String,
    pub status: SignStatus,
    /// The exact bytes the device key signs, base64url.
    pub message: String,
    #[serde(with = "time")]
    pub expires_at: SystemTime,
    pub signer_name: Option<String>,
    pub public_key: Option<String>,
    pub signature: Option<String>,
    #[serde(with = "time::option")]
    pub signed_at: Option<SystemTime>,
}

// ----- request bodies ------------------------------------------------------------------------------

/// `POST /v1/web-login/scan`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanRequest {
    pub qr_url: String,
}

/// `POST /v1/web-login/requests/{id}/approve`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckCode {
    /// The two digits (10-99) the browser shows.
    pub check_code: u8,
}

/// `POST /v1/sign-requests/{id}/sign`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignatureBody {
    pub key_id: String,
    /// The signature of the request's message, base64url.
    pub signature: String,
}
