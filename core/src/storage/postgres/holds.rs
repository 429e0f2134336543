//! The hold side of [`PgTx`] and [`PostgresStorage`]: `koko_holds`, and the book row lock that serialises a
//! book's queue.

use postgres::Row;

use super::{corrupt, pg_error, to_i64, to_u64, PgTx, PostgresStorage, TxError};
use crate::domain::{Hold, HoldStatus};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, HoldId, RentalId};
use crate::storage::Storage;

fn hold_row(row: &Row) -> Result<Hold> {
    let status: String = row.try_get("status").map_err(pg_error)?;
    let copy: Option<i64> = row.try_get("copy_id").map_err(pg_error)?;
    let rental: Option<i64> = row.try_get("rental_id").map_err(pg_error)?;
    let position: Option<i64> = row.try_get("position").map_err(pg_error)?;
    Ok(Hold {
        id: HoldId::new(to_u64(row.try_get("id").map_err(pg_error)?)?),
        book: BookId::new(to_u64(row.try_get("book_id").map_err(pg_error)?)?),
        customer: CustomerId::new(to_u64(row.try_get("customer_id").map_err(pg_error)?)?),
        placed_at: row.try_get("placed_at").map_err(pg_error)?,
        status: parse_status(&status)?,
        copy: copy.map(to_u64).transpose()?.map(CopyId::new),
        ready_until: row.try_get("ready_until").map_err(pg_error)?,
        closed_at: row.try_get("closed_at").map_err(pg_error)?,
        rental: rental.map(to_u64).transpose()?.map(RentalId::new),
        position: position.map(|p| u32::try_from(p).unwrap_or(u32::MAX)),
    })
}

fn parse_status(status: &str) -> Result<HoldStatus> {
    Ok(match status {
        "waiting" => HoldStatus::Waiting,
        "ready" => HoldStatus::Ready,
        "fulfilled" => HoldStatus::Fulfilled,
        "cancelled" => HoldStatus::Cancelled,
        "expired" => HoldStatus::Expired,
        other => return Err(corrupt(&format!("a hold with status {other:?}"))),
    })
}

/// A hold's columns, without its queue position (transactions do not need it), then `$tail`.
macro_rules! hold_sql {
    ($tail:literal) => {
        concat!(
            "SELECT id, book_id, customer_id, placed_at, status, copy_id, ready_until, closed_at, rental_id, ",
            "NULL::BIGINT AS position FROM koko_holds",
            $tail
        )
    };
}

/// A hold's columns with its place in its book's queue while it waits, then `$tail`.
macro_rules! numbered_sql {
    ($tail:literal) => {
        concat!(
            "SELECT h.id, h.book_id, h.customer_id, h.placed_at, h.status, h.copy_id, h.ready_until, ",
            "h.closed_at, h.rental_id, CASE WHEN h.status = 'waiting' THEN ",
            "(SELECT count(*) FROM koko_holds w WHERE w.book_id = h.book_id AND w.status = 'waiting' ",
            "AND w.id <= h.id) END AS position FROM koko_holds h",
            $tail
        )
    };
}

impl PgTx<'_, '_> {
    pub(super) fn hold_locked(&mut self, id: HoldId) -> Result<Option<Hold>, TxError> {
        self.locked(hold_sql!(" WHERE id = $1 FOR UPDATE"), id.get(), hold_row)
    }

    pub(super) fn store_hold(&mut self, hold: &Hold) -> Result<(), TxError> {
        let copy = hold.copy.map(|c| to_i64(c.get())).transpose()?;
        let rental = hold.rental.map(|r| to_i64(r.get())).transpose()?;
        self.execute(
            "INSERT INTO koko_holds (id, book_id, customer_id, placed_at, status, copy_id, ready_until, closed_at,
                 rental_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, copy_id = EXCLUDED.copy_id,
                 ready_until = EXCLUDED.ready_until, closed_at = EXCLUDED.closed_at, rental_id = EXCLUDED.rental_id",
            &[
                &to_i64(hold.id.get())?,
                &to_i64(hold.book.get())?,
                &to_i64(hold.customer.get())?,
                &hold.placed_at,
                &hold.status.as_str(),
                &copy,
                &hold.ready_until,
                &hold.closed_at,
                &rental,
            ],
        )?;
        Ok(())
    }

    pub(super) fn first_waiting(&mut self, book: BookId) -> Result<Option<Hold>, TxError> {
        let row = self.query_opt(
            hold_sql!(" WHERE book_id = $1 AND status = 'waiting' ORDER BY id LIMIT 1 FOR UPDATE"),
            &[&to_i64(book.get())?],
        )?;
        Ok(row.map(|r| hold_row(&r)).transpose()?)
    }

    pub(super) fn customer_active_holds(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<Hold>, TxError> {
        let rows = self.query(
            hold_sql!(
                " WHERE customer_id = $1 AND status IN ('waiting', 'ready') ORDER BY id FOR UPDATE"
            ),
            &[&to_i64(customer.get())?],
        )?;
        Ok(rows.iter().map(hold_row).collect::<Result<_>>()?)
    }

    pub(super) fn all_ready_holds(&mut self) -> Result<Vec<Hold>, TxError> {
        let rows = self.query(
            hold_sql!(" WHERE status = 'ready' ORDER BY id FOR UPDATE"),
            &[],
        )?;
        Ok(rows.iter().map(hold_row).collect::<Result<_>>()?)
    }

    pub(super) fn notice_sent(
        &mut self,
        key: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, TxError> {
        let row = self.query_opt(
            "SELECT sent_at FROM koko_notices WHERE key = $1 FOR UPDATE",
            &[&key],
        )?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub(super) fn store_notice(
        &mut self,
        key: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), TxError> {
        // Two senders marking one notice at once: the second finds it marked.
        self.execute(
            "INSERT INTO koko_notices (key, sent_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&key, &at],
        )?;
        Ok(())
    }

    /// Locks a book's row: every change to its queue and every freed copy of it takes this lock first.
    pub(super) fn lock_book_row(&mut self, book: BookId) -> Result<(), TxError> {
        let Ok(id) = i64::try_from(book.get()) else {
            return Ok(());
        };
        self.query_opt("SELECT 1 FROM koko_books WHERE id = $1 FOR UPDATE", &[&id])?;
        Ok(())
    }
}

impl PostgresStorage {
    fn holds_where(
        &self,
        sql: &'static str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Hold>> {
        let mut conn = self.conn()?;
        let super::pool::Conn { client, statements } = &mut *conn;
        let statement = statements.get(client, sql).map_err(pg_error)?;
        let rows = client.query(&statement, params).map_err(pg_error)?;
        rows.iter().map(hold_row).collect()
    }

    pub(super) fn read_hold(&self, id: HoldId) -> Result<Hold> {
        let Ok(raw) = i64::try_from(id.get()) else {
            return Err(Error::not_found(HoldId::ENTITY, id));
        };
        self.holds_where(numbered_sql!(" WHERE h.id = $1"), &[&raw])?
            .pop()
            .ok_or_else(|| Error::not_found(HoldId::ENTITY, id))
    }

    pub(super) fn read_book_holds(&self, book: BookId) -> Result<Vec<Hold>> {
        self.book(book)?;
        self.holds_where(
            numbered_sql!(
                " WHERE h.book_id = $1 AND h.status IN ('waiting', 'ready') ORDER BY h.id"
            ),
            &[&to_i64(book.get())?],
        )
    }

    pub(super) fn read_customer_holds(&self, customer: CustomerId) -> Result<Vec<Hold>> {
        self.customer(customer)?;
        self.holds_where(
            numbered_sql!(" WHERE h.customer_id = $1 ORDER BY h.id"),
            &[&to_i64(customer.get())?],
        )
    }

    pub(super) fn read_notified(&self, key: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        let mut conn = self.conn()?;
        let row = conn
            .client
            .query_opt("SELECT sent_at FROM koko_notices WHERE key = $1", &[&key])
            .map_err(pg_error)?;
        row.map(|r| r.try_get(0).map_err(pg_error)).transpose()
    }

    pub(super) fn read_active_holds(&self) -> Result<Vec<Hold>> {
        self.holds_where(
            numbered_sql!(" WHERE h.status IN ('waiting', 'ready') ORDER BY h.id"),
            &[],
        )
    }
}
