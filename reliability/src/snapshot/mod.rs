//! A whole store read into memory ([`koko_core::check::Snapshot`]), checked by [`koko_core::check::check`], and
//! what the harness asks of a snapshot besides: the largest ids, the latest instant, the plan in force, and the
//! differences between the store expected from a log and the store found.

use std::collections::BTreeMap;
use std::fmt::Debug;

use chrono::{DateTime, Duration, Utc};
pub use koko_core::check::{check, CheckStats, Problem, Snapshot};
use koko_core::{BookStore, PlanVersion, Storage, DEFAULT_PICKUP_DAYS};

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
    /// The store's currency (its first plan version's), if it has a plan.
    fn currency(&self) -> Option<koko_core::Currency>;
    /// The largest id of each kind.
    fn max_ids(&self) -> MaxIds;
    /// The latest instant any rental (rented, renewed or returned), ledger entry or hold (placed, set aside,
    /// closed) mentions, if any.
    fn latest_instant(&self) -> Option<DateTime<Utc>>;
    /// The plan version in force at `at` (the latest to start at or before it), if any.
    fn plan_in_force(&self, at: DateTime<Utc>) -> Option<&PlanVersion>;
    /// How many days a copy set aside at `at` waits: `holds.pickup_days` of the plan in force then.
    fn pickup_days(&self, at: DateTime<Utc>) -> u32;
    /// Every difference between `self` (expected) and `actual`, one line each (empty when equal). The records
    /// only: what the indexes answered is for the check.
    fn diff(&self, actual: &Snapshot) -> Vec<String>;
}

impl SnapshotExt for Snapshot {
    fn currency(&self) -> Option<koko_core::Currency> {
        self.plans
            .iter()
            .min_by_key(|v| v.id)
            .map(|v| v.plan.currency())
    }

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

    fn plan_in_force(&self, at: DateTime<Utc>) -> Option<&PlanVersion> {
        self.plans
            .iter()
            .filter(|v| v.effective_from <= at)
            .max_by_key(|v| (v.effective_from, v.id))
    }

    fn pickup_days(&self, at: DateTime<Utc>) -> u32 {
        self.plan_in_force(at)
            .map_or(DEFAULT_PICKUP_DAYS, |v| v.plan.holds().pickup_days)
    }

    fn diff(&self, actual: &Snapshot) -> Vec<String> {
        let mut out = Vec::new();
        if self.plans != actual.plans {
            out.push(format!(
                "plan versions: expected {:?}, found {:?}",
                ids(self.plans.iter().map(|p| p.id.get())),
                ids(actual.plans.iter().map(|p| p.id.get()))
            ));
        }
        diff_maps("book", &self.books, &actual.books, &mut out);
        diff_maps(
            "copy list of book",
            &self.book_copies,
            &actual.book_copies,
            &mut out,
        );
        diff_maps("copy", &self.copies, &actual.copies, &mut out);
        diff_maps("customer", &self.customers, &actual.customers, &mut out);
        diff_maps("rental", &self.rentals, &actual.rentals, &mut out);
        diff_maps(
            "account of customer",
            &self.accounts,
            &actual.accounts,
            &mut out,
        );
        diff_maps("ledger entry", &self.ledger, &actual.ledger, &mut out);
        diff_maps("hold", &self.holds, &actual.holds, &mut out);
        out
    }
}

/// When a copy that waits until `ready_until` was set aside (the pickup period before it, under the plan in force
/// at `ready_until`: exact while a store has one plan).
fn set_aside_at(snapshot: &Snapshot, ready_until: DateTime<Utc>) -> DateTime<Utc> {
    ready_until - Duration::days(i64::from(snapshot.pickup_days(ready_until)))
}

fn ids(ids: impl Iterator<Item = u64>) -> Vec<u64> {
    ids.collect()
}

fn diff_maps<T: PartialEq + Debug>(
    what: &str,
    expected: &BTreeMap<u64, T>,
    actual: &BTreeMap<u64, T>,
    out: &mut Vec<String>,
) {
    for (id, want) in expected {
        match actual.get(id) {
            None => out.push(format!("{what} {id}: expected {want:?}, missing")),
            Some(got) if got != want => {
                out.push(format!("{what} {id}: expected {want:?}, found {got:?}"))
            }
            Some(_) => {}
        }
    }
    for (id, got) in actual {
        if !expected.contains_key(id) {
            out.push(format!("{what} {id}: not expected, found {got:?}"));
        }
    }
}
