//! [`PostgresStorage`]: Koko on PostgreSQL (feature `postgres`), for stores served by several processes or
//! machines.
//!
//! Every write is one transaction that runs the engine's rules (`engine::apply`, over the [`TxView`] in `view`)
//! with `SELECT … FOR UPDATE` on each record it reads, so concurrent rents of one copy serialise; a partial unique
//! index allows at most one open rental per copy even for a buggy client. A batch of several operations runs
//! each under its own savepoint, so a rejected one is rolled back alone. Serialisation failures, deadlocks and
//! unique-key races are retried (bounded); the retry re-reads the winner's data and answers with the proper
//! domain error. Money is `NUMERIC`, times are `timestamptz`.
//!
//! # One way to run SQL
//!
//! Every statement is a string literal in the source, written whole where it runs, and runs as a prepared
//! statement its connection keeps (`pool::Statements`): parsed once per connection, then only bound and executed.
//! Values are always bound parameters (`$1`, `$2`, …). Why this way:
//! - it is the cheapest: ad hoc `client.query("…")` strings cost a parse round trip on every call, and it was
//!   already the way of every hot path (each transaction's reads and writes, listings, search, the replica check);
//! - the statement cache takes SQL only as `&'static str`, so the compiler refuses a text built at run time: no
//!   value can be formatted into a statement, which SQL assembled by helpers (`format!`, `concat!`) allowed;
//! - what runs is what a reader sees, not the output of a helper.
//!
//! One exception: a migration script holds several statements, which only PostgreSQL's simple protocol carries
//! (it binds nothing). The backup's table locks, whose names cannot be parameters, are one static statement that
//! finds the tables and quotes their names on the server.
//!
//! # Modules, from the bottom up
//!
//! No module imports one that imports it back: each uses only the ones listed before it.
//!
//! | module | holds |
//! |---|---|
//! | `pool` | pooled connections and the statements prepared on each |
//! | `error` | PostgreSQL's errors as Koko's, corruption, a transaction step's failure (`TxError`), what to retry |
//! | `rows` | rows ↔ records, ids ↔ `BIGINT` |
//! | `replica` | the read-only replica: its pool, and whether it may serve (lag, health) |
//! | `tx` | `PgTx`: one transaction (or savepoint) with its prepared statements and the plan cache |
//! | `reader` | `Reader`: which server a read goes to, paged listings, the catalogue's reads |
//! | `accounts`, `events`, `holds`, `notices`, `search` | each subject's SQL: its writes in a `PgTx`, its reads through a `Reader` |
//! | `backup` | writes paused across processes (`LOCK TABLE … IN SHARE MODE`), sequences raised by a restore |
//! | `schema` | the migrations (`00N_*.sql`) and the schema version |
//! | `view` | the engine's `TxView` over a `PgTx`, with the catalogue's writes |
//! | `storage` | [`PostgresStorage`], [`PostgresOptions`], the batch loop, the `Storage` implementation |
//!
//! [`TxView`]: crate::engine::TxView

mod accounts;
mod backup;
mod error;
mod events;
mod holds;
mod notices;
mod pool;
mod reader;
mod replica;
mod rows;
mod schema;
mod search;
mod storage;
mod tx;
mod view;

pub use storage::{PostgresOptions, PostgresStorage};
