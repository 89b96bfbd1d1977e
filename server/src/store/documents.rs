//! Documents, their photos and per-source sync state. Keyed by citizen; never deleted; a revocation is
//! never undone by a later sync.

use super::sharing::{Outcome, to_publish, write_outcome};
use super::{Store, StoreResult};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: String,
    pub citizen_id: String,
    pub kind: String,
    pub source: String,
    pub external_id: String,
    pub number: String,
    pub issued_on: String,
    pub expires_on: Option<String>,
    pub fields: String,
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
    pub checked_at: i64,
}

const COLUMNS: &str = "id, citizen_id, kind, source, external_id, number, issued_on, expires_on, fields, revoked_at, revoked_reason, checked_at";

/// A document as a registry gives it now.
pub struct FreshDocument {
    pub kind: String,
    pub external_id: String,
    pub number: String,
    pub issued_on: String,
    pub expires_on: Option<String>,
    pub fields: String,
    pub revoked_reason: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SyncRow {
    pub source: String,
    pub checked_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub error: Option<String>,
}

impl Store {
    pub async fn documents_of(&self, citizen_id: &str) -> StoreResult<Vec<DocumentRow>> {
        let sql = format!("SELECT {COLUMNS} FROM documents WHERE citizen_id = $1 ORDER BY created_at, id");
        Ok(sqlx::query_as::<_, DocumentRow>(&sql).bind(citizen_id).fetch_all(self.pool()).await?)
    }

    /// One of the citizen's documents (None for anyone else's).
    pub async fn document_of(&self, citizen_id: &str, id: &str) -> StoreResult<Option<DocumentRow>> {
        let sql = format!("SELECT {COLUMNS} FROM documents WHERE citizen_id = $1 AND id = $2");
        Ok(sqlx::query_as::<_, DocumentRow>(&sql).bind(citizen_id).bind(id).fetch_optional(self.pool()).await?)
    }

    /// Applies what one source holds now: adds new documents, updates changed ones, marks all of the
    /// source's documents confirmed. Returns (added, updated).
    pub async fn documents_apply(
        &self,
        citizen_id: &str,
        source: &str,
        fresh: &[FreshDocument],
        now_ms: i64,
    ) -> StoreResult<(u32, u32)> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO document_syncs (citizen_id, source, checked_at) VALUES ($1, $2, $3)
             ON CONFLICT (citizen_id, source) DO UPDATE SET checked_at = excluded.checked_at, error = NULL",
        )
        .bind(citizen_id)
        .bind(source)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        let existing: Vec<(String, String, String, Option<String>, String)> = sqlx::query_as(
            "SELECT external_id, number, issued_on, expires_on, fields FROM documents WHERE citizen_id = $1 AND source = $2",
        )
        .bind(citizen_id)
        .bind(source)
        .fetch_all(&mut *tx)
        .await?;
        let (mut added, mut updated) = (0, 0);
        for doc in fresh {
            let before = existing.iter().find(|e| e.0 == doc.external_id);
            match before {
                None => {
                    sqlx::query(
                        "INSERT INTO documents (id, citizen_id, kind, source, external_id, number, issued_on, expires_on, fields,
                                                revoked_at, revoked_reason, checked_at, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12)",
                    )
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(citizen_id)
                    .bind(&doc.kind)
                    .bind(source)
                    .bind(&doc.external_id)
                    .bind(&doc.number)
                    .bind(&doc.issued_on)
                    .bind(doc.expires_on.as_deref())
                    .bind(&doc.fields)
                    .bind(doc.revoked_reason.as_ref().map(|_| now_ms))
                    .bind(doc.revoked_reason.as_deref())
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                    added += 1;
                }
                Some((_, number, issued, expires, fields)) => {
                    let changed = *number != doc.number
                        || *issued != doc.issued_on
                        || *expires != doc.expires_on
                        || *fields != doc.fields;
                    if changed {
                        updated += 1;
                    }
                    sqlx::query(
                        "UPDATE documents SET number = $3, issued_on = $4, expires_on = $5, fields = $6,
                             updated_at = CASE WHEN $7 = 1 THEN $8 ELSE updated_at END,
                             revoked_at = COALESCE(revoked_at, $9), revoked_reason = COALESCE(revoked_reason, $10)
                         WHERE citizen_id = $1 AND source = $11 AND external_id = $2",
                    )
                    .bind(citizen_id)
                    .bind(&doc.external_id)
                    .bind(&doc.number)
                    .bind(&doc.issued_on)
                    .bind(doc.expires_on.as_deref())
                    .bind(&doc.fields)
                    .bind(i64::from(changed))
                    .bind(now_ms)
                    .bind(doc.revoked_reason.as_ref().map(|_| now_ms))
                    .bind(doc.revoked_reason.as_deref())
                    .bind(source)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        sqlx::query("UPDATE documents SET checked_at = $3 WHERE citizen_id = $1 AND source = $2")
            .bind(citizen_id)
            .bind(source)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((added, updated))
    }

    /// Records that a source could not be reached (its documents stay as they were).
    pub async fn documents_sync_failed(
        &self,
        citizen_id: &str,
        source: &str,
        error: &str,
        now_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO document_syncs (citizen_id, source, failed_at, error) VALUES ($1, $2, $3, $4)
             ON CONFLICT (citizen_id, source) DO UPDATE SET failed_at = excluded.failed_at, error = excluded.error",
        )
        .bind(citizen_id)
        .bind(source)
        .bind(now_ms)
        .bind(error)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn document_syncs(&self, citizen_id: &str) -> StoreResult<Vec<SyncRow>> {
        Ok(sqlx::query_as::<_, SyncRow>(
            "SELECT source, checked_at, failed_at, error FROM document_syncs WHERE citizen_id = $1 ORDER BY source",
        )
        .bind(citizen_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn photo_put(
        &self,
        citizen_id: &str,
        source: &str,
        bytes: &[u8],
        etag: &str,
        now_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO document_photos (citizen_id, source, bytes, etag, checked_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (citizen_id, source) DO UPDATE SET bytes = excluded.bytes, etag = excluded.etag, checked_at = excluded.checked_at",
        )
        .bind(citizen_id)
        .bind(source)
        .bind(bytes)
        .bind(etag)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The photo of a source: (bytes, etag).
    pub async fn photo_get(&self, citizen_id: &str, source: &str) -> StoreResult<Option<(Vec<u8>, String)>> {
        Ok(sqlx::query_as("SELECT bytes, etag FROM document_photos WHERE citizen_id = $1 AND source = $2")
            .bind(citizen_id)
            .bind(source)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Marks the citizen's documents of `kind` (and `number`, when given) revoked; returns the newly revoked
    /// (id, number).
    /// Revokes the citizen's valid documents of `kind` (one `number`, or all), and writes the outcome
    /// `record` makes of the revoked (id, number) pairs (the history entry and the notification), in one
    /// transaction. Nothing is written when no document matched. Returns the revoked pairs and the
    /// notification's (topic, id) to publish.
    pub async fn documents_revoke(
        &self,
        citizen_id: &str,
        kind: &str,
        number: Option<&str>,
        reason: &str,
        now_ms: i64,
        record: impl FnOnce(&[(String, String)]) -> Outcome,
    ) -> StoreResult<(Vec<(String, String)>, Option<(String, String)>)> {
        let mut tx = self.pool().begin().await?;
        let revoked: Vec<(String, String)> = sqlx::query_as(
            "UPDATE documents SET revoked_at = $4, revoked_reason = $5
             WHERE citizen_id = $1 AND kind = $2 AND ($3 = '' OR number = $3) AND revoked_at IS NULL
             RETURNING id, number",
        )
        .bind(citizen_id)
        .bind(kind)
        .bind(number.unwrap_or(""))
        .bind(now_ms)
        .bind(reason)
        .fetch_all(&mut *tx)
        .await?;
        if revoked.is_empty() {
            tx.rollback().await?;
            return Ok((revoked, None));
        }
        let outcome = record(&revoked);
        let published = to_publish(&outcome);
        write_outcome(&mut tx, &outcome, published.as_ref(), now_ms).await?;
        tx.commit().await?;
        Ok((revoked, published))
    }
}
