//! The store's indexes (open rentals, each customer's rentals, charge entries, copies, holds) against a [`Snapshot`].

use std::collections::{BTreeMap, BTreeSet};

use koko_core::{
    BookStore, CopyId, EntryKind, Error, Hold, HoldId, HoldStatus, LedgerEntry, Storage,
};

use super::Snapshot;

pub(super) fn check_indexes<S: Storage>(
    store: &BookStore<S>,
    snapshot: &Snapshot,
    problems: &mut Vec<String>,
) {
    let open: Vec<u64> = snapshot
        .rentals
        .values()
        .filter(|r| r.returned_at.is_none())
        .map(|r| r.id.get())
        .collect();
    match store.active_rentals().and_then(|records| {
        records
            .map(|r| r.map(|r| r.id.get()))
            .collect::<koko_core::Result<Vec<_>>>()
    }) {
        Ok(indexed) if indexed == open => {}
        Ok(indexed) => problems.push(format!(
            "the open-rental index lists {} rentals, {} are open (first differences: {:?})",
            indexed.len(),
            open.len(),
            symmetric_difference(&indexed, &open)
        )),
        Err(e) => problems.push(format!("listing open rentals: {} ({e})", e.kind())),
    }
    let mut by_customer: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for rental in snapshot.rentals.values() {
        by_customer
            .entry(rental.customer.get())
            .or_default()
            .push(rental.id.get());
    }
    for customer in snapshot.customers.values() {
        let want = by_customer
            .get(&customer.id.get())
            .map(Vec::as_slice)
            .unwrap_or_default();
        match store.customer_rentals(customer.id).and_then(|records| {
            records
                .map(|r| r.map(|r| r.id.get()))
                .collect::<koko_core::Result<Vec<_>>>()
        }) {
            Ok(indexed) if indexed == want => {}
            Ok(indexed) => problems.push(format!(
                "customer {}'s rental index lists {indexed:?}, their rentals are {want:?}",
                customer.id
            )),
            Err(e) => problems.push(format!(
                "listing customer {}'s rentals: {} ({e})",
                customer.id,
                e.kind()
            )),
        }
    }
    let mut charged: BTreeMap<u64, &LedgerEntry> = BTreeMap::new();
    for entry in snapshot.ledger.values() {
        if let (EntryKind::Charge, Some(rental)) = (entry.kind, entry.rental) {
            charged.entry(rental.get()).or_insert(entry);
        }
    }
    for rental in snapshot.rentals.values() {
        let id = rental.id.get();
        match (store.storage().charge_entry(rental.id), charged.get(&id)) {
            (Ok(None), None) => {}
            (Ok(Some(found)), Some(entry)) if &&found == entry => {}
            (Ok(found), entry) => problems.push(format!(
                "rental {id}: the charge index finds {:?}, the ledger holds {:?}",
                found.map(|e| e.id.get()),
                entry.map(|e| e.id.get())
            )),
            (Err(e), _) => problems.push(format!(
                "reading rental {id}'s charge entry: {} ({e})",
                e.kind()
            )),
        }
    }
    probe_ids(
        "copy",
        "no book lists it",
        &snapshot.copies,
        problems,
        |id| store.storage().copy(CopyId::new(id)).map(drop),
    );
    check_hold_indexes(store, snapshot, problems);
    probe_ids(
        "hold",
        "no customer lists it",
        &snapshot.holds,
        problems,
        |id| store.hold(HoldId::new(id)).map(drop),
    );
}

/// Probes ids from 1 to the largest listed + 16: every one the store finds must be `listed`, and the other way
/// round.
fn probe_ids<T>(
    what: &str,
    unlisted: &str,
    listed: &BTreeMap<u64, T>,
    problems: &mut Vec<String>,
    read: impl Fn(u64) -> koko_core::Result<()>,
) {
    let probe_to = listed.keys().next_back().copied().unwrap_or(0) + 16;
    for id in 1..=probe_to {
        match read(id) {
            Ok(()) if !listed.contains_key(&id) => {
                problems.push(format!("{what} {id} exists but {unlisted}"))
            }
            Ok(()) => {}
            Err(Error::NotFound { .. }) if listed.contains_key(&id) => {
                problems.push(format!("{what} {id} is listed but not found"))
            }
            Err(Error::NotFound { .. }) => {}
            Err(e) => problems.push(format!("reading {what} {id}: {} ({e})", e.kind())),
        }
    }
}

/// The active holds (`Storage::active_holds`) and each book's queue (`Storage::book_holds`): exactly the waiting
/// and ready holds, in id order, the waiting ones of each book numbered 1, 2, …
fn check_hold_indexes<S: Storage>(
    store: &BookStore<S>,
    snapshot: &Snapshot,
    problems: &mut Vec<String>,
) {
    let mut next: BTreeMap<u64, u32> = BTreeMap::new();
    let numbered: Vec<Hold> = snapshot
        .holds
        .values()
        .filter(|h| h.status.is_active())
        .map(|h| {
            let mut hold = h.clone();
            if hold.status == HoldStatus::Waiting {
                let position = next.entry(hold.book.get()).or_default();
                *position += 1;
                hold.position = Some(*position);
            }
            hold
        })
        .collect();
    let queue = |holds: &[Hold]| -> Vec<(u64, Option<u32>)> {
        holds.iter().map(|h| (h.id.get(), h.position)).collect()
    };
    match store.storage().active_holds() {
        Ok(listed) if listed == numbered => {}
        Ok(listed) => problems.push(format!(
            "the active holds are listed as (id, position) {:?}; the waiting and ready holds are {:?}",
            queue(&listed),
            queue(&numbered)
        )),
        Err(e) => problems.push(format!("listing the active holds: {} ({e})", e.kind())),
    }
    for book in snapshot.books.values() {
        let want: Vec<Hold> = numbered
            .iter()
            .filter(|h| h.book == book.id)
            .cloned()
            .collect();
        match store.book_holds(book.id) {
            Ok(listed) if listed == want => {}
            Ok(listed) => problems.push(format!(
                "book {}'s queue lists (id, position) {:?}; its waiting and ready holds are {:?}",
                book.id,
                queue(&listed),
                queue(&want)
            )),
            Err(e) => problems.push(format!(
                "listing book {}'s holds: {} ({e})",
                book.id,
                e.kind()
            )),
        }
    }
}

fn symmetric_difference(a: &[u64], b: &[u64]) -> Vec<u64> {
    let a: BTreeSet<u64> = a.iter().copied().collect();
    let b: BTreeSet<u64> = b.iter().copied().collect();
    a.symmetric_difference(&b).copied().take(10).collect()
}
