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
        let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps");
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
