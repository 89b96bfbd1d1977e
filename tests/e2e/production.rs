//! Production is real or refuses to start (issue 23): every adapter with a demo stand-in must be the
//! real one. Here the real ones are the HTTP adapters, talking to local mock servers of the SMS operator,
//! the government service bus, the biometric identity service and the acquirer. And operators provision
//! organisations with `egov-server clients ...`.

use harness::flows::*;
use harness::{
    DataPlace, Options, Server, Value, body_json, client, expect_problem, get_auth, json, operator, post_auth,
    prod_keys,
};
use wiremock::matchers::{body_partial_json, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn prod_mode_with_demo_adapters_exits_naming_every_missing_one() {
    let place = DataPlace::fresh().await;
    let err = Server::start_on(&place, prod_keys(&place)).await.err().expect("refuses");
    for missing in ["EGOV_REGISTRY_URL", "EGOV_IDENTITY_URL", "EGOV_ACQUIRER_URL", "EGOV_ACQUIRER_WEBHOOK_SECRET"] {
        assert!(err.contains(missing), "names {missing}: {err}");
    }
    let options = prod_keys(&place)
        .env("EGOV_REGISTRY_URL", "http://127.0.0.1:9/bus")
        .env("EGOV_IDENTITY_URL", "http://127.0.0.1:9/identity");
    let err = Server::start_on(&place, options).await.err().expect("refuses without an acquirer");
    assert!(err.contains("EGOV_ACQUIRER_URL") && !err.contains("EGOV_IDENTITY_URL"), "{err}");
}

/// The SMS the mock operator received for `phone`, newest last.
async fn texts_to(sms: &MockServer, phone: &str) -> Vec<String> {
    let mut out = Vec::new();
    for r in sms.received_requests().await.unwrap() {
        let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
        if body["to"] == phone {
            out.push(body["text"].as_str().unwrap_or_default().to_string());
        }
    }
    out
}

async fn code_sent_to(sms: &MockServer, phone: &str) -> String {
    for _ in 0..100 {
        if let Some(code) = texts_to(sms, phone).await.last().and_then(|t| six_digits(t)) {
            return code;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no code reached the SMS operator for {phone}");
}

#[tokio::test]
async fn prod_with_real_adapters_registers_a_citizen_with_evidence_takes_a_card_payment_and_refunds_a_late_one() {
    let (sms, bus, identity, acquirer) =
        (MockServer::start().await, MockServer::start().await, MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "sms-1", "status": "accepted"})))
        .mount(&sms)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/individuals/persons/{}", UNREGISTERED.0)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"surname": "Ахметов", "given_name": "Ерлан",
            "patronymic": null, "surname_lat": "AKHMETOV", "given_name_lat": "YERLAN", "birth_date": UNREGISTERED.1, "sex": "M"})))
        .mount(&bus)
        .await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(404)).mount(&bus).await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"iin": UNREGISTERED.0, "evidence": "liveness-ok"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"verified": true})))
        .mount(&identity)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"verified": false})))
        .mount(&identity)
        .await;
    Mock::given(method("POST"))
        .and(path("/charges"))
        .and(body_partial_json(json!({"method": "card", "card_token": "tok_real"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "approved", "reference": "ACQ-1"})))
        .expect(1)
        .mount(&acquirer)
        .await;
    Mock::given(method("POST"))
        .and(path("/charges"))
        .and(body_partial_json(json!({"method": "bank_qr"})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "pending", "qr_payload": "KZQR1|acq|1"})),
        )
        .mount(&acquirer)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("^/charges/[^/]+/refunds$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"reference": "ACQ-2-R"})))
        .expect(1)
        .mount(&acquirer)
        .await;

    let place = DataPlace::fresh().await;
    let options = prod_keys(&place)
        .env("EGOV_SMS_HTTP_URL", &format!("{}/sms", sms.uri()))
        .env("EGOV_REGISTRY_URL", &bus.uri())
        .env("EGOV_IDENTITY_URL", &format!("{}/verify", identity.uri()))
        .env("EGOV_ACQUIRER_URL", &acquirer.uri())
        .env("EGOV_ACQUIRER_WEBHOOK_SECRET", "a-long-random-webhook-key-of-the-acquirer");
    let server = Server::start_on(&place, options.clone()).await.unwrap();

    // Registration: the SMS code through the operator, the person from the bus, the face from the
    // identity service. Someone else's face is refused.
    let phone = "+77051234567";
    let r = client().post(server.url("/v1/registration/start")).json(&json!({"phone": phone})).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let flow = body_json(r).await;
    let code = code_sent_to(&sms, phone).await;
    let verify = |evidence: &'static str| {
        let body = json!({"flow_id": flow["flow_id"], "code": code, "iin": UNREGISTERED.0, "birth_date": UNREGISTERED.1,
            "evidence": evidence});
        client().post(server.url("/v1/registration/verify")).json(&body).send()
    };
    expect_problem(verify("someone-else").await.unwrap(), 422, "identity-not-confirmed").await;
    let r = verify("liveness-ok").await.unwrap();
    assert_eq!(r.status(), 200);
    let enrolment = body_json(r).await;
    let body = Device::new().completion(&enrolment, "Pixel");
    let r = client().post(server.url("/v1/registration/complete")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let tokens = body_json(r).await["tokens"].clone();
    let citizen = tokens["access_token"].as_str().unwrap().to_string();
    assert_eq!(body_json(get_auth(&server, "/v1/me", &citizen).await).await["iin"], UNREGISTERED.0);

    // A state body the operator provisioned feeds a fine; the citizen pays it through the acquirer.
    let out = operator(
        &place,
        &options,
        &["clients", "add", "police-astana", "--name", "Astana Police", "--scopes", "agency:fines"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let secret = secret_in(&out.stdout);
    let police = org_token(&server, "police-astana", &secret).await;
    let today = chrono::Utc::now().date_naive().to_string();
    let r = post_auth(&server, "/v1/agency/fines", &police, fine_feed("2612010001", UNREGISTERED.0, &today)).await;
    assert_eq!(r.status(), 201);
    let fine = body_json(r).await;
    let r = client()
        .post(server.url(&format!("/v1/fines/{}/payments", fine["id"].as_str().unwrap())))
        .bearer_auth(&citizen)
        .header("idempotency-key", "prod-payment-1")
        .json(&json!({"method": "card", "card_token": "tok_real"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let charges: Vec<_> =
        acquirer.received_requests().await.unwrap().into_iter().filter(|r| r.url.path() == "/charges").collect();
    assert_eq!(charges.len(), 1, "charged once, at the acquirer");
    assert!(charges[0].headers.get("idempotency-key").is_some(), "the charge carries its idempotency key");

    // A second fine: the citizen opens a bank QR, pays at a branch instead (the police record it), and
    // then pays the old QR too. The acquirer's signed approval comes in; the money goes back through the
    // acquirer's refund API, and the citizen's history says so.
    let r = post_auth(&server, "/v1/agency/fines", &police, fine_feed("2612010002", UNREGISTERED.0, &today)).await;
    let fine = body_json(r).await;
    let fine_id = fine["id"].as_str().unwrap();
    let pay_qr = || {
        client()
            .post(server.url(&format!("/v1/fines/{fine_id}/payments")))
            .bearer_auth(&citizen)
            .header("idempotency-key", "prod-payment-2")
            .json(&json!({"method": "bank_qr"}))
            .send()
    };
    let r = pay_qr().await.unwrap();
    assert_eq!(r.status(), 202);
    let qr = body_json(r).await;
    let r = post_auth(
        &server,
        &format!("/v1/agency/fines/{fine_id}/external-payment"),
        &police,
        json!({"bank": "Halyk Bank", "bank_receipt_number": "HALYK-778899", "paid_on": today, "amount_tiyn": fine["amount_due"]["tiyn"]}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let hook = json!({"payment_id": qr["payment_id"], "status": "approved", "reference": "ACQ-2"}).to_string();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"a-long-random-webhook-key-of-the-acquirer");
    let signature: String =
        ring::hmac::sign(&key, hook.as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let r = client()
        .post(server.url("/v1/payments/webhook"))
        .header("x-acquirer-signature", signature)
        .body(hook)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    expect_problem(pay_qr().await.unwrap(), 409, "payment-refunded").await;
    let refunds: Vec<_> = acquirer
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path().ends_with("/refunds"))
        .collect();
    assert_eq!(refunds.len(), 1, "refunded once, at the acquirer");
    let expected = format!("/charges/{}/refunds", qr["payment_id"].as_str().unwrap());
    assert_eq!(refunds[0].url.path(), expected);
    let history = body_json(get_auth(&server, "/v1/history", &citizen).await).await;
    assert!(history.to_string().contains("fine_payment_refunded"), "{history}");
}

/// The `client_secret` line of an operator command's output.
fn secret_in(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    text.lines().find_map(|l| l.strip_prefix("client_secret ")).expect("a secret is printed").trim().to_string()
}

#[tokio::test]
async fn an_operator_provisions_a_verifier_that_redeems_a_share_then_rotates_and_disables_it() {
    let place = DataPlace::fresh().await;
    let server = Server::start_on(&place, Options::default()).await.unwrap();
    let args = [
        "clients",
        "add",
        "halyk-desk",
        "--name",
        "Halyk Bank desk",
        "--scopes",
        "share:redeem",
        "--bin",
        "940740001236",
    ];
    let out = operator(&place, &Options::default(), &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let secret = secret_in(&out.stdout);
    let again = operator(&place, &Options::default(), &args);
    assert!(!again.status.success(), "an id is registered once");

    let verifier = org_token(&server, "halyk-desk", &secret).await;
    let citizen = login_otp(&server, CITIZEN_1.0).await;
    let docs = body_json(get_auth(&server, "/v1/documents", citizen["access_token"].as_str().unwrap()).await).await;
    let id = docs["documents"][0]["id"].as_str().unwrap();
    let share = body_json(
        post_auth(&server, &format!("/v1/documents/{id}/shares"), citizen["access_token"].as_str().unwrap(), json!({}))
            .await,
    )
    .await;
    let r = post_auth(&server, "/v1/shares/redeem", &verifier, json!({"qr_url": share["qr_url"]})).await;
    assert_eq!(r.status(), 200);
    let history = body_json(get_auth(&server, "/v1/history", citizen["access_token"].as_str().unwrap()).await).await;
    assert!(history.to_string().contains("Halyk Bank desk"), "the owner sees the registered name: {history}");

    let out = operator(&place, &Options::default(), &["clients", "rotate-secret", "halyk-desk"]);
    assert!(out.status.success());
    let rotated = secret_in(&out.stdout);
    let old = client()
        .post(server.url("/v1/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", "halyk-desk"), ("client_secret", &secret)])
        .send()
        .await
        .unwrap();
    expect_problem(old, 401, "invalid-client").await;
    org_token(&server, "halyk-desk", &rotated).await;

    assert!(operator(&place, &Options::default(), &["clients", "disable", "halyk-desk"]).status.success());
    let r = client()
        .post(server.url("/v1/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", "halyk-desk"), ("client_secret", &rotated)])
        .send()
        .await
        .unwrap();
    expect_problem(r, 401, "invalid-client").await;
    let list = operator(&place, &Options::default(), &["clients", "list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.lines().any(|l| l.starts_with("halyk-desk\tdisabled")), "{list}");
    assert!(!list.contains(&rotated), "secrets are never listed");

    // Bad registrations are refused with a reason, and write nothing.
    for (bad, why) in [
        (vec!["clients", "add", "site-x", "--name", "Site", "--scopes", "web-login"], "origin"),
        (vec!["clients", "add", "site-y", "--name", "egov.kz\u{202e}zk.vog", "--scopes", "share:redeem"], "name"),
        (vec!["clients", "add", "site-z", "--name", "Z", "--scopes", "admin"], "scope"),
    ] {
        let out = operator(&place, &Options::default(), &bad);
        assert!(!out.status.success(), "{bad:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(why), "{}", String::from_utf8_lossy(&out.stderr));
    }
}
