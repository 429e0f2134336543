//! Pluggable storage: the [`Storage`] trait and its backends (memory, sled, PostgreSQL).
//!
//! Every operation that changes stored state is atomic: it happens completely or, on any error, not at all.
//! A backend decides nothing: it implements the engine's transactional view ([`crate::engine`]'s `TxView`) over
//! its own transactions and keeps its own indexes, and runs every write through the engine's one dispatcher, so
//! every backend enforces the same rules.

mod backend;
mod memory;
mod pause;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sled")]
mod sled;

pub use backend::{BatchResults, Records, Storage};
pub use memory::MemoryStorage;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresOptions, PostgresStorage};
#[cfg(feature = "sled")]
pub use sled::{CommitStats, Durability, SledOptions, SledStorage};
