//! Registration and device enrolment (design 3.2): the verification answers (IIN and birth date) are
//! checked against the state registry, mismatches are limited, and a device key signs only once it was
//! proven: at registration by identity evidence, later by an `eds` approval or by identity re-proofing
//! followed by a hold. A birth date is never a secret: no step is unlocked by it alone.

use super::rate::Window;
use chrono::{DateTime, Duration, Utc};

/// Wrong IIN / birth-date answers allowed on one registration flow.
pub const MISMATCHES_PER_FLOW: u32 = 5;
/// Wrong answers allowed per IIN and client address per day, whatever the flow: a stranger spends only
/// the budget of their own address, never the citizen's (issue 23).
pub const MISMATCHES_PER_IIN_AND_ADDRESS: Window = Window { limit: 5, period: Duration::days(1) };
/// Wrong answers per IIN per day from every address together: the ceiling many addresses meet.
pub const MISMATCHES_PER_IIN: Window = Window { limit: 50, period: Duration::days(1) };
/// A verified identity must enrol its device key within 10 minutes.
pub const ENROLMENT_TTL: Duration = Duration::minutes(10);
/// Enrolment tokens carry 256 random bits.
pub const ENROLMENT_TOKEN_BYTES: usize = 32;
/// The longest device name kept (what the app shows in the session list).
pub const DEVICE_NAME_MAX_CHARS: usize = 64;

/// A key enrolled after identity re-proofing signs only after this hold, during which every enrolled
/// device and the registered phone are told and can cancel it (issue 23: 24 h by default, configurable).
pub const DEVICE_HOLD: Duration = Duration::hours(24);
/// Wrong pairing codes after which the waiting device is refused for good.
pub const PAIRING_TRIES: i64 = 3;
/// The longest identity evidence accepted (a liveness session token, not an image).
pub const EVIDENCE_MAX_CHARS: usize = 8192;

/// How a device key was proven to belong to the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrolmentMethod {
    /// The first key, with the registration's phone code and identity evidence: signs at once.
    Registration,
    /// Approved by an `eds` session on an enrolled device, with the pairing code: signs from approval.
    Approval,
    /// Identity re-proofing with evidence: signs once [`DEVICE_HOLD`] is over, unless cancelled.
    Identity,
}

impl EnrolmentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            EnrolmentMethod::Registration => "registration",
            EnrolmentMethod::Approval => "approval",
            EnrolmentMethod::Identity => "identity",
        }
    }

    /// The method named `s`; an unknown name is `None` (refused, never a default).
    pub fn parse(s: &str) -> Option<EnrolmentMethod> {
        [EnrolmentMethod::Registration, EnrolmentMethod::Approval, EnrolmentMethod::Identity]
            .into_iter()
            .find(|m| m.as_str() == s)
    }

    /// When a key enrolled at `now` by this method may first sign: `None` until an approval.
    pub fn active_from(self, now: DateTime<Utc>, hold: Duration) -> Option<DateTime<Utc>> {
        match self {
            EnrolmentMethod::Registration => Some(now),
            EnrolmentMethod::Approval => None,
            EnrolmentMethod::Identity => Some(now + hold),
        }
    }
}

/// Where an enrolled device key stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceState {
    /// Waiting for an enrolled device to approve it.
    AwaitingApproval,
    /// Proven by identity re-proofing; signs from `until` unless cancelled first.
    OnHold { until: DateTime<Utc> },
    /// Signs.
    Active,
    /// Cancelled or revoked: never signs again.
    Revoked,
}

impl DeviceState {
    /// The state of a key that becomes active at `active_from` (if ever) and may have been revoked.
    pub fn at(active_from: Option<DateTime<Utc>>, revoked: bool, now: DateTime<Utc>) -> DeviceState {
        match (revoked, active_from) {
            (true, _) => DeviceState::Revoked,
            (false, None) => DeviceState::AwaitingApproval,
            (false, Some(from)) if from > now => DeviceState::OnHold { until: from },
            (false, Some(_)) => DeviceState::Active,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::AwaitingApproval => "awaiting_approval",
            DeviceState::OnHold { .. } => "on_hold",
            DeviceState::Active => "active",
            DeviceState::Revoked => "revoked",
        }
    }

    /// Whether the key may sign (sign in, sign requests) now.
    pub fn signs(self) -> bool {
        self == DeviceState::Active
    }
}

/// The device name as stored: trimmed, control characters removed, at most 64 characters, never empty.
pub fn clean_device_name(name: &str) -> String {
    let cleaned: String = name.chars().filter(|c| !c.is_control()).take(DEVICE_NAME_MAX_CHARS).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() { "Unnamed device".to_string() } else { cleaned.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_re_proofed_key_waits_out_its_hold_and_an_approved_one_waits_for_the_approval() {
        let now = t("2026-12-01T10:00:00Z");
        let from = EnrolmentMethod::Identity.active_from(now, DEVICE_HOLD);
        assert_eq!(from, Some(t("2026-12-02T10:00:00Z")));
        assert_eq!(
            DeviceState::at(from, false, t("2026-12-02T09:59:59Z")),
            DeviceState::OnHold { until: from.unwrap() }
        );
        assert!(DeviceState::at(from, false, t("2026-12-02T10:00:00Z")).signs());
        assert!(!DeviceState::at(from, true, t("2026-12-03T10:00:00Z")).signs(), "a cancelled key never signs");
        assert_eq!(
            DeviceState::at(EnrolmentMethod::Approval.active_from(now, DEVICE_HOLD), false, now),
            DeviceState::AwaitingApproval
        );
        assert!(DeviceState::at(EnrolmentMethod::Registration.active_from(now, DEVICE_HOLD), false, now).signs());
        assert_eq!(EnrolmentMethod::parse("birth_date"), None);
    }

    #[test]
    fn device_names_are_trimmed_cleaned_and_bounded() {
        assert_eq!(clean_device_name("  Pixel 8\n"), "Pixel 8");
        assert_eq!(clean_device_name("\u{7}"), "Unnamed device");
        assert_eq!(clean_device_name(&"я".repeat(100)).chars().count(), 64);
    }
}
