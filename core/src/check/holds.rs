//! Holds and the copies set aside for them. Rules:
//! - each customer's holds listed in order and their own, each naming an existing book, closed no earlier than
//!   placed, with the fields their status has (see [`Problem::HoldFieldsUnfit`]);
//! - **a copy is on hold exactly when one ready hold names it**: a ready hold's copy is a copy of its book marked
//!   `OnHold(that hold)`, and a copy marked `OnHold(h)` is named by `h`, a ready hold of its book;
//! - **never on the shelf while a hold waits**: no book with a waiting hold has an available copy;
//! - a customer has at most one waiting or ready hold per book;
//! - each book's queue (`Storage::book_holds`) is its waiting and ready holds in id order, the waiting ones
//!   numbered 1, 2, …; the active holds (`Storage::active_holds`) are all of them (checked with the indexes).
//!
//! A fulfilled hold's rental is checked when the rentals are read ([`Holds::fulfilled_by`]).

use std::collections::BTreeMap;

use super::catalogue::Catalogue;
use super::ledger::of_rental;
use super::listing::{owner_problem, sort_once, InOrder};
use super::problem::Problem;
use super::record::{Listing, Record};
use super::source::Owner;
use super::stats::Report;
use crate::domain::{CopyStatus, Hold, HoldStatus, Rental};
use crate::ids::{BookId, CopyId, CustomerId, RentalId};

/// The holds as the check keeps them: every id, the waiting and ready holds whole, the fulfilled ones until
/// their rentals are read.
#[derive(Default)]
pub(super) struct Holds {
    ids: Vec<u64>,
    /// The waiting and ready holds, without positions (in id order, numbered, once [`Holds::finish`] ran).
    active: Vec<Hold>,
    /// Fulfilled holds and the rental they name, by rental once [`Holds::finish`] ran.
    fulfilled: Vec<(RentalId, Hold)>,
}

/// Whether a hold's fields fit its status.
fn fits_status(hold: &Hold) -> bool {
    let (copy, until, closed, rental) = (
        hold.copy.is_some(),
        hold.ready_until.is_some(),
        hold.closed_at.is_some(),
        hold.rental.is_some(),
    );
    match hold.status {
        HoldStatus::Waiting => !copy && !until && !closed && !rental,
        HoldStatus::Ready => copy && until && !closed && !rental,
        HoldStatus::Fulfilled => copy && closed && rental,
        HoldStatus::Cancelled => closed && !rental && copy == until,
        HoldStatus::Expired => {
            copy && !rental
                && hold
                    .ready_until
                    .zip(hold.closed_at)
                    .is_some_and(|(until, closed)| until < closed)
        }
    }
}

/// A ready hold's copy must be a copy of its book set aside for it.
fn ready_copy_problem(catalogue: &Catalogue, hold: &Hold) -> Option<Problem> {
    let copy = hold.copy?;
    let found = catalogue.copy(copy).map(|c| (c.book, c.status));
    let fits = found == Some((hold.book, CopyStatus::OnHold(hold.id)));
    (!fits).then_some(Problem::ReadyHoldCopy {
        hold: hold.id,
        customer: hold.customer,
        book: hold.book,
        copy,
        found,
    })
}

/// The rules of one hold on its own and against the catalogue.
fn check_hold(hold: &Hold, catalogue: &Catalogue, report: &mut Report) {
    if !catalogue.has_book(hold.book) {
        report.problems.push(Problem::HoldBookMissing {
            hold: hold.id,
            book: hold.book,
        });
    }
    if let Some(closed_at) = hold.closed_at.filter(|closed| *closed < hold.placed_at) {
        report.problems.push(Problem::HoldClosedBeforePlaced {
            hold: hold.id,
            placed_at: hold.placed_at,
            closed_at,
        });
    }
    if !fits_status(hold) {
        report.problems.push(Problem::HoldFieldsUnfit {
            hold: Box::new(hold.clone()),
        });
    }
    match hold.status {
        HoldStatus::Waiting => report.stats.waiting_holds += 1,
        HoldStatus::Ready => {
            report.stats.ready_holds += 1;
            report.problems.extend(ready_copy_problem(catalogue, hold));
        }
        _ => {}
    }
}

impl Holds {
    /// One customer's holds, as listed.
    pub(super) fn read_customer(
        &mut self,
        owner: Owner,
        holds: Vec<Hold>,
        catalogue: &Catalogue,
        report: &mut Report,
    ) {
        let listing = Listing::Holds { customer: owner.id };
        let mut order = InOrder::new(listing);
        let mut active: BTreeMap<(CustomerId, BookId), Vec<_>> = BTreeMap::new();
        for mut hold in holds {
            hold.position = None;
            let id = hold.id.get();
            report.stats.holds += 1;
            self.ids.push(id);
            report.problems.extend(order.next(id));
            report
                .problems
                .extend(owner_problem(listing, id, hold.customer.get()));
            if !owner.exists {
                report.problems.push(Problem::OwnerMissing {
                    record: Record::Hold,
                    id,
                    customer: owner.id,
                });
            }
            check_hold(&hold, catalogue, report);
            if hold.status.is_active() {
                active
                    .entry((hold.customer, hold.book))
                    .or_default()
                    .push(hold.id);
            }
            match (hold.status, hold.rental) {
                (HoldStatus::Waiting | HoldStatus::Ready, _) => self.active.push(hold),
                (HoldStatus::Fulfilled, Some(rental)) => self.fulfilled.push((rental, hold)),
                _ => {}
            }
        }
        for ((customer, book), holds) in active {
            if holds.len() > 1 {
                report.problems.push(Problem::SeveralActiveHolds {
                    customer,
                    book,
                    holds,
                });
            }
        }
    }

    /// After the last customer: the copies set aside, the shelves of books with waiting holds, the book queues.
    pub(super) fn finish(&mut self, catalogue: &Catalogue, report: &mut Report) {
        sort_once(Record::Hold, &mut self.ids, |id| *id, &mut report.problems);
        self.fulfilled
            .sort_by_key(|(rental, hold)| (*rental, hold.id));
        self.active.sort_by_key(|h| h.id);
        let mut next: BTreeMap<BookId, u32> = BTreeMap::new();
        for hold in &mut self.active {
            if hold.status == HoldStatus::Waiting {
                let position = next.entry(hold.book).or_default();
                *position += 1;
                hold.position = Some(*position);
            }
        }
        self.check_set_aside(catalogue, report);
        self.check_shelves(catalogue, report);
        self.check_queues(catalogue, report);
    }

    /// A copy marked `OnHold(h)` is named by `h`, a ready hold of its book.
    fn check_set_aside(&self, catalogue: &Catalogue, report: &mut Report) {
        for copy in catalogue.copies() {
            let CopyStatus::OnHold(hold) = copy.status else {
                continue;
            };
            let named = self
                .active
                .binary_search_by_key(&hold, |h| h.id)
                .ok()
                .and_then(|at| self.active.get(at))
                .is_some_and(|h| {
                    h.status == HoldStatus::Ready && h.copy == Some(copy.id) && h.book == copy.book
                });
            if !named {
                report.problems.push(Problem::CopyOnHoldUnnamed {
                    copy: copy.id,
                    book: copy.book,
                    hold,
                });
            }
        }
    }

    /// No book with a waiting hold has a copy on the shelf.
    fn check_shelves(&self, catalogue: &Catalogue, report: &mut Report) {
        let mut waiting: BTreeMap<BookId, Vec<_>> = BTreeMap::new();
        for hold in self
            .active
            .iter()
            .filter(|h| h.status == HoldStatus::Waiting)
        {
            waiting.entry(hold.book).or_default().push(hold.id);
        }
        let mut shelf: BTreeMap<BookId, Vec<CopyId>> = BTreeMap::new();
        for copy in catalogue.copies() {
            if copy.status == CopyStatus::Available && waiting.contains_key(&copy.book) {
                shelf.entry(copy.book).or_default().push(copy.id);
            }
        }
        for (book, copies) in shelf {
            report.problems.push(Problem::WaitingWhileOnShelf {
                book,
                copies,
                holds: waiting.remove(&book).unwrap_or_default(),
            });
        }
    }

    /// Each book's queue is its waiting and ready holds, numbered.
    fn check_queues(&self, catalogue: &Catalogue, report: &mut Report) {
        let mut expected: BTreeMap<BookId, Vec<Hold>> = catalogue
            .queued_books()
            .map(|book| (book, Vec::new()))
            .collect();
        for hold in &self.active {
            expected.entry(hold.book).or_default().push(hold.clone());
        }
        for (book, expected) in expected {
            let listed = catalogue.queue(book);
            // The queue of a book that does not exist is not asked for (its holds are reported already).
            if listed != expected.as_slice() && catalogue.has_book(book) {
                report.problems.push(Problem::HoldQueue {
                    book: Some(book),
                    listed: listed.to_vec(),
                    expected,
                });
            }
        }
    }

    /// Every waiting and ready hold, in id order, numbered (after [`Holds::finish`]).
    pub(super) fn active(&self) -> &[Hold] {
        &self.active
    }

    /// The largest hold id listed (0 when none is; after [`Holds::finish`]).
    pub(super) fn last_id(&self) -> u64 {
        self.ids.last().copied().unwrap_or(0)
    }

    /// Whether a hold with this id is listed (after [`Holds::finish`]).
    pub(super) fn listed(&self, id: u64) -> bool {
        self.ids.binary_search(&id).is_ok()
    }

    /// The fulfilled holds naming `rental` must be its customer's, of its copy of its book, closed when it was
    /// opened.
    pub(super) fn fulfilled_by(&self, rental: &Rental, report: &mut Report) {
        for (_, hold) in of_rental(&self.fulfilled, rental.id, |(r, _)| *r) {
            let fits = rental.customer == hold.customer
                && rental.book == hold.book
                && Some(rental.copy) == hold.copy
                && Some(rental.rented_at) == hold.closed_at;
            if !fits {
                report.problems.push(Problem::FulfilmentMismatch {
                    hold: hold.id,
                    rental: rental.id,
                    exists: true,
                });
            }
        }
    }

    /// After the last rental: the fulfilled holds naming a rental that is not `known`.
    pub(super) fn finish_fulfilled(&self, known: impl Fn(RentalId) -> bool, report: &mut Report) {
        for (rental, hold) in &self.fulfilled {
            if !known(*rental) {
                report.problems.push(Problem::FulfilmentMismatch {
                    hold: hold.id,
                    rental: *rental,
                    exists: false,
                });
            }
        }
    }
}
