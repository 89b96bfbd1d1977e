//! Fines over HTTP: the state body's feed and its validation, the discount's last day and the amount due,
//! payments (discount, every decline code, a lost acquirer answer retried with the same key, bank QR with
//! a signed webhook), receipts verified offline, search, bank payments recorded by a state body, and the
//! licence eligibility check.

use harness::flows::*;
use harness::{Server, Value, body_json, client, expect_problem, get_auth, json, post_auth};

fn today() -> chrono::NaiveDate {
    egov_core::time::almaty_date(chrono::Utc::now())
}

async fn access(server: &Server, phone: &str) -> String {
    login_otp(server, phone).await["access_token"].as_str().unwrap().to_string()
}

async fn register(server: &Server, police: &str, body: Value) -> Value {
    let r = post_auth(server, "/v1/agency/fines", police, body).await;
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let fine = body_json(r).await;
    assert_eq!(location, format!("/v1/agency/fines/{}", fine["id"].as_str().unwrap()), "Location names the new fine");
    fine
}

async fn pay(server: &Server, token: &str, fine: &str, key: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = client().post(server.url(&format!("/v1/fines/{fine}/payments"))).bearer_auth(token).json(&body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    req.send().await.unwrap()
}

async fn jwks(server: &Server) -> Value {
    body_json(client().get(server.url("/.well-known/jwks.json")).send().await.unwrap()).await
}

#[tokio::test]
async fn a_registered_fine_shows_the_right_last_discount_day_and_amount() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let notice = today() - chrono::Duration::days(1);
    let fine = register(&server, &police, fine_feed("P-TODAY-01", CITIZEN_2.1, &notice.to_string())).await;
    // 5 MCI of the year the case was opened, in tiyn.
    let mci = if notice.format("%Y").to_string() == "2026" { 4325 } else { fine["mci"].as_i64().unwrap() };
    assert_eq!(fine["amount"], json!({"tiyn": 5 * mci * 100, "currency": "KZT"}));
    let calendar = egov_core::fines::Calendar::load(egov_core::fines::SHIPPED_CALENDARS).unwrap();
    let last = calendar.nth_working_day_after(notice, 7).unwrap();
    assert_eq!(fine["discount"]["eligible"], true);
    assert_eq!(fine["discount"]["last_day"], last.to_string());
    assert_eq!(fine["amount_due"]["tiyn"], 5 * mci * 50, "half while the discount runs");

    // A fine whose discount is over: opened 40 days ago, the full amount is due and it is not eligible.
    let opened = today() - chrono::Duration::days(40);
    let mut feed = fine_feed("P-OLD-0040", CITIZEN_2.1, &opened.to_string());
    feed["notice_date"] = json!(opened.to_string());
    let old = register(&server, &police, feed).await;
    assert_eq!(old["discount"]["last_day"], calendar.nth_working_day_after(opened, 7).unwrap().to_string());
    assert_eq!(old["amount_due"], old["amount"], "the full amount after the discount");
    assert_eq!(old["discount"]["eligible"], false, "a discount that ended is no longer offered");
    // (The egov.kz example of August 2022 is a unit test in core: the feed now refuses a fine that old.)

    let citizen = access(&server, CITIZEN_2.0).await;
    let mine = body_json(get_auth(&server, "/v1/fines", &citizen).await).await;
    assert_eq!(mine.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_feed_refuses_bad_input_with_clear_answers_and_normalises_cyrillic_plates() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let verifier = org_token(&server, "demo-verifier", "demo-verifier-secret").await;
    let d = today().to_string();
    let base = fine_feed("P-VALID-01", CITIZEN_2.1, &d);
    expect_problem(post_auth(&server, "/v1/agency/fines", &verifier, base.clone()).await, 403, "insufficient-scope")
        .await;
    let cases: Vec<(&str, Value)> = vec![
        ("article", json!({"article": "999-9"})),
        ("amount_mci", json!({"amount_mci": 0})),
        ("amount_mci", json!({"amount_mci": -5})),
        ("offender_iin", json!({"offender_iin": "900315301238"})),
        ("notice_date", json!({"notice_date": (today() + chrono::Duration::days(3)).to_string()})),
        ("recorded_by", json!({"recorded_by": "satellite"})),
        ("discount_excluded", json!({"discount_excluded": "friendship"})),
        ("vehicle_plate", json!({"vehicle_plate": "ЖЖЖ"})),
    ];
    for (field, change) in cases {
        let mut body = base.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let p = expect_problem(post_auth(&server, "/v1/agency/fines", &police, body).await, 422, "validation").await;
        assert_eq!(p["field"], field, "{p}");
    }
    let mut cyrillic = base.clone();
    cyrillic["vehicle_plate"] = json!("777 ААА 02");
    let fine = register(&server, &police, cyrillic).await;
    assert_eq!(fine["vehicle_plate"], "777AAA02");
    expect_problem(post_auth(&server, "/v1/agency/fines", &police, base.clone()).await, 409, "fine-exists").await;
}

#[tokio::test]
async fn a_camera_fine_is_delivered_by_sms_to_the_registered_phone_and_the_period_starts() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let mut body = fine_feed("P-CAM-0001", CITIZEN_2.1, &today().to_string());
    body["recorded_by"] = json!("camera");
    let fine = register(&server, &police, body).await;
    assert_eq!(fine["delivered_on"], today().to_string());
    assert!(fine["discount"]["last_day"].is_string());
    let sms = next_sms(&server, CITIZEN_2.0, &[]).await;
    assert!(sms["text"].as_str().unwrap().contains("fine"));

    // The demo camera fine of citizen 1 was never delivered: its discount has not started.
    let token = access(&server, CITIZEN_1.0).await;
    let fines = body_json(get_auth(&server, "/v1/fines", &token).await).await;
    let waiting = fines.as_array().unwrap().iter().find(|f| f["protocol_number"] == "DEMO-000003").unwrap();
    assert_eq!(waiting["discount"]["last_day"], Value::Null);
    assert_eq!(waiting["discount"]["eligible"], true);
}

#[tokio::test]
async fn paying_with_the_discount_gives_a_receipt_that_verifies_offline() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let fine = register(&server, &police, fine_feed("P-PAY-0001", CITIZEN_2.1, &today().to_string())).await;
    let token = access(&server, CITIZEN_2.0).await;
    let id = fine["id"].as_str().unwrap();
    let r = pay(&server, &token, id, Some("key-pay-0001"), json!({"method": "card", "card_token": "tok_ok"})).await;
    assert_eq!(r.status(), 201);
    let paid = body_json(r).await;
    assert_eq!(paid["amount"], fine["amount_due"], "the discounted amount due at the time of payment");
    let receipt = egov_core::fines::verify_receipt(paid["receipt"]["jws"].as_str().unwrap(), &jwks(&server).await)
        .expect("verifies offline");
    assert_eq!(receipt.payload["fine"]["protocol_number"], "P-PAY-0001");
    assert_eq!(receipt.payload["discount_applied"], true);
    assert_eq!(receipt.payload["amount_paid"], fine["amount_due"]);
    let after = body_json(get_auth(&server, &format!("/v1/fines/{id}"), &token).await).await;
    assert_eq!(after["status"], "paid");
    let receipts = body_json(get_auth(&server, "/v1/receipts", &token).await).await;
    assert_eq!(receipts.as_array().unwrap().len(), 1);
    let again = body_json(
        get_auth(&server, &format!("/v1/receipts/{}", paid["receipt"]["id"].as_str().unwrap()), &token).await,
    )
    .await;
    assert_eq!(again["jws"], paid["receipt"]["jws"], "downloadable again");
    let history = body_json(get_auth(&server, "/v1/history", &token).await).await;
    assert!(
        history.as_array().unwrap().iter().any(|e| e["kind"] == "fine_paid"),
        "in the history of obtained services"
    );
    let r = pay(&server, &token, id, Some("key-pay-0002"), json!({"method": "card", "card_token": "tok_ok"})).await;
    expect_problem(r, 409, "fine-paid").await;
}

#[tokio::test]
async fn each_decline_code_is_a_402_with_its_message_and_the_fine_stays_unpaid() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let fine = register(&server, &police, fine_feed("P-DECL-001", CITIZEN_2.1, &today().to_string())).await;
    let token = access(&server, CITIZEN_2.0).await;
    let id = fine["id"].as_str().unwrap();
    for (code, words) in [("51", "insufficient funds"), ("54", "expired"), ("57", "internet payments"), ("61", "limit")]
    {
        let r = pay(
            &server,
            &token,
            id,
            Some(&format!("key-decline-{code}")),
            json!({"method": "card", "card_token": format!("tok_{code}")}),
        )
        .await;
        let p = expect_problem(r, 402, "payment-declined").await;
        assert_eq!(p["decline_code"], code);
        assert!(p["detail"].as_str().unwrap().contains(words), "{p}");
    }
    let after = body_json(get_auth(&server, &format!("/v1/fines/{id}"), &token).await).await;
    assert_eq!(after["status"], "unpaid");
}

#[tokio::test]
async fn a_lost_acquirer_answer_is_reconciled_and_a_retry_with_the_same_key_charges_once() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let fine = register(&server, &police, fine_feed("P-TIMEOUT1", CITIZEN_2.1, &today().to_string())).await;
    let token = access(&server, CITIZEN_2.0).await;
    let id = fine["id"].as_str().unwrap();
    let body = json!({"method": "card", "card_token": "tok_timeout"});
    let first = pay(&server, &token, id, Some("key-timeout-1"), body.clone()).await;
    assert_eq!(first.status(), 201, "reconciled with the acquirer, not lost");
    let first = body_json(first).await;
    let second = body_json(pay(&server, &token, id, Some("key-timeout-1"), body.clone()).await).await;
    assert_eq!(first["receipt"]["id"], second["receipt"]["id"], "the same outcome for the same key");
    assert_eq!(first["payment_id"], second["payment_id"]);
    let db = server.place.sql().await;
    let charges: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sim_acquirer s JOIN payments p ON p.id = s.payment_id WHERE p.fine_id = $1",
    )
    .bind(id)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(charges, 1, "the acquirer charged once");
    let approved: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payments WHERE fine_id = $1 AND status = 'approved'")
        .bind(id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(approved, 1);
    // The same key for a different payment is refused.
    let r = pay(&server, &token, id, Some("key-timeout-1"), json!({"method": "card", "card_token": "tok_ok"})).await;
    expect_problem(r, 422, "idempotency-key-reused").await;
}

fn hmac_hex(key: &[u8], body: &[u8]) -> String {
    ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key), body)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_bank_qr_payment_is_pending_until_the_acquirers_signed_webhook() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let fine = register(&server, &police, fine_feed("P-QR-00001", CITIZEN_2.1, &today().to_string())).await;
    let token = access(&server, CITIZEN_2.0).await;
    let id = fine["id"].as_str().unwrap();
    let r = pay(&server, &token, id, Some("key-qr-00001"), json!({"method": "bank_qr"})).await;
    assert_eq!(r.status(), 202);
    let pending = body_json(r).await;
    assert_eq!(pending["status"], "pending");
    assert!(pending["qr_payload"].as_str().unwrap().starts_with("KZQR1|"));
    assert_eq!(body_json(get_auth(&server, &format!("/v1/fines/{id}"), &token).await).await["status"], "processing");

    // The acquirer's confirmation, signed with `key` over its exact bytes.
    let webhook = |body: Value, key: &'static [u8]| {
        let body = body.to_string();
        let signature = hmac_hex(key, body.as_bytes());
        client().post(server.url("/v1/payments/webhook")).header("x-acquirer-signature", signature).body(body).send()
    };
    let secret: &[u8] = b"dev-acquirer-webhook-secret";
    let hook = json!({"payment_id": pending["payment_id"], "status": "approved", "reference": "HALYK-QR-1"});
    expect_problem(webhook(hook.clone(), b"wrong").await.unwrap(), 401, "unauthorized").await;
    // Signed, but a status the acquirer does not send: refused, and the payment still awaits.
    let odd = webhook(json!({"payment_id": pending["payment_id"], "status": "refunded"}), secret).await.unwrap();
    let p = expect_problem(odd, 422, "validation").await;
    assert!(p["detail"].as_str().unwrap().contains("approved"), "{p}");
    assert_eq!(body_json(get_auth(&server, &format!("/v1/fines/{id}"), &token).await).await["status"], "processing");
    let good = webhook(hook, secret).await.unwrap();
    assert_eq!(good.status(), 200);
    assert_eq!(body_json(get_auth(&server, &format!("/v1/fines/{id}"), &token).await).await["status"], "paid");
    let replay = body_json(pay(&server, &token, id, Some("key-qr-00001"), json!({"method": "bank_qr"})).await).await;
    assert_eq!(replay["status"], "paid");
    assert!(egov_core::fines::verify_receipt(replay["receipt"]["jws"].as_str().unwrap(), &jwks(&server).await).is_ok());
}

#[tokio::test]
async fn payments_need_a_key_a_valid_method_and_the_offender() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let fine = register(&server, &police, fine_feed("P-RULES-01", CITIZEN_2.1, &today().to_string())).await;
    let id = fine["id"].as_str().unwrap();
    let owner = access(&server, CITIZEN_2.0).await;
    let other = access(&server, CITIZEN_1.0).await;
    expect_problem(
        pay(&server, &owner, id, None, json!({"method": "card", "card_token": "tok_ok"})).await,
        400,
        "bad-request",
    )
    .await;
    expect_problem(
        pay(&server, &other, id, Some("key-other-01"), json!({"method": "card", "card_token": "tok_ok"})).await,
        404,
        "not-found",
    )
    .await;
    expect_problem(pay(&server, &owner, id, Some("key-rules-01"), json!({"method": "card"})).await, 422, "validation")
        .await;
    let unknown = expect_problem(
        pay(&server, &owner, id, Some("key-rules-02"), json!({"method": "cash"})).await,
        422,
        "validation",
    )
    .await;
    let detail = unknown["detail"].as_str().unwrap();
    assert!(["cash", "card", "phone_balance", "bank_qr"].iter().all(|m| detail.contains(m)), "{detail}");
    expect_problem(
        pay(&server, &owner, id, Some("key-rules-03"), json!({"method": "phone_balance", "phone": "+77071234567"}))
            .await,
        422,
        "validation",
    )
    .await;
    let r = pay(&server, &owner, id, Some("key-rules-04"), json!({"method": "phone_balance", "phone": "+77771234567"}))
        .await;
    assert_eq!(r.status(), 201, "a Beeline number pays from its balance");
}

#[tokio::test]
async fn search_finds_only_the_citizens_own_fines() {
    let server = Server::start().await;
    let token = access(&server, CITIZEN_1.0).await;
    let q = |query: &str| {
        let path = format!("/v1/fines/search?{query}");
        let (server, token) = (&server, &token);
        async move { get_auth(server, &path, token).await }
    };
    let r = q(&format!("iin={}", CITIZEN_1.1)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(body_json(r).await.as_array().unwrap().len(), 5);
    expect_problem(q(&format!("iin={}", CITIZEN_2.1)).await, 403, "forbidden").await;
    expect_problem(q("iin=871008401428").await, 422, "validation").await;
    assert_eq!(q("surname=Ахметова&given_name=Айгерим&birth_date=1987-10-08").await.status(), 200);
    assert_eq!(q("surname=akhmetova&given_name=AIGERIM&birth_date=1987-10-08").await.status(), 200);
    expect_problem(q("surname=Жұмабаев&given_name=Нұрлан&birth_date=1990-03-15").await, 403, "forbidden").await;
    let r = q("plate=123%20АВС%2002&certificate=AA%2000456789&city=Almaty").await;
    assert_eq!(r.status(), 200);
    let camera = body_json(r).await;
    assert!(camera.as_array().unwrap().iter().all(|f| f["recorded_by"] == "camera"));
    assert!(camera.as_array().unwrap().iter().any(|f| f["protocol_number"] == "DEMO-000003"));
    expect_problem(q("plate=123ABC02&certificate=AA%2099999999&city=Almaty").await, 403, "forbidden").await;
    expect_problem(q("city=Almaty").await, 422, "validation").await;
}

#[tokio::test]
async fn eligibility_is_refused_while_a_fine_is_overdue_and_flips_when_it_is_paid() {
    let server = Server::start().await;
    let token = access(&server, CITIZEN_1.0).await;
    let check = body_json(get_auth(&server, "/v1/services/driving-licence/eligibility", &token).await).await;
    assert_eq!(check["allowed"], false);
    let named = &check["reasons"][0]["fines"];
    assert_eq!(named.as_array().unwrap().len(), 1);
    assert_eq!(named[0]["protocol_number"], "DEMO-000005");
    let vehicle = body_json(get_auth(&server, "/v1/services/vehicle-registration/eligibility", &token).await).await;
    assert_eq!(vehicle["allowed"], false);

    let fines = body_json(get_auth(&server, "/v1/fines", &token).await).await;
    let overdue = fines.as_array().unwrap().iter().find(|f| f["protocol_number"] == "DEMO-000005").unwrap().clone();
    assert_eq!(overdue["amount_due"], overdue["amount"], "the full amount once the discount is over");
    let over = fines.as_array().unwrap().iter().find(|f| f["protocol_number"] == "DEMO-000002").unwrap();
    assert_eq!(over["amount_due"], over["amount"]);
    let running = fines.as_array().unwrap().iter().find(|f| f["protocol_number"] == "DEMO-000001").unwrap();
    assert_eq!(running["amount_due"]["tiyn"], running["amount"]["tiyn"].as_i64().unwrap() / 2);
    let r = pay(
        &server,
        &token,
        overdue["id"].as_str().unwrap(),
        Some("key-overdue-1"),
        json!({"method": "card", "card_token": "tok_ok"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let check = body_json(get_auth(&server, "/v1/services/driving-licence/eligibility", &token).await).await;
    assert_eq!(check["allowed"], true);
}

/// A bank payment lost the bank's date and amount: half paid inside the discount period got a receipt
/// for the full amount, dated the day the clerk recorded it.
#[tokio::test]
async fn a_bank_payment_of_half_on_the_sixth_working_day_pays_the_fine_with_the_banks_date_and_amount() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let calendar = egov_core::fines::Calendar::load(egov_core::fines::SHIPPED_CALENDARS).unwrap();
    let notice = today() - chrono::Days::new(20);
    let sixth = calendar.nth_working_day_after(notice, 6).unwrap();
    let mut feed = fine_feed("P-BANK-001", CITIZEN_2.1, &notice.to_string());
    feed["notice_date"] = json!(notice.to_string());
    let fine = register(&server, &police, feed).await;
    let id = fine["id"].as_str().unwrap();
    let full = fine["amount"]["tiyn"].as_i64().unwrap();
    assert_eq!(fine["amount_due"]["tiyn"], full, "recorded after the discount ended, the full amount is due today");
    let record = |body: Value| {
        let (server, police) = (&server, &police);
        async move { post_auth(server, &format!("/v1/agency/fines/{id}/external-payment"), police, body).await }
    };
    let half = json!({"bank": "Kaspi Bank", "bank_receipt_number": "KASPI-2611230042", "paid_on": sixth.to_string(), "amount_tiyn": full / 2});
    // A date in the future, more than was due then, or nonsense: 422, and nothing recorded.
    let mut future = half.clone();
    future["paid_on"] = json!((today() + chrono::Days::new(1)).to_string());
    expect_problem(record(future).await, 422, "validation").await;
    let mut over = half.clone();
    over["amount_tiyn"] = json!(full / 2 + 1);
    let p = expect_problem(record(over).await, 422, "validation").await;
    assert_eq!(p["due_tiyn"], full / 2);
    let mut bidi = half.clone();
    bidi["bank"] = json!("Kaspi\u{202e}knaB");
    expect_problem(record(bidi).await, 422, "validation").await;

    let r = record(half.clone()).await;
    assert_eq!(r.status(), 200);
    let paid = body_json(r).await;
    assert_eq!((paid["status"].as_str(), paid["paid_via"].as_str()), (Some("paid"), Some("bank")));
    // Recording the same bank receipt again answers the same; another payment under it is refused.
    assert_eq!(record(half.clone()).await.status(), 200);
    let mut other = half.clone();
    other["amount_tiyn"] = json!(1000);
    expect_problem(record(other).await, 409, "bank-receipt-recorded").await;

    let token = access(&server, CITIZEN_2.0).await;
    let receipts = body_json(get_auth(&server, "/v1/receipts", &token).await).await;
    assert_eq!(receipts.as_array().unwrap().len(), 1, "one receipt for one bank payment");
    let receipt = &receipts[0];
    assert_eq!(receipt["amount"]["tiyn"], full / 2, "the bank's amount");
    let paid_at = chrono::DateTime::parse_from_rfc3339(receipt["paid_at"].as_str().unwrap()).unwrap();
    assert_eq!(egov_core::time::almaty_date(paid_at.with_timezone(&chrono::Utc)), sixth, "the bank's date");
    let signed = egov_core::fines::verify_receipt(receipt["jws"].as_str().unwrap(), &jwks(&server).await).unwrap();
    let claims = signed.payload;
    assert_eq!(claims["paid_on"], sixth.to_string());
    assert_eq!(claims["discount_applied"], true);
    assert_eq!(claims["bank"], "Kaspi Bank");
}

/// A bank payment of less than was due is credited; the rest stays due, and the app charges only it.
#[tokio::test]
async fn an_underpayment_at_a_bank_leaves_the_rest_due_and_the_app_charges_only_the_rest() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let fine = register(&server, &police, fine_feed("P-BANK-002", CITIZEN_2.1, &today().to_string())).await;
    let id = fine["id"].as_str().unwrap();
    let due = fine["amount_due"]["tiyn"].as_i64().unwrap();
    let body = json!({"bank": "Halyk Bank", "bank_receipt_number": "HALYK-0001", "paid_on": today().to_string(), "amount_tiyn": due / 4});
    let r = post_auth(&server, &format!("/v1/agency/fines/{id}/external-payment"), &police, body).await;
    assert_eq!(r.status(), 200);
    let partly = body_json(r).await;
    assert_eq!(partly["status"], "unpaid");
    assert_eq!(partly["amount_due"]["tiyn"], due - due / 4);
    let token = access(&server, CITIZEN_2.0).await;
    let r = pay(&server, &token, id, Some("key-rest-0001"), json!({"method": "card", "card_token": "tok_ok"})).await;
    assert_eq!(r.status(), 201);
    let paid = body_json(r).await;
    assert_eq!(paid["amount"]["tiyn"], due - due / 4, "only the rest is charged");
    let receipts = body_json(get_auth(&server, "/v1/receipts", &token).await).await;
    assert_eq!(receipts.as_array().unwrap().len(), 2, "a receipt for each payment");
}

#[tokio::test]
async fn a_state_body_reads_a_fine_back_and_sees_it_paid_while_others_cannot_read_it() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let fine = register(&server, &police, fine_feed("P-READ-001", CITIZEN_2.1, &today().to_string())).await;
    let at = format!("/v1/agency/fines/{}", fine["id"].as_str().unwrap());
    let read = body_json(get_auth(&server, &at, &police).await).await;
    assert_eq!(read, fine, "the fine reads back as it was answered when registered");
    let token = access(&server, CITIZEN_2.0).await;
    let paid = pay(
        &server,
        &token,
        fine["id"].as_str().unwrap(),
        Some("read-back-key-1"),
        json!({"method": "card", "card_token": "tok_ok"}),
    )
    .await;
    assert_eq!(paid.status(), 201);
    let read = body_json(get_auth(&server, &at, &police).await).await;
    assert_eq!((read["status"].as_str(), read["paid_via"].as_str()), (Some("paid"), Some("card")));
    expect_problem(get_auth(&server, "/v1/agency/fines/no-such-fine", &police).await, 404, "not-found").await;
    // The offender reads it at their own route; the state bodies' route needs the scope.
    expect_problem(get_auth(&server, &at, &token).await, 401, "token-invalid").await;
    let verifier = org_token(&server, "demo-verifier", "demo-verifier-secret").await;
    expect_problem(get_auth(&server, &at, &verifier).await, 403, "insufficient-scope").await;
}

async fn advance_days(server: &Server, days: i64) {
    for _ in 0..days {
        advance_clock(server, 86_400).await;
    }
}

async fn wait_for_notification(server: &Server, token: &str, kind: &str) -> bool {
    for _ in 0..60 {
        let notes = body_json(get_auth(server, "/v1/notifications", token).await).await;
        if notes.as_array().is_some_and(|n| n.iter().any(|x| x["kind"] == kind)) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// The text of every SMS to `phone` that names `protocol`.
async fn sms_naming(server: &Server, phone: &str, protocol: &str) -> Vec<String> {
    outbox(server, phone)
        .await
        .iter()
        .filter_map(|m| m["text"].as_str().filter(|t| t.contains(protocol)).map(String::from))
        .collect()
}

/// Waits (up to 5 s) for an SMS to `phone` naming `protocol`, and returns its text.
async fn sms_about(server: &Server, phone: &str, protocol: &str) -> String {
    for _ in 0..100 {
        if let Some(t) = sms_naming(server, phone, protocol).await.pop() {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no SMS naming {protocol} within 5 s")
}

fn amount(v: &Value) -> String {
    egov_core::fines::Tiyn(v["tiyn"].as_i64().unwrap()).display()
}

fn ddmmyyyy(v: &Value) -> String {
    v.as_str().unwrap().parse::<chrono::NaiveDate>().unwrap().format("%d.%m.%Y").to_string()
}

/// The fine's SMS promised the 50% discount to everyone, excluded and long-expired fines too, and gave no
/// protocol number, amount or deadline. It names the fine, the amount due now, the discount's amount and
/// last day only while the law grants it, and the deadline; the notification says the same in kk, ru, en.
#[tokio::test]
async fn a_fines_notice_names_it_and_promises_the_discount_only_when_the_law_grants_it() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let fine = register(&server, &police, fine_feed("P-SMS-0001", CITIZEN_2.1, &today().to_string())).await;
    let sms = sms_about(&server, CITIZEN_2.0, "P-SMS-0001").await;
    for needle in [
        "592-1".to_string(),
        amount(&fine["amount_due"]),
        ddmmyyyy(&fine["discount"]["last_day"]),
        ddmmyyyy(&fine["payment_deadline"]),
        "50%".to_string(),
    ] {
        assert!(sms.contains(&needle), "the SMS lacks {needle}: {sms}");
    }
    assert_eq!(sms.matches("50%").count(), 3, "the discount in each language once: {sms}");
    let token = access(&server, CITIZEN_2.0).await;
    assert!(wait_for_notification(&server, &token, "fine_new").await);
    let notes = body_json(get_auth(&server, "/v1/notifications", &token).await).await;
    let note = notes.as_array().unwrap().iter().find(|n| n["body"]["fine_id"] == fine["id"]).unwrap().clone();
    for lang in ["kk", "ru", "en"] {
        let text = note["body"]["text"][lang].as_str().unwrap_or_default();
        assert!(text.contains("P-SMS-0001") && text.contains(&amount(&fine["amount_due"])), "{lang}: {note}");
        assert!(sms.contains(text), "the SMS says what the notification says ({lang})");
    }

    // Excluded from the discount by law: the full amount, no 50%.
    let mut feed = fine_feed("P-SMS-0002", CITIZEN_2.1, &today().to_string());
    feed["discount_excluded"] = json!("other_penalty");
    let excluded = register(&server, &police, feed).await;
    let sms = sms_about(&server, CITIZEN_2.0, "P-SMS-0002").await;
    assert!(!sms.contains("50%"), "{sms}");
    assert!(sms.contains(&amount(&excluded["amount"])), "{sms}");

    // Noticed 35 days ago: the discount ended long ago, so only the full amount and the deadline.
    let old = (today() - chrono::Days::new(35)).to_string();
    let late = register(&server, &police, fine_feed("P-SMS-0003", CITIZEN_2.1, &old)).await;
    let sms = sms_about(&server, CITIZEN_2.0, "P-SMS-0003").await;
    assert!(!sms.contains("50%"), "{sms}");
    assert!(sms.contains(&amount(&late["amount"])) && sms.contains(&ddmmyyyy(&late["payment_deadline"])), "{sms}");
}

/// Reminders: on the last day of the discount (only for a fine that has it) and in the last days before
/// the payment deadline, by notification and SMS, each once; never for a paid fine.
#[tokio::test]
async fn citizens_are_reminded_on_the_discounts_last_day_and_before_the_deadline_and_old_fines_are_purged() {
    let place = harness::DataPlace::fresh().await;
    let server =
        Server::start_on(&place, harness::Options::default().env("EGOV_HOUSEKEEPING_SECONDS", "1")).await.unwrap();
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let fine = register(&server, &police, fine_feed("P-NOTE-001", CITIZEN_2.1, &today().to_string())).await;
    let paid = register(&server, &police, fine_feed("P-NOTE-002", CITIZEN_2.1, &today().to_string())).await;
    let mut feed = fine_feed("P-NOTE-003", CITIZEN_2.1, &today().to_string());
    feed["discount_excluded"] = json!("immunity");
    let excluded = register(&server, &police, feed).await;
    let token = access(&server, CITIZEN_2.0).await;
    assert!(wait_for_notification(&server, &token, "fine_new").await);
    let r = pay(
        &server,
        &token,
        paid["id"].as_str().unwrap(),
        Some("key-note-paid"),
        json!({"method": "card", "card_token": "tok_ok"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let told = |token: String, kind: &'static str| {
        let server = &server;
        async move {
            let token = &token;
            let notes = body_json(get_auth(server, "/v1/notifications", token).await).await;
            notes
                .as_array()
                .unwrap()
                .iter()
                .filter(|x| x["kind"] == kind)
                .map(|x| x["body"]["fine_id"].clone())
                .collect::<Vec<_>>()
        }
    };

    let last: chrono::NaiveDate = fine["discount"]["last_day"].as_str().unwrap().parse().unwrap();
    advance_days(&server, (last - today()).num_days()).await;
    let token = access(&server, CITIZEN_2.0).await;
    assert!(wait_for_notification(&server, &token, "fine_discount_last_day").await, "told on the last day");
    // Housekeeping runs every second; the notice is marked sent with it, so later runs do not repeat it.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(
        told(token.clone(), "fine_discount_last_day").await,
        vec![fine["id"].clone()],
        "once, and only for the fine with the discount"
    );
    let sms = sms_naming(&server, CITIZEN_2.0, "P-NOTE-001").await;
    assert_eq!(sms.len(), 2, "the notice and the last-day reminder: {sms:?}");
    assert!(sms[0].contains("50%") && sms[0].contains(&amount(&fine["discount"]["amount"])), "{}", sms[0]);

    let deadline: chrono::NaiveDate = fine["payment_deadline"].as_str().unwrap().parse().unwrap();
    advance_days(&server, (deadline - last).num_days() - 3).await;
    let token = access(&server, CITIZEN_2.0).await;
    let mut soon = Vec::new();
    for _ in 0..60 {
        soon = told(token.clone(), "fine_deadline_soon").await;
        if soon.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let mut soon_now = told(token.clone(), "fine_deadline_soon").await;
    soon_now.sort_by_key(|v| v.to_string());
    let mut expected = vec![fine["id"].clone(), excluded["id"].clone()];
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(soon_now, expected, "both unpaid fines, once each, never the paid one (first look: {soon:?})");
    let sms = sms_naming(&server, CITIZEN_2.0, "P-NOTE-003").await;
    assert_eq!(sms.len(), 2, "the excluded fine: its notice and the deadline reminder, no discount reminder: {sms:?}");
    assert!(sms.iter().all(|t| !t.contains("50%")), "{sms:?}");
    assert!(
        sms.iter()
            .any(|t| t.contains(&ddmmyyyy(&excluded["payment_deadline"])) && t.contains(&amount(&excluded["amount"])))
    );
    assert_eq!(
        sms_naming(&server, CITIZEN_2.0, "P-NOTE-002").await.len(),
        1,
        "a paid fine gets nothing after its notice"
    );

    // A year after the payment deadline the fines go; the receipt stays.
    advance_days(&server, 3 + 366).await;
    let token = access(&server, CITIZEN_2.0).await;
    let mut gone = false;
    for _ in 0..60 {
        if get_auth(&server, &format!("/v1/fines/{}", fine["id"].as_str().unwrap()), &token).await.status() == 404 {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "purged");
    assert_eq!(
        body_json(get_auth(&server, "/v1/receipts", &token).await).await.as_array().unwrap().len(),
        1,
        "receipts stay"
    );
}

/// `almaty`, `Алматы` or an unknown city returned 200 and an empty list: the citizen believed they had
/// no camera fines. Any language, case and spacing finds them; an unknown city is a 422 naming the list.
#[tokio::test]
async fn camera_fine_search_takes_a_city_in_any_language_and_refuses_an_unknown_one() {
    let server = Server::start().await;
    let token = access(&server, CITIZEN_1.0).await;
    let search = |city: &str| {
        let path = format!("/v1/fines/search?plate=123ABC02&certificate=AA%2000456789&city={city}");
        let (server, token) = (&server, &token);
        async move { get_auth(server, &path, token).await }
    };
    for city in ["Almaty", "almaty", "%20ALMATY%20", "%D0%90%D0%BB%D0%BC%D0%B0%D1%82%D1%8B", "alma-ata"] {
        let r = search(city).await;
        assert_eq!(r.status(), 200, "{city}");
        let found = body_json(r).await;
        assert!(found.as_array().unwrap().iter().any(|f| f["protocol_number"] == "DEMO-000003"), "{city}: {found}");
    }
    let p = expect_problem(search("Almaty2").await, 422, "validation").await;
    assert!(p["detail"].as_str().unwrap().contains("Shymkent"), "the accepted cities are named: {p}");
    let cities = body_json(client().get(server.url("/v1/fines/cities")).send().await.unwrap()).await;
    let almaty = cities.as_array().unwrap().iter().find(|c| c["id"] == "Almaty").unwrap();
    assert_eq!((almaty["kk"].as_str(), almaty["ru"].as_str()), (Some("Алматы"), Some("Алматы")));
    // The feed stores the city by its id, whatever spelling the state body sent; an unknown one is refused.
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let mut feed = fine_feed("CITY-000001", CITIZEN_1.1, &today().to_string());
    feed["city"] = json!("Нур-Султан");
    assert_eq!(register(&server, &police, feed.clone()).await["city"], "Astana");
    feed["protocol_number"] = json!("CITY-000002");
    feed["city"] = json!("Gotham");
    expect_problem(post_auth(&server, "/v1/agency/fines", &police, feed).await, 422, "validation").await;
}

/// A fine already past its retention was accepted (201 and an SMS) and silently purged a minute later.
#[tokio::test]
async fn the_feed_refuses_a_fine_it_would_purge_at_once() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let old = (today() - chrono::Days::new(500)).to_string();
    let before = outbox(&server, CITIZEN_1.0).await.len();
    let r = post_auth(&server, "/v1/agency/fines", &police, fine_feed("OLD-000001", CITIZEN_1.1, &old)).await;
    let p = expect_problem(r, 422, "validation").await;
    assert!(p["detail"].as_str().unwrap().contains("365 days"), "{p}");
    assert_eq!(outbox(&server, CITIZEN_1.0).await.len(), before, "no SMS for a refused fine");
    // A fine just inside what the service keeps is accepted.
    let recent = (today() - chrono::Days::new(300)).to_string();
    let r = post_auth(&server, "/v1/agency/fines", &police, fine_feed("OLD-000002", CITIZEN_1.1, &recent)).await;
    assert_eq!(r.status(), 201);
}

/// Eligibility told a 15-year-old they were eligible. It names every ground: the minimum age of the
/// category under the road traffic law and the overdue fines with their ids.
#[tokio::test]
async fn eligibility_names_the_minimum_age_of_the_category_and_every_overdue_fine() {
    let server = Server::start().await;
    let today = today();
    let birth = today.checked_sub_months(chrono::Months::new(15 * 12 + 6)).unwrap();
    let iin = {
        let mut d = [0u8; 11];
        let ymd = birth.format("%y%m%d").to_string();
        for (i, b) in ymd.bytes().enumerate() {
            d[i] = b - b'0';
        }
        d[6] = 5; // born in the 21st century, male
        d[7..].copy_from_slice(&[0, 0, 1, 2]);
        let check = egov_core::identity::check_digit(&d).unwrap_or(0);
        d.iter().map(|x| x.to_string()).collect::<String>() + &check.to_string()
    };
    let phone = "+77014440015";
    let db = server.place.sql().await;
    sqlx::query(
        "INSERT INTO citizens (id, iin, phone, surname, given_name, surname_lat, given_name_lat, birth_date, sex, created_at)
         VALUES ('young-1', $1, $2, 'Сериков', 'Арман', 'SERIKOV', 'ARMAN', $3, 'M', 0)",
    )
    .bind(&iin)
    .bind(phone)
    .bind(birth.to_string())
    .execute(&db)
    .await
    .unwrap();
    let token = access(&server, phone).await;
    let check = |category: &'static str| {
        let (server, token) = (&server, &token);
        async move {
            let path = format!("/v1/services/driving-licence/eligibility?category={category}");
            body_json(get_auth(server, &path, token).await).await
        }
    };
    let b = check("B").await;
    assert_eq!(b["allowed"], false, "{b}");
    assert_eq!(b["reasons"][0]["code"], "under_minimum_age");
    assert_eq!(b["reasons"][0]["minimum_age"], 18);
    let from = birth.checked_add_months(chrono::Months::new(18 * 12)).unwrap().to_string();
    assert_eq!(b["reasons"][0]["eligible_from"], from.as_str());
    let a1 = check("A1").await;
    assert_eq!(a1["allowed"], false, "15 is under 16 too: {a1}");
    let r = get_auth(&server, "/v1/services/driving-licence/eligibility?category=Z9", &token).await;
    expect_problem(r, 422, "validation").await;
    // An adult with an overdue fine: the fine's id is named, and the age is no ground.
    let adult = access(&server, CITIZEN_1.0).await;
    let r = get_auth(&server, "/v1/services/driving-licence/eligibility?category=%D0%92", &adult).await;
    let check = body_json(r).await;
    assert_eq!(check["category"], "B");
    let codes: Vec<&str> = check["reasons"].as_array().unwrap().iter().filter_map(|r| r["code"].as_str()).collect();
    assert_eq!(codes, vec!["overdue_fines"]);
    assert!(check["reasons"][0]["fines"][0]["fine_id"].as_str().is_some());
}

/// 2027's Kurban Ait is not decreed yet: the server warns at every start until an operator confirms the
/// year by putting its decreed file in the calendar directory (which replaces the shipped one).
#[tokio::test]
async fn a_provisional_calendar_year_is_warned_of_at_start_until_an_operator_confirms_it() {
    let place = harness::DataPlace::fresh().await;
    let server = Server::start_on(&place, harness::Options::default()).await.unwrap();
    let log = server.log();
    let warning = log.lines().find(|l| l.contains("provisional")).unwrap_or_else(|| panic!("no warning in:\n{log}"));
    assert!(warning.contains("WARN") && warning.contains("2027") && warning.contains("Kurban Ait"), "{warning}");
    server.stop().await;

    let dir = place.dir.join("calendars");
    std::fs::create_dir_all(&dir).unwrap();
    let mut confirmed: Value = serde_json::from_str(egov_core::fines::SHIPPED_CALENDARS[5]).unwrap();
    confirmed.as_object_mut().unwrap().remove("provisional");
    std::fs::write(dir.join("kz-2027.json"), confirmed.to_string()).unwrap();
    let server = Server::start_on(&place, harness::Options::default().arg("--calendar-dir").arg(dir.to_str().unwrap()))
        .await
        .unwrap();
    assert!(!server.log().contains("provisional"), "confirmed: {}", server.log());
}
