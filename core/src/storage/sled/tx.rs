//! [`TxView`] over [`SledTx`] (see `layer.rs`): the committer's view of one operation inside a batch — sled's
//! committed state under the effects of the batch's earlier operations, under this operation's own writes.
//!
//! Nothing is written to sled here. An accepted operation's layer is merged into the batch's; a rejected one's
//! is dropped, so it changes nothing. The committer then writes the batch's layer in one sled transaction.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};

use super::layer::SledTx;
use super::layout::{
    account_key, available_key, customer_rental_key, customer_rental_value, decode_u64, due_key,
    encode, entry_key, hold_key, id_key, instant_key, ledger_date_key, open_due_key, open_prefix,
    open_rental_key, owing_key, ready_until_bound, ready_until_key, rental_entry_key, returned_key,
    status_key, word_key, OpenRecord, ACCOUNTS, ACTIVE, ACTIVE_OF, ACTIVE_ON, AVAILABLE, BOOKS,
    BOOK_COPIES, CLOSED, CLOSED_RENTALS, COPIES, CUSTOMERS, CUSTOMER_HOLD, CUSTOMER_RENTALS,
    EMAILS, HOLD, HOLDS, HOLD_COUNTER, IDEMPOTENCY, ISBNS, LEDGER_COUNTER, LOST, META, NOTICES,
    OPEN_BY_DUE, OPEN_COUNT, OPEN_DUE, OPEN_OF_CUSTOMER, PLANS, PLAN_STARTS, QUEUE_LENGTH, READY,
    READY_BY_BOOK, READY_UNTIL, RENTALS, TITLES, WAITING, WORDS,
};
use super::layout::{checkpoint_key, event_key, event_type_key, CHECKPOINT, EVENTS, EVENT_COUNTER};
use crate::domain::{
    Book, BookCopy, CopyStatus, Customer, Event, EventKind, Hold, HoldStatus, LedgerEntry,
    NewEvent, Rental, RentalStatus, WordIndex,
};
use crate::engine::{in_force, IdKind, KeyRecord, StoredAccount, TxView};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, HoldId, PlanVersionId, RentalId};
use crate::pricing::PlanVersion;

impl TxView for SledTx<'_> {
    type E = Error;

    fn next_id(&mut self, kind: IdKind) -> Result<u64> {
        let (tree, key) = counter_key(kind);
        let next = self.with_raw(tree, &key, |raw| match raw {
            Some(raw) => Ok(decode_u64(raw)? + 1),
            None => Ok(1),
        })?;
        self.set(tree, &key, Some(id_key(next).to_vec()));
        Ok(next)
    }

    fn raise_counter(&mut self, kind: IdKind, id: u64) -> Result<()> {
        let (tree, key) = counter_key(kind);
        let last = self.with_raw(tree, &key, |raw| raw.map(decode_u64).transpose())?;
        if last.is_none_or(|last| last < id) {
            self.set(tree, &key, Some(id_key(id).to_vec()));
        }
        Ok(())
    }

    fn book(&mut self, id: BookId) -> Result<Option<Book>> {
        self.get(BOOKS, &id_key(id.get()))
    }

    fn put_book(&mut self, book: &Book) -> Result<()> {
        self.put(BOOKS, &id_key(book.id.get()), book)
    }

    fn title_owner(&mut self, key: &str) -> Result<Option<BookId>> {
        self.owner(TITLES, key.as_bytes())
    }

    fn set_title_owner(&mut self, key: &str, owner: Option<BookId>) -> Result<()> {
        self.set_owner(TITLES, key.as_bytes(), owner);
        Ok(())
    }

    fn isbn_owner(&mut self, isbn: &str) -> Result<Option<BookId>> {
        self.owner(ISBNS, isbn.as_bytes())
    }

    fn set_isbn_owner(&mut self, isbn: &str, owner: Option<BookId>) -> Result<()> {
        self.set_owner(ISBNS, isbn.as_bytes(), owner);
        Ok(())
    }

    fn copy_ids(&mut self, book: BookId) -> Result<Vec<CopyId>> {
        Ok(self
            .get(BOOK_COPIES, &id_key(book.get()))?
            .unwrap_or_default())
    }

    fn put_copy_ids(&mut self, book: BookId, copies: &[CopyId]) -> Result<()> {
        self.put(BOOK_COPIES, &id_key(book.get()), &copies)
    }

    fn copy(&mut self, id: CopyId) -> Result<Option<BookCopy>> {
        self.get(COPIES, &id_key(id.get()))
    }

    fn put_copy(&mut self, copy: &BookCopy) -> Result<()> {
        let index = available_key(copy.book, copy.id);
        if copy.status == CopyStatus::Available {
            self.set(AVAILABLE, &index, Some(Vec::new()));
        } else {
            self.set(AVAILABLE, &index, None);
        }
        self.put(COPIES, &id_key(copy.id.get()), copy)
    }

    fn first_available_copy(&mut self, book: BookId) -> Result<Option<BookCopy>> {
        let Some(key) = self.first_under(AVAILABLE, &id_key(book.get()))? else {
            return Ok(None);
        };
        let id = CopyId::new(decode_u64(key.get(8..).unwrap_or_default())?);
        match self.copy(id)? {
            Some(copy) if copy.status == CopyStatus::Available => Ok(Some(copy)),
            other => Err(Error::Corruption(format!(
                "the availability index names copy {id} of book {book}, which is {other:?}"
            ))),
        }
    }

    fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>> {
        self.get(CUSTOMERS, &id_key(id.get()))
    }

    fn email_owner(&mut self, key: &str) -> Result<Option<CustomerId>> {
        self.with_raw(EMAILS, key.as_bytes(), |raw| {
            raw.map(|raw| decode_u64(raw).map(CustomerId::new))
                .transpose()
        })
    }

    fn set_email_owner(&mut self, key: &str, owner: Option<CustomerId>) -> Result<()> {
        self.set(
            EMAILS,
            key.as_bytes(),
            owner.map(|id| id_key(id.get()).to_vec()),
        );
        Ok(())
    }

    fn put_customer(&mut self, customer: &Customer) -> Result<()> {
        self.put(CUSTOMERS, &id_key(customer.id.get()), customer)
    }

    fn rental(&mut self, id: RentalId) -> Result<Option<Rental>> {
        self.get(RENTALS, &id_key(id.get()))
    }

    fn put_rental(&mut self, rental: &Rental) -> Result<()> {
        let key = id_key(rental.id.get());
        let old: Option<Rental> = self.get(RENTALS, &key)?;
        if let Some(due) = old.as_ref().and_then(|old| old.due_at) {
            self.set(OPEN_BY_DUE, &due_key(due, rental.id), None);
        }
        if let Some(returned) = old.as_ref().and_then(|old| old.returned_at) {
            self.set(CLOSED_RENTALS, &returned_key(returned, rental.id), None);
        }
        if let Some(returned) = rental.returned_at {
            self.set(
                CLOSED_RENTALS,
                &returned_key(returned, rental.id),
                Some(Vec::new()),
            );
        }
        let status = rental.status();
        for (tag, of) in [(CLOSED, RentalStatus::Closed), (LOST, RentalStatus::Lost)] {
            let present = (status == of).then(Vec::new);
            if present.is_some() || old.as_ref().is_some_and(|old| old.status() == of) {
                self.set(CLOSED_RENTALS, &status_key(tag, rental.id.get()), present);
            }
        }
        if let (None, Some(due)) = (rental.returned_at, rental.due_at) {
            self.set(OPEN_BY_DUE, &due_key(due, rental.id), Some(Vec::new()));
        }
        let was_open = old.as_ref().is_some_and(|old| old.returned_at.is_none());
        let is_open = rental.returned_at.is_none();
        if let Some(due) = old.as_ref().filter(|_| was_open).and_then(|old| old.due_at) {
            self.set(
                OPEN_OF_CUSTOMER,
                &open_due_key(rental.customer, due, rental.id),
                None,
            );
        }
        if let (true, Some(due)) = (is_open, rental.due_at) {
            let key = open_due_key(rental.customer, due, rental.id);
            self.set(OPEN_OF_CUSTOMER, &key, Some(Vec::new()));
        }
        if was_open != is_open {
            let count_key = open_prefix(OPEN_COUNT, rental.customer);
            let count = self.open_count(rental.customer)?;
            let count = if is_open {
                count.saturating_add(1)
            } else {
                count.saturating_sub(1)
            };
            let value = (count > 0).then(|| count.to_be_bytes().to_vec());
            self.set(OPEN_OF_CUSTOMER, &count_key, value);
        }
        self.set(
            OPEN_OF_CUSTOMER,
            &open_rental_key(rental.customer, rental.id),
            is_open.then(Vec::new),
        );
        if rental.returned_at.is_none() {
            self.set(ACTIVE, &key, Some(OpenRecord::encode(rental)?));
        } else {
            self.set(ACTIVE, &key, None);
        }
        self.set(RENTALS, &key, Some(encode(rental)?));
        self.set(
            CUSTOMER_RENTALS,
            &customer_rental_key(rental.customer, rental.id),
            Some(customer_rental_value(rental)?),
        );
        Ok(())
    }

    fn plan_version(&mut self, id: PlanVersionId) -> Result<Option<Arc<PlanVersion>>> {
        Ok(self.plans().find(|v| v.id == id).cloned())
    }

    fn plan_in_force(&mut self, at: DateTime<Utc>) -> Result<Option<Arc<PlanVersion>>> {
        Ok(in_force(self.plans(), at).cloned())
    }

    fn plan_starts_at(&mut self, at: DateTime<Utc>) -> Result<bool> {
        Ok(self.plans().any(|v| v.effective_from == at))
    }

    fn put_plan_version(&mut self, version: &PlanVersion) -> Result<()> {
        let json = serde_json::to_vec(version)
            .map_err(|e| Error::Corruption(format!("cannot encode a plan version: {e}")))?;
        let key = id_key(version.id.get());
        self.set(PLANS, &key, Some(json));
        self.set(
            PLAN_STARTS,
            start_key(version.effective_from).as_bytes(),
            Some(key.to_vec()),
        );
        self.plans.push(Arc::new(version.clone()));
        Ok(())
    }

    fn first_plan(&mut self) -> Result<Option<Arc<PlanVersion>>> {
        Ok(self.plans().min_by_key(|v| v.id).cloned())
    }

    fn count_open_rentals(&mut self, customer: CustomerId) -> Result<u64> {
        self.open_count(customer)
    }

    fn count_overdue_rentals(
        &mut self,
        customer: CustomerId,
        at: DateTime<Utc>,
        at_most: usize,
    ) -> Result<usize> {
        // Due strictly before `at`: every key of the customer below `d` ++ customer ++ `at`.
        let from = open_prefix(OPEN_DUE, customer);
        let mut to = from.to_vec();
        to.extend_from_slice(&instant_key(at));
        self.count_between(OPEN_OF_CUSTOMER, &from, &to, at_most)
    }

    fn account(&mut self, customer: CustomerId) -> Result<Option<StoredAccount>> {
        self.get(ACCOUNTS, &account_key(customer))
    }

    fn put_account(&mut self, customer: CustomerId, account: &StoredAccount) -> Result<()> {
        let owes = account.balance > rust_decimal::Decimal::ZERO;
        self.set(ACCOUNTS, &owing_key(customer.get()), owes.then(Vec::new));
        self.put(ACCOUNTS, &account_key(customer), account)
    }

    fn put_entry(&mut self, entry: &LedgerEntry) -> Result<()> {
        if let Some(rental) = entry.rental {
            self.set(
                ACCOUNTS,
                &rental_entry_key(rental, entry.id.get()),
                Some(id_key(entry.customer.get()).to_vec()),
            );
        }
        self.set(
            ACCOUNTS,
            &ledger_date_key(entry.customer, entry.at, entry.id.get()),
            Some(Vec::new()),
        );
        self.put(ACCOUNTS, &entry_key(entry.customer, entry.id.get()), entry)
    }

    fn hold(&mut self, id: HoldId) -> Result<Option<Hold>> {
        self.get(HOLDS, &hold_key(HOLD, id.get(), None))
    }

    fn put_hold(&mut self, hold: &Hold) -> Result<()> {
        let present = |on: bool| on.then(Vec::new);
        let old = self.hold(hold.id)?;
        if let Some(until) = old.as_ref().and_then(|old| old.ready_until) {
            self.set(HOLDS, &ready_until_key(until, hold.id.get()), None);
        }
        let was_waiting = old.is_some_and(|old| old.status == HoldStatus::Waiting);
        let waits = hold.status == HoldStatus::Waiting;
        if was_waiting != waits {
            let key = hold_key(QUEUE_LENGTH, hold.book.get(), None);
            let length = self.with_raw(HOLDS, &key, |raw| raw.map_or(Ok(0), decode_u64))?;
            let length = if waits {
                length.saturating_add(1)
            } else {
                length.saturating_sub(1)
            };
            self.set(
                HOLDS,
                &key,
                (length > 0).then(|| length.to_be_bytes().to_vec()),
            );
        }
        let ready = hold.status == HoldStatus::Ready;
        if let (true, Some(until)) = (ready, hold.ready_until) {
            self.set(
                HOLDS,
                &ready_until_key(until, hold.id.get()),
                Some(Vec::new()),
            );
        }
        self.set(
            HOLDS,
            &hold_key(READY_BY_BOOK, hold.book.get(), Some(hold.id.get())),
            present(ready),
        );
        self.set(
            HOLDS,
            &hold_key(ACTIVE_OF, hold.customer.get(), Some(hold.id.get())),
            present(hold.status.is_active()),
        );
        self.set(
            HOLDS,
            &hold_key(ACTIVE_ON, hold.customer.get(), Some(hold.book.get())),
            hold.status
                .is_active()
                .then(|| id_key(hold.id.get()).to_vec()),
        );
        self.set(
            HOLDS,
            &hold_key(WAITING, hold.book.get(), Some(hold.id.get())),
            present(hold.status == HoldStatus::Waiting),
        );
        self.set(
            HOLDS,
            &hold_key(READY, hold.id.get(), None),
            present(hold.status == HoldStatus::Ready),
        );
        let active = if hold.status.is_active() {
            vec![1]
        } else {
            Vec::new()
        };
        self.set(
            HOLDS,
            &hold_key(CUSTOMER_HOLD, hold.customer.get(), Some(hold.id.get())),
            Some(active),
        );
        let mut stored = hold.clone();
        stored.position = None;
        self.put(HOLDS, &hold_key(HOLD, hold.id.get(), None), &stored)
    }

    fn first_waiting_hold(&mut self, book: BookId) -> Result<Option<Hold>> {
        let prefix = hold_key(WAITING, book.get(), None);
        let Some(key) = self.first_under(HOLDS, &prefix)? else {
            return Ok(None);
        };
        let id = HoldId::new(decode_u64(key.get(9..).unwrap_or_default())?);
        match self.hold(id)? {
            Some(hold) if hold.status == HoldStatus::Waiting => Ok(Some(hold)),
            other => Err(Error::Corruption(format!(
                "the queue of book {book} names hold {id}, which is {other:?}"
            ))),
        }
    }

    fn active_hold_on(&mut self, customer: CustomerId, book: BookId) -> Result<Option<Hold>> {
        let key = hold_key(ACTIVE_ON, customer.get(), Some(book.get()));
        let Some(id) = self.with_raw(HOLDS, &key, |raw| raw.map(decode_u64).transpose())? else {
            return Ok(None);
        };
        let id = HoldId::new(id);
        match self.hold(id)? {
            Some(hold) => Ok(Some(hold)),
            None => Err(Error::Corruption(format!(
                "customer {customer}'s hold on book {book} is hold {id}, which does not exist"
            ))),
        }
    }

    fn count_active_holds(&mut self, customer: CustomerId, at_most: usize) -> Result<usize> {
        self.count_under(HOLDS, &hold_key(ACTIVE_OF, customer.get(), None), at_most)
    }

    fn ready_holds_before(&mut self, at: DateTime<Utc>) -> Result<Vec<Hold>> {
        let mut holds = Vec::new();
        let bound = ready_until_bound(at);
        for key in self.all_between(HOLDS, &[READY_UNTIL], &bound)? {
            let id = HoldId::new(decode_u64(key.get(13..).unwrap_or_default())?);
            holds.push(self.hold(id)?.ok_or_else(|| {
                Error::Corruption(format!(
                    "the ready holds name hold {id}, which does not exist"
                ))
            })?);
        }
        holds.sort_by_key(|h| h.id);
        Ok(holds)
    }

    fn put_word(&mut self, index: WordIndex, word: &str, id: u64, present: bool) -> Result<()> {
        self.set(WORDS, &word_key(index, word, id), present.then(Vec::new));
        Ok(())
    }

    fn notified(&mut self, key: &str) -> Result<Option<DateTime<Utc>>> {
        self.get(NOTICES, key.as_bytes())
    }

    fn put_notified(&mut self, key: &str, at: DateTime<Utc>) -> Result<()> {
        self.put(NOTICES, key.as_bytes(), &at)
    }

    fn idempotency(&mut self, key: &str) -> Result<Option<KeyRecord>> {
        self.with_raw(IDEMPOTENCY, key.as_bytes(), |raw| {
            raw.map(KeyRecord::decode).transpose()
        })
    }

    fn put_idempotency(&mut self, key: &str, record: &KeyRecord) -> Result<()> {
        let raw = record.encode()?;
        self.set(IDEMPOTENCY, key.as_bytes(), Some(raw));
        Ok(())
    }

    fn append_event(&mut self, event: NewEvent) -> Result<()> {
        // The committer is the one writer: the counter read through the batch's layers is the last position
        // given, and the batch commits its events with its other writes in one sled transaction.
        let position = self.last_event_position()? + 1;
        let event = event.at_position(position);
        self.set(EVENTS, EVENT_COUNTER, Some(id_key(position).to_vec()));
        self.set(
            EVENTS,
            &event_type_key(event.kind, position),
            Some(Vec::new()),
        );
        self.set(EVENTS, &event_key(position), Some(event.encode()?));
        Ok(())
    }

    fn last_event_position(&mut self) -> Result<u64> {
        self.with_raw(EVENTS, EVENT_COUNTER, |raw| raw.map_or(Ok(0), decode_u64))
    }

    fn raise_event_position(&mut self, position: u64) -> Result<()> {
        if self.last_event_position()? < position {
            self.set(EVENTS, EVENT_COUNTER, Some(id_key(position).to_vec()));
        }
        Ok(())
    }

    fn put_event(&mut self, event: &Event) -> Result<()> {
        self.raise_event_position(event.position)?;
        let key = event_key(event.position);
        let replaced = self.with_raw(EVENTS, &key, |raw| raw.map(Event::decode).transpose())?;
        if let Some(old) = replaced {
            self.set(EVENTS, &event_type_key(old.kind, old.position), None);
        }
        self.set(
            EVENTS,
            &event_type_key(event.kind, event.position),
            Some(Vec::new()),
        );
        self.set(EVENTS, &key, Some(event.encode()?));
        Ok(())
    }

    fn remove_events_before(&mut self, before: u64) -> Result<u64> {
        let keys = self.all_between(EVENTS, &event_key(0), &event_key(before))?;
        for key in &keys {
            self.set(EVENTS, key, None);
        }
        // The feed by type: each type's range below `before`, so no pruned event is read.
        for kind in EventKind::ALL {
            let from = event_type_key(kind, 0);
            for key in self.all_between(EVENTS, &from, &event_type_key(kind, before))? {
                self.set(EVENTS, &key, None);
            }
        }
        Ok(keys.len() as u64)
    }

    fn put_checkpoint(&mut self, name: &str, position: u64) -> Result<()> {
        self.set(
            EVENTS,
            &checkpoint_key(name),
            Some(id_key(position).to_vec()),
        );
        Ok(())
    }

    fn remove_checkpoint(&mut self, name: &str) -> Result<Option<u64>> {
        let key = checkpoint_key(name);
        let had = self.with_raw(EVENTS, &key, |raw| raw.map(decode_u64).transpose())?;
        if had.is_some() {
            self.set(EVENTS, &key, None);
        }
        Ok(had)
    }

    fn lowest_checkpoint(&mut self) -> Result<Option<(String, u64)>> {
        let mut lowest: Option<(String, u64)> = None;
        for key in self.all_between(EVENTS, &[CHECKPOINT], &[CHECKPOINT + 1])? {
            let position = self.with_raw(EVENTS, &key, |raw| raw.map_or(Ok(0), decode_u64))?;
            let name = String::from_utf8_lossy(key.get(1..).unwrap_or_default()).into_owned();
            if lowest.as_ref().is_none_or(|(_, low)| position < *low) {
                lowest = Some((name, position));
            }
        }
        Ok(lowest)
    }
}

/// The `plan_starts` key of an instant.
pub(super) fn start_key(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Where the counter of a kind lives (the last id taken). The ledger's counter is in `accounts`, beside the
/// entries, and the holds' in `holds`: a return or a hold writes no `meta`.
fn counter_key(kind: IdKind) -> (usize, Vec<u8>) {
    match kind {
        IdKind::LedgerEntry => (ACCOUNTS, LEDGER_COUNTER.to_vec()),
        IdKind::Hold => (HOLDS, HOLD_COUNTER.to_vec()),
        other => (META, format!("next_id:{}", other.name()).into_bytes()),
    }
}
