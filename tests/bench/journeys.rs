//! Load generator: citizens' journeys end to end, on one or three replicas sharing one database.
//!
//! Each virtual citizen signs in by SMS code (read from the dev outbox), then runs `EGOV_BENCH_ROUNDS`
//! rounds of:
//! - list documents, open one, share it (a verifier redeems it on another replica);
//! - list fines and pay the one issued for this round;
//! - approve a website login, whose browser waits over SSE on another replica.
//!
//! Every step is timed and its errors counted. Then `GET /v1/documents` runs at a fixed rate
//! (`EGOV_BENCH_RATE`, default 1 000/s) across the citizens and replicas. The empty route of the same
//! run is the baseline.
//!
//! `bash tests/bench.sh journeys [postgres]`; `EGOV_BENCH_REPLICAS` (1 or more, default 1),
//! `EGOV_BENCH_USERS` (concurrent citizens, default 64), `EGOV_BENCH_ROUNDS` (default 3). The citizens,
//! with copies of a demo citizen's documents, are written to the database first (not measured); their
//! fines arrive through the agency feed (measured, as a bulk issue).

use harness::flows::{CITIZEN_1, fine_feed, login_otp, org_token, six_digits};
use harness::load::{
    Bench, Stats, answered, client_address as addr, closed_loop, env_usize, insert_citizens, open_loop,
    synthetic_citizen,
};
use harness::{Server, Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Per step, in the order the journeys first reach it: latencies of expected answers, and errors.
type Samples = Arc<Mutex<Vec<(&'static str, (Vec<Duration>, usize))>>>;

fn entry<'a>(
    samples: &'a mut Vec<(&'static str, (Vec<Duration>, usize))>,
    name: &'static str,
) -> &'a mut (Vec<Duration>, usize) {
    let i = match samples.iter().position(|(n, _)| *n == name) {
        Some(i) => i,
        None => {
            samples.push((name, Default::default()));
            samples.len() - 1
        }
    };
    &mut samples[i].1
}

/// Times one step: `ok` says whether the answer was the expected one.
async fn step<T>(samples: &Samples, name: &'static str, f: impl std::future::Future<Output = Option<T>>) -> Option<T> {
    let started = Instant::now();
    let out = f.await;
    let mut s = samples.lock().unwrap();
    let entry = entry(&mut s, name);
    match out {
        Some(v) => {
            entry.0.push(started.elapsed());
            Some(v)
        }
        None => {
            entry.1 += 1;
            None
        }
    }
}

async fn json_if(r: reqwest::Result<reqwest::Response>, status: u16) -> Option<Value> {
    let r = r.ok()?;
    if r.status().as_u16() != status {
        return None;
    }
    r.json().await.ok()
}

struct World {
    replicas: Vec<Arc<Server>>,
    http: reqwest::Client,
    verifier: String,
    samples: Samples,
    rounds: usize,
}

/// One citizen's journey; returns its access token for the fixed-rate phase.
async fn journey(w: Arc<World>, u: usize) -> Option<String> {
    let (home, other) = (&w.replicas[u % w.replicas.len()], &w.replicas[(u + 1) % w.replicas.len()]);
    let (http, s) = (&w.http, &w.samples);
    let phone = synthetic_citizen(u).phone;

    let flow = step(s, "POST /v1/auth/otp/start", async {
        json_if(
            http.post(home.url("/v1/auth/otp/start"))
                .header("x-forwarded-for", addr(u))
                .json(&json!({"phone": phone}))
                .send()
                .await,
            202,
        )
        .await
    })
    .await?;
    let mut code = None;
    for _ in 0..200 {
        let outbox: Value =
            http.get(home.url("/dev/sms-outbox")).query(&[("phone", &phone)]).send().await.ok()?.json().await.ok()?;
        if let Some(text) = outbox[0]["text"].as_str().filter(|_| outbox[0]["status"] == "delivered") {
            code = six_digits(text);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let tokens = step(s, "POST /v1/auth/otp/verify", async {
        let body = json!({"flow_id": flow["flow_id"], "code": code?});
        json_if(
            http.post(home.url("/v1/auth/otp/verify")).header("x-forwarded-for", addr(u)).json(&body).send().await,
            200,
        )
        .await
    })
    .await?;
    let token = tokens["access_token"].as_str()?.to_string();

    for round in 0..w.rounds {
        let docs = step(s, "GET /v1/documents", async {
            json_if(http.get(home.url("/v1/documents")).bearer_auth(&token).send().await, 200).await
        })
        .await;
        let doc = docs.and_then(|d| {
            d["documents"]
                .as_array()?
                .iter()
                .find(|d| d["status"] == "valid")
                .and_then(|d| d["id"].as_str())
                .map(String::from)
        });
        if let Some(doc) = doc {
            step(s, "GET /v1/documents/{id}", async {
                json_if(http.get(home.url(&format!("/v1/documents/{doc}"))).bearer_auth(&token).send().await, 200).await
            })
            .await;
            let share = step(s, "POST /v1/documents/{id}/shares", async {
                json_if(
                    http.post(home.url(&format!("/v1/documents/{doc}/shares"))).bearer_auth(&token).send().await,
                    201,
                )
                .await
            })
            .await;
            if let Some(token_part) =
                share.as_ref().and_then(|v| v["qr_url"].as_str()).and_then(|u| u.rsplit('/').next())
            {
                step(s, "POST /v1/shares/redeem (verifier, other replica)", async {
                    let body = json!({"token": token_part});
                    json_if(
                        http.post(other.url("/v1/shares/redeem")).bearer_auth(&w.verifier).json(&body).send().await,
                        200,
                    )
                    .await
                })
                .await;
            }
        }

        let fines = step(s, "GET /v1/fines", async {
            json_if(http.get(home.url("/v1/fines?status=unpaid")).bearer_auth(&token).send().await, 200).await
        })
        .await;
        let fine = fines.and_then(|f| f.as_array()?.first()?["id"].as_str().map(String::from));
        if let Some(fine) = fine {
            step(s, "POST /v1/fines/{id}/payments", async {
                let r = http
                    .post(home.url(&format!("/v1/fines/{fine}/payments")))
                    .bearer_auth(&token)
                    .header("idempotency-key", format!("journey-{u}-{round}"))
                    .json(&json!({"method": "card", "card_token": "tok_ok"}))
                    .send()
                    .await;
                json_if(r, 201).await
            })
            .await;
        }

        // The website: a browser on the other replica asks for a login and waits on its stream.
        let created = step(s, "POST /v1/web-login/requests (browser)", async {
            // This service's own login page: its origin is the public URL every replica shares.
            let origin = &w.replicas[0].base;
            let r = http
                .post(other.url("/v1/web-login/requests"))
                .header("x-forwarded-for", addr(u))
                .header("origin", origin)
                .send()
                .await
                .ok()?;
            let poll = r.headers().get("x-poll-secret")?.to_str().ok()?.to_string();
            if r.status() != 201 {
                return None;
            }
            Some((r.json::<Value>().await.ok()?, poll))
        })
        .await;
        let Some((created, poll)) = created else { continue };
        let id = created["request_id"].as_str().unwrap_or_default().to_string();
        let mut stream = match http
            .get(other.url(&format!("/v1/web-login/requests/{id}/events")))
            .header("x-poll-secret", &poll)
            .send()
            .await
        {
            Ok(r) if r.status() == 200 => r,
            _ => continue,
        };
        // The QR the browser shows: the create answer's, valid for its 60 s.
        let qr = created["qr_url"].as_str().unwrap_or_default().to_string();
        let scanned = step(s, "POST /v1/web-login/scan", async {
            json_if(
                http.post(home.url("/v1/web-login/scan")).bearer_auth(&token).json(&json!({"qr_url": qr})).send().await,
                200,
            )
            .await
        })
        .await;
        if scanned.is_none() {
            continue;
        }
        let approved_at = Instant::now();
        let approved = step(s, "POST /v1/web-login/requests/{id}/approve", async {
            let body = json!({"check_code": created["check_code"]});
            let r = http
                .post(home.url(&format!("/v1/web-login/requests/{id}/approve")))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await;
            json_if(r, 200).await
        })
        .await;
        if approved.is_some() {
            // From the phone's approval to the browser's `approved` event on the other replica.
            let mut s2 = String::new();
            let heard = loop {
                if s2.contains("event: approved") {
                    break true;
                }
                match tokio::time::timeout(Duration::from_secs(10), stream.chunk()).await {
                    Ok(Ok(Some(b))) => s2.push_str(&String::from_utf8_lossy(&b)),
                    _ => break false,
                }
            };
            let mut samples = s.lock().unwrap();
            let e = entry(&mut samples, "website login: approval → browser's SSE event");
            if heard {
                e.0.push(approved_at.elapsed());
            } else {
                e.1 += 1;
            }
        }
    }
    Some(token)
}

#[tokio::main]
async fn main() {
    let users = env_usize("EGOV_BENCH_USERS", 64);
    let rounds = env_usize("EGOV_BENCH_ROUNDS", 3);
    let replica_count = env_usize("EGOV_BENCH_REPLICAS", 1).max(1);
    let bench = Bench::start().await;
    let mut replicas = vec![bench.server.clone()];
    for _ in 1..replica_count {
        replicas.push(bench.replica().await);
    }
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(512)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    // Setup (not measured): the citizens, each with a copy of the first demo citizen's documents.
    let demo = login_otp(&bench.server, CITIZEN_1.0).await["access_token"].as_str().unwrap().to_string();
    let me: Value = http.get(bench.server.url("/v1/me")).bearer_auth(&demo).send().await.unwrap().json().await.unwrap();
    let _: Value =
        http.get(bench.server.url("/v1/documents")).bearer_auth(&demo).send().await.unwrap().json().await.unwrap();
    let demo_id = me["citizen_id"].as_str().unwrap().to_string();
    let db = bench.place.sql().await;
    insert_citizens(&db, users).await;
    let mut tx = db.begin().await.unwrap();
    for u in 0..users {
        let id = synthetic_citizen(u).id;
        for sql in [
            "INSERT INTO documents (id, citizen_id, kind, source, external_id, number, issued_on, expires_on, fields,
               revoked_at, revoked_reason, checked_at, created_at, updated_at)
             SELECT $1 || id, $2, kind, source, external_id, number, issued_on, expires_on, fields, revoked_at,
               revoked_reason, checked_at, created_at, updated_at FROM documents WHERE citizen_id = $3",
            "INSERT INTO document_photos (citizen_id, source, bytes, etag, checked_at)
             SELECT $2, source, bytes, etag || $1, checked_at FROM document_photos WHERE citizen_id = $3",
            "INSERT INTO document_syncs (citizen_id, source, checked_at, failed_at, error)
             SELECT $2, source, checked_at, failed_at, error FROM document_syncs WHERE citizen_id = $3",
        ] {
            sqlx::query(sql).bind(format!("{id}-")).bind(&id).bind(&demo_id).execute(&mut *tx).await.unwrap();
        }
    }
    tx.commit().await.unwrap();

    // The state body issues every round's fines at once (a bulk run), through the feed.
    let police = org_token(&bench.server, "demo-police", "demo-police-secret").await;
    let verifier = org_token(&bench.server, "demo-verifier", "demo-verifier-secret").await;
    let today = egov_core::time::almaty_date(chrono::Utc::now()).to_string();
    let (h, s, p) = (http.clone(), bench.server.clone(), police.clone());
    let feed = closed_loop("POST /v1/agency/fines (bulk issue)", users * rounds, bench.concurrency, move |i| {
        let (h, url, p, today) = (h.clone(), s.url("/v1/agency/fines"), p.clone(), today.clone());
        async move {
            let body = fine_feed(&format!("LOAD-{i:07}"), &synthetic_citizen(i % users).iin, &today);
            answered(h.post(url).bearer_auth(p).json(&body), 201).await
        }
    })
    .await;

    let world = Arc::new(World {
        replicas: replicas.clone(),
        http: http.clone(),
        verifier,
        samples: Default::default(),
        rounds,
    });
    let started = Instant::now();
    let tasks: Vec<_> = (0..users).map(|u| tokio::spawn(journey(world.clone(), u))).collect();
    let mut tokens = Vec::new();
    for t in tasks {
        if let Ok(Some(token)) = t.await {
            tokens.push(token);
        }
    }
    let elapsed = started.elapsed();
    let mut rows = vec![feed];
    for (name, (latencies, errors)) in world.samples.lock().unwrap().iter() {
        rows.push(Stats::from(name, latencies.clone(), *errors, elapsed));
    }

    // Document lists at a fixed rate, spread over the signed-in citizens and the replicas.
    let tokens = Arc::new(tokens);
    if !tokens.is_empty() {
        let (h, t, r) = (http.clone(), tokens.clone(), replicas.clone());
        let rate = bench.rate;
        rows.push(
            open_loop(&format!("GET /v1/documents (open loop, {rate:.0}/s)"), bench.n, rate, move |i| {
                let (h, token) = (h.clone(), t[i % t.len()].clone());
                let url = r[i % r.len()].url("/v1/documents");
                answered(h.get(url).bearer_auth(token), 200)
            })
            .await,
        );
    }
    println!(
        "\n{users} citizens × {rounds} rounds on {replica_count} replica(s); journeys took {:.1} s; {} of {users} finished",
        elapsed.as_secs_f64(),
        tokens.len()
    );
    bench.report(&format!("Citizen journeys, {replica_count} replica(s)"), &rows);
}
