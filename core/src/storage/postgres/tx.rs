//! [`PgTx`]: one write's PostgreSQL transaction — or, in a batch of several operations, one operation's savepoint —
//! with its connection's prepared statements and the storage's cache of plan versions. The engine's view over it
//! is in `view.rs`; the writes of each subject (accounts, holds, notices, search, restore) take it as their first
//! argument.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use postgres::types::ToSql;
use postgres::{Row, Transaction};

use super::error::TxError;
use super::pool::Statements;
use super::rows::{plan_row, to_u64};
use crate::domain::NewEvent;
use crate::error::Result;
use crate::ids::PlanVersionId;
use crate::pricing::PlanVersion;

/// Parsed plan versions by id. A stored version never changes, so an entry read from the database stays true;
/// entries are added only from rows read, never from a transaction's own (possibly rolled back) insert.
pub(super) type PlanCache = Mutex<HashMap<PlanVersionId, Arc<PlanVersion>>>;

/// A transaction (or savepoint) that runs the engine's reads and writes.
pub(super) struct PgTx<'t, 'c> {
    /// The transaction, or the operation's savepoint in it.
    tx: &'t mut Transaction<'c>,
    /// The statements prepared on the transaction's connection.
    statements: &'t mut Statements,
    /// The storage's plan versions, shared by every transaction.
    plans: &'t PlanCache,
    /// The storage's count of rows read ([`crate::Storage::reads`]).
    reads: &'t AtomicU64,
    /// The batch's events so far, appended to the feed by `events::flush` just before the batch commits (see
    /// there).
    pub(super) pending: &'t mut Vec<NewEvent>,
}

impl<'t, 'c> PgTx<'t, 'c> {
    /// A view of `tx`, preparing its statements in `statements` (its connection's), caching plans in `plans` and
    /// keeping the events it appends in `pending`.
    pub(super) fn new(
        tx: &'t mut Transaction<'c>,
        statements: &'t mut Statements,
        plans: &'t PlanCache,
        reads: &'t AtomicU64,
        pending: &'t mut Vec<NewEvent>,
    ) -> Self {
        PgTx {
            tx,
            statements,
            plans,
            reads,
            pending,
        }
    }

    /// The row of `sql`, if it returns one.
    pub(super) fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, TxError> {
        let row = self.statements.query_opt(self.tx, sql, params)?;
        self.reads
            .fetch_add(u64::from(row.is_some()), Ordering::Relaxed);
        Ok(row)
    }

    /// The rows of `sql`.
    pub(super) fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, TxError> {
        let rows = self.statements.query(self.tx, sql, params)?;
        self.reads.fetch_add(rows.len() as u64, Ordering::Relaxed);
        Ok(rows)
    }

    /// Runs `sql`; answers how many rows it changed.
    pub(super) fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, TxError> {
        Ok(self.statements.execute(self.tx, sql, params)?)
    }

    /// The record with id `id` (bound as `$1`), read and locked by `sql` (`… WHERE id = $1 FOR UPDATE`), or `None`.
    pub(super) fn locked<T>(
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

    /// The plan version `id`, from the cache or read (and cached) from the row.
    pub(super) fn cached_plan(&mut self, id: i64) -> Result<Option<Arc<PlanVersion>>, TxError> {
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
}
