//! # egov-server
//!
//! The eGov Mobile backend. `http` (routes, extractors, error mapping) calls `service` (one module per
//! capability, every rule from `egov-core`), which calls `store` (sqlx over SQLite or PostgreSQL) and the
//! adapters (SMS, payments, agency registries). `run` wires them and serves until SIGTERM.

pub mod adapters;
pub mod admin;
pub mod clock;
pub mod config;
pub mod demo;
pub mod events;
pub mod http;
pub mod keys;
pub mod serve;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod tokens;

use crate::clock::Clock;
use crate::config::{Config, Mode};
use crate::keys::KeySet;
use crate::store::Store;
use metrics_exporter_prometheus::PrometheusHandle;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Everything a request handler may use.
pub struct App {
    pub mode: Mode,
    pub public_url: String,
    /// What phones show for this service's own website.
    pub site_name: String,
    pub store: Store,
    pub keys: KeySet,
    pub clock: Clock,
    pub metrics: PrometheusHandle,
    /// The one random generator (CSPRNG) every secret comes from.
    pub rng: ring::rand::SystemRandom,
    pub sms: Arc<dyn adapters::sms::SmsGateway>,
    /// Wakes the SMS worker when a message is queued.
    pub sms_wake: tokio::sync::Notify,
    pub identity: Arc<dyn adapters::identity::IdentityVerifier>,
    pub eds: Arc<dyn adapters::pki::EdsVerifier>,
    /// The proxies whose `X-Forwarded-For` hops are believed (see `http::extract::ClientIp`).
    pub trusted_proxies: Vec<config::Cidr>,
    /// How long a key enrolled by identity re-proofing waits before it signs.
    pub device_hold: chrono::Duration,
    pub registries: adapters::registry::Registries,
    pub events: events::EventBus,
    /// The open event streams of this replica, capped per owner and per address.
    pub streams: Arc<events::StreamSlots>,
    /// The working-day calendar of every loaded year.
    pub calendar: egov_core::fines::Calendar,
    /// The MCI values in force.
    pub mci: Vec<egov_core::fines::MciPeriod>,
    /// The acquirer: the simulated one (dev default) or the acquirer's HTTP API.
    pub payments: Arc<dyn adapters::payments::PaymentGateway>,
    /// Flips to `true` when the server begins to shut down; long-lived streams end on it.
    pub shutdown: watch::Receiver<bool>,
}

pub type AppState = Arc<App>;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Keys(#[from] keys::KeyError),
    #[error(transparent)]
    Demo(#[from] demo::DemoError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("server: {0}")]
    Serve(std::io::Error),
    #[error("configuration: {0}")]
    Config(String),
}

/// Starts the server and serves until SIGTERM or Ctrl-C, then drains in-flight requests and closes the pool.
pub async fn run(config: Config) -> Result<(), StartError> {
    let clock = Clock::default();
    let store = Store::connect(config.database_url.as_deref(), &config.data_dir, config.db_max_connections).await?;
    store.migrate().await?;
    let keys = KeySet::load(&config, &store, clock.now_ms()).await?;
    let today = egov_core::time::almaty_date(clock.now());
    let demo = match config.mode {
        Mode::Dev => {
            let data = Arc::new(demo::DemoData::parse(demo::DEMO_REGISTRY_JSON)?);
            demo::seed(&store, &keys, &data, today, clock.now_ms()).await?;
            Some(data)
        }
        Mode::Prod => None,
    };
    refuse_demo_adapters_in_prod(&config)?;
    egov_core::auth::clients::check_org_name(&config.site_name)
        .map_err(|e| StartError::Config(format!("EGOV_SITE_NAME: {e}")))?;
    let registries = match (&config.registry_url, &demo) {
        (Some(url), _) => adapters::registry::Registries::http(url, Duration::from_millis(config.registry_timeout_ms)),
        (None, Some(data)) => adapters::registry::Registries::demo(data.clone(), today),
        (None, None) => return Err(StartError::Config("prod mode needs EGOV_REGISTRY_URL".into())),
    };

    let sms = sms_gateway(&config)?;
    let calendar = load_calendar(&config)?;
    let mci: Vec<egov_core::fines::MciPeriod> = serde_json::from_str(egov_core::fines::MCI_TABLE_JSON)
        .map_err(|e| StartError::Config(format!("MCI table: {e}")))?;
    let (identity, payments) = identity_and_acquirer(&config, &store);
    let device_hold = chrono::Duration::try_seconds(config.device_hold_seconds)
        .filter(|d| *d >= chrono::Duration::zero())
        .ok_or_else(|| StartError::Config("EGOV_DEVICE_HOLD_SECONDS must be a number of seconds >= 0".into()))?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| StartError::Bind { addr: config.bind, source })?;
    let bound = listener.local_addr().map_err(StartError::Serve)?;
    let public_url = config.public_url(bound);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let app = Arc::new(App {
        mode: config.mode,
        public_url: public_url.clone(),
        site_name: config.site_name.clone(),
        store: store.clone(),
        keys,
        clock,
        metrics: telemetry::metrics_handle(),
        rng: ring::rand::SystemRandom::new(),
        sms,
        sms_wake: tokio::sync::Notify::new(),
        identity,
        eds: Arc::new(adapters::pki::DeviceKeyVerifier),
        trusted_proxies: config.trusted_proxies.clone(),
        device_hold,
        registries,
        events: events::EventBus::default(),
        streams: Arc::default(),
        calendar,
        mci,
        payments,
        shutdown: shutdown_rx,
    });
    let worker = tokio::spawn(service::sms::run_worker(app.clone()));
    let housekeeping =
        tokio::spawn(service::housekeeping::run(app.clone(), Duration::from_secs(config.housekeeping_seconds.max(1))));
    let (relay_app, shutdown) = (app.clone(), app.shutdown.clone());
    match (store.backend(), config.database_url.clone()) {
        (store::Backend::Postgres, Some(url)) => {
            tokio::spawn(async move { relay_app.events.relay_notifications(url, shutdown).await });
        }
        _ => {
            tokio::spawn(async move { relay_app.events.relay_log(relay_app.store.clone(), shutdown).await });
        }
    }
    let (sender_app, shutdown) = (app.clone(), app.shutdown.clone());
    tokio::spawn(async move { sender_app.events.send_events(sender_app.store.clone(), shutdown).await });

    print_banner(&config, &store, bound, &public_url, demo.as_deref());
    tracing::info!(%bound, mode = ?config.mode, database = store.backend().name(), "serving");

    let grace = Duration::from_secs(config.shutdown_grace_seconds);
    let drain = async move {
        shutdown_signal().await;
        tracing::info!("shutdown requested; draining in-flight requests");
        let _ = shutdown_tx.send(true);
        // The watchdog: past the grace period the process exits even if a client holds a request open.
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            tracing::warn!("grace period over; exiting with requests still open");
            std::process::exit(0);
        });
    };
    serve::serve(listener, http::router(app), drain).await.map_err(StartError::Serve)?;
    let _ = worker.await;
    let _ = housekeeping.await;
    store.close().await;
    tracing::info!("shutdown complete");
    Ok(())
}

/// The shipped calendar years, then any `kz-*.json` in `--calendar-dir` (an operator's new decree, which
/// replaces a shipped year), each checked against the rules; a provisional year is warned of.
fn load_calendar(config: &Config) -> Result<egov_core::fines::Calendar, StartError> {
    let mut texts: Vec<String> = egov_core::fines::SHIPPED_CALENDARS.iter().map(|s| s.to_string()).collect();
    if let Some(dir) = &config.calendar_dir {
        let entries =
            std::fs::read_dir(dir).map_err(|e| StartError::Config(format!("calendar dir {}: {e}", dir.display())))?;
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for p in paths {
            texts.push(std::fs::read_to_string(&p).map_err(|e| StartError::Config(format!("{}: {e}", p.display())))?);
        }
    }
    let calendar = egov_core::fines::Calendar::load(texts.iter().map(String::as_str))
        .map_err(|e| StartError::Config(e.to_string()))?;
    tracing::info!(years = ?calendar.years(), "working-day calendar loaded");
    for (year, why) in calendar.provisional() {
        tracing::warn!(
            year,
            why,
            "the working-day calendar of this year is provisional: deadlines in it may move a day once the decree is out"
        );
    }
    Ok(calendar)
}

/// Production is real or refuses to start: every adapter that has a demo stand-in must be configured as
/// the real one, and the acquirer's webhook key must not be the public dev value. The message names
/// everything that is missing at once.
fn refuse_demo_adapters_in_prod(config: &Config) -> Result<(), StartError> {
    if config.mode != Mode::Prod {
        return Ok(());
    }
    let mut missing = Vec::new();
    if config.registry_url.is_none() {
        missing.push("EGOV_REGISTRY_URL (the government service bus; the demo registry is dev only)");
    }
    if config.identity_url.is_none() {
        missing.push("EGOV_IDENTITY_URL (the biometric identity service; the demo verifier accepts anyone)");
    }
    if config.acquirer_url.is_none() {
        missing.push("EGOV_ACQUIRER_URL (the acquirer; the simulated one is dev only)");
    }
    if config.acquirer_webhook_secret == config::DEV_WEBHOOK_SECRET {
        missing.push("EGOV_ACQUIRER_WEBHOOK_SECRET (the dev value is public)");
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StartError::Config(format!("prod mode refuses to start without: {}", missing.join("; "))))
    }
}

/// The identity verifier and the acquirer of the configuration: the HTTP adapters where a URL is given,
/// the demo ones otherwise (which [`refuse_demo_adapters_in_prod`] allows in dev mode only).
#[allow(clippy::type_complexity)]
fn identity_and_acquirer(
    config: &Config,
    store: &Store,
) -> (Arc<dyn adapters::identity::IdentityVerifier>, Arc<dyn adapters::payments::PaymentGateway>) {
    let timeout = Duration::from_millis(config.adapter_timeout_ms);
    let backoff = Duration::from_millis(200);
    let identity: Arc<dyn adapters::identity::IdentityVerifier> = match &config.identity_url {
        Some(url) => Arc::new(adapters::identity::HttpIdentityVerifier::new(
            url,
            config.identity_token.clone(),
            timeout,
            3,
            backoff,
        )),
        None => Arc::new(adapters::identity::DemoIdentityVerifier),
    };
    let webhook_key = config.acquirer_webhook_secret.clone().into_bytes();
    let payments: Arc<dyn adapters::payments::PaymentGateway> = match &config.acquirer_url {
        Some(url) => Arc::new(adapters::payments::HttpAcquirer::new(
            url,
            config.acquirer_token.clone(),
            webhook_key,
            timeout,
            3,
            backoff,
        )),
        None => Arc::new(adapters::payments::SimulatedAcquirer::new(store.clone(), webhook_key)),
    };
    (identity, payments)
}

/// The SMS gateway of the configuration; prod accepts only a real provider.
fn sms_gateway(config: &Config) -> Result<Arc<dyn adapters::sms::SmsGateway>, StartError> {
    use adapters::sms::{HttpGateway, LogGateway, OutboxGateway};
    use config::SmsGatewayKind;
    let kind = config.sms_gateway.unwrap_or(match config.mode {
        Mode::Dev => SmsGatewayKind::Outbox,
        Mode::Prod => SmsGatewayKind::Http,
    });
    match (kind, config.mode) {
        (SmsGatewayKind::Outbox, Mode::Dev) => Ok(Arc::new(OutboxGateway)),
        (SmsGatewayKind::Log, Mode::Dev) => Ok(Arc::new(LogGateway)),
        (SmsGatewayKind::Outbox | SmsGatewayKind::Log, Mode::Prod) => Err(StartError::Config(
            "prod mode refuses the log and outbox SMS gateways (they keep codes readable)".into(),
        )),
        (SmsGatewayKind::Http, _) => {
            let url = config
                .sms_http_url
                .as_deref()
                .ok_or_else(|| StartError::Config("the http SMS gateway needs EGOV_SMS_HTTP_URL".into()))?;
            Ok(Arc::new(HttpGateway::new(
                url,
                config.sms_http_token.clone(),
                Duration::from_secs(5),
                3,
                Duration::from_millis(500),
            )))
        }
    }
}

fn print_banner(
    config: &Config,
    store: &Store,
    bound: std::net::SocketAddr,
    public_url: &str,
    demo: Option<&demo::DemoData>,
) {
    let database = match store.backend() {
        store::Backend::Sqlite if config.database_url.is_none() => {
            format!("embedded SQLite at {}", config.data_dir.join("egov.sqlite3").display())
        }
        backend => backend.name().to_string(),
    };
    let mut out = std::io::stdout().lock();
    let mode = match config.mode {
        Mode::Dev => "dev",
        Mode::Prod => "prod",
    };
    let _ = writeln!(out, "eGov Mobile backend ({mode} mode, {database})");
    if let Some(data) = demo {
        let _ = write!(out, "{}", demo::banner(data));
    }
    let _ = writeln!(out, "public URL {public_url}  (API contract: {public_url}/openapi.json)");
    // Last, so a supervisor (or the test harness) that waits for this line has seen the whole banner.
    let _ = writeln!(out, "listening on http://{bound}");
    let _ = out.flush();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
