//! Adapters: where an outside system plugs in, each a trait with the embedded default beside it.
//! - [`sms`][]: `SmsGateway` (log, dev outbox, HTTP provider)
//! - [`identity`][]: `IdentityVerifier` (biometric identification over HTTP; the demo one, dev only, accepts)
//! - [`registry`][]: `Registry` per source agency (demo fixture, government service bus over HTTP)
//! - [`payments`][]: `PaymentGateway` (the simulated acquirer with test cards, an HTTP acquirer)
//! - [`pki`][]: `EdsVerifier` (device-key signatures; the national PKI plugs in here)

pub mod identity;
pub mod payments;
pub mod pki;
pub mod registry;
pub mod sms;

/// Calls `call` at most `attempts` times, waiting `first_backoff` after the first failure and twice as
/// long after each next one, until it succeeds or fails with an error `is_final` calls final. The last
/// error when every attempt failed. Every HTTP adapter retries through this.
pub async fn with_retries<T, E, Fut>(
    attempts: u32,
    first_backoff: std::time::Duration,
    is_final: impl Fn(&E) -> bool,
    mut call: impl FnMut() -> Fut,
) -> Result<T, E>
where
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut wait = first_backoff;
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if is_final(&e) || attempt >= attempts.max(1) => return Err(e),
            Err(_) => {}
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
        attempt += 1;
    }
}
