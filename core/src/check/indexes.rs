//! The store's indexes against its records, once every record is read. Rules:
//! - the open-rental index (`Storage::active_rentals`) lists exactly the open rentals, in id order;
//! - each customer's rental index (`Storage::customer_rentals`) lists exactly their rentals, in id order;
//! - the active holds (`Storage::active_holds`) are exactly the waiting and ready holds, in id order, the waiting
//!   ones numbered in their book's queue;
//! - every copy and hold found by its id is listed (by a book, by a customer) and the other way round, probing
//!   ids from 1 to the largest listed + 16.
//!
//! The charge index (`Storage::charge_entry`) is compared as each rental is read, the book queues as the holds
//! are (`rentals.rs`, `holds.rs`).

use super::catalogue::Catalogue;
use super::holds::Holds;
use super::ledger::Ledger;
use super::listing::InOrder;
use super::problem::Problem;
use super::record::{Listing, Record};
use super::rentals::Rentals;
use super::snapshot::PROBE_BEYOND;
use super::source::Source;
use super::stats::Report;
use crate::ids::{CopyId, HoldId, RentalId};

/// What the index rules compare the indexes with.
pub(super) struct Records<'a> {
    pub(super) catalogue: &'a Catalogue,
    pub(super) ledger: &'a Ledger,
    pub(super) holds: &'a Holds,
    pub(super) rentals: &'a Rentals,
}

/// Every index rule.
pub(super) fn check<S: Source>(
    source: &S,
    records: &Records<'_>,
    report: &mut Report,
) -> Result<(), S::Error> {
    check_open(source, records.rentals, report)?;
    check_customers(source, records, report)?;
    let listed = source.active_holds()?;
    if listed != records.holds.active() {
        report.problems.push(Problem::HoldQueue {
            book: None,
            listed,
            expected: records.holds.active().to_vec(),
        });
    }
    let catalogue = records.catalogue;
    for id in 1..=catalogue.last_copy().saturating_add(PROBE_BEYOND) {
        let listed = catalogue.copy(CopyId::new(id)).is_some();
        let found = source.copy_found(CopyId::new(id))?;
        report
            .problems
            .extend(probe_problem(Record::Copy, id, listed, found));
    }
    let holds = records.holds;
    for id in 1..=holds.last_id().saturating_add(PROBE_BEYOND) {
        let found = source.hold_found(HoldId::new(id))?;
        report
            .problems
            .extend(probe_problem(Record::Hold, id, holds.listed(id), found));
    }
    Ok(())
}

fn probe_problem(record: Record, id: u64, listed: bool, found: bool) -> Option<Problem> {
    match (listed, found) {
        (false, true) => Some(Problem::FoundUnlisted { record, id }),
        (true, false) => Some(Problem::ListedNotFound { record, id }),
        _ => None,
    }
}

/// The open-rental index lists exactly the open rentals.
fn check_open<S: Source>(
    source: &S,
    rentals: &Rentals,
    report: &mut Report,
) -> Result<(), S::Error> {
    let mut order = InOrder::new(Listing::OpenRentals);
    let mut listed = Vec::new();
    for id in source.open_rentals()? {
        let id = id?;
        report.problems.extend(order.next(id.get()));
        listed.push(id);
    }
    listed.sort_unstable();
    listed.dedup();
    differences(Listing::OpenRentals, &listed, rentals.open(), report);
    Ok(())
}

/// `listed` (an index, sorted) against `expected` (sorted): what it has and lacks.
fn differences(listing: Listing, listed: &[RentalId], expected: &[RentalId], report: &mut Report) {
    let (mut l, mut e) = (listed.iter().peekable(), expected.iter().peekable());
    loop {
        let problem = match (l.peek(), e.peek()) {
            (None, None) => return,
            (Some(a), Some(b)) if a == b => {
                l.next();
                e.next();
                continue;
            }
            (Some(a), Some(b)) if a < b => l.next().map(|id| (true, id)),
            (Some(_), None) => l.next().map(|id| (true, id)),
            _ => e.next().map(|id| (false, id)),
        };
        match problem {
            Some((true, id)) => report.problems.push(Problem::IndexHas {
                listing,
                id: id.get(),
            }),
            Some((false, id)) => report.problems.push(Problem::IndexLacks {
                listing,
                id: id.get(),
            }),
            None => return,
        }
    }
}

/// Each customer's rental index lists exactly their rentals.
fn check_customers<S: Source>(
    source: &S,
    records: &Records<'_>,
    report: &mut Report,
) -> Result<(), S::Error> {
    let owners = records.rentals.owners();
    let mut listed = vec![false; owners.len()];
    let find = |id: RentalId| owners.binary_search_by_key(&id, |(r, _)| *r).ok();
    for customer in records.ledger.customers() {
        let listing = Listing::CustomerRentals {
            customer: customer.id,
        };
        let mut order = InOrder::new(listing);
        for id in source.customer_rentals(customer.id)? {
            let id = id?;
            report.problems.extend(order.next(id.get()));
            let at = find(id).filter(|at| owners.get(*at).is_some_and(|(_, c)| *c == customer.id));
            match at.and_then(|at| listed.get_mut(at)) {
                Some(seen) => *seen = true,
                None => report.problems.push(Problem::IndexHas {
                    listing,
                    id: id.get(),
                }),
            }
        }
    }
    for ((rental, customer), seen) in owners.iter().zip(listed) {
        if !seen && records.ledger.has_customer(*customer) {
            report.problems.push(Problem::IndexLacks {
                listing: Listing::CustomerRentals {
                    customer: *customer,
                },
                id: rental.get(),
            });
        }
    }
    Ok(())
}
