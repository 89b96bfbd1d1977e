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
    browser_request_from(server, &server.base).await
}

/// A login request from this service's own login page served at `origin` (the public URL's origin).
async fn browser_request_from(server: &Server, origin: &str) -> Browser {
    let r = client()
        .post(server.url("/v1/web-login/requests"))
        .header("user-agent", CHROME_ON_WINDOWS)
        .header("origin", origin)
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
    let phone = access(&server, CITIZEN_1.0).await;
    // The QR of the create answer is the one the website draws, and it stays valid for its 60 s.
    let r = scan(&server, &phone, &b.request["qr_url"]).await;
    assert_eq!(r.status(), 200);
    let shown = body_json(r).await;
    assert_eq!((shown["browser"].as_str(), shown["os"].as_str()), (Some("Chrome"), Some("Windows")));
    assert_eq!(shown["city"], "Local network");
    assert_eq!(shown["site"], "egov.kz");
    assert!(shown.get("check_codes").is_none(), "the phone offers no choices: the citizen types the code");
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
    let phone = access(&server, CITIZEN_1.0).await;
    assert_eq!(scan(&server, &phone, &b.request["qr_url"]).await.status(), 200);
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
async fn the_first_qr_stays_valid_for_its_sixty_seconds_then_a_rotated_or_expired_qr_is_refused() {
    let server = Server::start().await;
    let b = browser_request(&server).await;
    let mut stream = events(&server, &b).await;
    let phone = access(&server, CITIZEN_1.0).await;
    // Opening the event stream does not replace the QR the website has drawn (it used to, at once).
    advance_clock(&server, 59).await;
    let second = browser_request(&server).await;
    assert_eq!(scan(&server, &phone, &second.request["qr_url"]).await.status(), 200, "a fresh QR scans");
    advance_clock(&server, 2).await;
    let current = stream.next("qr", Duration::from_secs(5)).await;
    assert_ne!(current["qr_url"], b.request["qr_url"], "a new QR after 60 s");
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
    let qr = &b.request;
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

/// A code the browser does not show: the next one up, kept within 10-99.
fn wrong_code(right: &Value) -> u64 {
    let right = right.as_u64().unwrap();
    if right == 99 { 10 } else { right + 1 }
}

#[tokio::test]
async fn a_wrong_check_code_ends_the_request() {
    let server = Server::start().await;
    let b = browser_request(&server).await;
    let mut stream = events(&server, &b).await;
    let phone = access(&server, CITIZEN_1.0).await;
    assert_eq!(scan(&server, &phone, &b.request["qr_url"]).await.status(), 200);
    let id = b.request["request_id"].as_str().unwrap();
    let wrong = wrong_code(&b.request["check_code"]);
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
            .any(|e| e["kind"] == "web_login_wrong_code" && e["detail"]["reason"] == "wrong check code")
    );
    for bad in [json!(9), json!(100), json!("12")] {
        let r = post_auth(&server, &format!("/v1/web-login/requests/{id}/approve"), &phone, json!({"check_code": bad}))
            .await;
        expect_problem(r, 422, "validation").await;
    }
}

/// A blind approver once won 1 in 3 by picking among three offered codes. Now they must type the code
/// (1 in 90), and three wrong codes in ten minutes stop their approvals for an hour, even of a right one.
#[tokio::test]
async fn three_blind_guesses_in_ten_minutes_stop_the_citizens_approvals_for_an_hour() {
    let server = Server::start().await;
    /// Opens a login request, scans it with `phone` and types `code(right)`; the answer.
    async fn attempt(server: &Server, phone: &str, code: impl Fn(&Value) -> u64) -> reqwest::Response {
        let b = browser_request(server).await;
        assert_eq!(scan(server, phone, &b.request["qr_url"]).await.status(), 200);
        let id = b.request["request_id"].as_str().unwrap();
        let typed = code(&b.request["check_code"]);
        post_auth(server, &format!("/v1/web-login/requests/{id}/approve"), phone, json!({"check_code": typed})).await
    }
    let phone = access(&server, CITIZEN_1.0).await;
    for _ in 0..3 {
        let r = attempt(&server, &phone, wrong_code).await;
        assert!(r.status() == 409 || r.status() == 429, "{}", r.status());
        advance_clock(&server, 60).await;
    }
    let r = attempt(&server, &phone, |right| right.as_u64().unwrap()).await;
    let p = expect_problem(r, 429, "approvals-locked").await;
    assert!(p["detail"].as_str().unwrap().contains("hour"), "{p}");
    advance_clock(&server, 3600).await;
    let phone = access(&server, CITIZEN_1.0).await;
    assert_eq!(attempt(&server, &phone, |right| right.as_u64().unwrap()).await.status(), 200, "an hour later, again");
}

/// A page on another site cannot open a login request that the phone would show under the operator's
/// name, nor name itself: the phone shows only a registered website's name or the operator's own site.
#[tokio::test]
async fn the_phone_names_only_the_registered_website_never_a_name_the_asker_chose() {
    let server = Server::start().await;
    let r = client()
        .post(server.url("/v1/web-login/requests"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    expect_problem(r, 401, "website-not-registered").await;
    let r = client().post(server.url("/v1/web-login/requests")).send().await.unwrap();
    expect_problem(r, 401, "website-not-registered").await;
    let r = client()
        .post(server.url("/v1/web-login/requests"))
        .header("origin", &server.base)
        .json(&json!({"site": "egov.kz\u{202e}moc.live"}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 422, "validation").await;
    // A verifier's token does not make it a website.
    let verifier = org_token(&server, "demo-verifier", "demo-verifier-secret").await;
    let r = client().post(server.url("/v1/web-login/requests")).bearer_auth(&verifier).send().await.unwrap();
    expect_problem(r, 403, "insufficient-scope").await;

    let website = org_token(&server, "demo-website", "demo-website-secret").await;
    let r = client().post(server.url("/v1/web-login/requests")).bearer_auth(&website).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let request = body_json(r).await;
    let phone = access(&server, CITIZEN_1.0).await;
    let shown = body_json(scan(&server, &phone, &request["qr_url"]).await).await;
    assert_eq!(shown["site"], "egov.kz (demo)", "the registered name");
}

#[tokio::test]
async fn the_long_poll_fallback_reports_the_approval() {
    let server = Server::start().await;
    let b = browser_request(&server).await;
    let phone = access(&server, CITIZEN_1.0).await;
    assert_eq!(scan(&server, &phone, &b.request["qr_url"]).await.status(), 200);
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
    let request = || http.post(server.url("/v1/web-login/requests")).header("origin", &server.base);
    for i in 0..300 {
        let r = request().send().await.unwrap();
        assert_eq!(r.status(), 201, "request {i}");
    }
    expect_problem(request().send().await.unwrap(), 429, "rate-limited").await;
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
    let description = egov_core::documents::Multilingual::new(
        "Сотталмағандығы туралы анықтама",
        "Справка о несудимости",
        "Certificate of no criminal record",
    );
    let body = json!({"digest": digest, "description": description});
    // This service's own signing page (same origin): the phone shows the operator's site name.
    let r =
        client().post(server.url("/v1/sign-requests")).header("origin", &server.base).json(&body).send().await.unwrap();
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
    let message = egov_core::weblogin::sign_request_message(&id, &digest, "operator", "egov.kz", &description);
    assert!(key.verifies(&message, &signature), "the signature covers the organisation and the texts shown");
    // Another citizen who learns the request id does not learn who signed it.
    let other = login_otp(&server, CITIZEN_1.0).await;
    let seen =
        body_json(get_auth(&server, &format!("/v1/sign-requests/{id}"), other["access_token"].as_str().unwrap()).await)
            .await;
    assert!(seen["signer_name"].is_null() && seen["signature"].is_null(), "{seen}");
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
            .header("origin", &server.base)
            .json(&json!({"digest": "abc", "description": {"kk": "a", "ru": "b", "en": "c"}}))
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

/// A blind signing request named itself and asked anyone's signature: now only a registered website
/// (scope `sign:request`) or this service's own pages ask, under the registered name, and no text that
/// hides or reorders characters reaches the phone.
#[tokio::test]
async fn a_signing_request_comes_only_from_a_registered_website_under_its_registered_name() {
    let server = Server::start().await;
    let body = json!({"digest": sha256_hex("x"), "description": {"kk": "Шарт", "ru": "Договор", "en": "Contract"}});
    let r = client().post(server.url("/v1/sign-requests")).json(&body).send().await.unwrap();
    expect_problem(r, 401, "website-not-registered").await;
    let mut named = body.clone();
    named["organisation"] = json!("Halyk Bank");
    let r = client()
        .post(server.url("/v1/sign-requests"))
        .header("origin", &server.base)
        .json(&named)
        .send()
        .await
        .unwrap();
    expect_problem(r, 422, "validation").await;
    let mut hidden = body.clone();
    hidden["description"]["en"] = json!("Contract\u{202e}nahT");
    let r = client()
        .post(server.url("/v1/sign-requests"))
        .header("origin", &server.base)
        .json(&hidden)
        .send()
        .await
        .unwrap();
    expect_problem(r, 422, "validation").await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let r = client().post(server.url("/v1/sign-requests")).bearer_auth(&police).json(&body).send().await.unwrap();
    expect_problem(r, 403, "insufficient-scope").await;

    let website = org_token(&server, "demo-website", "demo-website-secret").await;
    let r = client().post(server.url("/v1/sign-requests")).bearer_auth(&website).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let id = body_json(r).await["request_id"].as_str().unwrap().to_string();
    let phone = login_otp(&server, CITIZEN_1.0).await;
    let view =
        body_json(get_auth(&server, &format!("/v1/sign-requests/{id}"), phone["access_token"].as_str().unwrap()).await)
            .await;
    assert_eq!(view["organisation"], "egov.kz (demo)");
    let message =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, view["message"].as_str().unwrap())
            .unwrap();
    let text = String::from_utf8(message).unwrap();
    assert!(text.contains("\ndemo-website\negov.kz (demo)\n"), "the signed bytes name the organisation: {text}");
}

#[tokio::test]
async fn the_browser_waits_on_one_replica_and_the_phone_approves_on_another() {
    let place = DataPlace::fresh().await;
    // Replicas behind one load balancer share one public URL (it is what the QR codes carry).
    let shared = Options::default().arg("--public-url").arg("https://egov.test");
    let a = Server::start_on(&place, shared.clone()).await.unwrap();
    let b_server = Server::start_on(&place, shared).await.unwrap();
    let browser = browser_request_from(&a, "https://egov.test").await;
    let mut stream = events(&a, &browser).await;
    let phone = access(&b_server, CITIZEN_1.0).await;
    assert_eq!(scan(&b_server, &phone, &browser.request["qr_url"]).await.status(), 200);
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
