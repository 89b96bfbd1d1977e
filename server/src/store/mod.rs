//! Storage: one interface over two backends. `DATABASE_URL` unset gives an embedded SQLite file in the
//! data directory; `postgres://...` gives PostgreSQL. Both run the same SQL text (numbered `$1` parameters,
//! `RETURNING`, `ON CONFLICT`), so one behavioural test suite proves both.
//!
//! Conventions every query here follows:
//! - Timestamps are `BIGINT` milliseconds since the Unix epoch (UTC); calendar dates are `TEXT` `YYYY-MM-DD`.
//! - An atomic state change is one conditional statement (`UPDATE ... WHERE ... RETURNING`), never a read
//!   followed by a write.
//! - A transaction on SQLite starts with a write, so it takes the write lock (and waits for it under
//!   `busy_timeout`) before it reads anything.
//! - Hot queries are keyed by the citizen (IIN) or by a token hash.

pub mod citizens;
pub mod documents;
pub mod fines;
pub mod history;
mod keys;
pub mod orgs;
pub mod otp;
pub mod rate;
pub mod sessions;
pub mod sharing;
pub mod sms;
pub mod web_login;

pub use keys::KeyRow;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Connection, Executor};
use std::path::Path;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a pooled connection may sit unused before it is tested on checkout.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// Readiness stays red this long after a request found the database unreachable, so that a load
/// balancer sees an outage even when it is shorter than its probe interval.
const RED_AFTER_UNREACHABLE: Duration = Duration::from_secs(2);

/// Readiness is red when the database does not answer within this.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

/// When a request of this process last found the database unreachable (see `http::problem`).
static LAST_UNREACHABLE: std::sync::Mutex<Option<std::time::Instant>> = std::sync::Mutex::new(None);

/// Records that a query found the database unreachable: readiness goes red for a moment.
pub fn note_unreachable() {
    *LAST_UNREACHABLE.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::time::Instant::now());
}

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported DATABASE_URL: expected postgres://, postgresql:// or sqlite:")]
    UnsupportedUrl,
    #[error("data directory: {0}")]
    DataDir(std::io::Error),
    #[error("{0}")]
    NotReady(String),
    /// A unique constraint refused the write (e.g. a phone already bound to another citizen).
    #[error("conflict with existing data")]
    Conflict,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The storage handle shared by every request (cheap to clone).
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects to `database_url`, or to `<data_dir>/egov.sqlite3` when it is `None` (creating the
    /// directory and the file).
    pub async fn connect(database_url: Option<&str>, data_dir: &Path, max_connections: u32) -> StoreResult<Store> {
        install_default_drivers();
        let (url, backend) = match database_url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                (u.to_string(), Backend::Postgres)
            }
            Some(u) if u.starts_with("sqlite:") => (u.to_string(), Backend::Sqlite),
            Some(_) => return Err(StoreError::UnsupportedUrl),
            None => {
                std::fs::create_dir_all(data_dir).map_err(StoreError::DataDir)?;
                let file = data_dir.join("egov.sqlite3");
                (format!("sqlite://{}?mode=rwc", file.display()), Backend::Sqlite)
            }
        };
        let options = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            // sqlx pings every connection before handing it out, a round trip per checkout (and pings it
            // again on release). Only a connection that sat idle can have been cut off unnoticed, so only
            // that one is tested; one in steady use that breaks fails its query (a clean 503, see
            // `http::problem`) and its release ping then discards it.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_BEFORE_PING {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; busy_timeout makes a second writer wait
                        // for the lock instead of failing, which is what makes single-statement claims atomic.
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;")
                            .await?;
                    }
                    Ok(())
                })
            });
        let pool = options.connect(&url).await?;
        Ok(Store { pool, backend })
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies the backend's migrations (idempotent; safe when several replicas start at once, as sqlx
    /// takes an advisory lock on PostgreSQL).
    pub async fn migrate(&self) -> StoreResult<()> {
        self.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// Ready means: the database answers and every migration this binary knows is applied.
    /// A request that found the database unreachable in the last [`RED_AFTER_UNREACHABLE`], or an answer
    /// slower than [`READY_TIMEOUT`], is not ready either.
    pub async fn ready(&self) -> StoreResult<()> {
        let last = *LAST_UNREACHABLE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ago) = last.map(|at| at.elapsed()).filter(|ago| *ago < RED_AFTER_UNREACHABLE) {
            return Err(StoreError::NotReady(format!("the database was unreachable {} ms ago", ago.as_millis())));
        }
        let count =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE").fetch_one(&self.pool);
        let applied: i64 = tokio::time::timeout(READY_TIMEOUT, count)
            .await
            .map_err(|_| StoreError::NotReady(format!("the database did not answer within {READY_TIMEOUT:?}")))??;
        let known = self.migrator().iter().count() as i64;
        if applied < known {
            return Err(StoreError::NotReady(format!("{applied} of {known} migrations applied")));
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Waits for checked-out connections and closes the pool (graceful shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Milliseconds since the Unix epoch, the storage form of an instant.
pub fn to_millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

/// The instant a stored millisecond count stands for.
pub fn from_millis(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Unit tests' stores.
#[cfg(test)]
pub(crate) mod testing {
    use super::Store;

    /// A migrated SQLite store in a directory of its own, removed when this is dropped.
    pub struct Scratch {
        pub store: Store,
        pub dir: std::path::PathBuf,
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    pub async fn sqlite() -> Scratch {
        let dir = std::env::temp_dir().join(format!("egov-unit-{}", uuid::Uuid::new_v4()));
        let store = Store::connect(None, &dir, 2).await.unwrap();
        store.migrate().await.unwrap();
        Scratch { store, dir }
    }

    /// The one integer a `SELECT count(*) ...` answers.
    pub async fn count(store: &Store, sql: &str) -> i64 {
        sqlx::query_as::<_, (i64,)>(sql).fetch_one(store.pool()).await.unwrap().0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn readiness_is_red_for_a_moment_after_a_request_found_the_database_unreachable() {
        let scratch = testing::sqlite().await;
        let store = &scratch.store;
        store.ready().await.expect("ready with a current schema");
        note_unreachable();
        let red = store.ready().await.expect_err("red right after");
        assert!(red.to_string().contains("unreachable"), "{red}");
        tokio::time::sleep(RED_AFTER_UNREACHABLE).await;
        store.ready().await.expect("green again once the moment has passed and the database answers");
    }
}
