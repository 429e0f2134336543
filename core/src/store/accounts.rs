//! The account side of [`BookStore`]: the ledger, statements, aging, blocks and idempotent writes.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::book_store::BookStore;
use crate::domain::{Account, AgedBalance, Block, LedgerEntry, Statement};
use crate::engine::Operation;
use crate::error::{Error, Result};
use crate::ids::CustomerId;
use crate::storage::{Records, Storage};

impl<S: Storage> BookStore<S> {
    /// A customer's account: the balance (positive: the customer owes), the store's currency, a manual block if
    /// set, and every ledger entry in posting order.
    ///
    /// ```
    /// use chrono::{Duration, TimeZone, Utc};
    /// use koko_core::{BookStore, Decimal, NewBook, NewCustomer, PricePlan};
    ///
    /// let store = BookStore::in_memory(PricePlan::story3()).unwrap();
    /// let book = store.add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 1).unwrap();
    /// let ada = store.register_customer(&NewCustomer::new("Ada", "Lovelace")).unwrap();
    /// let monday = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();
    /// let rental = store.rent_book_at(ada.id, book.id, monday).unwrap();
    /// let receipt = store.return_rental_at(rental.id, monday + Duration::days(2)).unwrap();
    /// assert_eq!(receipt.balance.to_string(), "4.50");
    /// store.pay(ada.id, Decimal::new(500, 2), Some("cash")).unwrap();
    /// let account = store.account(ada.id).unwrap();
    /// assert_eq!(account.balance.to_string(), "-0.50"); // a credit of 0.50
    /// assert_eq!(account.entries.len(), 2);
    /// ```
    pub fn account(&self, customer: CustomerId) -> Result<Account> {
        let state = self.storage.account(customer)?;
        let entries = self.storage.ledger(customer)?.collect::<Result<Vec<_>>>()?;
        Ok(Account {
            customer,
            balance: self.at_scale(state.balance),
            currency: self.currency(),
            block: state.block,
            entries,
        })
    }

    /// The store's currency: its first plan version's (every version uses it). `None` before any plan.
    pub fn currency(&self) -> Option<crate::money::Currency> {
        self.plan_versions()
            .iter()
            .min_by_key(|v| v.id)
            .map(|v| v.plan.currency())
    }

    /// An amount written with the store currency's decimals (a balance of nothing is `0.00`, not `0`).
    fn at_scale(&self, mut amount: Decimal) -> Decimal {
        if let Some(currency) = self.currency() {
            if amount.scale() < currency.minor_unit() {
                amount.rescale(currency.minor_unit());
            }
        }
        amount
    }

    /// A customer's statement over `[start, end)`: the balance before `start`, the entries dated in the period
    /// (in posting order) and the balance after them.
    ///
    /// Read from the ledger by date: the period's entries, and for the opening balance either the entries before
    /// `start` (their sum) or those from `end` on (the balance less them and the period), reading both sides a
    /// step at a time and answering from whichever ends first. A statement costs its entries and twice the
    /// shorter side, so an old history costs a recent statement nothing, and a long one since costs an old
    /// statement nothing.
    pub fn statement(
        &self,
        customer: CustomerId,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Statement> {
        if end < start {
            return Err(Error::invalid_input("end", "must not be before start"));
        }
        let balance = self.storage.account(customer)?.balance;
        let mut entries = self
            .storage
            .ledger_between(customer, Some(start), Some(end), false)?
            .collect::<Result<Vec<_>>>()?;
        entries.sort_by_key(|entry| entry.id);
        let period: Decimal = entries.iter().map(LedgerEntry::signed_amount).sum();
        let mut before = self
            .storage
            .ledger_between(customer, None, Some(start), false)?;
        let mut since = self
            .storage
            .ledger_between(customer, Some(end), None, true)?;
        let (mut sum_before, mut sum_since) = (Decimal::ZERO, Decimal::ZERO);
        let opening = loop {
            match before.next() {
                None => break sum_before,
                Some(entry) => sum_before += entry?.signed_amount(),
            }
            match since.next() {
                None => break balance - sum_since - period,
                Some(entry) => sum_since += entry?.signed_amount(),
            }
        };
        Ok(Statement {
            customer,
            start,
            end,
            opening_balance: self.at_scale(opening),
            entries,
            closing_balance: self.at_scale(opening + period),
        })
    }

    /// Every customer who owes something, with what they owe split by age (0–30, 31–60, 61–90, 90+ days at
    /// `as_of`), in customer id order, streamed: one customer's ledger in memory at a time, the customers read from
    /// an index of those who owe (those who owe nothing cost nothing).
    pub fn aged_balances(&self, as_of: DateTime<Utc>) -> Result<Records<'_, AgedBalance>> {
        let customers = self.storage.customers_owing_after(None)?;
        Ok(Box::new(customers.filter_map(move |customer| {
            let aged = (|| {
                let customer = customer?;
                let entries = self.storage.ledger(customer)?.collect::<Result<Vec<_>>>()?;
                Ok(AgedBalance::of(customer, &entries, as_of).map(|mut row| {
                    for amount in [
                        &mut row.balance,
                        &mut row.days_0_30,
                        &mut row.days_31_60,
                        &mut row.days_61_90,
                        &mut row.days_over_90,
                    ] {
                        *amount = self.at_scale(*amount);
                    }
                    row
                }))
            })();
            aged.transpose()
        })))
    }

    /// Records a payment now, in the store's currency (see [`Operation::Pay`]).
    pub fn pay(
        &self,
        customer: CustomerId,
        amount: Decimal,
        note: Option<&str>,
    ) -> Result<LedgerEntry> {
        self.storage
            .apply(Operation::Pay {
                customer,
                amount,
                currency: None,
                at: self.now(),
                note: note.map(str::to_owned),
            })?
            .into_entry()
    }

    /// Waives `amount` of what a customer owes now (at most the balance), with a reason.
    pub fn waive(
        &self,
        customer: CustomerId,
        amount: Decimal,
        reason: &str,
    ) -> Result<LedgerEntry> {
        self.storage
            .apply(Operation::Waive {
                customer,
                amount,
                at: self.now(),
                reason: reason.to_owned(),
            })?
            .into_entry()
    }

    /// Refunds `amount` of a customer's credit now (at most the credit), with a reason.
    pub fn refund(
        &self,
        customer: CustomerId,
        amount: Decimal,
        reason: &str,
    ) -> Result<LedgerEntry> {
        self.storage
            .apply(Operation::Refund {
                customer,
                amount,
                at: self.now(),
                reason: reason.to_owned(),
            })?
            .into_entry()
    }

    /// Blocks a customer from renting now, with a reason, until `until` or until unblocked.
    pub fn block_customer(
        &self,
        customer: CustomerId,
        reason: &str,
        until: Option<DateTime<Utc>>,
    ) -> Result<Option<Block>> {
        self.apply(Operation::BlockCustomer {
            customer,
            reason: reason.to_owned(),
            at: self.now(),
            until,
        })?
        .into_block()
    }

    /// Lifts a customer's manual block.
    pub fn unblock_customer(&self, customer: CustomerId) -> Result<()> {
        self.apply(Operation::UnblockCustomer { customer })?
            .into_block()
            .map(|_| ())
    }

    /// Forgets idempotency keys first used before `before`; answers how many.
    pub fn prune_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64> {
        self.storage.prune_idempotency_keys(before)
    }
}
