//! The citizen's documents: list, detail with labels in the asked language, photo, "Update".

use crate::AppState;
use crate::http::extract::CanViewDocuments;
use crate::http::problem::tr;
use crate::http::problem::{ApiError, Json, Path};
use crate::service::{documents, enums};
use crate::store::citizens::CitizenRow;
use crate::store::documents::{DocumentRow, SyncRow};
use crate::store::from_millis;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use egov_api::ProblemKind;
use egov_api::wire::{
    DocumentDetail, DocumentList, DocumentSummary, Json as Free, Person, RefreshReport, SourceState, SourceStatus,
};
use egov_core::documents::{DocumentKind, Lang, Source, field_label};
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(detail)).routes(routes!(photo)).routes(routes!(refresh))
}

/// The language of labels, from `Accept-Language` (kk, ru or en; Kazakh by default).
#[derive(Debug, Clone, Copy)]
pub struct AskedLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for AskedLang {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let header = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        Ok(AskedLang(Lang::from_accept_language(header)))
    }
}

impl From<CitizenRow> for Person {
    fn from(c: CitizenRow) -> Self {
        Person {
            iin: c.iin,
            surname: c.surname,
            given_name: c.given_name,
            patronymic: c.patronymic,
            surname_lat: c.surname_lat,
            given_name_lat: c.given_name_lat,
            birth_date: c.birth_date,
        }
    }
}

fn summary(
    app: &crate::App,
    d: &DocumentRow,
    suspended: Option<egov_core::documents::Suspension>,
    lang: Lang,
) -> Result<DocumentSummary, ApiError> {
    let status = documents::status_of(app, d, suspended);
    let why = suspended.filter(|_| status == egov_core::documents::DocumentStatus::Suspended);
    let kind = DocumentKind::parse(&d.kind).ok_or_else(ApiError::internal)?;
    let source = Source::parse(&d.source).ok_or_else(ApiError::internal)?;
    Ok(DocumentSummary {
        id: d.id.clone(),
        kind: kind.as_str().to_string(),
        title: kind.title().get(lang).to_string(),
        titles: kind.title().by_code(),
        number: d.number.clone(),
        status: enums::document_status(status),
        revoked_reason: d.revoked_reason.clone(),
        suspended_reason: why.map(|s| s.as_str().to_string()),
        suspended_detail: why.map(|s| s.detail().to_string()),
        issued_on: d.issued_on.clone(),
        expires_on: d.expires_on.clone(),
        source: d.source.clone(),
        source_name: source.name().get(lang).to_string(),
        checked_at: from_millis(d.checked_at).into(),
    })
}

fn source_states(syncs: Vec<SyncRow>) -> Vec<SourceState> {
    syncs
        .into_iter()
        .map(|s| SourceState {
            unavailable_since: match (s.failed_at, s.checked_at) {
                (Some(f), Some(c)) if f > c => Some(from_millis(f).into()),
                (Some(f), None) => Some(from_millis(f).into()),
                _ => None,
            },
            source: s.source,
            checked_at: s.checked_at.map(|c| from_millis(c).into()),
        })
        .collect()
}

/// The citizen's documents. 403 `documents-not-available` under 16 or without a national ID.
#[utoipa::path(get, path = "/v1/documents", operation_id = "list_documents", tag = "documents", responses((status = 200, body = DocumentList), (status = 403, description = "under 16 or no national ID")))]
async fn list(
    State(app): State<AppState>,
    CanViewDocuments(who): CanViewDocuments,
    AskedLang(lang): AskedLang,
) -> Result<Json<DocumentList>, ApiError> {
    let (_, docs, syncs) = documents::list(&app, &who.citizen_id).await?;
    let suspended = documents::suspension_in(&docs);
    let documents = docs.iter().map(|d| summary(&app, d, suspended, lang)).collect::<Result<_, _>>()?;
    Ok(Json(DocumentList { documents, sources: source_states(syncs) }))
}

/// One document with its fields and labels (404 for an id that is not the citizen's).
#[utoipa::path(get, path = "/v1/documents/{id}", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, body = DocumentDetail), (status = 404)))]
async fn detail(
    State(app): State<AppState>,
    CanViewDocuments(who): CanViewDocuments,
    AskedLang(lang): AskedLang,
    Path(id): Path<String>,
) -> Result<Json<DocumentDetail>, ApiError> {
    let (c, d, suspended) = documents::get(&app, &who.citizen_id, &id).await?;
    let fields: serde_json::Value = serde_json::from_str(&d.fields).map_err(|_| ApiError::internal())?;
    let mut labels = HashMap::new();
    let common =
        ["number", "issued_on", "expires_on", "surname", "given_name", "patronymic", "birth_date", "iin", "photo"];
    for f in common.iter().copied().chain(fields.as_object().into_iter().flat_map(|o| o.keys().map(String::as_str))) {
        labels.insert(f.to_string(), field_label(f, lang).to_string());
    }
    let photo_url = format!("{}/v1/documents/{}/photo", app.public_url, d.id);
    Ok(Json(DocumentDetail {
        summary: summary(&app, &d, suspended, lang)?,
        holder: c.into(),
        fields: Free(fields),
        labels,
        photo_url,
    }))
}

/// The photo shown with a document (JPEG): the interior ministry's for a driving licence, the state
/// database of individuals' for every other kind. Supports `If-None-Match`.
#[utoipa::path(get, path = "/v1/documents/{id}/photo", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 304), (status = 404)))]
async fn photo(
    State(app): State<AppState>,
    CanViewDocuments(who): CanViewDocuments,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (bytes, etag) = documents::photo(&app, &who.citizen_id, &id).await?;
    let cache = [(header::ETAG, etag.clone()), (header::CACHE_CONTROL, "private, no-store".to_string())];
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((cache, [(header::CONTENT_TYPE, "image/jpeg".to_string())], bytes).into_response())
}

/// "Update": asks every registry again. A source that is down is reported and its documents kept; when
/// every source is down the answer is 503.
#[utoipa::path(post, path = "/v1/documents/refresh", operation_id = "refresh_documents", tag = "documents",
    responses((status = 200, body = RefreshReport), (status = 503, description = "every registry is unavailable")))]
async fn refresh(
    State(app): State<AppState>,
    CanViewDocuments(who): CanViewDocuments,
    AskedLang(lang): AskedLang,
) -> Result<Json<RefreshReport>, ApiError> {
    let sources = documents::refresh(&app, &who.citizen_id).await?;
    if sources.iter().all(|s| s.status != SourceStatus::Ok) {
        return Err(ApiError::new(
            ProblemKind::Unavailable,
            tr(
                "бірде-бір тізілімге қосылу мүмкін болмады; құжаттарыңыз соңғы расталған күйінде",
                "не удалось связаться ни с одним реестром; ваши документы — в последнем подтверждённом виде",
                "no registry could be reached; your documents are as last confirmed",
            ),
        )
        .with("sources", &sources));
    }
    let (_, docs, _) = documents::list(&app, &who.citizen_id).await?;
    let suspended = documents::suspension_in(&docs);
    Ok(Json(RefreshReport {
        complete: sources.iter().all(|s| s.status == SourceStatus::Ok),
        added: sources.iter().map(|s| s.added).sum(),
        updated: sources.iter().map(|s| s.updated).sum(),
        documents: docs.iter().map(|d| summary(&app, d, suspended, lang)).collect::<Result<_, _>>()?,
        sources,
    }))
}
