//! The citizen's history: what happened on their account, keyed by citizen. Details name things (levels,
//! devices, masked phones, fields), never secrets or document values.

use super::sharing::{Outcome, to_publish, write_outcome};
use super::sms::{NewSms, enqueue_sms};
use super::{Store, StoreResult};
use sqlx::AnyConnection;

/// A change of state, as a statement not yet run: see [`Store::change_recorded`].
pub type Change<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// The history entry that records a change, written in the change's transaction.
pub struct Entry<'a> {
    pub citizen_id: &'a str,
    pub kind: &'static str,
    pub detail: &'a serde_json::Value,
}

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
    /// Runs `change` and, when it touched a row, appends `entry`, in one transaction: the citizen never
    /// sees a change without its entry, nor an entry for a change that did not happen. Returns whether
    /// the change touched a row (a conditional change that matched nothing writes no entry).
    pub async fn change_recorded(&self, change: Change<'_>, entry: Entry<'_>, now_ms: i64) -> StoreResult<bool> {
        let outcome = Outcome {
            history: vec![(entry.citizen_id.to_string(), entry.kind, entry.detail.clone())],
            notification: None,
        };
        Ok(self.change_with(change, None, &outcome, now_ms).await?.is_some())
    }

    /// Runs `change` and, when it touched a row, queues `sms` and writes `outcome` (history entries, a
    /// notification), in one transaction. `None` when the change matched nothing (and nothing was
    /// written); otherwise the notification's (topic, id) to publish once committed, if there is one.
    pub async fn change_with(
        &self,
        change: Change<'_>,
        sms: Option<&NewSms<'_>>,
        outcome: &Outcome,
        now_ms: i64,
    ) -> StoreResult<Option<Option<(String, String)>>> {
        let mut tx = self.pool().begin().await?;
        if change.execute(&mut *tx).await?.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        if let Some(sms) = sms {
            enqueue_sms(&mut tx, sms, now_ms).await?;
        }
        let published = to_publish(outcome);
        write_outcome(&mut tx, outcome, published.as_ref(), now_ms).await?;
        tx.commit().await?;
        Ok(Some(published))
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{self, count};

    #[tokio::test]
    async fn a_change_and_its_entry_are_written_together_or_not_at_all() {
        let scratch = testing::sqlite().await;
        let store = &scratch.store;
        sqlx::query("CREATE TABLE probe (id TEXT PRIMARY KEY)").execute(store.pool()).await.unwrap();
        // An entry the database refuses, standing in for any failure between the two writes.
        sqlx::query(
            "CREATE TRIGGER refuse BEFORE INSERT ON history WHEN NEW.kind = 'refused'
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        .execute(store.pool())
        .await
        .unwrap();
        let detail = serde_json::json!({"probe": "a"});
        let entry = |kind| Entry { citizen_id: "c1", kind, detail: &detail };

        let failed =
            store.change_recorded(sqlx::query("INSERT INTO probe (id) VALUES ('a')"), entry("refused"), 1).await;
        assert!(failed.is_err(), "the refused entry fails the call");
        assert_eq!(count(store, "SELECT count(*) FROM probe").await, 0, "and the change is rolled back with it");

        let none = sqlx::query("UPDATE probe SET id = 'b' WHERE id = 'missing'");
        assert!(!store.change_recorded(none, entry("probed"), 2).await.unwrap(), "a change that matched nothing");
        assert_eq!(count(store, "SELECT count(*) FROM history").await, 0, "records nothing");

        let done = store.change_recorded(sqlx::query("INSERT INTO probe (id) VALUES ('a')"), entry("probed"), 3);
        assert!(done.await.unwrap());
        assert_eq!(count(store, "SELECT count(*) FROM probe").await, 1);
        let listed = store.history_list("c1", 10, None).await.unwrap();
        assert_eq!(listed.len(), 1, "one change, one entry");
        assert_eq!((listed[0].kind.as_str(), listed[0].at), ("probed", 3));
    }
}
