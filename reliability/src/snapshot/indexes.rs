//! The store's indexes (open rentals, each customer's rentals, charge entries, copies) against a [`Snapshot`].

use std::collections::{BTreeMap, BTreeSet};

use koko_core::{BookStore, CopyId, EntryKind, Error, LedgerEntry, Storage};

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
    let probe_to = snapshot.max_ids().copy + 16;
    for id in 1..=probe_to {
        match store.storage().copy(CopyId::new(id)) {
            Ok(copy) if !snapshot.copies.contains_key(&id) => problems.push(format!(
                "copy {id} exists (of book {}) but no book lists it",
                copy.book
            )),
            Ok(_) => {}
            Err(Error::NotFound { .. }) if snapshot.copies.contains_key(&id) => {
                problems.push(format!("copy {id} is listed by its book but not found"))
            }
            Err(Error::NotFound { .. }) => {}
            Err(e) => problems.push(format!("reading copy {id}: {} ({e})", e.kind())),
        }
    }
}

fn symmetric_difference(a: &[u64], b: &[u64]) -> Vec<u64> {
    let a: BTreeSet<u64> = a.iter().copied().collect();
    let b: BTreeSet<u64> = b.iter().copied().collect();
    a.symmetric_difference(&b).copied().take(10).collect()
}
