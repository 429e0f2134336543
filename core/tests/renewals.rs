//! Renewals on every backend, worked out by hand from the rules (issue 14): a renewal moves an open rental's due
//! date forward by its category's loan period, from the due date or from the renewal as the tariff says, at most
//! `renewals.max` times; the daily charge is unchanged and late days count from the new due date. A manual block or
//! a balance above `limits.max_balance` refuses it; a rental without a due date cannot be renewed.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use koko_core::{
    BookStore, CustomerId, Decimal, Error, NewBook, NewCustomer, Operation, PricePlan, RentalId,
    Storage,
};

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Persistent, Sled};

/// Regular: 1.00 a day, due after 7 days, 0.50 a late day, renewed up to twice from the due date. Novel: 1.50 a
/// day, due after 14 days, renewed once from the renewal. Fiction: 3.00 a day, no loan period.
const PLAN: &str = r#"{"currency": "USD",
    "categories": {
        "regular": {"tiers": [{"from_day": 1, "rate": "1.00"}],
                    "late_fee": {"loan_days": 7, "per_day": "0.50"},
                    "renewals": {"max": 2, "from": "due_date"}},
        "novel": {"tiers": [{"from_day": 1, "rate": "1.50"}],
                  "late_fee": {"loan_days": 14, "per_day": "0.25"},
                  "renewals": {"max": 1, "from": "renewal"}},
        "fiction": {"tiers": [{"from_day": 1, "rate": "3.00"}]}},
    "limits": {"max_balance": "10.00"}}"#;

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, hour, 0, 0).unwrap()
}

fn renew<S: Storage>(
    store: &BookStore<S>,
    rental: RentalId,
    at: DateTime<Utc>,
) -> Result<koko_core::Rental, Error> {
    store.apply(Operation::Renew { rental, at })?.into_rental()
}

fn rule(result: Result<koko_core::Rental, Error>) -> String {
    match result {
        Err(Error::Blocked { rule, .. }) => rule,
        other => panic!("expected Blocked, got {other:?}"),
    }
}

fn renewals<B: Persistent>() {
    let b = B::fresh();
    let (ada, bob, carol, r1, r4) = {
        let store =
            BookStore::with_default_plan(b.storage(), PricePlan::from_json(PLAN).unwrap()).unwrap();
        let add = |title: &str, category: &str| {
            store
                .add_book(&NewBook::new(title, "A", category), 1)
                .unwrap()
                .id
        };
        let (regular, regular2, regular3, novel, fiction) = (
            add("Ulysses", "regular"),
            add("Dubliners", "regular"),
            add("Finnegans Wake", "regular"),
            add("Emma", "novel"),
            add("Dune", "fiction"),
        );
        let customer = |name: &str| {
            store
                .register_customer(&NewCustomer::new(name, "Reader"))
                .unwrap()
                .id
        };
        let (ada, bob, carol) = (customer("Ada"), customer("Bob"), customer("Carol"));

        let r1 = store.rent_book_at(ada, regular, t(1, 10)).unwrap();
        let r2 = store.rent_book_at(ada, novel, t(1, 10)).unwrap();
        assert_eq!((r1.due_at, r2.due_at), (Some(t(8, 10)), Some(t(15, 10))));
        // Regular, from the due date: 8 June 10:00 + 7 days, though renewed on 5 June.
        let renewed = renew(&store, r1.id, t(5, 9)).unwrap();
        assert_eq!(
            (renewed.due_at, renewed.renewals.clone()),
            (Some(t(15, 10)), vec![t(5, 9)])
        );
        // Novel, from the renewal: 10 June 10:00 + 14 days; the one renewal it allows is used.
        assert_eq!(
            renew(&store, r2.id, t(10, 10)).unwrap().due_at,
            Some(t(24, 10))
        );
        assert_eq!(rule(renew(&store, r2.id, t(11, 10))), "renewals.max");
        // The second renewal of the regular: 15 June + 7 days; a third is refused and changes nothing.
        assert_eq!(
            renew(&store, r1.id, t(14, 12)).unwrap().due_at,
            Some(t(22, 10))
        );
        assert_eq!(rule(renew(&store, r1.id, t(20, 0))), "renewals.max");
        assert_eq!(store.rental(r1.id).unwrap().due_at, Some(t(22, 10)));
        // Back on 24 June 10:00: 23 days at 1.00 = 23.00, and 2 days late counted from the new due date at 0.50
        // = 1.00; 24.00 in all (with the first due date it would have been 16 late days, 31.00).
        let receipt = store.return_rental_at(r1.id, t(24, 10)).unwrap();
        assert_eq!(receipt.charge.total.to_string(), "24.00");
        assert_eq!(receipt.rental.renewals, vec![t(5, 9), t(14, 12)]);
        // Back exactly at its new due date: 23 days at 1.50 = 34.50, nothing late.
        let receipt = store.return_rental_at(r2.id, t(24, 10)).unwrap();
        assert_eq!(receipt.charge.total.to_string(), "34.50");

        // No loan period, no renewal.
        let r3 = store.rent_book_at(bob, fiction, t(1, 10)).unwrap();
        assert!(
            matches!(renew(&store, r3.id, t(2, 10)), Err(Error::InvalidInput { ref field, .. }) if field == "rental")
        );
        // A manual block refuses a renewal; lifted, the renewal goes through (9 June + 7 days).
        let r4 = store.rent_book_at(bob, regular2, t(2, 10)).unwrap();
        store
            .apply(Operation::BlockCustomer {
                customer: bob,
                reason: "lost card".into(),
                at: t(3, 0),
                until: None,
            })
            .unwrap();
        assert_eq!(rule(renew(&store, r4.id, t(4, 10))), "manual");
        store.unblock_customer(bob).unwrap();
        assert_eq!(
            renew(&store, r4.id, t(4, 10)).unwrap().due_at,
            Some(t(16, 10))
        );
        // A balance above the plan's 10.00 limit refuses it: Carol owes a 12.00 fee.
        let r5 = store.rent_book_at(carol, regular3, t(1, 10)).unwrap();
        store
            .apply(Operation::PostFee {
                customer: carol,
                amount: Decimal::new(1200, 2),
                at: t(2, 10),
                rental: None,
                reason: "lost card".into(),
            })
            .unwrap();
        assert_eq!(rule(renew(&store, r5.id, t(3, 10))), "limits.max_balance");
        // Closed, unknown, or before the rental.
        assert!(matches!(
            renew(&store, r1.id, t(25, 10)),
            Err(Error::AlreadyReturned { .. })
        ));
        assert!(matches!(
            renew(&store, RentalId::new(999), t(25, 10)),
            Err(Error::NotFound { .. })
        ));
        assert!(
            matches!(renew(&store, r4.id, t(1, 0)), Err(Error::InvalidInput { ref field, .. }) if field == "at")
        );
        (ada, bob, carol, r1.id, r4.id)
    };
    // Renewals and due dates are stored: after reopening, in the record and in the open-rental listing.
    let b = b.reopen();
    let store = BookStore::open(b.storage()).unwrap();
    assert_eq!(store.rental(r1).unwrap().renewals, vec![t(5, 9), t(14, 12)]);
    let open = store
        .active_rentals()
        .unwrap()
        .map(|r| r.unwrap())
        .find(|r| r.id == r4)
        .unwrap();
    assert_eq!(
        (open.due_at, open.renewals),
        (Some(t(16, 10)), vec![t(4, 10)])
    );
    // The refusals posted nothing: Ada owes her two charges, Bob nothing, Carol the fee.
    let balances: Vec<String> = [ada, bob, carol]
        .iter()
        .map(|c: &CustomerId| store.account(*c).unwrap().balance.to_string())
        .collect();
    assert_eq!(balances, ["58.50", "0.00", "12.00"]);
}

#[test]
fn memory() {
    // Memory keeps nothing across a reopen; run the same rules on a store that is never reopened.
    let b = Memory::fresh();
    let store =
        BookStore::with_default_plan(b.storage(), PricePlan::from_json(PLAN).unwrap()).unwrap();
    let book = store
        .add_book(&NewBook::new("Ulysses", "A", "regular"), 1)
        .unwrap()
        .id;
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Reader"))
        .unwrap()
        .id;
    let r1 = store.rent_book_at(ada, book, t(1, 10)).unwrap();
    assert_eq!(
        renew(&store, r1.id, t(5, 9)).unwrap().due_at,
        Some(t(15, 10))
    );
    assert_eq!(
        renew(&store, r1.id, t(14, 12)).unwrap().due_at,
        Some(t(22, 10))
    );
    assert_eq!(rule(renew(&store, r1.id, t(20, 0))), "renewals.max");
    assert_eq!(
        store
            .return_rental_at(r1.id, t(24, 10))
            .unwrap()
            .charge
            .total
            .to_string(),
        "24.00"
    );
}

#[test]
fn sled() {
    renewals::<Sled>();
}

#[cfg(feature = "postgres")]
#[test]
fn postgres() {
    renewals::<Postgres>();
}

/// Regular and novel as in `PLAN`, with the store closed on Sundays and on Monday 2024-06-24 (Berlin).
const CALENDAR_PLAN: &str = r#"{"currency": "USD",
    "calendar": {"time_zone": "Europe/Berlin", "closed_weekdays": ["sunday"], "closed_dates": ["2024-06-24"]},
    "categories": {
        "regular": {"tiers": [{"from_day": 1, "rate": "1.00"}],
                    "late_fee": {"loan_days": 7, "per_day": "0.50"},
                    "renewals": {"max": 2, "from": "due_date"}},
        "novel": {"tiers": [{"from_day": 1, "rate": "1.50"}],
                  "late_fee": {"loan_days": 14, "per_day": "0.25"},
                  "renewals": {"max": 1, "from": "renewal"}}}}"#;

#[test]
fn rents_and_renewals_skip_the_calendars_closed_days() {
    let plan = PricePlan::from_json(CALENDAR_PLAN).unwrap();
    // The plan alone: from the due date, Mon 06-17 10:00Z + 7 days is Mon 06-24, closed: Tue 06-25 10:00Z.
    assert_eq!(
        plan.renewed_due("regular", t(17, 10), t(16, 8), 1).unwrap(),
        t(25, 10)
    );
    // From the renewal, Sun 06-02 10:00Z + 14 days is Sun 06-16, closed: Mon 06-17 10:00Z.
    assert_eq!(
        plan.renewed_due("novel", t(15, 10), t(2, 10), 0).unwrap(),
        t(17, 10)
    );
    let backend = Memory::fresh();
    let store = BookStore::with_default_plan(backend.storage(), plan).unwrap();
    let book = store
        .add_book(&NewBook::new("Ulysses", "A", "regular"), 1)
        .unwrap()
        .id;
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Reader"))
        .unwrap()
        .id;
    // Rented Sun 06-02 10:00Z: 7 days later is Sunday 06-09, closed, so due Mon 06-10 at the same time.
    let rental = store.rent_book_at(ada, book, t(2, 10)).unwrap();
    assert_eq!(rental.due_at, Some(t(10, 10)));
    // Renewed from the due date: Mon 06-17 (open), then Mon 06-24 (closed) → Tue 06-25.
    assert_eq!(
        renew(&store, rental.id, t(8, 9)).unwrap().due_at,
        Some(t(17, 10))
    );
    assert_eq!(
        renew(&store, rental.id, t(16, 9)).unwrap().due_at,
        Some(t(25, 10))
    );
    // Returned Wed 06-26 11:00Z: 24 days 1 h is 24 days (24.00); 25 h after the due time is 1 late day (0.50).
    let receipt = store.return_rental_at(rental.id, t(26, 11)).unwrap();
    assert_eq!(receipt.charge.total.to_string(), "24.50");
}
