//! Fixed-window rate limits: a limit per period, counted per key (an IP, a phone, a redeemer) in the
//! database so they hold across replicas.

use chrono::{DateTime, Duration, Utc};

/// At most `limit` events per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub limit: u32,
    pub period: Duration,
}

impl Window {
    /// The start of the window `now` falls in (windows are aligned to the epoch).
    pub fn start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let period = self.period.num_milliseconds().max(1);
        let ms = now.timestamp_millis();
        DateTime::from_timestamp_millis(ms - ms.rem_euclid(period)).unwrap_or(now)
    }

    /// Whether the `count`-th event of the window (counting this one) is allowed.
    pub fn allows(&self, count: u32) -> bool {
        count <= self.limit
    }

    /// Seconds until the window `now` is in ends (for `Retry-After`).
    pub fn retry_after(&self, now: DateTime<Utc>) -> u64 {
        let end = self.start(now) + self.period;
        (end - now).num_seconds().max(1) as u64
    }
}

/// Per IP: at most 30 OTP sends an hour (design 3.2).
pub const OTP_SENDS_PER_IP: Window = Window { limit: 30, period: Duration::hours(1) };
/// Per IP: at most 30 OTP verifications per 5 minutes (design 3.2).
pub const OTP_VERIFIES_PER_IP: Window = Window { limit: 30, period: Duration::minutes(5) };
/// Per IP: EDS challenges and verifications share the OTP verification budget's size (design 3.2 by analogy).
pub const EDS_ATTEMPTS_PER_IP: Window = Window { limit: 30, period: Duration::minutes(5) };
/// Wrong client secrets per organisation client and address (brute force on a 256-bit secret is hopeless;
/// this bounds the noise). Failures only, and per address: a stranger's wrong secrets never lock the
/// organisation's own desks out (issue 23).
pub const OAUTH_FAILURES_PER_CLIENT_AND_ADDRESS: Window = Window { limit: 30, period: Duration::minutes(5) };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thirtieth_send_of_an_hour_is_allowed_and_the_thirty_first_is_not() {
        assert!(OTP_SENDS_PER_IP.allows(30));
        assert!(!OTP_SENDS_PER_IP.allows(31));
    }

    #[test]
    fn windows_align_and_say_when_they_end() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T10:47:30Z").unwrap().with_timezone(&Utc);
        assert_eq!(OTP_SENDS_PER_IP.start(now).to_rfc3339(), "2026-11-23T10:00:00+00:00");
        assert_eq!(OTP_SENDS_PER_IP.retry_after(now), 12 * 60 + 30);
        assert_eq!(OTP_VERIFIES_PER_IP.start(now).to_rfc3339(), "2026-11-23T10:45:00+00:00");
    }
}
