//! [`SledStorage`]: the embedded, durable default backend.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};
use sled::{Transactional, Tree};

use super::ops::{self, IdKind, TxView};
use super::{ChargeFn, DueDateFn, Records, RentRequest, Storage};
use crate::domain::{
    Book, BookUpdate, Copy, Customer, CustomerUpdate, NewBook, NewCustomer, Rental,
};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, PlanVersionId, RentalId};
use crate::pricing::{PlanVersion, PricePlan};

/// The on-disk layout version this code reads and writes.
const SCHEMA_VERSION: u64 = 1;
const SCHEMA_KEY: &[u8] = b"schema_version";

/// When a committed operation reaches the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Every operation returns only after its commit is on disk: sled's flush, then `fdatasync` of its log file
    /// (the default). Operations committing at the same time share one flush.
    FlushEveryCommit,
    /// Commits reach the disk at least about this often: sled's flusher thread syncs at this interval, and the
    /// first commit an interval or more after the last sync syncs before it returns. Faster; a crash may lose the
    /// operations acknowledged in roughly the last interval plus one sync — always the latest ones, never half of
    /// one. (If the store then goes quiet, only sled's flusher thread is left to sync it.)
    Interval(Duration),
}

/// Options for [`SledStorage::open_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SledOptions {
    /// When commits reach the disk.
    pub durability: Durability,
    /// sled's page cache size in bytes (sled's default when `None`).
    pub cache_capacity: Option<u64>,
}

impl Default for SledOptions {
    fn default() -> Self {
        SledOptions {
            durability: Durability::FlushEveryCommit,
            cache_capacity: None,
        }
    }
}

/// Storage in a [sled](https://docs.rs/sled) database directory: embedded, crash-safe, durable by default.
///
/// Each operation runs in one multi-tree sled transaction. If making a commit durable fails (a full disk, an I/O
/// error), that operation returns [`Error::Storage`] and the store **stops**: sled has already applied the commit
/// in memory, so every later call also returns `Storage` until the store is reopened, which shows the operation
/// either wholly present or wholly absent. **One process at a time**: sled locks its directory,
/// so a second process opening the same path gets [`Error::Storage`]; share one `SledStorage` between the threads
/// of a process instead (it is `Send + Sync`). For several processes, use the PostgreSQL backend.
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
    db: sled::Db,
    /// sled's log file, synced with `fdatasync` after each flush: sled makes its log buffers stable with
    /// `sync_file_range`, which neither flushes the drive's write cache nor records a grown file's size.
    log_file: std::fs::File,
    durability: Durability,
    group: GroupCommit,
    /// When the last sync started (interval mode: a commit after `interval` from it syncs before returning).
    last_sync: Mutex<Instant>,
    /// Why the store stopped serving: a sync failed after sled had applied a commit in memory, so this process's
    /// view may hold an operation that is not on disk. Every call fails until the store is reopened.
    broken: Mutex<Option<String>>,
    meta: Tree,
    books: Tree,
    titles: Tree,
    isbns: Tree,
    book_copies: Tree,
    copies: Tree,
    customers: Tree,
    rentals: Tree,
    active: Tree,
    customer_rentals: Tree,
    plans: Tree,
    plan_starts: Tree,
}

impl std::fmt::Debug for SledStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStorage")
            .field("durability", &self.durability)
            .finish_non_exhaustive()
    }
}

impl SledStorage {
    /// Opens (creating if needed) the store in directory `path`, durable on every commit.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, SledOptions::default())
    }

    /// Opens (creating if needed) the store in directory `path` with the given options.
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
        let db = config.open().map_err(Error::storage)?;
        let log_file = std::fs::File::open(path.as_ref().join("db")).map_err(Error::storage)?;
        let tree = |name: &str| db.open_tree(name).map_err(Error::storage);
        let storage = SledStorage {
            log_file,
            last_sync: Mutex::new(Instant::now()),
            broken: Mutex::new(None),
            durability: options.durability,
            group: GroupCommit::default(),
            meta: tree("meta")?,
            books: tree("books")?,
            titles: tree("titles")?,
            isbns: tree("isbns")?,
            book_copies: tree("book_copies")?,
            copies: tree("copies")?,
            customers: tree("customers")?,
            rentals: tree("rentals")?,
            active: tree("active_rentals")?,
            customer_rentals: tree("customer_rentals")?,
            plans: tree("plan_versions")?,
            plan_starts: tree("plan_starts")?,
            db,
        };
        storage.check_schema()?;
        Ok(storage)
    }

    fn check_schema(&self) -> Result<()> {
        match self.meta.get(SCHEMA_KEY).map_err(Error::storage)? {
            Some(raw) => {
                let version = decode_u64(&raw)?;
                if version != SCHEMA_VERSION {
                    return Err(Error::Corruption(format!(
                        "the store has layout version {version}; this Koko reads version {SCHEMA_VERSION}"
                    )));
                }
            }
            None => {
                self.meta
                    .insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
                    .map_err(Error::storage)?;
                self.commit_flush()?;
            }
        }
        Ok(())
    }

    /// The durability mode the store was opened with.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// Size of the database on disk, in bytes.
    pub fn size_on_disk(&self) -> Result<u64> {
        self.db.size_on_disk().map_err(Error::storage)
    }

    /// Makes a commit as durable as the mode promises. Flush every commit: sync now (shared with concurrent
    /// commits). Interval: sync now only if the last sync started an interval ago or more — sled writes its
    /// buffers on background threads with no deadline, so without this a loaded machine could hold acknowledged
    /// commits in memory for several intervals. A failed sync breaks the store until it is reopened.
    fn commit_flush(&self) -> Result<()> {
        let due = match self.durability {
            Durability::FlushEveryCommit => true,
            Durability::Interval(every) => lock(&self.last_sync).elapsed() >= every,
        };
        if !due {
            return Ok(());
        }
        let outcome = self.group.flush(|| {
            let started = Instant::now();
            self.sync().map_err(|e| e.to_string())?;
            *lock(&self.last_sync) = started;
            Ok(())
        });
        if let Err(err) = &outcome {
            *lock(&self.broken) = Some(err.to_string());
        }
        outcome
    }

    /// `Ok` unless a failed sync broke the store (see [`SledStorage`]).
    fn usable(&self) -> Result<()> {
        match &*lock(&self.broken) {
            None => Ok(()),
            Some(reason) => Err(Error::Storage(
                format!(
                    "the store stopped after a failed sync ({reason}); reopen it — the operation that failed is \
                     either wholly on disk or wholly absent"
                )
                .into(),
            )),
        }
    }

    /// Writes sled's buffers out and makes them durable: sled's own flush (ranged syncs of its log buffers),
    /// then `fdatasync` of the log file for the drive cache and the file's size.
    fn sync(&self) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.db.flush()?;
        self.log_file.sync_data()?;
        Ok(())
    }

    /// Runs one domain operation in a transaction over every tree it may touch, then flushes per the durability.
    fn write<T>(&self, op: impl Fn(&mut SledTx<'_>) -> Result<T, TxError>) -> Result<T> {
        self.usable()?;
        let trees = [
            &self.meta,
            &self.books,
            &self.titles,
            &self.isbns,
            &self.book_copies,
            &self.copies,
            &self.customers,
            &self.rentals,
            &self.active,
            &self.customer_rentals,
        ];
        let outcome = trees.as_slice().transaction(|views| {
            let mut tx = SledTx { views };
            op(&mut tx).map_err(|e| match e {
                TxError::Koko(e) => ConflictableTransactionError::Abort(e),
                TxError::Sled(e) => e.into(),
            })
        });
        let value = unwrap_transaction(outcome)?;
        self.commit_flush()?;
        Ok(value)
    }

    fn get<T: DeserializeOwned>(
        &self,
        tree: &Tree,
        key: &[u8],
        entity: &'static str,
        id: u64,
    ) -> Result<T> {
        match tree.get(key).map_err(Error::storage)? {
            Some(raw) => decode(&raw),
            None => Err(Error::not_found(entity, id)),
        }
    }

    fn rental_by_key(&self, key: &[u8]) -> Result<Rental> {
        match self.rentals.get(key).map_err(Error::storage)? {
            Some(raw) => decode(&raw),
            None => Err(Error::Corruption(format!(
                "an index names rental {} which does not exist",
                decode_u64(key).unwrap_or(0)
            ))),
        }
    }
}

/// Group commit: concurrent committers share flushes. A committer either starts a flush that covers every commit
/// made so far, or waits for the flush in progress and, if that one started before its commit, for the next.
#[derive(Default)]
struct GroupCommit {
    state: std::sync::Mutex<GroupState>,
    flushed: std::sync::Condvar,
}

#[derive(Default)]
struct GroupState {
    /// Commits made so far (a committer takes a number after its commit).
    committed: u64,
    /// Every commit numbered up to this one is on disk.
    durable: u64,
    /// A flush is running.
    flushing: bool,
    /// The last failed flush: the commits it covered and why.
    failed: Option<(u64, String)>,
}

impl GroupCommit {
    fn flush(&self, flush: impl Fn() -> std::result::Result<(), String>) -> Result<()> {
        let lock = || self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut state = lock();
        state.committed += 1;
        let mine = state.committed;
        loop {
            if state.durable >= mine {
                return Ok(());
            }
            if let Some((upto, reason)) = &state.failed {
                if *upto >= mine {
                    return Err(Error::Storage(reason.clone().into()));
                }
            }
            if !state.flushing {
                state.flushing = true;
                let target = state.committed;
                drop(state);
                let outcome = flush();
                state = lock();
                state.flushing = false;
                match outcome {
                    Ok(()) => state.durable = state.durable.max(target),
                    Err(reason) => state.failed = Some((target, reason)),
                }
                self.flushed.notify_all();
                continue;
            }
            state = self.flushed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Locks a mutex whose data stays valid whatever a panicking holder did (plain values, replaced whole).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn unwrap_transaction<T>(outcome: Result<T, TransactionError<Error>>) -> Result<T> {
    match outcome {
        Ok(value) => Ok(value),
        Err(TransactionError::Abort(e)) => Err(e),
        Err(TransactionError::Storage(e)) => Err(Error::storage(e)),
    }
}

/// A transaction step's failure: a domain error (abort) or sled asking to retry / reporting I/O.
enum TxError {
    Koko(Error),
    Sled(UnabortableTransactionError),
}

impl From<Error> for TxError {
    fn from(e: Error) -> Self {
        TxError::Koko(e)
    }
}

impl From<UnabortableTransactionError> for TxError {
    fn from(e: UnabortableTransactionError) -> Self {
        TxError::Sled(e)
    }
}

// Tree positions in `SledStorage::write`.
const META: usize = 0;
const BOOKS: usize = 1;
const TITLES: usize = 2;
const ISBNS: usize = 3;
const BOOK_COPIES: usize = 4;
const COPIES: usize = 5;
const CUSTOMERS: usize = 6;
const RENTALS: usize = 7;
const ACTIVE: usize = 8;
const CUSTOMER_RENTALS: usize = 9;

struct SledTx<'a> {
    views: &'a [TransactionalTree],
}

impl SledTx<'_> {
    fn get<T: DeserializeOwned>(&self, tree: usize, key: &[u8]) -> Result<Option<T>, TxError> {
        match self.views[tree].get(key)? {
            Some(raw) => Ok(Some(decode(&raw)?)),
            None => Ok(None),
        }
    }

    fn put<T: Serialize>(&self, tree: usize, key: &[u8], value: &T) -> Result<(), TxError> {
        self.views[tree].insert(key, encode(value)?)?;
        Ok(())
    }

    fn owner(&self, tree: usize, key: &[u8]) -> Result<Option<BookId>, TxError> {
        match self.views[tree].get(key)? {
            Some(raw) => Ok(Some(BookId::new(decode_u64(&raw)?))),
            None => Ok(None),
        }
    }

    fn set_owner(&self, tree: usize, key: &[u8], owner: Option<BookId>) -> Result<(), TxError> {
        match owner {
            Some(id) => self.views[tree].insert(key, &id.get().to_be_bytes())?,
            None => self.views[tree].remove(key)?,
        };
        Ok(())
    }
}

impl TxView for SledTx<'_> {
    type E = TxError;

    fn next_id(&mut self, kind: IdKind) -> Result<u64, TxError> {
        let key = format!("next_id:{}", kind.name());
        let next = match self.views[META].get(key.as_bytes())? {
            Some(raw) => decode_u64(&raw)? + 1,
            None => 1,
        };
        self.views[META].insert(key.as_bytes(), &next.to_be_bytes())?;
        Ok(next)
    }

    fn book(&mut self, id: BookId) -> Result<Option<Book>, TxError> {
        self.get(BOOKS, &id.get().to_be_bytes())
    }

    fn put_book(&mut self, book: &Book) -> Result<(), TxError> {
        self.put(BOOKS, &book.id.get().to_be_bytes(), book)
    }

    fn title_owner(&mut self, key: &str) -> Result<Option<BookId>, TxError> {
        self.owner(TITLES, key.as_bytes())
    }

    fn set_title_owner(&mut self, key: &str, owner: Option<BookId>) -> Result<(), TxError> {
        self.set_owner(TITLES, key.as_bytes(), owner)
    }

    fn isbn_owner(&mut self, isbn: &str) -> Result<Option<BookId>, TxError> {
        self.owner(ISBNS, isbn.as_bytes())
    }

    fn set_isbn_owner(&mut self, isbn: &str, owner: Option<BookId>) -> Result<(), TxError> {
        self.set_owner(ISBNS, isbn.as_bytes(), owner)
    }

    fn copy_ids(&mut self, book: BookId) -> Result<Vec<CopyId>, TxError> {
        Ok(self
            .get(BOOK_COPIES, &book.get().to_be_bytes())?
            .unwrap_or_default())
    }

    fn put_copy_ids(&mut self, book: BookId, copies: &[CopyId]) -> Result<(), TxError> {
        self.put(BOOK_COPIES, &book.get().to_be_bytes(), &copies)
    }

    fn copy(&mut self, id: CopyId) -> Result<Option<Copy>, TxError> {
        self.get(COPIES, &id.get().to_be_bytes())
    }

    fn put_copy(&mut self, copy: &Copy) -> Result<(), TxError> {
        self.put(COPIES, &copy.id.get().to_be_bytes(), copy)
    }

    fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>, TxError> {
        self.get(CUSTOMERS, &id.get().to_be_bytes())
    }

    fn put_customer(&mut self, customer: &Customer) -> Result<(), TxError> {
        self.put(CUSTOMERS, &customer.id.get().to_be_bytes(), customer)
    }

    fn rental(&mut self, id: RentalId) -> Result<Option<Rental>, TxError> {
        self.get(RENTALS, &id.get().to_be_bytes())
    }

    fn put_rental(&mut self, rental: &Rental) -> Result<(), TxError> {
        let key = rental.id.get().to_be_bytes();
        self.put(RENTALS, &key, rental)?;
        if rental.returned_at.is_none() {
            self.views[ACTIVE].insert(&key, &[])?;
        } else {
            self.views[ACTIVE].remove(&key)?;
        }
        self.views[CUSTOMER_RENTALS].insert(
            customer_rental_key(rental.customer, rental.id).as_slice(),
            &[],
        )?;
        Ok(())
    }
}

fn customer_rental_key(customer: CustomerId, rental: RentalId) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&customer.get().to_be_bytes());
    key[8..].copy_from_slice(&rental.get().to_be_bytes());
    key
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    postcard::to_allocvec(value)
        .map_err(|e| Error::Corruption(format!("cannot encode a record: {e}")))
}

fn decode<T: DeserializeOwned>(raw: &[u8]) -> Result<T, Error> {
    postcard::from_bytes(raw)
        .map_err(|e| Error::Corruption(format!("cannot decode a stored record: {e}")))
}

fn decode_u64(raw: &[u8]) -> Result<u64, Error> {
    <[u8; 8]>::try_from(raw)
        .map(u64::from_be_bytes)
        .map_err(|_| Error::Corruption(format!("a stored id has {} bytes, not 8", raw.len())))
}

fn decoded<T: DeserializeOwned>(item: sled::Result<(sled::IVec, sled::IVec)>) -> Result<T> {
    let (_, value) = item.map_err(Error::storage)?;
    decode(&value)
}

impl Storage for SledStorage {
    fn insert_book(&self, book: &NewBook, copies: u32) -> Result<(Book, Vec<Copy>)> {
        self.write(|tx| ops::insert_book(tx, book, copies))
    }

    fn update_book(&self, id: BookId, update: &BookUpdate) -> Result<Book> {
        self.write(|tx| ops::update_book(tx, id, update))
    }

    fn book(&self, id: BookId) -> Result<Book> {
        self.usable()?;
        self.get(
            &self.books,
            &id.get().to_be_bytes(),
            BookId::ENTITY,
            id.get(),
        )
    }

    fn books(&self) -> Result<Records<'_, Book>> {
        self.usable()?;
        Ok(Box::new(self.books.iter().map(decoded)))
    }

    fn add_copies(&self, book: BookId, count: u32) -> Result<Vec<Copy>> {
        self.write(|tx| ops::add_copies(tx, book, count))
    }

    fn copy(&self, id: CopyId) -> Result<Copy> {
        self.usable()?;
        self.get(
            &self.copies,
            &id.get().to_be_bytes(),
            CopyId::ENTITY,
            id.get(),
        )
    }

    fn copies_of(&self, book: BookId) -> Result<Vec<Copy>> {
        self.usable()?;
        self.book(book)?;
        let ids: Vec<CopyId> = match self
            .book_copies
            .get(book.get().to_be_bytes())
            .map_err(Error::storage)?
        {
            Some(raw) => decode(&raw)?,
            None => Vec::new(),
        };
        ids.into_iter().map(|id| self.copy(id)).collect()
    }

    fn set_withdrawn(&self, copy: CopyId, withdrawn: bool) -> Result<Copy> {
        self.write(|tx| ops::set_withdrawn(tx, copy, withdrawn))
    }

    fn insert_customer(&self, customer: &NewCustomer) -> Result<Customer> {
        self.write(|tx| ops::insert_customer(tx, customer))
    }

    fn update_customer(&self, id: CustomerId, update: &CustomerUpdate) -> Result<Customer> {
        self.write(|tx| ops::update_customer(tx, id, update))
    }

    fn customer(&self, id: CustomerId) -> Result<Customer> {
        self.usable()?;
        self.get(
            &self.customers,
            &id.get().to_be_bytes(),
            CustomerId::ENTITY,
            id.get(),
        )
    }

    fn customers(&self) -> Result<Records<'_, Customer>> {
        self.usable()?;
        Ok(Box::new(self.customers.iter().map(decoded)))
    }

    fn rent(&self, request: &RentRequest, due_at: DueDateFn<'_>) -> Result<Rental> {
        self.write(|tx| ops::rent(tx, request, due_at))
    }

    fn close(
        &self,
        rental: RentalId,
        returned_at: DateTime<Utc>,
        charge: ChargeFn<'_>,
    ) -> Result<Rental> {
        self.write(|tx| ops::close(tx, rental, returned_at, charge))
    }

    fn rental(&self, id: RentalId) -> Result<Rental> {
        self.usable()?;
        self.get(
            &self.rentals,
            &id.get().to_be_bytes(),
            RentalId::ENTITY,
            id.get(),
        )
    }

    fn rentals(&self) -> Result<Records<'_, Rental>> {
        self.usable()?;
        Ok(Box::new(self.rentals.iter().map(decoded)))
    }

    fn active_rentals(&self) -> Result<Records<'_, Rental>> {
        self.usable()?;
        Ok(Box::new(self.active.iter().map(move |item| {
            let (key, _) = item.map_err(Error::storage)?;
            self.rental_by_key(&key)
        })))
    }

    fn customer_rentals(&self, customer: CustomerId) -> Result<Records<'_, Rental>> {
        self.usable()?;
        self.customer(customer)?;
        Ok(Box::new(
            self.customer_rentals
                .scan_prefix(customer.get().to_be_bytes())
                .map(move |item| {
                    let (key, _) = item.map_err(Error::storage)?;
                    self.rental_by_key(key.get(8..).unwrap_or_default())
                }),
        ))
    }

    fn insert_plan_version(
        &self,
        effective_from: DateTime<Utc>,
        plan: &PricePlan,
    ) -> Result<PlanVersion> {
        self.usable()?;
        let start_key = effective_from.to_rfc3339_opts(SecondsFormat::Nanos, true);
        let outcome =
            (&self.meta, &self.plans, &self.plan_starts).transaction(|(meta, plans, starts)| {
                if starts.get(start_key.as_bytes())?.is_some() {
                    return Err(ConflictableTransactionError::Abort(Error::Duplicate {
                        field: "effective_from",
                        value: effective_from.to_rfc3339(),
                    }));
                }
                let counter = format!("next_id:{}", IdKind::PlanVersion.name());
                let id = match meta.get(counter.as_bytes())? {
                    Some(raw) => decode_u64(&raw).map_err(ConflictableTransactionError::Abort)? + 1,
                    None => 1,
                };
                meta.insert(counter.as_bytes(), &id.to_be_bytes())?;
                let version = PlanVersion {
                    id: PlanVersionId::new(id),
                    effective_from,
                    plan: plan.clone(),
                };
                let json = serde_json::to_vec(&version).map_err(|e| {
                    ConflictableTransactionError::Abort(Error::Corruption(e.to_string()))
                })?;
                plans.insert(&id.to_be_bytes(), json)?;
                starts.insert(start_key.as_bytes(), &id.to_be_bytes())?;
                Ok(version)
            });
        let version = unwrap_transaction(outcome)?;
        self.commit_flush()?;
        Ok(version)
    }

    fn plan_versions(&self) -> Result<Vec<PlanVersion>> {
        self.usable()?;
        self.plans
            .iter()
            .map(|item| {
                let (_, raw) = item.map_err(Error::storage)?;
                serde_json::from_slice(&raw).map_err(|e| {
                    Error::Corruption(format!("cannot decode a stored price plan: {e}"))
                })
            })
            .collect()
    }

    fn flush(&self) -> Result<()> {
        self.usable()?;
        self.sync().map_err(Error::Storage)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::time::Duration;

    use super::GroupCommit;

    #[test]
    fn concurrent_commits_share_flushes() {
        let group = GroupCommit::default();
        let flushes = AtomicUsize::new(0);
        let commits = AtomicU64::new(0);
        // Each flush makes durable exactly the commits counted when it started.
        let durable = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        let mine = commits.fetch_add(1, Ordering::SeqCst) + 1;
                        group
                            .flush(|| {
                                let upto = commits.load(Ordering::SeqCst);
                                flushes.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(Duration::from_millis(2));
                                durable.fetch_max(upto, Ordering::SeqCst);
                                Ok(())
                            })
                            .unwrap();
                        assert!(
                            durable.load(Ordering::SeqCst) >= mine,
                            "returned before its commit was flushed"
                        );
                    }
                });
            }
        });
        let flushes = flushes.into_inner();
        assert!(
            flushes < 400,
            "400 commits took {flushes} flushes: nothing was shared"
        );
    }

    #[test]
    fn a_failed_flush_fails_the_commits_it_covered() {
        let group = GroupCommit::default();
        let err = group.flush(|| Err("disk full".into())).unwrap_err();
        assert!(err.to_string().contains("disk full"));
        group.flush(|| Ok(())).unwrap();
    }
}
