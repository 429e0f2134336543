//! What a row of the scaling benchmark is, and the helpers its set-ups share: the plans, the instants, and data
//! added in batches.

use std::error::Error;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use koko_core::{
    BookId, BookStore, CopyId, CustomerId, NewBook, NewCustomer, Operation, Outcome, PricePlan,
    RentTarget, RentalId, Storage,
};

/// Errors of a set-up or a call: koko's, or a row whose call did not return what the row says.
pub type BenchError = Box<dyn Error>;
/// A result of the benchmark.
pub type Res<T> = std::result::Result<T, BenchError>;

/// What `k` calls of a row's operation took (only the calls: a row's untimed preparation is left out), and how
/// many operations they were (a batch of N counts N).
pub struct Timed {
    /// The time of the calls.
    pub elapsed: Duration,
    /// How many operations were timed.
    pub ops: usize,
}

/// Runs `k` calls of a row's operation on the store it was built for.
pub type Measure<S> = Box<dyn FnMut(&BookStore<S>, usize) -> Res<Timed>>;

/// How a row's calls are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A read (or a write that changes nothing): as many calls per sample as fill the sample time.
    Read,
    /// A write that uses up one prepared target per call: a fixed number of calls per sample.
    Write,
    /// One batch of N operations per call (N is the size); timed per operation.
    Batch,
}

/// One row of the table: an operation, what it returns (held constant) and the data it does not return (N).
pub struct Row<S: Storage> {
    /// The issue's row number (`1`, `1b`, …).
    pub id: &'static str,
    /// The call and what it returns.
    pub operation: &'static str,
    /// The data that grows with N, which the call does not return.
    pub grows: &'static str,
    /// How its calls are counted.
    pub kind: Kind,
    /// Builds the data for size `n` in an empty store, with enough targets for `calls` calls; answers the
    /// measurement.
    pub build: fn(&BookStore<S>, usize, usize) -> Res<Measure<S>>,
}

/// The plan of every row (row 5 adds limits to it): a 14-day loan with a late fee and replacement fees, notices
/// two days before the due date and 1 and 7 days after, holds kept 3 days, `regular` and `novel` books.
pub fn plan() -> PricePlan {
    plan_with("")
}

/// [`plan`] with limits that never refuse but make a rent read the customer's open rentals.
pub fn limits_plan() -> PricePlan {
    plan_with(r#", "limits": {"max_open_rentals": 1000000000, "max_overdue_rentals": 1000000000}"#)
}

fn plan_with(extra: &str) -> PricePlan {
    let tariff = r#"{"tiers": [{"from_day": 1, "rate": "1.00"}],
        "late_fee": {"loan_days": 14, "per_day": "0.50"},
        "replacement": {"fee": "20.00", "processing_fee": "5.00"}}"#;
    let json = format!(
        r#"{{"name": "scaling", "currency": "USD",
            "categories": {{"regular": {tariff}, "novel": {tariff}}},
            "notices": {{"due_soon_days": 2, "overdue_days": [1, 7]}},
            "holds": {{"pickup_days": 3}}{extra}}}"#
    );
    match PricePlan::from_json(&json) {
        Ok(plan) => plan,
        Err(err) => panic!("the scaling plan is invalid: {err}"),
    }
}

/// The instant every call is made at (2024-06-01T00:00:00Z), plus `hours`.
pub fn now(hours: i64) -> DateTime<Utc> {
    koko_benches::at(hours)
}

/// [`now`] plus `days` days.
pub fn day(days: i64) -> DateTime<Utc> {
    now(24 * days)
}

/// Operations per atomic batch while building: large enough to build quickly, small enough that a batch's own
/// cost (which may grow with its size) stays small.
const CHUNK: usize = 250;

/// Applies `ops` in batches of [`CHUNK`]; every operation must succeed. Answers the outcomes in order.
pub fn apply<S: Storage>(store: &BookStore<S>, ops: Vec<Operation>) -> Res<Vec<Outcome>> {
    let mut outcomes = Vec::with_capacity(ops.len());
    let mut ops = ops.into_iter().peekable();
    while ops.peek().is_some() {
        let chunk: Vec<Operation> = ops.by_ref().take(CHUNK).collect();
        for result in store.apply_batch(chunk)? {
            outcomes.push(result?);
        }
    }
    Ok(outcomes)
}

/// Registers `n` customers.
pub fn customers<S: Storage>(store: &BookStore<S>, n: usize) -> Res<Vec<CustomerId>> {
    let ops = (0..n)
        .map(|i| Operation::RegisterCustomer(NewCustomer::new(format!("Reader{i}"), "Scaling")))
        .collect();
    apply(store, ops)?
        .into_iter()
        .map(|o| Ok(o.into_customer()?.id))
        .collect()
}

/// The next title number: titles are unique across every store of the run.
static TITLES: AtomicUsize = AtomicUsize::new(0);

/// Adds `n` books of `category` with `copies` copies each (titles unique in the store, none with the word
/// `zyzzyva`); answers each book and its copies.
pub fn books<S: Storage>(
    store: &BookStore<S>,
    n: usize,
    category: &str,
    copies: u32,
) -> Res<Vec<(BookId, Vec<CopyId>)>> {
    let first = TITLES.fetch_add(n, Ordering::Relaxed);
    let ops = (0..n)
        .map(|i| Operation::AddBook {
            book: NewBook::new(format!("Volume {}", first + i), "Scaling", category),
            copies,
        })
        .collect();
    apply(store, ops)?
        .into_iter()
        .map(|o| {
            let (book, copies) = o.into_book()?;
            Ok((book.id, copies.into_iter().map(|c| c.id).collect()))
        })
        .collect()
}

/// `n` copies on the shelf: books of up to 5,000 regular copies.
pub fn copies<S: Storage>(store: &BookStore<S>, n: usize) -> Res<Vec<CopyId>> {
    let mut all = Vec::with_capacity(n);
    while all.len() < n {
        let count = (n - all.len()).min(5_000) as u32;
        for (_, list) in books(store, 1, "regular", count)? {
            all.extend(list);
        }
    }
    Ok(all)
}

/// Rents each copy at `at` to the customers in turn; answers the rentals.
pub fn rent<S: Storage>(
    store: &BookStore<S>,
    copies: &[CopyId],
    customers: &[CustomerId],
    at: DateTime<Utc>,
) -> Res<Vec<RentalId>> {
    let ops = copies
        .iter()
        .enumerate()
        .map(|(i, copy)| Operation::Rent {
            target: RentTarget::Copy(*copy),
            customer: customers[i % customers.len()],
            at,
        })
        .collect();
    apply(store, ops)?
        .into_iter()
        .map(|o| Ok(o.into_rental()?.id))
        .collect()
}

/// Returns the rentals at `at`.
pub fn close<S: Storage>(store: &BookStore<S>, rentals: &[RentalId], at: DateTime<Utc>) -> Res<()> {
    apply(
        store,
        rentals
            .iter()
            .map(|r| Operation::return_at(*r, at))
            .collect(),
    )
    .map(|_| ())
}

/// `n` open rentals made at `at` of new copies, spread over 16 new customers.
pub fn open_rentals<S: Storage>(store: &BookStore<S>, n: usize, at: DateTime<Utc>) -> Res<()> {
    let list = copies(store, n)?;
    let who = customers(store, 16)?;
    rent(store, &list, &who, at).map(|_| ())
}

/// A read: each call's answer must have `expect` items (what the row holds constant).
pub fn read<S, F>(expect: usize, call: F) -> Measure<S>
where
    S: Storage + 'static,
    F: Fn(&BookStore<S>) -> Res<usize> + 'static,
{
    Box::new(move |store, k| {
        let started = Instant::now();
        for _ in 0..k {
            let got = black_box(call(store)?);
            if got != expect {
                return Err(format!("the call returned {got} items, not {expect}").into());
            }
        }
        Ok(Timed {
            elapsed: started.elapsed(),
            ops: k,
        })
    })
}

/// A write that uses up one of `targets` per call.
pub fn write<S, T, F>(targets: Vec<T>, call: F) -> Measure<S>
where
    S: Storage + 'static,
    T: 'static,
    F: Fn(&BookStore<S>, T) -> Res<()> + 'static,
{
    let mut targets = targets.into_iter();
    Box::new(move |store, k| {
        let batch: Vec<T> = targets.by_ref().take(k).collect();
        if batch.len() < k {
            return Err("the row's prepared targets ran out".into());
        }
        let started = Instant::now();
        for target in batch {
            call(store, target)?;
        }
        Ok(Timed {
            elapsed: started.elapsed(),
            ops: k,
        })
    })
}

/// Applies `ops` as one timed batch and hands each outcome to `answer`, in the timed part too (as a caller
/// answering each operation does: the Python package's batch turns each closed rental into its receipt); every
/// operation must succeed.
pub fn timed_batch<S: Storage>(
    store: &BookStore<S>,
    ops: Vec<Operation>,
    mut answer: impl FnMut(&BookStore<S>, Outcome) -> Res<()>,
) -> Res<Timed> {
    let count = ops.len();
    let started = Instant::now();
    for result in store.apply_batch(ops)? {
        answer(store, result?)?;
    }
    Ok(Timed {
        elapsed: started.elapsed(),
        ops: count,
    })
}
