//! The circulation invariants of [`check_invariants`](super::check_invariants): holds and the copies set aside for
//! them, lost and found copies, and the fees and credits their rentals post.

use std::collections::BTreeMap;

use koko_core::{Copy, CopyStatus, Decimal, EntryKind, Hold, HoldStatus, LedgerEntry, Rental};

use super::{InvariantStats, Snapshot};

/// Holds and the copies set aside for them:
/// - a hold names an existing customer and book, and closes no earlier than it was placed;
/// - its fields fit its status: waiting (no copy, no deadline, open), ready (a copy and a deadline, open),
///   fulfilled (a copy, closed, the rental that fulfilled it: the customer's rental of that copy of the book,
///   opened when the hold closed), cancelled (closed, no rental), expired (a copy, closed after its deadline);
/// - **a copy is on hold exactly when one ready hold names it**: a ready hold's copy is a copy of its book marked
///   `OnHold(that hold)`, and a copy marked `OnHold(h)` is named by `h`, which is ready;
/// - **never on the shelf while a hold waits**: no book with a waiting hold has an available copy;
/// - a customer has at most one waiting or ready hold per book.
pub(super) fn check_holds(
    snapshot: &Snapshot,
    stats: &mut InvariantStats,
    problems: &mut Vec<String>,
) {
    let mut active: BTreeMap<(u64, u64), Vec<u64>> = BTreeMap::new();
    let mut waiting: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for hold in snapshot.holds.values() {
        stats.holds += 1;
        let id = hold.id.get();
        if !snapshot.customers.contains_key(&hold.customer.get()) {
            problems.push(format!(
                "hold {id}: customer {} does not exist",
                hold.customer
            ));
        }
        if !snapshot.books.contains_key(&hold.book.get()) {
            problems.push(format!("hold {id}: book {} does not exist", hold.book));
        }
        if hold.closed_at.is_some_and(|closed| closed < hold.placed_at) {
            problems.push(format!(
                "hold {id}: closed at {:?}, before it was placed at {}",
                hold.closed_at, hold.placed_at
            ));
        }
        if !fits_status(hold) {
            problems.push(format!(
                "hold {id} is {} with copy {:?}, ready until {:?}, closed at {:?}, rental {:?}",
                hold.status.as_str(),
                hold.copy,
                hold.ready_until,
                hold.closed_at,
                hold.rental
            ));
        }
        if hold.status.is_active() {
            active
                .entry((hold.customer.get(), hold.book.get()))
                .or_default()
                .push(id);
        }
        match hold.status {
            HoldStatus::Waiting => waiting.entry(hold.book.get()).or_default().push(id),
            HoldStatus::Ready => {
                stats.ready_holds += 1;
                if let Some(problem) = ready_copy_problem(snapshot, hold) {
                    problems.push(problem);
                }
            }
            HoldStatus::Fulfilled => {
                if let Some(problem) = fulfilment_problem(snapshot, hold) {
                    problems.push(problem);
                }
            }
            HoldStatus::Cancelled | HoldStatus::Expired => {}
        }
    }
    stats.waiting_holds += waiting.values().map(|w| w.len() as u64).sum::<u64>();
    for copy in snapshot.copies.values() {
        if let CopyStatus::OnHold(hold) = copy.status {
            let named = snapshot.holds.get(&hold.get()).is_some_and(|h| {
                h.status == HoldStatus::Ready && h.copy == Some(copy.id) && h.book == copy.book
            });
            if !named {
                problems.push(format!(
                    "copy {} of book {} is on hold for hold {hold}, which is {:?}",
                    copy.id,
                    copy.book,
                    snapshot
                        .holds
                        .get(&hold.get())
                        .map(|h| (h.status.as_str(), h.book, h.copy))
                ));
            }
        }
    }
    for (book, waiting) in &waiting {
        let shelf: Vec<u64> = copies_of(snapshot, *book)
            .filter(|c| c.status == CopyStatus::Available)
            .map(|c| c.id.get())
            .collect();
        if !shelf.is_empty() {
            problems.push(format!(
                "book {book} has copies {shelf:?} on the shelf while holds {waiting:?} wait for it"
            ));
        }
    }
    for ((customer, book), holds) in active {
        if holds.len() > 1 {
            problems.push(format!(
                "customer {customer} has {} active holds on book {book}: {holds:?}",
                holds.len()
            ));
        }
    }
}

/// Whether a hold's fields fit its status.
fn fits_status(hold: &Hold) -> bool {
    let (copy, until, closed, rental) = (
        hold.copy.is_some(),
        hold.ready_until.is_some(),
        hold.closed_at.is_some(),
        hold.rental.is_some(),
    );
    match hold.status {
        HoldStatus::Waiting => !copy && !until && !closed && !rental,
        HoldStatus::Ready => copy && until && !closed && !rental,
        HoldStatus::Fulfilled => copy && closed && rental,
        HoldStatus::Cancelled => closed && !rental && copy == until,
        HoldStatus::Expired => {
            copy && !rental
                && hold
                    .ready_until
                    .zip(hold.closed_at)
                    .is_some_and(|(u, c)| u < c)
        }
    }
}

/// A ready hold's copy must be a copy of its book set aside for it.
fn ready_copy_problem(snapshot: &Snapshot, hold: &Hold) -> Option<String> {
    let id = hold.copy?;
    let problem = match snapshot.copies.get(&id.get()) {
        None => "does not exist".to_owned(),
        Some(copy) if copy.book != hold.book => format!("is a copy of book {}", copy.book),
        Some(copy) if copy.status != CopyStatus::OnHold(hold.id) => {
            format!("is {:?}", copy.status)
        }
        Some(_) => return None,
    };
    Some(format!(
        "ready hold {} of customer {} for book {} names copy {id}, which {problem}",
        hold.id, hold.customer, hold.book
    ))
}

/// A fulfilled hold's rental must be its customer's rental of its copy of its book, opened when the hold closed.
fn fulfilment_problem(snapshot: &Snapshot, hold: &Hold) -> Option<String> {
    let id = hold.rental?;
    let fits = snapshot.rentals.get(&id.get()).is_some_and(|r| {
        r.customer == hold.customer
            && r.book == hold.book
            && Some(r.copy) == hold.copy
            && Some(r.rented_at) == hold.closed_at
    });
    (!fits).then(|| {
        format!(
            "fulfilled hold {} (customer {}, book {}, copy {:?}, closed at {:?}) names rental {id}, which is {:?}",
            hold.id,
            hold.customer,
            hold.book,
            hold.copy,
            hold.closed_at,
            snapshot
                .rentals
                .get(&id.get())
                .map(|r| (r.customer, r.book, r.copy, r.rented_at))
        )
    })
}

fn copies_of(snapshot: &Snapshot, book: u64) -> impl Iterator<Item = &Copy> + '_ {
    snapshot
        .book_copies
        .get(&book)
        .into_iter()
        .flatten()
        .filter_map(|id| snapshot.copies.get(id))
}

/// Lost and found copies, and the fees and credits naming a rental:
/// - a copy marked `Lost(r)` is the copy of rental `r`, closed as lost, its latest rental;
/// - a rental closed as lost is closed; **its fees are in the ledger**: the `fee` entries naming it are exactly
///   the replacement fee and then the processing fee its plan version's tariff sets (those above zero), of its
///   customer, at the instant it was declared lost (its charge entry is checked with every closed rental's);
/// - once its copy is found (no longer `Lost(r)`), the replacement fee is credited back — one `waiver` entry naming
///   the rental, of the fee, no earlier than the loss — exactly when the tariff says `refund_when_found` (a lost
///   copy withdrawn instead may or may not have been found first: its credit is not checked); before, none;
/// - a rental not lost has no `waiver` naming it, and at most one `fee` (a damage fee), at its return, of its
///   customer; an open rental none;
/// - no fee or waiver names a rental that does not exist.
///
/// Koko posts the only fees naming a rental that the crash workload makes; a staff fee naming a rental
/// (`Operation::PostFee`) would count as a damage fee here.
pub(super) fn check_lost(
    snapshot: &Snapshot,
    stats: &mut InvariantStats,
    problems: &mut Vec<String>,
) {
    let mut latest_rental: BTreeMap<u64, u64> = BTreeMap::new();
    for rental in snapshot.rentals.values() {
        latest_rental.insert(rental.copy.get(), rental.id.get());
    }
    for copy in snapshot.copies.values() {
        if let CopyStatus::Lost(rental) = copy.status {
            stats.lost_copies += 1;
            let fits = snapshot.rentals.get(&rental.get()).is_some_and(|r| {
                r.lost
                    && r.copy == copy.id
                    && latest_rental.get(&copy.id.get()) == Some(&r.id.get())
            });
            if !fits {
                problems.push(format!(
                    "copy {} is lost under rental {rental}, which is not its latest rental closed as lost ({:?})",
                    copy.id,
                    snapshot.rentals.get(&rental.get()).map(|r| (r.copy, r.lost))
                ));
            }
        }
    }
    let mut posted: BTreeMap<(u64, EntryKind), Vec<&LedgerEntry>> = BTreeMap::new();
    for entry in snapshot.ledger.values() {
        if let (EntryKind::Fee | EntryKind::Waiver, Some(rental)) = (entry.kind, entry.rental) {
            posted
                .entry((rental.get(), entry.kind))
                .or_default()
                .push(entry);
        }
    }
    for rental in snapshot.rentals.values() {
        let id = rental.id.get();
        let fees = posted.remove(&(id, EntryKind::Fee)).unwrap_or_default();
        let credits = posted.remove(&(id, EntryKind::Waiver)).unwrap_or_default();
        let result = if rental.lost {
            stats.lost_rentals += 1;
            lost_rental_problem(snapshot, rental, &fees, &credits, stats)
        } else {
            kept_rental_problem(rental, &fees, &credits)
        };
        if let Err(problem) = result {
            problems.push(format!("rental {id}: {problem}"));
        }
    }
    for ((rental, kind), entries) in posted {
        let ids: Vec<u64> = entries.iter().map(|e| e.id.get()).collect();
        problems.push(format!(
            "{} entries {ids:?} name rental {rental}, which does not exist",
            kind.name()
        ));
    }
}

/// The fees and credit of a rental closed as lost.
fn lost_rental_problem(
    snapshot: &Snapshot,
    rental: &Rental,
    fees: &[&LedgerEntry],
    credits: &[&LedgerEntry],
    stats: &mut InvariantStats,
) -> Result<(), String> {
    let Some(lost_at) = rental.returned_at else {
        return Err("lost, yet open".to_owned());
    };
    let version = snapshot
        .plans
        .iter()
        .find(|v| v.id == rental.plan_version)
        .ok_or_else(|| format!("plan version {} does not exist", rental.plan_version))?;
    let replacement = version
        .plan
        .tariff(&rental.category)
        .map_err(|e| format!("its category has no tariff: {e}"))?
        .replacement
        .clone();
    let (fee, processing, refund) =
        replacement.map_or((Decimal::ZERO, Decimal::ZERO, false), |r| {
            (
                r.fee,
                r.processing_fee.unwrap_or(Decimal::ZERO),
                r.refund_when_found,
            )
        });
    let want: Vec<Decimal> = [fee, processing]
        .into_iter()
        .filter(|amount| *amount > Decimal::ZERO)
        .collect();
    let got: Vec<Decimal> = fees.iter().map(|e| e.amount).collect();
    if got != want
        || !fees
            .iter()
            .all(|e| e.customer == rental.customer && e.at == lost_at)
    {
        return Err(format!(
            "declared lost at {lost_at}; its plan's replacement fees are {want:?}, its fee entries are {:?}",
            described(fees)
        ));
    }
    let copy_status = snapshot.copies.get(&rental.copy.get()).map(|c| c.status);
    let still_lost = copy_status == Some(CopyStatus::Lost(rental.id));
    if !still_lost {
        stats.found_rentals += 1;
    }
    if copy_status == Some(CopyStatus::Withdrawn) && credits.len() <= 1 {
        return Ok(());
    }
    let owed_credit = !still_lost && refund && fee > Decimal::ZERO;
    let credit_ok = match (owed_credit, credits) {
        (false, []) => true,
        (true, [credit]) => {
            credit.amount == fee && credit.customer == rental.customer && credit.at >= lost_at
        }
        _ => false,
    };
    if !credit_ok {
        return Err(format!(
            "its copy {} is {copy_status:?}; its plan credits the replacement fee {fee} when found: {refund}; its \
             waiver entries are {:?}",
            rental.copy,
            described(credits)
        ));
    }
    Ok(())
}

/// A rental not lost: at most one damage fee at its return, no credit.
fn kept_rental_problem(
    rental: &Rental,
    fees: &[&LedgerEntry],
    credits: &[&LedgerEntry],
) -> Result<(), String> {
    let damage_ok = match (fees, rental.returned_at) {
        ([], _) => true,
        ([fee], Some(returned_at)) => fee.customer == rental.customer && fee.at == returned_at,
        _ => false,
    };
    if !damage_ok || !credits.is_empty() {
        return Err(format!(
            "not lost (returned at {:?}), yet has fee entries {:?} and waiver entries {:?} (at most one fee, at \
             its return, expected)",
            rental.returned_at,
            described(fees),
            described(credits)
        ));
    }
    Ok(())
}

/// Entries as (id, amount, customer, instant), for problem reports.
fn described(entries: &[&LedgerEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| {
            format!(
                "{} of {} to customer {} at {}",
                e.id, e.amount, e.customer, e.at
            )
        })
        .collect()
}
