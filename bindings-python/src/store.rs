//! `BookStore` for Python: the class, its constructors, plans, batches and closing. Its other methods are in
//! `store_catalogue` (books, copies, customers), `store_rentals` (quotes, rentals, reports), `store_accounts` and
//! `store_circulation` (holds, lost and found copies, notices); storage work is done without the GIL.

use std::path::PathBuf;
use std::sync::{RwLock, RwLockReadGuard, TryLockError};
use std::time::Duration;

use koko_core::{Outcome, Storage};
use pyo3::prelude::*;

use crate::batch::Batch;
use crate::convert::{count as to_count, optional_text, text};
use crate::errors::{invalid, store_closed, to_py, IntoPy};
use crate::inner::{self, execute, open, Inner};
use crate::operations::{self, closes_with_fees};
use crate::plan::PricePlan;
use crate::records::{Book, Copy, Customer, PlanVersion, Receipt, Rental};
use crate::records_circulation::{Found, Hold};

/// A book store. Safe to share between threads; storage work releases the GIL.
#[pyclass(module = "koko", frozen)]
pub struct BookStore {
    /// `None` once closed. Operations hold the read lock while they run, so `close` waits for them.
    cell: RwLock<Option<Inner>>,
}

impl BookStore {
    pub(crate) fn new(inner: Inner) -> Self {
        BookStore {
            cell: RwLock::new(Some(inner)),
        }
    }

    /// The store for one operation. Never blocks: a caller holding the GIL must not wait for `close`, which
    /// waits for the operations in progress, some of which may be waiting for the GIL. While `close` is waiting
    /// or done, this answers `StoreClosed` (a `StorageError`).
    pub(crate) fn read(&self) -> PyResult<RwLockReadGuard<'_, Option<Inner>>> {
        match self.cell.try_read() {
            Ok(guard) => Ok(guard),
            Err(TryLockError::Poisoned(poisoned)) => Ok(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => Err(store_closed()),
        }
    }
}

/// A `plan=` argument: a `PricePlan`, or story 3 when absent or `None`; anything else is `InvalidInput`.
fn plan_arg(value: Option<&Bound<'_, PyAny>>) -> PyResult<koko_core::PricePlan> {
    match value {
        None => Ok(koko_core::PricePlan::story3()),
        Some(v) if v.is_none() => Ok(koko_core::PricePlan::story3()),
        Some(v) => v
            .extract::<PyRef<'_, PricePlan>>()
            .map(|p| p.inner.clone())
            .map_err(|_| {
                invalid(
                    "plan",
                    "expected a koko.PricePlan (e.g. PricePlan.preset(\"story1\"))",
                )
            }),
    }
}

impl BookStore {
    /// A batch outcome as the Python object the single-operation method returns; `with_fees`: the operation
    /// closed a rental with fees besides its charge.
    fn outcome(
        store: &Inner,
        py: Python<'_>,
        outcome: Outcome,
        with_fees: bool,
    ) -> PyResult<Py<PyAny>> {
        use koko_core::Outcome as O;
        Ok(match outcome {
            O::Book { book, .. } | O::BookUpdated(book) => {
                Book::from(book).into_pyobject(py)?.into_any().unbind()
            }
            O::Copies(copies) => copies
                .into_iter()
                .map(Copy::from)
                .collect::<Vec<_>>()
                .into_pyobject(py)?
                .into_any()
                .unbind(),
            O::Copy(copy) => Copy::from(copy).into_pyobject(py)?.into_any().unbind(),
            O::Customer(customer) => Customer::from(customer)
                .into_pyobject(py)?
                .into_any()
                .unbind(),
            O::Rental(rental) if rental.returned_at.is_some() => {
                let receipt = py
                    .detach(|| inner::receipt(store, rental, with_fees))
                    .py_err()?;
                Receipt::from(receipt)
                    .into_pyobject(py)?
                    .into_any()
                    .unbind()
            }
            O::Rental(rental) => Rental::from(rental).into_pyobject(py)?.into_any().unbind(),
            O::PlanVersion(version) => PlanVersion::from(*version)
                .into_pyobject(py)?
                .into_any()
                .unbind(),
            O::Hold(hold) => Hold::from(hold).into_pyobject(py)?.into_any().unbind(),
            O::Holds(holds) => holds
                .into_iter()
                .map(Hold::from)
                .collect::<Vec<_>>()
                .into_pyobject(py)?
                .into_any()
                .unbind(),
            O::Found { copy, credit } => Found::from((copy, credit))
                .into_pyobject(py)?
                .into_any()
                .unbind(),
            other => {
                return Err(crate::errors::internal(&format!(
                    "an outcome this binding does not know: {other:?}"
                )))
            }
        })
    }
}

#[pymethods]
impl BookStore {
    /// Opens (creating if needed) a store on the embedded sled database in directory ``path``.
    ///
    /// ``plan`` prices the store if it has no plan yet (story 3 by default). ``durability`` is ``"commit"`` (every
    /// operation is on disk before it returns) or ``"interval"`` (flushed every ``flush_interval_ms``; a crash may
    /// lose the last interval). One process at a time: sled locks the directory.
    #[staticmethod]
    #[pyo3(signature = (path, *, plan=None, durability=None, flush_interval_ms=None))]
    fn open(
        py: Python<'_>,
        path: PathBuf,
        plan: Option<&Bound<'_, PyAny>>,
        durability: Option<&Bound<'_, PyAny>>,
        flush_interval_ms: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let plan = plan_arg(plan)?;
        let flush_interval_ms = match flush_interval_ms {
            Some(ms) if !ms.is_none() => u64::from(to_count("flush_interval_ms", ms)?),
            _ => 500,
        };
        let durability =
            optional_text("durability", durability)?.unwrap_or_else(|| "commit".to_owned());
        let durability = match durability.as_str() {
            "commit" => koko_core::Durability::FlushEveryCommit,
            "interval" if flush_interval_ms > 0 => {
                koko_core::Durability::Interval(Duration::from_millis(flush_interval_ms))
            }
            "interval" => return Err(invalid("flush_interval_ms", "must be at least 1")),
            other => {
                return Err(invalid(
                    "durability",
                    format!("{other:?} is not \"commit\" or \"interval\""),
                ))
            }
        };
        let inner = py
            .detach(|| {
                let options = koko_core::SledOptions {
                    durability,
                    ..Default::default()
                };
                let storage: Box<dyn Storage> =
                    Box::new(koko_core::SledStorage::open_with(&path, options)?);
                koko_core::BookStore::with_default_plan(storage, plan)
            })
            .py_err()?;
        Ok(BookStore::new(inner))
    }

    /// Connects to a PostgreSQL database (``"postgresql://user:password@host:port/dbname"`` or
    /// ``"host=… user=… dbname=…"``), creating or migrating Koko's tables. Any number of processes may share it.
    ///
    /// ``plan`` prices the store if it has no plan yet (story 3 by default); ``pool_size`` caps the connections
    /// this handle keeps open. TLS is not used.
    ///
    /// ``replica`` names a read-only streaming replica of the database: listings and search read from it while
    /// it is up and at most ``max_replica_lag_ms`` behind (2,000 by default); writes, reads by id and backups go
    /// to the primary, and so does every read while the replica is down or behind.
    #[staticmethod]
    #[pyo3(signature = (url, *, plan=None, pool_size=None, replica=None, max_replica_lag_ms=None))]
    fn connect(
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        plan: Option<&Bound<'_, PyAny>>,
        pool_size: Option<&Bound<'_, PyAny>>,
        replica: Option<&Bound<'_, PyAny>>,
        max_replica_lag_ms: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let url = text("url", url)?;
        let plan = plan_arg(plan)?;
        let pool_size = match pool_size {
            Some(size) if !size.is_none() => to_count("pool_size", size)?,
            _ => 8,
        };
        if pool_size == 0 {
            return Err(invalid("pool_size", "must be at least 1"));
        }
        let replica = optional_text("replica", replica)?;
        let defaults = koko_core::PostgresOptions::default();
        let max_replica_lag = match max_replica_lag_ms {
            Some(ms) if !ms.is_none() => {
                Duration::from_millis(u64::from(to_count("max_replica_lag_ms", ms)?))
            }
            _ => defaults.max_replica_lag,
        };
        let inner = py
            .detach(|| {
                let options = koko_core::PostgresOptions {
                    pool_size,
                    replica,
                    max_replica_lag,
                    ..defaults
                };
                let storage: Box<dyn Storage> =
                    Box::new(koko_core::PostgresStorage::connect_with(&url, options)?);
                koko_core::BookStore::with_default_plan(storage, plan)
            })
            .py_err()?;
        Ok(BookStore::new(inner))
    }

    /// A store in memory (nothing is kept), priced by ``plan`` (story 3 by default).
    #[staticmethod]
    #[pyo3(signature = (*, plan=None))]
    fn memory(plan: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let plan = plan_arg(plan)?;
        let storage: Box<dyn Storage> = Box::new(koko_core::MemoryStorage::new());
        let inner = koko_core::BookStore::with_default_plan(storage, plan).py_err()?;
        Ok(BookStore::new(inner))
    }

    // --- plans ---

    /// The price plan in force now.
    fn current_plan(&self) -> PyResult<PricePlan> {
        let guard = self.read()?;
        let store = open(&guard)?;
        store
            .current_plan()
            .py_err()
            .map(|v| PricePlan { inner: v.plan })
    }

    /// Every plan version, oldest first.
    fn plan_versions(&self) -> PyResult<Vec<PlanVersion>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        Ok(store
            .plan_versions()
            .into_iter()
            .map(PlanVersion::from)
            .collect())
    }

    /// Publishes ``plan`` for rentals opened from ``effective_from`` (aware datetime) on.
    #[pyo3(signature = (plan, effective_from, *, idempotency_key=None))]
    fn publish_plan(
        &self,
        py: Python<'_>,
        plan: &Bound<'_, PyAny>,
        effective_from: &Bound<'_, PyAny>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PlanVersion> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let not_a_plan = "expected a koko.PricePlan (e.g. PricePlan.preset(\"story1\"))";
        let write = operations::publish_plan(plan, effective_from, not_a_plan)?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_plan_version()
        })
        .map(PlanVersion::from)
    }

    /// Applies every operation of ``batch`` in order, each seeing the ones before it, each accepted or refused
    /// on its own; the accepted ones are committed together (on sled: one commit, one sync to disk).
    ///
    /// Returns one item per operation: what it made (a ``Book``, a list of ``Copy``, a ``Copy``, a ``Customer``,
    /// a ``Rental`` for a rent, a ``Receipt`` for a return or a loss, a ``PlanVersion``, a ``Hold`` for a placed or
    /// cancelled hold, a list of ``Hold`` for ``expire_holds``, a ``Found``) or, for a refused operation, the
    /// exception it would have raised (an instance, not raised: check with ``isinstance(item, koko.KokoError)``).
    /// Raises ``StorageError`` if the batch could not be committed, in which case none of it was stored.
    fn apply_batch(&self, py: Python<'_>, batch: &Batch) -> PyResult<Vec<Py<PyAny>>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let operations = batch.operations(store.now());
        let with_fees: Vec<bool> = operations.iter().map(closes_with_fees).collect();
        let results = py.detach(|| store.apply_batch(operations)).py_err()?;
        results
            .into_iter()
            .zip(with_fees)
            .map(|(result, with_fees)| match result {
                Ok(outcome) => Self::outcome(store, py, outcome, with_fees),
                Err(err) => Ok(to_py(err).into_value(py).into_any()),
            })
            .collect()
    }

    /// Makes everything written so far durable.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        let guard = self.read()?;
        let store = open(&guard)?;
        py.detach(|| store.flush()).py_err()
    }

    /// Closes the store: waits for operations in progress, makes everything durable and releases the store
    /// (on sled, the directory lock, so this or another process may open it again at once). Every later call
    /// raises ``StoreClosed`` (a ``StorageError``). Closing twice does nothing.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let closed = py.detach(|| {
            let mut cell = self.cell.write().unwrap_or_else(|p| p.into_inner());
            let store = cell.take();
            let flushed = store.as_ref().map(|s| s.flush()).transpose();
            drop(store);
            flushed
        });
        closed.py_err().map(|_| ())
    }

    /// Whether ``close`` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.read().map_or(true, |guard| guard.is_none())
    }

    /// The store itself, for ``with koko.BookStore.open(path) as store:``.
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes the store at the end of a ``with`` block, whether or not it raised.
    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        if self.closed() {
            "BookStore(closed)".to_owned()
        } else {
            "BookStore(...)".to_owned()
        }
    }
}
