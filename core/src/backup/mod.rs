//! Backups, restores and migrations: a whole store as a portable, versioned dump.
//!
//! A dump is text, one JSON document per line: a [`DumpHeader`] (the format version, who wrote it, when), then
//! every record ([`DumpRecord`]) in an order a restore can write it in, then an end line with the count of each
//! kind, so a truncated dump is refused. Ids, history (closed rentals, ledger entries, holds of every status, sent
//! notices) and every plan version are kept; money is written as decimal strings. What a dump leaves out:
//! idempotency keys (a retry window of minutes, not history: a restored store answers a retry anew) and the search
//! index (rebuilt from the records as they are restored).
//!
//! A backup reads the store with its writes paused ([`Storage::with_writes_paused`]), so the dump is one
//! consistent state even while the store serves: writes wait for the dump, none is refused. A restore writes into
//! an **empty** store, a thousand records per atomic batch; if it fails half-way, discard that store and restore
//! into a new one. A migration is a backup of one store restored straight into another (sled to PostgreSQL, …),
//! verified by dumping both and comparing them record for record.
//!
//! A Koko reads every dump format up to its own ([`DUMP_FORMAT`]) and refuses newer ones by name.
//!
//! ```
//! use koko_core::backup::{backup, restore};
//! use koko_core::{BookStore, MemoryStorage, NewBook, PricePlan};
//!
//! let store = BookStore::in_memory(PricePlan::story3()).unwrap();
//! store.add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 2).unwrap();
//! let mut dump = Vec::new();
//! let written = backup(store.storage(), &mut dump).unwrap();
//! assert_eq!((written.count("book"), written.count("copy")), (1, 2));
//!
//! let copy = MemoryStorage::new();
//! restore(&copy, dump.as_slice()).unwrap();
//! assert_eq!(BookStore::open(copy).unwrap().book(koko_core::BookId::new(1)).unwrap().title, "Emma");
//! ```

mod beside_plans;
mod record;
mod verify;

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::Hasher;
use std::io::{BufRead, Write};

use chrono::Utc;

pub use beside_plans::restore_beside_plans;
pub use record::{DumpHeader, DumpRecord, DUMP_FORMAT};
pub use verify::copy_verified;

use crate::domain::{BookCopy, CopyStatus};
use crate::engine::{Operation, Outcome, RestoreInput, RestoreStep};
use crate::error::{Error, Result};
use crate::storage::Storage;

/// Records restored per atomic batch.
const RESTORE_BATCH: usize = 1000;

/// How many records of each kind a backup wrote, a restore read or a migration moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DumpSummary {
    counts: BTreeMap<String, u64>,
}

impl DumpSummary {
    /// The count of one kind: `plan_version`, `book`, `copy`, `customer`, `rental`, `entry`, `hold`, `notice`.
    pub fn count(&self, kind: &str) -> u64 {
        self.counts.get(kind).copied().unwrap_or(0)
    }

    /// Every kind and its count, by name.
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.counts
    }

    fn add(&mut self, record: &DumpRecord) {
        if let DumpRecord::Book { copies, .. } = record {
            *self.counts.entry("copy".into()).or_default() += copies.len() as u64;
        }
        *self.counts.entry(record.kind().into()).or_default() += 1;
    }
}

impl fmt::Display for DumpSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KINDS: [(&str, &str); 8] = [
            ("plan_version", "plan versions"),
            ("book", "books"),
            ("copy", "copies"),
            ("customer", "customers"),
            ("rental", "rentals"),
            ("entry", "ledger entries"),
            ("hold", "holds"),
            ("notice", "notices sent"),
        ];
        let parts: Vec<String> = KINDS
            .iter()
            .map(|(kind, name)| format!("{} {name}", self.count(kind)))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// Calls `visit` with every record of `storage` in dump order, the end line last, while the store's writes are
/// paused. Returns the counts.
pub fn visit<S: Storage + ?Sized>(
    storage: &S,
    sink: &mut dyn FnMut(DumpRecord) -> Result<()>,
) -> Result<DumpSummary> {
    let mut summary = DumpSummary::default();
    storage.with_writes_paused(&mut || {
        summary = DumpSummary::default();
        let mut emit = |record: DumpRecord| -> Result<()> {
            summary.add(&record);
            sink(record)
        };
        walk(storage, &mut emit)?;
        Ok(())
    })?;
    sink(DumpRecord::End {
        counts: summary.counts.clone(),
    })?;
    Ok(summary)
}

fn walk<S: Storage + ?Sized>(
    storage: &S,
    emit: &mut dyn FnMut(DumpRecord) -> Result<()>,
) -> Result<()> {
    for version in storage.plan_versions()? {
        emit(DumpRecord::PlanVersion(Box::new(version)))?;
    }
    for book in storage.books_after(None)? {
        let book = book?;
        let copies = storage.copies_of(book.id)?;
        emit(DumpRecord::Book { book, copies })?;
    }
    for customer in storage.customers_after(None)? {
        let customer = customer?;
        let account = storage.account(customer.id)?;
        emit(DumpRecord::Customer {
            customer,
            balance: account.balance,
            block: account.block,
        })?;
    }
    for rental in storage.rentals_after(None)? {
        emit(DumpRecord::Rental(rental?))?;
    }
    // Entries and holds per customer, after the rentals they may name.
    for customer in storage.customers_after(None)? {
        let customer = customer?;
        for entry in storage.ledger(customer.id)? {
            emit(DumpRecord::Entry(entry?))?;
        }
        for mut hold in storage.customer_holds(customer.id)? {
            hold.position = None; // where it stands in its queue follows from the other holds
            emit(DumpRecord::Hold(hold))?;
        }
    }
    for (key, at) in storage.notices_sent()? {
        emit(DumpRecord::Notice { key, at })?;
    }
    Ok(())
}

/// Writes a dump of `storage` to `out`: the header, every record, the end line. Writes to the store wait while it
/// runs (see the module's documentation).
pub fn backup<S: Storage + ?Sized, W: Write>(storage: &S, out: W) -> Result<DumpSummary> {
    backup_observed(storage, out, &mut |_| {})
}

/// [`backup`], calling `observe` after each record written (a progress bar).
pub fn backup_observed<S: Storage + ?Sized, W: Write>(
    storage: &S,
    mut out: W,
    observe: &mut dyn FnMut(&DumpRecord),
) -> Result<DumpSummary> {
    let header = DumpHeader {
        koko_dump: DUMP_FORMAT,
        written_by: format!("koko-core {}", env!("CARGO_PKG_VERSION")),
        taken_at: Utc::now(),
    };
    write_line(&mut out, &header)?;
    let summary = visit(storage, &mut |record| {
        write_line(&mut out, &record)?;
        observe(&record);
        Ok(())
    })?;
    out.flush().map_err(Error::storage)?;
    Ok(summary)
}

fn write_line<W: Write, T: serde::Serialize>(out: &mut W, value: &T) -> Result<()> {
    serde_json::to_writer(&mut *out, value)
        .map_err(|e| Error::Corruption(format!("cannot write a dump record: {e}")))?;
    out.write_all(b"\n").map_err(Error::storage)
}

/// Restores the dump `input` into `storage`, which must be empty (no plan version, book, customer or rental).
/// Checks the header's format and the end line's counts. Returns the counts restored.
pub fn restore<S: Storage + ?Sized, R: BufRead>(storage: &S, input: R) -> Result<DumpSummary> {
    restore_observed(storage, input, &mut |_| {})
}

/// [`restore`], calling `observe` after each record read.
pub fn restore_observed<S: Storage + ?Sized, R: BufRead>(
    storage: &S,
    input: R,
    observe: &mut dyn FnMut(&DumpRecord),
) -> Result<DumpSummary> {
    let mut writer = Restorer::new(storage)?;
    let mut lines = input.lines().enumerate();
    let header: DumpHeader = match lines.next() {
        Some((_, line)) => serde_json::from_str(&line.map_err(Error::storage)?)
            .map_err(|e| bad_dump(1, &format!("not a koko dump header: {e}")))?,
        None => return Err(bad_dump(1, "the dump is empty")),
    };
    if header.koko_dump > DUMP_FORMAT || header.koko_dump == 0 {
        return Err(bad_dump(
            1,
            &format!(
                "dump format {} (written by {}); this Koko reads formats 1 to {DUMP_FORMAT}: upgrade Koko",
                header.koko_dump, header.written_by
            ),
        ));
    }
    for (index, line) in lines {
        let line = line.map_err(Error::storage)?;
        if line.trim().is_empty() {
            continue;
        }
        let record: DumpRecord =
            serde_json::from_str(&line).map_err(|e| bad_dump(index + 1, &e.to_string()))?;
        observe(&record);
        if writer.push(record).map_err(|e| at_line(index + 1, e))? {
            return writer.finish();
        }
    }
    Err(bad_dump(
        0,
        "the dump ends without its end line: it is truncated",
    ))
}

/// Copies every record of `from` into the empty store `to`, then dumps both and compares them record for record;
/// any difference is an error naming the first kind that differs. Writes to `from` wait while it runs.
pub fn migrate<A: Storage + ?Sized, B: Storage + ?Sized>(from: &A, to: &B) -> Result<DumpSummary> {
    migrate_observed(from, to, &mut |_| {})
}

/// [`migrate`], calling `observe` after each record copied.
pub fn migrate_observed<A: Storage + ?Sized, B: Storage + ?Sized>(
    from: &A,
    to: &B,
    observe: &mut dyn FnMut(&DumpRecord),
) -> Result<DumpSummary> {
    let mut writer = Restorer::new(to)?;
    let mut source = Fingerprint::default();
    let mut summary = None;
    from.with_writes_paused(&mut || {
        let mut done = false;
        walk(from, &mut |record| {
            source.add(&record)?;
            observe(&record);
            done = writer.push(record)?;
            Ok(())
        })?;
        if done {
            return Err(Error::Corruption(
                "the source store answered an end record".into(),
            ));
        }
        let counts = writer.counts.counts.clone();
        writer.push(DumpRecord::End { counts })?;
        summary = Some(writer.finish_ref()?);
        Ok(())
    })?;
    let summary = summary.ok_or_else(|| Error::Corruption("the migration did not run".into()))?;
    let mut target = Fingerprint::default();
    let moved = visit(to, &mut |record| match record {
        DumpRecord::End { .. } => Ok(()),
        record => target.add(&record),
    })?;
    if moved != summary || target != source {
        let differing = summary
            .counts()
            .iter()
            .find(|(kind, count)| moved.count(kind) != **count)
            .map(|(kind, count)| format!("{kind}: {count} read, {} stored", moved.count(kind)))
            .unwrap_or_else(|| "the same counts, different records".into());
        return Err(Error::Corruption(format!(
            "the migrated store differs from its source ({differing})"
        )));
    }
    Ok(summary)
}

/// An order-sensitive digest of records (for comparing two stores record for record).
#[derive(Default, PartialEq, Eq)]
struct Fingerprint {
    records: u64,
    hash: u64,
}

impl Fingerprint {
    fn add(&mut self, record: &DumpRecord) -> Result<()> {
        let text = serde_json::to_vec(record)
            .map_err(|e| Error::Corruption(format!("cannot write a dump record: {e}")))?;
        let mut hasher = DefaultHasher::new();
        hasher.write_u64(self.hash);
        hasher.write(&text);
        self.hash = hasher.finish();
        self.records += 1;
        Ok(())
    }
}

/// Writes records into an empty store, a batch at a time.
struct Restorer<'a, S: ?Sized> {
    storage: &'a S,
    pending: Vec<Operation>,
    counts: DumpSummary,
    expected: Option<BTreeMap<String, u64>>,
    /// Copies rented, lost or on hold: written on the shelf with their books, given their status at the end.
    deferred: Vec<BookCopy>,
}

impl<'a, S: Storage + ?Sized> Restorer<'a, S> {
    fn new(storage: &'a S) -> Result<Self> {
        let empty = storage.plan_versions()?.is_empty()
            && storage.books_after(None)?.next().is_none()
            && storage.customers_after(None)?.next().is_none()
            && storage.rentals_after(None)?.next().is_none();
        if !empty {
            return Err(Error::InvalidInput {
                field: "target".into(),
                reason: "the store to restore into is not empty: restore into a new store".into(),
            });
        }
        Ok(Restorer::beside_plans(storage))
    }

    /// A restorer that does not check the store is empty (the caller checked what it needs).
    fn beside_plans(storage: &'a S) -> Self {
        Restorer {
            storage,
            pending: Vec::with_capacity(RESTORE_BATCH),
            counts: DumpSummary::default(),
            expected: None,
            deferred: Vec::new(),
        }
    }

    /// Queues one record (writing a batch when it is full); `true` once the end line came.
    fn push(&mut self, record: DumpRecord) -> Result<bool> {
        if self.expected.is_some() {
            return Err(bad_dump(0, "a record follows the end line"));
        }
        let mut record = match record {
            DumpRecord::End { counts } => {
                self.expected = Some(counts);
                for copy in std::mem::take(&mut self.deferred) {
                    self.queue(RestoreStep::CopyStatus(copy))?;
                }
                self.write()?;
                return Ok(true);
            }
            record => record,
        };
        self.counts.add(&record);
        if let DumpRecord::Book { copies, .. } = &mut record {
            for copy in copies.iter_mut() {
                if !matches!(copy.status, CopyStatus::Available | CopyStatus::Withdrawn) {
                    self.deferred.push(copy.clone());
                    copy.status = CopyStatus::Available;
                }
            }
        }
        self.queue(RestoreStep::Record(Box::new(record)))?;
        Ok(false)
    }

    fn queue(&mut self, step: RestoreStep) -> Result<()> {
        self.pending.push(Operation::Restore(RestoreInput(step)));
        if self.pending.len() >= RESTORE_BATCH {
            self.write()?;
        }
        Ok(())
    }

    fn write(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        for result in self.storage.apply_batch(batch)? {
            match result? {
                Outcome::Restored => {}
                other => {
                    return Err(Error::Corruption(format!(
                        "a restored record answered {other:?}"
                    )))
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<DumpSummary> {
        self.finish_ref()
    }

    /// Checks the end line's counts against what was restored, and makes it durable.
    fn finish_ref(&mut self) -> Result<DumpSummary> {
        self.write()?;
        let Some(expected) = &self.expected else {
            return Err(bad_dump(
                0,
                "the dump ends without its end line: it is truncated",
            ));
        };
        if expected != self.counts.counts() {
            return Err(bad_dump(
                0,
                &format!(
                    "the end line counts {expected:?} but the dump holds {:?}: it is damaged",
                    self.counts.counts()
                ),
            ));
        }
        self.storage.flush()?;
        Ok(self.counts.clone())
    }
}

fn bad_dump(line: usize, reason: &str) -> Error {
    Error::InvalidInput {
        field: "dump".into(),
        reason: if line == 0 {
            reason.to_owned()
        } else {
            format!("line {line}: {reason}")
        },
    }
}

fn at_line(line: usize, error: Error) -> Error {
    match error {
        Error::InvalidInput { field, reason } if field == "dump" => Error::InvalidInput {
            field,
            reason: format!("line {line}: {reason}"),
        },
        other => other,
    }
}
