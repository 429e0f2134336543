//! Model-based tests: random sequences of store operations run on every backend and on a small reference model
//! (available copies, open rentals, charges); every outcome and the final state must agree. Operations run one at
//! a time through the facade's methods or in random groups through `BookStore::apply_batch`, where each operation
//! must see the effects of the batch's earlier ones. Then several threads run random operations at once and the
//! store must account for exactly what they were told succeeded.
//!
//! The model predicts ids: one thread on a fresh store, every backend hands out each kind of id in order from 1 and
//! a rejected operation takes none (every operation checks before it writes).

#[path = "model/circulation.rs"]
mod circulation;
mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::{
    BookId, BookStore, CopyId, CopyStatus, CustomerId, CustomerUpdate, Decimal, EntryKind, Error,
    HoldId, NewBook, NewCustomer, Operation, PricePlan, RentTarget, RentalId, Storage,
};
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
    /// Rental → its customer.
    owners: BTreeMap<RentalId, CustomerId>,
    /// Rental → its due time and how many times it was renewed.
    dues: BTreeMap<RentalId, (Option<DateTime<Utc>>, u32)>,
    /// Customer → balance (what they owe; negative: a credit).
    balances: BTreeMap<CustomerId, Decimal>,
    /// Customer → how many charge entries their closed rentals posted.
    charges: BTreeMap<CustomerId, usize>,
    /// Holds, copies set aside, lost copies.
    circ: circulation::Circulation,
    copies: u64,
    clock: i64,
}

fn pick<T: Clone>(items: &[T], i: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[i % items.len()].clone())
}

/// The outcome of one operation, comparable between the store and the model: `Ok(detail)` or `Err(kind)`.
type Outcome = Result<String, &'static str>;

/// What a store's answer says, in the model's words.
fn describe(result: Result<koko_core::Outcome, Error>) -> Outcome {
    match result.map_err(|e| e.kind())? {
        koko_core::Outcome::Book { book, copies } => {
            let ids: Vec<u64> = copies.iter().map(|c| c.id.get()).collect();
            Ok(format!("book {} copies {ids:?}", book.id))
        }
        koko_core::Outcome::Customer(c) => Ok(format!("customer {} active {}", c.id, c.active)),
        koko_core::Outcome::Entry(e) => Ok(format!(
            "entry {} {} balance {}",
            e.kind.name(),
            e.amount,
            e.balance_after
        )),
        koko_core::Outcome::Rental(r) => Ok(match &r.charge {
            None => format!("rental {} copy {} due {:?}", r.id, r.copy, r.due_at),
            Some(charge) if r.lost => format!("rental {} lost {}", r.id, charge.total),
            Some(charge) => format!("rental {} closed {}", r.id, charge.total),
        }),
        koko_core::Outcome::Hold(h) => Ok(format!(
            "hold {} {} copy {:?}",
            h.id,
            h.status.as_str(),
            h.copy.map(|c| c.get())
        )),
        koko_core::Outcome::Holds(holds) => Ok(format!(
            "holds {:?}",
            holds.iter().map(|h| h.id.get()).collect::<Vec<_>>()
        )),
        koko_core::Outcome::Found { copy, credit } => Ok(format!(
            "found copy {} {} credit {:?}",
            copy.id,
            copy.status.as_str(),
            credit.map(|e| e.amount.to_string())
        )),
        other => Ok(format!("{other:?}")),
    }
}

/// Runs one operation through the facade's own method for it (what a caller without batches uses).
fn run_one<S: Storage>(store: &BookStore<S>, op: Operation) -> Result<koko_core::Outcome, Error> {
    Ok(match op {
        Operation::AddBook { book, copies } => {
            let book = store.add_book(&book, copies)?;
            let copies = store.copies(book.id)?;
            koko_core::Outcome::Book { book, copies }
        }
        Operation::RegisterCustomer(new) => {
            koko_core::Outcome::Customer(store.register_customer(&new)?)
        }
        Operation::UpdateCustomer { id, update } => {
            koko_core::Outcome::Customer(if update.active == Some(true) {
                store.activate_customer(id)?
            } else {
                store.deactivate_customer(id)?
            })
        }
        Operation::Rent {
            target,
            customer,
            at,
        } => koko_core::Outcome::Rental(match target {
            RentTarget::Book(book) => store.rent_book_at(customer, book, at)?,
            RentTarget::Copy(copy) => store.rent_copy_at(customer, copy, at)?,
        }),
        Operation::Return {
            rental,
            at,
            damage: None,
        } => {
            let receipt = store.return_rental_at(rental, at)?;
            koko_core::Outcome::Rental(receipt.rental)
        }
        other => store
            .apply_batch(vec![other])?
            .into_iter()
            .next()
            .expect("one answer")?,
    })
}

impl Model {
    /// The operation `op` stands for and what the model expects of it, applied to the model at once (so the next
    /// operation of a batch sees it). `None` when there is nothing to pick from yet.
    fn plan(&mut self, op: &Op, plan: &PricePlan) -> Option<(Operation, Outcome)> {
        self.clock += 1;
        let at = t0() + Duration::hours(self.clock);
        Some(match op {
            Op::AddBook { category, copies } => {
                let category = CATEGORIES[*category];
                let id = BookId::new(self.books.len() as u64 + 1);
                let ids: Vec<CopyId> = (0..*copies)
                    .map(|i| CopyId::new(self.copies + 1 + u64::from(i)))
                    .collect();
                self.copies += u64::from(*copies);
                let title = format!("Book {}", self.books.len());
                self.books.push((id, category, ids.clone()));
                let shown: Vec<u64> = ids.iter().map(|c| c.get()).collect();
                (
                    Operation::AddBook {
                        book: NewBook::new(title, "Author", category),
                        copies: *copies,
                    },
                    Ok(format!("book {id} copies {shown:?}")),
                )
            }
            Op::Register => {
                let id = CustomerId::new(self.customers.len() as u64 + 1);
                self.customers.push((id, true));
                (
                    Operation::RegisterCustomer(NewCustomer::new(
                        "Reader",
                        format!("{}", self.customers.len()),
                    )),
                    Ok(format!("customer {id} active true")),
                )
            }
            Op::Deactivate { customer } | Op::Activate { customer } => {
                let active = matches!(op, Op::Activate { .. });
                let (id, _) = pick(&self.customers, *customer)?;
                if let Some(entry) = self.customers.iter_mut().find(|(c, _)| *c == id) {
                    entry.1 = active;
                }
                (
                    Operation::UpdateCustomer {
                        id,
                        update: CustomerUpdate {
                            active: Some(active),
                            ..CustomerUpdate::default()
                        },
                    },
                    Ok(format!("customer {id} active {active}")),
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
                let (customer, active) = pick(&self.customers, *customer)?;
                let (book, category, copies) = pick(&self.books, index)?;
                let by_copy = matches!(op, Op::RentCopy { .. });
                let target = if by_copy {
                    RentTarget::Copy(copies[index % copies.len()])
                } else {
                    RentTarget::Book(book)
                };
                // An inactive customer is refused first; then the named copy (on the shelf, or set aside for
                // the customer), or the copy set aside for the customer's hold, or the book's first copy on the
                // shelf in id order.
                let named = match target {
                    RentTarget::Copy(copy) => Some(copy),
                    RentTarget::Book(_) => None,
                };
                let free = self.rentable(customer, book, named);
                let expected = match (active, free) {
                    (false, _) => Err("InactiveCustomer"),
                    (true, None) => Err("Unavailable"),
                    (true, Some(copy)) => {
                        let id = RentalId::new(self.rentals.len() as u64 + 1);
                        self.fulfil(customer, copy, at);
                        self.rented.insert(copy, id);
                        self.rentals.insert(id, (copy, category, at, None));
                        self.owners.insert(id, customer);
                        let due = (category == "regular").then(|| at + Duration::days(LOAN_DAYS));
                        self.dues.insert(id, (due, 0));
                        Ok(format!("rental {id} copy {copy} due {due:?}"))
                    }
                };
                (
                    Operation::Rent {
                        target,
                        customer,
                        at,
                    },
                    expected,
                )
            }
            Op::Return { rental, hours } => {
                let ids: Vec<RentalId> = self.rentals.keys().copied().collect();
                let id = pick(&ids, *rental)?;
                let returned = self.rentals[&id].2.max(at) + Duration::hours(*hours);
                let expected = self.close(id, returned, plan);
                (Operation::return_at(id, returned), expected)
            }
            Op::ReturnCopy { copy, hours } => {
                let all: Vec<CopyId> = (1..=self.copies).map(CopyId::new).collect();
                let copy = pick(&all, *copy)?;
                let returned = at + Duration::hours(*hours);
                let expected = match self.rented.get(&copy) {
                    Some(id) => self.close(*id, returned, plan),
                    None => Err("InvalidInput"),
                };
                (Operation::ReturnCopy { copy, at: returned }, expected)
            }
            Op::Renew { rental, hours } => {
                let ids: Vec<RentalId> = self.rentals.keys().copied().collect();
                let id = pick(&ids, *rental)?;
                let (copy, _, rented_at, charge) = self.rentals[&id].clone();
                let when = rented_at.max(at) + Duration::hours(*hours);
                let (due, renewed) = self.dues[&id];
                let waiting = self.circ.first_waiting(self.book_of(copy)).is_some();
                // Closed, then no loan period, then the tariff's maximum, then a hold waiting for the copy; else
                // the due date moves by the loan.
                let expected = match (charge, due) {
                    (Some(_), _) => Err("AlreadyReturned"),
                    (None, None) => Err("InvalidInput"),
                    (None, Some(_)) if renewed >= MAX_RENEWALS || waiting => Err("Blocked"),
                    (None, Some(due)) => {
                        let new_due = due + Duration::days(LOAN_DAYS);
                        self.dues.insert(id, (Some(new_due), renewed + 1));
                        Ok(format!("rental {id} copy {copy} due {:?}", Some(new_due)))
                    }
                };
                (
                    Operation::Renew {
                        rental: id,
                        at: when,
                    },
                    expected,
                )
            }
            Op::Pay { customer, cents }
            | Op::Waive { customer, cents }
            | Op::Refund { customer, cents } => {
                let (customer, _) = pick(&self.customers, *customer)?;
                let amount = Decimal::new(*cents, 2);
                let balance = self.balances.get(&customer).copied().unwrap_or_default();
                let reason = "model".to_owned();
                // Payments are credits of any size; a waiver is at most what is owed, a refund at most the credit.
                let (operation, kind, allowed, signed) = match op {
                    Op::Pay { .. } => (
                        Operation::Pay {
                            customer,
                            amount,
                            currency: None,
                            at,
                            note: None,
                        },
                        "payment",
                        true,
                        -amount,
                    ),
                    Op::Waive { .. } => (
                        Operation::Waive {
                            customer,
                            amount,
                            at,
                            reason,
                        },
                        "waiver",
                        amount <= balance,
                        -amount,
                    ),
                    _ => (
                        Operation::Refund {
                            customer,
                            amount,
                            at,
                            reason,
                        },
                        "refund",
                        amount <= -balance,
                        amount,
                    ),
                };
                let expected = if allowed {
                    let after = balance + signed;
                    self.balances.insert(customer, after);
                    Ok(format!("entry {kind} {amount} balance {after}"))
                } else {
                    Err("InvalidInput")
                };
                (operation, expected)
            }
            Op::PlaceHold { customer, book } => {
                let (customer, active) = pick(&self.customers, *customer)?;
                let (book, _, _) = pick(&self.books, *book)?;
                let expected = self.place_hold(customer, active, book, at);
                (Operation::PlaceHold { customer, book, at }, expected)
            }
            Op::CancelHold { hold } => {
                let ids: Vec<HoldId> = (1..=self.circ.holds.len() as u64)
                    .map(HoldId::new)
                    .collect();
                let hold = pick(&ids, *hold)?;
                let expected = self.cancel_hold(hold, at);
                (Operation::CancelHold { hold, at }, expected)
            }
            Op::ExpireHolds { hours } => {
                let when = at + Duration::hours(*hours);
                (Operation::ExpireHolds { at: when }, self.expire_holds(when))
            }
            Op::DeclareLost { rental, hours } => {
                let ids: Vec<RentalId> = self.rentals.keys().copied().collect();
                let id = pick(&ids, *rental)?;
                let when = self.rentals[&id].2.max(at) + Duration::hours(*hours);
                let expected = self.declare_lost(id, when, plan);
                (
                    Operation::DeclareLost {
                        rental: id,
                        at: when,
                    },
                    expected,
                )
            }
            Op::MarkFound { copy, hours } => {
                let all: Vec<CopyId> = (1..=self.copies).map(CopyId::new).collect();
                let copy = pick(&all, *copy)?;
                let when = at + Duration::hours(*hours);
                (
                    Operation::MarkFound { copy, at: when },
                    self.mark_found(copy, when),
                )
            }
            Op::RentUnknownBook { customer } => {
                let (customer, active) = pick(&self.customers, *customer)?;
                // The customer is checked before the book.
                let expected = if active {
                    "NotFound"
                } else {
                    "InactiveCustomer"
                };
                (
                    Operation::Rent {
                        target: RentTarget::Book(BookId::new(u64::MAX)),
                        customer,
                        at,
                    },
                    Err(expected),
                )
            }
        })
    }

    fn close(&mut self, id: RentalId, returned: DateTime<Utc>, plan: &PricePlan) -> Outcome {
        let (copy, category, rented_at, charge) = self.rentals[&id].clone();
        if charge.is_some() {
            return Err("AlreadyReturned");
        }
        let due = self.dues[&id].0;
        let total = plan
            .quote_with_due(category, rented_at, due, returned)
            .map_err(|e| e.kind())?
            .total
            .to_string();
        self.rented.remove(&copy);
        self.release(copy, returned);
        self.rentals
            .insert(id, (copy, category, rented_at, Some(total.clone())));
        let customer = self.owners[&id];
        let charge: Decimal = total.parse().expect("a total");
        *self.balances.entry(customer).or_default() += charge;
        *self.charges.entry(customer).or_default() += 1;
        Ok(format!("rental {id} closed {total}"))
    }

    /// Every customer's balance must be the model's, the ledger must sum to it, and each closed rental must have
    /// posted exactly one charge entry.
    fn check_accounts<S: Storage>(&self, store: &BookStore<S>) -> Result<(), String> {
        for (customer, _) in &self.customers {
            let account = store.account(*customer).map_err(|e| e.to_string())?;
            let want = self.balances.get(customer).copied().unwrap_or_default();
            let sum: Decimal = account.entries.iter().map(|e| e.signed_amount()).sum();
            let charges = account
                .entries
                .iter()
                .filter(|e| e.kind == EntryKind::Charge)
                .count();
            let want_charges = self.charges.get(customer).copied().unwrap_or_default();
            if account.balance != want || sum != want || charges != want_charges {
                return Err(format!(
                    "customer {customer}: balance {}, ledger sum {sum}, {charges} charges; the model says {want} \
                     and {want_charges}",
                    account.balance
                ));
            }
        }
        Ok(())
    }

    /// The whole stored state must be the model's: every copy's status, every rental's charge, the open ones.
    fn check<S: Storage>(&self, store: &BookStore<S>) -> Result<(), String> {
        self.check_accounts(store)?;
        self.check_holds(store)?;
        for (book, _, copies) in &self.books {
            for copy in store.copies(*book).map_err(|e| e.to_string())? {
                let want = self.copy_status(copy.id);
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
        let active: Vec<RentalId> = store
            .active_rentals()
            .map_err(|e| e.to_string())?
            .map(|r| r.map(|r| r.id))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let mut want: Vec<RentalId> = self.rented.values().copied().collect();
        want.sort();
        if open != self.rented.len() || active != want {
            return Err(format!(
                "{open} open rentals, {active:?} listed active; the model has {want:?}"
            ));
        }
        Ok(())
    }
}

/// The loan period of regular books in the model's plan, and how often a loan can be renewed.
const LOAN_DAYS: i64 = 3;
const MAX_RENEWALS: u32 = 2;

/// Story 3, with regular books due after 3 days (0.25 a late day) and renewable twice from the due date; lost
/// novels cost 10.00 and 2.00 (the 10.00 credited when found), lost fiction 8.00; copies set aside wait 2 days;
/// at most 2 holds per customer.
fn model_plan() -> PricePlan {
    let mut plan: serde_json::Value = serde_json::from_str(&PricePlan::story3().to_json()).unwrap();
    for category in CATEGORIES {
        if let Some((fee, processing, refund)) = circulation::replacement(category) {
            plan["categories"][category]["replacement"] = serde_json::json!({
                "fee": fee.to_string(), "processing_fee": processing.to_string(), "refund_when_found": refund});
        }
    }
    plan["holds"] = serde_json::json!({"pickup_days": circulation::PICKUP_DAYS});
    plan["limits"] = serde_json::json!({"max_holds": circulation::MAX_HOLDS});
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
        let mut model = Model::default();
        let mut rest = ops.as_slice();
        let mut groups = groups.iter().cycle();
        let mut step = 0;
        while !rest.is_empty() {
            let (batched, len) = *groups.next().expect("a cycle never ends");
            let (group, tail) = rest.split_at(len.min(rest.len()));
            rest = tail;
            if batched {
                let planned: Vec<(&Op, Operation, Outcome)> = group
                    .iter()
                    .filter_map(|op| model.plan(op, &plan).map(|(o, e)| (op, o, e)))
                    .collect();
                let operations = planned.iter().map(|(_, o, _)| o.clone()).collect();
                let results = store
                    .apply_batch(operations)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(results.len(), planned.len());
                for ((op, _, expected), got) in
                    planned.iter().zip(results.into_iter().map(describe))
                {
                    prop_assert_eq!(&got, expected, "step {} {:?} (batched)", step, op);
                    step += 1;
                }
                // A batch has no state in between to observe: the accounts are checked after it.
                model.check_accounts(&store).map_err(TestCaseError::fail)?;
            } else {
                // One at a time through the facade; the accounts are checked after every step.
                for op in group {
                    let Some((operation, expected)) = model.plan(op, &plan) else {
                        continue;
                    };
                    let got = describe(run_one(&store, operation));
                    prop_assert_eq!(&got, &expected, "step {} {:?}", step, op);
                    step += 1;
                    model.check_accounts(&store).map_err(TestCaseError::fail)?;
                }
            }
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
