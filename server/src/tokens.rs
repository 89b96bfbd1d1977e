//! Access tokens: ES256 JWTs with one pinned algorithm, our own issuer and audiences, and an explicit
//! leeway. Citizens' tokens (`aud` = `egov-mobile`) carry the session (`sid`) and its level (`acr`);
//! organisations' tokens (`aud` = `egov-partner`) carry scopes. `sub` is an opaque id, never an IIN.

use crate::keys::KeySet;
use chrono::{DateTime, Utc};
use egov_core::auth::session::{ACCESS_TOKEN_TTL, Acr, TOKEN_LEEWAY_SECONDS};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The issuer of every token.
pub const ISSUER: &str = "egov-mobile-backend";
/// The audience of citizens' tokens.
pub const AUD_CITIZEN: &str = "egov-mobile";
/// The audience of organisations' tokens.
pub const AUD_PARTNER: &str = "egov-partner";

/// The registered claims every token carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaseClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
}

impl BaseClaims {
    fn new(audience: &str, subject: &str, now: DateTime<Utc>) -> Self {
        BaseClaims {
            iss: ISSUER.into(),
            aud: audience.into(),
            sub: subject.into(),
            iat: now.timestamp(),
            exp: (now + ACCESS_TOKEN_TTL).timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CitizenClaims {
    #[serde(flatten)]
    pub base: BaseClaims,
    pub sid: String,
    pub acr: Acr,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartnerClaims {
    #[serde(flatten)]
    pub base: BaseClaims,
    pub scope: String,
    /// The organisation's name as registered when the token was issued: what a citizen's history shows
    /// for a view. Absent from tokens issued before it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed or its signature does not verify")]
    Invalid,
    #[error("the token has expired")]
    Expired,
    #[error("signing failed")]
    Signing,
}

fn header(keys: &KeySet) -> Header {
    let mut h = Header::new(Algorithm::ES256);
    h.kid = keys.token.first().map(|k| k.kid.clone());
    h
}

fn sign<T: Serialize>(keys: &KeySet, claims: &T) -> Result<String, TokenError> {
    let key = keys.token.first().ok_or(TokenError::Signing)?;
    jsonwebtoken::encode(&header(keys), claims, &key.encoding).map_err(|_| TokenError::Signing)
}

/// A citizen's access token for session `sid`, issued at `now` with token id `jti`.
pub fn issue_citizen(
    keys: &KeySet,
    now: DateTime<Utc>,
    citizen_id: &str,
    sid: &str,
    acr: Acr,
    jti: String,
) -> Result<String, TokenError> {
    let base = BaseClaims { jti, ..BaseClaims::new(AUD_CITIZEN, citizen_id, now) };
    sign(keys, &CitizenClaims { base, sid: sid.into(), acr })
}

/// An organisation's access token with `scope` (space-separated) and its registered `name`.
pub fn issue_partner(
    keys: &KeySet,
    now: DateTime<Utc>,
    client_id: &str,
    name: &str,
    scope: &str,
) -> Result<String, TokenError> {
    let claims = PartnerClaims {
        base: BaseClaims::new(AUD_PARTNER, client_id, now),
        scope: scope.into(),
        name: Some(name.into()),
    };
    sign(keys, &claims)
}

/// Verifies signature (ES256 only, by `kid`), issuer and audience with the library, and time with our
/// clock (so the dev clock and the explicit leeway apply). The signature check is remembered per token
/// (see [`VerifiedTokens`]); the time checks run on every call.
fn verify<T: serde::de::DeserializeOwned>(
    keys: &KeySet,
    token: &str,
    audience: &str,
    now: DateTime<Utc>,
) -> Result<T, TokenError> {
    let claims = keys.verified.get_or_verify(audience, token, || verify_signature(keys, token, audience))?;
    let exp = claims["exp"].as_i64().ok_or(TokenError::Invalid)?;
    let iat = claims["iat"].as_i64().ok_or(TokenError::Invalid)?;
    let leeway = TOKEN_LEEWAY_SECONDS as i64;
    if now.timestamp() > exp + leeway {
        return Err(TokenError::Expired);
    }
    if iat > now.timestamp() + leeway {
        return Err(TokenError::Invalid);
    }
    T::deserialize(&*claims).map_err(|_| TokenError::Invalid)
}

/// The part of verification that depends on the token alone: its claims if the signature, issuer and
/// audience hold.
fn verify_signature(keys: &KeySet, token: &str, audience: &str) -> Result<serde_json::Value, TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
    if header.alg != Algorithm::ES256 {
        return Err(TokenError::Invalid);
    }
    let kid = header.kid.ok_or(TokenError::Invalid)?;
    let key = keys.token.iter().find(|k| k.kid == kid).ok_or(TokenError::Invalid)?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[ISSUER]);
    validation.validate_exp = false;
    validation.required_spec_claims = HashSet::from(["exp", "iat", "iss", "aud", "sub"].map(String::from));
    let data = jsonwebtoken::decode::<serde_json::Value>(token, &key.decoding(), &validation)
        .map_err(|_| TokenError::Invalid)?;
    Ok(data.claims)
}

/// Tokens whose signature, issuer and audience this process has verified, by a SHA-256 of (audience,
/// token). An access token is presented on every call of its 15-minute life, and its ES256 verification
/// was a fifth of a share redemption's CPU; remembered, it costs a hash. Only the identical string hits,
/// so nothing is trusted that was not verified; expiry and issue time are still checked on every use
/// against the caller's clock. Failures are not remembered. Bounded: when full, it starts again empty.
#[derive(Default)]
pub struct VerifiedTokens {
    map: std::sync::Mutex<std::collections::HashMap<[u8; 32], std::sync::Arc<serde_json::Value>>>,
}

/// How many verified tokens a process remembers (about 0.5 KiB each).
const VERIFIED_TOKENS_MAX: usize = 20_000;

impl VerifiedTokens {
    fn get_or_verify(
        &self,
        audience: &str,
        token: &str,
        verify: impl FnOnce() -> Result<serde_json::Value, TokenError>,
    ) -> Result<std::sync::Arc<serde_json::Value>, TokenError> {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(audience.as_bytes());
        ctx.update(&[0]);
        ctx.update(token.as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(ctx.finish().as_ref());
        if let Some(claims) = self.lock().get(&key) {
            return Ok(claims.clone());
        }
        let claims = std::sync::Arc::new(verify()?);
        let mut map = self.lock();
        if map.len() >= VERIFIED_TOKENS_MAX {
            map.clear();
        }
        map.insert(key, claims.clone());
        Ok(claims)
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<[u8; 32], std::sync::Arc<serde_json::Value>>> {
        // The map holds no invariant a panicking holder could break.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

pub fn verify_citizen(keys: &KeySet, token: &str, now: DateTime<Utc>) -> Result<CitizenClaims, TokenError> {
    verify(keys, token, AUD_CITIZEN, now)
}

pub fn verify_partner(keys: &KeySet, token: &str, now: DateTime<Utc>) -> Result<PartnerClaims, TokenError> {
    verify(keys, token, AUD_PARTNER, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn claims(sub: &str) -> Result<serde_json::Value, TokenError> {
        Ok(serde_json::json!({"sub": sub}))
    }

    #[test]
    fn a_verified_token_is_verified_once_per_audience() {
        let cache = VerifiedTokens::default();
        let calls = Cell::new(0);
        let verify = || {
            calls.set(calls.get() + 1);
            claims("a")
        };
        assert_eq!(cache.get_or_verify(AUD_CITIZEN, "t1", verify).unwrap()["sub"], "a");
        assert_eq!(cache.get_or_verify(AUD_CITIZEN, "t1", || unreachable!()).unwrap()["sub"], "a");
        assert_eq!(calls.get(), 1);
        // The same string for another audience, and any other string, is verified afresh.
        assert_eq!(cache.get_or_verify(AUD_PARTNER, "t1", || claims("p")).unwrap()["sub"], "p");
        assert_eq!(cache.get_or_verify(AUD_CITIZEN, "t1x", || claims("b")).unwrap()["sub"], "b");
    }

    #[test]
    fn a_refused_token_is_not_remembered() {
        let cache = VerifiedTokens::default();
        assert_eq!(cache.get_or_verify(AUD_CITIZEN, "bad", || Err(TokenError::Invalid)), Err(TokenError::Invalid));
        assert_eq!(cache.len(), 0);
        assert!(cache.get_or_verify(AUD_CITIZEN, "bad", || claims("later")).is_ok());
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = VerifiedTokens::default();
        for i in 0..VERIFIED_TOKENS_MAX + 10 {
            cache.get_or_verify(AUD_CITIZEN, &format!("t{i}"), || claims("x")).unwrap();
        }
        assert!(cache.len() <= VERIFIED_TOKENS_MAX);
        assert!(cache.len() >= 1);
    }
}
