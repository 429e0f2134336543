//! Stores written by earlier Koko (on-disk layout 1, `tests/fixtures/sled-v1`; layout 4, `tests/fixtures/sled-v4`;
//! layout 5, `tests/fixtures/sled-v5`; layout 7, `tests/fixtures/sled-v7`; see their README) open with today's
//! code: each is migrated to the current layout, every record reads back as written, and the new indexes
//! (available copies, open rentals with their records, the entries by rental; from layout 5, the returned rentals,
//! the ledger by date, the customers who owe, each customer's open rentals tagged with their count and due dates,
//! each book's queue length; from layout 7, the feed by type) agree with the records.
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
    // Layout 6 keyed the customers by e-mail address: Ada's (ada@example.org) is hers alone.
    let err = store
        .register_customer(
            &koko_core::NewCustomer::new("Augusta", "King").with_email("ADA@example.org"),
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Duplicate { field: "email", .. }),
        "{err:?}"
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

#[test]
fn a_layout_5_store_gets_layout_6_indexes() {
    let dir = tempfile::tempdir().unwrap();
    copy_named_fixture("sled-v5", dir.path());
    let storage = SledStorage::open(dir.path()).unwrap();
    let snapshot = koko_core::check::Snapshot::read(&storage).unwrap();
    koko_core::check::check(&snapshot).expect("the migrated store holds every invariant");
    let t0 = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();
    let day = |days: i64| t0 + Duration::days(days);
    let (ada, alan, grace, edsger) = (
        CustomerId::new(1),
        CustomerId::new(2),
        CustomerId::new(3),
        CustomerId::new(4),
    );
    let store = BookStore::open(&storage).unwrap();
    let ids = |rentals: koko_core::Records<'_, koko_core::Rental>| -> Vec<u64> {
        rentals.map(|r| r.unwrap().id.get()).collect()
    };

    // Layout 5 kept each customer's open rentals untagged; the rebuilt index counts them and lists them: Ada's
    // History (5), Selfish Gene (6), History (10) and Hobbit (11); Alan's History (8) and Selfish Gene (12); none
    // of Grace's (her Hobbit was lost, her Selfish Gene returned); Edsger's Dune (4).
    let open_count = |c| storage.account(c).unwrap().open_rentals;
    assert_eq!([ada, alan, grace, edsger].map(open_count), [4, 2, 0, 1]);
    let open_of = |c| ids(storage.customer_open_rentals(c, None).unwrap());
    assert_eq!(open_of(ada), [5, 6, 10, 11]);
    assert_eq!(open_of(alan), [8, 12]);
    assert!(open_of(grace).is_empty());
    assert_eq!(open_of(edsger), [4]);
    // Due 7 days after renting (regular books only): 5 at t0+10d, 6 at t0+11d, 8 at t0+13d are overdue at t0+20d;
    // 10 (due t0+21d) and 12 (due t0+25d) are not; the Hobbit (novel) and Dune (fiction) have no due date.
    assert_eq!(ids(store.overdue_rentals(day(20)).unwrap()), [5, 6, 8]);

    // The returned rentals by status: 1, 2, 7 and 9 came back, 3 was declared lost; by return time: 2 at t0+2d,
    // 1 at t0+3d, 3 at t0+4d, 7 at t0+9d, 9 at t0+17d, so [t0+3d, t0+9d) holds 1 and 3.
    let with_status = |status| ids(storage.rentals_with_status_after(status, None).unwrap());
    assert_eq!(with_status(koko_core::RentalStatus::Closed), [1, 2, 7, 9]);
    assert_eq!(with_status(koko_core::RentalStatus::Lost), [3]);
    assert_eq!(
        ids(storage.rentals_returned_between(day(3), day(9)).unwrap()),
        [1, 3]
    );

    // The ledger by date. Grace: the lost Hobbit's 4.50 charge and 10.00 + 2.00 fees at t0+4d, a 6.50 payment at
    // t0+10d, the Selfish Gene's 13.00 (9 days: 2 × 1.00 + 7 × 1.50, 2 days late × 0.25) at t0+17d. Over
    // [t0+5d, t0+17d) she opens at 16.50, pays 6.50 and closes at 10.00.
    let grace_statement = store.statement(grace, day(5), day(17)).unwrap();
    assert_eq!(
        (
            grace_statement.opening_balance.to_string(),
            grace_statement.entries.len(),
            grace_statement.closing_balance.to_string()
        ),
        ("16.50".to_string(), 1, "10.00".to_string())
    );
    // Alan: 2.00 for History at t0+2d, a 2.00 payment at t0+5d, 6.00 for 4 days of the Hobbit at t0+9d; over
    // [t0+2d, t0+9d) he opens at nothing and ends at nothing.
    let alan_statement = store.statement(alan, day(2), day(9)).unwrap();
    assert_eq!(
        (
            alan_statement.opening_balance.to_string(),
            alan_statement.entries.len(),
            alan_statement.closing_balance.to_string()
        ),
        ("0.00".to_string(), 2, "0.00".to_string())
    );
    // Who owes: Alan (6.00) and Grace (23.00); Ada paid 10.00 for a 4.50 charge (a 5.50 credit), Edsger owes
    // nothing.
    // (Edsger has no account record: his balance reads as a bare zero.)
    let balances = [ada, alan, grace, edsger].map(|c| storage.account(c).unwrap().balance);
    assert_eq!(
        balances,
        [
            Decimal::new(-550, 2),
            Decimal::new(600, 2),
            Decimal::new(2300, 2),
            Decimal::ZERO
        ]
    );
    let owing = |at| -> Vec<u64> {
        store
            .aged_balances(at)
            .unwrap()
            .map(|row| row.unwrap().customer.get())
            .collect()
    };
    assert_eq!(owing(day(20)), [2, 3]);

    // Dune's queue: its one copy is Edsger's (rental 4); Ada's hold 1, Alan's 3 and Grace's 5 wait (Grace's
    // earlier hold 2 was cancelled). Edsger's hold 4 on the Hobbit expired.
    let position = |id: u64| store.hold(koko_core::HoldId::new(id)).unwrap().position;
    assert_eq!([1, 3, 5].map(position), [Some(1), Some(2), Some(3)]);
    assert_eq!([2, 4].map(position), [None, None]);
    // On the shelf: no Hobbit (copy 1 rented, copy 2 lost), no Dune, History's copy 7, no Selfish Gene.
    let available = |book: u64| store.available_copies(BookId::new(book)).unwrap();
    assert_eq!([1, 2, 3, 4].map(available), [0, 0, 1, 0]);

    // New writes keep the indexes. Ada returns History (rental 5) at t0+20d: 17 days (2 × 1.00 + 15 × 1.50) and
    // 10 days late (2.50), 27.00; she now owes 21.50.
    let receipt = store.return_rental_at(RentalId::new(5), day(20)).unwrap();
    assert_eq!(
        (
            receipt.charge.total.to_string(),
            receipt.balance.to_string()
        ),
        ("27.00".to_string(), "21.50".to_string())
    );
    assert_eq!(open_count(ada), 3);
    assert_eq!(open_of(ada), [6, 10, 11]);
    assert_eq!(ids(store.overdue_rentals(day(20)).unwrap()), [6, 8]);
    assert_eq!(
        with_status(koko_core::RentalStatus::Closed),
        [1, 2, 5, 7, 9]
    );
    let that_day = Utc.with_ymd_and_hms(2024, 6, 23, 0, 0, 0).unwrap();
    let revenue = store
        .revenue(that_day, that_day + Duration::days(1))
        .unwrap();
    assert_eq!(
        (
            revenue.rentals(),
            revenue.total("USD".parse().unwrap()).to_string()
        ),
        (1, "27.00".to_string())
    );
    assert_eq!(owing(day(20)), [1, 2, 3]);
    assert_eq!(available(3), 2);
    // A new customer's hold on Dune is fourth in its queue; once Alan's hold 3 is cancelled, Grace's is second
    // and the new one third.
    let barbara = store
        .register_customer(&koko_core::NewCustomer::new("Barbara", "Liskov"))
        .unwrap()
        .id;
    let hold = store
        .place_hold_at(barbara, BookId::new(2), day(20))
        .unwrap();
    assert_eq!((hold.id.get(), hold.position), (6, Some(4)));
    store
        .cancel_hold_at(koko_core::HoldId::new(3), day(21))
        .unwrap();
    assert_eq!([1, 5, 6].map(position), [Some(1), Some(2), Some(3)]);
}

/// A store from before the event feed (layout 5 here, migrated through layout 6) opens with an empty feed that
/// starts at position 1 with its next change; the feed then survives a reopen.
#[test]
fn an_older_store_starts_its_event_feed_empty() {
    let dir = tempfile::tempdir().unwrap();
    copy_named_fixture("sled-v5", dir.path());
    {
        let storage = SledStorage::open(dir.path()).unwrap();
        assert!(storage.events_after(None, 10).unwrap().is_empty());
        assert_eq!(storage.last_event_position().unwrap(), 0);
        let store = BookStore::open(&storage).unwrap();
        let ada = store
            .register_customer(&koko_core::NewCustomer::new("Ada", "Byron"))
            .unwrap();
        let events = store.events(None, 10, None).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].position, events[0].kind.as_str()),
            (1, "customer.registered")
        );
        assert_eq!(events[0].subjects.customer, Some(ada.id.get()));
    }
    let storage = SledStorage::open(dir.path()).unwrap();
    assert_eq!(storage.last_event_position().unwrap(), 1);
    assert_eq!(storage.events_after(None, 10).unwrap().len(), 1);
}

/// A store of layout 7 (the feed, pruned before position 3, without its index by type) is migrated to layout 8:
/// each event kept is indexed under its type, a page of some types reads them, and new events join the index.
#[test]
fn a_layout_7_store_gets_its_feed_indexed_by_type() {
    use koko_core::EventKind;
    let dir = tempfile::tempdir().unwrap();
    copy_named_fixture("sled-v7", dir.path());
    let storage = SledStorage::open(dir.path()).unwrap();
    let store = BookStore::open(&storage).unwrap();
    let positions = |types: &[EventKind]| -> Vec<u64> {
        store
            .events(None, 100, Some(types))
            .unwrap()
            .iter()
            .map(|e| e.position)
            .collect()
    };
    let all: Vec<u64> = store
        .events(None, 100, None)
        .unwrap()
        .iter()
        .map(|e| e.position)
        .collect();
    assert_eq!(all, (3..=12).collect::<Vec<_>>());
    assert_eq!(storage.last_event_position().unwrap(), 12);
    assert_eq!(store.checkpoint("mailer").unwrap(), Some(2));
    assert_eq!(positions(&[EventKind::BookAdded]), [3]);
    assert_eq!(positions(&[EventKind::CustomerRegistered]), [4, 5]);
    assert_eq!(
        positions(&[EventKind::LedgerPosted, EventKind::RentalOpened]),
        [6, 7, 10, 12]
    );
    assert_eq!(
        positions(&[EventKind::HoldPlaced, EventKind::HoldReady]),
        [8, 11]
    );
    assert_eq!(positions(&[EventKind::PlanPublished]), Vec::<u64>::new());
    assert_eq!(
        koko_core::check::check_storage(&storage, &mut |_| {})
            .unwrap()
            .problems,
        []
    );
    store
        .register_customer(&koko_core::NewCustomer::new("Cy", "Reader"))
        .unwrap();
    assert_eq!(positions(&[EventKind::CustomerRegistered]), [4, 5, 13]);
    drop(store);
    drop(storage);
    // Reopened, the store is at layout 8 and migrates nothing again.
    let storage = SledStorage::open(dir.path()).unwrap();
    let store = BookStore::open(&storage).unwrap();
    assert_eq!(
        store
            .events(Some(5), 10, Some(&[EventKind::CustomerRegistered]))
            .unwrap()
            .len(),
        1
    );
}
