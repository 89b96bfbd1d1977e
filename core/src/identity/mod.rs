//! Who a person or an organisation is: the national identifiers and the phone numbers we accept.

mod iin;
mod phone;

pub use iin::{Bin, Iin, IinError, Sex, check_digit};
pub use phone::{Phone, PhoneError};
