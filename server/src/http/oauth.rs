//! OAuth2 client credentials for organisations (RFC 6749 section 4.4).

use crate::AppState;
use crate::http::extract::ClientIp;
use crate::http::problem::tr;
use crate::http::problem::{ApiError, Form, Json};
use crate::service::org;
use axum::extract::State;
use axum::http::HeaderMap;
use base64::Engine;
use egov_api::ProblemKind;
use egov_api::wire::OrgToken;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(token))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenForm {
    /// Must be `client_credentials`.
    grant_type: String,
    /// Or HTTP Basic authentication.
    client_id: Option<String>,
    client_secret: Option<String>,
    /// Space-separated subset of the client's scopes.
    scope: Option<String>,
}

/// The client id and secret from HTTP Basic, when given.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// A scoped token for an organisation (form-encoded client credentials).
#[utoipa::path(post, path = "/v1/oauth/token", tag = "organisations",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = OrgToken), (status = 400, description = "unsupported grant or scope"), (status = 401, description = "invalid client"),
        (status = 429, description = "30 wrong secrets for this client from this address in 5 minutes")))]
async fn token(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Json<OrgToken>, ApiError> {
    if form.grant_type != "client_credentials" {
        return Err(ApiError::new(
            ProblemKind::BadRequest,
            tr(
                "grant_type мәні client_credentials болуы керек",
                "grant_type должен быть client_credentials",
                "grant_type must be client_credentials",
            ),
        )
        .with("error", "unsupported_grant_type"));
    }
    let (id, secret) = match (basic(&headers), form.client_id, form.client_secret) {
        (Some(pair), _, _) => pair,
        (None, Some(id), Some(secret)) => (id, secret),
        _ => {
            return Err(ApiError::new(
                ProblemKind::BadRequest,
                tr(
                    "client_id мен client_secret жіберіңіз немесе HTTP Basic қолданыңыз",
                    "отправьте client_id и client_secret или используйте HTTP Basic",
                    "send client_id and client_secret, or HTTP Basic",
                ),
            )
            .with("error", "invalid_request"));
        }
    };
    Ok(Json(org::token(&app, &id, &secret, form.scope.as_deref(), &ip).await?))
}
