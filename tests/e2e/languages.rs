//! Problems in the citizen's language: `title` and `detail` follow `Accept-Language` (kk, ru, en), the
//! `type` and the status never change with it, and no parser internals reach a person. Run against the
//! binary on SQLite and on PostgreSQL like every e2e suite.

use harness::flows::*;
use harness::{Server, Value, body_json, client, expect_problem, json};

/// Sends `request` in `lang` and returns the problem of `status` and `kind`, checking its language.
async fn problem_in(request: reqwest::RequestBuilder, lang: &str, status: u16, kind: &str) -> Value {
    let r = request.header("accept-language", lang).send().await.unwrap();
    let content_language = r.headers().get("content-language").map(|v| v.to_str().unwrap().to_string());
    let p = expect_problem(r, status, kind).await;
    assert_eq!(content_language.as_deref(), Some(&lang[..2]), "Content-Language of {p}");
    p
}

fn detail(p: &Value) -> &str {
    p["detail"].as_str().unwrap()
}

/// Kazakh text uses letters Russian has not; Russian text has Cyrillic and none of them.
fn is_kazakh(s: &str) -> bool {
    s.chars().any(|c| "әғқңөұүһіӘҒҚҢӨҰҮҺІ".contains(c))
}

fn is_russian(s: &str) -> bool {
    s.chars().any(|c| ('а'..='я').contains(&c)) && !is_kazakh(s)
}

fn no_parser_internals(s: &str) {
    for leak in ["line 1", "column", "i64", "u64", "expected `", "serde", "invalid type"] {
        assert!(!s.contains(leak), "{leak:?} leaks into {s:?}");
    }
}

#[tokio::test]
async fn a_validation_error_is_in_kazakh_or_russian_as_asked_with_the_same_type() {
    let server = Server::start().await;
    let start = || client().post(server.url("/v1/auth/otp/start")).json(&json!({"phone": "+77172123456"}));
    let kk = problem_in(start(), "kk", 422, "validation").await;
    let ru = problem_in(start(), "ru-RU,ru;q=0.9,en;q=0.5", 422, "validation").await;
    let en = problem_in(start(), "en", 422, "validation").await;
    assert!(is_kazakh(detail(&kk)) && detail(&kk).contains("ұялы байланыс"), "{kk}");
    assert!(is_russian(detail(&ru)) && detail(&ru).contains("мобильным номером"), "{ru}");
    assert!(detail(&en).contains("mobile number"), "{en}");
    assert!(is_kazakh(kk["title"].as_str().unwrap()) && is_russian(ru["title"].as_str().unwrap()));
    for p in [&kk, &ru, &en] {
        assert_eq!(p["field"], "phone", "the field is named in every language: {p}");
    }
    // A body of the wrong shape: plain words in each language, never serde's message.
    let shape = || client().post(server.url("/v1/auth/otp/start")).json(&json!({"phone": 77011234567_i64}));
    for lang in ["kk", "ru", "en"] {
        let p = problem_in(shape(), lang, 422, "validation").await;
        no_parser_internals(detail(&p));
        assert_eq!(p["field"], "phone", "{p}");
    }
    let kk = problem_in(shape(), "kk", 422, "validation").await;
    assert!(is_kazakh(detail(&kk)), "{kk}");
    // No Accept-Language, or none of ours: English.
    let r = start().send().await.unwrap();
    assert_eq!(r.headers()["content-language"], "en");
    let r = start().header("accept-language", "de-DE, fr;q=0.8").send().await.unwrap();
    assert_eq!(r.headers()["content-language"], "en");
}

#[tokio::test]
async fn a_card_decline_says_why_in_kazakh_and_russian() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let today = egov_core::time::almaty_date(chrono::Utc::now()).to_string();
    let r = client()
        .post(server.url("/v1/agency/fines"))
        .bearer_auth(&police)
        .json(&fine_feed("P-LANG-0001", CITIZEN_2.1, &today))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let fine = body_json(r).await;
    let token = login_otp(&server, CITIZEN_2.0).await["access_token"].as_str().unwrap().to_string();
    let pay = |key: &str| {
        client()
            .post(server.url(&format!("/v1/fines/{}/payments", fine["id"].as_str().unwrap())))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&json!({"method": "card", "card_token": "tok_51"}))
    };
    let kk = problem_in(pay("key-lang-kk-0001"), "kk", 402, "payment-declined").await;
    let ru = problem_in(pay("key-lang-ru-0001"), "ru", 402, "payment-declined").await;
    assert!(is_kazakh(detail(&kk)) && detail(&kk).contains("қаражат жеткіліксіз"), "{kk}");
    assert!(is_russian(detail(&ru)) && detail(&ru).contains("недостаточно средств"), "{ru}");
    for p in [&kk, &ru] {
        assert_eq!(p["decline_code"], "51", "the machine-readable code stays: {p}");
    }
}

#[tokio::test]
async fn the_under_16_refusal_is_in_kazakh_and_russian_with_a_readable_date() {
    let server = Server::start().await;
    let token = login_otp(&server, "+77010000003").await["access_token"].as_str().unwrap().to_string();
    let documents = || client().get(server.url("/v1/documents")).bearer_auth(&token);
    let kk = problem_in(documents(), "kk-KZ", 403, "documents-not-available").await;
    let ru = problem_in(documents(), "ru", 403, "documents-not-available").await;
    assert!(is_kazakh(detail(&kk)) && detail(&kk).contains("16 жастан"), "{kk}");
    assert!(is_russian(detail(&ru)) && detail(&ru).contains("с 16 лет"), "{ru}");
    for p in [&kk, &ru] {
        assert_eq!(p["reason"], "under-16", "{p}");
        let iso = p["available_from"].as_str().unwrap();
        let date = chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap();
        assert!(detail(p).contains(&date.format("%d.%m.%Y").to_string()), "the date as people write it: {p}");
    }
}
