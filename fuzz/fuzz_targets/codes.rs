//! Short codes, document digests, user agents, device keys and base64 from clients: never a panic, and
//! what is accepted is canonical.
#![no_main]
use egov_core::auth::eds::{DevicePublicKey, decode_b64};
use egov_core::sharing::{format_short_code, parse_short_code};
use egov_core::weblogin::{describe_user_agent, normalize_digest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Some(code) = parse_short_code(text) {
        assert_eq!(code.len(), 12);
        assert_eq!(parse_short_code(&format_short_code(&code)).as_deref(), Some(code.as_str()));
    }
    if let Some(digest) = normalize_digest(text) {
        assert_eq!(digest.len(), 64);
        assert_eq!(normalize_digest(&digest).as_deref(), Some(digest.as_str()));
    }
    let (browser, os) = describe_user_agent(text);
    assert!(!browser.is_empty() && !os.is_empty());
    let _ = decode_b64(text);
    if let Ok(key) = DevicePublicKey::parse(text) {
        assert_eq!(DevicePublicKey::parse(&key.to_b64()).unwrap().as_bytes(), key.as_bytes());
    }
});
