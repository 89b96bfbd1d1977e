//! A small load engine for the benchmarks: closed-loop runs (N workers, as fast as the server answers)
//! and open-loop runs (a fixed arrival rate, latency measured from the scheduled send time so a slow
//! server cannot hide its queueing: no coordinated omission).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Sends `request` and tells whether the answer has `status`. The body is read to its end, as a real
/// client reads it: an unread body would close the connection and make every request pay a new one.
pub async fn answered(request: reqwest::RequestBuilder, status: u16) -> bool {
    match request.send().await {
        Ok(r) => r.status() == status && r.bytes().await.is_ok(),
        Err(_) => false,
    }
}

/// A distinct client address per request, for a server that trusts `X-Forwarded-For` in a benchmark, so
/// the per-IP limits do not turn it into a 429 benchmark. Header values only: no traffic goes there.
pub fn client_address(i: usize) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

/// The IIN of the first eleven digits with core's check digit appended, or `None` when no check digit
/// exists for them (such a number is never issued). Core's rule, not a copy of it.
pub fn iin_with_check(first_eleven: &str) -> Option<String> {
    let digits: [u8; 11] = first_eleven.bytes().map(|b| b - b'0').collect::<Vec<_>>().try_into().ok()?;
    egov_core::identity::check_digit(&digits).map(|c| format!("{first_eleven}{c}"))
}

/// Synthetic citizen `i` of a benchmark: its id, IIN and phone.
pub struct SyntheticCitizen {
    pub id: String,
    pub iin: String,
    pub phone: String,
}

pub fn synthetic_citizen(i: usize) -> SyntheticCitizen {
    SyntheticCitizen {
        id: format!("load-{i}"),
        // Born 1 January 1990; the serials without a check digit move to 2 January, where no other
        // synthetic citizen is, so every IIN is valid and each one unique.
        iin: iin_with_check(&format!("900101{:05}", i % 100_000))
            .or_else(|| iin_with_check(&format!("900102{:05}", i % 100_000)))
            .expect("a serial has a check digit on one of two birth dates"),
        phone: format!("+7705{i:07}"),
    }
}

/// Writes synthetic citizens `0..n` straight to the database (benchmark setup, not measured).
pub async fn insert_citizens(db: &sqlx::AnyPool, n: usize) {
    let mut tx = db.begin().await.unwrap();
    for i in 0..n {
        let c = synthetic_citizen(i);
        sqlx::query(
            "INSERT INTO citizens (id, iin, phone, surname, given_name, surname_lat, given_name_lat, birth_date, sex, created_at)
             VALUES ($1, $2, $3, 'Жүктеме', 'Азамат', 'ZHUKTEME', 'AZAMAT', '1990-01-01', 'male', 0)",
        )
        .bind(&c.id)
        .bind(&c.iin)
        .bind(&c.phone)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct Stats {
    pub label: String,
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
}

impl Stats {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn from(label: &str, mut latencies: Vec<Duration>, errors: usize, elapsed: Duration) -> Stats {
        latencies.sort();
        let pick = |q: f64| {
            latencies.get(((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1)).copied().unwrap_or_default()
        };
        Stats {
            label: label.to_string(),
            requests: latencies.len(),
            errors,
            elapsed,
            p50: pick(0.50),
            p95: pick(0.95),
            p99: pick(0.99),
        }
    }

    /// One Markdown table row; ratios against `baseline` when given.
    pub fn row(&self, baseline: Option<&Stats>) -> String {
        let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1000.0);
        let ratio = baseline.map(|b| format!("{:.3}", self.rps() / b.rps())).unwrap_or_else(|| "1".into());
        let p99_ratio = baseline
            .map(|b| format!("{:.1}", self.p99.as_secs_f64() / b.p99.as_secs_f64()))
            .unwrap_or_else(|| "1".into());
        format!(
            "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {} |",
            self.label,
            self.requests,
            self.errors,
            self.rps(),
            ms(self.p50),
            ms(self.p95),
            ms(self.p99),
            ratio,
            p99_ratio
        )
    }
}

/// The header of [`Stats::row`] tables.
pub const TABLE_HEADER: &str = "| step | requests | errors | req/s | p50 ms | p95 ms | p99 ms | req/s ÷ baseline | p99 ÷ baseline |\n|---|---|---|---|---|---|---|---|---|";

/// Runs `call(i)` for i in 0..n on `concurrency` workers as fast as possible. `call` returns whether the
/// answer was the expected one.
pub async fn closed_loop<F, Fut>(label: &str, n: usize, concurrency: usize, call: F) -> Stats
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (call, next) = (call.clone(), next.clone());
            tokio::spawn(async move {
                let mut out = (Vec::new(), 0usize);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return out;
                    }
                    let t = Instant::now();
                    let ok = call(i).await;
                    out.0.push(t.elapsed());
                    out.1 += usize::from(!ok);
                }
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::with_capacity(n), 0);
    for w in workers {
        let (l, e) = w.await.expect("worker");
        latencies.extend(l);
        errors += e;
    }
    Stats::from(label, latencies, errors, started.elapsed())
}

/// Sends `call(i)` for i in 0..n at `rate` per second whatever the answers' speed; each latency counts
/// from the instant the request was due.
pub async fn open_loop<F, Fut>(label: &str, n: usize, rate: f64, call: F) -> Stats
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let call = Arc::new(call);
    let started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let due = started + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let ok = call(i).await;
            (due.elapsed(), ok)
        }));
    }
    let (mut latencies, mut errors) = (Vec::with_capacity(n), 0);
    for t in tasks {
        let (l, ok) = t.await.expect("request task");
        latencies.push(l);
        errors += usize::from(!ok);
    }
    Stats::from(label, latencies, errors, started.elapsed())
}

/// The common frame of a benchmark binary: its size knobs (`EGOV_BENCH_N`, `EGOV_BENCH_CONCURRENCY`,
/// `EGOV_BENCH_RATE`), a release server on the suite's database trusting `X-Forwarded-For` (so per-IP
/// limits stay out of the measurement), an HTTP client, and the empty-route baseline of the same run.
pub struct Bench {
    pub n: usize,
    pub concurrency: usize,
    pub rate: f64,
    pub backend: &'static str,
    pub place: crate::DataPlace,
    pub server: Arc<crate::Server>,
    pub http: reqwest::Client,
    pub baseline: Stats,
}

/// A benchmark knob from the environment, or its default.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A benchmark's server: trusting `X-Forwarded-For` (see [`client_address`]), quiet logs.
fn server_options() -> crate::Options {
    crate::Options::default().arg("--trusted-proxies").arg("127.0.0.1").env("RUST_LOG", "warn")
}

impl Bench {
    pub async fn start() -> Bench {
        let n = env_usize("EGOV_BENCH_N", 2000);
        let concurrency = env_usize("EGOV_BENCH_CONCURRENCY", 32);
        let rate = env_usize("EGOV_BENCH_RATE", 500) as f64;
        let place = crate::DataPlace::fresh().await;
        let backend = if place.database_url.is_some() { "PostgreSQL" } else { "SQLite" };
        let server =
            Arc::new(crate::Server::start_on(&place, server_options()).await.unwrap_or_else(|e| panic!("{e}")));
        let http = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(256).build().expect("client");
        let (h, s) = (http.clone(), server.clone());
        let baseline = closed_loop("GET /healthz (baseline, empty route)", n * 2, concurrency, move |_| {
            let (h, url) = (h.clone(), s.url("/healthz"));
            answered(h.get(url), 200)
        })
        .await;
        Bench { n, concurrency, rate, backend, place, server, http, baseline }
    }

    /// Another replica on the same database, with the first one's public URL (what QR codes carry), as
    /// behind a load balancer.
    pub async fn replica(&self) -> Arc<crate::Server> {
        let options = server_options().arg("--public-url").arg(&self.server.base);
        Arc::new(crate::Server::start_on(&self.place, options).await.unwrap_or_else(|e| panic!("{e}")))
    }

    /// Prints the table (baseline first) and exits non-zero when any request got an unexpected answer.
    pub fn report(&self, title: &str, rows: &[Stats]) {
        println!(
            "\n### {title} on {} (n = {}, closed-loop concurrency {}, open-loop rate {:.0}/s)\n",
            self.backend, self.n, self.concurrency, self.rate
        );
        println!("{TABLE_HEADER}");
        println!("{}", self.baseline.row(None));
        for r in rows {
            println!("{}", r.row(Some(&self.baseline)));
        }
        let failed: usize = rows.iter().map(|r| r.errors).sum::<usize>() + self.baseline.errors;
        if failed > 0 {
            eprintln!("{failed} requests did not get the expected answer");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The benchmarks' helper once had its own copy of the check digit, which had drifted: 826 of
    /// 100 000 synthetic IINs failed core's check. Every one passes now, and none repeats.
    #[test]
    fn every_synthetic_citizens_iin_passes_cores_check_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..100_000 {
            let iin = synthetic_citizen(i).iin;
            assert!(egov_core::identity::Iin::parse(&iin).is_ok(), "{i}: {iin}");
            assert!(seen.insert(iin), "{i} repeats");
        }
    }
}
