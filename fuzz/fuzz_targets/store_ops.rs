//! An arbitrary sequence of facade operations on a `BookStore` over `MemoryStorage` with a `FixedClock`, checked
//! against a model kept here: books and their copies (available, rented under which rental, withdrawn),
//! customers (active or not), rentals (open, or closed with their charge = the quote of the plan version in force
//! when they opened, for their times), each customer's balance (charges posted by returns, payments, waivers and
//! refunds with their bounds), and the plan versions published over time.
//!
//! Every operation's outcome (Ok, or the error kind and field) must be the model's, its result must be the model's
//! record, and after every operation the whole store must equal the model and hold the invariants: a copy is rented
//! under exactly the open rental that holds it, no copy has two open rentals, ids are never reused.
#![no_main]

use std::collections::BTreeMap;
use std::sync::Arc;

use arbitrary::Arbitrary;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use koko_core::{
    BookId, BookStore, BookUpdate, CopyId, CopyStatus, CustomerId, Decimal, Error, FixedClock,
    NewBook, NewCustomer, Operation, PlanVersion, PlanVersionId, PricePlan, Quote, Rental,
    RentalId, Result, Storage,
};
use koko_fuzz::{model, PlanChoice};
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

#[derive(Debug, Clone)]
struct MBook {
    title: String,
    isbn: Option<String>,
    category: String,
    copies: Vec<CopyId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MCopy {
    Available,
    Rented(RentalId),
    Withdrawn,
}

struct Model {
    books: BTreeMap<BookId, MBook>,
    copies: BTreeMap<CopyId, (BookId, MCopy)>,
    customers: BTreeMap<CustomerId, bool>,
    rentals: BTreeMap<RentalId, Rental>,
    plans: BTreeMap<PlanVersionId, PlanVersion>,
    /// What each customer owes (negative: a credit); absent is zero.
    balances: BTreeMap<CustomerId, Decimal>,
}

/// What an operation must give: success, or an error of this kind naming this field.
#[derive(Debug, PartialEq, Eq)]
enum Want {
    Ok,
    Err(&'static str, Option<&'static str>),
}

use Want::Err as E;

fn nf() -> Want {
    E("NotFound", None)
}

fn invalid(field: &'static str) -> Want {
    E("InvalidInput", Some(field))
}

/// Panics unless `got` has the outcome the model wants.
fn outcome<T: std::fmt::Debug>(op: &Op, want: Want, got: &Result<T>) {
    match (&want, got) {
        (Want::Ok, Ok(_)) => {}
        (E(kind, field), Err(err))
            if *kind == err.kind() && (field.is_none() || *field == err.field()) => {}
        _ => panic!("{op:?}: the model wants {want:?}, the store gave {got:?}"),
    }
}

fn error_want(err: &Error) -> Want {
    let field = err.field().map(|f| -> &'static str {
        match f {
            "returned_at" => "returned_at",
            "category" => "category",
            other => panic!("unexpected error field {other}"),
        }
    });
    E(err.kind(), field)
}

fn pick_id<K: Copy + Ord, V>(
    known: &BTreeMap<K, V>,
    r: Ref,
    make: impl Fn(u64) -> K,
    get: impl Fn(K) -> u64,
) -> K {
    let next = known.keys().map(|k| get(*k)).max().unwrap_or(0) + 1;
    match r {
        Ref::Known(i) if !known.is_empty() => {
            *known.keys().nth(usize::from(i) % known.len()).unwrap()
        }
        Ref::Known(_) => make(next),
        Ref::Unknown(255) => make(0),
        Ref::Unknown(k) => make(next + u64::from(k % 4)),
    }
}

impl Model {
    /// The version in force at `at`: the latest `effective_from` not after it (two never start at one instant).
    fn plan_at(&self, at: DateTime<Utc>) -> &PlanVersion {
        self.plans
            .values()
            .filter(|v| v.effective_from <= at)
            .max_by_key(|v| v.effective_from)
            .expect("the first plan is in force from 1970")
    }

    fn plan_of(&self, rental: &Rental) -> &PricePlan {
        &self.plans[&rental.plan_version].plan
    }

    /// What returning `rental` at `at` charges: its plan version's quote.
    fn charge(&self, rental: &Rental, at: DateTime<Utc>) -> Result<Quote> {
        self.plan_of(rental)
            .quote(&rental.category, rental.rented_at, at)
    }

    fn fresh<K: Ord + std::fmt::Debug, V>(map: &BTreeMap<K, V>, id: K) {
        assert!(!map.contains_key(&id), "id {id:?} was given out twice");
    }

    fn available(&self, book: BookId) -> usize {
        self.books[&book]
            .copies
            .iter()
            .filter(|c| self.copies[c].1 == MCopy::Available)
            .count()
    }

    fn open(&self) -> Vec<RentalId> {
        self.rentals
            .values()
            .filter(|r| r.returned_at.is_none())
            .map(|r| r.id)
            .collect()
    }
}

/// The whole store equals the model, and the invariants hold on what the store says.
fn check_store<S: Storage>(store: &BookStore<S>, m: &Model) {
    let customers: Vec<(CustomerId, bool)> = store
        .customers()
        .unwrap()
        .map(|c| c.map(|c| (c.id, c.active)).unwrap())
        .collect();
    let want: Vec<(CustomerId, bool)> = m.customers.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(customers, want, "customers");

    let books: Vec<_> = store.books().unwrap().map(|b| b.unwrap()).collect();
    assert_eq!(books.len(), m.books.len(), "book count");
    let mut holders: BTreeMap<CopyId, RentalId> = BTreeMap::new();
    for book in &books {
        let mb = &m.books[&book.id];
        assert_eq!(
            (&book.title, &book.isbn, &book.category),
            (&mb.title, &mb.isbn, &mb.category),
            "book {}",
            book.id
        );
        let copies = store.copies(book.id).unwrap();
        assert_eq!(
            copies.iter().map(|c| c.id).collect::<Vec<_>>(),
            mb.copies,
            "copies of book {}",
            book.id
        );
        for copy in &copies {
            assert_eq!(copy.book, book.id);
            let want = match m.copies[&copy.id].1 {
                MCopy::Available => CopyStatus::Available,
                MCopy::Rented(r) => CopyStatus::Rented(r),
                MCopy::Withdrawn => CopyStatus::Withdrawn,
            };
            assert_eq!(copy.status, want, "status of copy {}", copy.id);
            if let CopyStatus::Rented(r) = copy.status {
                holders.insert(copy.id, r);
            }
        }
        assert_eq!(
            store.available_copies(book.id).unwrap(),
            m.available(book.id)
        );
    }

    let rentals: Vec<Rental> = store.rentals().unwrap().map(|r| r.unwrap()).collect();
    assert_eq!(
        rentals,
        m.rentals.values().cloned().collect::<Vec<_>>(),
        "rentals"
    );
    for r in &rentals {
        assert_eq!(
            r.returned_at.is_some(),
            r.charge.is_some(),
            "a rental is charged iff closed: {r:?}"
        );
    }

    let active: Vec<Rental> = store
        .active_rentals()
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        active.iter().map(|r| r.id).collect::<Vec<_>>(),
        m.open(),
        "active rentals"
    );
    // No copy has two open rentals, and a copy is rented under exactly the open rental that holds it.
    let mut out = BTreeMap::new();
    for r in &active {
        assert!(r.returned_at.is_none());
        if let Some(other) = out.insert(r.copy, r.id) {
            panic!("copy {} has two open rentals: {other} and {}", r.copy, r.id);
        }
    }
    assert_eq!(out, holders, "copies marked rented vs open rentals");
}

/// The charge of a closed rental is the plan's quote for its times, which is what the pricing rules give.
fn check_charge(plan: &PricePlan, rental: &Rental, quote: &Quote) {
    let returned = rental.returned_at.expect("closed");
    let expected = model::for_times(plan, &rental.category, rental.rented_at, returned)
        .expect("a rental the store closed prices by the rules");
    expected.check(plan, quote, &rental.id);
}

fuzz_target!(|input: Input| {
    let plan = input.plan.build();
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
        + TimeDelta::seconds(i64::from(input.start_secs));
    let clock = Arc::new(FixedClock::new(start));
    let store = BookStore::in_memory(plan.clone())
        .unwrap()
        .with_clock(clock.clone());
    let first = store.current_plan().unwrap();
    assert_eq!(
        (&first.plan, first.effective_from),
        (&plan, koko_core::DEFAULT_PLAN_START)
    );
    let mut now: DateTime<Utc> = start;
    let mut m = Model {
        books: BTreeMap::new(),
        copies: BTreeMap::new(),
        customers: BTreeMap::new(),
        rentals: BTreeMap::new(),
        plans: BTreeMap::from([(first.id, first)]),
        balances: BTreeMap::new(),
    };

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
                let key = title.trim().to_lowercase();
                let normalised = isbn.and_then(|(_, n)| n);
                let want = if m.plan_at(now).plan.tariff(category.trim()).is_err() {
                    invalid("category")
                } else if isbn.is_some() && normalised.is_none() {
                    invalid("isbn")
                } else if category.trim().is_empty() {
                    invalid("category")
                } else if copies == 0 || copies > 10_000 {
                    invalid("copies")
                } else if m.books.values().any(|b| b.title.to_lowercase() == key) {
                    E("Duplicate", Some("title"))
                } else if normalised.is_some()
                    && m.books.values().any(|b| b.isbn.as_deref() == normalised)
                {
                    E("Duplicate", Some("isbn"))
                } else {
                    Want::Ok
                };
                let got = store.add_book(&new, copies);
                outcome(op, want, &got);
                if let Ok(book) = got {
                    Model::fresh(&m.books, book.id);
                    assert_eq!(book.title, title.trim());
                    assert_eq!(book.category, category.trim());
                    assert_eq!(book.isbn.as_deref(), normalised);
                    let made = store.copies(book.id).unwrap();
                    assert_eq!(made.len(), copies as usize);
                    for c in &made {
                        Model::fresh(&m.copies, c.id);
                        assert_eq!(c.status, CopyStatus::Available);
                        m.copies.insert(c.id, (book.id, MCopy::Available));
                    }
                    m.books.insert(
                        book.id,
                        MBook {
                            title: book.title.clone(),
                            isbn: book.isbn.clone(),
                            category: book.category.clone(),
                            copies: made.iter().map(|c| c.id).collect(),
                        },
                    );
                }
            }
            Op::AddCopies { book, count } => {
                let book = pick_id(&m.books, *book, BookId::new, BookId::get);
                let count = u32::from(count % 4);
                let want = if count == 0 {
                    invalid("copies")
                } else if !m.books.contains_key(&book) {
                    nf()
                } else {
                    Want::Ok
                };
                let got = store.add_copies(book, count);
                outcome(op, want, &got);
                if let Ok(made) = got {
                    assert_eq!(made.len(), count as usize);
                    for c in &made {
                        Model::fresh(&m.copies, c.id);
                        assert_eq!((c.book, c.status), (book, CopyStatus::Available));
                        m.copies.insert(c.id, (book, MCopy::Available));
                        m.books.get_mut(&book).unwrap().copies.push(c.id);
                    }
                }
            }
            Op::UpdateCategory { book, category } => {
                let id = pick_id(&m.books, *book, BookId::new, BookId::get);
                let category = CATEGORIES[usize::from(*category) % CATEGORIES.len()];
                let want = if m.plan_at(now).plan.tariff(category.trim()).is_err() {
                    invalid("category")
                } else if !m.books.contains_key(&id) {
                    nf()
                } else if category.trim().is_empty() {
                    invalid("category")
                } else {
                    Want::Ok
                };
                let update = BookUpdate {
                    category: Some(category.to_owned()),
                    ..BookUpdate::default()
                };
                let got = store.update_book(id, &update);
                outcome(op, want, &got);
                if let Ok(book) = got {
                    assert_eq!((book.id, book.category.as_str()), (id, category.trim()));
                    // Open rentals keep the category they were rented under (checked with every rental below).
                    m.books.get_mut(&id).unwrap().category = book.category;
                }
            }
            Op::AddCustomer(i) => {
                let (first, last) = NAMES[usize::from(*i) % NAMES.len()];
                let got = store.register_customer(&NewCustomer::new(first, last));
                outcome(op, Want::Ok, &got);
                let c = got.unwrap();
                Model::fresh(&m.customers, c.id);
                assert_eq!(
                    (c.first_name.as_str(), c.last_name.as_str(), c.active),
                    (first.trim(), last, true)
                );
                m.customers.insert(c.id, true);
            }
            Op::Deactivate(r) | Op::Activate(r) => {
                let active = matches!(op, Op::Activate(_));
                let id = pick_id(&m.customers, *r, CustomerId::new, CustomerId::get);
                let want = if m.customers.contains_key(&id) {
                    Want::Ok
                } else {
                    nf()
                };
                let got = if active {
                    store.activate_customer(id)
                } else {
                    store.deactivate_customer(id)
                };
                outcome(op, want, &got);
                if let Ok(c) = got {
                    assert_eq!((c.id, c.active), (id, active));
                    m.customers.insert(id, active);
                }
            }
            Op::RentBook { customer, book }
            | Op::RentCopy {
                customer,
                copy: book,
            } => {
                let by_book = matches!(op, Op::RentBook { .. });
                let customer = pick_id(&m.customers, *customer, CustomerId::new, CustomerId::get);
                // The copy the model expects to be lent (None: the target does not exist).
                let (target, got) = if by_book {
                    let book = pick_id(&m.books, *book, BookId::new, BookId::get);
                    let target = m.books.get(&book).map(|b| {
                        b.copies
                            .iter()
                            .copied()
                            .find(|c| m.copies[c].1 == MCopy::Available)
                    });
                    (target, store.rent_book(customer, book))
                } else {
                    let copy = pick_id(&m.copies, *book, CopyId::new, CopyId::get);
                    let target = m
                        .copies
                        .get(&copy)
                        .map(|(_, s)| (*s == MCopy::Available).then_some(copy));
                    (target, store.rent_copy(customer, copy))
                };
                let version = m.plan_at(now).clone();
                let want = match (m.customers.get(&customer), target) {
                    (None, _) => nf(),
                    (Some(false), _) => E("InactiveCustomer", None),
                    (Some(true), None) => nf(),
                    (Some(true), Some(None)) => E("Unavailable", None),
                    (Some(true), Some(Some(_))) => Want::Ok,
                };
                outcome(op, want, &got);
                if let Ok(rental) = got {
                    let copy = target.flatten().unwrap();
                    Model::fresh(&m.rentals, rental.id);
                    let book = m.copies[&copy].0;
                    let category = m.books[&book].category.clone();
                    let want = Rental {
                        id: rental.id,
                        copy,
                        book,
                        customer,
                        due_at: version.plan.due_at(&category, now).unwrap(),
                        category,
                        rented_at: now,
                        returned_at: None,
                        plan_version: version.id,
                        charge: None,
                        renewals: Vec::new(),
                        lost: false,
                    };
                    assert_eq!(rental, want, "{op:?}");
                    m.copies.get_mut(&copy).unwrap().1 = MCopy::Rented(rental.id);
                    m.rentals.insert(rental.id, rental);
                }
            }
            Op::Return(r) | Op::ReturnBackdated { rental: r, .. } => {
                let at = match op {
                    Op::ReturnBackdated { secs, .. } => now - TimeDelta::seconds(i64::from(*secs)),
                    _ => now,
                };
                let id = pick_id(&m.rentals, *r, RentalId::new, RentalId::get);
                let (want, quote) = match m.rentals.get(&id) {
                    None => (nf(), None),
                    Some(r) if r.returned_at.is_some() => (E("AlreadyReturned", None), None),
                    Some(r) => match m.charge(r, at) {
                        Ok(q) => (Want::Ok, Some(q)),
                        Err(e) => (error_want(&e), None),
                    },
                };
                let got = if at == now {
                    store.return_rental(id)
                } else {
                    store.return_rental_at(id, at)
                };
                outcome(op, want, &got);
                if let Ok(receipt) = got {
                    let quote = quote.unwrap();
                    let mut closed = m.rentals[&id].clone();
                    closed.returned_at = Some(at);
                    closed.charge = Some(quote.clone());
                    assert_eq!(receipt.rental, closed, "{op:?}");
                    assert_eq!(receipt.charge, quote);
                    assert_eq!(receipt.title, m.books[&closed.book].title);
                    check_charge(m.plan_of(&closed), &closed, &quote);
                    // The charge is posted to the customer's ledger with the return.
                    let balance = m.balances.entry(closed.customer).or_default();
                    *balance += quote.total;
                    assert_eq!(
                        receipt.balance, *balance,
                        "{op:?}: the balance after the charge"
                    );
                    m.copies.get_mut(&closed.copy).unwrap().1 = MCopy::Available;
                    m.rentals.insert(id, closed);
                }
            }
            Op::QuoteReturn { rental, hours } => {
                let at = now + TimeDelta::hours(i64::from(*hours));
                let id = pick_id(&m.rentals, *rental, RentalId::new, RentalId::get);
                let got = store.quote_return(id, at);
                match m.rentals.get(&id) {
                    None => outcome(op, nf(), &got),
                    Some(r) if r.returned_at.is_some() => {
                        outcome(op, E("AlreadyReturned", None), &got)
                    }
                    Some(r) => {
                        let want = m.charge(r, at).unwrap();
                        assert_eq!(got.unwrap(), want, "{op:?}");
                    }
                }
            }
            Op::Withdraw(c) | Op::Reinstate(c) => {
                let withdraw = matches!(op, Op::Withdraw(_));
                let id = pick_id(&m.copies, *c, CopyId::new, CopyId::get);
                let (want, next) = match m.copies.get(&id) {
                    None => (nf(), None),
                    Some((_, MCopy::Rented(_))) if withdraw => (E("Unavailable", None), None),
                    Some((_, s @ MCopy::Rented(_))) => (Want::Ok, Some(*s)),
                    Some(_) if withdraw => (Want::Ok, Some(MCopy::Withdrawn)),
                    Some(_) => (Want::Ok, Some(MCopy::Available)),
                };
                let got = if withdraw {
                    store.withdraw_copy(id)
                } else {
                    store.reinstate_copy(id)
                };
                outcome(op, want, &got);
                if let (Ok(copy), Some(next)) = (got, next) {
                    assert_eq!(copy.id, id);
                    m.copies.get_mut(&id).unwrap().1 = next;
                }
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
                let got = store.quote(category, now, returned);
                match m.plan_at(now).plan.quote(category, now, returned) {
                    Ok(want) => assert_eq!(got.unwrap(), want, "{op:?}"),
                    Err(e) => outcome(op, error_want(&e), &got),
                }
            }
            Op::CustomerRentals(c) => {
                let id = pick_id(&m.customers, *c, CustomerId::new, CustomerId::get);
                match store.customer_rentals(id) {
                    Ok(list) => {
                        assert!(
                            m.customers.contains_key(&id),
                            "{op:?} listed an unknown customer"
                        );
                        let got: Vec<Rental> = list.map(|r| r.unwrap()).collect();
                        let want: Vec<Rental> = m
                            .rentals
                            .values()
                            .filter(|r| r.customer == id)
                            .cloned()
                            .collect();
                        assert_eq!(got, want, "{op:?}");
                    }
                    Err(e) => outcome::<()>(op, nf(), &Err(e)),
                }
                if !m.customers.contains_key(&id) {
                    assert!(store.customer_rentals(id).is_err());
                }
            }
            Op::Available(b) => {
                let id = pick_id(&m.books, *b, BookId::new, BookId::get);
                let got = store.available_copies(id);
                match m.books.get(&id) {
                    None => outcome(op, nf(), &got),
                    Some(_) => assert_eq!(got.unwrap(), m.available(id), "{op:?}"),
                }
            }
            Op::Overdue => {
                let got: Vec<RentalId> = store
                    .overdue_rentals(now)
                    .unwrap()
                    .map(|r| r.unwrap().id)
                    .collect();
                let want: Vec<RentalId> = m
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
                let closed: Vec<&Rental> = m
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
                let open: Vec<&Rental> = m
                    .rentals
                    .values()
                    .filter(|r| r.returned_at.is_none())
                    .collect();
                let mut want: BTreeMap<&str, Decimal> = BTreeMap::new();
                for r in &open {
                    let quote = m.charge(r, now).unwrap();
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
                let mut out = Vec::new();
                let n = store.export_active_rentals_csv(&mut out).unwrap();
                assert_eq!(n, m.open().len() as u64);
                let text = String::from_utf8(out).unwrap();
                assert_eq!(
                    text.lines().count(),
                    m.open().len() + 1,
                    "CSV rows:\n{text}"
                );
                assert!(text.starts_with("rental_id,"), "CSV header:\n{text}");
            }
            Op::Ledger {
                kind,
                customer,
                cents,
            } => {
                let id = pick_id(&m.customers, *customer, CustomerId::new, CustomerId::get);
                let amount = Decimal::new(i64::from(*cents), 2);
                let balance = m.balances.get(&id).copied().unwrap_or_default();
                // The amount is checked first, then the customer, then a waiver's or a refund's bound.
                let (operation, signed, bound) = match kind % 3 {
                    0 => (
                        Operation::Pay {
                            customer: id,
                            amount,
                            currency: None,
                            at: now,
                            note: None,
                        },
                        -amount,
                        true,
                    ),
                    1 => (
                        Operation::Waive {
                            customer: id,
                            amount,
                            at: now,
                            reason: "fuzz".into(),
                        },
                        -amount,
                        amount <= balance,
                    ),
                    _ => (
                        Operation::Refund {
                            customer: id,
                            amount,
                            at: now,
                            reason: "fuzz".into(),
                        },
                        amount,
                        amount <= -balance,
                    ),
                };
                let decimals = m
                    .plans
                    .values()
                    .next()
                    .map_or(2, |v| v.plan.currency().minor_unit());
                let want = if *cents == 0 || amount.normalize().scale() > decimals {
                    invalid("amount")
                } else if !m.customers.contains_key(&id) {
                    nf()
                } else if !bound {
                    invalid("amount")
                } else {
                    Want::Ok
                };
                let got = store.apply(operation);
                outcome(op, want, &got);
                if let Ok(outcome) = got {
                    let entry = outcome.into_entry().unwrap();
                    let after = balance + signed;
                    assert_eq!(
                        (entry.amount, entry.balance_after),
                        (amount, after),
                        "{op:?}"
                    );
                    m.balances.insert(id, after);
                }
            }
            Op::PublishPlan {
                preset,
                offset_secs,
            } => {
                let plan = PlanChoice::Preset(*preset).build();
                let from = now + TimeDelta::seconds(i64::from(*offset_secs));
                let taken = m.plans.values().any(|v| v.effective_from == from);
                // The store's currency is its first plan version's; every later version must use it.
                let store_currency = m.plans.values().next().map(|v| v.plan.currency());
                let got = store.publish_plan(plan.clone(), from);
                outcome(
                    op,
                    if store_currency.is_some_and(|c| c != plan.currency()) {
                        E("InvalidPlan", Some("currency"))
                    } else if taken {
                        E("Duplicate", Some("effective_from"))
                    } else {
                        Want::Ok
                    },
                    &got,
                );
                if let Ok(version) = got {
                    Model::fresh(&m.plans, version.id);
                    assert_eq!((&version.plan, version.effective_from), (&plan, from));
                    m.plans.insert(version.id, version);
                }
            }
        }
        for customer in m.customers.keys() {
            let account = store.account(*customer).unwrap();
            let want = m.balances.get(customer).copied().unwrap_or_default();
            let sum: Decimal = account.entries.iter().map(|e| e.signed_amount()).sum();
            assert_eq!(
                (account.balance, sum),
                (want, want),
                "customer {customer}'s balance"
            );
        }
        let versions: Vec<PlanVersion> = store.plan_versions();
        assert_eq!(
            versions,
            m.plans.values().cloned().collect::<Vec<_>>(),
            "plan versions"
        );
        assert_eq!(
            store.current_plan().unwrap().id,
            m.plan_at(now).id,
            "plan in force at {now}"
        );
        check_store(&store, &m);
    }
});
