//! Choosing the next operation the view says will succeed, alone or inside a batch.

use chrono::Duration;
use koko_core::{CopyStatus, Storage};

use super::plan::{CATEGORIES, MAX_HOLDS};
use super::taken::Taken;
use super::Workload;
use crate::acklog::{DamageFee, Op};

impl<S: Storage> Workload<S> {
    pub(super) fn pick_active(&mut self) -> Option<u64> {
        self.rng.pick(&self.view.active).copied()
    }

    pub(super) fn add_book(&mut self) -> Op {
        self.counter += 1;
        let category = self.rng.pick(&CATEGORIES).copied().unwrap_or("regular");
        Op::AddBook {
            title: format!("Title {:016x}-{}", self.options.seed, self.counter),
            author: format!(
                "Author {}{}",
                self.rng.below(1000),
                "x".repeat(self.options.author_padding.min(480))
            ),
            category: category.to_owned(),
            copies: self.rng.range(1, 3) as u32,
        }
    }

    pub(super) fn register(&mut self) -> Op {
        self.counter += 1;
        Op::RegisterCustomer {
            first_name: "Reader".to_owned(),
            last_name: format!("{:016x}-{}", self.options.seed, self.counter),
        }
    }

    /// A third of the time, an active customer picks up the copy set aside for their ready hold (in time: those
    /// not picked up by their deadline are left to expire); else an active customer rents a book with a copy on the
    /// shelf.
    pub(super) fn rent_book(&mut self, taken: &Taken) -> Option<Op> {
        if self.rng.chance(33) {
            let ready: Vec<(u64, u64)> = self
                .pickups(taken)
                .into_iter()
                .map(|(customer, _, book)| (customer, book))
                .collect();
            if let Some(&(customer, book)) = self.rng.pick(&ready) {
                return Some(Op::RentBook {
                    customer,
                    book,
                    at: self.now,
                });
            }
        }
        let customer = self.pick_active()?;
        let books: Vec<u64> = self
            .view
            .books
            .keys()
            .copied()
            .filter(|b| taken.free(*b) && self.view.on_shelf(*b))
            .collect();
        let book = *self.rng.pick(&books)?;
        Some(Op::RentBook {
            customer,
            book,
            at: self.now,
        })
    }

    /// The ready holds whose customer is active and may still pick the copy up (its deadline not passed), on books
    /// free in `taken`: (customer, copy, book).
    fn pickups(&self, taken: &Taken) -> Vec<(u64, u64, u64)> {
        self.view
            .holds
            .values()
            .filter(|h| h.ready_until.is_some_and(|until| until >= self.now))
            .filter(|h| taken.free(h.book.get()) && self.view.active.contains(&h.customer.get()))
            .filter_map(|h| Some((h.customer.get(), h.copy?.get(), h.book.get())))
            .collect()
    }

    /// An active customer rents a copy on the shelf, or (one time in five) picks up the copy set aside for them.
    pub(super) fn rent_copy(&mut self, taken: &Taken) -> Option<Op> {
        if self.rng.chance(20) {
            let held: Vec<(u64, u64)> = self
                .pickups(taken)
                .into_iter()
                .map(|(customer, copy, _)| (customer, copy))
                .collect();
            if let Some(&(customer, copy)) = self.rng.pick(&held) {
                return Some(Op::RentCopy {
                    customer,
                    copy,
                    at: self.now,
                });
            }
        }
        let customer = self.pick_active()?;
        let shelf: Vec<u64> = self
            .view
            .copies_where(|s| s == CopyStatus::Available)
            .into_iter()
            .filter(|c| taken.free(self.view.book_of(*c)))
            .collect();
        let copy = *self.rng.pick(&shelf)?;
        Some(Op::RentCopy {
            customer,
            copy,
            at: self.now,
        })
    }

    /// A payment of 0.01 to 25.00 by any customer, active or not (paying more than is owed leaves a credit).
    pub(super) fn pay(&mut self) -> Option<Op> {
        let (active, inactive) = (&self.view.active, &self.view.inactive);
        let count = active.len() + inactive.len();
        let index = usize::try_from(self.rng.below(u64::try_from(count).ok()?)).ok()?;
        let customer = *active
            .get(index)
            .or_else(|| inactive.get(index - active.len()))?;
        Some(Op::Pay {
            customer,
            cents: self.rng.range(1, 2_500) as i64,
            at: self.now,
        })
    }

    /// The open rentals whose book is free in `taken`.
    fn open_rentals(&self, taken: &Taken) -> Vec<u64> {
        self.view
            .open
            .iter()
            .filter(|(_, r)| taken.free(r.book))
            .map(|(id, _)| *id)
            .collect()
    }

    /// A renewal of an open rental that has a renewal left and whose book no hold waits for.
    pub(super) fn renew(&mut self, taken: &Taken) -> Option<Op> {
        let renewable: Vec<u64> = self
            .view
            .renewable
            .keys()
            .copied()
            .filter(|r| {
                self.view
                    .open
                    .get(r)
                    .is_some_and(|r| taken.free(r.book) && !self.view.waited_for(r.book))
            })
            .collect();
        let rental = *self.rng.pick(&renewable)?;
        Some(Op::Renew {
            rental,
            at: self.now,
        })
    }

    /// A return of an open rental, one in five with a damage fee of 1.00 to 30.00.
    pub(super) fn return_one(&mut self, taken: &Taken) -> Option<Op> {
        let open = self.open_rentals(taken);
        let rental = *self.rng.pick(&open)?;
        let damage = self.rng.chance(20).then(|| DamageFee {
            cents: self.rng.range(100, 3_000) as i64,
            note: "torn cover".to_owned(),
        });
        Some(Op::Return {
            rental,
            at: self.now,
            damage,
        })
    }

    /// An active customer below the hold limit queues for a book they do not hold, three times in four one with
    /// no copy on the shelf (so the hold waits).
    pub(super) fn place_hold(&mut self, taken: &Taken) -> Option<Op> {
        let customer = self.pick_active()?;
        let held: Vec<u64> = self.view.holds_of(customer).map(|h| h.book.get()).collect();
        let placed = taken.holds_placed(customer);
        if held.len() as u32 + placed >= MAX_HOLDS {
            return None;
        }
        let books: Vec<u64> = self
            .view
            .books
            .keys()
            .copied()
            .filter(|b| taken.free(*b) && !held.contains(b))
            .collect();
        let out: Vec<u64> = books
            .iter()
            .copied()
            .filter(|b| !self.view.on_shelf(*b))
            .collect();
        let pool = if !out.is_empty() && self.rng.chance(75) {
            out
        } else {
            books
        };
        let book = *self.rng.pick(&pool)?;
        Some(Op::PlaceHold {
            customer,
            book,
            at: self.now,
        })
    }

    /// A cancellation of a waiting or ready hold.
    pub(super) fn cancel_hold(&mut self, taken: &Taken) -> Option<Op> {
        let holds: Vec<u64> = self
            .view
            .holds
            .values()
            .filter(|h| taken.free(h.book.get()))
            .map(|h| h.id.get())
            .collect();
        let hold = *self.rng.pick(&holds)?;
        Some(Op::CancelHold { hold, at: self.now })
    }

    /// An expiry now; inside a batch only if none of the books it would touch is taken.
    pub(super) fn expire_holds(&mut self, taken: &Taken) -> Option<Op> {
        let books = self.view.expiring_books(self.now);
        books
            .iter()
            .all(|b| taken.free(*b))
            .then_some(Op::ExpireHolds { at: self.now })
    }

    /// An open rental declared lost.
    pub(super) fn declare_lost(&mut self, taken: &Taken) -> Option<Op> {
        let open = self.open_rentals(taken);
        let rental = *self.rng.pick(&open)?;
        Some(Op::DeclareLost {
            rental,
            at: self.now,
        })
    }

    /// A lost copy found.
    pub(super) fn mark_found(&mut self, taken: &Taken) -> Option<Op> {
        let lost: Vec<u64> = self
            .view
            .copies_where(|s| matches!(s, CopyStatus::Lost(_)))
            .into_iter()
            .filter(|c| taken.free(self.view.book_of(*c)))
            .collect();
        let copy = *self.rng.pick(&lost)?;
        Some(Op::MarkFound { copy, at: self.now })
    }

    /// A batch of 2–12 operations that the view says all succeed in order, each at its own instant: rents (of a
    /// copy or a book), returns (some damaged), renewals, payments, new customers and books, holds placed and
    /// cancelled, an expiry, losses and finds — no two of them touching the same book ([`Taken`]).
    pub(super) fn batch(&mut self) -> Option<Op> {
        let size = self.rng.range(2, 12);
        let mut ops = Vec::new();
        let mut taken = Taken::default();
        for _ in 0..size {
            self.now += Duration::minutes(1);
            let op = match self.rng.below(30) {
                0..=6 => self.rent_copy(&taken),
                7..=8 => self.rent_book(&taken),
                9..=12 => self.return_one(&taken),
                13..=14 => Some(self.register()),
                15..=16 => Some(self.add_book()),
                17 => self.renew(&taken),
                18..=20 => self.place_hold(&taken),
                21 => self.cancel_hold(&taken),
                22 => self.expire_holds(&taken),
                23 => self.declare_lost(&taken),
                24 => self.mark_found(&taken),
                _ => self.pay(),
            };
            if let Some(op) = op {
                taken.take(&op, &self.view);
                ops.push(op);
            }
        }
        (ops.len() >= 2).then_some(Op::Batch { ops })
    }
}
