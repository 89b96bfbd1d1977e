//! Fixed-window rate counters in the database, so a limit holds across replicas. One atomic upsert counts
//! the event and returns the window's count.

use super::{Store, StoreResult};
use chrono::{DateTime, Utc};
use egov_core::auth::rate::Window;

impl Store {
    /// Counts one event for `key` in `bucket` and returns the count of the window `now` falls in
    /// (including this event).
    pub async fn rate_hit(&self, bucket: &str, key: &str, window: &Window, now: DateTime<Utc>) -> StoreResult<u32> {
        let count: i64 = sqlx::query_scalar(
            "INSERT INTO rate_counters (bucket, key, window_start, count) VALUES ($1, $2, $3, 1)
             ON CONFLICT (bucket, key, window_start) DO UPDATE SET count = rate_counters.count + 1
             RETURNING count",
        )
        .bind(bucket)
        .bind(key)
        .bind(window.start(now).timestamp_millis())
        .fetch_one(self.pool())
        .await?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// The count of the window `now` falls in, without counting.
    pub async fn rate_peek(&self, bucket: &str, key: &str, window: &Window, now: DateTime<Utc>) -> StoreResult<u32> {
        let count: Option<i64> =
            sqlx::query_scalar("SELECT count FROM rate_counters WHERE bucket = $1 AND key = $2 AND window_start = $3")
                .bind(bucket)
                .bind(key)
                .bind(window.start(now).timestamp_millis())
                .fetch_optional(self.pool())
                .await?;
        Ok(count.map(|c| u32::try_from(c).unwrap_or(u32::MAX)).unwrap_or(0))
    }

    /// Deletes windows that ended before `before_ms` (housekeeping).
    pub async fn rate_prune(&self, before_ms: i64) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM rate_counters WHERE window_start < $1")
            .bind(before_ms)
            .execute(self.pool())
            .await?
            .rows_affected())
    }
}
