//! SMS one-time passwords: start a flow (send, or pretend to for an unregistered phone) and check a code.

use crate::App;
use crate::http::problem::ApiError;
use crate::store::otp::{FlowRow, NewFlow};
use crate::store::sms::NewSms;
use axum::http::StatusCode;
use egov_core::auth::otp::{
    OTP_MAX_TRIES_PER_CODE, OTP_TTL, OtpPurpose, SMS_PER_BLOCK, SMS_SENDER, generate_code, is_well_formed,
    lockout_after, mac_input, may_send, sms_text,
};
use egov_core::auth::rate::{OTP_SENDS_PER_IP, OTP_VERIFIES_PER_IP};
use egov_core::identity::Phone;

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
) -> Result<(), ApiError> {
    let now = app.clock.now();
    let tally = app.store.rate_hit(bucket, ip, window, now).await?;
    if window.allows(tally, now) {
        Ok(())
    } else {
        Err(ApiError::too_many(
            "rate-limited",
            "too many requests from this address; try again later",
            window.retry_after(tally, now),
        ))
    }
}

/// The SMS circuit breaker (`SMS_PER_BLOCK`): every request for a code counts against the number's
/// block, whether or not a message goes out, so the answer never tells a registered number from another.
async fn sms_breaker(app: &App, phone: &Phone, now: chrono::DateTime<chrono::Utc>) -> Result<(), ApiError> {
    let window = &SMS_PER_BLOCK;
    let tally = app.store.rate_hit("sms-block", phone.block(), window, now).await?;
    if window.allows(tally, now) {
        return Ok(());
    }
    if tally.current == window.limit + 1 {
        // Once per trip, for the operators; the block is not personal data, the number is never logged.
        tracing::warn!(block = phone.block(), "SMS circuit breaker open: unusual volume of code requests");
    }
    let mut e = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "sms-paused",
        "text messages to numbers like this one are paused for a few minutes because of unusual traffic; \
         sign in with your digital signature or try again later",
    );
    e.retry_after = Some(window.retry_after(tally, now));
    Err(e)
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
) -> Result<Started, ApiError> {
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
        Err(refused) => {
            let secs = refused.retry_after().num_seconds().max(1) as u64;
            let wait = egov_core::time::wait_in_words(secs);
            Err(ApiError::too_many("otp-send-limit", format!("a new code can be sent in {wait}"), secs))
        }
    }
}

fn otp_error(kind: &'static str, detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, kind, detail)
}

/// Checks `code` against flow `flow_id` of `purpose`, counting the try first. A right code is not yet
/// consumed (the caller consumes it once everything else it needs is right); a wrong one counts against
/// the code (5 tries) and the phone (10 in a row lock it with growing back-off).
pub async fn check(app: &App, flow_id: &str, code: &str, purpose: OtpPurpose, ip: &str) -> Result<FlowRow, ApiError> {
    ip_limit(app, "otp-verify-ip", &OTP_VERIFIES_PER_IP, ip).await?;
    let flow = app
        .store
        .otp_flow(flow_id)
        .await?
        .filter(|f| f.purpose == purpose.as_str())
        .ok_or_else(|| ApiError::not_found("flow"))?;
    let now = app.clock.now();
    if let Some(until) = app.store.otp_locked_until(&flow.phone).await?.filter(|u| *u > now.timestamp_millis()) {
        let secs = ((until - now.timestamp_millis()) / 1000).max(1) as u64;
        return Err(ApiError::too_many(
            "otp-locked",
            format!("too many wrong codes: sign-in by SMS is locked for {}", egov_core::time::wait_in_words(secs)),
            secs,
        ));
    }
    if !is_well_formed(code) {
        return Err(ApiError::validation("code", "must be 6 digits"));
    }
    let Some(attempt) = app.store.otp_count_try(flow_id, OTP_MAX_TRIES_PER_CODE, now.timestamp_millis()).await? else {
        return Err(match (&flow.consumed_at, &flow.voided_at) {
            (Some(_), _) => otp_error("otp-used", "this code was already used; request a new one"),
            (_, Some(_)) => otp_error("otp-superseded", "a newer code was sent; use the latest one"),
            _ if flow.expires_at <= now.timestamp_millis() => {
                otp_error("otp-expired", "this code has expired; request a new one")
            }
            _ => otp_error("otp-burned", "too many wrong tries for this code; request a new one"),
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
        let secs = lock.num_seconds() as u64;
        return Err(ApiError::too_many(
            "otp-locked",
            format!("too many wrong codes: sign-in by SMS is locked for {}", egov_core::time::wait_in_words(secs)),
            secs,
        ));
    }
    let left = OTP_MAX_TRIES_PER_CODE as i64 - attempt.tries;
    let detail = match left {
        1 => "wrong code; 1 try left".to_string(),
        2.. => format!("wrong code; {left} tries left"),
        _ => "wrong code; request a new one".to_string(),
    };
    Err(otp_error("otp-wrong", &detail).with("tries_left", left.max(0)))
}

/// Consumes a checked flow (once, even under concurrent requests).
pub async fn consume(app: &App, flow: &FlowRow) -> Result<(), ApiError> {
    if app.store.otp_consume(&flow.id, app.clock.now_ms()).await? {
        Ok(())
    } else {
        Err(otp_error("otp-used", "this code was already used; request a new one"))
    }
}
