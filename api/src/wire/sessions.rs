//! Sign-in, registration, devices and the citizen's sessions.

use super::{time, wire_enum};
use serde::{Deserialize, Serialize};
use std::time::SystemTime;

wire_enum! {
    /// How strongly a session was opened.
    Acr {
        /// An SMS code: a limited session (documents, fines, sharing; no phone change, no signing).
        Otp = "otp",
        /// The device key (digital signature): a full session.
        Eds = "eds",
    }
}

wire_enum! {
    /// Where a session lives.
    SessionClient {
        /// The mobile app.
        App = "app",
        /// A website signed in by QR code.
        Web = "web",
    }
}

wire_enum! {
    /// Where an enrolled device key stands.
    DeviceStatus {
        /// It signs.
        Active = "active",
        /// It waits for an enrolled device to approve it with the pairing code.
        AwaitingApproval = "awaiting_approval",
        /// It signs once the hold ends (`active_from`); the citizen's other devices can cancel it.
        OnHold = "on_hold",
    }
}

/// A started SMS code flow (sign-in, registration or phone change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OtpFlow {
    pub flow_id: String,
    /// Seconds the code stays valid (300).
    pub expires_in: i64,
    /// Seconds before another code may be requested (60).
    pub resend_after: i64,
}

/// The tokens of a citizen's session, for the app to keep in encrypted storage (the Android Keystore, the
/// iOS Keychain) and give back after a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SessionTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub acr: Acr,
    pub session_id: String,
}

/// A sign-in's or refresh's answer: the tokens and the access token's lifetime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenAnswer {
    #[serde(flatten)]
    pub tokens: SessionTokens,
    /// Seconds the access token lives.
    pub expires_in: i64,
}

/// What a sign-in opened.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Session {
    pub acr: Acr,
    pub session_id: String,
    /// Seconds the access token is valid (the client refreshes it by itself).
    pub expires_in: i64,
}

/// An organisation's access token (client credentials).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrgToken {
    pub access_token: String,
    pub expires_in: i64,
}

/// A challenge for a digital-signature sign-in: sign `message` with the device key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EdsChallenge {
    pub challenge_id: String,
    /// Seconds the challenge lives.
    pub expires_in: i64,
    /// The exact bytes to sign, base64url.
    pub message: String,
}

/// A pending device enrolment: sign `message` with the device key to complete it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Enrolment {
    pub enrolment_id: String,
    pub enrolment_token: String,
    pub expires_in: i64,
    /// The bytes to sign, base64url.
    pub message: String,
    /// `approval` enrolments: the code this device shows.
    #[serde(default)]
    pub pairing_code: Option<String>,
}

/// A device key enrolled: whether it signs now, and (registration only) the first session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Enrolled {
    /// The key id to name in a digital-signature sign-in.
    pub device_id: String,
    pub status: DeviceStatus,
    /// When the key first signs (absent while it awaits approval).
    #[serde(default, with = "time::option")]
    pub active_from: Option<SystemTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TokenAnswer>,
}

/// This device's key waiting for an enrolled device's approval: show `pairing_code` on screen.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DeviceApproval {
    pub device_id: String,
    /// Six digits the enrolled device types to approve this one.
    pub pairing_code: String,
}

/// A person as a document names them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Person {
    pub iin: String,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub surname_lat: String,
    pub given_name_lat: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
}

/// The signed-in citizen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Profile {
    /// An opaque id (never the IIN).
    pub citizen_id: String,
    #[serde(flatten)]
    pub person: Person,
    pub phone: Option<String>,
    pub acr: Acr,
    pub session_id: String,
}

/// One of the citizen's sessions (this phone, other phones, websites signed in by QR).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DeviceSession {
    pub id: String,
    pub acr: Acr,
    pub client: SessionClient,
    pub device: Option<String>,
    pub user_agent: Option<String>,
    #[serde(with = "time")]
    pub created_at: SystemTime,
    #[serde(with = "time")]
    pub last_used_at: SystemTime,
    #[serde(with = "time")]
    pub expires_at: SystemTime,
    /// The session this client uses.
    pub current: bool,
}

// ----- request bodies ------------------------------------------------------------------------------

/// `POST /v1/auth/otp/start`, `/v1/registration/start`, `/v1/me/phone/start`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhoneRequest {
    pub phone: String,
}

/// `POST /v1/auth/otp/verify`, `/v1/me/phone/confirm`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeRequest {
    pub flow_id: String,
    pub code: String,
}

/// `POST /v1/auth/eds/challenge`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChallengeRequest {
    pub iin: String,
}

/// `POST /v1/auth/eds/verify`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedChallenge {
    pub challenge_id: String,
    pub key_id: String,
    /// The signature of the challenge's message, base64url.
    pub signature: String,
}

/// `POST /v1/auth/refresh`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// `POST /v1/registration/verify`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegistrationVerify {
    pub flow_id: String,
    pub code: String,
    pub iin: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// The liveness session the app completed, when the deployment asks for one.
    pub evidence: Option<String>,
}

/// How a new device key is vouched for (`POST /v1/me/devices/enrolment`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum EnrolmentRequest {
    /// Identity re-proofing: the liveness session the app completed.
    Identity { evidence: String },
    /// An enrolled device approves it with the pairing code.
    Approval,
}

/// The device key's proof of possession (`POST /v1/registration/complete`, `/v1/me/devices`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceKey {
    pub enrolment_token: String,
    /// The public key, base64url (SubjectPublicKeyInfo DER or the uncompressed point).
    pub public_key: String,
    /// The signature of the enrolment's message, base64url.
    pub signature: String,
    pub device_name: String,
}

/// `POST /v1/me/devices/{id}/approve`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairingCode {
    pub pairing_code: String,
}
