//! The wire contract of the eGov Mobile API, shared by the server that speaks it and every client that
//! reads it: the request and response records and the wire enums ([`wire`]), the problem kinds (stable
//! `type`, HTTP status, title in three languages) and the languages an answer can be in. Plain data and
//! serde only: no HTTP stack, no I/O, no server or database types. With the `uniffi` feature every record
//! and enum also reaches Kotlin and Swift as it is (package `uniffi.egov_api`).

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("egov_api");

mod lang;
mod problem;
pub mod wire;

pub use lang::Lang;
pub use problem::ProblemKind;
