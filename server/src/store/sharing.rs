//! Shares, notifications and redeemer lock-outs. Redemption is one conditional UPDATE: of any number of
//! concurrent redeemers exactly one changes the row.

use super::citizens::CitizenRow;
use super::documents::DocumentRow;
use super::history::{Entry, add_history};
use super::{Backend, Store, StoreError, StoreResult};
use egov_core::documents::DocumentKind;
use sqlx::{AnyConnection, Connection};
use std::sync::LazyLock;

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

/// What an attempt on a share leaves behind, written atomically with the claim: history entries and at
/// most one notification (whose streams are woken once it is committed, see `events::EventBus::publish`).
#[derive(Default)]
pub struct Outcome {
    /// (citizen id, kind, detail)
    pub history: Vec<(String, &'static str, serde_json::Value)>,
    /// (citizen id, kind, body, event topic)
    pub notification: Option<(String, &'static str, serde_json::Value, String)>,
}

/// What a redemption reads before it claims: the newest share with the presented secret, its owner, the
/// document, and the photo its kind shows (from the source of [`DocumentKind::photo_source`]).
pub struct ShareContext {
    pub share: ShareRow,
    pub owner: CitizenRow,
    pub document: DocumentRow,
    pub photo: Option<Vec<u8>>,
    /// The revocation reason of the owner's newest national ID (`None` while it is valid).
    pub national_id_revoked: Option<String>,
}

/// One row of the redemption read: the share's columns under their own names, the owner's and the
/// document's under theirs (prefixed where the tables share a name).
#[derive(sqlx::FromRow)]
struct ContextRow {
    #[sqlx(flatten)]
    share: ShareRow,
    iin: String,
    phone: Option<String>,
    surname: String,
    given_name: String,
    patronymic: Option<String>,
    surname_lat: String,
    given_name_lat: String,
    birth_date: String,
    sex: String,
    kind: String,
    source: String,
    external_id: String,
    number: String,
    issued_on: String,
    expires_on: Option<String>,
    fields: String,
    document_revoked_at: Option<i64>,
    revoked_reason: Option<String>,
    checked_at: i64,
    photo: Option<Vec<u8>>,
    national_id_revoked: Option<String>,
}

impl ContextRow {
    fn into_context(self) -> ShareContext {
        let owner = CitizenRow {
            id: self.share.owner_id.clone(),
            iin: self.iin,
            phone: self.phone,
            surname: self.surname,
            given_name: self.given_name,
            patronymic: self.patronymic,
            surname_lat: self.surname_lat,
            given_name_lat: self.given_name_lat,
            birth_date: self.birth_date,
            sex: self.sex,
        };
        let document = DocumentRow {
            id: self.share.document_id.clone(),
            citizen_id: self.share.owner_id.clone(),
            kind: self.kind,
            source: self.source,
            external_id: self.external_id,
            number: self.number,
            issued_on: self.issued_on,
            expires_on: self.expires_on,
            fields: self.fields,
            revoked_at: self.document_revoked_at,
            revoked_reason: self.revoked_reason,
            checked_at: self.checked_at,
        };
        ShareContext {
            share: self.share,
            owner,
            document,
            photo: self.photo,
            national_id_revoked: self.national_id_revoked,
        }
    }
}

/// How a redemption ended.
pub enum Redemption<T> {
    /// No share has this secret.
    Unknown,
    /// The share exists, but the claim changed nothing (used, revoked or expired, its document revoked, or
    /// another redeemer won): nothing was written.
    Refused(ShareRow),
    /// Claimed, with the view recorded atomically: the claimed share, what `prepare` made, and the
    /// notification to publish.
    Claimed { share: ShareRow, made: T, published: Option<(String, String)> },
}

/// A value bound to an assembled statement.
enum Param {
    Text(String),
    Int(i64),
    Bytes(Vec<u8>),
    /// A fresh id for an inserted row (bound as text).
    RowId(String),
}

/// One statement assembled from parts, numbering its `$n` placeholders as parameters are added.
#[derive(Default)]
struct Statement {
    sql: String,
    params: Vec<Param>,
}

impl Statement {
    /// Adds a parameter; returns its placeholder.
    fn param(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.params.len())
    }

    fn text(&mut self, v: &str) -> String {
        self.param(Param::Text(v.to_string()))
    }

    fn query_as<T>(&self) -> sqlx::query::QueryAs<'_, sqlx::Any, T, sqlx::any::AnyArguments<'_>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        self.params.iter().fold(sqlx::query_as::<_, T>(&self.sql), |q, p| match p {
            Param::Text(v) | Param::RowId(v) => q.bind(v.as_str()),
            Param::Int(v) => q.bind(*v),
            Param::Bytes(v) => q.bind(v.as_slice()),
        })
    }

    /// The statement with every `$n` replaced by `value(param)`, for a benchmark that replays it.
    fn inlined(&self, value: impl Fn(&Param) -> String) -> String {
        let mut out = String::with_capacity(self.sql.len());
        let mut rest = self.sql.as_str();
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let digits = rest[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
            match rest[at + 1..at + 1 + digits].parse::<usize>().ok().and_then(|n| self.params.get(n.wrapping_sub(1))) {
                Some(p) => out.push_str(&value(p)),
                None => out.push_str(&rest[at..at + 1 + digits]),
            }
            rest = &rest[at + 1 + digits..];
        }
        out.push_str(rest);
        out
    }
}

/// The two statements of a PostgreSQL redemption by QR code, written for `pgbench`: the read, then the
/// claim that records `entry` as the owner's `share_viewed` history entry and notification. `bash
/// tests/bench.sh sharing postgres` replays them, so the database's ceiling is measured for exactly the work
/// a redemption asks of it. The presented token's hash is `sha256(int8send(:id))`, so each transaction can
/// claim a fresh share, and inserted rows get `gen_random_uuid()` ids; every other parameter is written as
/// a literal of the value the server binds.
pub fn redemption_pgbench_statements(
    owner_id: &str,
    redeemer: &RedeemerRef<'_>,
    entry: serde_json::Value,
    now_ms: i64,
) -> [String; 2] {
    const HASH: &str = "sha256(int8send(:id::bigint))";
    let outcome = Outcome {
        history: vec![(owner_id.to_string(), "share_viewed", entry.clone())],
        notification: Some((owner_id.to_string(), "share_viewed", entry, String::new())),
    };
    let published = (String::new(), uuid::Uuid::new_v4().to_string());
    let claim = outcome_statement(Some((By::Token, &[], redeemer)), &outcome, Some(&published), now_ms);
    let claim = claim.inlined(|p| match p {
        Param::Text(v) => format!("'{}'", v.replace('\'', "''")),
        Param::Int(v) => v.to_string(),
        Param::Bytes(_) => HASH.to_string(),
        Param::RowId(_) => "gen_random_uuid()::text".to_string(),
    });
    [context_sql(By::Token).replace("$1", HASH), claim]
}

/// The (topic, id) an outcome's notification will be published under, with a fresh id.
pub(super) fn to_publish(outcome: &Outcome) -> Option<(String, String)> {
    outcome.notification.as_ref().map(|(_, _, _, topic)| (topic.clone(), uuid::Uuid::new_v4().to_string()))
}

/// PostgreSQL: `outcome`, and with `claim` the claim it records, as one statement with a writable CTE per
/// row. One statement is atomic on its own, so a redemption writes in one round trip instead of a
/// transaction's five. With a claim every insert selects from it, so nothing is written unless the claim
/// changed the row, and the statement returns the claimed share.
fn outcome_statement(
    claim: Option<(By, &[u8], &RedeemerRef<'_>)>,
    outcome: &Outcome,
    published: Option<&(String, String)>,
    now_ms: i64,
) -> Statement {
    let mut st = Statement::default();
    let now = st.param(Param::Int(now_ms));
    let mut ctes = Vec::new();
    let gate = match claim {
        Some((by, hash, redeemer)) => {
            let hash = st.param(Param::Bytes(hash.to_vec()));
            let (kind, id, name) = (st.text(redeemer.kind), st.text(redeemer.id), st.text(redeemer.name));
            ctes.push(format!("claimed AS ({})", claim_sql(by, &hash, &now, &kind, &id, &name)));
            " FROM claimed"
        }
        None => "",
    };
    for (i, (citizen, kind, detail)) in outcome.history.iter().enumerate() {
        let id = st.param(Param::RowId(uuid::Uuid::new_v4().to_string()));
        let (citizen, kind, detail) = (st.text(citizen), st.text(kind), st.text(&detail.to_string()));
        ctes.push(format!(
            "history_{i} AS (INSERT INTO history (id, citizen_id, at, kind, detail) \
             SELECT {id}, {citizen}, {now}, {kind}, {detail}{gate})"
        ));
    }
    if let (Some((citizen, kind, body, _)), Some((_, id))) = (&outcome.notification, published) {
        let id = st.param(Param::RowId(id.clone()));
        let (citizen, kind, body) = (st.text(citizen), st.text(kind), st.text(&body.to_string()));
        ctes.push(format!(
            "notification AS (INSERT INTO notifications (id, citizen_id, at, kind, body) \
             SELECT {id}, {citizen}, {now}, {kind}, {body}{gate})"
        ));
    }
    let with = if ctes.is_empty() { String::new() } else { format!("WITH {} ", ctes.join(", ")) };
    st.sql = match claim {
        Some(_) => format!("{with}SELECT {COLUMNS} FROM claimed"),
        None => format!("{with}SELECT CAST(1 AS BIGINT) AS written"),
    };
    st
}

/// Writes an outcome on an open transaction, row by row (SQLite's redemption: in-process, so statements
/// are cheap; and any change that records an outcome beside its own statement).
pub(super) async fn write_outcome(
    conn: &mut AnyConnection,
    outcome: &Outcome,
    published: Option<&(String, String)>,
    now_ms: i64,
) -> StoreResult<()> {
    for (citizen, kind, detail) in &outcome.history {
        add_history(&mut *conn, citizen, kind, detail, now_ms).await?;
    }
    if let (Some((citizen, kind, body, _)), Some((_, id))) = (&outcome.notification, published) {
        sqlx::query("INSERT INTO notifications (id, citizen_id, at, kind, body) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(citizen)
            .bind(now_ms)
            .bind(*kind)
            .bind(body.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Store {
    /// A redemption on one pooled connection: reads the share with this secret, its owner, document and
    /// the photo its kind shows in one statement; lets `prepare` decide, from them, the outcome to record on success; then
    /// claims the share and records that outcome atomically (one statement on PostgreSQL, one transaction
    /// on SQLite).
    pub async fn share_redeem<T, E>(
        &self,
        by: By,
        hash: &[u8],
        redeemer: &RedeemerRef<'_>,
        now_ms: i64,
        prepare: impl FnOnce(&ShareContext) -> Result<(Outcome, T), E>,
    ) -> Result<Redemption<T>, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.pool().acquire().await.map_err(StoreError::from)?;
        let row: Option<ContextRow> =
            sqlx::query_as(context_sql(by)).bind(hash).fetch_optional(&mut *conn).await.map_err(StoreError::from)?;
        let Some(context) = row.map(ContextRow::into_context) else { return Ok(Redemption::Unknown) };
        let (outcome, made) = prepare(&context)?;
        let published = to_publish(&outcome);
        let claimed = match self.backend() {
            Backend::Postgres => {
                let st = outcome_statement(Some((by, hash, redeemer)), &outcome, published.as_ref(), now_ms);
                st.query_as::<ShareRow>().fetch_optional(&mut *conn).await.map_err(StoreError::from)?
            }
            Backend::Sqlite => {
                let mut tx = conn.begin().await.map_err(StoreError::from)?;
                let claimed = claim(&mut tx, by, hash, redeemer, now_ms).await?;
                if claimed.is_some() {
                    write_outcome(&mut tx, &outcome, published.as_ref(), now_ms).await?;
                    tx.commit().await.map_err(StoreError::from)?;
                }
                claimed
            }
        };
        Ok(match claimed {
            Some(share) => Redemption::Claimed { share, made, published },
            None => Redemption::Refused(context.share),
        })
    }

    /// Records an outcome atomically; returns the notification's (topic, id) to publish.
    pub async fn record_outcome(&self, outcome: &Outcome, now_ms: i64) -> StoreResult<Option<(String, String)>> {
        let published = to_publish(outcome);
        match self.backend() {
            Backend::Postgres => {
                let st = outcome_statement(None, outcome, published.as_ref(), now_ms);
                st.query_as::<(i64,)>().fetch_one(self.pool()).await?;
            }
            Backend::Sqlite => {
                let mut tx = self.pool().begin().await?;
                write_outcome(&mut tx, outcome, published.as_ref(), now_ms).await?;
                tx.commit().await?;
            }
        }
        Ok(published)
    }

    /// Writes a new share with the owner's `share_created` entry, in one transaction.
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
        entry: Entry<'_>,
    ) -> StoreResult<()> {
        let change = sqlx::query(
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
        .bind(expires_ms);
        self.change_recorded(change, entry, now_ms).await?;
        Ok(())
    }

    /// Whether a live share already has this short-code hash (a new share then draws another code).
    pub async fn share_code_live(&self, code_hash: &[u8], now_ms: i64) -> StoreResult<bool> {
        let sql = format!("SELECT COUNT(*) FROM shares WHERE code_hash = $1 AND {}", live("$2"));
        let n: i64 = sqlx::query_scalar(&sql).bind(code_hash).bind(now_ms).fetch_one(self.pool()).await?;
        Ok(n > 0)
    }

    pub async fn share_of(&self, owner_id: &str, id: &str) -> StoreResult<Option<ShareRow>> {
        let sql = format!("SELECT {COLUMNS} FROM shares WHERE owner_id = $1 AND id = $2");
        Ok(sqlx::query_as::<_, ShareRow>(&sql).bind(owner_id).bind(id).fetch_optional(self.pool()).await?)
    }

    /// The revocation reason of a citizen's newest national ID (`None` while it is valid or none is held).
    pub async fn national_id_revoked(&self, citizen_id: &str) -> StoreResult<Option<String>> {
        let r: Option<Option<String>> =
            sqlx::query_scalar(NEWEST_NATIONAL_ID_REVOKED).bind(citizen_id).fetch_optional(self.pool()).await?;
        Ok(r.flatten())
    }

    pub async fn share_by_id(&self, id: &str) -> StoreResult<Option<ShareRow>> {
        let sql = format!("SELECT {COLUMNS} FROM shares WHERE id = $1");
        Ok(sqlx::query_as::<_, ShareRow>(&sql).bind(id).fetch_optional(self.pool()).await?)
    }

    /// Moves a live share's expiry and records it; false (and nothing written) when it is no longer live.
    pub async fn share_extend(
        &self,
        owner_id: &str,
        id: &str,
        new_expires_ms: i64,
        now_ms: i64,
        entry: Entry<'_>,
    ) -> StoreResult<bool> {
        let sql = format!("UPDATE shares SET expires_at = $3 WHERE owner_id = $1 AND id = $2 AND {}", live("$4"));
        let change = sqlx::query(&sql).bind(owner_id).bind(id).bind(new_expires_ms).bind(now_ms);
        self.change_recorded(change, entry, now_ms).await
    }

    /// Revokes a live share and records it; false (and nothing written) when it is no longer live.
    pub async fn share_revoke(&self, owner_id: &str, id: &str, now_ms: i64, entry: Entry<'_>) -> StoreResult<bool> {
        let sql = format!("UPDATE shares SET revoked_at = $3 WHERE owner_id = $1 AND id = $2 AND {}", live("$3"));
        let change = sqlx::query(&sql).bind(owner_id).bind(id).bind(now_ms);
        self.change_recorded(change, entry, now_ms).await
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

    /// When the owner was last notified of a refused attempt on `share_id` (keyed by citizen).
    pub async fn last_refused_notice(&self, owner_id: &str, share_id: &str) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT MAX(at) FROM notifications WHERE citizen_id = $1 AND kind = 'share_refused' AND body LIKE $2",
        )
        .bind(owner_id)
        .bind(format!("%\"share_id\":\"{share_id}\"%"))
        .fetch_one(self.pool())
        .await?)
    }

    /// How many refused attempts on `share_id` the owner's history has after `after_ms`.
    pub async fn refused_since(&self, owner_id: &str, share_id: &str, after_ms: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM history WHERE citizen_id = $1 AND kind = 'share_refused' AND at > $2 AND detail LIKE $3",
        )
        .bind(owner_id)
        .bind(after_ms)
        .bind(format!("%\"share_id\":\"{share_id}\"%"))
        .fetch_one(self.pool())
        .await?)
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

/// The one atomic step of redemption, with its parameters' placeholders: claims the live share with this
/// secret for the redeemer if, and only if, it is unused, unrevoked, unexpired and its document is not
/// revoked. Of any number of concurrent claims exactly one changes the row (the row lock on PostgreSQL,
/// the write lock on SQLite, where it is the first statement of its transaction).
fn claim_sql(by: By, hash: &str, now: &str, kind: &str, id: &str, name: &str) -> String {
    format!(
        "UPDATE shares SET redeemed_at = {now}, redeemer_kind = {kind}, redeemer_id = {id}, redeemer_name = {name}
         WHERE {col} = {hash} AND {live}
           AND EXISTS (SELECT 1 FROM documents d WHERE d.id = shares.document_id AND d.revoked_at IS NULL)
         RETURNING {COLUMNS}",
        col = by.column(),
        live = live(now)
    )
}

/// The condition of a live share: unused, unrevoked and unexpired at `now` (a placeholder). The one
/// place it is written in SQL; every statement that must touch only a live share uses it.
fn live(now: &str) -> String {
    format!("redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > {now}")
}

/// SQLite's claim, on its transaction.
async fn claim(
    conn: &mut AnyConnection,
    by: By,
    hash: &[u8],
    redeemer: &RedeemerRef<'_>,
    now_ms: i64,
) -> StoreResult<Option<ShareRow>> {
    Ok(sqlx::query_as::<_, ShareRow>(&claim_sql(by, "$1", "$2", "$3", "$4", "$5"))
        .bind(hash)
        .bind(now_ms)
        .bind(redeemer.kind)
        .bind(redeemer.id)
        .bind(redeemer.name)
        .fetch_optional(conn)
        .await?)
}

/// `d.kind`'s photo source as SQL (`CASE d.kind WHEN ... END`), written out from core's rule.
/// A redemption's one read: the newest share with the presented secret's hash, its owner, its document and
/// the photo that document's kind shows (the kind → photo source `CASE` comes from core's rule).
fn context_sql(by: By) -> &'static str {
    fn build(by: By) -> String {
        let arms: String = DocumentKind::ALL
            .iter()
            .map(|k| format!(" WHEN '{}' THEN '{}'", k.as_str(), k.photo_source().as_str()))
            .collect();
        format!(
            "SELECT {share_columns}, c.iin, c.phone, c.surname, c.given_name, c.patronymic, c.surname_lat,
                    c.given_name_lat, c.birth_date, c.sex, d.kind, d.source, d.external_id, d.number, d.issued_on,
                    d.expires_on, d.fields, d.revoked_at AS document_revoked_at, d.revoked_reason, d.checked_at,
                    p.bytes AS photo, ({newest_id}) AS national_id_revoked
             FROM (SELECT {COLUMNS} FROM shares WHERE {col} = $1 ORDER BY created_at DESC LIMIT 1) s
             JOIN citizens c ON c.id = s.owner_id
             JOIN documents d ON d.id = s.document_id
             LEFT JOIN document_photos p ON p.citizen_id = s.owner_id AND p.source = CASE d.kind{arms} END",
            share_columns = prefixed("s", COLUMNS),
            newest_id = NEWEST_NATIONAL_ID_REVOKED.replace("$1", "s.owner_id"),
            col = by.column(),
        )
    }
    static BY_TOKEN: LazyLock<String> = LazyLock::new(|| build(By::Token));
    static BY_SHORT_CODE: LazyLock<String> = LazyLock::new(|| build(By::ShortCode));
    match by {
        By::Token => &BY_TOKEN,
        By::ShortCode => &BY_SHORT_CODE,
    }
}

/// The revocation reason of a citizen's (`$1`) newest national ID: NULL while it is valid or when none
/// is held. One query for the redemption (as a subquery) and the documents' status.
pub(super) const NEWEST_NATIONAL_ID_REVOKED: &str = "SELECT n.revoked_reason FROM documents n WHERE n.citizen_id = $1 AND n.kind = 'national_id' ORDER BY n.issued_on DESC, n.id DESC LIMIT 1";

/// `columns` (comma-separated) qualified by `table`.
fn prefixed(table: &str, columns: &str) -> String {
    columns.split(", ").map(|c| format!("{table}.{c}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgbench_statements_inline_every_parameter_and_vary_only_the_hash_and_row_ids() {
        let redeemer = RedeemerRef { kind: "organisation", id: "org-1", name: "O'Brien & Sons" };
        let entry = serde_json::json!({"share_id": "s-1", "viewer": "O'Brien & Sons"});
        let [read, claim] = redemption_pgbench_statements("citizen-1", &redeemer, entry, 1_700_000_000_000);
        let hash = "sha256(int8send(:id::bigint))";
        for sql in [&read, &claim] {
            assert!(!sql.contains('$'), "a placeholder is left in {sql}");
            assert!(
                sql.contains(&format!("token_hash = {hash}")),
                "the share is not found by the script's hash: {sql}"
            );
        }
        // A quote inside a value is doubled, so the literal ends where the value does.
        assert!(claim.contains("redeemer_name = 'O''Brien & Sons'"), "{claim}");
        assert!(claim.contains(r#"'{"share_id":"s-1","viewer":"O''Brien & Sons"}'"#), "{claim}");
        // $10 and above are replaced whole, not as $1 followed by a digit.
        for misread in ["17000000000000", "17000000000001", "17000000000002", "17000000000003"] {
            assert!(!claim.contains(misread), "a $1n placeholder was read as $1: {claim}");
        }
        assert_eq!(claim.matches("expires_at > 1700000000000").count(), 1, "{claim}");
        assert_eq!(claim.matches("gen_random_uuid()::text").count(), 2, "history and notification ids: {claim}");
        assert_eq!(claim.matches("'citizen-1'").count(), 2, "{claim}");
    }
}
