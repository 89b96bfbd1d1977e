//! One-time sharing: "Open access" makes a QR code and a short code; exactly one redeemer gets a signed
//! copy; both sides' histories record every step, and the owner hears of every view and every refusal.
//!
//! A share's token and short code are derived from the server's HMAC key and the share id, and only
//! their keyed hashes are stored: a copy of the database alone redeems nothing, while the owner's app can
//! still be shown its QR code again.

use crate::App;
use crate::service::documents::DocumentsError;
use crate::service::error::{Failure, Rule, Thing, capability_error, internal, invalid};
use crate::service::{documents, enums, notify};
use crate::store::from_millis;
use crate::store::history::Entry;
use crate::store::sharing::{By, Outcome, RedeemerRef, Redemption, ShareContext, ShareRow};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{Duration, NaiveDate};
use egov_api::wire::{CopyStatus, DocumentShare, Json, RedeemedCopy, ShareState};
use egov_core::documents::{DocumentKind, DocumentStatus, Suspension};
use egov_core::sharing::{
    COPY_TYP, DocumentData, ExtendError, HolderData, Preset, REFUSED_NOTICE_EVERY, SHARE_DEFAULT_TTL,
    SHARE_TOKEN_BYTES, SHORT_CODE_FAILURES, SHORT_CODE_FAILURES_PER_ORGANISATION, SHORT_CODE_LOCKOUT, disclose,
    extended_expiry, format_short_code, short_code_from, valid_ttl,
};
use egov_core::time::almaty_date;
use serde_json::json;

/// Who redeems a share.
#[derive(Debug, Clone)]
pub struct Redeemer {
    /// `citizen` or `organisation`.
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    /// An organisation's desk: the token it redeems with (a desk renews its token every 10 minutes).
    pub desk: Option<String>,
}

impl Redeemer {
    /// Who wrong short codes are counted against and locked: a citizen, or one desk of an organisation.
    fn key(&self) -> String {
        match &self.desk {
            Some(desk) => format!("{}:{}:{desk}", self.kind, self.id),
            None => format!("{}:{}", self.kind, self.id),
        }
    }

    /// The organisation-wide ceiling's key, for an organisation's desks.
    fn ceiling_key(&self) -> Option<String> {
        self.desk.as_ref().map(|_| format!("{}:{}", self.kind, self.id))
    }
}

/// The secrets of a share, recomputed from the key and its id.
struct Secrets {
    token: String,
    code: String,
}

fn secrets(app: &App, share_id: &str) -> Secrets {
    let t = app.keys.hash_secret(&["share-token-derive", share_id]);
    let c = app.keys.hash_secret(&["share-code-derive", share_id]);
    let mut code_bytes = [0u8; 8];
    code_bytes.copy_from_slice(&c[..8]);
    Secrets { token: URL_SAFE_NO_PAD.encode(&t[..SHARE_TOKEN_BYTES]), code: short_code_from(code_bytes) }
}

fn token_hash(app: &App, token: &str) -> Vec<u8> {
    app.keys.hash_secret(&["share-token", token])
}

fn code_hash(app: &App, code: &str) -> Vec<u8> {
    app.keys.hash_secret(&["share-code", code])
}

/// The URL in the QR code.
pub fn qr_url(app: &App, share_id: &str) -> String {
    format!("{}/s/{}", app.public_url, secrets(app, share_id).token)
}

/// A share's state for its owner: its own story first, then whether its document can still be shared.
fn state(s: &ShareRow, now_ms: i64, document: DocumentStatus) -> ShareState {
    match (s.redeemed_at, s.revoked_at) {
        (Some(_), _) => ShareState::Used,
        (_, Some(_)) => ShareState::Revoked,
        _ if s.expires_at <= now_ms => ShareState::Expired,
        _ if document != DocumentStatus::Valid => ShareState::Blocked,
        _ => ShareState::Active,
    }
}

fn view(app: &App, s: &ShareRow, document: DocumentStatus) -> Result<DocumentShare, Failure> {
    let now = app.clock.now_ms();
    let secrets = secrets(app, &s.id);
    let state = state(s, now, document);
    let preset = enums::preset(Preset::stored(&s.preset)?);
    Ok(DocumentShare {
        share_id: s.id.clone(),
        document_id: s.document_id.clone(),
        qr_url: format!("{}/s/{}", app.public_url, secrets.token),
        short_code: format_short_code(&secrets.code),
        preset,
        state,
        document_status: enums::document_status(document),
        created_at: from_millis(s.created_at).into(),
        expires_at: from_millis(s.expires_at).into(),
        max_expires_at: (from_millis(s.created_at) + egov_core::sharing::SHARE_MAX_LIFETIME).into(),
        seconds_left: if state == ShareState::Active {
            egov_core::sharing::seconds_left(from_millis(s.expires_at), from_millis(now))
        } else {
            0
        },
        viewed_by: s.redeemer_name.clone(),
        viewed_at: s.redeemed_at.map(|at| from_millis(at).into()),
    })
}

/// Why a share was not made, changed or redeemed.
#[derive(Debug, thiserror::Error)]
pub enum SharingError {
    #[error(transparent)]
    Common(#[from] Failure),
    #[error(transparent)]
    Documents(#[from] DocumentsError),
    #[error("{}", if *document_valid { "this share is used, revoked or expired" } else { "this share's document can no longer be shared (revoked, expired or suspended)" })]
    Inactive { document_valid: bool },
    /// The owner's own documents are suspended (national ID lost or stolen).
    #[error("{}", .0.detail())]
    Suspended(Suspension),
    /// A verifier presented a code of a citizen whose documents are suspended: nothing is released.
    #[error("{}", .0.detail())]
    HolderSuspended(Suspension),
    #[error("a {} document cannot be shared", status_word(*.0))]
    NotShareable(DocumentStatus),
    #[error("a share cannot live past 30 minutes after its creation; create a new one")]
    MaxLifetime,
    #[error("too many wrong short codes; try again in {} or scan the QR code", egov_core::time::wait_in_words(*retry_after))]
    ShortCodeLocked { retry_after: u64 },
    #[error("no share has this code")]
    UnknownCode,
    #[error("this code was already used")]
    Used,
    #[error("the owner revoked this code")]
    Revoked,
    #[error("this code has expired")]
    Expired,
    #[error("the document was reported lost or stolen and is no longer valid")]
    DocumentRevoked,
}
capability_error!(SharingError);

/// A document status as the API writes it (`valid`, `expired`, `revoked`, `suspended`).
pub fn status_word(status: DocumentStatus) -> &'static str {
    match status {
        DocumentStatus::Valid => "valid",
        DocumentStatus::Expired => "expired",
        DocumentStatus::Revoked => "revoked",
        DocumentStatus::Suspended => "suspended",
    }
}

/// One of the owner's shares, with the status of its document now.
async fn share_of(app: &App, owner_id: &str, share_id: &str) -> Result<(ShareRow, DocumentStatus), SharingError> {
    let s = app.store.share_of(owner_id, share_id).await?.ok_or(Failure::NotFound(Thing::Share))?;
    let (_, d, suspended) = documents::get(app, owner_id, &s.document_id).await?;
    let status = documents::status_of(app, &d, suspended);
    Ok((s, status))
}

/// A share that is no longer open, or whose document can no longer be shared.
fn inactive(document: DocumentStatus) -> SharingError {
    SharingError::Inactive { document_valid: document == DocumentStatus::Valid }
}

fn holder_and_doc(
    c: &crate::store::citizens::CitizenRow,
    d: &crate::store::documents::DocumentRow,
) -> Result<(HolderData, DocumentData), Failure> {
    let birth = NaiveDate::parse_from_str(&c.birth_date, "%Y-%m-%d").map_err(|_| internal("a stored birth date"))?;
    let kind = DocumentKind::parse(&d.kind).ok_or(internal("a stored document kind"))?;
    Ok((
        HolderData {
            iin: c.iin.clone(),
            surname: c.surname.clone(),
            given_name: c.given_name.clone(),
            patronymic: c.patronymic.clone(),
            birth_date: birth,
        },
        DocumentData {
            kind,
            number: d.number.clone(),
            issued_on: d.issued_on.clone(),
            expires_on: d.expires_on.clone(),
            fields: serde_json::from_str(&d.fields).unwrap_or_default(),
        },
    ))
}

/// "Open access": a share of one of the owner's valid documents.
pub async fn create(
    app: &App,
    owner_id: &str,
    document_id: &str,
    ttl: Option<Duration>,
    preset: Preset,
) -> Result<DocumentShare, SharingError> {
    let ttl = ttl.unwrap_or(SHARE_DEFAULT_TTL);
    if !valid_ttl(ttl) {
        let (min, max) = (egov_core::sharing::SHARE_MIN_TTL, egov_core::sharing::SHARE_MAX_LIFETIME);
        return Err(
            invalid("ttl_seconds", Rule::SecondsBetween { min: min.num_seconds(), max: max.num_seconds() }).into()
        );
    }
    let (c, d, suspended) = documents::get(app, owner_id, document_id).await?;
    let (holder, doc) = holder_and_doc(&c, &d)?;
    if !preset.applies_to(doc.kind) {
        return Err(invalid("preset", Rule::VehiclePresetOnly).into());
    }
    match (documents::status_of(app, &d, suspended), suspended) {
        (DocumentStatus::Valid, _) => {}
        (DocumentStatus::Suspended, Some(s)) => {
            return Err(SharingError::Suspended(s));
        }
        (other, _) => return Err(SharingError::NotShareable(other)),
    }
    let now = app.clock.now();
    // Draw a share id whose short code no live share has (a collision is about one in a million).
    let mut id = uuid::Uuid::new_v4().to_string();
    for _ in 0..5 {
        if !app.store.share_code_live(&code_hash(app, &secrets(app, &id).code), now.timestamp_millis()).await? {
            break;
        }
        id = uuid::Uuid::new_v4().to_string();
    }
    let s = secrets(app, &id);
    let expires = now + ttl;
    let fields = disclose(preset, &doc, &holder, almaty_date(now)).names;
    let detail = json!({"share_id": id, "document_id": d.id, "kind": doc.kind, "preset": preset, "fields": fields, "expires_at": expires});
    app.store
        .share_insert(
            &id,
            owner_id,
            &d.id,
            &token_hash(app, &s.token),
            &code_hash(app, &s.code),
            preset.as_str(),
            now.timestamp_millis(),
            expires.timestamp_millis(),
            Entry { citizen_id: owner_id, kind: "share_created", detail: &detail },
        )
        .await?;
    // The row as just written: reading it back would cost a round trip and say nothing new.
    let row = ShareRow {
        id,
        owner_id: owner_id.to_string(),
        document_id: d.id,
        preset: preset.as_str().to_string(),
        created_at: now.timestamp_millis(),
        expires_at: expires.timestamp_millis(),
        redeemed_at: None,
        redeemer_kind: None,
        redeemer_name: None,
        revoked_at: None,
    };
    Ok(view(app, &row, DocumentStatus::Valid)?)
}

pub async fn get(app: &App, owner_id: &str, share_id: &str) -> Result<DocumentShare, SharingError> {
    let (s, document) = share_of(app, owner_id, share_id).await?;
    Ok(view(app, &s, document)?)
}

/// The QR URL of one of the owner's active shares.
pub async fn active_qr_url(app: &App, owner_id: &str, share_id: &str) -> Result<String, SharingError> {
    let (s, document) = share_of(app, owner_id, share_id).await?;
    if state(&s, app.clock.now_ms(), document) != ShareState::Active {
        return Err(inactive(document));
    }
    Ok(qr_url(app, &s.id))
}

/// Extends an active share by `ttl` from now, capped 30 minutes after its creation.
pub async fn extend(
    app: &App,
    owner_id: &str,
    share_id: &str,
    ttl: Duration,
) -> Result<(DocumentShare, bool), SharingError> {
    let (s, document) = share_of(app, owner_id, share_id).await?;
    if document != DocumentStatus::Valid {
        return Err(inactive(document));
    }
    let now = app.clock.now();
    let active = s.redeemed_at.is_none() && s.revoked_at.is_none();
    let (new, capped) = extended_expiry(from_millis(s.created_at), from_millis(s.expires_at), active, ttl, now)
        .map_err(|e| match e {
            ExtendError::NotActive => inactive(document),
            ExtendError::AtCeiling => SharingError::MaxLifetime,
            ExtendError::NotLonger => invalid("ttl_seconds", Rule::NotLonger).into(),
        })?;
    let detail = json!({"share_id": share_id, "expires_at": new, "capped": capped});
    let entry = Entry { citizen_id: owner_id, kind: "share_extended", detail: &detail };
    if !app.store.share_extend(owner_id, share_id, new.timestamp_millis(), now.timestamp_millis(), entry).await? {
        return Err(inactive(document));
    }
    let row = app.store.share_of(owner_id, share_id).await?.ok_or(internal("an extended share vanished"))?;
    Ok((view(app, &row, document)?, capped))
}

pub async fn revoke(app: &App, owner_id: &str, share_id: &str) -> Result<(), SharingError> {
    app.store.share_of(owner_id, share_id).await?.ok_or(Failure::NotFound(Thing::Share))?;
    let now = app.clock.now_ms();
    let detail = json!({"share_id": share_id});
    let entry = Entry { citizen_id: owner_id, kind: "share_revoked", detail: &detail };
    if !app.store.share_revoke(owner_id, share_id, now, entry).await? {
        return Err(SharingError::Inactive { document_valid: true });
    }
    Ok(())
}

/// What a redeemer presented.
pub enum Presented {
    Token(String),
    ShortCode(String),
}

/// `{field: {kk, ru, en}}` for the disclosed fields and the document's title.
fn labels_of(names: &[String]) -> serde_json::Value {
    use egov_core::documents::{Lang, field_label};
    let mut out = serde_json::Map::new();
    for f in names {
        out.insert(
            f.clone(),
            json!({"kk": field_label(f, Lang::Kk), "ru": field_label(f, Lang::Ru), "en": field_label(f, Lang::En)}),
        );
    }
    serde_json::Value::Object(out)
}

/// Redeems a share: exactly one of any number of concurrent redeemers wins. The view, or every refused
/// attempt on a real share, is recorded in the owner's history and notifications in the same
/// transaction as the claim.
pub async fn redeem(app: &App, who: &Redeemer, presented: Presented) -> Result<RedeemedCopy, SharingError> {
    let now = app.clock.now();
    let now_ms = now.timestamp_millis();
    let (by, hash) = match &presented {
        Presented::Token(t) => (By::Token, token_hash(app, t)),
        Presented::ShortCode(c) => {
            let mut until = app.store.redeemer_locked_until(&who.key()).await?;
            if let Some(org) = who.ceiling_key() {
                until = until.max(app.store.redeemer_locked_until(&org).await?);
            }
            if let Some(until) = until.filter(|u| *u > now_ms) {
                return Err(SharingError::ShortCodeLocked { retry_after: ((until - now_ms) / 1000).max(1) as u64 });
            }
            (By::ShortCode, code_hash(app, c))
        }
    };
    let redeemer = RedeemerRef { kind: who.kind, id: &who.id, name: &who.name };
    // Everything the copy needs is read and decided before the claim, so the claim only writes.
    let prepare = |ctx: &ShareContext| -> Result<(Outcome, (serde_json::Value, serde_json::Value)), SharingError> {
        let (owner, share) = (&ctx.owner, &ctx.share);
        // A valid code of a citizen whose national ID is lost or stolen releases nothing.
        if let Some(s) = egov_core::documents::suspension(ctx.national_id_revoked.as_deref()) {
            return Err(SharingError::HolderSuspended(s));
        }
        let (holder, data) = holder_and_doc(owner, &ctx.document)?;
        let preset = Preset::stored(&share.preset)?;
        let disclosed = disclose(preset, &data, &holder, almaty_date(now));
        let owner_entry = json!({"share_id": share.id, "kind": data.kind, "viewer": who.name, "viewer_kind": who.kind, "fields": disclosed.names});
        let mut success = Outcome::default();
        success.history.push((owner.id.clone(), "share_viewed", owner_entry.clone()));
        success.notification = Some(notify::notification(&owner.id, "share_viewed", owner_entry));
        if who.kind == "citizen" {
            let owner_name = format!("{} {}", owner.surname, owner.given_name);
            success.history.push((
                who.id.clone(),
                "document_viewed",
                json!({"share_id": share.id, "kind": data.kind, "owner": owner_name, "fields": disclosed.names}),
            ));
        }
        let photo = ctx.photo.as_ref().filter(|_| disclosed.photo).map(|bytes| STANDARD.encode(bytes));
        let payload = json!({
            "iss": app.public_url,
            "iat": now.timestamp(),
            "share_id": share.id,
            "document": {"kind": data.kind, "title": data.kind.title(), "status": "valid", "checked_at": from_millis(ctx.document.checked_at)},
            "preset": preset,
            "disclosed": disclosed.values,
            "disclosed_fields": disclosed.names,
            "photo": photo,
            "viewer": {"kind": who.kind, "name": who.name},
            "viewed_at": now,
            "status_url": format!("{}/v1/shared-copies/{}/status", app.public_url, share.id),
        });
        Ok((success, (payload, labels_of(&disclosed.names))))
    };
    match app.store.share_redeem(by, &hash, &redeemer, now_ms, prepare).await? {
        Redemption::Claimed { share, made: (payload, labels), published } => {
            notify::publish(app, published);
            // The same value is signed and sent: serde_json writes one value the same way each time, so
            // `document` is the very text inside `copy`.
            let text = serde_json::to_string(&payload).map_err(|_| internal("serialising a copy"))?;
            let copy = sign_jws(app, COPY_TYP, &text)?;
            Ok(RedeemedCopy { share_id: share.id, copy, document: Json(payload), labels: Json(labels) })
        }
        Redemption::Unknown => {
            // Only a code that never existed is a guess: the losers of a race for a real code, or someone
            // typing an expired one, are not brute-forcing anything.
            if by == By::ShortCode {
                let locked_until = (now + SHORT_CODE_LOCKOUT).timestamp_millis();
                let failures = app.store.rate_hit("short-code-failures", &who.key(), &SHORT_CODE_FAILURES, now).await?;
                if SHORT_CODE_FAILURES.is_full(failures, now) {
                    app.store.redeemer_lock(&who.key(), locked_until).await?;
                }
                if let Some(org) = who.ceiling_key() {
                    let ceiling = &SHORT_CODE_FAILURES_PER_ORGANISATION;
                    let all = app.store.rate_hit("short-code-failures-org", &org, ceiling, now).await?;
                    if ceiling.is_full(all, now) {
                        app.store.redeemer_lock(&org, locked_until).await?;
                    }
                }
            }
            Err(SharingError::UnknownCode)
        }
        Redemption::Refused(share) => {
            let latest = app.store.share_by_id(&share.id).await?.unwrap_or(share);
            let (kind, refusal) = match state(&latest, now_ms, DocumentStatus::Valid) {
                ShareState::Used => ("share-used", SharingError::Used),
                ShareState::Revoked => ("share-revoked", SharingError::Revoked),
                ShareState::Expired => ("share-expired", SharingError::Expired),
                _ => ("document-revoked", SharingError::DocumentRevoked),
            };
            let via = if by == By::Token { "qr" } else { "short_code" };
            let record =
                json!({"share_id": latest.id, "reason": kind, "by": who.name, "by_kind": who.kind, "via": via});
            // One notification a minute per share, counting the attempts since the last one.
            let last = app.store.last_refused_notice(&latest.owner_id, &latest.id).await?;
            let notification = match last {
                Some(at) if now_ms - at < REFUSED_NOTICE_EVERY.num_milliseconds() => None,
                _ => {
                    let before = app.store.refused_since(&latest.owner_id, &latest.id, last.unwrap_or(0)).await?;
                    let mut body = record.clone();
                    body["attempts"] = json!(before + 1);
                    Some(notify::notification(&latest.owner_id, "share_refused", body))
                }
            };
            let refused =
                Outcome { history: vec![(latest.owner_id.clone(), "share_refused", record.clone())], notification };
            notify::publish(app, app.store.record_outcome(&refused, now_ms).await?);
            Err(refusal)
        }
    }
}

/// Signs a payload, given as its JSON text, as a compact JWS with the document key.
pub fn sign_jws(app: &App, typ: &str, payload_json: &str) -> Result<String, Failure> {
    let key = app.keys.document.first().ok_or(internal("no document key"))?;
    let header = json!({"alg": "ES256", "kid": key.kid, "typ": typ});
    let input = egov_core::jws::signing_input(&header, payload_json);
    let signature = key.pair.sign(&app.rng, input.as_bytes()).map_err(|_| internal("signing with the document key"))?;
    Ok(egov_core::jws::compact(input, signature.as_ref()))
}

/// Whether the document behind a used share is still valid (for anyone holding its copy).
pub async fn copy_status(app: &App, share_id: &str) -> Result<CopyStatus, SharingError> {
    let share = app
        .store
        .share_by_id(share_id)
        .await?
        .filter(|s| s.redeemed_at.is_some())
        .ok_or(Failure::NotFound(Thing::SharedCopy))?;
    let doc = app
        .store
        .document_of(&share.owner_id, &share.document_id)
        .await?
        .ok_or(internal("a shared document vanished"))?;
    let national_id = app.store.national_id_revoked(&share.owner_id).await?;
    let status = documents::status_of(app, &doc, egov_core::documents::suspension(national_id.as_deref()));
    Ok(CopyStatus {
        share_id: share.id,
        document_status: enums::document_status(status),
        revoked_at: doc.revoked_at.map(|at| from_millis(at).into()),
        checked_at: from_millis(doc.checked_at).into(),
    })
}
