//! Benchmark: OTP verify and EDS verify throughput and latency against the real server binary, beside an
//! empty route measured in the same run. Run it with `bash tests/bench.sh auth` (release build), on
//! SQLite by default or on PostgreSQL with `EGOV_TEST_DATABASE=postgres://...`.

use harness::flows::{CITIZEN_2, enrol_device, login_otp};
use harness::load::{
    Bench, answered, client_address as addr, closed_loop, insert_citizens, open_loop, synthetic_citizen,
};
use harness::{Server, Value, json};
use std::sync::{Arc, Mutex};

#[tokio::main]
async fn main() {
    let bench = Bench::start().await;
    let (n, concurrency, rate) = (bench.n, bench.concurrency, bench.rate);
    let (place, server, http) = (&bench.place, bench.server.clone(), bench.http.clone());

    // Setup (not measured): n citizens in the Mobile Citizens Database.
    let db = place.sql().await;
    insert_citizens(&db, n).await;

    // Setup: a flow per citizen and its code from the dev outbox.
    let flows = Arc::new(Mutex::new(vec![String::new(); n]));
    let (h, s, f) = (http.clone(), server.clone(), flows.clone());
    let starts = closed_loop("POST /v1/auth/otp/start", n, concurrency, move |i| {
        let (h, url, f) = (h.clone(), s.url("/v1/auth/otp/start"), f.clone());
        async move {
            let Ok(r) = h
                .post(url)
                .header("x-forwarded-for", addr(i))
                .json(&json!({"phone": synthetic_citizen(i).phone}))
                .send()
                .await
            else {
                return false;
            };
            let ok = r.status() == 202;
            let body: Value = r.json().await.unwrap_or_default();
            f.lock().unwrap()[i] = body["flow_id"].as_str().unwrap_or_default().to_string();
            ok
        }
    })
    .await;
    let codes = Arc::new(Mutex::new(vec![String::new(); n]));
    let (h, s, c) = (http.clone(), server.clone(), codes.clone());
    closed_loop("read codes", n, concurrency, move |i| {
        let (h, url, c) = (h.clone(), s.url("/dev/sms-outbox"), c.clone());
        async move {
            let Ok(r) = h.get(url).query(&[("phone", synthetic_citizen(i).phone)]).send().await else { return false };
            let msgs: Value = r.json().await.unwrap_or_default();
            let text = msgs[0]["text"].as_str().unwrap_or_default().to_string();
            let code: String = text.chars().skip_while(|ch| !ch.is_ascii_digit()).take(6).collect();
            c.lock().unwrap()[i] = code;
            true
        }
    })
    .await;

    let verify = |h: reqwest::Client, s: Arc<Server>, f: Arc<Mutex<Vec<String>>>, c: Arc<Mutex<Vec<String>>>| {
        move |i: usize| {
            let (h, url) = (h.clone(), s.url("/v1/auth/otp/verify"));
            let body = json!({"flow_id": f.lock().unwrap()[i], "code": c.lock().unwrap()[i]});
            async move { answered(h.post(url).header("x-forwarded-for", addr(i)).json(&body), 200).await }
        }
    };
    let half = n / 2;
    let otp_closed = closed_loop(
        "POST /v1/auth/otp/verify (closed loop)",
        half,
        concurrency,
        verify(http.clone(), server.clone(), flows.clone(), codes.clone()),
    )
    .await;
    let v = verify(http.clone(), server.clone(), flows.clone(), codes.clone());
    let otp_open =
        open_loop(&format!("POST /v1/auth/otp/verify (open loop, {rate:.0}/s)"), n - half, rate, move |i| v(half + i))
            .await;

    // EDS: one enrolled device, a challenge per request (prepared and signed beforehand).
    let tokens = login_otp(&server, CITIZEN_2.0).await;
    let (device, device_id, _) = enrol_device(&server, &tokens).await;
    let answers = Arc::new(Mutex::new(vec![Value::Null; n]));
    let device = Arc::new(device);
    let (h, s, a, d, id) = (http.clone(), server.clone(), answers.clone(), device.clone(), device_id.clone());
    closed_loop("POST /v1/auth/eds/challenge", n, concurrency, move |i| {
        let (h, url, a, d, id) = (h.clone(), s.url("/v1/auth/eds/challenge"), a.clone(), d.clone(), id.clone());
        async move {
            let Ok(r) = h.post(url).header("x-forwarded-for", addr(i)).json(&json!({"iin": CITIZEN_2.1})).send().await
            else {
                return false;
            };
            let ch: Value = r.json().await.unwrap_or_default();
            let sig = d.sign_b64(ch["message"].as_str().unwrap_or_default());
            a.lock().unwrap()[i] = json!({"challenge_id": ch["challenge_id"], "key_id": id, "signature": sig});
            true
        }
    })
    .await;
    let eds = |h: reqwest::Client, s: Arc<Server>, a: Arc<Mutex<Vec<Value>>>| {
        move |i: usize| {
            let (h, url) = (h.clone(), s.url("/v1/auth/eds/verify"));
            let body = a.lock().unwrap()[i].clone();
            async move { answered(h.post(url).header("x-forwarded-for", addr(n + i)).json(&body), 200).await }
        }
    };
    let eds_closed = closed_loop(
        "POST /v1/auth/eds/verify (closed loop)",
        half,
        concurrency,
        eds(http.clone(), server.clone(), answers.clone()),
    )
    .await;
    let e = eds(http.clone(), server.clone(), answers.clone());
    let eds_open =
        open_loop(&format!("POST /v1/auth/eds/verify (open loop, {rate:.0}/s)"), n - half, rate, move |i| e(half + i))
            .await;
    drop(device);

    bench.report("Sign-in", &[starts, otp_closed, otp_open, eds_closed, eds_open]);
}
