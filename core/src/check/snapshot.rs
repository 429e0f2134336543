//! A whole store read into memory: its records by id, what its indexes answered, and the listing problems the
//! records alone no longer show.

use std::collections::{BTreeMap, BTreeSet};

use super::listing::{owner_problem, InOrder};
use super::pages::{paged, FEED_PAGE, TYPE_PAGE};
use super::problem::Problem;
use super::reads::{absent_as_none, charge_index};
use super::record::Listing;
use crate::domain::{
    AccountState, Book, BookCopy, Customer, EntryKind, Event, EventKind, Hold, LedgerEntry, Rental,
};
use crate::error::Result;
use crate::ids::{CopyId, HoldId, RentalId};
use crate::pricing::PlanVersion;
use crate::storage::Storage;

/// Everything a store holds, by id, as [`Snapshot::read`] found it; [`check`](super::check) checks it.
///
/// The fields are public so that a test can damage a snapshot and see that the check names the damage, and so
/// that a harness can build the snapshot it expects (from a log of operations) and compare the two.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The price plan versions, in id order.
    pub plans: Vec<PlanVersion>,
    /// Books by id.
    pub books: BTreeMap<u64, Book>,
    /// Each book's copy ids, in the order the store lists them.
    pub book_copies: BTreeMap<u64, Vec<u64>>,
    /// Copies by id (the first listing of a copy two books list).
    pub copies: BTreeMap<u64, BookCopy>,
    /// Customers by id.
    pub customers: BTreeMap<u64, Customer>,
    /// Rentals, open and closed, by id.
    pub rentals: BTreeMap<u64, Rental>,
    /// Each customer's account (`Storage::account`: balance, manual block, open rentals), by customer id.
    pub accounts: BTreeMap<u64, AccountState>,
    /// Every customer's ledger entries (`Storage::ledger`), by entry id: one customer's ledger is the entries
    /// naming them, in id order ([`Snapshot::ledger_of`]).
    pub ledger: BTreeMap<u64, LedgerEntry>,
    /// Every customer's holds (`Storage::customer_holds`), of every status, by hold id, without their queue
    /// position (derived from the queue, which [`Indexes`] keeps).
    pub holds: BTreeMap<u64, Hold>,
    /// The event feed (`Storage::events_after`, page by page): the events not pruned, in the order read.
    pub events: Vec<Event>,
    /// The last position given (`Storage::last_event_position`).
    pub last_event_position: u64,
    /// Every consumer's checkpoint (`Storage::checkpoints`), by name.
    pub checkpoints: Vec<(String, u64)>,
    /// What the store's indexes answered when it was read.
    pub indexes: Indexes,
    /// The listing problems found while reading that the maps above cannot show: a listing out of order, a
    /// ledger entry or hold listed by a customer it does not name, or by two customers.
    /// ([`check`](super::check) finds the others — a book's copies out of order or of another book, a copy
    /// listed twice — in [`Snapshot::book_copies`] itself.)
    pub listing: Vec<Problem>,
}

/// What a store's indexes answered when a [`Snapshot`] was read, for [`check`](super::check) to compare with its
/// records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Indexes {
    /// The open rentals' ids, as `Storage::active_rentals` lists them.
    pub open_rentals: Vec<RentalId>,
    /// Each customer's rental ids, as `Storage::customer_rentals` lists them, by customer id.
    pub customer_rentals: BTreeMap<u64, Vec<RentalId>>,
    /// The charge entry `Storage::charge_entry` finds for each rental that has one, by rental id.
    pub charge_entries: BTreeMap<u64, LedgerEntry>,
    /// `Storage::active_holds`.
    pub active_holds: Vec<Hold>,
    /// `Storage::book_holds` of each book whose queue is not empty, by book id.
    pub book_holds: BTreeMap<u64, Vec<Hold>>,
    /// The copy ids `Storage::copy` finds, probing from 1 to the largest listed + 16.
    pub copies_found: BTreeSet<u64>,
    /// The hold ids `Storage::hold` finds, probing from 1 to the largest listed + 16.
    pub holds_found: BTreeSet<u64>,
    /// The positions the feed by type lists under each type (`Storage::events_of_types_after` of that type
    /// alone, page by page), for every type it lists any under.
    pub events_by_type: BTreeMap<EventKind, Vec<u64>>,
}

/// How far past the largest listed id the check probes for records no listing shows.
pub(super) const PROBE_BEYOND: u64 = 16;

/// Reads a listing into `into`, noting ids out of order or listed twice.
fn read_listing<T>(
    listing: Listing,
    records: impl Iterator<Item = Result<T>>,
    id_and_owner: impl Fn(&T) -> (u64, u64),
    into: &mut BTreeMap<u64, T>,
    problems: &mut Vec<Problem>,
) -> Result<()> {
    let mut order = InOrder::new(listing);
    for record in records {
        let record = record?;
        let (id, owner) = id_and_owner(&record);
        problems.extend(order.next(id));
        problems.extend(owner_problem(listing, id, owner));
        if into.insert(id, record).is_some() {
            problems.push(Problem::ListedTwice {
                record: listing.record(),
                id,
            });
        }
    }
    Ok(())
}

impl Snapshot {
    /// Reads every record of `storage` and what its indexes answer, through the public [`Storage`] reads.
    /// Fails only when the store cannot be read; what is wrong with what it holds is for [`check`](super::check).
    pub fn read<S: Storage + ?Sized>(storage: &S) -> Result<Snapshot> {
        let mut snapshot = Snapshot {
            plans: storage.plan_versions()?,
            ..Snapshot::default()
        };
        let mut problems = Vec::new();
        read_listing(
            Listing::Books,
            storage.books()?,
            |b: &Book| (b.id.get(), 0),
            &mut snapshot.books,
            &mut problems,
        )?;
        for id in snapshot.books.values().map(|b| b.id) {
            let copies = storage.copies_of(id)?;
            snapshot
                .book_copies
                .insert(id.get(), copies.iter().map(|c| c.id.get()).collect());
            for copy in copies {
                snapshot.copies.entry(copy.id.get()).or_insert(copy);
            }
            let queue = storage.book_holds(id)?;
            if !queue.is_empty() {
                snapshot.indexes.book_holds.insert(id.get(), queue);
            }
        }
        read_listing(
            Listing::Customers,
            storage.customers()?,
            |c: &Customer| (c.id.get(), 0),
            &mut snapshot.customers,
            &mut problems,
        )?;
        for id in snapshot.customers.values().map(|c| c.id) {
            if let Some(account) = absent_as_none(storage.account(id))? {
                snapshot.accounts.insert(id.get(), account);
            }
            read_listing(
                Listing::Ledger { customer: id },
                storage.ledger(id)?,
                |e: &LedgerEntry| (e.id.get(), e.customer.get()),
                &mut snapshot.ledger,
                &mut problems,
            )?;
            let holds = storage.customer_holds(id)?.into_iter().map(|mut hold| {
                hold.position = None;
                Ok(hold)
            });
            read_listing(
                Listing::Holds { customer: id },
                holds,
                |h: &Hold| (h.id.get(), h.customer.get()),
                &mut snapshot.holds,
                &mut problems,
            )?;
            let rentals = storage
                .customer_rentals(id)?
                .map(|r| r.map(|r| r.id))
                .collect::<Result<Vec<_>>>()?;
            snapshot.indexes.customer_rentals.insert(id.get(), rentals);
        }
        read_listing(
            Listing::Rentals,
            storage.rentals()?,
            |r: &Rental| (r.id.get(), 0),
            &mut snapshot.rentals,
            &mut problems,
        )?;
        snapshot.read_indexes(storage)?;
        snapshot.listing = problems;
        Ok(snapshot)
    }

    /// The index answers that do not come with a book or a customer.
    fn read_indexes<S: Storage + ?Sized>(&mut self, storage: &S) -> Result<()> {
        let indexes = &mut self.indexes;
        indexes.open_rentals = storage
            .active_rentals()?
            .map(|r| r.map(|r| r.id))
            .collect::<Result<_>>()?;
        for id in self.rentals.keys() {
            if let Some(entry) = charge_index(storage, RentalId::new(*id))? {
                indexes.charge_entries.insert(*id, entry);
            }
        }
        indexes.active_holds = storage.active_holds()?;
        let last = |ids: Option<&u64>| ids.copied().unwrap_or(0).saturating_add(PROBE_BEYOND);
        for id in 1..=last(self.copies.keys().next_back()) {
            if absent_as_none(storage.copy(CopyId::new(id)))?.is_some() {
                indexes.copies_found.insert(id);
            }
        }
        for id in 1..=last(self.holds.keys().next_back()) {
            if absent_as_none(storage.hold(HoldId::new(id)))?.is_some() {
                indexes.holds_found.insert(id);
            }
        }
        self.read_feed(storage)
    }

    /// The feed, its counter, the checkpoints and the feed by type.
    fn read_feed<S: Storage + ?Sized>(&mut self, storage: &S) -> Result<()> {
        let key = |e: &Event| Some(e.position);
        self.events = paged(FEED_PAGE, key, |after| {
            storage.events_after(after, FEED_PAGE)
        })
        .collect::<Result<_>>()?;
        self.last_event_position = storage.last_event_position()?;
        self.checkpoints = storage.checkpoints()?;
        for kind in EventKind::ALL {
            let page = |after| storage.events_of_types_after(&[kind], after, TYPE_PAGE);
            let positions: Vec<u64> = paged(TYPE_PAGE, key, page)
                .map(|e| e.map(|e| e.position))
                .collect::<Result<_>>()?;
            if !positions.is_empty() {
                self.indexes.events_by_type.insert(kind, positions);
            }
        }
        Ok(())
    }

    /// One customer's ledger entries, in id (posting) order.
    pub fn ledger_of(&self, customer: u64) -> impl Iterator<Item = &LedgerEntry> + '_ {
        self.ledger
            .values()
            .filter(move |e| e.customer.get() == customer)
    }

    /// The `charge` entries naming `rental`, in id order (a closed rental has exactly one).
    pub fn charge_entries(&self, rental: u64) -> impl Iterator<Item = &LedgerEntry> + '_ {
        self.ledger.values().filter(move |e| {
            e.kind == EntryKind::Charge && e.rental.map(RentalId::get) == Some(rental)
        })
    }
}
