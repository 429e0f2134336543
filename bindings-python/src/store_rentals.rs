//! The quote, rental and report methods of `BookStore` for Python (a `#[pymethods]` block of its own).

use std::path::PathBuf;

use koko_core::{CustomerId, RentalId};
use pyo3::prelude::*;

use crate::convert::{aware_datetime, id, optional_datetime, quote_args};
use crate::errors::IntoPy;
use crate::inner::{self, collect, execute, open};
use crate::operations::{self, closes_with_fees};
use crate::plan::Quote;
use crate::records::{Receipt, Rental, RevenueLine};
use crate::store::BookStore;

#[pymethods]
impl BookStore {
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
        let write = operations::rent(customer_id, book_id, copy_id, at, || store.now())?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_rental()
        })
        .map(Rental::from)
    }

    /// Returns a rental at ``at`` (now by default): charges it, posts the charge to the customer's account,
    /// closes it and frees the copy (to the first waiting hold of its book, or the shelf), all at once. With
    /// ``damage_fee`` (a ``Decimal``, ``int`` or ``str``, never a ``float``) and ``note`` — both or neither — a
    /// damage fee is posted as a ``fee`` entry in the same operation. ``Receipt.balance`` is the balance once the
    /// charge (and the damage fee) was posted.
    ///
    /// Raises ``AlreadyReturned`` the second time, ``InvalidInput`` for a time before the rental, and on
    /// ``damage_fee`` / ``note`` for a bad fee or a missing or blank note. Under an ``idempotency_key`` a retry
    /// answers the first receipt (with the balance as it was then) instead.
    #[pyo3(signature = (*, rental_id, at=None, damage_fee=None, note=None, idempotency_key=None))]
    fn return_rental(
        &self,
        py: Python<'_>,
        rental_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
        damage_fee: Option<&Bound<'_, PyAny>>,
        note: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Receipt> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::return_rental(rental_id, at, damage_fee, note, || store.now())?;
        let with_fees = closes_with_fees(&write.operation);
        execute(py, store, write, idempotency_key, |store, outcome| {
            inner::receipt(store, outcome.into_rental()?, with_fees)
        })
        .map(Receipt::from)
    }

    /// Renews an open rental at ``at`` (now by default): its due date moves forward by the loan period, as its
    /// plan's tariff allows (``renewals``); the daily charge is unchanged and late days count from the new due
    /// date. Raises ``Blocked`` (rule ``renewals.max``, ``holds.waiting`` — another customer waits for the book and
    /// no copy is on the shelf —, ``manual`` or ``limits.max_balance``), ``InvalidInput`` for a rental without a
    /// due date, ``AlreadyReturned`` or ``NotFound``.
    #[pyo3(signature = (*, rental_id, at=None, idempotency_key=None))]
    fn renew(
        &self,
        py: Python<'_>,
        rental_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Rental> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::renew(rental_id, at, || store.now())?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_rental()
        })
        .map(Rental::from)
    }

    /// One rental; raises ``NotFound``.
    fn rental(&self, py: Python<'_>, rental_id: &Bound<'_, PyAny>) -> PyResult<Rental> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = RentalId::new(id("rental_id", rental_id)?);
        py.detach(|| store.rental(id)).py_err().map(Rental::from)
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
}
