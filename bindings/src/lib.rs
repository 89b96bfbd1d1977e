//! # egov-mobile
//!
//! The facade that exposes `egov-core` to the Android and iOS apps. It converts types and errors and adds
//! no rule of its own. The uniffi scaffolding, the `EgovClient` and the `PlatformSigner` foreign trait
//! arrive with the mobile issue; until then this crate re-exports the validation the app needs first.

/// Whether `input` is a valid individual identification number (12 digits with a correct check digit).
pub fn is_valid_iin(input: &str) -> bool {
    egov_core::identity::Iin::parse(input).is_ok()
}

/// The E.164 form of a Kazakhstan mobile number, or `None` when `input` is not one.
pub fn normalize_phone(input: &str) -> Option<String> {
    egov_core::identity::Phone::parse(input).ok().map(|p| p.as_str().to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_facade_answers_as_core_does() {
        assert!(super::is_valid_iin("871008401427"));
        assert!(!super::is_valid_iin("871008401428"));
        assert_eq!(super::normalize_phone("8 701 000 00 01").as_deref(), Some("+77010000001"));
        assert_eq!(super::normalize_phone("+7 717 212 34 56"), None);
    }
}
