//! An arbitrary sequence of facade operations on a `BookStore` over `MemoryStorage` with a `FixedClock`, held
//! against `koko-model`, the one model of the store's rules (`model/`): each operation the target performs through
//! a facade method (`add_book`, `rent_book`, `return_rental`, `withdraw_copy`, …) is also stated as the
//! `Operation` it stands for and given to the model at the clock's instant.
//!
//! The store's answer must be the model's prediction: on success, what the facade method returns must be the
//! matching part of the predicted `Outcome` (a return's receipt: the closed rental, its charge, the book's title and
//! the balance after the charge entry); a refusal must be the predicted error kind and field. After every
//! operation the whole store (`Snapshot::read`) must hold exactly the records the model expects and satisfy every
//! invariant `koko_core::check::check` knows. The read-only queries (quotes, listings, reports) are checked against
//! the model's records, and every charge against the pricing model of `koko_fuzz::model`.
#![no_main]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;

use arbitrary::Arbitrary;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use koko_core::check::{self, Snapshot};
use koko_core::{
    BookId, BookStore, BookUpdate, CopyId, CopyStatus, CustomerId, CustomerUpdate, Decimal,
    EntryKind, FixedClock, NewBook, NewCustomer, Operation, Outcome, PricePlan, Quote, Receipt,
    RentTarget, Rental, RentalId, Result, Storage,
};
use koko_fuzz::{model as pricing, PlanChoice};
use koko_model::{Model, Rejected};
use libfuzzer_sys::fuzz_target;

const TITLES: &[&str] = &["Dune", "The Hobbit", "Emma", "Ærøskøbing Tales", "ΟΔΥΣΣΕΙΑ"];
const CATEGORIES: &[&str] = &[
    "regular", "fiction", "novel", "poetry", " novel ", "", "Regular",
];
/// ISBNs as entered, and their normalised form (`None`: invalid).
const ISBNS: &[(&str, Option<&str>)] = &[
    ("978-0-441-17271-9", Some("9780441172719")),
    ("0-306-40615-2", Some("0306406152")),
    ("0306406152", Some("0306406152")),
    ("0-8044-2957-x", Some("080442957X")),
    ("978-0-441-17271-8", None),
];
const NAMES: &[(&str, &str)] = &[
    ("Ada", "Lovelace"),
    ("Alan", "Turing"),
    ("  Grace ", "Hopper"),
];
const MAX_OPS: usize = 128;

/// An id: one of the known ones (by index), or one the store never gave out.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Ref {
    Known(u8),
    Unknown(u8),
}

#[derive(Arbitrary, Debug)]
enum Op {
    AddBook {
        title: u8,
        spelling: u8,
        category: u8,
        copies: u8,
        isbn: Option<u8>,
    },
    AddCopies {
        book: Ref,
        count: u8,
    },
    UpdateCategory {
        book: Ref,
        category: u8,
    },
    AddCustomer(u8),
    Deactivate(Ref),
    Activate(Ref),
    RentBook {
        customer: Ref,
        book: Ref,
    },
    RentCopy {
        customer: Ref,
        copy: Ref,
    },
    Return(Ref),
    ReturnBackdated {
        rental: Ref,
        secs: u32,
    },
    QuoteReturn {
        rental: Ref,
        hours: u16,
    },
    Withdraw(Ref),
    Reinstate(Ref),
    AdvanceSecs(u32),
    AdvanceDays(u8),
    Quote {
        category: u8,
        hours: u16,
    },
    CustomerRentals(Ref),
    Available(Ref),
    Overdue,
    Revenue {
        back_secs: u32,
    },
    Outstanding,
    ExportCsv,
    /// Publishes a preset as a new plan version, effective `offset_secs` from now (possibly in the past).
    PublishPlan {
        preset: u8,
        offset_secs: i32,
    },
    /// A payment, a waiver or a refund (`kind` 0, 1, 2) of `cents` hundredths, now.
    Ledger {
        kind: u8,
        customer: Ref,
        cents: u16,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    plan: PlanChoice,
    start_secs: u32,
    ops: Vec<Op>,
}

/// An id the `Ref` stands for among `known`: one of them (by index), or one the store never gave out (0, or up to
/// 3 past the largest).
fn pick<V>(known: &BTreeMap<u64, V>, r: Ref) -> u64 {
    let next = known.keys().next_back().map_or(0, |last| *last) + 1;
    match r {
        Ref::Known(i) if !known.is_empty() => {
            *known.keys().nth(usize::from(i) % known.len()).unwrap()
        }
        Ref::Known(_) => next,
        Ref::Unknown(255) => 0,
        Ref::Unknown(k) => next + u64::from(k % 4),
    }
}

/// Panics unless the store's answer `got` is what the model wants: the refusal it predicts, or on success `part`
/// of its prediction (what the facade method returns of the outcome). Answers the store's value when it succeeded.
fn expect<W: Debug, T: PartialEq + Debug>(
    op: &Op,
    want: &std::result::Result<W, Rejected>,
    got: Result<T>,
    part: impl FnOnce(&W) -> T,
) -> Option<T> {
    match (want, got) {
        (Ok(predicted), Ok(got)) => {
            assert_eq!(
                got,
                part(predicted),
                "{op:?}: the store's answer vs the model's"
            );
            Some(got)
        }
        (Err(rejected), Err(error)) if rejected.matches(&error) => None,
        (want, got) => panic!("{op:?}: the model predicts {want:?}, the store answered {got:?}"),
    }
}

/// The receipt of the rental a return closed, as the model's records say: the rental, its charge, its book's title
/// and the balance after its charge entry.
fn receipt(model: &Model, outcome: &Outcome) -> Receipt {
    let rental = outcome.clone().into_rental().unwrap();
    let charge = rental.charge.clone().expect("a closed rental has a charge");
    let balance = model
        .state
        .ledger
        .values()
        .find(|e| e.kind == EntryKind::Charge && e.rental == Some(rental.id))
        .expect("the model posts a closed rental's charge")
        .balance_after;
    Receipt {
        title: model.state.books[&rental.book.get()].title.clone(),
        rental,
        charge,
        balance,
    }
}

/// What returning the open `rental` at `at` charges, by the model: its plan version's quote for its times and due
/// date.
fn charge(
    model: &Model,
    rental: &Rental,
    at: DateTime<Utc>,
) -> std::result::Result<Quote, Rejected> {
    model
        .plan_of(rental)
        .quote_with_due(&rental.category, rental.rented_at, rental.due_at, at)
        .map_err(|e| Rejected::from(&e))
}

/// The charge of a closed rental is the plan's quote for its times, which is what the pricing rules give.
fn check_charge(plan: &PricePlan, rental: &Rental, quote: &Quote) {
    let returned = rental.returned_at.expect("closed");
    let expected = pricing::for_times(plan, &rental.category, rental.rented_at, returned)
        .expect("a rental the store closed prices by the rules");
    expected.check(plan, quote, &rental.id);
}

/// The whole store holds exactly the model's records and every invariant; the store's cached plan versions, the
/// plan in force now and each customer's balance are the model's.
fn check_store<S: Storage>(
    store: &BookStore<S>,
    model: &Model,
    now: DateTime<Utc>,
    after: &dyn Debug,
) {
    let snapshot = Snapshot::read(store.storage()).unwrap();
    let diff = koko_model::diff(&model.state, &snapshot);
    assert!(
        diff.is_empty(),
        "after {after:?}, the store differs from the model:\n{}",
        diff.join("\n")
    );
    if let Err(problems) = check::check(&snapshot) {
        let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
        panic!(
            "after {after:?}, the store breaks invariants:\n{}",
            problems.join("\n")
        );
    }
    assert_eq!(store.plan_versions(), model.state.plans, "plan versions");
    assert_eq!(
        store.current_plan().unwrap().id,
        model
            .plan_in_force(now)
            .expect("the first plan is in force from 1970")
            .id,
        "plan in force at {now}"
    );
    for (id, account) in &model.state.accounts {
        let got = store.account(CustomerId::new(*id)).unwrap();
        assert_eq!(got.balance, account.balance, "customer {id}'s balance");
    }
}

fuzz_target!(|input: Input| {
    let plan = input.plan.build();
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
        + TimeDelta::seconds(i64::from(input.start_secs));
    let clock = Arc::new(FixedClock::new(start));
    let store = BookStore::in_memory(plan.clone())
        .unwrap()
        .with_clock(clock.clone());
    let mut now: DateTime<Utc> = start;
    // Plan version 1 in force from koko_core::DEFAULT_PLAN_START, as the store opens.
    let mut model = Model::with_plan(plan);
    check_store(&store, &model, now, &"opening the store");

    for op in input.ops.iter().take(MAX_OPS) {
        match op {
            Op::AddBook {
                title,
                spelling,
                category,
                copies,
                isbn,
            } => {
                let base = TITLES[usize::from(*title) % TITLES.len()];
                let title = match spelling % 4 {
                    0 => base.to_owned(),
                    1 => base.to_lowercase(),
                    2 => base.to_uppercase(),
                    _ => format!("  {base} "),
                };
                let category = CATEGORIES[usize::from(*category) % CATEGORIES.len()];
                let copies = if *copies == 255 {
                    10_001
                } else {
                    u32::from(copies % 6)
                };
                let isbn = isbn.map(|i| ISBNS[usize::from(i) % ISBNS.len()]);
                let mut new = NewBook::new(&title, "A. N. Author", category);
                if let Some((raw, _)) = isbn {
                    new = new.with_isbn(raw);
                }
                let want = model.apply(
                    &Operation::AddBook {
                        book: new.clone(),
                        copies,
                    },
                    now,
                );
                let got = store.add_book(&new, copies);
                if let Some(book) = expect(op, &want, got, |o| o.clone().into_book().unwrap().0) {
                    // The table's own expectations, besides the model's.
                    assert_eq!(book.title, title.trim());
                    assert_eq!(book.isbn.as_deref(), isbn.and_then(|(_, n)| n));
                }
            }
            Op::AddCopies { book, count } => {
                let book = BookId::new(pick(&model.state.books, *book));
                let count = u32::from(count % 4);
                let want = model.apply(
                    &Operation::AddCopies {
                        book,
                        count,
                        at: Some(now),
                    },
                    now,
                );
                let got = store.add_copies(book, count);
                expect(op, &want, got, |o| o.clone().into_copies().unwrap());
            }
            Op::UpdateCategory { book, category } => {
                let id = BookId::new(pick(&model.state.books, *book));
                let category = CATEGORIES[usize::from(*category) % CATEGORIES.len()];
                let update = BookUpdate {
                    category: Some(category.to_owned()),
                    ..BookUpdate::default()
                };
                let want = model.apply(
                    &Operation::UpdateBook {
                        id,
                        update: update.clone(),
                    },
                    now,
                );
                let got = store.update_book(id, &update);
                expect(op, &want, got, |o| o.clone().into_updated_book().unwrap());
            }
            Op::AddCustomer(i) => {
                let (first, last) = NAMES[usize::from(*i) % NAMES.len()];
                let new = NewCustomer::new(first, last);
                let want = model.apply(&Operation::RegisterCustomer(new.clone()), now);
                let got = store.register_customer(&new);
                expect(op, &want, got, |o| o.clone().into_customer().unwrap())
                    .expect("registering a customer by a name from the table succeeds");
            }
            Op::Deactivate(r) | Op::Activate(r) => {
                let active = matches!(op, Op::Activate(_));
                let id = CustomerId::new(pick(&model.state.customers, *r));
                let update = CustomerUpdate {
                    active: Some(active),
                    ..CustomerUpdate::default()
                };
                let want = model.apply(&Operation::UpdateCustomer { id, update }, now);
                let got = if active {
                    store.activate_customer(id)
                } else {
                    store.deactivate_customer(id)
                };
                expect(op, &want, got, |o| o.clone().into_customer().unwrap());
            }
            Op::RentBook { customer, book }
            | Op::RentCopy {
                customer,
                copy: book,
            } => {
                let by_book = matches!(op, Op::RentBook { .. });
                let customer = CustomerId::new(pick(&model.state.customers, *customer));
                let target = if by_book {
                    RentTarget::Book(BookId::new(pick(&model.state.books, *book)))
                } else {
                    RentTarget::Copy(CopyId::new(pick(&model.state.copies, *book)))
                };
                let want = model.apply(
                    &Operation::Rent {
                        target,
                        customer,
                        at: now,
                    },
                    now,
                );
                let got = match target {
                    RentTarget::Book(book) => store.rent_book(customer, book),
                    RentTarget::Copy(copy) => store.rent_copy(customer, copy),
                };
                expect(op, &want, got, |o| o.clone().into_rental().unwrap());
            }
            Op::Return(r) | Op::ReturnBackdated { rental: r, .. } => {
                let at = match op {
                    Op::ReturnBackdated { secs, .. } => now - TimeDelta::seconds(i64::from(*secs)),
                    _ => now,
                };
                let id = RentalId::new(pick(&model.state.rentals, *r));
                let want = model.apply(&Operation::return_at(id, at), now);
                let got = if at == now {
                    store.return_rental(id)
                } else {
                    store.return_rental_at(id, at)
                };
                if let Some(receipt) = expect(op, &want, got, |o| receipt(&model, o)) {
                    check_charge(
                        model.plan_of(&receipt.rental),
                        &receipt.rental,
                        &receipt.charge,
                    );
                }
            }
            Op::QuoteReturn { rental, hours } => {
                let at = now + TimeDelta::hours(i64::from(*hours));
                let id = RentalId::new(pick(&model.state.rentals, *rental));
                let want = match model.state.rentals.get(&id.get()) {
                    None => Err(Rejected::not_found()),
                    Some(r) if r.returned_at.is_some() => Err(Rejected::kind("AlreadyReturned")),
                    Some(r) => charge(&model, r, at),
                };
                expect(op, &want, store.quote_return(id, at), Quote::clone);
            }
            Op::Withdraw(c) | Op::Reinstate(c) => {
                let withdrawn = matches!(op, Op::Withdraw(_));
                let copy = CopyId::new(pick(&model.state.copies, *c));
                let want = model.apply(
                    &Operation::SetWithdrawn {
                        copy,
                        withdrawn,
                        at: Some(now),
                    },
                    now,
                );
                let got = if withdrawn {
                    store.withdraw_copy(copy)
                } else {
                    store.reinstate_copy(copy)
                };
                expect(op, &want, got, |o| o.clone().into_copy().unwrap());
            }
            Op::AdvanceSecs(s) => {
                clock.advance(TimeDelta::seconds(i64::from(*s)));
                now += TimeDelta::seconds(i64::from(*s));
            }
            Op::AdvanceDays(d) => {
                clock.advance(TimeDelta::days(i64::from(*d)));
                now += TimeDelta::days(i64::from(*d));
            }
            Op::Quote { category, hours } => {
                let category = CATEGORIES[usize::from(*category) % CATEGORIES.len()];
                let returned = now + TimeDelta::hours(i64::from(*hours));
                let want = model
                    .plan_in_force(now)
                    .expect("the first plan is in force from 1970")
                    .plan
                    .quote(category, now, returned)
                    .map_err(|e| Rejected::from(&e));
                let got = store.quote(category, now, returned);
                expect(op, &want, got, Quote::clone);
            }
            Op::CustomerRentals(c) => {
                let id = pick(&model.state.customers, *c);
                let want = if model.state.customers.contains_key(&id) {
                    Ok(model
                        .state
                        .rentals
                        .values()
                        .filter(|r| r.customer.get() == id)
                        .cloned()
                        .collect::<Vec<Rental>>())
                } else {
                    Err(Rejected::not_found())
                };
                let got = store
                    .customer_rentals(CustomerId::new(id))
                    .map(|list| list.map(|r| r.unwrap()).collect::<Vec<Rental>>());
                expect(op, &want, got, Vec::clone);
            }
            Op::Available(b) => {
                let id = pick(&model.state.books, *b);
                let want = match model.state.book_copies.get(&id) {
                    None => Err(Rejected::not_found()),
                    Some(copies) => Ok(copies
                        .iter()
                        .filter(|c| model.state.copies[c].status == CopyStatus::Available)
                        .count()),
                };
                let got = store.available_copies(BookId::new(id));
                expect(op, &want, got, |n| *n);
            }
            Op::Overdue => {
                let got: Vec<RentalId> = store
                    .overdue_rentals(now)
                    .unwrap()
                    .map(|r| r.unwrap().id)
                    .collect();
                let want: Vec<RentalId> = model
                    .state
                    .rentals
                    .values()
                    .filter(|r| r.returned_at.is_none() && r.due_at.is_some_and(|d| now > d))
                    .map(|r| r.id)
                    .collect();
                assert_eq!(got, want, "overdue at {now}");
            }
            Op::Revenue { back_secs } => {
                let from = now - TimeDelta::seconds(i64::from(*back_secs));
                let to = now + TimeDelta::seconds(1);
                let revenue = store.revenue(from, to).unwrap();
                let closed: Vec<&Rental> = model
                    .state
                    .rentals
                    .values()
                    .filter(|r| r.returned_at.is_some_and(|t| from <= t && t < to))
                    .collect();
                let mut want: BTreeMap<&str, Decimal> = BTreeMap::new();
                for r in &closed {
                    let charge = r.charge.as_ref().unwrap();
                    *want.entry(charge.currency.code()).or_default() += charge.total;
                }
                for (code, total) in &want {
                    assert_eq!(
                        revenue.total(code.parse().unwrap()),
                        *total,
                        "{code} revenue from {from} to {to}"
                    );
                }
                assert_eq!(revenue.rentals(), closed.len() as u64);
            }
            Op::Outstanding => {
                let got = store.outstanding_charges(now).unwrap();
                let open: Vec<&Rental> = model
                    .state
                    .rentals
                    .values()
                    .filter(|r| r.returned_at.is_none())
                    .collect();
                let mut want: BTreeMap<&str, Decimal> = BTreeMap::new();
                for r in &open {
                    let quote = charge(&model, r, now).unwrap();
                    *want.entry(quote.currency.code()).or_default() += quote.total;
                }
                assert_eq!(got.rentals, open.len() as u64);
                assert_eq!(
                    got.totals.len(),
                    want.len(),
                    "outstanding currencies at {now}"
                );
                for (code, total) in &want {
                    assert_eq!(
                        got.total(code.parse().unwrap()),
                        *total,
                        "{code} outstanding at {now}"
                    );
                }
            }
            Op::ExportCsv => {
                let open = model
                    .state
                    .rentals
                    .values()
                    .filter(|r| r.returned_at.is_none())
                    .count();
                let mut out = Vec::new();
                let n = store.export_active_rentals_csv(&mut out).unwrap();
                assert_eq!(n, open as u64);
                let text = String::from_utf8(out).unwrap();
                assert_eq!(text.lines().count(), open + 1, "CSV rows:\n{text}");
                assert!(text.starts_with("rental_id,"), "CSV header:\n{text}");
            }
            Op::Ledger {
                kind,
                customer,
                cents,
            } => {
                let customer = CustomerId::new(pick(&model.state.customers, *customer));
                let amount = Decimal::new(i64::from(*cents), 2);
                let reason = "fuzz".to_owned();
                let operation = match kind % 3 {
                    0 => Operation::Pay {
                        customer,
                        amount,
                        currency: None,
                        at: now,
                        note: None,
                    },
                    1 => Operation::Waive {
                        customer,
                        amount,
                        at: now,
                        reason,
                    },
                    _ => Operation::Refund {
                        customer,
                        amount,
                        at: now,
                        reason,
                    },
                };
                let want = model.apply(&operation, now);
                let got = store.apply(operation);
                expect(op, &want, got, Outcome::clone);
            }
            Op::PublishPlan {
                preset,
                offset_secs,
            } => {
                let plan = PlanChoice::Preset(*preset).build();
                let from = now + TimeDelta::seconds(i64::from(*offset_secs));
                let want = model.apply(&Operation::publish_plan(plan.clone(), from), now);
                let got = store.publish_plan(plan, from);
                expect(op, &want, got, |o| o.clone().into_plan_version().unwrap());
            }
        }
        check_store(&store, &model, now, op);
    }
});
