//! Services: one module per capability. Each takes the request's inputs (already parsed into core types),
//! applies the rules from `egov-core`, and reads and writes through `store` and the adapters. They answer
//! with their own error type (see `error`), which `http::wording` turns into problem documents.

pub mod documents;
pub mod eds;
pub mod enums;
pub mod error;
pub mod fines;
pub mod housekeeping;
pub mod notify;
pub mod org;
pub mod otp;
pub mod phone;
pub mod registration;
pub mod session;
pub mod sharing;
pub mod sms;
pub mod web_login;
