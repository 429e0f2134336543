//! The writer's workload: a seeded random mix of store operations, each logged before and after.
//!
//! The writer chooses only operations its view of the store (`view.rs`) says succeed, except the
//! conflicts it provokes on purpose, each logged with the error kind it must fail with (`conflicts.rs`). Batches
//! are made of operations on distinct books (`choose.rs`, `taken.rs`), so each is valid whatever the ones before it
//! did. The plan the writer publishes is in `plan.rs`.

use std::collections::BTreeSet;
use std::io;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::{BookStore, FixedClock, Storage};

use crate::acklog::{unix_nanos, AckWriter, Entry, Op, Outcome};
use crate::rng::SplitMix64;
use crate::snapshot;
use crate::verify::effect_visible;

mod choose;
mod conflicts;
mod execute;
mod plan;
mod taken;
mod view;

pub use plan::{plan, CATEGORIES, MAX_HOLDS, PICKUP_DAYS};
use taken::Taken;
use view::View;

/// How the workload behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadOptions {
    /// The seed of every random choice (and of the unique titles and names).
    pub seed: u64,
    /// Also provoke expected conflicts now and then (renting a rented, lost or someone else's set-aside copy,
    /// returning or losing a closed rental, renting or queueing as an inactive customer, paying nothing, renewing a
    /// rental with no renewal left or a hold waiting for its book, a second hold on a book or one over the limit,
    /// cancelling a closed hold, finding a copy that is not lost), each logged with the error kind it must fail
    /// with.
    pub conflicts: bool,
    /// Extra characters in every author name (bigger records fill a disk sooner).
    pub author_padding: usize,
}

/// How one step ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The store acknowledged the operation.
    Acked,
    /// The store returned an error of this kind (`Error::kind()`), expected or not.
    Failed {
        /// The error's kind.
        kind: &'static str,
        /// Whether the writer provoked it on purpose.
        expected: bool,
    },
}

/// The writer: its view of the store (what it may rent, return, renew, hold, …) and its deterministic clock.
pub struct Workload<S> {
    store: BookStore<S>,
    clock: Arc<FixedClock>,
    now: DateTime<Utc>,
    rng: SplitMix64,
    options: WorkloadOptions,
    view: View,
    counter: u64,
    seq: u64,
}

impl<S> std::fmt::Debug for Workload<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workload")
            .field("seed", &self.options.seed)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// Where the clock starts on an empty store: 2024-01-01T09:00:00Z.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 9, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

impl<S: Storage> Workload<S> {
    /// A workload over `store`, whose clock starts an hour after the latest instant a rental (rented, renewed or
    /// returned) or an active hold (placed, set aside) mentions, so returns always come after their rentals and
    /// charges are reproducible from the seed and the store.
    ///
    /// Ledger entries and closed holds are not read (one scan per customer would slow every writer start, and the
    /// crash test kills writers 50 ms after they start): a payment, a find or a cancellation a killed run dated
    /// after its last rental instant may be later than the next run's first operations. The checker does not rely
    /// on those being in order, and the crash test's check round after every kill ends with a return later than
    /// everything stored.
    pub fn new(store: BookStore<S>, options: WorkloadOptions) -> koko_core::Result<Self> {
        let clock = Arc::new(FixedClock::new(epoch()));
        let store = store.with_clock(clock.clone());
        let mut workload = Workload {
            store,
            clock,
            now: epoch(),
            rng: SplitMix64::new(options.seed),
            options,
            view: View::default(),
            counter: 0,
            seq: 0,
        };
        workload.load()?;
        Ok(workload)
    }

    /// The store underneath.
    pub fn store(&self) -> &BookStore<S> {
        &self.store
    }

    /// Re-reads the view from the store.
    fn load(&mut self) -> koko_core::Result<()> {
        let (view, latest) = View::load(&self.store)?;
        self.view = view;
        self.now = self
            .now
            .max(latest.map_or(epoch(), |t| t + Duration::hours(1)));
        Ok(())
    }

    /// Chooses the next operation (and the error kind it must fail with, for a provoked conflict).
    pub fn next_op(&mut self) -> (Op, Option<&'static str>) {
        let minutes = self.rng.range(10, 12 * 60) as i64;
        self.now += Duration::minutes(minutes);
        if self.options.conflicts && self.rng.chance(6) {
            if let Some(conflict) = self.conflict() {
                return conflict;
            }
        }
        let alone = Taken::default();
        let op = match self.rng.below(100) {
            0..=3 => None,
            4..=8 => self.batch(),
            9..=13 => Some(self.register()),
            14..=15 if self.view.active.len() > 2 => {
                let customer = self.pick_active();
                customer.map(|customer| Op::Deactivate { customer })
            }
            16..=35 => self.rent_book(&alone),
            36..=45 => self.rent_copy(&alone),
            46..=53 => self.pay(),
            54..=58 => self.renew(&alone),
            59..=65 => self.place_hold(&alone),
            66..=67 => self.cancel_hold(&alone),
            68..=70 => self.expire_holds(&alone),
            71..=73 => self.declare_lost(&alone),
            74..=75 => self.mark_found(&alone),
            _ => self.return_one(&alone).or_else(|| self.rent_book(&alone)),
        };
        let op = op.unwrap_or_else(|| {
            if self.view.active.is_empty() || (self.view.books.len() > 2 && self.rng.chance(40)) {
                self.register()
            } else {
                self.add_book()
            }
        });
        (op, None)
    }

    /// Runs one operation: logs `begin`, calls the store, logs `ok` or `err`, and updates the view. After an
    /// unexpected error it probes whether the failed operation is visible anyway and re-reads the view.
    /// Fails only if the log cannot be written.
    pub fn step(&mut self, log: &mut AckWriter) -> io::Result<Step> {
        let (op, expect) = self.next_op();
        let seq = self.seq;
        self.seq += 1;
        log.append(&Entry::Begin {
            seq,
            op: op.clone(),
            expect: expect.map(str::to_owned),
        })?;
        let result = self.execute(&op);
        let acked_ns = unix_nanos();
        match result {
            Ok(outcome) => {
                log.append(&Entry::Ok {
                    seq,
                    acked_ns,
                    op: op.clone(),
                    outcome: outcome.clone(),
                })?;
                self.absorb(&op, &outcome);
                Ok(Step::Acked)
            }
            Err(error) => {
                let (visible, probe_error) = match expect {
                    Some(_) => (None, None),
                    None => match snapshot::read(&self.store) {
                        Ok(snapshot) => (Some(effect_visible(&snapshot, &op)), None),
                        Err(e) => (None, Some(e)),
                    },
                };
                log.append(&Entry::Err {
                    seq,
                    acked_ns,
                    op,
                    expect: expect.map(str::to_owned),
                    kind: error.kind().to_owned(),
                    message: error.to_string(),
                    visible,
                    probe_error,
                })?;
                if expect.is_none() {
                    // Best effort: the view is stale only if the failed operation took effect anyway.
                    let _ = self.load();
                }
                Ok(Step::Failed {
                    kind: error.kind(),
                    expected: expect.is_some(),
                })
            }
        }
    }

    /// Follows an acknowledged operation in the view, re-reading the books it touched (or everything, if that
    /// read fails).
    fn absorb(&mut self, op: &Op, outcome: &Outcome) {
        let mut touched = BTreeSet::new();
        self.view.absorb(op, outcome, &mut touched);
        for book in touched {
            if self.view.refresh_book(&self.store, book).is_err() {
                let _ = self.load();
                return;
            }
        }
    }
}
