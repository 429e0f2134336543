//! Whether an operation's effect shows in a store: for acknowledged operations (present or lost), and for failed
//! or in-flight ones (what they left, as the outcome they would have returned).

use koko_core::EntryKind;

use super::{apply, renewed};
use crate::acklog::{Op, Outcome};
use crate::snapshot::Snapshot;

/// Whether the effect of an acknowledged operation is in `actual` at all (its content is compared later). A batch
/// is present if any of its operations is; then every one of them must be (`apply` and the final comparison).
pub(super) fn is_present(op: &Op, outcome: &Outcome, actual: &Snapshot) -> bool {
    match (op, outcome) {
        (Op::Batch { ops }, Outcome::Batch { outcomes }) => ops
            .iter()
            .zip(outcomes)
            .any(|(op, outcome)| is_present(op, outcome, actual)),
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
        // A mismatched pair: report it through `apply`.
        _ => true,
    }
}

/// The effect of `op` found in `actual` beyond `expected`, as the outcome it would have returned. For a batch:
/// its operations observed in order, each against the state after the ones before it; `None` if none of them
/// shows, and a shorter list than the batch (which `apply` refuses as half applied) if only some do.
pub(super) fn observe(expected: &Snapshot, op: &Op, actual: &Snapshot) -> Option<Outcome> {
    if let Op::Batch { ops } = op {
        let mut scratch = expected.clone();
        let mut outcomes = Vec::new();
        for op in ops {
            match observe(&scratch, op, actual) {
                Some(outcome) if apply(&mut scratch, op, &outcome, actual).is_ok() => {
                    outcomes.push(outcome)
                }
                _ => continue,
            }
        }
        return (!outcomes.is_empty()).then_some(Outcome::Batch { outcomes });
    }
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
            }),
        Op::Return { rental, .. } => {
            let was_open = expected
                .rentals
                .get(rental)
                .is_some_and(|r| r.returned_at.is_none());
            actual
                .rentals
                .get(rental)
                .filter(|r| was_open && r.returned_at.is_some())
                .map(|r| Outcome::Rental {
                    rental: r.clone(),
                    charge_entry: actual
                        .charge_entries(*rental)
                        .find(|e| !expected.ledger.contains_key(&e.id.get()))
                        .map(|e| Box::new(e.clone())),
                })
        }
        Op::Pay { customer, at, .. } => actual
            .ledger
            .values()
            .find(|e| {
                !expected.ledger.contains_key(&e.id.get())
                    && e.customer.get() == *customer
                    && e.kind == EntryKind::Payment
                    && e.at == *at
            })
            .map(|e| Outcome::Entry { entry: e.clone() }),
        Op::Renew { rental, at } => {
            // The renewal shows if the rental's next renewal is this one; later operations (acknowledged, so
            // checked next) may have renewed or closed it since, so the outcome is built from the rental before.
            let prior = expected
                .rentals
                .get(rental)
                .filter(|r| r.returned_at.is_none())?;
            let found = actual.rentals.get(rental)?;
            if found.renewals.get(prior.renewals.len()) != Some(at) {
                return None;
            }
            let rental = renewed(expected, prior, *at).unwrap_or_else(|_| {
                // Refused by the plan, yet stored: `apply` reports it.
                let mut stored = prior.clone();
                stored.renewals.push(*at);
                stored.due_at = found.due_at;
                stored
            });
            Some(Outcome::Rental {
                rental,
                charge_entry: None,
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
        Op::Batch { .. } => None,
    }
}

/// Whether `op`'s effect shows in `snapshot` at all: a book with its title, a customer with its names, a rental
/// of its customer at its instant, its rental closed, its customer inactive, a payment of its customer at its
/// instant, its rental renewed at its instant. (Titles, names and instants are unique per writer run.) For probing a failed operation right after its
/// error.
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
        Op::Batch { ops } => ops.iter().any(|op| effect_visible(snapshot, op)),
    }
}
