//! Customer accounts: an append-only ledger of what a customer owes and paid, manual blocks, and the reads built
//! on them (an account, a statement, the aging of what is owed).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{CustomerId, LedgerEntryId, RentalId};
use crate::money::{decimal_str, Currency};

/// What a ledger entry records, and which way it moves the balance (positive balance = the customer owes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A rental's charge, posted by the return that closed it (+).
    Charge,
    /// Any other debit: a lost or damaged copy, a staff-posted fee (+).
    Fee,
    /// Money received (−). Paying more than is owed leaves a credit.
    Payment,
    /// A debt forgiven, at most what is owed, with a reason (−).
    Waiver,
    /// Money handed back, at most the customer's credit, with a reason (+).
    Refund,
}

impl EntryKind {
    /// The kind's name: `"charge"`, `"fee"`, `"payment"`, `"waiver"`, `"refund"`.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Charge => "charge",
            EntryKind::Fee => "fee",
            EntryKind::Payment => "payment",
            EntryKind::Waiver => "waiver",
            EntryKind::Refund => "refund",
        }
    }

    /// Whether the entry adds to what the customer owes (`charge`, `fee`, `refund`).
    pub fn is_debit(self) -> bool {
        matches!(self, EntryKind::Charge | EntryKind::Fee | EntryKind::Refund)
    }

    /// The entry's effect on the balance: `amount` for a debit, `-amount` for a credit.
    pub fn signed(self, amount: Decimal) -> Decimal {
        if self.is_debit() {
            amount
        } else {
            -amount
        }
    }
}

impl std::str::FromStr for EntryKind {
    type Err = crate::error::Error;

    fn from_str(s: &str) -> crate::error::Result<Self> {
        Ok(match s {
            "charge" => EntryKind::Charge,
            "fee" => EntryKind::Fee,
            "payment" => EntryKind::Payment,
            "waiver" => EntryKind::Waiver,
            "refund" => EntryKind::Refund,
            other => {
                return Err(crate::error::Error::invalid_input(
                    "kind",
                    format!("{other:?} is not one of charge, fee, payment, waiver, refund"),
                ))
            }
        })
    }
}

/// One line of a customer's ledger. Entries are never changed or deleted: a correction is a new entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The entry's id (store-wide, increasing in the order entries were posted).
    pub id: LedgerEntryId,
    /// Whose account.
    pub customer: CustomerId,
    /// What it records.
    pub kind: EntryKind,
    /// How much, never negative (the kind says which way it moves the balance); a free rental's charge is 0.
    #[serde(with = "decimal_str")]
    pub amount: Decimal,
    /// The store's currency.
    pub currency: Currency,
    /// When it happened (a rental's charge: when it was returned).
    pub at: DateTime<Utc>,
    /// The rental it belongs to, if any.
    pub rental: Option<RentalId>,
    /// A note, or the reason a waiver or refund needs.
    pub note: Option<String>,
    /// The customer's balance once this entry was posted.
    #[serde(with = "decimal_str")]
    pub balance_after: Decimal,
}

impl LedgerEntry {
    /// The entry's effect on the balance (negative for payments and waivers).
    pub fn signed_amount(&self) -> Decimal {
        self.kind.signed(self.amount)
    }
}

/// A manual block: staff stopped a customer from renting, with a reason, until a date or until unblocked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Why.
    pub reason: String,
    /// When it was set.
    pub since: DateTime<Utc>,
    /// When it ends by itself, if ever.
    pub until: Option<DateTime<Utc>>,
}

impl Block {
    /// Whether the block holds at `at` (from `since`, before `until`).
    pub fn holds_at(&self, at: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| at < until)
    }
}

/// An open rental of a customer and when it is due, as the overdue limit reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenLoan {
    /// The rental.
    pub rental: RentalId,
    /// When it is due back, if ever.
    pub due_at: Option<DateTime<Utc>>,
}

/// A customer's standing as [`Storage::account`](crate::Storage::account) reads it: the balance (the sum of the
/// ledger), a manual block, and how many rentals are open.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountState {
    /// What the customer owes (negative: the store owes them a credit). Always the sum of the ledger.
    #[serde(with = "decimal_str")]
    pub balance: Decimal,
    /// A manual block, if one is set.
    pub block: Option<Block>,
    /// How many of the customer's rentals are open (counted when read; not stored).
    pub open_rentals: u64,
}

/// A customer's account: the balance, the block if any, and every ledger entry in posting order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Whose account.
    pub customer: CustomerId,
    /// What the customer owes (negative: a credit).
    #[serde(with = "decimal_str")]
    pub balance: Decimal,
    /// The store's currency (`None` while the store has no price plan).
    pub currency: Option<Currency>,
    /// A manual block, if set (it may have ended: see [`Block::holds_at`]).
    pub block: Option<Block>,
    /// The ledger, in posting order.
    pub entries: Vec<LedgerEntry>,
}

/// A customer's ledger over `[start, end)`: the balance before, the entries dated in the period, the balance after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Whose account.
    pub customer: CustomerId,
    /// The period's first instant.
    pub start: DateTime<Utc>,
    /// The instant after the period.
    pub end: DateTime<Utc>,
    /// The sum of every entry dated before `start`.
    #[serde(with = "decimal_str")]
    pub opening_balance: Decimal,
    /// The entries dated in the period, in posting order.
    pub entries: Vec<LedgerEntry>,
    /// `opening_balance` plus the period's entries.
    #[serde(with = "decimal_str")]
    pub closing_balance: Decimal,
}

/// One customer's row of the aging report: what they owe, split by how long it has been owed.
///
/// Credits (payments, waivers) settle the oldest debits first; what is left of each debit is aged from its date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgedBalance {
    /// Whose account.
    pub customer: CustomerId,
    /// The whole balance (the sum of the four buckets).
    #[serde(with = "decimal_str")]
    pub balance: Decimal,
    /// Owed for 0 to 30 days.
    #[serde(with = "decimal_str")]
    pub days_0_30: Decimal,
    /// Owed for 31 to 60 days.
    #[serde(with = "decimal_str")]
    pub days_31_60: Decimal,
    /// Owed for 61 to 90 days.
    #[serde(with = "decimal_str")]
    pub days_61_90: Decimal,
    /// Owed for more than 90 days.
    #[serde(with = "decimal_str")]
    pub days_over_90: Decimal,
}

impl AgedBalance {
    /// Ages what `entries` (one customer's ledger, in posting order) leave owed at `as_of`. `None` when nothing
    /// is owed (a zero balance or a credit).
    pub fn of(
        customer: CustomerId,
        entries: &[LedgerEntry],
        as_of: DateTime<Utc>,
    ) -> Option<AgedBalance> {
        // Debits not yet settled, oldest first: (date, amount left).
        let mut debits: Vec<(DateTime<Utc>, Decimal)> = Vec::new();
        let mut credit = Decimal::ZERO;
        let mut ordered: Vec<&LedgerEntry> = entries.iter().collect();
        ordered.sort_by_key(|e| (e.at, e.id));
        for entry in ordered {
            if entry.kind.is_debit() {
                let settled = credit.min(entry.amount);
                credit -= settled;
                let left = entry.amount - settled;
                if !left.is_zero() {
                    debits.push((entry.at, left));
                }
            } else {
                let mut amount = entry.amount;
                for debit in debits.iter_mut() {
                    let settled = amount.min(debit.1);
                    debit.1 -= settled;
                    amount -= settled;
                    if amount.is_zero() {
                        break;
                    }
                }
                debits.retain(|d| !d.1.is_zero());
                credit += amount;
            }
        }
        if debits.is_empty() {
            return None;
        }
        let mut row = AgedBalance {
            customer,
            balance: Decimal::ZERO,
            days_0_30: Decimal::ZERO,
            days_31_60: Decimal::ZERO,
            days_61_90: Decimal::ZERO,
            days_over_90: Decimal::ZERO,
        };
        for (at, amount) in debits {
            let days = (as_of - at).num_days().max(0);
            let bucket = match days {
                0..=30 => &mut row.days_0_30,
                31..=60 => &mut row.days_31_60,
                61..=90 => &mut row.days_61_90,
                _ => &mut row.days_over_90,
            };
            *bucket += amount;
            row.balance += amount;
        }
        Some(row)
    }
}
