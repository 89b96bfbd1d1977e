//! Digital-signature sign-in: a fresh single-use challenge, signed by the enrolled device key.

use crate::App;
use crate::service::error::{Failure, Rule, capability_error, invalid};
use crate::service::otp::ip_limit;
use crate::service::session::SessionError;
use crate::service::session::{self, Opening};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use egov_api::wire::{EdsChallenge, TokenAnswer};
use egov_core::auth::eds::{CHALLENGE_NONCE_BYTES, CHALLENGE_TTL, decode_b64, login_message};
use egov_core::auth::rate::EDS_ATTEMPTS_PER_IP;
use egov_core::auth::session::Acr;
use egov_core::identity::Iin;
use egov_core::secret::random_token;

/// A challenge for `iin`. Issued whether or not the IIN has an enrolled key, so it reveals nothing.
pub async fn challenge(app: &App, iin: &Iin, ip: &str) -> Result<EdsChallenge, EdsError> {
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
    Ok(EdsChallenge { challenge_id: id, nonce, expires_in: CHALLENGE_TTL.num_seconds(), message })
}

/// Why a digital-signature sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum EdsError {
    #[error(transparent)]
    Common(#[from] Failure),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("the challenge is unknown, expired or already used; request a new one")]
    ChallengeInvalid,
    #[error("the signature could not be verified")]
    SignatureInvalid,
}
capability_error!(EdsError);

/// Checks the signature over a live challenge by the named device key and opens an `eds` session.
pub async fn verify(
    app: &App,
    challenge_id: &str,
    key_id: &str,
    signature: &str,
    ip: &str,
    user_agent: Option<&str>,
) -> Result<TokenAnswer, EdsError> {
    ip_limit(app, "eds-ip", &EDS_ATTEMPTS_PER_IP, ip).await?;
    let signature = decode_b64(signature).ok_or_else(|| invalid("signature", Rule::Base64Url))?;
    let now = app.clock.now_ms();
    let (iin, nonce) = app.store.challenge_consume(challenge_id, now).await?.ok_or(EdsError::ChallengeInvalid)?;
    let Some((public_key, citizen_id, _device)) = app.store.device_of(key_id, &iin, now).await? else {
        return Err(EdsError::SignatureInvalid);
    };
    if !app.eds.verify(&public_key, &login_message(challenge_id, &nonce, &iin), &signature) {
        let detail = serde_json::json!({"method": "eds", "reason": "bad signature", "device_id": key_id});
        app.store.history_add(&citizen_id, "login_failed", &detail, now).await?;
        return Err(EdsError::SignatureInvalid);
    }
    session::open(
        app,
        Opening { citizen_id: &citizen_id, acr: Acr::Eds, device_id: Some(key_id), client: "app", user_agent },
    )
    .await
    .map_err(EdsError::from)
}
