//! `koko check`: verifies a store's invariants through its public reads — one open rental per rented copy and
//! vice versa, every closed rental charged exactly its quote, ids in order, every ledger adding up to its balance
//! with one charge per closed rental, and copies set aside exactly for the ready holds that name them.

use std::collections::{BTreeMap, BTreeSet};

use koko_core::{CopyStatus, Decimal, EntryKind, HoldStatus, RentalId, Storage};

use crate::import::progress;
use crate::store::Store;

/// What a check found.
pub(crate) struct Report {
    books: u64,
    copies: u64,
    customers: u64,
    rentals: u64,
    entries: u64,
    pub(crate) problems: Vec<String>,
}

impl Report {
    pub(crate) fn summary(&self) -> String {
        format!(
            "checked {} books, {} copies, {} customers, {} rentals, {} ledger entries: {}",
            self.books,
            self.copies,
            self.customers,
            self.rentals,
            self.entries,
            match self.problems.len() {
                0 => "no problem".to_owned(),
                n => format!("{n} problems"),
            }
        )
    }
}

/// Ids must come in strictly increasing order.
fn in_order(what: &str, previous: &mut u64, id: u64, problems: &mut Vec<String>) {
    if id <= *previous {
        problems.push(format!("{what} {id} is listed after {what} {previous}"));
    }
    *previous = id;
}

pub(crate) fn run(store: &Store, shown: bool) -> Result<Report, Box<dyn std::error::Error>> {
    let storage = store.storage();
    let mut r = Report {
        books: 0,
        copies: 0,
        customers: 0,
        rentals: 0,
        entries: 0,
        problems: Vec::new(),
    };
    // Copies: which rental or hold each names.
    let mut rented: BTreeMap<u64, RentalId> = BTreeMap::new();
    let mut on_hold: BTreeMap<u64, u64> = BTreeMap::new();
    let mut shelf_books: BTreeSet<u64> = BTreeSet::new();
    let mut last = 0;
    for book in storage.books()? {
        let book = book?;
        r.books += 1;
        in_order("book", &mut last, book.id.get(), &mut r.problems);
        for copy in storage.copies_of(book.id)? {
            r.copies += 1;
            if copy.book != book.id {
                r.problems.push(format!(
                    "copy {} of book {} names book {}",
                    copy.id, book.id, copy.book
                ));
            }
            match copy.status {
                CopyStatus::Rented(rental) => {
                    rented.insert(copy.id.get(), rental);
                }
                CopyStatus::OnHold(hold) => {
                    on_hold.insert(copy.id.get(), hold.get());
                }
                CopyStatus::Available => {
                    shelf_books.insert(book.id.get());
                }
                CopyStatus::Withdrawn | CopyStatus::Lost(_) => {}
            }
        }
    }
    // Rentals: each open one holds its copy; each closed one was charged its quote.
    let versions: BTreeMap<u64, koko_core::PricePlan> = storage
        .plan_versions()?
        .into_iter()
        .map(|v| (v.id.get(), v.plan))
        .collect();
    let bar = progress(0, shown, "checking rentals");
    let mut open: BTreeMap<u64, RentalId> = BTreeMap::new();
    let mut charges: BTreeMap<RentalId, Decimal> = BTreeMap::new();
    last = 0;
    for rental in storage.rentals()? {
        let rental = rental?;
        r.rentals += 1;
        bar.inc(1);
        in_order("rental", &mut last, rental.id.get(), &mut r.problems);
        match (&rental.returned_at, &rental.charge) {
            (None, _) => {
                if let Some(other) = open.insert(rental.copy.get(), rental.id) {
                    r.problems.push(format!(
                        "copy {} has two open rentals, {other} and {}",
                        rental.copy, rental.id
                    ));
                }
                if rented.get(&rental.copy.get()) != Some(&rental.id) {
                    r.problems.push(format!(
                        "open rental {} holds copy {}, which is not marked rented under it",
                        rental.id, rental.copy
                    ));
                }
            }
            (Some(returned), Some(charge)) => {
                let quote = versions.get(&rental.plan_version.get()).map(|plan| {
                    plan.quote_with_due(
                        &rental.category,
                        rental.rented_at,
                        rental.due_at,
                        *returned,
                    )
                });
                match quote {
                    Some(Ok(quote)) if quote == *charge => {}
                    Some(Ok(quote)) => r.problems.push(format!(
                        "rental {} was charged {} but its quote is {}",
                        rental.id, charge.total, quote.total
                    )),
                    Some(Err(err)) => r
                        .problems
                        .push(format!("rental {} cannot be quoted: {err}", rental.id)),
                    None => r.problems.push(format!(
                        "rental {} names plan version {}, which does not exist",
                        rental.id, rental.plan_version
                    )),
                }
                charges.insert(rental.id, charge.total);
            }
            (Some(_), None) => r
                .problems
                .push(format!("closed rental {} has no charge", rental.id)),
        }
    }
    bar.finish_and_clear();
    for (copy, rental) in &rented {
        if open.get(copy) != Some(rental) {
            r.problems.push(format!(
                "copy {copy} is marked rented under rental {rental}, which is not open on it"
            ));
        }
    }
    // Holds: a copy is set aside exactly for the ready hold that names it; no hold waits while a copy of its book
    // is on the shelf.
    let mut naming: BTreeMap<u64, u64> = BTreeMap::new();
    for hold in storage.active_holds()? {
        match (hold.status, hold.copy) {
            (HoldStatus::Ready, Some(copy)) => {
                naming.insert(copy.get(), hold.id.get());
            }
            (HoldStatus::Waiting, _) if shelf_books.contains(&hold.book.get()) => {
                r.problems.push(format!(
                    "hold {} waits for book {} while a copy of it is on the shelf",
                    hold.id, hold.book
                ))
            }
            _ => {}
        }
    }
    if naming != on_hold {
        r.problems.push(format!(
            "copies set aside {on_hold:?} differ from the ready holds naming them {naming:?}"
        ));
    }
    // Ledgers: entries add up to the balance; one charge per closed rental, equal to its charge.
    let mut charged: BTreeMap<RentalId, Decimal> = BTreeMap::new();
    last = 0;
    for customer in storage.customers()? {
        let customer = customer?;
        r.customers += 1;
        in_order("customer", &mut last, customer.id.get(), &mut r.problems);
        let mut sum = Decimal::ZERO;
        for entry in storage.ledger(customer.id)? {
            let entry = entry?;
            r.entries += 1;
            sum += entry.signed_amount();
            if entry.balance_after != sum {
                r.problems.push(format!(
                    "ledger entry {} says the balance is {}, the entries before it add up to {sum}",
                    entry.id, entry.balance_after
                ));
            }
            if let (EntryKind::Charge, Some(rental)) = (entry.kind, entry.rental) {
                if charged.insert(rental, entry.amount).is_some() {
                    r.problems
                        .push(format!("rental {rental} has two charge entries"));
                }
            }
        }
        let balance = storage.account(customer.id)?.balance;
        if balance != sum {
            r.problems.push(format!(
                "customer {}'s balance is {balance}, the ledger adds up to {sum}",
                customer.id
            ));
        }
    }
    if charged != charges {
        let missing: Vec<String> = charges
            .iter()
            .filter(|(id, total)| charged.get(*id) != Some(*total))
            .map(|(id, total)| format!("{id} ({total})"))
            .collect();
        r.problems.push(format!(
            "closed rentals without a matching charge entry: {}",
            missing.join(", ")
        ));
    }
    Ok(r)
}
