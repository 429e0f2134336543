//! A whole store read into memory, and the invariants every consistent store satisfies.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use koko_core::{
    AccountState, Book, BookStore, Copy, CopyId, CopyStatus, Customer, Decimal, EntryKind, Error,
    LedgerEntry, PlanVersion, PricePlan, Rental, RentalId, Storage,
};

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
}

/// What [`check_invariants`] looked at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InvariantStats {
    /// Rentals checked (open and closed).
    pub rentals: u64,
    /// Of which open.
    pub open: u64,
    /// Copies checked.
    pub copies: u64,
    /// Ledger entries checked (every kind).
    pub entries: u64,
    /// Of which payments.
    pub payments: u64,
    /// Renewals found on rentals (each one's instant, open rentals and closed).
    pub renewals: u64,
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
            let entries = strictly_increasing(
                &format!("ledger entries of customer {id}"),
                entries,
                |e: &LedgerEntry| e.id.get(),
            )?;
            for (entry_id, entry) in entries {
                if entry.customer.get() != *id {
                    return Err(format!(
                        "customer {id}'s ledger lists entry {entry_id}, which names customer {}",
                        entry.customer
                    ));
                }
                if let Some(other) = snapshot.ledger.insert(entry_id, entry) {
                    return Err(format!(
                        "ledger entry {entry_id} is listed by customers {} and {id}",
                        other.customer
                    ));
                }
            }
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
        }
    }

    /// The latest instant any rental (rented, renewed or returned) or ledger entry mentions, if any.
    pub fn latest_instant(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let rentals = self.rentals.values().map(|r| {
            let renewed = r.renewals.iter().max().copied().unwrap_or(r.rented_at);
            r.returned_at
                .unwrap_or(r.rented_at)
                .max(r.rented_at)
                .max(renewed)
        });
        rentals.chain(self.ledger.values().map(|e| e.at)).max()
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

/// Checks every invariant of a consistent store on `snapshot` (read from `store`), and the store's indexes
/// against it:
/// - every rental names an existing copy of its book, an existing customer and an existing plan version, with
///   the book's category;
/// - an open rental has no charge and its copy is `Rented(this rental)`; so no copy has two open rentals, and
///   every copy marked rented has exactly one open rental and vice versa;
/// - a rental's due date is its plan's due date for its rental instant, moved on by each of its renewals in turn
///   (`PricePlan::renewed_due`), its renewals are in order, no earlier than the rental, no later than its return,
///   and no more than the plan allows;
/// - a closed rental was returned no earlier than rented and has exactly one charge, equal to
///   `plan.quote_with_due(category, rented_at, due_at, returned_at)` under the plan version it was rented under,
///   with its stored due date (so late days count from the last renewal's due date);
/// - the open-rental index lists exactly the open rentals, each customer's index exactly their rentals;
/// - no copy exists outside its book's copy list (probing ids up to the largest + 16);
/// - every ledger entry names an existing customer and a non-negative amount; in each customer's ledger (id
///   order) every entry's `balance_after` is the running sum of the signed amounts, and the account's stored
///   balance is the sum of the whole ledger;
/// - every closed rental has exactly one `charge` entry, of its customer, at its return instant, for its charge's
///   total in its charge's currency, and `Storage::charge_entry` finds that entry; an open rental has none; no
///   `charge` entry lacks a rental or names one that does not exist;
/// - each account's count of open rentals is its customer's number of open rentals.
///
/// Returns what it checked, or every problem found.
pub fn check_invariants<S: Storage>(
    store: &BookStore<S>,
    snapshot: &Snapshot,
) -> Result<InvariantStats, Vec<String>> {
    let mut problems = Vec::new();
    let mut stats = InvariantStats::default();
    let mut open_by_copy: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for rental in snapshot.rentals.values() {
        stats.rentals += 1;
        let id = rental.id.get();
        match snapshot.copies.get(&rental.copy.get()) {
            None => problems.push(format!("rental {id}: copy {} does not exist", rental.copy)),
            Some(copy) if copy.book != rental.book => problems.push(format!(
                "rental {id}: copy {} belongs to book {}, the rental says book {}",
                copy.id, copy.book, rental.book
            )),
            Some(_) => {}
        }
        match snapshot.books.get(&rental.book.get()) {
            None => problems.push(format!("rental {id}: book {} does not exist", rental.book)),
            Some(book) if book.category != rental.category => problems.push(format!(
                "rental {id}: category {:?}, its book's is {:?}",
                rental.category, book.category
            )),
            Some(_) => {}
        }
        if !snapshot.customers.contains_key(&rental.customer.get()) {
            problems.push(format!(
                "rental {id}: customer {} does not exist",
                rental.customer
            ));
        }
        let plan = snapshot.plans.iter().find(|v| v.id == rental.plan_version);
        if plan.is_none() {
            problems.push(format!(
                "rental {id}: plan version {} does not exist",
                rental.plan_version
            ));
        }
        stats.renewals += rental.renewals.len() as u64;
        if let Some(version) = plan {
            if let Err(problem) = check_due_date(&version.plan, rental) {
                problems.push(format!("rental {id}: {problem}"));
            }
        }
        match (rental.returned_at, &rental.charge) {
            (None, None) => {
                stats.open += 1;
                open_by_copy.entry(rental.copy.get()).or_default().push(id);
            }
            (None, Some(_)) => problems.push(format!("rental {id}: open but charged")),
            (Some(_), None) => problems.push(format!("rental {id}: closed without a charge")),
            (Some(returned_at), Some(charge)) => {
                if returned_at < rental.rented_at {
                    problems.push(format!(
                        "rental {id}: returned at {returned_at}, before it was rented at {}",
                        rental.rented_at
                    ));
                }
                if let Some(version) = plan {
                    match version.plan.quote_with_due(
                        &rental.category,
                        rental.rented_at,
                        rental.due_at,
                        returned_at,
                    ) {
                        Ok(quote) if &quote == charge => {}
                        Ok(quote) => problems.push(format!(
                            "rental {id}: charged {} ({} days), the quote for its times and due date {:?} is {} \
                             ({} days)",
                            charge.total, charge.days, rental.due_at, quote.total, quote.days
                        )),
                        Err(e) => {
                            problems.push(format!("rental {id}: its times cannot be quoted: {e}"))
                        }
                    }
                }
            }
        }
    }
    for copy in snapshot.copies.values() {
        stats.copies += 1;
        let id = copy.id.get();
        let open = open_by_copy.get(&id).map(Vec::as_slice).unwrap_or_default();
        match copy.status {
            CopyStatus::Rented(rental) => {
                if open != [rental.get()] {
                    problems.push(format!(
                        "copy {id} is marked rented under rental {rental}, its open rentals are {open:?}"
                    ));
                }
            }
            CopyStatus::Available
            | CopyStatus::Withdrawn
            | CopyStatus::OnHold(_)
            | CopyStatus::Lost(_) => {
                if !open.is_empty() {
                    problems.push(format!(
                        "copy {id} is {:?} but has open rentals {open:?}",
                        copy.status
                    ));
                }
            }
        }
    }
    for (copy, open) in &open_by_copy {
        if open.len() > 1 {
            problems.push(format!(
                "copy {copy} has {} open rentals: {open:?}",
                open.len()
            ));
        }
    }
    check_ledger(snapshot, &mut stats, &mut problems);
    check_indexes(store, snapshot, &mut problems);
    if problems.is_empty() {
        Ok(stats)
    } else {
        Err(problems)
    }
}

/// A rental's due date and renewals against its plan: the due date for its rental instant, moved on by each
/// renewal in turn; renewals in order, within the rental's time, no more than the plan allows.
fn check_due_date(plan: &PricePlan, rental: &Rental) -> Result<(), String> {
    let mut due = plan
        .due_at(&rental.category, rental.rented_at)
        .map_err(|e| format!("its due date cannot be worked out: {e}"))?;
    let mut last = rental.rented_at;
    for (renewed, at) in rental.renewals.iter().enumerate() {
        if *at < last || rental.returned_at.is_some_and(|returned| *at > returned) {
            return Err(format!(
                "renewal {renewed} at {at} is out of order (rented at {}, returned at {:?}, renewals {:?})",
                rental.rented_at, rental.returned_at, rental.renewals
            ));
        }
        last = *at;
        let Some(before) = due else {
            return Err(format!(
                "renewed at {at}, but its category {:?} has no loan period",
                rental.category
            ));
        };
        due = Some(
            plan.renewed_due(&rental.category, before, *at, renewed)
                .map_err(|e| format!("renewal {renewed} at {at} is refused by its plan: {e}"))?,
        );
    }
    if due != rental.due_at {
        return Err(format!(
            "due at {:?}; its plan and renewals {:?} say {due:?}",
            rental.due_at, rental.renewals
        ));
    }
    Ok(())
}

/// The ledger and account invariants of [`check_invariants`].
fn check_ledger(snapshot: &Snapshot, stats: &mut InvariantStats, problems: &mut Vec<String>) {
    let mut running: BTreeMap<u64, Decimal> = BTreeMap::new();
    let mut charges: BTreeMap<u64, Vec<&LedgerEntry>> = BTreeMap::new();
    for (id, entry) in &snapshot.ledger {
        stats.entries += 1;
        let customer = entry.customer.get();
        if !snapshot.customers.contains_key(&customer) {
            problems.push(format!(
                "ledger entry {id}: customer {customer} does not exist"
            ));
        }
        if entry.amount < Decimal::ZERO {
            problems.push(format!(
                "ledger entry {id}: negative amount {}",
                entry.amount
            ));
        }
        let sum = running.entry(customer).or_insert(Decimal::ZERO);
        match sum.checked_add(entry.signed_amount()) {
            Some(next) => {
                *sum = next;
                if entry.balance_after != next {
                    problems.push(format!(
                        "ledger entry {id} ({} of {}) of customer {customer}: balance after {}, the running sum \
                         of the ledger is {next}",
                        entry.kind.name(),
                        entry.amount,
                        entry.balance_after
                    ));
                }
            }
            None => problems.push(format!(
                "ledger entry {id} of customer {customer}: the running sum overflows"
            )),
        }
        match (entry.kind, entry.rental) {
            (EntryKind::Charge, Some(rental)) => {
                charges.entry(rental.get()).or_default().push(entry)
            }
            (EntryKind::Charge, None) => {
                problems.push(format!("ledger entry {id}: a charge without a rental"))
            }
            (EntryKind::Payment, _) => stats.payments += 1,
            _ => {}
        }
    }
    for customer in snapshot.customers.keys() {
        let sum = running.get(customer).copied().unwrap_or(Decimal::ZERO);
        match snapshot.accounts.get(customer) {
            None => problems.push(format!("customer {customer} has no account")),
            Some(account) if account.balance != sum => problems.push(format!(
                "customer {customer}: stored balance {}, the ledger sums to {sum}",
                account.balance
            )),
            Some(_) => {}
        }
    }
    let mut open_counts: BTreeMap<u64, u64> = BTreeMap::new();
    for rental in snapshot.rentals.values() {
        let id = rental.id.get();
        let posted = charges.remove(&id).unwrap_or_default();
        let entry_ids: Vec<u64> = posted.iter().map(|e| e.id.get()).collect();
        match rental.returned_at {
            None => {
                *open_counts.entry(rental.customer.get()).or_default() += 1;
                if !posted.is_empty() {
                    problems.push(format!(
                        "rental {id}: open, yet charged by ledger entries {entry_ids:?}"
                    ));
                }
            }
            Some(returned_at) => match (posted.as_slice(), &rental.charge) {
                ([entry], Some(charge)) => {
                    if entry.amount != charge.total
                        || entry.currency != charge.currency
                        || entry.customer != rental.customer
                        || entry.at != returned_at
                    {
                        problems.push(format!(
                            "rental {id} (customer {}, returned at {returned_at}, charged {} {}): its charge entry \
                             {} is {} {} to customer {} at {}",
                            rental.customer,
                            charge.total,
                            charge.currency,
                            entry.id,
                            entry.amount,
                            entry.currency,
                            entry.customer,
                            entry.at
                        ));
                    }
                }
                // A closed rental without a charge is reported above.
                ([_], None) => {}
                _ => problems.push(format!(
                    "rental {id}: closed, with {} charge entries {entry_ids:?} (exactly one expected)",
                    posted.len()
                )),
            },
        }
    }
    for (rental, posted) in charges {
        let entry_ids: Vec<u64> = posted.iter().map(|e| e.id.get()).collect();
        problems.push(format!(
            "ledger entries {entry_ids:?} charge rental {rental}, which does not exist"
        ));
    }
    for (customer, account) in &snapshot.accounts {
        let open = open_counts.get(customer).copied().unwrap_or(0);
        if account.open_rentals != open {
            problems.push(format!(
                "customer {customer}'s account counts {} open rentals, they have {open}",
                account.open_rentals
            ));
        }
    }
}

fn check_indexes<S: Storage>(
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
