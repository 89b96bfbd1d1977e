//! Website login by QR code and website signing requests: the browser's side (create, events, exchange)
//! and the phone's side (scan, approve, deny, sign). The browser proves itself with its poll secret: an
//! HttpOnly SameSite cookie set when it created the request, or the `X-Poll-Secret` header; never a URL.

use crate::AppState;
use crate::events;
use crate::http::extract::{
    CanApproveWebLogin, CanSign, CanViewSignRequest, ClientIp, SignRequestScope, UserAgent, WebLoginScope, Website,
    stream_slot,
};
use crate::http::problem::{ApiError, Created, Json, Path, Query};
use crate::http::wording::invalid;
use crate::http::wording::not_found;
use crate::http::wording::seconds_field;
use crate::service::error::Rule;
use crate::service::error::Thing;
use crate::service::web_login;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use egov_api::wire::{CheckCode, ScanRequest, SignRequest, SignStatus, SignatureBody, TokenAnswer, WebLoginPrompt};
use egov_core::auth::clients::has_deceptive_chars;
use egov_core::documents::Multilingual;
use egov_core::qr::{Scanned, parse_scanned, render_svg};
use egov_core::weblogin::{LOGIN_REQUEST_TTL, QR_TTL, SIGN_REQUEST_MAX_TTL, is_check_code, normalize_digest};
use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use tokio::time::Instant;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(events))
        .routes(routes!(scan))
        .routes(routes!(approve))
        .routes(routes!(deny))
        .routes(routes!(exchange))
        .routes(routes!(create_sign))
        .routes(routes!(get_sign))
        .routes(routes!(sign))
        .routes(routes!(sign_events))
        .routes(routes!(qr_image))
}

const LOGIN_COOKIE: &str = "egov_wl_poll";
const SIGN_COOKIE: &str = "egov_sr_poll";

/// The poll secret from the `X-Poll-Secret` header or the named cookie.
fn poll_secret(headers: &HeaderMap, cookie: &str) -> Option<String> {
    if let Some(v) = headers.get("x-poll-secret").and_then(|v| v.to_str().ok()) {
        return Some(v.trim().to_string());
    }
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == cookie).then(|| value.to_string())
    })
}

/// Sets the poll secret as an HttpOnly, SameSite=Strict cookie scoped to `path`, and as a header for
/// clients that are not browsers.
fn with_poll_secret(
    mut response: Response,
    app: &crate::App,
    cookie: &str,
    path: &str,
    secret: &str,
    max_age: i64,
) -> Response {
    let secure = if app.public_url.starts_with("https://") { "; Secure" } else { "" };
    let value = format!("{cookie}={secret}; HttpOnly; SameSite=Strict; Path={path}; Max-Age={max_age}{secure}");
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    if let Ok(v) = HeaderValue::from_str(secret) {
        response.headers_mut().insert("x-poll-secret", v);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A login request carries nothing: who asks is the website's registration (or this service's own page).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CreateLogin {}

#[derive(Serialize, ToSchema)]
pub struct LoginCreated {
    pub request_id: String,
    /// `{PUBLIC_URL}/ql/{qr_secret}`; replaced every 60 s (event `qr`).
    pub qr_url: String,
    /// The two digits the browser shows; the citizen types them on the phone.
    pub check_code: u8,
    pub expires_at: DateTime<Utc>,
}

/// A website login request, by a registered website (scope `web-login`; the phone shows its registered
/// name) or this service's own login page (same origin). Sets the browser's poll secret (HttpOnly cookie
/// `egov_wl_poll`, also in the `X-Poll-Secret` header). The QR in the answer is valid for 60 s; the event
/// stream sends the next one.
#[utoipa::path(post, path = "/v1/web-login/requests", operation_id = "create_web_login_request", tag = "web-login",
    responses((status = 201, body = LoginCreated), (status = 401, description = "website-not-registered"), (status = 429)))]
async fn create(
    State(app): State<AppState>,
    website: Website<WebLoginScope>,
    ClientIp(ip): ClientIp,
    UserAgent(ua): UserAgent,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // No body, or `{}`: the site is named by its registration, never by the request.
    let CreateLogin {} = crate::http::problem::optional_json(&body)?;
    let c = web_login::create(&app, &website.name, ua.as_deref(), &ip).await?;
    let out = LoginCreated {
        request_id: c.request_id.clone(),
        qr_url: c.qr_url,
        check_code: c.check_code,
        expires_at: c.expires_at,
    };
    let response = (StatusCode::CREATED, Json(out)).into_response();
    Ok(with_poll_secret(response, &app, LOGIN_COOKIE, "/v1/web-login", &c.poll_secret, LOGIN_REQUEST_TTL.num_seconds()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Long-poll instead of SSE: wait up to this many seconds (1-25) for a change, answer JSON.
    wait: Option<u64>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct LoginState {
    /// `pending`, `scanned`, `approved`, `denied`, `expired` or `consumed`.
    pub status: String,
    /// A new QR (pending only).
    pub qr_url: Option<String>,
    /// The one-time login code (approved only, 60 s).
    pub login_code: Option<String>,
}

fn status_of(app: &crate::App, row: &crate::store::web_login::WebLoginRow) -> String {
    if matches!(row.status.as_str(), "pending" | "scanned") && row.expires_at <= app.clock.now_ms() {
        "expired".into()
    } else {
        row.status.clone()
    }
}

/// The browser's view of its request: SSE events `pending` (at once, where the request stands), `qr` (the
/// next QR when the current one's 60 s end), `scanned`, `approved` (with the login code), `denied`,
/// `expired`; or, with `?wait=`, one long-poll answer. Needs the poll secret.
#[utoipa::path(get, path = "/v1/web-login/requests/{id}/events", tag = "web-login", params(("id" = String, Path), EventsQuery),
    responses((status = 200, content_type = "text/event-stream", body = LoginState), (status = 401, description = "no or wrong poll secret")))]
async fn events(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
) -> Result<Response, ApiError> {
    let poll = poll_secret(&headers, LOGIN_COOKIE);
    let row = web_login::for_browser(&app, &id, poll.as_deref()).await?;
    let slot = stream_slot(&app, &id, &ip)?;
    if let Some(wait) = q.wait {
        if !(1..=25).contains(&wait) {
            return Err(invalid("wait", Rule::SecondsBetween { min: 1, max: 25 }));
        }
        let answer = long_poll(&app, row, std::time::Duration::from_secs(wait)).await?;
        drop(slot);
        return Ok(Json(answer).into_response());
    }
    let topic = web_login::topic(&id);
    // The QR the website already shows stays valid for its 60 s; the stream sends the next one then.
    let qr_until = row.qr_issued_at + QR_TTL.num_milliseconds();
    let init = (
        app.clone(),
        app.events.subscribe(),
        app.shutdown.clone(),
        String::new(),
        qr_until,
        VecDeque::<(String, LoginState)>::new(),
        false,
    );
    let stream =
        stream::unfold(init, move |(app, mut rx, mut shutdown, mut last, mut qr_until, mut queue, mut done)| {
            let (topic, id) = (topic.clone(), id.clone());
            async move {
                loop {
                    if let Some((name, state)) = queue.pop_front() {
                        let event = Event::default().event(name).json_data(&state).unwrap_or_default();
                        return Some((
                            Ok::<_, std::convert::Infallible>(event),
                            (app, rx, shutdown, last, qr_until, queue, done),
                        ));
                    }
                    if done || *shutdown.borrow() {
                        return None;
                    }
                    if !last.is_empty() {
                        let idle = events::IDLE_POLL;
                        let wait = std::time::Duration::from_millis(
                            (qr_until - app.clock.now_ms()).clamp(50, idle.as_millis() as i64) as u64,
                        );
                        if !events::wait(&mut rx, &topic, Instant::now() + wait, &mut shutdown).await {
                            return None;
                        }
                    }
                    let Ok(Some(row)) = app.store.web_login(&id).await else { return None };
                    let status = status_of(&app, &row);
                    let now = app.clock.now_ms();
                    if status == "pending" && now >= qr_until {
                        if let Ok(Some((url, until))) = web_login::rotate(&app, &row).await {
                            qr_until = until.timestamp_millis();
                            queue.push_back((
                                "qr".into(),
                                LoginState { status: status.clone(), qr_url: Some(url), login_code: None },
                            ));
                        } else {
                            qr_until = now + 1000;
                        }
                    }
                    if status != last {
                        let login_code = (status == "approved").then(|| web_login::login_code(&app, &id));
                        // The first event says the stream is live and where the request stands.
                        if status != "pending" || last.is_empty() {
                            queue.push_back((
                                status.clone(),
                                LoginState { status: status.clone(), qr_url: None, login_code },
                            ));
                        }
                        done = matches!(status.as_str(), "approved" | "denied" | "expired" | "consumed");
                        last = status;
                    }
                }
            }
        });
    // The slot is held for as long as the stream is open.
    let stream = stream.map(move |event| {
        let _open = &slot;
        event
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

async fn long_poll(
    app: &crate::App,
    row: crate::store::web_login::WebLoginRow,
    wait: std::time::Duration,
) -> Result<LoginState, ApiError> {
    let mut rx = app.events.subscribe();
    let mut shutdown = app.shutdown.clone();
    let topic = web_login::topic(&row.id);
    let start = status_of(app, &row);
    let deadline = Instant::now() + wait;
    let idle = events::IDLE_POLL;
    let mut current = row;
    loop {
        let status = status_of(app, &current);
        if status != start || tokio::time::Instant::now() >= deadline {
            let qr_url = if status == "pending" && app.clock.now_ms() - current.qr_issued_at > 50_000 {
                web_login::rotate(app, &current).await?.map(|(u, _)| u)
            } else {
                None
            };
            let login_code = (status == "approved").then(|| web_login::login_code(app, &current.id));
            return Ok(LoginState { status, qr_url, login_code });
        }
        // At shutdown the answer is the state as it is.
        if !events::wait(&mut rx, &topic, deadline.min(Instant::now() + idle), &mut shutdown).await {
            return Ok(LoginState { status, qr_url: None, login_code: None });
        }
        current = app.store.web_login(&current.id).await?.ok_or_else(ApiError::internal)?;
    }
}

/// The phone scanned a login QR: the registered name of the website asking, the browser, its city and
/// the time, for "is this you?"; the citizen then types the two digits the browser shows.
#[utoipa::path(post, path = "/v1/web-login/scan", tag = "web-login", request_body = ScanRequest,
    responses((status = 200, body = WebLoginPrompt), (status = 409, description = "already scanned"), (status = 410, description = "QR expired or rotated"), (status = 422)))]
async fn scan(
    State(app): State<AppState>,
    CanApproveWebLogin(who): CanApproveWebLogin,
    Json(body): Json<ScanRequest>,
) -> Result<Json<WebLoginPrompt>, ApiError> {
    let Scanned::WebLogin { secret } = parse_scanned(&body.qr_url, &app.public_url) else {
        return Err(invalid("qr_url", Rule::NotOurLink));
    };
    Ok(Json(web_login::scan(&app, &who.citizen_id, who.acr, &secret).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Decision {
    pub status: &'static str,
}

/// Approves the scanned request with the typed check code. A wrong code ends the request; three in ten
/// minutes stop the citizen's approvals for an hour (429 `approvals-locked`).
#[utoipa::path(post, path = "/v1/web-login/requests/{id}/approve", tag = "web-login", params(("id" = String, Path)), request_body = CheckCode,
    responses((status = 200, body = Decision), (status = 404), (status = 409, description = "wrong check code: ended"),
        (status = 422), (status = 429, description = "approvals-locked")))]
async fn approve(
    State(app): State<AppState>,
    CanApproveWebLogin(who): CanApproveWebLogin,
    Path(id): Path<String>,
    Json(body): Json<CheckCode>,
) -> Result<Json<Decision>, ApiError> {
    if !is_check_code(body.check_code) {
        return Err(invalid("check_code", Rule::Between { min: 10, max: 99 }));
    }
    web_login::approve(&app, &who.citizen_id, &id, body.check_code).await?;
    Ok(Json(Decision { status: "approved" }))
}

/// Denies the scanned request.
#[utoipa::path(post, path = "/v1/web-login/requests/{id}/deny", tag = "web-login", params(("id" = String, Path)),
    responses((status = 200, body = Decision), (status = 404)))]
async fn deny(
    State(app): State<AppState>,
    CanApproveWebLogin(who): CanApproveWebLogin,
    Path(id): Path<String>,
) -> Result<Json<Decision>, ApiError> {
    web_login::deny(&app, &who.citizen_id, &id).await?;
    Ok(Json(Decision { status: "denied" }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeBody {
    pub login_code: String,
}

/// The browser trades the login code for its own session (needs its poll secret).
#[utoipa::path(post, path = "/v1/web-login/exchange", tag = "web-login", request_body = ExchangeBody,
    responses((status = 200, body = TokenAnswer), (status = 401, description = "unknown, used or expired code, or wrong poll secret")))]
async fn exchange(
    State(app): State<AppState>,
    headers: HeaderMap,
    UserAgent(ua): UserAgent,
    Json(body): Json<ExchangeBody>,
) -> Result<Json<TokenAnswer>, ApiError> {
    let poll = poll_secret(&headers, LOGIN_COOKIE);
    Ok(Json(web_login::exchange(&app, &body.login_code, poll.as_deref(), ua.as_deref()).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSign {
    /// SHA-256 of what is to be signed: 64 hex characters or base64.
    #[schema(format = "sha256-digest")]
    pub digest: String,
    /// What is signed, in Kazakh, Russian and English.
    #[schema(value_type = Object)]
    pub description: Multilingual,
    /// Lifetime, at most 600 s (default 600).
    #[schema(minimum = 1, maximum = 600)]
    pub ttl_seconds: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SignCreatedView {
    pub request_id: String,
    /// `{PUBLIC_URL}/qs/{id}`
    pub qr_url: String,
    pub expires_at: DateTime<Utc>,
}

/// A registered website (scope `sign:request`) or this service's own pages register something to sign;
/// the phone shows the registered name. Sets the poll secret (cookie `egov_sr_poll`, header): only the
/// requester learns the signature and the signer.
#[utoipa::path(post, path = "/v1/sign-requests", tag = "signing", request_body = CreateSign,
    responses((status = 201, body = SignCreatedView, headers(("Location" = String, description = "the request: /v1/sign-requests/{request_id}"))),
        (status = 401, description = "website-not-registered"), (status = 422), (status = 429)))]
async fn create_sign(
    State(app): State<AppState>,
    website: Website<SignRequestScope>,
    ClientIp(ip): ClientIp,
    Json(body): Json<CreateSign>,
) -> Result<Response, ApiError> {
    let digest = normalize_digest(&body.digest).ok_or_else(|| invalid("digest", Rule::Digest))?;
    let d = &body.description;
    // What the phone shows is what is signed: plain text, nothing that reorders or hides characters.
    let bounded = |s: &str| !s.trim().is_empty() && s.chars().count() <= 500 && !has_deceptive_chars(s);
    if !(bounded(&d.kk) && bounded(&d.ru) && bounded(&d.en)) {
        return Err(invalid("description", Rule::Description));
    }
    let ttl = seconds_field(
        "ttl_seconds",
        body.ttl_seconds.unwrap_or(SIGN_REQUEST_MAX_TTL.num_seconds()),
        1..=SIGN_REQUEST_MAX_TTL.num_seconds(),
    )?;
    let c = web_login::create_sign(&app, &digest, d, (&website.id, &website.name), ttl, &ip).await?;
    let location = format!("/v1/sign-requests/{}", c.request_id);
    let out = SignCreatedView { request_id: c.request_id, qr_url: c.qr_url, expires_at: c.expires_at };
    let response = Created(location, out).into_response();
    Ok(with_poll_secret(
        response,
        &app,
        SIGN_COOKIE,
        "/v1/sign-requests",
        &c.poll_secret,
        SIGN_REQUEST_MAX_TTL.num_seconds(),
    ))
}

/// A signing request as the app shows it before signing.
#[utoipa::path(get, path = "/v1/sign-requests/{id}", tag = "signing", params(("id" = String, Path)), responses((status = 200, body = SignRequest), (status = 404)))]
async fn get_sign(
    State(app): State<AppState>,
    _: CanViewSignRequest,
    Path(id): Path<String>,
) -> Result<Json<SignRequest>, ApiError> {
    let row = app.store.sign_request(&id).await?.ok_or_else(|| not_found(Thing::SigningRequest))?;
    let mut view = web_login::sign_view(&app, row)?;
    // Only the requesting organisation learns who signed, and with what.
    view.signature = None;
    view.public_key = None;
    view.signer_name = None;
    Ok(Json(view))
}

/// Signs the request with the citizen's device key (needs an `eds` session).
#[utoipa::path(post, path = "/v1/sign-requests/{id}/sign", tag = "signing", params(("id" = String, Path)), request_body = SignatureBody,
    responses((status = 200, body = SignRequest), (status = 403, description = "needs eds, or not your key"), (status = 410), (status = 422)))]
async fn sign(
    State(app): State<AppState>,
    CanSign(who): CanSign,
    Path(id): Path<String>,
    Json(body): Json<SignatureBody>,
) -> Result<Json<SignRequest>, ApiError> {
    Ok(Json(web_login::sign(&app, &who.citizen_id, &id, &body.key_id, &body.signature).await?))
}

/// The website's view of its signing request (poll secret): SSE event `signed` (with the signature, the
/// public key and the signer) or `expired`.
#[utoipa::path(get, path = "/v1/sign-requests/{id}/events", tag = "signing", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/event-stream", body = SignRequest), (status = 401)))]
async fn sign_events(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let poll = poll_secret(&headers, SIGN_COOKIE);
    let row = app.store.sign_request(&id).await?.ok_or_else(|| not_found(Thing::SigningRequest))?;
    if !web_login::poll_matches(&app, &row.poll_hash, poll.as_deref()) {
        return Err(web_login::WebLoginError::PollSecretInvalid.into());
    }
    let slot = stream_slot(&app, &id, &ip)?;
    let topic = web_login::sign_topic(&id);
    let init = (app.clone(), app.events.subscribe(), app.shutdown.clone(), false);
    let stream = stream::unfold(init, move |(app, mut rx, mut shutdown, done)| {
        let (topic, id) = (topic.clone(), id.clone());
        async move {
            if done {
                return None;
            }
            loop {
                let Ok(Some(row)) = app.store.sign_request(&id).await else { return None };
                // A pending request turns `expired` by time alone, with no event: look again just after.
                let expires_in = (row.expires_at - app.clock.now_ms()).max(0) as u64 + 50;
                let Ok(view) = web_login::sign_view(&app, row) else { return None };
                if view.status != SignStatus::Pending {
                    let event = Event::default().event(view.status.as_str()).json_data(&view).unwrap_or_default();
                    return Some((Ok::<_, std::convert::Infallible>(event), (app, rx, shutdown, true)));
                }
                let wait = events::IDLE_POLL.min(std::time::Duration::from_millis(expires_in));
                if !events::wait(&mut rx, &topic, Instant::now() + wait, &mut shutdown).await {
                    return None;
                }
            }
        }
    });
    let stream = stream.map(move |event| {
        let _open = &slot;
        event
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QrBody {
    /// One of this service's QR URLs (`/s/`, `/ql/`, `/qs/`), at most 256 characters. In the body, never
    /// the URL: a login QR carries a secret that proxies must not log.
    pub data: String,
}

/// The longest text drawn: every URL this service puts in a QR is far shorter, so each image is small work.
const QR_DATA_MAX_CHARS: usize = 256;

/// The QR image of one of this service's URLs (for the web pages); anything else is refused.
#[utoipa::path(post, path = "/v1/qr.svg", tag = "web-login", request_body = QrBody,
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 422)))]
async fn qr_image(State(app): State<AppState>, Json(q): Json<QrBody>) -> Result<Response, ApiError> {
    if q.data.chars().count() > QR_DATA_MAX_CHARS {
        return Err(invalid("data", Rule::AtMostChars(QR_DATA_MAX_CHARS)));
    }
    if parse_scanned(&q.data, &app.public_url) == Scanned::NotOurs {
        return Err(invalid("data", Rule::NotOurLink));
    }
    let svg = render_svg(&q.data).map_err(|_| invalid("data", Rule::TooLongForQr))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "no-store")], svg).into_response())
}
