//! [`PostgresStorage`] and its [`Storage`] implementation: connecting (and migrating), running a batch of writes
//! in one transaction with retries, and the reads, handed to the modules that hold their SQL.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;

use super::error::{pg_error, retryable, TxError};
use super::pool::{Conn, Manager};
use super::reader::Reader;
use super::replica::Replica;
use super::tx::{PgTx, PlanCache};
use super::{accounts, backup, events, holds, notices, schema, search};
use crate::domain::email_key;
use crate::domain::{
    AccountState, Book, BookCopy, Customer, Hold, LedgerEntry, Rental, RentalStatus, WordIndex,
};
use crate::engine::{self, Batch, Operation};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, HoldId, RentalId};
use crate::pricing::PlanVersion;
use crate::storage::pause::WriteGate;
use crate::storage::{BatchResults, Records, Storage};

/// How many times a write is tried when PostgreSQL reports a serialisation failure, deadlock or unique race.
const MAX_ATTEMPTS: u32 = 16;

/// Options for [`PostgresStorage::connect_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostgresOptions {
    /// The most connections the pool keeps open (and, with a replica, the most kept open to it).
    pub pool_size: u32,
    /// How long to wait for a free connection.
    pub connect_timeout: Duration,
    /// A read-only streaming replica of the database (`postgresql://…`): listings and search read from it
    /// while it is up and lags at most `max_replica_lag`; writes and every other read go to the primary. A
    /// replica that is down or behind costs nothing but a check every half second: its reads go to the primary.
    pub replica: Option<String>,
    /// How far behind the primary the replica may be and still serve listings and search.
    pub max_replica_lag: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            pool_size: 8,
            connect_timeout: Duration::from_secs(30),
            replica: None,
            max_replica_lag: Duration::from_secs(2),
        }
    }
}

/// Storage in a PostgreSQL database (or any engine speaking its wire protocol and SQL dialect).
///
/// `connect` creates or migrates Koko's tables (all prefixed `koko_`) and keeps a connection pool; TLS is not
/// used. Safe to share between threads, and any number of processes may use one database at once.
pub struct PostgresStorage {
    /// The primary's pool and the replica's, and which one each read goes to.
    reader: Reader,
    /// This process's writes wait here while a backup reads (see [`Storage::with_writes_paused`]).
    gate: WriteGate,
    /// Parsed plan versions by id (see [`PlanCache`]).
    plans: PlanCache,
}

impl std::fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStorage")
            .field("connections", &self.reader.connections())
            .finish_non_exhaustive()
    }
}

impl PostgresStorage {
    /// Connects to `url` (`postgresql://user:password@host:port/dbname` or `host=… user=… dbname=…`), creating or
    /// migrating Koko's schema.
    pub fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, PostgresOptions::default())
    }

    /// Whether the database at `url` holds a Koko store (its schema), without creating one as
    /// [`PostgresStorage::connect`] would: for a tool that must not mistake a wrong database for an empty store.
    pub fn holds_store(url: &str) -> Result<bool> {
        let mut client = postgres::Client::connect(url, NoTls).map_err(pg_error)?;
        let row = client
            .query_one("SELECT to_regclass('koko_schema_version') IS NOT NULL", &[])
            .map_err(pg_error)?;
        row.try_get(0).map_err(pg_error)
    }

    /// Connects with explicit pool options.
    pub fn connect_with(url: &str, options: PostgresOptions) -> Result<Self> {
        let config: postgres::Config = url.parse().map_err(|e| {
            Error::invalid_input("url", format!("not a PostgreSQL connection string: {e}"))
        })?;
        let manager = Manager(PostgresConnectionManager::new(config, NoTls));
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size.max(1))
            .connection_timeout(options.connect_timeout)
            .build(manager)
            .map_err(Error::storage)?;
        let replica = match &options.replica {
            Some(url) => Some(Replica::new(
                url,
                options.pool_size,
                options.max_replica_lag,
            )?),
            None => None,
        };
        let storage = PostgresStorage {
            reader: Reader::new(pool, replica),
            gate: WriteGate::default(),
            plans: Mutex::new(HashMap::new()),
        };
        schema::migrate(&mut *storage.reader.primary()?)?;
        Ok(storage)
    }

    /// The schema version in the database after migrating.
    pub fn schema_version(&self) -> Result<i32> {
        schema::version(&mut *self.reader.primary()?)
    }

    /// Runs a batch in one transaction, each operation under its own savepoint so a rejected one is rolled back
    /// alone; retries the whole batch when PostgreSQL asks to (serialisation failure, deadlock, unique race).
    /// A dry run (`keep: false`) runs the batch the same way and rolls it all back.
    fn write(
        &self,
        operations: &[Operation],
        now: DateTime<Utc>,
        keep: bool,
    ) -> Result<BatchResults> {
        let _turn = self.gate.turn();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut conn = self.reader.primary()?;
            match self.attempt(&mut conn, operations, now, keep) {
                Ok(results) => return Ok(results),
                Err(TxError::Koko(err)) => return Err(err),
                Err(TxError::Pg(err)) if retryable(&err) && attempt < MAX_ATTEMPTS => {
                    std::thread::sleep(Duration::from_millis(u64::from(attempt.min(10))));
                }
                Err(TxError::Pg(err)) => return Err(pg_error(err)),
            }
        }
    }

    /// One try of a batch on `conn`: commits the accepted operations (rolls back when none is, or when `keep` is
    /// false), or fails whole on PostgreSQL's first error.
    fn attempt(
        &self,
        conn: &mut Conn,
        operations: &[Operation],
        now: DateTime<Utc>,
        keep: bool,
    ) -> Result<BatchResults, TxError> {
        let Conn { client, statements } = conn;
        let mut tx = client.transaction()?;
        let mut results = Vec::with_capacity(operations.len());
        let mut batch = Batch::new(now);
        // The accepted operations' events, appended to the feed just before the commit (see `events`).
        let mut pending = Vec::new();
        for op in operations {
            let kept = pending.len();
            let result = if operations.len() == 1 {
                // A batch of one needs no savepoint: a rejection rolls the whole transaction back.
                engine::apply(
                    &mut PgTx::new(
                        &mut tx,
                        statements,
                        &self.plans,
                        &self.reader.reads,
                        &mut pending,
                    ),
                    op,
                    &mut batch,
                )
            } else {
                let mut savepoint = tx.transaction()?;
                let result = engine::apply(
                    &mut PgTx::new(
                        &mut savepoint,
                        statements,
                        &self.plans,
                        &self.reader.reads,
                        &mut pending,
                    ),
                    op,
                    &mut batch,
                );
                match result {
                    Ok(value) => {
                        savepoint.commit()?;
                        Ok(value)
                    }
                    Err(err) => {
                        savepoint.rollback()?;
                        Err(err)
                    }
                }
            };
            match result {
                Ok(value) => results.push(Ok(value)),
                Err(TxError::Koko(err)) => {
                    pending.truncate(kept);
                    results.push(Err(err));
                }
                Err(TxError::Pg(err)) => return Err(TxError::Pg(err)),
            }
        }
        if keep && results.iter().any(Result::is_ok) {
            events::flush(&mut PgTx::new(
                &mut tx,
                statements,
                &self.plans,
                &self.reader.reads,
                &mut pending,
            ))?;
            tx.commit()?;
        } else {
            tx.rollback()?;
        }
        Ok(results)
    }
}

impl Storage for PostgresStorage {
    fn apply_batch_at(
        &self,
        operations: Vec<Operation>,
        now: DateTime<Utc>,
    ) -> Result<BatchResults> {
        self.write(&operations, now, true)
    }

    fn try_batch_at(&self, operations: Vec<Operation>, now: DateTime<Utc>) -> Result<BatchResults> {
        self.write(&operations, now, false)
    }

    fn book(&self, id: BookId) -> Result<Book> {
        self.reader.book(id)
    }

    fn books_after(&self, after: Option<BookId>) -> Result<Records<'_, Book>> {
        Ok(self.reader.books_after(after))
    }

    fn copy(&self, id: CopyId) -> Result<BookCopy> {
        self.reader.copy(id)
    }

    fn copies_of(&self, book: BookId) -> Result<Vec<BookCopy>> {
        self.reader.copies_of(book)
    }

    fn customer_by_email(&self, email: &str) -> Result<Option<Customer>> {
        self.reader.customer_by_email(&email_key(email.trim()))
    }

    fn customer(&self, id: CustomerId) -> Result<Customer> {
        self.reader.customer(id)
    }

    fn customers_after(&self, after: Option<CustomerId>) -> Result<Records<'_, Customer>> {
        Ok(self.reader.customers_after(after))
    }

    fn rental(&self, id: RentalId) -> Result<Rental> {
        self.reader.rental(id)
    }

    fn rentals_after(&self, after: Option<RentalId>) -> Result<Records<'_, Rental>> {
        Ok(self.reader.rentals_after(after))
    }

    fn active_rentals_after(&self, after: Option<RentalId>) -> Result<Records<'_, Rental>> {
        Ok(self.reader.active_rentals_after(after))
    }

    fn available_copies(&self, book: BookId) -> Result<usize> {
        self.reader.available_copies(book)
    }

    fn books_on_shelf_after(&self, after: Option<BookId>) -> Result<Records<'_, BookId>> {
        Ok(self.reader.books_on_shelf_after(after))
    }

    fn word_ids_after(
        &self,
        index: WordIndex,
        word: &str,
        after: Option<u64>,
    ) -> Result<Records<'_, u64>> {
        Ok(search::word_ids_after(&self.reader, index, word, after))
    }

    fn customer_open_rentals(
        &self,
        customer: CustomerId,
        after: Option<RentalId>,
    ) -> Result<Records<'_, Rental>> {
        self.reader.customer_open_rentals(customer, after)
    }

    fn rentals_due_before(&self, at: chrono::DateTime<chrono::Utc>) -> Result<Vec<Rental>> {
        self.reader.rentals_due_before(at)
    }

    fn rentals_with_status_after(
        &self,
        status: RentalStatus,
        after: Option<RentalId>,
    ) -> Result<Records<'_, Rental>> {
        Ok(self.reader.rentals_with_status_after(status, after))
    }

    fn rentals_returned_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Records<'_, Rental>> {
        let rentals = self.reader.rentals_returned_between(from, to)?;
        Ok(Box::new(rentals.into_iter().map(Ok)))
    }

    fn customer_rentals(&self, customer: CustomerId) -> Result<Records<'_, Rental>> {
        self.reader.customer_rentals(customer)
    }

    fn plan_versions(&self) -> Result<Vec<PlanVersion>> {
        self.reader.plan_versions()
    }

    fn account(&self, customer: CustomerId) -> Result<AccountState> {
        accounts::account_state(&self.reader, customer)
    }

    fn ledger(&self, customer: CustomerId) -> Result<Records<'_, LedgerEntry>> {
        accounts::ledger(&self.reader, customer)
    }

    fn ledger_between(
        &self,
        customer: CustomerId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        newest_first: bool,
    ) -> Result<Records<'_, LedgerEntry>> {
        accounts::ledger_between(&self.reader, customer, from, to, newest_first)
    }

    fn customers_owing_after(&self, after: Option<CustomerId>) -> Result<Records<'_, CustomerId>> {
        Ok(accounts::customers_owing_after(&self.reader, after))
    }

    fn charge_entry(&self, rental: RentalId) -> Result<Option<LedgerEntry>> {
        accounts::charge_entry(&self.reader, rental)
    }

    fn rental_entries(&self, rental: RentalId) -> Result<Vec<LedgerEntry>> {
        accounts::rental_entries(&self.reader, rental)
    }

    fn prune_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64> {
        accounts::prune_keys(&self.reader, before)
    }

    fn hold(&self, id: HoldId) -> Result<Hold> {
        holds::hold(&self.reader, id)
    }

    fn book_holds(&self, book: BookId) -> Result<Vec<Hold>> {
        holds::book_holds(&self.reader, book)
    }

    fn customer_holds(&self, customer: CustomerId) -> Result<Vec<Hold>> {
        holds::customer_holds(&self.reader, customer)
    }

    fn active_holds(&self) -> Result<Vec<Hold>> {
        holds::active_holds(&self.reader)
    }

    fn ready_holds(&self) -> Result<Vec<Hold>> {
        holds::all_ready(&self.reader)
    }

    fn word_matches(
        &self,
        index: WordIndex,
        prefix: &str,
        at_most: usize,
    ) -> Result<Option<Vec<u64>>> {
        search::word_matches(&self.reader, index, prefix, at_most)
    }

    fn notified(&self, key: &str) -> Result<Option<DateTime<Utc>>> {
        notices::notified(&self.reader, key)
    }

    fn notices_sent(&self) -> Result<Vec<(String, DateTime<Utc>)>> {
        notices::notices_sent(&self.reader)
    }

    fn with_writes_paused(&self, read: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        backup::paused(&self.reader, &self.gate, read)
    }

    fn reads(&self) -> u64 {
        self.reader.reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn events_after(&self, after: Option<u64>, limit: usize) -> Result<Vec<crate::Event>> {
        events::events_after(&self.reader, after, limit)
    }

    fn events_of_types_after(
        &self,
        types: &[crate::EventKind],
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<crate::Event>> {
        events::events_of_types_after(&self.reader, types, after, limit)
    }

    fn last_event_position(&self) -> Result<u64> {
        events::last_position_read(&self.reader)
    }

    fn checkpoint(&self, name: &str) -> Result<Option<u64>> {
        events::checkpoint(&self.reader, name)
    }

    fn checkpoints(&self) -> Result<Vec<(String, u64)>> {
        events::checkpoints(&self.reader)
    }

    fn flush(&self) -> Result<()> {
        Ok(()) // every commit is durable (synchronous_commit permitting)
    }
}
