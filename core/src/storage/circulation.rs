//! The circulation rules of every write, written once against [`TxView`] as `ops` is: renewals, holds, lost and
//! found copies.
//!
//! The invariant every operation here keeps: **a copy is never on the shelf while its book has a waiting hold.**
//! Whatever frees a copy (a return, new copies, a reinstatement, a found copy, a cancelled or expired ready hold)
//! passes it through [`release`], which sets it aside for the first waiting hold; placing a hold on a book with a
//! copy on the shelf sets that copy aside at once. On PostgreSQL both sides lock the book's row first
//! ([`TxView::lock_book`]), so a return racing with a hold cannot leave a copy available while the hold waits.
//!
//! As in `ops`, each operation reads and checks everything before its first write.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::accounts::{self, Posting};
use super::lending::{held_copy_and_plan, open_rental};
use super::ops::{found, IdKind, TxView};
use crate::domain::{Copy, CopyStatus, EntryKind, Hold, HoldStatus, LedgerEntry, Rental};
use crate::error::Error;
use crate::ids::{BookId, CopyId, CustomerId, HoldId, PlanVersionId, RentalId};

/// What freeing a copy does: the copy as it will be stored, and the hold it was set aside for (if any).
pub(crate) struct Release {
    copy: Copy,
    hold: Option<Hold>,
}

/// When a copy set aside at `at` stops waiting: `at` plus the pickup period of the plan in force then.
pub(crate) fn pickup_deadline<T: TxView>(
    tx: &mut T,
    at: DateTime<Utc>,
) -> Result<DateTime<Utc>, T::E> {
    let days = tx
        .plan_in_force(at)?
        .map_or(crate::pricing::DEFAULT_PICKUP_DAYS, |v| {
            v.plan.holds().pickup_days
        });
    at.checked_add_signed(Duration::days(i64::from(days)))
        .ok_or_else(|| {
            Error::invalid_input("at", "too far in the future to set a copy aside").into()
        })
}

/// Decides where a freed copy goes (reads only): to the first waiting hold of its book, ready until
/// `ready_until`, or back on the shelf. Locks the book's queue first.
pub(crate) fn release<T: TxView>(
    tx: &mut T,
    mut copy: Copy,
    ready_until: DateTime<Utc>,
) -> Result<Release, T::E> {
    tx.lock_book(copy.book)?;
    let hold = tx.first_waiting_hold(copy.book)?.map(|mut hold| {
        hold.status = HoldStatus::Ready;
        hold.copy = Some(copy.id);
        hold.ready_until = Some(ready_until);
        hold.position = None;
        hold
    });
    copy.status = match &hold {
        Some(hold) => CopyStatus::OnHold(hold.id),
        None => CopyStatus::Available,
    };
    Ok(Release { copy, hold })
}

/// Stores what [`release`] decided.
pub(crate) fn put_release<T: TxView>(tx: &mut T, release: &Release) -> Result<(), T::E> {
    if let Some(hold) = &release.hold {
        tx.put_hold(hold)?;
    }
    tx.put_copy(&release.copy)
}

impl Release {
    /// The copy as stored.
    pub(crate) fn copy(&self) -> &Copy {
        &self.copy
    }
}

/// [`Operation::Renew`](super::Operation::Renew).
pub(crate) fn renew<T: TxView>(
    tx: &mut T,
    id: RentalId,
    at: DateTime<Utc>,
) -> Result<Rental, T::E> {
    let mut rental = open_rental(tx, id)?;
    if at < rental.rented_at {
        return Err(Error::invalid_input("at", "a renewal cannot come before the rental").into());
    }
    let Some(due) = rental.due_at else {
        return Err(Error::invalid_input(
            "rental",
            format!("rental {id} has no due date (its category has no loan period), so it cannot be renewed"),
        )
        .into());
    };
    // The customer's row first, as a rent locks it: renewals and rents of one customer take turns.
    found(
        tx.customer(rental.customer)?,
        CustomerId::ENTITY,
        rental.customer,
    )?;
    let account = accounts::account(tx, rental.customer)?;
    let policy = tx.plan_in_force(at)?;
    accounts::check_may_renew::<T::E>(&account, policy.as_deref(), at)?;
    // The rental's own plan version says how it renews, as it says how it is charged.
    let version = found(
        tx.plan_version(rental.plan_version)?,
        PlanVersionId::ENTITY,
        rental.plan_version,
    )?;
    let new_due = version
        .plan
        .renewed_due(&rental.category, due, at, rental.renewals.len())?;
    // A waiting hold means no copy of the book is on the shelf (the invariant above): this copy is the one that
    // would serve it.
    tx.lock_book(rental.book)?;
    if let Some(hold) = tx.first_waiting_hold(rental.book)? {
        return Err(Error::blocked(
            "holds.waiting",
            format!(
                "hold {} is waiting for book {} and no other copy can serve it",
                hold.id, rental.book
            ),
        )
        .into());
    }
    rental.due_at = Some(new_due);
    rental.renewals.push(at);
    tx.put_rental(&rental)?;
    Ok(rental)
}

/// [`Operation::PlaceHold`].
///
/// [`Operation::PlaceHold`]: super::Operation::PlaceHold
pub(crate) fn place_hold<T: TxView>(
    tx: &mut T,
    customer: CustomerId,
    book: BookId,
    at: DateTime<Utc>,
) -> Result<Hold, T::E> {
    let record = found(tx.customer(customer)?, CustomerId::ENTITY, customer)?;
    if !record.active {
        return Err(Error::InactiveCustomer {
            customer: customer.get(),
        }
        .into());
    }
    let account = accounts::account(tx, customer)?;
    let policy = tx.plan_in_force(at)?;
    accounts::check_may_renew::<T::E>(&account, policy.as_deref(), at)?;
    found(tx.book(book)?, BookId::ENTITY, book)?;
    tx.lock_book(book)?;
    let mine = tx.active_holds_of(customer)?;
    if let Some(hold) = mine.iter().find(|h| h.book == book) {
        return Err(Error::Duplicate {
            field: "book",
            value: format!(
                "customer {customer} already holds book {book} (hold {})",
                hold.id
            ),
        }
        .into());
    }
    if let Some(max) = policy
        .as_deref()
        .and_then(|v| v.plan.limits())
        .and_then(|l| l.max_holds)
    {
        if mine.len() >= max as usize {
            return Err(Error::blocked(
                "limits.max_holds",
                format!("the customer has {} holds; the limit is {max}", mine.len()),
            )
            .into());
        }
    }
    let ready_until = pickup_deadline(tx, at)?;
    let shelf = tx.first_available_copy(book)?;
    let mut hold = Hold {
        id: HoldId::new(tx.next_id(IdKind::Hold)?),
        book,
        customer,
        placed_at: at,
        status: HoldStatus::Waiting,
        copy: None,
        ready_until: None,
        closed_at: None,
        rental: None,
        position: None,
    };
    // A copy on the shelf is set aside at once: a hold never waits while a copy of its book is available.
    if let Some(mut copy) = shelf {
        hold.status = HoldStatus::Ready;
        hold.copy = Some(copy.id);
        hold.ready_until = Some(ready_until);
        copy.status = CopyStatus::OnHold(hold.id);
        tx.put_copy(&copy)?;
    }
    tx.put_hold(&hold)?;
    Ok(hold)
}

/// [`Operation::CancelHold`].
///
/// [`Operation::CancelHold`]: super::Operation::CancelHold
pub(crate) fn cancel_hold<T: TxView>(
    tx: &mut T,
    id: HoldId,
    at: DateTime<Utc>,
) -> Result<Hold, T::E> {
    let mut hold = found(tx.hold(id)?, HoldId::ENTITY, id)?;
    if !hold.status.is_active() {
        return Err(Error::invalid_input(
            "hold",
            format!(
                "hold {id} is {} and can no longer be cancelled",
                hold.status.as_str()
            ),
        )
        .into());
    }
    let release = match (hold.status, hold.copy) {
        (HoldStatus::Ready, Some(copy)) => {
            let copy = held_copy(tx, &hold, copy)?;
            let ready_until = pickup_deadline(tx, at)?;
            Some(release(tx, copy, ready_until)?)
        }
        _ => None,
    };
    hold.status = HoldStatus::Cancelled;
    hold.closed_at = Some(at);
    hold.position = None;
    tx.put_hold(&hold)?;
    if let Some(release) = &release {
        put_release(tx, release)?;
    }
    Ok(hold)
}

/// [`Operation::ExpireHolds`]: every ready hold whose `ready_until` is before `at` expires, and its copy passes
/// to the next waiting hold (or the shelf). Answers the expired holds, in id order.
pub(crate) fn expire_holds<T: TxView>(tx: &mut T, at: DateTime<Utc>) -> Result<Vec<Hold>, T::E> {
    let ready_until = pickup_deadline(tx, at)?;
    let mut expired = Vec::new();
    for mut hold in tx.ready_holds()? {
        if hold.ready_until.is_none_or(|until| until >= at) {
            continue;
        }
        let copy = hold
            .copy
            .ok_or_else(|| Error::Corruption(format!("ready hold {} names no copy", hold.id)))?;
        let copy = held_copy(tx, &hold, copy)?;
        hold.status = HoldStatus::Expired;
        hold.closed_at = Some(at);
        tx.put_hold(&hold)?;
        // The hold is written first, so the release sees the queue without it.
        let release = release(tx, copy, ready_until)?;
        put_release(tx, &release)?;
        expired.push(hold);
    }
    Ok(expired)
}

/// The copy a ready hold names, which must be set aside for it.
fn held_copy<T: TxView>(tx: &mut T, hold: &Hold, copy: CopyId) -> Result<Copy, T::E> {
    let record = found(tx.copy(copy)?, CopyId::ENTITY, copy)?;
    if record.status != CopyStatus::OnHold(hold.id) {
        return Err(Error::Corruption(format!(
            "ready hold {} names copy {copy}, which is {:?}",
            hold.id, record.status
        ))
        .into());
    }
    Ok(record)
}

/// The hold a rent by `customer` of a copy of `book` fulfils: the customer's waiting or ready hold on the book.
pub(crate) fn hold_for_rent<T: TxView>(
    tx: &mut T,
    customer: CustomerId,
    book: BookId,
) -> Result<Option<Hold>, T::E> {
    Ok(tx
        .active_holds_of(customer)?
        .into_iter()
        .find(|h| h.book == book))
}

/// What a rent does to the renter's hold on the book: fulfils it, and when it was ready on another copy than the
/// one rented, releases that copy (decided here, before the rent writes anything).
pub(crate) struct Fulfilment {
    hold: Hold,
    released: Option<Release>,
}

/// Plans the fulfilment of `hold` by renting `copy` at `at`.
pub(crate) fn fulfil<T: TxView>(
    tx: &mut T,
    mut hold: Hold,
    copy: CopyId,
    at: DateTime<Utc>,
) -> Result<Fulfilment, T::E> {
    let released = match hold.copy {
        Some(other) if hold.status == HoldStatus::Ready && other != copy => {
            let other = held_copy(tx, &hold, other)?;
            let ready_until = pickup_deadline(tx, at)?;
            Some(release(tx, other, ready_until)?)
        }
        _ => None,
    };
    hold.status = HoldStatus::Fulfilled;
    hold.copy = Some(copy);
    hold.closed_at = Some(at);
    hold.position = None;
    Ok(Fulfilment { hold, released })
}

/// Stores a fulfilment once the rental exists.
pub(crate) fn put_fulfilment<T: TxView>(
    tx: &mut T,
    mut fulfilment: Fulfilment,
    rental: RentalId,
) -> Result<(), T::E> {
    fulfilment.hold.rental = Some(rental);
    tx.put_hold(&fulfilment.hold)?;
    if let Some(release) = &fulfilment.released {
        put_release(tx, release)?;
    }
    Ok(())
}

/// [`Operation::DeclareLost`]: closes an open rental as lost at `at` — charged what accrued until then (late
/// fees included, capped as the plan says), plus the tariff's replacement and processing fees as their own `fee`
/// entries; the copy becomes [`CopyStatus::Lost`].
pub(crate) fn declare_lost<T: TxView>(
    tx: &mut T,
    id: RentalId,
    at: DateTime<Utc>,
) -> Result<Rental, T::E> {
    let mut rental = open_rental(tx, id)?;
    if at < rental.rented_at {
        return Err(Error::invalid_input(
            "at",
            "a copy cannot be declared lost before it was rented",
        )
        .into());
    }
    let (mut copy, version) = held_copy_and_plan(tx, &rental)?;
    let quote =
        version
            .plan
            .quote_with_due(&rental.category, rental.rented_at, rental.due_at, at)?;
    let currency = quote.currency;
    let replacement = version.plan.tariff(&rental.category)?.replacement.clone();
    rental.returned_at = Some(at);
    rental.charge = Some(quote);
    rental.lost = true;
    copy.status = CopyStatus::Lost(id);
    tx.put_copy(&copy)?;
    tx.put_rental(&rental)?;
    accounts::closed(tx, &rental)?;
    if let Some(replacement) = replacement {
        let fees = [
            (replacement.fee, "replacement fee"),
            (
                replacement.processing_fee.unwrap_or(Decimal::ZERO),
                "processing fee",
            ),
        ];
        for (amount, what) in fees {
            if amount > Decimal::ZERO {
                accounts::post_entry(
                    tx,
                    Posting {
                        customer: rental.customer,
                        kind: EntryKind::Fee,
                        amount,
                        currency,
                        at,
                        rental: Some(id),
                        note: Some(format!("{what}: copy {} declared lost", copy.id)),
                    },
                )?;
            }
        }
    }
    Ok(rental)
}

/// [`Operation::MarkFound`]: brings a lost copy back (to the first waiting hold or the shelf) and, when the lost
/// rental's tariff says `replacement.refund_when_found`, credits the replacement fee back as a `waiver` (never the
/// processing fee). The credit is what was charged for the copy, so it is posted even when the fee was already
/// paid: the customer is then in credit, and a refund can hand the money back. Answers the copy and the credit.
pub(crate) fn mark_found<T: TxView>(
    tx: &mut T,
    id: CopyId,
    at: DateTime<Utc>,
) -> Result<(Copy, Option<LedgerEntry>), T::E> {
    let copy = found(tx.copy(id)?, CopyId::ENTITY, id)?;
    let CopyStatus::Lost(rental_id) = copy.status else {
        return Err(Error::invalid_input(
            "copy",
            format!(
                "copy {id} is {}, not lost, so it cannot be marked found",
                copy.status.as_str()
            ),
        )
        .into());
    };
    let rental = found(tx.rental(rental_id)?, RentalId::ENTITY, rental_id)?;
    if rental.returned_at.is_some_and(|lost_at| at < lost_at) {
        return Err(Error::invalid_input(
            "at",
            "a copy cannot be found before it was declared lost",
        )
        .into());
    }
    let version = found(
        tx.plan_version(rental.plan_version)?,
        PlanVersionId::ENTITY,
        rental.plan_version,
    )?;
    let credit = version
        .plan
        .tariff(&rental.category)?
        .replacement
        .as_ref()
        .filter(|r| r.refund_when_found && r.fee > Decimal::ZERO)
        .map(|r| Posting {
            customer: rental.customer,
            kind: EntryKind::Waiver,
            amount: r.fee,
            currency: version.plan.currency(),
            at,
            rental: Some(rental_id),
            note: Some(format!("copy {id} found: replacement fee credited")),
        });
    let ready_until = pickup_deadline(tx, at)?;
    let release = release(tx, copy, ready_until)?;
    put_release(tx, &release)?;
    let entry = match credit {
        Some(posting) => Some(accounts::post_entry(tx, posting)?),
        None => None,
    };
    Ok((release.copy, entry))
}

/// The most notice keys one [`Operation::MarkNotified`](super::Operation::MarkNotified) takes.
const MAX_NOTICE_KEYS: usize = 10_000;

/// [`Operation::MarkNotified`](super::Operation::MarkNotified): checks every key, then marks the new ones.
pub(crate) fn mark_notified<T: TxView>(
    tx: &mut T,
    keys: &[String],
    at: DateTime<Utc>,
) -> Result<u64, T::E> {
    if keys.is_empty() || keys.len() > MAX_NOTICE_KEYS {
        return Err(Error::invalid_input(
            "keys",
            format!(
                "give 1 to {MAX_NOTICE_KEYS} notice keys, not {}",
                keys.len()
            ),
        )
        .into());
    }
    for key in keys {
        let chars = key.chars().count();
        if chars == 0 || chars > 255 || key.chars().any(char::is_control) {
            return Err(Error::invalid_input(
                "keys",
                format!("{key:?} is not a notice key (1 to 255 characters, no control characters)"),
            )
            .into());
        }
    }
    let mut fresh = Vec::new();
    for key in keys {
        if tx.notified(key)?.is_none() && !fresh.contains(&key) {
            fresh.push(key);
        }
    }
    for key in &fresh {
        tx.put_notified(key, at)?;
    }
    Ok(fresh.len() as u64)
}
