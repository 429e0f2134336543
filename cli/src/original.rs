//! `koko import original DB.sqlite3`: moving a store in from the original application (the Django API this
//! project replaces), whose data is one SQLite database with the tables `books`, `customers` and `rentals`.
//!
//! Everything is read and checked first, then written in one go through koko-core's restore steps
//! ([`koko_core::backup::restore_beside_plans`]), into a store that has its price plan and nothing else yet:
//! - each book keeps its id and becomes one copy (copy id = book id), its category from `book_type` (`R` regular,
//!   `F` fiction, `N` novel); the copy is rented when an open rental holds it;
//! - each customer keeps its id, names and active flag (no e-mail address: the original had none);
//! - each rental keeps its id: an open one (`rental_status` 0) stays open on its book's copy; a closed one
//!   (`rental_status` 1) is closed at its `date_returned` with the amount the original **recorded**, not
//!   recomputed (a charge of one line saying so), and a charge entry in its customer's ledger, so each balance is
//!   the sum of that customer's recorded amounts. Each rental is priced under the store's plan version in force
//!   when it was borrowed; a store whose plan starts after the first borrowing imports nothing and says how to
//!   publish it earlier.
//!
//! A row that cannot be mapped is refused and named with its table, id and reason (the rest is imported, exit
//! status 1): an unknown `book_type`, a title another book already has (Koko compares titles trimmed and
//! case-insensitively; the first book by id keeps it), an empty name, a rental of a book or customer that is
//! missing or refused, a second open rental of one book (the earliest borrowed stays open), a closed rental
//! without `date_returned` or returned before it was borrowed, a negative amount, … A book marked rented out that
//! no imported open rental holds is imported as available, and one marked available that an open rental holds is
//! imported as rented: both are warnings, not refusals (the rentals are the record of where a book is). Times are
//! Django's UTC text (`2019-05-21 20:03:00.123456`, with or without the fraction or `+00:00`).
//!
//! `--dry-run` maps and reports the same, and writes nothing. An imported charge is
//! [`koko_core::Quote::recorded`]: `koko check` takes it as it stands (the original priced it) and still checks its
//! ledger entry.

mod cells;
mod mapping;
mod rentals;
mod rows;

use std::fmt;
use std::path::Path;

use chrono::Utc;
use koko_core::backup::restore_beside_plans;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};

use crate::store::{Failure, Store};

pub(crate) use rows::{BookRow, CustomerRow, Refusal, RentalRow, Tables};

/// What an import did: the rows refused and the warnings, one line each, and the counts.
pub(crate) struct Report {
    /// Rows not imported, with why.
    pub(crate) refused: Vec<Refusal>,
    /// Rows imported with a correction, with what was corrected.
    pub(crate) warnings: Vec<Refusal>,
    counts: mapping::Counts,
    file: String,
    dry_run: bool,
}

impl Report {
    /// One line: imported and refused per table.
    pub(crate) fn summary(&self) -> String {
        let c = &self.counts;
        let charged = if c.charged.is_empty() {
            String::new()
        } else {
            format!(", {} charged in all", c.charged.join(" + "))
        };
        format!(
            "{} from {}: {} books ({} copies), {} customers, {} rentals ({} open, {} closed{charged}); refused \
             {} books, {} customers, {} rentals; {} warning{}",
            if self.dry_run {
                "would import (dry run, nothing written)"
            } else {
                "imported"
            },
            self.file,
            c.books,
            c.books,
            c.customers,
            c.open + c.closed,
            c.open,
            c.closed,
            c.refused_books,
            c.refused_customers,
            c.refused_rentals,
            self.warnings.len(),
            if self.warnings.len() == 1 { "" } else { "s" },
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

/// Moves the original's database `file` into `store`, which must have a price plan and no book, customer or
/// rental yet; with `dry_run`, only reports what it would do. An error (exit status 2) means nothing was written.
pub(crate) fn run(store: &Store, file: &Path, dry_run: bool) -> Result<Report, Failure> {
    let versions = store.plan_versions();
    if versions.is_empty() {
        return Err(crate::plan::none_yet());
    }
    let storage = store.storage();
    if storage.books_after(None)?.next().is_some()
        || storage.customers_after(None)?.next().is_some()
        || storage.rentals_after(None)?.next().is_some()
    {
        return Err("the store already holds books, customers or rentals: `koko import original` moves a whole \
                    database into a new store (`koko init PATH --plan story3`, then import into it)"
            .into());
    }
    let tables = read(file)?;
    let mapped = mapping::map(&tables, &versions, Utc::now())?;
    if !dry_run {
        restore_beside_plans(storage, mapped.records)?;
    }
    Ok(Report {
        dry_run,
        refused: mapped.refused,
        warnings: mapped.warnings,
        counts: mapped.counts,
        file: file.display().to_string(),
    })
}

/// Reads the three tables of the original's database, refusing a file that is not one.
fn read(file: &Path) -> Result<Tables, Failure> {
    let shown = file.display();
    if !file.is_file() {
        return Err(format!("{shown}: no such file").into());
    }
    let db = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("{shown}: cannot open it as a SQLite database: {e}"))?;
    let present: Vec<String> = db
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('books', 'customers', 'rentals')",
        )
        .and_then(|mut q| q.query_map([], |row| row.get(0))?.collect())
        .map_err(|e| format!("{shown} is not a SQLite database ({e})"))?;
    for table in ["books", "customers", "rentals"] {
        if !present.iter().any(|t| t == table) {
            return Err(format!(
                "{shown} has no table {table}: it is not the original application's database (tables books, \
                 customers, rentals)"
            )
            .into());
        }
    }
    let books = select(
        &db,
        &shown,
        "books",
        "id, title, author, book_type, rental_status",
        |id, mut v| BookRow {
            id,
            rental_status: v.pop().unwrap_or(Value::Null),
            book_type: v.pop().unwrap_or(Value::Null),
            author: v.pop().unwrap_or(Value::Null),
            title: v.pop().unwrap_or(Value::Null),
        },
    )?;
    let customers = select(
        &db,
        &shown,
        "customers",
        "id, first_name, last_name, is_active",
        |id, mut v| CustomerRow {
            id,
            is_active: v.pop().unwrap_or(Value::Null),
            last_name: v.pop().unwrap_or(Value::Null),
            first_name: v.pop().unwrap_or(Value::Null),
        },
    )?;
    let rentals = select(
        &db,
        &shown,
        "rentals",
        "id, customer_id, book_id, rental_status, date_borrowed, date_returned, amount_charged",
        |id, mut v| RentalRow {
            id,
            amount_charged: v.pop().unwrap_or(Value::Null),
            date_returned: v.pop().unwrap_or(Value::Null),
            date_borrowed: v.pop().unwrap_or(Value::Null),
            rental_status: v.pop().unwrap_or(Value::Null),
            book_id: v.pop().unwrap_or(Value::Null),
            customer_id: v.pop().unwrap_or(Value::Null),
        },
    )?;
    Ok(Tables {
        books,
        customers,
        rentals,
    })
}

/// Every row of `table` in id order: its id and the other `columns` as SQLite holds them.
fn select<T>(
    db: &Connection,
    shown: &dyn fmt::Display,
    table: &str,
    columns: &str,
    build: impl Fn(i64, Vec<Value>) -> T,
) -> Result<Vec<T>, Failure> {
    let width = columns.split(',').count();
    let bad = |e: rusqlite::Error| -> Failure {
        format!("{shown}: table {table}: {e}: it is not the original application's schema").into()
    };
    let mut query = db
        .prepare(&format!("SELECT {columns} FROM {table} ORDER BY id"))
        .map_err(bad)?;
    let rows = query
        .query_map([], |row| {
            let id: i64 = row.get(0)?;
            let mut values = Vec::with_capacity(width - 1);
            for index in 1..width {
                values.push(row.get::<_, Value>(index)?);
            }
            Ok(build(id, values))
        })
        .map_err(bad)?;
    rows.collect::<Result<Vec<T>, _>>().map_err(bad)
}
