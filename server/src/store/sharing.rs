//! Shares, notifications and redeemer lock-outs. Redemption is one conditional UPDATE: of any number of
//! concurrent redeemers exactly one changes the row.

use super::history::add_history;
use super::{Backend, Store, StoreResult};
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShareRow {
    pub id: String,
    pub owner_id: String,
    pub document_id: String,
    pub preset: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub redeemed_at: Option<i64>,
    pub redeemer_kind: Option<String>,
    pub redeemer_name: Option<String>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str =
    "id, owner_id, document_id, preset, created_at, expires_at, redeemed_at, redeemer_kind, redeemer_name, revoked_at";

/// Which secret a redeemer presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Token,
    ShortCode,
}

impl By {
    fn column(self) -> &'static str {
        match self {
            By::Token => "token_hash",
            By::ShortCode => "code_hash",
        }
    }
}

/// Who redeems.
pub struct RedeemerRef<'a> {
    pub kind: &'a str,
    pub id: &'a str,
    pub name: &'a str,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: String,
    pub at: i64,
    pub kind: String,
    pub body: String,
    pub read_at: Option<i64>,
}

/// What an attempt on a share leaves behind, written in the same transaction as the claim: history
/// entries, at most one notification, and (PostgreSQL) the NOTIFY that wakes its streams on commit.
#[derive(Default)]
pub struct Outcome {
    /// (citizen id, kind, detail)
    pub history: Vec<(String, &'static str, serde_json::Value)>,
    /// (citizen id, kind, body, event topic)
    pub notification: Option<(String, &'static str, serde_json::Value, String)>,
}

/// Writes an outcome on an open transaction; returns the notification's (topic, id) to publish.
async fn write_outcome(
    conn: &mut AnyConnection,
    backend: Backend,
    outcome: &Outcome,
    now_ms: i64,
) -> StoreResult<Option<(String, String)>> {
    for (citizen, kind, detail) in &outcome.history {
        add_history(&mut *conn, citizen, kind, detail, now_ms).await?;
    }
    let Some((citizen, kind, body, topic)) = &outcome.notification else { return Ok(None) };
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query("INSERT INTO notifications (id, citizen_id, at, kind, body) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(citizen)
        .bind(now_ms)
        .bind(*kind)
        .bind(body.to_string())
        .execute(&mut *conn)
        .await?;
    if backend == Backend::Postgres {
        // NOTIFY is transactional: it is delivered on commit, and never for a rolled-back attempt.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(crate::events::CHANNEL)
            .bind(format!("{topic} {id}"))
            .execute(&mut *conn)
            .await?;
    }
    Ok(Some((topic.clone(), id)))
}

impl Store {
    /// Claims a share and records the view in one transaction: either both happen or neither.
    pub async fn share_claim_recording(
        &self,
        by: By,
        hash: &[u8],
        redeemer: &RedeemerRef<'_>,
        outcome: &Outcome,
        now_ms: i64,
    ) -> StoreResult<Option<(ShareRow, Option<(String, String)>)>> {
        let mut tx = self.pool().begin().await?;
        let Some(share) = claim(&mut tx, by, hash, redeemer, now_ms).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        let published = write_outcome(&mut tx, self.backend(), outcome, now_ms).await?;
        tx.commit().await?;
        Ok(Some((share, published)))
    }

    /// Records a refused attempt in one transaction.
    pub async fn record_outcome(&self, outcome: &Outcome, now_ms: i64) -> StoreResult<Option<(String, String)>> {
        let mut tx = self.pool().begin().await?;
        let published = write_outcome(&mut tx, self.backend(), outcome, now_ms).await?;
        tx.commit().await?;
        Ok(published)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn share_insert(
        &self,
        id: &str,
        owner_id: &str,
        document_id: &str,
        token_hash: &[u8],
        code_hash: &[u8],
        preset: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO shares (id, owner_id, document_id, token_hash, code_hash, preset, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(owner_id)
        .bind(document_id)
        .bind(token_hash)
        .bind(code_hash)
        .bind(preset)
        .bind(now_ms)
        .bind(expires_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Whether a live share already has this short-code hash (a new share then draws another code).
    pub async fn share_code_live(&self, code_hash: &[u8], now_ms: i64) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM shares WHERE code_hash = $1 AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(code_hash)
        .bind(now_ms)
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    pub async fn share_of(&self, owner_id: &str, id: &str) -> StoreResult<Option<ShareRow>> {
        let sql = format!("SELECT {COLUMNS} FROM shares WHERE owner_id = $1 AND id = $2");
        Ok(sqlx::query_as::<_, ShareRow>(&sql).bind(owner_id).bind(id).fetch_optional(self.pool()).await?)
    }

    pub async fn share_by_id(&self, id: &str) -> StoreResult<Option<ShareRow>> {
        let sql = format!("SELECT {COLUMNS} FROM shares WHERE id = $1");
        Ok(sqlx::query_as::<_, ShareRow>(&sql).bind(id).fetch_optional(self.pool()).await?)
    }

    /// The newest share with this secret, whatever its state (to say why a claim failed).
    pub async fn share_latest(&self, by: By, hash: &[u8]) -> StoreResult<Option<ShareRow>> {
        let sql = format!("SELECT {COLUMNS} FROM shares WHERE {} = $1 ORDER BY created_at DESC LIMIT 1", by.column());
        Ok(sqlx::query_as::<_, ShareRow>(&sql).bind(hash).fetch_optional(self.pool()).await?)
    }

    /// Moves a live share's expiry; false when it is no longer live.
    pub async fn share_extend(&self, owner_id: &str, id: &str, new_expires_ms: i64, now_ms: i64) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE shares SET expires_at = $3
             WHERE owner_id = $1 AND id = $2 AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $4",
        )
        .bind(owner_id)
        .bind(id)
        .bind(new_expires_ms)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Revokes a live share; false when it is no longer live.
    pub async fn share_revoke(&self, owner_id: &str, id: &str, now_ms: i64) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE shares SET revoked_at = $3 WHERE owner_id = $1 AND id = $2 AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $3",
        )
        .bind(owner_id)
        .bind(id)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Deletes shares that expired unused before `before_ms` (no copy of them exists; the owner's history
    /// keeps their record). Used shares stay: holders of copies may ask their status.
    pub async fn shares_cleanup(&self, before_ms: i64) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM shares WHERE redeemed_at IS NULL AND expires_at < $1")
            .bind(before_ms)
            .execute(self.pool())
            .await?
            .rows_affected())
    }

    pub async fn redeemer_locked_until(&self, redeemer: &str) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT locked_until FROM redeemer_locks WHERE redeemer = $1")
            .bind(redeemer)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn redeemer_lock(&self, redeemer: &str, until_ms: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO redeemer_locks (redeemer, locked_until) VALUES ($1, $2) ON CONFLICT (redeemer) DO UPDATE SET locked_until = excluded.locked_until",
        )
        .bind(redeemer)
        .bind(until_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The citizen's notifications newer than `after_ms`, oldest first, at most `limit`.
    pub async fn notifications_after(
        &self,
        citizen_id: &str,
        after_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<NotificationRow>> {
        Ok(sqlx::query_as::<_, NotificationRow>(
            "SELECT id, at, kind, body, read_at FROM notifications WHERE citizen_id = $1 AND at > $2 ORDER BY at, id LIMIT $3",
        )
        .bind(citizen_id)
        .bind(after_ms)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?)
    }

    /// The newest notifications first.
    pub async fn notifications_latest(&self, citizen_id: &str, limit: u32) -> StoreResult<Vec<NotificationRow>> {
        Ok(sqlx::query_as::<_, NotificationRow>(
            "SELECT id, at, kind, body, read_at FROM notifications WHERE citizen_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(citizen_id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?)
    }
}

/// The one atomic step of redemption: claims the live share with this secret for `redeemer` if, and only
/// if, it is unused, unrevoked, unexpired and its document is not revoked. As the first statement of its
/// transaction it takes the write lock on SQLite and the row lock on PostgreSQL.
async fn claim(
    conn: &mut AnyConnection,
    by: By,
    hash: &[u8],
    redeemer: &RedeemerRef<'_>,
    now_ms: i64,
) -> StoreResult<Option<ShareRow>> {
    let sql = format!(
        "UPDATE shares SET redeemed_at = $2, redeemer_kind = $3, redeemer_id = $4, redeemer_name = $5
         WHERE {col} = $1 AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $2
           AND EXISTS (SELECT 1 FROM documents d WHERE d.id = shares.document_id AND d.revoked_at IS NULL)
         RETURNING {COLUMNS}",
        col = by.column()
    );
    Ok(sqlx::query_as::<_, ShareRow>(&sql)
        .bind(hash)
        .bind(now_ms)
        .bind(redeemer.kind)
        .bind(redeemer.id)
        .bind(redeemer.name)
        .fetch_optional(conn)
        .await?)
}
