//! Traffic fines (design 3.7): the working-day calendar, the 50% discount, money in tiyn, the MCI in force,
//! plates, articles, and when an unpaid fine blocks licence services.

mod calendar;
mod discount;
mod money;
mod reference;

pub use calendar::{Calendar, CalendarError};
pub use discount::*;
pub use money::Tiyn;
pub use reference::*;
