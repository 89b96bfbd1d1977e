//! Vehicle plates from the agencies' feed: never a panic, and normalising is idempotent.
#![no_main]
use egov_core::fines::normalize_plate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Some(plate) = normalize_plate(text) {
        assert_eq!(normalize_plate(&plate).as_deref(), Some(plate.as_str()), "{text:?}");
        assert!(plate.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()), "{plate:?}");
    }
});
