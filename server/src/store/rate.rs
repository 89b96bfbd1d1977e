//! Rate counters in the database, so a limit holds across replicas. One atomic upsert counts the event in
//! its epoch-aligned window; the previous window's count comes along so core's sliding window can weigh
//! it (`egov_core::auth::rate`).

use super::{Store, StoreResult};
use chrono::{DateTime, Utc};
use egov_core::auth::rate::{Tally, Window};

impl Store {
    /// Counts one event for `key` in `bucket`; the tally of the window `now` falls in (including this
    /// event) and of the window before it.
    pub async fn rate_hit(&self, bucket: &str, key: &str, window: &Window, now: DateTime<Utc>) -> StoreResult<Tally> {
        let current: i64 = sqlx::query_scalar(
            "INSERT INTO rate_counters (bucket, key, window_start, count) VALUES ($1, $2, $3, 1)
             ON CONFLICT (bucket, key, window_start) DO UPDATE SET count = rate_counters.count + 1
             RETURNING count",
        )
        .bind(bucket)
        .bind(key)
        .bind(window.start(now).timestamp_millis())
        .fetch_one(self.pool())
        .await?;
        let previous = self.rate_count(bucket, key, window.previous_start(now)).await?;
        Ok(Tally { previous, current: count(current) })
    }

    /// The tally of the window `now` falls in and of the one before it, without counting.
    pub async fn rate_peek(&self, bucket: &str, key: &str, window: &Window, now: DateTime<Utc>) -> StoreResult<Tally> {
        Ok(Tally {
            previous: self.rate_count(bucket, key, window.previous_start(now)).await?,
            current: self.rate_count(bucket, key, window.start(now)).await?,
        })
    }

    async fn rate_count(&self, bucket: &str, key: &str, start: DateTime<Utc>) -> StoreResult<u32> {
        let n: Option<i64> =
            sqlx::query_scalar("SELECT count FROM rate_counters WHERE bucket = $1 AND key = $2 AND window_start = $3")
                .bind(bucket)
                .bind(key)
                .bind(start.timestamp_millis())
                .fetch_optional(self.pool())
                .await?;
        Ok(n.map(count).unwrap_or(0))
    }

    /// Deletes windows that started before `before_ms` (housekeeping; keep at least two periods of the
    /// longest window).
    pub async fn rate_prune(&self, before_ms: i64) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM rate_counters WHERE window_start < $1")
            .bind(before_ms)
            .execute(self.pool())
            .await?
            .rows_affected())
    }
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
