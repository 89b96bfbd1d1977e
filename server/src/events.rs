//! Wake-ups across replicas: an event published on one replica reaches waiters on every replica. On
//! PostgreSQL an event is a `NOTIFY egov_events` that every replica `LISTEN`s to and relays to its local
//! subscribers; on SQLite (one process) it goes straight to the local subscribers. Waiters also poll the
//! database now and then, so a missed notification only delays, never loses, a wake-up.

use crate::store::{Backend, Store};
use tokio::sync::{broadcast, mpsc};

/// The PostgreSQL channel.
pub const CHANNEL: &str = "egov_events";

/// One event: a topic (`citizen:{id}`, `web-login:{id}`, ...) and a short payload (never a secret).
#[derive(Debug, Clone)]
pub struct Event {
    pub topic: String,
    pub payload: String,
}

pub struct EventBus {
    local: broadcast::Sender<Event>,
    /// PostgreSQL: events on their way to `NOTIFY`, sent in batches by [`EventBus::send_notifications`].
    outgoing: mpsc::Sender<String>,
    outgoing_rx: std::sync::Mutex<Option<mpsc::Receiver<String>>>,
}

/// How many events may wait for their `NOTIFY`; past that they are dropped (waiters poll).
const OUTGOING_QUEUE: usize = 10_000;
/// A `NOTIFY` payload's limit is 8000 bytes; a batch stops short of it.
const BATCH_BYTES: usize = 7_000;

impl Default for EventBus {
    fn default() -> Self {
        let (outgoing, rx) = mpsc::channel(OUTGOING_QUEUE);
        EventBus { local: broadcast::channel(1024).0, outgoing, outgoing_rx: std::sync::Mutex::new(Some(rx)) }
    }
}

impl EventBus {
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }

    /// Publishes to every replica, after the change it announces has committed. On SQLite (one process)
    /// the local subscribers get it now. On PostgreSQL it is queued for [`EventBus::send_notifications`]:
    /// a `NOTIFY` inside the writing transaction would hold PostgreSQL's database-wide notify lock through
    /// that transaction's commit and WAL flush, which serialises every such commit (measured: 16 700
    /// single-row updates a second without it, 5 100 with). Never fatal, never awaited: waiters poll as
    /// well, so a lost event only delays a wake-up.
    pub fn publish(&self, store: &Store, topic: &str, payload: &str) {
        match store.backend() {
            Backend::Postgres => {
                if self.outgoing.try_send(format!("{topic} {payload}")).is_err() {
                    tracing::warn!("event queue full or closed; waiters will poll");
                }
            }
            Backend::Sqlite => {
                let _ = self.local.send(Event { topic: topic.to_string(), payload: payload.to_string() });
            }
        }
    }

    /// Sends queued events as `NOTIFY egov_events`, one line per event, as many as are waiting in one
    /// statement of its own (no data is written, so there is no WAL flush to hold the lock across), until
    /// `shutdown` flips (PostgreSQL only; call once).
    pub async fn send_notifications(&self, store: Store, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let Some(mut rx) = self.outgoing_rx.lock().unwrap_or_else(|e| e.into_inner()).take() else { return };
        loop {
            let first = tokio::select! {
                m = rx.recv() => match m { Some(m) => m, None => return },
                _ = shutdown.changed() => return,
            };
            let mut batch = first;
            while batch.len() < BATCH_BYTES {
                match rx.try_recv() {
                    Ok(m) => {
                        batch.push('\n');
                        batch.push_str(&m);
                    }
                    Err(_) => break,
                }
            }
            if let Err(e) =
                sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(&batch).execute(store.pool()).await
            {
                tracing::warn!(error = %e, "NOTIFY failed; waiters will poll");
            }
        }
    }

    /// Relays `NOTIFY egov_events` to local subscribers until `shutdown` flips (PostgreSQL only).
    pub async fn relay_notifications(&self, database_url: String, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            match sqlx::postgres::PgListener::connect(&database_url).await {
                Ok(mut listener) => {
                    if let Err(e) = listener.listen(CHANNEL).await {
                        tracing::warn!(error = %e, "LISTEN failed");
                    } else {
                        loop {
                            tokio::select! {
                                n = listener.recv() => match n {
                                    Ok(n) => {
                                        for line in n.payload().lines() {
                                            let (topic, payload) = line.split_once(' ').unwrap_or((line, ""));
                                            let _ = self.local.send(Event { topic: topic.to_string(), payload: payload.to_string() });
                                        }
                                    }
                                    Err(e) => { tracing::warn!(error = %e, "LISTEN connection lost; reconnecting"); break; }
                                },
                                _ = shutdown.changed() => return,
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot LISTEN; retrying"),
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {},
                _ = shutdown.changed() => return,
            }
        }
    }
}
