//! Operations routes: liveness, readiness, Prometheus metrics, the key set and the OpenAPI document.

use crate::AppState;
use crate::http::problem::ApiError;
use crate::http::problem::tr;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use egov_api::ProblemKind;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics)).routes(routes!(jwks))
}

/// `/openapi.json`, serving the document assembled from the same routes.
pub fn openapi_route(doc: utoipa::openapi::OpenApi) -> Router<AppState> {
    let body = doc.to_json().unwrap_or_else(|_| "{}".to_string());
    Router::new()
        .route("/openapi.json", get(move || async move { ([(header::CONTENT_TYPE, "application/json")], body) }))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the process serves requests.
    status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` when the database answers and every migration is applied.
    status: &'static str,
    /// `sqlite` or `postgres`.
    database: &'static str,
}

/// Liveness: the process is up and serving.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Health)))]
async fn healthz() -> impl IntoResponse {
    axum::Json(Health { status: "ok" })
}

/// Readiness: the database answers and the schema is current. 503 otherwise.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200, body = Readiness), (status = 503, description = "not ready")))]
async fn readyz(State(app): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    match app.store.ready().await {
        Ok(()) => Ok(axum::Json(Readiness { status: "ready", database: app.store.backend().name() })),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            Err(ApiError::new(
                ProblemKind::Unavailable,
                tr(
                    "дерекқорға қол жетімсіз немесе оның сұлбасы ескі",
                    "база данных недоступна или её схема устарела",
                    "the database is unreachable or its schema is not current",
                ),
            ))
        }
    }
}

/// Prometheus metrics: `http_requests_total` and `http_request_duration_seconds` by method, route, status.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, content_type = "text/plain", body = String)))]
async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render())
}

/// The public keys (ES256, with key ids) that verify access tokens, signed document copies and receipts.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "ops", responses((status = 200, body = Object)))]
async fn jwks(State(app): State<AppState>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "public, max-age=300")], axum::Json(app.keys.jwks().clone()))
}
