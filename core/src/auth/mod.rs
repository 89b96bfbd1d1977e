//! Sign-in: SMS one-time passwords, digital-signature (EDS) challenges, sessions and rate windows. Every
//! number of design section 3.2 is a named constant here.

pub mod clients;
pub mod eds;
pub mod otp;
pub mod rate;
pub mod registration;
pub mod session;
