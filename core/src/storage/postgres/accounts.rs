//! Accounts: `koko_accounts` (balance and manual block), the append-only `koko_ledger`, and
//! `koko_idempotency_keys` — written inside a [`PgTx`], read through a [`Reader`].

use chrono::{DateTime, Utc};

use super::error::{corrupt, pg_error, TxError};
use super::reader::Reader;
use super::rows::{account_row, entry_row, key_row, outcome_column, to_i64, to_u64};
use super::tx::PgTx;
use crate::domain::{AccountState, LedgerEntry};
use crate::engine::{KeyRecord, StoredAccount};
use crate::error::Result;
use crate::ids::{CustomerId, RentalId};
use crate::storage::Records;

/// First half of the advisory lock key of an idempotency key (the second is the key's hash).
const KEY_LOCK_SPACE: i32 = 0x6b6f_6b6b;

/// A customer's account, its row locked until the transaction ends (so limits hold between concurrent rents);
/// `None` while nothing is stored.
pub(super) fn account_for_update(
    tx: &mut PgTx<'_, '_>,
    customer: CustomerId,
) -> Result<Option<StoredAccount>, TxError> {
    let row = tx.query_opt(
        "SELECT balance, block_reason, block_since, block_until FROM koko_accounts
         WHERE customer_id = $1 FOR UPDATE",
        &[&to_i64(customer.get())?],
    )?;
    Ok(row.map(|row| account_row(&row)).transpose()?)
}

/// How many open rentals a customer has (an index-only count of `koko_rentals_open_by_customer`, schema 2).
pub(super) fn count_open_rentals(
    tx: &mut PgTx<'_, '_>,
    customer: CustomerId,
) -> Result<u64, TxError> {
    let row = tx.query_opt(
        "SELECT count(*) FROM koko_rentals WHERE customer_id = $1 AND returned_at IS NULL",
        &[&to_i64(customer.get())?],
    )?;
    let count: i64 = match row {
        Some(row) => row.try_get(0)?,
        None => 0,
    };
    Ok(u64::try_from(count).map_err(|_| corrupt("a negative count"))?)
}

/// How many of a customer's open rentals were due before `at`, up to `at_most` (the partial index
/// `koko_rentals_open_due_by_customer`, schema 6).
pub(super) fn count_overdue_rentals(
    tx: &mut PgTx<'_, '_>,
    customer: CustomerId,
    at: DateTime<Utc>,
    at_most: usize,
) -> Result<usize, TxError> {
    let limit = i64::try_from(at_most).unwrap_or(i64::MAX);
    let row = tx.query_opt(
        "SELECT count(*) FROM (SELECT 1 FROM koko_rentals
             WHERE customer_id = $1 AND returned_at IS NULL AND due_at < $2 LIMIT $3) AS overdue",
        &[&to_i64(customer.get())?, &at, &limit],
    )?;
    let count: i64 = match row {
        Some(row) => row.try_get(0)?,
        None => 0,
    };
    Ok(usize::try_from(count).map_err(|_| corrupt("a negative count"))?)
}

/// Stores a customer's account.
pub(super) fn put_account(
    tx: &mut PgTx<'_, '_>,
    customer: CustomerId,
    account: &StoredAccount,
) -> Result<(), TxError> {
    let block = account.block.as_ref();
    tx.execute(
        "INSERT INTO koko_accounts (customer_id, balance, block_reason, block_since, block_until)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (customer_id) DO UPDATE SET balance = EXCLUDED.balance,
             block_reason = EXCLUDED.block_reason, block_since = EXCLUDED.block_since,
             block_until = EXCLUDED.block_until",
        &[
            &to_i64(customer.get())?,
            &account.balance,
            &block.map(|b| b.reason.as_str()),
            &block.map(|b| b.since),
            &block.and_then(|b| b.until),
        ],
    )?;
    Ok(())
}

/// Appends a ledger entry (the table refuses updates and deletes).
pub(super) fn put_entry(tx: &mut PgTx<'_, '_>, entry: &LedgerEntry) -> Result<(), TxError> {
    let rental = entry.rental.map(|r| to_i64(r.get())).transpose()?;
    tx.execute(
        "INSERT INTO koko_ledger (id, customer_id, kind, amount, currency, at, rental_id, note, balance_after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &to_i64(entry.id.get())?,
            &to_i64(entry.customer.get())?,
            &entry.kind.name(),
            &entry.amount,
            &entry.currency.code(),
            &entry.at,
            &rental,
            &entry.note,
            &entry.balance_after,
        ],
    )?;
    Ok(())
}

/// Holds a transaction-scoped advisory lock on the key, so two transactions with one key run one after the other
/// and the second sees the first's record.
pub(super) fn lock_key(tx: &mut PgTx<'_, '_>, key: &str) -> Result<(), TxError> {
    tx.query_opt(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        &[&KEY_LOCK_SPACE, &key],
    )?;
    Ok(())
}

/// The record of an idempotency key.
pub(super) fn key_record(tx: &mut PgTx<'_, '_>, key: &str) -> Result<Option<KeyRecord>, TxError> {
    let row = tx.query_opt(
        "SELECT request, outcome, recorded_at FROM koko_idempotency_keys WHERE key = $1",
        &[&key],
    )?;
    Ok(row.map(|row| key_row(&row)).transpose()?)
}

/// Stores the record of a new idempotency key.
pub(super) fn put_key_record(
    tx: &mut PgTx<'_, '_>,
    key: &str,
    record: &KeyRecord,
) -> Result<(), TxError> {
    let outcome = outcome_column(record)?;
    tx.execute(
        "INSERT INTO koko_idempotency_keys (key, request, outcome, recorded_at) VALUES ($1, $2, $3, $4)",
        &[&key, &record.request, &outcome, &record.recorded_at],
    )?;
    Ok(())
}

/// A customer's account: balance, manual block, open rentals ([`Error::NotFound`](crate::Error::NotFound) for an
/// unknown customer).
pub(super) fn account_state(reader: &Reader, customer: CustomerId) -> Result<AccountState> {
    reader.customer(customer)?;
    let id = to_i64(customer.get())?;
    let mut conn = reader.primary()?;
    let row = conn
        .query_opt(
            "SELECT balance, block_reason, block_since, block_until FROM koko_accounts WHERE customer_id = $1",
            &[&id],
        )
        .map_err(pg_error)?;
    let open: i64 = conn
        .query_one(
            "SELECT count(*) FROM koko_rentals WHERE customer_id = $1 AND returned_at IS NULL",
            &[&id],
        )
        .and_then(|row| row.try_get(0))
        .map_err(pg_error)?;
    reader.count(1 + usize::from(row.is_some()));
    let stored = row.as_ref().map(account_row).transpose()?;
    let open = u64::try_from(open).map_err(|_| corrupt("a negative count"))?;
    Ok(stored.unwrap_or_default().with_open(open))
}

/// A customer's ledger, in posting (id) order, streamed ([`Error::NotFound`](crate::Error::NotFound) for an
/// unknown customer).
pub(super) fn ledger(reader: &Reader, customer: CustomerId) -> Result<Records<'_, LedgerEntry>> {
    reader.customer(customer)?;
    Ok(reader.paged(
        "SELECT id, customer_id, kind, amount, currency, at, rental_id, note, balance_after
         FROM koko_ledger WHERE id > $1 AND customer_id = $3 ORDER BY customer_id, id LIMIT $2",
        0,
        Some(to_i64(customer.get())?),
        entry_row,
    ))
}

/// A customer's entries dated in `[from, to)`, by date then id, oldest or newest first (the index
/// `koko_ledger_by_date`, schema 6), streamed in pages keyed by the last (date, id) read: the first page holds 4
/// rows and each next one twice as many (up to 1,000), so a caller that stops early has read little more than it
/// used ([`Error::NotFound`](crate::Error::NotFound) for an unknown customer).
pub(super) fn ledger_between(
    reader: &Reader,
    customer: CustomerId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    newest_first: bool,
) -> Result<Records<'_, LedgerEntry>> {
    reader.customer(customer)?;
    let id = to_i64(customer.get())?;
    // PostgreSQL's earliest instant, and chrono's latest (within PostgreSQL's range): no entry lies outside them.
    let low = from.unwrap_or_else(|| {
        chrono::NaiveDate::from_ymd_opt(-4712, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(DateTime::<Utc>::MIN_UTC, |d| d.and_utc())
    });
    let high = to.unwrap_or(DateTime::<Utc>::MAX_UTC);
    if high <= low {
        return Ok(Box::new(std::iter::empty()));
    }
    // The cursor: the (date, id) of the last entry read, or the bound the first page starts from.
    let mut cursor: (DateTime<Utc>, i64) = if newest_first { (high, 0) } else { (low, 0) };
    let mut limit: i64 = 4;
    let mut page = Vec::new().into_iter();
    let mut done = false;
    Ok(Box::new(std::iter::from_fn(move || loop {
        if let Some(entry) = page.next() {
            return Some(Ok(entry));
        }
        if done {
            return None;
        }
        let rows = if newest_first {
            reader.replica_or_primary(
                "SELECT id, customer_id, kind, amount, currency, at, rental_id, note, balance_after
                 FROM koko_ledger WHERE customer_id = $1 AND at >= $2 AND (at, id) < ($3, $4)
                 ORDER BY at DESC, id DESC LIMIT $5",
                &[&id, &low, &cursor.0, &cursor.1, &limit],
            )
        } else {
            reader.replica_or_primary(
                "SELECT id, customer_id, kind, amount, currency, at, rental_id, note, balance_after
                 FROM koko_ledger WHERE customer_id = $1 AND at < $2 AND (at, id) > ($3, $4)
                 ORDER BY at, id LIMIT $5",
                &[&id, &high, &cursor.0, &cursor.1, &limit],
            )
        };
        let entries = rows.and_then(|rows| {
            done = (rows.len() as i64) < limit;
            rows.iter().map(entry_row).collect::<Result<Vec<_>>>()
        });
        match entries {
            Ok(entries) => {
                if let Some(last) = entries.last() {
                    match to_i64(last.id.get()) {
                        Ok(last_id) => cursor = (last.at, last_id),
                        Err(e) => {
                            done = true;
                            return Some(Err(e));
                        }
                    }
                }
                limit = (limit * 2).min(1000);
                page = entries.into_iter();
            }
            Err(e) => {
                done = true;
                return Some(Err(e));
            }
        }
    })))
}

/// The customers who owe something after `after`, in id order (the partial index `koko_accounts_owing`, schema 6).
pub(super) fn customers_owing_after(
    reader: &Reader,
    after: Option<CustomerId>,
) -> Records<'_, CustomerId> {
    reader.paged(
        "SELECT customer_id AS id FROM koko_accounts WHERE balance > 0 AND customer_id > $1
         ORDER BY customer_id LIMIT $2",
        after.map_or(0, |id| i64::try_from(id.get()).unwrap_or(i64::MAX)),
        None,
        |row| {
            Ok(CustomerId::new(to_u64(
                row.try_get("id").map_err(pg_error)?,
            )?))
        },
    )
}

/// The entries naming a rental, in id order (the partial index `koko_ledger_by_rental`).
pub(super) fn rental_entries(reader: &Reader, rental: RentalId) -> Result<Vec<LedgerEntry>> {
    let Ok(id) = i64::try_from(rental.get()) else {
        return Ok(Vec::new());
    };
    reader
        .query(
            "SELECT id, customer_id, kind, amount, currency, at, rental_id, note, balance_after
             FROM koko_ledger WHERE rental_id = $1 ORDER BY rental_id, id",
            &[&id],
        )?
        .iter()
        .map(entry_row)
        .collect()
}

/// The charge entry a closed rental posted (`None` while it is open, or for an unknown rental).
pub(super) fn charge_entry(reader: &Reader, rental: RentalId) -> Result<Option<LedgerEntry>> {
    let Ok(id) = i64::try_from(rental.get()) else {
        return Ok(None);
    };
    // The kind is written into the text, not bound, so the partial index koko_one_charge_per_rental serves it.
    reader
        .query_opt(
            "SELECT id, customer_id, kind, amount, currency, at, rental_id, note, balance_after
             FROM koko_ledger WHERE rental_id = $1 AND kind = 'charge'",
            &[&id],
        )?
        .map(|row| entry_row(&row))
        .transpose()
}

/// Forgets the idempotency keys first used before `before`; answers how many.
pub(super) fn prune_keys(reader: &Reader, before: DateTime<Utc>) -> Result<u64> {
    reader
        .primary()?
        .execute(
            "DELETE FROM koko_idempotency_keys WHERE recorded_at < $1",
            &[&before],
        )
        .map_err(pg_error)
}
