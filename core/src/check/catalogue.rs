//! The books and their copies, as the check keeps them: ids, each copy's book and status, and the book queues
//! the store answered. Rules: the book listing in order, each book's copies in order and its own, no copy
//! listed by two books.

use std::collections::BTreeMap;

use super::listing::{owner_problem, sort_once, InOrder};
use super::record::{Listing, Record};
use super::stats::Report;
use crate::domain::{Book, BookCopy, CopyStatus, Hold};
use crate::ids::{BookId, CopyId, RentalId};

/// What the check keeps of a copy.
#[derive(Clone, Copy, Debug)]
pub(super) struct CopyFact {
    pub(super) id: CopyId,
    pub(super) book: BookId,
    pub(super) status: CopyStatus,
    /// The copy's latest rental read so far (rentals are read in id order), and whether it was lost.
    pub(super) latest: Option<(RentalId, bool)>,
}

/// The catalogue: book ids, copy facts (by id once [`Catalogue::finish`] ran), non-empty book queues.
pub(super) struct Catalogue {
    order: InOrder,
    books: Vec<BookId>,
    copies: Vec<CopyFact>,
    queues: BTreeMap<u64, Vec<Hold>>,
}

impl Default for Catalogue {
    fn default() -> Self {
        Catalogue {
            order: InOrder::new(Listing::Books),
            books: Vec::new(),
            copies: Vec::new(),
            queues: BTreeMap::new(),
        }
    }
}

impl Catalogue {
    /// One book as listed, with its copies and its queue (`Storage::book_holds`).
    pub(super) fn add_book(
        &mut self,
        book: &Book,
        copies: Vec<BookCopy>,
        queue: Vec<Hold>,
        report: &mut Report,
    ) {
        report.stats.books += 1;
        report.problems.extend(self.order.next(book.id.get()));
        self.books.push(book.id);
        let listing = Listing::Copies { book: book.id };
        let mut order = InOrder::new(listing);
        for copy in copies {
            report.stats.copies += 1;
            let id = copy.id.get();
            report.problems.extend(order.next(id));
            report
                .problems
                .extend(owner_problem(listing, id, copy.book.get()));
            self.copies.push(CopyFact {
                id: copy.id,
                book: copy.book,
                status: copy.status,
                latest: None,
            });
        }
        if !queue.is_empty() {
            self.queues.insert(book.id.get(), queue);
        }
    }

    /// After the last book: copies by id, each once.
    pub(super) fn finish(&mut self, report: &mut Report) {
        self.books.sort_unstable();
        self.books.dedup();
        sort_once(
            Record::Copy,
            &mut self.copies,
            |c| c.id.get(),
            &mut report.problems,
        );
    }

    pub(super) fn has_book(&self, id: BookId) -> bool {
        self.books.binary_search(&id).is_ok()
    }

    pub(super) fn copy(&self, id: CopyId) -> Option<&CopyFact> {
        let at = self.copies.binary_search_by_key(&id, |c| c.id).ok()?;
        self.copies.get(at)
    }

    pub(super) fn copy_mut(&mut self, id: CopyId) -> Option<&mut CopyFact> {
        let at = self.copies.binary_search_by_key(&id, |c| c.id).ok()?;
        self.copies.get_mut(at)
    }

    /// Every copy listed, in id order.
    pub(super) fn copies(&self) -> &[CopyFact] {
        &self.copies
    }

    /// The largest copy id listed (0 when none is).
    pub(super) fn last_copy(&self) -> u64 {
        self.copies.last().map_or(0, |c| c.id.get())
    }

    /// What `Storage::book_holds` answered for `book`.
    pub(super) fn queue(&self, book: BookId) -> &[Hold] {
        self.queues.get(&book.get()).map_or(&[], Vec::as_slice)
    }

    /// The books whose queue the store answered non-empty.
    pub(super) fn queued_books(&self) -> impl Iterator<Item = BookId> + '_ {
        self.queues.keys().map(|id| BookId::new(*id))
    }
}
