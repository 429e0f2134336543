//! `BookStore` for Python: every facade operation, with storage work done without the GIL.

use std::path::PathBuf;
use std::sync::{RwLock, RwLockReadGuard, TryLockError};
use std::time::Duration;

use koko_core::{
    BookId, BookUpdate, CopyId, CustomerId, CustomerUpdate, Operation, RentTarget, RentalId,
    Storage,
};
use pyo3::prelude::*;

use crate::batch::Batch;
use crate::convert::{
    at_or_now, aware_datetime, copies as copies_arg, count as to_count, id, key_arg, new_book,
    new_customer, optional_datetime, optional_flag, optional_text, quote_args, rent_target, text,
};
use crate::errors::{invalid, to_py, IntoPy};
use crate::plan::{PricePlan, Quote};
use crate::records::{Book, Copy, Customer, PlanVersion, Receipt, Rental, RevenueLine};

/// The core store behind every `BookStore`, whatever its backend.
pub(crate) type Inner = koko_core::BookStore<Box<dyn Storage>>;

/// A book store. Safe to share between threads; storage work releases the GIL.
#[pyclass(module = "koko", frozen)]
pub struct BookStore {
    /// `None` once closed. Operations hold the read lock while they run, so `close` waits for them.
    cell: RwLock<Option<Inner>>,
}

impl BookStore {
    fn new(inner: Inner) -> Self {
        BookStore {
            cell: RwLock::new(Some(inner)),
        }
    }

    /// The store for one operation. Never blocks: a caller holding the GIL must not wait for `close`, which
    /// waits for the operations in progress, some of which may be waiting for the GIL. While `close` is waiting
    /// or done, this answers `StorageError`.
    pub(crate) fn read(&self) -> PyResult<RwLockReadGuard<'_, Option<Inner>>> {
        match self.cell.try_read() {
            Ok(guard) => Ok(guard),
            Err(TryLockError::Poisoned(poisoned)) => Ok(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => Err(closed()),
        }
    }
}

fn closed() -> PyErr {
    to_py(koko_core::Error::Storage(
        "the store is closed (BookStore.close() or the end of its `with` block)".into(),
    ))
}

/// The store behind a read guard, or `StorageError` once it is closed.
pub(crate) fn open(guard: &Option<Inner>) -> PyResult<&Inner> {
    guard.as_ref().ok_or_else(closed)
}

pub(crate) fn collect<T, U: From<T>>(
    records: koko_core::Result<koko_core::Records<'_, T>>,
) -> koko_core::Result<Vec<U>> {
    records?.map(|r| r.map(U::from)).collect()
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

/// Applies a customer update under an idempotency key (call it without the GIL).
fn update_customer_under_key(
    store: &Inner,
    key: &str,
    id: CustomerId,
    update: CustomerUpdate,
) -> koko_core::Result<koko_core::Customer> {
    store
        .apply_idempotent(key, Operation::UpdateCustomer { id, update }, false)?
        .into_customer()
}

/// The update that activates or deactivates a customer.
fn set_active(active: bool) -> CustomerUpdate {
    CustomerUpdate {
        active: Some(active),
        ..CustomerUpdate::default()
    }
}

impl BookStore {
    /// A batch outcome as the Python object the single-operation method returns.
    fn outcome(store: &Inner, py: Python<'_>, outcome: koko_core::Outcome) -> PyResult<Py<PyAny>> {
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
                let receipt = py.detach(|| store.receipt(rental)).py_err()?;
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
    #[staticmethod]
    #[pyo3(signature = (url, *, plan=None, pool_size=None))]
    fn connect(
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        plan: Option<&Bound<'_, PyAny>>,
        pool_size: Option<&Bound<'_, PyAny>>,
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
        let inner = py
            .detach(|| {
                let options = koko_core::PostgresOptions {
                    pool_size,
                    ..Default::default()
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
        let plan = plan
            .extract::<PyRef<'_, PricePlan>>()
            .map_err(|_| {
                invalid(
                    "plan",
                    "expected a koko.PricePlan (e.g. PricePlan.preset(\"story1\"))",
                )
            })?
            .inner
            .clone();
        let from = aware_datetime("effective_from", effective_from)?;
        let key = key_arg(idempotency_key)?;
        py.detach(|| match key {
            None => store.publish_plan(plan, from),
            Some(key) => store
                .apply_idempotent(&key, Operation::publish_plan(plan, from), false)?
                .into_plan_version(),
        })
        .py_err()
        .map(PlanVersion::from)
    }

    // --- catalogue ---

    /// Adds a book with ``copies`` copies; raises ``Duplicate`` for a taken title or ISBN.
    #[pyo3(signature = (*, title, author, category, isbn=None, copies=None, idempotency_key=None))]
    #[allow(clippy::too_many_arguments)]
    fn add_book(
        &self,
        py: Python<'_>,
        title: &Bound<'_, PyAny>,
        author: &Bound<'_, PyAny>,
        category: &Bound<'_, PyAny>,
        isbn: Option<&Bound<'_, PyAny>>,
        copies: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Book> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let book = new_book(title, author, category, isbn)?;
        let copies = copies_arg(copies)?;
        let key = key_arg(idempotency_key)?;
        py.detach(|| match key {
            None => store.add_book(&book, copies),
            Some(key) => store
                .apply_idempotent(&key, Operation::AddBook { book, copies }, false)?
                .into_updated_book(),
        })
        .py_err()
        .map(Book::from)
    }

    /// Changes a book's fields; ``None`` leaves a field unchanged.
    #[pyo3(signature = (book_id, *, title=None, author=None, category=None, isbn=None, idempotency_key=None))]
    #[allow(clippy::too_many_arguments)]
    fn update_book(
        &self,
        py: Python<'_>,
        book_id: &Bound<'_, PyAny>,
        title: Option<&Bound<'_, PyAny>>,
        author: Option<&Bound<'_, PyAny>>,
        category: Option<&Bound<'_, PyAny>>,
        isbn: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Book> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = BookId::new(id("book_id", book_id)?);
        let update = BookUpdate {
            title: optional_text("title", title)?,
            author: optional_text("author", author)?,
            category: optional_text("category", category)?,
            isbn: optional_text("isbn", isbn)?.map(Some),
        };
        let key = key_arg(idempotency_key)?;
        py.detach(|| match key {
            None => store.update_book(id, &update),
            Some(key) => store
                .apply_idempotent(&key, Operation::UpdateBook { id, update }, false)?
                .into_updated_book(),
        })
        .py_err()
        .map(Book::from)
    }

    /// One book; raises ``NotFound``.
    fn book(&self, py: Python<'_>, book_id: &Bound<'_, PyAny>) -> PyResult<Book> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = BookId::new(id("book_id", book_id)?);
        py.detach(|| store.book(id)).py_err().map(Book::from)
    }

    /// Every book, in id order.
    fn books(&self, py: Python<'_>) -> PyResult<Vec<Book>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        py.detach(|| collect(store.books())).py_err()
    }

    /// Adds ``count`` copies of a book.
    #[pyo3(signature = (book_id, count, *, idempotency_key=None))]
    fn add_copies(
        &self,
        py: Python<'_>,
        book_id: &Bound<'_, PyAny>,
        count: &Bound<'_, PyAny>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Copy>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let book = BookId::new(id("book_id", book_id)?);
        let count = to_count("count", count)?;
        let key = key_arg(idempotency_key)?;
        py.detach(|| match key {
            None => store.add_copies(book, count),
            Some(key) => store
                .apply_idempotent(&key, Operation::AddCopies { book, count }, false)?
                .into_copies(),
        })
        .py_err()
        .map(|v| v.into_iter().map(Copy::from).collect())
    }

    /// A book's copies.
    fn copies(&self, py: Python<'_>, book_id: &Bound<'_, PyAny>) -> PyResult<Vec<Copy>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = BookId::new(id("book_id", book_id)?);
        py.detach(|| store.copies(id))
            .py_err()
            .map(|v| v.into_iter().map(Copy::from).collect())
    }

    /// How many copies of a book are on the shelf.
    fn available_copies(&self, py: Python<'_>, book_id: &Bound<'_, PyAny>) -> PyResult<usize> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = BookId::new(id("book_id", book_id)?);
        py.detach(|| store.available_copies(id)).py_err()
    }

    /// Takes an available copy out of circulation.
    #[pyo3(signature = (copy_id, *, idempotency_key=None))]
    fn withdraw_copy(
        &self,
        py: Python<'_>,
        copy_id: &Bound<'_, PyAny>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Copy> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let copy = CopyId::new(id("copy_id", copy_id)?);
        let key = key_arg(idempotency_key)?;
        py.detach(|| match key {
            None => store.withdraw_copy(copy),
            Some(key) => {
                let operation = Operation::SetWithdrawn {
                    copy,
                    withdrawn: true,
                };
                store.apply_idempotent(&key, operation, false)?.into_copy()
            }
        })
        .py_err()
        .map(Copy::from)
    }

    /// Puts a withdrawn copy back.
    #[pyo3(signature = (copy_id, *, idempotency_key=None))]
    fn reinstate_copy(
        &self,
        py: Python<'_>,
        copy_id: &Bound<'_, PyAny>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Copy> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let copy = CopyId::new(id("copy_id", copy_id)?);
        let key = key_arg(idempotency_key)?;
        py.detach(|| match key {
            None => store.reinstate_copy(copy),
            Some(key) => {
                let operation = Operation::SetWithdrawn {
                    copy,
                    withdrawn: false,
                };
                store.apply_idempotent(&key, operation, false)?.into_copy()
            }
        })
        .py_err()
        .map(Copy::from)
    }

    // --- customers ---

    /// Registers an active customer.
    #[pyo3(signature = (*, first_name, last_name, email=None, idempotency_key=None))]
    fn register_customer(
        &self,
        py: Python<'_>,
        first_name: &Bound<'_, PyAny>,
        last_name: &Bound<'_, PyAny>,
        email: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Customer> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let customer = new_customer(first_name, last_name, email)?;
        let key = key_arg(idempotency_key)?;
        py.detach(|| match key {
            None => store.register_customer(&customer),
            Some(key) => store
                .apply_idempotent(&key, Operation::RegisterCustomer(customer), false)?
                .into_customer(),
        })
        .py_err()
        .map(Customer::from)
    }

    /// Changes a customer's fields; ``None`` leaves a field unchanged.
    #[pyo3(signature = (
        customer_id, *, first_name=None, last_name=None, email=None, active=None, idempotency_key=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn update_customer(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        first_name: Option<&Bound<'_, PyAny>>,
        last_name: Option<&Bound<'_, PyAny>>,
        email: Option<&Bound<'_, PyAny>>,
        active: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Customer> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = CustomerId::new(id("customer_id", customer_id)?);
        let update = CustomerUpdate {
            first_name: optional_text("first_name", first_name)?,
            last_name: optional_text("last_name", last_name)?,
            email: optional_text("email", email)?.map(Some),
            active: optional_flag("active", active)?,
        };
        let key = key_arg(idempotency_key)?;
        py.detach(|| match key {
            None => store.update_customer(id, &update),
            Some(key) => update_customer_under_key(store, &key, id, update),
        })
        .py_err()
        .map(Customer::from)
    }

    /// Deactivates a customer (they can still return what they have).
    #[pyo3(signature = (customer_id, *, idempotency_key=None))]
    fn deactivate_customer(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Customer> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = CustomerId::new(id("customer_id", customer_id)?);
        let key = key_arg(idempotency_key)?;
        py.detach(|| match key {
            None => store.deactivate_customer(id),
            Some(key) => update_customer_under_key(store, &key, id, set_active(false)),
        })
        .py_err()
        .map(Customer::from)
    }

    /// Reactivates a customer.
    #[pyo3(signature = (customer_id, *, idempotency_key=None))]
    fn activate_customer(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Customer> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = CustomerId::new(id("customer_id", customer_id)?);
        let key = key_arg(idempotency_key)?;
        py.detach(|| match key {
            None => store.activate_customer(id),
            Some(key) => update_customer_under_key(store, &key, id, set_active(true)),
        })
        .py_err()
        .map(Customer::from)
    }

    /// One customer; raises ``NotFound``.
    fn customer(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>) -> PyResult<Customer> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = CustomerId::new(id("customer_id", customer_id)?);
        py.detach(|| store.customer(id))
            .py_err()
            .map(Customer::from)
    }

    /// Every customer, in id order.
    fn customers(&self, py: Python<'_>) -> PyResult<Vec<Customer>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        py.detach(|| collect(store.customers())).py_err()
    }

    // --- quotes and rentals ---

    /// What renting a book of ``category`` from ``rented_at`` to ``returned_at`` costs under the plan then in force.
    fn quote(
        &self,
        category: &Bound<'_, PyAny>,
        rented_at: &Bound<'_, PyAny>,
        returned_at: &Bound<'_, PyAny>,
    ) -> PyResult<Quote> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let (category, rented, returned) = quote_args(category, rented_at, returned_at)?;
        store
            .quote(&category, rented, returned)
            .py_err()
            .map(Quote::from)
    }

    /// What an open rental would cost if returned at ``at`` (now by default).
    #[pyo3(signature = (rental_id, at=None))]
    fn quote_return(
        &self,
        py: Python<'_>,
        rental_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Quote> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = RentalId::new(id("rental_id", rental_id)?);
        let at = optional_datetime("at", at)?.unwrap_or_else(|| store.now());
        py.detach(|| store.quote_return(id, at))
            .py_err()
            .map(Quote::from)
    }

    /// Rents a book (any available copy) or one copy to a customer at ``at`` (now by default).
    ///
    /// Raises ``Unavailable`` when no copy is free, ``InactiveCustomer``, ``Blocked`` (a plan limit or a manual
    /// block), or ``NotFound``. Under an ``idempotency_key`` a retry answers the first rental.
    #[pyo3(signature = (*, customer_id, book_id=None, copy_id=None, at=None, idempotency_key=None))]
    fn rent(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        book_id: Option<&Bound<'_, PyAny>>,
        copy_id: Option<&Bound<'_, PyAny>>,
        at: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Rental> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let customer = CustomerId::new(id("customer_id", customer_id)?);
        let target = rent_target(book_id, copy_id)?;
        let (at, clock_time) = at_or_now("at", at, || store.now())?;
        let key = key_arg(idempotency_key)?;
        py.detach(|| match (key, target) {
            (None, RentTarget::Book(book)) => store.rent_book_at(customer, book, at),
            (None, RentTarget::Copy(copy)) => store.rent_copy_at(customer, copy, at),
            (Some(key), target) => {
                let operation = Operation::Rent {
                    target,
                    customer,
                    at,
                };
                store
                    .apply_idempotent(&key, operation, clock_time)?
                    .into_rental()
            }
        })
        .py_err()
        .map(Rental::from)
    }

    /// Returns a rental at ``at`` (now by default): charges it, posts the charge to the customer's account,
    /// closes it and frees the copy, all at once. ``Receipt.balance`` is the balance once the charge was posted.
    ///
    /// Raises ``AlreadyReturned`` the second time and ``InvalidInput`` for a time before the rental. Under an
    /// ``idempotency_key`` a retry answers the first receipt (with the balance as it was then) instead.
    #[pyo3(signature = (*, rental_id, at=None, idempotency_key=None))]
    fn return_rental(
        &self,
        py: Python<'_>,
        rental_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Receipt> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let rental = RentalId::new(id("rental_id", rental_id)?);
        let (at, clock_time) = at_or_now("at", at, || store.now())?;
        let key = key_arg(idempotency_key)?;
        py.detach(|| match key {
            None => store.return_rental_at(rental, at),
            Some(key) => {
                let operation = Operation::Return { rental, at };
                let closed = store
                    .apply_idempotent(&key, operation, clock_time)?
                    .into_rental()?;
                store.receipt(closed)
            }
        })
        .py_err()
        .map(Receipt::from)
    }

    /// One rental; raises ``NotFound``.
    fn rental(&self, py: Python<'_>, rental_id: &Bound<'_, PyAny>) -> PyResult<Rental> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = RentalId::new(id("rental_id", rental_id)?);
        py.detach(|| store.rental(id)).py_err().map(Rental::from)
    }

    /// Every rental, in id order.
    fn rentals(&self, py: Python<'_>) -> PyResult<Vec<Rental>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        py.detach(|| collect(store.rentals())).py_err()
    }

    /// The open rentals, in id order.
    fn active_rentals(&self, py: Python<'_>) -> PyResult<Vec<Rental>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        py.detach(|| collect(store.active_rentals())).py_err()
    }

    /// The open rentals past their due date at ``at`` (now by default).
    #[pyo3(signature = (at=None))]
    fn overdue_rentals(
        &self,
        py: Python<'_>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Rental>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let at = optional_datetime("at", at)?.unwrap_or_else(|| store.now());
        py.detach(|| collect(store.overdue_rentals(at))).py_err()
    }

    /// A customer's rentals, open and closed, in id order.
    fn customer_rentals(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Rental>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = CustomerId::new(id("customer_id", customer_id)?);
        py.detach(|| collect(store.customer_rentals(id))).py_err()
    }

    // --- reports ---

    /// Revenue of rentals returned in ``[start, end)``, by currency and category.
    fn revenue(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<RevenueLine>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let from = aware_datetime("start", start)?;
        let to = aware_datetime("end", end)?;
        py.detach(|| store.revenue(from, to))
            .py_err()
            .map(|r| r.lines.into_iter().map(RevenueLine::from).collect())
    }

    /// Writes the open rentals as CSV to ``path``; returns how many rows were written.
    fn export_active_rentals_csv(&self, py: Python<'_>, path: PathBuf) -> PyResult<u64> {
        let guard = self.read()?;
        let store = open(&guard)?;
        py.detach(|| {
            let file =
                std::fs::File::create(&path).map_err(|e| koko_core::Error::Storage(Box::new(e)))?;
            store.export_active_rentals_csv(std::io::BufWriter::new(file))
        })
        .py_err()
    }

    /// Applies every operation of ``batch`` in order, each seeing the ones before it, each accepted or refused
    /// on its own; the accepted ones are committed together (on sled: one commit, one sync to disk).
    ///
    /// Returns one item per operation: what it made (a ``Book``, a list of ``Copy``, a ``Copy``, a ``Customer``,
    /// a ``Rental`` for a rent, a ``Receipt`` for a return, a ``PlanVersion``) or, for a refused operation, the
    /// exception it would have raised (an instance, not raised: check with ``isinstance(item, koko.KokoError)``).
    /// Raises ``StorageError`` if the batch could not be committed, in which case none of it was stored.
    fn apply_batch(&self, py: Python<'_>, batch: &Batch) -> PyResult<Vec<Py<PyAny>>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let operations = batch.operations(store.now());
        let results = py.detach(|| store.apply_batch(operations)).py_err()?;
        results
            .into_iter()
            .map(|result| match result {
                Ok(outcome) => Self::outcome(store, py, outcome),
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
    /// (on sled, the directory lock, so another process may open it). Every later call raises ``StorageError``.
    /// Closing twice does nothing.
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
