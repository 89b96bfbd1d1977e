//! Wake-ups across replicas: an event published on one replica reaches waiters on every replica. On
//! PostgreSQL an event is a `NOTIFY egov_events` that every replica `LISTEN`s to and relays to its local
//! subscribers. On SQLite the local subscribers get it at once, and processes sharing the file hear each
//! other through the `events` table, which each appends to and reads every 100 ms. Waiters also poll the
//! database now and then, so a missed event only delays, never loses, a wake-up; and when events may
//! have been lost (the relay reconnected or failed, a send failed or its queue was full) every waiter is
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

/// Every replica hears every event and a possible loss wakes everyone, so a waiter's re-read without a
/// wake-up is only a safety net, this often.
pub const IDLE_POLL: Duration = Duration::from_secs(15);

/// SQLite: how often a process reads the event log for other processes' events.
const LOG_READ_EVERY: Duration = Duration::from_millis(100);
/// SQLite: how long the event log keeps an event; every live process has read it long before.
const LOG_KEEP: Duration = Duration::from_secs(600);
/// SQLite: the most log rows read at once.
const LOG_READ_ROWS: i64 = 500;

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
    /// Events on their way to the other replicas, sent in batches by [`EventBus::send_events`].
    outgoing: mpsc::Sender<String>,
    outgoing_rx: std::sync::Mutex<Option<mpsc::Receiver<String>>>,
    /// An event could not be sent; the next batch wakes every waiter ([`EVERYONE`]).
    missed: AtomicBool,
    /// SQLite: this process's name in the event log, so it skips the rows it wrote itself.
    origin: String,
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
            origin: uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}

impl EventBus {
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }

    fn wake_everyone(&self) {
        let _ = self.local.send(Event { topic: EVERYONE.to_string(), payload: String::new() });
    }

    /// Publishes to every replica, after the change it announces has committed. It is queued for
    /// [`EventBus::send_events`]; on SQLite this replica's subscribers also get it at once. On PostgreSQL
    /// even this replica's subscribers hear it through `NOTIFY`: a `NOTIFY` inside the writing
    /// transaction would hold PostgreSQL's database-wide notify lock through that transaction's commit
    /// and WAL flush, which serialises every such commit (measured: 16 700 single-row updates a second
    /// without it, 5 100 with). Never fatal, never awaited: waiters poll as well, so a lost event only
    /// delays a wake-up.
    pub fn publish(&self, store: &Store, topic: &str, payload: &str) {
        if store.backend() == Backend::Sqlite {
            let _ = self.local.send(Event { topic: topic.to_string(), payload: payload.to_string() });
        }
        self.enqueue(format!("{topic} {payload}"));
    }

    /// Hands one payload's event lines to this replica's subscribers.
    fn deliver(&self, lines: &str) {
        for line in lines.lines() {
            let (topic, payload) = line.split_once(' ').unwrap_or((line, ""));
            let _ = self.local.send(Event { topic: topic.to_string(), payload: payload.to_string() });
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

    /// Sends queued events to the other replicas until `shutdown` flips (call once), as many as are
    /// waiting at a time, one event a line. On PostgreSQL a batch is one `NOTIFY egov_events` in a
    /// statement of its own (no data is written, so there is no WAL flush to hold the notify lock
    /// across); on SQLite it is one row of the event log.
    pub async fn send_events(&self, store: Store, mut shutdown: watch::Receiver<bool>) {
        let Some(mut rx) = self.outgoing_rx.lock().unwrap_or_else(|e| e.into_inner()).take() else { return };
        loop {
            let first = tokio::select! {
                m = rx.recv() => match m { Some(m) => m, None => return },
                _ = shutdown.changed() => return,
            };
            let batch = self.batch(first, &mut rx);
            let sent = match store.backend() {
                Backend::Postgres => {
                    sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(&batch).execute(store.pool()).await
                }
                Backend::Sqlite => {
                    sqlx::query("INSERT INTO events (at, origin, lines) VALUES ($1, $2, $3)")
                        .bind(wall_ms())
                        .bind(&self.origin)
                        .bind(&batch)
                        .execute(store.pool())
                        .await
                }
            };
            if let Err(e) = sent {
                self.missed.store(true, Ordering::SeqCst);
                tracing::warn!(error = %e, "sending events failed; every waiter will be woken with the next event");
            }
        }
    }

    /// SQLite: hands the other processes' events from the event log to local subscribers every
    /// [`LOG_READ_EVERY`], and prunes the log, until `shutdown` flips. When reading works again after
    /// failing, it wakes everyone once, as events may have been missed meanwhile.
    pub async fn relay_log(&self, store: Store, mut shutdown: watch::Receiver<bool>) {
        let mut after: i64 = 0;
        let mut started = false;
        let mut failing = false;
        let mut pruned = Instant::now();
        loop {
            let read = async {
                if !started {
                    after = sqlx::query_as::<_, (i64,)>("SELECT COALESCE(MAX(seq), 0) FROM events")
                        .fetch_one(store.pool())
                        .await?
                        .0;
                    started = true;
                }
                loop {
                    let rows: Vec<(i64, String, String)> =
                        sqlx::query_as("SELECT seq, origin, lines FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
                            .bind(after)
                            .bind(LOG_READ_ROWS)
                            .fetch_all(store.pool())
                            .await?;
                    for (seq, origin, lines) in &rows {
                        if *origin != self.origin {
                            self.deliver(lines);
                        }
                        after = *seq;
                    }
                    if (rows.len() as i64) < LOG_READ_ROWS {
                        return Ok::<(), sqlx::Error>(());
                    }
                }
            };
            match read.await {
                // Events may have been missed while reading failed: everyone re-reads, once.
                Ok(()) if failing => {
                    failing = false;
                    tracing::info!("reading the event log again; every waiter is woken");
                    self.wake_everyone();
                }
                Ok(()) => {}
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "reading the event log failed; retrying");
                    }
                    failing = true;
                }
            }
            if pruned.elapsed() >= LOG_KEEP / 10 {
                pruned = Instant::now();
                let before = wall_ms() - LOG_KEEP.as_millis() as i64;
                if let Err(e) = sqlx::query("DELETE FROM events WHERE at < $1").bind(before).execute(store.pool()).await
                {
                    tracing::warn!(error = %e, "pruning the event log failed");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(LOG_READ_EVERY) => {},
                _ = shutdown.changed() => return,
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
                                    Ok(Some(n)) => self.deliver(n.payload()),
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

/// Milliseconds of the machine's clock (never the dev clock, which a demo may move days ahead).
fn wall_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
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

    /// The next event for `topic` within `within`, skipping others.
    async fn next_for(rx: &mut broadcast::Receiver<Event>, topic: &str, within: Duration) -> Option<Event> {
        tokio::time::timeout(within, async {
            loop {
                match rx.recv().await {
                    Ok(e) if e.topic == topic => return Some(e),
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
        .await
        .ok()
        .flatten()
    }

    #[tokio::test]
    async fn processes_sharing_a_sqlite_file_hear_each_others_events_once() {
        // Two processes: two pools on one file, each with its bus, sender and relay.
        let scratch = crate::store::testing::sqlite().await;
        let (a, b) = (scratch.store.clone(), Store::connect(None, &scratch.dir, 2).await.unwrap());
        let (bus_a, bus_b) = (std::sync::Arc::new(EventBus::default()), std::sync::Arc::new(EventBus::default()));
        let (stop, shutdown) = watch::channel(false);
        for (bus, store) in [(&bus_a, &a), (&bus_b, &b)] {
            let (bus, store, shutdown) = (bus.clone(), store.clone(), shutdown.clone());
            tokio::spawn(async move {
                tokio::join!(bus.send_events(store.clone(), shutdown.clone()), bus.relay_log(store, shutdown));
            });
        }
        let (mut on_a, mut on_b) = (bus_a.subscribe(), bus_b.subscribe());
        // Let both relays take their starting point in the log.
        tokio::time::sleep(LOG_READ_EVERY * 3).await;

        bus_a.publish(&a, "web-login:1", "approved");
        let heard = next_for(&mut on_b, "web-login:1", Duration::from_secs(10)).await;
        assert_eq!(heard.map(|e| e.payload).as_deref(), Some("approved"), "the other process hears it");
        let own = next_for(&mut on_a, "web-login:1", Duration::from_secs(1)).await;
        assert_eq!(own.map(|e| e.payload).as_deref(), Some("approved"), "the publisher's own waiters at once");

        // The publisher's relay skips its own row: the next event on A for this topic is B's, not a copy.
        bus_b.publish(&b, "web-login:1", "denied");
        let next = next_for(&mut on_a, "web-login:1", Duration::from_secs(10)).await;
        assert_eq!(next.map(|e| e.payload).as_deref(), Some("denied"), "no second copy of A's own event");
        stop.send(true).unwrap();
    }
}

/// Event streams one poll secret (one browser's login or signing request, or one citizen's
/// notifications) may hold open on a replica: a few tabs, not a flood.
pub const STREAMS_PER_OWNER: usize = 4;
/// Event streams one client address may hold open on a replica (offices share an address).
pub const STREAMS_PER_ADDRESS: usize = 500;

/// Counts of the open event streams of this replica, by owner and by address. A stream holds a
/// [`StreamSlot`] for as long as it is open.
#[derive(Default)]
pub struct StreamSlots {
    open: std::sync::Mutex<std::collections::HashMap<String, usize>>,
}

/// One open stream's place in [`StreamSlots`]; dropping it (the stream ended) frees it.
pub struct StreamSlot {
    slots: std::sync::Arc<StreamSlots>,
    keys: [String; 2],
}

impl StreamSlots {
    /// A slot for a stream of `owner` from `address`, or `None` when either is at its cap.
    pub fn take(self: &std::sync::Arc<Self>, owner: &str, address: &str) -> Option<StreamSlot> {
        let keys = [format!("owner:{owner}"), format!("address:{address}")];
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = |k: &str| open.get(k).copied().unwrap_or(0);
        if count(&keys[0]) >= STREAMS_PER_OWNER || count(&keys[1]) >= STREAMS_PER_ADDRESS {
            return None;
        }
        for k in &keys {
            *open.entry(k.clone()).or_default() += 1;
        }
        drop(open);
        Some(StreamSlot { slots: self.clone(), keys })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for k in &self.keys {
            if let Some(n) = open.get_mut(k) {
                *n -= 1;
                if *n == 0 {
                    open.remove(k);
                }
            }
        }
    }
}

#[cfg(test)]
mod stream_slot_tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn an_owner_holds_four_streams_and_a_closed_one_frees_its_place() {
        let slots = Arc::new(StreamSlots::default());
        let held: Vec<_> = (0..STREAMS_PER_OWNER).map(|_| slots.take("req-1", "10.0.0.1").unwrap()).collect();
        assert!(slots.take("req-1", "10.0.0.2").is_none(), "the fifth stream of one request");
        assert!(slots.take("req-2", "10.0.0.1").is_some(), "another request from the same address");
        drop(held);
        assert!(slots.take("req-1", "10.0.0.1").is_some());
        assert!(slots.open.lock().unwrap().values().all(|n| *n <= 1), "counts fall back as streams close");
    }

    #[test]
    fn an_address_holds_at_most_its_cap() {
        let slots = Arc::new(StreamSlots::default());
        let held: Vec<_> = (0..STREAMS_PER_ADDRESS).map(|i| slots.take(&i.to_string(), "10.0.0.1").unwrap()).collect();
        assert!(slots.take("one-more", "10.0.0.1").is_none());
        assert_eq!(held.len(), STREAMS_PER_ADDRESS);
    }
}
