//! The circulation methods of `BookStore` for Python (a `#[pymethods]` block of its own): holds, lost and found
//! copies, and notices. Renewals and damaged returns are with the other rental methods (`store_rentals`).

use koko_core::{BookId, CustomerId, HoldId};
use pyo3::prelude::*;

use crate::convert::{id, optional_datetime};
use crate::errors::IntoPy;
use crate::inner::{execute, open};
use crate::operations;
use crate::records::Receipt;
use crate::records_circulation::{Found, Hold, Notice};
use crate::store::BookStore;

#[pymethods]
impl BookStore {
    // --- holds ---

    /// Queues a customer for a book at ``at`` (now by default). A copy on the shelf is set aside at once (the hold
    /// is ``"ready"`` until ``ready_until``); otherwise the hold waits (``position`` 1 is next) for the next copy
    /// that comes back.
    ///
    /// Raises ``Duplicate`` on ``book`` for a second active hold of the customer on the book, ``Blocked`` (rule
    /// ``limits.max_holds``, ``manual``), ``InactiveCustomer`` or ``NotFound``. Under an ``idempotency_key`` a
    /// retry answers the same hold (as it now stands) and places no second one.
    #[pyo3(signature = (*, customer_id, book_id, at=None, idempotency_key=None))]
    fn place_hold(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        book_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Hold> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::place_hold(customer_id, book_id, at, || store.now())?;
        execute(py, store, write, idempotency_key, |store, outcome| {
            store.hold(outcome.into_hold()?.id)
        })
        .map(Hold::from)
    }

    /// Cancels a waiting or ready hold at ``at`` (now by default); a copy set aside for it passes to the next in
    /// the queue (or the shelf). Raises ``InvalidInput`` on ``hold`` for a hold already fulfilled, cancelled or
    /// expired, and ``NotFound``.
    #[pyo3(signature = (hold_id, *, at=None, idempotency_key=None))]
    fn cancel_hold(
        &self,
        py: Python<'_>,
        hold_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Hold> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::cancel_hold(hold_id, at, || store.now())?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_hold()
        })
        .map(Hold::from)
    }

    /// Expires the ready holds not picked up by ``at`` (now by default), passing each copy to the next in the
    /// queue; returns the expired holds. Run it from a scheduler.
    #[pyo3(signature = (at=None))]
    fn expire_holds(&self, py: Python<'_>, at: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Hold>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::expire_holds(at, || store.now())?;
        execute(py, store, write, None, |_, outcome| outcome.into_holds())
            .map(|holds| holds.into_iter().map(Hold::from).collect())
    }

    /// One hold, with its place in the queue while it waits; raises ``NotFound``.
    fn hold(&self, py: Python<'_>, hold_id: &Bound<'_, PyAny>) -> PyResult<Hold> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = HoldId::new(id("hold_id", hold_id)?);
        py.detach(|| store.hold(id)).py_err().map(Hold::from)
    }

    /// A book's queue: its waiting and ready holds in placement order, the waiting ones numbered from 1
    /// (``position``). Raises ``NotFound`` for an unknown book.
    fn holds(&self, py: Python<'_>, book_id: &Bound<'_, PyAny>) -> PyResult<Vec<Hold>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = BookId::new(id("book_id", book_id)?);
        py.detach(|| store.book_holds(id))
            .py_err()
            .map(|holds| holds.into_iter().map(Hold::from).collect())
    }

    /// A customer's holds, every status, in id order. Raises ``NotFound`` for an unknown customer.
    fn customer_holds(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Hold>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = CustomerId::new(id("customer_id", customer_id)?);
        py.detach(|| store.customer_holds(id))
            .py_err()
            .map(|holds| holds.into_iter().map(Hold::from).collect())
    }

    // --- lost and found ---

    /// Closes an open rental as lost at ``at`` (now by default): charged what accrued until then (late fees
    /// included), plus the tariff's ``replacement`` fee and processing fee as ``fee`` entries; the copy becomes
    /// ``"lost"``. ``Receipt.balance`` is the balance once the fees were posted.
    ///
    /// Raises ``AlreadyReturned``, ``NotFound``, or ``InvalidInput`` on ``at`` for a time before the rental. Under
    /// an ``idempotency_key`` a retry answers the first receipt and charges nothing more.
    #[pyo3(signature = (*, rental_id, at=None, idempotency_key=None))]
    fn declare_lost(
        &self,
        py: Python<'_>,
        rental_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Receipt> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::declare_lost(rental_id, at, || store.now())?;
        execute(py, store, write, idempotency_key, |store, outcome| {
            store.closing_receipt(outcome.into_rental()?)
        })
        .map(Receipt::from)
    }

    /// Brings a lost copy back at ``at`` (now by default): to the first waiting hold of its book, or the shelf.
    /// Returns a ``Found``: the copy as it now stands and the replacement fee credited back (a ``waiver`` entry)
    /// when the plan says ``replacement.refund_when_found``, else ``None``.
    ///
    /// Raises ``InvalidInput`` on ``copy`` for a copy that is not lost (on ``at`` for a time before it was
    /// declared lost) and ``NotFound``.
    #[pyo3(signature = (*, copy_id, at=None, idempotency_key=None))]
    fn mark_found(
        &self,
        py: Python<'_>,
        copy_id: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Found> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::mark_found(copy_id, at, || store.now())?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_found()
        })
        .map(Found::from)
    }

    // --- notices ---

    /// What should be sent at ``at`` (now by default) and has not been marked sent: each open rental due within
    /// the plan's ``notices.due_soon_days`` or overdue (one notice at the highest ``notices.overdue_days`` level
    /// it reached, with what it would be charged at ``at``), then each ready hold.
    #[pyo3(signature = (at=None))]
    fn notices(&self, py: Python<'_>, at: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Notice>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let at = optional_datetime("at", at)?.unwrap_or_else(|| store.now());
        py.detach(|| store.notices(at))
            .py_err()
            .map(|notices| notices.into_iter().map(Notice::from).collect())
    }

    /// Records that the notices with these keys (a list of ``Notice.key``) were sent at ``at`` (now by default),
    /// so ``notices`` no longer lists them; returns how many keys were new (marking one again changes nothing).
    /// Raises ``InvalidInput`` on ``keys`` for an empty list or a key that is not 1 to 255 characters, before
    /// anything is marked.
    #[pyo3(signature = (keys, at=None))]
    fn mark_notified(
        &self,
        py: Python<'_>,
        keys: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::mark_notified(keys, at, || store.now())?;
        execute(py, store, write, None, |_, outcome| outcome.into_notified())
    }
}
