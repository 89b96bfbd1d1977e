//! Working-day calendar files (an operator's input): never a panic; a file that loads answers every
//! question about its year without panicking.
#![no_main]
use egov_core::fines::Calendar;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(calendar) = Calendar::load([text]) {
        for year in 2020..2030 {
            if let Some(day) = chrono::NaiveDate::from_ymd_opt(year, 1, 1) {
                let _ = calendar.nth_working_day_after(day, 7);
            }
        }
    }
});
