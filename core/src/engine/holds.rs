//! Holds: a FIFO queue per book, and where a freed copy goes.
//!
//! The invariant every operation keeps: **a copy is never on the shelf while its book has a waiting hold.**
//! Whatever frees a copy (a return, new copies, a reinstatement, a found copy, a cancelled or expired ready hold)
//! passes it through [`release`], which sets it aside for the first waiting hold; placing a hold on a book with a
//! copy on the shelf sets that copy aside at once. On PostgreSQL both sides lock the book's row first
//! ([`TxView::lock_book`]), so a return racing with a hold cannot leave a copy available while the hold waits.
//!
//! As everywhere in the engine, each operation reads and checks everything before its first write.

use chrono::{DateTime, Duration, Utc};

use super::events;
use super::limits;
use super::view::{account, require, IdKind, TxView};
use crate::domain::{BookCopy, CopyStatus, EventKind, Hold, HoldStatus};
use crate::error::Error;
use crate::ids::{BookId, CopyId, CustomerId, HoldId, RentalId};

/// What freeing a copy does: the copy as it will be stored, and the hold it was set aside for (if any).
pub(crate) struct Release {
    copy: BookCopy,
    hold: Option<Hold>,
    /// When the copy was freed (the instant of its `hold.ready` event).
    at: DateTime<Utc>,
}

impl Release {
    /// The copy as stored.
    pub(crate) fn copy(&self) -> &BookCopy {
        &self.copy
    }
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

/// Decides where a copy freed at `at` goes (reads only): to the first waiting hold of its book, ready until
/// `ready_until`, or back on the shelf. Locks the book's queue first.
pub(crate) fn release<T: TxView>(
    tx: &mut T,
    mut copy: BookCopy,
    ready_until: DateTime<Utc>,
    at: DateTime<Utc>,
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
    Ok(Release { copy, hold, at })
}

/// Stores what [`release`] decided, with a `hold.ready` event when the copy was set aside for a hold.
pub(crate) fn put_release<T: TxView>(tx: &mut T, release: &Release) -> Result<(), T::E> {
    if let Some(hold) = &release.hold {
        tx.put_hold(hold)?;
        events::hold(tx, EventKind::HoldReady, hold, release.at)?;
    }
    tx.put_copy(&release.copy)
}

/// [`Operation::PlaceHold`].
///
/// [`Operation::PlaceHold`]: super::operation::Operation::PlaceHold
pub(crate) fn place_hold<T: TxView>(
    tx: &mut T,
    customer: CustomerId,
    book: BookId,
    at: DateTime<Utc>,
) -> Result<Hold, T::E> {
    let record = require(tx.customer(customer)?, CustomerId::ENTITY, customer)?;
    if !record.active {
        return Err(Error::InactiveCustomer {
            customer: customer.get(),
        }
        .into());
    }
    let account = account(tx, customer)?;
    let policy = tx.plan_in_force(at)?;
    limits::check_standing::<T::E>(&account, policy.as_deref(), at)?;
    require(tx.book(book)?, BookId::ENTITY, book)?;
    tx.lock_book(book)?;
    if let Some(hold) = tx.active_hold_on(customer, book)? {
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
        let held = tx.count_active_holds(customer, max as usize)?;
        if held >= max as usize {
            return Err(Error::blocked(
                "limits.max_holds",
                format!("the customer has {held} holds; the limit is {max}"),
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
    events::hold(tx, EventKind::HoldPlaced, &hold, at)?;
    if hold.status == HoldStatus::Ready {
        events::hold(tx, EventKind::HoldReady, &hold, at)?;
    }
    Ok(hold)
}

/// [`Operation::CancelHold`].
///
/// [`Operation::CancelHold`]: super::operation::Operation::CancelHold
pub(crate) fn cancel_hold<T: TxView>(
    tx: &mut T,
    id: HoldId,
    at: DateTime<Utc>,
) -> Result<Hold, T::E> {
    let mut hold = require(tx.hold(id)?, HoldId::ENTITY, id)?;
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
            Some(release(tx, copy, ready_until, at)?)
        }
        _ => None,
    };
    hold.status = HoldStatus::Cancelled;
    hold.closed_at = Some(at);
    hold.position = None;
    tx.put_hold(&hold)?;
    events::hold(tx, EventKind::HoldCancelled, &hold, at)?;
    if let Some(release) = &release {
        put_release(tx, release)?;
    }
    Ok(hold)
}

/// [`Operation::ExpireHolds`](super::operation::Operation::ExpireHolds): every ready hold whose `ready_until` is before `at` expires, and its copy passes
/// to the next waiting hold (or the shelf). Answers the expired holds, in id order.
pub(crate) fn expire_holds<T: TxView>(tx: &mut T, at: DateTime<Utc>) -> Result<Vec<Hold>, T::E> {
    let ready_until = pickup_deadline(tx, at)?;
    let mut expired = Vec::new();
    for mut hold in tx.ready_holds_before(at)? {
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
        events::hold(tx, EventKind::HoldExpired, &hold, at)?;
        // The hold is written first, so the release sees the queue without it.
        let release = release(tx, copy, ready_until, at)?;
        put_release(tx, &release)?;
        expired.push(hold);
    }
    Ok(expired)
}

/// The copy a ready hold names, which must be set aside for it.
fn held_copy<T: TxView>(tx: &mut T, hold: &Hold, copy: CopyId) -> Result<BookCopy, T::E> {
    let record = require(tx.copy(copy)?, CopyId::ENTITY, copy)?;
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
    tx.active_hold_on(customer, book)
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
            Some(release(tx, other, ready_until, at)?)
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
    let at = fulfilment.hold.closed_at.ok_or_else(|| {
        Error::Corruption(format!(
            "hold {} fulfilled without a time",
            fulfilment.hold.id
        ))
    })?;
    events::hold(tx, EventKind::HoldFulfilled, &fulfilment.hold, at)?;
    if let Some(release) = &fulfilment.released {
        put_release(tx, release)?;
    }
    Ok(())
}
