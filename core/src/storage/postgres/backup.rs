//! What a backup and a restore need from PostgreSQL beyond the reads: writes paused across every process while a
//! backup reads, and id sequences raised past the ids a restore writes.

use super::error::{pg_error, TxError};
use super::pool::Conn;
use super::reader::Reader;
use super::rows::{sequence, to_i64};
use super::tx::PgTx;
use crate::engine::IdKind;
use crate::error::Result;
use crate::storage::pause::WriteGate;

/// Locks every koko table of the current schema in SHARE mode, in name order. A table name cannot be a bound
/// parameter, so the statement finds the tables itself and quotes each name (`%I`) on the server.
const LOCK_KOKO_TABLES: &str = r"DO $$
DECLARE
    koko_table TEXT;
BEGIN
    FOR koko_table IN
        SELECT tablename FROM pg_tables
        WHERE schemaname = current_schema() AND tablename LIKE 'koko\_%' ORDER BY tablename
    LOOP
        EXECUTE format('LOCK TABLE %I IN SHARE MODE', koko_table);
    END LOOP;
END
$$";

/// Runs `read` holding every koko table in SHARE mode on one connection: writes from every process wait (a write
/// takes ROW EXCLUSIVE, which SHARE excludes), reads on the pool's other connections go on. This process's writes
/// wait at `gate` first, so none holds a pooled connection while blocked.
pub(super) fn paused(
    reader: &Reader,
    gate: &WriteGate,
    read: &mut dyn FnMut() -> Result<()>,
) -> Result<()> {
    gate.paused(&mut || {
        let mut conn = reader.primary()?;
        let Conn { client, statements } = &mut *conn;
        let mut tx = client.transaction().map_err(pg_error)?;
        statements
            .execute(&mut tx, LOCK_KOKO_TABLES, &[])
            .map_err(pg_error)?;
        // The replica may lag the locked primary: every read of the pause goes to the primary.
        let outcome = reader.on_primary(&mut *read);
        tx.commit().map_err(pg_error)?;
        outcome
    })
}

/// `setval` of the kind's sequence to `id` unless it is already past it (`setval` is not rolled back with the
/// transaction: at worst an id is skipped).
pub(super) fn raise_sequence(tx: &mut PgTx<'_, '_>, kind: IdKind, id: u64) -> Result<(), TxError> {
    tx.query_opt(
        "SELECT setval($1::text::regclass, GREATEST($2::bigint, COALESCE((SELECT last_value FROM pg_sequences
             WHERE schemaname = current_schema() AND sequencename = $1), 1)))",
        &[&sequence(kind), &to_i64(id)?],
    )?;
    Ok(())
}
