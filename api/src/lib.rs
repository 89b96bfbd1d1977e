//! The wire contract of the eGov Mobile API, shared by the server that speaks it and every client that
//! reads it: the problem kinds (stable `type`, HTTP status, title in three languages) and the languages an
//! answer can be in. Plain data and serde only: no HTTP stack, no I/O, no server or database types.

mod lang;
mod problem;

pub use lang::Lang;
pub use problem::ProblemKind;
