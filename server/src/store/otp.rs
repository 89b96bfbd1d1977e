//! One-time password flows, per-phone send history and failure counters. Every counting step is one
//! conditional statement, so concurrent tries cannot overrun a limit.

use super::sms::{NewSms, enqueue_sms};
use super::{Store, StoreResult, from_millis};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlowRow {
    pub id: String,
    pub purpose: String,
    pub phone: String,
    pub citizen_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub tries: i64,
    pub consumed_at: Option<i64>,
    pub voided_at: Option<i64>,
    pub mismatches: i64,
}

/// A flow to create.
pub struct NewFlow<'a> {
    pub id: &'a str,
    pub purpose: &'a str,
    pub phone: &'a str,
    pub citizen_id: Option<&'a str>,
    pub code_hash: Option<&'a [u8]>,
    pub expires_at_ms: i64,
}

/// The outcome of an atomic try on a flow.
pub struct Try {
    pub tries: i64,
    pub code_hash: Option<Vec<u8>>,
}

impl Store {
    /// Records a send to `flow.phone` if `decide` allows it given the phone's sends of the last day: in one
    /// transaction that first takes the phone's row (so two sends to one phone are decided one at a time),
    /// voids the phone's older unused codes of the same purpose, creates the flow, counts the send and
    /// queues the SMS (if any). Returns `decide`'s refusal unchanged.
    pub async fn otp_start<E>(
        &self,
        flow: &NewFlow<'_>,
        sms: Option<&NewSms<'_>>,
        now: DateTime<Utc>,
        decide: impl FnOnce(&[DateTime<Utc>]) -> Result<(), E>,
    ) -> StoreResult<Result<(), E>> {
        let now_ms = now.timestamp_millis();
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO otp_phone_state (phone, consecutive_failures) VALUES ($1, 0)
             ON CONFLICT (phone) DO UPDATE SET consecutive_failures = otp_phone_state.consecutive_failures",
        )
        .bind(flow.phone)
        .execute(&mut *tx)
        .await?;
        let sends: Vec<i64> = sqlx::query_scalar("SELECT sent_at FROM otp_sends WHERE phone = $1 AND sent_at > $2")
            .bind(flow.phone)
            .bind(now_ms - 24 * 3_600_000)
            .fetch_all(&mut *tx)
            .await?;
        let sends: Vec<DateTime<Utc>> = sends.into_iter().map(from_millis).collect();
        if let Err(refused) = decide(&sends) {
            tx.rollback().await?;
            return Ok(Err(refused));
        }
        sqlx::query(
            "UPDATE otp_flows SET voided_at = $3 WHERE phone = $1 AND purpose = $2 AND consumed_at IS NULL AND voided_at IS NULL",
        )
        .bind(flow.phone)
        .bind(flow.purpose)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO otp_flows (id, purpose, phone, citizen_id, code_hash, created_at, expires_at, tries, mismatches)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0)",
        )
        .bind(flow.id)
        .bind(flow.purpose)
        .bind(flow.phone)
        .bind(flow.citizen_id)
        .bind(flow.code_hash)
        .bind(now_ms)
        .bind(flow.expires_at_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO otp_sends (phone, sent_at) VALUES ($1, $2)")
            .bind(flow.phone)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        if let Some(sms) = sms {
            enqueue_sms(&mut tx, sms, now_ms).await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    pub async fn otp_flow(&self, id: &str) -> StoreResult<Option<FlowRow>> {
        Ok(sqlx::query_as::<_, FlowRow>(
            "SELECT id, purpose, phone, citizen_id, created_at, expires_at, tries, consumed_at, voided_at, mismatches
             FROM otp_flows WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Until when OTP login is locked for a phone (None when it is not).
    pub async fn otp_locked_until(&self, phone: &str) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar::<_, Option<i64>>("SELECT locked_until FROM otp_phone_state WHERE phone = $1")
            .bind(phone)
            .fetch_optional(self.pool())
            .await?
            .flatten())
    }

    /// Counts a try on a live flow before the code is compared; None when the flow is used, voided,
    /// expired or out of tries.
    pub async fn otp_count_try(&self, id: &str, max_tries: u32, now_ms: i64) -> StoreResult<Option<Try>> {
        let row: Option<(i64, Option<Vec<u8>>)> = sqlx::query_as(
            "UPDATE otp_flows SET tries = tries + 1
             WHERE id = $1 AND consumed_at IS NULL AND voided_at IS NULL AND expires_at > $2 AND tries < $3
             RETURNING tries, code_hash",
        )
        .bind(id)
        .bind(now_ms)
        .bind(i64::from(max_tries))
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(tries, code_hash)| Try { tries, code_hash }))
    }

    /// Marks a flow used; false if another request used it first.
    pub async fn otp_consume(&self, id: &str, now_ms: i64) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE otp_flows SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL")
            .bind(id)
            .bind(now_ms)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Counts a failed try against the phone and returns its consecutive failures.
    pub async fn otp_phone_failed(&self, phone: &str) -> StoreResult<u32> {
        let n: i64 = sqlx::query_scalar(
            "INSERT INTO otp_phone_state (phone, consecutive_failures) VALUES ($1, 1)
             ON CONFLICT (phone) DO UPDATE SET consecutive_failures = otp_phone_state.consecutive_failures + 1
             RETURNING consecutive_failures",
        )
        .bind(phone)
        .fetch_one(self.pool())
        .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    pub async fn otp_phone_lock(&self, phone: &str, until_ms: i64) -> StoreResult<()> {
        sqlx::query("UPDATE otp_phone_state SET locked_until = $2 WHERE phone = $1")
            .bind(phone)
            .bind(until_ms)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A correct code: the phone's failure streak ends.
    pub async fn otp_phone_succeeded(&self, phone: &str) -> StoreResult<()> {
        sqlx::query("UPDATE otp_phone_state SET consecutive_failures = 0, locked_until = NULL WHERE phone = $1")
            .bind(phone)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Counts an identity mismatch on a registration flow and returns the flow's count.
    pub async fn otp_count_mismatch(&self, id: &str) -> StoreResult<u32> {
        let n: i64 =
            sqlx::query_scalar("UPDATE otp_flows SET mismatches = mismatches + 1 WHERE id = $1 RETURNING mismatches")
                .bind(id)
                .fetch_one(self.pool())
                .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}
