//! The HTTP API: routes, extractors and the mapping of errors to problem documents. One module per
//! capability, mirroring `core` and `service`; this file assembles them with the cross-cutting layers.

pub mod access;
pub mod agency;
pub mod auth;
pub mod dev;
pub mod documents;
pub mod extract;
pub mod fines;
pub mod lang;
pub mod me;
pub mod oauth;
pub mod ops;
pub mod pages;
pub mod problem;
pub mod registration;
pub mod sharing;
pub mod web_login;
pub mod wording;

use crate::AppState;
use crate::config::Mode;
use crate::telemetry::record_metrics;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use problem::{ApiError, problem_for_bare_errors, route_not_found};
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The largest request body accepted (every JSON request of the API is far smaller).
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;
/// How long a request may take to produce its response head (streams such as SSE run longer).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(OpenApi)]
#[openapi(
    info(
        title = "eGov Mobile API",
        version = "1",
        description = "Digital documents, one-time sharing, sign-in, website QR login and signing, traffic fines. Errors are RFC 9457 problem documents."
    ),
    tags((name = "ops", description = "Health, keys and the contract"))
)]
struct ApiDoc;

/// The API routes with their OpenAPI description, before layers and state. Dev-only routes exist only
/// in dev mode.
pub fn api(mode: Mode) -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(ops::routes())
        .merge(auth::routes())
        .merge(registration::routes())
        .merge(me::routes())
        .merge(oauth::routes())
        .merge(documents::routes())
        .merge(agency::routes())
        .merge(sharing::routes())
        .merge(web_login::routes())
        .merge(fines::routes());
    match mode {
        Mode::Dev => api.merge(dev::routes()),
        Mode::Prod => api,
    }
}

/// The routes and their contract, with who may call each operation written into it ([`access`]).
pub fn contract(mode: Mode) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut openapi) = api(mode).split_for_parts();
    access::annotate(&mut openapi);
    (routes, openapi)
}

/// The complete application: every route, the OpenAPI document, the fallback and the layers.
pub fn router(state: AppState) -> Router {
    let (routes, openapi) = contract(state.mode);
    let x_request_id = HeaderName::from_static("x-request-id");
    routes
        .merge(ops::openapi_route(openapi))
        .merge(pages::routes())
        .fallback(route_not_found)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(x_request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(request_span))
                .layer(PropagateRequestIdLayer::new(x_request_id))
                // Outside every layer that writes a problem document, so each is in the asked language.
                .layer(middleware::from_fn(lang::negotiate))
                .layer(middleware::map_response(problem_for_bare_errors))
                .layer(middleware::map_response_with_state(state.clone(), security_headers))
                // Outside the panic catcher and the timeout, so a panic's 500 and a 408 are counted too.
                .layer(middleware::from_fn(record_metrics))
                .layer(CatchPanicLayer::custom(panic_response))
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
                .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES)),
        )
        .with_state(state)
}

/// What no page or answer of this service uses: the browser must not offer it to any page either.
const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), bluetooth=(), serial=(), interest-cohort=()";

/// Headers every answer carries: `Cache-Control: no-store` unless the route chose its own caching (every
/// answer with a secret or personal data, and the landings whose path holds a secret, are never stored by
/// a browser or a proxy), a Permissions-Policy, `nosniff`, and HSTS when the public URL is https.
async fn security_headers(State(app): State<AppState>, mut response: Response) -> Response {
    use axum::http::{HeaderValue, header};
    let h = response.headers_mut();
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    h.entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    h.insert("permissions-policy", HeaderValue::from_static(PERMISSIONS_POLICY));
    if app.public_url.starts_with("https://") {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    response
}

/// The span of a request: its id, method and matched route (never the raw path, which may hold a token).
fn request_span(request: &Request) -> tracing::Span {
    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str()).unwrap_or("unmatched");
    tracing::info_span!("request", id, method = %request.method(), route)
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked; answering 500");
    ApiError::internal().into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use serde_json::Value;

    /// utoipa takes the bounds and names it documents as literals; this keeps each one equal to what the
    /// server enforces, so `/openapi.json` (and the fuzzer that reads it) cannot drift from the rules.
    #[test]
    fn the_documented_bounds_are_the_ones_the_server_enforces() {
        use crate::service::fines::IDEMPOTENCY_KEY_LEN;
        use egov_core::sharing::{SHARE_MAX_LIFETIME, SHARE_MIN_TTL};
        use egov_core::weblogin::SIGN_REQUEST_MAX_TTL;
        let doc = serde_json::to_value(api(Mode::Dev).split_for_parts().1).unwrap();
        let schemas = &doc["components"]["schemas"];
        let secs = |d: Duration| Value::from(d.num_seconds());
        let bounds = |schema: &str, field: &str| {
            let p = &schemas[schema]["properties"][field];
            (p["minimum"].clone(), p["maximum"].clone())
        };
        assert_eq!(bounds("ShareRequest", "ttl_seconds"), (secs(SHARE_MIN_TTL), secs(SHARE_MAX_LIFETIME)));
        assert_eq!(bounds("ExtendRequest", "ttl_seconds"), (Value::from(1), secs(SHARE_MAX_LIFETIME)));
        assert_eq!(bounds("CreateSign", "ttl_seconds"), (Value::from(1), secs(SIGN_REQUEST_MAX_TTL)));
        let presets: Vec<Value> = egov_core::sharing::Preset::ALL.iter().map(|p| Value::from(p.as_str())).collect();
        assert_eq!(schemas["Preset"]["enum"], Value::from(presets));
        // Every wire enum is documented by the names it travels with, not its Rust names.
        let names = |schema: &str| schemas[schema]["enum"].clone();
        assert_eq!(names("Acr"), serde_json::json!(["otp", "eds", "web"]));
        assert_eq!(names("ShareState"), serde_json::json!(["active", "used", "expired", "revoked", "blocked"]));
        assert_eq!(names("Currency"), serde_json::json!(["KZT"]));
        assert_eq!(names("PayMethod"), serde_json::json!(["card", "phone_balance", "bank_qr"]));
        use crate::service::fines::CARD_TOKEN_LEN;
        let (min, max) = CARD_TOKEN_LEN.into_inner();
        let card_token = &schemas["PayRequest"]["properties"]["card_token"]["pattern"];
        assert_eq!(*card_token, format!("^[A-Za-z0-9_]{{{min},{max}}}$"));

        let params = doc["paths"]["/v1/fines/{id}/payments"]["post"]["parameters"].as_array().unwrap();
        let key = &params.iter().find(|p| p["name"] == "Idempotency-Key").unwrap()["schema"];
        let (min, max) = IDEMPOTENCY_KEY_LEN.into_inner();
        assert_eq!((key["minLength"].as_u64(), key["maxLength"].as_u64()), (Some(min as u64), Some(max as u64)));
        assert_eq!(key["pattern"], format!("^[!-~]{{{min},{max}}}$"));
    }
}
