//! Sessions: issue tokens, rotate refresh tokens (a replayed one revokes the whole session), check that
//! a session is alive, revoke.

use crate::App;
use crate::service::enums;
use crate::service::error::{Failure, Thing, capability_error, internal};
use crate::store::from_millis;
use crate::store::history::Entry;
use crate::store::sessions::{NewSession, Rotation, SessionRow};
use crate::tokens;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use egov_api::wire::{SessionTokens, TokenAnswer};
use egov_core::auth::session::{ACCESS_TOKEN_TTL, Acr, REFRESH_TOKEN_BYTES, session_alive, within_refresh_grace};
use egov_core::secret::random_token;

/// Who a session is for and how it was opened.
pub struct Opening<'a> {
    pub citizen_id: &'a str,
    pub acr: Acr,
    pub device_id: Option<&'a str>,
    /// `app` or `web`.
    pub client: &'a str,
    pub user_agent: Option<&'a str>,
}

fn refresh_hash(app: &App, token: &str) -> Vec<u8> {
    app.keys.hash_secret(&["refresh", token])
}

/// The tokens of session `sid` with `refresh`, the access token issued at `issued_at` with id `jti`.
fn tokens(
    app: &App,
    citizen_id: &str,
    sid: &str,
    acr: Acr,
    refresh: String,
    issued_at: DateTime<Utc>,
    jti: String,
) -> Result<TokenAnswer, SessionError> {
    let access = tokens::issue_citizen(&app.keys, issued_at, citizen_id, sid, acr, jti)
        .map_err(|_| internal("signing an access token"))?;
    Ok(TokenAnswer {
        tokens: SessionTokens {
            access_token: access,
            refresh_token: refresh,
            acr: enums::acr(acr),
            session_id: sid.to_string(),
        },
        token_type: "Bearer".into(),
        expires_in: ACCESS_TOKEN_TTL.num_seconds(),
    })
}

/// The refresh token that follows `token`: derived from it with the server key, so every replica hands a
/// retried refresh the same successor without storing it anywhere but as its hash.
fn successor(app: &App, token: &str) -> String {
    URL_SAFE_NO_PAD.encode(app.keys.hash_secret(&["refresh-successor", token]))
}

/// The id of the access token issued with refresh token `refresh` (the same for every retry).
fn access_jti(app: &App, refresh: &str) -> String {
    URL_SAFE_NO_PAD.encode(&app.keys.hash_secret(&["access-jti", refresh])[..16])
}

/// Opens a session and records the login in the citizen's history.
pub async fn open(app: &App, o: Opening<'_>) -> Result<TokenAnswer, SessionError> {
    let sid = uuid::Uuid::new_v4().to_string();
    let refresh = random_token::<REFRESH_TOKEN_BYTES>(&app.rng)?;
    let device = match o.device_id {
        Some(d) => app.store.device_name(d).await?,
        None => None,
    };
    let detail = serde_json::json!({"acr": o.acr, "client": o.client, "device": device, "session_id": sid});
    let new = NewSession {
        id: &sid,
        citizen_id: o.citizen_id,
        acr: o.acr.as_str(),
        device_id: o.device_id,
        client: o.client,
        user_agent: o.user_agent,
    };
    app.store.session_create(&new, &refresh_hash(app, &refresh), ("login", &detail), app.clock.now_ms()).await?;
    let jti = uuid::Uuid::new_v4().to_string();
    tokens(app, o.citizen_id, &sid, o.acr, refresh, app.clock.now(), jti)
}

/// Why a session could not be opened, refreshed or found.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Common(#[from] Failure),
    #[error("this refresh token was already used; the session has been ended for safety")]
    RefreshReplayed,
    #[error("unknown refresh token")]
    RefreshInvalid,
    #[error("the session has ended; sign in again")]
    Ended,
}
capability_error!(SessionError);

/// Whether a session row is usable now.
pub fn usable(app: &App, s: &SessionRow) -> bool {
    let Some(acr) = Acr::parse(&s.acr) else { return false };
    s.revoked_at.is_none()
        && session_alive(acr, from_millis(s.created_at), from_millis(s.last_used_at), app.clock.now())
}

/// Trades a refresh token for new tokens. The same token presented again within `REFRESH_GRACE` of its
/// rotation (a mobile app's concurrent or retried refresh, an answer lost on the network) returns the same
/// new pair and ends nothing; presented later, it is a replay and the whole session is revoked.
pub async fn refresh(app: &App, token: &str) -> Result<TokenAnswer, SessionError> {
    let now = app.clock.now();
    let hash = refresh_hash(app, token);
    let next = successor(app, token);
    let (sid, issued_at) =
        match app.store.refresh_rotate(&hash, &refresh_hash(app, &next), now.timestamp_millis()).await? {
            Rotation::Rotated(sid) => (sid, now),
            Rotation::Replayed { sid, rotated_at } if within_refresh_grace(from_millis(rotated_at), now) => {
                (sid, from_millis(rotated_at))
            }
            Rotation::Replayed { sid, .. } => {
                if let Some(s) = app.store.session(&sid).await? {
                    let detail =
                        serde_json::json!({"session_id": sid, "reason": "a used refresh token was presented again"});
                    let entry = Entry { citizen_id: &s.citizen_id, kind: "session_revoked", detail: &detail };
                    app.store.session_revoke(&sid, "refresh-replay", now.timestamp_millis(), entry).await?;
                }
                return Err(SessionError::RefreshReplayed);
            }
            Rotation::Unknown => return Err(SessionError::RefreshInvalid),
        };
    let session = app.store.session(&sid).await?.ok_or(SessionError::RefreshInvalid)?;
    if !usable(app, &session) {
        return Err(SessionError::Ended);
    }
    app.store.session_touch(&sid, now.timestamp_millis()).await?;
    let acr = Acr::parse(&session.acr).ok_or(internal("a session's stored level"))?;
    let jti = access_jti(app, &next);
    tokens(app, &session.citizen_id, &sid, acr, next, issued_at, jti)
}

/// The session `session_id` of `citizen_id`; 404 when it is not theirs.
pub async fn of_citizen(app: &App, citizen_id: &str, session_id: &str) -> Result<SessionRow, SessionError> {
    let session = app.store.session(session_id).await?.filter(|s| s.citizen_id == citizen_id);
    session.ok_or(Failure::NotFound(Thing::Session).into())
}

/// Ends a session of `citizen_id`; 404 when it is not theirs.
pub async fn revoke(app: &App, citizen_id: &str, session_id: &str, reason: &str) -> Result<(), SessionError> {
    let session = of_citizen(app, citizen_id, session_id).await?;
    let now = app.clock.now_ms();
    let detail = serde_json::json!({"session_id": session.id, "reason": reason});
    let entry = Entry { citizen_id, kind: "session_revoked", detail: &detail };
    app.store.session_revoke(&session.id, reason, now, entry).await?;
    Ok(())
}
