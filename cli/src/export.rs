//! `koko export` and `koko report revenue`: CSV to standard output or a file, streamed record by record.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::ValueEnum;
use koko_core::CopyStatus;

use crate::store::Store;

/// What `koko export` writes.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ExportKind {
    /// Every book with its copy counts.
    Books,
    /// Every customer.
    Customers,
    /// The open rentals.
    ActiveRentals,
    /// The open rentals past their due date now.
    Overdue,
    /// Every customer's ledger entries.
    Ledger,
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn opt_time(at: Option<DateTime<Utc>>) -> String {
    at.map(time).unwrap_or_default()
}

/// Writes `what` as CSV with a header row; answers the number of data rows.
pub(crate) fn write(
    store: &Store,
    what: ExportKind,
    out: impl Write,
) -> Result<u64, Box<dyn std::error::Error>> {
    if let ExportKind::ActiveRentals = what {
        return Ok(store.export_active_rentals_csv(out)?);
    }
    let mut csv = csv::Writer::from_writer(out);
    let mut rows = 0;
    match what {
        ExportKind::Books => {
            csv.write_record([
                "id",
                "title",
                "author",
                "category",
                "isbn",
                "copies",
                "available",
            ])?;
            for book in store.books()? {
                let book = book?;
                let copies = store.copies(book.id)?;
                let available = copies
                    .iter()
                    .filter(|c| c.status == CopyStatus::Available)
                    .count();
                csv.write_record([
                    book.id.to_string(),
                    book.title,
                    book.author,
                    book.category,
                    book.isbn.unwrap_or_default(),
                    copies.len().to_string(),
                    available.to_string(),
                ])?;
                rows += 1;
            }
        }
        ExportKind::Customers => {
            csv.write_record(["id", "first_name", "last_name", "email", "active"])?;
            for customer in store.customers()? {
                let c = customer?;
                csv.write_record([
                    c.id.to_string(),
                    c.first_name,
                    c.last_name,
                    c.email.unwrap_or_default(),
                    c.active.to_string(),
                ])?;
                rows += 1;
            }
        }
        ExportKind::Overdue => {
            csv.write_record(koko_core::ACTIVE_RENTALS_CSV_HEADER)?;
            for rental in store.overdue_rentals(store.now())? {
                let r = rental?;
                csv.write_record([
                    r.id.to_string(),
                    r.copy.to_string(),
                    r.book.to_string(),
                    r.customer.to_string(),
                    r.category,
                    time(r.rented_at),
                    opt_time(r.due_at),
                    r.plan_version.to_string(),
                ])?;
                rows += 1;
            }
        }
        ExportKind::Ledger => {
            csv.write_record([
                "entry_id",
                "customer_id",
                "kind",
                "amount",
                "currency",
                "at",
                "rental_id",
                "note",
                "balance_after",
            ])?;
            for customer in store.customers()? {
                for entry in store.storage().ledger(customer?.id)? {
                    let e = entry?;
                    csv.write_record([
                        e.id.to_string(),
                        e.customer.to_string(),
                        e.kind.name().to_owned(),
                        e.amount.to_string(),
                        e.currency.to_string(),
                        time(e.at),
                        e.rental.map(|r| r.to_string()).unwrap_or_default(),
                        e.note.unwrap_or_default(),
                        e.balance_after.to_string(),
                    ])?;
                    rows += 1;
                }
            }
        }
        ExportKind::ActiveRentals => {}
    }
    csv.flush()?;
    Ok(rows)
}

/// `koko report revenue`: one row per currency and category.
pub(crate) fn revenue(
    store: &Store,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    out: impl Write,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(["currency", "category", "rentals", "total"])?;
    for line in store.revenue(from, to)?.lines {
        csv.write_record([
            line.currency.to_string(),
            line.category,
            line.rentals.to_string(),
            line.total.to_string(),
        ])?;
    }
    csv.flush()?;
    Ok(())
}
