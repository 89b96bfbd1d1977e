//! # egov-client
//!
//! A plain async Rust client of the whole eGov Mobile API. Every record it sends and reads is
//! `egov-api`'s (nothing is declared here again); every failed call is an [`Error`] whose server side is
//! a [`Problem`] with its `egov_api::ProblemKind`, and whose network side says whether the request was
//! sent. The citizen's tokens live in the client and are refreshed by it (once, however many calls ask at
//! the same time); the app keeps them through a [`SessionStore`], told before new tokens are used.
//!
//! ```no_run
//! # async fn demo() -> Result<(), egov_client::Error> {
//! let client = egov_client::Client::new("https://mobile.egov.kz")?;
//! let flow = client.start_otp("+77010000001").await?;
//! let session = client.verify_otp(&flow.flow_id, "123456").await?;
//! let documents = client.documents(egov_api::Lang::Kk).await?;
//! # Ok(()) }
//! ```

mod error;
mod session;

pub use error::{Error, Problem};
pub use session::{SessionStore, Signer};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use egov_api::wire::*;
use egov_api::{Lang, ProblemKind};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use session::{Credentials, fresh_until};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

enum Body {
    Empty,
    Json(Vec<u8>),
    Form(&'static str),
}

impl Body {
    fn json<T: Serialize>(value: &T) -> Result<Body, Error> {
        serde_json::to_vec(value).map(Body::Json).map_err(|e| Error::Invalid(e.to_string()))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Auth {
    None,
    Bearer,
}

/// An answer with a 2xx status.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Unexpected {
            status: self.status,
            detail: format!("the answer does not match the contract: {e}"),
        })
    }
}

/// The client of one deployment. One client holds one session (a citizen's, or an organisation's for a
/// verifier); share it between tasks (`Arc<Client>`).
pub struct Client {
    base: String,
    http: reqwest::Client,
    language: Option<Lang>,
    store: Option<Arc<dyn SessionStore>>,
    credentials: Mutex<Credentials>,
    /// One refresh at a time, so concurrent calls spend the refresh token once.
    refreshing: tokio::sync::Mutex<()>,
}

impl Client {
    /// A client of the deployment at `base_url` (`https://mobile.egov.kz`; `http://` for a development
    /// server).
    pub fn new(base_url: &str) -> Result<Client, Error> {
        let base = base_url.trim_end_matches('/').to_string();
        let valid = (base.starts_with("https://") || base.starts_with("http://"))
            && base.len() > "https://".len()
            && !base.contains(['?', '#', ' ']);
        if !valid {
            return Err(Error::Invalid(format!("{base_url:?} is not an http(s) base URL")));
        }
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("egov-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Invalid(e.to_string()))?;
        Ok(Client {
            base,
            http,
            language: None,
            store: None,
            credentials: Mutex::new(Credentials::None),
            refreshing: tokio::sync::Mutex::new(()),
        })
    }

    /// The language of the server's problem details (and of titles where a call takes no language).
    pub fn with_language(mut self, lang: Lang) -> Client {
        self.language = Some(lang);
        self
    }

    /// Where the app keeps the session: told of every token change before the tokens are used.
    pub fn with_store(mut self, store: Arc<dyn SessionStore>) -> Client {
        self.store = Some(store);
        self
    }

    /// The deployment's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    // --- sessions ---

    /// Sends a sign-in code by SMS (every valid mobile number gets the same answer).
    pub async fn start_otp(&self, phone: &str) -> Result<OtpFlow, Error> {
        self.post(Auth::None, "/v1/auth/otp/start", &PhoneRequest { phone: phone.into() }).await
    }

    /// Checks the SMS code and opens a limited (`otp`) session held by this client.
    pub async fn verify_otp(&self, flow_id: &str, code: &str) -> Result<Session, Error> {
        let request = CodeRequest { flow_id: flow_id.into(), code: code.into() };
        let tokens = self.post(Auth::None, "/v1/auth/otp/verify", &request).await?;
        Ok(self.keep_session(tokens))
    }

    /// Signs in with the device key (a full `eds` session).
    pub async fn sign_in_with_key(&self, iin: &str, device_id: &str, signer: &dyn Signer) -> Result<Session, Error> {
        let challenge: EdsChallenge =
            self.post(Auth::None, "/v1/auth/eds/challenge", &ChallengeRequest { iin: iin.into() }).await?;
        let signed = SignedChallenge {
            challenge_id: challenge.challenge_id,
            key_id: device_id.into(),
            signature: sign_b64(signer, &challenge.message)?,
        };
        let tokens = self.post(Auth::None, "/v1/auth/eds/verify", &signed).await?;
        Ok(self.keep_session(tokens))
    }

    /// Registration step 1: a code to the phone being registered.
    pub async fn start_registration(&self, phone: &str) -> Result<OtpFlow, Error> {
        self.post(Auth::None, "/v1/registration/start", &PhoneRequest { phone: phone.into() }).await
    }

    /// Registration step 2: the code, the IIN and the birth date (checked against the state registry).
    pub async fn verify_registration(&self, request: &RegistrationVerify) -> Result<Enrolment, Error> {
        self.post(Auth::None, "/v1/registration/verify", request).await
    }

    /// Registration step 3: enrols the device key and opens the first session.
    pub async fn complete_registration(
        &self,
        enrolment: &Enrolment,
        signer: &dyn Signer,
        device_name: &str,
    ) -> Result<Enrolled, Error> {
        let key = device_key(enrolment, signer, device_name)?;
        let mut done: Enrolled = self.post(Auth::None, "/v1/registration/complete", &key).await?;
        if let Some(tokens) = done.tokens.take() {
            self.keep_session(tokens);
        }
        Ok(done)
    }

    /// Enrols this device's key for the signed-in citizen, vouched for by `request` (identity re-proofing
    /// or an enrolled device's approval). An `approval` enrolment's pairing code is in the answer's
    /// `Enrolment`, returned with the result.
    pub async fn enrol_device(
        &self,
        request: &EnrolmentRequest,
        signer: &dyn Signer,
        device_name: &str,
    ) -> Result<(Enrolment, Enrolled), Error> {
        let enrolment: Enrolment = self.post(Auth::Bearer, "/v1/me/devices/enrolment", request).await?;
        let key = device_key(&enrolment, signer, device_name)?;
        let done = self.post(Auth::Bearer, "/v1/me/devices", &key).await?;
        Ok((enrolment, done))
    }

    /// Approves another device of the citizen with the code it shows (needs a key sign-in on this one).
    pub async fn approve_device(&self, device_id: &str, pairing_code: &str) -> Result<(), Error> {
        let path = format!("/v1/me/devices/{}/approve", segment(device_id));
        let body = Body::json(&PairingCode { pairing_code: pairing_code.into() })?;
        self.call(Method::POST, &path, Auth::Bearer, body, &[]).await.map(drop)
    }

    /// Signs in an organisation (a verifier) with its client credentials; its token is renewed by the
    /// client when it expires.
    pub async fn sign_in_organisation(&self, client_id: &str, client_secret: &str) -> Result<(), Error> {
        self.keep_org_token(client_id.into(), client_secret.into()).await
    }

    /// The citizen's tokens held now (none when signed out or signed in as an organisation).
    pub fn session_tokens(&self) -> Option<SessionTokens> {
        match &*self.lock() {
            Credentials::Citizen { tokens, .. } => Some(tokens.clone()),
            _ => None,
        }
    }

    /// Resumes a session the app kept (after a restart). An expired access token is refreshed on first use.
    pub fn restore_session(&self, tokens: SessionTokens) {
        *self.lock() = Credentials::Citizen { tokens, fresh_until: None };
    }

    /// Trades a citizen's refresh token for new tokens now (the client also does it by itself when needed).
    /// An organisation has no refresh token: its token is renewed from its credentials when it expires.
    pub async fn refresh(&self) -> Result<Session, Error> {
        let token = match &*self.lock() {
            Credentials::Citizen { tokens, .. } => tokens.access_token.clone(),
            Credentials::Organisation { .. } => {
                return Err(Error::Invalid(
                    "an organisation's token has no refresh token: the client renews it".into(),
                ));
            }
            Credentials::None => return Err(Error::SignedOut),
        };
        self.refresh_after(&token).await?;
        match &*self.lock() {
            Credentials::Citizen { tokens, fresh_until } => Ok(Session {
                acr: tokens.acr,
                session_id: tokens.session_id.clone(),
                expires_in: fresh_until
                    .map(|t| t.saturating_duration_since(std::time::Instant::now()).as_secs() as i64)
                    .unwrap_or_default(),
            }),
            _ => Err(Error::SignedOut),
        }
    }

    /// Ends the session on the server and forgets its tokens (also when the server cannot be reached:
    /// the app is signed out either way).
    pub async fn logout(&self) -> Result<(), Error> {
        let result = self.call(Method::POST, "/v1/auth/logout", Auth::Bearer, Body::Empty, &[]).await.map(drop);
        self.forget();
        result
    }

    /// The signed-in citizen.
    pub async fn me(&self) -> Result<Profile, Error> {
        self.get("/v1/me").await
    }

    /// The citizen's sessions on every device and website.
    pub async fn sessions(&self) -> Result<Vec<DeviceSession>, Error> {
        self.get("/v1/me/sessions").await
    }

    /// Ends one of the citizen's sessions.
    pub async fn revoke_session(&self, session_id: &str) -> Result<(), Error> {
        let path = format!("/v1/me/sessions/{}", segment(session_id));
        self.call(Method::DELETE, &path, Auth::Bearer, Body::Empty, &[]).await.map(drop)
    }

    /// Phone change step 1 (needs an `eds` session): a code to the new number.
    pub async fn start_phone_change(&self, new_phone: &str) -> Result<OtpFlow, Error> {
        self.post(Auth::Bearer, "/v1/me/phone/start", &PhoneRequest { phone: new_phone.into() }).await
    }

    /// Phone change step 2: the code sent to the new number. Other sessions end.
    pub async fn confirm_phone_change(&self, flow_id: &str, code: &str) -> Result<(), Error> {
        let body = Body::json(&CodeRequest { flow_id: flow_id.into(), code: code.into() })?;
        self.call(Method::POST, "/v1/me/phone/confirm", Auth::Bearer, body, &[]).await.map(drop)
    }

    // --- documents ---

    /// The citizen's documents, titled in `lang`.
    pub async fn documents(&self, lang: Lang) -> Result<DocumentList, Error> {
        let language = [("accept-language", lang.as_str())];
        self.call(Method::GET, "/v1/documents", Auth::Bearer, Body::Empty, &language).await?.json()
    }

    /// One document with every field, labelled in `lang`.
    pub async fn document(&self, document_id: &str, lang: Lang) -> Result<DocumentDetail, Error> {
        let path = format!("/v1/documents/{}", segment(document_id));
        let language = [("accept-language", lang.as_str())];
        self.call(Method::GET, &path, Auth::Bearer, Body::Empty, &language).await?.json()
    }

    /// The document's photo (JPEG bytes).
    pub async fn document_photo(&self, document_id: &str) -> Result<Vec<u8>, Error> {
        let path = format!("/v1/documents/{}/photo", segment(document_id));
        Ok(self.call(Method::GET, &path, Auth::Bearer, Body::Empty, &[]).await?.body)
    }

    /// Asks every agency registry again (`complete == false` when some did not answer).
    pub async fn refresh_documents(&self) -> Result<RefreshReport, Error> {
        self.call(Method::POST, "/v1/documents/refresh", Auth::Bearer, Body::Empty, &[]).await?.json()
    }

    // --- one-time sharing ---

    /// "Open access": a one-time share of a document.
    pub async fn share_document(&self, document_id: &str, request: &ShareRequest) -> Result<DocumentShare, Error> {
        self.post(Auth::Bearer, &format!("/v1/documents/{}/shares", segment(document_id)), request).await
    }

    /// A share as it stands now (used? by whom?).
    pub async fn share(&self, share_id: &str) -> Result<DocumentShare, Error> {
        self.get(&format!("/v1/shares/{}", segment(share_id))).await
    }

    /// Extends a share by `ttl_seconds` from now, never past 30 minutes after its creation.
    pub async fn extend_share(&self, share_id: &str, ttl_seconds: i64) -> Result<ExtendedShare, Error> {
        let path = format!("/v1/shares/{}/extend", segment(share_id));
        self.post(Auth::Bearer, &path, &ExtendRequest { ttl_seconds }).await
    }

    /// Withdraws a share before it is used.
    pub async fn revoke_share(&self, share_id: &str) -> Result<(), Error> {
        let path = format!("/v1/shares/{}", segment(share_id));
        self.call(Method::DELETE, &path, Auth::Bearer, Body::Empty, &[]).await.map(drop)
    }

    /// Redeems a share once (a scanned QR URL or a short code): the signed copy.
    pub async fn redeem(&self, request: &RedeemRequest) -> Result<RedeemedCopy, Error> {
        self.post(Auth::Bearer, "/v1/shares/redeem", request).await
    }

    /// Whether the document behind a signed copy is still valid.
    pub async fn copy_status(&self, share_id: &str) -> Result<CopyStatus, Error> {
        self.get(&format!("/v1/shared-copies/{}/status", segment(share_id))).await
    }

    /// The server's signing keys (JWKS JSON text), to verify copies and receipts offline.
    pub async fn jwks(&self) -> Result<String, Error> {
        let answer = self.call(Method::GET, "/.well-known/jwks.json", Auth::None, Body::Empty, &[]).await?;
        String::from_utf8(answer.body)
            .map_err(|_| Error::Unexpected { status: answer.status, detail: "the key set is not UTF-8".into() })
    }

    // --- history and notifications ---

    /// The citizen's audit trail, newest first (`limit` 1-200, default 50).
    pub async fn history(&self, limit: Option<u32>) -> Result<Vec<HistoryEntry>, Error> {
        self.get(&format!("/v1/history{}", limit_query(limit))).await
    }

    /// The citizen's notifications, newest first (`limit` 1-200, default 50).
    pub async fn notifications(&self, limit: Option<u32>) -> Result<Vec<Notification>, Error> {
        self.get(&format!("/v1/notifications{}", limit_query(limit))).await
    }

    // --- website login and QR signing ---

    /// A scanned website login QR (the whole scanned URL): what to show before asking for approval.
    pub async fn scan_web_login(&self, qr_url: &str) -> Result<WebLoginPrompt, Error> {
        self.post(Auth::Bearer, "/v1/web-login/scan", &ScanRequest { qr_url: qr_url.into() }).await
    }

    /// Approves a website login with the two digits the browser shows (10-99, checked before sending).
    pub async fn approve_web_login(&self, request_id: &str, check_code: u8) -> Result<(), Error> {
        if !(10..=99).contains(&check_code) {
            return Err(Error::Invalid("type the two digits the browser shows".into()));
        }
        let path = format!("/v1/web-login/requests/{}/approve", segment(request_id));
        let body = Body::json(&CheckCode { check_code })?;
        self.call(Method::POST, &path, Auth::Bearer, body, &[]).await.map(drop)
    }

    /// Refuses a website login.
    pub async fn deny_web_login(&self, request_id: &str) -> Result<(), Error> {
        let path = format!("/v1/web-login/requests/{}/deny", segment(request_id));
        self.call(Method::POST, &path, Auth::Bearer, Body::Empty, &[]).await.map(drop)
    }

    /// A website's signing request (from a scanned `/qs/` code).
    pub async fn sign_request(&self, request_id: &str) -> Result<SignRequest, Error> {
        self.get(&format!("/v1/sign-requests/{}", segment(request_id))).await
    }

    /// Signs a website's request with the device key (needs an `eds` session).
    pub async fn sign_website_request(
        &self,
        request_id: &str,
        device_id: &str,
        signer: &dyn Signer,
    ) -> Result<SignRequest, Error> {
        let request = self.sign_request(request_id).await?;
        let body = SignatureBody { key_id: device_id.into(), signature: sign_b64(signer, &request.message)? };
        self.post(Auth::Bearer, &format!("/v1/sign-requests/{}/sign", segment(request_id)), &body).await
    }

    // --- fines ---

    /// The citizen's fines (all when `status` is `None`).
    pub async fn fines(&self, status: Option<FineStatus>) -> Result<Vec<Fine>, Error> {
        let query = status.map(|s| format!("?status={s}")).unwrap_or_default();
        self.get(&format!("/v1/fines{query}")).await
    }

    /// One fine.
    pub async fn fine(&self, fine_id: &str) -> Result<Fine, Error> {
        self.get(&format!("/v1/fines/{}", segment(fine_id))).await
    }

    /// Pays a fine the amount due now. `idempotency_key` is a fresh random value per payment that the app
    /// keeps and sends again on every retry of the same payment (after [`Error::NoAnswer`] above all), so
    /// a retry never pays twice.
    pub async fn pay_fine(
        &self,
        fine_id: &str,
        method: &PaymentMethod,
        idempotency_key: &str,
    ) -> Result<PaymentAnswer, Error> {
        let path = format!("/v1/fines/{}/payments", segment(fine_id));
        let key = [("idempotency-key", idempotency_key)];
        let body = Body::json(&PayRequest::from(method.clone()))?;
        self.call(Method::POST, &path, Auth::Bearer, body, &key).await?.json()
    }

    /// The citizen's electronic receipts, newest first.
    pub async fn receipts(&self) -> Result<Vec<Receipt>, Error> {
        self.get("/v1/receipts").await
    }

    /// Whether driving-licence services are open, or why not.
    pub async fn driving_licence_eligibility(&self) -> Result<Eligibility, Error> {
        self.get("/v1/services/driving-licence/eligibility").await
    }
}

// ----- tokens --------------------------------------------------------------------------------------

impl Client {
    fn lock(&self) -> MutexGuard<'_, Credentials> {
        self.credentials.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps a sign-in's or refresh's tokens: the app's store first, then the client.
    fn keep_session(&self, answer: TokenAnswer) -> Session {
        if let Some(store) = &self.store {
            store.save(Some(&answer.tokens));
        }
        let session = Session {
            acr: answer.tokens.acr,
            session_id: answer.tokens.session_id.clone(),
            expires_in: answer.expires_in,
        };
        *self.lock() =
            Credentials::Citizen { tokens: answer.tokens, fresh_until: Some(fresh_until(answer.expires_in)) };
        session
    }

    fn forget(&self) {
        let was_citizen =
            matches!(std::mem::replace(&mut *self.lock(), Credentials::None), Credentials::Citizen { .. });
        if let (true, Some(store)) = (was_citizen, &self.store) {
            store.save(None);
        }
    }

    /// The access token to send, renewed first when it is about to expire.
    async fn access_token(&self) -> Result<String, Error> {
        let (token, stale) = self.lock().token().ok_or(Error::SignedOut)?;
        if !stale {
            return Ok(token);
        }
        self.refresh_after(&token).await?;
        Ok(self.lock().token().ok_or(Error::SignedOut)?.0)
    }

    /// Renews the credentials unless another task already replaced `stale_token`.
    async fn refresh_after(&self, stale_token: &str) -> Result<(), Error> {
        let _one_at_a_time = self.refreshing.lock().await;
        enum Plan {
            Citizen(String),
            Organisation(String, String),
        }
        let plan = match &*self.lock() {
            Credentials::Citizen { tokens, .. } if tokens.access_token != stale_token => return Ok(()),
            Credentials::Citizen { tokens, .. } => Plan::Citizen(tokens.refresh_token.clone()),
            Credentials::Organisation { client_id, client_secret, .. } => {
                Plan::Organisation(client_id.clone(), client_secret.clone())
            }
            Credentials::None => return Err(Error::SignedOut),
        };
        match plan {
            Plan::Citizen(refresh_token) => {
                let body = Body::json(&RefreshRequest { refresh_token })?;
                match self.send(Method::POST, "/v1/auth/refresh", None, &body, &[]).await {
                    Ok(answer) => {
                        self.keep_session(answer.json()?);
                        Ok(())
                    }
                    Err(Error::Problem(p)) if p.status == 401 => {
                        // The session ended (revoked elsewhere, replayed, too old): sign in again.
                        self.forget();
                        Err(Error::Problem(p))
                    }
                    Err(e) => Err(e),
                }
            }
            Plan::Organisation(client_id, client_secret) => self.keep_org_token(client_id, client_secret).await,
        }
    }

    /// Gets an organisation token with the client credentials and keeps it with them (to renew it).
    async fn keep_org_token(&self, client_id: String, client_secret: String) -> Result<(), Error> {
        let basic = format!("Basic {}", STANDARD.encode(format!("{client_id}:{client_secret}")));
        let body = Body::Form("grant_type=client_credentials");
        let token: OrgToken = self.send(Method::POST, "/v1/oauth/token", Some(&basic), &body, &[]).await?.json()?;
        let fresh_until = fresh_until(token.expires_in);
        *self.lock() =
            Credentials::Organisation { client_id, client_secret, access_token: token.access_token, fresh_until };
        Ok(())
    }
}

// ----- transport -----------------------------------------------------------------------------------

impl Client {
    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        self.call(Method::GET, path, Auth::Bearer, Body::Empty, &[]).await?.json()
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, auth: Auth, path: &str, body: &B) -> Result<T, Error> {
        self.call(Method::POST, path, auth, Body::json(body)?, &[]).await?.json()
    }

    /// One API call: with the session's token for `Auth::Bearer`, refreshing once and retrying when the
    /// server says the access token expired.
    async fn call(
        &self,
        method: Method,
        path: &str,
        auth: Auth,
        body: Body,
        headers: &[(&str, &str)],
    ) -> Result<Answer, Error> {
        if auth == Auth::None {
            return self.send(method, path, None, &body, headers).await;
        }
        let token = self.access_token().await?;
        match self.send(method.clone(), path, Some(&format!("Bearer {token}")), &body, headers).await {
            Err(Error::Problem(p)) if p.kind == Some(ProblemKind::TokenExpired) => {
                self.refresh_after(&token).await?;
                let (token, _) = self.lock().token().ok_or(Error::SignedOut)?;
                self.send(method, path, Some(&format!("Bearer {token}")), &body, headers).await
            }
            other => other,
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        authorization: Option<&str>,
        body: &Body,
        headers: &[(&str, &str)],
    ) -> Result<Answer, Error> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("accept", "application/json, application/problem+json");
        if let Some(lang) = self.language {
            request = request.header("accept-language", lang.as_str());
        }
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request = match body {
            Body::Empty => request,
            Body::Json(bytes) => request.header("content-type", "application/json").body(bytes.clone()),
            Body::Form(form) => request.header("content-type", "application/x-www-form-urlencoded").body(*form),
        };
        let response = request.send().await.map_err(network)?;
        let status = response.status().as_u16();
        let retry_after =
            response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        let body = response.bytes().await.map_err(|e| Error::NoAnswer(e.to_string()))?.to_vec();
        if (200..300).contains(&status) {
            Ok(Answer { status, body })
        } else {
            Err(Error::Problem(Problem::read(status, &body, retry_after)))
        }
    }
}

/// Which side of the wire a transport failure is on: before the request left, or after.
fn network(e: reqwest::Error) -> Error {
    if e.is_connect() || e.is_builder() { Error::NotSent(e.to_string()) } else { Error::NoAnswer(e.to_string()) }
}

/// Signs the base64url `message` the server gave; the signature base64url.
fn sign_b64(signer: &dyn Signer, message_b64: &str) -> Result<String, Error> {
    let message = URL_SAFE_NO_PAD
        .decode(message_b64)
        .map_err(|_| Error::Unexpected { status: 200, detail: "the message to sign is not base64url".into() })?;
    Ok(URL_SAFE_NO_PAD.encode(signer.sign(&message).map_err(Error::Signer)?))
}

fn device_key(enrolment: &Enrolment, signer: &dyn Signer, device_name: &str) -> Result<DeviceKey, Error> {
    Ok(DeviceKey {
        enrolment_token: enrolment.enrolment_token.clone(),
        public_key: URL_SAFE_NO_PAD.encode(signer.public_key().map_err(Error::Signer)?),
        signature: sign_b64(signer, &enrolment.message)?,
        device_name: device_name.into(),
    })
}

fn limit_query(limit: Option<u32>) -> String {
    limit.map(|l| format!("?limit={l}")).unwrap_or_default()
}

/// Percent-encodes one path segment: an id from outside can't reach another route.
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
    fn a_base_url_must_be_http() {
        assert!(Client::new("ftp://x").is_err());
        assert!(Client::new("https://").is_err());
        assert_eq!(Client::new("https://egov.kz/").unwrap().base_url(), "https://egov.kz");
    }

    #[tokio::test]
    async fn an_unreachable_server_is_a_request_not_sent() {
        let client = Client::new("http://127.0.0.1:9").unwrap();
        assert!(matches!(client.start_otp("+77010000001").await, Err(Error::NotSent(_))));
    }

    #[tokio::test]
    async fn calls_that_need_a_session_say_so_before_sending() {
        let client = Client::new("http://127.0.0.1:9").unwrap();
        assert!(matches!(client.documents(Lang::En).await, Err(Error::SignedOut)));
    }

    #[tokio::test]
    async fn a_check_code_outside_10_to_99_is_refused_before_sending() {
        let client = Client::new("http://127.0.0.1:9").unwrap();
        assert!(matches!(client.approve_web_login("r", 9).await, Err(Error::Invalid(_))));
    }
}
