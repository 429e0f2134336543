//! The account methods of `BookStore` for Python: the ledger, statements, aging, blocks and idempotency keys (a
//! second `#[pymethods]` block, so `store.rs` keeps the catalogue, customers and rentals).

use chrono::{DateTime, Utc};
use koko_core::{CustomerId, Decimal, Operation, RentalId};
use pyo3::prelude::*;

use crate::accounts::{self, Account, AgedBalance, Block, LedgerEntry, Statement};
use crate::convert::{
    at_or_now, aware_datetime, id, money, optional_currency, optional_datetime, optional_text, text,
};
use crate::errors::IntoPy;
use crate::store::{collect, open, BookStore};

impl BookStore {
    /// A waiver or a refund: converts the customer, amount and reason (in that order) and the time, then posts
    /// the entry `make` describes.
    fn reasoned_entry(
        &self,
        py: Python<'_>,
        [customer_id, amount, reason]: [&Bound<'_, PyAny>; 3],
        at: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
        make: impl FnOnce(CustomerId, Decimal, DateTime<Utc>, String) -> Operation,
    ) -> PyResult<LedgerEntry> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let customer = CustomerId::new(id("customer_id", customer_id)?);
        let amount = money("amount", amount)?;
        let reason = text("reason", reason)?;
        let (at, clock_time) = at_or_now("at", at, || store.now())?;
        let operation = make(customer, amount, at, reason);
        accounts::entry(store, py, operation, idempotency_key, clock_time)
    }
}

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
        let customer = CustomerId::new(id("customer_id", customer_id)?);
        let amount = money("amount", amount)?;
        let (at, clock_time) = at_or_now("at", at, || store.now())?;
        let operation = Operation::Pay {
            customer,
            amount,
            currency: optional_currency("currency", currency)?,
            at,
            note: optional_text("note", note)?,
        };
        accounts::entry(store, py, operation, idempotency_key, clock_time)
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
        let make = |customer, amount, at, reason| Operation::Waive {
            customer,
            amount,
            at,
            reason,
        };
        self.reasoned_entry(py, [customer_id, amount, reason], at, idempotency_key, make)
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
        let make = |customer, amount, at, reason| Operation::Refund {
            customer,
            amount,
            at,
            reason,
        };
        self.reasoned_entry(py, [customer_id, amount, reason], at, idempotency_key, make)
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
        let customer = CustomerId::new(id("customer_id", customer_id)?);
        let amount = money("amount", amount)?;
        let reason = text("reason", reason)?;
        let rental = match rental_id {
            Some(r) if !r.is_none() => Some(RentalId::new(id("rental_id", r)?)),
            _ => None,
        };
        let (at, clock_time) = at_or_now("at", at, || store.now())?;
        let operation = Operation::PostFee {
            customer,
            amount,
            at,
            rental,
            reason,
        };
        accounts::entry(store, py, operation, idempotency_key, clock_time)
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
        let customer = CustomerId::new(id("customer_id", customer_id)?);
        let reason = text("reason", reason)?;
        let until = optional_datetime("until", until)?;
        let (at, clock_time) = at_or_now("at", at, || store.now())?;
        let operation = Operation::BlockCustomer {
            customer,
            reason,
            at,
            until,
        };
        accounts::block(store, py, operation, idempotency_key, clock_time)
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
        let customer = CustomerId::new(id("customer_id", customer_id)?);
        let operation = Operation::UnblockCustomer { customer };
        accounts::apply(store, py, operation, idempotency_key, false)?
            .into_block()
            .py_err()
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
