//! `koko import`: CSV rows through the batch API, a thousand at a time; each bad row reported with its line, field
//! and reason, the good ones imported. `--dry-run` sends the whole file as one batch that is tried and discarded
//! ([`koko_core::BookStore::try_batch`]), so it reports what the import would do, row for row, and writes nothing;
//! `--update` updates the names of customers already there (found by e-mail address) instead of skipping them.

use std::fmt;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use koko_core::{CustomerUpdate, NewBook, NewCustomer, Operation, Outcome};

use crate::store::Store;

/// Rows sent in one batch.
const BATCH: usize = 1_000;

/// How an import runs.
#[derive(Clone, Copy, Default)]
pub(crate) struct Options {
    /// Report what the import would do and write nothing.
    pub(crate) dry_run: bool,
    /// Update customers already there (by e-mail address) instead of skipping them.
    pub(crate) update: bool,
    /// Show a progress bar.
    pub(crate) progress: bool,
}

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
    /// Customers already there whose names `--update` changed.
    updated: u64,
    update: bool,
    dry_run: bool,
    pub(crate) problems: Vec<Problem>,
}

impl Report {
    pub(crate) fn summary(&self) -> String {
        let copies = if self.what == "books" {
            format!(" ({} copies)", self.copies)
        } else {
            String::new()
        };
        let updated = if self.update {
            format!("; {} updated", self.updated)
        } else {
            String::new()
        };
        let skipped = if self.what == "customers" {
            format!(
                "{updated}; {} skipped (already there: their e-mail address is a customer's)",
                self.skipped
            )
        } else {
            String::new()
        };
        let (verb, tail) = if self.dry_run {
            ("dry run: would import", "; nothing was written")
        } else {
            ("imported", "")
        };
        format!(
            "{verb} {} {}{copies} from {} rows{skipped}; {} rows refused{tail}",
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
    options: Options,
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
    let bar = progress(len, options.progress, "importing");
    let mut report = Report {
        what,
        rows: 0,
        imported: 0,
        copies: 0,
        skipped: 0,
        updated: 0,
        update: options.update,
        dry_run: options.dry_run,
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
        // A dry run tries the whole file as one batch, so each row sees the rows before it as an import would.
        if (batch.len() == BATCH && !options.dry_run) || (!more && !batch.is_empty()) {
            apply(store, std::mem::take(&mut batch), options, &mut report)?;
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
    options: Options,
    report: &mut Report,
) -> Result<(), Box<dyn std::error::Error>> {
    let (lines, ops): (Vec<u64>, Vec<Operation>) = batch.into_iter().unzip();
    let sent = if options.update {
        ops.clone()
    } else {
        Vec::new()
    };
    let results = if options.dry_run {
        store.try_batch(ops)?
    } else {
        store.apply_batch(ops)?
    };
    // Customers already there, by e-mail address: skipped, so a retried import adds no one twice; with
    // `--update`, their names are updated (in one more batch) when the row's differ.
    let mut updates = Vec::new();
    for (i, (line, result)) in lines.into_iter().zip(results).enumerate() {
        match result {
            Ok(Outcome::Book { copies, .. }) => {
                report.imported += 1;
                report.copies += copies.len() as u64;
            }
            Ok(_) => report.imported += 1,
            Err(koko_core::Error::Duplicate { field: "email", .. })
                if report.what == "customers" =>
            {
                match sent.get(i).and_then(|op| update_of(store, op).transpose()) {
                    Some(update) => updates.push((line, update?)),
                    None => report.skipped += 1,
                }
            }
            Err(err) => report.problems.push(problem(line, &err)),
        }
    }
    if updates.is_empty() {
        return Ok(());
    }
    let (lines, ops): (Vec<u64>, Vec<Operation>) = updates.into_iter().unzip();
    let results = if options.dry_run {
        store.try_batch(ops)?
    } else {
        store.apply_batch(ops)?
    };
    for (line, result) in lines.into_iter().zip(results) {
        match result {
            Ok(_) => report.updated += 1,
            Err(err) => report.problems.push(problem(line, &err)),
        }
    }
    Ok(())
}

fn problem(line: u64, err: &koko_core::Error) -> Problem {
    Problem {
        line,
        field: err.field().unwrap_or("row").to_owned(),
        reason: err.to_string(),
    }
}

/// The update `--update` makes of a customer row whose e-mail address is taken: the owner's names set to the
/// row's, or `None` when they are the same already (the row is then skipped).
fn update_of(store: &Store, op: &Operation) -> Result<Option<Operation>, koko_core::Error> {
    let Operation::RegisterCustomer(row) = op else {
        return Ok(None);
    };
    let Some(email) = row.email.as_deref() else {
        return Ok(None);
    };
    let Some(owner) = store.customer_by_email(email)? else {
        return Ok(None);
    };
    let changed = |new: &str, old: &str| (new.trim() != old).then(|| new.to_owned());
    let update = CustomerUpdate {
        first_name: changed(&row.first_name, &owner.first_name),
        last_name: changed(&row.last_name, &owner.last_name),
        ..CustomerUpdate::default()
    };
    if update.first_name.is_none() && update.last_name.is_none() {
        return Ok(None);
    }
    Ok(Some(Operation::UpdateCustomer {
        id: owner.id,
        update,
    }))
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
    options: Options,
) -> Result<Report, Box<dyn std::error::Error>> {
    let kind = if customers { &CUSTOMERS } else { &BOOKS };
    if options.update && !customers {
        return Err("--update applies to customers (found by e-mail address); books are found by title and \
                    are never updated by an import"
            .into());
    }
    import(store, file, options, kind)
}
