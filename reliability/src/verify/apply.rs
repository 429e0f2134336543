//! Applies an operation's result to the expected store, checking it obeys the domain rules.

use koko_core::{
    AccountState, BookCopy, CopyId, CopyStatus, CustomerId, Decimal, EntryKind, HoldStatus,
};

use super::circulation::{self, copy_for, fulfil, release, rentable};
use super::ledger::{post, post_charge, Posting};
use super::{plan_of, renewed};
use crate::acklog::{Op, Outcome};
use crate::snapshot::{Snapshot, SnapshotExt};

/// Applies an operation's result to `expected`, checking it obeys the domain rules against the state before it
/// (fresh, increasing ids; only copies on the shelf or set aside for the renter rented, for a rent by book the one
/// set aside for the renter's ready hold or else the first on the shelf, fulfilling the renter's hold; only active
/// customers rent; only open rentals close, exactly at the requested instant, freeing the copy to the first waiting
/// hold; a return posts one `charge` entry of its charge's total (and its damage fee), a payment one `payment`
/// entry of its amount, each with a fresh, increasing id and the customer's running balance after it; the account
/// counts open rentals; no renewal while a hold waits for the book; holds, lost and found copies as
/// `verify/circulation.rs` says).
pub(super) fn apply(
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
                    BookCopy {
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
                fees,
            },
        ) => {
            if charge_entry.is_some() || !fees.is_empty() {
                return Err(format!(
                    "the new rental {} came with a charge entry {charge_entry:?} and fees {fees:?}",
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
                Op::RentBook { book, .. } => copy_for(expected, rental.customer, *book),
                _ => None,
            };
            if wanted != Some(copy) {
                return Err(format!(
                    "rented copy {copy}, but the copy to rent was {wanted:?} (the renter's ready hold's, else the \
                     first available)"
                ));
            }
            let Some(stored_copy) = expected.copies.get(&copy) else {
                return Err(format!("rented copy {copy}, which does not exist"));
            };
            if !rentable(expected, stored_copy, rental.customer) || stored_copy.book != rental.book
            {
                return Err(format!(
                    "customer {customer} rented copy {copy}, which was {:?}",
                    stored_copy
                ));
            }
            fulfil(expected, rental)?;
            if let Some(stored_copy) = expected.copies.get_mut(&copy) {
                stored_copy.status = CopyStatus::Rented(rental.id);
            }
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
            Op::Return {
                rental: id,
                at,
                damage,
            },
            Outcome::Rental {
                rental,
                charge_entry,
                fees,
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
            let copy = prior.copy.get();
            let status = expected.copies.get(&copy).map(|c| c.status);
            if status != Some(CopyStatus::Rented(prior.id)) {
                return Err(format!("rental {id}'s copy {copy} was {status:?}"));
            }
            release(expected, copy, *at)?;
            expected.rentals.insert(*id, rental.clone());
            post_charge(expected, rental, charge_entry.as_deref(), actual)?;
            circulation::post_damage(expected, rental, damage.as_ref(), fees, actual)?;
        }
        (
            Op::Pay {
                customer,
                cents,
                at,
            },
            Outcome::Entry { entry },
        ) => {
            if !expected.customers.contains_key(customer) {
                return Err(format!("customer {customer} paid, but does not exist"));
            }
            let currency = expected
                .currency()
                .ok_or("a payment was accepted by a store without a price plan")?;
            let posting = Posting {
                of: format!("customer {customer}"),
                what: "payment",
                customer: CustomerId::new(*customer),
                kind: EntryKind::Payment,
                amount: Decimal::new(*cents, 2),
                currency,
                at: *at,
                rental: None,
                note: None,
            };
            post(expected, posting, Some(entry), actual)?;
        }
        (
            Op::Renew { rental: id, at },
            Outcome::Rental {
                rental,
                charge_entry,
                fees,
            },
        ) => {
            if charge_entry.is_some() || !fees.is_empty() {
                return Err(format!(
                    "the renewed rental {id} came with a charge entry {charge_entry:?} and fees {fees:?}"
                ));
            }
            let Some(prior) = expected.rentals.get(id) else {
                return Err(format!("renewed rental {id}, which does not exist"));
            };
            let want = renewed(expected, prior, *at)?;
            // A waiting hold means no copy of the book is on the shelf: this one would serve it.
            if let Some(hold) = expected
                .holds
                .values()
                .find(|h| h.book == prior.book && h.status == HoldStatus::Waiting)
            {
                return Err(format!(
                    "renewed rental {id} while hold {} waited for its book {}",
                    hold.id, prior.book
                ));
            }
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
        (Op::PlaceHold { customer, book, at }, Outcome::Hold { hold }) => {
            circulation::place_hold(expected, (*customer, *book, *at), hold)?
        }
        (Op::CancelHold { hold: id, at }, Outcome::Hold { hold }) => {
            circulation::cancel_hold(expected, *id, *at, hold)?
        }
        (Op::ExpireHolds { at }, Outcome::Holds { holds }) => {
            circulation::expire_holds(expected, *at, holds)?
        }
        (
            Op::DeclareLost { rental: id, at },
            Outcome::Rental {
                rental,
                charge_entry,
                fees,
            },
        ) => circulation::declare_lost(
            expected,
            (*id, *at),
            rental,
            charge_entry.as_deref(),
            fees,
            actual,
        )?,
        (
            Op::MarkFound { copy, at },
            Outcome::Found {
                copy: found,
                credit,
            },
        ) => circulation::mark_found(expected, (*copy, *at), (found, credit.as_ref()), actual)?,
        _ => {
            return Err(format!(
                "the outcome {outcome:?} does not fit the operation"
            ))
        }
    }
    Ok(())
}

/// A new record's id must be above every earlier id of its kind (ids are never reused).
pub(super) fn above(what: &str, id: u64, max: u64) -> Result<(), String> {
    if id <= max {
        return Err(format!(
            "{what} id {id} is not above the earlier ids (max {max})"
        ));
    }
    Ok(())
}
