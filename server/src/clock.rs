//! The server's clock: the one place that reads the time, handed to every rule in `core` as `now`.
//! In dev mode tests may move it forward (`POST /dev/clock/advance`) to reach an expiry without sleeping.

use chrono::{DateTime, Duration, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// Moves this process's clock forward (dev mode only; the route refuses in prod).
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.num_milliseconds().max(0), Ordering::Relaxed);
    }
}
