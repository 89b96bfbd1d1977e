//! Wake-ups across replicas: an event published on one replica reaches waiters on every replica. On
//! PostgreSQL an event is a `NOTIFY egov_events` that every replica `LISTEN`s to and relays to its local
//! subscribers; on SQLite (one process) it goes straight to the local subscribers. Waiters also poll the
//! database now and then, so a missed notification only delays, never loses, a wake-up; and when events
//! may have been lost (the relay reconnected, a `NOTIFY` failed or its queue was full) every waiter is
//! woken to re-read ([`EVERYONE`]).

use crate::store::{Backend, Store};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::Instant;

/// The PostgreSQL channel.
pub const CHANNEL: &str = "egov_events";

/// One event: a topic (`citizen:{id}`, `web-login:{id}`, ...) and a short payload (never a secret).
#[derive(Debug, Clone)]
pub struct Event {
    pub topic: String,
    pub payload: String,
}

/// The topic of an event that concerns every waiter: events may have been lost, so everyone re-reads.
pub const EVERYONE: &str = "*";

impl Event {
    /// Whether a waiter on `topic` should look.
    pub fn concerns(&self, topic: &str) -> bool {
        self.topic == topic || self.topic == EVERYONE
    }
}

/// On PostgreSQL every replica hears every event and a possible loss wakes everyone, so a waiter's
/// re-read without a wake-up is only a safety net, this often.
const IDLE_POLL_WITH_NOTIFY: Duration = Duration::from_secs(15);

/// Waits until an event that concerns `topic` arrives (or the receiver lagged, so events may have been
/// missed), or until `deadline`. Events for other topics never postpone the deadline, however many
/// arrive. `false` when the server is shutting down.
pub async fn wait(
    rx: &mut broadcast::Receiver<Event>,
    topic: &str,
    deadline: Instant,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    let sleep = tokio::time::sleep_until(deadline);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Ok(e) if !e.concerns(topic) => continue,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => return true,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = &mut sleep => return true,
            _ = shutdown.changed() => return false,
        }
    }
    tokio::select! {
        _ = &mut sleep => true,
        _ = shutdown.changed() => false,
    }
}

pub struct EventBus {
    local: broadcast::Sender<Event>,
    /// PostgreSQL: events on their way to `NOTIFY`, sent in batches by [`EventBus::send_notifications`].
    outgoing: mpsc::Sender<String>,
    outgoing_rx: std::sync::Mutex<Option<mpsc::Receiver<String>>>,
    /// PostgreSQL: an event could not be sent; the next `NOTIFY` wakes every waiter ([`EVERYONE`]).
    missed: AtomicBool,
}

/// How many events may wait for their `NOTIFY`; past that they are dropped (waiters poll).
const OUTGOING_QUEUE: usize = 10_000;
/// A `NOTIFY` payload's limit is 8000 bytes; a batch stops short of it.
const BATCH_BYTES: usize = 7_000;

impl Default for EventBus {
    fn default() -> Self {
        let (outgoing, rx) = mpsc::channel(OUTGOING_QUEUE);
        EventBus {
            local: broadcast::channel(1024).0,
            outgoing,
            outgoing_rx: std::sync::Mutex::new(Some(rx)),
            missed: AtomicBool::new(false),
        }
    }
}

impl EventBus {
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }

    /// How long a waiter sleeps without a wake-up before it re-reads the database anyway: on SQLite
    /// `without_notify` (another process sharing the file cannot wake this one), on PostgreSQL
    /// [`IDLE_POLL_WITH_NOTIFY`].
    pub fn idle_poll(store: &Store, without_notify: Duration) -> Duration {
        match store.backend() {
            Backend::Postgres => IDLE_POLL_WITH_NOTIFY,
            Backend::Sqlite => without_notify,
        }
    }

    fn wake_everyone(&self) {
        let _ = self.local.send(Event { topic: EVERYONE.to_string(), payload: String::new() });
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
                self.enqueue(format!("{topic} {payload}"));
            }
            Backend::Sqlite => {
                let _ = self.local.send(Event { topic: topic.to_string(), payload: payload.to_string() });
            }
        }
    }

    /// Queues one event line for `NOTIFY`; when the queue is full or closed, the event is dropped and the
    /// next `NOTIFY` wakes every waiter instead.
    fn enqueue(&self, line: String) {
        if self.outgoing.try_send(line).is_err() {
            self.missed.store(true, Ordering::SeqCst);
            tracing::warn!("event queue full or closed; every waiter will be woken with the next event");
        }
    }

    /// One `NOTIFY` payload: `first` and whatever else is waiting, one event a line, up to
    /// [`BATCH_BYTES`]; led by an [`EVERYONE`] line when an event was dropped since the last one.
    fn batch(&self, first: String, rx: &mut mpsc::Receiver<String>) -> String {
        let mut batch = if self.missed.swap(false, Ordering::SeqCst) { format!("{EVERYONE}\n{first}") } else { first };
        while batch.len() < BATCH_BYTES {
            match rx.try_recv() {
                Ok(m) => {
                    batch.push('\n');
                    batch.push_str(&m);
                }
                Err(_) => break,
            }
        }
        batch
    }

    /// Sends queued events as `NOTIFY egov_events`, one line per event, as many as are waiting in one
    /// statement of its own (no data is written, so there is no WAL flush to hold the lock across), until
    /// `shutdown` flips (PostgreSQL only; call once).
    pub async fn send_notifications(&self, store: Store, mut shutdown: watch::Receiver<bool>) {
        let Some(mut rx) = self.outgoing_rx.lock().unwrap_or_else(|e| e.into_inner()).take() else { return };
        loop {
            let first = tokio::select! {
                m = rx.recv() => match m { Some(m) => m, None => return },
                _ = shutdown.changed() => return,
            };
            let batch = self.batch(first, &mut rx);
            if let Err(e) =
                sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(&batch).execute(store.pool()).await
            {
                self.missed.store(true, Ordering::SeqCst);
                tracing::warn!(error = %e, "NOTIFY failed; every waiter will be woken with the next event");
            }
        }
    }

    /// Relays `NOTIFY egov_events` to local subscribers until `shutdown` flips (PostgreSQL only).
    pub async fn relay_notifications(&self, database_url: String, mut shutdown: watch::Receiver<bool>) {
        loop {
            match sqlx::postgres::PgListener::connect(&database_url).await {
                Ok(mut listener) => {
                    if let Err(e) = listener.listen(CHANNEL).await {
                        tracing::warn!(error = %e, "LISTEN failed");
                    } else {
                        // Events sent while this replica was not listening are lost to it.
                        self.wake_everyone();
                        loop {
                            tokio::select! {
                                n = listener.try_recv() => match n {
                                    Ok(Some(n)) => {
                                        for line in n.payload().lines() {
                                            let (topic, payload) = line.split_once(' ').unwrap_or((line, ""));
                                            let _ = self.local.send(Event { topic: topic.to_string(), payload: payload.to_string() });
                                        }
                                    }
                                    // `None`: the connection was lost. A new listener wakes everyone once it listens.
                                    Ok(None) => { tracing::warn!("LISTEN connection lost; reconnecting"); break; }
                                    Err(e) => { tracing::warn!(error = %e, "LISTEN failed; reconnecting"); break; }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn event(topic: &str) -> Event {
        Event { topic: topic.into(), payload: String::new() }
    }

    #[test]
    fn an_event_concerns_its_topic_and_the_everyone_topic_concerns_all() {
        assert!(event("web-login:1").concerns("web-login:1"));
        assert!(!event("web-login:2").concerns("web-login:1"));
        assert!(event(EVERYONE).concerns("web-login:1"));
        assert!(event(EVERYONE).concerns("citizen:7"));
    }

    #[tokio::test(start_paused = true)]
    async fn events_for_other_topics_never_postpone_a_waiters_deadline() {
        let bus = EventBus::default();
        let (_stop, mut shutdown) = watch::channel(false);
        let mut rx = bus.subscribe();
        let local = bus.local.clone();
        // Another topic's event every 10 ms, far more often than the waiter's 1 s deadline.
        let noise = tokio::spawn(async move {
            loop {
                let _ = local.send(event("web-login:other"));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        let start = Instant::now();
        assert!(wait(&mut rx, "web-login:mine", start + Duration::from_secs(1), &mut shutdown).await);
        let waited = start.elapsed();
        noise.abort();
        assert!(waited >= Duration::from_secs(1) && waited < Duration::from_millis(1010), "waited {waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_wakes_for_its_topic_for_everyone_and_when_it_lagged() {
        let bus = EventBus::default();
        let (_stop, mut shutdown) = watch::channel(false);
        let far = Instant::now() + Duration::from_secs(3600);
        for wake in [event("citizen:1"), event(EVERYONE)] {
            let mut rx = bus.subscribe();
            bus.local.send(event("citizen:2")).unwrap();
            bus.local.send(wake).unwrap();
            let start = Instant::now();
            assert!(wait(&mut rx, "citizen:1", far, &mut shutdown).await);
            assert_eq!(start.elapsed(), Duration::ZERO);
        }
        // More events than the channel holds: the waiter may have missed its own, so it looks.
        let mut rx = bus.subscribe();
        for _ in 0..2000 {
            bus.local.send(event("citizen:2")).unwrap();
        }
        let start = Instant::now();
        assert!(wait(&mut rx, "citizen:1", far, &mut shutdown).await);
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_stops_at_shutdown() {
        let bus = EventBus::default();
        let (stop, mut shutdown) = watch::channel(false);
        let mut rx = bus.subscribe();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            stop.send(true).unwrap();
        });
        let start = Instant::now();
        assert!(!wait(&mut rx, "citizen:1", start + Duration::from_secs(3600), &mut shutdown).await);
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    #[test]
    fn a_dropped_event_makes_the_next_notify_wake_everyone_once() {
        let bus = EventBus::default();
        let mut rx = bus.outgoing_rx.lock().unwrap().take().unwrap();
        for i in 0..OUTGOING_QUEUE {
            bus.enqueue(format!("citizen:{i} n{i}"));
        }
        assert_eq!(bus.batch("first".into(), &mut rx).lines().next(), Some("first"), "nothing was dropped yet");
        while rx.try_recv().is_ok() {}
        for i in 0..OUTGOING_QUEUE {
            bus.enqueue(format!("citizen:{i} n{i}"));
        }
        bus.enqueue("citizen:late n".into());
        let batch = bus.batch("citizen:0 n0".into(), &mut rx);
        let lines: Vec<&str> = batch.lines().collect();
        assert_eq!(lines[..2], [EVERYONE, "citizen:0 n0"]);
        assert!(batch.len() >= BATCH_BYTES && batch.len() < BATCH_BYTES + 40, "one batch stops near the limit");
        assert_ne!(bus.batch("citizen:1 n1".into(), &mut rx).lines().next(), Some(EVERYONE), "only once");
    }
}
