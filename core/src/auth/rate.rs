//! Sliding-window rate limits: a limit per period, counted per key (an IP, a phone, a redeemer) in the
//! database so they hold across replicas.
//!
//! Counters live in epoch-aligned windows, but a decision weighs the previous window by the part of it
//! that still lies within one period of `now` (the "sliding window counter" of Cloudflare and nginx).
//! A fixed window lets a caller spend its limit at the end of one window and again at the start of the
//! next, twice the limit within one period; here the previous window's events keep counting until they
//! slide out (issue 23).

use chrono::{DateTime, Duration, Utc};

/// At most `limit` events per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub limit: u32,
    pub period: Duration,
}

/// The events counted in the window `now` falls in and in the window before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub previous: u32,
    pub current: u32,
}

impl Tally {
    /// The tally once one more event is counted.
    pub fn next(self) -> Tally {
        Tally { current: self.current.saturating_add(1), ..self }
    }
}

impl Window {
    fn period_ms(&self) -> i64 {
        self.period.num_milliseconds().max(1)
    }

    /// The start of the window `now` falls in (windows are aligned to the epoch).
    pub fn start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let ms = now.timestamp_millis();
        DateTime::from_timestamp_millis(ms - ms.rem_euclid(self.period_ms())).unwrap_or(now)
    }

    /// The start of the window before the one `now` falls in.
    pub fn previous_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.start(now) - self.period
    }

    /// Milliseconds of the current window still ahead of `now`; the previous window's share of the
    /// sliding period is this over the period.
    fn remaining_ms(&self, now: DateTime<Utc>) -> i64 {
        self.period_ms() - now.timestamp_millis().rem_euclid(self.period_ms())
    }

    /// The events within one period before `now`: the current window's, plus the previous window's
    /// weighted by the part of it still inside the period (rounded up, so the estimate never under-counts
    /// an even spread).
    pub fn estimate(&self, tally: Tally, now: DateTime<Utc>) -> u32 {
        let weighted = weighted(tally.previous, self.remaining_ms(now), self.period_ms());
        tally.current.saturating_add(weighted)
    }

    /// Whether the events of `tally` (counting the one being decided) stay within the limit.
    pub fn allows(&self, tally: Tally, now: DateTime<Utc>) -> bool {
        self.estimate(tally, now) <= self.limit
    }

    /// Whether the limit is used up: one more event would exceed it.
    pub fn is_full(&self, tally: Tally, now: DateTime<Utc>) -> bool {
        !self.allows(tally.next(), now)
    }

    /// Seconds until one more event is allowed (for `Retry-After`), assuming nothing else is counted
    /// meanwhile.
    pub fn retry_after(&self, tally: Tally, now: DateTime<Utc>) -> u64 {
        let period = self.period_ms();
        let remaining = self.remaining_ms(now);
        let room = i64::from(self.limit) - 1;
        let wait_ms = if i64::from(tally.current) <= room {
            // Within this window: wait until the previous window's weight leaves room for one more.
            let room = room - i64::from(tally.current);
            match tally.previous {
                0 => 0,
                previous => remaining - latest_remaining(room, previous, period),
            }
        } else {
            // This window alone is full: into the next one, until this window's weight has slid enough.
            remaining + period - latest_remaining(room, tally.current, period)
        };
        u64::try_from(wait_ms.div_euclid(1000) + 1).unwrap_or(1).max(1)
    }
}

/// `count` weighted by `remaining / period`, rounded up.
fn weighted(count: u32, remaining_ms: i64, period_ms: i64) -> u32 {
    let w = (i128::from(count) * i128::from(remaining_ms) + i128::from(period_ms) - 1) / i128::from(period_ms);
    u32::try_from(w).unwrap_or(u32::MAX)
}

/// The largest remaining time at which `count` weighs at most `room` (`weighted(count, r) <= room`).
fn latest_remaining(room: i64, count: u32, period_ms: i64) -> i64 {
    (i128::from(room.max(0)) * i128::from(period_ms) / i128::from(count.max(1))) as i64
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

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_thirtieth_send_of_an_hour_is_allowed_and_the_thirty_first_is_not() {
        let now = at("2026-11-23T10:47:30Z");
        assert!(OTP_SENDS_PER_IP.allows(Tally { previous: 0, current: 30 }, now));
        assert!(!OTP_SENDS_PER_IP.allows(Tally { previous: 0, current: 31 }, now));
        assert!(OTP_SENDS_PER_IP.is_full(Tally { previous: 0, current: 30 }, now));
    }

    #[test]
    fn windows_align_to_the_epoch() {
        let now = at("2026-11-23T10:47:30Z");
        assert_eq!(OTP_SENDS_PER_IP.start(now).to_rfc3339(), "2026-11-23T10:00:00+00:00");
        assert_eq!(OTP_SENDS_PER_IP.previous_start(now).to_rfc3339(), "2026-11-23T09:00:00+00:00");
        assert_eq!(OTP_VERIFIES_PER_IP.start(now).to_rfc3339(), "2026-11-23T10:45:00+00:00");
    }

    #[test]
    fn a_full_window_just_before_the_edge_still_counts_just_after_it() {
        // 30 sends at 10:59 and the clock crosses into 11:00: a fixed window would allow 30 more at once.
        let just_after = at("2026-11-23T11:00:01Z");
        let full_before = Tally { previous: 30, current: 0 };
        assert!(!OTP_SENDS_PER_IP.allows(full_before.next(), just_after));
        // Half-way through the new window, half of the old one has slid out.
        let half = at("2026-11-23T11:30:00Z");
        assert_eq!(OTP_SENDS_PER_IP.estimate(full_before, half), 15);
        assert!(OTP_SENDS_PER_IP.allows(Tally { previous: 30, current: 15 }, half));
        assert!(!OTP_SENDS_PER_IP.allows(Tally { previous: 30, current: 16 }, half));
    }

    #[test]
    fn no_period_holds_more_than_the_limit_when_a_caller_sends_whenever_allowed() {
        // A greedy caller asks every 10 seconds for six hours; count what was allowed in every hour-long
        // span that ends on one of its attempts.
        let w = OTP_SENDS_PER_IP;
        let start = at("2026-11-23T09:00:00Z");
        let mut counts = std::collections::BTreeMap::<i64, u32>::new();
        let mut allowed = Vec::new();
        for step in 0..(6 * 360) {
            let now = start + Duration::seconds(step * 10);
            let window = w.start(now).timestamp_millis();
            let tally = Tally {
                previous: counts.get(&(window - w.period_ms())).copied().unwrap_or(0),
                current: counts.get(&window).copied().unwrap_or(0),
            };
            if w.allows(tally.next(), now) {
                *counts.entry(window).or_default() += 1;
                allowed.push(now);
            }
        }
        for (i, end) in allowed.iter().enumerate() {
            let within = allowed[..=i].iter().filter(|t| **t > *end - w.period).count();
            assert!(within <= w.limit as usize, "{within} sends in the hour up to {end}");
        }
        // And the limit is not starved: over six hours the caller got at least five hours' worth.
        assert!(allowed.len() >= 5 * w.limit as usize, "{} sends in six hours", allowed.len());
    }

    #[test]
    fn retry_after_names_the_first_moment_one_more_is_allowed() {
        let w = OTP_VERIFIES_PER_IP; // 30 per 5 minutes
        for (now, tally) in [
            (at("2026-11-23T10:47:30Z"), Tally { previous: 0, current: 30 }),
            (at("2026-11-23T10:45:01Z"), Tally { previous: 30, current: 0 }),
            (at("2026-11-23T10:46:00Z"), Tally { previous: 20, current: 25 }),
            (at("2026-11-23T10:49:59Z"), Tally { previous: 3, current: 31 }),
        ] {
            let secs = w.retry_after(tally, now);
            let roll = |after: i64| {
                // Counts move to "previous" when the wait crosses into the next window.
                let later = now + Duration::seconds(after);
                if w.start(later) == w.start(now) { tally } else { Tally { previous: tally.current, current: 0 } }
            };
            let later = now + Duration::seconds(secs as i64);
            assert!(w.allows(roll(secs as i64).next(), later), "{tally:?} at {now}: allowed after {secs} s");
            let before = now + Duration::seconds(secs as i64 - 2);
            assert!(
                secs <= 2 || !w.allows(roll(secs as i64 - 2).next(), before),
                "{tally:?} at {now}: already allowed 2 s before {secs} s"
            );
        }
    }
}
