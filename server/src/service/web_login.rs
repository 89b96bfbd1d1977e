//! Website login by QR code and signing website requests by QR code.
//!
//! The browser holds a poll secret (cookie or header, stored hashed) that alone can read the request's
//! events and exchange its login code: a stolen QR URL logs nobody in. The login code is derived from the
//! server key and the request id (only its hash is stored), so the replica serving the browser's event
//! stream can hand it over when another replica's approval reaches it.

use crate::App;
use crate::service::error::{Failure, Rule, Thing, capability_error, internal, invalid};
use crate::service::notify;
use crate::service::otp::ip_limit;
use crate::service::session::SessionError;
use crate::service::session::{self, Opening};
use crate::store::from_millis;
use crate::store::history::Entry;
use crate::store::sharing::Outcome;
use crate::store::web_login::{NewSignRequest, NewWebLogin, SignRequestRow, WebLoginRow};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use egov_api::wire::{SignRequest, SignStatus, TokenAnswer, WebLoginPrompt};
use egov_core::auth::eds::decode_b64;
use egov_core::auth::session::Acr;
use egov_core::documents::Multilingual;
use egov_core::secret::random_token;
use egov_core::weblogin::{
    APPROVALS_LOCK, LOGIN_CODE_TTL, LOGIN_REQUEST_TTL, POLL_SECRET_BYTES, QR_SECRET_BYTES, QR_TTL, REQUESTS_PER_IP,
    SIGN_REQUEST_MAX_TTL, WRONG_CHECK_CODE_SPAN, approvals_locked_until, check_code, describe_user_agent,
    sign_request_message,
};
use serde_json::json;

pub fn topic(id: &str) -> String {
    format!("web-login:{id}")
}

pub fn sign_topic(id: &str) -> String {
    format!("sign-request:{id}")
}

fn poll_hash(app: &App, secret: &str) -> Vec<u8> {
    app.keys.hash_secret(&["poll", secret])
}

fn qr_hash(app: &App, secret: &str) -> Vec<u8> {
    app.keys.hash_secret(&["web-login-qr", secret])
}

/// The login code of an approved request.
pub fn login_code(app: &App, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(app.keys.hash_secret(&["web-login-code-derive", id]))
}

fn code_hash(app: &App, code: &str) -> Vec<u8> {
    app.keys.hash_secret(&["web-login-code", code])
}

/// Whether `presented` is the poll secret of a request (constant time).
pub fn poll_matches(app: &App, stored: &[u8], presented: Option<&str>) -> bool {
    presented.is_some_and(|p| app.keys.verify_secret(&["poll", p], stored))
}

/// A city for an address where one is known (the demo knows only local networks).
fn city_of(ip: &str) -> Option<&'static str> {
    let addr: std::net::IpAddr = ip.parse().ok()?;
    let local = match addr {
        std::net::IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        std::net::IpAddr::V6(v6) => v6.is_loopback(),
    };
    local.then_some("Local network")
}

/// A new login request, for the browser.
pub struct Created {
    pub request_id: String,
    pub qr_url: String,
    pub check_code: u8,
    pub expires_at: DateTime<Utc>,
    pub poll_secret: String,
}

/// A new login request of the website named `site` (its registered name, or the operator's own site).
pub async fn create(app: &App, site: &str, user_agent: Option<&str>, ip: &str) -> Result<Created, WebLoginError> {
    ip_limit(app, "web-request-ip", &REQUESTS_PER_IP, ip).await?;
    let now = app.clock.now();
    let id = uuid::Uuid::new_v4().to_string();
    let poll = random_token::<POLL_SECRET_BYTES>(&app.rng)?;
    let qr = random_token::<QR_SECRET_BYTES>(&app.rng)?;
    let right = check_code(&app.rng)?;
    let expires = now + LOGIN_REQUEST_TTL;
    let new = NewWebLogin {
        id: &id,
        poll_hash: &poll_hash(app, &poll),
        qr_hash: &qr_hash(app, &qr),
        right_code: right,
        site,
        user_agent,
        ip,
        city: city_of(ip),
        expires_ms: expires.timestamp_millis(),
    };
    app.store.web_login_insert(&new, now.timestamp_millis()).await?;
    Ok(Created {
        request_id: id,
        qr_url: format!("{}/ql/{qr}", app.public_url),
        check_code: right,
        expires_at: expires,
        poll_secret: poll,
    })
}

/// Why a website login or a signing request went no further.
#[derive(Debug, thiserror::Error)]
pub enum WebLoginError {
    #[error(transparent)]
    Common(#[from] Failure),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("this browser did not create that request")]
    PollSecretInvalid,
    #[error("this QR code has been replaced or has expired; scan the one on the screen now")]
    QrReplaced,
    #[error("this QR code has expired; scan the one on the screen now")]
    QrExpired,
    #[error("this login request was already scanned")]
    AlreadyScanned,
    #[error("three wrong codes in ten minutes: website logins cannot be approved from this account for an hour")]
    ApprovalsLocked { retry_after: u64 },
    #[error("that is not the code the browser shows; the login request was ended for safety")]
    CheckCodeWrong,
    #[error("this login request is no longer waiting for a decision")]
    LoginClosed,
    #[error("the login code is unknown, used or expired")]
    LoginCodeInvalid,
    #[error("that key is not one of your enrolled device keys")]
    KeyNotYours,
    #[error("the signature is not over this request's digest by that key")]
    SignatureInvalid,
    #[error("this signing request is already signed or has expired")]
    SigningClosed,
}
capability_error!(WebLoginError);

/// The request, if `poll` is its poll secret (404 otherwise: the id alone reveals nothing).
pub async fn for_browser(app: &App, id: &str, poll: Option<&str>) -> Result<WebLoginRow, WebLoginError> {
    let row = app.store.web_login(id).await?.ok_or(Failure::NotFound(Thing::LoginRequest))?;
    if !poll_matches(app, &row.poll_hash, poll) {
        return Err(WebLoginError::PollSecretInvalid);
    }
    Ok(row)
}

/// A fresh QR for a pending request whose QR was issued at `issued_at` (None when another stream rotated
/// it first or the request is no longer pending).
pub async fn rotate(app: &App, row: &WebLoginRow) -> Result<Option<(String, DateTime<Utc>)>, WebLoginError> {
    let qr = random_token::<QR_SECRET_BYTES>(&app.rng)?;
    let now = app.clock.now();
    if app.store.web_login_rotate(&row.id, row.qr_issued_at, &qr_hash(app, &qr), now.timestamp_millis()).await? {
        Ok(Some((format!("{}/ql/{qr}", app.public_url), now + QR_TTL)))
    } else {
        Ok(None)
    }
}

/// The phone scanned a login QR: first scanner wins; a second scan is refused and recorded.
pub async fn scan(app: &App, citizen_id: &str, acr: Acr, secret: &str) -> Result<WebLoginPrompt, WebLoginError> {
    let now = app.clock.now_ms();
    let hash = qr_hash(app, secret);
    let Some(row) = app.store.web_login_scan(&hash, citizen_id, acr.as_str(), QR_TTL.num_milliseconds(), now).await?
    else {
        let Some(row) = app.store.web_login_by_qr(&hash).await? else {
            return Err(WebLoginError::QrReplaced);
        };
        if row.status == "pending" {
            return Err(WebLoginError::QrExpired);
        }
        let record = json!({"request_id": row.id, "site": row.site});
        app.store.history_add(citizen_id, "web_login_scan_refused", &record, now).await?;
        if let Some(first) = row.citizen_id.as_deref().filter(|f| *f != citizen_id) {
            app.store.history_add(first, "web_login_second_scan", &record, now).await?;
        }
        return Err(WebLoginError::AlreadyScanned);
    };
    app.events.publish(&app.store, &topic(&row.id), "scanned");
    let (browser, os) = describe_user_agent(row.user_agent.as_deref().unwrap_or(""));
    Ok(WebLoginPrompt {
        request_id: row.id,
        site: row.site,
        browser,
        os,
        city: row.city,
        requested_at: from_millis(row.created_at).into(),
        expires_at: from_millis(row.expires_at).into(),
    })
}

/// 429 `approvals-locked` while the citizen's wrong check codes stop their approvals.
async fn refuse_if_approvals_locked(app: &App, citizen_id: &str) -> Result<(), WebLoginError> {
    let now = app.clock.now();
    let since = now - WRONG_CHECK_CODE_SPAN - APPROVALS_LOCK;
    let wrong: Vec<DateTime<Utc>> =
        app.store.wrong_check_codes(citizen_id, since.timestamp_millis()).await?.into_iter().map(from_millis).collect();
    match approvals_locked_until(&wrong, now) {
        Some(until) => Err(WebLoginError::ApprovalsLocked { retry_after: (until - now).num_seconds().max(1) as u64 }),
        None => Ok(()),
    }
}

/// The scanner approves with the two digits they typed from the browser's screen; a wrong code ends the
/// request, and three wrong codes in ten minutes stop the citizen's approvals for an hour.
pub async fn approve(app: &App, citizen_id: &str, id: &str, typed: u8) -> Result<(), WebLoginError> {
    refuse_if_approvals_locked(app, citizen_id).await?;
    let row = app
        .store
        .web_login(id)
        .await?
        .filter(|r| r.citizen_id.as_deref() == Some(citizen_id))
        .ok_or(Failure::NotFound(Thing::LoginRequest))?;
    let now = app.clock.now_ms();
    let (browser, os) = describe_user_agent(row.user_agent.as_deref().unwrap_or(""));
    let detail = json!({"request_id": id, "site": row.site, "browser": browser, "os": os, "city": row.city, "acr": row.session_acr});
    if i64::from(typed) != row.right_code {
        let detail = json!({"request_id": id, "site": row.site, "reason": "wrong check code"});
        let entry = Entry { citizen_id, kind: "web_login_wrong_code", detail: &detail };
        if app.store.web_login_decide(id, citizen_id, "denied", None, None, now, entry).await? {
            app.events.publish(&app.store, &topic(id), "denied");
        }
        refuse_if_approvals_locked(app, citizen_id).await?;
        return Err(WebLoginError::CheckCodeWrong);
    }
    let code = login_code(app, id);
    let until = now + LOGIN_CODE_TTL.num_milliseconds();
    let entry = Entry { citizen_id, kind: "web_login", detail: &detail };
    if !app
        .store
        .web_login_decide(id, citizen_id, "approved", Some(&code_hash(app, &code)), Some(until), now, entry)
        .await?
    {
        return Err(WebLoginError::LoginClosed);
    }
    app.events.publish(&app.store, &topic(id), "approved");
    Ok(())
}

pub async fn deny(app: &App, citizen_id: &str, id: &str) -> Result<(), WebLoginError> {
    let now = app.clock.now_ms();
    let detail = json!({"request_id": id, "reason": "denied by the citizen"});
    let entry = Entry { citizen_id, kind: "web_login_denied", detail: &detail };
    if !app.store.web_login_decide(id, citizen_id, "denied", None, None, now, entry).await? {
        return Err(Failure::NotFound(Thing::LoginRequestWaiting).into());
    }
    app.events.publish(&app.store, &topic(id), "denied");
    Ok(())
}

/// The browser trades its login code (with its poll secret) for a session of its own, no higher than the
/// approving app session's level.
pub async fn exchange(
    app: &App,
    code: &str,
    poll: Option<&str>,
    user_agent: Option<&str>,
) -> Result<TokenAnswer, WebLoginError> {
    let hash = code_hash(app, code);
    let row = app.store.web_login_by_code(&hash).await?.ok_or(WebLoginError::LoginCodeInvalid)?;
    if !poll_matches(app, &row.poll_hash, poll) {
        return Err(WebLoginError::PollSecretInvalid);
    }
    let row = app.store.web_login_exchange(&hash, app.clock.now_ms()).await?.ok_or(WebLoginError::LoginCodeInvalid)?;
    let citizen_id = row.citizen_id.clone().ok_or(internal("an approved login without its citizen"))?;
    // Whatever the approving phone's level, the browser's session is `web`: it reads and pays, nothing more.
    let opening = Opening { citizen_id: &citizen_id, acr: Acr::Web, device_id: None, client: "web", user_agent };
    let tokens = session::open(app, opening).await?;
    // The phone hears of every website session with what it needs to end it in one call.
    let (browser, os) = describe_user_agent(row.user_agent.as_deref().unwrap_or(""));
    let body = json!({
        "session_id": tokens.tokens.session_id, "site": row.site, "browser": browser, "os": os, "city": row.city,
        "at": from_millis(app.clock.now_ms()), "end_with": format!("DELETE /v1/me/sessions/{}", tokens.tokens.session_id),
    });
    let outcome =
        Outcome { history: vec![], notification: Some(notify::notification(&citizen_id, "web_session_opened", body)) };
    let published = app.store.record_outcome(&outcome, app.clock.now_ms()).await?;
    notify::publish(app, published);
    Ok(tokens)
}

/// A new signing request, for the website.
pub struct SignCreated {
    pub request_id: String,
    pub qr_url: String,
    pub expires_at: DateTime<Utc>,
    pub poll_secret: String,
}

/// A new signing request of the organisation `org` (client id, registered name).
pub async fn create_sign(
    app: &App,
    digest: &str,
    description: &Multilingual,
    org: (&str, &str),
    ttl: Duration,
    ip: &str,
) -> Result<SignCreated, WebLoginError> {
    ip_limit(app, "web-request-ip", &REQUESTS_PER_IP, ip).await?;
    if ttl <= Duration::zero() || ttl > SIGN_REQUEST_MAX_TTL {
        let max = SIGN_REQUEST_MAX_TTL.num_seconds();
        return Err(invalid("ttl_seconds", Rule::SecondsBetween { min: 1, max }).into());
    }
    let now = app.clock.now();
    let id = uuid::Uuid::new_v4().to_string();
    let poll = random_token::<POLL_SECRET_BYTES>(&app.rng)?;
    let expires = now + ttl;
    let description = serde_json::to_string(description).map_err(|_| internal("serialising a description"))?;
    let new = NewSignRequest {
        id: &id,
        poll_hash: &poll_hash(app, &poll),
        digest,
        description: &description,
        organisation: org.1,
        organisation_id: org.0,
    };
    app.store.sign_request_insert(&new, now.timestamp_millis(), expires.timestamp_millis()).await?;
    Ok(SignCreated {
        qr_url: format!("{}/qs/{id}", app.public_url),
        request_id: id,
        expires_at: expires,
        poll_secret: poll,
    })
}

/// The exact bytes a device signs for request `r`.
fn message_of(r: &SignRequestRow, description: &Multilingual) -> Vec<u8> {
    sign_request_message(&r.id, &r.digest, &r.organisation_id, &r.organisation, description)
}

/// A stored request's descriptions; unreadable ones are an error, never an empty text to sign.
fn descriptions_of(r: &SignRequestRow) -> Result<Multilingual, Failure> {
    serde_json::from_str(&r.description).map_err(|_| internal("a stored description"))
}

pub fn sign_view(app: &App, r: SignRequestRow) -> Result<SignRequest, WebLoginError> {
    let status = match SignStatus::parse(&r.status) {
        Some(SignStatus::Pending) if r.expires_at <= app.clock.now_ms() => SignStatus::Expired,
        Some(status) => status,
        None => return Err(internal("a stored signing status").into()),
    };
    let description = descriptions_of(&r)?;
    Ok(SignRequest {
        message: URL_SAFE_NO_PAD.encode(message_of(&r, &description)),
        request_id: r.id,
        organisation: r.organisation,
        description: description.by_code(),
        digest: r.digest,
        status,
        expires_at: from_millis(r.expires_at).into(),
        signer_name: r.signer_name,
        public_key: r.public_key,
        signature: r.signature,
        signed_at: r.signed_at.map(|at| from_millis(at).into()),
    })
}

/// The citizen signs with their enrolled device key (needs an `eds` session); once.
pub async fn sign(
    app: &App,
    citizen_id: &str,
    id: &str,
    key_id: &str,
    signature: &str,
) -> Result<SignRequest, WebLoginError> {
    let r = app.store.sign_request(id).await?.ok_or(Failure::NotFound(Thing::SigningRequest))?;
    let sig = decode_b64(signature).ok_or_else(|| invalid("signature", Rule::Base64Url))?;
    let (public_key, _device) =
        app.store.device_of_citizen(key_id, citizen_id, app.clock.now_ms()).await?.ok_or(WebLoginError::KeyNotYours)?;
    let description = descriptions_of(&r)?;
    if !app.eds.verify(&public_key, &message_of(&r, &description), &sig) {
        return Err(WebLoginError::SignatureInvalid);
    }
    let citizen = app.store.citizen_by_id(citizen_id).await?.ok_or(internal("a signed-in citizen vanished"))?;
    let name = format!("{} {}", citizen.surname, citizen.given_name);
    let now = app.clock.now_ms();
    let detail = json!({"request_id": id, "organisation": r.organisation, "what": description.en, "digest": r.digest});
    let entry = Entry { citizen_id, kind: "request_signed", detail: &detail };
    let signature = URL_SAFE_NO_PAD.encode(&sig);
    if !app.store.sign_request_sign(id, citizen_id, key_id, &public_key, &signature, &name, now, entry).await? {
        return Err(WebLoginError::SigningClosed);
    }
    app.events.publish(&app.store, &sign_topic(id), "signed");
    let row = app.store.sign_request(id).await?.ok_or(internal("a signed request vanished"))?;
    sign_view(app, row)
}
