//! Backups, restores and migrations: a whole store as a portable, versioned dump.
//!
//! A dump is text, one JSON document per line: a [`DumpHeader`] (the format version, who wrote it, when), then
//! every record ([`DumpRecord`]) in an order a restore can write it in, then an end line with the count of each
//! kind, so a truncated dump is refused. Ids, history (closed rentals, ledger entries, holds of every status, sent
//! notices, the event feed with its positions and its consumers' checkpoints) and every plan version are kept;
//! money is written as decimal strings. The format number stays 1: a dump from before the feed has no feed records
//! and restores with an empty feed (an older Koko refuses a dump with them, naming the line and the record). What a dump leaves out:
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
mod restorer;
mod summary;
mod verify;

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::io::{BufRead, Write};

use chrono::Utc;

pub use beside_plans::restore_beside_plans;
pub use record::{DumpHeader, DumpRecord, DUMP_FORMAT};
pub use summary::DumpSummary;
pub use verify::copy_verified;

use restorer::Restorer;
use summary::{at_line, bad_dump};

use crate::error::{Error, Result};
use crate::storage::Storage;

/// Events a backup reads per call.
const EVENTS_PAGE: usize = 1000;

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
        counts: summary.counts().clone(),
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
    // The feed: its last position (kept past a prune), its events, its consumers' checkpoints.
    let last_position = storage.last_event_position()?;
    if last_position > 0 {
        emit(DumpRecord::Feed { last_position })?;
    }
    let mut after = None;
    loop {
        let page = storage.events_after(after, EVENTS_PAGE)?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some(last.position);
        for event in page {
            emit(DumpRecord::Event(Box::new(event)))?;
        }
    }
    for (name, position) in storage.checkpoints()? {
        emit(DumpRecord::Checkpoint { name, position })?;
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
        let counts = writer.counts.counts().clone();
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
