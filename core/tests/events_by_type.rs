//! The feed by type on every backend: a page of some types (`BookStore::events` with `types`) is exactly the whole
//! feed filtered to those types, after any position and of any length — as events are appended (refused
//! operations and dry runs appending none), pruned, restored from a backup, and on a store migrated from before
//! the index existed (sled layout 7, PostgreSQL schema 7). The whole feed, read page by page without types, is the
//! oracle.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::{
    BookStore, Event, EventKind, NewBook, NewCustomer, Operation, PricePlan, RentTarget, Storage,
};

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Sled, SledInterval};

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, hour, 0, 0).unwrap()
}

/// Regular books due after 7 days, renewed twice; a ready hold waits 3 days.
const PLAN: &str = r#"{"currency": "USD", "categories": {"regular": {"tiers": [{"from_day": 1, "rate": "1.00"}],
    "late_fee": {"loan_days": 7, "per_day": "0.50"}, "renewals": {"max": 2}}},
    "holds": {"pickup_days": 3}}"#;

fn store<S: Storage>(storage: S) -> BookStore<S> {
    BookStore::with_default_plan(storage, PricePlan::from_json(PLAN).expect("plan")).expect("store")
}

/// Every event of the feed, read without types.
fn feed<S: Storage>(store: &BookStore<S>) -> Vec<Event> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = store.events(after, 1000, None).unwrap();
        let Some(last) = page.last() else {
            return all;
        };
        after = Some(last.position);
        all.extend(page);
    }
}

/// A store's history of many types: books, customers, rentals renewed and returned, payments, holds placed,
/// set aside and cancelled, a batch with a refused operation, a dry run.
fn history<S: Storage>(store: &BookStore<S>) {
    let emma = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "regular"), 2)
        .unwrap();
    let dune = store
        .add_book(&NewBook::new("Dune", "Frank Herbert", "regular"), 1)
        .unwrap();
    let readers: Vec<_> = ["Ada", "Bob", "Cy"]
        .iter()
        .map(|name| {
            store
                .register_customer(&NewCustomer::new(*name, "Reader"))
                .unwrap()
                .id
        })
        .collect();
    for day in 0..3 {
        for (i, reader) in readers.iter().enumerate() {
            let at = t(3 + day, 9 + i as u32);
            let book = if i == 2 { dune.id } else { emma.id };
            let rental = store.rent_book_at(*reader, book, at).unwrap();
            if day == 1 {
                store.renew_at(rental.id, at + Duration::hours(2)).unwrap();
            }
            store
                .return_rental_at(rental.id, at + Duration::hours(5))
                .unwrap();
            store
                .pay(*reader, rust_decimal::Decimal::new(150, 2), None)
                .unwrap();
        }
    }
    let held = store.rent_book_at(readers[0], dune.id, t(8, 9)).unwrap();
    let hold = store.place_hold_at(readers[1], dune.id, t(8, 10)).unwrap();
    store.cancel_hold_at(hold.id, t(8, 11)).unwrap();
    store.place_hold_at(readers[2], dune.id, t(8, 12)).unwrap();
    store.return_rental_at(held.id, t(9, 9)).unwrap();
    // A refused operation in a batch, and a dry run: neither appends an event.
    store
        .apply_batch(vec![
            Operation::Rent {
                target: RentTarget::Book(emma.id),
                customer: readers[1],
                at: t(10, 9),
            },
            Operation::Rent {
                target: RentTarget::Book(emma.id),
                customer: koko_core::CustomerId::new(99),
                at: t(10, 9),
            },
        ])
        .unwrap();
    store
        .try_batch(vec![Operation::RegisterCustomer(NewCustomer::new(
            "Di", "Reader",
        ))])
        .unwrap();
}

/// The sets of types the pages ask for: one, two, one with no event, several with duplicates, none, every type.
fn type_sets() -> Vec<Vec<EventKind>> {
    use EventKind::*;
    vec![
        vec![RentalOpened],
        vec![RentalClosed, HoldPlaced],
        vec![CopyLost],
        vec![LedgerPosted, BookAdded, LedgerPosted, CustomerBlocked],
        vec![PlanPublished, HoldCancelled, HoldReady, RentalRenewed],
        vec![],
        EventKind::ALL.to_vec(),
    ]
}

/// Every page of every type set, after every position (and before the first, and at the last) and of several
/// lengths, is the feed filtered; past the last, it is refused on `after`.
fn assert_pages_are_the_feed_filtered<S: Storage>(store: &BookStore<S>) {
    let all = feed(store);
    let last = store.last_event_position().unwrap();
    let mut afters: Vec<Option<u64>> = vec![None, Some(0), Some(last)];
    afters.extend(all.iter().map(|e| Some(e.position)));
    for types in type_sets() {
        for past in [last + 1, u64::MAX] {
            let refused = store.events(Some(past), 5, Some(&types)).unwrap_err();
            assert!(
                matches!(&refused, koko_core::Error::InvalidInput { field, .. } if field == "after"),
                "types {types:?} after {past}: {refused:?}"
            );
        }
        for after in &afters {
            for limit in [1, 2, 5, 1000] {
                let expected: Vec<Event> = all
                    .iter()
                    .filter(|e| after.is_none_or(|a| e.position > a) && types.contains(&e.kind))
                    .take(limit)
                    .cloned()
                    .collect();
                let page = store.events(*after, limit, Some(&types)).unwrap();
                assert_eq!(
                    page, expected,
                    "types {types:?} after {after:?}, limit {limit}"
                );
            }
        }
    }
}

fn pages_of_types_are_the_feed_filtered<B: Backend>() {
    let b = B::fresh();
    let store = store(b.storage());
    assert_pages_are_the_feed_filtered(&store);
    history(&store);
    let all = feed(&store);
    assert!(all.len() > 50, "the history appends {} events", all.len());
    assert_pages_are_the_feed_filtered(&store);
}

/// Pruning removes the pruned events from the feed by type too, and events appended after a prune are found; a
/// backup restored on the same backend and migrated to memory answers the same pages.
fn pruning_and_restoring_keep_the_feed_by_type<B: Backend>() {
    let b = B::fresh();
    let store = store(b.storage());
    history(&store);
    let middle = feed(&store)[20].position;
    store.prune_events(middle).unwrap();
    assert_eq!(feed(&store)[0].position, middle);
    assert_pages_are_the_feed_filtered(&store);
    store
        .register_customer(&NewCustomer::new("Ed", "Reader"))
        .unwrap();
    let newest = store
        .events(None, 1000, Some(&[EventKind::CustomerRegistered]))
        .unwrap();
    assert_eq!(newest.last(), feed(&store).last());
    assert_pages_are_the_feed_filtered(&store);

    let mut dump = Vec::new();
    koko_core::backup::backup(b.storage(), &mut dump).unwrap();
    let restored = B::fresh();
    koko_core::backup::restore(restored.storage(), dump.as_slice()).unwrap();
    let again = BookStore::open(restored.storage()).unwrap();
    assert_eq!(feed(&again), feed(&store));
    assert_pages_are_the_feed_filtered(&again);
    let memory = koko_core::MemoryStorage::new();
    koko_core::backup::migrate(b.storage(), &memory).unwrap();
    assert_pages_are_the_feed_filtered(&BookStore::open(&memory).unwrap());

    // Pruning everything leaves every type's range empty; the next event is found.
    let last = again.storage().last_event_position().unwrap();
    again.prune_events(last + 1).unwrap();
    assert_pages_are_the_feed_filtered(&again);
    again
        .register_customer(&NewCustomer::new("Fay", "Reader"))
        .unwrap();
    let found = again
        .events(None, 10, Some(&[EventKind::CustomerRegistered]))
        .unwrap();
    assert_eq!(
        found.iter().map(|e| e.position).collect::<Vec<_>>(),
        [last + 1]
    );
}

macro_rules! by_type {
    ($($module:ident => $backend:ident),*) => {
        $(
            mod $module {
                crate::backend_test!($backend, pages_of_types_are_the_feed_filtered);
                crate::backend_test!($backend, pruning_and_restoring_keep_the_feed_by_type);
            }
        )*
    };
}

by_type!(memory => Memory, sled => Sled, sled_interval => SledInterval);
#[cfg(feature = "postgres")]
by_type!(postgres => Postgres);

/// A sled store of layout 7 (the feed without its index by type: today's layout without the `t` keys of the
/// `events` tree, stamped 7) is migrated on opening: every event is indexed by its type.
#[cfg(feature = "sled")]
#[test]
fn a_layout_7_sled_store_gets_its_feed_indexed_by_type() {
    let dir = tempfile::tempdir().unwrap();
    let written = {
        let storage = koko_core::SledStorage::open(dir.path()).unwrap();
        let store = store(&storage);
        history(&store);
        feed(&store)
    };
    {
        let db = ::sled::open(dir.path()).unwrap();
        let events = db.open_tree("events").unwrap();
        let keys: Vec<_> = events
            .scan_prefix(b"t")
            .map(|item| item.unwrap().0)
            .collect();
        assert_eq!(keys.len(), written.len(), "one key per event");
        for key in keys {
            events.remove(key).unwrap();
        }
        let meta = db.open_tree("meta").unwrap();
        meta.insert("schema_version", &7u64.to_be_bytes()).unwrap();
        db.flush().unwrap();
    }
    let storage = koko_core::SledStorage::open(dir.path()).unwrap();
    let store = BookStore::open(&storage).unwrap();
    assert_eq!(feed(&store), written);
    assert_pages_are_the_feed_filtered(&store);
}

/// A PostgreSQL database of schema 7 (without `koko_events_by_type`) is migrated to 8 on connecting, and its pages
/// of some types are the feed filtered.
#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn a_schema_7_database_gets_its_feed_indexed_by_type() {
    use common::Persistent;
    let b = Postgres::fresh();
    let written = {
        let store = store(b.storage());
        history(&store);
        feed(&store)
    };
    let mut client = ::postgres::Client::connect(b.url(), ::postgres::NoTls).unwrap();
    client
        .batch_execute(
            "DROP INDEX koko_events_by_type;
             DELETE FROM koko_schema_version WHERE version = 8;",
        )
        .unwrap();
    let b = b.reopen();
    assert_eq!(b.storage().schema_version().unwrap(), 8);
    let store = BookStore::open(b.storage()).unwrap();
    assert_eq!(feed(&store), written);
    assert_pages_are_the_feed_filtered(&store);
}
