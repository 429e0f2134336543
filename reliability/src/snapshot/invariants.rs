//! The invariants every consistent store satisfies, checked on a [`Snapshot`].

use std::collections::BTreeMap;

use koko_core::{
    BookStore, CopyStatus, Decimal, EntryKind, LedgerEntry, PricePlan, Rental, Storage,
};

use super::circulation::{check_holds, check_lost};
use super::indexes::check_indexes;
use super::Snapshot;

/// What [`check_invariants`] looked at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InvariantStats {
    /// Rentals checked (open and closed).
    pub rentals: u64,
    /// Of which open.
    pub open: u64,
    /// Copies checked.
    pub copies: u64,
    /// Ledger entries checked (every kind).
    pub entries: u64,
    /// Of which payments.
    pub payments: u64,
    /// Renewals found on rentals (each one's instant, open rentals and closed).
    pub renewals: u64,
    /// Holds checked (every status).
    pub holds: u64,
    /// Of which waiting.
    pub waiting_holds: u64,
    /// Of which ready (each with its copy set aside).
    pub ready_holds: u64,
    /// Copies lost now.
    pub lost_copies: u64,
    /// Rentals closed as lost (their fees checked).
    pub lost_rentals: u64,
    /// Of which the copy was found since (their credit checked).
    pub found_rentals: u64,
}

/// against it:
/// - every rental names an existing copy of its book, an existing customer and an existing plan version, with
///   the book's category;
/// - an open rental has no charge and its copy is `Rented(this rental)`; so no copy has two open rentals, and
///   every copy marked rented has exactly one open rental and vice versa;
/// - a rental's due date is its plan's due date for its rental instant, moved on by each of its renewals in turn
///   (`PricePlan::renewed_due`), its renewals are in order, no earlier than the rental, no later than its return,
///   and no more than the plan allows;
/// - a closed rental was returned no earlier than rented and has exactly one charge, equal to
///   `plan.quote_with_due(category, rented_at, due_at, returned_at)` under the plan version it was rented under,
///   with its stored due date (so late days count from the last renewal's due date);
/// - the open-rental index lists exactly the open rentals, each customer's index exactly their rentals;
/// - no copy exists outside its book's copy list (probing ids up to the largest + 16);
/// - every ledger entry names an existing customer and a non-negative amount; in each customer's ledger (id
///   order) every entry's `balance_after` is the running sum of the signed amounts, and the account's stored
///   balance is the sum of the whole ledger;
/// - every closed rental has exactly one `charge` entry, of its customer, at its return instant, for its charge's
///   total in its charge's currency, and `Storage::charge_entry` finds that entry; an open rental has none; no
///   `charge` entry lacks a rental or names one that does not exist;
/// - each account's count of open rentals is its customer's number of open rentals;
/// - holds and lost copies: see `check_holds` and `check_lost` (`snapshot/circulation.rs`): a copy is on hold
///   exactly when one ready hold names it, no copy is on the shelf while a hold of its book waits, a lost copy's
///   rental has its replacement fees in the ledger and a found one its credit when the plan says so;
/// - the hold indexes: each book's queue (`Storage::book_holds`) and the active holds (`Storage::active_holds`)
///   list exactly the waiting and ready holds, in id order, the waiting ones numbered 1, 2, … per book; no hold
///   exists that no customer lists (probing ids up to the largest + 16).
///
/// Returns what it checked, or every problem found.
pub fn check_invariants<S: Storage>(
    store: &BookStore<S>,
    snapshot: &Snapshot,
) -> Result<InvariantStats, Vec<String>> {
    let mut problems = Vec::new();
    let mut stats = InvariantStats::default();
    let mut open_by_copy: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for rental in snapshot.rentals.values() {
        stats.rentals += 1;
        let id = rental.id.get();
        match snapshot.copies.get(&rental.copy.get()) {
            None => problems.push(format!("rental {id}: copy {} does not exist", rental.copy)),
            Some(copy) if copy.book != rental.book => problems.push(format!(
                "rental {id}: copy {} belongs to book {}, the rental says book {}",
                copy.id, copy.book, rental.book
            )),
            Some(_) => {}
        }
        match snapshot.books.get(&rental.book.get()) {
            None => problems.push(format!("rental {id}: book {} does not exist", rental.book)),
            Some(book) if book.category != rental.category => problems.push(format!(
                "rental {id}: category {:?}, its book's is {:?}",
                rental.category, book.category
            )),
            Some(_) => {}
        }
        if !snapshot.customers.contains_key(&rental.customer.get()) {
            problems.push(format!(
                "rental {id}: customer {} does not exist",
                rental.customer
            ));
        }
        let plan = snapshot.plans.iter().find(|v| v.id == rental.plan_version);
        if plan.is_none() {
            problems.push(format!(
                "rental {id}: plan version {} does not exist",
                rental.plan_version
            ));
        }
        stats.renewals += rental.renewals.len() as u64;
        if let Some(version) = plan {
            if let Err(problem) = check_due_date(&version.plan, rental) {
                problems.push(format!("rental {id}: {problem}"));
            }
        }
        match (rental.returned_at, &rental.charge) {
            (None, None) => {
                stats.open += 1;
                open_by_copy.entry(rental.copy.get()).or_default().push(id);
            }
            (None, Some(_)) => problems.push(format!("rental {id}: open but charged")),
            (Some(_), None) => problems.push(format!("rental {id}: closed without a charge")),
            (Some(returned_at), Some(charge)) => {
                if returned_at < rental.rented_at {
                    problems.push(format!(
                        "rental {id}: returned at {returned_at}, before it was rented at {}",
                        rental.rented_at
                    ));
                }
                if let Some(version) = plan {
                    match version.plan.quote_with_due(
                        &rental.category,
                        rental.rented_at,
                        rental.due_at,
                        returned_at,
                    ) {
                        Ok(quote) if &quote == charge => {}
                        Ok(quote) => problems.push(format!(
                            "rental {id}: charged {} ({} days), the quote for its times and due date {:?} is {} \
                             ({} days)",
                            charge.total, charge.days, rental.due_at, quote.total, quote.days
                        )),
                        Err(e) => {
                            problems.push(format!("rental {id}: its times cannot be quoted: {e}"))
                        }
                    }
                }
            }
        }
    }
    for copy in snapshot.copies.values() {
        stats.copies += 1;
        let id = copy.id.get();
        let open = open_by_copy.get(&id).map(Vec::as_slice).unwrap_or_default();
        match copy.status {
            CopyStatus::Rented(rental) => {
                if open != [rental.get()] {
                    problems.push(format!(
                        "copy {id} is marked rented under rental {rental}, its open rentals are {open:?}"
                    ));
                }
            }
            CopyStatus::Available
            | CopyStatus::Withdrawn
            | CopyStatus::OnHold(_)
            | CopyStatus::Lost(_) => {
                if !open.is_empty() {
                    problems.push(format!(
                        "copy {id} is {:?} but has open rentals {open:?}",
                        copy.status
                    ));
                }
            }
        }
    }
    for (copy, open) in &open_by_copy {
        if open.len() > 1 {
            problems.push(format!(
                "copy {copy} has {} open rentals: {open:?}",
                open.len()
            ));
        }
    }
    check_ledger(snapshot, &mut stats, &mut problems);
    check_holds(snapshot, &mut stats, &mut problems);
    check_lost(snapshot, &mut stats, &mut problems);
    check_indexes(store, snapshot, &mut problems);
    if problems.is_empty() {
        Ok(stats)
    } else {
        Err(problems)
    }
}

/// A rental's due date and renewals against its plan: the due date for its rental instant, moved on by each
/// renewal in turn; renewals in order, within the rental's time, no more than the plan allows.
fn check_due_date(plan: &PricePlan, rental: &Rental) -> Result<(), String> {
    let mut due = plan
        .due_at(&rental.category, rental.rented_at)
        .map_err(|e| format!("its due date cannot be worked out: {e}"))?;
    let mut last = rental.rented_at;
    for (renewed, at) in rental.renewals.iter().enumerate() {
        if *at < last || rental.returned_at.is_some_and(|returned| *at > returned) {
            return Err(format!(
                "renewal {renewed} at {at} is out of order (rented at {}, returned at {:?}, renewals {:?})",
                rental.rented_at, rental.returned_at, rental.renewals
            ));
        }
        last = *at;
        let Some(before) = due else {
            return Err(format!(
                "renewed at {at}, but its category {:?} has no loan period",
                rental.category
            ));
        };
        due = Some(
            plan.renewed_due(&rental.category, before, *at, renewed)
                .map_err(|e| format!("renewal {renewed} at {at} is refused by its plan: {e}"))?,
        );
    }
    if due != rental.due_at {
        return Err(format!(
            "due at {:?}; its plan and renewals {:?} say {due:?}",
            rental.due_at, rental.renewals
        ));
    }
    Ok(())
}

/// The ledger and account invariants of [`check_invariants`].
fn check_ledger(snapshot: &Snapshot, stats: &mut InvariantStats, problems: &mut Vec<String>) {
    let mut running: BTreeMap<u64, Decimal> = BTreeMap::new();
    let mut charges: BTreeMap<u64, Vec<&LedgerEntry>> = BTreeMap::new();
    for (id, entry) in &snapshot.ledger {
        stats.entries += 1;
        let customer = entry.customer.get();
        if !snapshot.customers.contains_key(&customer) {
            problems.push(format!(
                "ledger entry {id}: customer {customer} does not exist"
            ));
        }
        if entry.amount < Decimal::ZERO {
            problems.push(format!(
                "ledger entry {id}: negative amount {}",
                entry.amount
            ));
        }
        let sum = running.entry(customer).or_insert(Decimal::ZERO);
        match sum.checked_add(entry.signed_amount()) {
            Some(next) => {
                *sum = next;
                if entry.balance_after != next {
                    problems.push(format!(
                        "ledger entry {id} ({} of {}) of customer {customer}: balance after {}, the running sum \
                         of the ledger is {next}",
                        entry.kind.name(),
                        entry.amount,
                        entry.balance_after
                    ));
                }
            }
            None => problems.push(format!(
                "ledger entry {id} of customer {customer}: the running sum overflows"
            )),
        }
        match (entry.kind, entry.rental) {
            (EntryKind::Charge, Some(rental)) => {
                charges.entry(rental.get()).or_default().push(entry)
            }
            (EntryKind::Charge, None) => {
                problems.push(format!("ledger entry {id}: a charge without a rental"))
            }
            (EntryKind::Payment, _) => stats.payments += 1,
            _ => {}
        }
    }
    for customer in snapshot.customers.keys() {
        let sum = running.get(customer).copied().unwrap_or(Decimal::ZERO);
        match snapshot.accounts.get(customer) {
            None => problems.push(format!("customer {customer} has no account")),
            Some(account) if account.balance != sum => problems.push(format!(
                "customer {customer}: stored balance {}, the ledger sums to {sum}",
                account.balance
            )),
            Some(_) => {}
        }
    }
    let mut open_counts: BTreeMap<u64, u64> = BTreeMap::new();
    for rental in snapshot.rentals.values() {
        let id = rental.id.get();
        let posted = charges.remove(&id).unwrap_or_default();
        let entry_ids: Vec<u64> = posted.iter().map(|e| e.id.get()).collect();
        match rental.returned_at {
            None => {
                *open_counts.entry(rental.customer.get()).or_default() += 1;
                if !posted.is_empty() {
                    problems.push(format!(
                        "rental {id}: open, yet charged by ledger entries {entry_ids:?}"
                    ));
                }
            }
            Some(returned_at) => match (posted.as_slice(), &rental.charge) {
                ([entry], Some(charge)) => {
                    if entry.amount != charge.total
                        || entry.currency != charge.currency
                        || entry.customer != rental.customer
                        || entry.at != returned_at
                    {
                        problems.push(format!(
                            "rental {id} (customer {}, returned at {returned_at}, charged {} {}): its charge entry \
                             {} is {} {} to customer {} at {}",
                            rental.customer,
                            charge.total,
                            charge.currency,
                            entry.id,
                            entry.amount,
                            entry.currency,
                            entry.customer,
                            entry.at
                        ));
                    }
                }
                // A closed rental without a charge is reported above.
                ([_], None) => {}
                _ => problems.push(format!(
                    "rental {id}: closed, with {} charge entries {entry_ids:?} (exactly one expected)",
                    posted.len()
                )),
            },
        }
    }
    for (rental, posted) in charges {
        let entry_ids: Vec<u64> = posted.iter().map(|e| e.id.get()).collect();
        problems.push(format!(
            "ledger entries {entry_ids:?} charge rental {rental}, which does not exist"
        ));
    }
    for (customer, account) in &snapshot.accounts {
        let open = open_counts.get(customer).copied().unwrap_or(0);
        if account.open_rentals != open {
            problems.push(format!(
                "customer {customer}'s account counts {} open rentals, they have {open}",
                account.open_rentals
            ));
        }
    }
}
