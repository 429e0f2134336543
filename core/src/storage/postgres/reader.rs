//! [`Reader`]: where the reads of [`Storage`](crate::storage::Storage) go, and those of the catalogue — books,
//! copies, customers, rentals, plan versions. The other records' reads are in their subjects' modules (accounts,
//! holds, notices, search), over a reader.
//!
//! Listings and search read from the replica while it may serve ([`Reader::replica_or_primary`]); reads by id,
//! and every read while a backup runs, go to the primary. Writes borrow their connection from the primary's pool
//! here too ([`Reader::primary`]).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use postgres::types::ToSql;
use postgres::Row;

use super::error::pg_error;
use super::pool::{Pool, Pooled};
use super::replica::Replica;
use super::rows::{book_row, copy_row, customer_row, plan_row, rental_row, to_i64, to_u64};
use crate::domain::{Book, BookCopy, Customer, Rental, RentalStatus};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, RentalId};
use crate::pricing::PlanVersion;
use crate::storage::Records;

/// Rows fetched per query by listings.
const PAGE: i64 = 1000;

/// The primary's pool and the replica's, and which of them a read goes to.
pub(super) struct Reader {
    /// The primary's pool: writes, reads by id, and every read the replica may not serve.
    primary: Pool,
    /// Where listings and search read when it may serve (`PostgresOptions::replica`).
    replica: Option<Replica>,
    /// Reads in progress that must see the primary (a backup's): the replica serves none while any runs.
    primary_only: AtomicUsize,
    /// Rows every query of this storage returned, its writes' included ([`crate::Storage::reads`]).
    pub(super) reads: AtomicU64,
}

impl Reader {
    /// Reads from `primary`, and listings and search from `replica` while it may serve.
    pub(super) fn new(primary: Pool, replica: Option<Replica>) -> Self {
        Reader {
            primary,
            replica,
            primary_only: AtomicUsize::new(0),
            reads: AtomicU64::new(0),
        }
    }

    /// How many connections to the primary are open.
    pub(super) fn connections(&self) -> u32 {
        self.primary.state().connections
    }

    /// A connection to the primary (waiting for a free one at most the pool's connection timeout).
    pub(super) fn primary(&self) -> Result<Pooled> {
        self.primary.get().map_err(Error::storage)
    }

    /// Runs `read` with every read of this reader going to the primary, the replica left out (it may lag).
    pub(super) fn on_primary<T>(&self, read: impl FnOnce() -> T) -> T {
        self.primary_only.fetch_add(1, Ordering::SeqCst);
        let outcome = read();
        self.primary_only.fetch_sub(1, Ordering::SeqCst);
        outcome
    }

    /// The rows of `sql` on the primary.
    pub(super) fn query(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        let rows = self.primary()?.query(sql, params).map_err(pg_error)?;
        self.count(rows.len());
        Ok(rows)
    }

    /// Counts `rows` rows read.
    pub(super) fn count(&self, rows: usize) {
        self.reads.fetch_add(rows as u64, Ordering::Relaxed);
    }

    /// The row of `sql` on the primary, if it returns one.
    pub(super) fn query_opt(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>> {
        let row = self.primary()?.query_opt(sql, params).map_err(pg_error)?;
        self.count(usize::from(row.is_some()));
        Ok(row)
    }

    /// Runs a listing's or a search's query on the replica when it may serve, else (or when it fails there) on the
    /// primary.
    pub(super) fn replica_or_primary(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        if let (Some(replica), 0) = (&self.replica, self.primary_only.load(Ordering::SeqCst)) {
            if let Some(mut conn) = replica.connection() {
                match conn.query(sql, params) {
                    Ok(rows) => {
                        self.count(rows.len());
                        return Ok(rows);
                    }
                    Err(_) => replica.mark(false),
                }
            }
        }
        self.query(sql, params)
    }

    /// Streams `sql` (which takes the last id seen as `$1`, ends `ORDER BY … id LIMIT $2`, and takes `extra`, if
    /// any, as `$3`) page by page, from the replica while it may serve.
    pub(super) fn paged<'a, T: Send + 'a>(
        &'a self,
        sql: &'static str,
        from: i64,
        extra: Option<i64>,
        decode: fn(&Row) -> Result<T>,
    ) -> Records<'a, T> {
        self.paged_with(sql, from, extra.into_iter().collect(), decode)
    }

    /// [`Reader::paged`] with any number of extra parameters of one type, bound as `$3`, `$4`, ….
    pub(super) fn paged_with<'a, T: Send + 'a, P: ToSql + Sync + Send + 'a>(
        &'a self,
        sql: &'static str,
        from: i64,
        extra: Vec<P>,
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
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![&after, &PAGE];
            params.extend(extra.iter().map(|p| p as &(dyn ToSql + Sync)));
            let rows = self.replica_or_primary(sql, &params);
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

    /// The record with id `id` (bound as `$1`), read by `sql` on the primary; [`Error::NotFound`] if none.
    pub(super) fn one<T>(
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
        match self.query_opt(sql, &[&id64])? {
            Some(row) => decode(&row),
            None => Err(Error::not_found(entity, id)),
        }
    }

    /// One book.
    pub(super) fn book(&self, id: BookId) -> Result<Book> {
        self.one(
            "SELECT id, title, author, isbn, category FROM koko_books WHERE id = $1",
            id.get(),
            BookId::ENTITY,
            book_row,
        )
    }

    /// The books after `after`, in id order.
    pub(super) fn books_after(&self, after: Option<BookId>) -> Records<'_, Book> {
        self.paged(
            "SELECT id, title, author, isbn, category FROM koko_books WHERE id > $1 ORDER BY id LIMIT $2",
            start(after.map(BookId::get)),
            None,
            book_row,
        )
    }

    /// One copy.
    pub(super) fn copy(&self, id: CopyId) -> Result<BookCopy> {
        self.one(
            "SELECT id, book_id, withdrawn, rental_id, hold_id, lost_rental_id FROM koko_copies WHERE id = $1",
            id.get(),
            CopyId::ENTITY,
            copy_row,
        )
    }

    /// A book's copies, in id order ([`Error::NotFound`] for an unknown book).
    pub(super) fn copies_of(&self, book: BookId) -> Result<Vec<BookCopy>> {
        self.book(book)?;
        let rows = self.query(
            "SELECT id, book_id, withdrawn, rental_id, hold_id, lost_rental_id FROM koko_copies WHERE book_id = $1 ORDER BY id",
            &[&to_i64(book.get())?],
        )?;
        rows.iter().map(copy_row).collect()
    }

    /// How many copies of a book are on the shelf (the partial index `koko_copies_on_shelf`, schema 6;
    /// [`Error::NotFound`] for an unknown book).
    pub(super) fn available_copies(&self, book: BookId) -> Result<usize> {
        self.book(book)?;
        let row = self.query_opt(
            "SELECT count(*) FROM koko_copies WHERE book_id = $1 AND NOT withdrawn AND rental_id IS NULL
                 AND hold_id IS NULL AND lost_rental_id IS NULL",
            &[&to_i64(book.get())?],
        )?;
        let count: i64 = match row {
            Some(row) => row.try_get(0).map_err(pg_error)?,
            None => 0,
        };
        usize::try_from(count).map_err(|_| Error::Corruption(format!("a count of {count} copies")))
    }

    /// The books with a copy on the shelf after `after`, in id order: a skip scan of `koko_copies_on_shelf` (each
    /// step finds the next book's first available copy), from the replica while it may serve. The recursion stops
    /// at the page's `LIMIT`: no `ORDER BY` outside it, whose sort would walk every book first.
    pub(super) fn books_on_shelf_after(&self, after: Option<BookId>) -> Records<'_, BookId> {
        self.paged(
            "WITH RECURSIVE shelf (id) AS (
                 (SELECT book_id FROM koko_copies WHERE book_id > $1 AND NOT withdrawn AND rental_id IS NULL
                      AND hold_id IS NULL AND lost_rental_id IS NULL ORDER BY book_id LIMIT 1)
                 UNION ALL
                 SELECT next.book_id FROM shelf, LATERAL (
                     SELECT c.book_id FROM koko_copies c WHERE c.book_id > shelf.id AND NOT c.withdrawn
                         AND c.rental_id IS NULL AND c.hold_id IS NULL AND c.lost_rental_id IS NULL
                     ORDER BY c.book_id LIMIT 1) next)
             SELECT id FROM shelf LIMIT $2",
            start(after.map(BookId::get)),
            None,
            |row| Ok(BookId::new(to_u64(row.try_get("id").map_err(pg_error)?)?)),
        )
    }

    /// One customer.
    pub(super) fn customer(&self, id: CustomerId) -> Result<Customer> {
        self.one(
            "SELECT id, first_name, last_name, email, active FROM koko_customers WHERE id = $1",
            id.get(),
            CustomerId::ENTITY,
            customer_row,
        )
    }

    /// The customer whose e-mail key is `key` (the unique index on `email_key`).
    pub(super) fn customer_by_email(&self, key: &str) -> Result<Option<Customer>> {
        self.query_opt(
            "SELECT id, first_name, last_name, email, active FROM koko_customers WHERE email_key = $1",
            &[&key],
        )?
        .map(|row| customer_row(&row))
        .transpose()
    }

    /// The customers after `after`, in id order.
    pub(super) fn customers_after(&self, after: Option<CustomerId>) -> Records<'_, Customer> {
        self.paged(
            "SELECT id, first_name, last_name, email, active FROM koko_customers WHERE id > $1 ORDER BY id LIMIT $2",
            start(after.map(CustomerId::get)),
            None,
            customer_row,
        )
    }

    /// One rental.
    pub(super) fn rental(&self, id: RentalId) -> Result<Rental> {
        self.one(
            "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                    renewals, lost
             FROM koko_rentals WHERE id = $1",
            id.get(),
            RentalId::ENTITY,
            rental_row,
        )
    }

    /// The rentals after `after`, open and closed, in id order.
    pub(super) fn rentals_after(&self, after: Option<RentalId>) -> Records<'_, Rental> {
        self.paged(
            "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                    renewals, lost
             FROM koko_rentals WHERE id > $1 ORDER BY id LIMIT $2",
            start(after.map(RentalId::get)),
            None,
            rental_row,
        )
    }

    /// The open rentals after `after`, in id order.
    pub(super) fn active_rentals_after(&self, after: Option<RentalId>) -> Records<'_, Rental> {
        self.paged(
            "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                    renewals, lost
             FROM koko_rentals WHERE returned_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
            start(after.map(RentalId::get)),
            None,
            rental_row,
        )
    }

    /// The rentals of `status` after `after`, in id order (the partial indexes `koko_rentals_open`, schema 1,
    /// and `koko_rentals_closed`, `koko_rentals_lost`, schema 6).
    pub(super) fn rentals_with_status_after(
        &self,
        status: RentalStatus,
        after: Option<RentalId>,
    ) -> Records<'_, Rental> {
        let sql = match status {
            RentalStatus::Active => return self.active_rentals_after(after),
            RentalStatus::Closed => {
                "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version,
                        charge, renewals, lost
                 FROM koko_rentals WHERE returned_at IS NOT NULL AND NOT lost AND id > $1 ORDER BY id LIMIT $2"
            }
            RentalStatus::Lost => {
                "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version,
                        charge, renewals, lost
                 FROM koko_rentals WHERE lost AND id > $1 ORDER BY id LIMIT $2"
            }
        };
        self.paged(sql, start(after.map(RentalId::get)), None, rental_row)
    }

    /// The rentals returned in `[from, to)`, by return time then id (the partial index `koko_rentals_by_return`,
    /// schema 6), read in one query from the replica while it may serve.
    pub(super) fn rentals_returned_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Rental>> {
        self.replica_or_primary(
            "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                    renewals, lost
             FROM koko_rentals WHERE returned_at >= $1 AND returned_at < $2 ORDER BY returned_at, id",
            &[&from, &to],
        )?
        .iter()
        .map(rental_row)
        .collect()
    }

    /// The open rentals due before `at`, in id order (the partial index `koko_rentals_open_by_due`).
    pub(super) fn rentals_due_before(&self, at: DateTime<Utc>) -> Result<Vec<Rental>> {
        self.replica_or_primary(
            "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                    renewals, lost
             FROM koko_rentals WHERE returned_at IS NULL AND due_at < $1 ORDER BY id",
            &[&at],
        )?
        .iter()
        .map(rental_row)
        .collect()
    }

    /// A customer's rentals, open and closed, in id order ([`Error::NotFound`] for an unknown customer).
    pub(super) fn customer_rentals(&self, customer: CustomerId) -> Result<Records<'_, Rental>> {
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

    /// A customer's open rentals after `after`, in id order (the partial index `koko_rentals_open_by_customer`,
    /// schema 2; [`Error::NotFound`] for an unknown customer).
    pub(super) fn customer_open_rentals(
        &self,
        customer: CustomerId,
        after: Option<RentalId>,
    ) -> Result<Records<'_, Rental>> {
        self.customer(customer)?;
        Ok(self.paged(
            "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                    renewals, lost
             FROM koko_rentals WHERE customer_id = $3 AND returned_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
            start(after.map(RentalId::get)),
            Some(to_i64(customer.get())?),
            rental_row,
        ))
    }

    /// Every plan version, in id order.
    pub(super) fn plan_versions(&self) -> Result<Vec<PlanVersion>> {
        let rows = self.query(
            "SELECT id, effective_from, plan FROM koko_plan_versions ORDER BY id",
            &[],
        )?;
        rows.iter().map(plan_row).collect()
    }
}

/// The `id > $1` bound of a listing after `after`: 0 for the start, and past every stored id for an id beyond
/// BIGINT (nothing comes after it).
fn start(after: Option<u64>) -> i64 {
    after.map_or(0, |id| i64::try_from(id).unwrap_or(i64::MAX))
}
