//! The event feed on every backend: each operation's events and their payloads, in order, written with the change
//! (none for a refused operation, a replayed idempotent write or a dry run), positions gap-free in commit order
//! while several threads write, consumers' checkpoints and pruning. Expectations are worked out by hand from the
//! rules. Instantiated per backend at the bottom, like the other conformance suites.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::{
    BookStore, BookUpdate, CustomerId, CustomerUpdate, Error, Event, EventKind, NewBook,
    NewCustomer, Operation, PricePlan, RentTarget, Storage, WriteOptions,
};
use rust_decimal::Decimal;
use serde_json::json;

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Persistent, Sled, SledInterval};

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, hour, 0, 0).unwrap()
}

/// Regular books: 1.00 a day, due after 7 days, 0.50 a late day, two renewals, a 20.00 replacement fee and a 5.00
/// processing fee when lost (the replacement fee credited back when found); a ready hold waits 3 days.
const PLAN: &str = r#"{"currency": "USD", "categories": {"regular": {"tiers": [{"from_day": 1, "rate": "1.00"}],
    "late_fee": {"loan_days": 7, "per_day": "0.50"}, "renewals": {"max": 2},
    "replacement": {"fee": "20.00", "processing_fee": "5.00", "refund_when_found": true}}},
    "holds": {"pickup_days": 3}}"#;

fn store<B: Backend>(backend: &B) -> BookStore<&B::S> {
    let plan = PricePlan::from_json(PLAN).expect("plan");
    BookStore::with_default_plan(backend.storage(), plan).expect("store")
}

/// Every event of the feed.
fn feed<S: Storage>(store: &BookStore<S>) -> Vec<Event> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = store.events(after, 100, None).unwrap();
        let Some(last) = page.last() else {
            return all;
        };
        after = Some(last.position);
        all.extend(page);
    }
}

/// The events after `after`, as (position, type).
fn since<S: Storage>(store: &BookStore<S>, after: u64) -> Vec<(u64, &'static str)> {
    store
        .events(Some(after), 1000, None)
        .unwrap()
        .iter()
        .map(|e| (e.position, e.kind.as_str()))
        .collect()
}

fn last_position<S: Storage>(store: &BookStore<S>) -> u64 {
    feed(store).last().map_or(0, |e| e.position)
}

/// One story through every operation that changes state, each step's events checked by position, type, subjects
/// and the payload's key fields.
fn every_operation_appends_its_events<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    // 1: the default plan.
    assert_eq!(since(&store, 0), [(1, "plan.published")]);

    let emma = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "regular"), 1)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let bob = store
        .register_customer(&NewCustomer::new("Bob", "Babbage"))
        .unwrap();
    let copy = store.copies(emma.id).unwrap()[0].id;
    assert_eq!(
        since(&store, 1),
        [
            (2, "book.added"),
            (3, "customer.registered"),
            (4, "customer.registered")
        ]
    );
    let added = &store.events(Some(1), 1, None).unwrap()[0];
    assert_eq!(added.id, "evt_00000000000000000002");
    assert_eq!(added.subjects.book, Some(emma.id.get()));
    assert_eq!(added.data["v"], json!(1));
    assert_eq!(added.schema_version(), Some(1));
    assert_eq!(added.data["book"]["title"], json!("Emma"));
    assert_eq!(added.data["copies"], json!([copy.get()]));

    // Ada rents the only copy; Bob queues for the book.
    let first = store.rent_book_at(ada.id, emma.id, t(3, 10)).unwrap();
    let hold = store.place_hold_at(bob.id, emma.id, t(3, 11)).unwrap();
    let events = store.events(Some(4), 100, None).unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| (e.position, e.kind.as_str()))
            .collect::<Vec<_>>(),
        [(5, "rental.opened"), (6, "hold.placed")]
    );
    assert_eq!(events[0].at, t(3, 10));
    assert_eq!(events[0].subjects.rental, Some(first.id.get()));
    assert_eq!(events[0].subjects.customer, Some(ada.id.get()));
    assert_eq!(events[0].data["due_at"], json!(t(10, 10)));
    assert_eq!(events[1].data["status"], json!("waiting"));
    assert_eq!(events[1].subjects.hold, Some(hold.id.get()));

    // Refused: a renewal while Bob waits for the only copy. Nothing is appended.
    let refused = store.renew_at(first.id, t(8, 10)).unwrap_err();
    assert_eq!(refused.kind(), "Blocked");
    assert_eq!(last_position(&store), 6);

    // Ada returns after 2 days (2.00); the copy is set aside for Bob, ready until 3 days later.
    store.return_rental_at(first.id, t(5, 10)).unwrap();
    let events = store.events(Some(6), 100, None).unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["rental.closed", "ledger.posted", "hold.ready"]);
    assert_eq!(events[0].data["charge"]["total"], json!("2.00"));
    assert_eq!(events[0].data["lost"], json!(false));
    assert_eq!(
        (&events[1].data["kind"], &events[1].data["amount"]),
        (&json!("charge"), &json!("2.00"))
    );
    assert_eq!(events[1].data["balance_after"], json!("2.00"));
    assert_eq!(events[1].subjects.rental, Some(first.id.get()));
    assert_eq!(events[2].data["copy"], json!(copy.get()));
    assert_eq!(events[2].data["ready_until"], json!(t(8, 10)));
    assert_eq!(events[2].at, t(5, 10));

    // Bob rents his copy: the rental opens, then his hold is fulfilled by it.
    let second = store.rent_book_at(bob.id, emma.id, t(6, 10)).unwrap();
    let events = store.events(Some(9), 100, None).unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| (e.position, e.kind.as_str()))
            .collect::<Vec<_>>(),
        [(10, "rental.opened"), (11, "hold.fulfilled")]
    );
    assert_eq!(events[1].data["rental"], json!(second.id.get()));

    // Renewed: due 13 June, now 7 days later.
    let renewed = store.renew_at(second.id, t(7, 10)).unwrap();
    let event = &store.events(Some(11), 100, None).unwrap()[0];
    assert_eq!(event.kind, EventKind::RentalRenewed);
    assert_eq!(event.data["previous_due_at"], json!(t(13, 10)));
    assert_eq!(event.data["due_at"], json!(renewed.due_at));
    assert_eq!(event.data["due_at"], json!(t(20, 10)));

    // Lost after 3 days: 3.00, then the 20.00 and 5.00 fees.
    store.declare_lost_at(second.id, t(9, 10)).unwrap();
    let events = store.events(Some(12), 100, None).unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "rental.closed",
            "copy.lost",
            "ledger.posted",
            "ledger.posted",
            "ledger.posted"
        ]
    );
    assert_eq!(events[0].data["lost"], json!(true));
    assert_eq!(events[0].data["charge"]["total"], json!("3.00"));
    let posted: Vec<_> = events[2..]
        .iter()
        .map(|e| {
            (
                e.data["kind"].as_str().unwrap().to_owned(),
                e.data["amount"].as_str().unwrap().to_owned(),
                e.data["balance_after"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("charge", "3.00", "3.00"),
        ("fee", "20.00", "23.00"),
        ("fee", "5.00", "28.00"),
    ]
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()));
    assert_eq!(posted, expected);

    // Found: back on the shelf, the replacement fee credited (28.00 - 20.00).
    store.mark_found_at(copy, t(10, 10)).unwrap();
    let events = store.events(Some(17), 100, None).unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["copy.found", "ledger.posted"]);
    assert_eq!(events[0].data["status"], json!("available"));
    assert_eq!(events[1].data["kind"], json!("waiver"));
    assert_eq!(events[1].data["balance_after"], json!("8.00"));

    // Ada pays her 2.00.
    store
        .apply(Operation::Pay {
            customer: ada.id,
            amount: Decimal::new(2, 0),
            currency: None,
            at: t(10, 11),
            note: None,
        })
        .unwrap();
    let event = &store.events(Some(19), 100, None).unwrap()[0];
    assert_eq!(
        (event.position, event.kind, &event.data["balance_after"]),
        (20, EventKind::LedgerPosted, &json!("0.00"))
    );

    // The catalogue and the customers.
    store.withdraw_copy(copy).unwrap();
    store.withdraw_copy(copy).unwrap(); // already withdrawn: no change, no event
    store.reinstate_copy(copy).unwrap();
    store.reinstate_copy(copy).unwrap(); // in circulation: no change, no event
    let more = store.add_copies(emma.id, 1).unwrap();
    store
        .update_book(
            emma.id,
            &BookUpdate {
                title: Some("Emma (Penguin)".into()),
                ..Default::default()
            },
        )
        .unwrap();
    store
        .update_customer(
            bob.id,
            &CustomerUpdate {
                last_name: Some("Babbage-Byron".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        since(&store, 20),
        [
            (21, "copy.withdrawn"),
            (22, "copy.reinstated"),
            (23, "copies.added"),
            (24, "book.changed"),
            (25, "customer.changed")
        ]
    );
    let events = store.events(Some(22), 100, None).unwrap();
    assert_eq!(events[0].data["copies"], json!([more[0].id.get()]));
    assert_eq!(events[1].data["book"]["title"], json!("Emma (Penguin)"));
    assert_eq!(
        events[2].data["customer"]["last_name"],
        json!("Babbage-Byron")
    );

    // Blocks: unblocking a customer who is not blocked changes nothing.
    store.block_customer(ada.id, "lost card", None).unwrap();
    store.unblock_customer(ada.id).unwrap();
    store.unblock_customer(ada.id).unwrap();
    // Notices: a key marked twice is sent once.
    let mark = |keys: &[&str]| Operation::MarkNotified {
        keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        at: t(11, 9),
    };
    store.apply(mark(&["due:1", "due:2"])).unwrap();
    store.apply(mark(&["due:1"])).unwrap();
    assert_eq!(
        since(&store, 25),
        [
            (26, "customer.blocked"),
            (27, "customer.unblocked"),
            (28, "notice.sent"),
            (29, "notice.sent")
        ]
    );
    let events = store.events(Some(25), 100, None).unwrap();
    assert_eq!(events[0].data["reason"], json!("lost card"));
    assert_eq!(events[0].subjects.customer, Some(ada.id.get()));
    assert_eq!(events[3].data["key"], json!("due:2"));

    // Holds with copies on the shelf are ready at once; cancelled, then one expired.
    let h2 = store.place_hold_at(ada.id, emma.id, t(11, 10)).unwrap();
    store.cancel_hold_at(h2.id, t(11, 12)).unwrap();
    let h3 = store.place_hold_at(ada.id, emma.id, t(12, 10)).unwrap();
    assert!(store.expire_holds_at(t(15, 10)).unwrap().is_empty()); // ready until 15 June 10:00 exactly
    store.expire_holds_at(t(16, 10)).unwrap();
    assert_eq!(
        since(&store, 29),
        [
            (30, "hold.placed"),
            (31, "hold.ready"),
            (32, "hold.cancelled"),
            (33, "hold.placed"),
            (34, "hold.ready"),
            (35, "hold.expired")
        ]
    );
    let expired = &store.events(Some(34), 1, None).unwrap()[0];
    assert_eq!(expired.subjects.hold, Some(h3.id.get()));
    assert_eq!(expired.at, t(16, 10));

    // A new plan version.
    store
        .publish_plan(PricePlan::from_json(PLAN).unwrap(), t(20, 0))
        .unwrap();
    let event = &store.events(Some(35), 1, None).unwrap()[0];
    assert_eq!(event.kind, EventKind::PlanPublished);
    assert_eq!(event.data["currency"], json!("USD"));
    assert_eq!(event.data["effective_from"], json!(t(20, 0)));

    // The whole feed: positions 1 to 36, each id its position's, each payload version 1.
    let all = feed(&store);
    assert_eq!(
        all.iter().map(|e| e.position).collect::<Vec<_>>(),
        (1..=36).collect::<Vec<_>>()
    );
    assert!(all.iter().all(|e| e.id == Event::id_at(e.position)));
    assert!(all.iter().all(|e| e.schema_version() == Some(1)));
    // Filtered by type, the feed is read past the others.
    let holds = store
        .events(
            None,
            100,
            Some(&[EventKind::HoldReady, EventKind::HoldExpired]),
        )
        .unwrap();
    assert_eq!(
        holds.iter().map(|e| e.position).collect::<Vec<_>>(),
        [9, 31, 34, 35]
    );
    let one = store
        .events(Some(9), 1, Some(&[EventKind::HoldReady]))
        .unwrap();
    assert_eq!(one[0].position, 31);
}

/// Refused operations, in a batch or alone, append nothing; the accepted ones of a batch append theirs in order.
fn refused_operations_append_nothing<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let book = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "regular"), 1)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    store.rent_book_at(ada.id, book.id, t(3, 10)).unwrap();
    // The plan, the book, Ada, the rental.
    let before = last_position(&store);
    assert_eq!(before, 4);
    let unavailable = store.rent_book_at(ada.id, book.id, t(3, 11)).unwrap_err();
    assert_eq!(unavailable.kind(), "Unavailable");
    let duplicate = store
        .add_book(&NewBook::new("emma ", "Someone", "regular"), 1)
        .unwrap_err();
    assert_eq!(duplicate.kind(), "Duplicate");
    let unknown = store
        .register_customer(&NewCustomer::new("", "Nobody"))
        .unwrap_err();
    assert_eq!(unknown.kind(), "InvalidInput");
    assert_eq!(last_position(&store), before);

    // A batch: rejected, accepted, rejected, accepted.
    let results = store
        .apply_batch(vec![
            Operation::Rent {
                target: RentTarget::Book(book.id),
                customer: ada.id,
                at: t(3, 12),
            },
            Operation::RegisterCustomer(NewCustomer::new("Bob", "Babbage")),
            Operation::UnblockCustomer {
                customer: CustomerId::new(999),
            },
            Operation::AddBook {
                book: NewBook::new("Persuasion", "Jane Austen", "regular"),
                copies: 2,
            },
        ])
        .unwrap();
    let kinds: Vec<_> = results.iter().map(|r| r.is_ok()).collect();
    assert_eq!(kinds, [false, true, false, true]);
    assert_eq!(
        since(&store, before),
        [(5, "customer.registered"), (6, "book.added")]
    );
}

/// A replayed idempotent write answers its first outcome and appends nothing; a dry run appends nothing and
/// gives no position away: the next write takes the next one.
fn replays_and_dry_runs_append_nothing<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let pay = Operation::Pay {
        customer: ada.id,
        amount: Decimal::new(5, 0),
        currency: None,
        at: t(3, 10),
        note: None,
    };
    let options = WriteOptions::new().idempotency_key("pay-1");
    let first = store.execute(pay.clone(), &options).unwrap();
    assert_eq!(since(&store, 2), [(3, "ledger.posted")]);
    let retry = store.execute(pay, &options).unwrap();
    assert_eq!(first, retry);
    assert_eq!(last_position(&store), 3);

    let dry = store
        .try_batch(vec![
            Operation::RegisterCustomer(NewCustomer::new("Bob", "Babbage")),
            Operation::AddBook {
                book: NewBook::new("Emma", "Jane Austen", "regular"),
                copies: 1,
            },
        ])
        .unwrap();
    assert!(dry.iter().all(Result::is_ok));
    assert_eq!(last_position(&store), 3);
    store
        .add_book(&NewBook::new("Emma", "Jane Austen", "regular"), 1)
        .unwrap();
    assert_eq!(since(&store, 3), [(4, "book.added")]);
}

/// Checkpoints are stored per consumer, at most the last position; pruning never drops what a consumer has not
/// passed, and positions go on after it.
fn checkpoints_hold_back_pruning<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    for name in ["Ada", "Bob", "Cy", "Di"] {
        store
            .register_customer(&NewCustomer::new(name, "Reader"))
            .unwrap();
    }
    assert_eq!(last_position(&store), 5);
    assert_eq!(store.checkpoint("mailer").unwrap(), None);
    assert_eq!(store.set_checkpoint("mailer", 3).unwrap(), 3);
    assert_eq!(store.set_checkpoint("search", 5).unwrap(), 5);
    assert_eq!(store.checkpoint("mailer").unwrap(), Some(3));
    assert_eq!(
        store.checkpoints().unwrap(),
        [("mailer".to_owned(), 3), ("search".to_owned(), 5)]
    );
    // Checkpoints append nothing.
    assert_eq!(last_position(&store), 5);

    let past = store.set_checkpoint("mailer", 6).unwrap_err();
    assert!(matches!(&past, Error::InvalidInput { field, .. } if field == "position"));
    let unnamed = store.set_checkpoint("", 1).unwrap_err();
    assert!(matches!(&unnamed, Error::InvalidInput { field, .. } if field == "name"));
    assert_eq!(store.checkpoint("mailer").unwrap(), Some(3));

    // "mailer" handled up to 3: positions 1 to 3 may go, 4 may not.
    let held = store.prune_events(5).unwrap_err();
    assert!(matches!(&held, Error::InvalidInput { field, .. } if field == "before"));
    assert_eq!(feed(&store).len(), 5);
    assert_eq!(store.prune_events(4).unwrap(), 3);
    assert_eq!(
        feed(&store).iter().map(|e| e.position).collect::<Vec<_>>(),
        [4, 5]
    );
    assert_eq!(store.prune_events(4).unwrap(), 0);
    // A consumer may move back (to read again what is left) and forward.
    store.set_checkpoint("mailer", 5).unwrap();
    assert_eq!(store.prune_events(6).unwrap(), 2);
    assert!(feed(&store).is_empty());
    // Positions are never given twice.
    store
        .register_customer(&NewCustomer::new("Ed", "Reader"))
        .unwrap();
    assert_eq!(since(&store, 0), [(6, "customer.registered")]);
    assert_eq!(store.events(Some(6), 10, None).unwrap(), []);
    // A cursor past the end (a consumer ahead of a store restored from an older backup) is refused, not answered
    // with an empty page it would wait on forever; after pruning, the counter still knows the end.
    let past = store.events(Some(7), 10, None).unwrap_err();
    assert!(matches!(&past, Error::InvalidInput { field, .. } if field == "after"));
    let past = store
        .events(Some(7), 10, Some(&[EventKind::BookAdded]))
        .unwrap_err();
    assert!(matches!(&past, Error::InvalidInput { field, .. } if field == "after"));
    assert_eq!(store.events(Some(2), 10, None).unwrap().len(), 1);
    assert_eq!(store.last_event_position().unwrap(), 6);

    // A consumer that is gone is forgotten, and holds back nothing more; forgetting appends nothing.
    store
        .register_customer(&NewCustomer::new("Flo", "Reader"))
        .unwrap();
    store.set_checkpoint("search", 6).unwrap();
    let held = store.prune_events(8).unwrap_err();
    assert!(matches!(&held, Error::InvalidInput { field, .. } if field == "before"));
    assert_eq!(store.remove_checkpoint("mailer").unwrap(), Some(5));
    assert_eq!(store.remove_checkpoint("mailer").unwrap(), None);
    assert_eq!(store.checkpoint("mailer").unwrap(), None);
    assert_eq!(store.checkpoints().unwrap(), [("search".to_owned(), 6)]);
    assert_eq!(store.remove_checkpoint("search").unwrap(), Some(6));
    assert_eq!(store.prune_events(8).unwrap(), 2);
    assert_eq!(store.last_event_position().unwrap(), 7);
    let unnamed = store.remove_checkpoint("").unwrap_err();
    assert!(matches!(&unnamed, Error::InvalidInput { field, .. } if field == "name"));
    let limit = store.events(None, 0, None).unwrap_err();
    assert!(matches!(&limit, Error::InvalidInput { field, .. } if field == "limit"));
}

/// Eight threads rent and return, make dry runs and batches with a refused operation, while a consumer follows the
/// feed from its checkpoint: it sees every event once, in order, and never a position that skips one (a gap filled
/// later would show as a position it did not expect).
fn a_consumer_follows_eight_writers<B: Backend>() {
    const WRITERS: usize = 8;
    const CYCLES: i64 = 15;
    let b = B::fresh();
    let store = store(&b);
    let shelf = store
        .add_book(&NewBook::new("Shelf", "Many", "regular"), WRITERS as u32)
        .unwrap();
    let customers: Vec<CustomerId> = (0..WRITERS)
        .map(|i| {
            store
                .register_customer(&NewCustomer::new("Reader", format!("{i}")))
                .unwrap()
                .id
        })
        .collect();
    let start = last_position(&store);
    store.set_checkpoint("follower", start).unwrap();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let seen = std::thread::scope(|scope| {
        for customer in &customers {
            let (store, done) = (&store, &done);
            scope.spawn(move || {
                for i in 0..CYCLES {
                    let r = store
                        .rent_book_at(*customer, shelf.id, t(3, 10) + Duration::minutes(i))
                        .unwrap();
                    store
                        .return_rental_at(r.id, t(3, 12) + Duration::minutes(i))
                        .unwrap();
                    // A dry run appends nothing (on PostgreSQL it takes no position: its transaction rolls
                    // back before it would).
                    let dry = store
                        .try_batch(vec![Operation::RegisterCustomer(NewCustomer::new(
                            "Dry",
                            format!("{i}"),
                        ))])
                        .unwrap();
                    assert!(dry[0].is_ok());
                    // A batch whose middle operation is refused: the two others append one event each.
                    let results = store
                        .apply_batch(vec![
                            Operation::RegisterCustomer(NewCustomer::new("Batch", format!("{i}a"))),
                            Operation::UnblockCustomer {
                                customer: CustomerId::new(1_000_000),
                            },
                            Operation::RegisterCustomer(NewCustomer::new("Batch", format!("{i}b"))),
                        ])
                        .unwrap();
                    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
                }
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
        let follower = scope.spawn(|| {
            let mut seen = Vec::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst) == WRITERS;
                let cursor = store.checkpoint("follower").unwrap().unwrap_or(0);
                let page = store.events(Some(cursor), 50, None).unwrap();
                for (expected, event) in (cursor + 1..).zip(&page) {
                    assert_eq!(
                        event.position, expected,
                        "after position {cursor} the feed skipped to {}",
                        event.position
                    );
                }
                match page.last() {
                    Some(last) => {
                        seen.extend(page.iter().map(|e| (e.position, e.kind)));
                        store.set_checkpoint("follower", last.position).unwrap();
                    }
                    // Writers done and nothing left: the whole feed was read.
                    None if finished => return seen,
                    None => std::thread::yield_now(),
                }
            }
        });
        follower.join().unwrap()
    });
    let cycles = WRITERS * CYCLES as usize;
    // Each rent appends one event, each return two (the rental closed, its charge posted), each batch two.
    assert_eq!(seen.len(), cycles * 5);
    let positions: Vec<u64> = seen.iter().map(|(p, _)| *p).collect();
    assert_eq!(
        positions,
        (start + 1..=start + (cycles * 5) as u64).collect::<Vec<_>>()
    );
    let opened = seen
        .iter()
        .filter(|(_, k)| *k == EventKind::RentalOpened)
        .count();
    assert_eq!(opened, cycles);
    assert_eq!(
        store.checkpoint("follower").unwrap(),
        positions.last().copied()
    );
    println!(
        "a consumer followed {WRITERS} writers: {} events, positions {}..={}, in order, none skipped",
        seen.len(),
        start + 1,
        start + (cycles * 5) as u64
    );
}

/// Events and checkpoints survive closing and reopening the store.
fn events_survive_reopening<B: Persistent>() {
    let b = B::fresh();
    let written = {
        let store = store(&b);
        store
            .add_book(&NewBook::new("Emma", "Jane Austen", "regular"), 1)
            .unwrap();
        store.set_checkpoint("mailer", 1).unwrap();
        feed(&store)
    };
    let b = b.reopen();
    let store = store(&b);
    assert_eq!(feed(&store), written);
    assert_eq!(store.checkpoint("mailer").unwrap(), Some(1));
    store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    assert_eq!(since(&store, 2), [(3, "customer.registered")]);
}

/// A backup carries the feed (positions, ids, payloads), its last position past a prune and the checkpoints; a
/// restore keeps them and appends nothing of its own; the restored store goes on from the last position. A
/// migration to another backend compares the feeds record for record.
fn backups_carry_the_feed<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let book = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "regular"), 1)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let rental = store.rent_book_at(ada.id, book.id, t(3, 10)).unwrap();
    store.return_rental_at(rental.id, t(4, 10)).unwrap();
    store.set_checkpoint("mailer", 2).unwrap();
    assert_eq!(store.prune_events(3).unwrap(), 2);
    let written = feed(&store);
    assert_eq!(
        written.iter().map(|e| e.position).collect::<Vec<_>>(),
        [3, 4, 5, 6]
    );

    let mut dump = Vec::new();
    let summary = koko_core::backup::backup(b.storage(), &mut dump).unwrap();
    assert_eq!(
        (
            summary.count("feed"),
            summary.count("event"),
            summary.count("checkpoint")
        ),
        (1, 4, 1)
    );
    let restored = B::fresh();
    koko_core::backup::restore(restored.storage(), dump.as_slice()).unwrap();
    let again = BookStore::open(restored.storage()).unwrap();
    assert_eq!(feed(&again), written);
    assert_eq!(again.checkpoint("mailer").unwrap(), Some(2));
    assert_eq!(again.storage().last_event_position().unwrap(), 6);
    again
        .register_customer(&NewCustomer::new("Bob", "Babbage"))
        .unwrap();
    assert_eq!(since(&again, 6), [(7, "customer.registered")]);

    // Another backend holds the same feed.
    let memory = koko_core::MemoryStorage::new();
    let moved = koko_core::backup::migrate(b.storage(), &memory).unwrap();
    assert_eq!(moved.count("event"), 4);
    assert_eq!(
        BookStore::open(&memory)
            .unwrap()
            .events(None, 100, None)
            .unwrap(),
        written
    );

    // A dump from before the feed (no feed records) restores with an empty feed that starts at 1.
    let text = String::from_utf8(dump).unwrap();
    let old: Vec<&str> = text
        .lines()
        .filter(|line| {
            !line.starts_with("{\"feed\"")
                && !line.starts_with("{\"event\"")
                && !line.starts_with("{\"checkpoint\"")
                && !line.starts_with("{\"end\"")
        })
        .collect();
    let end = koko_core::backup::DumpRecord::End {
        counts: [
            ("book", 1),
            ("copy", 1),
            ("customer", 1),
            ("entry", 1),
            ("plan_version", 1),
            ("rental", 1),
        ]
        .into_iter()
        .map(|(k, n)| (k.to_owned(), n))
        .collect(),
    };
    let old = format!(
        "{}\n{}\n",
        old.join("\n"),
        serde_json::to_string(&end).unwrap()
    );
    let before_feed = B::fresh();
    koko_core::backup::restore(before_feed.storage(), old.as_bytes()).unwrap();
    let old_store = BookStore::open(before_feed.storage()).unwrap();
    assert!(feed(&old_store).is_empty());
    old_store
        .register_customer(&NewCustomer::new("Bob", "Babbage"))
        .unwrap();
    assert_eq!(since(&old_store, 0), [(1, "customer.registered")]);
}

macro_rules! events {
    ($($module:ident => $backend:ident),*) => {
        $(
            mod $module {
                crate::backend_test!($backend, every_operation_appends_its_events);
                crate::backend_test!($backend, refused_operations_append_nothing);
                crate::backend_test!($backend, replays_and_dry_runs_append_nothing);
                crate::backend_test!($backend, checkpoints_hold_back_pruning);
                crate::backend_test!($backend, a_consumer_follows_eight_writers);
                crate::backend_test!($backend, backups_carry_the_feed);
            }
        )*
    };
}

events!(memory => Memory, sled => Sled, sled_interval => SledInterval);
#[cfg(feature = "postgres")]
events!(postgres => Postgres);

#[test]
fn sled_events_survive_reopening() {
    events_survive_reopening::<Sled>();
}

#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn postgres_events_survive_reopening() {
    events_survive_reopening::<Postgres>();
}
