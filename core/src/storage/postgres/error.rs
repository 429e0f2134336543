//! The backend's errors: PostgreSQL's as Koko's, values the database should never hold, and [`TxError`], the
//! failure of a step inside a write's transaction, which the batch loop reports or retries ([`retryable`]).

use postgres::error::SqlState;

use crate::error::Error;

/// A PostgreSQL error (I/O, a lost connection, a rejected statement) as Koko's [`Error::Storage`].
pub(super) fn pg_error(err: postgres::Error) -> Error {
    Error::storage(err)
}

/// A value read from the database that no Koko ever writes, as [`Error::Corruption`].
pub(super) fn corrupt(what: &str) -> Error {
    Error::Corruption(format!("unexpected value in PostgreSQL: {what}"))
}

/// Whether PostgreSQL asks for the transaction to be tried again: a serialisation failure, a deadlock, or a unique
/// key that a concurrent transaction took first (the retry re-reads the winner's row and answers with the proper
/// domain error).
pub(super) fn retryable(err: &postgres::Error) -> bool {
    matches!(
        err.code(),
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::UNIQUE_VIOLATION
    )
}

/// A transaction step's failure: a domain error, or PostgreSQL's.
pub(super) enum TxError {
    /// A rule rejected the operation (or a stored value could not be read): its savepoint is rolled back and the
    /// batch goes on.
    Koko(Error),
    /// PostgreSQL failed the statement: the whole transaction is rolled back, then retried if [`retryable`].
    Pg(postgres::Error),
}

impl From<Error> for TxError {
    fn from(e: Error) -> Self {
        TxError::Koko(e)
    }
}

impl From<postgres::Error> for TxError {
    fn from(e: postgres::Error) -> Self {
        TxError::Pg(e)
    }
}
