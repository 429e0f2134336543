//! Model-based tests: random sequences of store operations run on every backend and on a small reference model
//! (available copies, open rentals, charges); every outcome and the final state must agree. Then several threads
//! run random operations at once and the store must account for exactly what they were told succeeded.

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::{
    BookId, BookStore, CopyId, CopyStatus, CustomerId, Error, NewBook, NewCustomer, PricePlan,
    RentalId, Storage,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Sled, SledInterval};

const CATEGORIES: [&str; 3] = ["regular", "fiction", "novel"];

/// One operation; indices pick among the things created so far (modulo their count), so most operations are valid
/// and some deliberately are not (unknown ids, inactive customers, no free copy, closing twice).
#[derive(Clone, Debug)]
enum Op {
    AddBook { category: usize, copies: u32 },
    Register,
    Deactivate { customer: usize },
    Activate { customer: usize },
    RentBook { customer: usize, book: usize },
    RentCopy { customer: usize, copy: usize },
    Return { rental: usize, hours: i64 },
    RentUnknownBook { customer: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0..3usize, 1..4u32).prop_map(|(category, copies)| Op::AddBook { category, copies }),
        2 => Just(Op::Register),
        1 => any::<usize>().prop_map(|customer| Op::Deactivate { customer }),
        1 => any::<usize>().prop_map(|customer| Op::Activate { customer }),
        5 => (any::<usize>(), any::<usize>()).prop_map(|(customer, book)| Op::RentBook { customer, book }),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(customer, copy)| Op::RentCopy { customer, copy }),
        5 => (any::<usize>(), 0..2_000i64).prop_map(|(rental, hours)| Op::Return { rental, hours }),
        1 => any::<usize>().prop_map(|customer| Op::RentUnknownBook { customer }),
    ]
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
}

/// A rental as the model (or a thread) knows it: copy, category, when rented, the charge once closed.
type Known<C> = (CopyId, C, DateTime<Utc>, Option<String>);

/// The reference: what the store should hold, in plain maps.
#[derive(Default)]
struct Model {
    books: Vec<(BookId, &'static str, Vec<CopyId>)>,
    customers: Vec<(CustomerId, bool)>,
    /// Copy → the open rental holding it.
    rented: BTreeMap<CopyId, RentalId>,
    /// Rental → (copy, category, rented at, charge once closed).
    rentals: BTreeMap<RentalId, Known<&'static str>>,
    clock: i64,
}

fn pick<T: Clone>(items: &[T], i: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[i % items.len()].clone())
}

/// The outcome of one operation, comparable between the store and the model: `Ok(detail)` or `Err(kind)`.
type Outcome = Result<String, &'static str>;

fn kind(err: Error) -> &'static str {
    err.kind()
}

impl Model {
    /// Applies `op` to the store and to the model; the two outcomes must be equal.
    fn step<S: Storage>(
        &mut self,
        store: &BookStore<S>,
        op: &Op,
        plan: &PricePlan,
    ) -> (Outcome, Outcome) {
        self.clock += 1;
        let at = t0() + Duration::hours(self.clock);
        match op {
            Op::AddBook { category, copies } => {
                let category = CATEGORIES[*category];
                let title = format!("Book {}", self.books.len());
                let got = store.add_book(&NewBook::new(title, "Author", category), *copies);
                let got = got.and_then(|book| Ok((book.id, store.copies(book.id)?)));
                match got {
                    Ok((id, copies)) => {
                        let ids: Vec<CopyId> = copies.iter().map(|c| c.id).collect();
                        self.books.push((id, category, ids.clone()));
                        (
                            Ok(format!("{} copies", ids.len())),
                            Ok(format!("{} copies", copies.len())),
                        )
                    }
                    Err(e) => (Err(kind(e)), Ok("a book".into())),
                }
            }
            Op::Register => {
                let got = store.register_customer(&NewCustomer::new(
                    "Reader",
                    format!("{}", self.customers.len()),
                ));
                match got {
                    Ok(c) => {
                        self.customers.push((c.id, true));
                        (Ok("registered".into()), Ok("registered".into()))
                    }
                    Err(e) => (Err(kind(e)), Ok("registered".into())),
                }
            }
            Op::Deactivate { customer } | Op::Activate { customer } => {
                let active = matches!(op, Op::Activate { .. });
                let Some((id, _)) = pick(&self.customers, *customer) else {
                    return (Ok("none".into()), Ok("none".into()));
                };
                let got = if active {
                    store.activate_customer(id)
                } else {
                    store.deactivate_customer(id)
                };
                if let Some(entry) = self.customers.iter_mut().find(|(c, _)| *c == id) {
                    entry.1 = active;
                }
                (
                    got.map(|c| c.active.to_string()).map_err(kind),
                    Ok(active.to_string()),
                )
            }
            Op::RentBook {
                customer,
                book: index,
            }
            | Op::RentCopy {
                customer,
                copy: index,
            } => {
                let index = *index;
                let (Some((customer, active)), Some((book, category, copies))) =
                    (pick(&self.customers, *customer), pick(&self.books, index))
                else {
                    return (Ok("none".into()), Ok("none".into()));
                };
                let by_copy = matches!(op, Op::RentCopy { .. });
                let copy = if by_copy {
                    Some(copies[index % copies.len()])
                } else {
                    None
                };
                let got = match copy {
                    Some(copy) => store.rent_copy_at(customer, copy, at),
                    None => store.rent_book_at(customer, book, at),
                };
                // The model: an inactive customer is refused first; then the named copy, or the book's first free
                // copy in id order.
                let free = match copy {
                    Some(copy) => (!self.rented.contains_key(&copy)).then_some(copy),
                    None => copies
                        .iter()
                        .copied()
                        .find(|c| !self.rented.contains_key(c)),
                };
                let expected: Outcome = match (active, free) {
                    (false, _) => Err("InactiveCustomer"),
                    (true, None) => Err("Unavailable"),
                    (true, Some(copy)) => Ok(format!("copy {copy}")),
                };
                let got: Outcome = match got {
                    Ok(rental) => {
                        if expected.is_ok() {
                            self.rented.insert(rental.copy, rental.id);
                            self.rentals
                                .insert(rental.id, (rental.copy, category, at, None));
                        }
                        Ok(format!("copy {}", rental.copy))
                    }
                    Err(e) => Err(kind(e)),
                };
                (got, expected)
            }
            Op::Return { rental, hours } => {
                let ids: Vec<RentalId> = self.rentals.keys().copied().collect();
                let Some(id) = pick(&ids, *rental) else {
                    return (Ok("none".into()), Ok("none".into()));
                };
                let Some((copy, category, rented_at, charge)) = self.rentals.get(&id).cloned()
                else {
                    return (Ok("none".into()), Ok("none".into()));
                };
                let returned = rented_at.max(at) + Duration::hours(*hours);
                let got = store.return_rental_at(id, returned);
                let expected: Outcome = match charge {
                    Some(_) => Err("AlreadyReturned"),
                    None => plan
                        .quote(category, rented_at, returned)
                        .map(|q| q.total.to_string())
                        .map_err(kind),
                };
                if let Ok(total) = &expected {
                    self.rented.remove(&copy);
                    self.rentals
                        .insert(id, (copy, category, rented_at, Some(total.clone())));
                }
                (
                    got.map(|r| r.charge.total.to_string()).map_err(kind),
                    expected,
                )
            }
            Op::RentUnknownBook { customer } => {
                let Some((customer, active)) = pick(&self.customers, *customer) else {
                    return (Ok("none".into()), Ok("none".into()));
                };
                let got = store.rent_book_at(customer, BookId::new(u64::MAX), at);
                // The customer is checked before the book.
                let expected = if active {
                    "NotFound"
                } else {
                    "InactiveCustomer"
                };
                (got.map(|_| "rented".into()).map_err(kind), Err(expected))
            }
        }
    }

    /// The whole stored state must be the model's: every copy's status, every rental's charge, the open ones.
    fn check<S: Storage>(&self, store: &BookStore<S>) -> Result<(), String> {
        for (book, _, copies) in &self.books {
            for copy in store.copies(*book).map_err(|e| e.to_string())? {
                let want = self
                    .rented
                    .get(&copy.id)
                    .map_or(CopyStatus::Available, |r| CopyStatus::Rented(*r));
                if copy.status != want || !copies.contains(&copy.id) {
                    return Err(format!(
                        "copy {} is {:?}, the model says {want:?}",
                        copy.id, copy.status
                    ));
                }
            }
        }
        let mut open = 0;
        for rental in store.rentals().map_err(|e| e.to_string())? {
            let rental = rental.map_err(|e| e.to_string())?;
            let Some((copy, _, rented_at, charge)) = self.rentals.get(&rental.id) else {
                return Err(format!("rental {} is not in the model", rental.id));
            };
            let stored = rental.charge.as_ref().map(|q| q.total.to_string());
            if (rental.copy, rental.rented_at, &stored) != (*copy, *rented_at, charge) {
                return Err(format!(
                    "rental {} is {:?}, the model says {charge:?}",
                    rental.id, stored
                ));
            }
            open += usize::from(rental.returned_at.is_none());
        }
        let active = store.active_rentals().map_err(|e| e.to_string())?.count();
        if open != self.rented.len() || active != open {
            return Err(format!(
                "{open} open rentals, {active} listed active; the model has {}",
                self.rented.len()
            ));
        }
        Ok(())
    }
}

fn run_model<B: Backend>(cases: u32) {
    let plan = PricePlan::story3();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&prop::collection::vec(op(), 1..60), |ops| {
        let backend = B::fresh();
        let store = BookStore::with_default_plan(backend.storage(), plan.clone())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut model = Model::default();
        for (i, op) in ops.iter().enumerate() {
            let (got, expected) = model.step(&store, op, &plan);
            prop_assert_eq!(&got, &expected, "step {} {:?}", i, op);
        }
        model.check(&store).map_err(TestCaseError::fail)?;
        Ok(())
    });
    if let Err(err) = outcome {
        panic!("{err}");
    }
}

/// Threads rent and return at random on shared books; afterwards the store must hold exactly the rentals the
/// threads were told succeeded, each copy rented by at most one of them, each closed one charged its quote.
fn run_concurrent<B: Backend>(seeds: std::ops::Range<u64>)
where
    B::S: Sync,
{
    for seed in seeds {
        let backend = B::fresh();
        let plan = PricePlan::story3();
        let store = BookStore::with_default_plan(backend.storage(), plan.clone()).unwrap();
        let books: Vec<BookId> = (0..4)
            .map(|i| {
                store
                    .add_book(
                        &NewBook::new(format!("Shared {i}"), "A", CATEGORIES[i % 3]),
                        2,
                    )
                    .unwrap()
                    .id
            })
            .collect();
        let customers: Vec<CustomerId> = (0..4)
            .map(|i| {
                store
                    .register_customer(&NewCustomer::new("Reader", format!("{i}")))
                    .unwrap()
                    .id
            })
            .collect();
        // What each thread saw succeed: rental → (copy, category, rented at, charge once returned).
        let acked: Mutex<BTreeMap<RentalId, Known<String>>> = Mutex::default();
        std::thread::scope(|scope| {
            for thread in 0..4u64 {
                let (store, books, customers, acked) = (&store, &books, &customers, &acked);
                scope.spawn(move || {
                    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ thread;
                    let mut next = move || {
                        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                        let mut z = state;
                        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                        z ^ (z >> 31)
                    };
                    let mut mine: Vec<RentalId> = Vec::new();
                    for step in 0..40i64 {
                        let at = t0() + Duration::hours(step);
                        if mine.is_empty() || next() % 2 == 0 {
                            let book = books[(next() % 4) as usize];
                            match store.rent_book_at(customers[thread as usize], book, at) {
                                Ok(r) => {
                                    mine.push(r.id);
                                    acked
                                        .lock()
                                        .unwrap()
                                        .insert(r.id, (r.copy, r.category, at, None));
                                }
                                Err(Error::Unavailable { .. }) => {}
                                Err(e) => panic!("rent failed: {e}"),
                            }
                        } else {
                            let id = mine.swap_remove((next() as usize) % mine.len());
                            let returned = at + Duration::hours((next() % 100) as i64);
                            let receipt = store.return_rental_at(id, returned).unwrap();
                            let mut acked = acked.lock().unwrap();
                            if let Some(entry) = acked.get_mut(&id) {
                                entry.3 = Some(receipt.charge.total.to_string());
                            }
                        }
                    }
                });
            }
        });
        let acked = acked.into_inner().unwrap();
        let mut holders: BTreeMap<CopyId, RentalId> = BTreeMap::new();
        for rental in store.rentals().unwrap() {
            let rental = rental.unwrap();
            let (copy, category, rented_at, charge) = acked.get(&rental.id).unwrap_or_else(|| {
                panic!("seed {seed}: rental {} was never acknowledged", rental.id)
            });
            assert_eq!(
                (rental.copy, &rental.category, rental.rented_at),
                (*copy, category, *rented_at),
                "seed {seed}"
            );
            let stored = rental.charge.as_ref().map(|q| q.total.to_string());
            assert_eq!(&stored, charge, "seed {seed}: rental {}", rental.id);
            if let (Some(total), Some(returned)) = (&stored, rental.returned_at) {
                assert_eq!(
                    *total,
                    plan.quote(category, *rented_at, returned)
                        .unwrap()
                        .total
                        .to_string()
                );
            } else if let Some(other) = holders.insert(*copy, rental.id) {
                panic!(
                    "seed {seed}: copy {copy} has two open rentals, {other} and {}",
                    rental.id
                );
            }
        }
        assert_eq!(acked.len(), store.rentals().unwrap().count(), "seed {seed}");
        for book in &books {
            for copy in store.copies(*book).unwrap() {
                let want = holders
                    .get(&copy.id)
                    .map_or(CopyStatus::Available, |r| CopyStatus::Rented(*r));
                assert_eq!(copy.status, want, "seed {seed}: copy {}", copy.id);
            }
        }
    }
}

#[test]
fn memory_agrees_with_the_model() {
    run_model::<Memory>(256);
}

#[test]
fn sled_agrees_with_the_model() {
    run_model::<Sled>(24);
}

#[test]
fn sled_interval_agrees_with_the_model() {
    run_model::<SledInterval>(24);
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_agrees_with_the_model() {
    run_model::<Postgres>(16);
}

#[test]
fn memory_concurrent_threads_account_for_every_acknowledged_operation() {
    run_concurrent::<Memory>(0..20);
}

#[test]
fn sled_concurrent_threads_account_for_every_acknowledged_operation() {
    run_concurrent::<Sled>(0..3);
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_concurrent_threads_account_for_every_acknowledged_operation() {
    run_concurrent::<Postgres>(0..2);
}
