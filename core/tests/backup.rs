//! Backups, restores and migrations (issue 17) on every backend: a store with every kind of record and history is
//! dumped, restored into a fresh store of each backend, dumped again — the two dumps are the same line for line —
//! and the restored store keeps working where the original left off (ids, hold queues, balances, search). Broken
//! dumps and non-empty targets are refused, and a backup taken while another thread writes is one consistent state.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::backup::{backup, migrate, restore, DumpSummary};
use koko_core::{
    BookId, BookQuery, BookStore, CopyStatus, CustomerUpdate, Decimal, Error, FixedClock,
    HoldStatus, MemoryStorage, NewBook, NewCustomer, PricePlan, RentalStatus, Storage,
};

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Sled};

const PLAN: &str = r#"{"currency": "USD",
    "categories": {
        "regular": {"tiers": [{"from_day": 1, "rate": "1.00"}],
                    "late_fee": {"loan_days": 7, "per_day": "0.50"},
                    "replacement": {"fee": "20.00", "processing_fee": "5.00"}},
        "novel": {"tiers": [{"from_day": 1, "rate": "1.50"}],
                  "late_fee": {"loan_days": 14, "per_day": "0.25"}}},
    "holds": {"pickup_days": 3}}"#;

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, hour, 0, 0).unwrap()
}

/// Every kind of record: two plan versions, books with an ISBN and a withdrawn copy, an inactive customer,
/// closed, open and lost rentals, a payment, a block, waiting and ready holds, notices marked sent.
fn populate<S: Storage>(storage: S) -> BookStore<S> {
    let clock = Arc::new(FixedClock::new(t(1, 9)));
    let plan = PricePlan::from_json(PLAN).unwrap();
    let store = BookStore::with_default_plan(storage, plan.clone())
        .unwrap()
        .with_clock(clock.clone());
    let mut cheaper = plan;
    cheaper = PricePlan::from_json(&cheaper.to_json().replace("1.50", "1.25")).unwrap();
    store.publish_plan(cheaper, t(20, 0)).unwrap();

    let ulysses = store
        .add_book(
            &NewBook::new("Ulysses", "James Joyce", "regular").with_isbn("9780199535675"),
            2,
        )
        .unwrap();
    let emma = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 1)
        .unwrap();
    let dune = store
        .add_book(&NewBook::new("Dune", "Frank Herbert", "regular"), 3)
        .unwrap();
    let dune_copies = store.storage().copies_of(dune.id).unwrap();
    store.withdraw_copy(dune_copies[2].id).unwrap();

    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace").with_email("ada@example.org"))
        .unwrap();
    let bob = store
        .register_customer(&NewCustomer::new("Bob", "Dylan"))
        .unwrap();
    let carol = store
        .register_customer(&NewCustomer::new("Carol", "Shields"))
        .unwrap();
    let dave = store
        .register_customer(&NewCustomer::new("Dave", "Brubeck"))
        .unwrap();
    store
        .update_customer(
            dave.id,
            &CustomerUpdate {
                active: Some(false),
                ..CustomerUpdate::default()
            },
        )
        .unwrap();

    let first = store.rent_book_at(ada.id, ulysses.id, t(1, 10)).unwrap();
    store.return_rental_at(first.id, t(4, 10)).unwrap();
    store.rent_book_at(bob.id, emma.id, t(2, 10)).unwrap(); // stays out
    store.place_hold_at(carol.id, emma.id, t(3, 10)).unwrap(); // waits for Emma
    let lost = store.rent_book_at(ada.id, ulysses.id, t(5, 10)).unwrap();
    store.declare_lost_at(lost.id, t(8, 10)).unwrap();
    let dune_rental = store.rent_book_at(carol.id, dune.id, t(6, 10)).unwrap();
    store.place_hold_at(ada.id, dune.id, t(6, 11)).unwrap();
    store.return_rental_at(dune_rental.id, t(9, 10)).unwrap(); // Dune waits for Ada: a ready hold
    clock.set(t(10, 9));
    store
        .pay(ada.id, Decimal::new(500, 2), Some("cash"))
        .unwrap();
    store
        .block_customer(bob.id, "cheque bounced", None)
        .unwrap();
    let notices = store.notices(t(30, 9)).unwrap();
    assert!(!notices.is_empty(), "the story should owe some notices");
    let keys: Vec<String> = notices.iter().map(|n| n.key.clone()).collect();
    store.mark_notified(&keys[..1], t(30, 9)).unwrap();
    store
}

/// A dump without its header line (which says when it was taken).
fn dump_of<S: Storage + ?Sized>(storage: &S) -> (String, DumpSummary) {
    let mut out = Vec::new();
    let summary = backup(storage, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let body = text.split_once('\n').unwrap().1.to_owned();
    (body, summary)
}

fn round_trip<A: Backend, B: Backend>() {
    let original = A::fresh();
    let store = populate(original.storage());
    let mut dump = Vec::new();
    let written = backup(store.storage(), &mut dump).unwrap();
    // Ledger: Ada's first rental's charge; her lost rental's charge, replacement fee and processing fee; Carol's
    // Dune charge; Ada's payment. Holds: Carol's on Emma (waiting), Ada's on Dune (ready).
    assert_eq!(
        written.to_string(),
        "2 plan versions, 3 books, 6 copies, 4 customers, 4 rentals, 6 ledger entries, 2 holds, 1 notices sent"
    );

    let target = B::fresh();
    let restored = restore(target.storage(), dump.as_slice()).unwrap();
    assert_eq!(restored, written);
    let (before, _) = dump_of(store.storage());
    let (after, _) = dump_of(target.storage());
    assert_eq!(before, after, "the restored store dumps differently");

    // The restored store goes on where the original stopped.
    let copy = BookStore::open(target.storage())
        .unwrap()
        .with_clock(Arc::new(FixedClock::new(t(11, 9))));
    let next = copy
        .add_book(&NewBook::new("Middlemarch", "George Eliot", "novel"), 1)
        .unwrap();
    assert_eq!(next.id, BookId::new(4));
    assert_eq!(copy.storage().copies_of(next.id).unwrap()[0].id.get(), 7);
    let eve = copy
        .register_customer(&NewCustomer::new("Eve", "Arden"))
        .unwrap();
    assert_eq!(eve.id.get(), 5);
    let rental = copy.rent_book_at(eve.id, next.id, t(11, 10)).unwrap();
    assert_eq!(rental.id.get(), 5);
    let found = copy
        .search_books(
            &BookQuery {
                text: Some("joyce".into()),
                ..BookQuery::default()
            },
            None,
            10,
        )
        .unwrap();
    assert_eq!(found.len(), 1, "the search index is rebuilt");
    // The title and ISBN indexes are rebuilt: both still refuse a second book.
    let twin = copy.add_book(
        &NewBook::new("Another", "B", "regular").with_isbn("9780199535675"),
        1,
    );
    assert_eq!(twin.unwrap_err().field(), Some("isbn"));
    let twin = copy.add_book(&NewBook::new("emma", "B", "novel"), 1);
    assert_eq!(twin.unwrap_err().field(), Some("title"));
    // Holds: Carol still waits first in line for Emma; Dune's copy is still set aside for Ada.
    let carol = copy.customer_holds(koko_core::CustomerId::new(3)).unwrap();
    assert_eq!(carol[0].status, HoldStatus::Waiting);
    assert_eq!(carol[0].position, Some(1));
    let ada_holds = copy.customer_holds(koko_core::CustomerId::new(1)).unwrap();
    assert_eq!(ada_holds[0].status, HoldStatus::Ready);
    // Ada owes the lost copy's fees minus her payment; Bob is blocked.
    let ada = copy.account(koko_core::CustomerId::new(1)).unwrap();
    let original = store.account(koko_core::CustomerId::new(1)).unwrap();
    assert_eq!(ada.balance, original.balance);
    assert_eq!(ada.entries, original.entries);
    assert!(copy
        .account(koko_core::CustomerId::new(2))
        .unwrap()
        .block
        .is_some());
    assert_eq!(
        copy.rental(koko_core::RentalId::new(2)).unwrap().status(),
        RentalStatus::Active
    );
    // The sent notice is not owed again.
    assert_eq!(
        copy.notices(t(30, 9)).unwrap().len(),
        store.notices(t(30, 9)).unwrap().len()
    );
}

#[test]
fn memory_to_memory() {
    round_trip::<Memory, Memory>();
}

#[test]
fn sled_to_sled() {
    round_trip::<Sled, Sled>();
}

#[test]
fn memory_to_sled() {
    round_trip::<Memory, Sled>();
}

#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn sled_to_postgres_and_back() {
    round_trip::<Sled, Postgres>();
    round_trip::<Postgres, Sled>();
}

#[test]
fn a_migration_copies_and_verifies() {
    let source = Sled::fresh();
    let store = populate(source.storage());
    let target = Memory::fresh();
    let moved = migrate(store.storage(), target.storage()).unwrap();
    assert_eq!(moved.count("rental"), 4);
    assert_eq!(dump_of(store.storage()).0, dump_of(target.storage()).0);
    // A second migration into the now full target is refused, and changes nothing there.
    let refused = migrate(store.storage(), target.storage()).unwrap_err();
    assert_eq!(refused.field(), Some("target"));
    assert_eq!(dump_of(store.storage()).0, dump_of(target.storage()).0);
}

#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn a_migration_from_sled_to_postgres() {
    let source = Sled::fresh();
    let store = populate(source.storage());
    let target = Postgres::fresh();
    let moved = migrate(store.storage(), target.storage()).unwrap();
    assert_eq!(moved.count("copy"), 6);
    assert_eq!(dump_of(store.storage()).0, dump_of(target.storage()).0);
}

fn refusal(target: &MemoryStorage, dump: &str) -> Error {
    restore(target, dump.as_bytes()).unwrap_err()
}

#[test]
fn broken_dumps_and_full_targets_are_refused() {
    let source = Memory::fresh();
    let store = populate(source.storage());
    let mut raw = Vec::new();
    backup(store.storage(), &mut raw).unwrap();
    let dump = String::from_utf8(raw).unwrap();
    let lines: Vec<&str> = dump.lines().collect();

    let truncated = lines[..lines.len() - 1].join("\n");
    let error = refusal(&MemoryStorage::new(), &truncated);
    assert_eq!(error.field(), Some("dump"));
    assert!(error.to_string().contains("truncated"), "{error}");

    let newer = dump.replacen("\"koko_dump\":1", "\"koko_dump\":2", 1);
    let error = refusal(&MemoryStorage::new(), &newer);
    assert!(error.to_string().contains("upgrade Koko"), "{error}");

    let end = lines[lines.len() - 1];
    assert!(end.contains("\"rental\":4"), "{end}");
    let miscounted = dump.replace(end, &end.replace("\"rental\":4", "\"rental\":5"));
    let error = refusal(&MemoryStorage::new(), &miscounted);
    assert!(error.to_string().contains("damaged"), "{error}");

    let garbled = dump.replacen("\"title\":\"Emma\"", "\"title\":7", 1);
    let error = refusal(&MemoryStorage::new(), &garbled);
    assert!(
        error.to_string().starts_with("invalid dump: line "),
        "{error}"
    );

    let error = refusal(&MemoryStorage::new(), "");
    assert!(error.to_string().contains("empty"), "{error}");

    // Into a store that already has records: refused before anything is written.
    let full = MemoryStorage::new();
    let _ = BookStore::with_default_plan(&full, PricePlan::story3()).unwrap();
    let error = refusal(&full, &dump);
    assert_eq!(error.field(), Some("target"));
    assert_eq!(full.plan_versions().unwrap().len(), 1);
}

/// While a thread rents and returns as fast as it can, a backup is one consistent state: every rented copy has
/// its open rental and every open rental its rented copy, and the ledger sums to each balance.
#[test]
fn a_backup_under_writes_is_consistent() {
    let source = Sled::fresh();
    let store = Arc::new(
        BookStore::with_default_plan(source.storage(), PricePlan::story3())
            .unwrap()
            .with_clock(Arc::new(FixedClock::new(t(1, 9)))),
    );
    let books: Vec<BookId> = (0..5)
        .map(|i| {
            store
                .add_book(&NewBook::new(format!("Book {i}"), "A", "regular"), 3)
                .unwrap()
                .id
        })
        .collect();
    let customer = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let stop = AtomicBool::new(false);
    let dumps = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut cycles = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let book = books[(cycles % 5) as usize];
                let rental = store.rent_book_at(customer.id, book, t(1, 10)).unwrap();
                if cycles % 3 != 0 {
                    store
                        .return_rental_at(rental.id, t(1, 10) + Duration::hours(30))
                        .unwrap();
                }
                cycles += 1;
                if cycles % 14 == 0 {
                    // Keep copies on the shelf: return everything still out.
                    for open in store.active_rentals().unwrap() {
                        let open = open.unwrap();
                        store
                            .return_rental_at(open.id, t(1, 10) + Duration::hours(50))
                            .unwrap();
                    }
                }
            }
            cycles
        });
        let mut dumps = Vec::new();
        for _ in 0..10 {
            std::thread::sleep(std::time::Duration::from_millis(10));
            let mut out = Vec::new();
            backup(store.storage(), &mut out).unwrap();
            dumps.push(out);
        }
        stop.store(true, Ordering::Relaxed);
        assert!(writer.join().unwrap() > 0);
        dumps
    });
    for dump in dumps {
        let copy = MemoryStorage::new();
        restore(&copy, dump.as_slice()).unwrap();
        let mut rented = 0;
        for book in copy.books().unwrap() {
            for c in copy.copies_of(book.unwrap().id).unwrap() {
                if let CopyStatus::Rented(rental) = c.status {
                    let rental = copy.rental(rental).unwrap();
                    assert!(rental.returned_at.is_none() && rental.copy == c.id);
                    rented += 1;
                }
            }
        }
        assert_eq!(copy.active_rentals().unwrap().count(), rented);
        let ledger: Decimal = copy
            .ledger(customer.id)
            .unwrap()
            .map(|e| e.unwrap().signed_amount())
            .sum();
        assert_eq!(ledger, copy.account(customer.id).unwrap().balance);
    }
}
