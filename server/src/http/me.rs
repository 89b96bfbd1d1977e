//! The signed-in citizen: profile, sessions, phone change, devices, history.

use crate::AppState;
use crate::http::auth::phone_field;
use crate::http::extract::{
    CanApproveDevice, CanChangePhone, CanRequestDevice, CanViewHistory, CanViewProfile, CitizenAuth, ClientIp,
};
use crate::http::problem::{ApiError, Json, Path, Query};
use crate::http::wording::invalid;
use crate::http::wording::not_found;
use crate::service::error::Rule;
use crate::service::error::Thing;
use crate::service::registration::{DeviceProof, DeviceView};
use crate::service::{enums, phone, registration, session};
use crate::store::from_millis;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use egov_api::wire::{
    CodeRequest, DeviceKey, DeviceSession, Enrolled, Enrolment, EnrolmentRequest, HistoryEntry, Json as Free, OtpFlow,
    PairingCode, PhoneRequest, Profile, ProofMethod, SessionClient,
};
use egov_core::auth::registration::DeviceState;
use egov_core::auth::session::{Acr, Action, session_expires_at};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(phone_start))
        .routes(routes!(phone_confirm))
        .routes(routes!(device_enrolment))
        .routes(routes!(device_enrol, devices))
        .routes(routes!(device_approve))
        .routes(routes!(device_revoke))
        .routes(routes!(history))
}

/// The citizen's profile.
#[utoipa::path(get, path = "/v1/me", tag = "me", responses((status = 200, body = Profile), (status = 401)))]
async fn me(State(app): State<AppState>, CanViewProfile(who): CanViewProfile) -> Result<Json<Profile>, ApiError> {
    let c = app.store.citizen_by_id(&who.citizen_id).await?.ok_or_else(|| not_found(Thing::Citizen))?;
    Ok(Json(Profile {
        citizen_id: c.id.clone(),
        phone: c.phone.clone(),
        person: c.into(),
        acr: enums::acr(who.acr),
        session_id: who.session_id,
    }))
}

/// The citizen's live sessions.
#[utoipa::path(get, path = "/v1/me/sessions", tag = "me", responses((status = 200, body = Vec<DeviceSession>), (status = 401)))]
async fn sessions(
    State(app): State<AppState>,
    CanViewHistory(who): CanViewHistory,
) -> Result<Json<Vec<DeviceSession>>, ApiError> {
    let mut out = Vec::new();
    for s in app.store.sessions_of(&who.citizen_id).await? {
        if !session::usable(&app, &s) {
            continue;
        }
        let device = match &s.device_id {
            Some(d) => app.store.device_name(d).await?,
            None => None,
        };
        let acr = Acr::parse(&s.acr).unwrap_or(Acr::Otp);
        let client = SessionClient::parse(&s.client).ok_or_else(ApiError::internal)?;
        out.push(DeviceSession {
            current: s.id == who.session_id,
            expires_at: session_expires_at(acr, from_millis(s.created_at), from_millis(s.last_used_at)).into(),
            id: s.id,
            acr: enums::acr(acr),
            client,
            device,
            user_agent: s.user_agent,
            created_at: from_millis(s.created_at).into(),
            last_used_at: from_millis(s.last_used_at).into(),
        });
    }
    Ok(Json(out))
}

/// Ends one of the citizen's sessions (404 for anyone else's). Any session may end itself; the app (`otp`
/// or `eds`) may end a website session; any other session needs `eds`.
#[utoipa::path(delete, path = "/v1/me/sessions/{id}", tag = "me", params(("id" = String, Path)),
    responses((status = 204), (status = 403, description = "level-required"), (status = 404)))]
async fn revoke_session(
    State(app): State<AppState>,
    who: CitizenAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let target = session::of_citizen(&app, &who.citizen_id, &id).await?;
    who.require(if target.id == who.session_id {
        Action::EndOwnSession
    } else if target.acr == Acr::Web.as_str() {
        Action::EndWebSession
    } else {
        Action::EndOtherSessions
    })?;
    session::revoke(&app, &who.citizen_id, &id, "revoked-by-citizen").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Phone change step 1 (needs an `eds` session): a code to the new number.
#[utoipa::path(post, path = "/v1/me/phone/start", tag = "me", request_body = PhoneRequest,
    responses((status = 202, body = OtpFlow, description = "alike whether or not the number is taken"), (status = 403, description = "level-required"), (status = 429, description = "send limit"), (status = 503, description = "sms-paused: the SMS circuit breaker of this number's block is open")))]
async fn phone_start(
    State(app): State<AppState>,
    CanChangePhone(who): CanChangePhone,
    ClientIp(ip): ClientIp,
    Json(body): Json<PhoneRequest>,
) -> Result<(StatusCode, Json<OtpFlow>), ApiError> {
    let new_phone = phone_field("phone", &body.phone)?;
    Ok((StatusCode::ACCEPTED, Json(phone::start(&app, &who.citizen_id, &new_phone, &ip).await?.into())))
}

#[derive(Serialize, ToSchema)]
pub struct PhoneChanged {
    pub phone: String,
    /// How many other sessions were ended.
    pub sessions_revoked: u64,
}

/// Phone change step 2: the code from the new number. Other sessions end; the old number is told.
#[utoipa::path(post, path = "/v1/me/phone/confirm", tag = "me", request_body = CodeRequest,
    responses((status = 200, body = PhoneChanged), (status = 401), (status = 403)))]
async fn phone_confirm(
    State(app): State<AppState>,
    CanChangePhone(who): CanChangePhone,
    ClientIp(ip): ClientIp,
    Json(body): Json<CodeRequest>,
) -> Result<Json<PhoneChanged>, ApiError> {
    let (phone, sessions_revoked) =
        phone::confirm(&app, &who.citizen_id, &who.session_id, &body.flow_id, &body.code, &ip).await?;
    Ok(Json(PhoneChanged { phone, sessions_revoked }))
}

/// Asks to enrol this device's key (`otp` or `eds`; never a website session). Nothing a signed-in
/// session knows unlocks it: the key signs only after an `eds` approval or an identity re-proofing and
/// its hold.
#[utoipa::path(post, path = "/v1/me/devices/enrolment", tag = "me", request_body = EnrolmentRequest,
    responses((status = 200, body = Enrolment), (status = 403, description = "level-required"),
        (status = 422, description = "evidence missing or not confirmed"), (status = 429)))]
async fn device_enrolment(
    State(app): State<AppState>,
    CanRequestDevice(who): CanRequestDevice,
    ClientIp(ip): ClientIp,
    Json(body): Json<EnrolmentRequest>,
) -> Result<Json<Enrolment>, ApiError> {
    let proof = match body.method {
        ProofMethod::Approval if body.evidence.is_some() => {
            return Err(invalid("evidence", Rule::OnlyWith("identity")));
        }
        ProofMethod::Approval => DeviceProof::Approval,
        ProofMethod::Identity => {
            DeviceProof::Identity { evidence: registration::evidence_field(body.evidence.as_deref())? }
        }
    };
    Ok(Json(registration::device_enrolment(&app, &who.citizen_id, proof, &ip).await?))
}

/// Completes a device enrolment with the device's public key and its proof of possession. The key then
/// waits for an approval or its hold (`status`).
#[utoipa::path(post, path = "/v1/me/devices", tag = "me", request_body = DeviceKey,
    responses((status = 201, body = Enrolled), (status = 401), (status = 403, description = "level-required"), (status = 422)))]
async fn device_enrol(
    State(app): State<AppState>,
    CanRequestDevice(who): CanRequestDevice,
    Json(body): Json<DeviceKey>,
) -> Result<(StatusCode, Json<Enrolled>), ApiError> {
    let done = registration::complete(
        &app,
        &body.enrolment_token,
        &body.public_key,
        &body.signature,
        &body.device_name,
        Some(&who.citizen_id),
        None,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(done)))
}

/// The citizen's device keys and where each stands.
#[utoipa::path(get, path = "/v1/me/devices", tag = "me", responses((status = 200, body = Vec<DeviceView>), (status = 401)))]
async fn devices(
    State(app): State<AppState>,
    CanViewHistory(who): CanViewHistory,
) -> Result<Json<Vec<DeviceView>>, ApiError> {
    Ok(Json(registration::devices(&app, &who.citizen_id).await?))
}

/// An enrolled device (`eds`) approves a waiting one with the code the new device shows; three wrong
/// codes refuse the waiting device for good.
#[utoipa::path(post, path = "/v1/me/devices/{id}/approve", tag = "me", params(("id" = String, Path)), request_body = PairingCode,
    responses((status = 200, body = DeviceView), (status = 403, description = "level-required"), (status = 404),
        (status = 409, description = "not waiting"), (status = 422, description = "wrong code")))]
async fn device_approve(
    State(app): State<AppState>,
    CanApproveDevice(who): CanApproveDevice,
    Path(id): Path<String>,
    Json(body): Json<PairingCode>,
) -> Result<Json<DeviceView>, ApiError> {
    // A pairing code has the shape of an SMS code (six digits, from the same generator).
    if !egov_core::auth::otp::is_well_formed(&body.pairing_code) {
        return Err(invalid("pairing_code", Rule::Digits(6)));
    }
    Ok(Json(registration::approve_device(&app, &who.citizen_id, &id, &body.pairing_code).await?))
}

/// Cancels a device that waits for approval or its hold (`otp` or `eds`), or revokes an active one
/// (`eds`); its sessions end.
#[utoipa::path(delete, path = "/v1/me/devices/{id}", tag = "me", params(("id" = String, Path)),
    responses((status = 204), (status = 403, description = "level-required"), (status = 404)))]
async fn device_revoke(
    State(app): State<AppState>,
    who: CitizenAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let state = registration::device_state(&app, &who.citizen_id, &id).await?;
    who.require(if state == DeviceState::Active { Action::EndOtherSessions } else { Action::CancelDeviceEnrolment })?;
    registration::revoke_device(&app, &who.citizen_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// At most this many entries (1-200, default 50).
    limit: Option<u32>,
    /// Only entries before this instant (RFC 3339), for paging.
    before: Option<DateTime<Utc>>,
}

/// The citizen's history, newest first.
#[utoipa::path(get, path = "/v1/history", tag = "me", params(HistoryQuery), responses((status = 200, body = Vec<HistoryEntry>)))]
async fn history(
    State(app): State<AppState>,
    CanViewHistory(who): CanViewHistory,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Vec<HistoryEntry>>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(invalid("limit", Rule::Between { min: 1, max: 200 }));
    }
    let rows = app.store.history_list(&who.citizen_id, limit, q.before.map(|b| b.timestamp_millis())).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| HistoryEntry {
                id: r.id,
                at: from_millis(r.at).into(),
                kind: r.kind,
                detail: Free(serde_json::from_str(&r.detail).unwrap_or_default()),
            })
            .collect(),
    ))
}
