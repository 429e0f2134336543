//! The invariants every consistent store satisfies, checked through the public [`Storage`] reads: what
//! `koko check` runs, and what the crash and disk-full harness proves after every kill.
//!
//! ```
//! use koko_core::check::{self, Snapshot};
//! use koko_core::{BookStore, NewBook, NewCustomer, PricePlan};
//!
//! let store = BookStore::in_memory(PricePlan::story3()).unwrap();
//! let book = store.add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 2).unwrap();
//! let ada = store.register_customer(&NewCustomer::new("Ada", "Lovelace")).unwrap();
//! let rental = store.rent_book(ada.id, book.id).unwrap();
//! store.return_rental(rental.id).unwrap();
//!
//! // Streamed from the store: counts and problems.
//! let report = check::check_storage(store.storage(), &mut |_| {}).unwrap();
//! assert!(report.problems.is_empty());
//! assert_eq!((report.stats.copies, report.stats.rentals, report.stats.entries), (2, 1, 1));
//!
//! // A snapshot, damaged: the check names the copy and the rental.
//! let mut snapshot = Snapshot::read(store.storage()).unwrap();
//! snapshot.rentals.get_mut(&rental.id.get()).unwrap().returned_at = None;
//! let problems = check::check(&snapshot).unwrap_err();
//! assert!(problems.iter().any(|p| p.to_string()
//!     == format!("open rental {} holds copy {}, which is not marked rented under it", rental.id, rental.copy)));
//! ```
//!
//! # What is checked
//!
//! Every rule lives in the file named for its subject; each broken one is a [`Problem`] naming the records, of
//! one [`Family`]:
//!
//! | family | file | the rules |
//! |---|---|---|
//! | [`Family::Listing`] | `listing.rs` | listings in strictly increasing id order; each copy, ledger entry and hold listed once, by the book or customer it names |
//! | [`Family::Rentals`] | `rentals.rs` | a rental's copy, book, customer and plan version exist; its due date and renewals follow from its plan; its charge is its quote |
//! | [`Family::Copies`] | `rentals.rs` | one open rental per rented copy and the other way round |
//! | [`Family::Ledger`] | `ledger.rs` | no negative amount; running balances; stored balances; open rentals counted by each account |
//! | [`Family::Charges`] | `rentals.rs` | one charge entry per closed rental, of its charge, at its return; none for an open one |
//! | [`Family::Holds`] | `holds.rs` | a copy set aside exactly for the ready hold naming it; no hold waiting while a copy is on the shelf; fields fit the status; one active hold per customer and book; fulfilments |
//! | [`Family::Lost`] | `lost.rs` | lost copies and rentals; replacement fees posted; a found copy's credit exactly when the plan gives one |
//! | [`Family::Indexes`] | `indexes.rs` | open rentals, customers' rentals, charge entries, hold queues and records by id, each as the records say |
//! | [`Family::Events`] | `events.rs` | the feed's positions consecutive, ids from positions, the counter of positions given at the last event, checkpoints not past it, the feed by type exactly the feed |
//!
//! # Streaming, and the snapshot
//!
//! [`check_storage`] streams the store: it reads each listing once (books with their copies and queues,
//! customers with their accounts, ledgers and holds, rentals with their charge entries, then the indexes) and
//! keeps only what a later rule needs — ids, each copy's book and status (48 bytes a copy), each rental's
//! customer (16 bytes), each charge entry's amount, customer, instant and a fingerprint (72 bytes), the fees and
//! credits naming a rental, the waiting and ready holds; the event feed is read a page at a time beside a page
//! of each type's range of the feed by type, nothing of it kept. A [`Snapshot`] keeps every record whole:
//! titles, quotes with their lines, notes. Measured with a counting allocator on a memory store (release
//! build): for the 100,000 books and 150,000 copies `koko check`'s own test imports, the streaming check peaks at
//! 21 MB, a snapshot at 46 MB plus the same 21 MB to check it; for 200,000 rentals (180,000 closed, with their
//! charge entries), 39 MB against 188 MB plus 42 MB. The gap grows with the history a store keeps, and `koko
//! check` runs on the largest stores there are, so `koko check` streams.
//!
//! A [`Snapshot`] ([`Snapshot::read`]) holds the whole store — records, the feed, index answers — and [`check`]
//! runs the same pass over it. It is for harnesses that compare a store with what they expect and for tests that
//! damage a store on purpose (a snapshot's fields are public). A store and its snapshot break the same invariants,
//! reported alike — but for a ledger entry or hold listed by a customer it does not name, which a snapshot files
//! under the customer it names.
//!
//! Neither pauses writes: run a check on a store nothing writes to, or expect problems made of records read
//! before and after a write.

#![forbid(unsafe_code)]

mod catalogue;
mod describe;
mod events;
mod family;
mod holds;
mod indexes;
mod ledger;
mod listing;
mod lost;
mod pages;
mod problem;
mod reads;
mod record;
mod rentals;
mod snapshot;
mod source;
mod stats;
mod walk;

use std::convert::Infallible;

pub use family::Family;
pub use problem::Problem;
pub use record::{Listing, Record};
pub use snapshot::{Indexes, Snapshot};
pub use stats::{CheckStats, Report};
pub use walk::Step;

use crate::error::Result;
use crate::storage::Storage;
use source::{SnapshotSource, StorageSource};

/// Checks every invariant on a store, streaming it through its public reads (see the [module](self) for why it
/// streams); `progress` is called once per book, customer and rental read. Fails only when the store cannot be
/// read; the problems found are in the [`Report`].
pub fn check_storage<S: Storage + ?Sized>(
    storage: &S,
    progress: &mut dyn FnMut(Step),
) -> Result<Report> {
    walk::walk(&StorageSource(storage), progress)
}

/// Checks every invariant on a [`Snapshot`]: the counts when all hold, else every problem.
pub fn check(snapshot: &Snapshot) -> std::result::Result<CheckStats, Vec<Problem>> {
    let outcome: std::result::Result<Report, Infallible> =
        walk::walk(&SnapshotSource::new(snapshot), &mut |_| {});
    match outcome {
        Ok(report) => report.into_result(),
        Err(never) => match never {},
    }
}
