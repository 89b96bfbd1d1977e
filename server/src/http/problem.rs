//! Errors at the HTTP boundary: every failure is an RFC 9457 `application/problem+json` document with a
//! stable `type`, the status and a human `detail`. Handlers return [`ApiError`]; extractor rejections
//! (malformed JSON, wrong content type, oversized body, bad path or query) become one too, and
//! [`problem_for_bare_errors`] turns any other error response (unknown route, wrong method, timeout) into
//! a problem document, so a client never has to parse anything else.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answer. `kind` is the stable, machine-readable part (the `type` is `/problems/{kind}`);
/// `detail` is for people and never contains personal data.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub detail: String,
    pub extra: Map<String, Value>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Self {
        ApiError { status, kind, detail: detail.into(), extra: Map::new(), retry_after: None }
    }

    /// A field-level validation failure (422).
    pub fn validation(field: &str, detail: impl std::fmt::Display) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", format!("{field}: {detail}"));
        e.extra.insert("field".into(), Value::String(field.into()));
        e
    }

    /// A number of seconds within `range`, or a 422 naming the field (never a panic on a huge value).
    pub fn seconds_field(
        field: &str,
        value: i64,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<chrono::Duration, ApiError> {
        if range.contains(&value) {
            chrono::Duration::try_seconds(value).ok_or_else(ApiError::internal)
        } else {
            Err(Self::validation(field, format!("must be from {} to {} seconds", range.start(), range.end())))
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", format!("{what} not found"))
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn conflict(kind: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, kind, detail)
    }

    pub fn too_many(kind: &'static str, detail: impl Into<String>, retry_after_secs: u64) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, kind, detail);
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    /// A failure of ours. The cause goes to the log (by the caller), never to the client.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "an internal error occurred; it has been logged")
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }

    /// Adds a member to the problem document (e.g. `decline_code`).
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        if let Ok(v) = serde_json::to_value(value) {
            self.extra.insert(key.into(), v);
        }
        self
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.kind, self.detail)
    }
}

fn title_of(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert("type".into(), Value::String(format!("/problems/{}", self.kind)));
        body.insert("title".into(), Value::String(title_of(self.status).into()));
        body.insert("status".into(), Value::from(self.status.as_u16()));
        body.insert("detail".into(), Value::String(self.detail));
        body.extend(self.extra);
        let mut response = (self.status, axum::Json(Value::Object(body))).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let (kind, detail) = match &r {
            JsonRejection::JsonDataError(e) => ("validation", body_error_detail(&e.body_text())),
            JsonRejection::JsonSyntaxError(_) => ("malformed-json", "the body is not valid JSON".to_string()),
            JsonRejection::MissingJsonContentType(_) => {
                ("unsupported-media-type", "send the body as Content-Type: application/json".to_string())
            }
            JsonRejection::BytesRejection(_) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ("payload-too-large", format!("the body is larger than {} bytes", super::BODY_LIMIT_BYTES))
            }
            _ => ("bad-request", "the body could not be read".to_string()),
        };
        ApiError::new(r.status(), kind, detail)
    }
}

/// serde's message after axum's prefix ("Failed to deserialize the JSON body into the target type: ").
fn body_error_detail(text: &str) -> String {
    let msg = text.split_once(": ").map(|(_, m)| m).unwrap_or(text);
    format!("the body does not match the expected shape: {msg}")
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-path", format!("a path segment is invalid: {}", r.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        let text = r.body_text();
        let msg = text.split_once(": ").map(|(_, m)| m).unwrap_or(&text).to_string();
        ApiError::new(StatusCode::BAD_REQUEST, "bad-query", format!("the query string is invalid: {msg}"))
    }
}

/// JSON body extractor whose rejections are problem documents; also the JSON response type.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A 201 Created answer: the new resource's path in `Location` (RFC 9110 §10.2.2; clients and the
/// stateful phase of `tests/conformance.sh` follow it) and its JSON.
pub struct Created<T>(pub String, pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, [(header::LOCATION, self.0)], axum::Json(self.1)).into_response()
    }
}

/// Path extractor whose rejections are problem documents.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// Query extractor whose rejections are problem documents.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// The answer for a path no route matches.
pub async fn route_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "route-not-found", "no such route; see /openapi.json for the API")
}

/// Middleware: an error response that is not yet a problem document (axum's 405, a timeout's 408, a
/// layer's 413) is replaced by one with the same status and headers (e.g. `Allow`).
pub async fn problem_for_bare_errors<B>(response: Response<B>) -> Response
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let status = response.status();
    let is_problem =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response.map(axum::body::Body::new);
    }
    let (kind, detail) = match status {
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "this route does not accept that method"),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long and was abandoned"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload-too-large", "the body is too large"),
        StatusCode::NOT_FOUND => ("route-not-found", "no such route; see /openapi.json for the API"),
        s if s.is_server_error() => ("internal", "an internal error occurred; it has been logged"),
        _ => ("bad-request", "the request was refused"),
    };
    let (mut parts, _) = response.into_parts();
    let mut fresh = ApiError::new(status, kind, detail).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in fresh.headers_mut().drain() {
        if let Some(name) = name {
            parts.headers.insert(name, value);
        }
    }
    Response::from_parts(parts, fresh.into_body())
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Conflict => ApiError::conflict("conflict", "this conflicts with existing data"),
            crate::store::StoreError::Database(e) if database_unreachable(&e) => {
                tracing::warn!(error = %e, "database unreachable");
                crate::store::note_unreachable();
                let mut answer = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database-unavailable",
                    "the service cannot reach its database right now; retry shortly",
                );
                answer.retry_after = Some(2);
                answer
            }
            other => {
                tracing::error!(error = %other, "storage failure");
                ApiError::internal()
            }
        }
    }
}

/// Whether a database error means "no database right now" (a restart, a failover, a full pool) rather
/// than a fault of this request: the connection broke, none could be had, or the server is shutting down
/// or starting (SQLSTATE classes 08 and 57P).
fn database_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

impl From<egov_core::secret::RandomError> for ApiError {
    fn from(_: egov_core::secret::RandomError) -> Self {
        tracing::error!("the system random generator failed");
        ApiError::internal()
    }
}

/// A stored value this build does not know: the request is refused (fails closed) and the row logged.
impl From<egov_core::UnknownValue> for ApiError {
    fn from(e: egov_core::UnknownValue) -> Self {
        tracing::error!(what = e.what, value = %e.value, "refused: a stored value is not one this build knows");
        ApiError::internal()
    }
}

/// Form body extractor whose rejections are problem documents.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Form), rejection(ApiError))]
pub struct Form<T>(pub T);

impl From<axum::extract::rejection::FormRejection> for ApiError {
    fn from(r: axum::extract::rejection::FormRejection) -> Self {
        let kind =
            if r.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE { "unsupported-media-type" } else { "bad-request" };
        ApiError::new(r.status(), kind, format!("the form body is invalid: {}", r.body_text()))
    }
}

/// A JSON body that may be absent: empty means `T::default()`; anything else must be valid JSON of `T`.
pub fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            format!("the body does not match the expected shape: {e}"),
        ),
        _ => ApiError::new(StatusCode::BAD_REQUEST, "malformed-json", "the body is not valid JSON"),
    })
}
