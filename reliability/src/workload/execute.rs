//! Calling the store for a logged operation, and what the log records of its answer.

use koko_core::{
    BookId, CopyId, CustomerId, Decimal, EntryKind, LedgerEntry, NewCustomer, Operation, Rental,
    RentalId, Storage,
};

use super::Workload;
use crate::acklog::{Op, Outcome};

impl<S: Storage> Workload<S> {
    /// Calls the store for `op` at the workload's clock.
    pub fn execute(&self, op: &Op) -> koko_core::Result<Outcome> {
        self.clock.set(self.now);
        let store = &self.store;
        Ok(match op {
            Op::RegisterCustomer {
                first_name,
                last_name,
            } => Outcome::Customer {
                customer: store.register_customer(&NewCustomer::new(first_name, last_name))?,
            },
            Op::RentBook { customer, book, at } => {
                opened(store.rent_book_at(CustomerId::new(*customer), BookId::new(*book), *at)?)
            }
            Op::RentCopy { customer, copy, at } => {
                opened(store.rent_copy_at(CustomerId::new(*customer), CopyId::new(*copy), *at)?)
            }
            Op::Return { rental, at, damage } => {
                let id = RentalId::new(*rental);
                let receipt = match damage {
                    None => store.return_rental_at(id, *at)?,
                    Some(d) => {
                        store.return_damaged_at(id, *at, Decimal::new(d.cents, 2), &d.note)?
                    }
                };
                self.closed(receipt.rental, damage.is_some())
            }
            Op::Deactivate { customer } => Outcome::Customer {
                customer: store.deactivate_customer(CustomerId::new(*customer))?,
            },
            // Adding books, payments, renewals, holds, losses and finds: one store operation each.
            Op::AddBook { .. }
            | Op::Pay { .. }
            | Op::Renew { .. }
            | Op::PlaceHold { .. }
            | Op::CancelHold { .. }
            | Op::ExpireHolds { .. }
            | Op::DeclareLost { .. }
            | Op::MarkFound { .. } => self.logged(op, store.apply(operation(op)?)?)?,
            Op::Batch { ops } => {
                let operations = ops
                    .iter()
                    .map(operation)
                    .collect::<koko_core::Result<_>>()?;
                let mut outcomes = Vec::with_capacity(ops.len());
                for (op, result) in ops.iter().zip(store.apply_batch(operations)?) {
                    outcomes.push(self.logged(op, result?)?);
                }
                Outcome::Batch { outcomes }
            }
        })
    }

    /// What the log records of a store operation's outcome.
    fn logged(&self, op: &Op, outcome: koko_core::Outcome) -> koko_core::Result<Outcome> {
        Ok(match outcome {
            koko_core::Outcome::Book { book, copies } => Outcome::Book {
                book,
                copies: Some(copies.iter().map(|c| c.id.get()).collect()),
            },
            koko_core::Outcome::Customer(customer) => Outcome::Customer { customer },
            koko_core::Outcome::Rental(rental) if rental.returned_at.is_some() => {
                let fees = rental.lost
                    || matches!(
                        op,
                        Op::Return {
                            damage: Some(_),
                            ..
                        }
                    );
                self.closed(rental, fees)
            }
            koko_core::Outcome::Rental(rental) => opened(rental),
            koko_core::Outcome::Entry(entry) => Outcome::Entry { entry },
            koko_core::Outcome::Hold(hold) => Outcome::Hold { hold },
            koko_core::Outcome::Holds(holds) => Outcome::Holds { holds },
            koko_core::Outcome::Found { copy, credit } => Outcome::Found { copy, credit },
            other => {
                return Err(koko_core::Error::Corruption(format!(
                    "a batch answered {other:?}"
                )))
            }
        })
    }

    /// A closed rental with the `charge` entry it posted and, when `with_fees` (a damaged return, a loss), the `fee`
    /// entries naming it, read back (the checker takes from the store what could not be read).
    fn closed(&self, rental: Rental, with_fees: bool) -> Outcome {
        let storage = self.store.storage();
        let charge_entry = storage.charge_entry(rental.id).ok().flatten().map(Box::new);
        let fees = match with_fees {
            true => storage
                .ledger(rental.customer)
                .and_then(|entries| entries.collect::<koko_core::Result<Vec<LedgerEntry>>>())
                .map(|entries| {
                    entries
                        .into_iter()
                        .filter(|e| e.kind == EntryKind::Fee && e.rental == Some(rental.id))
                        .collect()
                })
                .unwrap_or_default(),
            false => Vec::new(),
        };
        Outcome::Rental {
            rental,
            charge_entry,
            fees,
        }
    }
}

/// An open (or renewed) rental as the log records it.
fn opened(rental: Rental) -> Outcome {
    Outcome::Rental {
        rental,
        charge_entry: None,
        fees: Vec::new(),
    }
}

/// A logged operation (not a batch) as a store operation ([`Op::operation`]).
fn operation(op: &Op) -> koko_core::Result<Operation> {
    op.operation()
        .ok_or_else(|| koko_core::Error::Corruption("the workload nests no batches".into()))
}
