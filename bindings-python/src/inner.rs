//! The core store behind a Python `BookStore` (`Inner`), reached with `open`, and `execute`: the one door every
//! write of the `BookStore` methods goes through, with or without an idempotency key. This module imports none of
//! the modules that use it.

use koko_core::{Outcome, Storage, WriteOptions};
use pyo3::prelude::*;

use crate::convert::key_arg;
use crate::errors::{store_closed, IntoPy};
use crate::operations::Write;

/// The core store behind every `BookStore`, whatever its backend.
pub(crate) type Inner = koko_core::BookStore<Box<dyn Storage>>;

/// The store behind a read guard, or `StoreClosed` (a `StorageError`) once it is closed.
pub(crate) fn open(guard: &Option<Inner>) -> PyResult<&Inner> {
    guard.as_ref().ok_or_else(store_closed)
}

/// A listing of core records as the binding's records.
pub(crate) fn collect<T, U: From<T>>(
    records: koko_core::Result<koko_core::Records<'_, T>>,
) -> koko_core::Result<Vec<U>> {
    records?.map(|r| r.map(U::from)).collect()
}

/// Applies one write with the core's `BookStore::execute`, under the `idempotency_key=` argument if there is one
/// (the write's `clock_time`: its instant was the store's clock, so a retry a moment later is the same request),
/// then reads what the caller returns from its outcome with `read` — all without the GIL.
pub(crate) fn execute<T: Send>(
    py: Python<'_>,
    store: &Inner,
    write: Write,
    idempotency_key: Option<&Bound<'_, PyAny>>,
    read: impl FnOnce(&Inner, Outcome) -> koko_core::Result<T> + Send,
) -> PyResult<T> {
    let mut options = WriteOptions::new().clock_time(write.clock_time);
    if let Some(key) = key_arg(idempotency_key)? {
        options = options.idempotency_key(key);
    }
    let operation = write.operation;
    py.detach(|| read(store, store.execute(operation, &options)?))
        .py_err()
}

/// The receipt of a rental a write closed: with the fees posted besides its charge when `with_fees` (a loss, a
/// damaged return), else of its charge alone.
pub(crate) fn receipt(
    store: &Inner,
    rental: koko_core::Rental,
    with_fees: bool,
) -> koko_core::Result<koko_core::Receipt> {
    if with_fees {
        store.closing_receipt(rental)
    } else {
        store.receipt(rental)
    }
}
