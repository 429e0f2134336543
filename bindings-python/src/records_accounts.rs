//! Customer account records for Python: `LedgerEntry`, `Block`, `Account`, `Statement` and `AgedBalance`.
//!
//! Every rule (what a waiver may forgive, when a block holds) is the core's; these only carry its answers.

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use rust_decimal::Decimal;

use crate::records::{py_opt_id, py_opt_time};

/// One line of a customer's ledger. Entries are never changed or deleted: a correction is a new entry.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct LedgerEntry {
    /// The entry's id (store-wide, increasing in posting order).
    pub id: u64,
    /// Whose account.
    pub customer_id: u64,
    /// ``"charge"``, ``"fee"``, ``"payment"``, ``"waiver"`` or ``"refund"``.
    pub kind: &'static str,
    /// How much, never negative (``kind`` says which way it moves the balance), at the currency's scale.
    pub amount: Decimal,
    /// The store's ISO 4217 currency code.
    pub currency: &'static str,
    /// When it happened (UTC; a rental's charge: when it was returned).
    pub at: DateTime<Utc>,
    /// The rental it belongs to, if any.
    pub rental_id: Option<u64>,
    /// A note, or the reason of a waiver, refund or fee.
    pub note: Option<String>,
    /// The customer's balance once this entry was posted (positive: they owe).
    pub balance_after: Decimal,
}

impl From<koko_core::LedgerEntry> for LedgerEntry {
    fn from(e: koko_core::LedgerEntry) -> Self {
        LedgerEntry {
            id: e.id.get(),
            customer_id: e.customer.get(),
            kind: e.kind.name(),
            amount: e.amount,
            currency: e.currency.code(),
            at: e.at,
            rental_id: e.rental.map(|r| r.get()),
            note: e.note,
            balance_after: e.balance_after,
        }
    }
}

#[pymethods]
impl LedgerEntry {
    pub(crate) fn __repr__(&self) -> String {
        format!(
            "LedgerEntry(id={}, customer_id={}, kind={:?}, amount=Decimal('{}'), currency={:?}, at={:?}, \
             rental_id={}, note={}, balance_after=Decimal('{}'))",
            self.id,
            self.customer_id,
            self.kind,
            self.amount,
            self.currency,
            self.at.to_rfc3339(),
            py_opt_id(self.rental_id),
            self.note
                .as_ref()
                .map_or("None".to_owned(), |n| format!("{n:?}")),
            self.balance_after
        )
    }
}

/// A manual block: staff stopped a customer from renting, with a reason, until a time or until unblocked.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct Block {
    /// Why.
    pub reason: String,
    /// When it was set (UTC).
    pub since: DateTime<Utc>,
    /// When it ends by itself (UTC), if ever.
    pub until: Option<DateTime<Utc>>,
}

impl From<koko_core::Block> for Block {
    fn from(b: koko_core::Block) -> Self {
        Block {
            reason: b.reason,
            since: b.since,
            until: b.until,
        }
    }
}

#[pymethods]
impl Block {
    fn __repr__(&self) -> String {
        format!(
            "Block(reason={:?}, since={:?}, until={})",
            self.reason,
            self.since.to_rfc3339(),
            py_opt_time(self.until)
        )
    }
}

/// A customer's account: the balance, the block if any, and every ledger entry in posting order.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct Account {
    /// Whose account.
    pub customer_id: u64,
    /// What the customer owes (negative: a credit).
    pub balance: Decimal,
    /// The store's ISO 4217 currency code (``None`` while the store has no price plan).
    pub currency: Option<&'static str>,
    /// A manual block, if set (it may have ended: compare ``block.until`` with the time you care about).
    pub block: Option<Block>,
    /// The ledger, in posting order.
    pub entries: Vec<LedgerEntry>,
}

impl From<koko_core::Account> for Account {
    fn from(a: koko_core::Account) -> Self {
        Account {
            customer_id: a.customer.get(),
            balance: a.balance,
            currency: a.currency.map(|c| c.code()),
            block: a.block.map(Block::from),
            entries: a.entries.into_iter().map(LedgerEntry::from).collect(),
        }
    }
}

#[pymethods]
impl Account {
    fn __repr__(&self) -> String {
        format!(
            "Account(customer_id={}, balance=Decimal('{}'), currency={}, blocked={}, entries={})",
            self.customer_id,
            self.balance,
            self.currency
                .map_or("None".to_owned(), |c| format!("{c:?}")),
            if self.block.is_some() {
                "True"
            } else {
                "False"
            },
            self.entries.len()
        )
    }
}

/// A customer's ledger over ``[start, end)``: the balance before, the entries dated in the period, the balance
/// after.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct Statement {
    /// Whose account.
    pub customer_id: u64,
    /// The period's first instant (UTC).
    pub start: DateTime<Utc>,
    /// The instant after the period (UTC).
    pub end: DateTime<Utc>,
    /// The sum of every entry dated before ``start``.
    pub opening_balance: Decimal,
    /// The entries dated in the period, in posting order.
    pub entries: Vec<LedgerEntry>,
    /// ``opening_balance`` plus the period's entries.
    pub closing_balance: Decimal,
}

impl From<koko_core::Statement> for Statement {
    fn from(s: koko_core::Statement) -> Self {
        Statement {
            customer_id: s.customer.get(),
            start: s.start,
            end: s.end,
            opening_balance: s.opening_balance,
            entries: s.entries.into_iter().map(LedgerEntry::from).collect(),
            closing_balance: s.closing_balance,
        }
    }
}

#[pymethods]
impl Statement {
    fn __repr__(&self) -> String {
        format!(
            "Statement(customer_id={}, start={:?}, end={:?}, opening_balance=Decimal('{}'), entries={}, \
             closing_balance=Decimal('{}'))",
            self.customer_id,
            self.start.to_rfc3339(),
            self.end.to_rfc3339(),
            self.opening_balance,
            self.entries.len(),
            self.closing_balance
        )
    }
}

/// One customer's row of the aging report: what they owe, split by how long it has been owed (credits settle
/// the oldest debits first).
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct AgedBalance {
    /// Whose account.
    pub customer_id: u64,
    /// The whole balance (the sum of the four buckets).
    pub balance: Decimal,
    /// Owed for 0 to 30 days.
    pub days_0_30: Decimal,
    /// Owed for 31 to 60 days.
    pub days_31_60: Decimal,
    /// Owed for 61 to 90 days.
    pub days_61_90: Decimal,
    /// Owed for more than 90 days.
    pub days_over_90: Decimal,
}

impl From<koko_core::AgedBalance> for AgedBalance {
    fn from(a: koko_core::AgedBalance) -> Self {
        AgedBalance {
            customer_id: a.customer.get(),
            balance: a.balance,
            days_0_30: a.days_0_30,
            days_31_60: a.days_31_60,
            days_61_90: a.days_61_90,
            days_over_90: a.days_over_90,
        }
    }
}

#[pymethods]
impl AgedBalance {
    fn __repr__(&self) -> String {
        format!(
            "AgedBalance(customer_id={}, balance=Decimal('{}'), days_0_30=Decimal('{}'), \
             days_31_60=Decimal('{}'), days_61_90=Decimal('{}'), days_over_90=Decimal('{}'))",
            self.customer_id,
            self.balance,
            self.days_0_30,
            self.days_31_60,
            self.days_61_90,
            self.days_over_90
        )
    }
}
