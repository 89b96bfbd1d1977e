//! Benchmark: share creation and redemption (one conditional UPDATE decides the winner) against the real
//! server binary, beside an empty route measured in the same run. `tests/bench.sh sharing postgres` also
//! runs raw `pgbench` on the same PostgreSQL: of the server's own redemption statements (prepared here, see
//! [`pgbench_redemption`]) and of a bare single-row conditional UPDATE.

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
    // For the pgbench comparisons in bench.sh.
    println!("\nREDEEM_RPS={redeem_rps:.0}");
    if let (Some(url), Ok(prefix)) = (&bench.place.database_url, std::env::var("EGOV_BENCH_PGBENCH_SCRIPTS")) {
        let shares = pgbench_redemption(&bench, &prefix).await;
        println!("PGBENCH_URL={url}\nPGBENCH_SHARES={shares}");
    }
}

/// Prepares pgbench's replay of the server's own redemption statements on this run's database: writes two
/// scripts (`egov_server::store::sharing::redemption_pgbench_statements`, with the owner, redeemer and
/// history entry of a redemption the HTTP run made), `{prefix}.redeem.sql` with both statements and
/// `{prefix}.claim.sql` with the claim alone, and adds n fresh live shares of the same document whose token
/// hashes are `sha256(int8send(1..=n))`, the hash the scripts present. Returns n.
async fn pgbench_redemption(bench: &Bench, prefix: &str) -> i64 {
    use sqlx::Row;
    const SHARES: i64 = 2_000_000;
    let db = bench.place.sql().await;
    let row = sqlx::query(
        "SELECT s.id, s.owner_id, s.redeemer_kind, s.redeemer_id, s.redeemer_name, h.detail
         FROM shares s JOIN history h ON h.citizen_id = s.owner_id AND h.kind = 'share_viewed'
         WHERE s.redeemed_at IS NOT NULL AND h.detail LIKE '%' || s.id || '%' LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .expect("a redemption of the HTTP run");
    let (share, owner): (String, String) = (row.get(0), row.get(1));
    let (kind, id, name): (String, String, String) = (row.get(2), row.get(3), row.get(4));
    let entry: Value = serde_json::from_str(&row.get::<String, _>(5)).expect("a history entry is JSON");
    let redeemer = egov_server::store::sharing::RedeemerRef { kind: &kind, id: &id, name: &name };
    let now_ms = chrono::Utc::now().timestamp_millis();
    let [read, claim] = egov_server::store::sharing::redemption_pgbench_statements(&owner, &redeemer, entry, now_ms);
    let pick = "\\set id random(1, :shares)";
    for (name, script) in [("redeem", format!("{pick}\n{read};\n{claim};\n")), ("claim", format!("{pick}\n{claim};\n"))]
    {
        std::fs::write(format!("{prefix}.{name}.sql"), script).expect("write a pgbench script");
    }
    sqlx::query(
        "INSERT INTO shares (id, owner_id, document_id, token_hash, preset, created_at, expires_at)
         SELECT 'pgbench-' || g, s.owner_id, s.document_id, sha256(int8send(g)), s.preset, s.created_at, $1
         FROM generate_series(CAST(1 AS BIGINT), $2) g, shares s WHERE s.id = $3",
    )
    .bind(now_ms + 3_600_000)
    .bind(SHARES)
    .bind(&share)
    .execute(&db)
    .await
    .expect("insert pgbench's shares");
    sqlx::query("ANALYZE").execute(&db).await.expect("analyze");
    SHARES
}
