//! Sessions, their rotating refresh tokens (one family per session), device keys, EDS challenges and
//! enrolments.

use super::history::{Entry, add_history};
use super::sharing::{Outcome, to_publish, write_outcome};
use super::sms::{NewSms, enqueue_sms};
use super::{Store, StoreError, StoreResult};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub citizen_id: String,
    pub acr: String,
    pub device_id: Option<String>,
    pub client: String,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub last_used_at: i64,
    pub revoked_at: Option<i64>,
}

const SESSION_COLUMNS: &str =
    "id, citizen_id, acr, device_id, client, user_agent, created_at, last_used_at, revoked_at";

pub struct NewSession<'a> {
    pub id: &'a str,
    pub citizen_id: &'a str,
    pub acr: &'a str,
    pub device_id: Option<&'a str>,
    pub client: &'a str,
    pub user_agent: Option<&'a str>,
}

/// What rotating a refresh token found.
pub enum Rotation {
    /// The token was current; it is now rotated. The session it belongs to.
    Rotated(String),
    /// The token was already rotated (at `rotated_at`, ms): a retry within the grace window, or a replay.
    Replayed {
        sid: String,
        rotated_at: i64,
    },
    Unknown,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EnrolmentRow {
    pub id: String,
    pub kind: String,
    pub citizen_id: String,
    pub phone: Option<String>,
    /// `registration`, `approval` or `identity` (core's `EnrolmentMethod`).
    pub method: String,
    pub pairing_hash: Option<Vec<u8>>,
}

const ENROLMENT_COLUMNS: &str = "id, kind, citizen_id, phone, method, pairing_hash";

/// A device key to enrol.
pub struct NewDevice<'a> {
    pub id: &'a str,
    pub public_key: &'a str,
    pub name: &'a str,
    /// From when it signs: `None` until approved.
    pub active_from_ms: Option<i64>,
    pub enrolled_by: &'a str,
    pub pairing_hash: Option<&'a [u8]>,
}

/// A device key as the citizen's list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: String,
    pub name: String,
    pub enrolled_by: String,
    pub created_at: i64,
    pub active_from: Option<i64>,
    pub revoked_at: Option<i64>,
    pub pairing_hash: Option<Vec<u8>>,
    pub pairing_failures: i64,
}

const DEVICE_COLUMNS: &str =
    "id, name, enrolled_by, created_at, active_from, revoked_at, pairing_hash, pairing_failures";

/// A new enrolment: who it is for and how it was proven.
pub struct NewEnrolment<'a> {
    pub id: &'a str,
    pub token_hash: &'a [u8],
    /// `registration` or `device`.
    pub kind: &'a str,
    pub citizen_id: &'a str,
    /// A registration's phone, bound on completion.
    pub phone: Option<&'a str>,
    pub method: &'a str,
    pub pairing_hash: Option<&'a [u8]>,
}

/// What completing an enrolment came to; every outcome but `Done` wrote nothing.
pub enum Completion {
    Done(EnrolmentRow),
    /// Unknown, expired or already completed.
    Unknown,
    /// A registration for a citizen who has a phone already.
    AlreadyRegistered,
    /// A registration whose phone another citizen registered meanwhile.
    PhoneTaken,
}

impl Store {
    /// Creates a session with its first refresh token and the history entry, all or nothing.
    pub async fn session_create(
        &self,
        s: &NewSession<'_>,
        refresh_hash: &[u8],
        history: (&str, &serde_json::Value),
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO sessions (id, citizen_id, acr, device_id, client, user_agent, created_at, last_used_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(s.id)
        .bind(s.citizen_id)
        .bind(s.acr)
        .bind(s.device_id)
        .bind(s.client)
        .bind(s.user_agent)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3)")
            .bind(refresh_hash)
            .bind(s.id)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        add_history(&mut tx, s.citizen_id, history.0, history.1, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn session(&self, id: &str) -> StoreResult<Option<SessionRow>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
        Ok(sqlx::query_as::<_, SessionRow>(&sql).bind(id).fetch_optional(self.pool()).await?)
    }

    /// The citizen's sessions that are not revoked, newest first.
    pub async fn sessions_of(&self, citizen_id: &str) -> StoreResult<Vec<SessionRow>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE citizen_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC"
        );
        Ok(sqlx::query_as::<_, SessionRow>(&sql).bind(citizen_id).fetch_all(self.pool()).await?)
    }

    /// Rotates a refresh token to its successor, all or nothing: the conditional update that spends it and
    /// the insert of `next_hash` commit together, so a concurrent presenter that finds it spent also
    /// finds its successor. Tells a replay (with when it was rotated) from an unknown token.
    pub async fn refresh_rotate(&self, hash: &[u8], next_hash: &[u8], now_ms: i64) -> StoreResult<Rotation> {
        let mut tx = self.pool().begin().await?;
        let rotated: Option<String> = sqlx::query_scalar(
            "UPDATE refresh_tokens SET rotated_at = $2 WHERE token_hash = $1 AND rotated_at IS NULL RETURNING session_id",
        )
        .bind(hash)
        .bind(now_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(sid) = rotated else {
            tx.rollback().await?;
            let known: Option<(String, i64)> =
                sqlx::query_as("SELECT session_id, rotated_at FROM refresh_tokens WHERE token_hash = $1")
                    .bind(hash)
                    .fetch_optional(self.pool())
                    .await?;
            return Ok(known.map(|(sid, at)| Rotation::Replayed { sid, rotated_at: at }).unwrap_or(Rotation::Unknown));
        };
        sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3)")
            .bind(next_hash)
            .bind(&sid)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Rotation::Rotated(sid))
    }

    /// Records the session's use.
    pub async fn session_touch(&self, session_id: &str, now_ms: i64) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_used_at = $2 WHERE id = $1 AND last_used_at < $2")
            .bind(session_id)
            .bind(now_ms)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ends a session and records it; false (and nothing written) when it had already ended.
    pub async fn session_revoke(
        &self,
        session_id: &str,
        reason: &str,
        now_ms: i64,
        entry: Entry<'_>,
    ) -> StoreResult<bool> {
        let change = sqlx::query(
            "UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(session_id)
        .bind(now_ms)
        .bind(reason);
        self.change_recorded(change, entry, now_ms).await
    }

    /// The device `device_id` of the citizen with `iin`, if it signs at `now_ms` (not revoked, approved or
    /// past its hold): (public key, citizen id, device name).
    pub async fn device_of(
        &self,
        device_id: &str,
        iin: &str,
        now_ms: i64,
    ) -> StoreResult<Option<(String, String, String)>> {
        Ok(sqlx::query_as(
            "SELECT d.public_key, c.id, d.name FROM devices d JOIN citizens c ON c.id = d.citizen_id
             WHERE d.id = $1 AND c.iin = $2 AND d.revoked_at IS NULL AND d.active_from IS NOT NULL
             AND d.active_from <= $3",
        )
        .bind(device_id)
        .bind(iin)
        .bind(now_ms)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The citizen's device keys, newest first.
    pub async fn devices_of(&self, citizen_id: &str) -> StoreResult<Vec<DeviceRow>> {
        Ok(sqlx::query_as::<_, DeviceRow>(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE citizen_id = $1 ORDER BY created_at DESC"
        ))
        .bind(citizen_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// One of the citizen's device keys.
    pub async fn device(&self, citizen_id: &str, device_id: &str) -> StoreResult<Option<DeviceRow>> {
        Ok(sqlx::query_as::<_, DeviceRow>(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE citizen_id = $1 AND id = $2"
        ))
        .bind(citizen_id)
        .bind(device_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Activates a device that waits for approval, with its history entry; false when it no longer waits.
    pub async fn device_approve(&self, device_id: &str, now_ms: i64, entry: Entry<'_>) -> StoreResult<bool> {
        let change = sqlx::query(
            "UPDATE devices SET active_from = $2, pairing_hash = NULL
             WHERE id = $1 AND active_from IS NULL AND revoked_at IS NULL",
        )
        .bind(device_id)
        .bind(now_ms);
        self.change_recorded(change, entry, now_ms).await
    }

    /// Counts a wrong pairing code against a waiting device in one statement (counted before anything is
    /// compared again); at `limit` failures the device is refused for good. The failures now, if it waits.
    pub async fn device_pairing_failed(&self, device_id: &str, limit: i64, now_ms: i64) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(
            "UPDATE devices SET pairing_failures = pairing_failures + 1,
                revoked_at = CASE WHEN pairing_failures + 1 >= $2 THEN $3 ELSE revoked_at END
             WHERE id = $1 AND active_from IS NULL AND revoked_at IS NULL RETURNING pairing_failures",
        )
        .bind(device_id)
        .bind(limit)
        .bind(now_ms)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Revokes a device key and ends its sessions, with the citizen's history entry and notification, all
    /// or nothing; false when it was revoked already.
    pub async fn device_revoke(&self, device_id: &str, now_ms: i64, outcome: &Outcome) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(device_id)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2, revoked_reason = 'device-revoked' WHERE device_id = $1 AND revoked_at IS NULL",
        )
        .bind(device_id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        let published = to_publish(outcome);
        write_outcome(&mut tx, outcome, published.as_ref(), now_ms).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn device_name(&self, device_id: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar("SELECT name FROM devices WHERE id = $1")
            .bind(device_id)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn challenge_insert(
        &self,
        id: &str,
        iin: &str,
        nonce: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO eds_challenges (id, iin, nonce, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(iin)
            .bind(nonce)
            .bind(now_ms)
            .bind(expires_ms)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Consumes a live challenge (once): its (IIN, nonce).
    pub async fn challenge_consume(&self, id: &str, now_ms: i64) -> StoreResult<Option<(String, String)>> {
        Ok(sqlx::query_as(
            "UPDATE eds_challenges SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2 RETURNING iin, nonce",
        )
        .bind(id)
        .bind(now_ms)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn enrolment_insert(&self, e: &NewEnrolment<'_>, now_ms: i64, expires_ms: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO enrolments (id, token_hash, kind, citizen_id, phone, created_at, expires_at, method, pairing_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(e.id)
        .bind(e.token_hash)
        .bind(e.kind)
        .bind(e.citizen_id)
        .bind(e.phone)
        .bind(now_ms)
        .bind(expires_ms)
        .bind(e.method)
        .bind(e.pairing_hash)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A live, not yet completed enrolment by its token hash.
    pub async fn enrolment_pending(&self, token_hash: &[u8], now_ms: i64) -> StoreResult<Option<EnrolmentRow>> {
        Ok(sqlx::query_as::<_, EnrolmentRow>(
            &format!(
                "SELECT {ENROLMENT_COLUMNS} FROM enrolments WHERE token_hash = $1 AND completed_at IS NULL AND expires_at > $2"
            ),
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Completes an enrolment all or nothing: claims it, binds a registration's phone, and enrols the
    /// device with its `outcome` (history, notification) and an SMS `notice`. Any refusal rolls everything
    /// back, so the enrolment stays pending and a retry after a lost answer or a crash finds it as it was.
    /// With `Done`, the notification's (topic, id) to publish.
    pub async fn enrolment_complete(
        &self,
        token_hash: &[u8],
        now_ms: i64,
        device: &NewDevice<'_>,
        outcome: &Outcome,
        notice: Option<&NewSms<'_>>,
    ) -> StoreResult<(Completion, Option<(String, String)>)> {
        let mut tx = self.pool().begin().await?;
        let claimed: Option<EnrolmentRow> = sqlx::query_as(&format!(
            "UPDATE enrolments SET completed_at = $2 WHERE token_hash = $1 AND completed_at IS NULL AND expires_at > $2
             RETURNING {ENROLMENT_COLUMNS}"
        ))
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(claimed) = claimed else {
            tx.rollback().await?;
            return Ok((Completion::Unknown, None));
        };
        if let Some(phone) = &claimed.phone {
            let bound = sqlx::query("UPDATE citizens SET phone = $2 WHERE id = $1 AND phone IS NULL")
                .bind(&claimed.citizen_id)
                .bind(phone)
                .execute(&mut *tx)
                .await
                .map_err(conflict_or);
            let refused = match bound {
                Ok(r) if r.rows_affected() == 1 => None,
                Ok(_) => Some(Completion::AlreadyRegistered),
                Err(StoreError::Conflict) => Some(Completion::PhoneTaken),
                Err(e) => return Err(e),
            };
            if let Some(refused) = refused {
                tx.rollback().await?;
                return Ok((refused, None));
            }
        }
        sqlx::query(
            "INSERT INTO devices (id, citizen_id, public_key, name, created_at, active_from, enrolled_by, pairing_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(device.id)
        .bind(&claimed.citizen_id)
        .bind(device.public_key)
        .bind(device.name)
        .bind(now_ms)
        .bind(device.active_from_ms)
        .bind(device.enrolled_by)
        .bind(device.pairing_hash)
        .execute(&mut *tx)
        .await?;
        let published = to_publish(outcome);
        write_outcome(&mut tx, outcome, published.as_ref(), now_ms).await?;
        if let Some(notice) = notice {
            enqueue_sms(&mut tx, notice, now_ms).await?;
        }
        tx.commit().await?;
        Ok((Completion::Done(claimed), published))
    }

    /// Moves a citizen to a new phone: binds it, revokes every other session, tells the old number, and
    /// records it, all or nothing. Returns how many sessions were revoked.
    pub async fn citizen_change_phone(
        &self,
        citizen_id: &str,
        new_phone: &str,
        keep_session: &str,
        notice: &NewSms<'_>,
        history: &serde_json::Value,
        now_ms: i64,
    ) -> StoreResult<u64> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE citizens SET phone = $2 WHERE id = $1")
            .bind(citizen_id)
            .bind(new_phone)
            .execute(&mut *tx)
            .await
            .map_err(conflict_or)?;
        let revoked = sqlx::query(
            "UPDATE sessions SET revoked_at = $3, revoked_reason = 'phone-changed' WHERE citizen_id = $1 AND id <> $2 AND revoked_at IS NULL",
        )
        .bind(citizen_id)
        .bind(keep_session)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        enqueue_sms(&mut tx, notice, now_ms).await?;
        add_history(&mut tx, citizen_id, "phone_changed", history, now_ms).await?;
        tx.commit().await?;
        Ok(revoked)
    }
}

/// A unique-constraint violation becomes `StoreError::Conflict`.
pub(crate) fn conflict_or(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::Database(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{self, count};

    async fn citizen(store: &Store, id: &str, iin: &str, phone: Option<&str>) {
        sqlx::query(
            "INSERT INTO citizens (id, iin, phone, surname, given_name, surname_lat, given_name_lat, birth_date, sex, created_at)
             VALUES ($1, $2, $3, 'S', 'G', 'S', 'G', '1990-01-01', 'F', 0)",
        )
        .bind(id)
        .bind(iin)
        .bind(phone)
        .execute(store.pool())
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_refused_enrolment_writes_nothing_and_stays_pending_and_a_completed_one_writes_all() {
        let scratch = testing::sqlite().await;
        let store = &scratch.store;
        citizen(store, "a", "900315301237", Some("+77010000001")).await;
        citizen(store, "b", "871008401427", None).await;
        // B registers with the number A took meanwhile.
        let enrolment = NewEnrolment {
            id: "e1",
            token_hash: b"h1",
            kind: "registration",
            citizen_id: "b",
            phone: Some("+77010000001"),
            method: "registration",
            pairing_hash: None,
        };
        store.enrolment_insert(&enrolment, 0, 60_000).await.unwrap();
        let detail = serde_json::json!({"device": "phone"});
        let outcome = Outcome { history: vec![("b".into(), "registered", detail)], notification: None };
        let device = NewDevice {
            id: "d1",
            public_key: "k",
            name: "phone",
            active_from_ms: Some(1),
            enrolled_by: "registration",
            pairing_hash: None,
        };

        let (refused, _) = store.enrolment_complete(b"h1", 1, &device, &outcome, None).await.unwrap();
        assert!(matches!(refused, Completion::PhoneTaken));
        assert!(store.enrolment_pending(b"h1", 1).await.unwrap().is_some(), "the enrolment is not used up");
        assert_eq!(count(store, "SELECT count(*) FROM devices").await, 0, "no device");
        assert_eq!(count(store, "SELECT count(*) FROM history").await, 0, "no entry");

        // Once A's number is free again, the same enrolment completes, all of it.
        sqlx::query("UPDATE citizens SET phone = NULL WHERE id = 'a'").execute(store.pool()).await.unwrap();
        let (done, _) = store.enrolment_complete(b"h1", 2, &device, &outcome, None).await.unwrap();
        assert!(matches!(done, Completion::Done(ref e) if e.citizen_id == "b"));
        let phone = store.citizen_by_id("b").await.unwrap().unwrap().phone;
        assert_eq!(phone.as_deref(), Some("+77010000001"));
        assert_eq!(count(store, "SELECT count(*) FROM devices WHERE citizen_id = 'b'").await, 1);
        assert_eq!(count(store, "SELECT count(*) FROM history WHERE citizen_id = 'b'").await, 1);
        let (again, _) = store.enrolment_complete(b"h1", 3, &device, &outcome, None).await.unwrap();
        assert!(matches!(again, Completion::Unknown));
    }
}
