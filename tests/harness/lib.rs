//! The end-to-end harness: starts the real `egov-server` binary on a fresh database and talks to it over
//! HTTP, as the app, the website and third parties do.
//!
//! The database comes from `EGOV_TEST_DATABASE`: unset (or `sqlite`) gives each server its own embedded
//! SQLite file in a temporary data directory; a `postgres://` URL gives each test its own schema in that
//! database (the test script creates a fresh database per run). Every test runs unchanged on both.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub mod load;

pub use reqwest;
pub use serde_json::{Value, json};

/// Which database the suite runs on.
#[derive(Debug, Clone)]
pub enum Database {
    Sqlite,
    Postgres { url: String },
}

impl Database {
    pub fn from_env() -> Database {
        match std::env::var("EGOV_TEST_DATABASE") {
            Ok(url) if url.starts_with("postgres") => Database::Postgres { url },
            Ok(v) if v.is_empty() || v == "sqlite" => Database::Sqlite,
            Ok(other) => panic!("EGOV_TEST_DATABASE must be unset, 'sqlite' or a postgres:// URL, not {other:?}"),
            Err(_) => Database::Sqlite,
        }
    }
}

/// Where a deployment keeps its data: a data directory and, on PostgreSQL, a database URL bound to a
/// schema of its own. Replicas and restarts share one.
#[derive(Debug, Clone)]
pub struct DataPlace {
    pub dir: PathBuf,
    pub database_url: Option<String>,
}

impl DataPlace {
    /// A new, empty place on the suite's database.
    pub async fn fresh() -> DataPlace {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("egov-e2e-{id}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let database_url = match Database::from_env() {
            Database::Sqlite => None,
            Database::Postgres { url } => {
                let schema = format!("t_{id}");
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect to the test PostgreSQL");
                sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.expect("create schema");
                let sep = if url.contains('?') { '&' } else { '?' };
                Some(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
            }
        };
        DataPlace { dir, database_url }
    }

    /// Runs a statement directly on this place's database (to set up or inspect state a test needs).
    pub async fn sql(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        let url = match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.dir.join("egov.sqlite3").display()),
        };
        sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&url).await.expect("connect to the test database")
    }
}

/// The server binary, built once per test process in the same profile as the tests.
pub fn server_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        // Tests live in target/<profile>/deps, benchmark binaries in target/<profile>.
        let mut profile_dir = exe.parent().expect("target/<profile>");
        if profile_dir.file_name().is_some_and(|n| n == "deps") {
            profile_dir = profile_dir.parent().expect("target/<profile>");
        }
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "--quiet", "-p", "egov-server", "--bin", "egov-server"]);
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build for egov-server");
        assert!(status.success(), "building egov-server failed");
        profile_dir.join("egov-server")
    })
}

/// Options of one server process.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl Options {
    pub fn arg(mut self, a: &str) -> Self {
        self.args.push(a.to_string());
        self
    }
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.to_string(), v.to_string()));
        self
    }
}

/// An ES256 key as a PKCS#8 PEM file in `dir`; its path.
pub fn write_pem_key(dir: &Path, name: &str) -> String {
    use base64::Engine;
    let rng = ring::rand::SystemRandom::new();
    let der =
        ring::signature::EcdsaKeyPair::generate_pkcs8(&ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let path = dir.join(name);
    std::fs::write(&path, format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n")).unwrap();
    path.display().to_string()
}

/// Prod mode with keys of its own on `place` (token, document and HMAC keys) and an SMS provider URL that
/// answers nothing; every other adapter is the caller's to add.
pub fn prod_keys(place: &DataPlace) -> Options {
    use base64::Engine;
    let hmac = place.dir.join("hmac.key");
    std::fs::write(&hmac, base64::engine::general_purpose::STANDARD.encode([7u8; 32])).unwrap();
    Options::default()
        .arg("--mode")
        .arg("prod")
        .env("EGOV_TOKEN_KEY_FILES", &write_pem_key(&place.dir, "token.pem"))
        .env("EGOV_DOCUMENT_KEY_FILES", &write_pem_key(&place.dir, "document.pem"))
        .env("EGOV_HMAC_KEY_FILE", &hmac.display().to_string())
        .env("EGOV_SMS_HTTP_URL", "http://127.0.0.1:9/sms")
}

/// Runs an operator's command (`egov-server clients ...`) on `place` with the environment of `options`,
/// as an operator would on the machine of a replica; its output.
pub fn operator(place: &DataPlace, options: &Options, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(server_binary());
    cmd.arg("--data-dir").arg(&place.dir).args(&options.args).args(args);
    cmd.env_remove("DATABASE_URL").env_remove("EGOV_MODE").env("RUST_LOG", "warn");
    if let Some(url) = &place.database_url {
        cmd.env("DATABASE_URL", url);
    }
    for (k, v) in &options.env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).output().expect("run egov-server")
}

/// A running server process (killed when dropped).
pub struct Server {
    child: Child,
    pub base: String,
    pub place: DataPlace,
    pub stdout_banner: String,
    log: PathBuf,
}

impl Server {
    /// A dev-mode server on a fresh database.
    pub async fn start() -> Server {
        Server::start_on(&DataPlace::fresh().await, Options::default()).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// A server on an existing place (a restart, or another replica).
    pub async fn start_on(place: &DataPlace, options: Options) -> Result<Server, String> {
        let log = place.dir.join(format!("server-{}.log", uuid::Uuid::new_v4().simple()));
        let stderr = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let mut cmd = Command::new(server_binary());
        cmd.arg("--bind").arg("127.0.0.1:0").arg("--data-dir").arg(&place.dir);
        cmd.args(&options.args);
        cmd.env_remove("DATABASE_URL").env_remove("EGOV_MODE").env("RUST_LOG", "info,sqlx=warn");
        if let Some(url) = &place.database_url {
            cmd.env("DATABASE_URL", url);
        }
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::from(stderr)).stdin(Stdio::null()).kill_on_drop(true);
        // The server dies with the process that started it, even one that ends with `process::exit` (no
        // destructors) or is killed: no orphan keeps a port or a database busy.
        // SAFETY: prctl(PR_SET_PDEATHSIG) is async-signal-safe and touches no memory of the parent.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| format!("spawn egov-server: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut banner = String::new();
        let found = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                banner.push_str(&line);
                banner.push('\n');
                if let Some(addr) = line.strip_prefix("listening on ") {
                    return Some(addr.trim().to_string());
                }
            }
            None
        })
        .await;
        let Ok(Some(base)) = found else {
            let _ = child.start_kill();
            let status = child.wait().await.ok();
            let log_text = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!("egov-server did not start (exit {status:?}); stdout:\n{banner}\nlog:\n{log_text}"));
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server { child, base, place: place.clone(), stdout_banner: banner, log })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn pid(&self) -> i32 {
        self.child.id().map(|p| p as i32).unwrap_or(-1)
    }

    /// The server's log so far (stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        // SAFETY: kill(2) with a pid of our own child and a valid signal number has no memory effects.
        unsafe {
            libc::kill(self.pid(), libc::SIGTERM);
        }
    }

    /// Sends SIGKILL: the process dies mid-request, as in a crash or an OOM kill.
    pub async fn kill9(mut self) {
        // SAFETY: kill(2) with a pid of our own child and a valid signal number has no memory effects.
        unsafe {
            libc::kill(self.pid(), libc::SIGKILL);
        }
        self.wait(Duration::from_secs(10)).await.expect("a killed server is gone within 10 s");
    }

    /// Waits for the process to exit (at most `within`).
    pub async fn wait(&mut self, within: Duration) -> Option<ExitStatus> {
        tokio::time::timeout(within, self.child.wait()).await.ok().and_then(Result::ok)
    }

    /// SIGTERM, then wait for a clean exit.
    pub async fn stop(mut self) -> ExitStatus {
        self.sigterm();
        self.wait(Duration::from_secs(30)).await.expect("server exits within 30 s of SIGTERM")
    }
}

/// An HTTP client for tests (no proxy, short timeouts).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().expect("client")
}

/// Reads a JSON body, failing the test with the status and body text when it is not JSON.
pub async fn body_json(response: reqwest::Response) -> Value {
    let status = response.status();
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("status {status}: body is not JSON: {text}"))
}

/// Asserts a problem document of the given status and `type` slug, and returns it.
pub async fn expect_problem(response: reqwest::Response, status: u16, kind: &str) -> Value {
    let got = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = body_json(response).await;
    assert_eq!(got, status, "status; body {body}");
    assert_eq!(content_type, "application/problem+json", "content type; body {body}");
    assert_eq!(body["type"], format!("/problems/{kind}"), "problem type; body {body}");
    assert_eq!(body["status"], status, "status member; body {body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "a human detail; body {body}");
    body
}

/// Helpers that act as the app, the website and organisations do.
pub mod flows {
    use super::{Server, Value, body_json, client, json};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
    use std::time::Duration;

    /// The demo citizens of the fixture (phone, IIN, birth date).
    pub const CITIZEN_1: (&str, &str, &str) = ("+77010000001", "871008401427", "1987-10-08");
    pub const CITIZEN_2: (&str, &str, &str) = ("+77010000002", "900315301237", "1990-03-15");
    /// In the registry, not yet registered.
    pub const UNREGISTERED: (&str, &str) = ("850202301111", "1985-02-02");
    /// A valid mobile number that is not in the Mobile Citizens Database.
    pub const NOT_IN_MCD: &str = "+77019999999";

    /// A phone's hardware key, in software: ECDSA P-256, DER signatures (as Android Keystore gives).
    pub struct Device {
        pair: EcdsaKeyPair,
        pub public_key: String,
    }

    impl Device {
        pub fn new() -> Device {
            let rng = SystemRandom::new();
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
            let public_key = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
            Device { pair, public_key }
        }

        /// The body that completes `enrolment` with this key: the key and its signature over the enrolment
        /// message (proof of possession).
        pub fn completion(&self, enrolment: &Value, device_name: &str) -> Value {
            json!({
                "enrolment_token": enrolment["enrolment_token"],
                "public_key": self.public_key,
                "signature": self.sign_b64(enrolment["message"].as_str().expect("enrolment message")),
                "device_name": device_name,
            })
        }

        /// Signs the base64url message the server handed out; the signature as base64url.
        pub fn sign_b64(&self, message_b64: &str) -> String {
            let message = URL_SAFE_NO_PAD.decode(message_b64).expect("message is base64url");
            URL_SAFE_NO_PAD.encode(self.pair.sign(&SystemRandom::new(), &message).unwrap())
        }
    }

    impl Default for Device {
        fn default() -> Self {
            Device::new()
        }
    }

    pub async fn advance_clock(server: &Server, seconds: i64) {
        let r =
            client().post(server.url("/dev/clock/advance")).json(&json!({"seconds": seconds})).send().await.unwrap();
        assert_eq!(r.status(), 200, "advance the dev clock");
    }

    /// The dev outbox of a phone, newest first.
    pub async fn outbox(server: &Server, phone: &str) -> Vec<Value> {
        let r = client().get(server.url("/dev/sms-outbox")).query(&[("phone", phone)]).send().await.unwrap();
        body_json(r).await.as_array().cloned().unwrap_or_default()
    }

    fn ids(messages: &[Value]) -> Vec<String> {
        messages.iter().filter_map(|m| m["id"].as_str().map(String::from)).collect()
    }

    /// Waits (up to 5 s) for a message to `phone` that is not among `seen`, and returns it.
    pub async fn next_sms(server: &Server, phone: &str, seen: &[String]) -> Value {
        for _ in 0..100 {
            let fresh = outbox(server, phone)
                .await
                .into_iter()
                .find(|m| !seen.contains(&m["id"].as_str().unwrap_or("").to_string()));
            if let Some(m) = fresh.filter(|m| m["status"] == "delivered") {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no new SMS to {phone} within 5 s");
    }

    /// A state body's fine for the feed (`POST /v1/agency/fines`): 5 MCI for speeding, by an officer.
    pub fn fine_feed(protocol: &str, iin: &str, notice: &str) -> Value {
        json!({"protocol_number": protocol, "offender_iin": iin, "article": "592-1", "description": "Speeding by 10-20 km/h",
            "amount_mci": 5, "case_opened_on": notice, "recorded_by": "officer", "notice_date": notice, "delivered_on": null,
            "vehicle_plate": "777AAA02", "city": "Astana", "discount_excluded": null})
    }

    /// The first six consecutive digits of a text (an SMS code), if any.
    pub fn six_digits(text: &str) -> Option<String> {
        let chars: Vec<char> = text.chars().collect();
        chars.windows(6).find(|w| w.iter().all(char::is_ascii_digit)).map(|w| w.iter().collect())
    }

    /// The six digits in an SMS.
    pub fn code_in(sms: &Value) -> String {
        let text = sms["text"].as_str().expect("text");
        six_digits(text).unwrap_or_else(|| panic!("no code in {text:?}"))
    }

    /// Starts an OTP flow on `path` and returns (status, body, the code sent, if one arrives).
    pub async fn start_and_read_code(
        server: &Server,
        path: &str,
        phone: &str,
        bearer: Option<&str>,
    ) -> (Value, String) {
        let seen = ids(&outbox(server, phone).await);
        let mut req = client().post(server.url(path)).json(&json!({"phone": phone}));
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 202, "start {path}");
        let started = body_json(r).await;
        let sms = next_sms(server, phone, &seen).await;
        (started, code_in(&sms))
    }

    /// Signs in by SMS code; the tokens.
    pub async fn login_otp(server: &Server, phone: &str) -> Value {
        let (started, code) = start_and_read_code(server, "/v1/auth/otp/start", phone, None).await;
        let r = client()
            .post(server.url("/v1/auth/otp/verify"))
            .json(&json!({"flow_id": started["flow_id"], "code": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "otp verify");
        body_json(r).await
    }

    /// Trades the refresh token of `tokens` for new ones; the response.
    pub async fn refresh(server: &Server, tokens: &Value) -> reqwest::Response {
        let body = json!({"refresh_token": tokens["refresh_token"]});
        client().post(server.url("/v1/auth/refresh")).json(&body).send().await.unwrap()
    }

    /// What the app sends as identity evidence (the liveness session it completed); the dev server's demo
    /// verifier accepts any, the production one asks the biometric service.
    pub const DEMO_EVIDENCE: &str = "demo-liveness-session";

    /// Enrols a new device key for a citizen signed in with `tokens` (an SMS session) the way a new phone
    /// of a registered citizen must: identity re-proofing with evidence, then the hold, waited out on the
    /// dev clock. Returns (device, device id, an access token refreshed after the hold).
    pub async fn enrol_device(server: &Server, tokens: &Value) -> (Device, String, String) {
        let http = client();
        let access = tokens["access_token"].as_str().expect("access token");
        let r = http
            .post(server.url("/v1/me/devices/enrolment"))
            .bearer_auth(access)
            .json(&json!({"method": "identity", "evidence": DEMO_EVIDENCE}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "device enrolment");
        let enrolment = body_json(r).await;
        let device = Device::new();
        let body = device.completion(&enrolment, "Test phone");
        let r = http.post(server.url("/v1/me/devices")).bearer_auth(access).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 201, "device enrolled");
        let enrolled = body_json(r).await;
        assert_eq!(enrolled["status"], "on_hold", "a re-proofed key waits out its hold: {enrolled}");
        let id = enrolled["device_id"].as_str().unwrap().to_string();
        advance_clock(server, enrolment["hold_seconds"].as_i64().expect("hold_seconds") + 1).await;
        let r = refresh(server, tokens).await;
        assert_eq!(r.status(), 200, "refresh after the hold");
        let fresh = body_json(r).await["access_token"].as_str().unwrap().to_string();
        (device, id, fresh)
    }

    /// Signs in with the device key; the response.
    pub async fn eds_login(server: &Server, iin: &str, device: &Device, device_id: &str) -> reqwest::Response {
        let http = client();
        let challenge =
            body_json(http.post(server.url("/v1/auth/eds/challenge")).json(&json!({"iin": iin})).send().await.unwrap())
                .await;
        let body = json!({
            "challenge_id": challenge["challenge_id"],
            "key_id": device_id,
            "signature": device.sign_b64(challenge["message"].as_str().unwrap()),
        });
        http.post(server.url("/v1/auth/eds/verify")).json(&body).send().await.unwrap()
    }

    /// An organisation's access token.
    pub async fn org_token(server: &Server, client_id: &str, secret: &str) -> String {
        let r = client()
            .post(server.url("/v1/oauth/token"))
            .form(&[("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "org token");
        body_json(r).await["access_token"].as_str().unwrap().to_string()
    }
}

/// GET with a bearer token.
pub async fn get_auth(server: &Server, path: &str, token: &str) -> reqwest::Response {
    client().get(server.url(path)).bearer_auth(token).send().await.unwrap()
}

/// POST JSON with a bearer token.
pub async fn post_auth(server: &Server, path: &str, token: &str, body: Value) -> reqwest::Response {
    client().post(server.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
}

/// Reads Server-Sent Events from a streaming response.
pub struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> SseReader {
        SseReader { response, buffer: String::new() }
    }

    /// The data (as JSON) of the next event named `name`, skipping others; panics after `within`.
    pub async fn next(&mut self, name: &str, within: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = "message";
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(e) = line.strip_prefix("event:") {
                        event = e.trim();
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push_str(d.trim());
                    }
                }
                if event == name {
                    return serde_json::from_str(&data).unwrap_or(Value::String(data));
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("no `{name}` event within {within:?}; got so far: {}", self.buffer))
                .expect("stream read")
                .unwrap_or_else(|| panic!("the stream ended before a `{name}` event"));
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}
