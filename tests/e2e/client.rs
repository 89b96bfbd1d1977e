//! The real server driven through `egov-client`, the Rust client the bindings stand on: every answer is
//! read into `egov-api`'s records (a field the server renamed or a status it added fails here), problems
//! arrive typed by their `ProblemKind`, and the session store sees every token change before it is used.
//! On SQLite and on PostgreSQL like every e2e suite.

use egov_api::wire::*;
use egov_api::{Lang, ProblemKind};
use egov_client::{Client, Error, SessionStore, Signer};
use harness::flows::*;
use harness::{Server, body_json, client, json, post_auth};
use std::sync::{Arc, Mutex};

/// What the app keeps: every save, in order.
#[derive(Default)]
struct Kept(Mutex<Vec<Option<SessionTokens>>>);

impl SessionStore for Kept {
    fn save(&self, tokens: Option<&SessionTokens>) {
        self.0.lock().unwrap().push(tokens.cloned());
    }
}

impl Kept {
    fn saves(&self) -> Vec<Option<SessionTokens>> {
        self.0.lock().unwrap().clone()
    }
}

/// The harness's software key as the client's signer.
struct Key(Device);

impl Signer for Key {
    fn public_key(&self) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        use base64::Engine;
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&self.0.public_key)?)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        Ok(b64.decode(self.0.sign_b64(&b64.encode(message)))?)
    }
}

/// A client signed in by SMS code as `phone`, with its store.
async fn citizen(server: &Server, phone: &str) -> (Client, Arc<Kept>) {
    let kept = Arc::new(Kept::default());
    let app = Client::new(&server.base).unwrap().with_store(kept.clone());
    let seen: Vec<String> =
        outbox(server, phone).await.iter().filter_map(|m| m["id"].as_str().map(String::from)).collect();
    let flow = app.start_otp(phone).await.unwrap();
    let code = code_in(&next_sms(server, phone, &seen).await);
    let session = app.verify_otp(&flow.flow_id, &code).await.unwrap();
    assert_eq!(session.acr, Acr::Otp);
    (app, kept)
}

fn problem(result: Result<impl std::fmt::Debug, Error>) -> egov_client::Problem {
    match result {
        Err(Error::Problem(p)) => p,
        other => panic!("expected a problem, got {other:?}"),
    }
}

#[tokio::test]
async fn a_share_is_made_redeemed_and_seen_used_through_the_client() {
    let server = Server::start().await;
    let (app, _) = citizen(&server, CITIZEN_1.0).await;
    let me = app.me().await.unwrap();
    assert_eq!((me.person.iin.as_str(), me.acr), (CITIZEN_1.1, Acr::Otp));

    let list = app.documents(Lang::Kk).await.unwrap();
    let id_card = list.documents.iter().find(|d| d.kind == "national_id").expect("a national ID");
    assert_eq!(id_card.status, DocumentStatus::Valid);
    assert_eq!(id_card.title, id_card.titles["kk"], "titled in the language asked");
    let detail = app.document(&id_card.id, Lang::Ru).await.unwrap();
    assert_eq!(detail.holder.iin, CITIZEN_1.1);
    assert!(detail.fields.0.is_object() && !detail.labels.is_empty());
    assert!(!app.document_photo(&id_card.id).await.unwrap().is_empty());

    let request = ShareRequest { ttl_seconds: Some(120), preset: Some(Preset::Identity) };
    let share = app.share_document(&id_card.id, &request).await.unwrap();
    assert_eq!(
        (share.state, share.preset, share.document_status),
        (ShareState::Active, Preset::Identity, DocumentStatus::Valid)
    );
    assert!(share.seconds_left > 0 && share.seconds_left <= 120);

    let bank = Client::new(&server.base).unwrap();
    bank.sign_in_organisation("demo-verifier", "demo-verifier-secret").await.unwrap();
    assert!(matches!(bank.refresh().await, Err(Error::Invalid(_))), "an organisation has no session to refresh");
    let copy = bank.redeem(&RedeemRequest::short_code(share.short_code.clone())).await.unwrap();
    assert_eq!(copy.share_id, share.share_id);
    assert_eq!(copy.document.0["disclosed"]["iin"], CITIZEN_1.1, "the identity preset discloses the IIN");
    assert_eq!(copy.document.0["preset"], Preset::Identity.as_str());
    let again = problem(bank.redeem(&RedeemRequest::qr_url(share.qr_url.clone())).await);
    assert_eq!(again.kind, Some(ProblemKind::ShareUsed), "{again}");
    let status = bank.copy_status(&share.share_id).await.unwrap();
    assert_eq!(status.document_status, DocumentStatus::Valid);

    let seen = app.share(&share.share_id).await.unwrap();
    assert_eq!(seen.state, ShareState::Used);
    assert!(seen.viewed_by.is_some() && seen.viewed_at.is_some());
    let history = app.history(Some(50)).await.unwrap();
    assert!(history.iter().any(|e| e.detail.0["share_id"] == share.share_id.as_str()), "the view is in the history");
}

#[tokio::test]
async fn problems_arrive_typed_and_in_the_language_asked() {
    let server = Server::start().await;
    let app = Client::new(&server.base).unwrap().with_language(Lang::Ru);
    let p = problem(app.start_otp("+77172123456").await);
    assert_eq!((p.kind, p.status, p.member("field")), (Some(ProblemKind::Validation), 422, Some("phone")));
    assert!(p.detail.contains("мобильным номером"), "{p}");
    let flow = app.start_otp(CITIZEN_2.0).await.unwrap();
    let p = problem(app.verify_otp(&flow.flow_id, "000000").await);
    assert_eq!(p.kind, Some(ProblemKind::OtpWrong), "{p}");
    assert!(matches!(app.me().await, Err(Error::SignedOut)), "no session was opened");
}

#[tokio::test]
async fn the_store_sees_each_new_token_before_it_is_used_and_one_refresh_serves_concurrent_calls() {
    let server = Server::start().await;
    let (app, kept) = citizen(&server, CITIZEN_1.0).await;
    let app = Arc::new(app);
    let first = kept.saves();
    assert_eq!(first.len(), 1, "the sign-in's tokens were kept");
    assert_eq!(first[0], app.session_tokens());

    // The access token expires on the server's clock; 16 calls at once find it so.
    advance_clock(&server, 11 * 60).await;
    let calls: Vec<_> = (0..16)
        .map(|_| {
            tokio::spawn({
                let app = app.clone();
                async move { app.me().await }
            })
        })
        .collect();
    for call in calls {
        call.await.unwrap().expect("every call succeeds after one refresh");
    }
    let saves = kept.saves();
    assert_eq!(saves.len(), 2, "one refresh for 16 calls: {} saves", saves.len());
    assert_eq!(saves[1], app.session_tokens(), "the store holds what the client uses");
    assert_ne!(saves[1].as_ref().unwrap().refresh_token, saves[0].as_ref().unwrap().refresh_token);

    // The session ended elsewhere: the refresh is refused, the client forgets, the store is told.
    let other = Client::new(&server.base).unwrap();
    other.restore_session(saves[1].clone().unwrap());
    other.logout().await.unwrap();
    advance_clock(&server, 11 * 60).await;
    let p = problem(app.me().await);
    assert_eq!(p.status, 401, "{p}");
    assert_eq!(kept.saves().last(), Some(&None), "the app is told the session ended");
    assert!(matches!(app.me().await, Err(Error::SignedOut)));
}

#[tokio::test]
async fn a_fine_is_paid_declined_and_its_receipt_read_through_the_client() {
    let server = Server::start().await;
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let today = egov_core::time::almaty_date(chrono::Utc::now()).to_string();
    for protocol in ["P-CLIENT-001", "P-CLIENT-002"] {
        let r = post_auth(&server, "/v1/agency/fines", &police, fine_feed(protocol, CITIZEN_2.1, &today)).await;
        assert_eq!(r.status(), 201, "{}", body_json(r).await);
    }
    let (app, _) = citizen(&server, CITIZEN_2.0).await;
    let fines = app.fines(Some(FineStatus::Unpaid)).await.unwrap();
    assert_eq!(fines.len(), 2);
    let fine = &fines[0];
    assert_eq!((fine.recorded_by, fine.discount.eligible), (RecordedBy::Officer, true));
    assert_eq!(fine.amount_due.tiyn * 2, fine.amount.tiyn, "the 50% discount on the day of the notice");

    let declined =
        problem(app.pay_fine(&fine.id, &PaymentMethod::Card { card_token: "tok_51".into() }, "key-client-0001").await);
    assert_eq!((declined.kind, declined.member("decline_code")), (Some(ProblemKind::PaymentDeclined), Some("51")));

    let paid =
        app.pay_fine(&fine.id, &PaymentMethod::Card { card_token: "tok_ok".into() }, "key-client-0002").await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Paid);
    let receipt = paid.receipt.expect("a paid answer carries its receipt");
    assert_eq!((receipt.fine_id.as_str(), receipt.amount), (fine.id.as_str(), fine.amount_due));
    // The same key again answers the same payment, never a second charge.
    let replay =
        app.pay_fine(&fine.id, &PaymentMethod::Card { card_token: "tok_ok".into() }, "key-client-0002").await.unwrap();
    assert_eq!(replay.payment_id, paid.payment_id);
    assert_eq!(app.receipts().await.unwrap().len(), 1);
    assert_eq!(app.fine(&fine.id).await.unwrap().status, FineStatus::Paid);

    let eligibility = app.driving_licence_eligibility().await.unwrap();
    assert!(eligibility.allowed, "an unpaid fine within its period blocks nothing: {eligibility:?}");
}

#[tokio::test]
async fn a_device_key_signs_in_fully_and_signs_a_website_request_through_the_client() {
    let server = Server::start().await;
    let (app, _) = citizen(&server, CITIZEN_1.0).await;
    let key = Key(Device::new());
    let request = EnrolmentRequest { method: ProofMethod::Identity, evidence: Some(DEMO_EVIDENCE.into()) };
    let (enrolment, enrolled) = app.enrol_device(&request, &key, "Client test phone").await.unwrap();
    assert_eq!(enrolled.status, DeviceStatus::OnHold);
    assert!(enrolment.expires_in > 0 && enrolled.active_from.is_some());
    advance_clock(&server, 25 * 3600).await;

    let full = Client::new(&server.base).unwrap();
    let session = full.sign_in_with_key(CITIZEN_1.1, &enrolled.device_id, &key).await.unwrap();
    assert_eq!(session.acr, Acr::Eds);
    let sessions = full.sessions().await.unwrap();
    assert!(sessions.iter().any(|s| s.current && s.acr == Acr::Eds && s.client == SessionClient::App));

    // This service's own signing page (same origin) asks for a signature.
    let r = client()
        .post(server.url("/v1/sign-requests"))
        .header("origin", &server.base)
        .json(&json!({"digest": "ab".repeat(32), "description": {"kk": "Өтініш", "ru": "Заявление", "en": "Application"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "the website asks for a signature");
    let id = body_json(r).await["request_id"].as_str().unwrap().to_string();
    assert_eq!(full.sign_request(&id).await.unwrap().status, SignStatus::Pending);
    let signed = full.sign_website_request(&id, &enrolled.device_id, &key).await.unwrap();
    assert_eq!(signed.status, SignStatus::Signed);
    assert!(signed.signature.is_some() && signed.signed_at.is_some());
}
