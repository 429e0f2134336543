//! [`PostgresStorage`]: Koko on PostgreSQL (feature `postgres`), for stores served by several processes or
//! machines.
//!
//! Every write is one transaction that runs the shared domain rules (`storage::ops`) with `SELECT … FOR UPDATE`
//! on each record it reads, so concurrent rents of one copy serialise; a partial unique index allows at most one
//! open rental per copy even for a buggy client. Serialisation failures, deadlocks and unique-key races are retried
//! (bounded); the retry re-reads the winner's data and answers with the proper domain error. Queries are
//! parameterised; money is `NUMERIC`, times are `timestamptz`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::error::SqlState;
use postgres::{NoTls, Row};
use r2d2_postgres::PostgresConnectionManager;
use rust_decimal::Decimal;

use self::pool::{Conn, Statements};
use super::pause::WriteGate;
use super::{BatchResults, Records, Storage};
use crate::domain::{
    AccountState, Book, Copy, CopyStatus, Customer, Hold, LedgerEntry, OpenLoan, Rental, WordIndex,
};
use crate::engine::{self, Batch, IdKind, KeyRecord, Operation, StoredAccount, TxView};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, HoldId, PlanVersionId, RentalId};
use crate::pricing::{PlanVersion, PricePlan, Quote};

mod accounts;
mod backup;
mod holds;
mod pool;
mod replica;
mod search;

/// The schema migrations, applied in order; each runs once (tracked in `koko_schema_version`).
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("001_initial.sql")),
    (2, include_str!("002_accounts.sql")),
    (3, include_str!("003_circulation.sql")),
    (4, include_str!("004_words.sql")),
];
/// Key of the advisory lock that serialises migrations between processes starting together.
const MIGRATION_LOCK: i64 = 0x6b6f_6b6f;
/// How many times a write is tried when PostgreSQL reports a serialisation failure, deadlock or unique race.
const MAX_ATTEMPTS: u32 = 16;
/// Rows fetched per query by listings.
const PAGE: i64 = 1000;

type Pool = r2d2::Pool<pool::Manager>;

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
    pool: Pool,
    /// This process's writes wait here while a backup reads (see [`Storage::with_writes_paused`]).
    gate: WriteGate,
    /// Where listings and search read when it may serve ([`PostgresOptions::replica`]).
    replica: Option<replica::Replica>,
    /// Reads in progress that must see the primary (a backup's): the replica serves none while any runs.
    primary_only: AtomicUsize,
    /// Parsed plan versions by id. A stored version never changes, so an entry read from the database stays
    /// true; entries are added only from rows read, never from a transaction's own (possibly rolled back) insert.
    plans: PlanCache,
}

type PlanCache = Mutex<HashMap<PlanVersionId, Arc<PlanVersion>>>;

impl std::fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStorage")
            .field("connections", &self.pool.state().connections)
            .finish_non_exhaustive()
    }
}

fn pg_error(err: postgres::Error) -> Error {
    Error::storage(err)
}

fn corrupt(what: &str) -> Error {
    Error::Corruption(format!("unexpected value in PostgreSQL: {what}"))
}

fn to_i64(id: u64) -> Result<i64> {
    i64::try_from(id)
        .map_err(|_| Error::invalid_input("id", format!("{id} is too large for PostgreSQL")))
}

fn to_u64(id: i64) -> Result<u64> {
    u64::try_from(id).map_err(|_| corrupt("a negative id"))
}

impl PostgresStorage {
    /// Connects to `url` (`postgresql://user:password@host:port/dbname` or `host=… user=… dbname=…`), creating or
    /// migrating Koko's schema.
    pub fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, PostgresOptions::default())
    }

    /// Connects with explicit pool options.
    pub fn connect_with(url: &str, options: PostgresOptions) -> Result<Self> {
        let config: postgres::Config = url.parse().map_err(|e| {
            Error::invalid_input("url", format!("not a PostgreSQL connection string: {e}"))
        })?;
        let manager = pool::Manager(PostgresConnectionManager::new(config, NoTls));
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size.max(1))
            .connection_timeout(options.connect_timeout)
            .build(manager)
            .map_err(Error::storage)?;
        let replica = match &options.replica {
            Some(url) => Some(replica::Replica::new(
                url,
                options.pool_size,
                options.max_replica_lag,
            )?),
            None => None,
        };
        let storage = PostgresStorage {
            pool,
            gate: WriteGate::default(),
            replica,
            primary_only: AtomicUsize::new(0),
            plans: Mutex::new(HashMap::new()),
        };
        storage.migrate()?;
        Ok(storage)
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<pool::Manager>> {
        self.pool.get().map_err(Error::storage)
    }

    /// The schema version in the database after migrating.
    pub fn schema_version(&self) -> Result<i32> {
        let row = self
            .conn()?
            .client
            .query_one("SELECT max(version) FROM koko_schema_version", &[])
            .map_err(pg_error)?;
        row.try_get::<_, Option<i32>>(0)
            .map_err(pg_error)?
            .ok_or_else(|| corrupt("no schema version"))
    }

    fn migrate(&self) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.client.transaction().map_err(pg_error)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(pg_error)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS koko_schema_version (
                 version INTEGER PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .map_err(pg_error)?;
        let current: i32 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM koko_schema_version",
                &[],
            )
            .and_then(|row| row.try_get(0))
            .map_err(pg_error)?;
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.batch_execute(sql).map_err(pg_error)?;
            if *version == 4 {
                search::index_existing(&mut tx)?;
            }
            tx.execute(
                "INSERT INTO koko_schema_version (version) VALUES ($1)",
                &[version],
            )
            .map_err(pg_error)?;
        }
        tx.commit().map_err(pg_error)
    }

    /// Runs a batch in one transaction, each operation under its own savepoint so a rejected one is rolled back
    /// alone; retries the whole batch when PostgreSQL asks to (serialisation failure, deadlock, unique race).
    fn write(&self, operations: &[Operation], now: DateTime<Utc>) -> Result<BatchResults> {
        let _turn = self.gate.turn();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut conn = self.conn()?;
            let Conn { client, statements } = &mut *conn;
            let outcome = (|| -> Result<BatchResults, TxError> {
                let mut tx = client.transaction()?;
                let mut results = Vec::with_capacity(operations.len());
                let mut batch = Batch::new(now);
                for op in operations {
                    let result = if operations.len() == 1 {
                        // A batch of one needs no savepoint: a rejection rolls the whole transaction back.
                        engine::apply(
                            &mut PgTx {
                                tx: &mut tx,
                                statements,
                                plans: &self.plans,
                            },
                            op,
                            &mut batch,
                        )
                    } else {
                        let mut savepoint = tx.transaction()?;
                        let result = engine::apply(
                            &mut PgTx {
                                tx: &mut savepoint,
                                statements,
                                plans: &self.plans,
                            },
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
                        Err(TxError::Koko(err)) => results.push(Err(err)),
                        Err(TxError::Pg(err)) => return Err(TxError::Pg(err)),
                    }
                }
                if results.iter().any(Result::is_ok) {
                    tx.commit()?;
                } else {
                    tx.rollback()?;
                }
                Ok(results)
            })();
            match outcome {
                Ok(results) => return Ok(results),
                Err(TxError::Koko(err)) => return Err(err),
                Err(TxError::Pg(err)) if retryable(&err) && attempt < MAX_ATTEMPTS => {
                    std::thread::sleep(Duration::from_millis(u64::from(attempt.min(10))));
                }
                Err(TxError::Pg(err)) => return Err(pg_error(err)),
            }
        }
    }

    /// Runs a listing's or a search's query on the replica when it may serve, else (or when it fails there) on the
    /// primary.
    fn read_query(
        &self,
        sql: &'static str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        if let (Some(replica), 0) = (&self.replica, self.primary_only.load(Ordering::SeqCst)) {
            if let Some(mut conn) = replica.connection() {
                let Conn { client, statements } = &mut *conn;
                match statements
                    .get(client, sql)
                    .and_then(|statement| client.query(&statement, params))
                {
                    Ok(rows) => return Ok(rows),
                    Err(_) => replica.mark(false),
                }
            }
        }
        let mut conn = self.conn()?;
        let Conn { client, statements } = &mut *conn;
        let statement = statements.get(client, sql).map_err(pg_error)?;
        client.query(&statement, params).map_err(pg_error)
    }

    /// Streams `query` (which takes the last id seen as `$1` and ends `ORDER BY id LIMIT $2`) page by page.
    fn paged<'a, T: Send + 'a>(
        &'a self,
        query: &'static str,
        from: i64,
        extra: Option<i64>,
        decode: fn(&Row) -> Result<T>,
    ) -> Records<'a, T> {
        let mut after: i64 = from;
        let mut page: std::vec::IntoIter<Row> = Vec::new().into_iter();
        let mut done = false;
        Box::new(std::iter::from_fn(move || loop {
            if let Some(row) = page.next() {
                return Some(
                    row.try_get::<_, i64>("id")
                        .map_err(pg_error)
                        .and_then(|id| {
                            after = id;
                            decode(&row)
                        }),
                );
            }
            if done {
                return None;
            }
            let rows = match extra {
                Some(x) => self.read_query(query, &[&after, &PAGE, &x]),
                None => self.read_query(query, &[&after, &PAGE]),
            };
            match rows {
                Ok(rows) => {
                    done = (rows.len() as i64) < PAGE;
                    page = rows.into_iter();
                }
                Err(err) => {
                    done = true;
                    return Some(Err(err));
                }
            }
        }))
    }

    fn one<T>(
        &self,
        sql: &'static str,
        id: u64,
        entity: &'static str,
        decode: fn(&Row) -> Result<T>,
    ) -> Result<T> {
        // An id beyond BIGINT cannot be stored, so it names nothing: NotFound, as in every backend.
        let Ok(id64) = i64::try_from(id) else {
            return Err(Error::not_found(entity, id));
        };
        let mut conn = self.conn()?;
        let Conn { client, statements } = &mut *conn;
        let statement = statements.get(client, sql).map_err(pg_error)?;
        match client.query_opt(&statement, &[&id64]).map_err(pg_error)? {
            Some(row) => decode(&row),
            None => Err(Error::not_found(entity, id)),
        }
    }
}

/// The `id > $1` bound of a listing after `after`: 0 for the start, and past every stored id for an id beyond
/// BIGINT (nothing comes after it).
fn start(after: Option<u64>) -> i64 {
    after.map_or(0, |id| i64::try_from(id).unwrap_or(i64::MAX))
}

fn retryable(err: &postgres::Error) -> bool {
    matches!(
        err.code(),
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::UNIQUE_VIOLATION
    )
}

/// A transaction step's failure: a domain error, or PostgreSQL's.
enum TxError {
    Koko(Error),
    Pg(postgres::Error),
}

impl From<Error> for TxError {
    fn from(e: Error) -> Self {
        TxError::Koko(e)
    }
}

impl From<postgres::Error> for TxError {
    fn from(e: postgres::Error) -> Self {
        TxError::Pg(e)
    }
}

struct PgTx<'t, 'c> {
    tx: &'t mut postgres::Transaction<'c>,
    statements: &'t mut Statements,
    plans: &'t PlanCache,
}

fn book_row(row: &Row) -> Result<Book> {
    Ok(Book {
        id: BookId::new(to_u64(row.try_get("id").map_err(pg_error)?)?),
        title: row.try_get("title").map_err(pg_error)?,
        author: row.try_get("author").map_err(pg_error)?,
        isbn: row.try_get("isbn").map_err(pg_error)?,
        category: row.try_get("category").map_err(pg_error)?,
    })
}

fn copy_row(row: &Row) -> Result<Copy> {
    let withdrawn: bool = row.try_get("withdrawn").map_err(pg_error)?;
    let rental: Option<i64> = row.try_get("rental_id").map_err(pg_error)?;
    let hold: Option<i64> = row.try_get("hold_id").map_err(pg_error)?;
    let lost: Option<i64> = row.try_get("lost_rental_id").map_err(pg_error)?;
    let status = match (withdrawn, rental, hold, lost) {
        (false, Some(rental), None, None) => CopyStatus::Rented(RentalId::new(to_u64(rental)?)),
        (false, None, Some(hold), None) => CopyStatus::OnHold(HoldId::new(to_u64(hold)?)),
        (false, None, None, Some(rental)) => CopyStatus::Lost(RentalId::new(to_u64(rental)?)),
        (true, None, None, None) => CopyStatus::Withdrawn,
        (false, None, None, None) => CopyStatus::Available,
        _ => return Err(corrupt("a copy with two statuses")),
    };
    Ok(Copy {
        id: CopyId::new(to_u64(row.try_get("id").map_err(pg_error)?)?),
        book: BookId::new(to_u64(row.try_get("book_id").map_err(pg_error)?)?),
        status,
    })
}

fn customer_row(row: &Row) -> Result<Customer> {
    Ok(Customer {
        id: CustomerId::new(to_u64(row.try_get("id").map_err(pg_error)?)?),
        first_name: row.try_get("first_name").map_err(pg_error)?,
        last_name: row.try_get("last_name").map_err(pg_error)?,
        email: row.try_get("email").map_err(pg_error)?,
        active: row.try_get("active").map_err(pg_error)?,
    })
}

fn rental_row(row: &Row) -> Result<Rental> {
    let charge: Option<serde_json::Value> = row.try_get("charge").map_err(pg_error)?;
    let charge: Option<Quote> = charge
        .map(|value| {
            serde_json::from_value(value).map_err(|e| corrupt(&format!("a stored charge ({e})")))
        })
        .transpose()?;
    Ok(Rental {
        id: RentalId::new(to_u64(row.try_get("id").map_err(pg_error)?)?),
        copy: CopyId::new(to_u64(row.try_get("copy_id").map_err(pg_error)?)?),
        book: BookId::new(to_u64(row.try_get("book_id").map_err(pg_error)?)?),
        customer: CustomerId::new(to_u64(row.try_get("customer_id").map_err(pg_error)?)?),
        category: row.try_get("category").map_err(pg_error)?,
        rented_at: row.try_get("rented_at").map_err(pg_error)?,
        due_at: row.try_get("due_at").map_err(pg_error)?,
        returned_at: row.try_get("returned_at").map_err(pg_error)?,
        plan_version: PlanVersionId::new(to_u64(row.try_get("plan_version").map_err(pg_error)?)?),
        charge,
        renewals: row.try_get("renewals").map_err(pg_error)?,
        lost: row.try_get("lost").map_err(pg_error)?,
    })
}

fn plan_row(row: &Row) -> Result<PlanVersion> {
    let plan: String = row.try_get("plan").map_err(pg_error)?;
    Ok(PlanVersion {
        id: PlanVersionId::new(to_u64(row.try_get("id").map_err(pg_error)?)?),
        effective_from: row.try_get("effective_from").map_err(pg_error)?,
        plan: PricePlan::from_json(&plan).map_err(|e| corrupt(&format!("a stored plan ({e})")))?,
    })
}

impl PgTx<'_, '_> {
    fn prepared(&mut self, sql: &'static str) -> Result<postgres::Statement, TxError> {
        Ok(self.statements.get(self.tx, sql)?)
    }

    fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Option<Row>, TxError> {
        let statement = self.prepared(sql)?;
        Ok(self.tx.query_opt(&statement, params)?)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, TxError> {
        let statement = self.prepared(sql)?;
        Ok(self.tx.query(&statement, params)?)
    }

    fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<u64, TxError> {
        let statement = self.prepared(sql)?;
        Ok(self.tx.execute(&statement, params)?)
    }

    /// The plan version `id`, from the cache or read (and cached) from the row.
    fn cached_plan(&mut self, id: i64) -> Result<Option<Arc<PlanVersion>>, TxError> {
        let key = PlanVersionId::new(to_u64(id)?);
        if let Some(version) = self
            .plans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(Some(Arc::clone(version)));
        }
        let Some(row) = self.query_opt(
            "SELECT id, effective_from, plan FROM koko_plan_versions WHERE id = $1",
            &[&id],
        )?
        else {
            return Ok(None);
        };
        let version = Arc::new(plan_row(&row)?);
        self.plans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, Arc::clone(&version));
        Ok(Some(version))
    }

    fn locked<T>(
        &mut self,
        sql: &'static str,
        id: u64,
        decode: fn(&Row) -> Result<T>,
    ) -> Result<Option<T>, TxError> {
        // An id beyond BIGINT cannot be stored, so it names nothing.
        let Ok(id) = i64::try_from(id) else {
            return Ok(None);
        };
        match self.query_opt(sql, &[&id])? {
            Some(row) => Ok(Some(decode(&row)?)),
            None => Ok(None),
        }
    }
}

impl TxView for PgTx<'_, '_> {
    type E = TxError;

    fn raise_counter(&mut self, kind: IdKind, id: u64) -> Result<(), TxError> {
        self.raise_sequence(kind, id)
    }

    fn next_id(&mut self, kind: IdKind) -> Result<u64, TxError> {
        let sequence = format!("koko_{}_seq", kind.name());
        let row = self
            .query_opt("SELECT nextval($1::text::regclass)", &[&sequence])?
            .ok_or_else(|| corrupt("nextval returned no row"))?;
        Ok(to_u64(row.try_get(0)?)?)
    }

    fn book(&mut self, id: BookId) -> Result<Option<Book>, TxError> {
        self.locked(
            "SELECT id, title, author, isbn, category FROM koko_books WHERE id = $1 FOR UPDATE",
            id.get(),
            book_row,
        )
    }

    fn put_book(&mut self, book: &Book) -> Result<(), TxError> {
        self.execute(
            "INSERT INTO koko_books (id, title, title_key, author, isbn, category) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, title_key = EXCLUDED.title_key,
                 author = EXCLUDED.author, isbn = EXCLUDED.isbn, category = EXCLUDED.category",
            &[
                &to_i64(book.id.get())?,
                &book.title,
                &crate::domain::title_key(&book.title),
                &book.author,
                &book.isbn,
                &book.category,
            ],
        )?;
        Ok(())
    }

    fn title_owner(&mut self, key: &str) -> Result<Option<BookId>, TxError> {
        let row = self.query_opt("SELECT id FROM koko_books WHERE title_key = $1", &[&key])?;
        row.map(|r| Ok(BookId::new(to_u64(r.try_get(0)?)?)))
            .transpose()
    }

    fn set_title_owner(&mut self, _key: &str, _owner: Option<BookId>) -> Result<(), TxError> {
        Ok(()) // the title_key column written by put_book is the index
    }

    fn isbn_owner(&mut self, isbn: &str) -> Result<Option<BookId>, TxError> {
        let row = self.query_opt("SELECT id FROM koko_books WHERE isbn = $1", &[&isbn])?;
        row.map(|r| Ok(BookId::new(to_u64(r.try_get(0)?)?)))
            .transpose()
    }

    fn set_isbn_owner(&mut self, _isbn: &str, _owner: Option<BookId>) -> Result<(), TxError> {
        Ok(()) // the isbn column written by put_book is the index
    }

    fn copy_ids(&mut self, book: BookId) -> Result<Vec<CopyId>, TxError> {
        let rows = self.query(
            "SELECT id FROM koko_copies WHERE book_id = $1 ORDER BY id",
            &[&to_i64(book.get())?],
        )?;
        rows.iter()
            .map(|r| Ok(CopyId::new(to_u64(r.try_get(0)?)?)))
            .collect()
    }

    fn put_copy_ids(&mut self, _book: BookId, _copies: &[CopyId]) -> Result<(), TxError> {
        Ok(()) // copies.book_id is the index
    }

    fn copy(&mut self, id: CopyId) -> Result<Option<Copy>, TxError> {
        self.locked(
            "SELECT id, book_id, withdrawn, rental_id, hold_id, lost_rental_id FROM koko_copies WHERE id = $1 FOR UPDATE",
            id.get(),
            copy_row,
        )
    }

    fn put_copy(&mut self, copy: &Copy) -> Result<(), TxError> {
        let (mut withdrawn, mut rental, mut hold, mut lost) = (false, None, None, None);
        match copy.status {
            CopyStatus::Available => {}
            CopyStatus::Withdrawn => withdrawn = true,
            CopyStatus::Rented(r) => rental = Some(to_i64(r.get())?),
            CopyStatus::OnHold(h) => hold = Some(to_i64(h.get())?),
            CopyStatus::Lost(r) => lost = Some(to_i64(r.get())?),
        }
        self.execute(
            "INSERT INTO koko_copies (id, book_id, withdrawn, rental_id, hold_id, lost_rental_id)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET withdrawn = EXCLUDED.withdrawn, rental_id = EXCLUDED.rental_id,
                 hold_id = EXCLUDED.hold_id, lost_rental_id = EXCLUDED.lost_rental_id",
            &[
                &to_i64(copy.id.get())?,
                &to_i64(copy.book.get())?,
                &withdrawn,
                &rental,
                &hold,
                &lost,
            ],
        )?;
        Ok(())
    }

    fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>, TxError> {
        self.locked(
            "SELECT id, first_name, last_name, email, active FROM koko_customers WHERE id = $1 FOR UPDATE",
            id.get(),
            customer_row,
        )
    }

    fn put_customer(&mut self, customer: &Customer) -> Result<(), TxError> {
        self.execute(
            "INSERT INTO koko_customers (id, first_name, last_name, email, active) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
                 email = EXCLUDED.email, active = EXCLUDED.active",
            &[
                &to_i64(customer.id.get())?,
                &customer.first_name,
                &customer.last_name,
                &customer.email,
                &customer.active,
            ],
        )?;
        Ok(())
    }

    fn rental(&mut self, id: RentalId) -> Result<Option<Rental>, TxError> {
        self.locked(
            "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                    renewals, lost
             FROM koko_rentals WHERE id = $1 FOR UPDATE",
            id.get(),
            rental_row,
        )
    }

    fn put_rental(&mut self, rental: &Rental) -> Result<(), TxError> {
        let charge = rental
            .charge
            .as_ref()
            .map(|q| serde_json::to_value(q).map_err(|e| corrupt(&format!("a charge ({e})"))))
            .transpose()?;
        let total: Option<Decimal> = rental.charge.as_ref().map(|q| q.total);
        self.execute(
            "INSERT INTO koko_rentals (id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at,
                 plan_version, charge_total, charge, renewals, lost)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (id) DO UPDATE SET returned_at = EXCLUDED.returned_at,
                 charge_total = EXCLUDED.charge_total, charge = EXCLUDED.charge,
                 due_at = EXCLUDED.due_at, renewals = EXCLUDED.renewals, lost = EXCLUDED.lost",
            &[
                &to_i64(rental.id.get())?,
                &to_i64(rental.copy.get())?,
                &to_i64(rental.book.get())?,
                &to_i64(rental.customer.get())?,
                &rental.category,
                &rental.rented_at,
                &rental.due_at,
                &rental.returned_at,
                &to_i64(rental.plan_version.get())?,
                &total,
                &charge,
                &rental.renewals,
                &rental.lost,
            ],
        )?;
        Ok(())
    }

    fn first_available_copy(&mut self, book: BookId) -> Result<Option<Copy>, TxError> {
        // Skip copies another transaction holds (it may be renting them); if every free-looking copy is held,
        // fall back to waiting on each in id order, which sees the other transactions' outcome.
        let row = self.query_opt(
            "SELECT id, book_id, withdrawn, rental_id, hold_id, lost_rental_id FROM koko_copies
             WHERE book_id = $1 AND NOT withdrawn AND rental_id IS NULL AND hold_id IS NULL
                 AND lost_rental_id IS NULL
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
            &[&to_i64(book.get())?],
        )?;
        match row {
            Some(row) => Ok(Some(copy_row(&row)?)),
            None => {
                for id in self.copy_ids(book)? {
                    if let Some(copy) = self.copy(id)? {
                        if copy.status == CopyStatus::Available {
                            return Ok(Some(copy));
                        }
                    }
                }
                Ok(None)
            }
        }
    }

    fn plan_version(&mut self, id: PlanVersionId) -> Result<Option<Arc<PlanVersion>>, TxError> {
        let Ok(id) = i64::try_from(id.get()) else {
            return Ok(None);
        };
        self.cached_plan(id)
    }

    fn plan_in_force(&mut self, at: DateTime<Utc>) -> Result<Option<Arc<PlanVersion>>, TxError> {
        let row = self.query_opt(
            "SELECT id FROM koko_plan_versions WHERE effective_from <= $1
             ORDER BY effective_from DESC, id DESC LIMIT 1",
            &[&at],
        )?;
        match row {
            Some(row) => self.cached_plan(row.try_get(0)?),
            None => Ok(None),
        }
    }

    fn plan_starts_at(&mut self, at: DateTime<Utc>) -> Result<bool, TxError> {
        Ok(self
            .query_opt(
                "SELECT id FROM koko_plan_versions WHERE effective_from = $1",
                &[&at],
            )?
            .is_some())
    }

    fn put_plan_version(&mut self, version: &PlanVersion) -> Result<(), TxError> {
        self.execute(
            "INSERT INTO koko_plan_versions (id, effective_from, plan) VALUES ($1, $2, $3)",
            &[
                &to_i64(version.id.get())?,
                &version.effective_from,
                &version.plan.to_json(),
            ],
        )?;
        Ok(())
    }

    fn first_plan(&mut self) -> Result<Option<Arc<PlanVersion>>, TxError> {
        self.first_plan_version()
    }

    fn open_loans(&mut self, customer: CustomerId) -> Result<Vec<OpenLoan>, TxError> {
        self.loans(customer)
    }

    fn account(&mut self, customer: CustomerId) -> Result<Option<StoredAccount>, TxError> {
        self.account_locked(customer)
    }

    fn put_account(
        &mut self,
        customer: CustomerId,
        account: &StoredAccount,
    ) -> Result<(), TxError> {
        self.store_account(customer, account)
    }

    fn put_entry(&mut self, entry: &LedgerEntry) -> Result<(), TxError> {
        self.store_entry(entry)
    }

    fn hold(&mut self, id: HoldId) -> Result<Option<Hold>, TxError> {
        self.hold_locked(id)
    }

    fn put_hold(&mut self, hold: &Hold) -> Result<(), TxError> {
        self.store_hold(hold)
    }

    fn first_waiting_hold(&mut self, book: BookId) -> Result<Option<Hold>, TxError> {
        self.first_waiting(book)
    }

    fn active_holds_of(&mut self, customer: CustomerId) -> Result<Vec<Hold>, TxError> {
        self.customer_active_holds(customer)
    }

    fn ready_holds(&mut self) -> Result<Vec<Hold>, TxError> {
        self.all_ready_holds()
    }

    fn notified(&mut self, key: &str) -> Result<Option<DateTime<Utc>>, TxError> {
        self.notice_sent(key)
    }

    fn put_notified(&mut self, key: &str, at: DateTime<Utc>) -> Result<(), TxError> {
        self.store_notice(key, at)
    }

    fn put_word(
        &mut self,
        index: WordIndex,
        word: &str,
        id: u64,
        present: bool,
    ) -> Result<(), TxError> {
        self.store_word(index, word, id, present)
    }

    fn lock_book(&mut self, book: BookId) -> Result<(), TxError> {
        self.lock_book_row(book)
    }

    fn lock_key(&mut self, key: &str) -> Result<(), TxError> {
        self.lock_idempotency_key(key)
    }

    fn idempotency(&mut self, key: &str) -> Result<Option<KeyRecord>, TxError> {
        self.key_record(key)
    }

    fn put_idempotency(&mut self, key: &str, record: &KeyRecord) -> Result<(), TxError> {
        self.store_key_record(key, record)
    }
}

impl Storage for PostgresStorage {
    fn apply_batch_at(
        &self,
        operations: Vec<Operation>,
        now: DateTime<Utc>,
    ) -> Result<BatchResults> {
        self.write(&operations, now)
    }

    fn book(&self, id: BookId) -> Result<Book> {
        self.one(
            "SELECT id, title, author, isbn, category FROM koko_books WHERE id = $1",
            id.get(),
            BookId::ENTITY,
            book_row,
        )
    }

    fn books_after(&self, after: Option<BookId>) -> Result<Records<'_, Book>> {
        Ok(self.paged(
            "SELECT id, title, author, isbn, category FROM koko_books WHERE id > $1 ORDER BY id LIMIT $2",
            start(after.map(BookId::get)),
            None,
            book_row,
        ))
    }

    fn copy(&self, id: CopyId) -> Result<Copy> {
        self.one(
            "SELECT id, book_id, withdrawn, rental_id, hold_id, lost_rental_id FROM koko_copies WHERE id = $1",
            id.get(),
            CopyId::ENTITY,
            copy_row,
        )
    }

    fn copies_of(&self, book: BookId) -> Result<Vec<Copy>> {
        self.book(book)?;
        let rows = self
            .conn()?
            .client
            .query(
                "SELECT id, book_id, withdrawn, rental_id, hold_id, lost_rental_id FROM koko_copies WHERE book_id = $1 ORDER BY id",
                &[&to_i64(book.get())?],
            )
            .map_err(pg_error)?;
        rows.iter().map(copy_row).collect()
    }

    fn customer(&self, id: CustomerId) -> Result<Customer> {
        self.one(
            "SELECT id, first_name, last_name, email, active FROM koko_customers WHERE id = $1",
            id.get(),
            CustomerId::ENTITY,
            customer_row,
        )
    }

    fn customers_after(&self, after: Option<CustomerId>) -> Result<Records<'_, Customer>> {
        Ok(self.paged(
            "SELECT id, first_name, last_name, email, active FROM koko_customers WHERE id > $1 ORDER BY id LIMIT $2",
            start(after.map(CustomerId::get)),
            None,
            customer_row,
        ))
    }

    fn rental(&self, id: RentalId) -> Result<Rental> {
        self.one(
            "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                    renewals, lost
             FROM koko_rentals WHERE id = $1",
            id.get(),
            RentalId::ENTITY,
            rental_row,
        )
    }

    fn rentals_after(&self, after: Option<RentalId>) -> Result<Records<'_, Rental>> {
        Ok(self.paged(
            "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                    renewals, lost
             FROM koko_rentals WHERE id > $1 ORDER BY id LIMIT $2",
            start(after.map(RentalId::get)),
            None,
            rental_row,
        ))
    }

    fn active_rentals_after(&self, after: Option<RentalId>) -> Result<Records<'_, Rental>> {
        Ok(self.paged(
            "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                    renewals, lost
             FROM koko_rentals WHERE returned_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
            start(after.map(RentalId::get)),
            None,
            rental_row,
        ))
    }

    fn customer_rentals(&self, customer: CustomerId) -> Result<Records<'_, Rental>> {
        self.customer(customer)?;
        Ok(self.paged(
            "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                    renewals, lost
             FROM koko_rentals WHERE id > $1 AND customer_id = $3 ORDER BY id LIMIT $2",
            0,
            Some(to_i64(customer.get())?),
            rental_row,
        ))
    }

    fn plan_versions(&self) -> Result<Vec<PlanVersion>> {
        let rows = self
            .conn()?
            .client
            .query(
                "SELECT id, effective_from, plan FROM koko_plan_versions ORDER BY id",
                &[],
            )
            .map_err(pg_error)?;
        rows.iter().map(plan_row).collect()
    }

    fn account(&self, customer: CustomerId) -> Result<AccountState> {
        self.read_account(customer)
    }

    fn ledger(&self, customer: CustomerId) -> Result<Records<'_, LedgerEntry>> {
        self.read_ledger(customer)
    }

    fn charge_entry(&self, rental: RentalId) -> Result<Option<LedgerEntry>> {
        self.read_charge_entry(rental)
    }

    fn prune_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64> {
        self.delete_keys_before(before)
    }

    fn hold(&self, id: HoldId) -> Result<Hold> {
        self.read_hold(id)
    }

    fn book_holds(&self, book: BookId) -> Result<Vec<Hold>> {
        self.read_book_holds(book)
    }

    fn customer_holds(&self, customer: CustomerId) -> Result<Vec<Hold>> {
        self.read_customer_holds(customer)
    }

    fn active_holds(&self) -> Result<Vec<Hold>> {
        self.read_active_holds()
    }

    fn notified(&self, key: &str) -> Result<Option<DateTime<Utc>>> {
        self.read_notified(key)
    }

    fn notices_sent(&self) -> Result<Vec<(String, DateTime<Utc>)>> {
        self.read_notices_sent()
    }

    fn with_writes_paused(&self, read: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        self.paused(read)
    }

    fn word_matches(
        &self,
        index: WordIndex,
        prefix: &str,
        at_most: usize,
    ) -> Result<Option<Vec<u64>>> {
        self.read_word_matches(index, prefix, at_most)
    }

    fn flush(&self) -> Result<()> {
        Ok(()) // every commit is durable (synchronous_commit permitting)
    }
}
