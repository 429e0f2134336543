//! Whether an operation's effect shows in a store: for acknowledged operations (present or lost), and for failed
//! or in-flight ones (what they left, as the outcome they would have returned).

use chrono::{DateTime, Utc};
use koko_core::{CopyStatus, EntryKind, Hold, HoldStatus, LedgerEntry};
use koko_model::Model;

use super::apply::apply;
use crate::acklog::{Op, Outcome};
use crate::snapshot::Snapshot;

/// Whether an outcome records no change at all (an expiry that found nothing to expire): such an operation is
/// neither present nor absent.
fn is_noop(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Holds { holds } if holds.is_empty())
}

/// Whether the effect of an acknowledged operation is in `actual` at all (its content is compared later), given
/// `expected`, the store before it. A batch is present if any of its operations that change something is; then
/// every one of them must be (`apply` and the final comparison).
pub(super) fn is_present(
    expected: &Snapshot,
    op: &Op,
    outcome: &Outcome,
    actual: &Snapshot,
) -> bool {
    match (op, outcome) {
        (Op::Batch { ops }, Outcome::Batch { outcomes }) => {
            let mut changes = ops
                .iter()
                .zip(outcomes)
                .filter(|(_, o)| !is_noop(o))
                .peekable();
            changes.peek().is_none()
                || changes.any(|(op, outcome)| is_present(expected, op, outcome, actual))
        }
        (Op::AddBook { .. }, Outcome::Book { book, .. }) => {
            actual.books.contains_key(&book.id.get())
        }
        (Op::RegisterCustomer { .. }, Outcome::Customer { customer }) => {
            actual.customers.contains_key(&customer.id.get())
        }
        (Op::RentBook { .. } | Op::RentCopy { .. }, Outcome::Rental { rental, .. }) => {
            actual.rentals.contains_key(&rental.id.get())
        }
        (Op::Return { rental, .. }, _) => actual
            .rentals
            .get(rental)
            .is_some_and(|r| r.returned_at.is_some()),
        (Op::Deactivate { customer }, _) => {
            actual.customers.get(customer).is_some_and(|c| !c.active)
        }
        (Op::Pay { .. }, Outcome::Entry { entry }) => actual.ledger.contains_key(&entry.id.get()),
        (Op::Renew { rental, at }, _) => actual
            .rentals
            .get(rental)
            .is_some_and(|r| r.renewals.contains(at)),
        (Op::PlaceHold { .. }, Outcome::Hold { hold }) => actual.holds.contains_key(&hold.id.get()),
        (Op::CancelHold { hold, at }, _) => actual
            .holds
            .get(hold)
            .is_some_and(|h| h.status == HoldStatus::Cancelled && h.closed_at == Some(*at)),
        (Op::ExpireHolds { at }, Outcome::Holds { holds }) => {
            holds.is_empty() || holds.iter().any(|h| expired_at(actual, h.id.get(), *at))
        }
        (Op::DeclareLost { rental, at }, _) => actual
            .rentals
            .get(rental)
            .is_some_and(|r| r.lost && r.returned_at == Some(*at)),
        // Found: the copy is no longer lost under the rental it was lost under before.
        (Op::MarkFound { copy, .. }, _) => match expected.copies.get(copy).map(|c| c.status) {
            Some(lost @ CopyStatus::Lost(_)) => {
                actual.copies.get(copy).is_some_and(|c| c.status != lost)
            }
            _ => true,
        },
        // A mismatched pair: report it through `apply`.
        _ => true,
    }
}

/// Whether hold `id` expired at `at` in `snapshot`.
fn expired_at(snapshot: &Snapshot, id: u64, at: DateTime<Utc>) -> bool {
    snapshot
        .holds
        .get(&id)
        .is_some_and(|h| h.status == HoldStatus::Expired && h.closed_at == Some(at))
}

/// What the rules say `op` returns, applied alone to a copy of `model` at `now`; `None` if they refuse it (or it
/// is a batch).
fn predict(model: &Model, op: &Op, now: DateTime<Utc>) -> Option<koko_core::Outcome> {
    let operation = op.operation()?;
    model.clone().apply(&operation, now).ok()
}

/// The effect of `op` found in `actual` beyond `model` (the store expected before it), as the outcome it would have
/// returned; `None` if it changed nothing. For a batch: its operations observed in order, each against the state
/// after the ones before it; `None` if none of those that change something shows, and a shorter list than the batch
/// (which `apply` refuses as half applied) if only some do.
///
/// What later operations may have changed since (a hold placed, then fulfilled; a renewed rental renewed again) is
/// taken from the model's prediction, the rest from `actual`.
pub(super) fn observe(
    model: &Model,
    op: &Op,
    actual: &Snapshot,
    now: DateTime<Utc>,
) -> Option<Outcome> {
    observe_any(model, op, actual, now).filter(|outcome| !is_noop(outcome))
}

/// [`observe`], with the outcome of an operation that changes nothing (an expiry with nothing to expire).
fn observe_any(model: &Model, op: &Op, actual: &Snapshot, now: DateTime<Utc>) -> Option<Outcome> {
    if let Op::Batch { ops } = op {
        let mut scratch = model.clone();
        let mut outcomes = Vec::new();
        for op in ops {
            match observe_any(&scratch, op, actual, now) {
                Some(outcome) if apply(&mut scratch, op, &outcome, now).is_ok() => {
                    outcomes.push(outcome)
                }
                _ => continue,
            }
        }
        return outcomes
            .iter()
            .any(|o| !is_noop(o))
            .then_some(Outcome::Batch { outcomes });
    }
    let expected = &model.state;
    let new = |e: &&LedgerEntry| !expected.ledger.contains_key(&e.id.get());
    match op {
        Op::AddBook { title, .. } => actual
            .books
            .values()
            .find(|b| &b.title == title && !expected.books.contains_key(&b.id.get()))
            .map(|book| Outcome::Book {
                book: book.clone(),
                copies: actual.book_copies.get(&book.id.get()).cloned(),
            }),
        Op::RegisterCustomer {
            first_name,
            last_name,
        } => actual
            .customers
            .values()
            .find(|c| {
                &c.first_name == first_name
                    && &c.last_name == last_name
                    && !expected.customers.contains_key(&c.id.get())
            })
            .map(|c| Outcome::Customer {
                customer: c.clone(),
            }),
        Op::RentBook { customer, at, .. } | Op::RentCopy { customer, at, .. } => actual
            .rentals
            .values()
            .find(|r| {
                !expected.rentals.contains_key(&r.id.get())
                    && r.customer.get() == *customer
                    && r.rented_at == *at
                    && match op {
                        Op::RentBook { book, .. } => r.book.get() == *book,
                        Op::RentCopy { copy, .. } => r.copy.get() == *copy,
                        _ => false,
                    }
            })
            .map(|r| Outcome::Rental {
                rental: r.clone(),
                charge_entry: None,
                fees: Vec::new(),
            }),
        Op::Return { rental, .. } | Op::DeclareLost { rental, .. } => {
            let was_open = expected
                .rentals
                .get(rental)
                .is_some_and(|r| r.returned_at.is_none());
            let found = actual.rentals.get(rental).filter(|r| {
                was_open
                    && match op {
                        Op::DeclareLost { at, .. } => r.lost && r.returned_at == Some(*at),
                        _ => !r.lost && r.returned_at.is_some(),
                    }
            })?;
            // The entries it posted, as far as the store holds them (a missing one is half an operation).
            let fees = actual
                .ledger
                .values()
                .filter(new)
                .filter(|e| e.kind == EntryKind::Fee && e.rental == Some(found.id))
                .cloned()
                .collect();
            Some(Outcome::Rental {
                rental: found.clone(),
                charge_entry: actual
                    .charge_entries(*rental)
                    .find(new)
                    .map(|e| Box::new(e.clone())),
                fees,
            })
        }
        Op::Pay { customer, at, .. } => actual
            .ledger
            .values()
            .find(|e| {
                new(e)
                    && e.customer.get() == *customer
                    && e.kind == EntryKind::Payment
                    && e.at == *at
            })
            .map(|e| Outcome::Entry { entry: e.clone() }),
        Op::Renew { rental, at } => {
            // The renewal shows if the rental's next renewal is this one; later operations (acknowledged, so
            // checked next) may have renewed or closed it since, so the outcome is the rules' renewal of the
            // rental before (or, where they refuse it, the rental found, which `apply` then reports).
            let prior = expected
                .rentals
                .get(rental)
                .filter(|r| r.returned_at.is_none())?;
            let found = actual.rentals.get(rental)?;
            if found.renewals.get(prior.renewals.len()) != Some(at) {
                return None;
            }
            let rental = match predict(model, op, now) {
                Some(koko_core::Outcome::Rental(renewed)) => renewed,
                _ => found.clone(),
            };
            Some(Outcome::Rental {
                rental,
                charge_entry: None,
                fees: Vec::new(),
            })
        }
        Op::Deactivate { customer } => {
            let was_active = expected.customers.get(customer).is_some_and(|c| c.active);
            actual
                .customers
                .get(customer)
                .filter(|c| was_active && !c.active)
                .map(|c| Outcome::Customer {
                    customer: c.clone(),
                })
        }
        Op::PlaceHold { customer, book, at } => {
            let found = actual.holds.values().find(|h| {
                !expected.holds.contains_key(&h.id.get())
                    && h.customer.get() == *customer
                    && h.book.get() == *book
                    && h.placed_at == *at
            })?;
            // As placed (later operations may have fulfilled or cancelled it since), under the id found.
            let hold = match predict(model, op, now) {
                Some(koko_core::Outcome::Hold(placed)) => Hold {
                    id: found.id,
                    ..placed
                },
                _ => found.clone(),
            };
            Some(Outcome::Hold { hold })
        }
        Op::CancelHold { hold, at } => {
            expected.holds.get(hold).filter(|h| h.status.is_active())?;
            let found = actual.holds.get(hold)?;
            if found.status != HoldStatus::Cancelled || found.closed_at != Some(*at) {
                return None;
            }
            let hold = match predict(model, op, now) {
                Some(koko_core::Outcome::Hold(cancelled)) => cancelled,
                _ => found.clone(),
            };
            Some(Outcome::Hold { hold })
        }
        Op::ExpireHolds { at } => {
            let Some(koko_core::Outcome::Holds(holds)) = predict(model, op, now) else {
                return None;
            };
            let shows =
                holds.is_empty() || holds.iter().any(|h| expired_at(actual, h.id.get(), *at));
            shows.then_some(Outcome::Holds { holds })
        }
        Op::MarkFound { copy, .. } => {
            let lost = expected.copies.get(copy).map(|c| c.status)?;
            let CopyStatus::Lost(rental) = lost else {
                return None;
            };
            let found = actual.copies.get(copy)?;
            if found.status == lost {
                return None;
            }
            // The copy as the rules bring it back (a later rent may have taken it since); the credit as stored.
            let copy = match predict(model, op, now) {
                Some(koko_core::Outcome::Found { copy, .. }) => copy,
                _ => found.clone(),
            };
            let credit = actual
                .ledger
                .values()
                .filter(new)
                .find(|e| e.kind == EntryKind::Waiver && e.rental == Some(rental))
                .cloned();
            Some(Outcome::Found { copy, credit })
        }
        Op::Batch { .. } => None,
    }
}

/// Whether `op`'s effect shows in `snapshot` at all: a book with its title, a customer with its names, a rental
/// of its customer at its instant, its rental closed, its customer inactive, a payment of its customer at its
/// instant, its rental renewed at its instant, a hold of its customer and book placed at its instant, its hold
/// cancelled at its instant, a hold expired at its instant, its rental lost at its instant, its copy no longer lost
/// (the writer marks only lost copies found). (Titles, names and instants are unique per writer run.) For probing
/// a failed operation right after its error.
pub fn effect_visible(snapshot: &Snapshot, op: &Op) -> bool {
    match op {
        Op::AddBook { title, .. } => snapshot.books.values().any(|b| &b.title == title),
        Op::RegisterCustomer {
            first_name,
            last_name,
        } => snapshot
            .customers
            .values()
            .any(|c| &c.first_name == first_name && &c.last_name == last_name),
        Op::RentBook { customer, at, .. } | Op::RentCopy { customer, at, .. } => snapshot
            .rentals
            .values()
            .any(|r| r.customer.get() == *customer && r.rented_at == *at),
        Op::Return { rental, .. } => snapshot
            .rentals
            .get(rental)
            .is_some_and(|r| r.returned_at.is_some()),
        Op::Deactivate { customer } => snapshot.customers.get(customer).is_some_and(|c| !c.active),
        Op::Renew { rental, at } => snapshot
            .rentals
            .get(rental)
            .is_some_and(|r| r.renewals.contains(at)),
        Op::Pay { customer, at, .. } => snapshot
            .ledger
            .values()
            .any(|e| e.customer.get() == *customer && e.kind == EntryKind::Payment && e.at == *at),
        Op::PlaceHold { customer, book, at } => snapshot
            .holds
            .values()
            .any(|h| h.customer.get() == *customer && h.book.get() == *book && h.placed_at == *at),
        Op::CancelHold { hold, at } => snapshot
            .holds
            .get(hold)
            .is_some_and(|h| h.status == HoldStatus::Cancelled && h.closed_at == Some(*at)),
        Op::ExpireHolds { at } => snapshot
            .holds
            .values()
            .any(|h| expired_at(snapshot, h.id.get(), *at)),
        Op::DeclareLost { rental, at } => snapshot
            .rentals
            .get(rental)
            .is_some_and(|r| r.lost && r.returned_at == Some(*at)),
        Op::MarkFound { copy, .. } => snapshot
            .copies
            .get(copy)
            .is_some_and(|c| !matches!(c.status, CopyStatus::Lost(_))),
        Op::Batch { ops } => ops.iter().any(|op| effect_visible(snapshot, op)),
    }
}
