//! Changing the phone number: an `eds` session, a code sent to the new number; then the other sessions are
//! revoked and the old number is told.

use crate::App;
use crate::service::error::{Failure, Rule, Thing, capability_error, invalid};
use crate::service::otp::{self, Message, OtpError};
use crate::store::sms::NewSms;
use egov_core::auth::otp::{OtpPurpose, SMS_SENDER};
use egov_core::identity::Phone;

const OLD_NUMBER_NOTICE: &str = "eGov Mobile: аккаунттың нөмірі ауыстырылды / номер аккаунта изменён / the phone number of your eGov Mobile account was changed. If this was not you, call 1414.";

/// Why the phone number was not changed.
#[derive(Debug, thiserror::Error)]
pub enum PhoneChangeError {
    #[error(transparent)]
    Common(#[from] Failure),
    #[error(transparent)]
    Otp(#[from] OtpError),
    #[error("this number belongs to another eGov Mobile account")]
    Taken,
}
capability_error!(PhoneChangeError);

/// Sends a code to `new_phone` for the signed-in citizen (answering alike whether or not it is taken).
pub async fn start(app: &App, citizen_id: &str, new_phone: &Phone, ip: &str) -> Result<otp::Started, PhoneChangeError> {
    let citizen = app.store.citizen_by_id(citizen_id).await?.ok_or(Failure::NotFound(Thing::Citizen))?;
    if citizen.phone.as_deref() == Some(new_phone.as_str()) {
        return Err(invalid("phone", Rule::SameNumber).into());
    }
    // A number another account holds gets no code, and the caller the same answer as for a free one: the
    // route must not tell a stranger which numbers are registered (issue 23). Its flow can never verify.
    let taken = app.store.citizen_by_phone(new_phone.as_str()).await?.is_some();
    let message = if taken { Message::Nothing } else { Message::Code };
    Ok(otp::start(app, OtpPurpose::PhoneChange, new_phone, Some(citizen_id), message, ip).await?)
}

/// Confirms the new number with its code. Returns the number of other sessions revoked.
pub async fn confirm(
    app: &App,
    citizen_id: &str,
    session_id: &str,
    flow_id: &str,
    code: &str,
    ip: &str,
) -> Result<(String, u64), PhoneChangeError> {
    let flow = otp::check(app, flow_id, code, OtpPurpose::PhoneChange, ip).await?;
    if flow.citizen_id.as_deref() != Some(citizen_id) {
        return Err(Failure::NotFound(Thing::Flow).into());
    }
    otp::consume(app, &flow).await?;
    let citizen = app.store.citizen_by_id(citizen_id).await?.ok_or(Failure::NotFound(Thing::Citizen))?;
    let masked = |p: &str| Phone::parse(p).map(|p| p.masked()).unwrap_or_default();
    let history = serde_json::json!({"old": citizen.phone.as_deref().map(masked), "new": masked(&flow.phone)});
    let old = citizen.phone.clone().unwrap_or_default();
    let notice =
        NewSms { phone: &old, sender: SMS_SENDER, text: OLD_NUMBER_NOTICE, kind: "notice", expires_at_ms: None };
    let revoked = match app
        .store
        .citizen_change_phone(citizen_id, &flow.phone, session_id, &notice, &history, app.clock.now_ms())
        .await
    {
        Ok(n) => n,
        Err(crate::store::StoreError::Conflict) => {
            return Err(PhoneChangeError::Taken);
        }
        Err(e) => return Err(e.into()),
    };
    app.sms_wake.notify_one();
    Ok((flow.phone, revoked))
}
