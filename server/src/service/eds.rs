//! Digital-signature sign-in: a fresh single-use challenge, signed by the enrolled device key.

use crate::App;
use crate::http::problem::ApiError;
use crate::service::otp::ip_limit;
use crate::service::session::{self, Opening, Tokens};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use egov_core::auth::eds::{CHALLENGE_NONCE_BYTES, CHALLENGE_TTL, decode_b64, login_message};
use egov_core::auth::rate::EDS_ATTEMPTS_PER_IP;
use egov_core::auth::session::Acr;
use egov_core::identity::Iin;
use egov_core::secret::random_token;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Challenge {
    pub challenge_id: String,
    /// 256 random bits, base64url.
    pub nonce: String,
    /// Seconds the challenge lives (120).
    pub expires_in: i64,
    /// The exact bytes to sign (base64url): `egov-mobile/eds-login/v1\n{challenge_id}\n{nonce}\n{iin}`.
    pub message: String,
}

/// A challenge for `iin`. Issued whether or not the IIN has an enrolled key, so it reveals nothing.
pub async fn challenge(app: &App, iin: &Iin, ip: &str) -> Result<Challenge, ApiError> {
    ip_limit(app, "eds-ip", &EDS_ATTEMPTS_PER_IP, ip).await?;
    let now = app.clock.now();
    let id = uuid::Uuid::new_v4().to_string();
    let nonce = random_token::<CHALLENGE_NONCE_BYTES>(&app.rng)?;
    app.store
        .challenge_insert(
            &id,
            &iin.as_string(),
            &nonce,
            now.timestamp_millis(),
            (now + CHALLENGE_TTL).timestamp_millis(),
        )
        .await?;
    let message = URL_SAFE_NO_PAD.encode(login_message(&id, &nonce, &iin.as_string()));
    Ok(Challenge { challenge_id: id, nonce, expires_in: CHALLENGE_TTL.num_seconds(), message })
}

fn eds_error(kind: &'static str, detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, kind, detail)
}

/// Checks the signature over a live challenge by the named device key and opens an `eds` session.
pub async fn verify(
    app: &App,
    challenge_id: &str,
    key_id: &str,
    signature: &str,
    ip: &str,
    user_agent: Option<&str>,
) -> Result<Tokens, ApiError> {
    ip_limit(app, "eds-ip", &EDS_ATTEMPTS_PER_IP, ip).await?;
    let signature = decode_b64(signature).ok_or_else(|| ApiError::validation("signature", "must be base64url"))?;
    let now = app.clock.now_ms();
    let (iin, nonce) = app.store.challenge_consume(challenge_id, now).await?.ok_or_else(|| {
        eds_error("challenge-invalid", "the challenge is unknown, expired or already used; request a new one")
    })?;
    let Some((public_key, citizen_id, _device)) = app.store.device_of(key_id, &iin, now).await? else {
        return Err(eds_error("eds-invalid", "the signature could not be verified"));
    };
    if !app.eds.verify(&public_key, &login_message(challenge_id, &nonce, &iin), &signature) {
        let detail = serde_json::json!({"method": "eds", "reason": "bad signature", "device_id": key_id});
        app.store.history_add(&citizen_id, "login_failed", &detail, now).await?;
        return Err(eds_error("eds-invalid", "the signature could not be verified"));
    }
    session::open(
        app,
        Opening { citizen_id: &citizen_id, acr: Acr::Eds, device_id: Some(key_id), client: "app", user_agent },
    )
    .await
}
