//! SMS one-time passwords (design 3.2): what a code is, how long it lives, how often it may be sent and
//! tried, and how a phone is locked out after repeated failures.

use crate::auth::rate::Window;
use crate::secret::{RandomError, SecureRandom, random_below};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Digits in a code.
pub const OTP_DIGITS: usize = 6;
/// A code is valid for 5 minutes after it is sent.
pub const OTP_TTL: Duration = Duration::minutes(5);
/// Wrong tries per code; the next try finds the code burned.
pub const OTP_MAX_TRIES_PER_CODE: u32 = 5;
/// Consecutive failures per phone (across codes; a resend never resets them) that lock OTP login.
pub const OTP_LOCK_AFTER_FAILURES: u32 = 10;
/// The first lock-out lasts 30 seconds and doubles with each further failure...
pub const OTP_LOCKOUT_FIRST: Duration = Duration::seconds(30);
/// ...up to one hour.
pub const OTP_LOCKOUT_MAX: Duration = Duration::hours(1);
/// A new code for the same phone no sooner than 60 seconds after the last one.
pub const OTP_RESEND_COOLDOWN: Duration = Duration::seconds(60);
/// At most 3 sends to one phone in any 10 minutes...
pub const OTP_MAX_SENDS_SHORT: (u32, Duration) = (3, Duration::minutes(10));
/// ...and at most 10 in any 24 hours.
pub const OTP_MAX_SENDS_DAY: (u32, Duration) = (10, Duration::hours(24));
/// The SMS circuit breaker: at most 100 code requests per block of 10 000 numbers (`Phone::block`) in
/// any 10 minutes. A block holds about 1 300 active numbers; at a national peak of one sign-in per active
/// number every two hours that is about 11 requests in 10 minutes, so the breaker trips only on
/// traffic like SMS pumping (an attacker walking a number range to earn on the messages we pay for). It
/// stays open while such traffic continues (refused requests count too) and closes by itself when it
/// stops; a citizen of the block signs in with the device key meanwhile (issue 23).
pub const SMS_PER_BLOCK: Window = Window { limit: 100, period: Duration::minutes(10) };
/// The SMS sender name of eGov.
pub const SMS_SENDER: &str = "1414";

/// What a code is for; a code is bound to its purpose, its flow and its phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtpPurpose {
    Login,
    Registration,
    PhoneChange,
}

impl OtpPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            OtpPurpose::Login => "login",
            OtpPurpose::Registration => "registration",
            OtpPurpose::PhoneChange => "phone_change",
        }
    }

    pub fn parse(s: &str) -> Option<OtpPurpose> {
        match s {
            "login" => Some(OtpPurpose::Login),
            "registration" => Some(OtpPurpose::Registration),
            "phone_change" => Some(OtpPurpose::PhoneChange),
            _ => None,
        }
    }
}

/// A fresh code: six decimal digits, uniformly random.
pub fn generate_code(rng: &dyn SecureRandom) -> Result<String, RandomError> {
    Ok(format!("{:06}", random_below(rng, 1_000_000)?))
}

/// The text that is keyed (HMAC-SHA256 with the server key) and stored instead of the code:
/// `purpose|flow|phone|code`, so a stored hash is useless for any other purpose, flow or phone.
pub fn mac_input(purpose: OtpPurpose, flow_id: &str, phone: &str, code: &str) -> String {
    format!("{}|{flow_id}|{phone}|{code}", purpose.as_str())
}

/// Whether `code` has the shape of a code (checked before any counting, so junk costs no try).
pub fn is_well_formed(code: &str) -> bool {
    code.len() == OTP_DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

/// The SMS that carries a code, from sender 1414, saying what it is for (Kazakh, Russian, English).
pub fn sms_text(purpose: OtpPurpose, code: &str) -> String {
    let (kk, ru, en) = match purpose {
        OtpPurpose::Login => ("eGov Mobile-ге кіру коды", "Код для входа в eGov Mobile", "eGov Mobile sign-in code"),
        OtpPurpose::Registration => {
            ("eGov Mobile тіркеу коды", "Код регистрации в eGov Mobile", "eGov Mobile registration code")
        }
        OtpPurpose::PhoneChange => {
            ("Нөмірді ауыстыру коды", "Код смены номера в eGov Mobile", "eGov Mobile phone change code")
        }
    };
    format!("{kk}: {code}. {ru}: {code}. {en}: {code}. Кодты ешкімге айтпаңыз / Никому не сообщайте / Never share it.")
}

/// Why a code was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendRefused {
    /// Less than 60 s since the last code.
    Cooldown { retry_after: Duration },
    /// Three codes in the last 10 minutes.
    TooManyRecently { retry_after: Duration },
    /// Ten codes in the last 24 hours.
    DailyCap { retry_after: Duration },
}

impl SendRefused {
    pub fn retry_after(&self) -> Duration {
        match *self {
            SendRefused::Cooldown { retry_after }
            | SendRefused::TooManyRecently { retry_after }
            | SendRefused::DailyCap { retry_after } => retry_after,
        }
    }
}

/// Whether another code may be sent to a phone now, given the instants of its earlier sends (any order;
/// older than a day may be included and are ignored).
pub fn may_send(now: DateTime<Utc>, earlier_sends: &[DateTime<Utc>]) -> Result<(), SendRefused> {
    let in_window = |period: Duration| {
        let mut within: Vec<DateTime<Utc>> = earlier_sends.iter().copied().filter(|t| now - *t < period).collect();
        within.sort();
        within
    };
    let day = in_window(OTP_MAX_SENDS_DAY.1);
    if day.len() as u32 >= OTP_MAX_SENDS_DAY.0 {
        return Err(SendRefused::DailyCap { retry_after: day[0] + OTP_MAX_SENDS_DAY.1 - now });
    }
    let short = in_window(OTP_MAX_SENDS_SHORT.1);
    if short.len() as u32 >= OTP_MAX_SENDS_SHORT.0 {
        return Err(SendRefused::TooManyRecently { retry_after: short[0] + OTP_MAX_SENDS_SHORT.1 - now });
    }
    if let Some(last) = short.last() {
        if now - *last < OTP_RESEND_COOLDOWN {
            return Err(SendRefused::Cooldown { retry_after: *last + OTP_RESEND_COOLDOWN - now });
        }
    }
    Ok(())
}

/// How long OTP login is locked after `consecutive_failures` failures in a row: nothing before the 10th,
/// then 30 s, doubling with each further failure, at most an hour.
pub fn lockout_after(consecutive_failures: u32) -> Option<Duration> {
    if consecutive_failures < OTP_LOCK_AFTER_FAILURES {
        return None;
    }
    let doublings = (consecutive_failures - OTP_LOCK_AFTER_FAILURES).min(16);
    let lock = OTP_LOCKOUT_FIRST * 2i32.pow(doublings);
    Some(lock.min(OTP_LOCKOUT_MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ring::rand::SystemRandom;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn codes_are_six_digits_and_vary() {
        let rng = SystemRandom::new();
        let codes: std::collections::HashSet<String> = (0..200).map(|_| generate_code(&rng).unwrap()).collect();
        assert!(codes.iter().all(|c| is_well_formed(c)));
        assert!(codes.len() > 190, "200 draws from a million collide rarely");
    }

    #[test]
    fn the_first_code_is_sent_at_once() {
        assert_eq!(may_send(t("2026-11-23T10:00:00Z"), &[]), Ok(()));
    }

    #[test]
    fn a_resend_within_sixty_seconds_is_refused_with_the_wait() {
        let sent = t("2026-11-23T10:00:00Z");
        let r = may_send(t("2026-11-23T10:00:45Z"), &[sent]).unwrap_err();
        assert_eq!(r, SendRefused::Cooldown { retry_after: Duration::seconds(15) });
        assert_eq!(may_send(t("2026-11-23T10:01:00Z"), &[sent]), Ok(()));
    }

    #[test]
    fn the_fourth_send_in_ten_minutes_is_refused_until_the_first_leaves_the_window() {
        let sends = [t("2026-11-23T10:00:00Z"), t("2026-11-23T10:01:00Z"), t("2026-11-23T10:02:00Z")];
        let r = may_send(t("2026-11-23T10:05:00Z"), &sends).unwrap_err();
        assert_eq!(r, SendRefused::TooManyRecently { retry_after: Duration::minutes(5) });
        assert_eq!(may_send(t("2026-11-23T10:10:00Z"), &sends), Ok(()));
    }

    #[test]
    fn the_eleventh_send_in_a_day_is_refused() {
        let sends: Vec<_> = (0..10).map(|h| t("2026-11-23T00:00:00Z") + Duration::hours(h)).collect();
        let r = may_send(t("2026-11-23T12:00:00Z"), &sends).unwrap_err();
        assert_eq!(r, SendRefused::DailyCap { retry_after: Duration::hours(12) });
    }

    #[test]
    fn lockout_starts_at_the_tenth_failure_with_thirty_seconds_and_doubles_to_an_hour() {
        assert_eq!(lockout_after(9), None);
        assert_eq!(lockout_after(10), Some(Duration::seconds(30)));
        assert_eq!(lockout_after(11), Some(Duration::seconds(60)));
        assert_eq!(lockout_after(12), Some(Duration::seconds(120)));
        assert_eq!(lockout_after(16), Some(Duration::seconds(1920)));
        assert_eq!(lockout_after(17), Some(Duration::hours(1)));
        assert_eq!(lockout_after(u32::MAX), Some(Duration::hours(1)));
    }

    #[test]
    fn the_sms_names_its_purpose_and_carries_the_code() {
        let text = sms_text(OtpPurpose::PhoneChange, "042917");
        assert!(text.contains("042917") && text.contains("phone change"));
    }

    #[test]
    fn the_mac_input_binds_purpose_flow_and_phone() {
        assert_eq!(mac_input(OtpPurpose::Login, "f1", "+77010000001", "123456"), "login|f1|+77010000001|123456");
        assert_ne!(mac_input(OtpPurpose::Login, "f1", "p", "c"), mac_input(OtpPurpose::Registration, "f1", "p", "c"));
    }

    proptest! {
        #[test]
        fn never_more_than_three_sends_in_any_ten_minutes(gaps in proptest::collection::vec(0i64..400, 1..40)) {
            // Try to send at each instant; keep what may_send allows; check every 10-minute window.
            let mut now = t("2026-11-23T00:00:00Z");
            let mut sent: Vec<DateTime<Utc>> = Vec::new();
            for g in gaps {
                now += Duration::seconds(g);
                if may_send(now, &sent).is_ok() {
                    sent.push(now);
                }
            }
            for (i, a) in sent.iter().enumerate() {
                let in_window = sent[i..].iter().filter(|b| **b - *a < Duration::minutes(10)).count();
                prop_assert!(in_window <= 3);
                if let Some(b) = sent.get(i + 1) {
                    prop_assert!(*b - *a >= OTP_RESEND_COOLDOWN);
                }
            }
        }
    }
}
