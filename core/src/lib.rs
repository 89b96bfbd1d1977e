//! # egov-core
//!
//! The domain of eGov Mobile: every rule with a number in it (check digits, lifetimes, attempt limits,
//! deadlines, rounding) lives here once and is called by the server and, through the bindings, by the app.
//!
//! What belongs here: pure, synchronous functions and types. What does not: I/O, async, databases,
//! HTTP, clock reads (time is always a parameter, `now: DateTime<Utc>`) and ambient randomness (a
//! generator is always injected). That is what lets the same rule run on a phone and on a server, and what
//! lets tests cover a rule without sleeping or racing the clock.
//!
//! Modules are named after capabilities:
//! - [`identity`]: IIN and BIN check digits, Kazakhstan mobile phone numbers.
//! - [`auth`]: SMS one-time passwords, digital-signature challenges, sessions, rate windows.
//! - [`documents`]: the fourteen document kinds, their sources, fields, labels and status.
//! - [`fines`]: the working-day calendar, the 50% discount, tiyn, MCI, plates, overdue fines.
//! - [`jws`]: offline verification of signed copies and receipts (ES256 against a JWKS).
//! - [`qr`]: what a scanned text means; QR codes as SVG or a module matrix.
//! - [`secret`]: injected randomness and redacted secrets.
//! - [`sharing`]: one-time shares, short codes, extensions, disclosure presets, signed copies.
//! - [`time`]: Asia/Almaty calendar dates.
//! - [`weblogin`]: website login and signing by QR code.

pub mod auth;
pub mod documents;
pub mod fines;
pub mod identity;
pub mod jws;
pub mod qr;
pub mod secret;
pub mod sharing;
pub mod time;
pub mod weblogin;

/// A stored value this build does not know (a status, a preset, an exclusion). It fails closed: the
/// caller refuses what it was about to do, and never reads the value as a default that could grant
/// something (the whole document, a discount, a payable fine).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown stored {what} {value:?}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

impl UnknownValue {
    pub fn new(what: &'static str, value: &str) -> UnknownValue {
        UnknownValue { what, value: value.to_string() }
    }
}
