//! The event feed: `koko_events` (by position), `koko_event_counter` (the last position given, one row) and
//! `koko_event_checkpoints` (each consumer's last position) — written inside a [`PgTx`], read through a
//! [`Reader`] on the primary.
//!
//! How positions stay gap-free in commit order (see `007_events.sql`): a batch's events wait in memory ([`append`];
//! a rejected operation's are dropped with its savepoint) and [`flush`] writes them as the batch's last statements
//! before its commit, taking their positions by one `UPDATE` of the counter row. That row stays locked until the
//! transaction ends, so the next writer's `UPDATE` waits for the commit (or rollback) and then reads the committed
//! value: positions are handed out in commit order, and a rollback gives its numbers back (a dry run never takes
//! any). PostgreSQL makes a commit visible before it releases its locks, so a reader that sees position `n + 1`
//! sees `n`. The counter is the last lock a transaction takes, so it adds no deadlock, and writers queue on it
//! only for their commits.

use chrono::{DateTime, Utc};

use super::error::{corrupt, pg_error, TxError};
use super::reader::Reader;
use super::rows::{to_i64, to_u64};
use super::tx::PgTx;
use crate::domain::{Event, EventKind, EventSubjects, NewEvent};
use crate::error::Result;

/// Keeps an operation's event until [`flush`].
pub(super) fn append(tx: &mut PgTx<'_, '_>, event: NewEvent) {
    tx.pending.push(event);
}

/// Appends the batch's waiting events to the feed: one `UPDATE` of the counter row (locked until the transaction
/// ends) and one `INSERT` of every event. Does nothing when the batch appended none.
pub(super) fn flush(tx: &mut PgTx<'_, '_>) -> Result<(), TxError> {
    if tx.pending.is_empty() {
        return Ok(());
    }
    let pending = std::mem::take(tx.pending);
    let count = i64::try_from(pending.len()).map_err(|_| corrupt("too many events"))?;
    let row = tx
        .query_opt(
            "UPDATE koko_event_counter SET last_position = last_position + $1 RETURNING last_position",
            &[&count],
        )?
        .ok_or_else(|| corrupt("koko_event_counter has no row"))?;
    let last: i64 = row.try_get(0)?;
    let first = last - count + 1;
    let mut columns = Columns::default();
    for (offset, event) in (0..).zip(pending) {
        columns.push(event.at_position(to_u64(first + offset)?))?;
    }
    columns.insert(tx)
}

/// Raises the counter to `position` unless it is past it already (a restore).
pub(super) fn raise(tx: &mut PgTx<'_, '_>, position: u64) -> Result<(), TxError> {
    tx.execute(
        "UPDATE koko_event_counter SET last_position = GREATEST(last_position, $1)",
        &[&to_i64(position)?],
    )?;
    Ok(())
}

/// Stores an event as it is (a restore) and raises the counter to its position.
pub(super) fn put(tx: &mut PgTx<'_, '_>, event: &Event) -> Result<(), TxError> {
    raise(tx, event.position)?;
    let mut columns = Columns::default();
    columns.push(event.clone())?;
    columns.insert(tx)
}

/// The events of one `INSERT`, column by column (bound as arrays and unnested).
#[derive(Default)]
struct Columns {
    positions: Vec<i64>,
    ids: Vec<String>,
    kinds: Vec<&'static str>,
    ats: Vec<DateTime<Utc>>,
    books: Vec<Option<i64>>,
    copies: Vec<Option<i64>>,
    customers: Vec<Option<i64>>,
    rentals: Vec<Option<i64>>,
    holds: Vec<Option<i64>>,
    data: Vec<serde_json::Value>,
}

fn optional(id: Option<u64>) -> Result<Option<i64>> {
    id.map(to_i64).transpose()
}

impl Columns {
    fn push(&mut self, event: Event) -> Result<()> {
        self.positions.push(to_i64(event.position)?);
        self.ids.push(event.id);
        self.kinds.push(event.kind.as_str());
        self.ats.push(event.at);
        self.books.push(optional(event.subjects.book)?);
        self.copies.push(optional(event.subjects.copy)?);
        self.customers.push(optional(event.subjects.customer)?);
        self.rentals.push(optional(event.subjects.rental)?);
        self.holds.push(optional(event.subjects.hold)?);
        self.data.push(event.data);
        Ok(())
    }

    fn insert(self, tx: &mut PgTx<'_, '_>) -> Result<(), TxError> {
        tx.execute(
            "INSERT INTO koko_events (position, id, type, at, book_id, copy_id, customer_id, rental_id, hold_id, data)
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::bigint[],
                 $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::jsonb[])",
            &[
                &self.positions,
                &self.ids,
                &self.kinds,
                &self.ats,
                &self.books,
                &self.copies,
                &self.customers,
                &self.rentals,
                &self.holds,
                &self.data,
            ],
        )?;
        Ok(())
    }
}

/// The last position given, this transaction's waiting events included.
pub(super) fn last_position(tx: &mut PgTx<'_, '_>) -> Result<u64, TxError> {
    let row = tx
        .query_opt("SELECT last_position FROM koko_event_counter", &[])?
        .ok_or_else(|| corrupt("koko_event_counter has no row"))?;
    let last = to_u64(row.try_get(0)?)?;
    Ok(last + tx.pending.len() as u64)
}

/// Removes the events before `before`.
pub(super) fn remove_before(tx: &mut PgTx<'_, '_>, before: u64) -> Result<u64, TxError> {
    let before = i64::try_from(before).unwrap_or(i64::MAX);
    tx.execute("DELETE FROM koko_events WHERE position < $1", &[&before])
}

/// Stores consumer `name`'s checkpoint.
pub(super) fn remove_checkpoint(tx: &mut PgTx<'_, '_>, name: &str) -> Result<Option<u64>, TxError> {
    let row = tx.query_opt(
        "DELETE FROM koko_event_checkpoints WHERE name = $1 RETURNING position",
        &[&name],
    )?;
    match row {
        Some(row) => Ok(Some(to_u64(row.try_get(0).map_err(pg_error)?)?)),
        None => Ok(None),
    }
}

pub(super) fn put_checkpoint(
    tx: &mut PgTx<'_, '_>,
    name: &str,
    position: u64,
) -> Result<(), TxError> {
    tx.execute(
        "INSERT INTO koko_event_checkpoints (name, position) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
        &[&name, &to_i64(position)?],
    )?;
    Ok(())
}

/// The lowest checkpoint and its consumer, every checkpoint locked until the transaction ends (so none moves back
/// while a prune relies on it).
pub(super) fn lowest_checkpoint(tx: &mut PgTx<'_, '_>) -> Result<Option<(String, u64)>, TxError> {
    let rows = tx.query(
        "SELECT name, position FROM koko_event_checkpoints ORDER BY name FOR UPDATE",
        &[],
    )?;
    let mut lowest: Option<(String, u64)> = None;
    for row in rows {
        let name: String = row.try_get(0)?;
        let position = to_u64(row.try_get(1)?)?;
        if lowest.as_ref().is_none_or(|(_, low)| position < *low) {
            lowest = Some((name, position));
        }
    }
    Ok(lowest)
}

/// Up to `limit` events after `after`, in position order, from the primary.
pub(super) fn events_after(
    reader: &Reader,
    after: Option<u64>,
    limit: usize,
) -> Result<Vec<Event>> {
    let Ok(after) = i64::try_from(after.unwrap_or(0)) else {
        return Ok(Vec::new());
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = reader.query(
        "SELECT position, id, type, at, book_id, copy_id, customer_id, rental_id, hold_id, data
         FROM koko_events WHERE position > $1 ORDER BY position LIMIT $2",
        &[&after, &limit],
    )?;
    rows.iter().map(event_row).collect()
}

/// Up to `limit` events of `types` after `after`, in position order, from the primary: each type's range of
/// `koko_events_by_type` (at most `limit` rows of each), merged by position.
///
/// Each type's range is written as a row comparison from `(type, after)` bounded by `type <= t.type` and ordered
/// by `(type, position)`, not as `type = t.type … ORDER BY position`: with an equality the primary key also
/// yields the order, and for a common type the planner prefers walking it and filtering, which reads the events
/// of every other type; no other index yields `(type, position)` order, so the feed by type answers.
pub(super) fn events_of_types_after(
    reader: &Reader,
    types: &[EventKind],
    after: Option<u64>,
    limit: usize,
) -> Result<Vec<Event>> {
    let Ok(after) = i64::try_from(after.unwrap_or(0)) else {
        return Ok(Vec::new());
    };
    let mut kinds = types.to_vec();
    kinds.sort_unstable();
    kinds.dedup();
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<&str> = kinds.into_iter().map(EventKind::as_str).collect();
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = reader.query(
        "SELECT e.position, e.id, e.type, e.at, e.book_id, e.copy_id, e.customer_id, e.rental_id, e.hold_id,
             e.data
         FROM unnest($1::text[]) AS t(type)
         CROSS JOIN LATERAL (
             SELECT * FROM koko_events
             WHERE (koko_events.type, koko_events.position) > (t.type, $2) AND koko_events.type <= t.type
             ORDER BY koko_events.type, koko_events.position LIMIT $3) AS e
         ORDER BY e.position LIMIT $3",
        &[&names, &after, &limit],
    )?;
    rows.iter().map(event_row).collect()
}

fn event_row(row: &postgres::Row) -> Result<Event> {
    let id = |i: usize| -> Result<Option<u64>> {
        row.try_get::<_, Option<i64>>(i)
            .map_err(pg_error)?
            .map(to_u64)
            .transpose()
    };
    let kind: String = row.try_get(2).map_err(pg_error)?;
    Ok(Event {
        position: to_u64(row.try_get(0).map_err(pg_error)?)?,
        id: row.try_get(1).map_err(pg_error)?,
        kind: EventKind::parse(&kind).map_err(|_| corrupt("an unknown event type"))?,
        at: row.try_get(3).map_err(pg_error)?,
        subjects: EventSubjects {
            book: id(4)?,
            copy: id(5)?,
            customer: id(6)?,
            rental: id(7)?,
            hold: id(8)?,
        },
        data: row.try_get(9).map_err(pg_error)?,
    })
}

/// The last position given.
pub(super) fn last_position_read(reader: &Reader) -> Result<u64> {
    let row = reader
        .query_opt("SELECT last_position FROM koko_event_counter", &[])?
        .ok_or_else(|| corrupt("koko_event_counter has no row"))?;
    to_u64(row.try_get(0).map_err(pg_error)?)
}

/// Consumer `name`'s checkpoint.
pub(super) fn checkpoint(reader: &Reader, name: &str) -> Result<Option<u64>> {
    let row = reader.query_opt(
        "SELECT position FROM koko_event_checkpoints WHERE name = $1",
        &[&name],
    )?;
    row.map(|r| to_u64(r.try_get(0).map_err(pg_error)?))
        .transpose()
}

/// Every consumer's checkpoint, by name.
pub(super) fn checkpoints(reader: &Reader) -> Result<Vec<(String, u64)>> {
    let rows = reader.query(
        "SELECT name, position FROM koko_event_checkpoints ORDER BY name",
        &[],
    )?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get(0).map_err(pg_error)?,
                to_u64(row.try_get(1).map_err(pg_error)?)?,
            ))
        })
        .collect()
}
