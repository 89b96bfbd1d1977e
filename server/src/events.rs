//! Wake-ups across replicas: an event published on one replica reaches waiters on every replica. On
//! PostgreSQL an event is a `NOTIFY egov_events` that every replica `LISTEN`s to and relays to its local
//! subscribers; on SQLite (one process) it goes straight to the local subscribers. Waiters also poll the
//! database now and then, so a missed notification only delays, never loses, a wake-up.

use crate::store::{Backend, Store};
use tokio::sync::broadcast;

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
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus { local: broadcast::channel(1024).0 }
    }
}

impl EventBus {
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }

    /// Publishes to every replica. Failure to notify is logged, not fatal: waiters poll as well.
    pub async fn publish(&self, store: &Store, topic: &str, payload: &str) {
        match store.backend() {
            Backend::Postgres => {
                let message = format!("{topic} {payload}");
                if let Err(e) =
                    sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(message).execute(store.pool()).await
                {
                    tracing::warn!(error = %e, "NOTIFY failed; waiters will poll");
                }
            }
            Backend::Sqlite => {
                let _ = self.local.send(Event { topic: topic.to_string(), payload: payload.to_string() });
            }
        }
    }

    /// After a transaction that raised an event with NOTIFY (PostgreSQL) commits: on SQLite, where there
    /// is no NOTIFY, hand the event to the local subscribers now.
    pub fn committed(&self, store: &Store, topic: &str, payload: &str) {
        if store.backend() == Backend::Sqlite {
            let _ = self.local.send(Event { topic: topic.to_string(), payload: payload.to_string() });
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
                                        let (topic, payload) = n.payload().split_once(' ').unwrap_or((n.payload(), ""));
                                        let _ = self.local.send(Event { topic: topic.to_string(), payload: payload.to_string() });
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
