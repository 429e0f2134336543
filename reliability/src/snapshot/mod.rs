//! A whole store read into memory, and the invariants every consistent store satisfies.

use std::collections::BTreeMap;
use std::fmt::Debug;

use chrono::{DateTime, Duration, Utc};
use koko_core::{
    AccountState, Book, BookStore, Copy, Customer, EntryKind, Hold, LedgerEntry, PlanVersion,
    Rental, RentalId, Storage, DEFAULT_PICKUP_DAYS,
};

mod circulation;
mod indexes;
mod invariants;

pub use invariants::{check_invariants, InvariantStats};

/// Everything a store holds, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The price plan versions.
    pub plans: Vec<PlanVersion>,
    /// Books by id.
    pub books: BTreeMap<u64, Book>,
    /// Each book's copy ids, in the order the store lists them.
    pub book_copies: BTreeMap<u64, Vec<u64>>,
    /// Copies by id.
    pub copies: BTreeMap<u64, Copy>,
    /// Customers by id.
    pub customers: BTreeMap<u64, Customer>,
    /// Rentals, open and closed, by id.
    pub rentals: BTreeMap<u64, Rental>,
    /// Each customer's account (`Storage::account`: balance, manual block, open rentals), by customer id.
    pub accounts: BTreeMap<u64, AccountState>,
    /// Every customer's ledger entries (`Storage::ledger`), by entry id: one customer's ledger is the entries
    /// naming them, in id order.
    pub ledger: BTreeMap<u64, LedgerEntry>,
    /// Every customer's holds (`Storage::customer_holds`), of every status, by hold id, without their queue
    /// position (a derived field, checked against the book queues by [`check_invariants`]).
    pub holds: BTreeMap<u64, Hold>,
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

fn strictly_increasing<T>(
    what: &str,
    records: impl Iterator<Item = koko_core::Result<T>>,
    id: impl Fn(&T) -> u64,
) -> Result<BTreeMap<u64, T>, String> {
    let mut out = BTreeMap::new();
    let mut last = 0;
    for record in records {
        let record = record.map_err(|e| format!("reading {what}: {} ({e})", e.kind()))?;
        let this = id(&record);
        if this <= last {
            return Err(format!(
                "{what} listed out of order or repeated: id {this} after {last}"
            ));
        }
        last = this;
        out.insert(this, record);
    }
    Ok(out)
}

/// Adds one customer's records of a kind (ledger entries, holds) to `all`: listed in strictly increasing id order,
/// each naming that customer (`id_and_owner` gives a record's id and customer), none listed by another customer.
fn add_customer_records<T>(
    what: &str,
    customer: u64,
    records: impl Iterator<Item = koko_core::Result<T>>,
    id_and_owner: impl Fn(&T) -> (u64, u64),
    all: &mut BTreeMap<u64, T>,
) -> Result<(), String> {
    let listed = strictly_increasing(
        &format!("{what}s of customer {customer}"),
        records,
        |r: &T| id_and_owner(r).0,
    )?;
    for (id, record) in listed {
        let owner = id_and_owner(&record).1;
        if owner != customer {
            return Err(format!(
                "customer {customer} lists {what} {id}, which names customer {owner}"
            ));
        }
        if let Some(other) = all.insert(id, record) {
            return Err(format!(
                "{what} {id} is listed by customers {} and {customer}",
                id_and_owner(&other).1
            ));
        }
    }
    Ok(())
}

impl Snapshot {
    /// Reads every record of `store`. Listing order must be strictly increasing ids (so ids are unique), and each
    /// copy must belong to exactly one book.
    pub fn read<S: Storage>(store: &BookStore<S>) -> Result<Snapshot, String> {
        let mut snapshot = Snapshot {
            plans: store.plan_versions(),
            ..Snapshot::default()
        };
        let books = store
            .books()
            .map_err(|e| format!("listing books: {} ({e})", e.kind()))?;
        snapshot.books = strictly_increasing("books", books, |b: &Book| b.id.get())?;
        for id in snapshot.books.keys() {
            let copies = store
                .copies(koko_core::BookId::new(*id))
                .map_err(|e| format!("copies of book {id}: {} ({e})", e.kind()))?;
            let mut ids = Vec::with_capacity(copies.len());
            for copy in copies {
                if copy.book.get() != *id {
                    return Err(format!(
                        "book {id} lists copy {} which belongs to book {}",
                        copy.id, copy.book
                    ));
                }
                ids.push(copy.id.get());
                if let Some(other) = snapshot.copies.insert(copy.id.get(), copy) {
                    return Err(format!(
                        "copy {} is listed by books {} and {id}",
                        other.id, other.book
                    ));
                }
            }
            snapshot.book_copies.insert(*id, ids);
        }
        let customers = store
            .customers()
            .map_err(|e| format!("listing customers: {} ({e})", e.kind()))?;
        snapshot.customers =
            strictly_increasing("customers", customers, |c: &Customer| c.id.get())?;
        let rentals = store
            .rentals()
            .map_err(|e| format!("listing rentals: {} ({e})", e.kind()))?;
        snapshot.rentals = strictly_increasing("rentals", rentals, |r: &Rental| r.id.get())?;
        for id in snapshot.customers.keys() {
            let customer = koko_core::CustomerId::new(*id);
            let account = store
                .storage()
                .account(customer)
                .map_err(|e| format!("account of customer {id}: {} ({e})", e.kind()))?;
            snapshot.accounts.insert(*id, account);
            let entries = store
                .storage()
                .ledger(customer)
                .map_err(|e| format!("ledger of customer {id}: {} ({e})", e.kind()))?;
            let mut ledger = std::mem::take(&mut snapshot.ledger);
            add_customer_records(
                "ledger entry",
                *id,
                entries,
                |e: &LedgerEntry| (e.id.get(), e.customer.get()),
                &mut ledger,
            )?;
            snapshot.ledger = ledger;
            let holds = store
                .customer_holds(customer)
                .map_err(|e| format!("holds of customer {id}: {} ({e})", e.kind()))?;
            let holds = holds.into_iter().map(|mut hold| {
                hold.position = None;
                Ok(hold)
            });
            add_customer_records(
                "hold",
                *id,
                holds,
                |h: &Hold| (h.id.get(), h.customer.get()),
                &mut snapshot.holds,
            )?;
        }
        Ok(snapshot)
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

    /// The store's currency (its first plan version's), if it has a plan.
    pub fn currency(&self) -> Option<koko_core::Currency> {
        self.plans
            .iter()
            .min_by_key(|v| v.id)
            .map(|v| v.plan.currency())
    }

    /// The largest id of each kind.
    pub fn max_ids(&self) -> MaxIds {
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

    /// The latest instant any rental (rented, renewed or returned), ledger entry or hold (placed, set aside,
    /// closed) mentions, if any.
    pub fn latest_instant(&self) -> Option<DateTime<Utc>> {
        let rentals = self.rentals.values().map(|r| {
            let renewed = r.renewals.iter().max().copied().unwrap_or(r.rented_at);
            r.returned_at
                .unwrap_or(r.rented_at)
                .max(r.rented_at)
                .max(renewed)
        });
        let holds = self.holds.values().map(|h| {
            let set_aside = h.ready_until.map(|until| self.set_aside_at(until));
            h.placed_at
                .max(h.closed_at.unwrap_or(h.placed_at))
                .max(set_aside.unwrap_or(h.placed_at))
        });
        rentals
            .chain(self.ledger.values().map(|e| e.at))
            .chain(holds)
            .max()
    }

    /// The plan version in force at `at` (the latest to start at or before it), if any.
    pub fn plan_in_force(&self, at: DateTime<Utc>) -> Option<&PlanVersion> {
        self.plans
            .iter()
            .filter(|v| v.effective_from <= at)
            .max_by_key(|v| (v.effective_from, v.id))
    }

    /// How many days a copy set aside at `at` waits: `holds.pickup_days` of the plan in force then.
    pub fn pickup_days(&self, at: DateTime<Utc>) -> u32 {
        self.plan_in_force(at)
            .map_or(DEFAULT_PICKUP_DAYS, |v| v.plan.holds().pickup_days)
    }

    /// When a copy that waits until `ready_until` was set aside (the pickup period before it, under the plan in
    /// force at `ready_until`: exact while a store has one plan).
    fn set_aside_at(&self, ready_until: DateTime<Utc>) -> DateTime<Utc> {
        ready_until - Duration::days(i64::from(self.pickup_days(ready_until)))
    }

    /// Every difference between `self` (expected) and `actual`, one line each (empty when equal).
    pub fn diff(&self, actual: &Snapshot) -> Vec<String> {
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
