//! Traffic fines (design 3.7): the working-day calendar, the 50% discount, money in tiyn, the MCI in force,
//! plates, articles, and when an unpaid fine blocks licence services.

mod calendar;
mod cities;
mod discount;
mod licence;
mod money;
mod notice;
mod payment;
mod reference;

pub use calendar::{Calendar, CalendarError, SHIPPED as SHIPPED_CALENDARS};
pub use cities::{CITIES, City, city_named};
pub use discount::*;
pub use licence::LicenceCategory;
pub use money::Tiyn;
pub use notice::*;
pub use payment::*;
pub use reference::*;

/// The `typ` of a signed electronic receipt.
pub const RECEIPT_TYP: &str = "egov-receipt+jws";

/// Verifies a signed receipt offline against the server's key set; its payload.
pub fn verify_receipt(token: &str, jwks: &serde_json::Value) -> Result<crate::jws::Verified, crate::jws::JwsError> {
    crate::jws::verify(token, jwks, RECEIPT_TYP)
}
