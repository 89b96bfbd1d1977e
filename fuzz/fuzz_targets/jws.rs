//! Any token against a real-shaped key set (and any key set against a token): never a panic and never
//! accepted, since the fuzzer cannot sign with the key.
#![no_main]
use libfuzzer_sys::fuzz_target;

const JWKS: &str = r#"{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig","kid":"k1",
  "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let jwks: serde_json::Value = serde_json::from_str(JWKS).unwrap();
    assert!(egov_core::sharing::verify_copy(text, &jwks).is_err());
    assert!(egov_core::fines::verify_receipt(text, &jwks).is_err());
    // The other way round: a fuzzed key set.
    if let Ok(keys) = serde_json::from_str::<serde_json::Value>(text) {
        let token = "eyJhbGciOiJFUzI1NiIsInR5cCI6ImVnb3YtZG9jdW1lbnQtY29weStqd3MiLCJraWQiOiJrMSJ9.e30.AAAA";
        assert!(egov_core::sharing::verify_copy(token, &keys).is_err());
    }
});
