//! Identity verification at registration and device enrolment: in production a biometric check against
//! the state database of individuals; the demo adapter accepts every citizen whose registry answers match.

use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("the identity verification service is unavailable")]
    Unavailable,
}

#[async_trait]
pub trait IdentityVerifier: Send + Sync {
    /// Whether the person presenting `evidence` (e.g. a liveness/biometric session token from the app) is
    /// the citizen with this IIN.
    async fn verify(&self, iin: &str, evidence: Option<&str>) -> Result<bool, IdentityError>;
}

/// The embedded default: accepts (the registry answers, IIN and birth date, are still checked).
pub struct DemoIdentityVerifier;

#[async_trait]
impl IdentityVerifier for DemoIdentityVerifier {
    async fn verify(&self, _iin: &str, _evidence: Option<&str>) -> Result<bool, IdentityError> {
        Ok(true)
    }
}
