//! Arbitrary bytes as a TOML plan document: parsing never panics, a rejection is an `InvalidPlan` naming a
//! field, and a plan that parses writes back (to TOML and to JSON) to an equal plan and the same text, and quotes
//! exactly by the pricing rules for every category and interesting day count.
#![no_main]

use koko_core::PricePlan;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match PricePlan::from_toml(text) {
        Ok(plan) => koko_fuzz::check_plan(&plan),
        // A rejected document is always an `InvalidPlan` naming a field.
        Err(e) => {
            assert_eq!(e.kind(), "InvalidPlan", "{e}");
            assert!(e.field().is_some_and(|f| !f.is_empty()), "{e}");
        }
    }
});
