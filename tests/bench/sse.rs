//! Benchmark: many browsers waiting for a website login at once on one replica, over SSE. Creates
//! `EGOV_BENCH_WAITERS` (default 10 000) login requests, opens every one's event stream with its poll
//! secret, waits until each stream has delivered its first event (the QR), and reports the server's
//! resident memory before and after: the memory one waiter costs. While they all wait it measures the
//! empty route again, and finally approves one request to show a waiter still gets its login.
//! Run by `bash tests/bench.sh sse [postgres]` (which raises the open-file limit first).

use harness::flows::{CITIZEN_1, login_otp};
use harness::load::{Bench, answered, client_address as forwarded_for, closed_loop, env_usize};
use harness::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, watch};

/// The server's resident memory in KiB (VmRSS).
fn rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server's /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

#[tokio::main]
async fn main() {
    let waiters = env_usize("EGOV_BENCH_WAITERS", 10_000);
    let bench = Bench::start().await;
    let (server, http) = (bench.server.clone(), bench.http.clone());
    let pid = server.pid();

    // The browsers' login requests, each from its own address (the per-IP limit is 300 a minute).
    let created: Arc<Vec<std::sync::Mutex<(String, String, Value)>>> =
        Arc::new((0..waiters).map(|_| std::sync::Mutex::new(Default::default())).collect());
    let (h, s, c) = (http.clone(), server.clone(), created.clone());
    let create = closed_loop("POST /v1/web-login/requests", waiters, bench.concurrency, move |i| {
        let (h, url, c) = (h.clone(), s.url("/v1/web-login/requests"), c.clone());
        async move {
            let origin = url.trim_end_matches("/v1/web-login/requests").to_string();
            let request = h.post(url).header("x-forwarded-for", forwarded_for(i)).header("origin", origin);
            let Ok(r) = request.send().await else { return false };
            let poll = r.headers().get("x-poll-secret").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let ok = r.status() == 201;
            let body: Value = r.json().await.unwrap_or_default();
            *c[i].lock().unwrap() = (body["request_id"].as_str().unwrap_or("").to_string(), poll, body);
            ok
        }
    })
    .await;

    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = rss_kib(pid);

    // Every browser opens its stream and keeps it open until told to leave.
    let (leave, left) = watch::channel(false);
    let ready = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let connecting = Arc::new(Semaphore::new(256));
    let streams = reqwest::Client::builder().no_proxy().build().expect("client");
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(waiters);
    for i in 0..waiters {
        let (id, poll, _) = created[i].lock().unwrap().clone();
        let (client, url) = (streams.clone(), server.url(&format!("/v1/web-login/requests/{id}/events")));
        let (ready, failed, connecting, mut left) = (ready.clone(), failed.clone(), connecting.clone(), left.clone());
        tasks.push(tokio::spawn(async move {
            let permit = connecting.acquire_owned().await.expect("semaphore");
            let Ok(mut response) = client.get(url).header("x-poll-secret", poll).send().await else {
                failed.fetch_add(1, Ordering::Relaxed);
                return;
            };
            let mut seen = String::new();
            while !seen.contains("\n\n") {
                match response.chunk().await {
                    Ok(Some(bytes)) => seen.push_str(&String::from_utf8_lossy(&bytes)),
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                }
            }
            drop(permit);
            ready.fetch_add(1, Ordering::Relaxed);
            // Hold the stream (reading keep-alives) until the benchmark ends.
            loop {
                tokio::select! {
                    _ = left.changed() => return,
                    chunk = response.chunk() => if !matches!(chunk, Ok(Some(_))) { return },
                }
            }
        }));
    }
    while ready.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) < waiters {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let opened_in = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(pid);
    let open = ready.load(Ordering::Relaxed);

    // The empty route while every waiter is connected.
    let (h, s) = (http.clone(), server.clone());
    let loaded = closed_loop("GET /healthz while all waiters are connected", 2000, bench.concurrency, move |_| {
        let (h, url) = (h.clone(), s.url("/healthz"));
        answered(h.get(url), 200)
    })
    .await;

    // A waiter still gets its login: a citizen scans the first request's current QR and approves it.
    let (id, _, request) = created[0].lock().unwrap().clone();
    let citizen = login_otp(&server, CITIZEN_1.0).await["access_token"].as_str().unwrap().to_string();
    let (qr_url, check_code) = (request["qr_url"].clone(), request["check_code"].clone());
    let scan = http
        .post(server.url("/v1/web-login/scan"))
        .bearer_auth(&citizen)
        .json(&json!({"qr_url": qr_url}))
        .send()
        .await
        .unwrap();
    let approve = http
        .post(server.url(&format!("/v1/web-login/requests/{id}/approve")))
        .bearer_auth(&citizen)
        .json(&json!({"check_code": check_code}))
        .send()
        .await
        .unwrap();
    let approved = scan.status() == 200 && approve.status() == 200;

    let _ = leave.send(true);
    for t in tasks {
        let _ = t.await;
    }

    bench.report("Website login: requests for the waiters", &[create, loaded]);
    let per_waiter = (after.saturating_sub(before)) as f64 / open.max(1) as f64;
    println!("\n### {waiters} SSE waiters on one replica ({})\n", bench.backend);
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| streams open (first event received) | {open} of {waiters} ({} failed) |",
        failed.load(Ordering::Relaxed)
    );
    println!("| time to open them all (256 connecting at a time) | {:.1} s |", opened_in.as_secs_f64());
    println!("| server RSS before the streams | {:.1} MiB |", before as f64 / 1024.0);
    println!("| server RSS with every stream open | {:.1} MiB |", after as f64 / 1024.0);
    println!("| memory per waiter | {per_waiter:.1} KiB |");
    println!("| memory for {waiters} waiters | {:.1} MiB |", after.saturating_sub(before) as f64 / 1024.0);
    println!("| a waiter approved by a citizen while all wait | {} |", if approved { "yes" } else { "no" });
    if open < waiters || !approved {
        eprintln!("not every waiter got its stream, or the approval failed");
        std::process::exit(1);
    }
}
