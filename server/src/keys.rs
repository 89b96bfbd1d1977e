//! The server's keys: ES256 keys that sign access tokens and (separately) document copies and receipts,
//! published at `/.well-known/jwks.json`, and the HMAC key that hashes secrets at rest.
//!
//! Dev mode generates the keys once and keeps them in the database (so restarts and replicas share them).
//! Prod mode loads them from files and refuses to start without them.

use crate::config::{Config, Mode};
use crate::store::Store;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use std::path::Path;

/// The minimum length of the HMAC key (SHA-256 block security).
const HMAC_KEY_MIN_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("prod mode needs {0} (the default dev keys are refused)")]
    Missing(&'static str),
    #[error("key file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("stored key {0} is not a valid ES256 PKCS#8 key")]
    Stored(String),
    #[error("key generation failed")]
    Generate,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// One ES256 key pair with its key id (the RFC 7638 thumbprint of its public JWK).
pub struct SigningKey {
    pub kid: String,
    pub pair: EcdsaKeyPair,
    pub encoding: jsonwebtoken::EncodingKey,
    pub jwk: Value,
}

impl SigningKey {
    fn from_pkcs8(der: &[u8]) -> Option<SigningKey> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng).ok()?;
        let point = pair.public_key().as_ref();
        // Uncompressed SEC1 point: 0x04 || X (32 bytes) || Y (32 bytes).
        if point.len() != 65 || point[0] != 4 {
            return None;
        }
        let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
        let y = URL_SAFE_NO_PAD.encode(&point[33..]);
        let thumbprint_input = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, thumbprint_input.as_bytes()));
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "use": "sig", "alg": "ES256"});
        let encoding = jsonwebtoken::EncodingKey::from_ec_der(der);
        Some(SigningKey { kid, pair, encoding, jwk })
    }

    /// A decoding key for tokens this key signed.
    pub fn decoding(&self) -> jsonwebtoken::DecodingKey {
        let x = self.jwk["x"].as_str().unwrap_or_default();
        let y = self.jwk["y"].as_str().unwrap_or_default();
        // The components come from our own valid key, so this cannot fail; fall back to an unusable key.
        jsonwebtoken::DecodingKey::from_ec_components(x, y)
            .unwrap_or_else(|_| jsonwebtoken::DecodingKey::from_secret(&[]))
    }
}

/// All the keys of this server.
pub struct KeySet {
    /// Access-token keys; the first signs, all verify.
    pub token: Vec<SigningKey>,
    /// Document and receipt keys; the first signs, all are published.
    pub document: Vec<SigningKey>,
    pub hmac: ring::hmac::Key,
    jwks: Value,
    /// Access tokens already verified against `token`.
    pub verified: crate::tokens::VerifiedTokens,
}

impl KeySet {
    pub async fn load(config: &Config, store: &Store, now_ms: i64) -> Result<KeySet, KeyError> {
        let (token, document, hmac) = match config.mode {
            Mode::Dev => (
                vec![dev_signing_key(store, "token-es256", now_ms).await?],
                vec![dev_signing_key(store, "document-es256", now_ms).await?],
                dev_hmac_key(store, now_ms).await?,
            ),
            Mode::Prod => {
                if config.token_key_files.is_empty() {
                    return Err(KeyError::Missing("EGOV_TOKEN_KEY_FILES"));
                }
                if config.document_key_files.is_empty() {
                    return Err(KeyError::Missing("EGOV_DOCUMENT_KEY_FILES"));
                }
                let path = config.hmac_key_file.as_deref().ok_or(KeyError::Missing("EGOV_HMAC_KEY_FILE"))?;
                (
                    config.token_key_files.iter().map(|p| file_signing_key(p)).collect::<Result<_, _>>()?,
                    config.document_key_files.iter().map(|p| file_signing_key(p)).collect::<Result<_, _>>()?,
                    file_hmac_key(path)?,
                )
            }
        };
        let jwks = json!({"keys": token.iter().chain(document.iter()).map(|k| k.jwk.clone()).collect::<Vec<_>>()});
        Ok(KeySet {
            token,
            document,
            hmac: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &hmac),
            jwks,
            verified: Default::default(),
        })
    }

    /// The JSON Web Key Set of every public key (token and document keys).
    pub fn jwks(&self) -> &Value {
        &self.jwks
    }

    /// HMAC-SHA256 of `parts` joined by `|`: the at-rest form of a secret.
    pub fn hash_secret(&self, parts: &[&str]) -> Vec<u8> {
        ring::hmac::sign(&self.hmac, parts.join("|").as_bytes()).as_ref().to_vec()
    }

    /// Constant-time check of a secret against its stored HMAC.
    pub fn verify_secret(&self, parts: &[&str], stored: &[u8]) -> bool {
        ring::hmac::verify(&self.hmac, parts.join("|").as_bytes(), stored).is_ok()
    }
}

async fn dev_signing_key(store: &Store, name: &str, now_ms: i64) -> Result<SigningKey, KeyError> {
    let fresh = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .map_err(|_| KeyError::Generate)?;
    let row = store.key_get_or_insert(name, fresh.as_ref(), now_ms).await?;
    SigningKey::from_pkcs8(&row.material).ok_or_else(|| KeyError::Stored(row.name))
}

async fn dev_hmac_key(store: &Store, now_ms: i64) -> Result<Vec<u8>, KeyError> {
    let mut fresh = [0u8; HMAC_KEY_MIN_BYTES];
    ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut fresh).map_err(|_| KeyError::Generate)?;
    Ok(store.key_get_or_insert("hmac", &fresh, now_ms).await?.material)
}

fn read(path: &Path) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|e| KeyError::File { path: path.display().to_string(), reason: e.to_string() })
}

/// A PKCS#8 key, PEM (`-----BEGIN PRIVATE KEY-----`, as `openssl genpkey -algorithm EC -pkeyopt
/// ec_paramgen_curve:P-256` writes) or DER.
fn file_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    let bytes = read(path)?;
    let bad = |reason: &str| KeyError::File { path: path.display().to_string(), reason: reason.to_string() };
    let der = match std::str::from_utf8(&bytes) {
        Ok(text) if text.contains("-----BEGIN PRIVATE KEY-----") => {
            let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
            STANDARD.decode(body.trim()).map_err(|_| bad("PEM body is not base64"))?
        }
        Ok(text) if text.contains("-----BEGIN") => return Err(bad("expected a PKCS#8 'PRIVATE KEY' PEM")),
        _ => bytes,
    };
    SigningKey::from_pkcs8(&der).ok_or_else(|| bad("not an ECDSA P-256 PKCS#8 key"))
}

fn file_hmac_key(path: &Path) -> Result<Vec<u8>, KeyError> {
    let bytes = read(path)?;
    let trimmed = String::from_utf8_lossy(&bytes).trim().to_string();
    let key = STANDARD.decode(&trimmed).unwrap_or(bytes);
    if key.len() < HMAC_KEY_MIN_BYTES {
        return Err(KeyError::File {
            path: path.display().to_string(),
            reason: format!("an HMAC key needs at least {HMAC_KEY_MIN_BYTES} bytes"),
        });
    }
    Ok(key)
}
