//! The circulation methods of `BookStore` for Python (a `#[pymethods]` block of its own): holds, lost and found
//! copies, and notices. Renewals and damaged returns are with the other rental methods (`store_rentals`).

use koko_core::{BookId, CopyId, CustomerId, HoldId, Operation, Outcome, RentalId};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::circulation::{Found, Hold, Notice};
use crate::convert::{at_or_now, id, key_arg, optional_datetime, text};
use crate::errors::{invalid, IntoPy};
use crate::records::Receipt;
use crate::store::{apply_keyed, open, BookStore, Inner};

/// A `keys=` argument: a list or tuple of `str` (a lone `str` is refused, not read as its characters).
fn notice_keys(value: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if !value.is_instance_of::<PyList>() && !value.is_instance_of::<PyTuple>() {
        return Err(invalid(
            "keys",
            "expected a list of notice keys (str), e.g. [notice.key for notice in store.notices()]",
        ));
    }
    value.try_iter()?.map(|key| text("keys", &key?)).collect()
}

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
        let customer = CustomerId::new(id("customer_id", customer_id)?);
        let book = BookId::new(id("book_id", book_id)?);
        let (at, clock_time) = at_or_now("at", at, || store.now())?;
        let key = key_arg(idempotency_key)?;
        let operation = Operation::PlaceHold { customer, book, at };
        py.detach(|| {
            let placed = apply_keyed(store, key, operation, clock_time)?.into_hold()?;
            store.hold(placed.id)
        })
        .py_err()
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
        let make = |hold, at| Operation::CancelHold {
            hold: HoldId::new(hold),
            at,
        };
        let read = |_: &Inner, outcome: Outcome| outcome.into_hold().map(Hold::from);
        let hold = ("hold_id", hold_id);
        self.write_one(py, hold, (at, idempotency_key), make, read)
    }

    /// Expires the ready holds not picked up by ``at`` (now by default), passing each copy to the next in the
    /// queue; returns the expired holds. Run it from a scheduler.
    #[pyo3(signature = (at=None))]
    fn expire_holds(&self, py: Python<'_>, at: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Hold>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let at = optional_datetime("at", at)?.unwrap_or_else(|| store.now());
        py.detach(|| store.expire_holds_at(at))
            .py_err()
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
        let make = |rental, at| Operation::DeclareLost {
            rental: RentalId::new(rental),
            at,
        };
        let read = |store: &Inner, outcome: Outcome| {
            store
                .closing_receipt(outcome.into_rental()?)
                .map(Receipt::from)
        };
        let rental = ("rental_id", rental_id);
        self.write_one(py, rental, (at, idempotency_key), make, read)
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
        let make = |copy, at| Operation::MarkFound {
            copy: CopyId::new(copy),
            at,
        };
        let read = |_: &Inner, outcome: Outcome| outcome.into_found().map(Found::from);
        let copy = ("copy_id", copy_id);
        self.write_one(py, copy, (at, idempotency_key), make, read)
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
        let keys = notice_keys(keys)?;
        let at = optional_datetime("at", at)?.unwrap_or_else(|| store.now());
        py.detach(|| store.mark_notified(&keys, at)).py_err()
    }
}
