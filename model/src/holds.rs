//! Holds: a first-come queue per book. A copy that comes back (returned, found, reinstated, added, or let go by a
//! cancelled, expired or fulfilled-elsewhere ready hold) goes to the first waiting hold of its book, ready for the
//! pickup days of the plan in force, or back on the shelf; placing a hold while a copy is on the shelf sets it
//! aside at once. Only the hold's customer may rent a copy set aside, and renting a copy of a book fulfils the
//! renter's hold on it.

use chrono::{DateTime, Utc};
use koko_core::{
    BookCopy, BookId, CopyId, CopyStatus, CustomerId, Hold, HoldId, HoldStatus, Outcome, RentalId,
};

use crate::limits;
use crate::rejected::Rejected;
use crate::state::{next_id, Model};

/// The first waiting hold on `book` (holds are queued in id order).
pub(crate) fn first_waiting(model: &Model, book: BookId) -> Option<HoldId> {
    model
        .state
        .holds
        .values()
        .find(|h| h.book == book && h.status == HoldStatus::Waiting)
        .map(|h| h.id)
}

/// The customer's waiting or ready hold on `book`.
pub(crate) fn active_hold(model: &Model, customer: CustomerId, book: BookId) -> Option<&Hold> {
    model
        .state
        .holds
        .values()
        .find(|h| h.customer == customer && h.book == book && h.status.is_active())
}

/// Frees `copy`: set aside for the first waiting hold of its book until `until`, or back on the shelf. Answers
/// the copy as it now stands.
pub(crate) fn release(model: &mut Model, copy: CopyId, until: DateTime<Utc>) -> BookCopy {
    let stored = model
        .state
        .copies
        .get_mut(&copy.get())
        .unwrap_or_else(|| panic!("the model released copy {copy}, which it does not hold"));
    let book = stored.book;
    let first = model
        .state
        .holds
        .values_mut()
        .find(|h| h.book == book && h.status == HoldStatus::Waiting);
    stored.status = match first {
        Some(hold) => {
            hold.status = HoldStatus::Ready;
            hold.copy = Some(copy);
            hold.ready_until = Some(until);
            CopyStatus::OnHold(hold.id)
        }
        None => CopyStatus::Available,
    };
    stored.clone()
}

/// The first copy of `book` on the shelf, in the order the book lists its copies.
pub(crate) fn first_on_shelf(model: &Model, book: BookId) -> Option<CopyId> {
    model
        .state
        .book_copies
        .get(&book.get())?
        .iter()
        .find(|c| {
            model
                .state
                .copies
                .get(c)
                .is_some_and(|c| c.status == CopyStatus::Available)
        })
        .map(|c| CopyId::new(*c))
}

/// Whether `customer` may rent `copy`: it is on the shelf, or set aside for their own hold.
pub(crate) fn rentable(model: &Model, copy: &BookCopy, customer: CustomerId) -> bool {
    match copy.status {
        CopyStatus::Available => true,
        CopyStatus::OnHold(hold) => model
            .state
            .holds
            .get(&hold.get())
            .is_some_and(|h| h.customer == customer),
        _ => false,
    }
}

/// The renter's hold on the rented copy's book closes as fulfilled by `rental`; a copy it was ready on that was not
/// the one rented is released.
pub(crate) fn fulfil(
    model: &mut Model,
    customer: CustomerId,
    book: BookId,
    (copy, rental, at): (CopyId, RentalId, DateTime<Utc>),
) -> Result<(), Rejected> {
    let Some(hold) = active_hold(model, customer, book) else {
        return Ok(());
    };
    let id = hold.id.get();
    let other = hold
        .copy
        .filter(|c| hold.status == HoldStatus::Ready && *c != copy);
    let until = match other {
        Some(_) => Some(model.pickup_deadline(at)?),
        None => None,
    };
    if let Some(hold) = model.state.holds.get_mut(&id) {
        hold.status = HoldStatus::Fulfilled;
        hold.copy = Some(copy);
        hold.closed_at = Some(at);
        hold.rental = Some(rental);
    }
    if let (Some(other), Some(until)) = (other, until) {
        release(model, other, until);
    }
    Ok(())
}

/// A hold: an active customer in good standing who holds neither this book nor the plan's `limits.max_holds`
/// books already; ready at once on the first copy on the shelf, else waiting.
pub(crate) fn place_hold(
    model: &mut Model,
    customer: CustomerId,
    book: BookId,
    at: DateTime<Utc>,
) -> Result<Outcome, Rejected> {
    let record = model
        .state
        .customers
        .get(&customer.get())
        .ok_or(Rejected::not_found())?;
    if !record.active {
        return Err(Rejected::kind("InactiveCustomer"));
    }
    limits::check_standing(model, customer, at)?;
    if !model.state.books.contains_key(&book.get()) {
        return Err(Rejected::not_found());
    }
    if active_hold(model, customer, book).is_some() {
        return Err(Rejected::duplicate("book"));
    }
    let held = model
        .state
        .holds
        .values()
        .filter(|h| h.customer == customer && h.status.is_active())
        .count();
    let max = model
        .plan_in_force(at)
        .and_then(|v| v.plan.limits())
        .and_then(|l| l.max_holds);
    if max.is_some_and(|max| held >= max as usize) {
        return Err(Rejected::blocked("limits.max_holds"));
    }
    let until = model.pickup_deadline(at)?;
    let shelf = first_on_shelf(model, book);
    let hold = Hold {
        id: HoldId::new(next_id(&model.state.holds)),
        book,
        customer,
        placed_at: at,
        status: match shelf {
            Some(_) => HoldStatus::Ready,
            None => HoldStatus::Waiting,
        },
        copy: shelf,
        ready_until: shelf.map(|_| until),
        closed_at: None,
        rental: None,
        position: None,
    };
    if let Some(copy) = shelf.and_then(|c| model.state.copies.get_mut(&c.get())) {
        copy.status = CopyStatus::OnHold(hold.id);
    }
    model.state.holds.insert(hold.id.get(), hold.clone());
    Ok(Outcome::Hold(hold))
}

/// A waiting or ready hold cancelled; a copy set aside for it is released.
pub(crate) fn cancel_hold(
    model: &mut Model,
    id: HoldId,
    at: DateTime<Utc>,
) -> Result<Outcome, Rejected> {
    let prior = model
        .state
        .holds
        .get(&id.get())
        .ok_or(Rejected::not_found())?;
    if !prior.status.is_active() {
        return Err(Rejected::invalid("hold"));
    }
    let set_aside = prior.copy.filter(|_| prior.status == HoldStatus::Ready);
    let until = match set_aside {
        Some(_) => Some(model.pickup_deadline(at)?),
        None => None,
    };
    let hold = Hold {
        status: HoldStatus::Cancelled,
        closed_at: Some(at),
        position: None,
        ..prior.clone()
    };
    model.state.holds.insert(id.get(), hold.clone());
    if let (Some(copy), Some(until)) = (set_aside, until) {
        release(model, copy, until);
    }
    Ok(Outcome::Hold(hold))
}

/// Every ready hold whose pickup ended before `at` expires, in id order, each one's copy released in turn.
pub(crate) fn expire_holds(model: &mut Model, at: DateTime<Utc>) -> Result<Outcome, Rejected> {
    let until = model.pickup_deadline(at)?;
    let due: Vec<u64> = model
        .state
        .holds
        .values()
        .filter(|h| h.status == HoldStatus::Ready && h.ready_until.is_some_and(|u| u < at))
        .map(|h| h.id.get())
        .collect();
    let mut expired = Vec::with_capacity(due.len());
    for id in due {
        let Some(hold) = model.state.holds.get_mut(&id) else {
            continue;
        };
        hold.status = HoldStatus::Expired;
        hold.closed_at = Some(at);
        let hold = hold.clone();
        if let Some(copy) = hold.copy {
            release(model, copy, until);
        }
        expired.push(hold);
    }
    Ok(Outcome::Holds(expired))
}
