//! Crashes: a replica killed with SIGKILL in the middle of payments and redemptions, then a new process on
//! the same database. No payment may be lost or charged twice, clients retrying with their idempotency
//! keys must succeed, and no share may be redeemed twice or leave a view unrecorded.

use harness::flows::*;
use harness::{DataPlace, Options, Server, Value, body_json, client, json, post_auth};
use sqlx::Row;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

const N: usize = 24;

fn options() -> Options {
    Options::default().arg("--housekeeping-seconds").arg("1")
}

async fn access(server: &Server, phone: &str) -> String {
    login_otp(server, phone).await["access_token"].as_str().unwrap().to_string()
}

async fn pay(base: &str, token: &str, fine: &str, key: &str) -> Result<(u16, Value), reqwest::Error> {
    let r = client()
        .post(format!("{base}/v1/fines/{fine}/payments"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&json!({"method": "card", "card_token": "tok_ok"}))
        .send()
        .await?;
    let status = r.status().as_u16();
    Ok((status, r.json().await.unwrap_or_default()))
}

/// Runs `n` requests at once and kills the server as soon as the first one answers, so the others are
/// cut off mid-flight. Returns each request's answer (None: the connection died with the process).
async fn kill_during<F, Fut>(server: Server, n: usize, request: F) -> Vec<Option<(u16, Value)>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(u16, Value), reqwest::Error>> + Send + 'static,
{
    let first = Arc::new(Notify::new());
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (call, first) = (request(i), first.clone());
            tokio::spawn(async move {
                let answer = call.await.ok();
                first.notify_one();
                answer
            })
        })
        .collect();
    first.notified().await;
    server.kill9().await;
    let mut answers = Vec::with_capacity(n);
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    answers
}

#[tokio::test]
async fn a_replica_killed_during_payments_charges_each_fine_once_and_retries_succeed() {
    let place = DataPlace::fresh().await;
    let server = Server::start_on(&place, options()).await.unwrap();
    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let today = egov_core::time::almaty_date(chrono::Utc::now()).to_string();
    let mut fines = Vec::new();
    for i in 0..N {
        let r =
            post_auth(&server, "/v1/agency/fines", &police, fine_feed(&format!("KILL-{i:04}"), CITIZEN_2.1, &today))
                .await;
        assert_eq!(r.status(), 201);
        fines.push(body_json(r).await["id"].as_str().unwrap().to_string());
    }
    let token = access(&server, CITIZEN_2.0).await;
    let base = server.base.clone();

    let (f, t, b) = (fines.clone(), token.clone(), base.clone());
    let before = kill_during(server, N, move |i| {
        let (f, t, b) = (f[i].clone(), t.clone(), b.clone());
        async move { pay(&b, &t, &f, &format!("kill-payment-{i:04}")).await }
    })
    .await;
    let cut_off = before.iter().filter(|a| a.is_none()).count();
    assert!(cut_off > 0, "the kill interrupted no payment: {before:?}");

    // A new process on the same database; the citizen's session survives it. Every client retries with
    // its key until the payment settles (202 while the acquirer's answer is being reconciled).
    let server = Server::start_on(&place, options()).await.unwrap();
    for (i, fine) in fines.iter().enumerate() {
        let key = format!("kill-payment-{i:04}");
        let mut answer = (0, Value::Null);
        for _ in 0..60 {
            answer = pay(&server.base, &token, fine, &key).await.unwrap();
            if answer.0 != 202 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert_eq!(answer.0, 201, "fine {i}: {}", answer.1);
        if let Some((201, first)) = &before[i] {
            assert_eq!(first["payment_id"], answer.1["payment_id"], "a retry is the same payment");
        }
    }

    // The acquirer's own ledger: exactly one approved charge per fine, for the amount due.
    let db = place.sql().await;
    for fine in &fines {
        let charges = sqlx::query(
            "SELECT COUNT(*) AS n FROM sim_acquirer a JOIN payments p ON p.id = a.payment_id
             WHERE p.fine_id = $1 AND a.outcome = 'approved'",
        )
        .bind(fine)
        .fetch_one(&db)
        .await
        .unwrap()
        .get::<i64, _>("n");
        assert_eq!(charges, 1, "fine {fine} was charged {charges} times");
    }
    let receipts = body_json(client().get(server.url("/v1/receipts")).bearer_auth(&token).send().await.unwrap()).await;
    let paid: std::collections::HashSet<&str> =
        receipts.as_array().unwrap().iter().filter_map(|r| r["fine_id"].as_str()).collect();
    assert!(fines.iter().all(|f| paid.contains(f.as_str())), "a paid fine has no receipt");
    assert_eq!(receipts.as_array().unwrap().len(), N, "one receipt per fine");
}

#[tokio::test]
async fn a_replica_killed_during_redemptions_redeems_no_code_twice_and_records_every_view() {
    let place = DataPlace::fresh().await;
    let server = Server::start_on(&place, options()).await.unwrap();
    let owner = access(&server, CITIZEN_1.0).await;
    let verifier = org_token(&server, "demo-verifier", "demo-verifier-secret").await;
    let docs = body_json(client().get(server.url("/v1/documents")).bearer_auth(&owner).send().await.unwrap()).await;
    let doc = docs["documents"][0]["id"].as_str().unwrap().to_string();
    let mut shares = Vec::new();
    for _ in 0..N {
        let r = post_auth(&server, &format!("/v1/documents/{doc}/shares"), &owner, json!({"ttl_seconds": 1800})).await;
        assert_eq!(r.status(), 201);
        let s = body_json(r).await;
        shares.push((s["share_id"].as_str().unwrap().to_string(), s["qr_url"].as_str().unwrap().to_string()));
    }
    let base = server.base.clone();
    // By token: the new process listens on another port, so the old QR URLs are not its own.
    let redeem = |base: String, token: String, qr: String| async move {
        let share_token = qr.rsplit('/').next().unwrap_or_default().to_string();
        let r = client()
            .post(format!("{base}/v1/shares/redeem"))
            .bearer_auth(token)
            .json(&json!({"token": share_token}))
            .send()
            .await?;
        let status = r.status().as_u16();
        Ok::<_, reqwest::Error>((status, r.json().await.unwrap_or_default()))
    };

    // Two verifiers race for every share while the process is killed.
    let (s, v, b) = (shares.clone(), verifier.clone(), base.clone());
    let before = kill_during(server, 2 * N, move |i| redeem(b.clone(), v.clone(), s[i / 2].1.clone())).await;
    let server = Server::start_on(&place, options()).await.unwrap();
    let mut after: Vec<(u16, Value)> = Vec::with_capacity(N);
    for (_, qr) in &shares {
        after.push(redeem(server.base.clone(), verifier.clone(), qr.clone()).await.unwrap());
    }

    let db = place.sql().await;
    for (i, (id, _)) in shares.iter().enumerate() {
        let copies = before[2 * i..2 * i + 2].iter().flatten().chain([&after[i]]).filter(|(s, _)| *s == 200).count();
        assert!(copies <= 1, "share {i} gave {copies} copies");
        let row = sqlx::query("SELECT redeemed_at FROM shares WHERE id = $1").bind(id).fetch_one(&db).await.unwrap();
        let redeemed = row.get::<Option<i64>, _>("redeemed_at").is_some();
        // After the restart every share is redeemed (before the kill, or by the retry), exactly once.
        assert!(redeemed, "share {i} is still open after a retry");
        if after[i].0 != 200 {
            assert_eq!(after[i].1["type"], "/problems/share-used", "share {i}: {}", after[i].1);
        }
        // The view and its notification were written with the claim, or not at all.
        let views = sqlx::query("SELECT COUNT(*) AS n FROM history WHERE kind = 'share_viewed' AND detail LIKE $1")
            .bind(format!("%{id}%"))
            .fetch_one(&db)
            .await
            .unwrap()
            .get::<i64, _>("n");
        assert_eq!(views, 1, "share {i} has {views} recorded views");
    }
}

/// The SMS provider is down when a code is asked for: the citizen still gets an immediate answer, the
/// message waits in the outbox, and it is delivered once the provider is back (the next attempt is moved
/// forward with the dev clock instead of waiting out the back-off).
#[tokio::test]
async fn a_code_asked_for_while_the_sms_provider_is_down_is_delivered_when_it_is_back() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let provider = MockServer::start().await;
    // The first delivery makes three calls (with back-off) and all fail; then the provider recovers.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&provider)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "m-1"})))
        .with_priority(2)
        .mount(&provider)
        .await;
    let place = DataPlace::fresh().await;
    let options =
        options().arg("--sms-gateway").arg("http").env("EGOV_SMS_HTTP_URL", &format!("{}/send", provider.uri()));
    let server = Server::start_on(&place, options).await.unwrap();

    let started = std::time::Instant::now();
    let r = post_auth(&server, "/v1/auth/otp/start", "", json!({"phone": CITIZEN_1.0})).await;
    assert_eq!(r.status(), 202);
    assert!(started.elapsed() < Duration::from_secs(2), "the answer does not wait for the provider");
    let flow = body_json(r).await["flow_id"].as_str().unwrap().to_string();

    let calls = |n: usize| {
        let provider = &provider;
        async move {
            for _ in 0..200 {
                let got = provider.received_requests().await.unwrap_or_default();
                if got.len() >= n {
                    return got;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("the provider did not get {n} calls");
        }
    };
    calls(3).await;
    let r = client().post(server.url("/dev/clock/advance")).json(&json!({"seconds": 30})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let delivered = calls(4).await;
    let body: Value = serde_json::from_slice(&delivered[3].body).unwrap();
    let code = six_digits(body["text"].as_str().unwrap()).expect("a code in the delivered SMS");
    let r = post_auth(&server, "/v1/auth/otp/verify", "", json!({"flow_id": flow, "code": code})).await;
    assert_eq!(r.status(), 200, "{}", body_json(r).await);
}
