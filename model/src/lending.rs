//! Lending: opening a rental (the renter's hold on the book fulfilled), renewing it, and closing it (charged the
//! quote of the plan version it was rented under for its times and due date; the charge posted; the copy freed).

use chrono::{DateTime, Utc};
use koko_core::{
    BookCopy, CopyId, CopyStatus, CustomerId, Damage, HoldStatus, Outcome, RentTarget, Rental,
    RentalId,
};

use crate::limits::check_may_rent;
use crate::rejected::Rejected;
use crate::state::{next_id, Model};
use crate::{holds, ledger, limits};

fn copy(model: &Model, id: CopyId) -> Result<&BookCopy, Rejected> {
    model
        .state
        .copies
        .get(&id.get())
        .ok_or(Rejected::not_found())
}

/// A rent: the plan in force, an active customer who may rent, and a copy they may take — the one named (on the
/// shelf or set aside for them), or for a book the copy set aside for their ready hold, else its first on the shelf.
pub(crate) fn rent(
    model: &mut Model,
    target: RentTarget,
    customer: CustomerId,
    at: DateTime<Utc>,
) -> Result<Outcome, Rejected> {
    let version = model
        .plan_in_force(at)
        .ok_or(Rejected::not_found())?
        .clone();
    let record = model
        .state
        .customers
        .get(&customer.get())
        .ok_or(Rejected::not_found())?;
    if !record.active {
        return Err(Rejected::kind("InactiveCustomer"));
    }
    check_may_rent(model, customer, at)?;
    let copy = match target {
        RentTarget::Copy(id) => copy(model, id)?,
        RentTarget::Book(book) => {
            if !model.state.books.contains_key(&book.get()) {
                return Err(Rejected::not_found());
            }
            let ready = holds::active_hold(model, customer, book)
                .filter(|h| h.status == HoldStatus::Ready)
                .and_then(|h| h.copy);
            let id = ready
                .or_else(|| holds::first_on_shelf(model, book))
                .ok_or(Rejected::kind("Unavailable"))?;
            copy(model, id)?
        }
    };
    if !holds::rentable(model, copy, customer) {
        return Err(Rejected::kind("Unavailable"));
    }
    let (copy, book) = (copy.id, copy.book);
    let category = model
        .state
        .books
        .get(&book.get())
        .ok_or(Rejected::not_found())?
        .category
        .clone();
    let due_at = version
        .plan
        .due_at(&category, at)
        .map_err(|e| Rejected::from(&e))?;
    let rental = Rental {
        id: RentalId::new(next_id(&model.state.rentals)),
        copy,
        book,
        customer,
        category,
        rented_at: at,
        due_at,
        returned_at: None,
        plan_version: version.id,
        charge: None,
        renewals: Vec::new(),
        lost: false,
    };
    holds::fulfil(model, customer, book, (copy, rental.id, at))?;
    if let Some(stored) = model.state.copies.get_mut(&copy.get()) {
        stored.status = CopyStatus::Rented(rental.id);
    }
    model.state.rentals.insert(rental.id.get(), rental.clone());
    let account = model.state.accounts.entry(customer.get()).or_default();
    account.open_rentals += 1;
    Ok(Outcome::Rental(rental))
}

/// An open rental by id: `NotFound`, or `AlreadyReturned` once closed.
pub(crate) fn open_rental(model: &Model, id: RentalId) -> Result<&Rental, Rejected> {
    let rental = model
        .state
        .rentals
        .get(&id.get())
        .ok_or(Rejected::not_found())?;
    if rental.returned_at.is_some() {
        return Err(Rejected::kind("AlreadyReturned"));
    }
    Ok(rental)
}

/// Closes an open rental at `at`, charged its plan version's quote for its times and due date; the copy goes to
/// the first waiting hold or the shelf; the charge is posted, then a damage fee (positive, in the store's currency,
/// with a note).
pub(crate) fn close(
    model: &mut Model,
    id: RentalId,
    at: DateTime<Utc>,
    damage: Option<&Damage>,
) -> Result<Outcome, Rejected> {
    let prior = open_rental(model, id)?;
    let quote = model
        .plan_of(prior)
        .quote_with_due(&prior.category, prior.rented_at, prior.due_at, at)
        .map_err(|e| Rejected::from(&e))?;
    let damage = match damage {
        Some(damage) => Some(ledger::damage_posting(model, prior, damage, at)?),
        None => None,
    };
    let until = model.pickup_deadline(at)?;
    let closed = Rental {
        returned_at: Some(at),
        charge: Some(quote),
        ..prior.clone()
    };
    holds::release(model, closed.copy, until);
    model.state.rentals.insert(id.get(), closed.clone());
    ledger::post_charge(model, &closed);
    if let Some(posting) = damage {
        ledger::post(model, posting);
    }
    Ok(Outcome::Rental(closed))
}

/// Closes the open rental of a copy handed back.
pub(crate) fn return_copy(
    model: &mut Model,
    copy: CopyId,
    at: DateTime<Utc>,
) -> Result<Outcome, Rejected> {
    let CopyStatus::Rented(rental) = self::copy(model, copy)?.status else {
        return Err(Rejected::invalid("copy"));
    };
    close(model, rental, at, None)
}

/// A renewal: an open rental with a due date, renewed no earlier than it was rented, by a customer in good
/// standing, as its plan version allows, while no hold waits for its book; the due date moves on.
pub(crate) fn renew(
    model: &mut Model,
    id: RentalId,
    at: DateTime<Utc>,
) -> Result<Outcome, Rejected> {
    let prior = open_rental(model, id)?;
    if at < prior.rented_at {
        return Err(Rejected::invalid("at"));
    }
    let Some(due) = prior.due_at else {
        return Err(Rejected::invalid("rental"));
    };
    if !model.state.customers.contains_key(&prior.customer.get()) {
        return Err(Rejected::not_found());
    }
    limits::check_standing(model, prior.customer, at)?;
    let new_due = model
        .plan_of(prior)
        .renewed_due(&prior.category, due, at, prior.renewals.len())
        .map_err(|e| Rejected::from(&e))?;
    if holds::first_waiting(model, prior.book).is_some() {
        return Err(Rejected::blocked("holds.waiting"));
    }
    let mut renewed = prior.clone();
    renewed.due_at = Some(new_due);
    renewed.renewals.push(at);
    model.state.rentals.insert(id.get(), renewed.clone());
    Ok(Outcome::Rental(renewed))
}
