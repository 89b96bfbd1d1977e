//! Any scanned text: never a panic, and whatever is accepted as ours really is under the public URL.
#![no_main]
use egov_core::qr::{Scanned, parse_scanned};
use libfuzzer_sys::fuzz_target;

const BASE: &str = "https://egov.kz";

fuzz_target!(|text: &str| {
    match parse_scanned(text, BASE) {
        Scanned::NotOurs => {}
        Scanned::Share { token } => assert!(!token.is_empty() && text.trim().starts_with(BASE), "{text:?}"),
        Scanned::WebLogin { secret } => assert!(!secret.is_empty() && text.trim().starts_with(BASE), "{text:?}"),
        Scanned::SignRequest { id } => assert!(!id.is_empty() && text.trim().starts_with(BASE), "{text:?}"),
    }
    // Drawing any text either works or says it is too long.
    if text.len() < 512 {
        let _ = egov_core::qr::render_matrix(text);
    }
});
