//! One conformance suite for every storage backend: the same test functions, instantiated per backend by
//! `conformance!` at the bottom. A new backend adds one line there.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::{
    Book, BookCopy, BookId, BookStore, BookUpdate, CopyStatus, Customer, CustomerUpdate, Error,
    NewBook, NewCustomer, PlanVersion, PricePlan, Rental, RentalId, Storage,
};

/// Makes fresh stores of one backend, and reopens them where the backend persists.
mod common;

use common::{Backend, Memory, Persistent, Sled, SledInterval};
#[cfg(feature = "postgres")]
use common::{Postgres, PostgresReplicaDown};

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, hour, 0, 0).unwrap()
}

fn store<B: Backend>(backend: &B) -> BookStore<&B::S> {
    BookStore::with_default_plan(backend.storage(), PricePlan::story3()).expect("store")
}

/// A novel with `copies` copies and a customer to rent it.
fn emma_and_ada<S: Storage>(store: &BookStore<S>, copies: u32) -> (Book, Customer) {
    let book = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "novel"), copies)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    (book, ada)
}

/// Everything a store holds, for "nothing changed" comparisons.
#[derive(Debug, PartialEq)]
struct Snapshot {
    books: Vec<Book>,
    copies: Vec<BookCopy>,
    customers: Vec<Customer>,
    rentals: Vec<Rental>,
    active: Vec<RentalId>,
    plans: Vec<PlanVersion>,
}

fn snapshot<S: Storage>(s: &S) -> Snapshot {
    let books: Vec<Book> = s.books().unwrap().map(Result::unwrap).collect();
    let copies = books
        .iter()
        .flat_map(|b| s.copies_of(b.id).unwrap())
        .collect();
    Snapshot {
        copies,
        books,
        customers: s.customers().unwrap().map(Result::unwrap).collect(),
        rentals: s.rentals().unwrap().map(Result::unwrap).collect(),
        active: s.active_rentals().unwrap().map(|r| r.unwrap().id).collect(),
        plans: s.plan_versions().unwrap(),
    }
}

/// Every copy marked rented has exactly one open rental and every open rental holds its copy.
fn assert_copies_match_rentals<S: Storage>(s: &S) {
    let snap = snapshot(s);
    let open: BTreeMap<_, _> = snap
        .rentals
        .iter()
        .filter(|r| r.returned_at.is_none())
        .map(|r| (r.id, r.copy))
        .collect();
    let mut open_per_copy: BTreeMap<_, usize> = BTreeMap::new();
    for copy in open.values() {
        *open_per_copy.entry(*copy).or_default() += 1;
    }
    for copy in &snap.copies {
        let n = open_per_copy.get(&copy.id).copied().unwrap_or(0);
        match copy.status {
            CopyStatus::Rented(rental) => {
                assert_eq!(n, 1, "copy {} is rented but has {n} open rentals", copy.id);
                assert_eq!(open.get(&rental), Some(&copy.id));
            }
            _ => assert_eq!(
                n, 0,
                "copy {} is not rented but has {n} open rentals",
                copy.id
            ),
        }
    }
    let active: BTreeSet<_> = snap.active.iter().copied().collect();
    assert_eq!(active, open.keys().copied().collect(), "active index");
}

fn rent_and_close_are_atomic<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let book = store
        .add_book(&NewBook::new("Dune", "Frank Herbert", "regular"), 1)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let rental = store.rent_book_at(ada.id, book.id, t(1, 10)).unwrap();
    assert_eq!(store.available_copies(book.id).unwrap(), 0);
    assert_eq!(
        b.storage().copy(rental.copy).unwrap().status,
        CopyStatus::Rented(rental.id)
    );
    assert_eq!(store.rental(rental.id).unwrap(), rental);

    let receipt = store.return_rental_at(rental.id, t(4, 10)).unwrap();
    assert_eq!(receipt.charge.total.to_string(), "3.50");
    assert_eq!(receipt.rental.returned_at, Some(t(4, 10)));
    assert_eq!(
        store.rental(rental.id).unwrap().charge,
        Some(receipt.charge.clone())
    );
    assert_eq!(store.available_copies(book.id).unwrap(), 1);
    assert_eq!(store.active_rentals().unwrap().count(), 0);
    assert_copies_match_rentals(b.storage());
}

fn close_twice_is_already_returned_and_changes_nothing<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let (book, ada) = emma_and_ada(&store, 1);
    let rental = store.rent_book_at(ada.id, book.id, t(1, 10)).unwrap();
    store.return_rental_at(rental.id, t(3, 10)).unwrap();
    let before = snapshot(b.storage());
    let err = store.return_rental_at(rental.id, t(9, 10)).unwrap_err();
    assert!(
        matches!(err, Error::AlreadyReturned { rental } if rental == 1),
        "{err:?}"
    );
    assert_eq!(snapshot(b.storage()), before);
}

fn unavailable_when_no_copy_is_free<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let (book, ada) = emma_and_ada(&store, 2);
    let first = store.rent_book_at(ada.id, book.id, t(1, 10)).unwrap();
    let second = store.rent_book_at(ada.id, book.id, t(1, 11)).unwrap();
    assert_ne!(first.copy, second.copy);
    let before = snapshot(b.storage());
    let err = store.rent_book_at(ada.id, book.id, t(1, 12)).unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    let err = store
        .rent_copy_at(ada.id, first.copy, t(1, 12))
        .unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    assert_eq!(snapshot(b.storage()), before);
}

fn withdrawn_copies_are_not_rented<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let (book, ada) = emma_and_ada(&store, 1);
    let copy = store.copies(book.id).unwrap()[0].id;
    store.withdraw_copy(copy).unwrap();
    assert!(matches!(
        store.rent_book_at(ada.id, book.id, t(1, 1)),
        Err(Error::Unavailable { .. })
    ));
    store.reinstate_copy(copy).unwrap();
    let rental = store.rent_copy_at(ada.id, copy, t(1, 2)).unwrap();
    let before = snapshot(b.storage());
    assert!(matches!(
        store.withdraw_copy(copy),
        Err(Error::Unavailable { .. })
    ));
    assert_eq!(snapshot(b.storage()), before);
    store.return_rental_at(rental.id, t(2, 2)).unwrap();
}

fn unknown_ids_are_not_found<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let (book, ada) = emma_and_ada(&store, 1);
    let before = snapshot(b.storage());
    let nowhere = koko_core::BookId::new(999);
    let nobody = koko_core::CustomerId::new(999);
    for err in [
        store.book(nowhere).unwrap_err(),
        store.customer(nobody).unwrap_err(),
        store.rental(RentalId::new(999)).unwrap_err(),
        store.rent_book_at(ada.id, nowhere, t(1, 1)).unwrap_err(),
        store.rent_book_at(nobody, book.id, t(1, 1)).unwrap_err(),
        store
            .rent_copy_at(ada.id, koko_core::CopyId::new(999), t(1, 1))
            .unwrap_err(),
        store
            .return_rental_at(RentalId::new(999), t(1, 1))
            .unwrap_err(),
        store.add_copies(nowhere, 1).unwrap_err(),
        store
            .update_book(nowhere, &BookUpdate::default())
            .unwrap_err(),
        store
            .update_customer(nobody, &CustomerUpdate::default())
            .unwrap_err(),
        store.customer_rentals(nobody).map(|_| ()).unwrap_err(),
        store.copies(nowhere).unwrap_err(),
    ] {
        assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    }
    assert_eq!(snapshot(b.storage()), before);
}

fn inactive_customer_cannot_rent<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let (book, ada) = emma_and_ada(&store, 1);
    let open = store.rent_book_at(ada.id, book.id, t(1, 1)).unwrap();
    store.deactivate_customer(ada.id).unwrap();
    store.add_copies(book.id, 1).unwrap();
    let before = snapshot(b.storage());
    let err = store.rent_book_at(ada.id, book.id, t(1, 2)).unwrap_err();
    assert!(
        matches!(err, Error::InactiveCustomer { customer } if customer == ada.id.get()),
        "{err:?}"
    );
    assert_eq!(snapshot(b.storage()), before);
    // An inactive customer can still bring back what they have.
    store.return_rental_at(open.id, t(2, 1)).unwrap();
    store.activate_customer(ada.id).unwrap();
    store.rent_book_at(ada.id, book.id, t(3, 1)).unwrap();
}

fn duplicates_are_rejected<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    store
        .add_book(
            &NewBook::new("The Hobbit", "Tolkien", "novel").with_isbn("978-0-261-10221-7"),
            1,
        )
        .unwrap();
    let other = store
        .add_book(&NewBook::new("Emma", "Austen", "novel"), 1)
        .unwrap();
    let before = snapshot(b.storage());
    let err = store
        .add_book(&NewBook::new("  the HOBBIT ", "Someone", "regular"), 1)
        .unwrap_err();
    assert!(
        matches!(err, Error::Duplicate { field: "title", .. }),
        "{err:?}"
    );
    let err = store
        .add_book(
            &NewBook::new("Another", "X", "regular").with_isbn("9780261102217"),
            1,
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Duplicate { field: "isbn", .. }),
        "{err:?}"
    );
    let rename = BookUpdate {
        title: Some("The hobbit".into()),
        ..BookUpdate::default()
    };
    let err = store.update_book(other.id, &rename).unwrap_err();
    assert!(
        matches!(err, Error::Duplicate { field: "title", .. }),
        "{err:?}"
    );
    assert_eq!(snapshot(b.storage()), before);
    // Renaming frees the old title.
    let rename = BookUpdate {
        title: Some("Emma (annotated)".into()),
        ..BookUpdate::default()
    };
    store.update_book(other.id, &rename).unwrap();
    store
        .add_book(&NewBook::new("emma", "Austen", "novel"), 1)
        .unwrap();
}

/// An e-mail address is a customer's natural key: a second customer with it (case ignored) is refused on
/// `email`, on registration and on a change, and changes nothing; a changed address frees the old one.
fn an_email_address_belongs_to_one_customer<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace").with_email("ada@example.org"))
        .unwrap();
    let alan = store
        .register_customer(&NewCustomer::new("Alan", "Turing").with_email("alan@example.org"))
        .unwrap();
    let grace = store
        .register_customer(&NewCustomer::new("Grace", "Hopper"))
        .unwrap();
    let before = snapshot(b.storage());
    let err = store
        .register_customer(&NewCustomer::new("Augusta", "King").with_email(" ADA@Example.org "))
        .unwrap_err();
    assert!(
        matches!(err, Error::Duplicate { field: "email", .. }),
        "{err:?}"
    );
    for who in [alan.id, grace.id] {
        let take = CustomerUpdate {
            email: Some(Some("Ada@example.org".into())),
            ..CustomerUpdate::default()
        };
        let err = store.update_customer(who, &take).unwrap_err();
        assert!(
            matches!(err, Error::Duplicate { field: "email", .. }),
            "{err:?}"
        );
    }
    assert_eq!(snapshot(b.storage()), before);
    // Ada may write her own address another way; changing it frees the old one for someone else.
    let recased = CustomerUpdate {
        email: Some(Some("ADA@example.org".into())),
        ..CustomerUpdate::default()
    };
    store.update_customer(ada.id, &recased).unwrap();
    let moved = CustomerUpdate {
        email: Some(Some("countess@example.org".into())),
        ..CustomerUpdate::default()
    };
    store.update_customer(ada.id, &moved).unwrap();
    let augusta = store
        .register_customer(&NewCustomer::new("Augusta", "King").with_email("ada@example.org"))
        .unwrap();
    // Dropping an address frees it too.
    let dropped = CustomerUpdate {
        email: Some(None),
        ..CustomerUpdate::default()
    };
    store.update_customer(augusta.id, &dropped).unwrap();
    store
        .update_customer(
            grace.id,
            &CustomerUpdate {
                email: Some(Some("ada@example.org".into())),
                ..CustomerUpdate::default()
            },
        )
        .unwrap();
    // The address finds its owner, case and spaces ignored; a freed address finds no one, a moved one its new
    // owner.
    let found = |email: &str| store.customer_by_email(email).unwrap().map(|c| c.id);
    assert_eq!(found(" COUNTESS@example.org"), Some(ada.id));
    assert_eq!(found("ada@example.org"), Some(grace.id));
    assert_eq!(found("alan@Example.org"), Some(alan.id));
    assert_eq!(found("augusta@example.org"), None);
    assert_eq!(
        store
            .customer_by_email("countess@example.org")
            .unwrap()
            .map(|c| c.first_name),
        Some("Ada".to_owned())
    );
}

fn listings_stream_in_id_order<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let bob = store
        .register_customer(&NewCustomer::new("Bob", "Babbage"))
        .unwrap();
    let mut mine = Vec::new();
    for i in 0..1200u32 {
        let book = store
            .add_book(&NewBook::new(format!("Title {i}"), "Author", "regular"), 1)
            .unwrap();
        let who = if i % 3 == 0 { ada.id } else { bob.id };
        let rental = store.rent_book_at(who, book.id, t(1, 1)).unwrap();
        if who == ada.id {
            mine.push(rental.id);
        }
        if i % 2 == 0 {
            store.return_rental_at(rental.id, t(2, 1)).unwrap();
        }
    }
    let active: Vec<RentalId> = store
        .active_rentals()
        .unwrap()
        .map(|r| r.unwrap().id)
        .collect();
    assert_eq!(active.len(), 600);
    assert!(
        active.windows(2).all(|w| w[0] < w[1]),
        "active rentals in id order"
    );
    let history: Vec<RentalId> = store
        .customer_rentals(ada.id)
        .unwrap()
        .map(|r| r.unwrap().id)
        .collect();
    assert_eq!(history, mine);
    let books: Vec<BookId> = store.books().unwrap().map(|b| b.unwrap().id).collect();
    assert_eq!(books.len(), 1200);
    assert!(books.windows(2).all(|w| w[0] < w[1]));
    assert_copies_match_rentals(b.storage());
}

fn ids_are_never_reused<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let a = store
        .add_book(&NewBook::new("A", "X", "regular"), 2)
        .unwrap();
    let err = store
        .add_book(&NewBook::new("a", "X", "regular"), 1)
        .unwrap_err();
    assert!(matches!(err, Error::Duplicate { .. }));
    let c = store
        .add_book(&NewBook::new("C", "X", "regular"), 1)
        .unwrap();
    assert_eq!(
        (a.id.get(), c.id.get()),
        (1, 2),
        "a failed insert consumes no id"
    );
    let copies: Vec<u64> = [a.id, c.id]
        .iter()
        .flat_map(|id| store.copies(*id).unwrap())
        .map(|c| c.id.get())
        .collect();
    assert_eq!(copies, [1, 2, 3]);
}

fn plan_versions_price_rentals_opened_under_them<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let (book, ada) = emma_and_ada(&store, 2);
    let old = store.rent_book_at(ada.id, book.id, t(1, 10)).unwrap();
    let v2 = store.publish_plan(PricePlan::story2(), t(5, 0)).unwrap();
    let err = store
        .publish_plan(PricePlan::story1(), t(5, 0))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Duplicate {
                field: "effective_from",
                ..
            }
        ),
        "{err:?}"
    );
    let new = store.rent_book_at(ada.id, book.id, t(6, 10)).unwrap();
    assert_eq!(new.plan_version, v2.id);
    assert_ne!(old.plan_version, v2.id);
    // Both returned after 2 days: story3 novel has a 4.50 minimum, story2 novel is 1.50 a day.
    let old_receipt = store.return_rental_at(old.id, t(3, 10)).unwrap();
    let new_receipt = store.return_rental_at(new.id, t(8, 10)).unwrap();
    assert_eq!(old_receipt.charge.total.to_string(), "4.50");
    assert_eq!(new_receipt.charge.total.to_string(), "3.00");
    assert_eq!(b.storage().plan_versions().unwrap().len(), 2);
}

fn failed_close_changes_nothing<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let (book, ada) = emma_and_ada(&store, 1);
    let rental = store.rent_book_at(ada.id, book.id, t(10, 10)).unwrap();
    let before = snapshot(b.storage());
    let err = store.return_rental_at(rental.id, t(9, 10)).unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput { ref field, .. } if field == "returned_at"),
        "{err:?}"
    );
    assert_eq!(snapshot(b.storage()), before);
}

fn reopen_finds_everything<B: Persistent>() {
    let b = B::fresh();
    let (before, open_id) = {
        let store = store(&b);
        let book = store
            .add_book(
                &NewBook::new("Emma", "Austen", "novel").with_isbn("0-306-40615-2"),
                3,
            )
            .unwrap();
        let ada = store
            .register_customer(&NewCustomer::new("Ada", "Lovelace").with_email("ada@example.org"))
            .unwrap();
        let closed = store.rent_book_at(ada.id, book.id, t(1, 10)).unwrap();
        store.return_rental_at(closed.id, t(3, 10)).unwrap();
        let open = store.rent_book_at(ada.id, book.id, t(4, 10)).unwrap();
        store.publish_plan(PricePlan::story2(), t(20, 0)).unwrap();
        (snapshot(b.storage()), open.id)
    };
    let b = b.reopen();
    assert_eq!(snapshot(b.storage()), before);
    let store = store(&b);
    assert_eq!(
        store.plan_versions().len(),
        2,
        "the default plan is not added again"
    );
    // Counters continue: new ids follow the old ones.
    let next = store
        .add_book(&NewBook::new("Dune", "Herbert", "fiction"), 1)
        .unwrap();
    assert_eq!(next.id.get(), 2);
    let receipt = store.return_rental_at(open_id, t(6, 10)).unwrap();
    assert_eq!(receipt.charge.total.to_string(), "4.50");
    assert!(matches!(
        store.add_book(&NewBook::new("EMMA", "x", "novel"), 1),
        Err(Error::Duplicate { .. })
    ));
    assert_copies_match_rentals(b.storage());
}

/// 8 threads race to rent 100 single-copy books, 10,000 rent attempts in all, returning some as they go.
/// A copy held by two open rentals at once is a double rental; there must be none.
fn contention_never_double_rents<B: Backend>()
where
    B::S: 'static,
{
    const THREADS: usize = 8;
    const BOOKS: u64 = 100;
    const ATTEMPTS: usize = 10_000;
    let b = B::fresh();
    let store = Arc::new(store(&b));
    let mut books = Vec::new();
    for i in 0..BOOKS {
        books.push(
            store
                .add_book(&NewBook::new(format!("Book {i}"), "A", "regular"), 1)
                .unwrap()
                .id,
        );
    }
    let customers: Vec<_> = (0..THREADS)
        .map(|i| {
            store
                .register_customer(&NewCustomer::new(format!("C{i}"), "X"))
                .unwrap()
                .id
        })
        .collect();
    // holder[copy] = the rental that holds it, as the renting threads saw it (0 = none).
    let holders: Vec<AtomicU64> = (0..=BOOKS).map(|_| AtomicU64::new(0)).collect();
    let (rented, unavailable, returned, doubles) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let clock = AtomicU64::new(0);
    let now = || t(1, 0) + Duration::seconds(clock.fetch_add(1, Ordering::SeqCst) as i64);
    std::thread::scope(|scope| {
        for (thread, customer) in customers.iter().enumerate() {
            let (store, books, holders) = (&store, &books, &holders);
            let (rented, unavailable, returned, doubles, now) =
                (&rented, &unavailable, &returned, &doubles, &now);
            scope.spawn(move || {
                let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (thread as u64 + 1);
                let mut next = move || {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    rng
                };
                let mut mine: Vec<Rental> = Vec::new();
                let mut attempts = 0;
                while attempts < ATTEMPTS / THREADS {
                    if !mine.is_empty() && next() % 3 == 0 {
                        let rental = mine.swap_remove((next() % mine.len() as u64) as usize);
                        let held = holders[rental.copy.get() as usize].swap(0, Ordering::SeqCst);
                        assert_eq!(held, rental.id.get(), "holder of copy {}", rental.copy);
                        store.return_rental_at(rental.id, now()).unwrap();
                        returned.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    attempts += 1;
                    let book = books[(next() % BOOKS) as usize];
                    match store.rent_book_at(*customer, book, now()) {
                        Ok(rental) => {
                            rented.fetch_add(1, Ordering::Relaxed);
                            let slot = &holders[rental.copy.get() as usize];
                            if slot
                                .compare_exchange(
                                    0,
                                    rental.id.get(),
                                    Ordering::SeqCst,
                                    Ordering::SeqCst,
                                )
                                .is_err()
                            {
                                doubles.fetch_add(1, Ordering::Relaxed);
                            }
                            mine.push(rental);
                        }
                        Err(Error::Unavailable { .. }) => {
                            unavailable.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(other) => panic!("unexpected error: {other:?}"),
                    }
                }
            });
        }
    });
    let (rented, unavailable, returned, doubles) = (
        rented.into_inner(),
        unavailable.into_inner(),
        returned.into_inner(),
        doubles.into_inner(),
    );
    println!(
        "contention [{}]: {THREADS} threads, {BOOKS} single-copy books, {} attempts: {rented} rented, \
         {unavailable} unavailable, {returned} returned, {doubles} double rentals",
        std::any::type_name::<B>(),
        rented + unavailable
    );
    assert_eq!(rented + unavailable, ATTEMPTS);
    assert!(unavailable > 0, "the race must actually contend");
    assert_eq!(doubles, 0, "double rentals");
    let open = store.active_rentals().unwrap().count();
    assert_eq!(open, rented - returned);
    assert_copies_match_rentals(b.storage());
}

macro_rules! conformance {
    ($module:ident => $backend:ident: $($test:ident),* $(,)?) => {
        mod $module {
            $(
                crate::backend_test!($backend, $test);
            )*
        }
    };
}

macro_rules! suite {
    ($($module:ident => $backend:ident),*) => {
        $(
            conformance!($module => $backend:
                rent_and_close_are_atomic,
                close_twice_is_already_returned_and_changes_nothing,
                unavailable_when_no_copy_is_free,
                withdrawn_copies_are_not_rented,
                unknown_ids_are_not_found,
                inactive_customer_cannot_rent,
                duplicates_are_rejected,
                an_email_address_belongs_to_one_customer,
                listings_stream_in_id_order,
                ids_are_never_reused,
                plan_versions_price_rentals_opened_under_them,
                failed_close_changes_nothing,
                contention_never_double_rents,
            );
        )*
    };
}

suite!(memory => Memory, sled => Sled, sled_interval => SledInterval);
conformance!(sled_persistence => Sled: reopen_finds_everything);
conformance!(sled_interval_persistence => SledInterval: reopen_finds_everything);

#[cfg(feature = "postgres")]
suite!(postgres => Postgres, postgres_replica_down => PostgresReplicaDown);
#[cfg(feature = "postgres")]
conformance!(postgres_persistence => Postgres: reopen_finds_everything);
