//! Where the check reads a store from: the store itself, streamed through the public [`Storage`] reads, or a
//! [`Snapshot`] of it. The rules see the same reads either way, so a store and its snapshot break the same ones.

use std::collections::BTreeMap;
use std::convert::Infallible;

use super::pages::{paged, FEED_PAGE, TYPE_PAGE};
use super::problem::Problem;
use super::reads::{absent_as_none, charge_index};
use super::snapshot::Snapshot;
use crate::domain::{AccountState, Book, BookCopy, Event, EventKind, Hold, LedgerEntry, Rental};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, HoldId, RentalId};
use crate::pricing::PlanVersion;
use crate::storage::Storage;

/// Records one at a time, in the order their listing gives them.
pub(super) type Stream<'a, T, E> = Box<dyn Iterator<Item = Result<T, E>> + 'a>;

/// A customer whose records are read: a listed customer, or (in a snapshot) one that ledger entries or holds
/// name but that does not exist.
#[derive(Clone)]
pub(super) struct Owner {
    pub(super) id: CustomerId,
    pub(super) exists: bool,
    /// The customer's e-mail address, if any (to find addresses two customers share).
    pub(super) email: Option<String>,
}

/// The reads the check makes, in the order it makes them. Each is the [`Storage`] read of its name (`holds`:
/// `customer_holds`, `open_rentals`: `active_rentals`, `copy_found` and `hold_found`: whether `copy` and `hold`
/// find the id), or, from a snapshot, what that read answered when the snapshot was taken.
pub(super) trait Source {
    /// What a read can fail with (a snapshot's cannot).
    type Error;

    /// Problems found while reading that the records no longer show.
    fn read_problems(&self) -> Vec<Problem>;
    fn plans(&self) -> Result<Vec<PlanVersion>, Self::Error>;
    fn books(&self) -> Result<Stream<'_, Book, Self::Error>, Self::Error>;
    fn copies_of(&self, book: BookId) -> Result<Vec<BookCopy>, Self::Error>;
    fn book_holds(&self, book: BookId) -> Result<Vec<Hold>, Self::Error>;
    fn customers(&self) -> Result<Stream<'_, Owner, Self::Error>, Self::Error>;
    fn account(&self, customer: CustomerId) -> Result<Option<AccountState>, Self::Error>;
    fn ledger(
        &self,
        customer: CustomerId,
    ) -> Result<Stream<'_, LedgerEntry, Self::Error>, Self::Error>;
    fn holds(&self, customer: CustomerId) -> Result<Vec<Hold>, Self::Error>;
    fn rentals(&self) -> Result<Stream<'_, Rental, Self::Error>, Self::Error>;
    fn charge_entry(&self, rental: RentalId) -> Result<Option<LedgerEntry>, Self::Error>;
    fn open_rentals(&self) -> Result<Stream<'_, RentalId, Self::Error>, Self::Error>;
    fn customer_rentals(
        &self,
        customer: CustomerId,
    ) -> Result<Stream<'_, RentalId, Self::Error>, Self::Error>;
    fn active_holds(&self) -> Result<Vec<Hold>, Self::Error>;
    fn copy_found(&self, id: CopyId) -> Result<bool, Self::Error>;
    fn hold_found(&self, id: HoldId) -> Result<bool, Self::Error>;
    /// The feed, in the order `events_after` gives it page by page.
    fn feed(&self) -> Result<Stream<'_, Event, Self::Error>, Self::Error>;
    /// The positions the feed by type lists under `kind` (`events_of_types_after` of that type alone, page by
    /// page).
    fn feed_of_type(
        &self,
        kind: EventKind,
    ) -> Result<Stream<'_, Indexed, Self::Error>, Self::Error>;
    fn last_event_position(&self) -> Result<u64, Self::Error>;
    fn checkpoints(&self) -> Result<Vec<(String, u64)>, Self::Error>;
}

/// An entry of the feed by type as the check reads it: a position, or why the store could not read the rest.
pub(super) enum Indexed {
    At(u64),
    Unreadable(String),
}

/// A store, read as the check goes: nothing is kept but what the rules need.
pub(super) struct StorageSource<'a, S: ?Sized>(pub(super) &'a S);

impl<S: Storage + ?Sized> Source for StorageSource<'_, S> {
    type Error = Error;

    fn read_problems(&self) -> Vec<Problem> {
        Vec::new()
    }
    fn plans(&self) -> Result<Vec<PlanVersion>> {
        self.0.plan_versions()
    }
    fn books(&self) -> Result<Stream<'_, Book, Error>> {
        Ok(self.0.books()?)
    }
    fn copies_of(&self, book: BookId) -> Result<Vec<BookCopy>> {
        self.0.copies_of(book)
    }
    fn book_holds(&self, book: BookId) -> Result<Vec<Hold>> {
        self.0.book_holds(book)
    }
    fn customers(&self) -> Result<Stream<'_, Owner, Error>> {
        Ok(Box::new(self.0.customers()?.map(|c| {
            c.map(|c| Owner {
                id: c.id,
                exists: true,
                email: c.email,
            })
        })))
    }
    fn account(&self, customer: CustomerId) -> Result<Option<AccountState>> {
        absent_as_none(self.0.account(customer))
    }
    fn ledger(&self, customer: CustomerId) -> Result<Stream<'_, LedgerEntry, Error>> {
        Ok(self.0.ledger(customer)?)
    }
    fn holds(&self, customer: CustomerId) -> Result<Vec<Hold>> {
        self.0.customer_holds(customer)
    }
    fn rentals(&self) -> Result<Stream<'_, Rental, Error>> {
        Ok(self.0.rentals()?)
    }
    fn charge_entry(&self, rental: RentalId) -> Result<Option<LedgerEntry>> {
        charge_index(self.0, rental)
    }
    fn open_rentals(&self) -> Result<Stream<'_, RentalId, Error>> {
        Ok(Box::new(self.0.active_rentals()?.map(|r| r.map(|r| r.id))))
    }
    fn customer_rentals(&self, customer: CustomerId) -> Result<Stream<'_, RentalId, Error>> {
        Ok(Box::new(
            self.0.customer_rentals(customer)?.map(|r| r.map(|r| r.id)),
        ))
    }
    fn active_holds(&self) -> Result<Vec<Hold>> {
        self.0.active_holds()
    }
    fn copy_found(&self, id: CopyId) -> Result<bool> {
        Ok(absent_as_none(self.0.copy(id))?.is_some())
    }
    fn hold_found(&self, id: HoldId) -> Result<bool> {
        Ok(absent_as_none(self.0.hold(id))?.is_some())
    }
    fn feed(&self) -> Result<Stream<'_, Event, Error>> {
        Ok(paged(
            FEED_PAGE,
            |e: &Event| Some(e.position),
            |after| self.0.events_after(after, FEED_PAGE),
        ))
    }
    fn feed_of_type(&self, kind: EventKind) -> Result<Stream<'_, Indexed, Error>> {
        let page = move |after| match self.0.events_of_types_after(&[kind], after, TYPE_PAGE) {
            Ok(events) => Ok(events.iter().map(|e| Indexed::At(e.position)).collect()),
            // A damaged index (naming an event the feed lacks) is a problem to name, not a failure to read.
            Err(Error::Corruption(reason)) => Ok(vec![Indexed::Unreadable(reason)]),
            Err(err) => Err(err),
        };
        let key = |entry: &Indexed| match entry {
            Indexed::At(position) => Some(*position),
            Indexed::Unreadable(_) => None,
        };
        Ok(paged(TYPE_PAGE, key, page))
    }
    fn last_event_position(&self) -> Result<u64> {
        self.0.last_event_position()
    }
    fn checkpoints(&self) -> Result<Vec<(String, u64)>> {
        self.0.checkpoints()
    }
}

/// A snapshot, read in id order, each customer's ledger entries and holds grouped under the customer they name.
pub(super) struct SnapshotSource<'a> {
    snapshot: &'a Snapshot,
    entries: BTreeMap<u64, Vec<&'a LedgerEntry>>,
    holds: BTreeMap<u64, Vec<&'a Hold>>,
}

impl<'a> SnapshotSource<'a> {
    pub(super) fn new(snapshot: &'a Snapshot) -> Self {
        let mut entries: BTreeMap<u64, Vec<&LedgerEntry>> = BTreeMap::new();
        for entry in snapshot.ledger.values() {
            entries.entry(entry.customer.get()).or_default().push(entry);
        }
        let mut holds: BTreeMap<u64, Vec<&Hold>> = BTreeMap::new();
        for hold in snapshot.holds.values() {
            holds.entry(hold.customer.get()).or_default().push(hold);
        }
        SnapshotSource {
            snapshot,
            entries,
            holds,
        }
    }
}

fn stream<'a, T: 'a>(records: impl Iterator<Item = T> + 'a) -> Stream<'a, T, Infallible> {
    Box::new(records.map(Ok))
}

impl Source for SnapshotSource<'_> {
    type Error = Infallible;

    fn read_problems(&self) -> Vec<Problem> {
        self.snapshot.listing.clone()
    }
    fn plans(&self) -> Result<Vec<PlanVersion>, Infallible> {
        Ok(self.snapshot.plans.clone())
    }
    fn books(&self) -> Result<Stream<'_, Book, Infallible>, Infallible> {
        Ok(stream(self.snapshot.books.values().cloned()))
    }
    fn copies_of(&self, book: BookId) -> Result<Vec<BookCopy>, Infallible> {
        let ids = self.snapshot.book_copies.get(&book.get());
        Ok(ids
            .into_iter()
            .flatten()
            .filter_map(|id| self.snapshot.copies.get(id).cloned())
            .collect())
    }
    fn book_holds(&self, book: BookId) -> Result<Vec<Hold>, Infallible> {
        let queue = self.snapshot.indexes.book_holds.get(&book.get());
        Ok(queue.cloned().unwrap_or_default())
    }
    fn customers(&self) -> Result<Stream<'_, Owner, Infallible>, Infallible> {
        let customers = &self.snapshot.customers;
        let mut ids: Vec<u64> = customers.keys().copied().collect();
        ids.extend(self.entries.keys().chain(self.holds.keys()));
        ids.sort_unstable();
        ids.dedup();
        Ok(stream(ids.into_iter().map(|id| Owner {
            id: CustomerId::new(id),
            exists: customers.contains_key(&id),
            email: customers.get(&id).and_then(|c| c.email.clone()),
        })))
    }
    fn account(&self, customer: CustomerId) -> Result<Option<AccountState>, Infallible> {
        Ok(self.snapshot.accounts.get(&customer.get()).cloned())
    }
    fn ledger(
        &self,
        customer: CustomerId,
    ) -> Result<Stream<'_, LedgerEntry, Infallible>, Infallible> {
        let entries = self.entries.get(&customer.get());
        Ok(stream(entries.into_iter().flatten().map(|e| (*e).clone())))
    }
    fn holds(&self, customer: CustomerId) -> Result<Vec<Hold>, Infallible> {
        let holds = self.holds.get(&customer.get());
        Ok(holds.into_iter().flatten().map(|h| (*h).clone()).collect())
    }
    fn rentals(&self) -> Result<Stream<'_, Rental, Infallible>, Infallible> {
        Ok(stream(self.snapshot.rentals.values().cloned()))
    }
    fn charge_entry(&self, rental: RentalId) -> Result<Option<LedgerEntry>, Infallible> {
        let indexed = self.snapshot.indexes.charge_entries.get(&rental.get());
        Ok(indexed.cloned())
    }
    fn open_rentals(&self) -> Result<Stream<'_, RentalId, Infallible>, Infallible> {
        Ok(stream(self.snapshot.indexes.open_rentals.iter().copied()))
    }
    fn customer_rentals(
        &self,
        customer: CustomerId,
    ) -> Result<Stream<'_, RentalId, Infallible>, Infallible> {
        let listed = self.snapshot.indexes.customer_rentals.get(&customer.get());
        Ok(stream(listed.into_iter().flatten().copied()))
    }
    fn active_holds(&self) -> Result<Vec<Hold>, Infallible> {
        Ok(self.snapshot.indexes.active_holds.clone())
    }
    fn copy_found(&self, id: CopyId) -> Result<bool, Infallible> {
        Ok(self.snapshot.indexes.copies_found.contains(&id.get()))
    }
    fn hold_found(&self, id: HoldId) -> Result<bool, Infallible> {
        Ok(self.snapshot.indexes.holds_found.contains(&id.get()))
    }
    fn feed(&self) -> Result<Stream<'_, Event, Infallible>, Infallible> {
        Ok(stream(self.snapshot.events.iter().cloned()))
    }
    fn feed_of_type(&self, kind: EventKind) -> Result<Stream<'_, Indexed, Infallible>, Infallible> {
        let listed = self.snapshot.indexes.events_by_type.get(&kind);
        Ok(stream(
            listed.into_iter().flatten().map(|p| Indexed::At(*p)),
        ))
    }
    fn last_event_position(&self) -> Result<u64, Infallible> {
        Ok(self.snapshot.last_event_position)
    }
    fn checkpoints(&self) -> Result<Vec<(String, u64)>, Infallible> {
        Ok(self.snapshot.checkpoints.clone())
    }
}
