//! Who is calling: citizens (bearer JWT of a live session), `eds`-level citizens, organisations with
//! scopes; and the caller's address and user agent.

use crate::AppState;
use crate::http::problem::ApiError;
use crate::service::session::usable;
use crate::tokens::{self, TokenError};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, USER_AGENT};
use axum::http::request::Parts;
use egov_core::auth::session::{Acr, Action};
use std::net::SocketAddr;

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("sign in first: send Authorization: Bearer <access token>"))?;
    let value = value.to_str().map_err(|_| ApiError::unauthorized("the Authorization header is not valid"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(ApiError::unauthorized("the Authorization header must be: Bearer <access token>")),
    }
}

fn token_problem(e: TokenError) -> ApiError {
    match e {
        TokenError::Expired => {
            ApiError::new(StatusCode::UNAUTHORIZED, "token-expired", "the access token has expired; refresh it")
        }
        _ => ApiError::new(StatusCode::UNAUTHORIZED, "token-invalid", "the access token is not valid"),
    }
}

/// A signed-in citizen with a live session.
#[derive(Debug, Clone)]
pub struct CitizenAuth {
    pub citizen_id: String,
    pub session_id: String,
    pub acr: Acr,
}

impl CitizenAuth {
    /// 403 `eds-required` when this session's level may not perform `action`.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if action.allowed_for(self.acr) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "eds-required",
                "this needs a digital-signature sign-in; sign in with your device key",
            )
            .with("required_acr", action.needs()))
        }
    }
}

impl FromRequestParts<AppState> for CitizenAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let claims = tokens::verify_citizen(&app.keys, bearer(parts)?, app.clock.now()).map_err(token_problem)?;
        let session = app.store.session(&claims.sid).await?;
        match session {
            Some(s) if s.citizen_id == claims.base.sub && usable(app, &s) => {}
            _ => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "session-ended",
                    "this session has ended; sign in again",
                ));
            }
        }
        Ok(CitizenAuth { citizen_id: claims.base.sub, session_id: claims.sid, acr: claims.acr })
    }
}

/// A citizen signed in with a digital signature (`acr` = `eds`).
#[derive(Debug, Clone)]
pub struct EdsAuth(pub CitizenAuth);

impl FromRequestParts<AppState> for EdsAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let citizen = CitizenAuth::from_request_parts(parts, app).await?;
        citizen.require(Action::ChangePhone)?;
        Ok(EdsAuth(citizen))
    }
}

/// An organisation with its scopes.
#[derive(Debug, Clone)]
pub struct PartnerAuth {
    pub client_id: String,
    pub scopes: Vec<String>,
    /// The organisation's name carried by the token, if it carries one.
    pub name: Option<String>,
}

impl PartnerAuth {
    /// 403 `insufficient-scope` unless the token carries `scope`.
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        if self.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(ApiError::new(StatusCode::FORBIDDEN, "insufficient-scope", format!("this needs the scope {scope}"))
                .with("required_scope", scope))
        }
    }
}

impl From<tokens::PartnerClaims> for PartnerAuth {
    fn from(claims: tokens::PartnerClaims) -> Self {
        PartnerAuth {
            client_id: claims.base.sub,
            scopes: claims.scope.split_whitespace().map(String::from).collect(),
            name: claims.name,
        }
    }
}

impl FromRequestParts<AppState> for PartnerAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let claims = tokens::verify_partner(&app.keys, bearer(parts)?, app.clock.now()).map_err(token_problem)?;
        Ok(PartnerAuth::from(claims))
    }
}

/// A scope an organisation route needs.
pub trait Scope {
    const NAME: &'static str;
}

/// `agency:fines`: state bodies that issue fines and record bank payments.
pub struct AgencyFines;
impl Scope for AgencyFines {
    const NAME: &'static str = "agency:fines";
}

/// `agency:documents`: state bodies that report documents lost or stolen.
pub struct AgencyDocuments;
impl Scope for AgencyDocuments {
    const NAME: &'static str = "agency:documents";
}

/// An organisation holding scope `S`, checked before the body is read: a caller without the scope gets
/// 403 whatever it sent, and learns nothing about the body's rules.
pub struct Scoped<S>(pub PartnerAuth, pub std::marker::PhantomData<S>);

impl<S: Scope + Send + Sync> FromRequestParts<AppState> for Scoped<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let org = PartnerAuth::from_request_parts(parts, app).await?;
        org.require(S::NAME)?;
        Ok(Scoped(org, std::marker::PhantomData))
    }
}

/// The caller's IP address: the socket peer, or the first `X-Forwarded-For` hop when the server is told
/// to trust its proxy (`--trust-forwarded-for`).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        if app.trust_forwarded_for {
            let forwarded = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
            if let Some(ip) = forwarded
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|s| s.parse::<std::net::IpAddr>().is_ok())
            {
                return Ok(ClientIp(ip.to_string()));
            }
        }
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
        Ok(ClientIp(peer.unwrap_or_else(|| "unknown".into())))
    }
}

/// The caller's `User-Agent`, bounded to 256 characters.
#[derive(Debug, Clone)]
pub struct UserAgent(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for UserAgent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let ua = parts.headers.get(USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(256).collect());
        Ok(UserAgent(ua))
    }
}

/// Who may redeem a share: a signed-in citizen, or an organisation with the `share:redeem` scope.
#[derive(Debug, Clone)]
pub struct RedeemerAuth(pub crate::service::sharing::Redeemer);

impl FromRequestParts<AppState> for RedeemerAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        use crate::service::sharing::Redeemer;
        let token = bearer(parts)?;
        if let Ok(claims) = tokens::verify_partner(&app.keys, token, app.clock.now()) {
            let org = PartnerAuth::from(claims);
            org.require("share:redeem")?;
            // The name was read from the register when the token was issued; only older tokens need it
            // looked up.
            let name = match org.name {
                Some(name) => name,
                None => {
                    app.store
                        .org_client(&org.client_id)
                        .await?
                        .ok_or_else(|| ApiError::unauthorized("unknown organisation"))?
                        .name
                }
            };
            return Ok(RedeemerAuth(Redeemer { kind: "organisation", id: org.client_id, name }));
        }
        let citizen = CitizenAuth::from_request_parts(parts, app).await?;
        let row = app
            .store
            .citizen_by_id(&citizen.citizen_id)
            .await?
            .ok_or_else(|| ApiError::unauthorized("unknown citizen"))?;
        let name = format!("{} {}", row.surname, row.given_name);
        Ok(RedeemerAuth(Redeemer { kind: "citizen", id: row.id, name }))
    }
}
