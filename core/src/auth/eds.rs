//! Digital-signature (EDS) sign-in with the device key: the app keeps an ECDSA P-256 key in Android
//! Keystore or the Secure Enclave; the server stores its public key and checks signatures over
//! single-use challenges. The exact bytes signed are defined here, once, for the server and the app.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use ring::signature::{ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};

/// A login challenge is valid for 2 minutes and once.
pub const CHALLENGE_TTL: Duration = Duration::minutes(2);
/// Challenge nonces carry 256 random bits (the design's floor is 128).
pub const CHALLENGE_NONCE_BYTES: usize = 32;

/// The DER prefix of a P-256 SubjectPublicKeyInfo (what Java's `PublicKey.getEncoded()` gives); the
/// 65-byte uncompressed point follows it.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Why a device public key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the public key is not base64url or base64")]
    Encoding,
    #[error("the public key must be a P-256 key: a 91-byte SubjectPublicKeyInfo or a 65-byte uncompressed point")]
    NotP256,
}

/// A device's P-256 public key, held as the 65-byte uncompressed point (`04 || X || Y`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePublicKey([u8; 65]);

impl DevicePublicKey {
    /// Accepts the key as base64 (url-safe or standard, padded or not) of either a SubjectPublicKeyInfo
    /// (Android) or an uncompressed point (iOS `x963Representation`). The point must lie on the curve.
    pub fn parse(encoded: &str) -> Result<Self, KeyError> {
        let bytes = decode_b64(encoded).ok_or(KeyError::Encoding)?;
        let point: &[u8] = match bytes.len() {
            91 if bytes[..26] == P256_SPKI_PREFIX => &bytes[26..],
            65 => &bytes,
            _ => return Err(KeyError::NotP256),
        };
        if point[0] != 0x04 {
            return Err(KeyError::NotP256);
        }
        let mut out = [0u8; 65];
        out.copy_from_slice(point);
        // ring checks that the point lies on the curve on every verification, so an off-curve key can be
        // stored but never verifies anything.
        Ok(DevicePublicKey(out))
    }

    /// The uncompressed point.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The key as base64url of its uncompressed point (its stored form).
    pub fn to_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// A short, stable fingerprint (base64url of the first 12 bytes of SHA-256 of the point).
    pub fn fingerprint(&self) -> String {
        let d = ring::digest::digest(&ring::digest::SHA256, &self.0);
        URL_SAFE_NO_PAD.encode(&d.as_ref()[..12])
    }

    /// Whether `signature` is this key's ECDSA P-256 SHA-256 signature over `message`. Accepts both the
    /// DER form (Android Keystore, Java `SHA256withECDSA`, CryptoKit `derRepresentation`) and the 64-byte
    /// fixed `r || s` form (CryptoKit `rawRepresentation`).
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let alg = if signature.len() == 64 { &ECDSA_P256_SHA256_FIXED } else { &ECDSA_P256_SHA256_ASN1 };
        UnparsedPublicKey::new(alg, &self.0[..]).verify(message, signature).is_ok()
    }
}

/// Decodes base64url or standard base64, with or without padding.
pub fn decode_b64(s: &str) -> Option<Vec<u8>> {
    let cleaned: String = s
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    URL_SAFE_NO_PAD.decode(cleaned).ok()
}

/// The bytes a device signs to log in: a domain tag, the challenge id, its nonce and the IIN, one per line.
pub fn login_message(challenge_id: &str, nonce: &str, iin: &str) -> Vec<u8> {
    format!("egov-mobile/eds-login/v1\n{challenge_id}\n{nonce}\n{iin}").into_bytes()
}

/// The bytes a device signs to prove it holds the key it enrols.
pub fn enrolment_message(enrolment_id: &str, iin: &str) -> Vec<u8> {
    format!("egov-mobile/enrol-device/v1\n{enrolment_id}\n{iin}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};

    fn pair(alg: &'static ring::signature::EcdsaSigningAlgorithm) -> EcdsaKeyPair {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap()
    }

    #[test]
    fn a_der_signature_by_the_enrolled_key_verifies_and_one_by_another_key_does_not() {
        let device = pair(&ECDSA_P256_SHA256_ASN1_SIGNING);
        let other = pair(&ECDSA_P256_SHA256_ASN1_SIGNING);
        let key = DevicePublicKey::parse(&URL_SAFE_NO_PAD.encode(device.public_key())).unwrap();
        let msg = login_message("c1", "nonce", "871008401427");
        let rng = SystemRandom::new();
        assert!(key.verifies(&msg, device.sign(&rng, &msg).unwrap().as_ref()));
        assert!(!key.verifies(&msg, other.sign(&rng, &msg).unwrap().as_ref()));
        assert!(
            !key.verifies(&login_message("c2", "nonce", "871008401427"), device.sign(&rng, &msg).unwrap().as_ref())
        );
    }

    #[test]
    fn a_fixed_width_signature_verifies_too() {
        let device = pair(&ECDSA_P256_SHA256_FIXED_SIGNING);
        let key = DevicePublicKey::parse(&URL_SAFE_NO_PAD.encode(device.public_key())).unwrap();
        let msg = enrolment_message("e1", "871008401427");
        let sig = device.sign(&SystemRandom::new(), &msg).unwrap();
        assert_eq!(sig.as_ref().len(), 64);
        assert!(key.verifies(&msg, sig.as_ref()));
    }

    #[test]
    fn a_subject_public_key_info_and_standard_base64_are_accepted() {
        let device = pair(&ECDSA_P256_SHA256_ASN1_SIGNING);
        let mut spki = P256_SPKI_PREFIX.to_vec();
        spki.extend_from_slice(device.public_key().as_ref());
        let std_b64 = base64::engine::general_purpose::STANDARD.encode(&spki);
        let key = DevicePublicKey::parse(&std_b64).unwrap();
        assert_eq!(key.as_bytes(), device.public_key().as_ref());
    }

    #[test]
    fn keys_of_other_shapes_are_refused() {
        assert_eq!(DevicePublicKey::parse("!!!"), Err(KeyError::Encoding));
        assert_eq!(DevicePublicKey::parse(&URL_SAFE_NO_PAD.encode([4u8; 33])), Err(KeyError::NotP256));
        assert_eq!(DevicePublicKey::parse(&URL_SAFE_NO_PAD.encode([3u8; 65])), Err(KeyError::NotP256));
    }

    #[test]
    fn an_off_curve_point_never_verifies() {
        let key = DevicePublicKey::parse(&URL_SAFE_NO_PAD.encode([4u8; 65])).unwrap();
        assert!(!key.verifies(b"m", &[0u8; 64]));
        assert!(!key.verifies(b"m", &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]));
    }
}
