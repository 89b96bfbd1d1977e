//! Benchmark: share creation and redemption (one conditional UPDATE decides the winner) against the real
//! server binary, beside an empty route measured in the same run. `tests/bench.sh sharing postgres` also
//! runs raw `pgbench` of the equivalent single-row conditional UPDATE on the same PostgreSQL.

use harness::flows::{CITIZEN_1, login_otp, org_token};
use harness::load::{Bench, answered, closed_loop, open_loop};
use harness::{Server, Value, json};
use std::sync::{Arc, Mutex};

#[tokio::main]
async fn main() {
    let bench = Bench::start().await;
    let (n, concurrency, rate) = (bench.n, bench.concurrency, bench.rate);
    let (server, http) = (bench.server.clone(), bench.http.clone());
    let owner = login_otp(&server, CITIZEN_1.0).await["access_token"].as_str().unwrap().to_string();
    let verifier = org_token(&server, "demo-verifier", "demo-verifier-secret").await;
    let docs: Value =
        http.get(server.url("/v1/documents")).bearer_auth(&owner).send().await.unwrap().json().await.unwrap();
    let doc = docs["documents"].as_array().unwrap().iter().find(|d| d["kind"] == "national_id").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let urls = Arc::new(Mutex::new(vec![String::new(); n]));
    let (h, s, u, t) = (http.clone(), server.clone(), urls.clone(), owner.clone());
    let create = closed_loop("POST /v1/documents/{id}/shares", n, concurrency, move |i| {
        let (h, url, u, t) = (h.clone(), s.url(&format!("/v1/documents/{doc}/shares")), u.clone(), t.clone());
        async move {
            let Ok(r) = h.post(url).bearer_auth(t).send().await else { return false };
            let ok = r.status() == 201;
            let body: Value = r.json().await.unwrap_or_default();
            u.lock().unwrap()[i] = body["qr_url"].as_str().unwrap_or_default().to_string();
            ok
        }
    })
    .await;

    let redeem = |h: reqwest::Client, s: Arc<Server>, u: Arc<Mutex<Vec<String>>>, t: String| {
        move |i: usize| {
            let (h, url, t) = (h.clone(), s.url("/v1/shares/redeem"), t.clone());
            let body = json!({"qr_url": u.lock().unwrap()[i]});
            answered(h.post(url).bearer_auth(t).json(&body), 200)
        }
    };
    let half = n / 2;
    let closed = closed_loop(
        "POST /v1/shares/redeem (closed loop)",
        half,
        concurrency,
        redeem(http.clone(), server.clone(), urls.clone(), verifier.clone()),
    )
    .await;
    let r = redeem(http.clone(), server.clone(), urls.clone(), verifier.clone());
    let open =
        open_loop(&format!("POST /v1/shares/redeem (open loop, {rate:.0}/s)"), n - half, rate, move |i| r(half + i))
            .await;

    let redeem_rps = closed.rps();
    bench.report("Sharing", &[create, closed, open]);
    // For the pgbench comparison in bench.sh.
    println!(
        "
REDEEM_RPS={redeem_rps:.0}"
    );
}
