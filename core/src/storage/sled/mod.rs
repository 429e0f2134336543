//! [`SledStorage`]: the embedded, durable default backend.
//!
//! `layout` holds the on-disk format and its migrations, `shared` the options and what callers and the committer
//! share, `tx` an operation's view inside a batch, `committer` the caller that writes, `events` the reads of the
//! event feed (by position, and by type).

use std::path::Path;

use chrono::{DateTime, Utc};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;

use self::committer::Committer;
use self::layout::{
    account_key, customer_rental_key, decode, decode_u64, entry_key, id_key, instant_key,
    ledger_prefix, open_prefix, open_rental_key, rental_entries_prefix, word_prefix, OpenRecord,
    Trees, ACCOUNTS, ACTIVE, BOOKS, BOOK_COPIES, COPIES, CUSTOMERS, CUSTOMER_RENTALS, EMAILS,
    IDEMPOTENCY, NOTICES, OPEN_BY_DUE, OPEN_COUNT, OPEN_OF_CUSTOMER, OPEN_RENTAL, RENTALS, WORDS,
};
use super::pause::WriteGate;
use super::{BatchResults, Records, Storage};
use crate::domain::email_key;
use crate::domain::{
    AccountState, Book, BookCopy, Customer, EntryKind, Event, EventKind, Hold, LedgerEntry, Rental,
    RentalStatus, WordIndex,
};
use crate::engine::{KeyRecord, Operation, StoredAccount};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, HoldId, RentalId};
use crate::pricing::PlanVersion;

mod committer;
mod events;
mod holds;
mod indexes;
mod keys;
mod layer;
mod layout;
mod migrate;
mod shared;
mod tx;

use shared::{read_plans, Shared, Stats};
pub use shared::{CommitStats, Durability, SledOptions};

/// Storage in a [sled](https://docs.rs/sled) database directory: embedded, crash-safe, durable by default.
///
/// **Writes** go through one committer at a time: each call (or [`Storage::apply_batch`]) is queued, and whenever
/// no commit is running one waiting caller commits everything queued at that moment — applied in order, the
/// accepted effects written in one sled transaction, one sync — so concurrent callers share commits and syncs
/// (see [`SledStorage::commit_stats`]).
/// An operation's effects become visible to readers when its batch is written, just before the sync; its caller
/// is answered after the sync. **Reads** go to sled directly and never wait for the committer.
///
/// If writing or syncing a batch fails (a full disk, an I/O error), every operation of that batch returns
/// [`Error::Storage`] and the store **stops**: sled may hold the batch in memory without it being on disk, so every
/// later call also returns `Storage` until the store is reopened, which shows the batch either wholly present or
/// wholly absent. **One process at a time**: sled locks its directory, so a second process opening the same path
/// gets [`Error::Storage`]; share one `SledStorage` between the threads of a process instead (it is `Send +
/// Sync`). For several processes, use the PostgreSQL backend.
///
/// ```
/// use koko_core::{NewCustomer, SledStorage, Storage};
///
/// let dir = tempfile::tempdir().unwrap();
/// let storage = SledStorage::open(dir.path()).unwrap();
/// let ada = storage.insert_customer(&NewCustomer::new("Ada", "Lovelace")).unwrap();
/// drop(storage);
/// let reopened = SledStorage::open(dir.path()).unwrap();
/// assert_eq!(reopened.customer(ada.id).unwrap(), ada);
/// ```
pub struct SledStorage {
    shared: Shared,
    committer: Committer,
    gate: WriteGate,
    /// Declared last, so dropped after the database: waits for the directory lock to be free.
    _released: LockRelease,
}

/// Makes closing a store synchronous. sled's background threads can hold its directory lock for a moment after
/// the database is dropped, so an immediate reopen — a test, Python's `with` block, the next process — could find
/// it taken. Dropped after the database, this waits (at most 5 s) until the lock can be taken, then lets it go.
struct LockRelease {
    db_file: std::path::PathBuf,
}

impl Drop for LockRelease {
    fn drop(&mut self) {
        use fs2::FileExt;
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let Ok(file) = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&self.db_file)
            else {
                return;
            };
            if file.try_lock_exclusive().is_ok() {
                let _ = FileExt::unlock(&file);
                return;
            }
            if std::time::Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl std::fmt::Debug for SledStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStorage")
            .field("durability", &self.shared.durability)
            .finish_non_exhaustive()
    }
}

impl SledStorage {
    /// Opens (creating if needed) the store in directory `path`, durable on every commit.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, SledOptions::default())
    }

    /// Opens (creating if needed) the store in directory `path` with the given options. A store written by an
    /// earlier Koko is migrated to the current on-disk layout first. A store another process holds open is an
    /// [`Error::Storage`] that names that process (where the system says, as Linux does) and what to do instead.
    pub fn open_with(path: impl AsRef<Path>, options: SledOptions) -> Result<Self> {
        let mut config = sled::Config::new().path(path.as_ref());
        config = match options.durability {
            Durability::FlushEveryCommit => config.flush_every_ms(None),
            Durability::Interval(every) => {
                let ms = u64::try_from(every.as_millis()).unwrap_or(u64::MAX).max(1);
                config.flush_every_ms(Some(ms))
            }
        };
        if let Some(bytes) = options.cache_capacity {
            config = config.cache_capacity(bytes);
        }
        let db = config
            .open()
            .map_err(|e| shared::open_error(path.as_ref(), e))?;
        let log_file = std::fs::File::open(path.as_ref().join("db")).map_err(Error::storage)?;
        let trees = Trees::open(&db)?;
        migrate::migrate(&db, &trees)?;
        let plans = read_plans(&trees)?;
        Ok(SledStorage {
            shared: Shared {
                db,
                trees,
                log_file,
                durability: options.durability,
                plans: Mutex::new(Arc::new(plans)),
                broken: Mutex::new(None),
                stats: Stats::default(),
            },
            committer: Committer::new(),
            gate: WriteGate::default(),
            _released: LockRelease {
                db_file: path.as_ref().join("db"),
            },
        })
    }

    /// The durability mode the store was opened with.
    pub fn durability(&self) -> Durability {
        self.shared.durability
    }

    /// Size of the database on disk, in bytes.
    pub fn size_on_disk(&self) -> Result<u64> {
        self.shared.db.size_on_disk().map_err(Error::storage)
    }

    /// How many batches, operations and syncs the committer has written since the store was opened.
    pub fn commit_stats(&self) -> CommitStats {
        let stats = &self.shared.stats;
        CommitStats {
            batches: stats.batches.load(Ordering::Relaxed),
            operations: stats.operations.load(Ordering::Relaxed),
            syncs: stats.syncs.load(Ordering::Relaxed),
            apply_nanos: stats.apply_nanos.load(Ordering::Relaxed),
            write_nanos: stats.write_nanos.load(Ordering::Relaxed),
            sync_nanos: stats.sync_nanos.load(Ordering::Relaxed),
        }
    }

    /// A tree to read, its reads counted ([`Storage::reads`]).
    fn tree(&self, tree: usize) -> layout::Counted<'_> {
        self.shared.trees.read(tree)
    }

    fn get<T: DeserializeOwned>(&self, tree: usize, id: u64, entity: &'static str) -> Result<T> {
        self.shared.usable()?;
        match self.tree(tree).get(id_key(id)).map_err(Error::storage)? {
            Some(raw) => decode(&raw),
            None => Err(Error::not_found(entity, id)),
        }
    }

    fn rental_by_key(&self, key: &[u8]) -> Result<Rental> {
        match self.tree(RENTALS).get(key).map_err(Error::storage)? {
            Some(raw) => decode(&raw),
            None => Err(Error::Corruption(format!(
                "an index names rental {} which does not exist",
                decode_u64(key).unwrap_or(0)
            ))),
        }
    }

    /// Every value of a tree, decoded, in key order.
    /// The records of `tree` after id `after` (all for `None`), in id order.
    fn values_after<T: DeserializeOwned + Send + 'static>(
        &self,
        tree: usize,
        after: Option<u64>,
    ) -> Result<Records<'_, T>> {
        self.shared.usable()?;
        Ok(Box::new(self.tree(tree).range(start_after(after)..).map(
            |item| {
                let (_, value) = item.map_err(Error::storage)?;
                decode(&value)
            },
        )))
    }
}

impl Storage for SledStorage {
    fn apply_batch_at(
        &self,
        operations: Vec<Operation>,
        now: DateTime<Utc>,
    ) -> Result<BatchResults> {
        self.shared.usable()?;
        if operations.is_empty() {
            return Ok(Vec::new());
        }
        let _turn = self.gate.turn();
        self.committer.submit(&self.shared, operations, now)
    }

    fn try_batch_at(&self, operations: Vec<Operation>, now: DateTime<Utc>) -> Result<BatchResults> {
        committer::dry_run(&self.shared, &operations, now)
    }

    fn book(&self, id: BookId) -> Result<Book> {
        self.get(BOOKS, id.get(), BookId::ENTITY)
    }

    fn books_after(&self, after: Option<BookId>) -> Result<Records<'_, Book>> {
        self.values_after(BOOKS, after.map(BookId::get))
    }

    fn copy(&self, id: CopyId) -> Result<BookCopy> {
        self.get(COPIES, id.get(), CopyId::ENTITY)
    }

    fn copies_of(&self, book: BookId) -> Result<Vec<BookCopy>> {
        self.book(book)?;
        let ids: Vec<CopyId> = match self
            .tree(BOOK_COPIES)
            .get(id_key(book.get()))
            .map_err(Error::storage)?
        {
            Some(raw) => decode(&raw)?,
            None => Vec::new(),
        };
        ids.into_iter().map(|id| self.copy(id)).collect()
    }

    fn available_copies(&self, book: BookId) -> Result<usize> {
        self.count_available(book)
    }

    fn books_on_shelf_after(&self, after: Option<BookId>) -> Result<Records<'_, BookId>> {
        self.shelf_after(after)
    }

    fn customer_by_email(&self, email: &str) -> Result<Option<Customer>> {
        let key = email_key(email.trim());
        match self
            .tree(EMAILS)
            .get(key.as_bytes())
            .map_err(Error::storage)?
        {
            Some(raw) => self.customer(CustomerId::new(decode_u64(&raw)?)).map(Some),
            None => Ok(None),
        }
    }

    fn customer(&self, id: CustomerId) -> Result<Customer> {
        self.get(CUSTOMERS, id.get(), CustomerId::ENTITY)
    }

    fn customers_after(&self, after: Option<CustomerId>) -> Result<Records<'_, Customer>> {
        self.values_after(CUSTOMERS, after.map(CustomerId::get))
    }

    fn rental(&self, id: RentalId) -> Result<Rental> {
        self.get(RENTALS, id.get(), RentalId::ENTITY)
    }

    fn rentals_after(&self, after: Option<RentalId>) -> Result<Records<'_, Rental>> {
        self.values_after(RENTALS, after.map(RentalId::get))
    }

    fn active_rentals_after(&self, after: Option<RentalId>) -> Result<Records<'_, Rental>> {
        // The index holds each open rental's record: one tree, no second lookup, no date parsing.
        self.shared.usable()?;
        Ok(Box::new(
            self.tree(ACTIVE)
                .range(start_after(after.map(RentalId::get))..)
                .map(|item| {
                    let (_, value) = item.map_err(Error::storage)?;
                    OpenRecord::decode(&value)
                }),
        ))
    }

    fn customer_open_rentals(
        &self,
        customer: CustomerId,
        after: Option<RentalId>,
    ) -> Result<Records<'_, Rental>> {
        self.customer(customer)?;
        let first = match after.map(|a| a.get().checked_add(1)) {
            None => 0,
            Some(Some(next)) => next,
            Some(None) => return Ok(Box::new(std::iter::empty())),
        };
        let from = open_rental_key(customer, RentalId::new(first));
        let prefix = open_prefix(OPEN_RENTAL, customer);
        Ok(Box::new(
            self.tree(OPEN_OF_CUSTOMER)
                .range(from.to_vec()..)
                .take_while(move |item| {
                    item.as_ref()
                        .map_or(true, |(key, _)| key.starts_with(&prefix))
                })
                .map(move |item| {
                    let (key, _) = item.map_err(Error::storage)?;
                    self.rental_by_key(key.get(9..).unwrap_or_default())
                }),
        ))
    }

    fn rentals_due_before(&self, at: DateTime<Utc>) -> Result<Vec<Rental>> {
        self.shared.usable()?;
        let mut due = Vec::new();
        for item in self.tree(OPEN_BY_DUE).range(..instant_key(at).to_vec()) {
            let (key, _) = item.map_err(Error::storage)?;
            due.push(self.rental_by_key(key.get(12..).unwrap_or_default())?);
        }
        due.sort_by_key(|r: &Rental| r.id);
        Ok(due)
    }

    fn rentals_with_status_after(
        &self,
        status: RentalStatus,
        after: Option<RentalId>,
    ) -> Result<Records<'_, Rental>> {
        self.with_status(status, after)
    }

    fn rentals_returned_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Records<'_, Rental>> {
        self.returned_between(from, to)
    }

    fn customer_rentals(&self, customer: CustomerId) -> Result<Records<'_, Rental>> {
        self.customer(customer)?;
        let from = customer_rental_key(customer, RentalId::new(0));
        Ok(Box::new(
            self.tree(CUSTOMER_RENTALS)
                .scan_prefix(&from[..8])
                .map(move |item| {
                    let (key, _) = item.map_err(Error::storage)?;
                    self.rental_by_key(key.get(8..).unwrap_or_default())
                }),
        ))
    }

    fn plan_versions(&self) -> Result<Vec<PlanVersion>> {
        self.shared.usable()?;
        Ok(self
            .shared
            .plans()
            .iter()
            .map(|version| (**version).clone())
            .collect())
    }

    fn account(&self, customer: CustomerId) -> Result<AccountState> {
        self.customer(customer)?;
        let stored: StoredAccount = match self
            .tree(ACCOUNTS)
            .get(account_key(customer))
            .map_err(Error::storage)?
        {
            Some(raw) => decode(&raw)?,
            None => StoredAccount::default(),
        };
        // The count of the customer's open rentals kept in `open_of_customer`.
        let open = match self
            .tree(OPEN_OF_CUSTOMER)
            .get(open_prefix(OPEN_COUNT, customer))
            .map_err(Error::storage)?
        {
            Some(raw) => decode_u64(&raw)?,
            None => 0,
        };
        Ok(stored.with_open(open))
    }

    fn ledger(&self, customer: CustomerId) -> Result<Records<'_, LedgerEntry>> {
        self.customer(customer)?;
        Ok(Box::new(
            self.tree(ACCOUNTS)
                .scan_prefix(ledger_prefix(customer))
                .map(|item| decode(&item.map_err(Error::storage)?.1)),
        ))
    }

    fn ledger_between(
        &self,
        customer: CustomerId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        newest_first: bool,
    ) -> Result<Records<'_, LedgerEntry>> {
        self.ledger_dated(customer, from, to, newest_first)
    }

    fn customers_owing_after(&self, after: Option<CustomerId>) -> Result<Records<'_, CustomerId>> {
        self.owing_after(after)
    }

    fn charge_entry(&self, rental: RentalId) -> Result<Option<LedgerEntry>> {
        Ok(self
            .rental_entries(rental)?
            .into_iter()
            .find(|e| e.kind == EntryKind::Charge))
    }

    fn rental_entries(&self, rental: RentalId) -> Result<Vec<LedgerEntry>> {
        self.shared.usable()?;
        let mut entries = Vec::new();
        for item in self
            .tree(ACCOUNTS)
            .scan_prefix(rental_entries_prefix(rental))
        {
            let (key, customer) = item.map_err(Error::storage)?;
            let customer = CustomerId::new(decode_u64(&customer)?);
            let id = decode_u64(key.get(9..).unwrap_or_default())?;
            match self
                .tree(ACCOUNTS)
                .get(entry_key(customer, id))
                .map_err(Error::storage)?
            {
                Some(raw) => entries.push(decode(&raw)?),
                None => {
                    return Err(Error::Corruption(format!(
                        "rental {rental}'s entry index names entry {id}, which does not exist"
                    )))
                }
            }
        }
        Ok(entries)
    }

    fn prune_idempotency_keys(&self, before: chrono::DateTime<chrono::Utc>) -> Result<u64> {
        self.shared.usable()?;
        let tree = self.shared.trees.get(IDEMPOTENCY);
        let mut pruned = 0;
        for item in self.tree(IDEMPOTENCY).iter() {
            let (key, raw) = item.map_err(Error::storage)?;
            if KeyRecord::decode(&raw)?.recorded_at < before {
                // Removes exactly the record read: a key written again since is kept.
                if tree
                    .compare_and_swap(&key, Some(&raw), None as Option<&[u8]>)
                    .map_err(Error::storage)?
                    .is_ok()
                {
                    pruned += 1;
                }
            }
        }
        if pruned > 0 {
            self.shared.sync().map_err(Error::Storage)?;
        }
        Ok(pruned)
    }

    fn hold(&self, id: HoldId) -> Result<Hold> {
        self.hold_numbered(id)
    }

    fn book_holds(&self, book: BookId) -> Result<Vec<Hold>> {
        self.book_queue(book)
    }

    fn customer_holds(&self, customer: CustomerId) -> Result<Vec<Hold>> {
        self.holds_of_customer(customer)
    }

    fn ready_holds(&self) -> Result<Vec<Hold>> {
        self.ready_hold_list()
    }

    fn active_holds(&self) -> Result<Vec<Hold>> {
        self.active_hold_list()
    }

    fn word_matches(
        &self,
        index: WordIndex,
        prefix: &str,
        at_most: usize,
    ) -> Result<Option<Vec<u64>>> {
        self.shared.usable()?;
        let mut ids = Vec::new();
        for item in self.tree(WORDS).scan_prefix(word_prefix(index, prefix)) {
            if ids.len() == at_most {
                return Ok(None);
            }
            let (key, _) = item.map_err(Error::storage)?;
            let id = key.len().checked_sub(8).and_then(|at| key.get(at..));
            ids.push(decode_u64(id.unwrap_or_default())?);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(Some(ids))
    }

    fn word_ids_after(
        &self,
        index: WordIndex,
        word: &str,
        after: Option<u64>,
    ) -> Result<Records<'_, u64>> {
        self.word_ids(index, word, after)
    }

    fn notified(&self, key: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        self.shared.usable()?;
        self.tree(NOTICES)
            .get(key.as_bytes())
            .map_err(Error::storage)?
            .map(|raw| decode(&raw))
            .transpose()
    }

    fn notices_sent(&self) -> Result<Vec<(String, chrono::DateTime<chrono::Utc>)>> {
        self.shared.usable()?;
        self.tree(NOTICES)
            .iter()
            .map(|item| {
                let (key, raw) = item.map_err(Error::storage)?;
                let key = String::from_utf8(key.to_vec())
                    .map_err(|_| Error::Corruption("a notice key is not UTF-8".into()))?;
                Ok((key, decode(&raw)?))
            })
            .collect()
    }

    fn events_after(&self, after: Option<u64>, limit: usize) -> Result<Vec<Event>> {
        self.feed_after(after, limit)
    }

    fn events_of_types_after(
        &self,
        types: &[EventKind],
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>> {
        self.feed_of_types_after(types, after, limit)
    }

    fn last_event_position(&self) -> Result<u64> {
        self.last_given()
    }

    fn checkpoint(&self, name: &str) -> Result<Option<u64>> {
        self.tree(layout::EVENTS)
            .get(layout::checkpoint_key(name))
            .map_err(Error::storage)?
            .map(|raw| layout::decode_u64(&raw))
            .transpose()
    }

    fn checkpoints(&self) -> Result<Vec<(String, u64)>> {
        self.consumer_checkpoints()
    }

    fn with_writes_paused(&self, read: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        self.gate.paused(read)
    }

    fn reads(&self) -> u64 {
        self.shared.trees.reads()
    }

    fn flush(&self) -> Result<()> {
        self.shared.usable()?;
        self.shared.sync().map_err(Error::Storage)
    }
}

/// The first key of an id-keyed tree after `after` (the start for `None`; past the end after `u64::MAX`).
fn start_after(after: Option<u64>) -> Vec<u8> {
    match after {
        None => Vec::new(),
        Some(u64::MAX) => vec![0xff; 9],
        Some(id) => id_key(id + 1).to_vec(),
    }
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<SledStorage>();
}
