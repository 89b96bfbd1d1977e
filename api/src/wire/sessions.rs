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
        /// A browser session born from a website QR login: it reads and pays, and never enrols, signs,
        /// shares, changes the phone or ends other sessions.
        Web = "web",
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
    /// How a device key is vouched for.
    EnrolmentMethod {
        /// The first key, at registration (the SMS code and the registry check).
        Registration = "registration",
        /// An enrolled device approves it with the pairing code.
        Approval = "approval",
        /// Identity re-proofing with evidence, then a hold.
        Identity = "identity",
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
        /// Cancelled or revoked: it never signs again.
        Revoked = "revoked",
    }
}

/// A started SMS code flow (sign-in, registration or phone change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SessionTokens {
    /// ES256 JWT, 10 minutes.
    pub access_token: String,
    /// Opaque, single use: each refresh returns the next one.
    pub refresh_token: String,
    pub acr: Acr,
    pub session_id: String,
}

/// A sign-in's or refresh's answer: the tokens and the access token's lifetime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct TokenAnswer {
    #[serde(flatten)]
    pub tokens: SessionTokens,
    /// Always `Bearer`.
    pub token_type: String,
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
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct OrgToken {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_in: i64,
    /// The granted scopes, space-separated.
    pub scope: String,
}

/// A challenge for a digital-signature sign-in: sign `message` with the device key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct EdsChallenge {
    pub challenge_id: String,
    /// 256 random bits, base64url.
    pub nonce: String,
    /// Seconds the challenge lives (120).
    pub expires_in: i64,
    /// The exact bytes to sign (base64url): `egov-mobile/eds-login/v1\n{challenge_id}\n{nonce}\n{iin}`.
    pub message: String,
}

/// A pending device enrolment: sign `message` with the device key to complete it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Enrolment {
    pub enrolment_id: String,
    /// Single use; present it with the device key to complete.
    pub enrolment_token: String,
    pub expires_in: i64,
    /// The exact bytes the device signs (base64url): `egov-mobile/enrol-device/v1\n{enrolment_id}\n{iin}`.
    pub message: String,
    /// How the key is proven.
    pub method: EnrolmentMethod,
    /// `approval` only: the code this device shows and the enrolled device types to approve it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing_code: Option<String>,
    /// `identity` only: how long after completion the key waits before it signs (the citizen's enrolled
    /// devices and registered phone are told and can cancel it meanwhile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_seconds: Option<i64>,
}

/// A device key enrolled: whether it signs now, and (registration only) the first session.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Enrolled {
    /// The key id to name in a digital-signature sign-in.
    pub device_id: String,
    pub status: DeviceStatus,
    /// When the key first signs (`on_hold`: the end of the hold; absent while it awaits approval).
    #[serde(default, with = "time::option")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<String>, format = DateTime))]
    pub active_from: Option<SystemTime>,
    /// Registration only: the new session.
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
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Profile {
    /// An opaque id (never the IIN).
    pub citizen_id: String,
    #[serde(flatten)]
    pub person: Person,
    pub phone: Option<String>,
    /// The level of the session making this request.
    pub acr: Acr,
    pub session_id: String,
}

/// One of the citizen's sessions (this phone, other phones, websites signed in by QR).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DeviceSession {
    pub id: String,
    pub acr: Acr,
    pub client: SessionClient,
    pub device: Option<String>,
    pub user_agent: Option<String>,
    #[serde(with = "time")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    pub created_at: SystemTime,
    #[serde(with = "time")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    pub last_used_at: SystemTime,
    #[serde(with = "time")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    pub expires_at: SystemTime,
    /// The session making this request.
    pub current: bool,
}

// ----- request bodies ------------------------------------------------------------------------------

/// `POST /v1/auth/otp/start`, `/v1/registration/start`, `/v1/me/phone/start`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PhoneRequest {
    /// A Kazakhstan mobile number (`+7 701 ...`, `8 701 ...`).
    #[cfg_attr(feature = "utoipa", schema(format = "kz-mobile-phone"))]
    pub phone: String,
}

/// `POST /v1/auth/otp/verify`, `/v1/me/phone/confirm`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    pub flow_id: String,
    /// The 6 digits from the SMS.
    pub code: String,
}

/// `POST /v1/auth/eds/challenge`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
    /// The twelve-digit individual identification number.
    #[cfg_attr(feature = "utoipa", schema(format = "kz-iin"))]
    pub iin: String,
}

/// `POST /v1/auth/eds/verify`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignedChallenge {
    pub challenge_id: String,
    /// The device id returned at enrolment.
    pub key_id: String,
    /// ECDSA P-256 SHA-256 signature of the challenge message, DER or 64-byte r||s, base64url.
    pub signature: String,
}

/// `POST /v1/auth/refresh`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// `POST /v1/registration/verify`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegistrationVerify {
    pub flow_id: String,
    pub code: String,
    /// The twelve-digit individual identification number.
    #[cfg_attr(feature = "utoipa", schema(format = "kz-iin"))]
    pub iin: String,
    /// `YYYY-MM-DD`
    #[cfg_attr(feature = "utoipa", schema(format = Date))]
    pub birth_date: String,
    /// The biometric/liveness session the app completed (checked by the identity adapter). Required:
    /// a registration without identity evidence is refused with 422 `evidence-required`.
    #[serde(default)]
    pub evidence: Option<String>,
}

wire_enum! {
    /// How a further device key is proven.
    ProofMethod {
        /// An enrolled device, signed in with its key (`eds`), approves this one with the code both show.
        Approval = "approval",
        /// Identity re-proofing with evidence; the key then waits out a hold (24 h by default) during
        /// which every enrolled device and the registered phone are told and can cancel it.
        Identity = "identity",
    }
}

/// How a new device key is vouched for (`POST /v1/me/devices/enrolment`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnrolmentRequest {
    pub method: ProofMethod,
    /// `identity` only: the biometric/liveness session the app completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// The device key's proof of possession (`POST /v1/registration/complete`, `/v1/me/devices`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceKey {
    pub enrolment_token: String,
    /// P-256 public key: SubjectPublicKeyInfo DER or 65-byte uncompressed point, base64 or base64url.
    pub public_key: String,
    /// The device's signature over the enrolment message (proof that it holds the key).
    pub signature: String,
    pub device_name: String,
}

/// `POST /v1/me/devices/{id}/approve`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PairingCode {
    /// The six-digit code the new device shows.
    pub pairing_code: String,
}
