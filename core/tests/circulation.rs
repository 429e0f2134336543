//! Holds inside one batch (issue 14): each operation sees the ones before it. The circulation story (holds, lost and
//! found copies, damage fees) is a rule scenario: tests/scenarios/circulation.json, run on every backend by
//! tests/scenarios.rs.

use chrono::{DateTime, TimeZone, Utc};
use koko_core::{BookStore, HoldId, NewBook, NewCustomer, Operation, PricePlan};

/// Regular: 1.00 a day, due after 7 days, 0.50 a late day, renewable twice; a lost copy costs 20.00 plus 5.00
/// processing, the 20.00 credited back when found. Novel: 1.50 a day, due after 14 days, 0.25 a late day; a lost
/// copy costs 15.00, not credited when found. A copy set aside waits 3 days; at most 2 holds per customer.
const PLAN: &str = r#"{"currency": "USD",
    "categories": {
        "regular": {"tiers": [{"from_day": 1, "rate": "1.00"}],
                    "late_fee": {"loan_days": 7, "per_day": "0.50"},
                    "renewals": {"max": 2},
                    "replacement": {"fee": "20.00", "processing_fee": "5.00", "refund_when_found": true}},
        "novel": {"tiers": [{"from_day": 1, "rate": "1.50"}],
                  "late_fee": {"loan_days": 14, "per_day": "0.25"},
                  "replacement": {"fee": "15.00"}}},
    "holds": {"pickup_days": 3},
    "limits": {"max_holds": 2}}"#;

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, hour, 0, 0).unwrap()
}

fn store_of<S: koko_core::Storage>(storage: S) -> BookStore<S> {
    BookStore::with_default_plan(storage, PricePlan::from_json(PLAN).unwrap()).unwrap()
}

/// A hold placed, cancelled and expired inside one batch: each operation sees the ones before it.
#[test]
fn holds_in_a_batch() {
    let store = store_of(koko_core::MemoryStorage::new());
    let book = store
        .add_book(&NewBook::new("Ulysses", "A", "regular"), 1)
        .unwrap()
        .id;
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Reader"))
        .unwrap()
        .id;
    let results = store
        .apply_batch(vec![
            Operation::PlaceHold {
                customer: ada,
                book,
                at: t(1, 10),
            },
            Operation::ExpireHolds { at: t(4, 11) },
            Operation::CancelHold {
                hold: HoldId::new(1),
                at: t(4, 12),
            },
        ])
        .unwrap();
    let expired = results[1].as_ref().unwrap().clone().into_holds().unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(
        results[2].as_ref().unwrap_err().field(),
        Some("hold"),
        "an expired hold cannot be cancelled"
    );
}
