//! Model-based tests: random sequences of store operations run on every backend and on the independent model of
//! the rules (`koko-model`, which the fuzzer and the crash checker hold their stores against too); every outcome —
//! records and ids, or the error — and the final store must agree. Operations run one at a time through the
//! facade's methods or in random groups through `BookStore::apply_batch`, where each operation must see the
//! effects of the batch's earlier ones. Then several threads run random operations at once and the store must
//! account for exactly what they were told succeeded.
//!
//! The model predicts ids: one thread on a fresh store, every backend hands out each kind of id in order from 1 and
//! a rejected operation takes none (every operation checks before it writes).

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::check::Snapshot;
use koko_core::{
    BookId, BookStore, CopyId, CopyStatus, CustomerId, CustomerUpdate, Decimal, Error, HoldId,
    NewBook, NewCustomer, Operation, Outcome, PricePlan, RentTarget, RentalId, Storage,
};
use koko_model::{Model, Predicted};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Sled, SledInterval};

const CATEGORIES: [&str; 3] = ["regular", "fiction", "novel"];

/// One operation; indices pick among the things created so far (modulo their count), so most operations are valid
/// and some deliberately are not (unknown ids, inactive customers, no free copy, closing twice, returning a copy
/// that is on the shelf).
#[derive(Clone, Debug)]
enum Op {
    AddBook { category: usize, copies: u32 },
    Register,
    Deactivate { customer: usize },
    Activate { customer: usize },
    RentBook { customer: usize, book: usize },
    RentCopy { customer: usize, copy: usize },
    Return { rental: usize, hours: i64 },
    ReturnCopy { copy: usize, hours: i64 },
    RentUnknownBook { customer: usize },
    Renew { rental: usize, hours: i64 },
    Pay { customer: usize, cents: i64 },
    Waive { customer: usize, cents: i64 },
    Refund { customer: usize, cents: i64 },
    PlaceHold { customer: usize, book: usize },
    CancelHold { hold: usize },
    ExpireHolds { hours: i64 },
    DeclareLost { rental: usize, hours: i64 },
    MarkFound { copy: usize, hours: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0..3usize, 1..4u32).prop_map(|(category, copies)| Op::AddBook { category, copies }),
        2 => Just(Op::Register),
        1 => any::<usize>().prop_map(|customer| Op::Deactivate { customer }),
        1 => any::<usize>().prop_map(|customer| Op::Activate { customer }),
        5 => (any::<usize>(), any::<usize>()).prop_map(|(customer, book)| Op::RentBook { customer, book }),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(customer, copy)| Op::RentCopy { customer, copy }),
        4 => (any::<usize>(), 0..2_000i64).prop_map(|(rental, hours)| Op::Return { rental, hours }),
        2 => (any::<usize>(), 0..2_000i64).prop_map(|(copy, hours)| Op::ReturnCopy { copy, hours }),
        1 => any::<usize>().prop_map(|customer| Op::RentUnknownBook { customer }),
        2 => (any::<usize>(), 0..200i64).prop_map(|(rental, hours)| Op::Renew { rental, hours }),
        2 => (any::<usize>(), 1..2_000i64).prop_map(|(customer, cents)| Op::Pay { customer, cents }),
        1 => (any::<usize>(), 1..1_000i64).prop_map(|(customer, cents)| Op::Waive { customer, cents }),
        1 => (any::<usize>(), 1..1_000i64).prop_map(|(customer, cents)| Op::Refund { customer, cents }),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(customer, book)| Op::PlaceHold { customer, book }),
        1 => any::<usize>().prop_map(|hold| Op::CancelHold { hold }),
        1 => (0..200i64).prop_map(|hours| Op::ExpireHolds { hours }),
        1 => (any::<usize>(), 0..400i64).prop_map(|(rental, hours)| Op::DeclareLost { rental, hours }),
        1 => (any::<usize>(), 0..400i64).prop_map(|(copy, hours)| Op::MarkFound { copy, hours }),
    ]
}

/// How a run groups its operations: `true` sends the group as one batch, `false` runs it one call at a time.
fn grouping() -> impl Strategy<Value = Vec<(bool, usize)>> {
    prop::collection::vec((any::<bool>(), 1..12usize), 1..12)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
}

/// A rental as a thread knows it: copy, category, when rented, the charge once closed.
type Known<C> = (CopyId, C, DateTime<Utc>, Option<String>);

/// Turns the generated operations into the store's: each picks among what the model holds so far, one hour after
/// the one before.
#[derive(Default)]
struct Chooser {
    clock: i64,
}

/// Item `i` of `ids` (modulo their count), if there is any.
fn pick(ids: impl Iterator<Item = u64>, i: usize) -> Option<u64> {
    let ids: Vec<u64> = ids.collect();
    (!ids.is_empty()).then(|| ids[i % ids.len()])
}

impl Chooser {
    /// The operation `op` stands for in the store `model` holds; `None` when there is nothing to pick from yet.
    fn operation(&mut self, op: &Op, model: &Model) -> Option<Operation> {
        self.clock += 1;
        let at = t0() + Duration::hours(self.clock);
        let state = &model.state;
        let customer = |i: usize| pick(state.customers.keys().copied(), i).map(CustomerId::new);
        let book = |i: usize| pick(state.books.keys().copied(), i).map(BookId::new);
        let copy = |i: usize| pick(state.copies.keys().copied(), i).map(CopyId::new);
        let rental = |i: usize| {
            let id = pick(state.rentals.keys().copied(), i)?;
            Some((RentalId::new(id), state.rentals[&id].rented_at))
        };
        Some(match *op {
            Op::AddBook { category, copies } => Operation::AddBook {
                book: NewBook::new(
                    format!("Book {}", state.books.len()),
                    "Author",
                    CATEGORIES[category],
                ),
                copies,
            },
            Op::Register => Operation::RegisterCustomer(NewCustomer::new(
                "Reader",
                format!("{}", state.customers.len() + 1),
            )),
            Op::Deactivate { customer: i } | Op::Activate { customer: i } => {
                Operation::UpdateCustomer {
                    id: customer(i)?,
                    update: CustomerUpdate {
                        active: Some(matches!(op, Op::Activate { .. })),
                        ..CustomerUpdate::default()
                    },
                }
            }
            Op::RentBook {
                customer: c,
                book: b,
            } => Operation::Rent {
                target: RentTarget::Book(book(b)?),
                customer: customer(c)?,
                at,
            },
            Op::RentCopy {
                customer: c,
                copy: i,
            } => {
                // A copy of the book picked by the same index, as in the books' copy lists.
                let b = book(i)?;
                let copies = &state.book_copies[&b.get()];
                Operation::Rent {
                    target: RentTarget::Copy(CopyId::new(copies[i % copies.len()])),
                    customer: customer(c)?,
                    at,
                }
            }
            Op::Return { rental: i, hours } => {
                let (id, rented_at) = rental(i)?;
                Operation::return_at(id, rented_at.max(at) + Duration::hours(hours))
            }
            Op::ReturnCopy { copy: i, hours } => Operation::ReturnCopy {
                copy: copy(i)?,
                at: at + Duration::hours(hours),
            },
            Op::Renew { rental: i, hours } => {
                let (id, rented_at) = rental(i)?;
                Operation::Renew {
                    rental: id,
                    at: rented_at.max(at) + Duration::hours(hours),
                }
            }
            Op::Pay { customer: c, cents } => Operation::Pay {
                customer: customer(c)?,
                amount: Decimal::new(cents, 2),
                currency: None,
                at,
                note: None,
            },
            Op::Waive { customer: c, cents } => Operation::Waive {
                customer: customer(c)?,
                amount: Decimal::new(cents, 2),
                at,
                reason: "model".to_owned(),
            },
            Op::Refund { customer: c, cents } => Operation::Refund {
                customer: customer(c)?,
                amount: Decimal::new(cents, 2),
                at,
                reason: "model".to_owned(),
            },
            Op::PlaceHold {
                customer: c,
                book: b,
            } => Operation::PlaceHold {
                customer: customer(c)?,
                book: book(b)?,
                at,
            },
            Op::CancelHold { hold } => Operation::CancelHold {
                hold: HoldId::new(pick(state.holds.keys().copied(), hold)?),
                at,
            },
            Op::ExpireHolds { hours } => Operation::ExpireHolds {
                at: at + Duration::hours(hours),
            },
            Op::DeclareLost { rental: i, hours } => {
                let (id, rented_at) = rental(i)?;
                Operation::DeclareLost {
                    rental: id,
                    at: rented_at.max(at) + Duration::hours(hours),
                }
            }
            Op::MarkFound { copy: i, hours } => Operation::MarkFound {
                copy: copy(i)?,
                at: at + Duration::hours(hours),
            },
            Op::RentUnknownBook { customer: c } => Operation::Rent {
                target: RentTarget::Book(BookId::new(u64::MAX)),
                customer: customer(c)?,
                at,
            },
        })
    }
}

/// Runs one operation through the facade's own method for it (what a caller without batches uses).
fn run_one<S: Storage>(store: &BookStore<S>, op: Operation) -> Result<Outcome, Error> {
    Ok(match op {
        Operation::AddBook { book, copies } => {
            let book = store.add_book(&book, copies)?;
            let copies = store.copies(book.id)?;
            Outcome::Book { book, copies }
        }
        Operation::RegisterCustomer(new) => Outcome::Customer(store.register_customer(&new)?),
        Operation::UpdateCustomer { id, update } => {
            Outcome::Customer(if update.active == Some(true) {
                store.activate_customer(id)?
            } else {
                store.deactivate_customer(id)?
            })
        }
        Operation::Rent {
            target,
            customer,
            at,
        } => Outcome::Rental(match target {
            RentTarget::Book(book) => store.rent_book_at(customer, book, at)?,
            RentTarget::Copy(copy) => store.rent_copy_at(customer, copy, at)?,
        }),
        Operation::Return {
            rental,
            at,
            damage: None,
        } => {
            let receipt = store.return_rental_at(rental, at)?;
            Outcome::Rental(receipt.rental)
        }
        other => store
            .apply_batch(vec![other])?
            .into_iter()
            .next()
            .expect("one answer")?,
    })
}

/// Whether the store's answer is the model's: the same outcome (holds compared without their queue position, which
/// the model leaves to the store's indexes), or the error the model names.
fn agrees(got: &Result<Outcome, Error>, want: &Predicted) -> bool {
    let unnumbered = |outcome: &Outcome| match outcome {
        Outcome::Hold(hold) => Outcome::Hold(koko_core::Hold {
            position: None,
            ..hold.clone()
        }),
        other => other.clone(),
    };
    match (got, want) {
        (Ok(got), Ok(want)) => unnumbered(got) == *want,
        (Err(error), Err(rejected)) => rejected.matches(error),
        _ => false,
    }
}

/// Every customer's account must be the model's: the balance and every ledger entry.
fn check_accounts<S: Storage>(model: &Model, store: &BookStore<S>) -> Result<(), String> {
    for id in model.state.customers.keys() {
        let account = store
            .account(CustomerId::new(*id))
            .map_err(|e| e.to_string())?;
        let want_balance = model.state.accounts[id].balance;
        let want: Vec<_> = model
            .state
            .ledger
            .values()
            .filter(|e| e.customer.get() == *id)
            .cloned()
            .collect();
        if account.balance != want_balance || account.entries != want {
            return Err(format!(
                "customer {id}: balance {} and entries {:?}; the model says {want_balance} and {want:?}",
                account.balance, account.entries
            ));
        }
    }
    Ok(())
}

/// The whole store must be the model's: every record. (Not `koko_core::check`: the generated returns may come
/// before a renewal, which the store accepts and the check flags as a renewal out of order.)
fn check_store<S: Storage>(model: &Model, store: &BookStore<S>) -> Result<(), String> {
    let snapshot = Snapshot::read(store.storage()).map_err(|e| e.to_string())?;
    let differences = koko_model::diff(&model.state, &snapshot);
    if !differences.is_empty() {
        return Err(differences.join("\n"));
    }
    Ok(())
}

/// The loan period of regular books in the model's plan, and how often a loan can be renewed.
const LOAN_DAYS: i64 = 3;
const MAX_RENEWALS: u32 = 2;
/// How long a copy set aside waits, and how many holds a customer may have.
const PICKUP_DAYS: i64 = 2;
const MAX_HOLDS: usize = 2;

/// Story 3, with regular books due after 3 days (0.25 a late day) and renewable twice from the due date; lost
/// novels cost 10.00 and 2.00 (the 10.00 credited when found), lost fiction 8.00; copies set aside wait 2 days;
/// at most 2 holds per customer.
fn model_plan() -> PricePlan {
    let mut plan: serde_json::Value = serde_json::from_str(&PricePlan::story3().to_json()).unwrap();
    plan["categories"]["novel"]["replacement"] =
        serde_json::json!({"fee": "10.00", "processing_fee": "2.00", "refund_when_found": true});
    plan["categories"]["fiction"]["replacement"] =
        serde_json::json!({"fee": "8.00", "processing_fee": "0", "refund_when_found": false});
    plan["holds"] = serde_json::json!({"pickup_days": PICKUP_DAYS});
    plan["limits"] = serde_json::json!({"max_holds": MAX_HOLDS});
    plan["categories"]["regular"]["late_fee"] =
        serde_json::json!({"loan_days": LOAN_DAYS, "per_day": "0.25"});
    plan["categories"]["regular"]["renewals"] =
        serde_json::json!({"max": MAX_RENEWALS, "from": "due_date"});
    PricePlan::from_json(&plan.to_string()).unwrap()
}

fn run_model<B: Backend>(cases: u32) {
    let plan = model_plan();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (prop::collection::vec(op(), 1..60), grouping());
    let outcome = runner.run(&strategy, |(ops, groups)| {
        let backend = B::fresh();
        let store = BookStore::with_default_plan(backend.storage(), plan.clone())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut model = Model::with_plan(plan.clone());
        let mut chooser = Chooser::default();
        let mut rest = ops.as_slice();
        let mut groups = groups.iter().cycle();
        let mut step = 0;
        while !rest.is_empty() {
            let (batched, len) = *groups.next().expect("a cycle never ends");
            let (group, tail) = rest.split_at(len.min(rest.len()));
            rest = tail;
            if batched {
                // Each operation is chosen from the model as the batch's earlier ones leave it.
                let mut planned = Vec::new();
                for op in group {
                    if let Some(operation) = chooser.operation(op, &model) {
                        let want = model.apply(&operation, Utc::now());
                        planned.push((op, operation, want));
                    }
                }
                let operations = planned.iter().map(|(_, o, _)| o.clone()).collect();
                let results = store
                    .apply_batch(operations)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(results.len(), planned.len());
                for ((op, operation, want), got) in planned.iter().zip(&results) {
                    prop_assert!(
                        agrees(got, want),
                        "step {} {:?} (batched) {:?}: the store says {:?}, the model {:?}",
                        step,
                        op,
                        operation,
                        got,
                        want
                    );
                    step += 1;
                }
                // A batch has no state in between to observe: the accounts are checked after it.
                check_accounts(&model, &store).map_err(TestCaseError::fail)?;
            } else {
                // One at a time through the facade; the accounts are checked after every step.
                for op in group {
                    let Some(operation) = chooser.operation(op, &model) else {
                        continue;
                    };
                    let want = model.apply(&operation, Utc::now());
                    let got = run_one(&store, operation.clone());
                    prop_assert!(
                        agrees(&got, &want),
                        "step {} {:?} {:?}: the store says {:?}, the model {:?}",
                        step,
                        op,
                        operation,
                        got,
                        want
                    );
                    step += 1;
                    check_accounts(&model, &store).map_err(TestCaseError::fail)?;
                }
            }
        }
        check_store(&model, &store).map_err(TestCaseError::fail)?;
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
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
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
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn postgres_concurrent_threads_account_for_every_acknowledged_operation() {
    run_concurrent::<Postgres>(0..2);
}
