//! The ledger invariant (issue 24): whatever interleaving of payments, retries under the same and other
//! idempotency keys, card declines, lost acquirer answers, bank-QR confirmations (late, twice, or never
//! sent), bank payments recorded by the police mid-payment, and SIGKILL of the server, every fine ends
//! with exactly one kept charge if it is paid and none if not, and every kept charge has exactly one
//! receipt. The acquirer's own ledger (the simulated acquirer's table, as a bank's statement would be)
//! is the judge, not our payments table.
//!
//! Rounds: `EGOV_LEDGER_ROUNDS` (default 12 here; the long run is `EGOV_LEDGER_ROUNDS=200`, see
//! tests/README.md). `EGOV_LEDGER_SEED` replays a failing run (the seed is printed).

use harness::flows::*;
use harness::{DataPlace, Options, Server, Value, body_json, client, json, post_auth};
use sqlx::Row;
use std::time::Duration;

/// Concurrent clients per round.
const CLIENTS: usize = 64;

/// A small deterministic generator (xorshift64*), so a failing seed replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn options() -> Options {
    Options::default().arg("--housekeeping-seconds").arg("1")
}

/// How one idempotency key pays (a key's request never changes: a retry is the same request).
fn method_body(rng: &mut Rng) -> Value {
    match rng.below(10) {
        0..=3 => json!({"method": "card", "card_token": "tok_ok"}),
        4 | 5 => json!({"method": "card", "card_token": "tok_timeout"}),
        6 => json!({"method": "card", "card_token": "tok_51"}),
        7 => json!({"method": "phone_balance"}),
        _ => json!({"method": "bank_qr"}),
    }
}

async fn pay(base: &str, token: &str, fine: &str, key: &str, body: &Value) -> Option<(u16, Value)> {
    let r = client()
        .post(format!("{base}/v1/fines/{fine}/payments"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    Some((status, r.json().await.unwrap_or_default()))
}

fn hmac_hex(body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"dev-acquirer-webhook-secret");
    ring::hmac::sign(&key, body).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The citizen pays a bank QR in their bank's app; the acquirer then sends its webhook once, twice, or
/// not at all (the reconciler must learn it from the acquirer).
async fn pay_qr_at_bank(base: &str, payment_id: &str, webhooks: u64) {
    let _ = client().post(format!("{base}/dev/acquirer/payments/{payment_id}/pay")).send().await;
    let body = json!({"payment_id": payment_id, "status": "approved", "reference": format!("QR-{payment_id}")});
    for _ in 0..webhooks {
        let body = body.to_string();
        let _ = client()
            .post(format!("{base}/v1/payments/webhook"))
            .header("x-acquirer-signature", hmac_hex(body.as_bytes()))
            .body(body)
            .send()
            .await;
    }
}

/// One fine's story in the acquirer's ledger and ours.
#[derive(Debug, Default)]
struct Ledger {
    approved: i64,
    refunded: i64,
    kept_without_one_receipt: Vec<String>,
    receipts_for_refunded: i64,
    bank_receipts: i64,
    fine_paid: bool,
    unfinished: i64,
}

async fn ledger(place: &DataPlace, fine: &str) -> Ledger {
    let db = place.sql().await;
    let mut l = Ledger::default();
    let charges = sqlx::query(
        "SELECT a.payment_id, a.refunded_tiyn, (SELECT COUNT(*) FROM receipts r WHERE r.payment_id = a.payment_id) AS receipts
         FROM sim_acquirer a JOIN payments p ON p.id = a.payment_id WHERE p.fine_id = $1 AND a.outcome = 'approved'",
    )
    .bind(fine)
    .fetch_all(&db)
    .await
    .unwrap();
    for c in &charges {
        l.approved += 1;
        let receipts: i64 = c.get("receipts");
        if c.get::<i64, _>("refunded_tiyn") > 0 {
            l.refunded += 1;
            l.receipts_for_refunded += receipts;
        } else if receipts != 1 {
            l.kept_without_one_receipt.push(format!("{} has {receipts} receipts", c.get::<String, _>("payment_id")));
        }
    }
    l.bank_receipts = sqlx::query(
        "SELECT COUNT(*) AS n FROM receipts r JOIN payments p ON p.id = r.payment_id WHERE p.fine_id = $1 AND p.method = 'bank'",
    )
    .bind(fine)
    .fetch_one(&db)
    .await
    .unwrap()
    .get("n");
    l.fine_paid = sqlx::query("SELECT status FROM fines WHERE id = $1")
        .bind(fine)
        .fetch_one(&db)
        .await
        .unwrap()
        .get::<String, _>("status")
        == "paid";
    // Unfinished: a payment still moving, or a charge the acquirer approved that has neither a receipt
    // nor a refund yet (the reconciler's next pass settles it).
    l.unfinished = sqlx::query(
        "SELECT COUNT(*) AS n FROM payments p WHERE p.fine_id = $1 AND (p.status IN ('pending', 'held', 'unknown', 'awaiting', 'refund_due')
            OR EXISTS (SELECT 1 FROM sim_acquirer a WHERE a.payment_id = p.id AND a.outcome = 'approved' AND a.refunded_tiyn = 0
                       AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.payment_id = p.id)))",
    )
    .bind(fine)
    .fetch_one(&db)
    .await
    .unwrap()
    .get("n");
    l
}

struct Round {
    fine: String,
    keys: Vec<(String, Value)>,
    /// The police recorded a bank payment during this round.
    bank: bool,
}

async fn run(rounds: usize) {
    let seed: u64 = std::env::var("EGOV_LEDGER_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    println!("ledger: {rounds} rounds, EGOV_LEDGER_SEED={seed}");
    let mut rng = Rng(seed);
    let place = DataPlace::fresh().await;
    let mut server = Server::start_on(&place, options()).await.unwrap();
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let mut tokens = login_otp(&server, CITIZEN_2.0).await;
    let today = egov_core::time::almaty_date(chrono::Utc::now()).to_string();
    let (mut kills, mut refunds_answered, mut refunds, mut paid_fines) = (0, 0, 0, 0);
    for round in 0..rounds {
        // A fresh access token each round (the long run outlasts one).
        let r = refresh(&server, &tokens).await;
        assert_eq!(r.status(), 200, "refresh");
        tokens = body_json(r).await;
        let token = tokens["access_token"].as_str().unwrap().to_string();
        let r = post_auth(
            &server,
            "/v1/agency/fines",
            &police,
            fine_feed(&format!("L{:08X}-{round}", seed as u32), CITIZEN_2.1, &today),
        )
        .await;
        assert_eq!(r.status(), 201, "register the round's fine");
        let fine = body_json(r).await;
        let due = fine["amount_due"]["tiyn"].as_i64().unwrap();
        let fine = fine["id"].as_str().unwrap().to_string();
        let keys: Vec<(String, Value)> =
            (0..2 + rng.below(7)).map(|k| (format!("ledger-{seed}-{round}-{k}"), method_body(&mut rng))).collect();
        // Rounds 1 and 2 always kill and record a bank payment, so the short run covers both.
        let round_spec = Round { fine, keys, bank: round == 2 || rng.chance(20) };
        let kill = round == 1 || rng.chance(15);

        // 64 clients at once, each with one of the round's keys; some bank QRs are paid at once.
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..CLIENTS {
            let (key, body) = round_spec.keys[rng.below(round_spec.keys.len() as u64) as usize].clone();
            let (base, token, fine) = (server.base.clone(), token.clone(), round_spec.fine.clone());
            let (qr_now, webhooks) = (rng.chance(50), rng.below(3));
            tasks.spawn(async move {
                let answer = pay(&base, &token, &fine, &key, &body).await;
                if let Some((202, b)) = &answer
                    && b["status"] == "pending"
                    && qr_now
                {
                    pay_qr_at_bank(&base, b["payment_id"].as_str().unwrap(), webhooks).await;
                }
                answer
            });
        }
        if round_spec.bank {
            let (base, police, fine) = (server.base.clone(), police.clone(), round_spec.fine.clone());
            tasks.spawn(async move {
                tokio::time::sleep(Duration::from_millis(5)).await;
                let r = client()
                    .post(format!("{base}/v1/agency/fines/{fine}/external-payment"))
                    .bearer_auth(&police)
                    .json(
                        &json!({"bank": "Halyk Bank", "bank_receipt_number": format!("BANK-{fine}"), "amount_tiyn": due,
                        "paid_on": egov_core::time::almaty_date(chrono::Utc::now()).to_string()}),
                    )
                    .send()
                    .await
                    .ok()?;
                Some((r.status().as_u16(), Value::Null))
            });
        }
        if kill {
            // SIGKILL as soon as the first answer is in, cutting the others off mid-payment.
            let _ = tasks.join_next().await;
            server.kill9().await;
            server = Server::start_on(&place, options()).await.unwrap();
            kills += 1;
        }
        while let Some(r) = tasks.join_next().await {
            let answer = r.unwrap();
            if let Some((s, b)) = &answer {
                assert!(*s < 500, "round {round}: a server error {s}: {b}");
            }
        }

        // Every key is retried until its payment has an outcome; waiting QRs are paid at the bank.
        for (key, body) in &round_spec.keys {
            let (mut last, mut seen) = (None, Value::Null);
            for attempt in 0..120 {
                let Some((status, b)) = pay(&server.base, &token, &round_spec.fine, key, body).await else {
                    panic!("round {round}: the server did not answer a retry");
                };
                assert!(status < 500, "round {round}: a server error {status}: {b}");
                seen = b.clone();
                match (status, b["status"].as_str()) {
                    (202, Some("pending")) => {
                        pay_qr_at_bank(&server.base, b["payment_id"].as_str().unwrap(), rng.below(3)).await
                    }
                    (202, _) => tokio::time::sleep(Duration::from_millis(50 + attempt * 10)).await,
                    _ => {
                        last = Some((status, b));
                        break;
                    }
                }
            }
            let Some((status, b)) = last else {
                let db = place.sql().await;
                let rows = sqlx::query("SELECT id, status, method FROM payments WHERE fine_id = $1")
                    .bind(&round_spec.fine)
                    .fetch_all(&db)
                    .await
                    .unwrap();
                let states: Vec<String> = rows
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {} {}",
                            r.get::<String, _>("id"),
                            r.get::<String, _>("status"),
                            r.get::<String, _>("method")
                        )
                    })
                    .collect();
                panic!("round {round}: key {key} ({body}) never settled; last answer {seen}; payments {states:?}");
            };
            assert!(matches!(status, 201 | 402 | 409), "round {round}: key {key} ended {status}: {b}");
            if b["type"] == "/problems/payment-refunded" {
                refunds_answered += 1;
            }
        }

        // The reconciler finishes what the requests left (refunds of late approvals, lost webhooks).
        let mut l = ledger(&place, &round_spec.fine).await;
        for _ in 0..100 {
            if l.unfinished == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            l = ledger(&place, &round_spec.fine).await;
        }
        let seed_note = format!("round {round}, EGOV_LEDGER_SEED={seed}: {l:?}");
        assert_eq!(l.unfinished, 0, "payments left unfinished; {seed_note}");
        assert!(l.kept_without_one_receipt.is_empty(), "a kept charge without exactly one receipt; {seed_note}");
        assert_eq!(l.receipts_for_refunded, 0, "a refunded charge kept its receipt; {seed_note}");
        let kept = l.approved - l.refunded;
        let paid_by_card = l.fine_paid && l.bank_receipts == 0;
        assert_eq!(kept, i64::from(paid_by_card), "approved charges minus refunds; {seed_note}");
        assert!(l.bank_receipts <= 1, "two bank payments for one fine; {seed_note}");
        if l.bank_receipts == 1 {
            assert!(l.fine_paid, "a bank payment left the fine unpaid; {seed_note}");
        }
        if l.fine_paid {
            paid_fines += 1;
        }
        refunds += l.refunded;
    }
    println!(
        "ledger: {rounds} rounds, {paid_fines} fines paid, {kills} kills, {refunds} approvals refunded \
         ({refunds_answered} answered so to a retry); 0 double charges, 0 lost charges, 0 receipts without a charge"
    );
}

#[tokio::test]
async fn every_fine_ends_with_one_kept_charge_if_paid_and_none_if_not_under_races_kills_and_late_webhooks() {
    let rounds = std::env::var("EGOV_LEDGER_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(12);
    run(rounds).await;
}

/// The late approval the randomised rounds reach by chance, once on purpose: a QR opened, the fine paid at
/// a bank branch, then the old QR paid too. The acquirer's approval is refunded, not lost or kept.
#[tokio::test]
async fn a_bank_payment_recorded_while_a_card_payment_is_under_way_refunds_the_card_if_it_is_approved() {
    let place = DataPlace::fresh().await;
    let server = Server::start_on(&place, options()).await.unwrap();
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let token = login_otp(&server, CITIZEN_2.0).await["access_token"].as_str().unwrap().to_string();
    let today = egov_core::time::almaty_date(chrono::Utc::now()).to_string();
    let r = post_auth(&server, "/v1/agency/fines", &police, fine_feed("LEDGER-QR-LATE", CITIZEN_2.1, &today)).await;
    let fine = body_json(r).await;
    let due = fine["amount_due"]["tiyn"].as_i64().unwrap();
    let fine = fine["id"].as_str().unwrap().to_string();
    // The citizen opens a bank QR, then pays at a bank branch instead, and the police record it.
    let (status, qr) = pay(&server.base, &token, &fine, "late-qr-0001", &json!({"method": "bank_qr"})).await.unwrap();
    assert_eq!(status, 202);
    let r = post_auth(
        &server,
        &format!("/v1/agency/fines/{fine}/external-payment"),
        &police,
        json!({"bank": "Kaspi Bank", "bank_receipt_number": "KASPI-0001", "paid_on": today, "amount_tiyn": due}),
    )
    .await;
    assert_eq!(r.status(), 200, "the bank payment wins over a QR nobody paid yet");
    // Then the citizen pays the old QR too: the acquirer approves it, and the money goes back.
    pay_qr_at_bank(&server.base, qr["payment_id"].as_str().unwrap(), 1).await;
    let (status, answer) =
        pay(&server.base, &token, &fine, "late-qr-0001", &json!({"method": "bank_qr"})).await.unwrap();
    assert_eq!((status, answer["type"].as_str()), (409, Some("/problems/payment-refunded")), "{answer}");
    let l = ledger(&place, &fine).await;
    assert_eq!((l.approved, l.refunded, l.bank_receipts, l.fine_paid), (1, 1, 1, true), "{l:?}");
    // The citizen's history says so.
    let history = body_json(client().get(server.url("/v1/history")).bearer_auth(&token).send().await.unwrap()).await;
    let refunded = history.as_array().unwrap().iter().any(|e| e.to_string().contains("fine_payment_refunded"));
    assert!(refunded, "the refund is in the citizen's history: {history}");
}
