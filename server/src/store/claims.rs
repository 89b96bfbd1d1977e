//! PostgreSQL's redemption claims, grouped: the claims that arrive while earlier ones are being written go
//! to the database together, as one statement that claims every share it can and records each claimed
//! share's outcome. The statement, its commit and its WAL flush are paid once per group instead of once per
//! redemption, which is most of a redemption's database cost (`BENCHMARKS.md`).
//!
//! Exactly-once holds as for a single claim: the `UPDATE` changes a row only while it is unused, unrevoked
//! and unexpired, and when two claims in one group name the same share PostgreSQL updates the row once, for
//! one of them; only that one gets the row back, and only its outcome is written. A group is one statement,
//! so it commits or fails whole; every claim in a failed group gets the error (a clean 503 when the database
//! is unreachable) and nothing of it is written.
//!
//! Under light load a group is a single claim, sent at once: nothing waits for company.

use super::sharing::{By, Outcome, SHARE_COLUMNS, ShareRow};
use super::{StoreError, StoreResult};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sqlx::AnyPool;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use tokio::sync::{Semaphore, mpsc, oneshot};

/// At most this many claims in one statement.
const MAX_GROUP: usize = 64;

/// At most this many group statements in flight per process. While they are, new claims queue, and go
/// together in the next.
const IN_FLIGHT: usize = 4;

/// PostgreSQL's deadlock SQLSTATE: two groups that lock shared rows in opposite orders. Rows are locked in
/// the order of their secret's hash, so this should not happen; if it does, the group is run once more.
const DEADLOCK: &str = "40P01";

/// One redemption's claim: the secret's hash, who claims, when, and what to record if it wins.
pub(super) struct Claim<'a> {
    pub by: By,
    pub hash: &'a [u8],
    /// (kind, id, name)
    pub redeemer: (&'a str, &'a str, &'a str),
    pub at: i64,
    pub outcome: &'a Outcome,
    pub published: Option<&'a (String, String)>,
}

/// A claim as queued: its statement rows, already built, and where its answer goes.
struct Queued {
    by: By,
    hash: Vec<u8>,
    claim: Value,
    history: Vec<Value>,
    notifications: Vec<Value>,
    reply: oneshot::Sender<Result<Option<ShareRow>, Arc<sqlx::Error>>>,
}

/// The handle to a process's claim writer (cheap to clone).
#[derive(Clone)]
pub(super) struct Claims {
    queue: mpsc::UnboundedSender<Queued>,
}

impl Claims {
    /// Starts the writer on the current runtime; it stops when the last handle is dropped.
    pub fn start(pool: AnyPool) -> Claims {
        let (queue, waiting) = mpsc::unbounded_channel();
        tokio::spawn(write_groups(pool, waiting));
        Claims { queue }
    }

    /// Claims the share and records `outcome` if this claim wins; the claimed share, or `None` when the
    /// claim changed nothing (used, revoked, expired, its document revoked, or another claim won).
    pub async fn claim(&self, c: Claim<'_>) -> StoreResult<Option<ShareRow>> {
        let (reply, answer) = oneshot::channel();
        let (mut history, mut notifications) = (Vec::new(), Vec::new());
        outcome_rows(c.outcome, c.published, c.at, &mut history, &mut notifications);
        let (kind, id, name) = c.redeemer;
        let queued = Queued {
            by: c.by,
            hash: c.hash.to_vec(),
            claim: json!({"hash": STANDARD.encode(c.hash), "at": c.at, "rkind": kind, "rid": id, "rname": name}),
            history,
            notifications,
            reply,
        };
        // Either failure means the writer is gone (the runtime is shutting down, or it panicked).
        let gone = || StoreError::Shared(Arc::new(sqlx::Error::WorkerCrashed));
        self.queue.send(queued).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?.map_err(StoreError::Shared)
    }
}

/// The writer: takes the first waiting claim, waits for a free slot, then takes every claim that queued
/// meanwhile (up to [`MAX_GROUP`]) and writes them as groups on their own task.
async fn write_groups(pool: AnyPool, mut waiting: mpsc::UnboundedReceiver<Queued>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = waiting.recv().await {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else { return };
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match waiting.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let pool = pool.clone();
        tokio::spawn(async move {
            let (by_token, by_code): (Vec<_>, Vec<_>) = group.into_iter().partition(|q| q.by == By::Token);
            for group in [by_token, by_code].into_iter().filter(|g| !g.is_empty()) {
                write_group(&pool, group).await;
            }
            drop(slot);
        });
    }
}

/// One statement for claims of one kind of secret; answers each claim.
async fn write_group(pool: &AnyPool, mut group: Vec<Queued>) {
    group.sort_by(|a, b| a.hash.cmp(&b.hash));
    let by = group[0].by;
    for (i, q) in group.iter_mut().enumerate() {
        for row in std::iter::once(&mut q.claim).chain(&mut q.history).chain(&mut q.notifications) {
            row["i"] = json!(i);
        }
    }
    let claims: Vec<Value> = group.iter_mut().map(|q| q.claim.take()).collect();
    let history: Vec<Value> = group.iter_mut().flat_map(|q| q.history.drain(..)).collect();
    let notifications: Vec<Value> = group.iter_mut().flat_map(|q| q.notifications.drain(..)).collect();
    let params =
        [Value::Array(claims).to_string(), Value::Array(history).to_string(), Value::Array(notifications).to_string()];
    let mut result = run_group(pool, by, &params).await;
    if matches!(&result, Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(DEADLOCK)) {
        tracing::warn!(claims = group.len(), "a group of share claims deadlocked; running it once more");
        result = run_group(pool, by, &params).await;
    }
    match result {
        Ok(mut claimed) => {
            for (i, q) in group.into_iter().enumerate() {
                let _ = q.reply.send(Ok(claimed.remove(&(i as i64))));
            }
        }
        Err(e) => {
            let e = Arc::new(e);
            for q in group {
                let _ = q.reply.send(Err(Arc::clone(&e)));
            }
        }
    }
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    i: i64,
    #[sqlx(flatten)]
    share: ShareRow,
}

async fn run_group(pool: &AnyPool, by: By, params: &[String; 3]) -> Result<HashMap<i64, ShareRow>, sqlx::Error> {
    let rows = sqlx::query_as::<_, ClaimedRow>(group_sql(by))
        .bind(params[0].as_str())
        .bind(params[1].as_str())
        .bind(params[2].as_str())
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|r| (r.i, r.share)).collect())
}

/// The rows an outcome writes, for the statements' `json_to_recordset` inputs (a group tags each with `i`,
/// the claim it belongs to).
fn outcome_rows(
    outcome: &Outcome,
    published: Option<&(String, String)>,
    at: i64,
    history: &mut Vec<Value>,
    notifications: &mut Vec<Value>,
) {
    for (citizen, kind, detail) in &outcome.history {
        let id = uuid::Uuid::new_v4().to_string();
        history.push(json!({"id": id, "citizen_id": citizen, "at": at, "kind": kind, "detail": detail.to_string()}));
    }
    if let (Some((citizen, kind, body, _)), Some((_, id))) = (&outcome.notification, published) {
        notifications.push(json!({"id": id, "citizen_id": citizen, "at": at, "kind": kind, "body": body.to_string()}));
    }
}

/// The writable CTEs that insert an outcome's history entries (parameter `$h`) and notification (`$h+1`),
/// given as JSON arrays of rows; with `gate`, only the rows whose `i` it selects.
fn outcome_ctes(h: usize, gate: &str) -> String {
    let n = h + 1;
    format!(
        "history_rows AS (INSERT INTO history (id, citizen_id, at, kind, detail)
           SELECT o.id, o.citizen_id, o.at, o.kind, o.detail
           FROM json_to_recordset(${h}::json) AS o(i BIGINT, id TEXT, citizen_id TEXT, at BIGINT, kind TEXT, detail TEXT){gate}),
         notification_rows AS (INSERT INTO notifications (id, citizen_id, at, kind, body)
           SELECT o.id, o.citizen_id, o.at, o.kind, o.body
           FROM json_to_recordset(${n}::json) AS o(i BIGINT, id TEXT, citizen_id TEXT, at BIGINT, kind TEXT, body TEXT){gate})"
    )
}

/// A group's statement: `$1` is the claims, a JSON array of `{i, hash (base64), at, rkind, rid, rname}`.
/// Each claims the live share with that secret, as the single claim of `sharing` does; the outcomes of
/// the claims that changed a row are inserted; the claimed shares come back with their claim's `i`.
fn group_sql(by: By) -> &'static str {
    fn build(by: By) -> String {
        let returning = SHARE_COLUMNS.split(", ").map(|c| format!("shares.{c}")).collect::<Vec<_>>().join(", ");
        format!(
            "WITH input AS (
               SELECT * FROM json_to_recordset($1::json)
                 AS r(i BIGINT, hash TEXT, at BIGINT, rkind TEXT, rid TEXT, rname TEXT)
             ),
             claimed AS (
               UPDATE shares SET redeemed_at = input.at, redeemer_kind = input.rkind, redeemer_id = input.rid,
                                 redeemer_name = input.rname
               FROM input
               WHERE shares.{col} = decode(input.hash, 'base64') AND shares.redeemed_at IS NULL
                 AND shares.revoked_at IS NULL AND shares.expires_at > input.at
                 AND EXISTS (SELECT 1 FROM documents d WHERE d.id = shares.document_id AND d.revoked_at IS NULL)
               RETURNING input.i, {returning}
             ),
             {outcome}
             SELECT * FROM claimed",
            col = by.column(),
            outcome = outcome_ctes(2, " WHERE o.i IN (SELECT i FROM claimed)"),
        )
    }
    static BY_TOKEN: LazyLock<String> = LazyLock::new(|| build(By::Token));
    static BY_SHORT_CODE: LazyLock<String> = LazyLock::new(|| build(By::ShortCode));
    match by {
        By::Token => &BY_TOKEN,
        By::ShortCode => &BY_SHORT_CODE,
    }
}

/// Writes one outcome with no claim (a refused attempt's record) as one statement.
pub(super) async fn write_outcome_alone(
    pool: &AnyPool,
    outcome: &Outcome,
    published: Option<&(String, String)>,
    at: i64,
) -> StoreResult<()> {
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("WITH {} SELECT CAST(1 AS BIGINT) AS written", outcome_ctes(1, "")));
    let (mut history, mut notifications) = (Vec::new(), Vec::new());
    outcome_rows(outcome, published, at, &mut history, &mut notifications);
    sqlx::query_as::<_, (i64,)>(&SQL)
        .bind(Value::Array(history).to_string())
        .bind(Value::Array(notifications).to_string())
        .fetch_one(pool)
        .await?;
    Ok(())
}
