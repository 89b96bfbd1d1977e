//! Errors at the HTTP boundary: every failure is an RFC 9457 `application/problem+json` document with a
//! stable `type`, the status and a human `detail`. Handlers return [`ApiError`]; extractor rejections
//! (malformed JSON, wrong content type, oversized body, bad path or query) become one too, and
//! [`problem_for_bare_errors`] turns any other error response (unknown route, wrong method, timeout) into
//! a problem document, so a client never has to parse anything else.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use egov_api::{Lang, ProblemKind};
use serde::Serialize;
use serde_json::{Map, Value};

pub use super::lang::{Tr, tr};

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answer. `kind` is the stable, machine-readable part (the `type` is `/problems/{kind}`, the
/// status is the kind's); `detail` is for people, in the three languages (the answer carries the one the
/// request's `Accept-Language` asks for) and never contains personal data.
#[derive(Debug)]
pub struct ApiError {
    pub kind: ProblemKind,
    pub detail: Tr,
    pub extra: Map<String, Value>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(kind: ProblemKind, detail: Tr) -> Self {
        ApiError { kind, detail, extra: Map::new(), retry_after: None }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn too_many(kind: ProblemKind, detail: Tr, retry_after_secs: u64) -> Self {
        let mut e = Self::new(kind, detail);
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    /// A failure of ours. The cause goes to the log (by the caller), never to the client.
    pub fn internal() -> Self {
        Self::new(
            ProblemKind::Internal,
            tr(
                "ішкі қате болды; ол тіркелді, кейінірек қайталап көріңіз",
                "произошла внутренняя ошибка; она записана, повторите позже",
                "an internal error occurred; it has been logged",
            ),
        )
    }

    /// Adds a member to the problem document (e.g. `decline_code`).
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        if let Ok(v) = serde_json::to_value(value) {
            self.extra.insert(key.into(), v);
        }
        self
    }

    /// The problem document in `lang`.
    pub fn body(&self, lang: Lang) -> Value {
        let mut body = Map::new();
        body.insert("type".into(), Value::String(self.kind.type_uri()));
        body.insert("title".into(), Value::String(self.kind.title(lang).into()));
        body.insert("status".into(), Value::from(self.kind.status()));
        body.insert("detail".into(), Value::String(self.detail.get(lang).into()));
        body.extend(self.extra.clone());
        Value::Object(body)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.kind.status(), self.kind, self.detail.get(Lang::En))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let lang = super::lang::current();
        let status = self.status();
        let mut response = (status, axum::Json(self.body(lang))).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.as_str()));
        if status == StatusCode::UNAUTHORIZED {
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
        match &r {
            JsonRejection::JsonDataError(e) => shape_error(&e.body_text()),
            JsonRejection::JsonSyntaxError(_) => malformed_json(),
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                ProblemKind::UnsupportedMediaType,
                tr(
                    "денені Content-Type: application/json ретінде жіберіңіз",
                    "отправьте тело с Content-Type: application/json",
                    "send the body as Content-Type: application/json",
                ),
            ),
            JsonRejection::BytesRejection(_) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
            _ => ApiError::new(
                ProblemKind::BadRequest,
                tr(
                    "сұрау денесін оқу мүмкін болмады",
                    "не удалось прочитать тело запроса",
                    "the body could not be read",
                ),
            ),
        }
    }
}

fn malformed_json() -> ApiError {
    ApiError::new(
        ProblemKind::MalformedJson,
        tr("сұрау денесі жарамды JSON емес", "тело запроса не является корректным JSON", "the body is not valid JSON"),
    )
}

fn too_large() -> ApiError {
    let n = super::BODY_LIMIT_BYTES;
    ApiError::new(
        ProblemKind::PayloadTooLarge,
        tr(
            format!("сұрау денесі {n} байттан үлкен"),
            format!("тело запроса больше {n} байт"),
            format!("the body is larger than {n} bytes"),
        ),
    )
}

/// A body of the wrong shape, in plain words: which field, and whether it is missing, unknown, of the
/// wrong type or not one of the accepted values. serde's own message (types like `i64`, line and column)
/// never reaches the client; `field` names the field when there is one.
pub fn shape_error(text: &str) -> ApiError {
    let text = text.strip_prefix("Failed to deserialize the JSON body into the target type: ").unwrap_or(text);
    let text = text.rsplit_once(" at line ").map_or(text, |(msg, _)| msg);
    let (path, msg) = match text.split_once(": ") {
        Some((path, msg)) if !path.contains(' ') => (Some(path.trim_start_matches('.')), msg),
        _ => (None, text),
    };
    let quoted = |s: &str| s.split('`').nth(1).map(str::to_string);
    let (field, words) = if let Some(rest) = msg.strip_prefix("missing field ") {
        (quoted(rest), tr("міндетті өріс жоқ", "обязательное поле отсутствует", "is required"))
    } else if let Some(rest) = msg.strip_prefix("unknown field ") {
        (
            quoted(rest),
            tr("бұл сұрауда мұндай өріс жоқ", "в этом запросе нет такого поля", "is not a field of this request"),
        )
    } else if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let given = quoted(rest).unwrap_or_default();
        let accepted: Vec<&str> =
            rest.split_once("expected ").map_or(vec![], |(_, e)| e.split('`').skip(1).step_by(2).collect());
        let list = accepted.join(", ");
        (
            None,
            tr(
                format!("«{given}» қабылданбайды; мыналардың бірі болуы керек: {list}"),
                format!("«{given}» не принимается; должно быть одним из: {list}"),
                format!("\"{given}\" is not accepted; must be one of: {list}"),
            ),
        )
    } else if let Some(rest) = msg.strip_prefix("invalid type: ") {
        let expected = rest.rsplit_once("expected ").map_or("", |(_, e)| e);
        let [kk, ru, en] = match expected.trim_start_matches("a ").trim_start_matches("an ") {
            e if e.starts_with('i') || e.starts_with('u') || e.contains("integer") => {
                ["бүтін сан", "целое число", "a whole number"]
            }
            e if e.contains("string") || e.contains("str") => ["мәтін", "строка", "text"],
            e if e.contains("bool") => ["true немесе false", "true или false", "true or false"],
            e if e.contains("sequence") => ["тізім", "список", "a list"],
            e if e.starts_with('f') => ["сан", "число", "a number"],
            _ => ["нысан", "объект", "an object"],
        };
        (
            None,
            tr(
                format!("түрі қате: {kk} күтілді"),
                format!("неверный тип: ожидается {ru}"),
                format!("has the wrong type: expected {en}"),
            ),
        )
    } else if msg.starts_with("invalid value") || msg.starts_with("invalid length") {
        (None, tr("мәні рұқсат етілмеген", "недопустимое значение", "has a value that is not allowed"))
    } else {
        (
            None,
            tr(
                "сұрау денесі күтілген пішінге сәйкес емес; /openapi.json қараңыз",
                "тело запроса не соответствует ожидаемой форме; см. /openapi.json",
                "the body does not match the expected shape; see /openapi.json",
            ),
        )
    };
    let field = field.or_else(|| path.filter(|p| !p.is_empty()).map(str::to_string));
    match field {
        Some(f) => {
            let at = |l| format!("{f}: {}", words.get(l));
            ApiError::new(ProblemKind::Validation, tr(at(Lang::Kk), at(Lang::Ru), at(Lang::En))).with("field", f)
        }
        None => ApiError::new(ProblemKind::Validation, words),
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError::new(
            ProblemKind::BadPath,
            tr("мекенжайдағы идентификатор жарамсыз", "идентификатор в адресе недопустим", "a path segment is invalid"),
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        let shape = shape_error(&r.body_text());
        let d = |l| shape.detail.get(l).to_string();
        let mut answer = ApiError::new(
            ProblemKind::BadQuery,
            tr(
                format!("сұрау жолы жарамсыз: {}", d(Lang::Kk)),
                format!("строка запроса недопустима: {}", d(Lang::Ru)),
                format!("the query string is invalid: {}", d(Lang::En)),
            ),
        );
        answer.extra = shape.extra;
        answer
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

fn no_route() -> ApiError {
    ApiError::new(
        ProblemKind::RouteNotFound,
        tr(
            "мұндай жол жоқ; API сипаттамасы /openapi.json мекенжайында",
            "такого маршрута нет; описание API — /openapi.json",
            "no such route; see /openapi.json for the API",
        ),
    )
}

/// The answer for a path no route matches.
pub async fn route_not_found() -> ApiError {
    no_route()
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
    let fresh = match status {
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            ProblemKind::MethodNotAllowed,
            tr(
                "бұл жол бұл әдісті қабылдамайды",
                "этот маршрут не принимает такой метод",
                "this route does not accept that method",
            ),
        ),
        StatusCode::REQUEST_TIMEOUT => ApiError::new(
            ProblemKind::Timeout,
            tr(
                "сұрау тым ұзаққа созылып, тоқтатылды; қайталаңыз",
                "запрос выполнялся слишком долго и был прерван; повторите",
                "the request took too long and was abandoned",
            ),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        StatusCode::NOT_FOUND => no_route(),
        s if s.is_server_error() => ApiError::internal(),
        _ => ApiError::new(
            ProblemKind::BadRequest,
            tr("сұрау қабылданбады", "запрос отклонён", "the request was refused"),
        ),
    };
    let (mut parts, _) = response.into_parts();
    let mut fresh = fresh.into_response();
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
            crate::store::StoreError::Conflict => ApiError::new(
                ProblemKind::Conflict,
                tr(
                    "бұл бар деректерге қайшы",
                    "это противоречит существующим данным",
                    "this conflicts with existing data",
                ),
            ),
            crate::store::StoreError::Database(e) if database_unreachable(&e) => {
                tracing::warn!(error = %e, "database unreachable");
                crate::store::note_unreachable();
                let mut answer = ApiError::new(
                    ProblemKind::DatabaseUnavailable,
                    tr(
                        "қызмет дерекқорына қазір қол жеткізе алмайды; сәлден соң қайталаңыз",
                        "сервис сейчас не может обратиться к своей базе данных; повторите чуть позже",
                        "the service cannot reach its database right now; retry shortly",
                    ),
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
        if r.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            ApiError::new(
                ProblemKind::UnsupportedMediaType,
                tr(
                    "пішінді application/x-www-form-urlencoded ретінде жіберіңіз",
                    "отправьте форму как application/x-www-form-urlencoded",
                    "send the form as application/x-www-form-urlencoded",
                ),
            )
        } else {
            let shape = shape_error(&r.body_text());
            ApiError { kind: ProblemKind::BadRequest, ..shape }
        }
    }
}

/// A JSON body that may be absent: empty means `T::default()`; anything else must be valid JSON of `T`.
pub fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => shape_error(&e.to_string()),
        _ => malformed_json(),
    })
}
