//! Fines routes: the citizen's fines and search, payments (with `Idempotency-Key`), the acquirer's
//! webhook, receipts, the licence eligibility checks, and the state bodies' feed.

use crate::AppState;
use crate::http::extract::{AgencyFines, CanPayFine, CanViewFines, Scoped};
use crate::http::problem::tr;
use crate::http::problem::{ApiError, Created, Json, Path, Query};
use crate::http::wording::invalid;
use crate::http::wording::not_found;
use crate::service::error::Rule;
use crate::service::error::Thing;
use crate::service::fines::Answered;
use crate::service::fines::{self, AcquirerHook, FeedFine, SearchQuery, receipt_view};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use egov_api::ProblemKind;
use egov_api::wire::{Eligibility, Fine, PayRequest, Receipt};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(search))
        .routes(routes!(cities))
        .routes(routes!(one))
        .routes(routes!(pay))
        .routes(routes!(webhook))
        .routes(routes!(receipts))
        .routes(routes!(receipt))
        .routes(routes!(receipt_qr))
        .routes(routes!(licence_eligibility))
        .routes(routes!(vehicle_eligibility))
        .routes(routes!(feed))
        .routes(routes!(agency_one))
        .routes(routes!(external_payment))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `unpaid`, `processing` or `paid`.
    status: Option<String>,
}

/// The citizen's own fines with the amount due now and the discount.
#[utoipa::path(get, path = "/v1/fines", operation_id = "list_fines", tag = "fines", params(ListQuery), responses((status = 200, body = Vec<Fine>)))]
async fn list(
    State(app): State<AppState>,
    CanViewFines(who): CanViewFines,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Fine>>, ApiError> {
    if q.status.as_deref().is_some_and(|s| !matches!(s, "unpaid" | "processing" | "paid")) {
        return Err(invalid("status", Rule::OneOf(vec!["unpaid", "processing", "paid"])));
    }
    Ok(Json(fines::own(&app, &who.citizen_id, q.status.as_deref()).await?.into_iter().map(fines::wire).collect()))
}

/// A city whose cameras record offences, with its names.
#[derive(serde::Serialize, ToSchema)]
pub struct CityView {
    /// The stable id (the English name), what fines carry in `city`.
    id: &'static str,
    kk: &'static str,
    ru: &'static str,
    en: &'static str,
}

/// The cities a camera-fine search accepts (any of the names, any case and spacing).
#[utoipa::path(get, path = "/v1/fines/cities", tag = "fines", responses((status = 200, body = Vec<CityView>)))]
async fn cities() -> Json<Vec<CityView>> {
    Json(egov_core::fines::CITIES.iter().map(|c| CityView { id: c.id, kk: c.kk, ru: c.ru, en: c.en }).collect())
}

/// Search, among the citizen's own fines only: `iin`; or `surname`, `given_name` and `birth_date`; or a
/// vehicle's camera fines by `plate`, `certificate` and `city`. Another person's IIN or name is 403.
#[utoipa::path(get, path = "/v1/fines/search", tag = "fines", params(SearchQuery),
    responses((status = 200, body = Vec<Fine>), (status = 403, description = "not yours"), (status = 422)))]
async fn search(
    State(app): State<AppState>,
    CanViewFines(who): CanViewFines,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<Fine>>, ApiError> {
    Ok(Json(fines::search(&app, &who.citizen_id, &q).await?.into_iter().map(fines::wire).collect()))
}

/// One of the citizen's fines.
#[utoipa::path(get, path = "/v1/fines/{id}", tag = "fines", params(("id" = String, Path)), responses((status = 200, body = Fine), (status = 404)))]
async fn one(
    State(app): State<AppState>,
    CanViewFines(who): CanViewFines,
    Path(id): Path<String>,
) -> Result<Json<Fine>, ApiError> {
    Ok(Json(fines::wire(fines::own_one(&app, &who.citizen_id, &id).await?.1)))
}

/// Pays one of the citizen's fines for the amount due now. Needs an `Idempotency-Key` header: a retry
/// with the same key returns the same outcome and never charges twice. 201 paid with the receipt, 202
/// pending (bank QR) or processing, 402 declined with the decline code, 409 already paid.
#[utoipa::path(post, path = "/v1/fines/{id}/payments", tag = "fines", params(("id" = String, Path), ("Idempotency-Key" = String, Header, description = "8 to 128 visible ASCII characters, fresh per payment and the same on every retry", min_length = 8, max_length = 128, pattern = "^[!-~]{8,128}$")),
    request_body = PayRequest,
    responses((status = 201, description = "paid, with the signed receipt"), (status = 202, description = "pending or processing"),
        (status = 400, description = "no Idempotency-Key, or not 8 to 128 visible characters"), (status = 402, description = "declined"), (status = 409, description = "already paid")))]
async fn pay(
    State(app): State<AppState>,
    CanPayFine(who): CanPayFine,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<PayRequest>,
) -> Result<Response, ApiError> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).ok_or_else(|| {
        ApiError::new(
            ProblemKind::BadRequest,
            tr(
                "Idempotency-Key тақырыбын жіберіңіз (әр төлемге жаңа кездейсоқ мән, әр қайталауда сол мән)",
                "отправьте заголовок Idempotency-Key (новое случайное значение на каждый платёж, то же при каждом повторе)",
                "send an Idempotency-Key header (a fresh random value per payment, the same on every retry)",
            ),
        )
    })?;
    let answer = fines::pay(&app, &who.citizen_id, &id, key, &body).await?;
    let status = match answer.answered {
        Answered::Paid => axum::http::StatusCode::CREATED,
        Answered::Processing => axum::http::StatusCode::ACCEPTED,
    };
    Ok((status, Json(answer.body)).into_response())
}

/// The acquirer's confirmations (bank QR), signed with HMAC-SHA256 over the raw body in
/// `X-Acquirer-Signature` (hex).
#[utoipa::path(post, path = "/v1/payments/webhook", tag = "fines", request_body = AcquirerHook,
    params(("X-Acquirer-Signature" = String, Header, description = "HMAC-SHA256 of the raw body with the acquirer's webhook secret, hex")),
    responses((status = 200, body = Object), (status = 401, description = "bad signature"), (status = 404), (status = 422)))]
async fn webhook(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let sig = headers.get("x-acquirer-signature").and_then(|v| v.to_str().ok());
    Ok(Json(fines::webhook(&app, &body, sig).await?))
}

/// The citizen's electronic receipts, newest first (they outlive purged fines).
#[utoipa::path(get, path = "/v1/receipts", tag = "fines", responses((status = 200, body = Vec<Receipt>)))]
async fn receipts(
    State(app): State<AppState>,
    CanViewFines(who): CanViewFines,
) -> Result<Json<Vec<Receipt>>, ApiError> {
    Ok(Json(app.store.receipts_of(&who.citizen_id).await?.into_iter().map(|r| receipt_view(&app, &r)).collect()))
}

/// One receipt, downloadable again at any time.
#[utoipa::path(get, path = "/v1/receipts/{id}", tag = "fines", params(("id" = String, Path)), responses((status = 200, body = Receipt), (status = 404)))]
async fn receipt(
    State(app): State<AppState>,
    CanViewFines(who): CanViewFines,
    Path(id): Path<String>,
) -> Result<Json<Receipt>, ApiError> {
    let r = app.store.receipt_of(&who.citizen_id, &id).await?.ok_or_else(|| not_found(Thing::Receipt))?;
    Ok(Json(receipt_view(&app, &r)))
}

/// The receipt's QR code (SVG).
#[utoipa::path(get, path = "/v1/receipts/{id}/qr.svg", tag = "fines", params(("id" = String, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404)))]
async fn receipt_qr(
    State(app): State<AppState>,
    CanViewFines(who): CanViewFines,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let r = app.store.receipt_of(&who.citizen_id, &id).await?.ok_or_else(|| not_found(Thing::Receipt))?;
    let svg = egov_core::qr::render_svg(&receipt_view(&app, &r).qr_url).map_err(|_| ApiError::internal())?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LicenceQuery {
    /// The licence category asked for (`A1`, `B1`, `A`, `B`, `C`, `BE`, `CE`, `C1`, `C1E`, `D`, `DE`,
    /// `D1`, `D1E`, `Tb`, `Tm`; Latin or Cyrillic letters). Default `B`.
    category: Option<String>,
}

/// Whether the citizen may use the driving licence services, naming every ground found: unpaid fines
/// past their voluntary payment period (with their ids), and the minimum age of the category under the
/// road traffic law (article 73).
#[utoipa::path(get, path = "/v1/services/driving-licence/eligibility", tag = "fines", params(LicenceQuery),
    responses((status = 200, body = Eligibility), (status = 422, description = "unknown category")))]
async fn licence_eligibility(
    State(app): State<AppState>,
    CanViewFines(who): CanViewFines,
    Query(q): Query<LicenceQuery>,
) -> Result<Json<Eligibility>, ApiError> {
    let category = match q.category.as_deref() {
        None => egov_core::fines::LicenceCategory::B,
        Some(c) => egov_core::fines::LicenceCategory::parse(c).ok_or_else(|| {
            invalid(
                "category",
                Rule::OneOf(vec![
                    "A1", "B1", "A", "B", "C", "BE", "CE", "C1", "C1E", "D", "DE", "D1", "D1E", "Tb", "Tm",
                ]),
            )
        })?,
    };
    Ok(Json(fines::eligibility(&app, &who.citizen_id, "driving-licence", Some(category)).await?))
}

/// The same check for vehicle registration services.
#[utoipa::path(get, path = "/v1/services/vehicle-registration/eligibility", tag = "fines", responses((status = 200, body = Eligibility)))]
async fn vehicle_eligibility(
    State(app): State<AppState>,
    CanViewFines(who): CanViewFines,
) -> Result<Json<Eligibility>, ApiError> {
    Ok(Json(fines::eligibility(&app, &who.citizen_id, "vehicle-registration", None).await?))
}

/// A state body registers a fine (scope `agency:fines`); `Location` names it for the state bodies.
#[utoipa::path(post, path = "/v1/agency/fines", tag = "agency", request_body = FeedFine,
    responses((status = 201, body = Fine, headers(("Location" = String, description = "/v1/agency/fines/{id}"))), (status = 403), (status = 409, description = "protocol number exists"), (status = 422)))]
async fn feed(
    State(app): State<AppState>,
    Scoped(org, _): Scoped<AgencyFines>,
    Json(body): Json<FeedFine>,
) -> Result<Created<Fine>, ApiError> {
    let fine = fines::wire(fines::register(&app, &org.client_id, body).await?);
    Ok(Created(format!("/v1/agency/fines/{}", fine.id), fine))
}

/// A fine as it stands now, for the state bodies (scope `agency:fines`): whether it is paid, how, and
/// what is due today. Every holder of the scope may read every fine, as every holder may record its
/// payment at a bank.
#[utoipa::path(get, path = "/v1/agency/fines/{id}", tag = "agency", params(("id" = String, Path)),
    responses((status = 200, body = Fine), (status = 403), (status = 404)))]
async fn agency_one(
    State(app): State<AppState>,
    _scoped: Scoped<AgencyFines>,
    Path(id): Path<String>,
) -> Result<Json<Fine>, ApiError> {
    Ok(Json(fines::wire(fines::agency_view(&app, &id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalPayment {
    /// The bank (its name or BIC), as on its receipt.
    pub bank: String,
    /// The bank's receipt number; recording the same bank and number again records nothing more.
    pub bank_receipt_number: String,
    /// The bank's payment date (YYYY-MM-DD, not in the future): the discount is judged on it.
    pub paid_on: String,
    /// What the bank received, in tiyn; less than was due on `paid_on` leaves the rest due.
    pub amount_tiyn: i64,
}

/// A state body records that a fine was paid at a bank (scope `agency:fines`).
#[utoipa::path(post, path = "/v1/agency/fines/{id}/external-payment", tag = "agency", params(("id" = String, Path)), request_body = ExternalPayment,
    responses((status = 200, body = Fine), (status = 404), (status = 409, description = "fine-paid or bank-receipt-recorded"), (status = 422, description = "a future date, or more than was due")))]
async fn external_payment(
    State(app): State<AppState>,
    Scoped(org, _): Scoped<AgencyFines>,
    Path(id): Path<String>,
    Json(body): Json<ExternalPayment>,
) -> Result<Json<Fine>, ApiError> {
    let report = fines::BankReport {
        bank: &body.bank,
        receipt_number: &body.bank_receipt_number,
        paid_on: &body.paid_on,
        amount_tiyn: body.amount_tiyn,
    };
    Ok(Json(fines::wire(fines::external_payment(&app, &org.client_id, &id, report).await?)))
}
