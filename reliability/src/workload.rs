//! The writer's workload: a seeded random mix of store operations, each logged before and after.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::{
    BookId, BookStore, CopyId, CopyStatus, CustomerId, Decimal, FixedClock, HoldsPolicy, LateFee,
    Limits, NewBook, NewCustomer, Operation, PricePlan, RenewFrom, Renewals, RentTarget, Rental,
    RentalId, Replacement, Storage,
};

use crate::acklog::{unix_nanos, AckWriter, Entry, Op, Outcome};
use crate::rng::SplitMix64;
use crate::snapshot::Snapshot;
use crate::verify::effect_visible;

/// The categories story 3 prices.
pub const CATEGORIES: [&str; 3] = ["regular", "fiction", "novel"];

/// The plan every writer publishes (and the checker tests use): story 3's prices, plus loan periods, late fees,
/// renewals, holds and replacement fees, so that every circulation rule is exercised. Regular: due after 7 days,
/// 0.50 a late day, renewed up to twice from the due date; a lost copy costs 20.00 plus 5.00 processing, the 20.00
/// credited back when found. Novel: due after 3 days, 0.25 a late day, renewed once from the renewal; a lost copy
/// costs 15.00, not credited when found. Fiction: no loan period, so never renewed, and no replacement fee. A copy
/// set aside for a hold waits [`PICKUP_DAYS`] days; a customer has at most [`MAX_HOLDS`] waiting or ready holds.
pub fn plan() -> PricePlan {
    let mut doc = PricePlan::story3().document().clone();
    doc.name = Some("story3-circulation".to_owned());
    let terms = [
        ("regular", 7, 50, 2, RenewFrom::DueDate, (2000, 500, true)),
        ("novel", 3, 25, 1, RenewFrom::Renewal, (1500, 0, false)),
    ];
    for (category, loan_days, per_day_cents, max, from, (fee, processing, refund)) in terms {
        if let Some(tariff) = doc.categories.get_mut(category) {
            tariff.late_fee = Some(LateFee {
                loan_days,
                per_day: Decimal::new(per_day_cents, 2),
                grace_days: 0,
                cap: None,
                count_closed_days: true,
            });
            tariff.renewals = Some(Renewals { max, from });
            tariff.replacement = Some(Replacement {
                fee: Decimal::new(fee, 2),
                processing_fee: (processing > 0).then(|| Decimal::new(processing, 2)),
                refund_when_found: refund,
            });
        }
    }
    doc.holds = Some(HoldsPolicy {
        pickup_days: PICKUP_DAYS,
    });
    doc.limits = Some(Limits {
        max_holds: Some(MAX_HOLDS),
        ..Limits::default()
    });
    PricePlan::new(doc).expect("the workload's plan is valid")
}

/// How many days [`plan`] sets a copy aside for a ready hold.
pub const PICKUP_DAYS: u32 = 3;

/// How many waiting or ready holds [`plan`] lets a customer have.
pub const MAX_HOLDS: u32 = 3;

/// Files the open `rental` under `renewable` (with how many more times [`plan`] lets it be renewed) or under
/// `unrenewable` (with the error kind a renewal of it fails with).
fn track_renewals(
    rental: &Rental,
    renewable: &mut BTreeMap<u64, usize>,
    unrenewable: &mut BTreeMap<u64, &'static str>,
) {
    let id = rental.id.get();
    renewable.remove(&id);
    unrenewable.remove(&id);
    if rental.returned_at.is_some() {
        return;
    }
    // How many renewals the plan allows this category (read from the plan, so the two never disagree).
    static PLAN: std::sync::OnceLock<PricePlan> = std::sync::OnceLock::new();
    let max = PLAN
        .get_or_init(plan)
        .tariff(&rental.category)
        .ok()
        .and_then(|tariff| tariff.renewals)
        .map_or(0, |renewals| renewals.max as usize);
    match (rental.due_at, max - rental.renewals.len().min(max)) {
        (None, _) => {
            unrenewable.insert(id, "InvalidInput");
        }
        (Some(_), 0) => {
            unrenewable.insert(id, "Blocked");
        }
        (Some(_), left) => {
            renewable.insert(id, left);
        }
    }
}

/// How the workload behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadOptions {
    /// The seed of every random choice (and of the unique titles and names).
    pub seed: u64,
    /// Also provoke expected conflicts now and then (renting a rented copy, returning a closed rental, renting
    /// as an inactive customer, paying nothing, renewing a rental with no renewal left), each logged with the
    /// error kind it must fail with.
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

/// The writer's view of the store (what it may rent, return, deactivate) and its deterministic clock.
pub struct Workload<S> {
    store: BookStore<S>,
    clock: Arc<FixedClock>,
    now: DateTime<Utc>,
    rng: SplitMix64,
    options: WorkloadOptions,
    books: Vec<(u64, Vec<u64>)>,
    open_by_copy: BTreeMap<u64, Option<u64>>,
    active: Vec<u64>,
    inactive: Vec<u64>,
    open: Vec<(u64, u64)>,
    /// Open rentals that may still be renewed, with how many renewals they have left.
    renewable: BTreeMap<u64, usize>,
    /// Open rentals that may not be renewed, with the error kind a renewal fails with: `InvalidInput` (no loan
    /// period) or `Blocked` (no renewal left).
    unrenewable: BTreeMap<u64, &'static str>,
    closed: Vec<u64>,
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
    /// A workload over `store`, whose clock starts an hour after the latest rental instant stored (rented or
    /// returned), so returns always come after their rentals and charges are reproducible from the seed and the
    /// store.
    ///
    /// Ledger entries are not read (one scan per customer would slow every writer start, and the crash test kills
    /// writers 50 ms after they start): a payment a killed run dated after its last rental instant may be later than
    /// the next run's first ones. The checker does not rely on ledger dates being in order, and the crash test's
    /// check round after every kill ends with a return later than everything stored.
    pub fn new(store: BookStore<S>, options: WorkloadOptions) -> koko_core::Result<Self> {
        let clock = Arc::new(FixedClock::new(epoch()));
        let store = store.with_clock(clock.clone());
        let mut workload = Workload {
            store,
            clock,
            now: epoch(),
            rng: SplitMix64::new(options.seed),
            options,
            books: Vec::new(),
            open_by_copy: BTreeMap::new(),
            active: Vec::new(),
            inactive: Vec::new(),
            open: Vec::new(),
            renewable: BTreeMap::new(),
            unrenewable: BTreeMap::new(),
            closed: Vec::new(),
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
        let mut books = Vec::new();
        let mut open_by_copy = BTreeMap::new();
        for book in self.store.books()? {
            let book = book?;
            let mut ids = Vec::new();
            for copy in self.store.copies(book.id)? {
                ids.push(copy.id.get());
                let rental = match copy.status {
                    CopyStatus::Available => None,
                    CopyStatus::Rented(rental) => Some(rental.get()),
                    CopyStatus::Withdrawn | CopyStatus::OnHold(_) | CopyStatus::Lost(_) => continue,
                };
                open_by_copy.insert(copy.id.get(), rental);
            }
            books.push((book.id.get(), ids));
        }
        let (mut active, mut inactive) = (Vec::new(), Vec::new());
        for customer in self.store.customers()? {
            let customer = customer?;
            if customer.active {
                active.push(customer.id.get());
            } else {
                inactive.push(customer.id.get());
            }
        }
        let (mut open, mut closed) = (Vec::new(), Vec::new());
        let (mut renewable, mut unrenewable) = (BTreeMap::new(), BTreeMap::new());
        let mut latest = None;
        for rental in self.store.rentals()? {
            let rental = rental?;
            let last = rental.returned_at.unwrap_or(rental.rented_at);
            latest = latest.max(Some(last.max(rental.rented_at)));
            // A renewal's instant is after the rental's: the clock must not go back before it either.
            latest = latest.max(rental.renewals.iter().max().copied());
            match rental.returned_at {
                None => {
                    open.push((rental.id.get(), rental.copy.get()));
                    track_renewals(&rental, &mut renewable, &mut unrenewable);
                }
                Some(_) => closed.push(rental.id.get()),
            }
        }
        closed = closed.split_off(closed.len().saturating_sub(64));
        self.books = books;
        self.open_by_copy = open_by_copy;
        self.active = active;
        self.inactive = inactive;
        self.open = open;
        self.renewable = renewable;
        self.unrenewable = unrenewable;
        self.closed = closed;
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
        let roll = self.rng.below(100);
        let op = match roll {
            0..=4 => None,
            5..=9 => self.batch(),
            10..=15 => Some(self.register()),
            16..=17 if self.active.len() > 2 => {
                let customer = self.pick_active();
                customer.map(|customer| Op::Deactivate { customer })
            }
            18..=42 => self.rent_book(),
            43..=57 => self.rent_copy(),
            58..=67 => self.pay(),
            68..=72 => self.renew(),
            _ => self.return_one().or_else(|| self.rent_book()),
        };
        let op = op.unwrap_or_else(|| {
            if self.active.is_empty() || (self.books.len() > 2 && self.rng.chance(40)) {
                self.register()
            } else {
                self.add_book()
            }
        });
        (op, None)
    }

    fn pick_active(&mut self) -> Option<u64> {
        self.rng.pick(&self.active).copied()
    }

    fn available(&self) -> Vec<u64> {
        self.open_by_copy
            .iter()
            .filter(|(_, rental)| rental.is_none())
            .map(|(copy, _)| *copy)
            .collect()
    }

    fn add_book(&mut self) -> Op {
        self.counter += 1;
        let category = self.rng.pick(&CATEGORIES).copied().unwrap_or("regular");
        Op::AddBook {
            title: format!("Title {:016x}-{}", self.options.seed, self.counter),
            author: format!(
                "Author {}{}",
                self.rng.below(1000),
                "x".repeat(self.options.author_padding.min(480))
            ),
            category: category.to_owned(),
            copies: self.rng.range(1, 3) as u32,
        }
    }

    fn register(&mut self) -> Op {
        self.counter += 1;
        Op::RegisterCustomer {
            first_name: "Reader".to_owned(),
            last_name: format!("{:016x}-{}", self.options.seed, self.counter),
        }
    }

    fn rent_book(&mut self) -> Option<Op> {
        let customer = self.pick_active()?;
        let books: Vec<u64> = self
            .books
            .iter()
            .filter(|(_, copies)| {
                copies
                    .iter()
                    .any(|c| self.open_by_copy.get(c) == Some(&None))
            })
            .map(|(id, _)| *id)
            .collect();
        let book = *self.rng.pick(&books)?;
        Some(Op::RentBook {
            customer,
            book,
            at: self.now,
        })
    }

    fn rent_copy(&mut self) -> Option<Op> {
        let customer = self.pick_active()?;
        let available = self.available();
        let copy = *self.rng.pick(&available)?;
        Some(Op::RentCopy {
            customer,
            copy,
            at: self.now,
        })
    }

    /// A payment of 0.01 to 25.00 by any customer, active or not (paying more than is owed leaves a credit).
    fn pay(&mut self) -> Option<Op> {
        let count = self.active.len() + self.inactive.len();
        let index = usize::try_from(self.rng.below(u64::try_from(count).ok()?)).ok()?;
        let customer = *self
            .active
            .get(index)
            .or_else(|| self.inactive.get(index - self.active.len()))?;
        Some(Op::Pay {
            customer,
            cents: self.rng.range(1, 2_500) as i64,
            at: self.now,
        })
    }

    /// A renewal of an open rental that has a renewal left.
    fn renew(&mut self) -> Option<Op> {
        let renewable: Vec<u64> = self.renewable.keys().copied().collect();
        let rental = *self.rng.pick(&renewable)?;
        Some(Op::Renew {
            rental,
            at: self.now,
        })
    }

    fn return_one(&mut self) -> Option<Op> {
        let (rental, _) = *self.rng.pick(&self.open)?;
        Some(Op::Return {
            rental,
            at: self.now,
        })
    }

    /// A batch of 2–12 operations that the view says all succeed in order: rents of distinct available copies,
    /// returns of distinct open rentals, renewals of open rentals with a renewal left (at most one per rental, and
    /// none returned in the same batch), payments, new customers and books; each at its own instant.
    fn batch(&mut self) -> Option<Op> {
        let size = self.rng.range(2, 12);
        let mut ops = Vec::new();
        let mut taken = BTreeSet::new();
        let mut returned = BTreeSet::new();
        let mut renewed = BTreeSet::new();
        for _ in 0..size {
            self.now += Duration::minutes(1);
            let op = match self.rng.below(21) {
                0..=7 => {
                    let customer = self.pick_active();
                    let available: Vec<u64> = self
                        .available()
                        .into_iter()
                        .filter(|c| !taken.contains(c))
                        .collect();
                    match (customer, self.rng.pick(&available).copied()) {
                        (Some(customer), Some(copy)) => {
                            taken.insert(copy);
                            Some(Op::RentCopy {
                                customer,
                                copy,
                                at: self.now,
                            })
                        }
                        _ => None,
                    }
                }
                8..=11 => {
                    let open: Vec<u64> = self
                        .open
                        .iter()
                        .map(|(rental, _)| *rental)
                        .filter(|r| !returned.contains(r))
                        .collect();
                    self.rng.pick(&open).copied().map(|rental| {
                        returned.insert(rental);
                        Op::Return {
                            rental,
                            at: self.now,
                        }
                    })
                }
                12..=14 => Some(self.register()),
                15..=17 => Some(self.add_book()),
                18 => {
                    let renewable: Vec<u64> = self
                        .renewable
                        .keys()
                        .copied()
                        .filter(|r| !returned.contains(r) && !renewed.contains(r))
                        .collect();
                    self.rng.pick(&renewable).copied().map(|rental| {
                        renewed.insert(rental);
                        Op::Renew {
                            rental,
                            at: self.now,
                        }
                    })
                }
                _ => self.pay(),
            };
            ops.extend(op);
        }
        (ops.len() >= 2).then_some(Op::Batch { ops })
    }

    fn conflict(&mut self) -> Option<(Op, Option<&'static str>)> {
        match self.rng.below(5) {
            0 => {
                let customer = self.pick_active()?;
                let (_, copy) = *self.rng.pick(&self.open)?;
                Some((
                    Op::RentCopy {
                        customer,
                        copy,
                        at: self.now,
                    },
                    Some("Unavailable"),
                ))
            }
            1 => {
                let rental = *self.rng.pick(&self.closed)?;
                Some((
                    Op::Return {
                        rental,
                        at: self.now,
                    },
                    Some("AlreadyReturned"),
                ))
            }
            2 => match self.pay()? {
                Op::Pay { customer, at, .. } => Some((
                    Op::Pay {
                        customer,
                        cents: 0,
                        at,
                    },
                    Some("InvalidInput"),
                )),
                _ => None,
            },
            3 => {
                // No loan period: InvalidInput; no renewal left: Blocked.
                let unrenewable: Vec<(u64, &'static str)> =
                    self.unrenewable.iter().map(|(r, k)| (*r, *k)).collect();
                let (rental, kind) = *self.rng.pick(&unrenewable)?;
                Some((
                    Op::Renew {
                        rental,
                        at: self.now,
                    },
                    Some(kind),
                ))
            }
            _ => {
                let customer = *self.rng.pick(&self.inactive)?;
                let available = self.available();
                let copy = *self.rng.pick(&available)?;
                Some((
                    Op::RentCopy {
                        customer,
                        copy,
                        at: self.now,
                    },
                    Some("InactiveCustomer"),
                ))
            }
        }
    }

    /// Calls the store for `op` at the workload's clock.
    pub fn execute(&self, op: &Op) -> koko_core::Result<Outcome> {
        self.clock.set(self.now);
        let store = &self.store;
        Ok(match op {
            Op::AddBook {
                title,
                author,
                category,
                copies,
            } => {
                let book = store.add_book(&NewBook::new(title, author, category), *copies)?;
                let copies = store
                    .copies(book.id)
                    .ok()
                    .map(|copies| copies.iter().map(|c| c.id.get()).collect());
                Outcome::Book { book, copies }
            }
            Op::RegisterCustomer {
                first_name,
                last_name,
            } => Outcome::Customer {
                customer: store.register_customer(&NewCustomer::new(first_name, last_name))?,
            },
            Op::RentBook { customer, book, at } => Outcome::Rental {
                rental: store.rent_book_at(CustomerId::new(*customer), BookId::new(*book), *at)?,
                charge_entry: None,
            },
            Op::RentCopy { customer, copy, at } => Outcome::Rental {
                rental: store.rent_copy_at(CustomerId::new(*customer), CopyId::new(*copy), *at)?,
                charge_entry: None,
            },
            Op::Return { rental, at } => {
                let receipt = store.return_rental_at(RentalId::new(*rental), *at)?;
                let charge_entry = self.charge_entry(receipt.rental.id);
                Outcome::Rental {
                    rental: receipt.rental,
                    charge_entry,
                }
            }
            Op::Pay { .. } => Outcome::Entry {
                entry: store.storage().apply(operation(op)?)?.into_entry()?,
            },
            Op::Renew { .. } => Outcome::Rental {
                rental: store.apply(operation(op)?)?.into_rental()?,
                charge_entry: None,
            },
            Op::Deactivate { customer } => Outcome::Customer {
                customer: store.deactivate_customer(CustomerId::new(*customer))?,
            },
            Op::Batch { ops } => {
                let operations = ops
                    .iter()
                    .map(operation)
                    .collect::<koko_core::Result<_>>()?;
                let mut outcomes = Vec::with_capacity(ops.len());
                for result in store.apply_batch(operations)? {
                    outcomes.push(match result? {
                        koko_core::Outcome::Book { book, copies } => Outcome::Book {
                            book,
                            copies: Some(copies.iter().map(|c| c.id.get()).collect()),
                        },
                        koko_core::Outcome::Customer(customer) => Outcome::Customer { customer },
                        koko_core::Outcome::Rental(rental) => Outcome::Rental {
                            charge_entry: match rental.returned_at {
                                Some(_) => self.charge_entry(rental.id),
                                None => None,
                            },
                            rental,
                        },
                        koko_core::Outcome::Entry(entry) => Outcome::Entry { entry },
                        other => {
                            return Err(koko_core::Error::Corruption(format!(
                                "a batch answered {other:?}"
                            )))
                        }
                    });
                }
                Outcome::Batch { outcomes }
            }
        })
    }

    /// The `charge` entry a return just posted, read back (`None` if the read fails: the checker then takes the
    /// entry from the store).
    fn charge_entry(&self, rental: RentalId) -> Option<Box<koko_core::LedgerEntry>> {
        self.store
            .storage()
            .charge_entry(rental)
            .ok()
            .flatten()
            .map(Box::new)
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
                    None => match Snapshot::read(&self.store) {
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

    fn absorb(&mut self, op: &Op, outcome: &Outcome) {
        match (op, outcome) {
            (Op::Batch { ops }, Outcome::Batch { outcomes }) => {
                for (op, outcome) in ops.iter().zip(outcomes) {
                    self.absorb(op, outcome);
                }
            }
            (Op::AddBook { .. }, Outcome::Book { book, copies }) => {
                let ids = copies.clone().unwrap_or_default();
                for copy in &ids {
                    self.open_by_copy.insert(*copy, None);
                }
                self.books.push((book.id.get(), ids));
            }
            (Op::RegisterCustomer { .. }, Outcome::Customer { customer }) => {
                self.active.push(customer.id.get())
            }
            (Op::RentBook { .. } | Op::RentCopy { .. }, Outcome::Rental { rental, .. }) => {
                self.open_by_copy
                    .insert(rental.copy.get(), Some(rental.id.get()));
                self.open.push((rental.id.get(), rental.copy.get()));
                track_renewals(rental, &mut self.renewable, &mut self.unrenewable);
            }
            (Op::Renew { .. }, Outcome::Rental { rental, .. }) => {
                track_renewals(rental, &mut self.renewable, &mut self.unrenewable);
            }
            (Op::Return { rental, .. }, Outcome::Rental { rental: closed, .. }) => {
                self.open_by_copy.insert(closed.copy.get(), None);
                self.open.retain(|(id, _)| id != rental);
                self.renewable.remove(rental);
                self.unrenewable.remove(rental);
                if self.closed.len() >= 64 {
                    self.closed.remove(0);
                }
                self.closed.push(*rental);
            }
            (Op::Deactivate { customer }, _) => {
                self.active.retain(|id| id != customer);
                self.inactive.push(*customer);
            }
            _ => {}
        }
    }
}

/// A logged operation (not a batch) as a store operation.
fn operation(op: &Op) -> koko_core::Result<Operation> {
    Ok(match op {
        Op::AddBook {
            title,
            author,
            category,
            copies,
        } => Operation::AddBook {
            book: NewBook::new(title, author, category),
            copies: *copies,
        },
        Op::RegisterCustomer {
            first_name,
            last_name,
        } => Operation::RegisterCustomer(NewCustomer::new(first_name, last_name)),
        Op::RentBook { customer, book, at } => Operation::Rent {
            target: RentTarget::Book(BookId::new(*book)),
            customer: CustomerId::new(*customer),
            at: *at,
        },
        Op::RentCopy { customer, copy, at } => Operation::Rent {
            target: RentTarget::Copy(CopyId::new(*copy)),
            customer: CustomerId::new(*customer),
            at: *at,
        },
        Op::Return { rental, at } => Operation::return_at(RentalId::new(*rental), *at),
        Op::Pay {
            customer,
            cents,
            at,
        } => Operation::Pay {
            customer: CustomerId::new(*customer),
            amount: Decimal::new(*cents, 2),
            currency: None,
            at: *at,
            note: None,
        },
        Op::Renew { rental, at } => Operation::Renew {
            rental: RentalId::new(*rental),
            at: *at,
        },
        Op::Deactivate { customer } => Operation::UpdateCustomer {
            id: CustomerId::new(*customer),
            update: koko_core::CustomerUpdate {
                active: Some(false),
                ..Default::default()
            },
        },
        Op::Batch { .. } => {
            return Err(koko_core::Error::Corruption(
                "the workload nests no batches".into(),
            ))
        }
    })
}
