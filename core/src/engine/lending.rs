//! Lending: opening a rental (which fulfils the renter's hold on the book), renewing it, and closing it (which
//! charges it, posts the charge and frees the copy, to the first waiting hold or the shelf).

use chrono::{DateTime, Utc};

use super::events;
use super::holds;
use super::ledger;
use super::limits;
use super::operation::{Damage, RentRequest, RentTarget};
use super::view::{account, require, IdKind, TxView};
use crate::domain::{BookCopy, CopyStatus, HoldStatus, Rental};
use crate::error::Error;
use crate::ids::{BookId, CopyId, CustomerId, HoldId, PlanVersionId, RentalId};

pub(crate) fn rent<T: TxView>(tx: &mut T, request: &RentRequest) -> Result<Rental, T::E> {
    let version = tx.plan_in_force(request.rented_at)?.ok_or_else(|| {
        Error::not_found(
            PlanVersionId::ENTITY,
            format!("in force at {}", request.rented_at),
        )
    })?;
    let customer = require(
        tx.customer(request.customer)?,
        CustomerId::ENTITY,
        request.customer,
    )?;
    if !customer.active {
        return Err(Error::InactiveCustomer {
            customer: customer.id.get(),
        }
        .into());
    }
    let account = account(tx, customer.id)?;
    limits::check_may_rent(tx, customer.id, &account, &version, request.rented_at)?;
    let (mut copy, book) = match request.target {
        RentTarget::Copy(id) => {
            let copy = require(tx.copy(id)?, CopyId::ENTITY, id)?;
            check_rentable(tx, &copy, customer.id)?;
            (copy, None)
        }
        RentTarget::Book(book) => {
            let record = require(tx.book(book)?, BookId::ENTITY, book)?;
            // The copy set aside for the customer's ready hold, else the first on the shelf.
            let ready = holds::hold_for_rent(tx, customer.id, book)?
                .and_then(|hold| hold.copy.filter(|_| hold.status == HoldStatus::Ready));
            let copy = match ready {
                Some(id) => Some(require(tx.copy(id)?, CopyId::ENTITY, id)?),
                None => tx.first_available_copy(book)?,
            }
            .ok_or_else(|| Error::Unavailable {
                reason: format!("book {book} has no available copy"),
            })?;
            check_rentable(tx, &copy, customer.id)?;
            (copy, Some(record))
        }
    };
    let book = match book {
        Some(book) if book.id == copy.book => book,
        _ => require(tx.book(copy.book)?, BookId::ENTITY, copy.book)?,
    };
    let due = version.plan.due_at(&book.category, request.rented_at)?;
    // Renting a copy of a book the customer holds fulfils the hold.
    let fulfilment = match holds::hold_for_rent(tx, customer.id, book.id)? {
        Some(hold) => Some(holds::fulfil(tx, hold, copy.id, request.rented_at)?),
        None => None,
    };
    let rental = Rental {
        id: RentalId::new(tx.next_id(IdKind::Rental)?),
        copy: copy.id,
        book: book.id,
        customer: customer.id,
        category: book.category,
        rented_at: request.rented_at,
        due_at: due,
        returned_at: None,
        plan_version: version.id,
        charge: None,
        renewals: Vec::new(),
        lost: false,
    };
    copy.status = CopyStatus::Rented(rental.id);
    tx.put_copy(&copy)?;
    tx.put_rental(&rental)?;
    events::rental_opened(tx, &rental)?;
    if let Some(fulfilment) = fulfilment {
        holds::put_fulfilment(tx, fulfilment, rental.id)?;
    }
    Ok(rental)
}

/// Whether `customer` may rent `copy` now: it is on the shelf, or set aside for their own hold.
fn check_rentable<T: TxView>(
    tx: &mut T,
    copy: &BookCopy,
    customer: CustomerId,
) -> Result<(), T::E> {
    let id = copy.id;
    let reason = match copy.status {
        CopyStatus::Available => return Ok(()),
        CopyStatus::OnHold(hold) => {
            let hold = require(tx.hold(hold)?, HoldId::ENTITY, hold)?;
            if hold.customer == customer {
                return Ok(());
            }
            format!("copy {id} is set aside for another customer's hold")
        }
        CopyStatus::Rented(_) => format!("copy {id} is rented out"),
        CopyStatus::Withdrawn => format!("copy {id} is withdrawn"),
        CopyStatus::Lost(_) => format!("copy {id} is lost"),
    };
    Err(Error::Unavailable { reason }.into())
}

/// An open rental by id: `NotFound`, or `AlreadyReturned` once closed.
pub(crate) fn open_rental<T: TxView>(tx: &mut T, id: RentalId) -> Result<Rental, T::E> {
    let rental = require(tx.rental(id)?, RentalId::ENTITY, id)?;
    if rental.returned_at.is_some() {
        return Err(Error::AlreadyReturned { rental: id.get() }.into());
    }
    Ok(rental)
}

/// The copy an open rental holds (after locking its book's queue, in the order a hold takes them) and the plan
/// version the rental is charged under.
pub(crate) fn held_copy_and_plan<T: TxView>(
    tx: &mut T,
    rental: &Rental,
) -> Result<(BookCopy, std::sync::Arc<crate::pricing::PlanVersion>), T::E> {
    tx.lock_book(rental.book)?;
    let copy = require(tx.copy(rental.copy)?, CopyId::ENTITY, rental.copy)?;
    if copy.status != CopyStatus::Rented(rental.id) {
        return Err(Error::Corruption(format!(
            "open rental {} holds copy {} but the copy is {:?}",
            rental.id, copy.id, copy.status
        ))
        .into());
    }
    let version = require(
        tx.plan_version(rental.plan_version)?,
        PlanVersionId::ENTITY,
        rental.plan_version,
    )?;
    Ok((copy, version))
}

pub(crate) fn close<T: TxView>(
    tx: &mut T,
    id: RentalId,
    returned_at: DateTime<Utc>,
    damage: Option<&Damage>,
) -> Result<Rental, T::E> {
    let mut rental = open_rental(tx, id)?;
    let (copy, version) = held_copy_and_plan(tx, &rental)?;
    let quote = version.plan.quote_with_due(
        &rental.category,
        rental.rented_at,
        rental.due_at,
        returned_at,
    )?;
    let damage = match damage {
        Some(damage) => Some(ledger::damage_posting(tx, &rental, damage, returned_at)?),
        None => None,
    };
    rental.returned_at = Some(returned_at);
    rental.charge = Some(quote);
    let ready_until = holds::pickup_deadline(tx, returned_at)?;
    let release = holds::release(tx, copy, ready_until, returned_at)?;
    tx.put_rental(&rental)?;
    events::rental_closed(tx, &rental)?;
    ledger::post_charge(tx, &rental)?;
    if let Some(posting) = damage {
        ledger::post_entry(tx, posting)?;
    }
    // The copy goes back last, so a hold it serves is ready after the rental closed (`hold.ready` follows).
    holds::put_release(tx, &release)?;
    Ok(rental)
}

/// [`Operation::ReturnCopy`](super::operation::Operation::ReturnCopy): closes the open rental of the copy handed
/// back.
pub(crate) fn return_copy<T: TxView>(
    tx: &mut T,
    copy: CopyId,
    at: DateTime<Utc>,
) -> Result<Rental, T::E> {
    let held = require(tx.copy(copy)?, CopyId::ENTITY, copy)?;
    let CopyStatus::Rented(rental) = held.status else {
        return Err(Error::invalid_input(
            "copy",
            format!("copy {copy} is not rented out, so it cannot be returned"),
        )
        .into());
    };
    close(tx, rental, at, None)
}

/// [`Operation::Renew`](super::operation::Operation::Renew).
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
    require(
        tx.customer(rental.customer)?,
        CustomerId::ENTITY,
        rental.customer,
    )?;
    let account = account(tx, rental.customer)?;
    let policy = tx.plan_in_force(at)?;
    limits::check_standing::<T::E>(&account, policy.as_deref(), at)?;
    // The rental's own plan version says how it renews, as it says how it is charged.
    let version = require(
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
    events::rental_renewed(tx, &rental, due, at)?;
    Ok(rental)
}
