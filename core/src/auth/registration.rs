//! Registration and device enrolment (design 3.2): the verification answers (IIN and birth date) are
//! checked against the state registry, and mismatches are limited.

use super::rate::Window;
use chrono::Duration;

/// Wrong IIN / birth-date answers allowed on one registration flow.
pub const MISMATCHES_PER_FLOW: u32 = 5;
/// Wrong answers allowed per IIN per day, whatever the flow.
pub const MISMATCHES_PER_IIN: Window = Window { limit: 10, period: Duration::days(1) };
/// A verified identity must enrol its device key within 10 minutes.
pub const ENROLMENT_TTL: Duration = Duration::minutes(10);
/// Enrolment tokens carry 256 random bits.
pub const ENROLMENT_TOKEN_BYTES: usize = 32;
/// The longest device name kept (what the app shows in the session list).
pub const DEVICE_NAME_MAX_CHARS: usize = 64;

/// The device name as stored: trimmed, control characters removed, at most 64 characters, never empty.
pub fn clean_device_name(name: &str) -> String {
    let cleaned: String = name.chars().filter(|c| !c.is_control()).take(DEVICE_NAME_MAX_CHARS).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() { "Unnamed device".to_string() } else { cleaned.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_are_trimmed_cleaned_and_bounded() {
        assert_eq!(clean_device_name("  Pixel 8\n"), "Pixel 8");
        assert_eq!(clean_device_name("\u{7}"), "Unnamed device");
        assert_eq!(clean_device_name(&"я".repeat(100)).chars().count(), 64);
    }
}
