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
/// A refresh token presented again this soon after its rotation returns the same new pair and ends
/// nothing: a mobile app's concurrent or retried refresh (design 3.2, issue 23). Later, it is a replay.
pub const REFRESH_GRACE: Duration = Duration::seconds(10);

/// Whether a refresh token rotated at `rotated_at` and presented again at `now` is a retry within the
/// grace window (a replay otherwise). A rotation stamped after `now` is a concurrent presenter that read
/// the clock later but won the rotation first: within the window too.
pub fn within_refresh_grace(rotated_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - rotated_at <= REFRESH_GRACE
}

/// The assurance level of a session (`acr` claim): how the citizen proved who they are. The levels are
/// not a ladder: what each may do is the table of [`Action::levels`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Acr {
    /// SMS one-time password: a limited session (documents, fines, payments, sharing).
    Otp,
    /// Digital signature with an enrolled device key: a full session (signing, phone change, devices).
    Eds,
    /// A browser session born from a website QR login, whatever the approving phone's level: it reads and
    /// pays, and never enrols, signs, shares, changes the phone or ends other sessions (a website login is
    /// a relayable cross-device flow).
    Web,
}

impl Acr {
    /// Every level, in the order the API documents them.
    pub const ALL: [Acr; 3] = [Acr::Otp, Acr::Eds, Acr::Web];

    pub fn as_str(self) -> &'static str {
        match self {
            Acr::Otp => "otp",
            Acr::Eds => "eds",
            Acr::Web => "web",
        }
    }

    /// The level named `s`; an unknown name is `None` (a stored session of unknown level is unusable).
    pub fn parse(s: &str) -> Option<Acr> {
        Acr::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// How long a session of this level may stay unused (7 days for OTP, 1 hour for EDS and websites).
    pub fn idle_lifetime(self) -> Duration {
        match self {
            Acr::Otp => Duration::days(7),
            Acr::Eds | Acr::Web => Duration::hours(1),
        }
    }

    /// How long a session of this level may live at all (30 days for OTP, 24 hours for EDS and websites).
    pub fn absolute_lifetime(self) -> Duration {
        match self {
            Acr::Otp => Duration::days(30),
            Acr::Eds | Acr::Web => Duration::hours(24),
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

/// What a session may do. [`Action::levels`] is the one table of which level may do what; the server's
/// extractors and the OpenAPI document read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ViewProfile,
    ViewDocuments,
    ViewFines,
    PayFine,
    /// Read the history and the list of sessions and devices.
    ViewHistory,
    /// End the session making the request (sign out).
    EndOwnSession,
    /// Open access to a document: hands a third party a signed copy.
    ShareDocument,
    /// Approve (or deny) a website QR login: the browser gets a `web` session.
    ApproveWebLogin,
    /// Read a website's signing request before signing it.
    ViewSignRequest,
    /// End a website (`web`) session born from a QR login: the phone's answer to "was this you?".
    EndWebSession,
    /// Ask to enrol this device's key; it signs only after an `eds` approval or an identity re-proofing
    /// and its hold.
    RequestDeviceEnrolment,
    /// Cancel a device enrolment that is waiting for approval or its hold.
    CancelDeviceEnrolment,
    /// Approve another device's key with the code both screens show.
    ApproveDevice,
    ChangePhone,
    SignRequest,
    /// End any other session, or revoke an active device key.
    EndOtherSessions,
}

const APP_LEVELS: &[Acr] = &[Acr::Otp, Acr::Eds];
const EDS_ONLY: &[Acr] = &[Acr::Eds];

impl Action {
    /// The levels that may perform this action.
    pub fn levels(self) -> &'static [Acr] {
        match self {
            Action::ViewProfile
            | Action::ViewDocuments
            | Action::ViewFines
            | Action::PayFine
            | Action::ViewHistory
            | Action::EndOwnSession => &Acr::ALL,
            Action::ShareDocument
            | Action::ApproveWebLogin
            | Action::ViewSignRequest
            | Action::EndWebSession
            | Action::RequestDeviceEnrolment
            | Action::CancelDeviceEnrolment => APP_LEVELS,
            Action::ApproveDevice | Action::ChangePhone | Action::SignRequest | Action::EndOtherSessions => EDS_ONLY,
        }
    }

    /// Whether a session of level `acr` may perform this action.
    pub fn allowed_for(self, acr: Acr) -> bool {
        self.levels().contains(&acr)
    }

    /// The levels as the API names them, e.g. `"otp eds"`.
    pub fn levels_str(self) -> String {
        self.levels().iter().map(|a| a.as_str()).collect::<Vec<_>>().join(" ")
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
    fn an_otp_session_views_pays_and_shares_but_never_signs_changes_the_phone_or_approves_a_device() {
        for a in [Action::ViewProfile, Action::ViewDocuments, Action::ViewFines, Action::PayFine, Action::ShareDocument]
        {
            assert!(a.allowed_for(Acr::Otp), "{a:?}");
        }
        for a in [Action::ChangePhone, Action::SignRequest, Action::ApproveDevice, Action::EndOtherSessions] {
            assert!(!a.allowed_for(Acr::Otp), "{a:?}");
            assert!(a.allowed_for(Acr::Eds), "{a:?}");
        }
    }

    #[test]
    fn a_website_session_reads_and_pays_and_can_climb_to_nothing_else() {
        for a in [Action::ViewProfile, Action::ViewDocuments, Action::ViewFines, Action::PayFine, Action::EndOwnSession]
        {
            assert!(a.allowed_for(Acr::Web), "{a:?}");
        }
        for a in [
            Action::ShareDocument,
            Action::ApproveWebLogin,
            Action::ViewSignRequest,
            Action::EndWebSession,
            Action::RequestDeviceEnrolment,
            Action::CancelDeviceEnrolment,
            Action::ApproveDevice,
            Action::ChangePhone,
            Action::SignRequest,
            Action::EndOtherSessions,
        ] {
            assert!(!a.allowed_for(Acr::Web), "{a:?}");
        }
    }

    #[test]
    fn a_refresh_retried_within_ten_seconds_is_a_retry_and_later_a_replay() {
        let rotated = t("2026-12-01T10:00:00Z");
        assert!(within_refresh_grace(rotated, rotated));
        assert!(within_refresh_grace(rotated, t("2026-12-01T10:00:10Z")));
        assert!(!within_refresh_grace(rotated, t("2026-12-01T10:00:11Z")));
        assert!(
            within_refresh_grace(rotated, t("2026-12-01T09:59:59Z")),
            "a concurrent winner that read the clock later"
        );
    }

    #[test]
    fn levels_round_trip_by_name_and_an_unknown_name_is_no_level() {
        for a in Acr::ALL {
            assert_eq!(Acr::parse(a.as_str()), Some(a));
        }
        assert_eq!(Acr::parse("EDS"), None);
        assert_eq!(Acr::parse(""), None);
    }
}
