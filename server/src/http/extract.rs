//! Who is calling: citizens (bearer JWT of a live session), `eds`-level citizens, organisations with
//! scopes; and the caller's address and user agent.

use crate::AppState;
use crate::config::Cidr;
use crate::http::problem::ApiError;
use crate::http::problem::Tr;
use crate::http::problem::tr;
use crate::service::session::usable;
use crate::tokens::{self, TokenError};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{self, AUTHORIZATION, USER_AGENT};
use axum::http::request::Parts;
use egov_api::ProblemKind;
use egov_core::auth::session::{Acr, Action};
use std::net::{IpAddr, SocketAddr};

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
        unauthorized(tr(
            "алдымен кіріңіз: Authorization: Bearer <access token> тақырыбын жіберіңіз",
            "сначала войдите: отправьте заголовок Authorization: Bearer <access token>",
            "sign in first: send Authorization: Bearer <access token>",
        ))
    })?;
    let value = value.to_str().map_err(|_| bad_authorization())?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(bad_authorization()),
    }
}

fn unauthorized(detail: Tr) -> ApiError {
    ApiError::new(ProblemKind::Unauthorized, detail)
}

fn bad_authorization() -> ApiError {
    unauthorized(tr(
        "Authorization тақырыбы мынадай болуы керек: Bearer <access token>",
        "заголовок Authorization должен быть таким: Bearer <access token>",
        "the Authorization header must be: Bearer <access token>",
    ))
}

fn token_problem(e: TokenError) -> ApiError {
    match e {
        TokenError::Expired => ApiError::new(
            ProblemKind::TokenExpired,
            tr(
                "кіру токенінің мерзімі өтті; оны жаңартыңыз",
                "срок действия токена доступа истёк; обновите его",
                "the access token has expired; refresh it",
            ),
        ),
        _ => ApiError::new(
            ProblemKind::TokenInvalid,
            tr(
                "кіру токені жарамсыз; қайта кіріңіз",
                "токен доступа недействителен; войдите снова",
                "the access token is not valid",
            ),
        ),
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
    /// 403 `level-required` when this session's level may not perform `action` (core's table of levels).
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if action.allowed_for(self.acr) {
            return Ok(());
        }
        let detail = match self.acr {
            Acr::Web => tr(
                "сайттағы сеанс мұны істей алмайды; eGov Mobile қосымшасын пайдаланыңыз",
                "сеанс на сайте не может этого сделать; воспользуйтесь приложением eGov Mobile",
                "a website session cannot do this; use the eGov Mobile app",
            ),
            Acr::Otp | Acr::Eds => tr(
                "бұл үшін цифрлық қолтаңбамен кіру қажет; құрылғы кілтімен кіріңіз",
                "для этого нужен вход с ЭЦП; войдите с ключом устройства",
                "this needs a digital-signature sign-in; sign in with your device key",
            ),
        };
        Err(ApiError::new(ProblemKind::LevelRequired, detail)
            .with("required_acr", action.levels_str())
            .with("acr", self.acr.as_str()))
    }
}

impl FromRequestParts<AppState> for CitizenAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let claims = tokens::verify_citizen(&app.keys, bearer(parts)?, app.clock.now()).map_err(token_problem)?;
        let session = app.store.session(&claims.sid).await?;
        // The level is the session's, not only the token's: a token can never carry more than its session.
        match session {
            Some(s) if s.citizen_id == claims.base.sub && s.acr == claims.acr.as_str() && usable(app, &s) => {}
            _ => {
                return Err(crate::service::session::SessionError::Ended.into());
            }
        }
        Ok(CitizenAuth { citizen_id: claims.base.sub, session_id: claims.sid, acr: claims.acr })
    }
}

/// One extractor per action of core's level table: a route takes the one naming what it does, and a
/// session whose level may not do it gets 403 `level-required` before the body is read.
macro_rules! level_extractors {
    ($($(#[$doc:meta])* $name:ident => $action:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub CitizenAuth);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
                let citizen = CitizenAuth::from_request_parts(parts, app).await?;
                citizen.require(Action::$action)?;
                Ok($name(citizen))
            }
        }
    )*};
}

level_extractors! {
    /// Any level: the profile.
    CanViewProfile => ViewProfile,
    /// Any level: documents.
    CanViewDocuments => ViewDocuments,
    /// Any level: fines and receipts.
    CanViewFines => ViewFines,
    /// Any level: paying one's fine.
    CanPayFine => PayFine,
    /// Any level: history, sessions and devices.
    CanViewHistory => ViewHistory,
    /// `otp` or `eds`: opening access to a document.
    CanShare => ShareDocument,
    /// `otp` or `eds`: scanning, approving or denying a website login.
    CanApproveWebLogin => ApproveWebLogin,
    /// `otp` or `eds`: asking to enrol this device's key.
    CanRequestDevice => RequestDeviceEnrolment,
    /// `otp` or `eds`: cancelling a device still waiting for approval or its hold.
    CanCancelDevice => CancelDeviceEnrolment,
    /// `otp` or `eds`: reading a website's signing request.
    CanViewSignRequest => ViewSignRequest,
    /// `eds`: approving another device's key.
    CanApproveDevice => ApproveDevice,
    /// `eds`: changing the phone.
    CanChangePhone => ChangePhone,
    /// `eds`: signing a website's request.
    CanSign => SignRequest,
}

/// An organisation with its scopes.
#[derive(Debug, Clone)]
pub struct PartnerAuth {
    pub client_id: String,
    /// The token's id (`jti`): one desk of the organisation.
    pub token_id: String,
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
            Err(ApiError::new(
                ProblemKind::InsufficientScope,
                tr(
                    format!("бұл үшін {scope} рұқсаты қажет"),
                    format!("для этого нужна область {scope}"),
                    format!("this needs the scope {scope}"),
                ),
            )
            .with("required_scope", scope))
        }
    }
}

impl From<tokens::PartnerClaims> for PartnerAuth {
    fn from(claims: tokens::PartnerClaims) -> Self {
        PartnerAuth {
            token_id: claims.base.jti,
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

/// `web-login`: websites that ask citizens to log in by QR code.
pub struct WebLoginScope;
impl Scope for WebLoginScope {
    const NAME: &'static str = "web-login";
}

/// `sign:request`: websites that ask citizens to sign by QR code.
pub struct SignRequestScope;
impl Scope for SignRequestScope {
    const NAME: &'static str = "sign:request";
}

/// The registered name of an organisation: carried by its token, or (older tokens) read from the register.
async fn org_name(app: &AppState, org: &PartnerAuth) -> Result<String, ApiError> {
    match &org.name {
        Some(name) => Ok(name.clone()),
        None => Ok(app
            .store
            .org_client(&org.client_id)
            .await?
            .ok_or_else(|| unauthorized(tr("белгісіз ұйым", "неизвестная организация", "unknown organisation")))?
            .name),
    }
}

/// Who asks a citizen to log in or to sign by QR code: a registered website (an organisation token with
/// scope `S`), whose registered name the phone shows, or this service's own pages (a browser request whose
/// `Origin` is the public URL's), shown under the operator's site name. Nobody else: the phone never shows
/// a name the asker chose.
pub struct Website<S> {
    /// The organisation's client id, or `operator`.
    pub id: String,
    pub name: String,
    scope: std::marker::PhantomData<S>,
}

/// The client id that stands for this service's own pages.
pub const OPERATOR_SITE_ID: &str = "operator";

impl<S: Scope + Send + Sync> FromRequestParts<AppState> for Website<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let website = |id: String, name: String| Website { id, name, scope: std::marker::PhantomData };
        if parts.headers.contains_key(AUTHORIZATION) {
            let org = PartnerAuth::from_request_parts(parts, app).await?;
            org.require(S::NAME)?;
            let name = org_name(app, &org).await?;
            return Ok(website(org.client_id, name));
        }
        let origin = parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        if origin.is_some_and(|o| o.eq_ignore_ascii_case(origin_of(&app.public_url))) {
            return Ok(website(OPERATOR_SITE_ID.into(), app.site_name.clone()));
        }
        Err(ApiError::new(
            ProblemKind::WebsiteNotRegistered,
            tr(
                format!("тек операторда тіркелген сайт сұрай алады ({} рұқсаты бар токен)", S::NAME),
                format!("запрашивать может только сайт, зарегистрированный у оператора (токен с областью {})", S::NAME),
                format!("only a website registered with the operator (a token with scope {}) may ask", S::NAME),
            ),
        )
        .with("required_scope", S::NAME))
    }
}

/// The origin (`scheme://host[:port]`) of a URL.
pub fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
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

/// The caller's address as the per-address limits key it: the socket peer, or, when the peer is one of
/// the `--trusted-proxies`, the rightmost `X-Forwarded-For` hop that is not a trusted proxy (every hop
/// left of it was written by the client and proves nothing). An IPv6 address is keyed on its /64, the
/// smallest block one subscriber gets.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl ClientIp {
    /// The client's address of a request from `peer` carrying `forwarded` (the X-Forwarded-For values,
    /// in order), behind `trusted` proxies.
    pub fn resolve(peer: IpAddr, forwarded: &[&str], trusted: &[Cidr]) -> IpAddr {
        let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
        if !is_trusted(peer) {
            return peer;
        }
        let hops = forwarded.iter().flat_map(|v| v.split(',')).map(str::trim).collect::<Vec<_>>();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // A hop that is not an address ends the walk: nothing left of it can be trusted either.
            let Ok(ip) = hop.parse::<IpAddr>() else { break };
            client = ip;
            if !is_trusted(ip) {
                break;
            }
        }
        client
    }

    /// The key of an address for limits: IPv4 as it is, IPv6 by its /64.
    pub fn key(ip: IpAddr) -> String {
        match ip {
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_default(),
            IpAddr::V4(v4) => v4.to_string(),
        }
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let Some(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) else {
            return Ok(ClientIp("unknown".into()));
        };
        let forwarded: Vec<&str> =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        Ok(ClientIp(ClientIp::key(ClientIp::resolve(peer, &forwarded, &app.trusted_proxies))))
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
            let name = org_name(app, &org).await?;
            let desk = Some(org.token_id.clone());
            return Ok(RedeemerAuth(Redeemer { kind: "organisation", id: org.client_id, name, desk }));
        }
        let citizen = CitizenAuth::from_request_parts(parts, app).await?;
        let row = app
            .store
            .citizen_by_id(&citizen.citizen_id)
            .await?
            .ok_or_else(|| unauthorized(tr("белгісіз азамат", "неизвестный гражданин", "unknown citizen")))?;
        let name = format!("{} {}", row.surname, row.given_name);
        Ok(RedeemerAuth(Redeemer { kind: "citizen", id: row.id, name, desk: None }))
    }
}

/// A place for one more event stream of `owner` from `ip` on this replica, or 429 `too-many-streams`.
pub fn stream_slot(app: &AppState, owner: &str, ip: &str) -> Result<crate::events::StreamSlot, ApiError> {
    app.streams.take(owner, ip).ok_or_else(|| {
        ApiError::too_many(
            ProblemKind::TooManyStreams,
            tr(
                "ашық оқиға ағындары тым көп; алдымен басқасын жабыңыз",
                "слишком много открытых потоков событий; сначала закройте другой",
                "too many open event streams; close another one first",
            ),
            5,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_cidr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_rightmost_untrusted_hop() {
        let trusted = [parse_cidr("10.0.0.0/8").unwrap()];
        // The client wrote "6.6.6.6" itself; the proxy appended the address it saw.
        assert_eq!(ClientIp::resolve(ip("10.0.0.5"), &["6.6.6.6, 203.0.113.7"], &trusted), ip("203.0.113.7"));
        // Two proxies of ours in a row.
        assert_eq!(ClientIp::resolve(ip("10.0.0.5"), &["203.0.113.7, 10.0.0.9"], &trusted), ip("203.0.113.7"));
        // Several headers count as one list, in order.
        assert_eq!(ClientIp::resolve(ip("10.0.0.5"), &["6.6.6.6", "203.0.113.8"], &trusted), ip("203.0.113.8"));
        // Garbage stops the walk at the last address to its right.
        assert_eq!(ClientIp::resolve(ip("10.0.0.5"), &["1.1.1.1, junk, 10.0.0.7"], &trusted), ip("10.0.0.7"));
    }

    #[test]
    fn a_forwarded_header_from_anyone_else_is_ignored() {
        let trusted = [parse_cidr("10.0.0.0/8").unwrap()];
        assert_eq!(ClientIp::resolve(ip("203.0.113.7"), &["1.2.3.4"], &trusted), ip("203.0.113.7"));
        assert_eq!(ClientIp::resolve(ip("10.0.0.5"), &["1.2.3.4"], &[]), ip("10.0.0.5"));
    }

    #[test]
    fn ipv6_clients_are_keyed_on_their_64() {
        assert_eq!(ClientIp::key(ip("2001:db8:1:2:aaaa::1")), ClientIp::key(ip("2001:db8:1:2:bbbb::9")));
        assert_ne!(ClientIp::key(ip("2001:db8:1:2::1")), ClientIp::key(ip("2001:db8:1:3::1")));
        assert_eq!(ClientIp::key(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(ClientIp::key(ip("192.0.2.1")), "192.0.2.1");
    }
}
