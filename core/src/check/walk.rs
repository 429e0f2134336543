//! The one pass of the check over a [`Source`]: books with their copies and queues, then customers with their
//! accounts, ledgers and holds, then rentals with their charge entries, then the indexes, then the event feed.
//! Each stage keeps only what a later one needs (`catalogue.rs`, `ledger.rs`, `holds.rs`, `rentals.rs`).

use super::catalogue::Catalogue;
use super::events;
use super::holds::Holds;
use super::indexes::{self, Records};
use super::ledger::Ledger;
use super::rentals::{Kept, Rentals};
use super::source::Source;
use super::stats::Report;

/// A record read by [`check_storage`](super::check_storage), as its progress callback is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// A book (with its copies and queue).
    Book,
    /// A customer (with their account, ledger and holds).
    Customer,
    /// A rental (with its charge entry).
    Rental,
}

/// Checks every invariant on what `source` reads, calling `progress` once per book, customer and rental.
pub(super) fn walk<S: Source>(
    source: &S,
    progress: &mut dyn FnMut(Step),
) -> Result<Report, S::Error> {
    let mut report = Report::default();
    report.problems.extend(source.read_problems());
    let plans = source.plans()?;

    let mut catalogue = Catalogue::default();
    for book in source.books()? {
        let book = book?;
        progress(Step::Book);
        let copies = source.copies_of(book.id)?;
        let queue = source.book_holds(book.id)?;
        catalogue.add_book(&book, copies, queue, &mut report);
    }
    catalogue.finish(&mut report);

    let mut ledger = Ledger::default();
    let mut holds = Holds::default();
    for owner in source.customers()? {
        let owner = owner?;
        progress(Step::Customer);
        let account = match owner.exists {
            true => source.account(owner.id)?,
            false => None,
        };
        let id = owner.id;
        ledger.read_customer(owner.clone(), account, source.ledger(id)?, &mut report)?;
        holds.read_customer(owner, source.holds(id)?, &catalogue, &mut report);
    }
    ledger.finish(&mut report);
    holds.finish(&catalogue, &mut report);

    let mut rentals = Rentals::default();
    let mut kept = Kept {
        plans: &plans,
        catalogue: &mut catalogue,
        ledger: &mut ledger,
        holds: &mut holds,
    };
    for rental in source.rentals()? {
        let rental = rental?;
        progress(Step::Rental);
        let indexed = source.charge_entry(rental.id)?;
        rentals.add(&rental, indexed, &mut kept, &mut report);
    }
    rentals.finish(&mut kept, &mut report);

    let records = Records {
        catalogue: &catalogue,
        ledger: &ledger,
        holds: &holds,
        rentals: &rentals,
    };
    indexes::check(source, &records, &mut report)?;
    events::check(source, &mut report)?;
    Ok(report)
}
