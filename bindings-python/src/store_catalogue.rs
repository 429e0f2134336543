//! The catalogue and customer methods of `BookStore` for Python (a `#[pymethods]` block of its own).

use koko_core::{BookId, CustomerId};
use pyo3::prelude::*;

use crate::convert::id;
use crate::errors::IntoPy;
use crate::inner::{execute, open};
use crate::operations;
use crate::records::{Book, Copy, Customer};
use crate::store::BookStore;

impl BookStore {
    /// Withdraws or reinstates a copy, at the store clock's now (a reinstated copy set aside for a hold is ready
    /// from then).
    fn copy_withdrawn(
        &self,
        py: Python<'_>,
        copy_id: &Bound<'_, PyAny>,
        withdrawn: bool,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Copy> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::set_withdrawn(copy_id, withdrawn, || store.now())?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_copy()
        })
        .map(Copy::from)
    }

    /// Activates or deactivates a customer.
    fn customer_active(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        active: bool,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Customer> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::set_customer_active(customer_id, active)?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_customer()
        })
        .map(Customer::from)
    }
}

#[pymethods]
impl BookStore {
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
        let write = operations::add_book(title, author, category, isbn, copies)?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_updated_book()
        })
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
        let write = operations::update_book(book_id, title, author, category, isbn)?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_updated_book()
        })
        .map(Book::from)
    }

    /// One book; raises ``NotFound``.
    fn book(&self, py: Python<'_>, book_id: &Bound<'_, PyAny>) -> PyResult<Book> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = BookId::new(id("book_id", book_id)?);
        py.detach(|| store.book(id)).py_err().map(Book::from)
    }

    /// Adds ``count`` copies of a book; they serve the book's waiting holds first (ready from now), then the shelf.
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
        let write = operations::add_copies(book_id, count, || store.now())?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_copies()
        })
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
        self.copy_withdrawn(py, copy_id, true, idempotency_key)
    }

    /// Puts a withdrawn copy back: to the first waiting hold of its book (ready from now), or the shelf. A lost
    /// copy is brought back with ``mark_found``.
    #[pyo3(signature = (copy_id, *, idempotency_key=None))]
    fn reinstate_copy(
        &self,
        py: Python<'_>,
        copy_id: &Bound<'_, PyAny>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Copy> {
        self.copy_withdrawn(py, copy_id, false, idempotency_key)
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
        let write = operations::register_customer(first_name, last_name, email)?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_customer()
        })
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
        let write = operations::update_customer(customer_id, first_name, last_name, email, active)?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_customer()
        })
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
        self.customer_active(py, customer_id, false, idempotency_key)
    }

    /// Reactivates a customer.
    #[pyo3(signature = (customer_id, *, idempotency_key=None))]
    fn activate_customer(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Customer> {
        self.customer_active(py, customer_id, true, idempotency_key)
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
}
