//! Holds: `koko_holds`, and the book row lock that serialises a book's queue — written inside a [`PgTx`], read
//! through a [`Reader`].
//!
//! A transaction's reads lock the holds they return and leave their queue position out (`NULL`); the reads of
//! [`Storage`](crate::storage::Storage) number the waiting holds in their book's queue (a count of the waiting
//! holds of the book up to each one).

use chrono::{DateTime, Utc};

use super::error::TxError;
use super::reader::Reader;
use super::rows::{hold_row, to_i64};
use super::tx::PgTx;
use crate::domain::Hold;
use crate::error::{Error, Result};
use crate::ids::{BookId, CustomerId, HoldId};

/// A hold, locked until the transaction ends.
pub(super) fn hold_for_update(tx: &mut PgTx<'_, '_>, id: HoldId) -> Result<Option<Hold>, TxError> {
    tx.locked(
        "SELECT id, book_id, customer_id, placed_at, status, copy_id, ready_until, closed_at, rental_id,
                NULL::BIGINT AS position
         FROM koko_holds WHERE id = $1 FOR UPDATE",
        id.get(),
        hold_row,
    )
}

/// Stores a hold (the queue, ready and per-customer indexes are the table's own).
pub(super) fn put_hold(tx: &mut PgTx<'_, '_>, hold: &Hold) -> Result<(), TxError> {
    let copy = hold.copy.map(|c| to_i64(c.get())).transpose()?;
    let rental = hold.rental.map(|r| to_i64(r.get())).transpose()?;
    tx.execute(
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

/// The first waiting hold of a book (the lowest id), locked.
pub(super) fn first_waiting(tx: &mut PgTx<'_, '_>, book: BookId) -> Result<Option<Hold>, TxError> {
    let row = tx.query_opt(
        "SELECT id, book_id, customer_id, placed_at, status, copy_id, ready_until, closed_at, rental_id,
                NULL::BIGINT AS position
         FROM koko_holds WHERE book_id = $1 AND status = 'waiting' ORDER BY id LIMIT 1 FOR UPDATE",
        &[&to_i64(book.get())?],
    )?;
    Ok(row.map(|r| hold_row(&r)).transpose()?)
}

/// The customer's waiting or ready hold on a book, locked (the unique index `koko_one_active_hold`).
pub(super) fn active_hold_on(
    tx: &mut PgTx<'_, '_>,
    customer: CustomerId,
    book: BookId,
) -> Result<Option<Hold>, TxError> {
    let row = tx.query_opt(
        "SELECT id, book_id, customer_id, placed_at, status, copy_id, ready_until, closed_at, rental_id,
                NULL::BIGINT AS position
         FROM koko_holds WHERE customer_id = $1 AND book_id = $2 AND status IN ('waiting', 'ready') FOR UPDATE",
        &[&to_i64(customer.get())?, &to_i64(book.get())?],
    )?;
    Ok(row.map(|r| hold_row(&r)).transpose()?)
}

/// How many waiting and ready holds a customer has, up to `at_most`, those counted locked in index order (the
/// unique index `koko_one_active_hold` on (customer, book) of the active holds).
pub(super) fn count_active_holds(
    tx: &mut PgTx<'_, '_>,
    customer: CustomerId,
    at_most: usize,
) -> Result<usize, TxError> {
    let limit = i64::try_from(at_most).unwrap_or(i64::MAX);
    let rows = tx.query(
        "SELECT id FROM koko_holds WHERE customer_id = $1 AND status IN ('waiting', 'ready')
         LIMIT $2 FOR UPDATE",
        &[&to_i64(customer.get())?, &limit],
    )?;
    Ok(rows.len())
}

/// The ready holds whose pickup ended before `at`, in id order, locked (the partial index
/// `koko_holds_ready_until`).
pub(super) fn ready_holds_before(
    tx: &mut PgTx<'_, '_>,
    at: DateTime<Utc>,
) -> Result<Vec<Hold>, TxError> {
    let rows = tx.query(
        "SELECT id, book_id, customer_id, placed_at, status, copy_id, ready_until, closed_at, rental_id,
                NULL::BIGINT AS position
         FROM koko_holds WHERE status = 'ready' AND ready_until < $1 ORDER BY id FOR UPDATE",
        &[&at],
    )?;
    Ok(rows.iter().map(hold_row).collect::<Result<_>>()?)
}

/// Locks a book's row: every change to its queue and every freed copy of it takes this lock first.
pub(super) fn lock_book(tx: &mut PgTx<'_, '_>, book: BookId) -> Result<(), TxError> {
    let Ok(id) = i64::try_from(book.get()) else {
        return Ok(());
    };
    tx.query_opt("SELECT 1 FROM koko_books WHERE id = $1 FOR UPDATE", &[&id])?;
    Ok(())
}

/// One hold, numbered in its book's queue while it waits.
pub(super) fn hold(reader: &Reader, id: HoldId) -> Result<Hold> {
    let Ok(raw) = i64::try_from(id.get()) else {
        return Err(Error::not_found(HoldId::ENTITY, id));
    };
    let row = reader.query_opt(
        "SELECT h.id, h.book_id, h.customer_id, h.placed_at, h.status, h.copy_id, h.ready_until, h.closed_at,
                h.rental_id,
                CASE WHEN h.status = 'waiting' THEN (SELECT count(*) FROM koko_holds w
                    WHERE w.book_id = h.book_id AND w.status = 'waiting' AND w.id <= h.id) END AS position
         FROM koko_holds h WHERE h.id = $1",
        &[&raw],
    )?;
    match row {
        Some(row) => hold_row(&row),
        None => Err(Error::not_found(HoldId::ENTITY, id)),
    }
}

/// A book's waiting and ready holds, in queue (id) order, numbered ([`Error::NotFound`] for an unknown book).
pub(super) fn book_holds(reader: &Reader, book: BookId) -> Result<Vec<Hold>> {
    reader.book(book)?;
    // Numbered here, as the queue is read in order: a count per row would read the queue once per hold.
    let rows = reader.query(
        "SELECT id, book_id, customer_id, placed_at, status, copy_id, ready_until, closed_at, rental_id,
                NULL::BIGINT AS position
         FROM koko_holds WHERE book_id = $1 AND status IN ('waiting', 'ready') ORDER BY id",
        &[&to_i64(book.get())?],
    )?;
    let mut queue = rows.iter().map(hold_row).collect::<Result<Vec<_>>>()?;
    Hold::number_queue(&mut queue);
    Ok(queue)
}

/// A customer's holds of every status, in id order, the waiting ones numbered ([`Error::NotFound`] for an
/// unknown customer).
pub(super) fn customer_holds(reader: &Reader, customer: CustomerId) -> Result<Vec<Hold>> {
    reader.customer(customer)?;
    let rows = reader.query(
        "SELECT h.id, h.book_id, h.customer_id, h.placed_at, h.status, h.copy_id, h.ready_until, h.closed_at,
                h.rental_id,
                CASE WHEN h.status = 'waiting' THEN (SELECT count(*) FROM koko_holds w
                    WHERE w.book_id = h.book_id AND w.status = 'waiting' AND w.id <= h.id) END AS position
         FROM koko_holds h WHERE h.customer_id = $1 ORDER BY h.id",
        &[&to_i64(customer.get())?],
    )?;
    rows.iter().map(hold_row).collect()
}

/// Every waiting and ready hold, in id order, the waiting ones numbered.
pub(super) fn active_holds(reader: &Reader) -> Result<Vec<Hold>> {
    let rows = reader.query(
        "SELECT h.id, h.book_id, h.customer_id, h.placed_at, h.status, h.copy_id, h.ready_until, h.closed_at,
                h.rental_id,
                CASE WHEN h.status = 'waiting' THEN (SELECT count(*) FROM koko_holds w
                    WHERE w.book_id = h.book_id AND w.status = 'waiting' AND w.id <= h.id) END AS position
         FROM koko_holds h WHERE h.status IN ('waiting', 'ready') ORDER BY h.id",
        &[],
    )?;
    rows.iter().map(hold_row).collect()
}

/// Every ready hold, in id order (the partial index `koko_holds_ready`).
pub(super) fn all_ready(reader: &Reader) -> Result<Vec<Hold>> {
    let rows = reader.query(
        "SELECT id, book_id, customer_id, placed_at, status, copy_id, ready_until, closed_at, rental_id,
                NULL::bigint AS position
         FROM koko_holds WHERE status = 'ready' ORDER BY id",
        &[],
    )?;
    rows.iter().map(hold_row).collect()
}
