//! Website login by QR code (design 3.5) and signing website requests by QR code (3.6): lifetimes, the
//! check code the user picks among three, what the phone is told about the browser, and the bytes signed.

use crate::auth::rate::Window;
use crate::secret::{RandomError, SecureRandom, random_below};
use chrono::Duration;

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

/// Three distinct two-digit check codes (10-99) in random order; the first returned value is the right
/// one, the array is what the phone shows.
pub fn check_code_choices(rng: &dyn SecureRandom) -> Result<(u8, [u8; 3]), RandomError> {
    let mut picked: Vec<u8> = Vec::with_capacity(3);
    while picked.len() < 3 {
        let c = 10 + random_below(rng, 90)? as u8;
        if !picked.contains(&c) {
            picked.push(c);
        }
    }
    let right = picked[0];
    // Fisher-Yates with the injected generator.
    for i in (1..3).rev() {
        let j = random_below(rng, i as u32 + 1)? as usize;
        picked.swap(i, j);
    }
    Ok((right, [picked[0], picked[1], picked[2]]))
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

/// The bytes a device signs for a website signing request: a domain tag, the request id and the digest.
pub fn sign_request_message(request_id: &str, digest_hex: &str) -> Vec<u8> {
    format!("egov-mobile/sign-request/v1\n{request_id}\n{digest_hex}").into_bytes()
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

    #[test]
    fn three_distinct_two_digit_choices_include_the_right_one() {
        let rng = SystemRandom::new();
        for _ in 0..500 {
            let (right, choices) = check_code_choices(&rng).unwrap();
            assert!(choices.contains(&right));
            assert!(choices.iter().all(|c| (10..=99).contains(c)));
            assert!(choices[0] != choices[1] && choices[1] != choices[2] && choices[0] != choices[2]);
        }
    }

    #[test]
    fn the_right_choice_is_not_always_in_the_same_place() {
        let rng = SystemRandom::new();
        let positions: std::collections::HashSet<usize> = (0..200)
            .map(|_| {
                let (right, choices) = check_code_choices(&rng).unwrap();
                choices.iter().position(|c| *c == right).unwrap()
            })
            .collect();
        assert_eq!(positions.len(), 3);
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
