//! Circulation records for Python: `Hold` (a place in a book's queue), `Found` (a lost copy back, with the credit
//! posted) and `Notice` (what a store should tell a customer).

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use rust_decimal::Decimal;

use crate::records::{py_opt_id, py_opt_time, Copy};
use crate::records_accounts::LedgerEntry;

/// A customer's place in the queue for a book, and the copy set aside once one comes back.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct Hold {
    /// The hold's id (placement order).
    pub id: u64,
    /// The title asked for.
    pub book_id: u64,
    /// Who asked.
    pub customer_id: u64,
    /// When it was placed (UTC).
    pub placed_at: DateTime<Utc>,
    /// ``"waiting"``, ``"ready"``, ``"fulfilled"``, ``"cancelled"`` or ``"expired"``.
    pub status: &'static str,
    /// The copy set aside for it (once ready; kept after it closes).
    pub copy_id: Option<u64>,
    /// Until when the set-aside copy waits for the customer (UTC), once ready.
    pub ready_until: Option<DateTime<Utc>>,
    /// When it was fulfilled, cancelled or expired (UTC).
    pub closed_at: Option<DateTime<Utc>>,
    /// The rental that fulfilled it.
    pub rental_id: Option<u64>,
    /// Its place among the book's waiting holds (1: next to be served); ``None`` unless waiting.
    pub position: Option<u32>,
}

impl From<koko_core::Hold> for Hold {
    fn from(h: koko_core::Hold) -> Self {
        Hold {
            id: h.id.get(),
            book_id: h.book.get(),
            customer_id: h.customer.get(),
            placed_at: h.placed_at,
            status: h.status.as_str(),
            copy_id: h.copy.map(|c| c.get()),
            ready_until: h.ready_until,
            closed_at: h.closed_at,
            rental_id: h.rental.map(|r| r.get()),
            position: h.position,
        }
    }
}

#[pymethods]
impl Hold {
    fn __repr__(&self) -> String {
        format!(
            "Hold(id={}, book_id={}, customer_id={}, placed_at={:?}, status={:?}, copy_id={}, ready_until={}, \
             closed_at={}, rental_id={}, position={})",
            self.id,
            self.book_id,
            self.customer_id,
            self.placed_at.to_rfc3339(),
            self.status,
            py_opt_id(self.copy_id),
            py_opt_time(self.ready_until),
            py_opt_time(self.closed_at),
            py_opt_id(self.rental_id),
            py_opt_id(self.position.map(u64::from)),
        )
    }
}

/// A lost copy brought back: the copy as it now stands, and the replacement fee credited back, if the plan says so.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct Found {
    /// The copy: ``"on_hold"`` for the first waiting hold of its book, else ``"available"``.
    pub copy: Copy,
    /// The ``waiver`` entry crediting the replacement fee (``replacement.refund_when_found``), or ``None``.
    pub credit: Option<LedgerEntry>,
}

impl From<(koko_core::BookCopy, Option<koko_core::LedgerEntry>)> for Found {
    fn from((copy, credit): (koko_core::BookCopy, Option<koko_core::LedgerEntry>)) -> Self {
        Found {
            copy: Copy::from(copy),
            credit: credit.map(LedgerEntry::from),
        }
    }
}

#[pymethods]
impl Found {
    fn __repr__(&self) -> String {
        format!(
            "Found(copy={}, credit={})",
            self.copy.__repr__(),
            self.credit
                .as_ref()
                .map_or("None".to_owned(), LedgerEntry::__repr__)
        )
    }
}

/// One notice a store should send: a rental due soon, an overdue rental (at a reminder level), a copy set aside
/// for a hold.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct Notice {
    /// Identifies the notice for ``BookStore.mark_notified`` (the same notice always has the same key).
    pub key: String,
    /// ``"due_soon"``, ``"overdue"`` or ``"hold_ready"``.
    pub kind: &'static str,
    /// The reminder level of an overdue notice (1: first), 0 for the others.
    pub level: u32,
    /// Whom to tell.
    pub customer_id: u64,
    /// The book concerned.
    pub book_id: u64,
    /// The rental concerned (due soon, overdue).
    pub rental_id: Option<u64>,
    /// The hold concerned (hold ready).
    pub hold_id: Option<u64>,
    /// When the rental is due, or until when the held copy waits (UTC).
    pub due_at: DateTime<Utc>,
    /// What the rental would be charged if returned at the notice's instant (late fees included).
    pub amount: Option<Decimal>,
    /// The ISO 4217 currency code of ``amount``.
    pub currency: Option<&'static str>,
}

impl From<koko_core::Notice> for Notice {
    fn from(n: koko_core::Notice) -> Self {
        Notice {
            key: n.key,
            kind: n.kind.as_str(),
            level: n.level,
            customer_id: n.customer.get(),
            book_id: n.book.get(),
            rental_id: n.rental.map(|r| r.get()),
            hold_id: n.hold.map(|h| h.get()),
            due_at: n.due_at,
            amount: n.amount,
            currency: n.currency.map(|c| c.code()),
        }
    }
}

#[pymethods]
impl Notice {
    fn __repr__(&self) -> String {
        format!(
            "Notice(key={:?}, kind={:?}, level={}, customer_id={}, book_id={}, rental_id={}, hold_id={}, \
             due_at={:?}, amount={}, currency={})",
            self.key,
            self.kind,
            self.level,
            self.customer_id,
            self.book_id,
            py_opt_id(self.rental_id),
            py_opt_id(self.hold_id),
            self.due_at.to_rfc3339(),
            self.amount
                .map_or("None".to_owned(), |a| format!("Decimal('{a}')")),
            self.currency.map_or("None".to_owned(), |c| format!("{c:?}")),
        )
    }
}
