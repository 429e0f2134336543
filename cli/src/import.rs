//! `koko import`: CSV rows through the batch API, a thousand at a time; each bad row reported with its line, field
//! and reason, the good ones imported.

use std::fmt;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use koko_core::{NewBook, NewCustomer, Operation, Outcome};

use crate::store::Store;

/// Rows sent in one batch.
const BATCH: usize = 1_000;

/// One refused row.
pub(crate) struct Problem {
    /// The line in the file (the header is line 1).
    pub(crate) line: u64,
    /// The field at fault (`row` when the whole row is).
    pub(crate) field: String,
    /// Why.
    pub(crate) reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.reason)
    }
}

/// What an import did.
pub(crate) struct Report {
    what: &'static str,
    rows: u64,
    imported: u64,
    copies: u64,
    /// Customers already in the store (their e-mail address is taken): a re-import skips them.
    skipped: u64,
    pub(crate) problems: Vec<Problem>,
}

impl Report {
    pub(crate) fn summary(&self) -> String {
        let copies = if self.what == "books" {
            format!(" ({} copies)", self.copies)
        } else {
            String::new()
        };
        let skipped = if self.what == "customers" {
            format!(
                "; {} skipped (already there: their e-mail address is a customer's)",
                self.skipped
            )
        } else {
            String::new()
        };
        format!(
            "imported {} {}{copies} from {} rows{skipped}; {} rows refused",
            self.imported,
            self.what,
            self.rows,
            self.problems.len()
        )
    }
}

/// A progress bar over the file's bytes on a terminal; nothing otherwise.
pub(crate) fn progress(len: u64, shown: bool, message: &'static str) -> ProgressBar {
    if !shown {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    bar
}

/// Reads `file` row by row, turning each into an operation (or a problem), and applies them in batches.
fn import(
    store: &Store,
    file: &Path,
    shown: bool,
    kind: &Kind,
) -> Result<Report, Box<dyn std::error::Error>> {
    let (what, header, required, row) = (kind.what, kind.header, kind.required, kind.row);
    let len = std::fs::metadata(file)?.len();
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(file)?;
    let headers = reader.headers()?.clone();
    // A column neither read nor written by `koko export` is a mistake (a misspelt optional column would
    // otherwise be skipped in silence): nothing is imported.
    let known = |h: &str| header.contains(&h) || kind.exported.contains(&h);
    if let Some(unknown) = headers.iter().find(|h| !known(h.trim())) {
        return Err(format!(
            "{}: the header has an unknown column {unknown:?} (expected {}; {} are ignored)",
            file.display(),
            header.join(","),
            kind.exported.join(", ")
        )
        .into());
    }
    // Where each expected column is (a missing optional column reads as empty).
    let mut at = [usize::MAX; 5];
    for (i, name) in header.iter().enumerate() {
        match headers.iter().position(|h| h.trim() == *name) {
            Some(p) => at[i] = p,
            None if i < required => {
                return Err(format!(
                    "{}: the header has no column {name:?} (expected {})",
                    file.display(),
                    header.join(",")
                )
                .into())
            }
            None => {}
        }
    }
    let bar = progress(len, shown, "importing");
    let mut report = Report {
        what,
        rows: 0,
        imported: 0,
        copies: 0,
        skipped: 0,
        problems: Vec::new(),
    };
    let mut batch: Vec<(u64, Operation)> = Vec::with_capacity(BATCH);
    let mut record = csv::StringRecord::new();
    loop {
        let more = match reader.read_record(&mut record) {
            Ok(more) => more,
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line());
                report.problems.push(Problem {
                    line,
                    field: "row".into(),
                    reason: err.to_string(),
                });
                report.rows += 1;
                continue;
            }
        };
        if more {
            report.rows += 1;
            let line = record.position().map_or(0, |p| p.line());
            // A row with fields missing or extra is refused whole: its cells cannot be trusted to be in place.
            let shape = if record.len() == headers.len() {
                row(&record, &at)
            } else {
                Err((
                    "row".to_owned(),
                    format!(
                        "has {} fields; the header has {}",
                        record.len(),
                        headers.len()
                    ),
                ))
            };
            match shape {
                Ok(op) => batch.push((line, op)),
                Err((field, reason)) => report.problems.push(Problem {
                    line,
                    field,
                    reason,
                }),
            }
            bar.set_position(record.position().map_or(0, |p| p.byte()));
        }
        if batch.len() == BATCH || (!more && !batch.is_empty()) {
            apply(store, std::mem::take(&mut batch), &mut report)?;
        }
        if !more {
            break;
        }
    }
    bar.finish_and_clear();
    report.problems.sort_by_key(|p| p.line);
    Ok(report)
}

fn apply(
    store: &Store,
    batch: Vec<(u64, Operation)>,
    report: &mut Report,
) -> Result<(), Box<dyn std::error::Error>> {
    let (lines, ops): (Vec<u64>, Vec<Operation>) = batch.into_iter().unzip();
    for (line, result) in lines.into_iter().zip(store.apply_batch(ops)?) {
        match result {
            Ok(Outcome::Book { copies, .. }) => {
                report.imported += 1;
                report.copies += copies.len() as u64;
            }
            Ok(_) => report.imported += 1,
            // A customer whose address the store knows is already there: skipped, so a retried import adds no
            // one twice.
            Err(koko_core::Error::Duplicate { field: "email", .. })
                if report.what == "customers" =>
            {
                report.skipped += 1
            }
            Err(err) => report.problems.push(Problem {
                line,
                field: err.field().unwrap_or("row").to_owned(),
                reason: err.to_string(),
            }),
        }
    }
    Ok(())
}

fn cell(record: &csv::StringRecord, at: usize) -> &str {
    record.get(at).map_or("", str::trim)
}

/// A row turned into an operation, or the field at fault and why.
type Row = Result<Operation, (String, String)>;

/// What a file holds: its kind, its columns (the first `required` must be there), and how a row becomes an
/// operation.
struct Kind {
    what: &'static str,
    header: &'static [&'static str],
    /// The columns `koko export` adds, ignored so that an export imports again.
    exported: &'static [&'static str],
    required: usize,
    row: fn(&csv::StringRecord, &[usize; 5]) -> Row,
}

const BOOKS: Kind = Kind {
    what: "books",
    header: &["title", "author", "category", "isbn", "copies"],
    exported: &["id", "available"],
    required: 3,
    row: book_row,
};

const CUSTOMERS: Kind = Kind {
    what: "customers",
    header: &["first_name", "last_name", "email"],
    exported: &["id", "active"],
    required: 2,
    row: customer_row,
};

fn book_row(record: &csv::StringRecord, at: &[usize; 5]) -> Row {
    let mut book = NewBook::new(
        cell(record, at[0]),
        cell(record, at[1]),
        cell(record, at[2]),
    );
    let isbn = cell(record, at[3]);
    if !isbn.is_empty() {
        book = book.with_isbn(isbn);
    }
    let copies = match cell(record, at[4]) {
        "" => 1,
        text => text.parse::<u32>().map_err(|e| {
            (
                "copies".to_owned(),
                format!("{text:?} is not a whole number ({e})"),
            )
        })?,
    };
    Ok(Operation::AddBook { book, copies })
}

fn customer_row(record: &csv::StringRecord, at: &[usize; 5]) -> Row {
    let mut customer = NewCustomer::new(cell(record, at[0]), cell(record, at[1]));
    let email = cell(record, at[2]);
    if !email.is_empty() {
        customer.email = Some(email.to_owned());
    }
    Ok(Operation::RegisterCustomer(customer))
}

/// `koko import books FILE` (`customers: false`) or `koko import customers FILE`.
pub(crate) fn run(
    store: &Store,
    customers: bool,
    file: &Path,
    shown: bool,
) -> Result<Report, Box<dyn std::error::Error>> {
    let kind = if customers { &CUSTOMERS } else { &BOOKS };
    import(store, file, shown, kind)
}
