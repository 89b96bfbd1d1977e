//! Dev-mode-only routes (mounted only when the server runs with `--mode dev`; 404 otherwise).

use crate::AppState;
use crate::http::auth::phone_field;
use crate::http::problem::{ApiError, Json, Query};
use crate::http::wording::invalid;
use crate::service::error::Rule;
use crate::store::from_millis;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(advance_clock)).routes(routes!(sms_outbox)).routes(routes!(bank_qr_paid))
}

#[derive(Serialize, ToSchema)]
pub struct QrPaid {
    /// Whether this call paid it (false: it was paid already, or was no bank QR).
    paid: bool,
}

/// Dev mode: the citizen pays a bank QR in their bank's app, as far as the simulated acquirer's ledger
/// knows. The acquirer's webhook is a separate call (`POST /v1/payments/webhook`), so a test can send
/// it late, twice, or never (then the reconciler learns it from the acquirer).
#[utoipa::path(post, path = "/dev/acquirer/payments/{payment_id}/pay", tag = "dev",
    params(("payment_id" = String, Path, description = "the payment whose QR is paid")),
    responses((status = 200, body = QrPaid)))]
async fn bank_qr_paid(
    State(app): State<AppState>,
    axum::extract::Path(payment_id): axum::extract::Path<String>,
) -> Result<Json<QrPaid>, ApiError> {
    Ok(Json(QrPaid { paid: app.store.sim_pay_qr(&payment_id).await? }))
}

/// The longest single step of the dev clock (a day), so a typo cannot throw the clock years ahead.
const MAX_ADVANCE_SECONDS: i64 = 31 * 86_400;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceClock {
    /// Seconds to move this process's clock forward (1 to 86 400).
    seconds: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ClockNow {
    /// The server's time after the step (RFC 3339, UTC).
    now: chrono::DateTime<chrono::Utc>,
}

/// Dev mode: moves this process's clock forward so tests reach an expiry without sleeping.
#[utoipa::path(post, path = "/dev/clock/advance", tag = "dev", request_body = AdvanceClock,
    responses((status = 200, body = ClockNow), (status = 422, description = "out of range")))]
async fn advance_clock(
    State(app): State<AppState>,
    Json(body): Json<AdvanceClock>,
) -> Result<Json<ClockNow>, ApiError> {
    if !(1..=MAX_ADVANCE_SECONDS).contains(&body.seconds) {
        return Err(invalid("seconds", Rule::Between { min: 1, max: MAX_ADVANCE_SECONDS }));
    }
    app.clock.advance(chrono::Duration::seconds(body.seconds));
    // Waiters sleep until the next instant that matters to them; time jumped past it, so they look now.
    app.events.publish(&app.store, crate::events::EVERYONE, "");
    Ok(Json(ClockNow { now: app.clock.now() }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// The phone whose messages to show.
    phone: String,
}

#[derive(Serialize, ToSchema)]
pub struct OutboxMessage {
    pub id: String,
    pub to: String,
    pub sender: String,
    pub text: Option<String>,
    /// `otp` or `notice`.
    pub kind: String,
    /// `queued`, `delivered` or `failed`.
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Dev mode: the SMS that would have been sent to a phone, newest first.
#[utoipa::path(get, path = "/dev/sms-outbox", tag = "dev", params(OutboxQuery),
    responses((status = 200, body = Vec<OutboxMessage>), (status = 422, description = "not a mobile number")))]
async fn sms_outbox(
    State(app): State<AppState>,
    Query(q): Query<OutboxQuery>,
) -> Result<Json<Vec<OutboxMessage>>, ApiError> {
    let phone = phone_field("phone", &q.phone)?;
    let rows = app.store.sms_outbox(phone.as_str(), 50).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| OutboxMessage {
                id: r.id,
                to: r.phone,
                sender: r.sender,
                text: r.body,
                kind: r.kind,
                status: r.status,
                created_at: from_millis(r.created_at),
            })
            .collect(),
    ))
}
