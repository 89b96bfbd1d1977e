//! The device key: the app keeps a P-256 key in Android Keystore (StrongBox when present) or the Secure
//! Enclave and signs through [`PlatformSigner`]; registration, device enrolment, digital-signature sign-in
//! and QR signing in [`crate::EgovClient`] all go through it, so the private key never reaches Rust.

use crate::MobileError;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use std::sync::Arc;

/// A P-256 key held by the platform. Implement it in Kotlin or Swift; a method that fails throws
/// `MobileException.Signer` (Kotlin) / `MobileError.Signer` (Swift), for example when the user cancels
/// the biometric prompt that guards the key.
#[uniffi::export(with_foreign)]
pub trait PlatformSigner: Send + Sync {
    /// The public key: SubjectPublicKeyInfo DER (Android `PublicKey.getEncoded()`) or the 65-byte
    /// uncompressed point (iOS `SecKeyCopyExternalRepresentation`).
    fn public_key(&self) -> Result<Vec<u8>, MobileError>;

    /// An ECDSA P-256 SHA-256 signature of `message`: DER (Android `SHA256withECDSA`, iOS
    /// `ecdsaSignatureMessageX962SHA256`) or 64-byte r||s (CryptoKit `rawRepresentation`).
    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, MobileError>;
}

/// A signer whose key lives in memory: for tests and emulators, never for a citizen's device.
struct SoftwareSigner {
    key: EcdsaKeyPair,
    rng: SystemRandom,
}

impl PlatformSigner for SoftwareSigner {
    fn public_key(&self) -> Result<Vec<u8>, MobileError> {
        Ok(self.key.public_key().as_ref().to_vec())
    }

    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, MobileError> {
        let sig = self.key.sign(&self.rng, &message).map_err(|_| signer_error("the software key could not sign"))?;
        Ok(sig.as_ref().to_vec())
    }
}

fn signer_error(reason: &str) -> MobileError {
    MobileError::Signer { reason: reason.into() }
}

/// A new software signer with a fresh random key, for tests and emulators (the key is lost with the
/// object). Real apps implement `PlatformSigner` on Android Keystore or the Secure Enclave.
#[uniffi::export]
pub fn software_signer() -> Result<Arc<dyn PlatformSigner>, MobileError> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
        .map_err(|_| signer_error("no randomness for a new key"))?;
    software_signer_from_pkcs8(pkcs8.as_ref().to_vec())
}

/// A software signer over an existing PKCS#8 P-256 private key (DER), for tests that need a fixed key.
#[uniffi::export]
pub fn software_signer_from_pkcs8(pkcs8: Vec<u8>) -> Result<Arc<dyn PlatformSigner>, MobileError> {
    let rng = SystemRandom::new();
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, &rng)
        .map_err(|_| MobileError::InvalidInput { reason: "not a PKCS#8 P-256 private key".into() })?;
    Ok(Arc::new(SoftwareSigner { key, rng }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_software_signer_signs_what_core_verifies() {
        let signer = software_signer().unwrap();
        let public = signer.public_key().unwrap();
        let sig = signer.sign(b"message".to_vec()).unwrap();
        let encoded = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &public);
        let key = egov_core::auth::eds::DevicePublicKey::parse(&encoded).unwrap();
        assert!(key.verifies(b"message", &sig));
        assert!(!key.verifies(b"other message", &sig));
    }

    #[test]
    fn a_key_that_is_not_pkcs8_is_invalid_input() {
        assert!(matches!(software_signer_from_pkcs8(vec![1, 2, 3]), Err(MobileError::InvalidInput { .. })));
    }
}
