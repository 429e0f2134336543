//! `koko export` and `koko report revenue`: CSV to standard output or a file, streamed record by record (the
//! exports' columns and rows are the core's `BookStore::export_csv`).

use std::io::Write;

use chrono::{DateTime, Utc};
use clap::ValueEnum;

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

impl From<ExportKind> for koko_core::ExportKind {
    fn from(kind: ExportKind) -> Self {
        match kind {
            ExportKind::Books => koko_core::ExportKind::Books,
            ExportKind::Customers => koko_core::ExportKind::Customers,
            ExportKind::ActiveRentals => koko_core::ExportKind::ActiveRentals,
            ExportKind::Overdue => koko_core::ExportKind::Overdue,
            ExportKind::Ledger => koko_core::ExportKind::Ledger,
        }
    }
}

/// Writes `what` as CSV with a header row (the core's writer: the Python binding and the REST API's export jobs
/// write the same); answers the number of data rows.
pub(crate) fn write(
    store: &Store,
    what: ExportKind,
    out: impl Write,
) -> Result<u64, Box<dyn std::error::Error>> {
    Ok(store.export_csv(what.into(), out)?)
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
