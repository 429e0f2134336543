//! The account side of [`PgTx`] and [`PostgresStorage`]: `koko_accounts`, the append-only `koko_ledger`, and
//! `koko_idempotency_keys`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use postgres::Row;
use rust_decimal::Decimal;

use super::{corrupt, pg_error, to_i64, to_u64, PgTx, PostgresStorage, TxError};
use crate::domain::{AccountState, Block, EntryKind, LedgerEntry, OpenLoan};
use crate::engine::{KeyRecord, Outcome, StoredAccount};
use crate::error::{Error, Result};
use crate::ids::{CustomerId, LedgerEntryId, RentalId};
use crate::pricing::PlanVersion;
use crate::storage::{Records, Storage};

/// First half of the advisory lock key of an idempotency key (the second is the key's hash).
const KEY_LOCK_SPACE: i32 = 0x6b6f_6b6b;

const ACCOUNT: &str = "SELECT balance, block_reason, block_since, block_until FROM koko_accounts WHERE customer_id = $1";
const ACCOUNT_LOCKED: &str =
    "SELECT balance, block_reason, block_since, block_until FROM koko_accounts \
                              WHERE customer_id = $1 FOR UPDATE";
const OPEN_LOANS: &str =
    "SELECT id, due_at FROM koko_rentals WHERE customer_id = $1 AND returned_at IS NULL ORDER BY id";
const OPEN_COUNT: &str =
    "SELECT count(*) FROM koko_rentals WHERE customer_id = $1 AND returned_at IS NULL";
const ENTRY_COLUMNS: &str =
    "id, customer_id, kind, amount, currency, at, rental_id, note, balance_after";

pub(super) fn entry_row(row: &Row) -> Result<LedgerEntry> {
    let kind: String = row.try_get("kind").map_err(pg_error)?;
    let currency: String = row.try_get("currency").map_err(pg_error)?;
    let rental: Option<i64> = row.try_get("rental_id").map_err(pg_error)?;
    Ok(LedgerEntry {
        id: LedgerEntryId::new(to_u64(row.try_get("id").map_err(pg_error)?)?),
        customer: CustomerId::new(to_u64(row.try_get("customer_id").map_err(pg_error)?)?),
        kind: kind
            .parse()
            .map_err(|_| corrupt(&format!("a ledger entry of kind {kind:?}")))?,
        amount: row.try_get("amount").map_err(pg_error)?,
        currency: currency
            .parse()
            .map_err(|_| corrupt(&format!("a ledger entry in currency {currency:?}")))?,
        at: row.try_get("at").map_err(pg_error)?,
        rental: rental.map(to_u64).transpose()?.map(RentalId::new),
        note: row.try_get("note").map_err(pg_error)?,
        balance_after: row.try_get("balance_after").map_err(pg_error)?,
    })
}

fn stored_account(row: &Row) -> Result<StoredAccount> {
    let reason: Option<String> = row.try_get("block_reason").map_err(pg_error)?;
    let since: Option<DateTime<Utc>> = row.try_get("block_since").map_err(pg_error)?;
    Ok(StoredAccount {
        balance: row.try_get::<_, Decimal>("balance").map_err(pg_error)?,
        block: match (reason, since) {
            (Some(reason), Some(since)) => Some(Block {
                reason,
                since,
                until: row.try_get("block_until").map_err(pg_error)?,
            }),
            _ => None,
        },
    })
}

fn key_record(row: &Row) -> Result<KeyRecord> {
    let outcome: String = row.try_get("outcome").map_err(pg_error)?;
    Ok(KeyRecord {
        request: row.try_get("request").map_err(pg_error)?,
        outcome: serde_json::from_str::<Outcome>(&outcome)
            .map_err(|e| corrupt(&format!("an idempotency key's outcome ({e})")))?,
        recorded_at: row.try_get("recorded_at").map_err(pg_error)?,
    })
}

impl PgTx<'_, '_> {
    pub(super) fn first_plan_version(&mut self) -> Result<Option<Arc<PlanVersion>>, TxError> {
        match self.query_opt("SELECT id FROM koko_plan_versions ORDER BY id LIMIT 1", &[])? {
            Some(row) => self.cached_plan(row.try_get(0)?),
            None => Ok(None),
        }
    }

    /// The account, its row locked until the transaction ends (so limits hold between concurrent rents).
    pub(super) fn account_locked(
        &mut self,
        customer: CustomerId,
    ) -> Result<Option<StoredAccount>, TxError> {
        match self.query_opt(ACCOUNT_LOCKED, &[&to_i64(customer.get())?])? {
            Some(row) => Ok(Some(stored_account(&row)?)),
            None => Ok(None),
        }
    }

    pub(super) fn loans(&mut self, customer: CustomerId) -> Result<Vec<OpenLoan>, TxError> {
        let rows = self.query(OPEN_LOANS, &[&to_i64(customer.get())?])?;
        rows.iter()
            .map(|row| {
                Ok(OpenLoan {
                    rental: RentalId::new(to_u64(row.try_get("id")?)?),
                    due_at: row.try_get("due_at")?,
                })
            })
            .collect()
    }

    pub(super) fn store_account(
        &mut self,
        customer: CustomerId,
        account: &StoredAccount,
    ) -> Result<(), TxError> {
        let block = account.block.as_ref();
        self.execute(
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

    pub(super) fn store_entry(&mut self, entry: &LedgerEntry) -> Result<(), TxError> {
        let rental = entry.rental.map(|r| to_i64(r.get())).transpose()?;
        self.execute(
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

    /// Holds a transaction-scoped advisory lock on the key, so two transactions with one key run one after the
    /// other and the second sees the first's record.
    pub(super) fn lock_idempotency_key(&mut self, key: &str) -> Result<(), TxError> {
        self.query_opt(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&KEY_LOCK_SPACE, &key],
        )?;
        Ok(())
    }

    pub(super) fn key_record(&mut self, key: &str) -> Result<Option<KeyRecord>, TxError> {
        match self.query_opt(
            "SELECT request, outcome, recorded_at FROM koko_idempotency_keys WHERE key = $1",
            &[&key],
        )? {
            Some(row) => Ok(Some(key_record(&row)?)),
            None => Ok(None),
        }
    }

    pub(super) fn store_key_record(
        &mut self,
        key: &str,
        record: &KeyRecord,
    ) -> Result<(), TxError> {
        let outcome = serde_json::to_string(&record.outcome)
            .map_err(|e| corrupt(&format!("an outcome that cannot be encoded ({e})")))?;
        self.execute(
            "INSERT INTO koko_idempotency_keys (key, request, outcome, recorded_at) VALUES ($1, $2, $3, $4)",
            &[&key, &record.request, &outcome, &record.recorded_at],
        )?;
        Ok(())
    }
}

impl PostgresStorage {
    pub(super) fn read_account(&self, customer: CustomerId) -> Result<AccountState> {
        self.customer(customer)?;
        let id = to_i64(customer.get())?;
        let mut conn = self.conn()?;
        let row = conn.client.query_opt(ACCOUNT, &[&id]).map_err(pg_error)?;
        let open: i64 = conn
            .client
            .query_one(OPEN_COUNT, &[&id])
            .and_then(|row| row.try_get(0))
            .map_err(pg_error)?;
        let stored = row.as_ref().map(stored_account).transpose()?;
        let open = u64::try_from(open).map_err(|_| corrupt("a negative count"))?;
        Ok(stored.unwrap_or_default().with_open(open))
    }

    pub(super) fn read_ledger(&self, customer: CustomerId) -> Result<Records<'_, LedgerEntry>> {
        self.customer(customer)?;
        Ok(self.paged(
            "SELECT id, customer_id, kind, amount, currency, at, rental_id, note, balance_after
             FROM koko_ledger WHERE id > $1 AND customer_id = $3 ORDER BY customer_id, id LIMIT $2",
            0,
            Some(to_i64(customer.get())?),
            entry_row,
        ))
    }

    pub(super) fn read_charge_entry(&self, rental: RentalId) -> Result<Option<LedgerEntry>> {
        let Ok(id) = i64::try_from(rental.get()) else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM koko_ledger WHERE rental_id = $1 AND kind = '{}'",
            EntryKind::Charge.name()
        );
        self.conn()?
            .client
            .query_opt(&sql, &[&id])
            .map_err(pg_error)?
            .map(|row| entry_row(&row))
            .transpose()
    }

    pub(super) fn delete_keys_before(&self, before: DateTime<Utc>) -> Result<u64> {
        self.conn()?
            .client
            .execute(
                "DELETE FROM koko_idempotency_keys WHERE recorded_at < $1",
                &[&before],
            )
            .map_err(Error::storage)
    }
}
