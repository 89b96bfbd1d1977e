//! Core's rule enums as the wire (`egov_api::wire`, imported here as `Wire...`) names them, and back where requests carry them: one
//! exhaustive `match` per pair, so a case added on either side is a compile error here instead of a
//! string that drifts.

use egov_api::wire::{
    Acr as WireAcr, DeviceStatus as WireDeviceStatus, DocumentStatus as WireDocumentStatus,
    EnrolmentMethod as WireEnrolmentMethod, FineStatus as WireFineStatus, Preset as WirePreset,
    RecordedBy as WireRecordedBy,
};
use egov_core::auth::registration::{DeviceState, EnrolmentMethod};
use egov_core::auth::session::Acr;
use egov_core::documents::DocumentStatus;
use egov_core::fines::{FineStatus, RecordedBy};
use egov_core::sharing::Preset;

/// `fn name(From) -> To`, mapping each listed case to the case of the same name.
macro_rules! same_cases {
    ($($(#[doc = $doc:literal])* $name:ident($from:ident) -> $to:ident { $($case:ident),+ $(,)? })*) => {
        $(
            $(#[doc = $doc])*
            pub fn $name(value: $from) -> $to {
                match value {
                    $($from::$case => $to::$case,)+
                }
            }
        )*
    };
}

same_cases! {
    /// A session's level.
    acr(Acr) -> WireAcr { Otp, Eds, Web }
    /// A document's status now.
    document_status(DocumentStatus) -> WireDocumentStatus { Valid, Expired, Revoked, Suspended }
    /// What a share discloses, as its answer names it.
    preset(Preset) -> WirePreset { Full, Identity, AgeOver18, Vehicle }
    /// What a share request asks to disclose.
    core_preset(WirePreset) -> Preset { Full, Identity, AgeOver18, Vehicle }
    /// How a device key is proven.
    enrolment_method(EnrolmentMethod) -> WireEnrolmentMethod { Registration, Approval, Identity }
    /// Where a fine stands.
    fine_status(FineStatus) -> WireFineStatus { Unpaid, Processing, Paid }
    /// Who recorded the offence.
    recorded_by(RecordedBy) -> WireRecordedBy { Officer, Camera }
}

/// Where a device key stands (the hold's end travels as the key's `active_from`).
pub fn device_status(state: &DeviceState) -> WireDeviceStatus {
    match state {
        DeviceState::AwaitingApproval => WireDeviceStatus::AwaitingApproval,
        DeviceState::OnHold { .. } => WireDeviceStatus::OnHold,
        DeviceState::Active => WireDeviceStatus::Active,
        DeviceState::Revoked => WireDeviceStatus::Revoked,
    }
}
