//! The schema: the migrations (`00N_*.sql`, applied in order, each once) and the version they leave, tracked in
//! `koko_schema_version`.

use super::error::{corrupt, pg_error};
use super::pool::Conn;
use super::search;
use crate::error::Result;

/// The schema migrations, applied in order; each runs once (tracked in `koko_schema_version`).
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("001_initial.sql")),
    (2, include_str!("002_accounts.sql")),
    (3, include_str!("003_circulation.sql")),
    (4, include_str!("004_words.sql")),
    (5, include_str!("005_indexes.sql")),
    (6, include_str!("006_indexes.sql")),
    (7, include_str!("007_events.sql")),
    (8, include_str!("008_events_by_type.sql")),
];

/// Key of the advisory lock that serialises migrations between processes starting together.
const MIGRATION_LOCK: i64 = 0x6b6f_6b6f;

/// Creates Koko's tables or brings them up to the latest version, in one transaction that holds
/// [`MIGRATION_LOCK`], so processes starting together migrate one after the other and the later ones find the
/// work done.
///
/// A migration script is the one SQL text not run as a prepared statement: it holds several statements, which
/// only PostgreSQL's simple protocol carries (it binds no parameters).
pub(super) fn migrate(conn: &mut Conn) -> Result<()> {
    let Conn { client, statements } = conn;
    let mut tx = client.transaction().map_err(pg_error)?;
    statements
        .execute(
            &mut tx,
            "SELECT pg_advisory_xact_lock($1)",
            &[&MIGRATION_LOCK],
        )
        .map_err(pg_error)?;
    statements
        .execute(
            &mut tx,
            "CREATE TABLE IF NOT EXISTS koko_schema_version (
                 version INTEGER PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            &[],
        )
        .map_err(pg_error)?;
    let current: i32 = statements
        .query_one(
            &mut tx,
            "SELECT coalesce(max(version), 0) FROM koko_schema_version",
            &[],
        )
        .and_then(|row| row.try_get(0))
        .map_err(pg_error)?;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).map_err(pg_error)?;
        if *version == 4 {
            search::index_existing(&mut tx, statements)?;
        }
        statements
            .execute(
                &mut tx,
                "INSERT INTO koko_schema_version (version) VALUES ($1)",
                &[version],
            )
            .map_err(pg_error)?;
    }
    tx.commit().map_err(pg_error)
}

/// The schema version in the database.
pub(super) fn version(conn: &mut Conn) -> Result<i32> {
    let row = conn
        .query_one("SELECT max(version) FROM koko_schema_version", &[])
        .map_err(pg_error)?;
    row.try_get::<_, Option<i32>>(0)
        .map_err(pg_error)?
        .ok_or_else(|| corrupt("no schema version"))
}
