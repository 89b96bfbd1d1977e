//! Registration (phone + code, then IIN and birth date checked against the registry, then the device key)
//! and enrolment of a further device by a signed-in citizen.

use crate::App;
use crate::http::problem::ApiError;
use crate::service::otp::{self, Message};
use crate::service::session::{self, Opening, Tokens};
use crate::store::citizens::CitizenRow;
use crate::store::history::Entry;
use crate::store::sessions::{Completion, EnrolmentRow, NewDevice};
use axum::http::StatusCode;
use chrono::NaiveDate;
use egov_core::auth::eds::{DevicePublicKey, decode_b64, enrolment_message};
use egov_core::auth::otp::OtpPurpose;
use egov_core::auth::registration::{
    ENROLMENT_TOKEN_BYTES, ENROLMENT_TTL, MISMATCHES_PER_FLOW, MISMATCHES_PER_IIN, clean_device_name,
};
use egov_core::auth::session::Acr;
use egov_core::identity::{Iin, Phone};
use egov_core::secret::random_token;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Enrolment {
    pub enrolment_id: String,
    /// Single use; present it with the device key to complete.
    pub enrolment_token: String,
    pub expires_in: i64,
    /// The exact bytes the device signs (base64url): `egov-mobile/enrol-device/v1\n{enrolment_id}\n{iin}`.
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Enrolled {
    /// The key id to name in EDS sign-in.
    pub device_id: String,
    /// Registration only: the new session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Tokens>,
}

const ALREADY_REGISTERED_SMS: &str = "eGov Mobile: бұл нөмір тіркелген / этот номер уже зарегистрирован / this number is already registered. Sign in instead.";

/// Registration step 1: a code to a phone that is not yet registered (a registered one gets a notice
/// instead, and the same answer).
pub async fn start(app: &App, phone: &Phone, ip: &str) -> Result<otp::Started, ApiError> {
    let registered = app.store.citizen_by_phone(phone.as_str()).await?.is_some();
    let message = if registered { Message::Notice(ALREADY_REGISTERED_SMS.into()) } else { Message::Code };
    otp::start(app, OtpPurpose::Registration, phone, None, message, ip).await
}

/// Counts a wrong answer against the flow (if any) and the IIN; the problem to answer with.
async fn mismatch(app: &App, flow_id: Option<&str>, iin: &Iin) -> Result<ApiError, ApiError> {
    app.store.rate_hit("registration-mismatch-iin", &iin.as_string(), &MISMATCHES_PER_IIN, app.clock.now()).await?;
    let left = match flow_id {
        Some(id) => MISMATCHES_PER_FLOW.saturating_sub(app.store.otp_count_mismatch(id).await?),
        None => 1,
    };
    Ok(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "identity-mismatch",
        "the IIN and birth date do not match the state registry",
    )
    .with("attempts_left", left))
}

async fn refuse_if_over_iin_limit(app: &App, iin: &Iin) -> Result<(), ApiError> {
    let now = app.clock.now();
    let count = app.store.rate_peek("registration-mismatch-iin", &iin.as_string(), &MISMATCHES_PER_IIN, now).await?;
    if count >= MISMATCHES_PER_IIN.limit {
        return Err(ApiError::too_many(
            "identity-locked",
            "too many wrong answers for this IIN today",
            MISMATCHES_PER_IIN.retry_after(now),
        ));
    }
    Ok(())
}

/// Checks the registry answers and the identity adapter for `citizen`.
async fn confirm_identity(app: &App, citizen: &CitizenRow, evidence: Option<&str>) -> Result<(), ApiError> {
    match app.identity.verify(&citizen.iin, evidence).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "identity-not-confirmed",
            "identity verification did not confirm you",
        )),
        Err(e) => {
            tracing::warn!(error = %e, "identity verification unavailable");
            Err(ApiError::unavailable("identity verification is unavailable; try again later"))
        }
    }
}

async fn new_enrolment(
    app: &App,
    kind: &str,
    citizen: &CitizenRow,
    phone: Option<&str>,
) -> Result<Enrolment, ApiError> {
    let now = app.clock.now();
    let id = uuid::Uuid::new_v4().to_string();
    let token = random_token::<ENROLMENT_TOKEN_BYTES>(&app.rng)?;
    let hash = app.keys.hash_secret(&["enrolment", &token]);
    app.store
        .enrolment_insert(
            &id,
            &hash,
            kind,
            &citizen.id,
            phone,
            now.timestamp_millis(),
            (now + ENROLMENT_TTL).timestamp_millis(),
        )
        .await?;
    let message =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, enrolment_message(&id, &citizen.iin));
    Ok(Enrolment { enrolment_id: id, enrolment_token: token, expires_in: ENROLMENT_TTL.num_seconds(), message })
}

/// Registration step 2: the code, then the IIN and birth date against the registry. A wrong answer costs
/// a try of the code as well, so the flow's five code tries bound it too.
pub async fn verify(
    app: &App,
    flow_id: &str,
    code: &str,
    iin: &Iin,
    birth_date: NaiveDate,
    evidence: Option<&str>,
    ip: &str,
) -> Result<Enrolment, ApiError> {
    refuse_if_over_iin_limit(app, iin).await?;
    let flow = otp::check(app, flow_id, code, OtpPurpose::Registration, ip).await?;
    if flow.mismatches >= i64::from(MISMATCHES_PER_FLOW) {
        return Err(ApiError::too_many(
            "identity-locked",
            "too many wrong answers in this registration; start again later",
            600,
        ));
    }
    let citizen = app.store.citizen_by_iin(&iin.as_string()).await?;
    let Some(citizen) = citizen.filter(|c| c.birth_date == birth_date.format("%Y-%m-%d").to_string()) else {
        return Err(mismatch(app, Some(flow_id), iin).await?);
    };
    if citizen.phone.is_some() {
        return Err(ApiError::conflict(
            "already-registered",
            "this citizen is already registered; sign in, or change the phone number from the app",
        ));
    }
    confirm_identity(app, &citizen, evidence).await?;
    otp::consume(app, &flow).await?;
    new_enrolment(app, "registration", &citizen, Some(&flow.phone)).await
}

/// A signed-in citizen proves their identity again (birth date and the identity adapter) to enrol a new
/// device key.
pub async fn device_enrolment(
    app: &App,
    citizen_id: &str,
    birth_date: NaiveDate,
    evidence: Option<&str>,
) -> Result<Enrolment, ApiError> {
    let citizen = app.store.citizen_by_id(citizen_id).await?.ok_or_else(|| ApiError::not_found("citizen"))?;
    let iin = Iin::parse(&citizen.iin).map_err(|_| ApiError::internal())?;
    refuse_if_over_iin_limit(app, &iin).await?;
    if citizen.birth_date != birth_date.format("%Y-%m-%d").to_string() {
        return Err(mismatch(app, None, &iin).await?);
    }
    confirm_identity(app, &citizen, evidence).await?;
    new_enrolment(app, "device", &citizen, None).await
}

fn enrolment_error() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "enrolment-invalid",
        "the enrolment is unknown, expired or already completed",
    )
}

/// Completes an enrolment: the device proves it holds the key by signing the enrolment message. For a
/// registration the phone is bound and a session opened; for a further device `citizen_id` must match.
pub async fn complete(
    app: &App,
    token: &str,
    public_key: &str,
    signature: &str,
    device_name: &str,
    expected_citizen: Option<&str>,
    user_agent: Option<&str>,
) -> Result<Enrolled, ApiError> {
    let key = DevicePublicKey::parse(public_key).map_err(|e| ApiError::validation("public_key", e))?;
    let signature = decode_b64(signature).ok_or_else(|| ApiError::validation("signature", "must be base64url"))?;
    let hash = app.keys.hash_secret(&["enrolment", token]);
    let now = app.clock.now_ms();
    // Verify before claiming, so a bad signature does not burn the enrolment.
    let pending: Option<EnrolmentRow> = app.store.enrolment_pending(&hash, now).await?;
    let pending = pending.ok_or_else(enrolment_error)?;
    if expected_citizen.is_some_and(|c| c != pending.citizen_id)
        || (expected_citizen.is_none() != (pending.kind == "registration"))
    {
        return Err(enrolment_error());
    }
    let citizen = app.store.citizen_by_id(&pending.citizen_id).await?.ok_or_else(enrolment_error)?;
    if !key.verifies(&enrolment_message(&pending.id, &citizen.iin), &signature) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "eds-invalid",
            "the signature does not match the public key",
        ));
    }
    let device_id = uuid::Uuid::new_v4().to_string();
    let name = clean_device_name(device_name);
    // The claimed row is the pending one: a registration's carries the phone to bind.
    let kind = if pending.phone.is_some() { "registered" } else { "device_enrolled" };
    let detail = serde_json::json!({"device": name, "device_id": device_id});
    let entry = Entry { citizen_id: &citizen.id, kind, detail: &detail };
    let device = NewDevice { id: &device_id, public_key: &key.to_b64(), name: &name };
    let claimed = match app.store.enrolment_complete(&hash, now, &device, entry).await? {
        Completion::Done(claimed) => claimed,
        Completion::Unknown => return Err(enrolment_error()),
        Completion::AlreadyRegistered => {
            return Err(ApiError::conflict("already-registered", "this citizen is already registered"));
        }
        Completion::PhoneTaken => {
            return Err(ApiError::conflict("phone-taken", "this phone number was registered meanwhile"));
        }
    };
    let tokens = if claimed.phone.is_some() {
        let opening =
            Opening { citizen_id: &citizen.id, acr: Acr::Otp, device_id: Some(&device_id), client: "app", user_agent };
        Some(session::open(app, opening).await?)
    } else {
        None
    };
    Ok(Enrolled { device_id, tokens })
}
