//! `EgovClient`: the apps' client of the whole HTTP API, a facade over `egov-client`. The records are
//! `egov-api`'s (uniffi derives behind its `uniffi` feature): nothing here declares a wire type again, and
//! nothing here speaks HTTP. This file converts arguments, errors and the platform signer, nothing else.
//!
//! Blocking for now: each call runs on the library's one runtime thread while the caller's thread waits,
//! so the apps call it from a background dispatcher (Kotlin `Dispatchers.IO`, a Swift `Task.detached`).
//! Async exports with cancellation are issue 28. Tokens stay inside the client: it refreshes an expired
//! access token once however many calls ask, and hands the tokens out through
//! [`EgovClient::export_session`] for the app to keep in its encrypted storage.

use crate::MobileError;
use crate::signer::PlatformSigner;
use egov_api::Lang;
use egov_api::wire::*;
use egov_client::{Client, Error};
use std::future::Future;
use std::sync::{Arc, OnceLock};

/// The library's runtime: one worker thread drives every client's connections and timers.
fn block_on<F: Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("egov-mobile")
                .enable_all()
                .build()
                .expect("the library's runtime starts")
        })
        .block_on(future)
}

/// The typed client of the eGov Mobile HTTP API. Every method blocks: call it off the main thread. One
/// client holds one session (a citizen's, or an organisation's for a verifier app); it is safe to share
/// between threads.
#[derive(uniffi::Object)]
pub struct EgovClient {
    inner: Client,
}

/// The platform's key as `egov-client`'s signer; its `MobileError` comes back to the app unchanged.
struct Platform(Arc<dyn PlatformSigner>);

type SignerError = Box<dyn std::error::Error + Send + Sync>;

impl egov_client::Signer for Platform {
    fn public_key(&self) -> Result<Vec<u8>, SignerError> {
        self.0.public_key().map_err(Into::into)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        self.0.sign(message.to_vec()).map_err(Into::into)
    }
}

fn lang(tag: &str) -> Result<Lang, MobileError> {
    Lang::from_tag(tag).ok_or_else(|| crate::invalid(format!("{tag:?} is not kk, ru or en")))
}

#[uniffi::export]
impl EgovClient {
    /// A client of the deployment at `base_url` (`https://mobile.egov.kz`; `http://` only for a local
    /// development server).
    #[uniffi::constructor]
    pub fn new(base_url: String) -> Result<Arc<Self>, MobileError> {
        Ok(Arc::new(EgovClient { inner: Client::new(&base_url)? }))
    }

    /// The deployment's base URL (what scanned codes are checked against with `parseScanned`).
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_string()
    }

    // --- sessions ---

    /// Sends a sign-in code by SMS. Every valid mobile number gets the same answer; only registered
    /// numbers receive a code.
    pub fn start_otp(&self, phone: String) -> Result<OtpFlow, MobileError> {
        Ok(block_on(self.inner.start_otp(&phone))?)
    }

    /// Checks the SMS code and opens a limited (`otp`) session held by this client.
    pub fn verify_otp(&self, flow_id: String, code: String) -> Result<Session, MobileError> {
        Ok(block_on(self.inner.verify_otp(&flow_id, &code))?)
    }

    /// Signs in with the device key (a full `eds` session): asks for a challenge, has the platform sign
    /// it and sends the signature.
    pub fn sign_in_with_key(
        &self,
        iin: String,
        device_id: String,
        signer: Arc<dyn PlatformSigner>,
    ) -> Result<Session, MobileError> {
        Ok(block_on(self.inner.sign_in_with_key(&iin, &device_id, &Platform(signer)))?)
    }

    /// Registration step 1: a code to the phone being registered.
    pub fn start_registration(&self, phone: String) -> Result<OtpFlow, MobileError> {
        Ok(block_on(self.inner.start_registration(&phone))?)
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
        let request = RegistrationVerify { flow_id, code, iin, birth_date, evidence };
        Ok(block_on(self.inner.verify_registration(&request))?)
    }

    /// Registration step 3: enrols the device key (proof of possession through `signer`) and opens the
    /// first session. Returns the device id to give to [`EgovClient::sign_in_with_key`] later.
    pub fn complete_registration(
        &self,
        enrolment: Enrolment,
        signer: Arc<dyn PlatformSigner>,
        device_name: String,
    ) -> Result<String, MobileError> {
        let done = block_on(self.inner.complete_registration(&enrolment, &Platform(signer), &device_name))?;
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
        let request = EnrolmentRequest { method: ProofMethod::Identity, evidence: Some(evidence) };
        let (_, done) = block_on(self.inner.enrol_device(&request, &Platform(signer), &device_name))?;
        Ok(done.device_id)
    }

    /// Asks to enrol this device's key with the approval of an already enrolled device: show the returned
    /// `pairing_code` on this screen; the enrolled device, signed in with its key, approves it with
    /// [`EgovClient::approve_device`]. Until then the key signs nothing.
    pub fn request_device_approval(
        &self,
        signer: Arc<dyn PlatformSigner>,
        device_name: String,
    ) -> Result<DeviceApproval, MobileError> {
        let request = EnrolmentRequest { method: ProofMethod::Approval, evidence: None };
        let (enrolment, done) = block_on(self.inner.enrol_device(&request, &Platform(signer), &device_name))?;
        let pairing_code = enrolment.pairing_code.ok_or_else(|| Error::Unexpected {
            status: 200,
            detail: "an approval enrolment came without its pairing code".into(),
        })?;
        Ok(DeviceApproval { device_id: done.device_id, pairing_code })
    }

    /// Approves another device of the citizen with the code it shows (needs a key sign-in on this one).
    pub fn approve_device(&self, device_id: String, pairing_code: String) -> Result<(), MobileError> {
        Ok(block_on(self.inner.approve_device(&device_id, &pairing_code))?)
    }

    /// Signs in an organisation (a verifier app) with its client credentials; its token is renewed by
    /// the client when it expires.
    pub fn sign_in_organisation(&self, client_id: String, client_secret: String) -> Result<(), MobileError> {
        Ok(block_on(self.inner.sign_in_organisation(&client_id, &client_secret))?)
    }

    /// The session's tokens for the app to keep (none when signed out or signed in as an organisation).
    pub fn export_session(&self) -> Option<SessionTokens> {
        self.inner.session_tokens()
    }

    /// Resumes a session kept by the app (after a restart). An expired access token is refreshed on
    /// first use; a session that ended answers `Unauthorized`.
    pub fn restore_session(&self, tokens: SessionTokens) {
        self.inner.restore_session(tokens)
    }

    /// Trades the refresh token for new tokens now (the client also does it by itself when needed).
    pub fn refresh(&self) -> Result<Session, MobileError> {
        Ok(block_on(self.inner.refresh())?)
    }

    /// Ends the session on the server and forgets its tokens.
    pub fn logout(&self) -> Result<(), MobileError> {
        Ok(block_on(self.inner.logout())?)
    }

    /// The signed-in citizen.
    pub fn me(&self) -> Result<Profile, MobileError> {
        Ok(block_on(self.inner.me())?)
    }

    /// The citizen's sessions on every device and website.
    pub fn sessions(&self) -> Result<Vec<DeviceSession>, MobileError> {
        Ok(block_on(self.inner.sessions())?)
    }

    /// Ends one of the citizen's sessions (a lost phone, a website left signed in).
    pub fn revoke_session(&self, session_id: String) -> Result<(), MobileError> {
        Ok(block_on(self.inner.revoke_session(&session_id))?)
    }

    /// Phone change step 1 (needs an `eds` session): a code to the new number.
    pub fn start_phone_change(&self, new_phone: String) -> Result<OtpFlow, MobileError> {
        Ok(block_on(self.inner.start_phone_change(&new_phone))?)
    }

    /// Phone change step 2: the code sent to the new number. Other sessions end.
    pub fn confirm_phone_change(&self, flow_id: String, code: String) -> Result<(), MobileError> {
        Ok(block_on(self.inner.confirm_phone_change(&flow_id, &code))?)
    }

    // --- documents ---

    /// The citizen's documents, titled in `lang` (`kk`, `ru` or `en`).
    pub fn documents(&self, lang: String) -> Result<DocumentList, MobileError> {
        Ok(block_on(self.inner.documents(self::lang(&lang)?))?)
    }

    /// One document with every field, labelled in `lang`.
    pub fn document(&self, document_id: String, lang: String) -> Result<DocumentDetail, MobileError> {
        Ok(block_on(self.inner.document(&document_id, self::lang(&lang)?))?)
    }

    /// The document's photo (JPEG bytes).
    pub fn document_photo(&self, document_id: String) -> Result<Vec<u8>, MobileError> {
        Ok(block_on(self.inner.document_photo(&document_id))?)
    }

    /// Asks every agency registry again. Some registries down: `complete == false` and their documents
    /// stay as last confirmed; all down: `Unavailable`.
    pub fn refresh_documents(&self) -> Result<RefreshReport, MobileError> {
        Ok(block_on(self.inner.refresh_documents())?)
    }

    // --- one-time sharing ---

    /// "Open access": a one-time share of a document for `ttl_seconds` (default 300) with a preset
    /// (`Full` by default).
    pub fn share_document(
        &self,
        document_id: String,
        ttl_seconds: Option<i64>,
        preset: Option<Preset>,
    ) -> Result<DocumentShare, MobileError> {
        Ok(block_on(self.inner.share_document(&document_id, &ShareRequest { ttl_seconds, preset }))?)
    }

    /// A share as it stands now (used? by whom?).
    pub fn share(&self, share_id: String) -> Result<DocumentShare, MobileError> {
        Ok(block_on(self.inner.share(&share_id))?)
    }

    /// Extends a share by `ttl_seconds` from now, never past 30 minutes after its creation.
    pub fn extend_share(&self, share_id: String, ttl_seconds: i64) -> Result<ExtendedShare, MobileError> {
        Ok(block_on(self.inner.extend_share(&share_id, ttl_seconds))?)
    }

    /// Withdraws a share before it is used.
    pub fn revoke_share(&self, share_id: String) -> Result<(), MobileError> {
        Ok(block_on(self.inner.revoke_share(&share_id))?)
    }

    /// Redeems a scanned share QR (the whole scanned URL) once: the signed copy.
    pub fn redeem_qr(&self, qr_url: String) -> Result<RedeemedCopy, MobileError> {
        Ok(block_on(self.inner.redeem(&RedeemRequest::qr_url(qr_url)))?)
    }

    /// Redeems a share by the 12-digit short code the citizen read out (spaces and dashes allowed).
    pub fn redeem_short_code(&self, short_code: String) -> Result<RedeemedCopy, MobileError> {
        Ok(block_on(self.inner.redeem(&RedeemRequest::short_code(short_code)))?)
    }

    /// Whether the document behind a signed copy is still valid (revoked since it was shared?).
    pub fn copy_status(&self, share_id: String) -> Result<CopyStatus, MobileError> {
        Ok(block_on(self.inner.copy_status(&share_id))?)
    }

    /// The server's signing keys (JWKS JSON), to keep and verify copies and receipts offline.
    pub fn jwks(&self) -> Result<String, MobileError> {
        Ok(block_on(self.inner.jwks())?)
    }

    // --- history and notifications ---

    /// The citizen's audit trail, newest first (`limit` 1-200, default 50).
    pub fn history(&self, limit: Option<u32>) -> Result<Vec<HistoryEntry>, MobileError> {
        Ok(block_on(self.inner.history(limit))?)
    }

    /// The citizen's notifications, newest first (`limit` 1-200, default 50).
    pub fn notifications(&self, limit: Option<u32>) -> Result<Vec<Notification>, MobileError> {
        Ok(block_on(self.inner.notifications(limit))?)
    }

    // --- website login and QR signing ---

    /// A scanned website login QR (the whole scanned URL): what to show before asking for approval.
    pub fn scan_web_login(&self, qr_url: String) -> Result<WebLoginPrompt, MobileError> {
        Ok(block_on(self.inner.scan_web_login(&qr_url))?)
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
            .ok_or_else(|| crate::invalid("type the two digits the browser shows"))?;
        Ok(block_on(self.inner.approve_web_login(&request_id, code))?)
    }

    /// Refuses a website login.
    pub fn deny_web_login(&self, request_id: String) -> Result<(), MobileError> {
        Ok(block_on(self.inner.deny_web_login(&request_id))?)
    }

    /// A website's signing request (from a scanned `/qs/` code).
    pub fn sign_request(&self, request_id: String) -> Result<SignRequest, MobileError> {
        Ok(block_on(self.inner.sign_request(&request_id))?)
    }

    /// Signs a website's request with the device key (needs an `eds` session).
    pub fn sign_website_request(
        &self,
        request_id: String,
        device_id: String,
        signer: Arc<dyn PlatformSigner>,
    ) -> Result<SignRequest, MobileError> {
        Ok(block_on(self.inner.sign_website_request(&request_id, &device_id, &Platform(signer)))?)
    }

    // --- fines ---

    /// The citizen's fines (all when `status` is `None`).
    pub fn fines(&self, status: Option<FineStatus>) -> Result<Vec<Fine>, MobileError> {
        Ok(block_on(self.inner.fines(status))?)
    }

    /// One fine.
    pub fn fine(&self, fine_id: String) -> Result<Fine, MobileError> {
        Ok(block_on(self.inner.fine(&fine_id))?)
    }

    /// Pays a fine the amount due now. `idempotency_key` is a fresh random value per payment that the app
    /// keeps and sends again on every retry of the same payment, so a retry never pays twice. `Paid`
    /// carries the receipt; `Pending` the bank QR to show; `Processing`: ask again with the same key.
    pub fn pay_fine(
        &self,
        fine_id: String,
        method: PaymentMethod,
        idempotency_key: String,
    ) -> Result<PaymentAnswer, MobileError> {
        Ok(block_on(self.inner.pay_fine(&fine_id, &method, &idempotency_key))?)
    }

    /// The citizen's electronic receipts, newest first.
    pub fn receipts(&self) -> Result<Vec<Receipt>, MobileError> {
        Ok(block_on(self.inner.receipts())?)
    }

    /// Whether driving-licence services are open, or the reasons (the overdue fines) they are not.
    pub fn driving_licence_eligibility(&self) -> Result<Eligibility, MobileError> {
        Ok(block_on(self.inner.driving_licence_eligibility())?)
    }
}

impl From<Error> for MobileError {
    fn from(e: Error) -> MobileError {
        match e {
            Error::Invalid(reason) => MobileError::InvalidInput { reason },
            Error::SignedOut => {
                MobileError::Unauthorized { problem: "signed-out".into(), detail: "sign in first".into() }
            }
            Error::NotSent(reason) | Error::NoAnswer(reason) => MobileError::Network { reason },
            Error::Unexpected { status, detail } => {
                MobileError::Server { status, problem: "unexpected-answer".into(), detail }
            }
            Error::Signer(e) => match e.downcast::<MobileError>() {
                Ok(platform) => *platform,
                Err(other) => MobileError::Signer { reason: other.to_string() },
            },
            Error::Problem(p) => {
                let problem = p.slug().to_string();
                let detail = p.detail.clone();
                match p.status {
                    400 | 413 | 415 | 422 => MobileError::InvalidInput { reason: detail },
                    401 => MobileError::Unauthorized { problem, detail },
                    402 => MobileError::PaymentDeclined {
                        decline_code: p.member("decline_code").unwrap_or_default().to_string(),
                        detail,
                    },
                    403 if p.kind == Some(egov_api::ProblemKind::LevelRequired) => MobileError::EdsRequired { detail },
                    403 => MobileError::Forbidden { problem, detail },
                    404 => MobileError::NotFound { detail },
                    409 => MobileError::Conflict { problem, detail },
                    410 => MobileError::Gone { problem, detail },
                    429 => {
                        MobileError::RateLimited { problem, detail, retry_after_seconds: p.retry_after.unwrap_or(60) }
                    }
                    503 => MobileError::Unavailable { detail },
                    status => MobileError::Server { status, problem, detail },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_server_is_a_network_error() {
        let client = EgovClient::new("http://127.0.0.1:9".into()).unwrap();
        assert!(matches!(client.start_otp("+77010000001".into()), Err(MobileError::Network { .. })));
    }

    #[test]
    fn calls_that_need_a_session_say_so_before_sending() {
        let client = EgovClient::new("http://127.0.0.1:9".into()).unwrap();
        assert!(matches!(client.documents("en".into()), Err(MobileError::Unauthorized { .. })));
        assert!(matches!(client.documents("de".into()), Err(MobileError::InvalidInput { .. })));
    }

    #[test]
    fn a_base_url_must_be_http() {
        assert!(EgovClient::new("ftp://x".into()).is_err());
        assert_eq!(EgovClient::new("https://egov.kz/".into()).unwrap().base_url(), "https://egov.kz");
    }

    #[test]
    fn a_platform_signer_error_reaches_the_app_unchanged() {
        let cancelled = MobileError::Signer { reason: "the user cancelled".into() };
        let e: MobileError = Error::Signer(Box::new(cancelled)).into();
        assert!(matches!(e, MobileError::Signer { reason } if reason == "the user cancelled"));
    }
}
