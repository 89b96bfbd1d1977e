//! The web pages served by the binary: `/` (what this is), `/login` (the egov.kz QR login box),
//! `/sign-demo` (signing by QR), `/verify` (an organisation's verifier) and the landings a phone camera
//! opens (`/s/{token}`, `/ql/{secret}`, `/qs/{id}`). Plain HTML, CSS and JS embedded in the binary; labels in
//! Kazakh, Russian and English. A landing never acts on its secret: it only says what the code is.

use crate::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

const CSS: &str = include_str!("../../pages/app.css");
const I18N: &str = include_str!("../../pages/i18n.js");
const LOGIN_JS: &str = include_str!("../../pages/login.js");
const SIGN_JS: &str = include_str!("../../pages/sign.js");
const VERIFY_JS: &str = include_str!("../../pages/verify.js");

/// Pages may load only this origin's scripts, styles and images (plus photos as data: URLs), may not be
/// framed (the login box must not be clickjacked) and send no referrer (landing URLs carry secrets).
const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn layout(title: &str, body: &str, script: Option<&str>) -> Response {
    // Each page script sets up the language switcher itself; pages without one get the shared init.
    let script = format!(r#"<script type="module" src="/assets/{}"></script>"#, script.unwrap_or("i18n-init.js"));
    let html = format!(
        r#"<!doctype html>
<html lang="kk">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · eGov</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<header><div class="bar"><a class="brand" href="/">e<span>Gov</span> <small data-i18n="brand_tag">e-Government</small></a>
<nav class="langs" aria-label="Language"><button data-lang="kk">ҚАЗ</button><button data-lang="ru">РУС</button><button data-lang="en">ENG</button></nav></div></header>
<main>{body}</main>
<footer>eGov Mobile · 1414</footer>
{script}
</body>
</html>"#
    );
    let mut response = Html(html).into_response();
    secure(&mut response);
    response
}

fn secure(response: &mut Response) {
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r =
        ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=300")], body).into_response();
    secure(&mut r);
    r
}

fn landing(message: &str, hint: &str) -> Response {
    let body = include_str!("../../pages/landing.html").replace("{{MESSAGE}}", message).replace("{{HINT}}", hint);
    layout("eGov Mobile", &body, None)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { layout("eGov Mobile", include_str!("../../pages/home.html"), None) }))
        .route("/login", get(|| async { layout("Sign in", include_str!("../../pages/login.html"), Some("login.js")) }))
        .route("/sign-demo", get(|| async { layout("Sign", include_str!("../../pages/sign.html"), Some("sign.js")) }))
        .route(
            "/verify",
            get(|| async { layout("Verify", include_str!("../../pages/verify.html"), Some("verify.js")) }),
        )
        .route("/s/{token}", get(|| async { landing("landing_share", "eGov Mobile → QR / verifier → /verify") }))
        .route("/ql/{secret}", get(|| async { landing("landing_login", "eGov Mobile → QR") }))
        .route("/qs/{id}", get(|| async { landing("landing_sign", "eGov Mobile → QR") }))
        .route("/assets/app.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route("/assets/i18n.js", get(|| async { asset("text/javascript; charset=utf-8", I18N) }))
        .route(
            "/assets/i18n-init.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    "import { setupLanguages } from \"/assets/i18n.js\"; setupLanguages();",
                )
            }),
        )
        .route("/assets/login.js", get(|| async { asset("text/javascript; charset=utf-8", LOGIN_JS) }))
        .route("/assets/sign.js", get(|| async { asset("text/javascript; charset=utf-8", SIGN_JS) }))
        .route("/assets/verify.js", get(|| async { asset("text/javascript; charset=utf-8", VERIFY_JS) }))
}
