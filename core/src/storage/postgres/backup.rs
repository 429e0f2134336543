//! What a backup and a restore need from PostgreSQL: the notices sent, writes paused across every process, and
//! id sequences raised past restored ids.

use std::sync::atomic::Ordering;

use super::{pg_error, to_i64, PgTx, PostgresStorage, TxError};
use crate::engine::IdKind;
use crate::error::Result;

impl PostgresStorage {
    pub(super) fn read_notices_sent(&self) -> Result<Vec<(String, chrono::DateTime<chrono::Utc>)>> {
        let mut conn = self.conn()?;
        let rows = conn
            .client
            .query("SELECT key, sent_at FROM koko_notices ORDER BY key", &[])
            .map_err(pg_error)?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get(0).map_err(pg_error)?,
                    row.try_get(1).map_err(pg_error)?,
                ))
            })
            .collect()
    }

    /// Runs `read` holding every koko table in SHARE mode on one connection: writes from every process wait (a
    /// write takes ROW EXCLUSIVE, which SHARE excludes), reads on the pool's other connections go on. This
    /// process's writes wait at the gate first, so none holds a pooled connection while blocked.
    pub(super) fn paused(&self, read: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        self.gate.paused(&mut || {
            let mut conn = self.conn()?;
            let mut tx = conn.client.transaction().map_err(pg_error)?;
            let tables: Vec<String> = tx
                .query(
                    "SELECT quote_ident(tablename) FROM pg_tables
                     WHERE schemaname = current_schema() AND tablename LIKE 'koko\\_%' ORDER BY tablename",
                    &[],
                )
                .map_err(pg_error)?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()
                .map_err(pg_error)?;
            if !tables.is_empty() {
                tx.batch_execute(&format!("LOCK TABLE {} IN SHARE MODE", tables.join(", ")))
                    .map_err(pg_error)?;
            }
            // The replica may lag the locked primary: every read of the pause goes to the primary.
            self.primary_only.fetch_add(1, Ordering::SeqCst);
            let outcome = read();
            self.primary_only.fetch_sub(1, Ordering::SeqCst);
            tx.commit().map_err(pg_error)?;
            outcome
        })
    }
}

impl PgTx<'_, '_> {
    /// `setval` of the kind's sequence to `id` unless it is already past it (`setval` is not rolled back with the
    /// transaction: at worst an id is skipped).
    pub(super) fn raise_sequence(&mut self, kind: IdKind, id: u64) -> Result<(), TxError> {
        let sequence = format!("koko_{}_seq", kind.name());
        self.query_opt(
            "SELECT setval($1::text::regclass, GREATEST($2::bigint, COALESCE((SELECT last_value FROM pg_sequences
                 WHERE schemaname = current_schema() AND sequencename = $1), 1)))",
            &[&sequence, &to_i64(id)?],
        )?;
        Ok(())
    }
}
