//! Who the client calls as: nobody, a citizen (tokens the app keeps through a [`SessionStore`]), or an
//! organisation (client credentials, its token renewed by the client).

use egov_api::wire::SessionTokens;
use std::time::{Duration, Instant};

/// Where the app keeps the citizen's tokens (the Android Keystore, the iOS Keychain). The client calls
/// `save` after every sign-in and refresh, before it sends the new tokens anywhere, and with `None` when
/// the session ends (logout, a refresh the server refused), so what the app keeps is never older than
/// what the server expects next.
pub trait SessionStore: Send + Sync {
    fn save(&self, tokens: Option<&SessionTokens>);
}

/// The device key: a P-256 key the platform holds (Android Keystore, Secure Enclave). The private key never
/// reaches the client; it asks for a public key and signatures only.
pub trait Signer: Send + Sync {
    /// SubjectPublicKeyInfo DER or the 65-byte uncompressed point.
    fn public_key(&self) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>;
    /// An ECDSA P-256 SHA-256 signature of `message`, DER or 64-byte r||s.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>;
}

/// An access token this close to its expiry is refreshed before use.
const REFRESH_MARGIN: Duration = Duration::from_secs(30);

pub(crate) enum Credentials {
    None,
    Citizen { tokens: SessionTokens, fresh_until: Option<Instant> },
    Organisation { client_id: String, client_secret: String, access_token: String, fresh_until: Instant },
}

impl Credentials {
    /// The access token held now, and whether it is about to expire.
    pub(crate) fn token(&self) -> Option<(String, bool)> {
        let now = Instant::now();
        match self {
            Credentials::None => None,
            Credentials::Citizen { tokens, fresh_until } => {
                Some((tokens.access_token.clone(), fresh_until.is_some_and(|t| now >= t)))
            }
            Credentials::Organisation { access_token, fresh_until, .. } => {
                Some((access_token.clone(), now >= *fresh_until))
            }
        }
    }
}

/// When a token that lives `expires_in` seconds should be renewed.
pub(crate) fn fresh_until(expires_in: i64) -> Instant {
    Instant::now() + Duration::from_secs(expires_in.max(0) as u64).saturating_sub(REFRESH_MARGIN)
}
