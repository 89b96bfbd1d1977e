//! Website login by QR code (design 3.5) and signing website requests by QR code (3.6): lifetimes, the
//! check code the user types, the lock after wrong codes, what the phone is told about the browser, and
//! the bytes signed.

use crate::auth::rate::Window;
use crate::documents::Multilingual;
use crate::secret::{RandomError, SecureRandom, random_below};
use chrono::{DateTime, Duration, Utc};

/// Each QR code lives 60 seconds, then the browser is shown a new one.
pub const QR_TTL: Duration = Duration::seconds(60);
/// A login request lives at most 5 minutes.
pub const LOGIN_REQUEST_TTL: Duration = Duration::minutes(5);
/// The one-time login code the browser exchanges for its session lives 60 seconds.
pub const LOGIN_CODE_TTL: Duration = Duration::seconds(60);
/// QR secrets carry 144 random bits; poll secrets and login codes 256.
pub const QR_SECRET_BYTES: usize = 18;
pub const POLL_SECRET_BYTES: usize = 32;
pub const LOGIN_CODE_BYTES: usize = 32;
/// New login or signing requests per IP: 300 a minute (offices share addresses; the design's floor is 120).
pub const REQUESTS_PER_IP: Window = Window { limit: 300, period: Duration::minutes(1) };
/// A signing request lives at most 10 minutes.
pub const SIGN_REQUEST_MAX_TTL: Duration = Duration::minutes(10);

/// The two-digit check code (10-99) the browser shows and the citizen types on the phone: a blind guess
/// wins 1 in 90 (issue 23; picking among three choices won 1 in 3).
pub fn check_code(rng: &dyn SecureRandom) -> Result<u8, RandomError> {
    Ok(10 + random_below(rng, 90)? as u8)
}

/// Whether `code` could be a check code the browser shows (10-99): anything else is refused before it
/// counts as a wrong code.
pub fn is_check_code(code: u8) -> bool {
    (10..=99).contains(&code)
}

/// Wrong check codes that, typed within [`WRONG_CHECK_CODE_SPAN`], stop a citizen's approvals.
pub const WRONG_CHECK_CODES: usize = 3;
pub const WRONG_CHECK_CODE_SPAN: Duration = Duration::minutes(10);
/// How long a citizen's website-login approvals stay stopped after that.
pub const APPROVALS_LOCK: Duration = Duration::hours(1);

/// Until when a citizen who typed wrong check codes at `wrong` (any order) may not approve website logins:
/// an hour after the third wrong code within ten minutes. Sliding, so no window edge lets six through.
pub fn approvals_locked_until(wrong: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut times = wrong.to_vec();
    times.sort();
    times
        .windows(WRONG_CHECK_CODES)
        .filter(|w| w[WRONG_CHECK_CODES - 1] - w[0] <= WRONG_CHECK_CODE_SPAN)
        .map(|w| w[WRONG_CHECK_CODES - 1] + APPROVALS_LOCK)
        .filter(|until| *until > now)
        .max()
}

/// Browser and operating system named by a `User-Agent`, for "is this you?" on the phone.
pub fn describe_user_agent(ua: &str) -> (String, String) {
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("YaBrowser") {
        "Yandex Browser"
    } else if ua.contains("OPR/") {
        "Opera"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") || ua.contains("HeadlessChrome") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        "Unknown browser"
    };
    let os = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        "Unknown OS"
    };
    (browser.to_string(), os.to_string())
}

/// SHA-256 (hex) of the descriptions the phone shows for a signing request, each language length-prefixed
/// so no two different sets of texts hash alike.
pub fn descriptions_hash(d: &Multilingual) -> String {
    let framed = [&d.kk, &d.ru, &d.en].iter().map(|t| format!("{}:{t}", t.len())).collect::<Vec<_>>().join("\n");
    hex(ring::digest::digest(&ring::digest::SHA256, framed.as_bytes()).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes a device signs for a website signing request (issue 23: never blind): a domain tag, the
/// request id, the digest, the requesting organisation (its id and the name the phone showed) and the
/// hash of the descriptions the phone showed. A signature over one organisation's request or one text
/// can never be passed off as another's.
pub fn sign_request_message(
    request_id: &str,
    digest_hex: &str,
    organisation_id: &str,
    organisation_name: &str,
    descriptions: &Multilingual,
) -> Vec<u8> {
    let shown = descriptions_hash(descriptions);
    format!("egov-mobile/sign-request/v2\n{request_id}\n{digest_hex}\n{organisation_id}\n{organisation_name}\n{shown}")
        .into_bytes()
}

/// A SHA-256 digest as lower-case hex, from hex (any case) or base64/base64url.
pub fn normalize_digest(input: &str) -> Option<String> {
    let t = input.trim();
    let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32).map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16).ok()).collect::<Option<Vec<u8>>>()?
    } else {
        crate::auth::eds::decode_b64(t)?
    };
    (bytes.len() == 32).then(|| bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn check_codes_are_two_digits_and_all_ninety_come_up() {
        let rng = SystemRandom::new();
        let seen: std::collections::HashSet<u8> = (0..5000).map(|_| check_code(&rng).unwrap()).collect();
        assert!(seen.iter().all(|c| is_check_code(*c)));
        assert!(!is_check_code(9) && !is_check_code(100));
        assert_eq!(seen.len(), 90);
    }

    #[test]
    fn three_wrong_codes_within_ten_minutes_stop_approvals_for_an_hour() {
        let wrong = [t("2026-12-01T10:00:00Z"), t("2026-12-01T10:09:00Z"), t("2026-12-01T10:05:00Z")];
        assert_eq!(approvals_locked_until(&wrong, t("2026-12-01T10:09:01Z")), Some(t("2026-12-01T11:09:00Z")));
        assert_eq!(approvals_locked_until(&wrong, t("2026-12-01T11:09:00Z")), None);
        assert_eq!(approvals_locked_until(&wrong[..2], t("2026-12-01T10:09:01Z")), None, "two are not three");
        let spread = [t("2026-12-01T10:00:00Z"), t("2026-12-01T10:06:00Z"), t("2026-12-01T10:12:00Z")];
        assert_eq!(approvals_locked_until(&spread, t("2026-12-01T10:13:00Z")), None, "not within ten minutes");
    }

    #[test]
    fn a_signed_request_binds_the_organisation_and_every_text_shown() {
        let d = Multilingual::new("Шарт", "Договор", "Contract");
        let base = sign_request_message("r1", "ab", "notary-1", "Notary", &d);
        assert_ne!(base, sign_request_message("r1", "ab", "bank-1", "Notary", &d));
        assert_ne!(base, sign_request_message("r1", "ab", "notary-1", "Bank", &d));
        assert_ne!(
            base,
            sign_request_message("r1", "ab", "notary-1", "Notary", &Multilingual::new("Шарт", "Договор", "Loan"))
        );
        assert_ne!(
            descriptions_hash(&Multilingual::new("a\n1:b", "", "")),
            descriptions_hash(&Multilingual::new("a", "b", "")),
            "framing keeps texts apart"
        );
    }

    #[test]
    fn common_browsers_are_named() {
        let chrome_win = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
        assert_eq!(describe_user_agent(chrome_win), ("Chrome".into(), "Windows".into()));
        let safari_mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15";
        assert_eq!(describe_user_agent(safari_mac), ("Safari".into(), "macOS".into()));
        let edge = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0";
        assert_eq!(describe_user_agent(edge).0, "Edge");
        assert_eq!(describe_user_agent("curl/8.0"), ("Unknown browser".into(), "Unknown OS".into()));
    }

    #[test]
    fn digests_are_sha256_in_hex_or_base64() {
        let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(normalize_digest(&hex.to_uppercase()).as_deref(), Some(hex));
        assert_eq!(normalize_digest("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=").as_deref(), Some(hex));
        assert_eq!(normalize_digest("abc"), None);
        assert_eq!(normalize_digest(&"0".repeat(62)), None);
    }
}
