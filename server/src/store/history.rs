//! The citizen's history: what happened on their account, keyed by citizen. Details name things (levels,
//! devices, masked phones, fields), never secrets or document values.

use super::{Store, StoreResult};
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub id: String,
    pub at: i64,
    pub kind: String,
    pub detail: String,
}

/// Appends an entry on an open connection or transaction.
pub async fn add_history(
    conn: &mut AnyConnection,
    citizen_id: &str,
    kind: &str,
    detail: &serde_json::Value,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO history (id, citizen_id, at, kind, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(citizen_id)
        .bind(now_ms)
        .bind(kind)
        .bind(detail.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

impl Store {
    pub async fn history_add(
        &self,
        citizen_id: &str,
        kind: &str,
        detail: &serde_json::Value,
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut conn = self.pool().acquire().await?;
        add_history(&mut conn, citizen_id, kind, detail, now_ms).await
    }

    /// The newest entries first, at most `limit`, older than `before_ms` when given.
    pub async fn history_list(
        &self,
        citizen_id: &str,
        limit: u32,
        before_ms: Option<i64>,
    ) -> StoreResult<Vec<HistoryRow>> {
        Ok(sqlx::query_as::<_, HistoryRow>(
            "SELECT id, at, kind, detail FROM history WHERE citizen_id = $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT $3",
        )
        .bind(citizen_id)
        .bind(before_ms.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?)
    }
}
