//! "Open access": one-time shares, their redemption and the status of a signed copy.

use super::{DocumentStatus, Json, time, wire_enum};
use serde::{Deserialize, Serialize};
use std::time::SystemTime;

wire_enum! {
    /// What the viewer of a share gets.
    Preset {
        /// The whole document.
        Full = "full",
        /// Name, birth date, IIN and photo.
        Identity = "identity",
        /// Only that the holder is over 18, and the photo.
        AgeOver18 = "age_over_18",
        /// The vehicle's data without the owner's address.
        Vehicle = "vehicle",
    }
}

wire_enum! {
    /// A share's state for its owner.
    ShareState {
        /// Open: the code can be used once.
        Active = "active",
        /// Viewed (once): `viewed_by` says by whom.
        Used = "used",
        Expired = "expired",
        /// Withdrawn by the owner.
        Revoked = "revoked",
        /// Still open, but its document cannot be shared now (see `document_status`).
        Blocked = "blocked",
    }
}

/// An "Open access" share of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DocumentShare {
    pub share_id: String,
    pub document_id: String,
    /// What the QR code holds.
    pub qr_url: String,
    /// 12 digits in groups of four (`0936 8571 8779`) the citizen can read out instead of showing the QR.
    pub short_code: String,
    pub preset: Preset,
    pub state: ShareState,
    /// The shared document's status now.
    pub document_status: DocumentStatus,
    #[serde(with = "time")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    pub created_at: SystemTime,
    #[serde(with = "time")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    pub expires_at: SystemTime,
    /// No extension can go past this instant (30 minutes after creation).
    #[serde(with = "time")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    pub max_expires_at: SystemTime,
    /// Seconds until the code expires while `state` is `active` (by the server's clock); 0 otherwise.
    pub seconds_left: i64,
    /// Who viewed it, once used.
    pub viewed_by: Option<String>,
    #[serde(with = "time::option")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<String>, format = DateTime))]
    pub viewed_at: Option<SystemTime>,
}

/// A share after an extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ExtendedShare {
    #[serde(flatten)]
    pub share: DocumentShare,
    /// True when the request went past the 30-minute ceiling and was cut to it.
    pub capped: bool,
}

/// A redeemed share: the signed copy and what it discloses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RedeemedCopy {
    pub share_id: String,
    /// The signed copy: a compact JWS (ES256, `typ` `egov-document-copy+jws`, key in the JWKS).
    pub copy: String,
    /// The payload of `copy`, for display (verify `copy`, not this): the very JSON text that was signed.
    #[cfg_attr(feature = "utoipa", schema(value_type = Object))]
    pub document: Json,
    /// The label of every disclosed field in Kazakh, Russian and English (`{field: {kk, ru, en}}`).
    #[cfg_attr(feature = "utoipa", schema(value_type = Object))]
    pub labels: Json,
}

/// Whether the document behind a signed copy is still valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CopyStatus {
    pub share_id: String,
    pub document_status: DocumentStatus,
    #[serde(with = "time::option")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<String>, format = DateTime))]
    pub revoked_at: Option<SystemTime>,
    /// When the registry last confirmed the document.
    #[serde(with = "time")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    pub checked_at: SystemTime,
}

// ----- request bodies ------------------------------------------------------------------------------

/// `POST /v1/documents/{id}/shares`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// Lifetime in seconds (60-1800; default 300).
    #[cfg_attr(feature = "utoipa", schema(minimum = 60, maximum = 1800))]
    #[serde(default)]
    pub ttl_seconds: Option<i64>,
    /// `full` when absent.
    #[serde(default)]
    pub preset: Option<Preset>,
}

/// `POST /v1/shares/{id}/extend`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExtendRequest {
    /// Seconds from now (1-1800); the expiry is capped 30 minutes after creation.
    #[cfg_attr(feature = "utoipa", schema(minimum = 1, maximum = 1800))]
    pub ttl_seconds: i64,
}

/// `POST /v1/shares/redeem`: exactly one of the QR URL's token, the whole scanned QR URL, or the short
/// code the citizen read out.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    /// The token of the QR URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Or the whole scanned QR URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_url: Option<String>,
    /// Or the 12-digit short code (spaces and dashes allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_code: Option<String>,
}

impl RedeemRequest {
    /// A scanned QR code (the whole URL).
    pub fn qr_url(url: impl Into<String>) -> RedeemRequest {
        RedeemRequest { qr_url: Some(url.into()), ..RedeemRequest::default() }
    }

    /// A short code as read out.
    pub fn short_code(code: impl Into<String>) -> RedeemRequest {
        RedeemRequest { short_code: Some(code.into()), ..RedeemRequest::default() }
    }
}
