//! Dev-mode-only routes (mounted only when the server runs with `--mode dev`; 404 otherwise).

use crate::AppState;
use crate::http::problem::{ApiError, Json};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(advance_clock))
}

/// The longest single step of the dev clock (a day), so a typo cannot throw the clock years ahead.
const MAX_ADVANCE_SECONDS: i64 = 86_400;

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
        return Err(ApiError::validation("seconds", format!("must be from 1 to {MAX_ADVANCE_SECONDS}")));
    }
    app.clock.advance(chrono::Duration::seconds(body.seconds));
    Ok(Json(ClockNow { now: app.clock.now() }))
}
