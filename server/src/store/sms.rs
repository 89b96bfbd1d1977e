//! The SMS queue: a transactional outbox. A message is inserted in the same transaction as the flow that
//! needs it; a worker on any replica claims due messages with one conditional update (a lease), delivers
//! them and records the outcome.

use super::{Store, StoreResult};
use sqlx::AnyConnection;

/// A message to queue.
pub struct NewSms<'a> {
    pub phone: &'a str,
    pub sender: &'a str,
    pub text: &'a str,
    /// `otp` or `notice`.
    pub kind: &'a str,
    /// An OTP is pointless after its code expires; a notice never expires.
    pub expires_at_ms: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedSms {
    pub id: String,
    pub phone: String,
    pub sender: String,
    pub body: Option<String>,
    pub attempts: i64,
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct OutboxRow {
    pub id: String,
    pub phone: String,
    pub sender: String,
    pub body: Option<String>,
    pub kind: String,
    pub status: String,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

pub async fn enqueue_sms(conn: &mut AnyConnection, sms: &NewSms<'_>, now_ms: i64) -> StoreResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO sms_queue (id, phone, sender, body, kind, status, attempts, next_attempt_at, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $7, $6)",
    )
    .bind(&id)
    .bind(sms.phone)
    .bind(sms.sender)
    .bind(sms.text)
    .bind(sms.kind)
    .bind(now_ms)
    .bind(sms.expires_at_ms)
    .execute(conn)
    .await?;
    Ok(id)
}

impl Store {
    pub async fn sms_enqueue(&self, sms: &NewSms<'_>, now_ms: i64) -> StoreResult<String> {
        let mut conn = self.pool().acquire().await?;
        enqueue_sms(&mut conn, sms, now_ms).await
    }

    /// Claims the oldest due message for `lease_ms` (no other worker takes it meanwhile). The conditions
    /// are repeated in the outer `WHERE`, so of two workers that pick the same row only one claims it.
    pub async fn sms_claim_due(&self, now_ms: i64, lease_ms: i64) -> StoreResult<Option<QueuedSms>> {
        Ok(sqlx::query_as::<_, QueuedSms>(
            "UPDATE sms_queue SET claimed_until = $2, attempts = attempts + 1
             WHERE id = (SELECT id FROM sms_queue WHERE status = 'queued' AND next_attempt_at <= $1
                           AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY next_attempt_at LIMIT 1)
               AND status = 'queued' AND (claimed_until IS NULL OR claimed_until < $1)
             RETURNING id, phone, sender, body, attempts, expires_at",
        )
        .bind(now_ms)
        .bind(now_ms + lease_ms)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn sms_delivered(&self, id: &str, provider_id: &str, keep_text: bool, now_ms: i64) -> StoreResult<()> {
        let sql = if keep_text {
            "UPDATE sms_queue SET status = 'delivered', delivered_at = $2, provider_id = $3, claimed_until = NULL WHERE id = $1"
        } else {
            "UPDATE sms_queue SET status = 'delivered', delivered_at = $2, provider_id = $3, claimed_until = NULL, body = NULL WHERE id = $1"
        };
        sqlx::query(sql).bind(id).bind(now_ms).bind(provider_id).execute(self.pool()).await?;
        Ok(())
    }

    pub async fn sms_retry_at(&self, id: &str, next_ms: i64, error: &str) -> StoreResult<()> {
        sqlx::query("UPDATE sms_queue SET next_attempt_at = $2, last_error = $3, claimed_until = NULL WHERE id = $1")
            .bind(id)
            .bind(next_ms)
            .bind(error)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Gives up on a message; its text is wiped.
    pub async fn sms_failed(&self, id: &str, error: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sms_queue SET status = 'failed', last_error = $2, claimed_until = NULL, body = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The dev outbox: the messages queued for a phone, newest first.
    pub async fn sms_outbox(&self, phone: &str, limit: u32) -> StoreResult<Vec<OutboxRow>> {
        Ok(sqlx::query_as::<_, OutboxRow>(
            "SELECT id, phone, sender, body, kind, status, created_at, delivered_at FROM sms_queue
             WHERE phone = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(phone)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?)
    }
}
