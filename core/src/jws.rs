//! Compact JWS with ES256, verified offline against a JSON Web Key Set: how anyone checks a signed
//! document copy or receipt without asking the server.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("not a compact JWS")]
    Malformed,
    #[error("the algorithm must be ES256")]
    Algorithm,
    #[error("the token is not a {expected}")]
    Type { expected: String },
    #[error("no key {0} in the key set")]
    UnknownKey(String),
    #[error("the signature does not verify")]
    Signature,
}

/// The length of an ES256 signature (`r || s`) in base64url, with the dot before it.
const SIGNATURE_PART: usize = 1 + 86;

/// The text that is signed: `base64url(header).base64url(payload)`, from the payload's JSON text (so a
/// caller that also sends the payload serialises it once). It is written into one buffer with room for
/// the signature, so [`compact`] appends without copying a document-sized text again.
pub fn signing_input(header: &Value, payload_json: &str) -> String {
    let header = header.to_string();
    let encoded = |n: usize| base64::encoded_len(n, false).unwrap_or(0);
    let mut out = String::with_capacity(encoded(header.len()) + 1 + encoded(payload_json.len()) + SIGNATURE_PART);
    URL_SAFE_NO_PAD.encode_string(header, &mut out);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(payload_json, &mut out);
    out
}

/// Appends a 64-byte `r || s` signature to its signing input: the compact form.
pub fn compact(mut signing_input: String, signature: &[u8]) -> String {
    signing_input.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut signing_input);
    signing_input
}

/// A verified JWS: its header and payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub header: Value,
    pub payload: Value,
}

/// Verifies a compact ES256 JWS whose header `typ` is `expected_typ` against `jwks` (`{"keys": [...]}`),
/// choosing the key by `kid`.
pub fn verify(token: &str, jwks: &Value, expected_typ: &str) -> Result<Verified, JwsError> {
    let mut parts = token.trim().split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwsError::Malformed);
    };
    let decode = |x: &str| URL_SAFE_NO_PAD.decode(x).map_err(|_| JwsError::Malformed);
    let header: Value = serde_json::from_slice(&decode(h)?).map_err(|_| JwsError::Malformed)?;
    if header["alg"] != "ES256" {
        return Err(JwsError::Algorithm);
    }
    if header["typ"] != expected_typ {
        return Err(JwsError::Type { expected: expected_typ.to_string() });
    }
    let kid = header["kid"].as_str().ok_or(JwsError::Malformed)?;
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
        .ok_or_else(|| JwsError::UnknownKey(kid.to_string()))?;
    if key["kty"] != "EC" || key["crv"] != "P-256" {
        return Err(JwsError::UnknownKey(kid.to_string()));
    }
    let coord = |c: &str| key[c].as_str().and_then(|v| URL_SAFE_NO_PAD.decode(v).ok()).filter(|b| b.len() == 32);
    let (Some(x), Some(y)) = (coord("x"), coord("y")) else { return Err(JwsError::UnknownKey(kid.to_string())) };
    let mut point = vec![4u8];
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    let signature = decode(s)?;
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(format!("{h}.{p}").as_bytes(), &signature)
        .map_err(|_| JwsError::Signature)?;
    let payload: Value = serde_json::from_slice(&decode(p)?).map_err(|_| JwsError::Malformed)?;
    Ok(Verified { header, payload })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use serde_json::json;

    fn key() -> (EcdsaKeyPair, Value) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let p = pair.public_key().as_ref().to_vec();
        let jwk = json!({"kty": "EC", "crv": "P-256", "kid": "k1", "x": URL_SAFE_NO_PAD.encode(&p[1..33]), "y": URL_SAFE_NO_PAD.encode(&p[33..])});
        (pair, json!({"keys": [jwk]}))
    }

    fn sign(pair: &EcdsaKeyPair, header: Value, payload: Value) -> String {
        let input = signing_input(&header, &payload.to_string());
        let signature = pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        compact(input, signature.as_ref())
    }

    #[test]
    fn the_compact_form_fills_the_signing_inputs_buffer_exactly() {
        let (pair, _) = key();
        let payload = json!({"photo": "A".repeat(7000)});
        let t = sign(&pair, json!({"alg": "ES256", "kid": "k1", "typ": "t"}), payload);
        // One allocation of the right size: a grown buffer would have spare capacity.
        assert_eq!(t.capacity(), t.len());
        assert_eq!(t.rsplit('.').next().unwrap().len(), 86);
    }

    #[test]
    fn a_signed_payload_verifies_against_the_key_set() {
        let (pair, jwks) = key();
        let t = sign(&pair, json!({"alg": "ES256", "kid": "k1", "typ": "t"}), json!({"a": 1}));
        assert_eq!(verify(&t, &jwks, "t").unwrap().payload, json!({"a": 1}));
    }

    #[test]
    fn a_changed_payload_another_key_another_type_or_alg_none_is_refused() {
        let (pair, jwks) = key();
        let t = sign(&pair, json!({"alg": "ES256", "kid": "k1", "typ": "t"}), json!({"a": 1}));
        let parts: Vec<&str> = t.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(r#"{"a":2}"#), parts[2]);
        assert_eq!(verify(&forged, &jwks, "t"), Err(JwsError::Signature));
        let (_, other_jwks) = key();
        assert_eq!(verify(&t, &other_jwks, "t"), Err(JwsError::Signature));
        assert_eq!(verify(&t, &jwks, "receipt"), Err(JwsError::Type { expected: "receipt".into() }));
        let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k1","typ":"t"}"#), parts[1]);
        assert_eq!(verify(&none, &jwks, "t"), Err(JwsError::Algorithm));
        assert_eq!(verify("a.b", &jwks, "t"), Err(JwsError::Malformed));
        let unknown = sign(&pair, json!({"alg": "ES256", "kid": "k9", "typ": "t"}), json!({}));
        assert_eq!(verify(&unknown, &jwks, "t"), Err(JwsError::UnknownKey("k9".into())));
    }
}
