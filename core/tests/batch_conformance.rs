//! Batches on every backend: operations applied in order, each seeing the ones before it, each accepted or
//! rejected on its own, the accepted ones committed together. Instantiated per backend at the bottom, like the
//! storage conformance suite.

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::{
    Book, BookStore, CopyId, CopyStatus, Customer, CustomerId, Error, NewBook, NewCustomer,
    Operation, Outcome, PricePlan, RentTarget, RentalId, Storage,
};

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Persistent, Sled, SledInterval};

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, hour, 0, 0).unwrap()
}

fn store<B: Backend>(backend: &B) -> BookStore<&B::S> {
    BookStore::with_default_plan(backend.storage(), PricePlan::story3()).expect("store")
}

fn novel_and_ada<S: Storage>(store: &BookStore<S>, copies: u32) -> (Book, Vec<CopyId>, Customer) {
    let book = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "novel"), copies)
        .unwrap();
    let ids = store
        .copies(book.id)
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    (book, ids, ada)
}

fn rental(result: &Result<Outcome, Error>) -> &koko_core::Rental {
    match result {
        Ok(Outcome::Rental(rental)) => rental,
        other => panic!("expected a rental, got {other:?}"),
    }
}

fn kind(result: &Result<Outcome, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(err) => err.kind(),
    }
}

/// Rents, returns and rents again in one batch: each operation sees the ones before it.
fn dependent_operations_see_each_other<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let (book, copies, ada) = novel_and_ada(&store, 2);
    let rent = |at| Operation::Rent {
        target: RentTarget::Book(book.id),
        customer: ada.id,
        at,
    };
    let results = store
        .apply_batch(vec![
            rent(t(3, 10)),
            rent(t(3, 11)),
            rent(t(3, 12)), // both copies are out
            Operation::ReturnCopy {
                copy: copies[0],
                at: t(5, 10),
            },
            rent(t(5, 11)), // the copy just returned
            Operation::ReturnCopy {
                copy: copies[0],
                at: t(5, 12),
            },
            Operation::ReturnCopy {
                copy: copies[0],
                at: t(5, 13),
            }, // already back on the shelf
        ])
        .unwrap();
    let kinds: Vec<&str> = results.iter().map(kind).collect();
    assert_eq!(
        kinds,
        ["ok", "ok", "Unavailable", "ok", "ok", "ok", "InvalidInput"]
    );
    assert_eq!(rental(&results[0]).copy, copies[0]);
    assert_eq!(rental(&results[1]).copy, copies[1]);
    let first_return = rental(&results[3]);
    assert_eq!(first_return.id, rental(&results[0]).id);
    // 48 hours of a novel: 2 days, the 4.50 minimum.
    assert_eq!(
        first_return.charge.as_ref().unwrap().total.to_string(),
        "4.50"
    );
    let again = rental(&results[4]);
    assert_eq!(again.copy, copies[0]);
    assert_eq!(rental(&results[5]).id, again.id);

    let copy_states: Vec<CopyStatus> = store
        .copies(book.id)
        .unwrap()
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(
        copy_states,
        [
            CopyStatus::Available,
            CopyStatus::Rented(rental(&results[1]).id)
        ]
    );
    let open: Vec<RentalId> = store
        .active_rentals()
        .unwrap()
        .map(|r| r.unwrap().id)
        .collect();
    assert_eq!(open, [rental(&results[1]).id]);
    assert_eq!(store.rentals().unwrap().count(), 3);
}

/// Renting one book many times in one batch takes its copies in id order, a copy returned mid-batch first, and
/// runs out exactly when the copies do.
fn one_book_rented_many_times_in_a_batch<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let (book, copies, ada) = novel_and_ada(&store, 50);
    let rent = |minute: i64| Operation::Rent {
        target: RentTarget::Book(book.id),
        customer: ada.id,
        at: t(3, 10) + Duration::minutes(minute),
    };
    let mut ops: Vec<Operation> = (0..30).map(rent).collect();
    ops.push(Operation::ReturnCopy {
        copy: copies[9],
        at: t(4, 10),
    });
    ops.extend((30..52).map(rent));
    let results = store.apply_batch(ops).unwrap();
    let taken: Vec<Option<CopyId>> = results
        .iter()
        .map(|r| match r {
            Ok(Outcome::Rental(rental)) if rental.returned_at.is_none() => Some(rental.copy),
            _ => None,
        })
        .collect();
    let mut want: Vec<Option<CopyId>> = copies[..30].iter().copied().map(Some).collect();
    want.push(None); // the return
    want.push(Some(copies[9])); // the copy just returned comes first
    want.extend(copies[30..].iter().copied().map(Some));
    want.push(None); // none left
    assert_eq!(taken, want);
    assert_eq!(kind(&results[52]), "Unavailable");
    assert_eq!(store.available_copies(book.id).unwrap(), 0);
}

/// Rejected operations change nothing; the accepted ones around them are stored.
fn rejected_operations_change_nothing<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let (book, _, ada) = novel_and_ada(&store, 1);
    let results = store
        .apply_batch(vec![
            Operation::RegisterCustomer(NewCustomer::new("Bob", "Brown")),
            Operation::Rent {
                target: RentTarget::Book(book.id),
                customer: CustomerId::new(9_999),
                at: t(3, 10),
            },
            Operation::AddBook {
                book: NewBook::new(" emma ", "Someone", "novel"),
                copies: 1,
            },
            Operation::AddBook {
                book: NewBook::new("Poems", "Someone", "poetry"),
                copies: 1,
            },
            Operation::AddCopies {
                book: book.id,
                count: 0,
                at: None,
            },
            Operation::return_at(RentalId::new(77), t(3, 10)),
            Operation::RegisterCustomer(NewCustomer::new("Carol", "Clark")),
        ])
        .unwrap();
    let kinds: Vec<&str> = results.iter().map(kind).collect();
    assert_eq!(
        kinds,
        [
            "ok",
            "NotFound",
            "Duplicate",
            "InvalidInput",
            "InvalidInput",
            "NotFound",
            "ok"
        ]
    );
    let names: Vec<String> = store
        .customers()
        .unwrap()
        .map(|c| c.unwrap().first_name)
        .collect();
    assert_eq!(names, ["Ada", "Bob", "Carol"]);
    assert_eq!(store.books().unwrap().count(), 1);
    assert_eq!(store.copies(book.id).unwrap().len(), 1);
    assert_eq!(store.rentals().unwrap().count(), 0);
    let _ = ada;
}

/// A plan published in a batch prices the rents after it in the same batch.
fn a_plan_published_in_a_batch_prices_what_follows<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let (book, copies, ada) = novel_and_ada(&store, 1);
    let results = store
        .apply_batch(vec![
            Operation::publish_plan(PricePlan::story1(), t(4, 0)),
            Operation::Rent {
                target: RentTarget::Book(book.id),
                customer: ada.id,
                at: t(4, 10),
            },
            Operation::ReturnCopy {
                copy: copies[0],
                at: t(6, 10),
            },
            Operation::publish_plan(PricePlan::story2(), t(4, 0)), // the same start: Duplicate
        ])
        .unwrap();
    let version = match &results[0] {
        Ok(Outcome::PlanVersion(version)) => version.id,
        other => panic!("expected a plan version, got {other:?}"),
    };
    assert_eq!(rental(&results[1]).plan_version, version);
    // story 1: 2 days at 1.00 (story 3 would charge the novel minimum, 4.50).
    assert_eq!(
        rental(&results[2])
            .charge
            .as_ref()
            .unwrap()
            .total
            .to_string(),
        "2.00"
    );
    assert_eq!(kind(&results[3]), "Duplicate");
    assert_eq!(store.plan_versions().len(), 2);
    assert_eq!(b.storage().plan_versions().unwrap().len(), 2);
}

fn an_empty_batch_answers_nothing<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    assert!(store.apply_batch(Vec::new()).unwrap().is_empty());
    assert!(b.storage().apply_batch(Vec::new()).unwrap().is_empty());
}

/// A dry run answers what the batch would (each operation seeing the ones before it, rejections included) and
/// changes nothing: not the records, not the indexes, not the ids the next real write gets on memory and sled.
fn a_dry_run_answers_and_writes_nothing<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let (book, copies, ada) = novel_and_ada(&store, 1);
    let ops = || {
        vec![
            Operation::AddBook {
                book: NewBook::new("Persuasion", "Jane Austen", "novel"),
                copies: 2,
            },
            Operation::AddBook {
                book: NewBook::new(" persuasion", "Someone Else", "regular"),
                copies: 1,
            },
            Operation::RegisterCustomer(
                NewCustomer::new("Grace", "Hopper").with_email("grace@example.com"),
            ),
            Operation::RegisterCustomer(
                NewCustomer::new("G.", "Hopper").with_email("GRACE@example.com"),
            ),
            Operation::Rent {
                target: RentTarget::Book(book.id),
                customer: ada.id,
                at: t(3, 10),
            },
            Operation::Rent {
                target: RentTarget::Book(book.id),
                customer: ada.id,
                at: t(3, 11),
            },
        ]
    };
    let tried = store.try_batch(ops()).unwrap();
    let kinds: Vec<&str> = tried.iter().map(kind).collect();
    assert_eq!(
        kinds,
        ["ok", "Duplicate", "ok", "Duplicate", "ok", "Unavailable"],
        "{tried:?}"
    );
    assert_eq!(rental(&tried[4]).copy, copies[0]);
    // Nothing of it is stored: the book, the customer, the rental, the copy's status, the title and e-mail keys.
    assert_eq!(store.books().unwrap().count(), 1);
    assert_eq!(store.customers().unwrap().count(), 1);
    assert_eq!(store.rentals().unwrap().count(), 0);
    assert_eq!(store.available_copies(book.id).unwrap(), 1);
    // The same batch for real gives the same answers, so the dry run claimed no title, address or copy.
    let applied = store.apply_batch(ops()).unwrap();
    assert_eq!(applied.iter().map(kind).collect::<Vec<_>>(), kinds);
    assert_eq!(store.books().unwrap().count(), 2);
    assert_eq!(store.rentals().unwrap().count(), 1);
    assert_eq!(store.available_copies(book.id).unwrap(), 0);
}

/// Threads submit batches of rents for one book at once: never more rentals than copies, never a copy twice.
fn concurrent_batches_never_double_rent<B: Backend>() {
    let b = B::fresh();
    let store = store(&b);
    let (book, copies, _) = novel_and_ada(&store, 5);
    let customers: Vec<CustomerId> = (0..4)
        .map(|i| {
            store
                .register_customer(&NewCustomer::new("Reader", format!("{i}")))
                .unwrap()
                .id
        })
        .collect();
    let rented: Vec<Vec<Result<Outcome, Error>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = customers
            .iter()
            .map(|customer| {
                let store = &store;
                scope.spawn(move || {
                    let ops = (0..4)
                        .map(|i| Operation::Rent {
                            target: RentTarget::Book(book.id),
                            customer: *customer,
                            at: t(3, 10) + Duration::minutes(i),
                        })
                        .collect();
                    store.apply_batch(ops).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut taken = BTreeSet::new();
    let mut unavailable = 0;
    for result in rented.iter().flatten() {
        match result {
            Ok(Outcome::Rental(r)) => assert!(taken.insert(r.copy), "copy {} twice", r.copy),
            Err(Error::Unavailable { .. }) => unavailable += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(taken.len(), copies.len());
    assert_eq!(unavailable, 16 - copies.len());
    assert_eq!(store.active_rentals().unwrap().count(), copies.len());
}

/// A batch's effects survive closing and reopening the store.
fn a_batch_survives_reopening<B: Persistent>() {
    let b = B::fresh();
    let (book, copies, ada) = novel_and_ada(&store(&b), 3);
    let mut ops = Vec::new();
    for day in 3..13 {
        ops.push(Operation::Rent {
            target: RentTarget::Book(book.id),
            customer: ada.id,
            at: t(day, 10),
        });
        ops.push(Operation::ReturnCopy {
            copy: copies[0],
            at: t(day, 20),
        });
    }
    ops.push(Operation::Rent {
        target: RentTarget::Copy(copies[2]),
        customer: ada.id,
        at: t(20, 10),
    });
    let results = store(&b).apply_batch(ops).unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let b = b.reopen();
    let store = store(&b);
    assert_eq!(store.rentals().unwrap().count(), 11);
    let open: Vec<CopyId> = store
        .active_rentals()
        .unwrap()
        .map(|r| r.unwrap().copy)
        .collect();
    assert_eq!(open, [copies[2]]);
    // Ten same-day returns of a novel: each the 4.50 minimum.
    let charged: Vec<String> = store
        .rentals()
        .unwrap()
        .filter_map(|r| r.unwrap().charge.map(|c| c.total.to_string()))
        .collect();
    assert_eq!(charged, vec!["4.50".to_string(); 10]);
}

macro_rules! batches {
    ($($module:ident => $backend:ident),*) => {
        $(
            mod $module {
                crate::backend_test!($backend, dependent_operations_see_each_other);
                crate::backend_test!($backend, one_book_rented_many_times_in_a_batch);
                crate::backend_test!($backend, rejected_operations_change_nothing);
                crate::backend_test!($backend, a_plan_published_in_a_batch_prices_what_follows);
                crate::backend_test!($backend, an_empty_batch_answers_nothing);
                crate::backend_test!($backend, a_dry_run_answers_and_writes_nothing);
                crate::backend_test!($backend, concurrent_batches_never_double_rent);
            }
        )*
    };
}

batches!(memory => Memory, sled => Sled, sled_interval => SledInterval);
#[cfg(feature = "postgres")]
batches!(postgres => Postgres);

#[test]
fn sled_batch_survives_reopening() {
    a_batch_survives_reopening::<Sled>();
}

#[test]
fn sled_interval_batch_survives_reopening() {
    a_batch_survives_reopening::<SledInterval>();
}

#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn postgres_batch_survives_reopening() {
    a_batch_survives_reopening::<Postgres>();
}

/// On durable sled a batch is one commit and one sync, however many operations it holds, and concurrent callers'
/// single operations are all counted once.
#[test]
fn sled_commits_a_batch_with_one_sync() {
    let b = Sled::fresh();
    let store = store(&b);
    let (book, copies, ada) = novel_and_ada(&store, 1);
    let before = b.storage().commit_stats();
    let mut ops = Vec::new();
    for day in 3..28 {
        ops.push(Operation::Rent {
            target: RentTarget::Book(book.id),
            customer: ada.id,
            at: t(day, 10),
        });
        ops.push(Operation::ReturnCopy {
            copy: copies[0],
            at: t(day, 11),
        });
    }
    ops.push(Operation::ReturnCopy {
        copy: copies[0],
        at: t(28, 11),
    }); // rejected: not out
    let results = store.apply_batch(ops).unwrap();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 50);
    let after = b.storage().commit_stats();
    assert_eq!(after.batches - before.batches, 1);
    assert_eq!(after.syncs - before.syncs, 1);
    assert_eq!(after.operations - before.operations, 50);

    // Many threads, single operations: every accepted one counted, one sync per batch.
    let customers: Vec<CustomerId> = (0..8)
        .map(|i| {
            store
                .register_customer(&NewCustomer::new("Reader", format!("{i}")))
                .unwrap()
                .id
        })
        .collect();
    let shelf = store
        .add_book(&NewBook::new("Shelf", "Many", "regular"), 8)
        .unwrap();
    let before = b.storage().commit_stats();
    std::thread::scope(|scope| {
        for customer in &customers {
            let store = &store;
            scope.spawn(move || {
                for i in 0..20 {
                    let r = store
                        .rent_book_at(*customer, shelf.id, t(3, 10) + Duration::minutes(i))
                        .unwrap();
                    store
                        .return_rental_at(r.id, t(3, 12) + Duration::minutes(i))
                        .unwrap();
                }
            });
        }
    });
    let after = b.storage().commit_stats();
    assert_eq!(after.operations - before.operations, 8 * 20 * 2);
    assert_eq!(after.syncs - before.syncs, after.batches - before.batches);
    assert!(after.batches - before.batches <= 8 * 20 * 2);
}
