//! A whole store read into memory ([`koko_core::check::Snapshot`]), checked by [`koko_core::check::check`], and
//! what the harness asks of a snapshot besides: the largest ids, the latest instant, and the differences between
//! the store expected from a log and the store found ([`koko_model::diff`]).

use chrono::{DateTime, Duration, Utc};
pub use koko_core::check::{check, CheckStats, Problem, Snapshot};
use koko_core::{BookStore, Storage, DEFAULT_PICKUP_DAYS};

/// Reads every record of `store` ([`Snapshot::read`]), a read failure told as the harness reports it.
pub fn read<S: Storage>(store: &BookStore<S>) -> Result<Snapshot, String> {
    Snapshot::read(store.storage()).map_err(|e| format!("reading the store: {} ({e})", e.kind()))
}

/// The largest id of each kind in a snapshot (0 when there is none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaxIds {
    /// Largest book id.
    pub book: u64,
    /// Largest copy id.
    pub copy: u64,
    /// Largest customer id.
    pub customer: u64,
    /// Largest rental id.
    pub rental: u64,
    /// Largest ledger entry id.
    pub entry: u64,
    /// Largest hold id.
    pub hold: u64,
}

/// What the harness asks of a [`Snapshot`] besides its records.
pub trait SnapshotExt {
    /// The largest id of each kind.
    fn max_ids(&self) -> MaxIds;
    /// The latest instant any rental (rented, renewed or returned), ledger entry or hold (placed, set aside,
    /// closed) mentions, if any.
    fn latest_instant(&self) -> Option<DateTime<Utc>>;
    /// Every difference between `self` (expected) and `actual`, one line each (empty when equal): the records only,
    /// compared by [`koko_model::diff`] (what the indexes answered is for the check).
    fn diff(&self, actual: &Snapshot) -> Vec<String>;
}

impl SnapshotExt for Snapshot {
    fn max_ids(&self) -> MaxIds {
        let last = |keys: Option<&u64>| keys.copied().unwrap_or(0);
        MaxIds {
            book: last(self.books.keys().next_back()),
            copy: last(self.copies.keys().next_back()),
            customer: last(self.customers.keys().next_back()),
            rental: last(self.rentals.keys().next_back()),
            entry: last(self.ledger.keys().next_back()),
            hold: last(self.holds.keys().next_back()),
        }
    }

    fn latest_instant(&self) -> Option<DateTime<Utc>> {
        let rentals = self.rentals.values().map(|r| {
            let renewed = r.renewals.iter().max().copied().unwrap_or(r.rented_at);
            r.returned_at
                .unwrap_or(r.rented_at)
                .max(r.rented_at)
                .max(renewed)
        });
        let holds = self.holds.values().map(|h| {
            let set_aside = h.ready_until.map(|until| set_aside_at(self, until));
            h.placed_at
                .max(h.closed_at.unwrap_or(h.placed_at))
                .max(set_aside.unwrap_or(h.placed_at))
        });
        rentals
            .chain(self.ledger.values().map(|e| e.at))
            .chain(holds)
            .max()
    }

    fn diff(&self, actual: &Snapshot) -> Vec<String> {
        koko_model::diff(self, actual)
    }
}

/// When a copy that waits until `ready_until` was set aside: the pickup days (`holds.pickup_days`) before it of the
/// plan in force at `ready_until` (the latest version to start at or before it; exact while a store has one plan).
fn set_aside_at(snapshot: &Snapshot, ready_until: DateTime<Utc>) -> DateTime<Utc> {
    let days = snapshot
        .plans
        .iter()
        .filter(|v| v.effective_from <= ready_until)
        .max_by_key(|v| (v.effective_from, v.id))
        .map_or(DEFAULT_PICKUP_DAYS, |v| v.plan.holds().pickup_days);
    ready_until - Duration::days(i64::from(days))
}
