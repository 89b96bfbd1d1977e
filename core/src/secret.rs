//! Secrets and randomness. Every random value comes from an injected [`SecureRandom`] (in production
//! `ring::rand::SystemRandom`); secrets print as `[redacted]` so they never reach a log.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
pub use ring::rand::SecureRandom;
use std::fmt;

/// The random generator failed (the operating system refused entropy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the random number generator failed")]
pub struct RandomError;

/// `n` random bytes.
pub fn random_bytes<const N: usize>(rng: &dyn SecureRandom) -> Result<[u8; N], RandomError> {
    let mut out = [0u8; N];
    rng.fill(&mut out).map_err(|_| RandomError)?;
    Ok(out)
}

/// A URL-safe token of `N` random bytes (base64url without padding). 16 bytes are 128 bits.
pub fn random_token<const N: usize>(rng: &dyn SecureRandom) -> Result<String, RandomError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<N>(rng)?))
}

/// A uniformly random number in `0..bound` (rejection sampling, no modulo bias).
pub fn random_below(rng: &dyn SecureRandom, bound: u32) -> Result<u32, RandomError> {
    assert!(bound > 0, "bound must be positive");
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let v = u32::from_be_bytes(random_bytes::<4>(rng)?);
        if v < zone {
            return Ok(v % bound);
        }
    }
}

/// A value that must not be printed: `Debug` and `Display` show `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Redacted<T>(pub T);

impl<T> Redacted<T> {
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    #[test]
    fn tokens_of_sixteen_bytes_carry_128_bits_in_22_url_safe_characters() {
        let t = random_token::<16>(&SystemRandom::new()).unwrap();
        assert_eq!(t.len(), 22);
        assert!(t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn random_below_stays_below_its_bound_and_reaches_both_ends() {
        let rng = SystemRandom::new();
        let draws: Vec<u32> = (0..2000).map(|_| random_below(&rng, 10).unwrap()).collect();
        assert!(draws.iter().all(|&d| d < 10));
        assert!(draws.contains(&0) && draws.contains(&9));
    }

    #[test]
    fn redacted_values_never_print() {
        let s = Redacted("123456".to_string());
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
    }
}
