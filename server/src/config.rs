//! Configuration: every setting is a flag and an environment variable, with defaults that make
//! `cargo run -p egov-server` work on a fresh machine.

use clap::{Parser, Subcommand, ValueEnum};
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

    /// The name citizens' phones show for this service's own website (its login and signing pages).
    #[arg(long, env = "EGOV_SITE_NAME", default_value = "egov.kz")]
    pub site_name: String,

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

    /// The proxies in front of this server (CIDR, comma-separated): when the peer is one of them, the
    /// client address is the rightmost `X-Forwarded-For` hop that is not one of them. Empty: the peer.
    #[arg(long, env = "EGOV_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_cidr)]
    pub trusted_proxies: Vec<Cidr>,

    /// The biometric identity-verification service (JSON POST); unset: the demo verifier (dev only).
    #[arg(long, env = "EGOV_IDENTITY_URL")]
    pub identity_url: Option<String>,

    /// The bearer token of the identity-verification service.
    #[arg(long, env = "EGOV_IDENTITY_TOKEN", hide_env_values = true)]
    pub identity_token: Option<String>,

    /// The acquirer's API (charge, status, refund); unset: the simulated acquirer (dev only).
    #[arg(long, env = "EGOV_ACQUIRER_URL")]
    pub acquirer_url: Option<String>,

    /// The bearer token of the acquirer's API.
    #[arg(long, env = "EGOV_ACQUIRER_TOKEN", hide_env_values = true)]
    pub acquirer_token: Option<String>,

    /// Timeout of one call to the identity service or the acquirer, in milliseconds (each retried).
    #[arg(long, env = "EGOV_ADAPTER_TIMEOUT_MS", default_value_t = 5000)]
    pub adapter_timeout_ms: u64,

    /// How long a device key enrolled by identity re-proofing waits before it signs (seconds).
    #[arg(long, env = "EGOV_DEVICE_HOLD_SECONDS", default_value_t = egov_core::auth::registration::DEVICE_HOLD.num_seconds())]
    pub device_hold_seconds: i64,

    /// A directory of extra working-day calendar files (`kz-YYYY.json`), e.g. next year's decree.
    #[arg(long, env = "EGOV_CALENDAR_DIR")]
    pub calendar_dir: Option<PathBuf>,

    /// The key the acquirer signs its webhooks with (the dev default is public: prod refuses it).
    #[arg(
        long,
        env = "EGOV_ACQUIRER_WEBHOOK_SECRET",
        default_value = DEV_WEBHOOK_SECRET,
        hide_env_values = true
    )]
    pub acquirer_webhook_secret: String,

    /// Seconds between housekeeping runs (expired shares, old counters).
    #[arg(long, env = "EGOV_HOUSEKEEPING_SECONDS", default_value_t = 60)]
    pub housekeeping_seconds: u64,

    /// Log format: `text` for people, `json` for log collectors.
    #[arg(long, env = "EGOV_LOG_FORMAT", default_value = "text")]
    pub log_format: String,

    /// An operator's command instead of serving (on the same database and keys as the server).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Operators' commands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Provision organisations: verifiers, state bodies and websites.
    #[command(subcommand)]
    Clients(ClientsCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum ClientsCommand {
    /// Registers an organisation and prints its secret (shown once; only its hash is kept).
    Add {
        /// The client id (a-z, 0-9, '-'), e.g. `halyk-verifier`.
        client_id: String,
        /// The name citizens see (in their history, and on the phone for a website's login).
        #[arg(long)]
        name: String,
        /// Scopes, comma-separated: share:redeem, agency:fines, agency:documents, web-login, sign:request.
        #[arg(long)]
        scopes: String,
        /// The organisation's BIN (12 digits).
        #[arg(long)]
        bin: Option<String>,
        /// A website's origin (needed with web-login or sign:request), e.g. https://egov.kz.
        #[arg(long)]
        origin: Option<String>,
    },
    /// Lists the organisations (never their secrets).
    List,
    /// Replaces a client's secret and prints the new one (the old one stops working at once).
    RotateSecret { client_id: String },
    /// Disables a client: it gets no new token.
    Disable { client_id: String },
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

/// The dev default of the acquirer's webhook key; prod refuses to start with it.
pub const DEV_WEBHOOK_SECRET: &str = "dev-acquirer-webhook-secret";

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `2001:db8::/32`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: std::net::IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` is in this network (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let (full, rest) = (usize::from(prefix / 8), prefix % 8);
    a[..full] == b[..full] && (rest == 0 || (a[full] ^ b[full]) >> (8 - rest) == 0)
}

/// Parses `ADDR` or `ADDR/PREFIX`.
pub fn parse_cidr(s: &str) -> Result<Cidr, String> {
    let (addr, prefix) = match s.trim().split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s.trim(), None),
    };
    let net: std::net::IpAddr = addr.parse().map_err(|_| format!("{s:?} is not an address or CIDR"))?;
    let max = if net.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) => {
            p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("{s:?}: prefix must be 0-{max}"))?
        }
        None => max,
    };
    Ok(Cidr { net, prefix })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_contain_their_addresses_and_only_those() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let ten = parse_cidr("10.0.0.0/8").unwrap();
        assert!(ten.contains(ip("10.255.1.2")));
        assert!(!ten.contains(ip("11.0.0.1")));
        assert!(ten.contains(ip("::ffff:10.1.1.1")), "IPv4-mapped");
        let one = parse_cidr("127.0.0.1").unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let odd = parse_cidr("192.168.0.0/23").unwrap();
        assert!(odd.contains(ip("192.168.1.200")) && !odd.contains(ip("192.168.2.1")));
        let v6 = parse_cidr("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(parse_cidr("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/x", "::/129"] {
            assert!(parse_cidr(bad).is_err(), "{bad}");
        }
    }
}
