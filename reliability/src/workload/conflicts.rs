//! Provoked conflicts: operations the view says must fail, each with the error kind it must fail with.

use koko_core::{CopyStatus, Storage};

use super::plan::MAX_HOLDS;
use super::Workload;
use crate::acklog::Op;

impl<S: Storage> Workload<S> {
    /// A provoked conflict, if the view offers one of the kind drawn.
    pub(super) fn conflict(&mut self) -> Option<(Op, Option<&'static str>)> {
        let at = self.now;
        let (op, kind) = match self.rng.below(9) {
            // A rented copy.
            0 => {
                let customer = self.pick_active()?;
                let copies: Vec<u64> = self.view.open.values().map(|r| r.copy).collect();
                let copy = *self.rng.pick(&copies)?;
                (Op::RentCopy { customer, copy, at }, "Unavailable")
            }
            // A copy set aside for someone else's hold, or a lost one.
            1 => {
                let customer = self.pick_active()?;
                let copies = self.view.copies_where(|s| match s {
                    CopyStatus::OnHold(hold) => self
                        .view
                        .holds
                        .get(&hold.get())
                        .is_some_and(|h| h.customer.get() != customer),
                    CopyStatus::Lost(_) => true,
                    _ => false,
                });
                let copy = *self.rng.pick(&copies)?;
                (Op::RentCopy { customer, copy, at }, "Unavailable")
            }
            // A closed rental returned or declared lost again.
            2 => {
                let rental = *self.rng.pick(&self.view.closed)?;
                let op = match self.rng.chance(50) {
                    true => Op::Return {
                        rental,
                        at,
                        damage: None,
                    },
                    false => Op::DeclareLost { rental, at },
                };
                (op, "AlreadyReturned")
            }
            // A payment of nothing.
            3 => match self.pay()? {
                Op::Pay { customer, at, .. } => (
                    Op::Pay {
                        customer,
                        cents: 0,
                        at,
                    },
                    "InvalidInput",
                ),
                _ => return None,
            },
            // A renewal refused: no loan period (InvalidInput), no renewal left or a hold waiting (Blocked).
            4 => {
                let mut refused: Vec<(u64, &'static str)> = self
                    .view
                    .unrenewable
                    .iter()
                    .map(|(r, k)| (*r, *k))
                    .collect();
                refused.extend(
                    self.view
                        .renewable
                        .keys()
                        .filter(|r| {
                            self.view
                                .open
                                .get(r)
                                .is_some_and(|r| self.view.waited_for(r.book))
                        })
                        .map(|r| (*r, "Blocked")),
                );
                let (rental, kind) = *self.rng.pick(&refused)?;
                (Op::Renew { rental, at }, kind)
            }
            // An inactive customer renting or queueing.
            5 => {
                let customer = *self.rng.pick(&self.view.inactive)?;
                let op = match self.rng.chance(50) {
                    true => {
                        let shelf = self.view.copies_where(|s| s == CopyStatus::Available);
                        let copy = *self.rng.pick(&shelf)?;
                        Op::RentCopy { customer, copy, at }
                    }
                    false => {
                        let books: Vec<u64> = self.view.books.keys().copied().collect();
                        let book = *self.rng.pick(&books)?;
                        Op::PlaceHold { customer, book, at }
                    }
                };
                (op, "InactiveCustomer")
            }
            // A second hold on the same book (Duplicate), or one hold too many (Blocked).
            6 => {
                let full: Vec<u64> = self
                    .view
                    .active
                    .iter()
                    .copied()
                    .filter(|c| self.view.holds_of(*c).count() >= MAX_HOLDS as usize)
                    .collect();
                match self.rng.pick(&full).copied() {
                    Some(customer) if self.rng.chance(50) => {
                        let held: Vec<u64> =
                            self.view.holds_of(customer).map(|h| h.book.get()).collect();
                        let books: Vec<u64> = self
                            .view
                            .books
                            .keys()
                            .copied()
                            .filter(|b| !held.contains(b))
                            .collect();
                        let book = *self.rng.pick(&books)?;
                        (Op::PlaceHold { customer, book, at }, "Blocked")
                    }
                    _ => {
                        let held: Vec<(u64, u64)> = self
                            .view
                            .holds
                            .values()
                            .filter(|h| self.view.active.contains(&h.customer.get()))
                            .map(|h| (h.customer.get(), h.book.get()))
                            .collect();
                        let (customer, book) = *self.rng.pick(&held)?;
                        (Op::PlaceHold { customer, book, at }, "Duplicate")
                    }
                }
            }
            // A closed hold cancelled.
            7 => {
                let hold = *self.rng.pick(&self.view.closed_holds)?;
                (Op::CancelHold { hold, at }, "InvalidInput")
            }
            // A copy that is not lost found.
            _ => {
                let copies = self
                    .view
                    .copies_where(|s| !matches!(s, CopyStatus::Lost(_)));
                let copy = *self.rng.pick(&copies)?;
                (Op::MarkFound { copy, at }, "InvalidInput")
            }
        };
        Some((op, Some(kind)))
    }
}
