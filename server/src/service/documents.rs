//! Digital documents: generated from the agency registries on first use and on "Update", never deleted,
//! available from 16 with a national ID, revoked when reported lost or stolen.

use crate::App;
use crate::adapters::registry::RegistryRecord;
use crate::service::error::{Failure, Thing, capability_error, internal};
use crate::service::notify;
use crate::store::citizens::CitizenRow;
use crate::store::documents::{DocumentRow, FreshDocument, SyncRow};
use crate::store::sharing::Outcome;
use chrono::NaiveDate;
use egov_api::wire::{SourceOutcome, SourceStatus};
use egov_core::documents::{
    DocumentBody, DocumentKind, DocumentStatus, NotAvailable, Source, Suspension, documents_available, status,
    suspension,
};
use egov_core::time::almaty_date;

/// Why the documents cannot be shown or changed.
#[derive(Debug, thiserror::Error)]
pub enum DocumentsError {
    #[error(transparent)]
    Common(#[from] Failure),
    #[error("digital documents are available from the age of 16, for you from {}", egov_core::time::day_month_year(*available_from))]
    Under16 { available_from: NaiveDate },
    #[error("digital documents need a national ID card; none has been issued to you")]
    NoNationalId,
}
capability_error!(DocumentsError);

/// The citizen's row, or 404.
pub async fn citizen(app: &App, citizen_id: &str) -> Result<CitizenRow, Failure> {
    app.store.citizen_by_id(citizen_id).await?.ok_or(Failure::NotFound(Thing::Citizen))
}

fn today(app: &App) -> NaiveDate {
    almaty_date(app.clock.now())
}

fn not_available(reason: NotAvailable) -> DocumentsError {
    match reason {
        NotAvailable::TooYoung { available_from } => DocumentsError::Under16 { available_from },
        NotAvailable::NoNationalId => DocumentsError::NoNationalId,
    }
}

fn birth_date(c: &CitizenRow) -> Result<NaiveDate, Failure> {
    NaiveDate::parse_from_str(&c.birth_date, "%Y-%m-%d").map_err(|_| internal("a stored birth date"))
}

/// The age rule alone (checked before asking any registry).
fn check_age(app: &App, c: &CitizenRow) -> Result<(), DocumentsError> {
    match documents_available(birth_date(c)?, true, today(app)) {
        Err(reason @ NotAvailable::TooYoung { .. }) => Err(not_available(reason)),
        _ => Ok(()),
    }
}

/// Turns a registry record into what is stored; None when it is not (yet) a document or is malformed.
fn fresh(record: RegistryRecord) -> Option<FreshDocument> {
    if record.kind.source() != record.source {
        tracing::warn!(
            kind = record.kind.as_str(),
            source = record.source.as_str(),
            "registry record from the wrong source ignored"
        );
        return None;
    }
    let body = match DocumentBody::parse(record.kind, &record.fields) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, external_id = %record.external_id, "malformed registry record ignored");
            return None;
        }
    };
    body.is_issuable().then(|| FreshDocument {
        kind: record.kind.as_str().to_string(),
        external_id: record.external_id,
        number: record.number,
        issued_on: record.issued_on.to_string(),
        expires_on: record.expires_on.map(|d| d.to_string()),
        fields: body.to_json().to_string(),
        revoked_reason: record.revoked.map(|r| r.reason),
    })
}

fn etag(bytes: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    format!("\"{}\"", d.as_ref()[..12].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Asks every source at once and applies what each answers; a source that is down leaves its documents
/// as they were and is reported.
pub async fn sync(app: &App, c: &CitizenRow) -> Result<Vec<SourceOutcome>, DocumentsError> {
    let mut tasks = tokio::task::JoinSet::new();
    for registry in &app.registries.0 {
        // Each task owns a handle: a spawned task outlives this borrow of `app`.
        let registry = std::sync::Arc::clone(registry);
        let iin = c.iin.clone();
        tasks.spawn(async move {
            let source = registry.source();
            let records = registry.records(&iin).await;
            let photo = match source {
                Source::Individuals | Source::Interior => Some(registry.photo(&iin).await),
                _ => None,
            };
            (source, records, photo)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let Ok((source, records, photo)) = joined else { return Err(internal("a registry task panicked").into()) };
        let now = app.clock.now_ms();
        match records {
            Ok(records) => {
                let docs: Vec<FreshDocument> = records.into_iter().filter_map(fresh).collect();
                let (added, updated) = app.store.documents_apply(&c.id, source.as_str(), &docs, now).await?;
                outcomes.push(SourceOutcome {
                    source: source.as_str().into(),
                    status: SourceStatus::Ok,
                    added,
                    updated,
                    detail: None,
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "registry unavailable during sync");
                app.store.documents_sync_failed(&c.id, source.as_str(), &e.to_string(), now).await?;
                outcomes.push(SourceOutcome {
                    source: source.as_str().into(),
                    status: SourceStatus::Unavailable,
                    added: 0,
                    updated: 0,
                    detail: Some(e.to_string()),
                });
            }
        }
        if let Some(Ok(Some(bytes))) = photo {
            app.store.photo_put(&c.id, source.as_str(), &bytes, &etag(&bytes), now).await?;
        }
    }
    outcomes.sort_by(|a, b| a.source.cmp(&b.source));
    Ok(outcomes)
}

/// The citizen's documents (generated on first use), or why they have none.
pub async fn list(app: &App, citizen_id: &str) -> Result<(CitizenRow, Vec<DocumentRow>, Vec<SyncRow>), DocumentsError> {
    let c = citizen(app, citizen_id).await?;
    check_age(app, &c)?;
    let mut syncs = app.store.document_syncs(&c.id).await?;
    if syncs.is_empty() {
        sync(app, &c).await?;
        syncs = app.store.document_syncs(&c.id).await?;
    }
    let docs = app.store.documents_of(&c.id).await?;
    let has_id = docs.iter().any(|d| d.kind == DocumentKind::NationalId.as_str());
    documents_available(birth_date(&c)?, has_id, today(app)).map_err(not_available)?;
    Ok((c, docs, syncs))
}

/// "Update": asks every source again.
pub async fn refresh(app: &App, citizen_id: &str) -> Result<Vec<SourceOutcome>, DocumentsError> {
    let c = citizen(app, citizen_id).await?;
    check_age(app, &c)?;
    let outcomes = sync(app, &c).await?;
    let (added, updated): (u32, u32) = outcomes.iter().fold((0, 0), |(a, u), o| (a + o.added, u + o.updated));
    let detail = serde_json::json!({"added": added, "updated": updated,
        "unavailable": outcomes.iter().filter(|o| o.status != SourceStatus::Ok).map(|o| o.source.clone()).collect::<Vec<_>>()});
    app.store.history_add(&c.id, "documents_refreshed", &detail, app.clock.now_ms()).await?;
    Ok(outcomes)
}

/// One of the citizen's documents, or 404 (also for anyone else's id), with the citizen's suspension.
pub async fn get(
    app: &App,
    citizen_id: &str,
    id: &str,
) -> Result<(CitizenRow, DocumentRow, Option<Suspension>), DocumentsError> {
    let (c, docs, _) = list(app, citizen_id).await?;
    let suspended = suspension_in(&docs);
    let doc = docs.into_iter().find(|d| d.id == id).ok_or(Failure::NotFound(Thing::Document))?;
    Ok((c, doc, suspended))
}

/// Whether a citizen's documents (all of them, as listed) are suspended: their newest national ID is
/// reported lost or stolen.
pub fn suspension_in(docs: &[DocumentRow]) -> Option<Suspension> {
    let newest = docs
        .iter()
        .filter(|d| d.kind == DocumentKind::NationalId.as_str())
        .max_by(|a, b| (&a.issued_on, &a.id).cmp(&(&b.issued_on, &b.id)));
    suspension(newest.and_then(|d| d.revoked_reason.as_deref()))
}

/// The status of a stored document today, under the citizen's suspension.
pub fn status_of(app: &App, d: &DocumentRow, suspended: Option<Suspension>) -> DocumentStatus {
    let expires = d.expires_on.as_deref().and_then(|e| NaiveDate::parse_from_str(e, "%Y-%m-%d").ok());
    status(expires, d.revoked_at.is_some(), today(app)).under(suspended)
}

/// The photo shown with a document: (JPEG bytes, etag).
pub async fn photo(app: &App, citizen_id: &str, id: &str) -> Result<(Vec<u8>, String), DocumentsError> {
    let (c, doc, _) = get(app, citizen_id, id).await?;
    let kind = DocumentKind::parse(&doc.kind).ok_or(internal("a stored document kind"))?;
    Ok(app.store.photo_get(&c.id, kind.photo_source().as_str()).await?.ok_or(Failure::NotFound(Thing::Photo))?)
}

/// A state body reports a citizen's document lost or stolen.
pub async fn revoke(
    app: &App,
    org: &str,
    iin: &str,
    kind: DocumentKind,
    number: Option<&str>,
    reason: &str,
) -> Result<Vec<(String, String)>, DocumentsError> {
    let c = app.store.citizen_by_iin(iin).await?.ok_or(Failure::NotFound(Thing::Citizen))?;
    let now = app.clock.now_ms();
    // The history entry and the notification commit with the revocation.
    let record = |revoked: &[(String, String)]| {
        let ids: Vec<&String> = revoked.iter().map(|(id, _)| id).collect();
        let detail = serde_json::json!({"kind": kind, "reason": reason, "by": org, "documents": ids});
        Outcome {
            history: vec![(c.id.clone(), "document_revoked", detail.clone())],
            notification: Some(notify::notification(&c.id, "document_revoked", detail)),
        }
    };
    let (revoked, published) = app.store.documents_revoke(&c.id, kind.as_str(), number, reason, now, record).await?;
    if revoked.is_empty() {
        return Err(Failure::NotFound(Thing::ValidDocument).into());
    }
    notify::publish(app, published);
    Ok(revoked)
}
