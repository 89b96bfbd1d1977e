//! `EgovClient`: a typed, blocking client of the whole HTTP API for the apps.
//!
//! Blocking on purpose: the apps call it from a background dispatcher (Kotlin `Dispatchers.IO`, a Swift
//! `Task.detached`), and no async runtime or hidden thread lives inside the library. Tokens stay inside
//! the client: it refreshes an expired access token once and retries, and hands the tokens out only
//! through [`EgovClient::export_session`] for the app to keep in its encrypted storage.

use crate::MobileError;
use crate::signer::PlatformSigner;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// An access token this close to its expiry is refreshed before use.
const REFRESH_MARGIN: Duration = Duration::from_secs(30);
/// The largest answer the client reads (a document photo is well under it).
const MAX_BODY: u64 = 8 * 1024 * 1024;

// ----- records -------------------------------------------------------------------------------------

/// A started SMS code flow (sign-in, registration or phone change).
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct OtpFlow {
    pub flow_id: String,
    /// Seconds the code stays valid (300).
    pub expires_in: i64,
    /// Seconds before another code may be requested (60).
    pub resend_after: i64,
}

/// The tokens of a citizen's session, for the app to keep in encrypted storage (Android Keystore-backed
/// preferences, the iOS Keychain) and give back with [`EgovClient::restore_session`].
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct SessionTokens {
    pub access_token: String,
    pub refresh_token: String,
    /// `otp` (limited) or `eds` (full: signed with the device key).
    pub acr: String,
    pub session_id: String,
}

/// What a sign-in opened.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Session {
    /// `otp` (limited) or `eds` (full).
    pub acr: String,
    pub session_id: String,
    /// Seconds the access token is valid (the client refreshes it by itself).
    pub expires_in: i64,
}

/// A pending device enrolment: sign `message` with the device key to complete it.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
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

/// A device enrolment completed on this device; it waits for approval or its hold.
#[derive(Debug, Clone, Deserialize)]
struct Enrolled {
    device_id: String,
    #[serde(skip)]
    pairing_code: Option<String>,
}

/// This device's key waiting for an enrolled device's approval: show `pairing_code` on screen.
#[derive(Debug, Clone, uniffi::Record)]
pub struct DeviceApproval {
    pub device_id: String,
    /// Six digits the enrolled device types to approve this one.
    pub pairing_code: String,
}

/// The signed-in citizen.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct Profile {
    /// An opaque id (never the IIN).
    pub citizen_id: String,
    #[serde(flatten)]
    pub person: Person,
    pub phone: Option<String>,
    pub acr: String,
    pub session_id: String,
}

/// One of the citizen's sessions (this phone, other phones, websites signed in by QR).
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct DeviceSession {
    pub id: String,
    pub acr: String,
    /// `app` or `web`.
    pub client: String,
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

/// A document in the list.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct DocumentSummary {
    pub id: String,
    /// `national_id`, `driving_licence`, `vehicle_registration`, ... (new kinds may appear).
    pub kind: String,
    /// The title in the requested language.
    pub title: String,
    /// Titles by language code (`kk`, `ru`, `en`).
    pub titles: HashMap<String, String>,
    pub number: String,
    /// `valid`, `expired` or `revoked`.
    pub status: String,
    pub revoked_reason: Option<String>,
    pub issued_on: String,
    pub expires_on: Option<String>,
    /// The agency registry the document comes from.
    pub source: String,
    pub source_name: String,
    /// When the agency last confirmed the document.
    #[serde(with = "time")]
    pub checked_at: SystemTime,
}

/// The state of one agency registry for this citizen.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct SourceState {
    pub source: String,
    #[serde(with = "opt_time")]
    pub checked_at: Option<SystemTime>,
    /// Set while the registry cannot be asked: the app shows the documents as last confirmed.
    #[serde(with = "opt_time")]
    pub unavailable_since: Option<SystemTime>,
}

/// The citizen's documents.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct DocumentList {
    pub documents: Vec<DocumentSummary>,
    pub sources: Vec<SourceState>,
}

/// A person as a document names them.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct Person {
    pub iin: String,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub surname_lat: String,
    pub given_name_lat: String,
    pub birth_date: String,
}

/// One document with every field.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct DocumentDetail {
    #[serde(flatten)]
    pub summary: DocumentSummary,
    pub holder: Person,
    /// The kind's fields as a JSON object (multilingual values are `{kk, ru, en}` objects).
    #[serde(rename = "fields", with = "json_text")]
    pub fields_json: String,
    /// Field labels in the requested language, by field name.
    pub labels: HashMap<String, String>,
    /// The photo: fetch it with [`EgovClient::document_photo`].
    pub photo_url: String,
}

/// What one registry answered to a refresh.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct SourceOutcome {
    pub source: String,
    /// `ok` or `unavailable`.
    pub status: String,
    pub added: u32,
    pub updated: u32,
    pub reason: Option<String>,
}

/// The result of asking every registry again.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct RefreshReport {
    /// `false` when some registry did not answer: its documents stay as last confirmed.
    pub complete: bool,
    pub added: u32,
    pub updated: u32,
    pub sources: Vec<SourceOutcome>,
    pub documents: Vec<DocumentSummary>,
}

/// An "Open access" share of a document.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct DocumentShare {
    pub share_id: String,
    pub document_id: String,
    /// What the QR code holds (draw it with `qrMatrix` or `qrSvg`).
    pub qr_url: String,
    /// 12 digits in groups of four (`0936 8571 8779`) the citizen can read out instead of showing the QR.
    pub short_code: String,
    /// `full`, `identity`, `age_over_18` or `vehicle`.
    pub preset: String,
    /// `active`, `used`, `expired` or `revoked`.
    pub state: String,
    #[serde(with = "time")]
    pub created_at: SystemTime,
    #[serde(with = "time")]
    pub expires_at: SystemTime,
    /// The latest the share can be extended to (30 minutes after creation).
    #[serde(with = "time")]
    pub max_expires_at: SystemTime,
    pub seconds_left: i64,
    /// Who viewed it, once used.
    pub viewed_by: Option<String>,
    #[serde(with = "opt_time")]
    pub viewed_at: Option<SystemTime>,
}

/// A share after an extension.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct ExtendedShare {
    #[serde(flatten)]
    pub share: DocumentShare,
    /// `true` when the 30-minute ceiling cut the extension short.
    pub capped: bool,
}

/// A redeemed share: the signed copy and what it discloses.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct RedeemedCopy {
    pub share_id: String,
    /// The signed copy (compact JWS): check it with `verifyDocumentCopy` against [`EgovClient::jwks`].
    pub copy: String,
    /// The disclosed document as JSON (the same as the copy's payload).
    #[serde(rename = "document", with = "json_text")]
    pub document_json: String,
    /// Labels of the disclosed fields by language, as JSON.
    #[serde(rename = "labels", with = "json_text")]
    pub labels_json: String,
}

/// Whether the document behind a signed copy is still valid.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct CopyStatus {
    pub share_id: String,
    /// `valid`, `expired` or `revoked`.
    pub document_status: String,
    #[serde(with = "opt_time")]
    pub revoked_at: Option<SystemTime>,
    #[serde(with = "time")]
    pub checked_at: SystemTime,
}

/// An entry of the citizen's history (sign-ins, views of their documents, payments...).
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct HistoryEntry {
    pub id: String,
    #[serde(with = "time")]
    pub at: SystemTime,
    pub kind: String,
    #[serde(rename = "detail", with = "json_text")]
    pub detail_json: String,
}

/// A notification (a document viewed, a fine issued, a discount ending...).
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct Notification {
    pub id: String,
    #[serde(with = "time")]
    pub at: SystemTime,
    pub kind: String,
    #[serde(rename = "body", with = "json_text")]
    pub body_json: String,
}

/// A scanned website login request: show who asks (the website's registered name), the browser, city and
/// time, and ask the citizen to type the two digits the browser shows.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
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
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct SignRequest {
    pub request_id: String,
    pub organisation: String,
    /// What is signed, by language code.
    pub description: HashMap<String, String>,
    /// SHA-256 of the document, hex.
    pub digest: String,
    /// `pending`, `signed` or `expired`.
    pub status: String,
    #[serde(with = "time")]
    pub expires_at: SystemTime,
    pub signer_name: Option<String>,
    pub signature: Option<String>,
    #[serde(with = "opt_time")]
    pub signed_at: Option<SystemTime>,
}

/// An amount in tiyn (1/100 tenge).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, uniffi::Record)]
pub struct Money {
    pub tiyn: i64,
    /// Always `KZT`.
    pub currency: String,
}

/// The 50% discount of a fine.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct FineDiscount {
    pub eligible: bool,
    /// The last day (Almaty) of the discount, `YYYY-MM-DD`; `None` while a camera fine is undelivered.
    pub last_day: Option<String>,
    pub amount: Money,
}

/// A traffic fine as the citizen sees it.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct Fine {
    pub id: String,
    /// `unpaid`, `processing` or `paid`.
    pub status: String,
    pub amount: Money,
    /// What paying now costs (the discounted amount while the discount lasts).
    pub amount_due: Money,
    pub discount: FineDiscount,
    pub protocol_number: String,
    pub article: String,
    pub description: String,
    pub amount_mci: i64,
    pub case_opened_on: String,
    /// `officer` or `camera`.
    pub recorded_by: String,
    pub notice_date: String,
    pub delivered_on: Option<String>,
    pub vehicle_plate: Option<String>,
    pub city: String,
    pub payment_deadline: Option<String>,
    /// Past the voluntary period: licence services are refused until it is paid.
    pub overdue: bool,
    #[serde(with = "opt_time")]
    pub paid_at: Option<SystemTime>,
}

/// How a fine is paid.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum PaymentMethod {
    /// A card the acquirer tokenised in its own SDK.
    Card { card_token: String },
    /// From the mobile balance of a number.
    PhoneBalance { phone: String },
    /// A QR code to pay in the citizen's bank app.
    BankQr,
}

/// An electronic receipt (signed).
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct Receipt {
    pub id: String,
    pub fine_id: String,
    pub protocol_number: String,
    pub amount: Money,
    #[serde(with = "time")]
    pub paid_at: SystemTime,
    /// Compact JWS: check it with `verifyReceipt` against [`EgovClient::jwks`].
    pub jws: String,
    /// What the receipt's QR code holds.
    pub qr_url: String,
}

/// Where a payment stands.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum PaymentResult {
    /// Paid: the receipt.
    Paid { payment_id: String, receipt: Receipt },
    /// Waiting for the citizen's bank (bank QR): show `qr_payload`.
    Pending { payment_id: String, qr_payload: Option<String> },
    /// The acquirer has not answered yet: ask again with the same idempotency key.
    Processing { payment_id: String },
}

/// Whether a service is open to the citizen.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Eligibility {
    pub allowed: bool,
    /// The reasons for a refusal, as JSON (`[{code, detail, fines}]`).
    pub reasons_json: String,
}

// ----- the client ----------------------------------------------------------------------------------

enum Credentials {
    None,
    Citizen { tokens: SessionTokens, fresh_until: Option<Instant> },
    Organisation { client_id: String, client_secret: String, access_token: String, fresh_until: Instant },
}

/// The typed client of the eGov Mobile HTTP API. Every method blocks: call it off the main thread. One
/// client holds one session (a citizen's, or an organisation's for a verifier app); it is safe to share
/// between threads.
#[derive(uniffi::Object)]
pub struct EgovClient {
    base: String,
    agent: ureq::Agent,
    credentials: Mutex<Credentials>,
    /// Serialises refreshes so concurrent calls spend the refresh token once.
    refreshing: Mutex<()>,
}

#[derive(Deserialize)]
struct WireTokens {
    #[serde(flatten)]
    tokens: SessionTokens,
    expires_in: i64,
}

#[derive(Deserialize)]
struct WireOrgToken {
    access_token: String,
    expires_in: i64,
}

enum Body {
    Empty,
    Json(Value),
    Form(String),
}

enum Auth {
    None,
    Bearer,
}

struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn json<T: DeserializeOwned>(&self) -> Result<T, MobileError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| unexpected(self.status, format!("the server's answer could not be read: {e}")))
    }
}

#[uniffi::export]
impl EgovClient {
    /// A client of the deployment at `base_url` (`https://mobile.egov.kz`; `http://` only for a local
    /// development server).
    #[uniffi::constructor]
    pub fn new(base_url: String) -> Result<Arc<Self>, MobileError> {
        let base = base_url.trim_end_matches('/').to_string();
        let valid = (base.starts_with("https://") || base.starts_with("http://"))
            && base.len() > "https://".len()
            && !base.contains(['?', '#', ' ']);
        if !valid {
            return Err(crate::invalid(format!("{base_url:?} is not an http(s) base URL")));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .user_agent(concat!("egov-mobile/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Arc::new(EgovClient { base, agent, credentials: Mutex::new(Credentials::None), refreshing: Mutex::new(()) }))
    }

    /// The deployment's base URL (what scanned codes are checked against with `parseScanned`).
    pub fn base_url(&self) -> String {
        self.base.clone()
    }

    // --- sessions ---

    /// Sends a sign-in code by SMS. Every valid mobile number gets the same answer; only registered
    /// numbers receive a code.
    pub fn start_otp(&self, phone: String) -> Result<OtpFlow, MobileError> {
        self.call("POST", "/v1/auth/otp/start", Auth::None, Body::Json(json!({"phone": phone})), &[])?.json()
    }

    /// Checks the SMS code and opens a limited (`otp`) session held by this client.
    pub fn verify_otp(&self, flow_id: String, code: String) -> Result<Session, MobileError> {
        let answer = self.call(
            "POST",
            "/v1/auth/otp/verify",
            Auth::None,
            Body::Json(json!({"flow_id": flow_id, "code": code})),
            &[],
        )?;
        self.keep_session(answer.json()?)
    }

    /// Signs in with the device key (a full `eds` session): asks for a challenge, has the platform sign
    /// it and sends the signature.
    pub fn sign_in_with_key(
        &self,
        iin: String,
        device_id: String,
        signer: Arc<dyn PlatformSigner>,
    ) -> Result<Session, MobileError> {
        #[derive(Deserialize)]
        struct Challenge {
            challenge_id: String,
            message: String,
        }
        let challenge: Challenge =
            self.call("POST", "/v1/auth/eds/challenge", Auth::None, Body::Json(json!({"iin": iin})), &[])?.json()?;
        let signature = sign_b64(&*signer, &challenge.message)?;
        let body = json!({"challenge_id": challenge.challenge_id, "key_id": device_id, "signature": signature});
        let answer = self.call("POST", "/v1/auth/eds/verify", Auth::None, Body::Json(body), &[])?;
        self.keep_session(answer.json()?)
    }

    /// Registration step 1: a code to the phone being registered.
    pub fn start_registration(&self, phone: String) -> Result<OtpFlow, MobileError> {
        self.call("POST", "/v1/registration/start", Auth::None, Body::Json(json!({"phone": phone})), &[])?.json()
    }

    /// Registration step 2: the code, the IIN and the birth date (checked against the state registry);
    /// `evidence` is the liveness session the app completed, when the deployment asks for one.
    pub fn verify_registration(
        &self,
        flow_id: String,
        code: String,
        iin: String,
        birth_date: String,
        evidence: Option<String>,
    ) -> Result<Enrolment, MobileError> {
        let body =
            json!({"flow_id": flow_id, "code": code, "iin": iin, "birth_date": birth_date, "evidence": evidence});
        self.call("POST", "/v1/registration/verify", Auth::None, Body::Json(body), &[])?.json()
    }

    /// Registration step 3: enrols the device key (proof of possession through `signer`) and opens the
    /// first session. Returns the device id to give to [`EgovClient::sign_in_with_key`] later.
    pub fn complete_registration(
        &self,
        enrolment: Enrolment,
        signer: Arc<dyn PlatformSigner>,
        device_name: String,
    ) -> Result<String, MobileError> {
        #[derive(Deserialize)]
        struct Enrolled {
            device_id: String,
            tokens: Option<WireTokens>,
        }
        let body = enrolment_body(&enrolment, &*signer, &device_name)?;
        let done: Enrolled = self.call("POST", "/v1/registration/complete", Auth::None, body, &[])?.json()?;
        if let Some(tokens) = done.tokens {
            self.keep_session(tokens)?;
        }
        Ok(done.device_id)
    }

    /// Enrols this device's key for the signed-in citizen (a new phone, or a key reset) by identity
    /// re-proofing: `evidence` is the liveness session the app completed. The key signs only after the
    /// server's hold (24 h by default), during which the citizen's other devices and registered phone are
    /// told and can cancel it. Returns the device id.
    pub fn enrol_device(
        &self,
        evidence: String,
        signer: Arc<dyn PlatformSigner>,
        device_name: String,
    ) -> Result<String, MobileError> {
        let body = json!({"method": "identity", "evidence": evidence});
        Ok(self.enrol(body, &*signer, &device_name)?.device_id)
    }

    /// Asks to enrol this device's key with the approval of an already enrolled device: show the returned
    /// `pairing_code` on this screen; the enrolled device, signed in with its key, approves it with
    /// [`EgovClient::approve_device`]. Until then the key signs nothing.
    pub fn request_device_approval(
        &self,
        signer: Arc<dyn PlatformSigner>,
        device_name: String,
    ) -> Result<DeviceApproval, MobileError> {
        let enrolled = self.enrol(json!({"method": "approval"}), &*signer, &device_name)?;
        let pairing_code = enrolled.pairing_code.ok_or_else(|| unexpected(200, "no pairing code".into()))?;
        Ok(DeviceApproval { device_id: enrolled.device_id, pairing_code })
    }

    /// Approves another device of the citizen with the code it shows (needs a key sign-in on this one).
    pub fn approve_device(&self, device_id: String, pairing_code: String) -> Result<(), MobileError> {
        let path = format!("/v1/me/devices/{}/approve", segment(&device_id));
        let body = Body::Json(json!({"pairing_code": pairing_code}));
        self.call("POST", &path, Auth::Bearer, body, &[])?;
        Ok(())
    }

    /// Signs in an organisation (a verifier app) with its client credentials; its token is renewed by
    /// the client when it expires.
    pub fn sign_in_organisation(&self, client_id: String, client_secret: String) -> Result<(), MobileError> {
        self.keep_org_token(client_id, client_secret)
    }

    /// The session's tokens for the app to keep (none when signed out or signed in as an organisation).
    pub fn export_session(&self) -> Option<SessionTokens> {
        match &*self.lock() {
            Credentials::Citizen { tokens, .. } => Some(tokens.clone()),
            _ => None,
        }
    }

    /// Resumes a session kept by the app (after a restart). An expired access token is refreshed on
    /// first use; a session that ended answers `Unauthorized`.
    pub fn restore_session(&self, tokens: SessionTokens) {
        *self.lock() = Credentials::Citizen { tokens, fresh_until: None };
    }

    /// Trades the refresh token for new tokens now (the client also does it by itself when needed).
    pub fn refresh(&self) -> Result<Session, MobileError> {
        let before = self.access_token()?;
        self.refresh_after(&before)
    }

    /// Ends the session on the server and forgets its tokens.
    pub fn logout(&self) -> Result<(), MobileError> {
        let result = self.call("POST", "/v1/auth/logout", Auth::Bearer, Body::Empty, &[]).map(|_| ());
        *self.lock() = Credentials::None;
        result
    }

    /// The signed-in citizen.
    pub fn me(&self) -> Result<Profile, MobileError> {
        self.get("/v1/me")
    }

    /// The citizen's sessions on every device and website.
    pub fn sessions(&self) -> Result<Vec<DeviceSession>, MobileError> {
        self.get("/v1/me/sessions")
    }

    /// Ends one of the citizen's sessions (a lost phone, a website left signed in).
    pub fn revoke_session(&self, session_id: String) -> Result<(), MobileError> {
        self.call("DELETE", &format!("/v1/me/sessions/{}", segment(&session_id)), Auth::Bearer, Body::Empty, &[])
            .map(|_| ())
    }

    /// Phone change step 1 (needs an `eds` session): a code to the new number.
    pub fn start_phone_change(&self, new_phone: String) -> Result<OtpFlow, MobileError> {
        self.call("POST", "/v1/me/phone/start", Auth::Bearer, Body::Json(json!({"phone": new_phone})), &[])?.json()
    }

    /// Phone change step 2: the code sent to the new number. Other sessions end.
    pub fn confirm_phone_change(&self, flow_id: String, code: String) -> Result<(), MobileError> {
        let body = Body::Json(json!({"flow_id": flow_id, "code": code}));
        self.call("POST", "/v1/me/phone/confirm", Auth::Bearer, body, &[]).map(|_| ())
    }

    // --- documents ---

    /// The citizen's documents, titled in `lang` (`kk`, `ru` or `en`).
    pub fn documents(&self, lang: String) -> Result<DocumentList, MobileError> {
        self.call("GET", "/v1/documents", Auth::Bearer, Body::Empty, &[("accept-language", &lang)])?.json()
    }

    /// One document with every field, labelled in `lang`.
    pub fn document(&self, document_id: String, lang: String) -> Result<DocumentDetail, MobileError> {
        let path = format!("/v1/documents/{}", segment(&document_id));
        self.call("GET", &path, Auth::Bearer, Body::Empty, &[("accept-language", &lang)])?.json()
    }

    /// The document's photo (JPEG bytes).
    pub fn document_photo(&self, document_id: String) -> Result<Vec<u8>, MobileError> {
        let path = format!("/v1/documents/{}/photo", segment(&document_id));
        Ok(self.call("GET", &path, Auth::Bearer, Body::Empty, &[])?.body)
    }

    /// Asks every agency registry again. Some registries down: `complete == false` and their documents
    /// stay as last confirmed; all down: `Unavailable`.
    pub fn refresh_documents(&self) -> Result<RefreshReport, MobileError> {
        self.call("POST", "/v1/documents/refresh", Auth::Bearer, Body::Empty, &[])?.json()
    }

    // --- one-time sharing ---

    /// "Open access": a one-time share of a document for `ttl_seconds` (default 300) with a preset
    /// (`full` by default, `identity`, `age_over_18`, `vehicle`).
    pub fn share_document(
        &self,
        document_id: String,
        ttl_seconds: Option<i64>,
        preset: Option<String>,
    ) -> Result<DocumentShare, MobileError> {
        let path = format!("/v1/documents/{}/shares", segment(&document_id));
        let body = Body::Json(json!({"ttl_seconds": ttl_seconds, "preset": preset}));
        self.call("POST", &path, Auth::Bearer, body, &[])?.json()
    }

    /// A share as it stands now (used? by whom?).
    pub fn share(&self, share_id: String) -> Result<DocumentShare, MobileError> {
        self.get(&format!("/v1/shares/{}", segment(&share_id)))
    }

    /// Extends a share by `ttl_seconds` from now, never past 30 minutes after its creation.
    pub fn extend_share(&self, share_id: String, ttl_seconds: i64) -> Result<ExtendedShare, MobileError> {
        let path = format!("/v1/shares/{}/extend", segment(&share_id));
        self.call("POST", &path, Auth::Bearer, Body::Json(json!({"ttl_seconds": ttl_seconds})), &[])?.json()
    }

    /// Withdraws a share before it is used.
    pub fn revoke_share(&self, share_id: String) -> Result<(), MobileError> {
        self.call("DELETE", &format!("/v1/shares/{}", segment(&share_id)), Auth::Bearer, Body::Empty, &[]).map(|_| ())
    }

    /// Redeems a scanned share QR (the whole scanned URL) once: the signed copy.
    pub fn redeem_qr(&self, qr_url: String) -> Result<RedeemedCopy, MobileError> {
        self.redeem(json!({"qr_url": qr_url}))
    }

    /// Redeems a share by the 12-digit short code the citizen read out (spaces and dashes allowed).
    pub fn redeem_short_code(&self, short_code: String) -> Result<RedeemedCopy, MobileError> {
        self.redeem(json!({"short_code": short_code}))
    }

    /// Whether the document behind a signed copy is still valid (revoked since it was shared?).
    pub fn copy_status(&self, share_id: String) -> Result<CopyStatus, MobileError> {
        self.get(&format!("/v1/shared-copies/{}/status", segment(&share_id)))
    }

    /// The server's signing keys (JWKS JSON), to keep and verify copies and receipts offline.
    pub fn jwks(&self) -> Result<String, MobileError> {
        let answer = self.call("GET", "/.well-known/jwks.json", Auth::None, Body::Empty, &[])?;
        String::from_utf8(answer.body).map_err(|_| unexpected(answer.status, "the key set is not UTF-8".into()))
    }

    // --- history and notifications ---

    /// The citizen's audit trail, newest first (`limit` 1-200, default 50).
    pub fn history(&self, limit: Option<u32>) -> Result<Vec<HistoryEntry>, MobileError> {
        self.get(&format!("/v1/history{}", limit_query(limit)))
    }

    /// The citizen's notifications, newest first (`limit` 1-200, default 50).
    pub fn notifications(&self, limit: Option<u32>) -> Result<Vec<Notification>, MobileError> {
        self.get(&format!("/v1/notifications{}", limit_query(limit)))
    }

    // --- website login and QR signing ---

    /// A scanned website login QR (the whole scanned URL): what to show before asking for approval.
    pub fn scan_web_login(&self, qr_url: String) -> Result<WebLoginPrompt, MobileError> {
        self.call("POST", "/v1/web-login/scan", Auth::Bearer, Body::Json(json!({"qr_url": qr_url})), &[])?.json()
    }

    /// Approves a website login with the two digits the citizen typed from the browser's screen, as
    /// typed (`InvalidInput` unless two digits 10-99). A wrong code ends the request (`Conflict`); three in
    /// ten minutes stop approvals for an hour (`RateLimited`).
    pub fn approve_web_login(&self, request_id: String, check_code: String) -> Result<(), MobileError> {
        let code: u8 = check_code
            .trim()
            .parse()
            .ok()
            .filter(|c| egov_core::weblogin::is_check_code(*c))
            .ok_or_else(|| MobileError::InvalidInput { reason: "type the two digits the browser shows".into() })?;
        let path = format!("/v1/web-login/requests/{}/approve", segment(&request_id));
        self.call("POST", &path, Auth::Bearer, Body::Json(json!({"check_code": code})), &[]).map(|_| ())
    }

    /// Refuses a website login.
    pub fn deny_web_login(&self, request_id: String) -> Result<(), MobileError> {
        let path = format!("/v1/web-login/requests/{}/deny", segment(&request_id));
        self.call("POST", &path, Auth::Bearer, Body::Empty, &[]).map(|_| ())
    }

    /// A website's signing request (from a scanned `/qs/` code).
    pub fn sign_request(&self, request_id: String) -> Result<SignRequest, MobileError> {
        self.get(&format!("/v1/sign-requests/{}", segment(&request_id)))
    }

    /// Signs a website's request with the device key (needs an `eds` session).
    pub fn sign_website_request(
        &self,
        request_id: String,
        device_id: String,
        signer: Arc<dyn PlatformSigner>,
    ) -> Result<SignRequest, MobileError> {
        #[derive(Deserialize)]
        struct ToSign {
            message: String,
        }
        let path = format!("/v1/sign-requests/{}", segment(&request_id));
        let request: ToSign = self.get(&path)?;
        let signature = sign_b64(&*signer, &request.message)?;
        let body = Body::Json(json!({"key_id": device_id, "signature": signature}));
        self.call("POST", &format!("{path}/sign"), Auth::Bearer, body, &[])?.json()
    }

    // --- fines ---

    /// The citizen's fines (`status`: `unpaid`, `processing`, `paid`; all when `None`).
    pub fn fines(&self, status: Option<String>) -> Result<Vec<Fine>, MobileError> {
        let query = status.map(|s| format!("?status={}", segment(&s))).unwrap_or_default();
        self.get(&format!("/v1/fines{query}"))
    }

    /// One fine.
    pub fn fine(&self, fine_id: String) -> Result<Fine, MobileError> {
        self.get(&format!("/v1/fines/{}", segment(&fine_id)))
    }

    /// Pays a fine the amount due now. `idempotency_key` is a fresh random value per payment that the app
    /// keeps and sends again on every retry of the same payment, so a retry never pays twice.
    pub fn pay_fine(
        &self,
        fine_id: String,
        method: PaymentMethod,
        idempotency_key: String,
    ) -> Result<PaymentResult, MobileError> {
        #[derive(Deserialize)]
        struct Paid {
            payment_id: String,
            status: String,
            receipt: Option<Receipt>,
            qr_payload: Option<String>,
        }
        let body = match method {
            PaymentMethod::Card { card_token } => json!({"method": "card", "card_token": card_token}),
            PaymentMethod::PhoneBalance { phone } => json!({"method": "phone_balance", "phone": phone}),
            PaymentMethod::BankQr => json!({"method": "bank_qr"}),
        };
        let path = format!("/v1/fines/{}/payments", segment(&fine_id));
        let answer =
            self.call("POST", &path, Auth::Bearer, Body::Json(body), &[("idempotency-key", &idempotency_key)])?;
        let paid: Paid = answer.json()?;
        Ok(match (paid.status.as_str(), paid.receipt) {
            ("paid", Some(receipt)) => PaymentResult::Paid { payment_id: paid.payment_id, receipt },
            ("pending", _) => PaymentResult::Pending { payment_id: paid.payment_id, qr_payload: paid.qr_payload },
            _ => PaymentResult::Processing { payment_id: paid.payment_id },
        })
    }

    /// The citizen's electronic receipts, newest first.
    pub fn receipts(&self) -> Result<Vec<Receipt>, MobileError> {
        self.get("/v1/receipts")
    }

    /// Whether driving-licence services are open, or the overdue fines that block them.
    pub fn driving_licence_eligibility(&self) -> Result<Eligibility, MobileError> {
        #[derive(Deserialize)]
        struct Wire {
            allowed: bool,
            reasons: Value,
        }
        let w: Wire = self.get("/v1/services/driving-licence/eligibility")?;
        Ok(Eligibility { allowed: w.allowed, reasons_json: w.reasons.to_string() })
    }
}

impl EgovClient {
    fn lock(&self) -> MutexGuard<'_, Credentials> {
        self.credentials.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, MobileError> {
        self.call("GET", path, Auth::Bearer, Body::Empty, &[])?.json()
    }

    fn redeem(&self, body: Value) -> Result<RedeemedCopy, MobileError> {
        self.call("POST", "/v1/shares/redeem", Auth::Bearer, Body::Json(body), &[])?.json()
    }

    fn keep_session(&self, wire: WireTokens) -> Result<Session, MobileError> {
        let session = Session {
            acr: wire.tokens.acr.clone(),
            session_id: wire.tokens.session_id.clone(),
            expires_in: wire.expires_in,
        };
        *self.lock() = Credentials::Citizen { tokens: wire.tokens, fresh_until: Some(fresh_until(wire.expires_in)) };
        Ok(session)
    }

    /// The access token to send, renewing it first when it is about to expire.
    fn access_token(&self) -> Result<String, MobileError> {
        let (token, stale) = self.current_token()?;
        if stale { self.refresh_after(&token).and_then(|_| self.current_token()).map(|(t, _)| t) } else { Ok(token) }
    }

    /// The access token held now, and whether it is about to expire.
    fn current_token(&self) -> Result<(String, bool), MobileError> {
        match &*self.lock() {
            Credentials::None => Err(signed_out()),
            Credentials::Citizen { tokens, fresh_until } => {
                Ok((tokens.access_token.clone(), fresh_until.is_some_and(|t| Instant::now() >= t)))
            }
            Credentials::Organisation { access_token, fresh_until, .. } => {
                Ok((access_token.clone(), Instant::now() >= *fresh_until))
            }
        }
    }

    /// Renews the credentials unless another thread already replaced `stale_token`.
    fn refresh_after(&self, stale_token: &str) -> Result<Session, MobileError> {
        let _one_at_a_time = self.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        enum Plan {
            Citizen(String),
            Organisation(String, String),
        }
        let plan = match &*self.lock() {
            Credentials::Citizen { tokens, fresh_until } => {
                if tokens.access_token != stale_token {
                    let expires_in = fresh_until
                        .map(|t| t.saturating_duration_since(Instant::now()).as_secs() as i64)
                        .unwrap_or_default();
                    return Ok(Session { acr: tokens.acr.clone(), session_id: tokens.session_id.clone(), expires_in });
                }
                Plan::Citizen(tokens.refresh_token.clone())
            }
            Credentials::Organisation { client_id, client_secret, .. } => {
                Plan::Organisation(client_id.clone(), client_secret.clone())
            }
            Credentials::None => return Err(signed_out()),
        };
        match plan {
            Plan::Citizen(refresh_token) => {
                let body = Body::Json(json!({"refresh_token": refresh_token}));
                match self.call("POST", "/v1/auth/refresh", Auth::None, body, &[]) {
                    Ok(answer) => self.keep_session(answer.json()?),
                    Err(e @ MobileError::Unauthorized { .. }) => {
                        // The session ended (revoked elsewhere, replayed, too old): sign in again.
                        *self.lock() = Credentials::None;
                        Err(e)
                    }
                    Err(e) => Err(e),
                }
            }
            Plan::Organisation(client_id, client_secret) => {
                self.keep_org_token(client_id, client_secret)?;
                Ok(Session { acr: "organisation".into(), session_id: String::new(), expires_in: 0 })
            }
        }
    }

    /// Gets an organisation token with the client credentials and keeps it with them (to renew it).
    fn keep_org_token(&self, client_id: String, client_secret: String) -> Result<(), MobileError> {
        let basic = STANDARD.encode(format!("{client_id}:{client_secret}"));
        let answer = self.send(
            "POST",
            "/v1/oauth/token",
            Some(&format!("Basic {basic}")),
            &Body::Form("grant_type=client_credentials".into()),
            &[],
        )?;
        let token: WireOrgToken = answer.json()?;
        let fresh_until = fresh_until(token.expires_in);
        *self.lock() =
            Credentials::Organisation { client_id, client_secret, access_token: token.access_token, fresh_until };
        Ok(())
    }

    /// One API call: with the session's token for `Auth::Bearer`, refreshing once and retrying when the
    /// server says the access token expired.
    fn call(
        &self,
        method: &str,
        path: &str,
        auth: Auth,
        body: Body,
        headers: &[(&str, &str)],
    ) -> Result<Answer, MobileError> {
        match auth {
            Auth::None => self.send(method, path, None, &body, headers),
            Auth::Bearer => {
                let token = self.access_token()?;
                match self.send(method, path, Some(&format!("Bearer {token}")), &body, headers) {
                    Err(MobileError::Unauthorized { problem, .. }) if problem == "token-expired" => {
                        self.refresh_after(&token)?;
                        let (token, _) = self.current_token()?;
                        self.send(method, path, Some(&format!("Bearer {token}")), &body, headers)
                    }
                    other => other,
                }
            }
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: &Body,
        headers: &[(&str, &str)],
    ) -> Result<Answer, MobileError> {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("accept", "application/json, application/problem+json, */*");
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (content_type, bytes) = match body {
            Body::Empty => (None, None),
            Body::Json(v) => (Some("application/json"), Some(v.to_string().into_bytes())),
            Body::Form(f) => (Some("application/x-www-form-urlencoded"), Some(f.clone().into_bytes())),
        };
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        let invalid = |e: ureq::http::Error| crate::invalid(format!("bad request: {e}"));
        let result = match bytes {
            Some(bytes) => self.agent.run(request.body(bytes).map_err(invalid)?),
            None => self.agent.run(request.body(ureq::SendBody::none()).map_err(invalid)?),
        };
        let mut response = result.map_err(|e| MobileError::Network { reason: e.to_string() })?;
        let status = response.status().as_u16();
        let retry_after =
            response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| MobileError::Network { reason: e.to_string() })?;
        if (200..300).contains(&status) {
            Ok(Answer { status, body })
        } else {
            Err(problem_error(status, &body, retry_after))
        }
    }
}

fn signed_out() -> MobileError {
    MobileError::Unauthorized { problem: "signed-out".into(), detail: "sign in first".into() }
}

/// An answer of the right status whose body is not what the contract says.
fn unexpected(status: u16, detail: String) -> MobileError {
    MobileError::Server { status, problem: "unexpected-answer".into(), detail }
}

fn fresh_until(expires_in: i64) -> Instant {
    Instant::now() + Duration::from_secs(expires_in.max(0) as u64).saturating_sub(REFRESH_MARGIN)
}

/// The server's problem document as the error the app handles.
pub(crate) fn problem_error(status: u16, body: &[u8], retry_after: Option<u64>) -> MobileError {
    let doc: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let problem = doc["type"].as_str().map(|t| t.rsplit('/').next().unwrap_or(t)).unwrap_or("").to_string();
    let detail = doc["detail"]
        .as_str()
        .or(doc["title"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| format!("the server answered {status}"));
    match status {
        400 | 413 | 415 | 422 => MobileError::InvalidInput { reason: detail },
        401 => MobileError::Unauthorized { problem, detail },
        402 => MobileError::PaymentDeclined {
            decline_code: doc["decline_code"].as_str().unwrap_or_default().to_string(),
            detail,
        },
        403 if problem == "level-required" => MobileError::EdsRequired { detail },
        403 => MobileError::Forbidden { problem, detail },
        404 => MobileError::NotFound { detail },
        409 => MobileError::Conflict { problem, detail },
        410 => MobileError::Gone { problem, detail },
        429 => MobileError::RateLimited { problem, detail, retry_after_seconds: retry_after.unwrap_or(60) },
        503 => MobileError::Unavailable { detail },
        _ => MobileError::Server { status, problem, detail },
    }
}

impl EgovClient {
    fn enrol(&self, request: Value, signer: &dyn PlatformSigner, device_name: &str) -> Result<Enrolled, MobileError> {
        let enrolment: Enrolment =
            self.call("POST", "/v1/me/devices/enrolment", Auth::Bearer, Body::Json(request), &[])?.json()?;
        let body = enrolment_body(&enrolment, signer, device_name)?;
        let mut done: Enrolled = self.call("POST", "/v1/me/devices", Auth::Bearer, body, &[])?.json()?;
        done.pairing_code = enrolment.pairing_code;
        Ok(done)
    }
}

/// Signs the base64url `message` the server gave and encodes the signature for it.
fn sign_b64(signer: &dyn PlatformSigner, message_b64: &str) -> Result<String, MobileError> {
    let message = URL_SAFE_NO_PAD
        .decode(message_b64)
        .map_err(|_| unexpected(200, "the message to sign is not base64url".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(signer.sign(message)?))
}

fn enrolment_body(enrolment: &Enrolment, signer: &dyn PlatformSigner, device_name: &str) -> Result<Body, MobileError> {
    Ok(Body::Json(json!({
        "enrolment_token": enrolment.enrolment_token,
        "public_key": URL_SAFE_NO_PAD.encode(signer.public_key()?),
        "signature": sign_b64(signer, &enrolment.message)?,
        "device_name": device_name,
    })))
}

fn limit_query(limit: Option<u32>) -> String {
    limit.map(|l| format!("?limit={l}")).unwrap_or_default()
}

/// Percent-encodes one path segment or query value: an id from outside can't reach another route.
fn segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// RFC 3339 timestamps as `SystemTime` (Kotlin `java.time.Instant`, Swift `Date`).
mod time {
    use serde::{Deserialize, Deserializer};
    use std::time::SystemTime;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let at = chrono::DateTime::<chrono::Utc>::deserialize(d)?;
        Ok(at.into())
    }
}

mod opt_time {
    use serde::{Deserialize, Deserializer};
    use std::time::SystemTime;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SystemTime>, D::Error> {
        Ok(Option::<chrono::DateTime<chrono::Utc>>::deserialize(d)?.map(Into::into))
    }
}

/// A JSON value kept as its text (free-form objects: document fields, history details).
mod json_text {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(serde_json::Value::deserialize(d)?.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_cannot_escape_its_path_segment() {
        assert_eq!(segment("abc-1_2.3~"), "abc-1_2.3~");
        assert_eq!(segment("../admin"), "..%2Fadmin");
        assert_eq!(segment("a b?c#d"), "a%20b%3Fc%23d");
    }

    #[test]
    fn problems_become_the_errors_the_app_handles() {
        let doc = |kind: &str| format!(r#"{{"type":"/problems/{kind}","status":0,"detail":"why"}}"#).into_bytes();
        assert!(matches!(problem_error(403, &doc("level-required"), None), MobileError::EdsRequired { .. }));
        assert!(
            matches!(problem_error(401, &doc("otp-wrong"), None), MobileError::Unauthorized { problem, .. } if problem == "otp-wrong")
        );
        assert!(matches!(
            problem_error(429, &doc("otp-locked"), Some(30)),
            MobileError::RateLimited { retry_after_seconds: 30, .. }
        ));
        assert!(matches!(problem_error(410, &doc("share-used"), None), MobileError::Gone { .. }));
        assert!(
            matches!(problem_error(422, &doc("validation"), None), MobileError::InvalidInput { reason } if reason == "why")
        );
        assert!(matches!(problem_error(502, b"<html>", None), MobileError::Server { status: 502, .. }));
    }

    #[test]
    fn a_base_url_must_be_http() {
        assert!(EgovClient::new("ftp://x".into()).is_err());
        assert!(EgovClient::new("https://".into()).is_err());
        assert_eq!(EgovClient::new("https://egov.kz/".into()).unwrap().base_url(), "https://egov.kz");
    }

    #[test]
    fn an_unreachable_server_is_a_network_error() {
        let client = EgovClient::new("http://127.0.0.1:9".into()).unwrap();
        assert!(matches!(client.start_otp("+77010000001".into()), Err(MobileError::Network { .. })));
    }

    #[test]
    fn calls_that_need_a_session_say_so_before_sending() {
        let client = EgovClient::new("http://127.0.0.1:9".into()).unwrap();
        assert!(matches!(client.documents("en".into()), Err(MobileError::Unauthorized { .. })));
    }
}
