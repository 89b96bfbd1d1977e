//! Citizens and sign-in over HTTP against the real binary: registration, SMS one-time passwords with every
//! limit of the design, digital-signature login, sessions and refresh-token families, phone change,
//! organisations, and every kind of forged or replayed credential.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use harness::flows::*;
use harness::{Server, Value, body_json, client, expect_problem, json};

async fn post(server: &Server, path: &str, body: Value) -> reqwest::Response {
    client().post(server.url(path)).json(&body).send().await.unwrap()
}

async fn get_auth(server: &Server, path: &str, token: &str) -> reqwest::Response {
    client().get(server.url(path)).bearer_auth(token).send().await.unwrap()
}

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).expect("Retry-After")
}

#[tokio::test]
async fn otp_login_refresh_and_a_refresh_token_replayed_after_ten_seconds_kills_the_whole_session() {
    let server = Server::start().await;
    let tokens = login_otp(&server, CITIZEN_1.0).await;
    assert_eq!(tokens["acr"], "otp");
    let access = tokens["access_token"].as_str().unwrap();
    let me = body_json(get_auth(&server, "/v1/me", access).await).await;
    assert_eq!(me["iin"], CITIZEN_1.1);
    assert_eq!(me["acr"], "otp");

    let first_refresh = tokens["refresh_token"].as_str().unwrap();
    let r = post(&server, "/v1/auth/refresh", json!({"refresh_token": first_refresh})).await;
    assert_eq!(r.status(), 200);
    let rotated = body_json(r).await;
    let second_refresh = rotated["refresh_token"].as_str().unwrap();
    assert_ne!(first_refresh, second_refresh, "rotated on every use");
    assert_eq!(get_auth(&server, "/v1/me", rotated["access_token"].as_str().unwrap()).await.status(), 200);

    // Within ten seconds the spent token is a retry and gets the same pair; after that, a replay.
    let r = post(&server, "/v1/auth/refresh", json!({"refresh_token": first_refresh})).await;
    assert_eq!(body_json(r).await["refresh_token"], rotated["refresh_token"], "a retry gets the same pair");
    advance_clock(&server, 11).await;
    let r = post(&server, "/v1/auth/refresh", json!({"refresh_token": first_refresh})).await;
    expect_problem(r, 401, "refresh-replayed").await;
    let r = post(&server, "/v1/auth/refresh", json!({"refresh_token": second_refresh})).await;
    expect_problem(r, 401, "session-ended").await;
    expect_problem(get_auth(&server, "/v1/me", rotated["access_token"].as_str().unwrap()).await, 401, "session-ended")
        .await;
}

#[tokio::test]
async fn an_unregistered_phone_gets_the_same_answer_and_receives_nothing() {
    let server = Server::start().await;
    let registered = post(&server, "/v1/auth/otp/start", json!({"phone": CITIZEN_2.0})).await;
    let unregistered = post(&server, "/v1/auth/otp/start", json!({"phone": NOT_IN_MCD})).await;
    assert_eq!(registered.status(), 202);
    assert_eq!(unregistered.status(), 202);
    let a = body_json(registered).await;
    let b = body_json(unregistered).await;
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&a), keys(&b));
    assert_eq!(a["expires_in"], b["expires_in"]);
    assert_eq!(a["resend_after"], b["resend_after"]);
    next_sms(&server, CITIZEN_2.0, &[]).await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(outbox(&server, NOT_IN_MCD).await.is_empty(), "nothing is sent to a number outside the MCD");
    let r = post(&server, "/v1/auth/otp/verify", json!({"flow_id": b["flow_id"], "code": "123456"})).await;
    expect_problem(r, 401, "otp-wrong").await;
}

#[tokio::test]
async fn the_sixth_try_of_a_code_finds_it_burned_even_when_right() {
    let server = Server::start().await;
    let (started, code) = start_and_read_code(&server, "/v1/auth/otp/start", CITIZEN_1.0, None).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (0..5).rev() {
        let r = post(&server, "/v1/auth/otp/verify", json!({"flow_id": started["flow_id"], "code": wrong})).await;
        let p = expect_problem(r, 401, "otp-wrong").await;
        assert_eq!(p["tries_left"], left);
        // "1 tries left" read as a machine's words.
        let said = match left {
            0 => "wrong code; request a new one".to_string(),
            1 => "wrong code; 1 try left".to_string(),
            n => format!("wrong code; {n} tries left"),
        };
        assert_eq!(p["detail"], said.as_str());
    }
    let r = post(&server, "/v1/auth/otp/verify", json!({"flow_id": started["flow_id"], "code": code})).await;
    expect_problem(r, 401, "otp-burned").await;
}

#[tokio::test]
async fn ten_consecutive_failures_lock_the_phone_and_the_eleventh_doubles_the_lock() {
    let server = Server::start().await;
    let (flow1, code1) = start_and_read_code(&server, "/v1/auth/otp/start", CITIZEN_1.0, None).await;
    let wrong = |code: &str| if code == "000000" { "111111".to_string() } else { "000000".to_string() };
    for _ in 0..5 {
        let r = post(&server, "/v1/auth/otp/verify", json!({"flow_id": flow1["flow_id"], "code": wrong(&code1)})).await;
        assert_eq!(r.status(), 401);
    }
    advance_clock(&server, 61).await;
    let (flow2, code2) = start_and_read_code(&server, "/v1/auth/otp/start", CITIZEN_1.0, None).await;
    for _ in 0..4 {
        let r = post(&server, "/v1/auth/otp/verify", json!({"flow_id": flow2["flow_id"], "code": wrong(&code2)})).await;
        expect_problem(r, 401, "otp-wrong").await;
    }
    // The 10th consecutive failure (a resend did not reset the count) locks for 30 s.
    let r = post(&server, "/v1/auth/otp/verify", json!({"flow_id": flow2["flow_id"], "code": wrong(&code2)})).await;
    assert_eq!(retry_after(&r), 30);
    expect_problem(r, 429, "otp-locked").await;

    advance_clock(&server, 61).await;
    let (flow3, code3) = start_and_read_code(&server, "/v1/auth/otp/start", CITIZEN_1.0, None).await;
    // The 11th consecutive failure locks for 60 s.
    let r = post(&server, "/v1/auth/otp/verify", json!({"flow_id": flow3["flow_id"], "code": wrong(&code3)})).await;
    assert_eq!(retry_after(&r), 60);
    let p = expect_problem(r, 429, "otp-locked").await;
    assert_eq!(p["detail"], "too many wrong codes: sign-in by SMS is locked for 1 minute", "words, not \"60 s\"");
    // While locked even the right code is refused, and the refusal costs no try.
    let r = post(&server, "/v1/auth/otp/verify", json!({"flow_id": flow3["flow_id"], "code": code3})).await;
    expect_problem(r, 429, "otp-locked").await;
    advance_clock(&server, 61).await;
    let r = post(&server, "/v1/auth/otp/verify", json!({"flow_id": flow3["flow_id"], "code": code3})).await;
    assert_eq!(r.status(), 200, "after the lock the right code signs in");
}

#[tokio::test]
async fn a_resend_within_sixty_seconds_is_refused_and_a_later_one_voids_the_older_code() {
    let server = Server::start().await;
    let (flow1, code1) = start_and_read_code(&server, "/v1/auth/otp/start", CITIZEN_1.0, None).await;
    let r = post(&server, "/v1/auth/otp/start", json!({"phone": CITIZEN_1.0})).await;
    assert!((59..=60).contains(&retry_after(&r)), "wait about 60 s");
    expect_problem(r, 429, "otp-send-limit").await;
    advance_clock(&server, 61).await;
    let (_flow2, _code2) = start_and_read_code(&server, "/v1/auth/otp/start", CITIZEN_1.0, None).await;
    let r = post(&server, "/v1/auth/otp/verify", json!({"flow_id": flow1["flow_id"], "code": code1})).await;
    expect_problem(r, 401, "otp-superseded").await;
}

#[tokio::test]
async fn the_fourth_send_in_ten_minutes_is_refused_for_registered_and_unregistered_phones_alike() {
    let server = Server::start().await;
    for phone in [CITIZEN_2.0, NOT_IN_MCD] {
        for _ in 0..3 {
            assert_eq!(post(&server, "/v1/auth/otp/start", json!({"phone": phone})).await.status(), 202);
            advance_clock(&server, 61).await;
        }
        let r = post(&server, "/v1/auth/otp/start", json!({"phone": phone})).await;
        expect_problem(r, 429, "otp-send-limit").await;
    }
}

#[tokio::test]
async fn a_code_expires_after_five_minutes() {
    let server = Server::start().await;
    let (flow, code) = start_and_read_code(&server, "/v1/auth/otp/start", CITIZEN_1.0, None).await;
    advance_clock(&server, 301).await;
    let r = post(&server, "/v1/auth/otp/verify", json!({"flow_id": flow["flow_id"], "code": code})).await;
    expect_problem(r, 401, "otp-expired").await;
}

#[tokio::test]
async fn a_code_is_single_use() {
    let server = Server::start().await;
    let (flow, code) = start_and_read_code(&server, "/v1/auth/otp/start", CITIZEN_1.0, None).await;
    assert_eq!(
        post(&server, "/v1/auth/otp/verify", json!({"flow_id": flow["flow_id"], "code": code})).await.status(),
        200
    );
    let r = post(&server, "/v1/auth/otp/verify", json!({"flow_id": flow["flow_id"], "code": code})).await;
    expect_problem(r, 401, "otp-used").await;
}

#[tokio::test]
async fn the_thirty_first_send_from_one_address_in_an_hour_is_refused() {
    let server = Server::start().await;
    for i in 0..30 {
        let phone = format!("+770199{i:05}");
        assert_eq!(post(&server, "/v1/auth/otp/start", json!({"phone": phone})).await.status(), 202, "send {i}");
    }
    let r = post(&server, "/v1/auth/otp/start", json!({"phone": "+77019900099"})).await;
    expect_problem(r, 429, "rate-limited").await;
}

/// Behind a proxy the client writes the left of `X-Forwarded-For` itself: a limit keyed on it let 60 of 60
/// SMS out past a limit of 30. The address is the rightmost hop that is not a trusted proxy.
#[tokio::test]
async fn a_spoofed_forwarded_for_behind_a_trusted_proxy_does_not_escape_the_per_address_limit() {
    let place = harness::DataPlace::fresh().await;
    let options = harness::Options::default().arg("--trusted-proxies").arg("127.0.0.0/8,10.0.0.0/8");
    let server = Server::start_on(&place, options).await.unwrap();
    let send = |i: u32, forwarded: String| {
        let server = &server;
        async move {
            client()
                .post(server.url("/v1/auth/otp/start"))
                .header("x-forwarded-for", forwarded)
                .json(&json!({"phone": format!("+770199{i:05}")}))
                .send()
                .await
                .unwrap()
        }
    };
    // The attacker varies the hop it writes; the proxy appends the address it saw, then a second proxy
    // of ours (10.x) appends its peer.
    for i in 0..30 {
        let r = send(i, format!("198.51.100.{i}, 203.0.113.9, 10.0.0.2")).await;
        assert_eq!(r.status(), 202, "send {i}");
    }
    expect_problem(send(30, "198.51.100.200, 203.0.113.9, 10.0.0.2".into()).await, 429, "rate-limited").await;
    // Another client behind the same proxy has its own budget.
    assert_eq!(send(31, "203.0.113.10, 10.0.0.2".into()).await.status(), 202);
}

/// A fixed window let a caller spend 30 sends in the last seconds of one hour and 30 more in the first
/// seconds of the next: 60 SMS in a minute from one address. The window slides.
#[tokio::test]
async fn thirty_sends_just_before_the_hour_still_count_just_after_it() {
    let server = Server::start().await;
    // Step the dev clock to 15 s before the next full hour (the windows are aligned to the epoch).
    let now =
        body_json(client().post(server.url("/dev/clock/advance")).json(&json!({"seconds": 1})).send().await.unwrap())
            .await;
    let now = chrono::DateTime::parse_from_rfc3339(now["now"].as_str().unwrap()).unwrap();
    let to_edge = 3600 - now.timestamp().rem_euclid(3600);
    if to_edge > 15 {
        advance_clock(&server, to_edge - 15).await;
    }
    for i in 0..30 {
        let phone = format!("+770199{i:05}");
        assert_eq!(post(&server, "/v1/auth/otp/start", json!({"phone": phone})).await.status(), 202, "send {i}");
    }
    advance_clock(&server, 30).await; // into the next hour
    let r = post(&server, "/v1/auth/otp/start", json!({"phone": "+77019900099"})).await;
    let wait = retry_after(&r);
    expect_problem(r, 429, "rate-limited").await;
    // The answer says when one more is allowed, and it is.
    advance_clock(&server, wait as i64).await;
    assert_eq!(post(&server, "/v1/auth/otp/start", json!({"phone": "+77019900099"})).await.status(), 202);
}

/// SMS pumping: someone walks a block of numbers from many addresses to earn on the messages we pay for.
/// After 100 requests in 10 minutes the block's breaker opens for everyone in it (the answer is alike
/// for registered numbers), no message goes out, and other blocks are untouched.
#[tokio::test]
async fn a_block_of_numbers_walked_from_many_addresses_trips_the_sms_circuit_breaker() {
    let place = harness::DataPlace::fresh().await;
    let options = harness::Options::default().arg("--trusted-proxies").arg("127.0.0.0/8");
    let server = Server::start_on(&place, options).await.unwrap();
    let send = |i: u32, phone: String| {
        let server = &server;
        async move {
            client()
                .post(server.url("/v1/registration/start"))
                .header("x-forwarded-for", format!("198.51.{}.{}", i / 200, i % 200))
                .json(&json!({"phone": phone}))
                .send()
                .await
                .unwrap()
        }
    };
    // The walk covers the block of CITIZEN_1's number (+7701000....), away from the demo citizens.
    for i in 0..100 {
        assert_eq!(send(i, format!("+7701000{:04}", 1000 + i)).await.status(), 202, "request {i}");
    }
    let r = send(100, "+77010001100".into()).await;
    assert!(retry_after(&r) > 0);
    let body = expect_problem(r, 503, "sms-paused").await;
    assert!(!body.to_string().contains("1100"), "the answer does not echo the number: {body}");
    assert!(outbox(&server, "+77010001100").await.is_empty(), "no message went out");
    // A registered citizen of the block gets the same answer on sign-in, and no code.
    let before = outbox(&server, CITIZEN_1.0).await.len();
    let r = client()
        .post(server.url("/v1/auth/otp/start"))
        .header("x-forwarded-for", "203.0.113.77")
        .json(&json!({"phone": CITIZEN_1.0}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 503, "sms-paused").await;
    assert_eq!(outbox(&server, CITIZEN_1.0).await.len(), before);
    // Another block is untouched.
    assert_eq!(send(101, "+77015560000".into()).await.status(), 202);
    assert_eq!(outbox(&server, "+77015560000").await.len(), 1);
}

#[tokio::test]
async fn a_forwarded_for_from_a_peer_that_is_no_trusted_proxy_is_ignored() {
    let server = Server::start().await;
    for i in 0..30 {
        let r = client()
            .post(server.url("/v1/auth/otp/start"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .json(&json!({"phone": format!("+770199{i:05}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "send {i}");
    }
    let r = post(&server, "/v1/auth/otp/start", json!({"phone": "+77019900099"})).await;
    expect_problem(r, 429, "rate-limited").await;
}

/// A mobile app refreshes from several places at once, or retries a refresh whose answer was lost: 64
/// concurrent presentations of one refresh token all get the same new pair and the session lives; the
/// same token presented 11 s later is a replay and ends the session.
#[tokio::test]
async fn sixty_four_concurrent_refreshes_get_one_pair_and_a_replay_at_eleven_seconds_ends_the_session() {
    let server = Server::start().await;
    let tokens = login_otp(&server, CITIZEN_1.0).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (url, body) = (server.url("/v1/auth/refresh"), json!({"refresh_token": refresh}));
        tasks.push(tokio::spawn(async move { client().post(url).json(&body).send().await.unwrap() }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        let status = r.status();
        let body = body_json(r).await;
        assert_eq!(status, 200, "every concurrent refresh succeeds: {body}");
        answers.push(body);
    }
    let first = &answers[0];
    let claims = |t: &Value| {
        let part = t["access_token"].as_str().unwrap().split('.').nth(1).unwrap().to_string();
        serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    for a in &answers {
        assert_eq!(a["refresh_token"], first["refresh_token"], "one new refresh token");
        assert_eq!(claims(a), claims(first), "access tokens of the same claims (ES256 signatures are randomised)");
        assert_eq!(get_auth(&server, "/v1/me", a["access_token"].as_str().unwrap()).await.status(), 200);
    }
    assert_ne!(first["refresh_token"].as_str(), Some(refresh.as_str()));
    // The new refresh token works (the session lives) and rotates on.
    let next =
        body_json(post(&server, "/v1/auth/refresh", json!({"refresh_token": first["refresh_token"]})).await).await;
    assert!(next["refresh_token"].is_string(), "{next}");

    advance_clock(&server, 11).await;
    expect_problem(post(&server, "/v1/auth/refresh", json!({"refresh_token": refresh})).await, 401, "refresh-replayed")
        .await;
    expect_problem(get_auth(&server, "/v1/me", next["access_token"].as_str().unwrap()).await, 401, "session-ended")
        .await;
}

#[tokio::test]
async fn malformed_phones_iins_and_codes_are_422_naming_the_field() {
    let server = Server::start().await;
    for phone in ["12345", "+77172123456", "+7 701 ABC 45 67", ""] {
        let p =
            expect_problem(post(&server, "/v1/auth/otp/start", json!({"phone": phone})).await, 422, "validation").await;
        assert_eq!(p["field"], "phone", "{phone}");
    }
    for iin in ["871008401428", "8710084014", "abcdefghijkl"] {
        let p =
            expect_problem(post(&server, "/v1/auth/eds/challenge", json!({"iin": iin})).await, 422, "validation").await;
        assert_eq!(p["field"], "iin", "{iin}");
    }
    let started = body_json(post(&server, "/v1/auth/otp/start", json!({"phone": CITIZEN_1.0})).await).await;
    let p = expect_problem(
        post(&server, "/v1/auth/otp/verify", json!({"flow_id": started["flow_id"], "code": "12ab56"})).await,
        422,
        "validation",
    )
    .await;
    assert_eq!(p["field"], "code");
    expect_problem(
        post(&server, "/v1/auth/otp/verify", json!({"flow_id": "nope", "code": "123456"})).await,
        404,
        "not-found",
    )
    .await;
}

/// Registers the unregistered demo citizen on `phone` with a new device; (tokens, device, device id).
async fn register(server: &Server, phone: &str) -> (Value, Device, String) {
    let (started, code) = start_and_read_code(server, "/v1/registration/start", phone, None).await;
    let r = post(
        server,
        "/v1/registration/verify",
        json!({"flow_id": started["flow_id"], "code": code, "iin": UNREGISTERED.0, "birth_date": UNREGISTERED.1, "evidence": DEMO_EVIDENCE}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let enrolment = body_json(r).await;
    let device = Device::new();
    let r = post(
        server,
        "/v1/registration/complete",
        json!({
            "enrolment_token": enrolment["enrolment_token"],
            "public_key": device.public_key,
            "signature": device.sign_b64(enrolment["message"].as_str().unwrap()),
            "device_name": "Pixel 8",
        }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let done = body_json(r).await;
    let id = done["device_id"].as_str().unwrap().to_string();
    (done["tokens"].clone(), device, id)
}

#[tokio::test]
async fn registration_binds_the_phone_enrols_the_device_and_the_key_signs_in_at_eds_level() {
    let server = Server::start().await;
    let (tokens, device, device_id) = register(&server, "+77051234567").await;
    assert_eq!(tokens["acr"], "otp");
    let me = body_json(get_auth(&server, "/v1/me", tokens["access_token"].as_str().unwrap()).await).await;
    assert_eq!(me["phone"], "+77051234567");
    assert_eq!(me["iin"], UNREGISTERED.0);

    let r = eds_login(&server, UNREGISTERED.0, &device, &device_id).await;
    assert_eq!(r.status(), 200);
    let eds = body_json(r).await;
    assert_eq!(eds["acr"], "eds");
    let me = body_json(get_auth(&server, "/v1/me", eds["access_token"].as_str().unwrap()).await).await;
    assert_eq!(me["acr"], "eds");

    // The registered phone now signs in by SMS too (after the per-phone resend cooldown).
    advance_clock(&server, 61).await;
    assert_eq!(login_otp(&server, "+77051234567").await["acr"], "otp");
}

#[tokio::test]
async fn a_wrong_birth_date_at_registration_is_a_counted_mismatch() {
    let server = Server::start().await;
    let (started, code) = start_and_read_code(&server, "/v1/registration/start", "+77051234567", None).await;
    let r = post(
        &server,
        "/v1/registration/verify",
        json!({"flow_id": started["flow_id"], "code": code, "iin": UNREGISTERED.0, "birth_date": "1985-02-03", "evidence": DEMO_EVIDENCE}),
    )
    .await;
    let p = expect_problem(r, 422, "identity-mismatch").await;
    assert_eq!(p["attempts_left"], 4);
    // The same code with the right answers still works (the code was not consumed by the mismatch).
    let r = post(
        &server,
        "/v1/registration/verify",
        json!({"flow_id": started["flow_id"], "code": code, "iin": UNREGISTERED.0, "birth_date": UNREGISTERED.1, "evidence": DEMO_EVIDENCE}),
    )
    .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn registration_of_a_registered_phone_answers_the_same_and_sends_a_notice_not_a_code() {
    let server = Server::start().await;
    let r = post(&server, "/v1/registration/start", json!({"phone": CITIZEN_1.0})).await;
    assert_eq!(r.status(), 202);
    let started = body_json(r).await;
    let sms = next_sms(&server, CITIZEN_1.0, &[]).await;
    assert_eq!(sms["kind"], "notice");
    assert!(sms["text"].as_str().unwrap().contains("already registered"));
    assert_eq!(six_digits(sms["text"].as_str().unwrap()), None);
    let r = post(
        &server,
        "/v1/registration/verify",
        json!({"flow_id": started["flow_id"], "code": "123456", "iin": CITIZEN_1.1, "birth_date": CITIZEN_1.2, "evidence": DEMO_EVIDENCE}),
    )
    .await;
    expect_problem(r, 401, "otp-wrong").await;
}

/// A challenge for `iin`.
async fn challenge(server: &Server, iin: &str) -> Value {
    body_json(post(server, "/v1/auth/eds/challenge", json!({"iin": iin})).await).await
}

/// Answers `challenge` with `signer`'s signature, naming key `key_id`.
async fn answer(server: &Server, challenge: &Value, key_id: &str, signer: &Device) -> reqwest::Response {
    let signature = signer.sign_b64(challenge["message"].as_str().unwrap());
    post(
        server,
        "/v1/auth/eds/verify",
        json!({"challenge_id": challenge["challenge_id"], "key_id": key_id, "signature": signature}),
    )
    .await
}

#[tokio::test]
async fn eds_login_refuses_another_keys_signature_a_reused_challenge_and_an_expired_one() {
    let server = Server::start().await;
    let tokens = login_otp(&server, CITIZEN_2.0).await;
    let (device, device_id, _) = enrol_device(&server, &tokens).await;

    let first = challenge(&server, CITIZEN_2.1).await;
    expect_problem(answer(&server, &first, &device_id, &Device::new()).await, 401, "eds-invalid").await;
    // The failed answer consumed the challenge: even the right key cannot reuse it.
    expect_problem(answer(&server, &first, &device_id, &device).await, 401, "challenge-invalid").await;

    let late = challenge(&server, CITIZEN_2.1).await;
    advance_clock(&server, 121).await;
    expect_problem(answer(&server, &late, &device_id, &device).await, 401, "challenge-invalid").await;

    // Another citizen's IIN with this device's key id does not sign in.
    let other = challenge(&server, CITIZEN_1.1).await;
    expect_problem(answer(&server, &other, &device_id, &device).await, 401, "eds-invalid").await;

    let fresh = challenge(&server, CITIZEN_2.1).await;
    assert_eq!(answer(&server, &fresh, &device_id, &device).await.status(), 200);
}

#[tokio::test]
async fn an_otp_session_is_told_to_sign_in_with_a_signature_to_change_the_phone() {
    let server = Server::start().await;
    let tokens = login_otp(&server, CITIZEN_1.0).await;
    let r = client()
        .post(server.url("/v1/me/phone/start"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .json(&json!({"phone": "+77051112233"}))
        .send()
        .await
        .unwrap();
    let p = expect_problem(r, 403, "level-required").await;
    assert_eq!(p["required_acr"], "eds");
    assert_eq!(p["acr"], "otp");
}

#[tokio::test]
async fn a_phone_change_binds_the_new_number_ends_other_sessions_and_tells_the_old_number() {
    let server = Server::start().await;
    let otp_tokens = login_otp(&server, CITIZEN_2.0).await;
    let (device, device_id, otp_access) = enrol_device(&server, &otp_tokens).await;
    let eds = body_json(eds_login(&server, CITIZEN_2.1, &device, &device_id).await).await;
    let eds_access = eds["access_token"].as_str().unwrap();
    let old_seen: Vec<String> =
        outbox(&server, CITIZEN_2.0).await.iter().map(|m| m["id"].as_str().unwrap().to_string()).collect();

    let new_phone = "+77051112233";
    let (flow, code) = start_and_read_code(&server, "/v1/me/phone/start", new_phone, Some(eds_access)).await;
    let r = client()
        .post(server.url("/v1/me/phone/confirm"))
        .bearer_auth(eds_access)
        .json(&json!({"flow_id": flow["flow_id"], "code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let changed = body_json(r).await;
    assert_eq!(changed["phone"], new_phone);
    assert_eq!(changed["sessions_revoked"], 1);

    expect_problem(get_auth(&server, "/v1/me", &otp_access).await, 401, "session-ended").await;
    let me = body_json(get_auth(&server, "/v1/me", eds_access).await).await;
    assert_eq!(me["phone"], new_phone);
    let notice = next_sms(&server, CITIZEN_2.0, &old_seen).await;
    assert_eq!(notice["kind"], "notice");
    assert!(notice["text"].as_str().unwrap().contains("was changed"));
    advance_clock(&server, 61).await;
    assert_eq!(login_otp(&server, new_phone).await["acr"], "otp");

    let history = body_json(get_auth(&server, "/v1/history", eds_access).await).await;
    let kinds: Vec<&str> = history.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"phone_changed"), "{kinds:?}");
    let entry = history.as_array().unwrap().iter().find(|e| e["kind"] == "phone_changed").unwrap();
    assert!(!entry.to_string().contains("1112233"), "the history masks numbers: {entry}");
}

#[tokio::test]
async fn history_records_logins_with_level_and_device_and_failed_attempts() {
    let server = Server::start().await;
    let tokens = login_otp(&server, CITIZEN_2.0).await;
    let (device, device_id, access) = enrol_device(&server, &tokens).await;
    let access = access.as_str();
    let refused = challenge(&server, CITIZEN_2.1).await;
    answer(&server, &refused, &device_id, &Device::new()).await;
    assert_eq!(eds_login(&server, CITIZEN_2.1, &device, &device_id).await.status(), 200);

    let history = body_json(get_auth(&server, "/v1/history", access).await).await;
    let entries = history.as_array().unwrap();
    let logins: Vec<&Value> = entries.iter().filter(|e| e["kind"] == "login").collect();
    assert!(logins.iter().any(|e| e["detail"]["acr"] == "otp"));
    assert!(logins.iter().any(|e| e["detail"]["acr"] == "eds" && e["detail"]["device"] == "Test phone"));
    assert!(entries.iter().any(|e| e["kind"] == "login_failed" && e["detail"]["method"] == "eds"));
    assert!(entries.iter().any(|e| e["kind"] == "device_on_hold"));
}

#[tokio::test]
async fn sessions_are_listed_and_an_sms_session_ends_itself_but_never_another_citizens_or_app_session() {
    let server = Server::start().await;
    let a = login_otp(&server, CITIZEN_1.0).await;
    advance_clock(&server, 61).await;
    let b = login_otp(&server, CITIZEN_1.0).await;
    let other = login_otp(&server, CITIZEN_2.0).await;
    let a_access = a["access_token"].as_str().unwrap();
    let list = body_json(get_auth(&server, "/v1/me/sessions", a_access).await).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);

    let r = client()
        .delete(server.url(&format!("/v1/me/sessions/{}", other["session_id"].as_str().unwrap())))
        .bearer_auth(a_access)
        .send()
        .await
        .unwrap();
    expect_problem(r, 404, "not-found").await;
    assert_eq!(get_auth(&server, "/v1/me", other["access_token"].as_str().unwrap()).await.status(), 200, "untouched");

    // Ending another app session takes a digital-signature session (design 3.2): an SMS code alone must
    // not be able to sign the citizen out of their other phone.
    let r = client()
        .delete(server.url(&format!("/v1/me/sessions/{}", b["session_id"].as_str().unwrap())))
        .bearer_auth(a_access)
        .send()
        .await
        .unwrap();
    let p = expect_problem(r, 403, "level-required").await;
    assert_eq!(p["required_acr"], "eds");
    assert_eq!(get_auth(&server, "/v1/me", b["access_token"].as_str().unwrap()).await.status(), 200, "untouched");
    // Any session may end itself.
    let r = client()
        .delete(server.url(&format!("/v1/me/sessions/{}", b["session_id"].as_str().unwrap())))
        .bearer_auth(b["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    expect_problem(get_auth(&server, "/v1/me", b["access_token"].as_str().unwrap()).await, 401, "session-ended").await;

    let r = client().post(server.url("/v1/auth/logout")).bearer_auth(a_access).send().await.unwrap();
    assert_eq!(r.status(), 204);
    expect_problem(get_auth(&server, "/v1/me", a_access).await, 401, "session-ended").await;
}

fn forge(header: Value, claims: Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

#[tokio::test]
async fn forged_tampered_expired_and_misdirected_tokens_are_refused() {
    let server = Server::start().await;
    let tokens = login_otp(&server, CITIZEN_1.0).await;
    let good = tokens["access_token"].as_str().unwrap();
    let parts: Vec<&str> = good.split('.').collect();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();

    let none = forge(json!({"alg": "none", "typ": "JWT"}), claims.clone(), b"");
    expect_problem(get_auth(&server, "/v1/me", &none).await, 401, "token-invalid").await;

    let jwks = body_json(client().get(server.url("/.well-known/jwks.json")).send().await.unwrap()).await;
    let key_material = jwks["keys"][0].to_string();
    let signing_input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "kid": header["kid"]}).to_string()), parts[1]);
    let hs = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key_material.as_bytes()),
        signing_input.as_bytes(),
    );
    let hs256 = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(hs.as_ref()));
    expect_problem(get_auth(&server, "/v1/me", &hs256).await, 401, "token-invalid").await;

    let mut elevated = claims.clone();
    elevated["acr"] = json!("eds");
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(elevated.to_string()), parts[2]);
    expect_problem(get_auth(&server, "/v1/me", &tampered).await, 401, "token-invalid").await;

    let partner = org_token(&server, "demo-verifier", "demo-verifier-secret").await;
    expect_problem(get_auth(&server, "/v1/me", &partner).await, 401, "token-invalid").await;

    expect_problem(get_auth(&server, "/v1/me", "not-a-jwt").await, 401, "token-invalid").await;
    expect_problem(client().get(server.url("/v1/me")).send().await.unwrap(), 401, "unauthorized").await;
    let r = client().get(server.url("/v1/me")).header("authorization", format!("Basic {good}")).send().await.unwrap();
    expect_problem(r, 401, "unauthorized").await;

    advance_clock(&server, 11 * 60).await;
    let r = get_auth(&server, "/v1/me", good).await;
    assert_eq!(r.headers().get("www-authenticate").unwrap(), "Bearer");
    expect_problem(r, 401, "token-expired").await;
}

#[tokio::test]
async fn organisations_get_scoped_tokens_with_client_credentials() {
    let server = Server::start().await;
    let http = client();
    let form = |id: &str, secret: &str| {
        vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", id.to_string()),
            ("client_secret", secret.to_string()),
        ]
    };
    let r = http
        .post(server.url("/v1/oauth/token"))
        .form(&form("demo-verifier", "demo-verifier-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t = body_json(r).await;
    assert_eq!(t["scope"], "share:redeem");
    assert_eq!(t["token_type"], "Bearer");

    let r = http
        .post(server.url("/v1/oauth/token"))
        .basic_auth("demo-police", Some("demo-police-secret"))
        .form(&[("grant_type", "client_credentials"), ("scope", "agency:fines")])
        .send()
        .await
        .unwrap();
    assert_eq!(body_json(r).await["scope"], "agency:fines");

    let p = expect_problem(
        http.post(server.url("/v1/oauth/token")).form(&form("demo-verifier", "wrong")).send().await.unwrap(),
        401,
        "invalid-client",
    )
    .await;
    assert_eq!(p["error"], "invalid_client");
    expect_problem(
        http.post(server.url("/v1/oauth/token")).form(&form("nobody", "x")).send().await.unwrap(),
        401,
        "invalid-client",
    )
    .await;
    let r = http
        .post(server.url("/v1/oauth/token"))
        .form(&[("grant_type", "password"), ("client_id", "demo-verifier"), ("client_secret", "demo-verifier-secret")])
        .send()
        .await
        .unwrap();
    assert_eq!(expect_problem(r, 400, "bad-request").await["error"], "unsupported_grant_type");
    let r = http
        .post(server.url("/v1/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-verifier"),
            ("client_secret", "demo-verifier-secret"),
            ("scope", "agency:fines"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(expect_problem(r, 400, "bad-request").await["error"], "invalid_scope");
}

#[tokio::test]
async fn sixteen_concurrent_wrong_tries_on_one_code_count_exactly_five() {
    let server = Server::start().await;
    let (flow, code) = start_and_read_code(&server, "/v1/auth/otp/start", CITIZEN_1.0, None).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let tries = (0..16).map(|_| {
        let url = server.url("/v1/auth/otp/verify");
        let body = json!({"flow_id": flow["flow_id"], "code": wrong});
        tokio::spawn(async move { body_json(client().post(url).json(&body).send().await.unwrap()).await })
    });
    let mut kinds = Vec::new();
    for t in tries {
        kinds.push(t.await.unwrap()["type"].as_str().unwrap().to_string());
    }
    assert_eq!(kinds.iter().filter(|k| *k == "/problems/otp-wrong").count(), 5, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "/problems/otp-burned").count(), 11, "{kinds:?}");
}

#[tokio::test]
async fn a_right_code_sent_eight_times_at_once_signs_in_exactly_once() {
    let server = Server::start().await;
    let (flow, code) = start_and_read_code(&server, "/v1/auth/otp/start", CITIZEN_1.0, None).await;
    let tries = (0..8).map(|_| {
        let url = server.url("/v1/auth/otp/verify");
        let body = json!({"flow_id": flow["flow_id"], "code": code});
        tokio::spawn(async move { client().post(url).json(&body).send().await.unwrap().status().as_u16() })
    });
    let mut statuses = Vec::new();
    for t in tries {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 401), "{statuses:?}");
}

/// 30 wrong secrets from anyone used to lock a verifier out. Now only failures count, per client and
/// address: the stranger is stopped, the verifier's own desk still gets its token.
#[tokio::test]
async fn a_strangers_wrong_secrets_never_lock_an_organisation_out() {
    let place = harness::DataPlace::fresh().await;
    let server =
        Server::start_on(&place, harness::Options::default().arg("--trusted-proxies").arg("127.0.0.1")).await.unwrap();
    let ask = |from: &'static str, secret: &'static str| {
        let server = &server;
        async move {
            client()
                .post(server.url("/v1/oauth/token"))
                .header("x-forwarded-for", from)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", "demo-verifier"),
                    ("client_secret", secret),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..30 {
        expect_problem(ask("198.51.100.7", "guess").await, 401, "invalid-client").await;
    }
    expect_problem(ask("198.51.100.7", "guess").await, 429, "rate-limited").await;
    expect_problem(ask("198.51.100.7", "demo-verifier-secret").await, 429, "rate-limited").await;
    // The desk, many successes in a row: none of them counts.
    for _ in 0..40 {
        assert_eq!(ask("203.0.113.5", "demo-verifier-secret").await.status(), 200);
    }
}
