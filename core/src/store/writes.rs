//! The facade's one write surface: every write of [`BookStore`] — its named methods, [`BookStore::execute`] and
//! [`BookStore::apply_batch`] — goes through [`BookStore::submit`] to the storage's
//! [`apply_batch_at`](crate::Storage::apply_batch_at) with the store's clock, so the engine's rules, idempotency
//! keys and the plan cache cannot be skipped.

use super::book_store::BookStore;
use crate::engine::{single, Operation, Outcome};
use crate::error::Result;
use crate::storage::{BatchResults, Storage};

/// How one write is applied ([`BookStore::execute`]).
///
/// ```
/// use koko_core::WriteOptions;
///
/// let options = WriteOptions::new().idempotency_key("pay-4711");
/// assert_eq!(options.key(), Some("pay-4711"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteOptions {
    /// The client's idempotency key: the first write with it has the effect; a retry with the same key and the
    /// same request answers the first outcome and changes nothing (see [`Operation::Idempotent`]).
    pub idempotency_key: Option<String>,
    /// Whether the operation's instant (`at`) was the store's clock rather than the caller's: then a retry a
    /// moment later, with a later `at`, is still the same request.
    pub clock_time: bool,
}

impl WriteOptions {
    /// No key: the write is applied each time it is called.
    pub fn new() -> Self {
        WriteOptions::default()
    }

    /// Applies the write at most once for `key`.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Says the operation's instant came from the store's clock ([`WriteOptions::clock_time`]).
    pub fn clock_time(mut self, clock_time: bool) -> Self {
        self.clock_time = clock_time;
        self
    }

    /// The idempotency key, if any.
    pub fn key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }

    /// `operation` as the engine takes it: wrapped in [`Operation::Idempotent`] when there is a key.
    pub fn wrap(&self, operation: Operation, now: chrono::DateTime<chrono::Utc>) -> Operation {
        match &self.idempotency_key {
            Some(key) => Operation::Idempotent {
                key: key.clone(),
                recorded_at: now,
                clock_time: self.clock_time,
                operation: Box::new(operation),
            },
            None => operation,
        }
    }
}

impl<S: Storage> BookStore<S> {
    /// Applies one write with `options` (an idempotency key, …): the one door every write of the facade goes
    /// through. Answers what the operation made.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use koko_core::{BookStore, Decimal, NewCustomer, Operation, PricePlan, WriteOptions};
    ///
    /// let store = BookStore::in_memory(PricePlan::story3()).unwrap();
    /// let ada = store.register_customer(&NewCustomer::new("Ada", "Lovelace")).unwrap();
    /// let at = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();
    /// let pay = Operation::Pay { customer: ada.id, amount: Decimal::new(500, 2), currency: None, at, note: None };
    /// let options = WriteOptions::new().idempotency_key("till-1/receipt-42");
    /// let first = store.execute(pay.clone(), &options).unwrap().into_entry().unwrap();
    /// let retry = store.execute(pay, &options).unwrap().into_entry().unwrap();
    /// assert_eq!(first, retry); // the retry changed nothing
    /// assert_eq!(store.account(ada.id).unwrap().entries.len(), 1);
    /// ```
    pub fn execute(&self, operation: Operation, options: &WriteOptions) -> Result<Outcome> {
        let now = self.now();
        single(self.submit(vec![options.wrap(operation, now)])?)
    }

    /// Applies one operation (a batch of one): for the writes that have no method of their own here, such as a
    /// payment at a given time ([`Operation::Pay`]) or a fee ([`Operation::PostFee`]).
    pub fn apply(&self, operation: Operation) -> Result<Outcome> {
        self.execute(operation, &WriteOptions::new())
    }

    /// Applies `operation` under a client's idempotency key (see [`Operation::Idempotent`]): the first call with
    /// a key has the effect; a retry with the same key and request answers the first outcome and changes
    /// nothing. `clock_time` says the operation's instant came from [`BookStore::now`] rather than the caller.
    pub fn apply_idempotent(
        &self,
        key: &str,
        operation: Operation,
        clock_time: bool,
    ) -> Result<Outcome> {
        self.execute(
            operation,
            &WriteOptions::new()
                .idempotency_key(key)
                .clock_time(clock_time),
        )
    }

    /// Applies many operations at once: in order, each seeing the ones before it, each accepted or rejected on
    /// its own (one result per operation), all accepted ones committed together — one commit and, on sled, one
    /// sync for the whole batch. For imports, a drop box's returns at opening, migrations.
    ///
    /// A book added with a category that neither the current plan nor a plan published earlier in the batch
    /// prices is rejected (`InvalidInput` on `category`), as [`BookStore::add_book`] does. `Err` means the backend
    /// could not commit: nothing of the batch was stored.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use koko_core::{BookId, BookStore, CustomerId, NewBook, NewCustomer, Operation, PricePlan, RentTarget};
    ///
    /// let store = BookStore::in_memory(PricePlan::story3()).unwrap();
    /// let at = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();
    /// let results = store.apply_batch(vec![
    ///     Operation::AddBook { book: NewBook::new("Emma", "Jane Austen", "novel"), copies: 1 },
    ///     Operation::RegisterCustomer(NewCustomer::new("Ada", "Lovelace")),
    ///     Operation::Rent { target: RentTarget::Book(BookId::new(1)), customer: CustomerId::new(1), at },
    ///     Operation::ReturnCopy { copy: koko_core::CopyId::new(1), at: at + chrono::Duration::days(2) },
    /// ]).unwrap();
    /// let closed = results.into_iter().nth(3).unwrap().unwrap().into_rental().unwrap();
    /// assert_eq!(closed.charge.unwrap().total.to_string(), "4.50");
    /// ```
    pub fn apply_batch(&self, operations: Vec<Operation>) -> Result<BatchResults> {
        self.submit(operations)
    }

    /// What [`BookStore::apply_batch`] would answer for `operations` now, writing nothing (see
    /// [`Storage::try_batch_at`]): a dry run of an import, say.
    ///
    /// ```
    /// use koko_core::{BookStore, NewBook, Operation, PricePlan};
    ///
    /// let store = BookStore::in_memory(PricePlan::story3()).unwrap();
    /// let book = |title: &str| Operation::AddBook { book: NewBook::new(title, "Jane Austen", "novel"), copies: 1 };
    /// let results = store.try_batch(vec![book("Emma"), book("emma ")]).unwrap();
    /// assert!(results[0].is_ok());
    /// assert!(results[1].is_err(), "the second sees the first: a title is unique");
    /// assert_eq!(store.books().unwrap().count(), 0, "nothing was written");
    /// ```
    pub fn try_batch(&self, operations: Vec<Operation>) -> Result<BatchResults> {
        if operations.is_empty() {
            return Ok(Vec::new());
        }
        self.storage.try_batch_at(operations, self.now())
    }

    /// Sends operations to the storage with the store's clock, and refreshes the plan cache when a plan version
    /// was published.
    fn submit(&self, operations: Vec<Operation>) -> Result<BatchResults> {
        if operations.is_empty() {
            return Ok(Vec::new());
        }
        let results = self.storage.apply_batch_at(operations, self.now())?;
        if results
            .iter()
            .any(|r| matches!(r, Ok(Outcome::PlanVersion(_))))
        {
            self.reload_plans()?;
        }
        Ok(results)
    }
}
