//! One-time sharing routes: open access, the QR image, extend, revoke, redeem, the copy's status, and the
//! owner's notifications (list and live stream).

use crate::AppState;
use crate::events;
use crate::http::documents::AskedLang;
use crate::http::extract::{CanShare, CanViewDocuments, CanViewHistory, ClientIp, RedeemerAuth, stream_slot};
use crate::http::problem::{ApiError, Created, Json, Path, Query};
use crate::http::wording::invalid;
use crate::http::wording::seconds_field;
use crate::service::enums;
use crate::service::error::Rule;
use crate::service::sharing::{self, Presented};
use crate::store::from_millis;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use egov_api::wire::{
    CopyStatus, DocumentShare, ExtendRequest, ExtendedShare, Notification, RedeemRequest, RedeemedCopy, ShareRequest,
};
use egov_core::qr::{Scanned, parse_scanned, render_matrix, render_svg};
use egov_core::sharing::{Preset, SHARE_MAX_LIFETIME, SHARE_MIN_TTL, parse_short_code};
use futures_util::StreamExt;
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use std::collections::VecDeque;
use tokio::time::Instant;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(get_share, revoke))
        .routes(routes!(qr_svg))
        .routes(routes!(qr_png))
        .routes(routes!(extend))
        .routes(routes!(redeem))
        .routes(routes!(copy_status))
        .routes(routes!(notifications))
        .routes(routes!(notifications_stream))
}

/// "Open access": a one-time QR code and short code for one of the citizen's valid documents.
#[utoipa::path(post, path = "/v1/documents/{id}/shares", operation_id = "create_share", tag = "sharing", params(("id" = String, Path)), request_body = ShareRequest,
    responses((status = 201, body = DocumentShare, headers(("Location" = String, description = "the share: /v1/shares/{share_id}"))), (status = 404), (status = 409, description = "document revoked or expired"), (status = 422)))]
async fn create(
    State(app): State<AppState>,
    CanShare(who): CanShare,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Created<DocumentShare>, ApiError> {
    let body: ShareRequest = crate::http::problem::optional_json(&body)?;
    let preset = body.preset.map(enums::core_preset).unwrap_or(Preset::Full);
    let limits = SHARE_MIN_TTL.num_seconds()..=SHARE_MAX_LIFETIME.num_seconds();
    let ttl = body.ttl_seconds.map(|t| seconds_field("ttl_seconds", t, limits)).transpose()?;
    let share = sharing::create(&app, &who.citizen_id, &id, ttl, preset).await?;
    Ok(Created(format!("/v1/shares/{}", share.share_id), share))
}

/// One of the citizen's shares: its state and countdown.
#[utoipa::path(get, path = "/v1/shares/{id}", tag = "sharing", params(("id" = String, Path)), responses((status = 200, body = DocumentShare), (status = 404)))]
async fn get_share(
    State(app): State<AppState>,
    CanViewDocuments(who): CanViewDocuments,
    Path(id): Path<String>,
) -> Result<Json<DocumentShare>, ApiError> {
    Ok(Json(sharing::get(&app, &who.citizen_id, &id).await?))
}

/// Revokes an active share.
#[utoipa::path(delete, path = "/v1/shares/{id}", operation_id = "revoke_share", tag = "sharing", params(("id" = String, Path)), responses((status = 204), (status = 404), (status = 410)))]
async fn revoke(
    State(app): State<AppState>,
    CanViewDocuments(who): CanViewDocuments,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    sharing::revoke(&app, &who.citizen_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The QR code of an active share (SVG).
#[utoipa::path(get, path = "/v1/shares/{id}/qr.svg", tag = "sharing", params(("id" = String, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404), (status = 410)))]
async fn qr_svg(
    State(app): State<AppState>,
    CanShare(who): CanShare,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let url = sharing::active_qr_url(&app, &who.citizen_id, &id).await?;
    let svg = render_svg(&url).map_err(|_| ApiError::internal())?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "no-store")], svg).into_response())
}

/// Pixels per QR module, and the quiet zone in modules.
const PNG_SCALE: usize = 8;
const PNG_QUIET: usize = 4;

/// Draws a module matrix as a grayscale PNG.
pub fn qr_png_bytes(text: &str) -> Result<Vec<u8>, ApiError> {
    let m = render_matrix(text).map_err(|_| ApiError::internal())?;
    let side = (m.len() + 2 * PNG_QUIET) * PNG_SCALE;
    let mut pixels = vec![255u8; side * side];
    for (y, row) in m.iter().enumerate() {
        for (x, dark) in row.iter().enumerate() {
            if *dark {
                for dy in 0..PNG_SCALE {
                    let start = ((y + PNG_QUIET) * PNG_SCALE + dy) * side + (x + PNG_QUIET) * PNG_SCALE;
                    pixels[start..start + PNG_SCALE].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side as u32, side as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|_| ApiError::internal())?;
    writer.write_image_data(&pixels).map_err(|_| ApiError::internal())?;
    writer.finish().map_err(|_| ApiError::internal())?;
    Ok(out)
}

/// The QR code of an active share (PNG).
#[utoipa::path(get, path = "/v1/shares/{id}/qr.png", tag = "sharing", params(("id" = String, Path)),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404), (status = 410)))]
async fn qr_png(
    State(app): State<AppState>,
    CanShare(who): CanShare,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let url = sharing::active_qr_url(&app, &who.citizen_id, &id).await?;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")], qr_png_bytes(&url)?)
        .into_response())
}

/// Extends an active share. A request past 30 minutes after creation is capped at that ceiling (and says
/// so); one at the ceiling already is refused with `share-max-lifetime`.
#[utoipa::path(post, path = "/v1/shares/{id}/extend", tag = "sharing", params(("id" = String, Path)), request_body = ExtendRequest,
    responses((status = 200, body = ExtendedShare), (status = 410), (status = 422)))]
async fn extend(
    State(app): State<AppState>,
    CanShare(who): CanShare,
    Path(id): Path<String>,
    Json(body): Json<ExtendRequest>,
) -> Result<Json<ExtendedShare>, ApiError> {
    let ttl = seconds_field("ttl_seconds", body.ttl_seconds, 1..=SHARE_MAX_LIFETIME.num_seconds())?;
    let (share, capped) = sharing::extend(&app, &who.citizen_id, &id, ttl).await?;
    Ok(Json(ExtendedShare { share, capped }))
}

/// Redeems a share (once) and returns the signed copy. 404 unknown; 410 used, expired, revoked or the
/// document revoked; 429 after 10 wrong short codes in 10 minutes.
#[utoipa::path(post, path = "/v1/shares/redeem", tag = "sharing", request_body = RedeemRequest,
    responses((status = 200, body = RedeemedCopy), (status = 404), (status = 410), (status = 429)))]
async fn redeem(
    State(app): State<AppState>,
    RedeemerAuth(who): RedeemerAuth,
    Json(body): Json<RedeemRequest>,
) -> Result<Response, ApiError> {
    let presented = match (body.token, body.qr_url, body.short_code) {
        (Some(t), None, None) if !t.is_empty() && t.len() <= 128 => Presented::Token(t),
        (None, Some(url), None) => match parse_scanned(&url, &app.public_url) {
            Scanned::Share { token } => Presented::Token(token),
            _ => return Err(invalid("qr_url", Rule::NotOurLink)),
        },
        (None, None, Some(code)) => {
            Presented::ShortCode(parse_short_code(&code).ok_or_else(|| invalid("short_code", Rule::Digits(12)))?)
        }
        _ => return Err(invalid("token", Rule::ExactlyOneOf(vec!["token", "qr_url", "short_code"]))),
    };
    let redeemed = sharing::redeem(&app, &who, presented).await?;
    // About 20 KB, most of it the copy and the document: written into one buffer of about its final size
    // instead of one that starts at 128 bytes and is copied each time it doubles.
    let mut body = Vec::with_capacity(2 * redeemed.copy.len() + 2048);
    serde_json::to_writer(&mut body, &redeemed).map_err(|_| ApiError::internal())?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Whether the document behind a signed copy is still valid.
#[utoipa::path(get, path = "/v1/shared-copies/{share_id}/status", tag = "sharing", params(("share_id" = String, Path)),
    responses((status = 200, body = CopyStatus), (status = 404)))]
async fn copy_status(
    State(app): State<AppState>,
    _who: RedeemerAuth,
    Path(share_id): Path<String>,
) -> Result<Json<CopyStatus>, ApiError> {
    Ok(Json(sharing::copy_status(&app, &share_id).await?))
}

fn notification(r: crate::store::sharing::NotificationRow) -> Notification {
    Notification {
        id: r.id,
        at: from_millis(r.at).into(),
        kind: r.kind,
        body: egov_api::wire::Json(serde_json::from_str(&r.body).unwrap_or_default()),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// At most this many (1-200, default 50).
    limit: Option<u32>,
}

/// The citizen's notifications, newest first.
#[utoipa::path(get, path = "/v1/notifications", tag = "sharing", params(NotificationsQuery), responses((status = 200, body = Vec<Notification>)))]
async fn notifications(
    State(app): State<AppState>,
    CanViewHistory(who): CanViewHistory,
    _lang: AskedLang,
    Query(q): Query<NotificationsQuery>,
) -> Result<Json<Vec<Notification>>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(invalid("limit", Rule::Between { min: 1, max: 200 }));
    }
    Ok(Json(app.store.notifications_latest(&who.citizen_id, limit).await?.into_iter().map(notification).collect()))
}

/// How far behind the newest delivered notification a stream looks again. A notification's `at` is taken
/// when its request starts, and requests commit out of that order (two in the same millisecond, or a
/// slow one on another replica), so a cursor on `at` alone would skip one that commits late. A request
/// ends within `REQUEST_TIMEOUT`; the window is twice that.
const STREAM_LOOK_BACK_MS: i64 = 2 * super::REQUEST_TIMEOUT.as_millis() as i64;

/// At most this many notifications per look.
const STREAM_BATCH: u32 = 500;

/// What a notification stream has delivered: everything since it opened, once each.
struct Delivered {
    /// The stream opened after this instant; older notifications are not its business.
    opened: i64,
    /// The newest `at` delivered.
    newest: i64,
    /// The ids delivered within the look-back window, with their `at`.
    ids: std::collections::HashMap<String, i64>,
}

impl Delivered {
    fn new(opened: i64) -> Delivered {
        Delivered { opened, newest: opened, ids: Default::default() }
    }

    /// The instant after which the next look reads.
    fn after(&self) -> i64 {
        self.opened.max(self.newest - STREAM_LOOK_BACK_MS)
    }

    /// Reads what is new for `citizen`, in batches until one is not full. A failed read is retried at the
    /// next look.
    async fn look(&mut self, app: &crate::App, citizen: &str) -> Vec<Notification> {
        let mut out = Vec::new();
        let mut after = self.after();
        while let Ok(rows) = app.store.notifications_after(citizen, after, STREAM_BATCH).await {
            let full = rows.len() == STREAM_BATCH as usize;
            let last = rows.last().map_or(after, |r| r.at);
            out.extend(self.fresh(rows));
            if !full {
                break;
            }
            // Onwards, even should a whole batch share one millisecond.
            after = last.max(after + 1);
        }
        out
    }

    /// The rows not delivered yet, remembered as delivered now.
    fn fresh(&mut self, rows: Vec<crate::store::sharing::NotificationRow>) -> Vec<Notification> {
        let fresh: Vec<Notification> = rows
            .into_iter()
            .filter(|r| self.ids.insert(r.id.clone(), r.at).is_none())
            .map(|r| {
                self.newest = self.newest.max(r.at);
                notification(r)
            })
            .collect();
        let after = self.after();
        self.ids.retain(|_, at| *at > after);
        fresh
    }
}

/// Live notifications (Server-Sent Events): each new notification as an event `notification`, from the
/// moment of connection, on whichever replica it was raised, each once.
#[utoipa::path(get, path = "/v1/notifications/stream", tag = "sharing", responses((status = 200, content_type = "text/event-stream", body = String), (status = 429, description = "too-many-streams")))]
async fn notifications_stream(
    State(app): State<AppState>,
    CanViewHistory(who): CanViewHistory,
    ClientIp(ip): ClientIp,
) -> Result<Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>>, ApiError> {
    let slot = stream_slot(&app, &format!("citizen:{}", who.citizen_id), &ip)?;
    let topic = crate::service::notify::topic(&who.citizen_id);
    let state = (
        app.clone(),
        app.events.subscribe(),
        app.shutdown.clone(),
        Delivered::new(app.clock.now_ms() - 1),
        VecDeque::<Notification>::new(),
    );
    let events = stream::unfold(state, move |(app, mut rx, mut shutdown, mut delivered, mut queue)| {
        let topic = topic.clone();
        let citizen = who.citizen_id.clone();
        async move {
            loop {
                if let Some(n) = queue.pop_front() {
                    let event =
                        Event::default().event("notification").id(n.id.clone()).json_data(&n).unwrap_or_default();
                    return Some((Ok(event), (app, rx, shutdown, delivered, queue)));
                }
                if *shutdown.borrow() {
                    return None;
                }
                let idle = events::IDLE_POLL;
                if !events::wait(&mut rx, &topic, Instant::now() + idle, &mut shutdown).await {
                    return None;
                }
                queue.extend(delivered.look(&app, &citizen).await);
            }
        }
    });
    // The slot is held for as long as the stream is open.
    let events = events.map(move |event| {
        let _open = &slot;
        event
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sharing::NotificationRow;

    fn row(id: &str, at: i64) -> NotificationRow {
        NotificationRow { id: id.into(), at, kind: "share_viewed".into(), body: "{}".into(), read_at: None }
    }

    fn ids(ns: Vec<Notification>) -> Vec<String> {
        ns.into_iter().map(|n| n.id).collect()
    }

    #[test]
    fn a_notification_that_commits_after_a_newer_one_is_still_delivered_once() {
        let mut d = Delivered::new(1_000);
        assert_eq!(ids(d.fresh(vec![row("b", 1_005)])), ["b"]);
        // "a" was stamped earlier (and "c" in the same millisecond as "b") but committed later.
        assert!(d.after() < 1_002);
        assert_eq!(ids(d.fresh(vec![row("a", 1_002), row("b", 1_005), row("c", 1_005)])), ["a", "c"]);
        assert_eq!(ids(d.fresh(vec![row("a", 1_002), row("b", 1_005), row("c", 1_005)])), Vec::<String>::new());
    }

    #[test]
    fn the_look_back_is_bounded_and_never_before_the_stream_opened() {
        let mut d = Delivered::new(1_000);
        assert_eq!(d.after(), 1_000);
        let late = 1_000 + 10 * STREAM_LOOK_BACK_MS;
        d.fresh(vec![row("x", 1_001), row("y", late)]);
        assert_eq!(d.after(), late - STREAM_LOOK_BACK_MS);
        // What fell out of the window is forgotten.
        assert_eq!(d.ids.len(), 1);
    }
}
