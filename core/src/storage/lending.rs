//! Lending: opening a rental (which fulfils the renter's hold on the book) and closing it (which charges it and
//! frees the copy, to the first waiting hold or the shelf), written once against [`TxView`] as `ops` is.

use chrono::{DateTime, Utc};

use super::batch::Damage;
use super::ops::{found, IdKind, TxView};
use super::{accounts, circulation, RentRequest, RentTarget};
use crate::domain::{Copy, CopyStatus, HoldStatus, Rental};
use crate::error::Error;
use crate::ids::{BookId, CopyId, CustomerId, HoldId, PlanVersionId, RentalId};

pub(crate) fn rent<T: TxView>(tx: &mut T, request: &RentRequest) -> Result<Rental, T::E> {
    let version = tx.plan_in_force(request.rented_at)?.ok_or_else(|| {
        Error::not_found(
            PlanVersionId::ENTITY,
            format!("in force at {}", request.rented_at),
        )
    })?;
    let customer = found(
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
    let account = accounts::account(tx, customer.id)?;
    accounts::check_may_rent(tx, customer.id, &account, &version, request.rented_at)?;
    let (mut copy, book) = match request.target {
        RentTarget::Copy(id) => {
            let copy = found(tx.copy(id)?, CopyId::ENTITY, id)?;
            check_rentable(tx, &copy, customer.id)?;
            (copy, None)
        }
        RentTarget::Book(book) => {
            let record = found(tx.book(book)?, BookId::ENTITY, book)?;
            // The copy set aside for the customer's ready hold, else the first on the shelf.
            let ready = circulation::hold_for_rent(tx, customer.id, book)?
                .and_then(|hold| hold.copy.filter(|_| hold.status == HoldStatus::Ready));
            let copy = match ready {
                Some(id) => Some(found(tx.copy(id)?, CopyId::ENTITY, id)?),
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
        _ => found(tx.book(copy.book)?, BookId::ENTITY, copy.book)?,
    };
    let due = version.plan.due_at(&book.category, request.rented_at)?;
    // Renting a copy of a book the customer holds fulfils the hold.
    let fulfilment = match circulation::hold_for_rent(tx, customer.id, book.id)? {
        Some(hold) => Some(circulation::fulfil(tx, hold, copy.id, request.rented_at)?),
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
    if let Some(fulfilment) = fulfilment {
        circulation::put_fulfilment(tx, fulfilment, rental.id)?;
    }
    tx.put_copy(&copy)?;
    tx.put_rental(&rental)?;
    Ok(rental)
}

/// Whether `customer` may rent `copy` now: it is on the shelf, or set aside for their own hold.
fn check_rentable<T: TxView>(tx: &mut T, copy: &Copy, customer: CustomerId) -> Result<(), T::E> {
    let id = copy.id;
    let reason = match copy.status {
        CopyStatus::Available => return Ok(()),
        CopyStatus::OnHold(hold) => {
            let hold = found(tx.hold(hold)?, HoldId::ENTITY, hold)?;
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
    let rental = found(tx.rental(id)?, RentalId::ENTITY, id)?;
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
) -> Result<(Copy, std::sync::Arc<crate::pricing::PlanVersion>), T::E> {
    tx.lock_book(rental.book)?;
    let copy = found(tx.copy(rental.copy)?, CopyId::ENTITY, rental.copy)?;
    if copy.status != CopyStatus::Rented(rental.id) {
        return Err(Error::Corruption(format!(
            "open rental {} holds copy {} but the copy is {:?}",
            rental.id, copy.id, copy.status
        ))
        .into());
    }
    let version = found(
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
        Some(damage) => Some(accounts::damage_posting(tx, &rental, damage, returned_at)?),
        None => None,
    };
    rental.returned_at = Some(returned_at);
    rental.charge = Some(quote);
    let ready_until = circulation::pickup_deadline(tx, returned_at)?;
    let release = circulation::release(tx, copy, ready_until)?;
    circulation::put_release(tx, &release)?;
    tx.put_rental(&rental)?;
    accounts::closed(tx, &rental)?;
    if let Some(posting) = damage {
        accounts::post_entry(tx, posting)?;
    }
    Ok(rental)
}
