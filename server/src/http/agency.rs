//! State bodies: report documents lost or stolen (and, with the fines issue, feed fines).

use crate::AppState;
use crate::http::auth::iin_field;
use crate::http::extract::{AgencyDocuments, Scoped};
use crate::http::problem::{ApiError, Json, Path};
use crate::http::wording::invalid;
use crate::service::documents;
use crate::service::error::Rule;
use axum::extract::State;
use egov_core::documents::DocumentKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(revoke))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    /// The kind of document (`national_id`, `driving_licence`, ...).
    pub kind: String,
    /// The document's number; all documents of the kind when absent.
    pub number: Option<String>,
    /// `lost`, `stolen` or `withdrawn`.
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct Revoked {
    pub revoked: Vec<RevokedDocument>,
}

#[derive(Serialize, ToSchema)]
pub struct RevokedDocument {
    pub id: String,
    pub number: String,
}

/// Reports a citizen's document lost or stolen (scope `agency:documents`). It is invalid at once.
#[utoipa::path(post, path = "/v1/agency/documents/{iin}/revoke", operation_id = "revoke_document", tag = "agency", params(("iin" = String, Path)), request_body = RevokeBody,
    responses((status = 200, body = Revoked), (status = 403, description = "missing scope"), (status = 404), (status = 422)))]
async fn revoke(
    State(app): State<AppState>,
    Scoped(org, _): Scoped<AgencyDocuments>,
    Path(iin): Path<String>,
    Json(body): Json<RevokeBody>,
) -> Result<Json<Revoked>, ApiError> {
    let iin = iin_field("iin", &iin)?;
    let kind = DocumentKind::parse(&body.kind).ok_or_else(|| invalid("kind", Rule::DocumentKind))?;
    if !matches!(body.reason.as_str(), "lost" | "stolen" | "withdrawn") {
        return Err(invalid("reason", Rule::OneOf(vec!["lost", "stolen", "withdrawn"])));
    }
    let number = body.number.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let revoked = documents::revoke(&app, &org.client_id, &iin.as_string(), kind, number, &body.reason).await?;
    Ok(Json(Revoked { revoked: revoked.into_iter().map(|(id, number)| RevokedDocument { id, number }).collect() }))
}
