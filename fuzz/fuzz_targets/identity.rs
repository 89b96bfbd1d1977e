//! IINs, BINs and phone numbers: never a panic, and what is accepted is canonical (parsing the canonical
//! form gives the same value).
#![no_main]
use egov_core::identity::{Bin, Iin, Phone};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(iin) = Iin::parse(text) {
        let canonical = iin.as_string();
        assert_eq!(canonical.len(), 12);
        assert_eq!(Iin::parse(&canonical).unwrap().as_string(), canonical);
    }
    if let Ok(bin) = Bin::parse(text) {
        assert_eq!(Bin::parse(&bin.as_string()).unwrap().as_string(), bin.as_string());
    }
    if let Ok(phone) = Phone::parse(text) {
        assert!(phone.as_str().starts_with("+77") && phone.as_str().len() == 12, "{phone:?}");
        assert_eq!(Phone::parse(phone.as_str()).unwrap().as_str(), phone.as_str());
    }
});
