//! What a batch being built has taken, so that its operations stay valid whatever the ones before them did.

use std::collections::{BTreeMap, BTreeSet};

use super::view::View;
use crate::acklog::Op;

/// What a batch being built has taken: its operations touch distinct books, so each one is valid against the view
/// as it was when the batch began whatever the ones before it did; and it places at most `MAX_HOLDS` holds per
/// customer, counted with the ones they hold. A single operation takes nothing.
#[derive(Debug, Default)]
pub(super) struct Taken {
    books: BTreeSet<u64>,
    holds: BTreeMap<u64, u32>,
}

impl Taken {
    /// How many holds the operations taken so far place for `customer`.
    pub(super) fn holds_placed(&self, customer: u64) -> u32 {
        self.holds.get(&customer).copied().unwrap_or(0)
    }

    /// Whether no operation taken so far touches `book`.
    pub(super) fn free(&self, book: u64) -> bool {
        !self.books.contains(&book)
    }

    /// Takes the books `op` touches (and its hold, if it places one).
    pub(super) fn take(&mut self, op: &Op, view: &View) {
        let rental_book = |rental: &u64| view.open.get(rental).map_or(0, |r| r.book);
        match op {
            Op::RentBook { book, .. } => {
                self.books.insert(*book);
            }
            Op::RentCopy { copy, .. } | Op::MarkFound { copy, .. } => {
                self.books.insert(view.book_of(*copy));
            }
            Op::Return { rental, .. }
            | Op::DeclareLost { rental, .. }
            | Op::Renew { rental, .. } => {
                self.books.insert(rental_book(rental));
            }
            Op::PlaceHold { customer, book, .. } => {
                self.books.insert(*book);
                *self.holds.entry(*customer).or_default() += 1;
            }
            Op::CancelHold { hold, .. } => {
                self.books
                    .extend(view.holds.get(hold).map(|h| h.book.get()));
            }
            Op::ExpireHolds { at } => self.books.extend(view.expiring_books(*at)),
            _ => {}
        }
    }
}
