//! Notices marked sent: `koko_notices` (key → when), so each notice is sent once — written inside a [`PgTx`],
//! read through a [`Reader`].

use chrono::{DateTime, Utc};

use super::error::{pg_error, TxError};
use super::reader::Reader;
use super::tx::PgTx;
use crate::error::Result;

/// When the notice `key` was marked sent, its row locked until the transaction ends.
pub(super) fn notified_for_update(
    tx: &mut PgTx<'_, '_>,
    key: &str,
) -> Result<Option<DateTime<Utc>>, TxError> {
    let row = tx.query_opt(
        "SELECT sent_at FROM koko_notices WHERE key = $1 FOR UPDATE",
        &[&key],
    )?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// Marks the notice `key` sent at `at`.
pub(super) fn put_notified(
    tx: &mut PgTx<'_, '_>,
    key: &str,
    at: DateTime<Utc>,
) -> Result<(), TxError> {
    // Two senders marking one notice at once: the second finds it marked.
    tx.execute(
        "INSERT INTO koko_notices (key, sent_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        &[&key, &at],
    )?;
    Ok(())
}

/// When the notice `key` was marked sent, if it was.
pub(super) fn notified(reader: &Reader, key: &str) -> Result<Option<DateTime<Utc>>> {
    let row = reader.query_opt("SELECT sent_at FROM koko_notices WHERE key = $1", &[&key])?;
    row.map(|r| r.try_get(0).map_err(pg_error)).transpose()
}

/// Every notice marked sent and when, in key order.
pub(super) fn notices_sent(reader: &Reader) -> Result<Vec<(String, DateTime<Utc>)>> {
    let rows = reader.query("SELECT key, sent_at FROM koko_notices ORDER BY key", &[])?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get(0).map_err(pg_error)?,
                row.try_get(1).map_err(pg_error)?,
            ))
        })
        .collect()
}
