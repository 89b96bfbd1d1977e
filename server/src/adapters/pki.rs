//! Verification of digital signatures (EDS). The embedded default checks ECDSA P-256 signatures against
//! the device key the citizen enrolled. The national PKI (NCA RK certificates) implements the same trait.

use egov_core::auth::eds::DevicePublicKey;

pub trait EdsVerifier: Send + Sync {
    /// Whether `signature` over `message` was made by the holder of `public_key` (as stored at enrolment).
    fn verify(&self, public_key: &str, message: &[u8], signature: &[u8]) -> bool;
}

/// The embedded default: the enrolled device key.
pub struct DeviceKeyVerifier;

impl EdsVerifier for DeviceKeyVerifier {
    fn verify(&self, public_key: &str, message: &[u8], signature: &[u8]) -> bool {
        DevicePublicKey::parse(public_key).is_ok_and(|k| k.verifies(message, signature))
    }
}
