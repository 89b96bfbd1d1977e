//! Sign-in routes: SMS one-time passwords, digital-signature challenges, refresh and logout.

use crate::AppState;
use crate::http::extract::{CitizenAuth, ClientIp, UserAgent};
use crate::http::problem::{ApiError, Json};
use crate::http::wording::invalid;
use crate::service::error::Rule;
use crate::service::session::Opening;
use crate::service::{eds, otp, session};
use axum::extract::State;
use axum::http::StatusCode;
use egov_api::wire::{
    ChallengeRequest, CodeRequest, EdsChallenge, OtpFlow, PhoneRequest, RefreshRequest, SignedChallenge, TokenAnswer,
};
use egov_core::auth::otp::{OTP_RESEND_COOLDOWN, OTP_TTL, OtpPurpose};
use egov_core::auth::session::Acr;
use egov_core::identity::{Iin, Phone};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(otp_start))
        .routes(routes!(otp_verify))
        .routes(routes!(eds_challenge))
        .routes(routes!(eds_verify))
        .routes(routes!(refresh))
        .routes(routes!(logout))
}

/// Parses a phone field into the E.164 form or a 422 naming the field.
pub fn phone_field(field: &'static str, value: &str) -> Result<Phone, ApiError> {
    Phone::parse(value).map_err(|e| invalid(field, Rule::Phone(e)))
}

/// Parses an IIN field or a 422 naming the field.
pub fn iin_field(field: &'static str, value: &str) -> Result<Iin, ApiError> {
    Iin::parse(value).map_err(|e| invalid(field, Rule::Iin(e)))
}

impl From<otp::Started> for OtpFlow {
    fn from(s: otp::Started) -> Self {
        OtpFlow {
            flow_id: s.flow_id,
            expires_in: OTP_TTL.num_seconds(),
            resend_after: OTP_RESEND_COOLDOWN.num_seconds(),
        }
    }
}

/// Sends a sign-in code by SMS. The answer is the same for every valid mobile number, registered or not;
/// only registered numbers receive a code.
#[utoipa::path(post, path = "/v1/auth/otp/start", tag = "auth", request_body = PhoneRequest,
    responses((status = 202, body = OtpFlow), (status = 422, description = "not a Kazakhstan mobile number"), (status = 429, description = "send limit"), (status = 503, description = "sms-paused: the SMS circuit breaker of this number's block is open")))]
async fn otp_start(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<PhoneRequest>,
) -> Result<(StatusCode, Json<OtpFlow>), ApiError> {
    let phone = phone_field("phone", &body.phone)?;
    let citizen = app.store.citizen_by_phone(phone.as_str()).await?;
    let message = if citizen.is_some() { otp::Message::Code } else { otp::Message::Nothing };
    let started =
        otp::start(&app, OtpPurpose::Login, &phone, citizen.as_ref().map(|c| c.id.as_str()), message, &ip).await?;
    Ok((StatusCode::ACCEPTED, Json(started.into())))
}

/// Checks the code and opens a limited (`otp`) session.
#[utoipa::path(post, path = "/v1/auth/otp/verify", tag = "auth", request_body = CodeRequest,
    responses((status = 200, body = TokenAnswer), (status = 401, description = "wrong, used, expired or burned code"), (status = 429, description = "locked")))]
async fn otp_verify(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(ua): UserAgent,
    Json(body): Json<CodeRequest>,
) -> Result<Json<TokenAnswer>, ApiError> {
    let flow = otp::check(&app, &body.flow_id, &body.code, OtpPurpose::Login, &ip).await?;
    let citizen_id = flow.citizen_id.clone().ok_or_else(ApiError::internal)?;
    otp::consume(&app, &flow).await?;
    let opening =
        Opening { citizen_id: &citizen_id, acr: Acr::Otp, device_id: None, client: "app", user_agent: ua.as_deref() };
    Ok(Json(session::open(&app, opening).await?))
}

/// A single-use challenge (2 minutes) for digital-signature sign-in.
#[utoipa::path(post, path = "/v1/auth/eds/challenge", tag = "auth", request_body = ChallengeRequest,
    responses((status = 200, body = EdsChallenge), (status = 422, description = "invalid IIN")))]
async fn eds_challenge(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<ChallengeRequest>,
) -> Result<Json<EdsChallenge>, ApiError> {
    let iin = iin_field("iin", &body.iin)?;
    Ok(Json(eds::challenge(&app, &iin, &ip).await?))
}

/// Checks the signature and opens a full (`eds`) session.
#[utoipa::path(post, path = "/v1/auth/eds/verify", tag = "auth", request_body = SignedChallenge,
    responses((status = 200, body = TokenAnswer), (status = 401, description = "bad signature or challenge")))]
async fn eds_verify(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(ua): UserAgent,
    Json(body): Json<SignedChallenge>,
) -> Result<Json<TokenAnswer>, ApiError> {
    Ok(Json(eds::verify(&app, &body.challenge_id, &body.key_id, &body.signature, &ip, ua.as_deref()).await?))
}

/// Trades the refresh token for new tokens (the old one is spent; presenting it again ends the session).
#[utoipa::path(post, path = "/v1/auth/refresh", operation_id = "refresh_session", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenAnswer), (status = 401, description = "unknown, replayed or expired")))]
async fn refresh(State(app): State<AppState>, Json(body): Json<RefreshRequest>) -> Result<Json<TokenAnswer>, ApiError> {
    Ok(Json(session::refresh(&app, &body.refresh_token).await?))
}

/// Ends the current session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", responses((status = 204), (status = 401)))]
async fn logout(State(app): State<AppState>, me: CitizenAuth) -> Result<StatusCode, ApiError> {
    session::revoke(&app, &me.citizen_id, &me.session_id, "logout").await?;
    Ok(StatusCode::NO_CONTENT)
}
