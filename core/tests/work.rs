//! Work, not time: each operation's reads ([`Storage::reads`]: records and index entries visited, rows returned)
//! must not grow with data it does not return. Every case builds a store twice, with `N` and with `4N` of the data
//! the call leaves out, and the call must read exactly as much in both; on every backend. A path that starts to
//! scan what it does not return fails here, on any machine, however fast.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::{
    BookId, BookStore, CustomerId, Decimal, NewBook, NewCustomer, Operation, PricePlan, RentTarget,
    Storage,
};

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Sled};

/// The two sizes of what a case leaves out.
const N: usize = 16;

/// What a call read and how many items it returned.
#[derive(Debug, PartialEq, Eq)]
struct Work {
    reads: u64,
    returned: usize,
}

/// Runs `call` on `store`, counting its reads; `call` answers how many items it returned.
fn measure<S: Storage>(store: &BookStore<S>, call: impl FnOnce(&BookStore<S>) -> usize) -> Work {
    let before = store.storage().reads();
    let returned = call(store);
    Work {
        reads: store.storage().reads() - before,
        returned,
    }
}

/// The case's call (`case` builds a store with `n` of the data its call does not return, then measures the call)
/// must read as much beside `4 * N` left-out items as beside `N`, and return as many.
fn flat<B: Backend>(case: impl Fn(&BookStore<&B::S>, usize) -> Work) {
    let at = |n: usize| {
        let backend = B::fresh();
        let store = BookStore::with_default_plan(backend.storage(), plan()).expect("a store");
        case(&store, n)
    };
    let (small, large) = (at(N), at(4 * N));
    assert!(
        small.reads > 0,
        "the call read nothing: the case measures nothing"
    );
    assert_eq!(
        small,
        large,
        "beside {N} and {} items it does not return",
        4 * N
    );
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap()
}

/// Story 3 with loans, notices and holds: regular books are due after 7 days; due-soon notices 2 days before.
fn plan() -> PricePlan {
    let mut plan: serde_json::Value = serde_json::from_str(&PricePlan::story3().to_json()).unwrap();
    plan["categories"]["regular"]["late_fee"] =
        serde_json::json!({"loan_days": 7, "per_day": "0.25"});
    plan["categories"]["regular"]["renewals"] = serde_json::json!({"max": 2, "from": "due_date"});
    plan["notices"] = serde_json::json!({"due_soon_days": 2, "overdue_days": [1, 7]});
    plan["holds"] = serde_json::json!({"pickup_days": 2});
    PricePlan::from_json(&plan.to_string()).unwrap()
}

/// Runs `ops` as one batch, each of which must be accepted.
fn batch<S: Storage>(store: &BookStore<S>, ops: Vec<Operation>) -> Vec<koko_core::Outcome> {
    store
        .apply_batch(ops)
        .expect("the batch")
        .into_iter()
        .collect::<koko_core::Result<Vec<_>>>()
        .expect("every operation accepted")
}

/// `n` new regular books, each with `copies` copies.
fn books<S: Storage>(store: &BookStore<S>, tag: &str, n: usize, copies: u32) -> Vec<BookId> {
    books_of(store, tag, "regular", n, copies)
}

/// `n` new books of `category`, each with `copies` copies.
fn books_of<S: Storage>(
    store: &BookStore<S>,
    tag: &str,
    category: &str,
    n: usize,
    copies: u32,
) -> Vec<BookId> {
    let ops = (0..n)
        .map(|i| Operation::AddBook {
            book: NewBook::new(format!("{tag} {i}"), "Author", category),
            copies,
        })
        .collect();
    batch(store, ops)
        .into_iter()
        .map(|o| match o {
            koko_core::Outcome::Book { book, .. } => book.id,
            other => panic!("a book, not {other:?}"),
        })
        .collect()
}

/// `n` new customers.
fn customers<S: Storage>(store: &BookStore<S>, tag: &str, n: usize) -> Vec<CustomerId> {
    let ops = (0..n)
        .map(|i| Operation::RegisterCustomer(NewCustomer::new(tag, format!("{i}"))))
        .collect();
    batch(store, ops)
        .into_iter()
        .map(|o| match o {
            koko_core::Outcome::Customer(c) => c.id,
            other => panic!("a customer, not {other:?}"),
        })
        .collect()
}

/// `n` customers of the background, each of whom rented a book and returned it a day later and paid for it.
fn history<S: Storage>(store: &BookStore<S>, n: usize) {
    let shelf = books(store, "History", 1, 1)[0];
    for customer in customers(store, "Past", n) {
        let rental = store
            .rent_book_at(customer, shelf, t0() - Duration::days(30))
            .expect("rent");
        store
            .return_rental_at(rental.id, t0() - Duration::days(29))
            .expect("return");
        store
            .pay(customer, Decimal::new(100, 2), None)
            .expect("pay");
    }
}

/// `n` rentals of `customer` (a book of their own each time), each returned a day later and paid for.
fn own_history<S: Storage>(store: &BookStore<S>, customer: CustomerId, n: usize) {
    let shelf = books(store, "Own", 1, 1)[0];
    for i in 0..n {
        let at = t0() - Duration::days(60) + Duration::hours(i as i64);
        let rental = store.rent_book_at(customer, shelf, at).expect("rent");
        store
            .return_rental_at(rental.id, at + Duration::minutes(30))
            .expect("return");
        store
            .pay(customer, Decimal::new(100, 2), None)
            .expect("pay");
    }
}

/// `n` books of one copy each, each copy set aside for a new customer's hold (ready holds store-wide), placed at
/// `at` (so their pickup ends 2 days later).
fn ready_elsewhere<S: Storage>(store: &BookStore<S>, n: usize, at: DateTime<Utc>) {
    let shelf = books(store, "Elsewhere", n, 1);
    let readers = customers(store, "Elsewhere", n);
    let holds = shelf
        .iter()
        .zip(&readers)
        .map(|(book, customer)| Operation::PlaceHold {
            customer: *customer,
            book: *book,
            at,
        })
        .collect();
    batch(store, holds);
}

/// 5 rentals overdue at `t0()` (due 3 days before) and `n` open rentals not yet due (due 7 days after), of one
/// customer.
fn overdue_and_not_due<S: Storage>(store: &BookStore<S>, n: usize) {
    let reader = customers(store, "Late", 1)[0];
    late_and_fresh(store, reader, 5, n);
}

/// `late` rentals of `reader` overdue at `t0()` (due 3 days before) and `n` not yet due (due 7 days after).
fn late_and_fresh<S: Storage>(store: &BookStore<S>, reader: CustomerId, late: u32, n: usize) {
    let shelf = books(store, "Late", 1, late)[0];
    for _ in 0..late {
        store
            .rent_book_at(reader, shelf, t0() - Duration::days(10))
            .expect("rent");
    }
    let fresh = books(store, "Fresh", 1, n as u32)[0];
    let rents = (0..n)
        .map(|_| Operation::Rent {
            target: RentTarget::Book(fresh),
            customer: reader,
            at: t0(),
        })
        .collect();
    batch(store, rents);
}

#[path = "work/accounts.rs"]
mod accounts;
#[path = "work/catalogue.rs"]
mod catalogue;
#[path = "work/events.rs"]
mod events;
#[path = "work/holds.rs"]
mod holds;
#[path = "work/rentals.rs"]
mod rentals;

mod cases {
    use super::*;

    /// A hold placed and a book rented by a customer with `n` other holds waiting (row 18c's batches of holds): the
    /// checks find the customer's hold on that book, not all of theirs.
    pub fn hold_and_rent_beside_own_waiting_holds<S: Storage>(
        store: &BookStore<S>,
        n: usize,
    ) -> Work {
        let reader = customers(store, "Keen", 1)[0];
        let gone = books(store, "Keen gone", n, 1);
        let mut ops = Vec::new();
        for book in &gone {
            let copy = store.storage().copies_of(*book).expect("copies")[0].id;
            ops.push(Operation::SetWithdrawn {
                copy,
                withdrawn: true,
                at: None,
            });
            ops.push(Operation::PlaceHold {
                customer: reader,
                book: *book,
                at: t0(),
            });
        }
        batch(store, ops);
        let wanted = books(store, "Keen wanted", 2, 1);
        measure(store, |store| {
            let hold = store.place_hold_at(reader, wanted[0], t0()).expect("hold");
            assert_eq!(hold.status, koko_core::HoldStatus::Ready);
            store.rent_book_at(reader, wanted[1], t0()).expect("rent");
            2
        })
    }

    /// A page of a customer's open rentals (20) and their account (its count of open rentals), beside `n` rentals
    /// they returned (row 7 of the scaling issue; the closed part of row 16).
    pub fn open_rentals_beside_own_closed_ones<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
        let reader = customers(store, "Regular", 1)[0];
        own_history(store, reader, n);
        let shelf = books(store, "Regular now", 1, 25)[0];
        let rents = (0..25)
            .map(|_| Operation::Rent {
                target: RentTarget::Book(shelf),
                customer: reader,
                at: t0(),
            })
            .collect();
        batch(store, rents);
        let query = koko_core::RentalQuery {
            status: Some(koko_core::RentalStatus::Active),
            customer: Some(reader),
            overdue_at: None,
        };
        measure(store, |store| {
            let page = store.find_rentals(&query, None, 20).expect("page");
            assert_eq!(page.len(), 20);
            let rest = store
                .find_rentals(&query, Some(page[19].id), 20)
                .expect("rest");
            assert_eq!(rest.len(), 5);
            let open = store
                .storage()
                .account(reader)
                .expect("account")
                .open_rentals;
            assert_eq!(open, 25);
            page.len() + rest.len()
        })
    }

    /// The overdue rentals (5), as a listing and as a page of the rental search, beside `n` open rentals not yet
    /// due (row 9 of the scaling issue).
    pub fn overdue_beside_rentals_not_due<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
        overdue_and_not_due(store, n);
        let at = t0() + Duration::hours(1);
        measure(store, |store| {
            let listed = store.overdue_rentals(at).expect("overdue").count();
            let query = koko_core::RentalQuery {
                overdue_at: Some(at),
                ..Default::default()
            };
            let page = store.find_rentals(&query, None, 20).expect("page").len();
            assert_eq!((listed, page), (5, 5));
            listed + page
        })
    }

    /// `notices(at)` returning the 5 overdue rentals' reminders, beside `n` open rentals not due soon (row 2).
    pub fn notices_beside_rentals_not_due<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
        overdue_and_not_due(store, n);
        measure(store, |store| {
            let notices = store.notices(t0() + Duration::hours(1)).expect("notices");
            assert_eq!(notices.len(), 5);
            notices.len()
        })
    }

    /// A book's queue of one ready hold, beside `n` ready holds on other books (row 14 of the scaling issue).
    pub fn book_holds_beside_ready_holds_elsewhere<S: Storage>(
        store: &BookStore<S>,
        n: usize,
    ) -> Work {
        ready_elsewhere(store, n, t0());
        let book = books(store, "Queue", 1, 1)[0];
        let reader = customers(store, "Queue", 1)[0];
        store.place_hold_at(reader, book, t0()).expect("hold");
        measure(store, |store| store.book_holds(book).expect("queue").len())
    }

    /// An expiry that expires one hold, beside `n` ready holds whose pickup has not ended (row 15).
    pub fn expiry_beside_ready_holds_not_due<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
        let book = books(store, "Expiring", 1, 1)[0];
        let reader = customers(store, "Expiring", 1)[0];
        store.place_hold_at(reader, book, t0()).expect("hold");
        ready_elsewhere(store, n, t0() + Duration::days(2));
        measure(store, |store| {
            let expired = store
                .expire_holds_at(t0() + Duration::days(3))
                .expect("expire");
            assert_eq!(expired.len(), 1);
            expired.len()
        })
    }

    /// A hold placed by a customer who placed and cancelled `n` holds before (row 4, the closed holds).
    pub fn hold_beside_own_cancelled_holds<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
        let reader = customers(store, "Fickle", 1)[0];
        let shelf = books(store, "Fickle", n + 1, 1);
        for book in &shelf[1..] {
            let hold = store.place_hold_at(reader, *book, t0()).expect("hold");
            store
                .cancel_hold_at(hold.id, t0() + Duration::hours(1))
                .expect("cancel");
        }
        measure(store, |store| {
            let hold = store
                .place_hold_at(reader, shelf[0], t0() + Duration::days(1))
                .expect("hold");
            assert_eq!(hold.status, koko_core::HoldStatus::Ready);
            1
        })
    }

    /// A lost rental and a damaged return, each answering its receipt, beside `n` earlier rentals and payments of
    /// the same customer (row 3 of the scaling issue): the receipt reads the rental's own entries.
    pub fn lost_and_damaged_beside_own_history<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
        let customer = customers(store, "Careless", 1)[0];
        own_history(store, customer, n);
        let lost_book = store
            .add_book(&NewBook::new("Lost", "Author", "novel"), 1)
            .expect("book")
            .id;
        let torn_book = books(store, "Torn", 1, 1)[0];
        let lost = store.rent_book_at(customer, lost_book, t0()).expect("rent");
        let torn = store.rent_book_at(customer, torn_book, t0()).expect("rent");
        let mut receipts = Vec::new();
        let work = measure(store, |store| {
            receipts.push(
                store
                    .declare_lost_at(lost.id, t0() + Duration::days(3))
                    .expect("lost"),
            );
            receipts.push(
                store
                    .return_damaged_at(
                        torn.id,
                        t0() + Duration::days(3),
                        Decimal::new(250, 2),
                        "torn",
                    )
                    .expect("damaged"),
            );
            2
        });
        // Each receipt's balance is the one after the last entry its operation posted.
        let entries = store.account(customer).expect("account").entries;
        for receipt in &receipts {
            let last = entries
                .iter()
                .rev()
                .find(|e| e.rental == Some(receipt.rental.id))
                .map(|e| e.balance_after);
            assert_eq!(Some(receipt.balance), last);
        }
        work
    }

    /// A page of the event feed (the 5 events after a consumer's checkpoint), beside `n` older events before it
    /// and a checkpoint stored and read: a consumer's poll costs what it returns, however long the feed.
    pub fn feed_page_beside_older_events<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
        customers(store, "Old", n);
        let seen = store.storage().last_event_position().expect("the feed");
        store.set_checkpoint("poller", seen).expect("a checkpoint");
        customers(store, "New", 5);
        measure(store, |store| {
            let after = store.checkpoint("poller").expect("the checkpoint");
            let page = store.events(after, 100, None).expect("the page");
            page.len()
        })
    }

    /// Rents a book, renews the rental, returns it and pays, beside `n` other customers' closed rentals and
    /// payments: the single writes of a day at the counter.
    pub fn single_writes<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
        history(store, n);
        let book = books(store, "Counter", 1, 1)[0];
        let customer = customers(store, "Now", 1)[0];
        measure(store, |store| {
            let rental = store.rent_book_at(customer, book, t0()).expect("rent");
            store
                .renew_at(rental.id, t0() + Duration::days(1))
                .expect("renew");
            store
                .return_rental_at(rental.id, t0() + Duration::days(2))
                .expect("return");
            store
                .pay(customer, Decimal::new(500, 2), None)
                .expect("pay");
            4
        })
    }

    /// `notices(at)` returning 5 hold-ready notices, beside `n` holds waiting for one book and `n` waiting for as
    /// many other books (rows 1 and 1b of the scaling issue).
    pub fn notices_beside_waiting_holds<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
        let ready_books = books(store, "Ready", 5, 1);
        let readers = customers(store, "Reader", 5);
        let hold_ops = ready_books
            .iter()
            .zip(&readers)
            .map(|(book, customer)| Operation::PlaceHold {
                customer: *customer,
                book: *book,
                at: t0(),
            })
            .collect();
        batch(store, hold_ops);
        // Books whose only copy is withdrawn: every hold on them waits.
        let gone = books(store, "Gone", n + 1, 1);
        let mut withdraw = Vec::new();
        for book in &gone {
            let copy = store.storage().copies_of(*book).expect("copies")[0].id;
            withdraw.push(Operation::SetWithdrawn {
                copy,
                withdrawn: true,
                at: None,
            });
        }
        batch(store, withdraw);
        let waiting = customers(store, "Waiting", n);
        let mut holds = Vec::new();
        for (i, customer) in waiting.iter().enumerate() {
            // Each waits for the first book (one long queue) and for a book of its own.
            holds.push(Operation::PlaceHold {
                customer: *customer,
                book: gone[0],
                at: t0(),
            });
            holds.push(Operation::PlaceHold {
                customer: *customer,
                book: gone[i + 1],
                at: t0(),
            });
        }
        batch(store, holds);
        measure(store, |store| {
            let notices = store.notices(t0() + Duration::hours(1)).expect("notices");
            assert_eq!(notices.len(), 5);
            notices.len()
        })
    }
}

/// Declares each case as a test generic over the backend, and instantiates them all on each backend.
macro_rules! work {
    ($($module:ident::$case:ident),* $(,)?) => {
        $(
            fn $case<B: Backend>() {
                flat::<B>(|store, n| $module::$case(store, n));
            }
        )*
        mod memory {
            $(crate::backend_test!(Memory, $case);)*
        }
        mod sled {
            $(crate::backend_test!(Sled, $case);)*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(crate::backend_test!(Postgres, $case);)*
        }
    };
}

work!(
    cases::single_writes,
    cases::feed_page_beside_older_events,
    events::feed_page_of_types_beside_other_types,
    cases::notices_beside_waiting_holds,
    cases::lost_and_damaged_beside_own_history,
    cases::book_holds_beside_ready_holds_elsewhere,
    cases::expiry_beside_ready_holds_not_due,
    cases::hold_beside_own_cancelled_holds,
    cases::hold_and_rent_beside_own_waiting_holds,
    cases::open_rentals_beside_own_closed_ones,
    cases::overdue_beside_rentals_not_due,
    cases::notices_beside_rentals_not_due,
    catalogue::category_page_beside_other_categories,
    catalogue::shelf_page_beside_books_without_copies,
    catalogue::copies_on_shelf_beside_rented_copies,
    rentals::closed_page_beside_open_and_lost_rentals,
    rentals::revenue_of_a_day_beside_other_days,
    accounts::statements_beside_older_and_newer_entries,
    accounts::aged_balances_beside_customers_who_owe_nothing,
    accounts::rent_with_limits_beside_own_open_rentals,
    holds::hold_places_beside_a_long_queue,
);

#[test]
fn a_scan_of_what_is_not_returned_is_seen() {
    // The counter itself: listing every rental reads each, so it grows with them (the opposite of a case).
    let read_all = |n: usize| {
        let store = BookStore::in_memory(plan()).expect("a store");
        history(&store, n);
        measure(&store, |store| store.rentals().expect("rentals").count()).reads
    };
    assert!(read_all(4 * N) > read_all(N));
}
