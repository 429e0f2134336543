//! The transactional view: what the engine reads and writes during one operation, implemented by every backend
//! (memory, sled, PostgreSQL) over its own transaction and indexes. The backends decide nothing: every rule is
//! in the engine's other modules, written once against this trait.
//!
//! Also here: the records a backend keeps for the engine beside the domain's (a customer's [`StoredAccount`], an
//! idempotency key's [`KeyRecord`]) and the helpers every rule uses ([`require`], [`reindex`], [`account`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::operation::Outcome;
use crate::domain::{
    AccountState, Block, Book, BookCopy, CopyStatus, Customer, Event, Hold, LedgerEntry, NewEvent,
    Rental, WordIndex,
};
use crate::error::Error;
use crate::ids::{BookId, CopyId, CustomerId, HoldId, PlanVersionId, RentalId};
use crate::pricing::PlanVersion;

/// The counters behind each kind of id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdKind {
    Book,
    Copy,
    Customer,
    Rental,
    PlanVersion,
    LedgerEntry,
    Hold,
}

impl IdKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            IdKind::Book => "book",
            IdKind::Copy => "copy",
            IdKind::Customer => "customer",
            IdKind::Rental => "rental",
            IdKind::PlanVersion => "plan_version",
            IdKind::LedgerEntry => "ledger_entry",
            IdKind::Hold => "hold",
        }
    }
}

/// One transaction's reads and writes. `E` is the backend's transaction error, which can carry a Koko [`Error`].
pub(crate) trait TxView {
    type E: From<Error>;

    /// Takes the next id of a kind (ids start at 1 and are never reused).
    fn next_id(&mut self, kind: IdKind) -> Result<u64, Self::E>;
    /// Makes sure the next id of a kind is above `id` (a restore keeps its records' ids).
    fn raise_counter(&mut self, kind: IdKind, id: u64) -> Result<(), Self::E>;

    fn book(&mut self, id: BookId) -> Result<Option<Book>, Self::E>;
    fn put_book(&mut self, book: &Book) -> Result<(), Self::E>;
    fn title_owner(&mut self, key: &str) -> Result<Option<BookId>, Self::E>;
    fn set_title_owner(&mut self, key: &str, owner: Option<BookId>) -> Result<(), Self::E>;
    fn isbn_owner(&mut self, isbn: &str) -> Result<Option<BookId>, Self::E>;
    fn set_isbn_owner(&mut self, isbn: &str, owner: Option<BookId>) -> Result<(), Self::E>;
    fn copy_ids(&mut self, book: BookId) -> Result<Vec<CopyId>, Self::E>;
    fn put_copy_ids(&mut self, book: BookId, copies: &[CopyId]) -> Result<(), Self::E>;

    fn copy(&mut self, id: CopyId) -> Result<Option<BookCopy>, Self::E>;
    fn put_copy(&mut self, copy: &BookCopy) -> Result<(), Self::E>;

    fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>, Self::E>;
    fn put_customer(&mut self, customer: &Customer) -> Result<(), Self::E>;
    /// The customer whose e-mail address has the key `key` ([`email_key`](crate::domain::email_key)), if any.
    fn email_owner(&mut self, key: &str) -> Result<Option<CustomerId>, Self::E>;
    /// Makes `owner` the customer of the e-mail key `key` (`None`: nobody's).
    fn set_email_owner(&mut self, key: &str, owner: Option<CustomerId>) -> Result<(), Self::E>;

    fn rental(&mut self, id: RentalId) -> Result<Option<Rental>, Self::E>;
    /// Stores a rental and keeps the open-rental and per-customer indexes in step with it.
    fn put_rental(&mut self, rental: &Rental) -> Result<(), Self::E>;

    /// The first available copy of a book, in copy id order. The default walks the book's copies; backends with
    /// an availability index override it.
    fn first_available_copy(&mut self, book: BookId) -> Result<Option<BookCopy>, Self::E> {
        for id in self.copy_ids(book)? {
            let copy = require(self.copy(id)?, CopyId::ENTITY, id)?;
            if copy.status == CopyStatus::Available {
                return Ok(Some(copy));
            }
        }
        Ok(None)
    }

    /// A stored plan version.
    fn plan_version(&mut self, id: PlanVersionId) -> Result<Option<Arc<PlanVersion>>, Self::E>;
    /// The plan version in force at `at` (see [`crate::version_in_force`]).
    fn plan_in_force(&mut self, at: DateTime<Utc>) -> Result<Option<Arc<PlanVersion>>, Self::E>;
    /// Whether a plan version starts exactly at `at`.
    fn plan_starts_at(&mut self, at: DateTime<Utc>) -> Result<bool, Self::E>;
    /// Stores a new plan version.
    fn put_plan_version(&mut self, version: &PlanVersion) -> Result<(), Self::E>;
    /// The first plan version (the lowest id), whose currency is the store's.
    fn first_plan(&mut self) -> Result<Option<Arc<PlanVersion>>, Self::E>;

    /// How many open rentals a customer has: a count kept with the customer's open rentals, not a walk of them.
    fn count_open_rentals(&mut self, customer: CustomerId) -> Result<u64, Self::E>;
    /// How many of a customer's open rentals were due before `at` (overdue at `at`), counted up to `at_most` from
    /// an index of their open rentals by due date: a limit needs no more, and those not yet due cost nothing.
    fn count_overdue_rentals(
        &mut self,
        customer: CustomerId,
        at: DateTime<Utc>,
        at_most: usize,
    ) -> Result<usize, Self::E>;
    /// A customer's account (`None`: nothing stored yet — a zero balance, no block, no open rental). A backend
    /// that runs transactions concurrently locks it until the transaction ends.
    fn account(&mut self, customer: CustomerId) -> Result<Option<StoredAccount>, Self::E>;
    /// Stores a customer's account.
    fn put_account(&mut self, customer: CustomerId, account: &StoredAccount)
        -> Result<(), Self::E>;
    /// Appends a ledger entry.
    fn put_entry(&mut self, entry: &LedgerEntry) -> Result<(), Self::E>;

    /// A hold (its `position` is not filled in).
    fn hold(&mut self, id: HoldId) -> Result<Option<Hold>, Self::E>;
    /// Stores a hold and keeps the indexes in step with its status: the book's queue of waiting holds, the ready
    /// holds, the customer's holds.
    fn put_hold(&mut self, hold: &Hold) -> Result<(), Self::E>;
    /// The first waiting hold of a book (the lowest id), if any.
    fn first_waiting_hold(&mut self, book: BookId) -> Result<Option<Hold>, Self::E>;
    /// The customer's waiting or ready hold on `book`, if any (a customer has at most one).
    fn active_hold_on(
        &mut self,
        customer: CustomerId,
        book: BookId,
    ) -> Result<Option<Hold>, Self::E>;
    /// How many waiting and ready holds the customer has, counted up to `at_most`: a limit needs no more.
    fn count_active_holds(
        &mut self,
        customer: CustomerId,
        at_most: usize,
    ) -> Result<usize, Self::E>;
    /// The ready holds whose pickup ended before `at` (`ready_until < at`), in id order: read from an index by
    /// `ready_until`, so the holds still waiting to be picked up cost nothing.
    fn ready_holds_before(&mut self, at: DateTime<Utc>) -> Result<Vec<Hold>, Self::E>;
    /// When the notice `key` was marked sent, if it was.
    fn notified(&mut self, key: &str) -> Result<Option<DateTime<Utc>>, Self::E>;
    /// Marks the notice `key` sent at `at`.
    fn put_notified(&mut self, key: &str, at: DateTime<Utc>) -> Result<(), Self::E>;
    /// Serialises the transactions that change a book's hold queue or free its copies (a no-op where
    /// transactions never run concurrently).
    fn lock_book(&mut self, _book: BookId) -> Result<(), Self::E> {
        Ok(())
    }

    /// Adds (`present`) or removes one word of the search index for record `id`.
    fn put_word(
        &mut self,
        index: WordIndex,
        word: &str,
        id: u64,
        present: bool,
    ) -> Result<(), Self::E>;

    /// Serialises the transactions that use idempotency key `key` (a no-op where transactions never run
    /// concurrently).
    fn lock_key(&mut self, _key: &str) -> Result<(), Self::E> {
        Ok(())
    }
    /// The record of an idempotency key.
    fn idempotency(&mut self, key: &str) -> Result<Option<KeyRecord>, Self::E>;
    /// Stores the record of an idempotency key.
    fn put_idempotency(&mut self, key: &str, record: &KeyRecord) -> Result<(), Self::E>;

    /// Appends an event to the feed: the backend gives it the next position (one past the last ever given, pruned
    /// or not) in the same atomic write as the operation's other writes, so positions are gap-free in commit
    /// order, and a discarded operation gives its positions back.
    fn append_event(&mut self, event: NewEvent) -> Result<(), Self::E>;
    /// The last position given (0: none yet), this transaction's appends included.
    fn last_event_position(&mut self) -> Result<u64, Self::E>;
    /// Makes sure the feed's last position given is at least `position` (a restore).
    fn raise_event_position(&mut self, position: u64) -> Result<(), Self::E>;
    /// Stores an event as it is, position included, and raises the feed's counter to it (a restore).
    fn put_event(&mut self, event: &Event) -> Result<(), Self::E>;
    /// Removes the events before position `before`; answers how many there were.
    fn remove_events_before(&mut self, before: u64) -> Result<u64, Self::E>;
    /// Stores the checkpoint of consumer `name`.
    fn put_checkpoint(&mut self, name: &str, position: u64) -> Result<(), Self::E>;
    /// Removes consumer `name`'s checkpoint; answers the one it had.
    fn remove_checkpoint(&mut self, name: &str) -> Result<Option<u64>, Self::E>;
    /// The consumer with the lowest checkpoint and that checkpoint, if any consumer has one.
    fn lowest_checkpoint(&mut self) -> Result<Option<(String, u64)>, Self::E>;
}

pub(crate) fn require<T, E: From<Error>>(
    record: Option<T>,
    entity: &'static str,
    id: impl std::fmt::Display,
) -> Result<T, E> {
    record.ok_or_else(|| Error::not_found(entity, id).into())
}

/// Moves record `id` in the search index from the words `old` to the words `new` (only the difference is
/// written).
pub(crate) fn reindex<T: TxView>(
    tx: &mut T,
    index: WordIndex,
    id: u64,
    old: &std::collections::BTreeSet<String>,
    new: &std::collections::BTreeSet<String>,
) -> Result<(), T::E> {
    for word in old.difference(new) {
        tx.put_word(index, word, id, false)?;
    }
    for word in new.difference(old) {
        tx.put_word(index, word, id, true)?;
    }
    Ok(())
}

/// What a store keeps per customer beside the ledger: the balance (always the ledger's sum) and a manual block.
/// Constant-size and written only by ledger and block operations — a rent reads it and writes nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredAccount {
    /// What the customer owes (negative: a credit).
    #[serde(with = "crate::money::decimal_str")]
    pub(crate) balance: Decimal,
    /// A manual block, if one is set.
    pub(crate) block: Option<Block>,
}

impl StoredAccount {
    /// The public view, with the open-rental count the backend counted.
    pub(crate) fn with_open(self, open_rentals: u64) -> AccountState {
        AccountState {
            balance: self.balance,
            block: self.block,
            open_rentals,
        }
    }
}

/// What a store keeps per idempotency key: the request it answered and its outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct KeyRecord {
    /// The request, as the idempotency rules write it (`idempotency::fingerprint`).
    pub(crate) request: String,
    /// The first answer.
    pub(crate) outcome: Outcome,
    /// When the key was first used.
    pub(crate) recorded_at: DateTime<Utc>,
}

impl KeyRecord {
    pub(crate) fn encode(&self) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(self)
            .map_err(|e| Error::Corruption(format!("cannot encode an idempotency key: {e}")))
    }

    pub(crate) fn decode(raw: &[u8]) -> Result<Self, Error> {
        serde_json::from_slice(raw)
            .map_err(|e| Error::Corruption(format!("cannot decode an idempotency key: {e}")))
    }
}

/// The account of a customer, as stored or empty.
pub(crate) fn account<T: TxView>(tx: &mut T, customer: CustomerId) -> Result<StoredAccount, T::E> {
    Ok(tx.account(customer)?.unwrap_or_default())
}
