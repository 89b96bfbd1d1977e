//! SMS one-time passwords: start a flow (send, or pretend to for an unregistered phone) and check a code.

use crate::App;
use crate::service::error::{Failure, Rule, Thing, capability_error, invalid};
use crate::store::otp::{FlowRow, NewFlow};
use crate::store::sms::NewSms;
use egov_core::auth::otp::{
    OTP_MAX_TRIES_PER_CODE, OTP_TTL, OtpPurpose, SMS_PER_BLOCK, SMS_SENDER, generate_code, is_well_formed,
    lockout_after, mac_input, may_send, sms_text,
};
use egov_core::auth::rate::{OTP_SENDS_PER_IP, OTP_VERIFIES_PER_IP};
use egov_core::identity::Phone;

/// Why a code was not sent or not accepted.
#[derive(Debug, thiserror::Error)]
pub enum OtpError {
    #[error(transparent)]
    Common(#[from] Failure),
    #[error(
        "text messages to numbers like this one are paused for a few minutes because of unusual traffic; sign in with your digital signature or try again later"
    )]
    SmsPaused { retry_after: u64 },
    #[error("a new code can be sent in {}", egov_core::time::wait_in_words(*retry_after))]
    SendLimit { retry_after: u64 },
    #[error("too many wrong codes: sign-in by SMS is locked for {}", egov_core::time::wait_in_words(*retry_after))]
    Locked { retry_after: u64 },
    #[error("this code was already used; request a new one")]
    Used,
    #[error("a newer code was sent; use the latest one")]
    Superseded,
    #[error("this code has expired; request a new one")]
    Expired,
    #[error("too many wrong tries for this code; request a new one")]
    Burned,
    #[error("wrong code; {}", match tries_left { 1 => "1 try left".to_string(), 2.. => format!("{tries_left} tries left"), _ => "request a new one".to_string() })]
    Wrong { tries_left: i64 },
}
capability_error!(OtpError);

/// What the SMS of a new flow carries.
pub enum Message {
    /// A code for the flow.
    Code,
    /// A notice instead of a code (e.g. "this number is already registered"); the flow can never verify.
    Notice(String),
    /// Nothing at all (an unregistered phone asking to log in); the flow can never verify.
    Nothing,
}

/// A started flow.
pub struct Started {
    pub flow_id: String,
}

/// Per-IP limit check; `bucket` names the limit.
pub async fn ip_limit(
    app: &App,
    bucket: &str,
    window: &egov_core::auth::rate::Window,
    ip: &str,
) -> Result<(), Failure> {
    let now = app.clock.now();
    let tally = app.store.rate_hit(bucket, ip, window, now).await?;
    if window.allows(tally, now) {
        Ok(())
    } else {
        Err(Failure::RateLimited { retry_after: window.retry_after(tally, now) })
    }
}

/// The SMS circuit breaker (`SMS_PER_BLOCK`): every request for a code counts against the number's
/// block, whether or not a message goes out, so the answer never tells a registered number from another.
async fn sms_breaker(app: &App, phone: &Phone, now: chrono::DateTime<chrono::Utc>) -> Result<(), OtpError> {
    let window = &SMS_PER_BLOCK;
    let tally = app.store.rate_hit("sms-block", phone.block(), window, now).await?;
    if window.allows(tally, now) {
        return Ok(());
    }
    if tally.current == window.limit + 1 {
        // Once per trip, for the operators; the block is not personal data, the number is never logged.
        tracing::warn!(block = phone.block(), "SMS circuit breaker open: unusual volume of code requests");
    }
    Err(OtpError::SmsPaused { retry_after: window.retry_after(tally, now) })
}

/// Starts a flow for `phone`. The answer is the same whatever `message` is, so a caller cannot tell a
/// registered phone from an unregistered one; the send limits apply to both alike.
pub async fn start(
    app: &App,
    purpose: OtpPurpose,
    phone: &Phone,
    citizen_id: Option<&str>,
    message: Message,
    ip: &str,
) -> Result<Started, OtpError> {
    ip_limit(app, "otp-send-ip", &OTP_SENDS_PER_IP, ip).await?;
    let now = app.clock.now();
    sms_breaker(app, phone, now).await?;
    let flow_id = uuid::Uuid::new_v4().to_string();
    let expires = now + OTP_TTL;
    let (code_hash, text, kind) = match message {
        Message::Code => {
            let code = generate_code(&app.rng)?;
            let hash = app.keys.hash_secret(&[&mac_input(purpose, &flow_id, phone.as_str(), &code)]);
            (Some(hash), Some(sms_text(purpose, &code)), "otp")
        }
        Message::Notice(text) => (None, Some(text), "notice"),
        Message::Nothing => (None, None, "none"),
    };
    let flow = NewFlow {
        id: &flow_id,
        purpose: purpose.as_str(),
        phone: phone.as_str(),
        citizen_id,
        code_hash: code_hash.as_deref(),
        expires_at_ms: expires.timestamp_millis(),
    };
    let sms = text.as_deref().map(|text| NewSms {
        phone: phone.as_str(),
        sender: SMS_SENDER,
        text,
        kind,
        expires_at_ms: (kind == "otp").then(|| expires.timestamp_millis()),
    });
    match app.store.otp_start(&flow, sms.as_ref(), now, |sends| may_send(now, sends)).await? {
        Ok(()) => {
            app.sms_wake.notify_one();
            Ok(Started { flow_id })
        }
        Err(refused) => Err(OtpError::SendLimit { retry_after: refused.retry_after().num_seconds().max(1) as u64 }),
    }
}

/// Checks `code` against flow `flow_id` of `purpose`, counting the try first. A right code is not yet
/// consumed (the caller consumes it once everything else it needs is right); a wrong one counts against
/// the code (5 tries) and the phone (10 in a row lock it with growing back-off).
pub async fn check(app: &App, flow_id: &str, code: &str, purpose: OtpPurpose, ip: &str) -> Result<FlowRow, OtpError> {
    ip_limit(app, "otp-verify-ip", &OTP_VERIFIES_PER_IP, ip).await?;
    let flow = app
        .store
        .otp_flow(flow_id)
        .await?
        .filter(|f| f.purpose == purpose.as_str())
        .ok_or(Failure::NotFound(Thing::Flow))?;
    let now = app.clock.now();
    if let Some(until) = app.store.otp_locked_until(&flow.phone).await?.filter(|u| *u > now.timestamp_millis()) {
        return Err(OtpError::Locked { retry_after: ((until - now.timestamp_millis()) / 1000).max(1) as u64 });
    }
    if !is_well_formed(code) {
        return Err(invalid("code", Rule::Digits(6)).into());
    }
    let Some(attempt) = app.store.otp_count_try(flow_id, OTP_MAX_TRIES_PER_CODE, now.timestamp_millis()).await? else {
        return Err(match (&flow.consumed_at, &flow.voided_at) {
            (Some(_), _) => OtpError::Used,
            (_, Some(_)) => OtpError::Superseded,
            _ if flow.expires_at <= now.timestamp_millis() => OtpError::Expired,
            _ => OtpError::Burned,
        });
    };
    let right = attempt
        .code_hash
        .as_deref()
        .is_some_and(|stored| app.keys.verify_secret(&[&mac_input(purpose, flow_id, &flow.phone, code)], stored));
    if right {
        app.store.otp_phone_succeeded(&flow.phone).await?;
        return Ok(flow);
    }
    let failures = app.store.otp_phone_failed(&flow.phone).await?;
    if let Some(citizen_id) = &flow.citizen_id {
        let detail = serde_json::json!({"method": "otp", "reason": "wrong code"});
        app.store.history_add(citizen_id, "login_failed", &detail, now.timestamp_millis()).await?;
    }
    if let Some(lock) = lockout_after(failures) {
        app.store.otp_phone_lock(&flow.phone, (now + lock).timestamp_millis()).await?;
        return Err(OtpError::Locked { retry_after: lock.num_seconds().max(1) as u64 });
    }
    Err(OtpError::Wrong { tries_left: (OTP_MAX_TRIES_PER_CODE as i64 - attempt.tries).max(0) })
}

/// Consumes a checked flow (once, even under concurrent requests).
pub async fn consume(app: &App, flow: &FlowRow) -> Result<(), OtpError> {
    if app.store.otp_consume(&flow.id, app.clock.now_ms()).await? { Ok(()) } else { Err(OtpError::Used) }
}
