//! Registration routes: phone + code, IIN + birth date, device key.

use crate::AppState;
use crate::http::auth::{iin_field, phone_field};
use crate::http::extract::{ClientIp, UserAgent};
use crate::http::problem::{ApiError, Json};
use crate::http::wording::invalid;
use crate::service::error::Rule;
use crate::service::registration;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use egov_api::wire::{DeviceKey, Enrolled, Enrolment, OtpFlow, PhoneRequest, RegistrationVerify};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(start)).routes(routes!(verify)).routes(routes!(complete))
}

/// Parses a `YYYY-MM-DD` field or a 422 naming it.
pub fn date_field(field: &'static str, value: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| invalid(field, Rule::Date))
}

/// Registration step 1: a code to the phone to register (a registered number gets a notice, and the same
/// answer).
#[utoipa::path(post, path = "/v1/registration/start", tag = "registration", request_body = PhoneRequest,
    responses((status = 202, body = OtpFlow), (status = 422), (status = 429), (status = 503, description = "sms-paused: the SMS circuit breaker of this number's block is open")))]
async fn start(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<PhoneRequest>,
) -> Result<(StatusCode, Json<OtpFlow>), ApiError> {
    let phone = phone_field("phone", &body.phone)?;
    Ok((StatusCode::ACCEPTED, Json(registration::start(&app, &phone, &ip).await?.into())))
}

/// Registration step 2: the code, then IIN and birth date checked against the state registry, then the
/// identity evidence through the identity-verification service.
#[utoipa::path(post, path = "/v1/registration/verify", tag = "registration", request_body = RegistrationVerify,
    responses((status = 200, body = Enrolment), (status = 401, description = "code"), (status = 409, description = "already registered"),
        (status = 422, description = "registry answers do not match, or no identity evidence"), (status = 429)))]
async fn verify(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<RegistrationVerify>,
) -> Result<Json<Enrolment>, ApiError> {
    let iin = iin_field("iin", &body.iin)?;
    let birth = date_field("birth_date", &body.birth_date)?;
    let evidence = registration::evidence_field(body.evidence.as_deref())?;
    Ok(Json(registration::verify(&app, &body.flow_id, &body.code, &iin, birth, evidence, &ip).await?))
}

/// Registration step 3: enrols the device key, binds the phone and opens a session.
#[utoipa::path(post, path = "/v1/registration/complete", tag = "registration", request_body = DeviceKey,
    responses((status = 201, body = Enrolled), (status = 401), (status = 409), (status = 422)))]
async fn complete(
    State(app): State<AppState>,
    UserAgent(ua): UserAgent,
    Json(body): Json<DeviceKey>,
) -> Result<(StatusCode, Json<Enrolled>), ApiError> {
    let done = registration::complete(
        &app,
        &body.enrolment_token,
        &body.public_key,
        &body.signature,
        &body.device_name,
        None,
        ua.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(done)))
}
