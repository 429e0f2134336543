//! The CSV exports — books, customers, open rentals, overdue rentals, ledger entries — written once here for every
//! caller: `koko export KIND`, the Python `BookStore.export_csv_chunks` and the REST API's export jobs all write
//! the same columns and rows.
//!
//! Each export streams record by record into any [`Write`], with a header row first, and counts its data rows in
//! an [`ExportProgress`] another thread may read while it runs.

use std::fmt;
use std::io::Write;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::{CopyStatus, Rental};
use crate::error::{Error, Result};
use crate::report::write_time;
use crate::storage::Storage;
use crate::store::BookStore;

/// The columns of the active-rentals CSV export (the overdue export has the same).
pub const ACTIVE_RENTALS_CSV_HEADER: [&str; 8] = [
    "rental_id",
    "copy_id",
    "book_id",
    "customer_id",
    "category",
    "rented_at",
    "due_at",
    "plan_version",
];

/// The columns of the books CSV export.
pub const BOOKS_CSV_HEADER: [&str; 7] = [
    "id",
    "title",
    "author",
    "category",
    "isbn",
    "copies",
    "available",
];

/// The columns of the customers CSV export.
pub const CUSTOMERS_CSV_HEADER: [&str; 5] = ["id", "first_name", "last_name", "email", "active"];

/// The columns of the ledger CSV export.
pub const LEDGER_CSV_HEADER: [&str; 9] = [
    "entry_id",
    "customer_id",
    "kind",
    "amount",
    "currency",
    "at",
    "rental_id",
    "note",
    "balance_after",
];

/// What an export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExportKind {
    /// Every book with its copy counts, in id order.
    Books,
    /// Every customer, in id order.
    Customers,
    /// The open rentals, in id order.
    ActiveRentals,
    /// The open rentals past their due date at the store's clock time.
    Overdue,
    /// Every customer's ledger entries, customer by customer.
    Ledger,
}

impl ExportKind {
    /// Every kind, in the order `koko export --help` lists them.
    pub const ALL: [ExportKind; 5] = [
        ExportKind::Books,
        ExportKind::Customers,
        ExportKind::ActiveRentals,
        ExportKind::Overdue,
        ExportKind::Ledger,
    ];

    /// The kind's name: `books`, `customers`, `active-rentals`, `overdue` or `ledger`.
    pub fn name(self) -> &'static str {
        match self {
            ExportKind::Books => "books",
            ExportKind::Customers => "customers",
            ExportKind::ActiveRentals => "active-rentals",
            ExportKind::Overdue => "overdue",
            ExportKind::Ledger => "ledger",
        }
    }

    /// The kind's header row.
    pub fn header(self) -> &'static [&'static str] {
        match self {
            ExportKind::Books => &BOOKS_CSV_HEADER,
            ExportKind::Customers => &CUSTOMERS_CSV_HEADER,
            ExportKind::ActiveRentals | ExportKind::Overdue => &ACTIVE_RENTALS_CSV_HEADER,
            ExportKind::Ledger => &LEDGER_CSV_HEADER,
        }
    }
}

impl fmt::Display for ExportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ExportKind {
    type Err = Error;

    /// A kind by its name; anything else is an [`Error::InvalidInput`] on `kind` that lists the names.
    fn from_str(name: &str) -> Result<Self> {
        ExportKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = ExportKind::ALL.iter().map(|k| k.name()).collect();
                Error::invalid_input(
                    "kind",
                    format!(
                        "unknown export {name:?}: expected one of {}",
                        names.join(", ")
                    ),
                )
            })
    }
}

/// The rows an export has written so far, shared with whoever watches it (another thread may read it while the
/// export runs; it is exact once the export returned).
#[derive(Debug, Default)]
pub struct ExportProgress {
    rows: AtomicU64,
}

/// Rows between two updates of an [`ExportProgress`] while an export runs.
const PROGRESS_EVERY: u64 = 1024;

impl ExportProgress {
    /// No rows yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The data rows written so far (the header row not counted).
    pub fn rows(&self) -> u64 {
        self.rows.load(Ordering::Relaxed)
    }

    fn set(&self, rows: u64) {
        self.rows.store(rows, Ordering::Relaxed);
    }
}

/// A CSV writer that counts its data rows into an [`ExportProgress`].
struct Rows<'p, W: Write> {
    csv: csv::Writer<W>,
    count: u64,
    progress: &'p ExportProgress,
}

impl<'p, W: Write> Rows<'p, W> {
    fn new(out: W, header: &[&str], progress: &'p ExportProgress) -> Result<Self> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(header).map_err(Error::storage)?;
        progress.set(0);
        Ok(Rows {
            csv,
            count: 0,
            progress,
        })
    }

    fn field(&mut self, value: impl AsRef<[u8]>) -> Result<()> {
        self.csv.write_field(value).map_err(Error::storage)
    }

    fn end_row(&mut self) -> Result<()> {
        self.csv
            .write_record(None::<&[u8]>)
            .map_err(Error::storage)?;
        self.count += 1;
        if self.count % PROGRESS_EVERY == 0 {
            self.progress.set(self.count);
        }
        Ok(())
    }

    fn finish(mut self) -> Result<u64> {
        self.csv.flush().map_err(Error::storage)?;
        self.progress.set(self.count);
        Ok(self.count)
    }
}

impl<S: Storage> BookStore<S> {
    /// Writes the `kind` export as CSV (a header row, then one row per record) to `out`, streaming; returns the
    /// number of data rows. The columns are the kind's [`ExportKind::header`].
    ///
    /// ```
    /// use koko_core::{BookStore, ExportKind, NewBook, PricePlan};
    ///
    /// # fn main() -> koko_core::Result<()> {
    /// let store = BookStore::in_memory(PricePlan::story3())?;
    /// store.add_book(&NewBook::new("The Hobbit", "J. R. R. Tolkien", "novel"), 2)?;
    /// let mut out = Vec::new();
    /// assert_eq!(store.export_csv(ExportKind::Books, &mut out)?, 1);
    /// assert_eq!(
    ///     String::from_utf8(out).unwrap(),
    ///     "id,title,author,category,isbn,copies,available\n1,The Hobbit,J. R. R. Tolkien,novel,,2,2\n"
    /// );
    /// # Ok(())
    /// # }
    /// ```
    pub fn export_csv<W: Write>(&self, kind: ExportKind, out: W) -> Result<u64> {
        self.export_csv_with_progress(kind, out, &ExportProgress::new())
    }

    /// [`export_csv`](Self::export_csv), counting the rows written into `progress` as it goes.
    pub fn export_csv_with_progress<W: Write>(
        &self,
        kind: ExportKind,
        out: W,
        progress: &ExportProgress,
    ) -> Result<u64> {
        let mut rows = Rows::new(out, kind.header(), progress)?;
        let mut number = itoa::Buffer::new();
        let mut time = String::with_capacity(32);
        match kind {
            ExportKind::Books => {
                for book in self.books()? {
                    let book = book?;
                    let copies = self.copies(book.id)?;
                    let available = copies
                        .iter()
                        .filter(|c| c.status == CopyStatus::Available)
                        .count();
                    rows.field(number.format(book.id.get()))?;
                    rows.field(&book.title)?;
                    rows.field(&book.author)?;
                    rows.field(&book.category)?;
                    rows.field(book.isbn.as_deref().unwrap_or_default())?;
                    rows.field(number.format(copies.len()))?;
                    rows.field(number.format(available))?;
                    rows.end_row()?;
                }
            }
            ExportKind::Customers => {
                for customer in self.customers()? {
                    let c = customer?;
                    rows.field(number.format(c.id.get()))?;
                    rows.field(&c.first_name)?;
                    rows.field(&c.last_name)?;
                    rows.field(c.email.as_deref().unwrap_or_default())?;
                    rows.field(if c.active { "true" } else { "false" })?;
                    rows.end_row()?;
                }
            }
            ExportKind::ActiveRentals => {
                self.storage().visit_active_rentals(&mut |r| {
                    rental_row(&mut rows, r, &mut number, &mut time)
                })?;
            }
            ExportKind::Overdue => {
                for rental in self.overdue_rentals(self.now())? {
                    rental_row(&mut rows, &rental?, &mut number, &mut time)?;
                }
            }
            ExportKind::Ledger => {
                for customer in self.customers()? {
                    for entry in self.storage().ledger(customer?.id)? {
                        let e = entry?;
                        rows.field(number.format(e.id.get()))?;
                        rows.field(number.format(e.customer.get()))?;
                        rows.field(e.kind.name())?;
                        rows.field(e.amount.to_string())?;
                        rows.field(e.currency.to_string())?;
                        write_time(&mut time, Some(e.at));
                        rows.field(&time)?;
                        match e.rental {
                            Some(rental) => rows.field(number.format(rental.get()))?,
                            None => rows.field("")?,
                        }
                        rows.field(e.note.as_deref().unwrap_or_default())?;
                        rows.field(e.balance_after.to_string())?;
                        rows.end_row()?;
                    }
                }
            }
        }
        rows.finish()
    }
}

/// One rental's row of the active-rentals and overdue exports. Fields are written one by one from reused
/// buffers: no allocation per row.
fn rental_row<W: Write>(
    rows: &mut Rows<'_, W>,
    r: &Rental,
    number: &mut itoa::Buffer,
    time: &mut String,
) -> Result<()> {
    for id in [r.id.get(), r.copy.get(), r.book.get(), r.customer.get()] {
        rows.field(number.format(id))?;
    }
    rows.field(&r.category)?;
    write_time(time, Some(r.rented_at));
    rows.field(&*time)?;
    write_time(time, r.due_at);
    rows.field(&*time)?;
    rows.field(number.format(r.plan_version.get()))?;
    rows.end_row()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_named_as_the_command_line_names_them() {
        for kind in ExportKind::ALL {
            assert_eq!(kind.name().parse::<ExportKind>().unwrap(), kind);
        }
        let err = "rentals".parse::<ExportKind>().unwrap_err();
        assert!(
            err.to_string().contains("kind") && err.to_string().contains("active-rentals"),
            "{err}"
        );
    }
}
