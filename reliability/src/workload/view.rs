//! The writer's view of the store: what it may rent, return, renew, hold, cancel, declare lost or find.
//!
//! A returned, found or released copy goes to the first waiting hold of its book, and a rent fulfils the renter's
//! hold, so rather than restate those rules the view re-reads the books an operation touched (their copies and
//! hold queues) once the operation is acknowledged ([`View::refresh_book`]); rentals and customers it follows from
//! the acknowledged outcomes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use koko_core::{BookId, BookStore, CopyStatus, Hold, HoldStatus, PricePlan, Rental, Storage};

use super::plan::{plan, PICKUP_DAYS};
use crate::acklog::{Op, Outcome};

/// How many recently closed rentals and holds the view remembers (to provoke "already closed" errors).
const RECENT: usize = 64;

/// An open rental, as the writer needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct OpenRental {
    /// The copy lent.
    pub(super) copy: u64,
    /// Its book.
    pub(super) book: u64,
}

/// What the writer knows of the store.
#[derive(Clone, Debug, Default)]
pub(super) struct View {
    /// Each book's copies, in id order.
    pub(super) books: BTreeMap<u64, Vec<u64>>,
    /// Each copy's book and status.
    pub(super) copies: BTreeMap<u64, (u64, CopyStatus)>,
    /// The waiting and ready holds, by id.
    pub(super) holds: BTreeMap<u64, Hold>,
    /// Holds closed lately (fulfilled, cancelled, expired).
    pub(super) closed_holds: Vec<u64>,
    /// Active customers.
    pub(super) active: Vec<u64>,
    /// Deactivated customers.
    pub(super) inactive: Vec<u64>,
    /// Open rentals, by id.
    pub(super) open: BTreeMap<u64, OpenRental>,
    /// Open rentals that may still be renewed, with how many renewals they have left (a waiting hold on the book
    /// refuses them all the same).
    pub(super) renewable: BTreeMap<u64, usize>,
    /// Open rentals that may not be renewed, with the error kind a renewal fails with: `InvalidInput` (no loan
    /// period) or `Blocked` (no renewal left).
    pub(super) unrenewable: BTreeMap<u64, &'static str>,
    /// Rentals closed lately (returned or lost).
    pub(super) closed: Vec<u64>,
}

impl View {
    /// Reads the view from the store; also answers the latest instant a rental or an active hold mentions.
    pub(super) fn load<S: Storage>(
        store: &BookStore<S>,
    ) -> koko_core::Result<(View, Option<DateTime<Utc>>)> {
        let mut view = View::default();
        for book in store.books()? {
            let book = book?;
            let mut ids = Vec::new();
            for copy in store.copies(book.id)? {
                ids.push(copy.id.get());
                view.copies
                    .insert(copy.id.get(), (book.id.get(), copy.status));
            }
            view.books.insert(book.id.get(), ids);
        }
        for customer in store.customers()? {
            let customer = customer?;
            match customer.active {
                true => view.active.push(customer.id.get()),
                false => view.inactive.push(customer.id.get()),
            }
        }
        let mut latest = None;
        for rental in store.rentals()? {
            let rental = rental?;
            let last = rental.returned_at.unwrap_or(rental.rented_at);
            latest = latest.max(Some(last.max(rental.rented_at)));
            // A renewal's instant is after the rental's: the clock must not go back before it either.
            latest = latest.max(rental.renewals.iter().max().copied());
            match rental.returned_at {
                None => view.opened(&rental),
                Some(_) => remember(&mut view.closed, rental.id.get()),
            }
        }
        for hold in store.storage().active_holds()? {
            let set_aside = hold
                .ready_until
                .map(|until| until - Duration::days(i64::from(PICKUP_DAYS)));
            latest = latest.max(Some(hold.placed_at)).max(set_aside);
            view.holds.insert(hold.id.get(), hold);
        }
        Ok((view, latest))
    }

    /// Re-reads one book's copies and hold queue; holds that left the queue are remembered as closed.
    pub(super) fn refresh_book<S: Storage>(
        &mut self,
        store: &BookStore<S>,
        book: u64,
    ) -> koko_core::Result<()> {
        let copies = store.copies(BookId::new(book))?;
        let queue = store.book_holds(BookId::new(book))?;
        for copy in copies {
            self.copies.insert(copy.id.get(), (book, copy.status));
        }
        let before: Vec<u64> = self
            .holds
            .values()
            .filter(|h| h.book.get() == book)
            .map(|h| h.id.get())
            .collect();
        self.holds.retain(|_, h| h.book.get() != book);
        for hold in queue {
            self.holds.insert(hold.id.get(), hold);
        }
        for id in before {
            if !self.holds.contains_key(&id) {
                remember(&mut self.closed_holds, id);
            }
        }
        Ok(())
    }

    /// Follows an acknowledged operation's outcome; collects in `touched` the books whose copies or queue it may
    /// have changed (to be re-read).
    pub(super) fn absorb(&mut self, op: &Op, outcome: &Outcome, touched: &mut BTreeSet<u64>) {
        match (op, outcome) {
            (Op::Batch { ops }, Outcome::Batch { outcomes }) => {
                for (op, outcome) in ops.iter().zip(outcomes) {
                    self.absorb(op, outcome, touched);
                }
            }
            (Op::AddBook { .. }, Outcome::Book { book, copies }) => {
                let ids = copies.clone().unwrap_or_default();
                for copy in &ids {
                    self.copies
                        .insert(*copy, (book.id.get(), CopyStatus::Available));
                }
                self.books.insert(book.id.get(), ids);
            }
            (Op::RegisterCustomer { .. }, Outcome::Customer { customer }) => {
                self.active.push(customer.id.get())
            }
            (Op::RentBook { .. } | Op::RentCopy { .. }, Outcome::Rental { rental, .. }) => {
                self.opened(rental);
                touched.insert(rental.book.get());
            }
            (Op::Renew { .. }, Outcome::Rental { rental, .. }) => self.track_renewals(rental),
            (Op::Return { .. } | Op::DeclareLost { .. }, Outcome::Rental { rental, .. }) => {
                let id = rental.id.get();
                self.open.remove(&id);
                self.renewable.remove(&id);
                self.unrenewable.remove(&id);
                remember(&mut self.closed, id);
                touched.insert(rental.book.get());
            }
            (Op::PlaceHold { .. } | Op::CancelHold { .. }, Outcome::Hold { hold }) => {
                touched.insert(hold.book.get());
            }
            (Op::ExpireHolds { .. }, Outcome::Holds { holds }) => {
                touched.extend(holds.iter().map(|h| h.book.get()));
            }
            (Op::MarkFound { .. }, Outcome::Found { copy, .. }) => {
                touched.insert(copy.book.get());
            }
            (Op::Deactivate { customer }, _) => {
                self.active.retain(|id| id != customer);
                self.inactive.push(*customer);
            }
            _ => {}
        }
    }

    /// Files a rental just opened (or found open).
    fn opened(&mut self, rental: &Rental) {
        let open = OpenRental {
            copy: rental.copy.get(),
            book: rental.book.get(),
        };
        self.open.insert(rental.id.get(), open);
        self.track_renewals(rental);
    }

    /// Files the open `rental` under `renewable` (with how many more times [`plan`] lets it be renewed) or under
    /// `unrenewable` (with the error kind a renewal of it fails with).
    fn track_renewals(&mut self, rental: &Rental) {
        let id = rental.id.get();
        self.renewable.remove(&id);
        self.unrenewable.remove(&id);
        if rental.returned_at.is_some() {
            return;
        }
        // How many renewals the plan allows this category (read from the plan, so the two never disagree).
        static PLAN: std::sync::OnceLock<PricePlan> = std::sync::OnceLock::new();
        let max = PLAN
            .get_or_init(plan)
            .tariff(&rental.category)
            .ok()
            .and_then(|tariff| tariff.renewals)
            .map_or(0, |renewals| renewals.max as usize);
        match (rental.due_at, max - rental.renewals.len().min(max)) {
            (None, _) => {
                self.unrenewable.insert(id, "InvalidInput");
            }
            (Some(_), 0) => {
                self.unrenewable.insert(id, "Blocked");
            }
            (Some(_), left) => {
                self.renewable.insert(id, left);
            }
        }
    }

    /// The copies whose status satisfies `wanted`, in id order.
    pub(super) fn copies_where(&self, wanted: impl Fn(CopyStatus) -> bool) -> Vec<u64> {
        self.copies
            .iter()
            .filter(|(_, (_, status))| wanted(*status))
            .map(|(copy, _)| *copy)
            .collect()
    }

    /// The book of `copy` (0 if unknown).
    pub(super) fn book_of(&self, copy: u64) -> u64 {
        self.copies.get(&copy).map_or(0, |(book, _)| *book)
    }

    /// Whether `book` has a copy on the shelf.
    pub(super) fn on_shelf(&self, book: u64) -> bool {
        self.books.get(&book).is_some_and(|copies| {
            copies
                .iter()
                .any(|c| self.copies.get(c).map(|(_, s)| *s) == Some(CopyStatus::Available))
        })
    }

    /// Whether a hold waits for `book`.
    pub(super) fn waited_for(&self, book: u64) -> bool {
        self.holds
            .values()
            .any(|h| h.book.get() == book && h.status == HoldStatus::Waiting)
    }

    /// The active holds of `customer`.
    pub(super) fn holds_of(&self, customer: u64) -> impl Iterator<Item = &Hold> + '_ {
        self.holds
            .values()
            .filter(move |h| h.customer.get() == customer)
    }

    /// The books of the ready holds an expiry at `at` expires.
    pub(super) fn expiring_books(&self, at: DateTime<Utc>) -> BTreeSet<u64> {
        self.holds
            .values()
            .filter(|h| h.status == HoldStatus::Ready && h.ready_until.is_some_and(|u| u < at))
            .map(|h| h.book.get())
            .collect()
    }
}

/// Appends `id` to a list of recent ids, forgetting the oldest beyond [`RECENT`].
fn remember(list: &mut Vec<u64>, id: u64) {
    if list.len() >= RECENT {
        list.remove(0);
    }
    list.push(id);
}
