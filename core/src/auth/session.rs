//! Sessions (design 3.2): the assurance level of a session, what each level may do, and how long a
//! session lives.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Access tokens (JWT) live 10 minutes; the app refreshes them with the refresh token.
pub const ACCESS_TOKEN_TTL: Duration = Duration::minutes(10);
/// Clock skew tolerated when checking a token's `exp` and `iat` (explicit, not a library default).
pub const TOKEN_LEEWAY_SECONDS: u64 = 30;
/// Refresh tokens are 256 random bits (the design's floor is 128).
pub const REFRESH_TOKEN_BYTES: usize = 32;

/// The assurance level of a session (`acr` claim): how the citizen proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Acr {
    /// SMS one-time password: a limited session (documents, fines, payments).
    Otp,
    /// Digital signature with the enrolled device key: a full session (signing, phone change).
    Eds,
}

impl Acr {
    pub fn as_str(self) -> &'static str {
        match self {
            Acr::Otp => "otp",
            Acr::Eds => "eds",
        }
    }

    pub fn parse(s: &str) -> Option<Acr> {
        match s {
            "otp" => Some(Acr::Otp),
            "eds" => Some(Acr::Eds),
            _ => None,
        }
    }

    /// How long a session of this level may stay unused (7 days for OTP, 1 hour for EDS).
    pub fn idle_lifetime(self) -> Duration {
        match self {
            Acr::Otp => Duration::days(7),
            Acr::Eds => Duration::hours(1),
        }
    }

    /// How long a session of this level may live at all (30 days for OTP, 24 hours for EDS).
    pub fn absolute_lifetime(self) -> Duration {
        match self {
            Acr::Otp => Duration::days(30),
            Acr::Eds => Duration::hours(24),
        }
    }
}

/// The instant a session ends if it is not used again: the earlier of its idle and absolute limits.
pub fn session_expires_at(acr: Acr, created_at: DateTime<Utc>, last_used_at: DateTime<Utc>) -> DateTime<Utc> {
    (last_used_at + acr.idle_lifetime()).min(created_at + acr.absolute_lifetime())
}

/// Whether a session created at `created_at` and last used at `last_used_at` is still alive at `now`.
pub fn session_alive(acr: Acr, created_at: DateTime<Utc>, last_used_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < session_expires_at(acr, created_at, last_used_at)
}

/// What a session may do. Each action names the level it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ViewProfile,
    ViewDocuments,
    ShareDocument,
    ViewFines,
    PayFine,
    ChangePhone,
    SignRequest,
    ApproveWebLoginAtEds,
}

impl Action {
    /// The lowest level that may perform this action.
    pub fn needs(self) -> Acr {
        match self {
            Action::ViewProfile
            | Action::ViewDocuments
            | Action::ShareDocument
            | Action::ViewFines
            | Action::PayFine => Acr::Otp,
            Action::ChangePhone | Action::SignRequest | Action::ApproveWebLoginAtEds => Acr::Eds,
        }
    }

    /// Whether a session of level `acr` may perform this action.
    pub fn allowed_for(self, acr: Acr) -> bool {
        acr >= self.needs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn an_otp_session_dies_after_seven_idle_days() {
        let created = t("2026-11-01T00:00:00Z");
        assert!(session_alive(Acr::Otp, created, created, t("2026-11-07T23:59:59Z")));
        assert!(!session_alive(Acr::Otp, created, created, t("2026-11-08T00:00:00Z")));
    }

    #[test]
    fn an_otp_session_in_daily_use_still_dies_after_thirty_days() {
        let created = t("2026-11-01T00:00:00Z");
        let yesterday = t("2026-11-30T12:00:00Z");
        assert!(session_alive(Acr::Otp, created, yesterday, t("2026-11-30T23:59:59Z")));
        assert!(!session_alive(Acr::Otp, created, yesterday, t("2026-12-01T00:00:00Z")));
    }

    #[test]
    fn an_eds_session_dies_after_an_idle_hour_or_a_day() {
        let created = t("2026-11-23T00:00:00Z");
        assert!(!session_alive(Acr::Eds, created, created, t("2026-11-23T01:00:00Z")));
        let recent = t("2026-11-23T23:30:00Z");
        assert!(session_alive(Acr::Eds, created, recent, t("2026-11-23T23:59:00Z")));
        assert!(!session_alive(Acr::Eds, created, recent, t("2026-11-24T00:00:00Z")));
    }

    #[test]
    fn an_otp_session_views_and_pays_but_never_signs_or_changes_the_phone() {
        for a in [Action::ViewProfile, Action::ViewDocuments, Action::ViewFines, Action::PayFine, Action::ShareDocument]
        {
            assert!(a.allowed_for(Acr::Otp), "{a:?}");
        }
        for a in [Action::ChangePhone, Action::SignRequest, Action::ApproveWebLoginAtEds] {
            assert!(!a.allowed_for(Acr::Otp), "{a:?}");
            assert!(a.allowed_for(Acr::Eds), "{a:?}");
        }
    }
}
