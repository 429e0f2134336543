//! `Batch` for Python: operations written down now, applied together by `BookStore.apply_batch`.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use koko_core::{BookId, CopyId, CustomerId, HoldId, Operation, RentalId};
use pyo3::prelude::*;

use crate::convert::{
    aware_datetime, copies as copies_arg, count as to_count, damage_arg, id, new_book,
    new_customer, optional_datetime, rent_target,
};
use crate::errors::invalid;
use crate::plan::PricePlan;

/// Operations to apply together with ``BookStore.apply_batch``, in the order they were added.
///
/// Each method takes the arguments of the ``BookStore`` method of the same name. A time left out (``at=None``) is
/// the moment the batch is applied.
#[pyclass(module = "koko")]
#[derive(Default)]
pub struct Batch {
    operations: Mutex<Vec<(Operation, bool)>>,
}

impl Batch {
    fn push(&self, operation: Operation, at_apply: bool) {
        self.operations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((operation, at_apply));
    }

    /// Adds the operation `make` builds for the time `at` (left out: when the batch is applied).
    fn push_at(
        &self,
        at: Option<&Bound<'_, PyAny>>,
        make: impl FnOnce(DateTime<Utc>) -> Operation,
    ) -> PyResult<()> {
        let (at, at_apply) = at_arg(at)?;
        self.push(make(at), at_apply);
        Ok(())
    }

    /// The operations, with `now` for every time left out.
    pub(crate) fn operations(&self, now: DateTime<Utc>) -> Vec<Operation> {
        let operations = self.operations.lock().unwrap_or_else(|p| p.into_inner());
        operations
            .iter()
            .map(|(op, at_apply)| {
                let mut op = op.clone();
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
                        if *at_apply =>
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

/// A time argument and whether it was left out.
fn at_arg(at: Option<&Bound<'_, PyAny>>) -> PyResult<(DateTime<Utc>, bool)> {
    Ok(match optional_datetime("at", at)? {
        Some(at) => (at, false),
        None => (DateTime::<Utc>::UNIX_EPOCH, true),
    })
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
        let book = new_book(title, author, category, isbn)?;
        let copies = copies_arg(copies)?;
        self.push(Operation::AddBook { book, copies }, false);
        Ok(())
    }

    /// Adds ``count`` copies of a book.
    fn add_copies(&self, book_id: &Bound<'_, PyAny>, count: &Bound<'_, PyAny>) -> PyResult<()> {
        let book = BookId::new(id("book_id", book_id)?);
        let count = to_count("count", count)?;
        self.push(
            Operation::AddCopies {
                book,
                count,
                at: None,
            },
            false,
        );
        Ok(())
    }

    /// Takes an available copy out of circulation.
    fn withdraw_copy(&self, copy_id: &Bound<'_, PyAny>) -> PyResult<()> {
        let copy = CopyId::new(id("copy_id", copy_id)?);
        self.push(
            Operation::SetWithdrawn {
                copy,
                withdrawn: true,
                at: None,
            },
            false,
        );
        Ok(())
    }

    /// Puts a withdrawn copy back.
    fn reinstate_copy(&self, copy_id: &Bound<'_, PyAny>) -> PyResult<()> {
        let copy = CopyId::new(id("copy_id", copy_id)?);
        self.push(
            Operation::SetWithdrawn {
                copy,
                withdrawn: false,
                at: None,
            },
            false,
        );
        Ok(())
    }

    /// Registers an active customer.
    #[pyo3(signature = (*, first_name, last_name, email=None))]
    fn register_customer(
        &self,
        first_name: &Bound<'_, PyAny>,
        last_name: &Bound<'_, PyAny>,
        email: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let customer = new_customer(first_name, last_name, email)?;
        self.push(Operation::RegisterCustomer(customer), false);
        Ok(())
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
        let customer = CustomerId::new(id("customer_id", customer_id)?);
        let target = rent_target(book_id, copy_id)?;
        self.push_at(at, |at| Operation::Rent {
            target,
            customer,
            at,
        })
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
        let rental = RentalId::new(id("rental_id", rental_id)?);
        let damage = damage_arg(damage_fee, note)?;
        self.push_at(at, |at| Operation::Return { rental, at, damage })
    }

    /// Returns the open rental of a copy (a drop box: the copy is what is scanned). Refused with
    /// ``InvalidInput`` when the copy is not rented out at that point of the batch.
    #[pyo3(signature = (*, copy_id, at=None))]
    fn return_copy(
        &self,
        copy_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let copy = CopyId::new(id("copy_id", copy_id)?);
        self.push_at(at, |at| Operation::ReturnCopy { copy, at })
    }

    /// Queues a customer for a book.
    #[pyo3(signature = (*, customer_id, book_id, at=None))]
    fn place_hold(
        &self,
        customer_id: &Bound<'_, PyAny>,
        book_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let customer = CustomerId::new(id("customer_id", customer_id)?);
        let book = BookId::new(id("book_id", book_id)?);
        self.push_at(at, |at| Operation::PlaceHold { customer, book, at })
    }

    /// Cancels a waiting or ready hold.
    #[pyo3(signature = (hold_id, *, at=None))]
    fn cancel_hold(
        &self,
        hold_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let hold = HoldId::new(id("hold_id", hold_id)?);
        self.push_at(at, |at| Operation::CancelHold { hold, at })
    }

    /// Expires the ready holds not picked up by ``at``.
    #[pyo3(signature = (at=None))]
    fn expire_holds(&self, at: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.push_at(at, |at| Operation::ExpireHolds { at })
    }

    /// Closes an open rental as lost.
    #[pyo3(signature = (*, rental_id, at=None))]
    fn declare_lost(
        &self,
        rental_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let rental = RentalId::new(id("rental_id", rental_id)?);
        self.push_at(at, |at| Operation::DeclareLost { rental, at })
    }

    /// Brings a lost copy back.
    #[pyo3(signature = (*, copy_id, at=None))]
    fn mark_found(
        &self,
        copy_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let copy = CopyId::new(id("copy_id", copy_id)?);
        self.push_at(at, |at| Operation::MarkFound { copy, at })
    }

    /// Publishes ``plan`` for rentals opened from ``effective_from`` (aware datetime) on.
    fn publish_plan(
        &self,
        plan: &Bound<'_, PyAny>,
        effective_from: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let plan = plan
            .extract::<PyRef<'_, PricePlan>>()
            .map_err(|_| invalid("plan", "expected a koko.PricePlan"))?
            .inner
            .clone();
        let from = aware_datetime("effective_from", effective_from)?;
        self.push(Operation::publish_plan(plan, from), false);
        Ok(())
    }

    fn __len__(&self) -> usize {
        self.operations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    fn __repr__(&self) -> String {
        let operations = self.operations.lock().unwrap_or_else(|p| p.into_inner());
        let names: Vec<&str> = operations.iter().map(|(op, _)| op.name()).collect();
        format!("Batch({} operations: {})", names.len(), names.join(", "))
    }
}
