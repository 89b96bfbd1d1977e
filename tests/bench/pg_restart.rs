//! Fault run: PostgreSQL restarts under load. A replica serves a steady mix (document lists, shares
//! created and redeemed) while the database is restarted with `EGOV_PG_RESTART_CMD` (default
//! `pg_ctlcluster 15 main restart`). It checks, and exits non-zero otherwise, that:
//! - readiness goes red during the restart and green again after it;
//! - meanwhile requests fail cleanly: a problem document (503 `database-unavailable`) quickly, never a
//!   hang and never a 500;
//! - requests succeed again after it;
//! - nothing acknowledged is lost: every share answered 201 still exists, and every redemption answered
//!   200 left its share used.
//!
//! Run by `bash tests/faults.sh` (needs a local PostgreSQL it may restart; not part of the test command,
//! which shares that PostgreSQL with other suites).

use harness::flows::{CITIZEN_1, login_otp, org_token};
use harness::{DataPlace, Options, Server, Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Tally {
    ok: usize,
    unavailable: usize,
    other_errors: Vec<String>,
    slowest: Duration,
    acknowledged_shares: Vec<String>,
    redeemed_shares: Vec<String>,
}

#[tokio::main]
async fn main() {
    let restart = std::env::var("EGOV_PG_RESTART_CMD").unwrap_or_else(|_| "pg_ctlcluster 15 main restart".into());
    let place = DataPlace::fresh().await;
    assert!(place.database_url.is_some(), "set EGOV_TEST_DATABASE to a PostgreSQL database");
    let server = Arc::new(Server::start_on(&place, Options::default().env("RUST_LOG", "warn")).await.unwrap());
    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(15)).build().unwrap();
    let owner = login_otp(&server, CITIZEN_1.0).await["access_token"].as_str().unwrap().to_string();
    let verifier = org_token(&server, "demo-verifier", "demo-verifier-secret").await;
    let docs: Value =
        http.get(server.url("/v1/documents")).bearer_auth(&owner).send().await.unwrap().json().await.unwrap();
    let doc = docs["documents"].as_array().unwrap().iter().find(|d| d["status"] == "valid").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let after_restart = Arc::new(Mutex::new(Tally::default()));
    let restarted = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..8 {
        let (http, server, stop, owner, verifier, doc) =
            (http.clone(), server.clone(), stop.clone(), owner.clone(), verifier.clone(), doc.clone());
        let (tally, after_restart, restarted) = (tally.clone(), after_restart.clone(), restarted.clone());
        workers.push(tokio::spawn(async move {
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let started = Instant::now();
                let (status, body, share) = if (w + i) % 2 == 0 {
                    let r = http.get(server.url("/v1/documents")).bearer_auth(&owner).send().await;
                    match r {
                        Ok(r) => (r.status().as_u16(), r.json::<Value>().await.unwrap_or_default(), None),
                        Err(e) => (0, json!({"error": e.to_string()}), None),
                    }
                } else {
                    let r =
                        http.post(server.url(&format!("/v1/documents/{doc}/shares"))).bearer_auth(&owner).send().await;
                    match r {
                        Ok(r) => {
                            let status = r.status().as_u16();
                            let body = r.json::<Value>().await.unwrap_or_default();
                            let share = (status == 201).then(|| body["share_id"].as_str().unwrap_or("").to_string());
                            (status, body, share)
                        }
                        Err(e) => (0, json!({"error": e.to_string()}), None),
                    }
                };
                let took = started.elapsed();
                let phase = if restarted.load(Ordering::Relaxed) { &after_restart } else { &tally };
                {
                    let mut t = phase.lock().unwrap();
                    t.slowest = t.slowest.max(took);
                    match status {
                        200 | 201 => t.ok += 1,
                        503 if body["type"] == "/problems/database-unavailable" => t.unavailable += 1,
                        _ => t.other_errors.push(format!("{status} {body}")),
                    }
                    if let Some(id) = &share {
                        t.acknowledged_shares.push(id.clone());
                    }
                }
                if let Some(id) = share {
                    // The verifier redeems it at once.
                    let token = body["qr_url"].as_str().and_then(|u| u.rsplit('/').next()).unwrap_or("").to_string();
                    let r = http
                        .post(server.url("/v1/shares/redeem"))
                        .bearer_auth(&verifier)
                        .json(&json!({"token": token}))
                        .send()
                        .await;
                    if r.is_ok_and(|r| r.status() == 200) {
                        phase.lock().unwrap().redeemed_shares.push(id);
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }

    // Readiness, sampled every 100 ms.
    let ready_log = Arc::new(Mutex::new(Vec::<(Duration, bool)>::new()));
    let (h, s, l, st) = (http.clone(), server.clone(), ready_log.clone(), stop.clone());
    let t0 = Instant::now();
    let prober = tokio::spawn(async move {
        while !st.load(Ordering::Relaxed) {
            let ok =
                h.get(s.url("/readyz")).timeout(Duration::from_secs(2)).send().await.is_ok_and(|r| r.status() == 200);
            l.lock().unwrap().push((t0.elapsed(), ok));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });

    tokio::time::sleep(Duration::from_secs(3)).await;
    println!("restarting PostgreSQL: {restart}");
    let out = std::process::Command::new("sh").arg("-c").arg(&restart).output().expect("run the restart command");
    assert!(out.status.success(), "the restart command failed: {}", String::from_utf8_lossy(&out.stderr));
    let restart_done = t0.elapsed();
    // Wait for readiness, then measure a calm period.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready_log.lock().unwrap().last().is_some_and(|(_, ok)| *ok) {
        assert!(Instant::now() < deadline, "readiness did not come back within 30 s of the restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    restarted.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    prober.await.unwrap();

    let ready = ready_log.lock().unwrap().clone();
    let red: Vec<&(Duration, bool)> = ready.iter().filter(|(_, ok)| !ok).collect();
    let during = std::mem::take(&mut *tally.lock().unwrap());
    let after = std::mem::take(&mut *after_restart.lock().unwrap());
    println!("| measure | value |\n|---|---|");
    println!("| restart command returned at | {:.1} s |", restart_done.as_secs_f64());
    println!(
        "| readiness red | {} samples of {} ({:.1} s to {:.1} s) |",
        red.len(),
        ready.len(),
        red.first().map(|r| r.0.as_secs_f64()).unwrap_or(0.0),
        red.last().map(|r| r.0.as_secs_f64()).unwrap_or(0.0)
    );
    println!(
        "| before and during: ok / 503 database-unavailable / other | {} / {} / {} |",
        during.ok,
        during.unavailable,
        during.other_errors.len()
    );
    println!("| slowest answer before and during | {:.0} ms |", during.slowest.as_secs_f64() * 1000.0);
    println!("| after: ok / 503 / other | {} / {} / {} |", after.ok, after.unavailable, after.other_errors.len());

    // Nothing acknowledged is lost.
    let owner_view = |id: String| {
        let (h, s, t) = (http.clone(), server.clone(), owner.clone());
        async move {
            h.get(s.url(&format!("/v1/shares/{id}")))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let mut lost = 0;
    let acknowledged: Vec<String> =
        during.acknowledged_shares.iter().chain(&after.acknowledged_shares).cloned().collect();
    let redeemed: Vec<String> = during.redeemed_shares.iter().chain(&after.redeemed_shares).cloned().collect();
    for id in &acknowledged {
        let share = owner_view(id.clone()).await;
        if share["share_id"] != id.as_str() || (redeemed.contains(id) && share["state"] != "used") {
            lost += 1;
        }
    }
    println!("| shares acknowledged / redeemed / lost | {} / {} / {lost} |", acknowledged.len(), redeemed.len());

    let mut failures = Vec::new();
    if red.is_empty() {
        failures.push("readiness never went red".to_string());
    }
    if !during.other_errors.is_empty() {
        failures.push(format!("unclean failures: {:?}", &during.other_errors[..during.other_errors.len().min(5)]));
    }
    if !after.other_errors.is_empty() || after.unavailable > 0 || after.ok == 0 {
        failures.push(format!(
            "after the restart: {} ok, {} unavailable, {:?}",
            after.ok, after.unavailable, after.other_errors
        ));
    }
    if lost > 0 {
        failures.push(format!("{lost} acknowledged shares lost or not marked used"));
    }
    if failures.is_empty() {
        println!("\npg-restart: passed");
    } else {
        eprintln!("\npg-restart: FAILED\n{}", failures.join("\n"));
        std::process::exit(1);
    }
}
