//! [`MemoryStorage`]: everything in process memory, for tests and the browser.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use super::pause::WriteGate;
use super::{BatchResults, Records, Storage};
use crate::domain::email_key;
use crate::domain::{
    AccountState, Book, BookCopy, Customer, Event, EventKind, Hold, LedgerEntry, Rental,
    RentalStatus, WordIndex,
};
use crate::engine::{self, Batch, KeyRecord, Operation, StoredAccount, TxView};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, HoldId, LedgerEntryId, RentalId};
use crate::pricing::PlanVersion;

mod counted;
mod events;
mod holds;
mod indexes;
mod rentals;
mod tx;

use counted::{Hashed, Map, Set};
use rentals::RentalTable;

/// How many records a listing copies out per lock.
const PAGE: usize = 512;

/// Storage in process memory: fast, nothing survives the process. One mutex serialises writes, which makes every
/// operation trivially atomic; a batch is applied under one lock, so other callers see all of it or none.
///
/// ```
/// use koko_core::{MemoryStorage, NewBook, Storage};
///
/// let storage = MemoryStorage::new();
/// let (book, copies) = storage.insert_book(&NewBook::new("Dune", "Frank Herbert", "fiction"), 2).unwrap();
/// assert_eq!(copies.len(), 2);
/// assert_eq!(storage.book(book.id).unwrap().title, "Dune");
/// ```
#[derive(Debug, Default)]
pub struct MemoryStorage {
    inner: Mutex<Inner>,
    gate: WriteGate,
}

#[derive(Clone, Debug, Default)]
struct Inner {
    counters: HashMap<&'static str, u64>,
    books: Map<BookId, Book>,
    titles: Hashed<String, BookId>,
    isbns: Hashed<String, BookId>,
    book_copies: Hashed<BookId, Vec<CopyId>>,
    copies: Map<CopyId, BookCopy>,
    /// The available copies of each book, for renting by book without a scan.
    available: Set<(BookId, CopyId)>,
    customers: Map<CustomerId, Customer>,
    /// Each e-mail key's customer.
    emails: Hashed<String, CustomerId>,
    rentals: RentalTable,
    active: Set<RentalId>,
    by_customer: Set<(CustomerId, RentalId)>,
    /// Each customer's open rentals (without walking their history), how many, and by due date (for the limits).
    open_by_customer: Set<(CustomerId, RentalId)>,
    open_count: Hashed<CustomerId, u64>,
    open_due_of: Set<(CustomerId, DateTime<Utc>, RentalId)>,
    /// The open rentals with a due date, by due date.
    open_by_due: Set<(DateTime<Utc>, RentalId)>,
    /// The closed rentals and the lost ones, each in id order, and both by return time.
    closed: Set<RentalId>,
    lost: Set<RentalId>,
    by_return: Set<(DateTime<Utc>, RentalId)>,
    plans: Vec<Arc<PlanVersion>>,
    accounts: Hashed<CustomerId, StoredAccount>,
    ledger: Map<(CustomerId, LedgerEntryId), LedgerEntry>,
    /// Each closed rental's charge entry.
    charges: Hashed<RentalId, (CustomerId, LedgerEntryId)>,
    /// The entries naming each rental, in id order.
    by_rental: Set<(RentalId, CustomerId, LedgerEntryId)>,
    /// Each customer's entries by date, and the customers who owe something.
    ledger_by_date: Set<(CustomerId, DateTime<Utc>, LedgerEntryId)>,
    owing: Set<CustomerId>,
    keys: Hashed<String, KeyRecord>,
    holds: Map<HoldId, Hold>,
    /// Each book's waiting holds, in queue order, and how many.
    waiting: Set<(BookId, HoldId)>,
    queue_length: Hashed<BookId, u64>,
    ready: Set<HoldId>,
    /// The ready holds by book, and by the end of their pickup.
    ready_by_book: Set<(BookId, HoldId)>,
    ready_until: Set<(DateTime<Utc>, HoldId)>,
    holds_by_customer: Set<(CustomerId, HoldId)>,
    /// Each customer's waiting and ready holds, and by book.
    active_by_customer: Set<(CustomerId, HoldId)>,
    active_on: Set<(CustomerId, BookId, HoldId)>,
    notified: Hashed<String, DateTime<Utc>>,
    /// The search index: (index, word, record id).
    words: Set<(WordIndex, String, u64)>,
    /// The event feed by position (shared records: a dry run's copy of the store copies pointers, not events),
    /// the last position given, and the consumers' checkpoints.
    events: Map<u64, Arc<Event>>,
    /// The feed by type: (type, position), one entry per event (a filtered page reads its types' ranges).
    events_by_type: Set<(EventKind, u64)>,
    last_event: u64,
    checkpoints: std::collections::BTreeMap<String, u64>,
}

impl Inner {
    /// Every entry the tables' reads visited ([`Storage::reads`]).
    fn reads(&self) -> u64 {
        [
            self.books.reads(),
            self.titles.reads(),
            self.isbns.reads(),
            self.book_copies.reads(),
            self.copies.reads(),
            self.available.reads(),
            self.customers.reads(),
            self.emails.reads(),
            self.rentals.reads(),
            self.active.reads(),
            self.by_customer.reads(),
            self.open_by_customer.reads(),
            self.open_count.reads(),
            self.open_due_of.reads(),
            self.open_by_due.reads(),
            self.closed.reads(),
            self.lost.reads(),
            self.by_return.reads(),
            self.accounts.reads(),
            self.ledger.reads(),
            self.charges.reads(),
            self.by_rental.reads(),
            self.ledger_by_date.reads(),
            self.owing.reads(),
            self.keys.reads(),
            self.holds.reads(),
            self.waiting.reads(),
            self.queue_length.reads(),
            self.ready.reads(),
            self.ready_by_book.reads(),
            self.ready_until.reads(),
            self.active_by_customer.reads(),
            self.active_on.reads(),
            self.holds_by_customer.reads(),
            self.notified.reads(),
            self.words.reads(),
            self.events.reads(),
            self.events_by_type.reads(),
        ]
        .iter()
        .sum()
    }
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Writes happen only after every check passed and cannot fail, so a poisoned lock still guards
        // consistent data.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Streams `pick(inner, after)` page by page from the start, taking the lock once per page.
    fn paged<'a, K, T, F>(&'a self, pick: F) -> Records<'a, T>
    where
        K: std::marker::Copy + Send + 'a,
        T: Send + 'a,
        F: Fn(&Inner, Bound<K>) -> Vec<(K, T)> + Send + 'a,
    {
        self.paged_from(Bound::Unbounded, pick)
    }

    /// Streams `pick(inner, after)` page by page from `start`, taking the lock once per page.
    fn paged_from<'a, K, T, F>(&'a self, start: Bound<K>, pick: F) -> Records<'a, T>
    where
        K: std::marker::Copy + Send + 'a,
        T: Send + 'a,
        F: Fn(&Inner, Bound<K>) -> Vec<(K, T)> + Send + 'a,
    {
        let mut after = start;
        let mut page: std::vec::IntoIter<(K, T)> = Vec::new().into_iter();
        let mut done = false;
        Box::new(std::iter::from_fn(move || loop {
            if let Some((key, item)) = page.next() {
                after = Bound::Excluded(key);
                return Some(Ok(item));
            }
            if done {
                return None;
            }
            let next = pick(&self.lock(), after);
            done = next.len() < PAGE;
            page = next.into_iter();
        }))
    }
}

/// Where a listing after `after` starts.
fn from<K>(after: Option<K>) -> Bound<K> {
    after.map_or(Bound::Unbounded, Bound::Excluded)
}

fn page_of<K: Ord + std::marker::Copy, V: Clone>(map: &Map<K, V>, after: Bound<K>) -> Vec<(K, V)> {
    map.range((after, Bound::Unbounded))
        .take(PAGE)
        .map(|(k, v)| (*k, v.clone()))
        .collect()
}

impl Storage for MemoryStorage {
    fn apply_batch_at(
        &self,
        operations: Vec<Operation>,
        now: DateTime<Utc>,
    ) -> Result<BatchResults> {
        // Every operation checks before it writes and its writes cannot fail, so a rejected one left nothing
        // behind and needs no rollback.
        let _turn = self.gate.turn();
        let mut inner = self.lock();
        let mut batch = Batch::new(now);
        Ok(operations
            .iter()
            .map(|op| engine::apply(&mut *inner, op, &mut batch))
            .collect())
    }

    fn try_batch_at(&self, operations: Vec<Operation>, now: DateTime<Utc>) -> Result<BatchResults> {
        // On a copy of the whole store, which costs its size: the memory store serves tests and small tools, and
        // a dry run is rare.
        let mut scratch = self.lock().clone();
        let mut batch = Batch::new(now);
        Ok(operations
            .iter()
            .map(|op| engine::apply(&mut scratch, op, &mut batch))
            .collect())
    }

    fn book(&self, id: BookId) -> Result<Book> {
        self.lock()
            .books
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::not_found(BookId::ENTITY, id))
    }

    fn books_after(&self, after: Option<BookId>) -> Result<Records<'_, Book>> {
        Ok(self.paged_from(from(after), |inner, after| page_of(&inner.books, after)))
    }

    fn copy(&self, id: CopyId) -> Result<BookCopy> {
        self.lock()
            .copies
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::not_found(CopyId::ENTITY, id))
    }

    fn copies_of(&self, book: BookId) -> Result<Vec<BookCopy>> {
        let inner = self.lock();
        if !inner.books.contains_key(&book) {
            return Err(Error::not_found(BookId::ENTITY, book));
        }
        let ids = inner.book_copies.get(&book).cloned().unwrap_or_default();
        ids.iter()
            .map(|id| {
                inner.copies.get(id).cloned().ok_or_else(|| {
                    Error::Corruption(format!("book {book} lists missing copy {id}"))
                })
            })
            .collect()
    }

    fn available_copies(&self, book: BookId) -> Result<usize> {
        self.count_available(book)
    }

    fn books_on_shelf_after(&self, after: Option<BookId>) -> Result<Records<'_, BookId>> {
        Ok(self.shelf_after(after))
    }

    fn customer_by_email(&self, email: &str) -> Result<Option<Customer>> {
        let inner = self.lock();
        Ok(inner
            .emails
            .get(email_key(email.trim()).as_str())
            .and_then(|id| inner.customers.get(id))
            .cloned())
    }

    fn customer(&self, id: CustomerId) -> Result<Customer> {
        self.lock()
            .customers
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::not_found(CustomerId::ENTITY, id))
    }

    fn customers_after(&self, after: Option<CustomerId>) -> Result<Records<'_, Customer>> {
        Ok(self.paged_from(from(after), |inner, after| page_of(&inner.customers, after)))
    }

    fn rental(&self, id: RentalId) -> Result<Rental> {
        self.lock()
            .rentals
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found(RentalId::ENTITY, id))
    }

    fn rentals_after(&self, after: Option<RentalId>) -> Result<Records<'_, Rental>> {
        Ok(self.paged_from(from(after), |inner, after| inner.rentals.page(after, PAGE)))
    }

    fn active_rentals_after(&self, after: Option<RentalId>) -> Result<Records<'_, Rental>> {
        Ok(self.paged_from(from(after), |inner, after| {
            inner
                .active
                .range((after, Bound::Unbounded))
                .take(PAGE)
                .filter_map(|id| inner.rentals.get(*id).map(|r| (*id, r.clone())))
                .collect()
        }))
    }

    fn visit_active_rentals(&self, visit: &mut dyn FnMut(&Rental) -> Result<()>) -> Result<()> {
        // A page at a time under the lock, lending each rental: writers wait at most one page.
        let mut after = Bound::Unbounded;
        loop {
            let inner = self.lock();
            let mut seen = 0;
            for id in inner.active.range((after, Bound::Unbounded)).take(PAGE) {
                if let Some(rental) = inner.rentals.get(*id) {
                    visit(rental)?;
                }
                after = Bound::Excluded(*id);
                seen += 1;
            }
            if seen < PAGE {
                return Ok(());
            }
        }
    }

    fn customer_open_rentals(
        &self,
        customer: CustomerId,
        after: Option<RentalId>,
    ) -> Result<Records<'_, Rental>> {
        if !self.lock().customers.contains_key(&customer) {
            return Err(Error::not_found(CustomerId::ENTITY, customer));
        }
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        Ok(
            self.paged_from(start, move |inner, after: Bound<RentalId>| {
                let from = match after {
                    Bound::Excluded(id) => Bound::Excluded((customer, id)),
                    _ => Bound::Included((customer, RentalId::new(0))),
                };
                inner
                    .open_by_customer
                    .range((from, Bound::Included((customer, RentalId::new(u64::MAX)))))
                    .take(PAGE)
                    .filter_map(|(_, id)| inner.rentals.get(*id).map(|r| (*id, r.clone())))
                    .collect()
            }),
        )
    }

    fn rentals_due_before(&self, at: DateTime<Utc>) -> Result<Vec<Rental>> {
        let inner = self.lock();
        let mut due: Vec<Rental> = inner
            .open_by_due
            .range(..(at, RentalId::new(0)))
            .filter_map(|(_, id)| inner.rentals.get(*id).cloned())
            .collect();
        due.sort_by_key(|r| r.id);
        Ok(due)
    }

    fn rentals_with_status_after(
        &self,
        status: RentalStatus,
        after: Option<RentalId>,
    ) -> Result<Records<'_, Rental>> {
        Ok(self.with_status(status, after))
    }

    fn rentals_returned_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Records<'_, Rental>> {
        Ok(self.returned_between(from, to))
    }

    fn customer_rentals(&self, customer: CustomerId) -> Result<Records<'_, Rental>> {
        if !self.lock().customers.contains_key(&customer) {
            return Err(Error::not_found(CustomerId::ENTITY, customer));
        }
        Ok(self.paged(move |inner, after: Bound<RentalId>| {
            let from = match after {
                Bound::Excluded(id) => Bound::Excluded((customer, id)),
                _ => Bound::Included((customer, RentalId::new(0))),
            };
            inner
                .by_customer
                .range((from, Bound::Included((customer, RentalId::new(u64::MAX)))))
                .take(PAGE)
                .filter_map(|(_, id)| inner.rentals.get(*id).map(|r| (*id, r.clone())))
                .collect()
        }))
    }

    fn plan_versions(&self) -> Result<Vec<PlanVersion>> {
        Ok(self.lock().plans.iter().map(|v| (**v).clone()).collect())
    }

    fn account(&self, customer: CustomerId) -> Result<AccountState> {
        let mut inner = self.lock();
        if !inner.customers.contains_key(&customer) {
            return Err(Error::not_found(CustomerId::ENTITY, customer));
        }
        let open = inner.count_open_rentals(customer)?;
        Ok(inner
            .accounts
            .get(&customer)
            .cloned()
            .unwrap_or_default()
            .with_open(open))
    }

    fn ledger(&self, customer: CustomerId) -> Result<Records<'_, LedgerEntry>> {
        if !self.lock().customers.contains_key(&customer) {
            return Err(Error::not_found(CustomerId::ENTITY, customer));
        }
        Ok(self.paged(move |inner, after: Bound<LedgerEntryId>| {
            let from = match after {
                Bound::Excluded(id) => Bound::Excluded((customer, id)),
                _ => Bound::Included((customer, LedgerEntryId::new(0))),
            };
            inner
                .ledger
                .range((
                    from,
                    Bound::Included((customer, LedgerEntryId::new(u64::MAX))),
                ))
                .take(PAGE)
                .map(|((_, id), entry)| (*id, entry.clone()))
                .collect()
        }))
    }

    fn ledger_between(
        &self,
        customer: CustomerId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        newest_first: bool,
    ) -> Result<Records<'_, LedgerEntry>> {
        self.ledger_dated(customer, from, to, newest_first)
    }

    fn customers_owing_after(&self, after: Option<CustomerId>) -> Result<Records<'_, CustomerId>> {
        Ok(self.paged_from(from(after), |inner, after| {
            inner
                .owing
                .range((after, Bound::Unbounded))
                .take(PAGE)
                .map(|id| (*id, *id))
                .collect()
        }))
    }

    fn charge_entry(&self, rental: RentalId) -> Result<Option<LedgerEntry>> {
        let inner = self.lock();
        Ok(inner
            .charges
            .get(&rental)
            .and_then(|key| inner.ledger.get(key))
            .cloned())
    }

    fn rental_entries(&self, rental: RentalId) -> Result<Vec<LedgerEntry>> {
        let inner = self.lock();
        let first = (rental, CustomerId::new(0), LedgerEntryId::new(0));
        let last = (
            rental,
            CustomerId::new(u64::MAX),
            LedgerEntryId::new(u64::MAX),
        );
        let mut entries: Vec<LedgerEntry> = inner
            .by_rental
            .range(first..=last)
            .filter_map(|(_, customer, id)| inner.ledger.get(&(*customer, *id)).cloned())
            .collect();
        entries.sort_by_key(|e| e.id);
        Ok(entries)
    }

    fn prune_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64> {
        let mut inner = self.lock();
        let was = inner.keys.len();
        inner.keys.retain(|_, record| record.recorded_at >= before);
        Ok((was - inner.keys.len()) as u64)
    }

    fn hold(&self, id: HoldId) -> Result<Hold> {
        self.hold_numbered(id)
    }

    fn book_holds(&self, book: BookId) -> Result<Vec<Hold>> {
        self.book_queue(book)
    }

    fn customer_holds(&self, customer: CustomerId) -> Result<Vec<Hold>> {
        self.holds_of_customer(customer)
    }

    fn active_holds(&self) -> Result<Vec<Hold>> {
        self.active_hold_list()
    }

    fn ready_holds(&self) -> Result<Vec<Hold>> {
        self.ready_hold_list()
    }

    fn notified(&self, key: &str) -> Result<Option<DateTime<Utc>>> {
        Ok(self.lock().notified.get(key).copied())
    }

    fn notices_sent(&self) -> Result<Vec<(String, DateTime<Utc>)>> {
        let mut sent: Vec<_> = self
            .lock()
            .notified
            .iter()
            .map(|(key, at)| (key.clone(), *at))
            .collect();
        sent.sort();
        Ok(sent)
    }

    fn with_writes_paused(&self, read: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        self.gate.paused(read)
    }

    fn events_after(&self, after: Option<u64>, limit: usize) -> Result<Vec<Event>> {
        Ok(self.feed_after(after, limit))
    }

    fn events_of_types_after(
        &self,
        types: &[EventKind],
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>> {
        self.feed_of_types_after(types, after, limit)
    }

    fn last_event_position(&self) -> Result<u64> {
        Ok(self.lock().last_event)
    }

    fn checkpoint(&self, name: &str) -> Result<Option<u64>> {
        Ok(self.lock().checkpoints.get(name).copied())
    }

    fn checkpoints(&self) -> Result<Vec<(String, u64)>> {
        Ok(self.consumer_checkpoints())
    }

    fn word_matches(
        &self,
        index: WordIndex,
        prefix: &str,
        at_most: usize,
    ) -> Result<Option<Vec<u64>>> {
        let inner = self.lock();
        let mut ids: Vec<u64> = inner
            .words
            .range((index, prefix.to_owned(), 0)..)
            .take_while(|(i, word, _)| *i == index && word.starts_with(prefix))
            .take(at_most.saturating_add(1))
            .map(|(_, _, id)| *id)
            .collect();
        if ids.len() > at_most {
            return Ok(None);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(Some(ids))
    }

    fn word_ids_after(
        &self,
        index: WordIndex,
        word: &str,
        after: Option<u64>,
    ) -> Result<Records<'_, u64>> {
        Ok(self.word_ids(index, word, after))
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn reads(&self) -> u64 {
        self.lock().reads()
    }
}
