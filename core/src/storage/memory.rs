//! [`MemoryStorage`]: everything in process memory, for tests and the browser.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use super::accounts::{KeyRecord, StoredAccount};
use super::ops::{self, IdKind, TxView};
use super::pause::WriteGate;
use super::{BatchResults, Operation, Records, Storage};
use crate::domain::{
    AccountState, Book, Copy, CopyStatus, Customer, Hold, HoldStatus, LedgerEntry, OpenLoan,
    Rental, WordIndex,
};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, HoldId, LedgerEntryId, PlanVersionId, RentalId};
use crate::pricing::PlanVersion;

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

#[derive(Debug, Default)]
struct Inner {
    counters: HashMap<&'static str, u64>,
    books: BTreeMap<BookId, Book>,
    titles: HashMap<String, BookId>,
    isbns: HashMap<String, BookId>,
    book_copies: HashMap<BookId, Vec<CopyId>>,
    copies: BTreeMap<CopyId, Copy>,
    /// The available copies of each book, for renting by book without a scan.
    available: BTreeSet<(BookId, CopyId)>,
    customers: BTreeMap<CustomerId, Customer>,
    rentals: RentalTable,
    active: BTreeSet<RentalId>,
    by_customer: BTreeSet<(CustomerId, RentalId)>,
    /// Each customer's open rentals (for the limits: without walking their history).
    open_by_customer: BTreeSet<(CustomerId, RentalId)>,
    plans: Vec<Arc<PlanVersion>>,
    accounts: HashMap<CustomerId, StoredAccount>,
    ledger: BTreeMap<(CustomerId, LedgerEntryId), LedgerEntry>,
    /// Each closed rental's charge entry.
    charges: HashMap<RentalId, (CustomerId, LedgerEntryId)>,
    keys: HashMap<String, KeyRecord>,
    holds: BTreeMap<HoldId, Hold>,
    /// Each book's waiting holds, in queue order.
    waiting: BTreeSet<(BookId, HoldId)>,
    ready: BTreeSet<HoldId>,
    holds_by_customer: BTreeSet<(CustomerId, HoldId)>,
    notified: HashMap<String, DateTime<Utc>>,
    /// The search index: (index, word, record id).
    words: BTreeSet<(WordIndex, String, u64)>,
}

impl Inner {
    /// `hold` with its place in its book's queue filled in.
    fn numbered(&self, mut hold: Hold) -> Hold {
        hold.position = (hold.status == HoldStatus::Waiting).then(|| {
            let ahead = self
                .waiting
                .range((hold.book, HoldId::new(0))..(hold.book, hold.id))
                .count();
            u32::try_from(ahead + 1).unwrap_or(u32::MAX)
        });
        hold
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

    fn copy(&mut self, id: CopyId) -> Result<Option<Copy>> {
        Ok(self.copies.get(&id).cloned())
    }

    fn put_copy(&mut self, copy: &Copy) -> Result<()> {
        if copy.status == CopyStatus::Available {
            self.available.insert((copy.book, copy.id));
        } else {
            self.available.remove(&(copy.book, copy.id));
        }
        self.copies.insert(copy.id, copy.clone());
        Ok(())
    }

    fn first_available_copy(&mut self, book: BookId) -> Result<Option<Copy>> {
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

    fn rental(&mut self, id: RentalId) -> Result<Option<Rental>> {
        Ok(self.rentals.get(id).cloned())
    }

    fn put_rental(&mut self, rental: &Rental) -> Result<()> {
        self.rentals.put(rental)?;
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
        Ok(ops::in_force(&self.plans, at).cloned())
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

    fn open_loans(&mut self, customer: CustomerId) -> Result<Vec<OpenLoan>> {
        Ok(self
            .open_by_customer
            .range((customer, RentalId::new(0))..=(customer, RentalId::new(u64::MAX)))
            .filter_map(|(_, id)| self.rentals.get(*id))
            .map(|rental| OpenLoan {
                rental: rental.id,
                due_at: rental.due_at,
            })
            .collect())
    }

    fn account(&mut self, customer: CustomerId) -> Result<Option<StoredAccount>> {
        Ok(self.accounts.get(&customer).cloned())
    }

    fn put_account(&mut self, customer: CustomerId, account: &StoredAccount) -> Result<()> {
        self.accounts.insert(customer, account.clone());
        Ok(())
    }

    fn put_entry(&mut self, entry: &LedgerEntry) -> Result<()> {
        if let (crate::domain::EntryKind::Charge, Some(rental)) = (entry.kind, entry.rental) {
            self.charges.insert(rental, (entry.customer, entry.id));
        }
        self.ledger
            .insert((entry.customer, entry.id), entry.clone());
        Ok(())
    }

    fn hold(&mut self, id: HoldId) -> Result<Option<Hold>> {
        Ok(self.holds.get(&id).cloned())
    }

    fn put_hold(&mut self, hold: &Hold) -> Result<()> {
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

    fn active_holds_of(&mut self, customer: CustomerId) -> Result<Vec<Hold>> {
        Ok(self
            .holds_by_customer
            .range((customer, HoldId::new(0))..=(customer, HoldId::new(u64::MAX)))
            .filter_map(|(_, id)| self.holds.get(id))
            .filter(|h| h.status.is_active())
            .cloned()
            .collect())
    }

    fn ready_holds(&mut self) -> Result<Vec<Hold>> {
        Ok(self
            .ready
            .iter()
            .filter_map(|id| self.holds.get(id))
            .cloned()
            .collect())
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
}

/// Rentals by id. Ids come from this store's own counter, one after another from 1, so rental `n` lives at index
/// `n - 1`: lookups are an index, and id order is vector order.
#[derive(Debug, Default)]
struct RentalTable(Vec<Rental>);

impl RentalTable {
    fn index(id: RentalId) -> Option<usize> {
        usize::try_from(id.get().checked_sub(1)?).ok()
    }

    fn get(&self, id: RentalId) -> Option<&Rental> {
        self.0.get(Self::index(id)?)
    }

    /// Replaces rental `id`, or appends the next one; any other id is a broken invariant, refused before any
    /// change.
    fn put(&mut self, rental: &Rental) -> Result<()> {
        match Self::index(rental.id) {
            Some(i) if i < self.0.len() => self.0[i] = rental.clone(),
            Some(i) if i == self.0.len() => self.0.push(rental.clone()),
            _ => {
                return Err(Error::Corruption(format!(
                    "rental id {} is out of sequence ({} rentals stored)",
                    rental.id,
                    self.0.len()
                )))
            }
        }
        Ok(())
    }

    /// Up to a page of rentals after `after`, in id order.
    fn page(&self, after: Bound<RentalId>) -> Vec<(RentalId, Rental)> {
        let start = match after {
            Bound::Unbounded => 0,
            Bound::Excluded(id) => Self::index(id).map_or(0, |i| i + 1),
            Bound::Included(id) => Self::index(id).unwrap_or(0),
        };
        self.0
            .iter()
            .skip(start)
            .take(PAGE)
            .map(|r| (r.id, r.clone()))
            .collect()
    }
}

/// Where a listing after `after` starts.
fn from<K>(after: Option<K>) -> Bound<K> {
    after.map_or(Bound::Unbounded, Bound::Excluded)
}

fn page_of<K: Ord + std::marker::Copy, V: Clone>(
    map: &BTreeMap<K, V>,
    after: Bound<K>,
) -> Vec<(K, V)> {
    map.range((after, Bound::Unbounded))
        .take(PAGE)
        .map(|(k, v)| (*k, v.clone()))
        .collect()
}

impl Storage for MemoryStorage {
    fn apply_batch(&self, operations: Vec<Operation>) -> Result<BatchResults> {
        // Every operation checks before it writes and its writes cannot fail, so a rejected one left nothing
        // behind and needs no rollback.
        let _turn = self.gate.turn();
        let mut inner = self.lock();
        Ok(operations
            .iter()
            .map(|op| ops::apply(&mut *inner, op))
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

    fn copy(&self, id: CopyId) -> Result<Copy> {
        self.lock()
            .copies
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::not_found(CopyId::ENTITY, id))
    }

    fn copies_of(&self, book: BookId) -> Result<Vec<Copy>> {
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
        Ok(self.paged_from(from(after), |inner, after| inner.rentals.page(after)))
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
        let open = inner.open_loans(customer)?.len() as u64;
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

    fn charge_entry(&self, rental: RentalId) -> Result<Option<LedgerEntry>> {
        let inner = self.lock();
        Ok(inner
            .charges
            .get(&rental)
            .and_then(|key| inner.ledger.get(key))
            .cloned())
    }

    fn prune_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64> {
        let mut inner = self.lock();
        let was = inner.keys.len();
        inner.keys.retain(|_, record| record.recorded_at >= before);
        Ok((was - inner.keys.len()) as u64)
    }

    fn hold(&self, id: HoldId) -> Result<Hold> {
        let inner = self.lock();
        let hold = inner
            .holds
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::not_found(HoldId::ENTITY, id))?;
        Ok(inner.numbered(hold))
    }

    fn book_holds(&self, book: BookId) -> Result<Vec<Hold>> {
        let inner = self.lock();
        if !inner.books.contains_key(&book) {
            return Err(Error::not_found(BookId::ENTITY, book));
        }
        let waiting = inner
            .waiting
            .range((book, HoldId::new(0))..=(book, HoldId::new(u64::MAX)))
            .map(|(_, id)| *id);
        let ready = inner
            .ready
            .iter()
            .copied()
            .filter(|id| inner.holds.get(id).is_some_and(|h| h.book == book));
        let mut ids: Vec<HoldId> = waiting.chain(ready).collect();
        ids.sort_unstable();
        let mut queue: Vec<Hold> = ids
            .into_iter()
            .filter_map(|id| inner.holds.get(&id).cloned())
            .collect();
        Hold::number_queue(&mut queue);
        Ok(queue)
    }

    fn customer_holds(&self, customer: CustomerId) -> Result<Vec<Hold>> {
        let inner = self.lock();
        if !inner.customers.contains_key(&customer) {
            return Err(Error::not_found(CustomerId::ENTITY, customer));
        }
        Ok(inner
            .holds_by_customer
            .range((customer, HoldId::new(0))..=(customer, HoldId::new(u64::MAX)))
            .filter_map(|(_, id)| inner.holds.get(id).cloned())
            .map(|hold| inner.numbered(hold))
            .collect())
    }

    fn active_holds(&self) -> Result<Vec<Hold>> {
        let inner = self.lock();
        let mut ids: Vec<HoldId> = inner
            .waiting
            .iter()
            .map(|(_, id)| *id)
            .chain(inner.ready.iter().copied())
            .collect();
        ids.sort_unstable();
        Ok(ids
            .into_iter()
            .filter_map(|id| inner.holds.get(&id).cloned())
            .map(|hold| inner.numbered(hold))
            .collect())
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

    fn flush(&self) -> Result<()> {
        Ok(())
    }
}
