//! The language of an answer: a request's `Accept-Language` (kk, ru or en) picks the language of every
//! human text in its problem documents. The choice is made once per request, by [`negotiate`], and read
//! where the answer is written ([`current`]); no handler or service deals with languages.

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use egov_api::Lang;

/// The language when a request names none of ours. English: the app always sends its language, and the
/// clients that send none are integrators' programs, whose logs are read in English.
pub const DEFAULT: Lang = Lang::En;

tokio::task_local! {
    static LANG: Lang;
}

/// Middleware: runs the request with the language its `Accept-Language` asks for.
pub async fn negotiate(request: Request, next: Next) -> Response {
    let lang = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::negotiate)
        .unwrap_or(DEFAULT);
    LANG.scope(lang, next.run(request)).await
}

/// The language of the request being answered ([`DEFAULT`] outside one).
pub fn current() -> Lang {
    LANG.try_with(|l| *l).unwrap_or(DEFAULT)
}

/// A text for people in the three languages of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tr {
    kk: String,
    ru: String,
    en: String,
}

/// A text in Kazakh, Russian and English.
pub fn tr(kk: impl Into<String>, ru: impl Into<String>, en: impl Into<String>) -> Tr {
    Tr { kk: kk.into(), ru: ru.into(), en: en.into() }
}

impl Tr {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Kk => &self.kk,
            Lang::Ru => &self.ru,
            Lang::En => &self.en,
        }
    }
}
