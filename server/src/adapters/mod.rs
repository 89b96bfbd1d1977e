//! Adapters: where an outside system plugs in, each a trait with the embedded default beside it.
//! - [`sms`][]: `SmsGateway` (log, dev outbox, HTTP provider)
//! - [`identity`][]: `IdentityVerifier` (biometric identification at registration; the demo one accepts)
//! - [`registry`][]: `Registry` per source agency (demo fixture, government service bus over HTTP)
//! - [`payments`][]: `PaymentGateway` (the simulated acquirer with test cards)
//! - [`pki`][]: `EdsVerifier` (device-key signatures; the national PKI plugs in here)

pub mod identity;
pub mod payments;
pub mod pki;
pub mod registry;
pub mod sms;
