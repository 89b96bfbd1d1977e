//! Organisations: verifiers, state bodies and websites, provisioned by operators (`egov-server clients`)
//! or seeded in dev mode. Secrets are stored only as keyed hashes.

use super::{Store, StoreResult};

/// An organisation client.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgClientRow {
    pub client_id: String,
    pub name: String,
    pub bin: Option<String>,
    pub secret_hash: Vec<u8>,
    /// Space-separated scopes.
    pub scopes: String,
    /// A website's origin.
    pub origin: Option<String>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

const COLUMNS: &str = "client_id, name, bin, secret_hash, scopes, origin, created_at, disabled_at";

/// A client to register.
pub struct NewOrgClient<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub bin: Option<&'a str>,
    pub scopes: &'a str,
    pub origin: Option<&'a str>,
    pub secret_hash: &'a [u8],
}

impl Store {
    /// An enabled client (a disabled one is as unknown).
    pub async fn org_client(&self, client_id: &str) -> StoreResult<Option<OrgClientRow>> {
        let sql = format!("SELECT {COLUMNS} FROM org_clients WHERE client_id = $1 AND disabled_at IS NULL");
        Ok(sqlx::query_as::<_, OrgClientRow>(&sql).bind(client_id).fetch_optional(self.pool()).await?)
    }

    /// Every client, enabled or not, by id.
    pub async fn org_clients(&self) -> StoreResult<Vec<OrgClientRow>> {
        let sql = format!("SELECT {COLUMNS} FROM org_clients ORDER BY client_id");
        Ok(sqlx::query_as::<_, OrgClientRow>(&sql).fetch_all(self.pool()).await?)
    }

    /// Registers a client; false (and nothing written) when the id is taken.
    pub async fn org_client_add(&self, c: &NewOrgClient<'_>, now_ms: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO org_clients (client_id, name, bin, secret_hash, scopes, origin, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (client_id) DO NOTHING",
        )
        .bind(c.client_id)
        .bind(c.name)
        .bind(c.bin)
        .bind(c.secret_hash)
        .bind(c.scopes)
        .bind(c.origin)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces a client's secret (the old one stops working at once); false for an unknown client.
    pub async fn org_client_set_secret(&self, client_id: &str, secret_hash: &[u8]) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE org_clients SET secret_hash = $2 WHERE client_id = $1")
            .bind(client_id)
            .bind(secret_hash)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Disables a client: it gets no new token (those issued expire within their 10 minutes); false when
    /// unknown or disabled already.
    pub async fn org_client_disable(&self, client_id: &str, now_ms: i64) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE org_clients SET disabled_at = $2 WHERE client_id = $1 AND disabled_at IS NULL")
            .bind(client_id)
            .bind(now_ms)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
