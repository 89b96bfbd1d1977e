//! Website login by QR code and signing by QR code over HTTP: the browser's and the phone's sides, every
//! abuse case of the issue, long-poll, and two replicas (browser on one, phone on the other).

use harness::flows::*;
use harness::{
    DataPlace, Options, Server, SseReader, Value, body_json, client, expect_problem, get_auth, json, post_auth,
};
use std::time::{Duration, Instant};

const CHROME_ON_WINDOWS: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

/// The browser's side: a login request and its poll secret.
struct Browser {
    request: Value,
    poll: String,
}

async fn browser_request(server: &Server) -> Browser {
    let r = client()
        .post(server.url("/v1/web-login/requests"))
        .header("user-agent", CHROME_ON_WINDOWS)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let poll = r.headers()["x-poll-secret"].to_str().unwrap().to_string();
    let request = body_json(r).await;
    assert!(!request["qr_url"].as_str().unwrap().contains(&poll), "the poll secret is never in the QR");
    Browser { request, poll }
}

async fn events(server: &Server, b: &Browser) -> SseReader {
    let id = b.request["request_id"].as_str().unwrap();
    let r = client()
        .get(server.url(&format!("/v1/web-login/requests/{id}/events")))
        .header("x-poll-secret", &b.poll)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    SseReader::new(r)
}

async fn scan(server: &Server, token: &str, qr_url: &Value) -> reqwest::Response {
    post_auth(server, "/v1/web-login/scan", token, json!({"qr_url": qr_url})).await
}

async fn access(server: &Server, phone: &str) -> String {
    login_otp(server, phone).await["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_phone_approves_and_the_browser_gets_a_session_of_its_own() {
    let server = Server::start().await;
    let b = browser_request(&server).await;
    let mut stream = events(&server, &b).await;
    let qr = stream.next("qr", Duration::from_secs(5)).await;
    let phone = access(&server, CITIZEN_1.0).await;
    let r = scan(&server, &phone, &qr["qr_url"]).await;
    assert_eq!(r.status(), 200);
    let shown = body_json(r).await;
    assert_eq!((shown["browser"].as_str(), shown["os"].as_str()), (Some("Chrome"), Some("Windows")));
    assert_eq!(shown["city"], "Local network");
    assert_eq!(shown["site"], "egov.kz");
    assert!(shown["check_codes"].as_array().unwrap().contains(&b.request["check_code"]));
    stream.next("scanned", Duration::from_secs(3)).await;

    let id = b.request["request_id"].as_str().unwrap();
    let r = post_auth(
        &server,
        &format!("/v1/web-login/requests/{id}/approve"),
        &phone,
        json!({"check_code": b.request["check_code"]}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let approved = stream.next("approved", Duration::from_secs(3)).await;
    let code = approved["login_code"].as_str().unwrap();
    let r = client()
        .post(server.url("/v1/web-login/exchange"))
        .header("x-poll-secret", &b.poll)
        .json(&json!({"login_code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let web = body_json(r).await;
    assert_eq!(web["acr"], "web", "a website session, whatever the approving phone's level");
    let me = body_json(get_auth(&server, "/v1/me", web["access_token"].as_str().unwrap()).await).await;
    assert_eq!(me["iin"], CITIZEN_1.1);
    assert_ne!(web["session_id"], me["session_id"].clone().as_str().map(|_| Value::Null).unwrap_or_default());

    // The code is one-time, and the login is in the history with the browser and the city.
    let r = client()
        .post(server.url("/v1/web-login/exchange"))
        .header("x-poll-secret", &b.poll)
        .json(&json!({"login_code": code}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 401, "login-code-invalid").await;
    let history = body_json(get_auth(&server, "/v1/history", &phone).await).await;
    let entry = history.as_array().unwrap().iter().find(|e| e["kind"] == "web_login").expect("recorded");
    assert_eq!(entry["detail"]["browser"], "Chrome");
    assert_eq!(entry["detail"]["city"], "Local network");
    let sessions = body_json(get_auth(&server, "/v1/me/sessions", &phone).await).await;
    assert!(sessions.as_array().unwrap().iter().any(|s| s["client"] == "web"));
}

#[tokio::test]
async fn a_stolen_qr_url_alone_never_logs_anyone_in() {
    let server = Server::start().await;
    let b = browser_request(&server).await;
    let id = b.request["request_id"].as_str().unwrap();
    let r = client().get(server.url(&format!("/v1/web-login/requests/{id}/events"))).send().await.unwrap();
    expect_problem(r, 401, "poll-secret-invalid").await;
    let r = client()
        .get(server.url(&format!("/v1/web-login/requests/{id}/events")))
        .header("x-poll-secret", "guess")
        .send()
        .await
        .unwrap();
    expect_problem(r, 401, "poll-secret-invalid").await;

    let mut stream = events(&server, &b).await;
    let qr = stream.next("qr", Duration::from_secs(5)).await;
    let phone = access(&server, CITIZEN_1.0).await;
    assert_eq!(scan(&server, &phone, &qr["qr_url"]).await.status(), 200);
    post_auth(
        &server,
        &format!("/v1/web-login/requests/{id}/approve"),
        &phone,
        json!({"check_code": b.request["check_code"]}),
    )
    .await;
    let code = stream.next("approved", Duration::from_secs(3)).await["login_code"].as_str().unwrap().to_string();
    // Someone who learnt the login code but is not that browser gets nothing, and the code stays usable.
    let r =
        client().post(server.url("/v1/web-login/exchange")).json(&json!({"login_code": code})).send().await.unwrap();
    expect_problem(r, 401, "poll-secret-invalid").await;
    let r = client()
        .post(server.url("/v1/web-login/exchange"))
        .header("x-poll-secret", &b.poll)
        .json(&json!({"login_code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_rotated_or_expired_qr_is_refused() {
    let server = Server::start().await;
    let b = browser_request(&server).await;
    let mut stream = events(&server, &b).await;
    let current = stream.next("qr", Duration::from_secs(5)).await;
    let phone = access(&server, CITIZEN_1.0).await;
    // The QR from the create answer was replaced when the browser connected.
    expect_problem(scan(&server, &phone, &b.request["qr_url"]).await, 410, "qr-expired").await;
    advance_clock(&server, 61).await;
    expect_problem(scan(&server, &phone, &current["qr_url"]).await, 410, "qr-expired").await;
    let fresh = stream.next("qr", Duration::from_secs(5)).await;
    assert_ne!(fresh["qr_url"], current["qr_url"], "a new QR every 60 s");
    advance_clock(&server, 300).await;
    stream.next("expired", Duration::from_secs(5)).await;
    expect_problem(scan(&server, &phone, &fresh["qr_url"]).await, 410, "qr-expired").await;
    expect_problem(scan(&server, &phone, &json!("https://evil.example/ql/abc")).await, 422, "validation").await;
}

#[tokio::test]
async fn a_second_scan_is_refused_and_recorded_for_both() {
    let server = Server::start().await;
    let b = browser_request(&server).await;
    let mut stream = events(&server, &b).await;
    let qr = stream.next("qr", Duration::from_secs(5)).await;
    let first = access(&server, CITIZEN_1.0).await;
    let second = access(&server, CITIZEN_2.0).await;
    assert_eq!(scan(&server, &first, &qr["qr_url"]).await.status(), 200);
    expect_problem(scan(&server, &second, &qr["qr_url"]).await, 409, "already-scanned").await;
    let h2 = body_json(get_auth(&server, "/v1/history", &second).await).await;
    assert!(h2.as_array().unwrap().iter().any(|e| e["kind"] == "web_login_scan_refused"));
    let h1 = body_json(get_auth(&server, "/v1/history", &first).await).await;
    assert!(h1.as_array().unwrap().iter().any(|e| e["kind"] == "web_login_second_scan"));
    // Only the first scanner decides.
    let id = b.request["request_id"].as_str().unwrap();
    let r = post_auth(
        &server,
        &format!("/v1/web-login/requests/{id}/approve"),
        &second,
        json!({"check_code": b.request["check_code"]}),
    )
    .await;
    expect_problem(r, 404, "not-found").await;
}

#[tokio::test]
async fn a_wrong_check_code_denies_the_request() {
    let server = Server::start().await;
    let b = browser_request(&server).await;
    let mut stream = events(&server, &b).await;
    let qr = stream.next("qr", Duration::from_secs(5)).await;
    let phone = access(&server, CITIZEN_1.0).await;
    let shown = body_json(scan(&server, &phone, &qr["qr_url"]).await).await;
    let wrong =
        shown["check_codes"].as_array().unwrap().iter().find(|c| **c != b.request["check_code"]).unwrap().clone();
    let id = b.request["request_id"].as_str().unwrap();
    let r =
        post_auth(&server, &format!("/v1/web-login/requests/{id}/approve"), &phone, json!({"check_code": wrong})).await;
    expect_problem(r, 409, "check-code-wrong").await;
    stream.next("denied", Duration::from_secs(3)).await;
    let r = post_auth(
        &server,
        &format!("/v1/web-login/requests/{id}/approve"),
        &phone,
        json!({"check_code": b.request["check_code"]}),
    )
    .await;
    expect_problem(r, 410, "request-closed").await;
    let h = body_json(get_auth(&server, "/v1/history", &phone).await).await;
    assert!(
        h.as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "web_login_denied" && e["detail"]["reason"] == "wrong check code")
    );
}

#[tokio::test]
async fn the_long_poll_fallback_reports_the_approval() {
    let server = Server::start().await;
    let b = browser_request(&server).await;
    let mut stream = events(&server, &b).await;
    let qr = stream.next("qr", Duration::from_secs(5)).await;
    drop(stream);
    let phone = access(&server, CITIZEN_1.0).await;
    assert_eq!(scan(&server, &phone, &qr["qr_url"]).await.status(), 200);
    let id = b.request["request_id"].as_str().unwrap().to_string();
    let url = server.url(&format!("/v1/web-login/requests/{id}/events?wait=10"));
    let poll = b.poll.clone();
    let waiter =
        tokio::spawn(
            async move { body_json(client().get(url).header("x-poll-secret", poll).send().await.unwrap()).await },
        );
    tokio::time::sleep(Duration::from_millis(300)).await;
    post_auth(
        &server,
        &format!("/v1/web-login/requests/{id}/approve"),
        &phone,
        json!({"check_code": b.request["check_code"]}),
    )
    .await;
    let state = waiter.await.unwrap();
    assert_eq!(state["status"], "approved");
    assert!(state["login_code"].is_string());
}

#[tokio::test]
async fn one_address_may_open_three_hundred_requests_a_minute_and_no_more() {
    let server = Server::start().await;
    let http = client();
    // The limit counts per clock minute: start where the 301 requests (a second or two) stay within one
    // minute, or a run that straddles a boundary legitimately gets a fresh count.
    let second = chrono::Timelike::second(&chrono::Utc::now());
    if second > 45 {
        tokio::time::sleep(Duration::from_secs(u64::from(61 - second))).await;
    }
    for i in 0..300 {
        let r = http.post(server.url("/v1/web-login/requests")).send().await.unwrap();
        assert_eq!(r.status(), 201, "request {i}");
    }
    expect_problem(http.post(server.url("/v1/web-login/requests")).send().await.unwrap(), 429, "rate-limited").await;
}

fn sha256_hex(text: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_website_request_is_signed_once_by_an_eds_session_and_the_browser_gets_the_signature() {
    let server = Server::start().await;
    // The citizen's device key, enrolled (and its hold waited out) before the website asks.
    let (device, key_id, otp) = enrol_device(&server, &login_otp(&server, CITIZEN_2.0).await).await;
    let digest = sha256_hex("Application for a certificate of no criminal record");
    let body = json!({"digest": digest, "organisation": "egov.kz",
        "description": {"kk": "Сотталмағандығы туралы анықтама", "ru": "Справка о несудимости", "en": "Certificate of no criminal record"}});
    let r = client().post(server.url("/v1/sign-requests")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let poll = r.headers()["x-poll-secret"].to_str().unwrap().to_string();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let created = body_json(r).await;
    let id = created["request_id"].as_str().unwrap().to_string();
    assert_eq!(created["qr_url"], format!("{}/qs/{id}", server.base));
    assert_eq!(location, format!("/v1/sign-requests/{id}"), "Location names the new request");
    let r = client()
        .get(server.url(&format!("/v1/sign-requests/{id}/events")))
        .header("x-poll-secret", &poll)
        .send()
        .await
        .unwrap();
    let mut stream = SseReader::new(r);

    let view = body_json(get_auth(&server, &format!("/v1/sign-requests/{id}"), &otp).await).await;
    assert_eq!(view["description"]["en"], "Certificate of no criminal record");
    let sig = device.sign_b64(view["message"].as_str().unwrap());
    let r =
        post_auth(&server, &format!("/v1/sign-requests/{id}/sign"), &otp, json!({"key_id": key_id, "signature": sig}))
            .await;
    expect_problem(r, 403, "level-required").await;

    let eds = body_json(eds_login(&server, CITIZEN_2.1, &device, &key_id).await).await;
    let eds = eds["access_token"].as_str().unwrap();
    let stranger = Device::new();
    let bad = stranger.sign_b64(view["message"].as_str().unwrap());
    let r =
        post_auth(&server, &format!("/v1/sign-requests/{id}/sign"), eds, json!({"key_id": key_id, "signature": bad}))
            .await;
    expect_problem(r, 422, "signature-invalid").await;
    let r = post_auth(
        &server,
        &format!("/v1/sign-requests/{id}/sign"),
        eds,
        json!({"key_id": "not-mine", "signature": sig}),
    )
    .await;
    expect_problem(r, 403, "key-not-yours").await;
    let r =
        post_auth(&server, &format!("/v1/sign-requests/{id}/sign"), eds, json!({"key_id": key_id, "signature": sig}))
            .await;
    assert_eq!(r.status(), 200);

    let signed = stream.next("signed", Duration::from_secs(3)).await;
    assert_eq!(signed["signer_name"], "Жұмабаев Нұрлан");
    let key = egov_core::auth::eds::DevicePublicKey::parse(signed["public_key"].as_str().unwrap()).unwrap();
    let signature = egov_core::auth::eds::decode_b64(signed["signature"].as_str().unwrap()).unwrap();
    assert!(
        key.verifies(&egov_core::weblogin::sign_request_message(&id, &digest), &signature),
        "the browser can check the signature"
    );
    let r =
        post_auth(&server, &format!("/v1/sign-requests/{id}/sign"), eds, json!({"key_id": key_id, "signature": sig}))
            .await;
    expect_problem(r, 410, "request-closed").await;
    let h = body_json(get_auth(&server, "/v1/history", eds).await).await;
    assert!(
        h.as_array().unwrap().iter().any(|e| e["kind"] == "request_signed" && e["detail"]["organisation"] == "egov.kz")
    );
    expect_problem(
        client()
            .post(server.url("/v1/sign-requests"))
            .json(&json!({"digest": "abc", "organisation": "x", "description": {"kk": "a", "ru": "b", "en": "c"}}))
            .send()
            .await
            .unwrap(),
        422,
        "validation",
    )
    .await;
    let r = client().get(server.url(&format!("/v1/sign-requests/{id}/events"))).send().await.unwrap();
    expect_problem(r, 401, "poll-secret-invalid").await;
}

#[tokio::test]
async fn the_browser_waits_on_one_replica_and_the_phone_approves_on_another() {
    let place = DataPlace::fresh().await;
    // Replicas behind one load balancer share one public URL (it is what the QR codes carry).
    let shared = Options::default().arg("--public-url").arg("https://egov.test");
    let a = Server::start_on(&place, shared.clone()).await.unwrap();
    let b_server = Server::start_on(&place, shared).await.unwrap();
    let browser = browser_request(&a).await;
    let mut stream = events(&a, &browser).await;
    let qr = stream.next("qr", Duration::from_secs(5)).await;
    let phone = access(&b_server, CITIZEN_1.0).await;
    assert_eq!(scan(&b_server, &phone, &qr["qr_url"]).await.status(), 200);
    stream.next("scanned", Duration::from_secs(5)).await;
    let id = browser.request["request_id"].as_str().unwrap();
    let approved_at = Instant::now();
    let r = post_auth(
        &b_server,
        &format!("/v1/web-login/requests/{id}/approve"),
        &phone,
        json!({"check_code": browser.request["check_code"]}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let approved = stream.next("approved", Duration::from_secs(5)).await;
    let waited = approved_at.elapsed();
    // PostgreSQL wakes replica A through LISTEN/NOTIFY; two processes on one SQLite file have no NOTIFY
    // and fall back to the 2-second poll.
    let limit = if place.database_url.is_some() { Duration::from_secs(1) } else { Duration::from_millis(2500) };
    assert!(waited < limit, "the browser on replica A learnt of the approval on B in {waited:?} (limit {limit:?})");
    let r = client()
        .post(a.url("/v1/web-login/exchange"))
        .header("x-poll-secret", &browser.poll)
        .json(&json!({"login_code": approved["login_code"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the session is issued by replica A");
}
