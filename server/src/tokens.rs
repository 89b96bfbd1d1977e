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

/// A citizen's access token for session `sid`.
pub fn issue_citizen(
    keys: &KeySet,
    now: DateTime<Utc>,
    citizen_id: &str,
    sid: &str,
    acr: Acr,
) -> Result<String, TokenError> {
    let claims = CitizenClaims { base: BaseClaims::new(AUD_CITIZEN, citizen_id, now), sid: sid.into(), acr };
    sign(keys, &claims)
}

/// An organisation's access token with `scope` (space-separated).
pub fn issue_partner(keys: &KeySet, now: DateTime<Utc>, client_id: &str, scope: &str) -> Result<String, TokenError> {
    let claims = PartnerClaims { base: BaseClaims::new(AUD_PARTNER, client_id, now), scope: scope.into() };
    sign(keys, &claims)
}

/// Verifies signature (ES256 only, by `kid`), issuer and audience with the library, and time with our
/// clock (so the dev clock and the explicit leeway apply).
fn verify<T: serde::de::DeserializeOwned>(
    keys: &KeySet,
    token: &str,
    audience: &str,
    now: DateTime<Utc>,
) -> Result<T, TokenError> {
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
    let exp = data.claims["exp"].as_i64().ok_or(TokenError::Invalid)?;
    let iat = data.claims["iat"].as_i64().ok_or(TokenError::Invalid)?;
    let leeway = TOKEN_LEEWAY_SECONDS as i64;
    if now.timestamp() > exp + leeway {
        return Err(TokenError::Expired);
    }
    if iat > now.timestamp() + leeway {
        return Err(TokenError::Invalid);
    }
    serde_json::from_value(data.claims).map_err(|_| TokenError::Invalid)
}

pub fn verify_citizen(keys: &KeySet, token: &str, now: DateTime<Utc>) -> Result<CitizenClaims, TokenError> {
    verify(keys, token, AUD_CITIZEN, now)
}

pub fn verify_partner(keys: &KeySet, token: &str, now: DateTime<Utc>) -> Result<PartnerClaims, TokenError> {
    verify(keys, token, AUD_PARTNER, now)
}
