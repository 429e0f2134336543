//! The listing rules, shared by the check and by [`Snapshot::read`](super::Snapshot::read): ids strictly
//! increasing in every listing, each record listed by the book or customer it names.

use super::problem::Problem;
use super::record::{Listing, Record};

/// Follows one listing's ids: each must be greater than the one before.
pub(super) struct InOrder {
    listing: Listing,
    last: Option<u64>,
}

impl InOrder {
    pub(super) fn new(listing: Listing) -> Self {
        InOrder {
            listing,
            last: None,
        }
    }

    /// The next id listed: a problem when it is not above the one before.
    pub(super) fn next(&mut self, id: u64) -> Option<Problem> {
        let problem = match self.last {
            Some(after) if id <= after => Some(Problem::OutOfOrder {
                listing: self.listing,
                id,
                after,
            }),
            _ => None,
        };
        self.last = Some(id);
        problem
    }
}

/// A record listed by `listing` (a book's copies, a customer's ledger or holds) must name that book or customer.
pub(super) fn owner_problem(listing: Listing, id: u64, owner: u64) -> Option<Problem> {
    let lister = match listing {
        Listing::Copies { book } => book.get(),
        Listing::Ledger { customer } | Listing::Holds { customer } => customer.get(),
        _ => return None,
    };
    (owner != lister).then_some(Problem::WrongOwner { listing, id, owner })
}

/// Sorts `items` by id (keeping the first of equal ids) and reports every id listed more than once.
pub(super) fn sort_once<T>(
    record: Record,
    items: &mut Vec<T>,
    id: impl Fn(&T) -> u64,
    problems: &mut Vec<Problem>,
) {
    items.sort_by_key(&id);
    let mut reported = None;
    for pair in items.windows(2) {
        if let [before, this] = pair {
            let this = id(this);
            if id(before) == this && reported != Some(this) {
                problems.push(Problem::ListedTwice { record, id: this });
                reported = Some(this);
            }
        }
    }
    items.dedup_by_key(|item| id(item));
}
