//! The memory store's transaction view: the reads and writes every operation is made of, on [`Inner`].

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::Inner;
use crate::domain::{
    Book, BookCopy, CopyStatus, Customer, Event, Hold, HoldStatus, LedgerEntry, NewEvent, Rental,
    RentalStatus, WordIndex,
};
use crate::engine::{in_force, IdKind, KeyRecord, StoredAccount, TxView};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, HoldId, PlanVersionId, RentalId};
use crate::pricing::PlanVersion;

impl TxView for Inner {
    type E = Error;

    fn next_id(&mut self, kind: IdKind) -> Result<u64> {
        let counter = self.counters.entry(kind.name()).or_insert(0);
        *counter += 1;
        Ok(*counter)
    }

    fn raise_counter(&mut self, kind: IdKind, id: u64) -> Result<()> {
        let counter = self.counters.entry(kind.name()).or_insert(0);
        *counter = (*counter).max(id);
        Ok(())
    }

    fn book(&mut self, id: BookId) -> Result<Option<Book>> {
        Ok(self.books.get(&id).cloned())
    }

    fn put_book(&mut self, book: &Book) -> Result<()> {
        self.books.insert(book.id, book.clone());
        Ok(())
    }

    fn title_owner(&mut self, key: &str) -> Result<Option<BookId>> {
        Ok(self.titles.get(key).copied())
    }

    fn set_title_owner(&mut self, key: &str, owner: Option<BookId>) -> Result<()> {
        match owner {
            Some(id) => self.titles.insert(key.to_owned(), id),
            None => self.titles.remove(key),
        };
        Ok(())
    }

    fn isbn_owner(&mut self, isbn: &str) -> Result<Option<BookId>> {
        Ok(self.isbns.get(isbn).copied())
    }

    fn set_isbn_owner(&mut self, isbn: &str, owner: Option<BookId>) -> Result<()> {
        match owner {
            Some(id) => self.isbns.insert(isbn.to_owned(), id),
            None => self.isbns.remove(isbn),
        };
        Ok(())
    }

    fn copy_ids(&mut self, book: BookId) -> Result<Vec<CopyId>> {
        Ok(self.book_copies.get(&book).cloned().unwrap_or_default())
    }

    fn put_copy_ids(&mut self, book: BookId, copies: &[CopyId]) -> Result<()> {
        self.book_copies.insert(book, copies.to_vec());
        Ok(())
    }

    fn copy(&mut self, id: CopyId) -> Result<Option<BookCopy>> {
        Ok(self.copies.get(&id).cloned())
    }

    fn put_copy(&mut self, copy: &BookCopy) -> Result<()> {
        if copy.status == CopyStatus::Available {
            self.available.insert((copy.book, copy.id));
        } else {
            self.available.remove(&(copy.book, copy.id));
        }
        self.copies.insert(copy.id, copy.clone());
        Ok(())
    }

    fn first_available_copy(&mut self, book: BookId) -> Result<Option<BookCopy>> {
        let first = self
            .available
            .range((book, CopyId::new(0))..=(book, CopyId::new(u64::MAX)))
            .next()
            .map(|(_, copy)| *copy);
        match first {
            None => Ok(None),
            Some(id) => match self.copies.get(&id) {
                Some(copy) => Ok(Some(copy.clone())),
                None => Err(Error::Corruption(format!(
                    "the availability index names copy {id}, which does not exist"
                ))),
            },
        }
    }

    fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>> {
        Ok(self.customers.get(&id).cloned())
    }

    fn put_customer(&mut self, customer: &Customer) -> Result<()> {
        self.customers.insert(customer.id, customer.clone());
        Ok(())
    }

    fn email_owner(&mut self, key: &str) -> Result<Option<CustomerId>> {
        Ok(self.emails.get(key).copied())
    }

    fn set_email_owner(&mut self, key: &str, owner: Option<CustomerId>) -> Result<()> {
        match owner {
            Some(id) => self.emails.insert(key.to_owned(), id),
            None => self.emails.remove(key),
        };
        Ok(())
    }

    fn rental(&mut self, id: RentalId) -> Result<Option<Rental>> {
        Ok(self.rentals.get(id).cloned())
    }

    fn put_rental(&mut self, rental: &Rental) -> Result<()> {
        let old = self
            .rentals
            .get(rental.id)
            .map(|old| (old.due_at, old.returned_at));
        self.rentals.put(rental)?;
        let (old_due, old_return) = old.unwrap_or_default();
        let was_open = old.is_some() && old_return.is_none();
        let is_open = rental.returned_at.is_none();
        if let (true, Some(due)) = (was_open, old_due) {
            self.open_due_of.remove(&(rental.customer, due, rental.id));
        }
        if let (true, Some(due)) = (is_open, rental.due_at) {
            self.open_due_of.insert((rental.customer, due, rental.id));
        }
        if was_open != is_open {
            let count = self.open_count.get(&rental.customer).copied().unwrap_or(0);
            let count = if is_open {
                count.saturating_add(1)
            } else {
                count.saturating_sub(1)
            };
            if count == 0 {
                self.open_count.remove(&rental.customer);
            } else {
                self.open_count.insert(rental.customer, count);
            }
        }
        if let Some(due) = old_due {
            self.open_by_due.remove(&(due, rental.id));
        }
        if let Some(returned) = old_return {
            self.by_return.remove(&(returned, rental.id));
        }
        if let Some(returned) = rental.returned_at {
            self.by_return.insert((returned, rental.id));
        }
        match rental.status() {
            RentalStatus::Active => {
                self.closed.remove(&rental.id);
                self.lost.remove(&rental.id);
            }
            RentalStatus::Closed => {
                self.closed.insert(rental.id);
                self.lost.remove(&rental.id);
            }
            RentalStatus::Lost => {
                self.lost.insert(rental.id);
                self.closed.remove(&rental.id);
            }
        }
        if let (None, Some(due)) = (rental.returned_at, rental.due_at) {
            self.open_by_due.insert((due, rental.id));
        }
        if rental.returned_at.is_none() {
            self.active.insert(rental.id);
            self.open_by_customer.insert((rental.customer, rental.id));
        } else {
            self.active.remove(&rental.id);
            self.open_by_customer.remove(&(rental.customer, rental.id));
        }
        self.by_customer.insert((rental.customer, rental.id));
        Ok(())
    }

    fn plan_version(&mut self, id: PlanVersionId) -> Result<Option<Arc<PlanVersion>>> {
        Ok(self.plans.iter().find(|v| v.id == id).cloned())
    }

    fn plan_in_force(&mut self, at: DateTime<Utc>) -> Result<Option<Arc<PlanVersion>>> {
        Ok(in_force(&self.plans, at).cloned())
    }

    fn plan_starts_at(&mut self, at: DateTime<Utc>) -> Result<bool> {
        Ok(self.plans.iter().any(|v| v.effective_from == at))
    }

    fn put_plan_version(&mut self, version: &PlanVersion) -> Result<()> {
        self.plans.push(Arc::new(version.clone()));
        Ok(())
    }

    fn first_plan(&mut self) -> Result<Option<Arc<PlanVersion>>> {
        Ok(self.plans.first().cloned())
    }

    fn count_open_rentals(&mut self, customer: CustomerId) -> Result<u64> {
        Ok(self.open_count.get(&customer).copied().unwrap_or(0))
    }

    fn count_overdue_rentals(
        &mut self,
        customer: CustomerId,
        at: DateTime<Utc>,
        at_most: usize,
    ) -> Result<usize> {
        let first = (customer, DateTime::<Utc>::MIN_UTC, RentalId::new(0));
        Ok(self
            .open_due_of
            .range(first..(customer, at, RentalId::new(0)))
            .take(at_most)
            .count())
    }

    fn account(&mut self, customer: CustomerId) -> Result<Option<StoredAccount>> {
        Ok(self.accounts.get(&customer).cloned())
    }

    fn put_account(&mut self, customer: CustomerId, account: &StoredAccount) -> Result<()> {
        if account.balance > rust_decimal::Decimal::ZERO {
            self.owing.insert(customer);
        } else {
            self.owing.remove(&customer);
        }
        self.accounts.insert(customer, account.clone());
        Ok(())
    }

    fn put_entry(&mut self, entry: &LedgerEntry) -> Result<()> {
        if let (crate::domain::EntryKind::Charge, Some(rental)) = (entry.kind, entry.rental) {
            self.charges.insert(rental, (entry.customer, entry.id));
        }
        if let Some(rental) = entry.rental {
            self.by_rental.insert((rental, entry.customer, entry.id));
        }
        self.ledger_by_date
            .insert((entry.customer, entry.at, entry.id));
        self.ledger
            .insert((entry.customer, entry.id), entry.clone());
        Ok(())
    }

    fn hold(&mut self, id: HoldId) -> Result<Option<Hold>> {
        Ok(self.holds.get(&id).cloned())
    }

    fn put_hold(&mut self, hold: &Hold) -> Result<()> {
        let old = self
            .holds
            .get(&hold.id)
            .map(|old| (old.ready_until, old.status));
        if let Some((Some(until), _)) = old {
            self.ready_until.remove(&(until, hold.id));
        }
        let was_waiting = old.is_some_and(|(_, status)| status == HoldStatus::Waiting);
        let waits = hold.status == HoldStatus::Waiting;
        if was_waiting != waits {
            let length = self.queue_length.get(&hold.book).copied().unwrap_or(0);
            let length = if waits {
                length.saturating_add(1)
            } else {
                length.saturating_sub(1)
            };
            if length == 0 {
                self.queue_length.remove(&hold.book);
            } else {
                self.queue_length.insert(hold.book, length);
            }
        }
        match (hold.status, hold.ready_until) {
            (HoldStatus::Ready, Some(until)) => {
                self.ready_by_book.insert((hold.book, hold.id));
                self.ready_until.insert((until, hold.id));
            }
            _ => {
                self.ready_by_book.remove(&(hold.book, hold.id));
            }
        }
        if hold.status.is_active() {
            self.active_by_customer.insert((hold.customer, hold.id));
            self.active_on.insert((hold.customer, hold.book, hold.id));
        } else {
            self.active_by_customer.remove(&(hold.customer, hold.id));
            self.active_on.remove(&(hold.customer, hold.book, hold.id));
        }
        let mut stored = hold.clone();
        stored.position = None;
        if hold.status == HoldStatus::Waiting {
            self.waiting.insert((hold.book, hold.id));
        } else {
            self.waiting.remove(&(hold.book, hold.id));
        }
        if hold.status == HoldStatus::Ready {
            self.ready.insert(hold.id);
        } else {
            self.ready.remove(&hold.id);
        }
        self.holds_by_customer.insert((hold.customer, hold.id));
        self.holds.insert(hold.id, stored);
        Ok(())
    }

    fn first_waiting_hold(&mut self, book: BookId) -> Result<Option<Hold>> {
        let first = self
            .waiting
            .range((book, HoldId::new(0))..=(book, HoldId::new(u64::MAX)))
            .next()
            .map(|(_, id)| *id);
        Ok(first.and_then(|id| self.holds.get(&id).cloned()))
    }

    fn active_hold_on(&mut self, customer: CustomerId, book: BookId) -> Result<Option<Hold>> {
        let first = (customer, book, HoldId::new(0));
        let last = (customer, book, HoldId::new(u64::MAX));
        let id = self
            .active_on
            .range(first..=last)
            .next()
            .map(|(_, _, id)| *id);
        Ok(id.and_then(|id| self.holds.get(&id).cloned()))
    }

    fn count_active_holds(&mut self, customer: CustomerId, at_most: usize) -> Result<usize> {
        Ok(self
            .active_by_customer
            .range((customer, HoldId::new(0))..=(customer, HoldId::new(u64::MAX)))
            .take(at_most)
            .count())
    }

    fn ready_holds_before(&mut self, at: DateTime<Utc>) -> Result<Vec<Hold>> {
        let mut holds: Vec<Hold> = self
            .ready_until
            .range(..(at, HoldId::new(0)))
            .filter_map(|(_, id)| self.holds.get(id))
            .cloned()
            .collect();
        holds.sort_by_key(|h| h.id);
        Ok(holds)
    }

    fn notified(&mut self, key: &str) -> Result<Option<DateTime<Utc>>> {
        Ok(self.notified.get(key).copied())
    }

    fn put_word(&mut self, index: WordIndex, word: &str, id: u64, present: bool) -> Result<()> {
        let key = (index, word.to_owned(), id);
        if present {
            self.words.insert(key);
        } else {
            self.words.remove(&key);
        }
        Ok(())
    }

    fn put_notified(&mut self, key: &str, at: DateTime<Utc>) -> Result<()> {
        self.notified.insert(key.to_owned(), at);
        Ok(())
    }

    fn idempotency(&mut self, key: &str) -> Result<Option<KeyRecord>> {
        Ok(self.keys.get(key).cloned())
    }

    fn put_idempotency(&mut self, key: &str, record: &KeyRecord) -> Result<()> {
        self.keys.insert(key.to_owned(), record.clone());
        Ok(())
    }

    fn append_event(&mut self, event: NewEvent) -> Result<()> {
        // The one writer's counter, under the store's lock: positions follow the order of the writes.
        let position = self.last_event + 1;
        self.last_event = position;
        self.events_by_type.insert((event.kind, position));
        self.events
            .insert(position, Arc::new(event.at_position(position)));
        Ok(())
    }

    fn last_event_position(&mut self) -> Result<u64> {
        Ok(self.last_event)
    }

    fn raise_event_position(&mut self, position: u64) -> Result<()> {
        self.last_event = self.last_event.max(position);
        Ok(())
    }

    fn put_event(&mut self, event: &Event) -> Result<()> {
        self.last_event = self.last_event.max(event.position);
        let replaced = self.events.insert(event.position, Arc::new(event.clone()));
        if let Some(old) = replaced {
            self.events_by_type.remove(&(old.kind, old.position));
        }
        self.events_by_type.insert((event.kind, event.position));
        Ok(())
    }

    fn remove_events_before(&mut self, before: u64) -> Result<u64> {
        let removed = self.events.take_before(&before);
        for event in removed.values() {
            self.events_by_type.remove(&(event.kind, event.position));
        }
        Ok(removed.len() as u64)
    }

    fn put_checkpoint(&mut self, name: &str, position: u64) -> Result<()> {
        self.checkpoints.insert(name.to_owned(), position);
        Ok(())
    }

    fn remove_checkpoint(&mut self, name: &str) -> Result<Option<u64>> {
        Ok(self.checkpoints.remove(name))
    }

    fn lowest_checkpoint(&mut self) -> Result<Option<(String, u64)>> {
        Ok(self
            .checkpoints
            .iter()
            .min_by_key(|(name, position)| (**position, (*name).clone()))
            .map(|(name, position)| (name.clone(), *position)))
    }
}
