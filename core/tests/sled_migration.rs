//! Stores written by earlier Koko (on-disk layout 1, `tests/fixtures/sled-v1`; layout 4, `tests/fixtures/sled-v4`;
//! see their README) open with today's code: each is migrated to the current layout, every record reads back as
//! written, and the new indexes (available copies, open rentals with their records, the entries by rental) agree
//! with the records.
#![cfg(feature = "sled")]

use std::path::Path;

use chrono::{Duration, TimeZone, Utc};
use koko_core::{
    BookId, BookStore, CopyId, CopyStatus, CustomerId, Decimal, Error, PricePlan, RentalId,
    SledStorage, Storage,
};

fn copy_fixture(to: &Path) {
    copy_named_fixture("sled-v1", to);
}

fn copy_named_fixture(name: &str, to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::create_dir_all(to.join("blobs")).unwrap();
    for file in ["conf", "db"] {
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
}

#[test]
fn a_layout_1_store_is_migrated_and_reads_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let t0 = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();

    let store = BookStore::open(SledStorage::open(dir.path()).unwrap()).unwrap();
    assert_eq!(store.plan_versions().len(), 1);
    assert_eq!(store.plan_versions()[0].plan, PricePlan::story3());

    let titles: Vec<String> = store.books().unwrap().map(|b| b.unwrap().title).collect();
    assert_eq!(titles, ["The Hobbit", "Dune", "A Brief History of Time"]);
    // Layout 4 indexed the books stored before it.
    let found = store
        .search_books(
            &koko_core::BookQuery {
                text: Some("brief hist".into()),
                ..Default::default()
            },
            None,
            10,
        )
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, BookId::new(3));
    assert_eq!(
        store.book(BookId::new(1)).unwrap().isbn.as_deref(),
        Some("9780261103344")
    );
    let statuses: Vec<CopyStatus> = (1..=6)
        .map(|id| store.storage().copy(CopyId::new(id)).unwrap().status)
        .collect::<Vec<_>>();
    assert_eq!(
        statuses,
        [
            CopyStatus::Rented(RentalId::new(3)),
            CopyStatus::Rented(RentalId::new(4)),
            CopyStatus::Available,
            CopyStatus::Available,
            CopyStatus::Rented(RentalId::new(5)),
            CopyStatus::Withdrawn,
        ]
    );
    let customers: Vec<(String, bool)> = store
        .customers()
        .unwrap()
        .map(|c| c.unwrap())
        .map(|c| (c.first_name, c.active))
        .collect();
    assert_eq!(
        customers,
        [
            ("Ada".to_string(), true),
            ("Alan".to_string(), true),
            ("Grace".to_string(), false)
        ]
    );

    // The open rentals come from the migrated index, with their records.
    let open: Vec<(u64, u64, u64)> = store
        .active_rentals()
        .unwrap()
        .map(|r| r.unwrap())
        .map(|r| (r.id.get(), r.copy.get(), r.customer.get()))
        .collect();
    assert_eq!(open, [(3, 1, 1), (4, 2, 3), (5, 5, 2)]);
    let closed: Vec<String> = [1, 2]
        .iter()
        .map(|id| {
            let rental = store.rental(RentalId::new(*id)).unwrap();
            rental.charge.unwrap().total.to_string()
        })
        .collect();
    assert_eq!(closed, ["4.50", "3.00"]); // 72 h of a novel; 47 h (1 day) of fiction
    let ada: Vec<u64> = store
        .customer_rentals(CustomerId::new(1))
        .unwrap()
        .map(|r| r.unwrap().id.get())
        .collect();
    assert_eq!(ada, [1, 3]);

    // The availability index: renting the Hobbit by book takes its only free copy, 3; then none is left.
    // History's copies are rented (5) and withdrawn (6).
    let at = t0 + Duration::days(10);
    let rental = store
        .rent_book_at(CustomerId::new(2), BookId::new(1), at)
        .unwrap();
    assert_eq!(rental.copy, CopyId::new(3));
    assert!(matches!(
        store.rent_book_at(CustomerId::new(2), BookId::new(1), at),
        Err(Error::Unavailable { .. })
    ));
    assert!(matches!(
        store.rent_book_at(CustomerId::new(1), BookId::new(3), at),
        Err(Error::Unavailable { .. })
    ));
    // New ids continue the old counters.
    assert_eq!(rental.id, RentalId::new(6));
    let receipt = store.return_rental_at(RentalId::new(5), at).unwrap();
    assert_eq!(receipt.charge.total.to_string(), "9.50"); // 7 days of regular: 2 × 1.00 + 5 × 1.50
                                                          // Layout 3 posted the charges of the rentals closed before accounts existed, one entry each in rental order:
                                                          // Alan owed 3.00 for rental 2, so after 9.50 more he owes 12.50.
    assert_eq!(receipt.balance.to_string(), "12.50");
    let ada = store.account(CustomerId::new(1)).unwrap();
    let ada_entries: Vec<(u64, &str, String, Option<u64>)> = ada
        .entries
        .iter()
        .map(|e| {
            (
                e.id.get(),
                e.kind.name(),
                e.amount.to_string(),
                e.rental.map(|r| r.get()),
            )
        })
        .collect();
    assert_eq!(ada_entries, [(1, "charge", "4.50".to_string(), Some(1))]);
    assert_eq!(ada.balance.to_string(), "4.50");
    let alan = store.account(CustomerId::new(2)).unwrap();
    let alan_entries: Vec<(u64, String)> = alan
        .entries
        .iter()
        .map(|e| (e.id.get(), e.balance_after.to_string()))
        .collect();
    assert_eq!(
        alan_entries,
        [(2, "3.00".to_string()), (3, "12.50".to_string())]
    );
    let grace = store.storage().account(CustomerId::new(3)).unwrap();
    assert_eq!(grace.balance, koko_core::Decimal::ZERO);
    assert_eq!(grace.open_rentals, 1); // rental 4
                                       // Alan: rental 5 returned and rental 6 rented above.
    let alan_state = store.storage().account(CustomerId::new(2)).unwrap();
    assert_eq!(alan_state.open_rentals, 1);
    drop(store);

    // Reopening finds the migrated layout and the new writes.
    let store = BookStore::open(SledStorage::open(dir.path()).unwrap()).unwrap();
    let open: Vec<u64> = store
        .active_rentals()
        .unwrap()
        .map(|r| r.unwrap().id.get())
        .collect();
    assert_eq!(open, [3, 4, 6]);
    let rental = store
        .rent_book_at(CustomerId::new(1), BookId::new(3), at)
        .unwrap();
    assert_eq!(rental.copy, CopyId::new(5));
}

#[test]
fn a_layout_4_store_gets_its_ledger_indexed_by_rental() {
    let dir = tempfile::tempdir().unwrap();
    copy_named_fixture("sled-v4", dir.path());
    let storage = SledStorage::open(dir.path()).unwrap();
    let snapshot = koko_core::check::Snapshot::read(&storage).unwrap();
    koko_core::check::check(&snapshot).expect("the migrated store holds every invariant");
    // (kind, amount) of the entries naming each rental, read through the new index.
    let entries = |id: u64| -> Vec<(&'static str, String)> {
        storage
            .rental_entries(RentalId::new(id))
            .unwrap()
            .iter()
            .map(|e| (e.kind.name(), e.amount.to_string()))
            .collect()
    };
    let charge = |id: u64| {
        storage
            .rental(RentalId::new(id))
            .unwrap()
            .charge
            .unwrap()
            .total
            .to_string()
    };
    // Rental 1 came back damaged (a 2.50 fee), rental 2 was lost (replacement 10.00, processing 2.00), rental 4
    // came back late; rentals 3 and 5 are open.
    assert_eq!(entries(1), [("charge", charge(1)), ("fee", "2.50".into())]);
    assert_eq!(
        entries(2),
        [
            ("charge", charge(2)),
            ("fee", "10.00".into()),
            ("fee", "2.00".into())
        ]
    );
    assert_eq!(entries(4), [("charge", charge(4))]);
    assert!(entries(3).is_empty() && entries(5).is_empty());
    // The receipt of the lost rental is the balance after its last fee.
    let store = BookStore::open(&storage).unwrap();
    let lost = store.rental(RentalId::new(2)).unwrap();
    let receipt = store.closing_receipt(lost).unwrap();
    let alan = store.account(CustomerId::new(2)).unwrap();
    let last_fee = alan
        .entries
        .iter()
        .rev()
        .find(|e| e.rental == Some(RentalId::new(2)))
        .unwrap();
    assert_eq!(receipt.balance, last_fee.balance_after);
    // The holds' new indexes: the Hobbit's queue is Grace's ready hold 3 (set aside until t0+15d); an expiry at
    // t0+16d finds it by the end of its pickup; Grace's active holds are 1 (waiting for Dune) and 3.
    let t0 = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();
    let queue: Vec<u64> = store
        .book_holds(BookId::new(1))
        .unwrap()
        .iter()
        .map(|h| h.id.get())
        .collect();
    assert_eq!(queue, [3]);
    let expired: Vec<u64> = store
        .expire_holds_at(t0 + Duration::days(16))
        .unwrap()
        .iter()
        .map(|h| h.id.get())
        .collect();
    assert_eq!(expired, [3]);
    // Grace may not hold Dune twice (her waiting hold 1 is found among her active holds).
    assert!(matches!(
        store.place_hold_at(CustomerId::new(3), BookId::new(2), t0 + Duration::days(16)),
        Err(Error::Duplicate { .. })
    ));
    // Each customer's open rentals: Ada's Dune (3), Alan's History (5), none of Grace's.
    let open_of = |id: u64| -> Vec<u64> {
        storage
            .customer_open_rentals(CustomerId::new(id), None)
            .unwrap()
            .map(|r| r.unwrap().id.get())
            .collect()
    };
    assert_eq!(
        (open_of(1), open_of(2), open_of(3)),
        (vec![3], vec![5], vec![])
    );
    assert_eq!(storage.account(CustomerId::new(2)).unwrap().open_rentals, 1);
    // The open rentals by due date: Ada's Dune (rented t0+2d, fiction: no due date) is never overdue; Alan's
    // History (rented t0+12d, due 7 days later) is overdue a day after that.
    let overdue: Vec<u64> = store
        .overdue_rentals(t0 + Duration::days(20))
        .unwrap()
        .map(|r| r.unwrap().id.get())
        .collect();
    assert_eq!(overdue, [5]);
    // Layout 6's indexes of the returned rentals: by status (1 and 4 closed, 2 lost) and by return time (1 at
    // t0+3d, 2 at t0+6d, 4 at t0+11d).
    let with_status = |status| -> Vec<u64> {
        storage
            .rentals_with_status_after(status, None)
            .unwrap()
            .map(|r| r.unwrap().id.get())
            .collect()
    };
    assert_eq!(with_status(koko_core::RentalStatus::Closed), [1, 4]);
    assert_eq!(with_status(koko_core::RentalStatus::Lost), [2]);
    let returned: Vec<u64> = storage
        .rentals_returned_between(t0 + Duration::days(3), t0 + Duration::days(11))
        .unwrap()
        .map(|r| r.unwrap().id.get())
        .collect();
    assert_eq!(returned, [1, 2]);
    // And of the ledger by date: Ada's statement of t0+3d..t0+5d holds her damage fee's rental's charge and fee
    // (t0+3d) and her payment (t0+4d), opening at nothing; the customers who owe are those the ledgers say.
    let ada = store
        .statement(
            CustomerId::new(1),
            t0 + Duration::days(3),
            t0 + Duration::days(5),
        )
        .unwrap();
    assert_eq!((ada.opening_balance, ada.entries.len()), (Decimal::ZERO, 3));
    let owing: Vec<u64> = store
        .aged_balances(t0 + Duration::days(20))
        .unwrap()
        .map(|row| row.unwrap().customer.get())
        .collect();
    let by_ledger: Vec<u64> = (1..=3)
        .filter(|id| store.account(CustomerId::new(*id)).unwrap().balance > Decimal::ZERO)
        .collect();
    assert_eq!(owing, by_ledger);
    // And each queue's length: Grace's hold on Dune waits first in its queue.
    assert_eq!(
        store.hold(koko_core::HoldId::new(1)).unwrap().position,
        Some(1)
    );
    // New entries keep the index: a payment names no rental, a return's charge does.
    let at = Utc.with_ymd_and_hms(2024, 7, 1, 10, 0, 0).unwrap();
    let receipt = store.return_rental_at(RentalId::new(5), at).unwrap();
    assert_eq!(entries(5), [("charge", receipt.charge.total.to_string())]);
}
