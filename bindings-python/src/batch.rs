//! `Batch` for Python: operations written down now, applied together by `BookStore.apply_batch`.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use koko_core::Operation;
use pyo3::prelude::*;

use crate::operations::{self, Write};

/// Operations to apply together with ``BookStore.apply_batch``, in the order they were added.
///
/// Each method takes the arguments of the ``BookStore`` method of the same name. A time left out (``at=None``) is
/// the moment the batch is applied.
#[pyclass(module = "koko")]
#[derive(Default)]
pub struct Batch {
    /// Each operation with whether its time was left out (`Write::clock_time`: filled in when applied).
    operations: Mutex<Vec<Write>>,
}

impl Batch {
    /// Adds the write a method's arguments built (or raises their `InvalidInput`).
    fn push(&self, write: PyResult<Write>) -> PyResult<()> {
        let write = write?;
        self.operations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(write);
        Ok(())
    }

    /// The operations, with `now` for every time left out.
    pub(crate) fn operations(&self, now: DateTime<Utc>) -> Vec<Operation> {
        let operations = self.operations.lock().unwrap_or_else(|p| p.into_inner());
        operations
            .iter()
            .map(|write| {
                let mut op = write.operation.clone();
                match &mut op {
                    // Copies added or reinstated serve waiting holds, ready from when the batch is applied.
                    Operation::AddCopies { at, .. } | Operation::SetWithdrawn { at, .. } => {
                        *at = Some(now)
                    }
                    Operation::Rent { at, .. }
                    | Operation::Return { at, .. }
                    | Operation::ReturnCopy { at, .. }
                    | Operation::PlaceHold { at, .. }
                    | Operation::CancelHold { at, .. }
                    | Operation::ExpireHolds { at }
                    | Operation::DeclareLost { at, .. }
                    | Operation::MarkFound { at, .. }
                        if write.clock_time =>
                    {
                        *at = now
                    }
                    _ => {}
                }
                op
            })
            .collect()
    }
}

/// The time of an operation whose `at=` was left out until the batch is applied (see `Batch::operations`).
fn when_applied() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

#[pymethods]
impl Batch {
    #[new]
    fn new() -> Self {
        Batch::default()
    }

    /// Adds a book with ``copies`` copies.
    #[pyo3(signature = (*, title, author, category, isbn=None, copies=None))]
    fn add_book(
        &self,
        title: &Bound<'_, PyAny>,
        author: &Bound<'_, PyAny>,
        category: &Bound<'_, PyAny>,
        isbn: Option<&Bound<'_, PyAny>>,
        copies: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.push(operations::add_book(title, author, category, isbn, copies))
    }

    /// Adds ``count`` copies of a book.
    fn add_copies(&self, book_id: &Bound<'_, PyAny>, count: &Bound<'_, PyAny>) -> PyResult<()> {
        self.push(operations::add_copies(book_id, count, when_applied))
    }

    /// Takes an available copy out of circulation.
    fn withdraw_copy(&self, copy_id: &Bound<'_, PyAny>) -> PyResult<()> {
        self.push(operations::set_withdrawn(copy_id, true, when_applied))
    }

    /// Puts a withdrawn copy back.
    fn reinstate_copy(&self, copy_id: &Bound<'_, PyAny>) -> PyResult<()> {
        self.push(operations::set_withdrawn(copy_id, false, when_applied))
    }

    /// Registers an active customer.
    #[pyo3(signature = (*, first_name, last_name, email=None))]
    fn register_customer(
        &self,
        first_name: &Bound<'_, PyAny>,
        last_name: &Bound<'_, PyAny>,
        email: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.push(operations::register_customer(first_name, last_name, email))
    }

    /// Rents a book (its first available copy) or one copy.
    #[pyo3(signature = (*, customer_id, book_id=None, copy_id=None, at=None))]
    fn rent(
        &self,
        customer_id: &Bound<'_, PyAny>,
        book_id: Option<&Bound<'_, PyAny>>,
        copy_id: Option<&Bound<'_, PyAny>>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.push(operations::rent(
            customer_id,
            book_id,
            copy_id,
            at,
            when_applied,
        ))
    }

    /// Returns a rental, with a damage fee if ``damage_fee`` and ``note`` are given (both or neither).
    #[pyo3(signature = (*, rental_id, at=None, damage_fee=None, note=None))]
    fn return_rental(
        &self,
        rental_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
        damage_fee: Option<&Bound<'_, PyAny>>,
        note: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.push(operations::return_rental(
            rental_id,
            at,
            damage_fee,
            note,
            when_applied,
        ))
    }

    /// Returns the open rental of a copy (a drop box: the copy is what is scanned). Refused with
    /// ``InvalidInput`` when the copy is not rented out at that point of the batch.
    #[pyo3(signature = (*, copy_id, at=None))]
    fn return_copy(
        &self,
        copy_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.push(operations::return_copy(copy_id, at, when_applied))
    }

    /// Queues a customer for a book.
    #[pyo3(signature = (*, customer_id, book_id, at=None))]
    fn place_hold(
        &self,
        customer_id: &Bound<'_, PyAny>,
        book_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.push(operations::place_hold(
            customer_id,
            book_id,
            at,
            when_applied,
        ))
    }

    /// Cancels a waiting or ready hold.
    #[pyo3(signature = (hold_id, *, at=None))]
    fn cancel_hold(
        &self,
        hold_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.push(operations::cancel_hold(hold_id, at, when_applied))
    }

    /// Expires the ready holds not picked up by ``at``.
    #[pyo3(signature = (at=None))]
    fn expire_holds(&self, at: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.push(operations::expire_holds(at, when_applied))
    }

    /// Closes an open rental as lost.
    #[pyo3(signature = (*, rental_id, at=None))]
    fn declare_lost(
        &self,
        rental_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.push(operations::declare_lost(rental_id, at, when_applied))
    }

    /// Brings a lost copy back.
    #[pyo3(signature = (*, copy_id, at=None))]
    fn mark_found(
        &self,
        copy_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.push(operations::mark_found(copy_id, at, when_applied))
    }

    /// Publishes ``plan`` for rentals opened from ``effective_from`` (aware datetime) on.
    fn publish_plan(
        &self,
        plan: &Bound<'_, PyAny>,
        effective_from: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let not_a_plan = "expected a koko.PricePlan";
        self.push(operations::publish_plan(plan, effective_from, not_a_plan))
    }

    fn __len__(&self) -> usize {
        self.operations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    fn __repr__(&self) -> String {
        let operations = self.operations.lock().unwrap_or_else(|p| p.into_inner());
        let names: Vec<&str> = operations.iter().map(|w| w.operation.name()).collect();
        format!("Batch({} operations: {})", names.len(), names.join(", "))
    }
}
