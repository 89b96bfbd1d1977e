//! Configuration: every setting is a flag and an environment variable, with defaults that make
//! `cargo run -p egov-server` work on a fresh machine.

use clap::{Parser, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where SMS go. `outbox` and `log` are dev-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SmsGatewayKind {
    Log,
    Outbox,
    Http,
}

/// How the server runs. `dev` seeds demo data, keeps an SMS outbox and generates its own keys;
/// `prod` refuses all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Dev,
    Prod,
}

#[derive(Debug, Clone, Parser)]
#[command(name = "egov-server", version, about = "eGov Mobile backend")]
pub struct Config {
    /// Address to listen on. Port 0 picks a free port (printed at start).
    #[arg(long, env = "EGOV_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// The public base URL put into QR codes and links (default: http://<bind>).
    #[arg(long, env = "EGOV_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// dev: demo data, SMS outbox, generated keys. prod: none of them.
    #[arg(long, env = "EGOV_MODE", value_enum, default_value = "dev")]
    pub mode: Mode,

    /// Where the embedded SQLite database lives when DATABASE_URL is unset.
    #[arg(long, env = "EGOV_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// `postgres://...` for PostgreSQL; unset for the embedded SQLite database in the data directory.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Maximum database connections of this replica.
    #[arg(long, env = "EGOV_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,

    /// prod: PKCS#8 PEM files of the ES256 key that signs access tokens; the first signs, every one is
    /// published in the JWKS (so a retired key keeps verifying until its tokens expire).
    #[arg(long, env = "EGOV_TOKEN_KEY_FILES", value_delimiter = ',')]
    pub token_key_files: Vec<PathBuf>,

    /// prod: PKCS#8 PEM files of the ES256 key that signs document copies and receipts (first signs).
    #[arg(long, env = "EGOV_DOCUMENT_KEY_FILES", value_delimiter = ',')]
    pub document_key_files: Vec<PathBuf>,

    /// prod: a file holding the server's HMAC key (at least 32 bytes, raw or base64) for secrets at rest.
    #[arg(long, env = "EGOV_HMAC_KEY_FILE")]
    pub hmac_key_file: Option<PathBuf>,

    /// Seconds to let in-flight requests finish after SIGTERM before the process exits anyway.
    #[arg(long, env = "EGOV_SHUTDOWN_GRACE_SECONDS", default_value_t = 20)]
    pub shutdown_grace_seconds: u64,

    /// SMS gateway: `outbox` (dev default: readable at /dev/sms-outbox), `log` (dev), `http` (a provider).
    #[arg(long, env = "EGOV_SMS_GATEWAY", value_enum)]
    pub sms_gateway: Option<SmsGatewayKind>,

    /// The provider endpoint of the `http` SMS gateway (JSON POST).
    #[arg(long, env = "EGOV_SMS_HTTP_URL")]
    pub sms_http_url: Option<String>,

    /// The bearer token of the `http` SMS gateway.
    #[arg(long, env = "EGOV_SMS_HTTP_TOKEN", hide_env_values = true)]
    pub sms_http_token: Option<String>,

    /// The government service bus (HTTP registry adapter); unset: the embedded demo registry (dev only).
    #[arg(long, env = "EGOV_REGISTRY_URL")]
    pub registry_url: Option<String>,

    /// Timeout of one call to a registry, in milliseconds.
    #[arg(long, env = "EGOV_REGISTRY_TIMEOUT_MS", default_value_t = 3000)]
    pub registry_timeout_ms: u64,

    /// Take the client address from the first X-Forwarded-For hop (only behind a proxy that sets it).
    #[arg(long, env = "EGOV_TRUST_FORWARDED_FOR", default_value_t = false)]
    pub trust_forwarded_for: bool,

    /// A directory of extra working-day calendar files (`kz-YYYY.json`), e.g. next year's decree.
    #[arg(long, env = "EGOV_CALENDAR_DIR")]
    pub calendar_dir: Option<PathBuf>,

    /// The key the (simulated) acquirer signs its webhooks with (dev default is public: change it).
    #[arg(
        long,
        env = "EGOV_ACQUIRER_WEBHOOK_SECRET",
        default_value = "dev-acquirer-webhook-secret",
        hide_env_values = true
    )]
    pub acquirer_webhook_secret: String,

    /// Seconds between housekeeping runs (expired shares, old counters).
    #[arg(long, env = "EGOV_HOUSEKEEPING_SECONDS", default_value_t = 60)]
    pub housekeeping_seconds: u64,

    /// Log format: `text` for people, `json` for log collectors.
    #[arg(long, env = "EGOV_LOG_FORMAT", default_value = "text")]
    pub log_format: String,
}

impl Config {
    /// The public URL without a trailing slash.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{bound}"),
        }
    }
}
