//! The server's own key material in dev mode (signing keys and the HMAC key), so that a restart and
//! every replica on the same database use the same keys. Prod mode loads keys from files instead.

use super::{Store, StoreResult};

/// One stored key: a name (`token-es256`, `document-es256`, `hmac`) and its bytes.
pub struct KeyRow {
    pub name: String,
    pub material: Vec<u8>,
}

impl Store {
    /// Stores `material` under `name` unless a key of that name exists, and returns the stored key. Two
    /// replicas starting together both end up with the first one's key.
    pub async fn key_get_or_insert(&self, name: &str, material: &[u8], now_ms: i64) -> StoreResult<KeyRow> {
        sqlx::query(
            "INSERT INTO server_keys (name, material, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(material)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        let material: Vec<u8> = sqlx::query_scalar("SELECT material FROM server_keys WHERE name = $1")
            .bind(name)
            .fetch_one(self.pool())
            .await?;
        Ok(KeyRow { name: name.to_string(), material })
    }
}
