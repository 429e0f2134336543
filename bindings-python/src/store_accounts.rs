//! The account methods of `BookStore` for Python: the ledger, statements, aging, blocks and idempotency keys (a
//! `#[pymethods]` block of its own).

use koko_core::CustomerId;
use pyo3::prelude::*;

use crate::convert::{aware_datetime, id, optional_datetime};
use crate::errors::IntoPy;
use crate::inner::{collect, execute, open};
use crate::operations;
use crate::records_accounts::{Account, AgedBalance, Block, LedgerEntry, Statement};
use crate::store::BookStore;

#[pymethods]
impl BookStore {
    /// A customer's account: the balance (positive: the customer owes), the store's currency, a manual block if
    /// set, and every ledger entry in posting order. Raises ``NotFound`` for an unknown customer.
    fn account(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>) -> PyResult<Account> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = CustomerId::new(id("customer_id", customer_id)?);
        py.detach(|| store.account(id)).py_err().map(Account::from)
    }

    /// Records a payment at ``at`` (now by default): a positive amount (``Decimal``, ``int`` or ``str``) in the
    /// store's currency; ``currency``, if given, must be it. Paying more than is owed leaves a credit.
    #[pyo3(signature = (*, customer_id, amount, at=None, note=None, currency=None, idempotency_key=None))]
    #[allow(clippy::too_many_arguments)]
    fn pay(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        amount: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
        note: Option<&Bound<'_, PyAny>>,
        currency: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<LedgerEntry> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::pay(customer_id, amount, at, note, currency, || store.now())?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_entry()
        })
        .map(LedgerEntry::from)
    }

    /// Forgives ``amount`` of what a customer owes (at most the balance) at ``at`` (now by default), with a
    /// reason.
    #[pyo3(signature = (*, customer_id, amount, reason, at=None, idempotency_key=None))]
    fn waive(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        amount: &Bound<'_, PyAny>,
        reason: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<LedgerEntry> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::waive([customer_id, amount, reason], at, || store.now())?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_entry()
        })
        .map(LedgerEntry::from)
    }

    /// Hands back ``amount`` of a customer's credit (at most the credit) at ``at`` (now by default), with a
    /// reason.
    #[pyo3(signature = (*, customer_id, amount, reason, at=None, idempotency_key=None))]
    fn refund(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        amount: &Bound<'_, PyAny>,
        reason: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<LedgerEntry> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::refund([customer_id, amount, reason], at, || store.now())?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_entry()
        })
        .map(LedgerEntry::from)
    }

    /// Posts a fee (a debit other than a rental's charge: a damaged cover, a lost card) at ``at`` (now by
    /// default), with a reason; ``rental_id``, if given, must be the customer's.
    #[pyo3(signature = (*, customer_id, amount, reason, rental_id=None, at=None, idempotency_key=None))]
    #[allow(clippy::too_many_arguments)]
    fn post_fee(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        amount: &Bound<'_, PyAny>,
        reason: &Bound<'_, PyAny>,
        rental_id: Option<&Bound<'_, PyAny>>,
        at: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<LedgerEntry> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let arguments = [customer_id, amount, reason];
        let write = operations::post_fee(arguments, rental_id, at, || store.now())?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_entry()
        })
        .map(LedgerEntry::from)
    }

    /// A customer's statement over ``[start, end)`` (aware datetimes): the balance before ``start``, the entries
    /// dated in the period and the balance after them.
    fn statement(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
    ) -> PyResult<Statement> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let id = CustomerId::new(id("customer_id", customer_id)?);
        let start = aware_datetime("start", start)?;
        let end = aware_datetime("end", end)?;
        py.detach(|| store.statement(id, start, end))
            .py_err()
            .map(Statement::from)
    }

    /// Every customer who owes something at ``as_of`` (now by default), with what they owe split by age
    /// (0–30, 31–60, 61–90 and over 90 days), in customer id order.
    #[pyo3(signature = (as_of=None))]
    fn aged_balances(
        &self,
        py: Python<'_>,
        as_of: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<AgedBalance>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let as_of = optional_datetime("as_of", as_of)?.unwrap_or_else(|| store.now());
        py.detach(|| collect(store.aged_balances(as_of))).py_err()
    }

    /// Blocks a customer from renting from ``at`` (now by default), with a reason, until ``until`` or until
    /// unblocked; replaces an earlier block. Their rents then raise ``Blocked`` with rule ``"manual"``.
    #[pyo3(signature = (customer_id, *, reason, until=None, at=None, idempotency_key=None))]
    fn block_customer(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        reason: &Bound<'_, PyAny>,
        until: Option<&Bound<'_, PyAny>>,
        at: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Block> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::block_customer(customer_id, reason, until, at, || store.now())?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_block()?.ok_or_else(|| {
                koko_core::Error::Corruption("blocking a customer left no block".into())
            })
        })
        .map(Block::from)
    }

    /// Lifts a customer's manual block (a customer who is not blocked stays so).
    #[pyo3(signature = (customer_id, *, idempotency_key=None))]
    fn unblock_customer(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let write = operations::unblock_customer(customer_id)?;
        execute(py, store, write, idempotency_key, |_, outcome| {
            outcome.into_block()
        })
        .map(|_| ())
    }

    /// Forgets the idempotency keys first used before ``before`` (aware datetime); returns how many. A retry
    /// with a forgotten key is a new request.
    fn prune_idempotency_keys(&self, py: Python<'_>, before: &Bound<'_, PyAny>) -> PyResult<u64> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let before = aware_datetime("before", before)?;
        py.detach(|| store.prune_idempotency_keys(before)).py_err()
    }
}
