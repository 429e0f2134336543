//! Replays an ack log onto the snapshot taken before the run and compares the result with the store after it.

use chrono::{DateTime, Utc};
use koko_core::{
    AccountState, Copy, CopyId, CopyStatus, CustomerId, Decimal, EntryKind, LedgerEntry,
    LedgerEntryId, PricePlan, Rental,
};

use crate::acklog::{AckLog, Ending, Op, Outcome};
use crate::snapshot::Snapshot;

/// What a run may have lost or left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Error kinds an operation the writer did not provoke may fail with (the crash test: none; the disk-full
    /// test: `"Storage"`).
    pub allowed_failures: Vec<&'static str>,
    /// Acknowledged operations may be missing from the store, but only a suffix of them, and only those
    /// acknowledged at or after this instant (Unix nanoseconds). `None`: nothing acknowledged may be missing.
    pub loss_allowed_from_ns: Option<u64>,
    /// A failed operation may turn out wholly applied (its outcome was unknown to the caller, e.g. a `Storage`
    /// error from the flush after a commit). It may never be half applied.
    pub failed_may_be_present: bool,
}

impl Policy {
    /// Flush-every-commit after a kill: nothing acknowledged lost, no failures.
    pub fn durable() -> Self {
        Policy {
            allowed_failures: Vec::new(),
            loss_allowed_from_ns: None,
            failed_may_be_present: false,
        }
    }
}

/// One acknowledged operation that is not in the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lost {
    /// Its sequence number in its run.
    pub seq: u64,
    /// When it was acknowledged (Unix nanoseconds).
    pub acked_ns: u64,
    /// The operation.
    pub op: Op,
}

/// What [`verify`] established.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verified {
    /// Acknowledged operations found in the store with the acknowledged result.
    pub acked_present: u64,
    /// Acknowledged operations missing (allowed only by [`Policy::loss_allowed_from_ns`]).
    pub lost: Vec<Lost>,
    /// Failed operations checked (absent, or wholly present where the policy allows).
    pub failed: u64,
    /// Failed operations found wholly applied after all.
    pub failed_present: u64,
    /// Operations in flight at the kill that turned out committed.
    pub in_flight_committed: u64,
    /// Operations in flight at the kill that left no trace.
    pub in_flight_absent: u64,
    /// Acknowledged batches found whole (also counted in `acked_present`).
    pub batches: u64,
    /// The operations in those batches.
    pub batch_operations: u64,
    /// Batches in flight at the kill (whole or absent, also counted above).
    pub in_flight_batches: u64,
    /// Acknowledged payments found in the store with their acknowledged entry (alone or inside batches; the
    /// operations are also counted in `acked_present`).
    pub payments: u64,
    /// Acknowledged renewals found in the store: the rental holds the renewal's instant, and the due date the
    /// renewal acknowledged unless a later renewal moved it again (alone or inside batches; also counted in
    /// `acked_present`).
    pub renewals: u64,
}

/// Checks `actual` (the store after the run) against `before` (the store before it) plus the log:
/// every acknowledged operation is present with its acknowledged result (ids, instants, charge, the ledger entry
/// a payment or a return posted: id, amount, balance after) unless the policy allows its loss; ids of new records
/// are larger than every earlier id; an operation the writer provoked to fail failed with the expected kind and
/// changed nothing; any other failure is of an allowed kind and left nothing half-done; an operation in flight at
/// the kill is either wholly present or absent; and nothing else changed — no record, no account balance, no
/// ledger entry (each return posts its rental's charge, each payment its payment, at the running balance). A
/// renewal must hold its instant and the due date its plan gives (checked against the acknowledged rental), and
/// changes nothing but the rental's due date and renewals; a return's charge must be the plan's quote for the
/// due date the log gives the rental (`PricePlan::quote_with_due`).
pub fn verify(
    before: &Snapshot,
    log: &AckLog,
    actual: &Snapshot,
    policy: &Policy,
) -> Result<Verified, Vec<String>> {
    let mut expected = before.clone();
    let mut problems = Vec::new();
    let mut verified = Verified::default();
    let mut losing = false;
    for logged in &log.ops {
        let name = format!("run {} op {} ({:?})", logged.run, logged.seq, logged.op);
        match &logged.ending {
            Ending::Acked { outcome, acked_ns } => {
                if let Some(kind) = &logged.expect {
                    problems.push(format!(
                        "{name}: was provoked to fail with {kind} but succeeded"
                    ));
                }
                if !losing && !is_present(&logged.op, outcome, actual) {
                    losing = true;
                }
                if losing {
                    let allowed = policy
                        .loss_allowed_from_ns
                        .is_some_and(|from| *acked_ns >= from);
                    if !allowed {
                        problems.push(format!(
                            "{name}: acknowledged{} but missing from the store",
                            match policy.loss_allowed_from_ns {
                                Some(from) => format!(
                                    " {} before the loss window opened",
                                    crate::fmt_ms(from.saturating_sub(*acked_ns))
                                ),
                                None => String::new(),
                            }
                        ));
                    }
                    verified.lost.push(Lost {
                        seq: logged.seq,
                        acked_ns: *acked_ns,
                        op: logged.op.clone(),
                    });
                    continue;
                }
                match apply(&mut expected, &logged.op, outcome, actual) {
                    Ok(()) => {
                        verified.acked_present += 1;
                        verified.payments += payments(&logged.op);
                        verified.renewals += renewals(&logged.op);
                        if let Op::Batch { ops } = &logged.op {
                            verified.batches += 1;
                            verified.batch_operations += ops.len() as u64;
                        }
                    }
                    Err(e) => problems.push(format!("{name}: {e}")),
                }
            }
            Ending::Failed { kind, message, .. } => {
                verified.failed += 1;
                match &logged.expect {
                    Some(want) if want != kind => problems.push(format!(
                        "{name}: provoked to fail with {want}, failed with {kind}: {message}"
                    )),
                    Some(_) => {}
                    None if !policy.allowed_failures.contains(&kind.as_str()) => {
                        problems.push(format!("{name}: unexpected {kind} error: {message}"))
                    }
                    None => {
                        if losing {
                            continue;
                        }
                        if let Some(outcome) = observe(&expected, &logged.op, actual) {
                            if !policy.failed_may_be_present {
                                problems.push(format!(
                                    "{name}: failed with {kind} ({message}) yet is applied in the store: {outcome:?}"
                                ));
                            }
                            verified.failed_present += 1;
                            if let Err(e) = apply(&mut expected, &logged.op, &outcome, actual) {
                                problems.push(format!("{name}: failed, and is half applied: {e}"));
                            }
                        }
                    }
                }
            }
            Ending::InFlight => {
                if losing {
                    continue;
                }
                verified.in_flight_batches += u64::from(matches!(logged.op, Op::Batch { .. }));
                match observe(&expected, &logged.op, actual) {
                    Some(outcome) => {
                        verified.in_flight_committed += 1;
                        if let Err(e) = apply(&mut expected, &logged.op, &outcome, actual) {
                            problems
                                .push(format!("{name}: in flight at the kill, half applied: {e}"));
                        }
                    }
                    None => verified.in_flight_absent += 1,
                }
            }
        }
    }
    for difference in expected.diff(actual) {
        problems.push(format!(
            "store differs from the log's account: {difference}"
        ));
    }
    if problems.is_empty() {
        Ok(verified)
    } else {
        Err(problems)
    }
}

/// How many payments `op` makes (a batch: those among its operations).
fn payments(op: &Op) -> u64 {
    match op {
        Op::Pay { .. } => 1,
        Op::Batch { ops } => ops.iter().map(payments).sum(),
        _ => 0,
    }
}

/// How many renewals `op` makes (a batch: those among its operations).
fn renewals(op: &Op) -> u64 {
    match op {
        Op::Renew { .. } => 1,
        Op::Batch { ops } => ops.iter().map(renewals).sum(),
        _ => 0,
    }
}

/// The plan `rental` was rented under, from the plan versions of `snapshot`.
fn plan_of<'a>(snapshot: &'a Snapshot, rental: &Rental) -> Result<&'a PricePlan, String> {
    snapshot
        .plans
        .iter()
        .find(|v| v.id == rental.plan_version)
        .map(|v| &v.plan)
        .ok_or_else(|| {
            format!(
                "rental {} names plan version {}, which does not exist",
                rental.id, rental.plan_version
            )
        })
}

/// The rental `prior` (open) renewed at `at`: its due date moved on as its plan says, the renewal appended.
fn renewed(expected: &Snapshot, prior: &Rental, at: DateTime<Utc>) -> Result<Rental, String> {
    let id = prior.id;
    if prior.returned_at.is_some() {
        return Err(format!("renewed rental {id}, which was already closed"));
    }
    if at < prior.rented_at {
        return Err(format!(
            "renewed rental {id} at {at}, before it was rented at {}",
            prior.rented_at
        ));
    }
    let due = prior
        .due_at
        .ok_or_else(|| format!("renewed rental {id}, which has no due date"))?;
    let new_due = plan_of(expected, prior)?
        .renewed_due(&prior.category, due, at, prior.renewals.len())
        .map_err(|e| {
            format!(
                "renewed rental {id} (renewed {} times), which its plan refuses: {} ({e})",
                prior.renewals.len(),
                e.kind()
            )
        })?;
    let mut renewed = prior.clone();
    renewed.due_at = Some(new_due);
    renewed.renewals.push(at);
    Ok(renewed)
}

/// Whether the effect of an acknowledged operation is in `actual` at all (its content is compared later). A batch
/// is present if any of its operations is; then every one of them must be (`apply` and the final comparison).
fn is_present(op: &Op, outcome: &Outcome, actual: &Snapshot) -> bool {
    match (op, outcome) {
        (Op::Batch { ops }, Outcome::Batch { outcomes }) => ops
            .iter()
            .zip(outcomes)
            .any(|(op, outcome)| is_present(op, outcome, actual)),
        (Op::AddBook { .. }, Outcome::Book { book, .. }) => {
            actual.books.contains_key(&book.id.get())
        }
        (Op::RegisterCustomer { .. }, Outcome::Customer { customer }) => {
            actual.customers.contains_key(&customer.id.get())
        }
        (Op::RentBook { .. } | Op::RentCopy { .. }, Outcome::Rental { rental, .. }) => {
            actual.rentals.contains_key(&rental.id.get())
        }
        (Op::Return { rental, .. }, _) => actual
            .rentals
            .get(rental)
            .is_some_and(|r| r.returned_at.is_some()),
        (Op::Deactivate { customer }, _) => {
            actual.customers.get(customer).is_some_and(|c| !c.active)
        }
        (Op::Pay { .. }, Outcome::Entry { entry }) => actual.ledger.contains_key(&entry.id.get()),
        (Op::Renew { rental, at }, _) => actual
            .rentals
            .get(rental)
            .is_some_and(|r| r.renewals.contains(at)),
        // A mismatched pair: report it through `apply`.
        _ => true,
    }
}

/// The effect of `op` found in `actual` beyond `expected`, as the outcome it would have returned. For a batch:
/// its operations observed in order, each against the state after the ones before it; `None` if none of them
/// shows, and a shorter list than the batch (which `apply` refuses as half applied) if only some do.
fn observe(expected: &Snapshot, op: &Op, actual: &Snapshot) -> Option<Outcome> {
    if let Op::Batch { ops } = op {
        let mut scratch = expected.clone();
        let mut outcomes = Vec::new();
        for op in ops {
            match observe(&scratch, op, actual) {
                Some(outcome) if apply(&mut scratch, op, &outcome, actual).is_ok() => {
                    outcomes.push(outcome)
                }
                _ => continue,
            }
        }
        return (!outcomes.is_empty()).then_some(Outcome::Batch { outcomes });
    }
    match op {
        Op::AddBook { title, .. } => actual
            .books
            .values()
            .find(|b| &b.title == title && !expected.books.contains_key(&b.id.get()))
            .map(|book| Outcome::Book {
                book: book.clone(),
                copies: actual.book_copies.get(&book.id.get()).cloned(),
            }),
        Op::RegisterCustomer {
            first_name,
            last_name,
        } => actual
            .customers
            .values()
            .find(|c| {
                &c.first_name == first_name
                    && &c.last_name == last_name
                    && !expected.customers.contains_key(&c.id.get())
            })
            .map(|c| Outcome::Customer {
                customer: c.clone(),
            }),
        Op::RentBook { customer, at, .. } | Op::RentCopy { customer, at, .. } => actual
            .rentals
            .values()
            .find(|r| {
                !expected.rentals.contains_key(&r.id.get())
                    && r.customer.get() == *customer
                    && r.rented_at == *at
                    && match op {
                        Op::RentBook { book, .. } => r.book.get() == *book,
                        Op::RentCopy { copy, .. } => r.copy.get() == *copy,
                        _ => false,
                    }
            })
            .map(|r| Outcome::Rental {
                rental: r.clone(),
                charge_entry: None,
            }),
        Op::Return { rental, .. } => {
            let was_open = expected
                .rentals
                .get(rental)
                .is_some_and(|r| r.returned_at.is_none());
            actual
                .rentals
                .get(rental)
                .filter(|r| was_open && r.returned_at.is_some())
                .map(|r| Outcome::Rental {
                    rental: r.clone(),
                    charge_entry: actual
                        .charge_entries(*rental)
                        .find(|e| !expected.ledger.contains_key(&e.id.get()))
                        .map(|e| Box::new(e.clone())),
                })
        }
        Op::Pay { customer, at, .. } => actual
            .ledger
            .values()
            .find(|e| {
                !expected.ledger.contains_key(&e.id.get())
                    && e.customer.get() == *customer
                    && e.kind == EntryKind::Payment
                    && e.at == *at
            })
            .map(|e| Outcome::Entry { entry: e.clone() }),
        Op::Renew { rental, at } => {
            // The renewal shows if the rental's next renewal is this one; later operations (acknowledged, so
            // checked next) may have renewed or closed it since, so the outcome is built from the rental before.
            let prior = expected
                .rentals
                .get(rental)
                .filter(|r| r.returned_at.is_none())?;
            let found = actual.rentals.get(rental)?;
            if found.renewals.get(prior.renewals.len()) != Some(at) {
                return None;
            }
            let rental = renewed(expected, prior, *at).unwrap_or_else(|_| {
                // Refused by the plan, yet stored: `apply` reports it.
                let mut stored = prior.clone();
                stored.renewals.push(*at);
                stored.due_at = found.due_at;
                stored
            });
            Some(Outcome::Rental {
                rental,
                charge_entry: None,
            })
        }
        Op::Deactivate { customer } => {
            let was_active = expected.customers.get(customer).is_some_and(|c| c.active);
            actual
                .customers
                .get(customer)
                .filter(|c| was_active && !c.active)
                .map(|c| Outcome::Customer {
                    customer: c.clone(),
                })
        }
        Op::Batch { .. } => None,
    }
}

/// Applies an operation's result to `expected`, checking it obeys the domain rules against the state before it
/// (fresh, increasing ids; only available copies rented, the first available one for a rent by book; only active
/// customers rent; only open rentals close, exactly at the requested instant; a return posts one `charge` entry of
/// its charge's total and a payment one `payment` entry of its amount, each with a fresh, increasing id and the
/// customer's running balance after it; the account counts open rentals).
fn apply(
    expected: &mut Snapshot,
    op: &Op,
    outcome: &Outcome,
    actual: &Snapshot,
) -> Result<(), String> {
    let max = expected.max_ids();
    match (op, outcome) {
        (Op::Batch { ops }, Outcome::Batch { outcomes }) => {
            if ops.len() != outcomes.len() {
                return Err(format!(
                    "a batch of {} operations is half applied: {} of them show",
                    ops.len(),
                    outcomes.len()
                ));
            }
            for (i, (op, outcome)) in ops.iter().zip(outcomes).enumerate() {
                apply(expected, op, outcome, actual)
                    .map_err(|e| format!("batch operation {i} ({op:?}): {e}"))?;
            }
        }
        (
            Op::AddBook {
                title,
                author,
                category,
                copies,
            },
            Outcome::Book { book, copies: ids },
        ) => {
            let id = book.id.get();
            above("book", id, max.book)?;
            if (&book.title, &book.author, &book.category) != (title, author, category) {
                return Err(format!("the stored book {book:?} is not the one added"));
            }
            let ids = match ids {
                Some(ids) => ids.clone(),
                None => actual.book_copies.get(&id).cloned().unwrap_or_default(),
            };
            if ids.len() != *copies as usize {
                return Err(format!("{} copies acknowledged, {copies} added", ids.len()));
            }
            let mut last = max.copy;
            for copy in &ids {
                above("copy", *copy, last)?;
                last = *copy;
                expected.copies.insert(
                    *copy,
                    Copy {
                        id: CopyId::new(*copy),
                        book: book.id,
                        status: CopyStatus::Available,
                    },
                );
            }
            expected.books.insert(id, book.clone());
            expected.book_copies.insert(id, ids);
        }
        (
            Op::RegisterCustomer {
                first_name,
                last_name,
            },
            Outcome::Customer { customer },
        ) => {
            let id = customer.id.get();
            above("customer", id, max.customer)?;
            if (&customer.first_name, &customer.last_name) != (first_name, last_name)
                || !customer.active
            {
                return Err(format!(
                    "the stored customer {customer:?} is not the one registered"
                ));
            }
            expected.customers.insert(id, customer.clone());
            expected.accounts.insert(id, AccountState::default());
        }
        (
            Op::RentBook { customer, at, .. } | Op::RentCopy { customer, at, .. },
            Outcome::Rental {
                rental,
                charge_entry,
            },
        ) => {
            if charge_entry.is_some() {
                return Err(format!(
                    "the new rental {} came with a charge entry {charge_entry:?}",
                    rental.id
                ));
            }
            let id = rental.id.get();
            above("rental", id, max.rental)?;
            if rental.customer.get() != *customer || rental.rented_at != *at {
                return Err(format!(
                    "the rental {rental:?} is not for this customer and instant"
                ));
            }
            if rental.returned_at.is_some() || rental.charge.is_some() {
                return Err(format!("the new rental {id} is already closed"));
            }
            let due = plan_of(expected, rental)?
                .due_at(&rental.category, *at)
                .map_err(|e| format!("the new rental {id}'s due date cannot be worked out: {e}"))?;
            if rental.due_at != due || !rental.renewals.is_empty() {
                return Err(format!(
                    "the new rental {id} is due at {:?} with renewals {:?}; its plan says due at {due:?}, none",
                    rental.due_at, rental.renewals
                ));
            }
            if !expected.customers.get(customer).is_some_and(|c| c.active) {
                return Err(format!("customer {customer} was not active, yet rented"));
            }
            let copy = rental.copy.get();
            let wanted = match op {
                Op::RentCopy { copy: wanted, .. } => Some(*wanted),
                Op::RentBook { book, .. } => expected.book_copies.get(book).and_then(|ids| {
                    ids.iter().copied().find(|c| {
                        expected
                            .copies
                            .get(c)
                            .is_some_and(|c| c.status == CopyStatus::Available)
                    })
                }),
                _ => None,
            };
            if wanted != Some(copy) {
                return Err(format!(
                    "rented copy {copy}, but the copy to rent was {wanted:?} (the first available)"
                ));
            }
            let Some(stored_copy) = expected.copies.get_mut(&copy) else {
                return Err(format!("rented copy {copy}, which does not exist"));
            };
            if stored_copy.status != CopyStatus::Available || stored_copy.book != rental.book {
                return Err(format!("rented copy {copy}, which was {:?}", stored_copy));
            }
            stored_copy.status = CopyStatus::Rented(rental.id);
            let category = expected
                .books
                .get(&rental.book.get())
                .map(|b| b.category.clone());
            if category.as_ref() != Some(&rental.category) {
                return Err(format!(
                    "rental category {:?}, the book's is {category:?}",
                    rental.category
                ));
            }
            expected.rentals.insert(id, rental.clone());
            let account = expected.accounts.entry(*customer).or_default();
            account.open_rentals = account.open_rentals.saturating_add(1);
        }
        (
            Op::Return { rental: id, at },
            Outcome::Rental {
                rental,
                charge_entry,
            },
        ) => {
            let Some(prior) = expected.rentals.get(id) else {
                return Err(format!("returned rental {id}, which does not exist"));
            };
            if prior.returned_at.is_some() {
                return Err(format!("returned rental {id}, which was already closed"));
            }
            let mut closed = prior.clone();
            closed.returned_at = Some(*at);
            closed.charge = rental.charge.clone();
            if rental.charge.is_none() || &closed != rental {
                return Err(format!(
                    "the closed rental {rental:?} is not the open rental {prior:?} returned at {at}"
                ));
            }
            // Charged for its due date as the log has it (moved on by every renewal): late days count from there.
            let quote = plan_of(expected, prior)?
                .quote_with_due(&prior.category, prior.rented_at, prior.due_at, *at)
                .map_err(|e| format!("rental {id}'s times cannot be quoted: {e}"))?;
            if rental.charge.as_ref() != Some(&quote) {
                return Err(format!(
                    "rental {id} was charged {:?}, the quote for its times and due date {:?} is {quote:?}",
                    rental.charge, prior.due_at
                ));
            }
            let Some(copy) = expected.copies.get_mut(&prior.copy.get()) else {
                return Err(format!("rental {id}'s copy {} does not exist", prior.copy));
            };
            if copy.status != CopyStatus::Rented(prior.id) {
                return Err(format!("rental {id}'s copy was {:?}", copy.status));
            }
            copy.status = CopyStatus::Available;
            expected.rentals.insert(*id, rental.clone());
            post_charge(expected, rental, charge_entry.as_deref(), actual, max.entry)?;
        }
        (
            Op::Pay {
                customer,
                cents,
                at,
            },
            Outcome::Entry { entry },
        ) => {
            let id = entry.id.get();
            above("ledger entry", id, max.entry)?;
            if !expected.customers.contains_key(customer) {
                return Err(format!("customer {customer} paid, but does not exist"));
            }
            let currency = expected
                .currency()
                .ok_or("a payment was accepted by a store without a price plan")?;
            let amount = Decimal::new(*cents, 2);
            let account = expected.accounts.entry(*customer).or_default();
            let balance_after = account.balance.checked_sub(amount).ok_or_else(|| {
                format!("the balance {} minus {amount} overflows", account.balance)
            })?;
            let want = LedgerEntry {
                id: entry.id,
                customer: CustomerId::new(*customer),
                kind: EntryKind::Payment,
                amount,
                currency,
                at: *at,
                rental: None,
                note: None,
                balance_after,
            };
            if entry != &want {
                return Err(format!(
                    "the payment's entry {entry:?} is not {want:?} (the balance was {})",
                    account.balance
                ));
            }
            account.balance = balance_after;
            expected.ledger.insert(id, entry.clone());
        }
        (
            Op::Renew { rental: id, at },
            Outcome::Rental {
                rental,
                charge_entry,
            },
        ) => {
            if charge_entry.is_some() {
                return Err(format!(
                    "the renewed rental {id} came with a charge entry {charge_entry:?}"
                ));
            }
            let Some(prior) = expected.rentals.get(id) else {
                return Err(format!("renewed rental {id}, which does not exist"));
            };
            let want = renewed(expected, prior, *at)?;
            if &want != rental {
                return Err(format!(
                    "the renewed rental {rental:?} is not the open rental {prior:?} renewed at {at}: {want:?}"
                ));
            }
            expected.rentals.insert(*id, want);
        }
        (Op::Deactivate { customer: id }, Outcome::Customer { customer }) => {
            let Some(prior) = expected.customers.get_mut(id) else {
                return Err(format!("deactivated customer {id}, who does not exist"));
            };
            let mut inactive = prior.clone();
            inactive.active = false;
            if &inactive != customer {
                return Err(format!(
                    "the deactivated customer {customer:?} is not {prior:?} deactivated"
                ));
            }
            *prior = inactive;
        }
        _ => {
            return Err(format!(
                "the outcome {outcome:?} does not fit the operation"
            ))
        }
    }
    Ok(())
}

/// Posts the `charge` entry of the rental `closed` (just closed in `expected`): the acknowledged entry if the log
/// has it, else the one `actual` holds; it must be the rental's charge total, at its return instant, with the
/// customer's running balance after it and a fresh id.
fn post_charge(
    expected: &mut Snapshot,
    closed: &koko_core::Rental,
    acked: Option<&LedgerEntry>,
    actual: &Snapshot,
    max_entry: u64,
) -> Result<(), String> {
    let id = closed.id.get();
    let (Some(charge), Some(at)) = (&closed.charge, closed.returned_at) else {
        return Err(format!("rental {id} is closed without a charge"));
    };
    let entry_id = match acked {
        Some(entry) => entry.id.get(),
        None => actual
            .charge_entries(id)
            .map(|e| e.id.get())
            .find(|e| !expected.ledger.contains_key(e))
            .ok_or_else(|| format!("rental {id} was closed, but no charge entry was posted"))?,
    };
    above(&format!("rental {id}'s charge entry"), entry_id, max_entry)?;
    let account = expected.accounts.entry(closed.customer.get()).or_default();
    let balance_after = account.balance.checked_add(charge.total).ok_or_else(|| {
        format!(
            "the balance {} plus {} overflows",
            account.balance, charge.total
        )
    })?;
    let want = LedgerEntry {
        id: LedgerEntryId::new(entry_id),
        customer: closed.customer,
        kind: EntryKind::Charge,
        amount: charge.total,
        currency: charge.currency,
        at,
        rental: Some(closed.id),
        note: None,
        balance_after,
    };
    if let Some(entry) = acked.filter(|entry| *entry != &want) {
        return Err(format!(
            "rental {id}'s acknowledged charge entry {entry:?} is not {want:?} (the balance was {})",
            account.balance
        ));
    }
    account.balance = balance_after;
    account.open_rentals = account.open_rentals.checked_sub(1).ok_or_else(|| {
        format!("rental {id} closed, but its customer had no open rental counted")
    })?;
    expected.ledger.insert(entry_id, want);
    Ok(())
}

/// Whether `op`'s effect shows in `snapshot` at all: a book with its title, a customer with its names, a rental
/// of its customer at its instant, its rental closed, its customer inactive, a payment of its customer at its
/// instant, its rental renewed at its instant. (Titles, names and instants are unique per writer run.) For probing a failed operation right after its
/// error.
pub fn effect_visible(snapshot: &Snapshot, op: &Op) -> bool {
    match op {
        Op::AddBook { title, .. } => snapshot.books.values().any(|b| &b.title == title),
        Op::RegisterCustomer {
            first_name,
            last_name,
        } => snapshot
            .customers
            .values()
            .any(|c| &c.first_name == first_name && &c.last_name == last_name),
        Op::RentBook { customer, at, .. } | Op::RentCopy { customer, at, .. } => snapshot
            .rentals
            .values()
            .any(|r| r.customer.get() == *customer && r.rented_at == *at),
        Op::Return { rental, .. } => snapshot
            .rentals
            .get(rental)
            .is_some_and(|r| r.returned_at.is_some()),
        Op::Deactivate { customer } => snapshot.customers.get(customer).is_some_and(|c| !c.active),
        Op::Renew { rental, at } => snapshot
            .rentals
            .get(rental)
            .is_some_and(|r| r.renewals.contains(at)),
        Op::Pay { customer, at, .. } => snapshot
            .ledger
            .values()
            .any(|e| e.customer.get() == *customer && e.kind == EntryKind::Payment && e.at == *at),
        Op::Batch { ops } => ops.iter().any(|op| effect_visible(snapshot, op)),
    }
}

/// A new record's id must be above every earlier id of its kind (ids are never reused).
fn above(what: &str, id: u64, max: u64) -> Result<(), String> {
    if id <= max {
        return Err(format!(
            "{what} id {id} is not above the earlier ids (max {max})"
        ));
    }
    Ok(())
}
