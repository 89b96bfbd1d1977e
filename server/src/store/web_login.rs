//! Website login requests and signing requests. Every state change is one conditional UPDATE, so "first
//! scanner wins", "approve once" and "exchange once" hold across replicas.

use super::history::Entry;
use super::{Store, StoreResult};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebLoginRow {
    pub id: String,
    pub poll_hash: Vec<u8>,
    pub qr_issued_at: i64,
    pub status: String,
    pub right_code: i64,
    pub site: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub city: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub citizen_id: Option<String>,
    pub session_acr: Option<String>,
    pub login_code_until: Option<i64>,
}

const WL_COLUMNS: &str = "id, poll_hash, qr_issued_at, status, right_code, site, user_agent, ip, city, created_at, expires_at, citizen_id, session_acr, login_code_until";

pub struct NewWebLogin<'a> {
    pub id: &'a str,
    pub poll_hash: &'a [u8],
    pub qr_hash: &'a [u8],
    pub right_code: u8,
    pub site: &'a str,
    pub user_agent: Option<&'a str>,
    pub ip: &'a str,
    pub city: Option<&'a str>,
    pub expires_ms: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignRequestRow {
    pub id: String,
    pub poll_hash: Vec<u8>,
    pub digest: String,
    pub description: String,
    pub organisation: String,
    /// The requesting organisation's client id (`operator` for this service's own pages).
    pub organisation_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub status: String,
    pub public_key: Option<String>,
    pub signature: Option<String>,
    pub signer_name: Option<String>,
    pub signed_at: Option<i64>,
}

/// A website's signing request to keep.
pub struct NewSignRequest<'a> {
    pub id: &'a str,
    pub poll_hash: &'a [u8],
    pub digest: &'a str,
    /// The descriptions (kk, ru, en) as JSON.
    pub description: &'a str,
    /// The registered name of the organisation that asked, and its client id.
    pub organisation: &'a str,
    pub organisation_id: &'a str,
}

const SR_COLUMNS: &str = "id, poll_hash, digest, description, organisation, organisation_id, created_at, expires_at, status, public_key, signature, signer_name, signed_at";

impl Store {
    pub async fn web_login_insert(&self, w: &NewWebLogin<'_>, now_ms: i64) -> StoreResult<()> {
        // `choices` held the three codes the phone once offered; the citizen types the code now.
        sqlx::query(
            "INSERT INTO web_logins (id, poll_hash, qr_hash, qr_issued_at, status, right_code, choices, site, user_agent, ip, city, created_at, expires_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, '', $6, $7, $8, $9, $4, $10)",
        )
        .bind(w.id)
        .bind(w.poll_hash)
        .bind(w.qr_hash)
        .bind(now_ms)
        .bind(i64::from(w.right_code))
        .bind(w.site)
        .bind(w.user_agent)
        .bind(w.ip)
        .bind(w.city)
        .bind(w.expires_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn web_login(&self, id: &str) -> StoreResult<Option<WebLoginRow>> {
        let sql = format!("SELECT {WL_COLUMNS} FROM web_logins WHERE id = $1");
        Ok(sqlx::query_as::<_, WebLoginRow>(&sql).bind(id).fetch_optional(self.pool()).await?)
    }

    /// Replaces the QR secret of a pending request whose QR was issued at `issued_at` (one replica wins).
    pub async fn web_login_rotate(&self, id: &str, issued_at: i64, qr_hash: &[u8], now_ms: i64) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE web_logins SET qr_hash = $3, qr_issued_at = $4 WHERE id = $1 AND qr_issued_at = $2 AND status = 'pending' AND expires_at > $4",
        )
        .bind(id)
        .bind(issued_at)
        .bind(qr_hash)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// First scanner wins: claims a pending request whose current QR (issued within `qr_ttl_ms`) has this
    /// secret.
    pub async fn web_login_scan(
        &self,
        qr_hash: &[u8],
        citizen_id: &str,
        acr: &str,
        qr_ttl_ms: i64,
        now_ms: i64,
    ) -> StoreResult<Option<WebLoginRow>> {
        let sql = format!(
            "UPDATE web_logins SET status = 'scanned', citizen_id = $2, session_acr = $3, scanned_at = $5
             WHERE qr_hash = $1 AND status = 'pending' AND qr_issued_at > $5 - $4 AND expires_at > $5
             RETURNING {WL_COLUMNS}"
        );
        Ok(sqlx::query_as::<_, WebLoginRow>(&sql)
            .bind(qr_hash)
            .bind(citizen_id)
            .bind(acr)
            .bind(qr_ttl_ms)
            .bind(now_ms)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The request whose current QR secret hashes to this (to explain a failed scan).
    pub async fn web_login_by_qr(&self, qr_hash: &[u8]) -> StoreResult<Option<WebLoginRow>> {
        let sql = format!("SELECT {WL_COLUMNS} FROM web_logins WHERE qr_hash = $1");
        Ok(sqlx::query_as::<_, WebLoginRow>(&sql).bind(qr_hash).fetch_optional(self.pool()).await?)
    }

    /// The scanner's decision on a scanned, unexpired request: `approved` with a login code, or `denied`.
    #[allow(clippy::too_many_arguments)]
    pub async fn web_login_decide(
        &self,
        id: &str,
        citizen_id: &str,
        status: &str,
        login_code_hash: Option<&[u8]>,
        code_until: Option<i64>,
        now_ms: i64,
        entry: Entry<'_>,
    ) -> StoreResult<bool> {
        let change = sqlx::query(
            "UPDATE web_logins SET status = $3, decided_at = $6, login_code_hash = $4, login_code_until = $5
             WHERE id = $1 AND citizen_id = $2 AND status = 'scanned' AND expires_at > $6",
        )
        .bind(id)
        .bind(citizen_id)
        .bind(status)
        .bind(login_code_hash)
        .bind(code_until)
        .bind(now_ms);
        self.change_recorded(change, entry, now_ms).await
    }

    /// Exchanges a live login code once; the request it belongs to.
    pub async fn web_login_exchange(&self, code_hash: &[u8], now_ms: i64) -> StoreResult<Option<WebLoginRow>> {
        let sql = format!(
            "UPDATE web_logins SET status = 'consumed', exchanged_at = $2
             WHERE login_code_hash = $1 AND status = 'approved' AND login_code_until > $2
             RETURNING {WL_COLUMNS}"
        );
        Ok(sqlx::query_as::<_, WebLoginRow>(&sql).bind(code_hash).bind(now_ms).fetch_optional(self.pool()).await?)
    }

    pub async fn web_login_by_code(&self, code_hash: &[u8]) -> StoreResult<Option<WebLoginRow>> {
        let sql = format!("SELECT {WL_COLUMNS} FROM web_logins WHERE login_code_hash = $1");
        Ok(sqlx::query_as::<_, WebLoginRow>(&sql).bind(code_hash).fetch_optional(self.pool()).await?)
    }

    pub async fn sign_request_insert(&self, r: &NewSignRequest<'_>, now_ms: i64, expires_ms: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sign_requests (id, poll_hash, digest, description, organisation, organisation_id, created_at, expires_at, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending')",
        )
        .bind(r.id)
        .bind(r.poll_hash)
        .bind(r.digest)
        .bind(r.description)
        .bind(r.organisation)
        .bind(r.organisation_id)
        .bind(now_ms)
        .bind(expires_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// When `citizen_id` typed a wrong website-login check code since `since_ms` (their history, keyed by
    /// citizen).
    pub async fn wrong_check_codes(&self, citizen_id: &str, since_ms: i64) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT at FROM history WHERE citizen_id = $1 AND kind = 'web_login_wrong_code' AND at >= $2",
        )
        .bind(citizen_id)
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn sign_request(&self, id: &str) -> StoreResult<Option<SignRequestRow>> {
        let sql = format!("SELECT {SR_COLUMNS} FROM sign_requests WHERE id = $1");
        Ok(sqlx::query_as::<_, SignRequestRow>(&sql).bind(id).fetch_optional(self.pool()).await?)
    }

    /// Records the signature on a pending, unexpired request (once).
    #[allow(clippy::too_many_arguments)]
    #[allow(clippy::too_many_arguments)]
    pub async fn sign_request_sign(
        &self,
        id: &str,
        citizen_id: &str,
        device_id: &str,
        public_key: &str,
        signature: &str,
        signer_name: &str,
        now_ms: i64,
        entry: Entry<'_>,
    ) -> StoreResult<bool> {
        let change = sqlx::query(
            "UPDATE sign_requests SET status = 'signed', citizen_id = $2, device_id = $3, public_key = $4, signature = $5, signer_name = $6, signed_at = $7
             WHERE id = $1 AND status = 'pending' AND expires_at > $7",
        )
        .bind(id)
        .bind(citizen_id)
        .bind(device_id)
        .bind(public_key)
        .bind(signature)
        .bind(signer_name)
        .bind(now_ms);
        self.change_recorded(change, entry, now_ms).await
    }

    /// A citizen's device key that signs at `now_ms` (not revoked, approved or past its hold): (public key,
    /// name).
    pub async fn device_of_citizen(
        &self,
        device_id: &str,
        citizen_id: &str,
        now_ms: i64,
    ) -> StoreResult<Option<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT public_key, name FROM devices WHERE id = $1 AND citizen_id = $2 AND revoked_at IS NULL
             AND active_from IS NOT NULL AND active_from <= $3",
        )
        .bind(device_id)
        .bind(citizen_id)
        .bind(now_ms)
        .fetch_optional(self.pool())
        .await?)
    }
}
