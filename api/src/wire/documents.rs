//! The citizen's documents, the registries behind them, the history and the notifications.

use super::{Json, Person, time, wire_enum};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::SystemTime;

wire_enum! {
    /// A document's status now.
    DocumentStatus {
        Valid = "valid",
        /// Past its expiry date.
        Expired = "expired",
        /// Reported lost or stolen (or otherwise withdrawn): never valid again, never shareable.
        Revoked = "revoked",
        /// Valid in itself, but unusable while the citizen's national ID is reported lost or stolen.
        Suspended = "suspended",
    }
}

wire_enum! {
    /// What one registry answered to a refresh.
    SourceStatus {
        Ok = "ok",
        /// It could not be asked: its documents stay as last confirmed.
        Unavailable = "unavailable",
    }
}

/// A document in the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DocumentSummary {
    pub id: String,
    /// `national_id`, `driving_licence`, `vehicle_registration`, ... (new kinds may appear).
    pub kind: String,
    /// The title in the asked language.
    pub title: String,
    /// Titles by language code (`kk`, `ru`, `en`).
    #[cfg_attr(feature = "utoipa", schema(value_type = Object))]
    pub titles: HashMap<String, String>,
    pub number: String,
    pub status: DocumentStatus,
    pub revoked_reason: Option<String>,
    /// Set while `status` is `suspended`: `national-id-lost` or `national-id-stolen`.
    #[serde(default)]
    pub suspended_reason: Option<String>,
    /// Why, in words, while suspended.
    #[serde(default)]
    pub suspended_detail: Option<String>,
    /// `YYYY-MM-DD`.
    pub issued_on: String,
    pub expires_on: Option<String>,
    /// The agency registry the document comes from, and its name in the asked language.
    pub source: String,
    pub source_name: String,
    /// When the registry last confirmed the document.
    #[serde(with = "time")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    pub checked_at: SystemTime,
}

/// The state of one agency registry for this citizen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SourceState {
    pub source: String,
    #[serde(with = "time::option")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<String>, format = DateTime))]
    pub checked_at: Option<SystemTime>,
    /// Set while the last attempt to ask the registry failed: the app shows the documents as last confirmed.
    #[serde(with = "time::option")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<String>, format = DateTime))]
    pub unavailable_since: Option<SystemTime>,
}

/// The citizen's documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DocumentList {
    pub documents: Vec<DocumentSummary>,
    pub sources: Vec<SourceState>,
}

/// One document with every field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DocumentDetail {
    #[serde(flatten)]
    pub summary: DocumentSummary,
    pub holder: Person,
    /// The kind's fields as the registry gives them (multilingual values are `{kk, ru, en}` objects).
    #[cfg_attr(feature = "utoipa", schema(value_type = Object))]
    pub fields: Json,
    /// Field labels in the asked language, by field name.
    pub labels: HashMap<String, String>,
    /// The photo (`GET` it with the session's token).
    pub photo_url: String,
}

/// What one registry answered to a refresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SourceOutcome {
    pub source: String,
    pub status: SourceStatus,
    pub added: u32,
    pub updated: u32,
    /// Why the registry could not be asked (for `unavailable`).
    pub detail: Option<String>,
}

/// The result of asking every registry again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RefreshReport {
    /// `false` when some registry did not answer: its documents stay as last confirmed.
    pub complete: bool,
    pub added: u32,
    pub updated: u32,
    pub sources: Vec<SourceOutcome>,
    pub documents: Vec<DocumentSummary>,
}

/// An entry of the citizen's history (sign-ins, views of their documents, payments...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct HistoryEntry {
    pub id: String,
    #[serde(with = "time")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    pub at: SystemTime,
    pub kind: String,
    #[cfg_attr(feature = "utoipa", schema(value_type = Object))]
    pub detail: Json,
}

/// A notification (a document viewed, a fine issued, a discount ending...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Notification {
    pub id: String,
    #[serde(with = "time")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    pub at: SystemTime,
    pub kind: String,
    #[cfg_attr(feature = "utoipa", schema(value_type = Object))]
    pub body: Json,
}
