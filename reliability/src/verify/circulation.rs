//! The expected effects of holds, lost and found copies and damage fees: the rules of the core's
//! `storage/circulation.rs` and `storage/lending.rs` restated on a [`Snapshot`].
//!
//! A copy that comes back (returned, found, or released by a cancelled, expired or fulfilled-elsewhere ready hold)
//! goes to the first waiting hold of its book, ready for the pickup days of the plan in force, or back on the
//! shelf; placing a hold while a copy is on the shelf sets it aside at once. Only the hold's customer may rent a
//! copy set aside, and renting a copy of a book fulfils the renter's hold on it. A lost rental is charged what
//! accrued plus its tariff's replacement and processing fees; a found copy credits the replacement fee back when
//! the tariff says `refund_when_found`. A damaged return posts its fee after the charge.

use chrono::{DateTime, Duration, Utc};
use koko_core::{
    BookCopy, CopyId, CopyStatus, CustomerId, Decimal, EntryKind, Hold, HoldId, HoldStatus,
    LedgerEntry, Rental, RentalId,
};

use super::apply::above;
use super::ledger::{post, post_charge, Posting};
use super::plan_of;
use crate::acklog::DamageFee;
use crate::snapshot::{Snapshot, SnapshotExt};

/// Until when a copy set aside at `at` waits.
fn ready_until(expected: &Snapshot, at: DateTime<Utc>) -> DateTime<Utc> {
    at + Duration::days(i64::from(expected.pickup_days(at)))
}

/// Frees `copy` at `at`: to the first waiting hold of its book, now ready, or back on the shelf.
pub(super) fn release(expected: &mut Snapshot, copy: u64, at: DateTime<Utc>) -> Result<(), String> {
    let until = ready_until(expected, at);
    let book = expected
        .copies
        .get(&copy)
        .ok_or_else(|| format!("copy {copy} does not exist"))?
        .book;
    let first = expected
        .holds
        .values_mut()
        .find(|h| h.book == book && h.status == HoldStatus::Waiting);
    let status = match first {
        Some(hold) => {
            hold.status = HoldStatus::Ready;
            hold.copy = Some(CopyId::new(copy));
            hold.ready_until = Some(until);
            CopyStatus::OnHold(hold.id)
        }
        None => CopyStatus::Available,
    };
    if let Some(stored) = expected.copies.get_mut(&copy) {
        stored.status = status;
    }
    Ok(())
}

/// The customer's waiting or ready hold on `book`.
fn active_hold(expected: &Snapshot, customer: CustomerId, book: u64) -> Option<&Hold> {
    expected
        .holds
        .values()
        .find(|h| h.customer == customer && h.book.get() == book && h.status.is_active())
}

/// Whether `customer` may rent `copy`: it is on the shelf, or set aside for their own hold.
pub(super) fn rentable(expected: &Snapshot, copy: &BookCopy, customer: CustomerId) -> bool {
    match copy.status {
        CopyStatus::Available => true,
        CopyStatus::OnHold(hold) => expected
            .holds
            .get(&hold.get())
            .is_some_and(|h| h.customer == customer),
        _ => false,
    }
}

/// The copy a rent of `book` gives `customer`: the one set aside for their ready hold on it, else the first on the
/// shelf.
pub(super) fn copy_for(expected: &Snapshot, customer: CustomerId, book: u64) -> Option<u64> {
    let ready = active_hold(expected, customer, book)
        .filter(|h| h.status == HoldStatus::Ready)
        .and_then(|h| h.copy);
    ready
        .map(CopyId::get)
        .or_else(|| first_on_shelf(expected, book))
}

/// The first copy of `book` on the shelf, in copy id order.
fn first_on_shelf(expected: &Snapshot, book: u64) -> Option<u64> {
    expected.book_copies.get(&book)?.iter().copied().find(|c| {
        expected
            .copies
            .get(c)
            .is_some_and(|c| c.status == CopyStatus::Available)
    })
}

/// Fulfils the renter's hold on the book with `rental` (just opened): the hold closes, naming the rental and the
/// copy rented; a copy it was ready on that was not rented is released.
pub(super) fn fulfil(expected: &mut Snapshot, rental: &Rental) -> Result<(), String> {
    let Some(hold) = active_hold(expected, rental.customer, rental.book.get()) else {
        return Ok(());
    };
    let id = hold.id.get();
    let other = hold
        .copy
        .filter(|c| hold.status == HoldStatus::Ready && *c != rental.copy);
    if let Some(hold) = expected.holds.get_mut(&id) {
        hold.status = HoldStatus::Fulfilled;
        hold.copy = Some(rental.copy);
        hold.closed_at = Some(rental.rented_at);
        hold.rental = Some(rental.id);
    }
    match other {
        Some(copy) => release(expected, copy.get(), rental.rented_at),
        None => Ok(()),
    }
}

/// `hold` without its queue position (a derived field the checker compares through the indexes).
fn unnumbered(hold: &Hold) -> Hold {
    Hold {
        position: None,
        ..hold.clone()
    }
}

/// The hold `PlaceHold` makes with id `id`: ready on the first copy on the shelf, else waiting.
pub(super) fn as_placed(
    expected: &Snapshot,
    customer: u64,
    book: u64,
    at: DateTime<Utc>,
    id: HoldId,
) -> Hold {
    let shelf = first_on_shelf(expected, book);
    Hold {
        id,
        book: koko_core::BookId::new(book),
        customer: CustomerId::new(customer),
        placed_at: at,
        status: match shelf {
            Some(_) => HoldStatus::Ready,
            None => HoldStatus::Waiting,
        },
        copy: shelf.map(CopyId::new),
        ready_until: shelf.map(|_| ready_until(expected, at)),
        closed_at: None,
        rental: None,
        position: None,
    }
}

/// A placed hold: a fresh id, an active customer who held neither this book nor the plan's `limits.max_holds`
/// books already, and exactly [`as_placed`].
pub(super) fn place_hold(
    expected: &mut Snapshot,
    (customer, book, at): (u64, u64, DateTime<Utc>),
    hold: &Hold,
) -> Result<(), String> {
    let id = hold.id.get();
    above("hold", id, expected.max_ids().hold)?;
    if !expected.customers.get(&customer).is_some_and(|c| c.active) {
        return Err(format!(
            "customer {customer} is not active, yet placed a hold"
        ));
    }
    if !expected.books.contains_key(&book) {
        return Err(format!(
            "a hold was placed on book {book}, which does not exist"
        ));
    }
    if let Some(other) = active_hold(expected, CustomerId::new(customer), book) {
        return Err(format!(
            "customer {customer} placed a second hold on book {book}: hold {} is {}",
            other.id,
            other.status.as_str()
        ));
    }
    let held = expected
        .holds
        .values()
        .filter(|h| h.customer.get() == customer && h.status.is_active())
        .count();
    let max = expected
        .plan_in_force(at)
        .and_then(|v| v.plan.limits())
        .and_then(|l| l.max_holds);
    if let Some(max) = max.filter(|max| held >= *max as usize) {
        return Err(format!(
            "customer {customer} placed a hold with {held} already; the plan's limit is {max}"
        ));
    }
    let want = as_placed(expected, customer, book, at, hold.id);
    if unnumbered(hold) != want {
        return Err(format!("the placed hold {hold:?} is not {want:?}"));
    }
    if let Some(copy) = want.copy.and_then(|c| expected.copies.get_mut(&c.get())) {
        copy.status = CopyStatus::OnHold(hold.id);
    }
    expected.holds.insert(id, want);
    Ok(())
}

/// `prior` cancelled at `at`.
pub(super) fn cancelled(prior: &Hold, at: DateTime<Utc>) -> Hold {
    Hold {
        status: HoldStatus::Cancelled,
        closed_at: Some(at),
        position: None,
        ..prior.clone()
    }
}

/// A cancelled hold: it was waiting or ready, and a copy set aside for it is released.
pub(super) fn cancel_hold(
    expected: &mut Snapshot,
    id: u64,
    at: DateTime<Utc>,
    hold: &Hold,
) -> Result<(), String> {
    let prior = expected
        .holds
        .get(&id)
        .ok_or_else(|| format!("cancelled hold {id}, which does not exist"))?;
    if !prior.status.is_active() {
        return Err(format!(
            "cancelled hold {id}, which was {}",
            prior.status.as_str()
        ));
    }
    let want = cancelled(prior, at);
    if unnumbered(hold) != want {
        return Err(format!("the cancelled hold {hold:?} is not {want:?}"));
    }
    let set_aside = want.copy.filter(|_| prior.status == HoldStatus::Ready);
    expected.holds.insert(id, want);
    match set_aside {
        Some(copy) => release(expected, copy.get(), at),
        None => Ok(()),
    }
}

/// The ready holds an expiry at `at` expires (those ready until before `at`), in id order, as expired.
pub(super) fn expiring(expected: &Snapshot, at: DateTime<Utc>) -> Vec<Hold> {
    expected
        .holds
        .values()
        .filter(|h| h.status == HoldStatus::Ready && h.ready_until.is_some_and(|u| u < at))
        .map(|h| Hold {
            status: HoldStatus::Expired,
            closed_at: Some(at),
            position: None,
            ..h.clone()
        })
        .collect()
}

/// An expiry: exactly the [`expiring`] holds expired, each one's copy released in turn.
pub(super) fn expire_holds(
    expected: &mut Snapshot,
    at: DateTime<Utc>,
    holds: &[Hold],
) -> Result<(), String> {
    let want = expiring(expected, at);
    if holds.iter().map(unnumbered).ne(want.iter().cloned()) {
        return Err(format!(
            "the expiry at {at} expired holds {:?}; the ready holds due before it are {:?}",
            holds.iter().map(|h| h.id.get()).collect::<Vec<_>>(),
            want.iter().map(|h| h.id.get()).collect::<Vec<_>>()
        ));
    }
    for hold in want {
        let copy = hold.copy;
        expected.holds.insert(hold.id.get(), hold);
        if let Some(copy) = copy {
            release(expected, copy.get(), at)?;
        }
    }
    Ok(())
}

/// A rental declared lost: it was open; it closes at `at`, lost, charged the quote until then; its copy is lost;
/// the charge entry, then the replacement and processing fees its tariff sets (those above zero) are posted.
pub(super) fn declare_lost(
    expected: &mut Snapshot,
    (id, at): (u64, DateTime<Utc>),
    rental: &Rental,
    charge_entry: Option<&LedgerEntry>,
    fees: &[LedgerEntry],
    actual: &Snapshot,
) -> Result<(), String> {
    let prior = expected
        .rentals
        .get(&id)
        .ok_or_else(|| format!("declared rental {id} lost, which does not exist"))?;
    if prior.returned_at.is_some() || at < prior.rented_at {
        return Err(format!(
            "declared rental {id} lost at {at}, which was rented at {} and closed at {:?}",
            prior.rented_at, prior.returned_at
        ));
    }
    let plan = plan_of(expected, prior)?;
    let quote = plan
        .quote_with_due(&prior.category, prior.rented_at, prior.due_at, at)
        .map_err(|e| format!("rental {id}'s times cannot be quoted: {e}"))?;
    let replacement = plan
        .tariff(&prior.category)
        .map_err(|e| format!("rental {id}'s category has no tariff: {e}"))?
        .replacement
        .clone();
    let want = Rental {
        returned_at: Some(at),
        charge: Some(quote.clone()),
        lost: true,
        ..prior.clone()
    };
    if &want != rental {
        return Err(format!(
            "the lost rental {rental:?} is not the open rental {prior:?} declared lost at {at}: {want:?}"
        ));
    }
    let copy = expected
        .copies
        .get_mut(&want.copy.get())
        .filter(|c| c.status == CopyStatus::Rented(want.id))
        .ok_or_else(|| format!("rental {id}'s copy {} was not rented under it", want.copy))?;
    copy.status = CopyStatus::Lost(want.id);
    expected.rentals.insert(id, want.clone());
    post_charge(expected, &want, charge_entry, actual)?;
    let amounts = replacement.map_or_else(Vec::new, |r| {
        vec![
            ("replacement fee", r.fee),
            ("processing fee", r.processing_fee.unwrap_or(Decimal::ZERO)),
        ]
    });
    let amounts: Vec<_> = amounts
        .into_iter()
        .filter(|(_, a)| *a > Decimal::ZERO)
        .collect();
    if fees.len() > amounts.len() {
        return Err(format!(
            "rental {id} declared lost acknowledged fees {fees:?}; its tariff sets {amounts:?}"
        ));
    }
    for (i, (what, amount)) in amounts.into_iter().enumerate() {
        let posting = Posting {
            of: format!("lost rental {id}"),
            what,
            customer: want.customer,
            kind: EntryKind::Fee,
            amount,
            currency: quote.currency,
            at,
            rental: Some(want.id),
            note: Some(""),
        };
        post(expected, posting, fees.get(i), actual)?;
    }
    Ok(())
}

/// The copy `copy` (lost) as a find at `at` leaves it, if it is lost in `expected`.
pub(super) fn as_found(expected: &Snapshot, copy: u64, at: DateTime<Utc>) -> Option<BookCopy> {
    let mut scratch = expected.clone();
    release(&mut scratch, copy, at).ok()?;
    scratch.copies.remove(&copy)
}

/// A found copy: it was lost, found no earlier than its loss, released as [`as_found`]; the replacement fee is
/// credited back (a `waiver` naming the lost rental) exactly when the lost rental's tariff says so.
pub(super) fn mark_found(
    expected: &mut Snapshot,
    (copy, at): (u64, DateTime<Utc>),
    (found, credit): (&BookCopy, Option<&LedgerEntry>),
    actual: &Snapshot,
) -> Result<(), String> {
    let status = expected.copies.get(&copy).map(|c| c.status);
    let Some(CopyStatus::Lost(rental_id)) = status else {
        return Err(format!("found copy {copy}, which was {status:?}"));
    };
    let rental = expected.rentals.get(&rental_id.get()).ok_or_else(|| {
        format!("copy {copy} is lost under rental {rental_id}, which does not exist")
    })?;
    if rental.returned_at.is_none_or(|lost_at| at < lost_at) {
        return Err(format!(
            "found copy {copy} at {at}; its rental {rental_id} was declared lost at {:?}",
            rental.returned_at
        ));
    }
    let plan = plan_of(expected, rental)?;
    let refund = plan
        .tariff(&rental.category)
        .map_err(|e| format!("rental {rental_id}'s category has no tariff: {e}"))?
        .replacement
        .as_ref()
        .filter(|r| r.refund_when_found && r.fee > Decimal::ZERO)
        .map(|r| (r.fee, plan.currency()));
    let customer = rental.customer;
    release(expected, copy, at)?;
    if expected.copies.get(&copy) != Some(found) {
        return Err(format!(
            "the found copy {found:?} is not {:?}",
            expected.copies.get(&copy)
        ));
    }
    match refund {
        Some((fee, currency)) => {
            let posting = Posting {
                of: format!("lost rental {rental_id}"),
                what: "found credit",
                customer,
                kind: EntryKind::Waiver,
                amount: fee,
                currency,
                at,
                rental: Some(rental_id),
                note: Some(""),
            };
            post(expected, posting, credit, actual)
        }
        None if credit.is_some() => Err(format!(
            "found copy {copy} credited {credit:?}; its plan credits nothing"
        )),
        None => Ok(()),
    }
}

/// The damage fee of a return (just closed in `expected`), posted after its charge: the fee, at the return, naming
/// the rental, its note mentioning what the writer said was damaged. Without damage, no fee was acknowledged.
pub(super) fn post_damage(
    expected: &mut Snapshot,
    closed: &Rental,
    damage: Option<&DamageFee>,
    fees: &[LedgerEntry],
    actual: &Snapshot,
) -> Result<(), String> {
    let id = closed.id.get();
    let (Some(damage), Some(at)) = (damage, closed.returned_at) else {
        return match fees {
            [] => Ok(()),
            _ => Err(format!(
                "rental {id} returned undamaged, yet acknowledged fees {fees:?}"
            )),
        };
    };
    if fees.len() > 1 {
        return Err(format!(
            "rental {id}'s damaged return acknowledged fees {fees:?}"
        ));
    }
    let currency = expected
        .currency()
        .ok_or("a damage fee was posted by a store without a price plan")?;
    let posting = Posting {
        of: format!("rental {id}"),
        what: "damage fee",
        customer: closed.customer,
        kind: EntryKind::Fee,
        amount: Decimal::new(damage.cents, 2),
        currency,
        at,
        rental: Some(RentalId::new(id)),
        note: Some(&damage.note),
    };
    post(expected, posting, fees.first(), actual)
}
