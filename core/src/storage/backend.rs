//! What every backend is: the [`Storage`] trait (its writes go through the engine's one dispatcher; its reads are
//! the backend's own), the record streams it answers with, and storage behind a reference or smart pointer.

use chrono::{DateTime, Utc};

use crate::clock::{Clock, SystemClock};
use crate::domain::{
    AccountState, Book, BookCopy, BookUpdate, Customer, CustomerUpdate, Event, EventKind, Hold,
    LedgerEntry, NewBook, NewCustomer, Rental, RentalStatus, WordIndex,
};
use crate::engine::{single, Operation, Outcome, RentRequest};
use crate::error::Result;
use crate::ids::{BookId, CopyId, CustomerId, HoldId, RentalId};
use crate::pricing::{PlanVersion, PricePlan};

/// A stream of records in id order. Backends produce records lazily, so listing a million rentals does not load
/// them all into memory.
pub type Records<'a, T> = Box<dyn Iterator<Item = Result<T>> + Send + 'a>;

/// The answer to a batch: one result per operation, in order, or an error that failed the whole batch (the
/// backend could not commit it; nothing of it was stored).
pub type BatchResults = Vec<Result<Outcome>>;

/// Where Koko keeps its records. Implemented by [`MemoryStorage`](crate::MemoryStorage), [`SledStorage`](crate::SledStorage) and, with the `postgres`
/// feature, a PostgreSQL backend; all pass the same conformance suite.
///
/// Handles are shared between threads (`Send + Sync`). Every write is an [`Operation`] applied by
/// [`Storage::apply_batch`], atomically: the single-operation methods (`insert_book`, `rent`, `close`, …) are a
/// batch of one.
pub trait Storage: Send + Sync {
    /// Applies `operations` in order, each seeing the effects of the ones before it and each accepted or rejected
    /// on its own: a rejected operation (`Unavailable`, `NotFound`, …) gets its error and changes nothing, the
    /// others are unaffected. The accepted ones are committed together — after a crash all of them are stored or
    /// none — and the call returns once that commit is as durable as the backend promises. `Err` means the commit
    /// itself failed (I/O, a lost connection): nothing of the batch was stored.
    ///
    /// `now` is the store's clock when the batch was submitted: the time of an operation that names none
    /// (`at: None`), and the instant whose plan must price a new book's category. A
    /// [`BookStore`](crate::BookStore) passes its [`Clock`]'s reading.
    fn apply_batch_at(
        &self,
        operations: Vec<Operation>,
        now: DateTime<Utc>,
    ) -> Result<BatchResults>;

    /// What [`Storage::apply_batch_at`] would answer for `operations` at `now`, writing nothing: a dry run. Each
    /// operation sees the effects of the ones before it, as in a real batch, and then every effect is discarded,
    /// so the store is unchanged whatever the answers. On PostgreSQL the ids a dry run hands out are used up (its
    /// sequences do not roll back), so a real run after it gets later ids — but not the event feed's positions,
    /// which roll back with it; the memory store runs it on a copy of itself.
    fn try_batch_at(&self, operations: Vec<Operation>, now: DateTime<Utc>) -> Result<BatchResults>;

    /// [`Storage::apply_batch_at`] now, by the system clock (a storage used without a
    /// [`BookStore`](crate::BookStore) has no other).
    fn apply_batch(&self, operations: Vec<Operation>) -> Result<BatchResults> {
        self.apply_batch_at(operations, SystemClock.now())
    }

    /// Applies one operation (a batch of one).
    fn apply(&self, operation: Operation) -> Result<Outcome> {
        single(self.apply_batch(vec![operation])?)
    }

    /// Adds a book with `copies` copies (at least 1). [`Error::Duplicate`](crate::Error::Duplicate) if the title
    /// (trimmed, case-insensitive) or the ISBN is taken.
    fn insert_book(&self, book: &NewBook, copies: u32) -> Result<(Book, Vec<BookCopy>)> {
        self.apply(Operation::AddBook {
            book: book.clone(),
            copies,
        })?
        .into_book()
    }
    /// Changes a book's fields, keeping titles and ISBNs unique.
    fn update_book(&self, id: BookId, update: &BookUpdate) -> Result<Book> {
        self.apply(Operation::UpdateBook {
            id,
            update: update.clone(),
        })?
        .into_updated_book()
    }
    /// One book.
    fn book(&self, id: BookId) -> Result<Book>;
    /// Every book, in id order.
    fn books(&self) -> Result<Records<'_, Book>> {
        self.books_after(None)
    }
    /// The books after `after` (every book for `None`), in id order: a page costs the same however far in.
    fn books_after(&self, after: Option<BookId>) -> Result<Records<'_, Book>>;
    /// Adds `count` (at least 1) more copies of a book.
    fn add_copies(&self, book: BookId, count: u32) -> Result<Vec<BookCopy>> {
        self.apply(Operation::AddCopies {
            book,
            count,
            at: None,
        })?
        .into_copies()
    }
    /// One copy.
    fn copy(&self, id: CopyId) -> Result<BookCopy>;
    /// A book's copies, in id order.
    fn copies_of(&self, book: BookId) -> Result<Vec<BookCopy>>;
    /// How many copies of a book are on the shelf, counted from the index of available copies: its rented, held,
    /// lost and withdrawn copies cost nothing. [`Error::NotFound`](crate::Error::NotFound) for an unknown book.
    fn available_copies(&self, book: BookId) -> Result<usize>;
    /// The books with a copy on the shelf after `after` (all of them for `None`), in id order, streamed from the
    /// index of available copies, one read per book: the books with no copy on the shelf cost nothing.
    fn books_on_shelf_after(&self, after: Option<BookId>) -> Result<Records<'_, BookId>>;
    /// Withdraws an available copy from circulation (`true`) or puts a withdrawn one back (`false`).
    /// A rented copy cannot be withdrawn ([`Error::Unavailable`](crate::Error::Unavailable)).
    fn set_withdrawn(&self, copy: CopyId, withdrawn: bool) -> Result<BookCopy> {
        self.apply(Operation::SetWithdrawn {
            copy,
            withdrawn,
            at: None,
        })?
        .into_copy()
    }

    /// Registers a customer (active).
    fn insert_customer(&self, customer: &NewCustomer) -> Result<Customer> {
        self.apply(Operation::RegisterCustomer(customer.clone()))?
            .into_customer()
    }
    /// Changes a customer's fields, including activating or deactivating them.
    fn update_customer(&self, id: CustomerId, update: &CustomerUpdate) -> Result<Customer> {
        self.apply(Operation::UpdateCustomer {
            id,
            update: update.clone(),
        })?
        .into_customer()
    }
    /// One customer.
    fn customer(&self, id: CustomerId) -> Result<Customer>;
    /// Every customer, in id order.
    fn customers(&self) -> Result<Records<'_, Customer>> {
        self.customers_after(None)
    }
    /// The customers after `after` (every customer for `None`), in id order.
    fn customers_after(&self, after: Option<CustomerId>) -> Result<Records<'_, Customer>>;

    /// The customer whose e-mail address is `email` (case ignored: the key the store keeps unique), if any. One
    /// lookup of the address's index.
    fn customer_by_email(&self, email: &str) -> Result<Option<Customer>>;

    /// Opens a rental: checks the copy is available and the customer active, marks the copy rented and inserts
    /// the rental, priced by the plan version in force at `rented_at` — all or nothing. Of two concurrent rents of
    /// the last copy exactly one succeeds; the other gets [`Error::Unavailable`](crate::Error::Unavailable).
    fn rent(&self, request: &RentRequest) -> Result<Rental> {
        self.apply(Operation::Rent {
            target: request.target,
            customer: request.customer,
            at: request.rented_at,
        })?
        .into_rental()
    }
    /// Closes an open rental at `returned_at`, charging it under the plan version it was opened with, and makes
    /// the copy available — all or nothing. A second close is
    /// [`Error::AlreadyReturned`](crate::Error::AlreadyReturned) and changes nothing.
    fn close(&self, rental: RentalId, returned_at: DateTime<Utc>) -> Result<Rental> {
        self.apply(Operation::return_at(rental, returned_at))?
            .into_rental()
    }
    /// One rental.
    fn rental(&self, id: RentalId) -> Result<Rental>;
    /// Every rental, open and closed, in id order.
    fn rentals(&self) -> Result<Records<'_, Rental>> {
        self.rentals_after(None)
    }
    /// The rentals after `after` (every rental for `None`), open and closed, in id order.
    fn rentals_after(&self, after: Option<RentalId>) -> Result<Records<'_, Rental>>;
    /// The open rentals, in id order.
    fn active_rentals(&self) -> Result<Records<'_, Rental>> {
        self.active_rentals_after(None)
    }
    /// The open rentals after `after` (all of them for `None`), in id order.
    fn active_rentals_after(&self, after: Option<RentalId>) -> Result<Records<'_, Rental>>;
    /// Calls `visit` with each open rental, in id order, stopping at its first error — for reports over every
    /// open rental. A backend that holds rentals in memory lends them instead of cloning each; `visit` must not
    /// call back into the storage (it may run while the backend holds a lock). The default walks
    /// [`Storage::active_rentals`].
    fn visit_active_rentals(&self, visit: &mut dyn FnMut(&Rental) -> Result<()>) -> Result<()> {
        for rental in self.active_rentals()? {
            visit(&rental?)?;
        }
        Ok(())
    }
    /// The rentals of `status` after `after` (all for `None`), in id order, streamed from the index of that status
    /// (the open rentals', the closed ones', the lost ones'): the rentals of other statuses cost nothing.
    fn rentals_with_status_after(
        &self,
        status: RentalStatus,
        after: Option<RentalId>,
    ) -> Result<Records<'_, Rental>>;

    /// The rentals returned (closed, or declared lost) in `[from, to)`, in order of their return then id, read from
    /// an index of the rentals by return time: the open ones and those returned at other times cost nothing.
    fn rentals_returned_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Records<'_, Rental>>;

    /// A customer's rentals, open and closed, in id order.
    fn customer_rentals(&self, customer: CustomerId) -> Result<Records<'_, Rental>>;

    /// A customer's open rentals after `after` (all for `None`), in id order, streamed, read from an index of each
    /// customer's open rentals: their closed ones cost nothing. [`Error::NotFound`](crate::Error::NotFound) for an
    /// unknown customer.
    fn customer_open_rentals(
        &self,
        customer: CustomerId,
        after: Option<RentalId>,
    ) -> Result<Records<'_, Rental>>;

    /// The open rentals due before `at` (overdue at `at`), in id order, read from an index of the open rentals
    /// by due date: the rentals not yet due, and those with no due date, cost nothing. PostgreSQL compares at its
    /// microsecond precision (`at` truncated); a caller that needs the exact answer asks a microsecond later and
    /// filters.
    fn rentals_due_before(&self, at: DateTime<Utc>) -> Result<Vec<Rental>>;

    /// Stores a new price plan version. [`Error::Duplicate`](crate::Error::Duplicate) on `effective_from` if a
    /// version already starts at that instant.
    fn insert_plan_version(
        &self,
        effective_from: DateTime<Utc>,
        plan: &PricePlan,
    ) -> Result<PlanVersion> {
        self.apply(Operation::publish_plan(plan.clone(), effective_from))?
            .into_plan_version()
    }
    /// Every plan version, in id order.
    fn plan_versions(&self) -> Result<Vec<PlanVersion>>;

    /// A customer's account: balance, manual block, open rentals. [`Error::NotFound`](crate::Error::NotFound)
    /// for an unknown customer.
    fn account(&self, customer: CustomerId) -> Result<AccountState>;
    /// A customer's ledger, in posting (id) order, streamed.
    fn ledger(&self, customer: CustomerId) -> Result<Records<'_, LedgerEntry>>;
    /// A customer's ledger entries dated in `[from, to)` (`None`: unbounded), by date then id, oldest first or
    /// (`newest_first`) newest first, streamed from an index of each customer's ledger by date: the entries dated
    /// outside cost nothing. [`Error::NotFound`](crate::Error::NotFound) for an unknown customer.
    fn ledger_between(
        &self,
        customer: CustomerId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        newest_first: bool,
    ) -> Result<Records<'_, LedgerEntry>>;
    /// The customers who owe something (a balance above zero) after `after` (all for `None`), in id order,
    /// streamed from an index of them: the customers who owe nothing cost nothing.
    fn customers_owing_after(&self, after: Option<CustomerId>) -> Result<Records<'_, CustomerId>>;
    /// The charge entry a closed rental posted (`None` while it is open).
    fn charge_entry(&self, rental: RentalId) -> Result<Option<LedgerEntry>>;
    /// The ledger entries that name a rental (its charge, its fees, a found copy's credit), in id order, read from
    /// an index by rental: the rest of its customer's ledger costs nothing. None for an unknown rental.
    fn rental_entries(&self, rental: RentalId) -> Result<Vec<LedgerEntry>>;
    /// Forgets idempotency keys first used before `before`; answers how many. A retry with a forgotten key is
    /// a new request.
    fn prune_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64>;

    /// One hold; while it waits, `position` is its place in the book's queue (1: next to be served).
    fn hold(&self, id: HoldId) -> Result<Hold>;
    /// A book's waiting and ready holds, in queue (id) order, the waiting ones numbered from 1.
    /// [`Error::NotFound`](crate::Error::NotFound) for an unknown book.
    fn book_holds(&self, book: BookId) -> Result<Vec<Hold>>;
    /// A customer's holds of every status, in id order, the waiting ones numbered in their book's queue.
    fn customer_holds(&self, customer: CustomerId) -> Result<Vec<Hold>>;
    /// Every waiting and ready hold, in id order, the waiting ones numbered.
    fn active_holds(&self) -> Result<Vec<Hold>>;
    /// Every ready hold (a copy set aside for it), in id order: read from an index of the ready ones, so the
    /// waiting and closed holds cost nothing.
    fn ready_holds(&self) -> Result<Vec<Hold>>;

    /// The ids of the records of `index` one of whose words (see [`WordIndex`]) starts with `prefix` — a word
    /// already normalised: lower case, accents folded — ascending, without repeats; `None` when more than
    /// `at_most` index entries match (the caller then finds the records another way).
    fn word_matches(
        &self,
        index: WordIndex,
        prefix: &str,
        at_most: usize,
    ) -> Result<Option<Vec<u64>>>;

    /// The ids of the records of `index` that have exactly the word `word` (see [`WordIndex`]), after `after`
    /// (all for `None`), ascending, streamed from the search index: records without the word cost nothing. A
    /// category is such a word, so a category's books are a range of the index.
    fn word_ids_after(
        &self,
        index: WordIndex,
        word: &str,
        after: Option<u64>,
    ) -> Result<Records<'_, u64>>;

    /// When the notice `key` was marked sent ([`Operation::MarkNotified`]), if it was.
    fn notified(&self, key: &str) -> Result<Option<DateTime<Utc>>>;

    /// Every notice marked sent and when, in key order (for [`backup`](crate::backup)).
    fn notices_sent(&self) -> Result<Vec<(String, DateTime<Utc>)>>;

    /// Runs `read` while no write commits: writes wait until it returns (they are not refused). What `read` reads
    /// is therefore one consistent state of the store, as a backup needs. Memory and sled stores pause the
    /// writes of this process (the only one that can write them); PostgreSQL locks koko's tables against writes
    /// from every process (`LOCK TABLE … IN SHARE MODE`), reads still flowing.
    fn with_writes_paused(&self, read: &mut dyn FnMut() -> Result<()>) -> Result<()>;

    /// Makes everything written so far durable (a no-op where every commit already is).
    fn flush(&self) -> Result<()>;

    /// Up to `limit` events of the feed after position `after` (from the first for `None`), in position order.
    /// Positions are gap-free in commit order: once a position is read, no lower one appears later (only
    /// [`Operation::PruneEvents`] removes events, from the start of the feed). On PostgreSQL read from the primary.
    fn events_after(&self, after: Option<u64>, limit: usize) -> Result<Vec<Event>>;
    /// Up to `limit` events of the types `types` after position `after` (from the first for `None`), in position
    /// order, read from the feed's index by type: each type's events are a range of it, merged in position order,
    /// so the events of other types cost nothing — a page reads at most `limit` index entries of each type named,
    /// and the events it answers. Answers the events the index names as they are stored (a damaged index can name
    /// an event of another type; [`crate::check`] reports it). No types, no events.
    fn events_of_types_after(
        &self,
        types: &[EventKind],
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>>;
    /// The feed's last position given (0: none yet), pruned or not.
    fn last_event_position(&self) -> Result<u64>;
    /// The checkpoint of consumer `name` (set by [`Operation::SetCheckpoint`]), if it has one.
    fn checkpoint(&self, name: &str) -> Result<Option<u64>>;
    /// Every consumer's checkpoint, by name.
    fn checkpoints(&self) -> Result<Vec<(String, u64)>>;

    /// How many stored entries this store's calls have read since it was opened: records and index entries, one
    /// per lookup and one per entry a scan visits (PostgreSQL: one per row a query returns, the plans showing
    /// which index answered). The work of the calls, independent of the machine's speed: tests hold an
    /// operation's reads to what it returns, so a path that starts to grow with the rest of the store fails them.
    /// Not comparable across backends or versions.
    fn reads(&self) -> u64;
}

/// Storage behind a shared reference or a smart pointer is storage too, so one backend can serve several
/// [`BookStore`](crate::BookStore)s or be kept in an `Arc`.
macro_rules! forward_storage {
    ($($wrapper:ty),*) => {$(
        impl<T: Storage + ?Sized> Storage for $wrapper {
            fn apply_batch_at(
                &self,
                operations: Vec<Operation>,
                now: DateTime<Utc>,
            ) -> Result<BatchResults> {
                (**self).apply_batch_at(operations, now)
            }
            fn try_batch_at(
                &self,
                operations: Vec<Operation>,
                now: DateTime<Utc>,
            ) -> Result<BatchResults> {
                (**self).try_batch_at(operations, now)
            }
            fn book(&self, id: BookId) -> Result<Book> {
                (**self).book(id)
            }
            fn books_after(&self, after: Option<BookId>) -> Result<Records<'_, Book>> {
                (**self).books_after(after)
            }
            fn copy(&self, id: CopyId) -> Result<BookCopy> {
                (**self).copy(id)
            }
            fn copies_of(&self, book: BookId) -> Result<Vec<BookCopy>> {
                (**self).copies_of(book)
            }
            fn available_copies(&self, book: BookId) -> Result<usize> {
                (**self).available_copies(book)
            }
            fn books_on_shelf_after(&self, after: Option<BookId>) -> Result<Records<'_, BookId>> {
                (**self).books_on_shelf_after(after)
            }
            fn word_ids_after(
                &self,
                index: WordIndex,
                word: &str,
                after: Option<u64>,
            ) -> Result<Records<'_, u64>> {
                (**self).word_ids_after(index, word, after)
            }
            fn customer(&self, id: CustomerId) -> Result<Customer> {
                (**self).customer(id)
            }
            fn customers_after(&self, after: Option<CustomerId>) -> Result<Records<'_, Customer>> {
                (**self).customers_after(after)
            }
            fn customer_by_email(&self, email: &str) -> Result<Option<Customer>> {
                (**self).customer_by_email(email)
            }
            fn rental(&self, id: RentalId) -> Result<Rental> {
                (**self).rental(id)
            }
            fn rentals_after(&self, after: Option<RentalId>) -> Result<Records<'_, Rental>> {
                (**self).rentals_after(after)
            }
            fn active_rentals_after(&self, after: Option<RentalId>) -> Result<Records<'_, Rental>> {
                (**self).active_rentals_after(after)
            }
            fn visit_active_rentals(
                &self,
                visit: &mut dyn FnMut(&Rental) -> Result<()>,
            ) -> Result<()> {
                (**self).visit_active_rentals(visit)
            }
            fn customer_open_rentals(
                &self,
                customer: CustomerId,
                after: Option<RentalId>,
            ) -> Result<Records<'_, Rental>> {
                (**self).customer_open_rentals(customer, after)
            }
            fn rentals_due_before(&self, at: DateTime<Utc>) -> Result<Vec<Rental>> {
                (**self).rentals_due_before(at)
            }
            fn customer_rentals(&self, customer: CustomerId) -> Result<Records<'_, Rental>> {
                (**self).customer_rentals(customer)
            }
            fn rentals_with_status_after(
                &self,
                status: RentalStatus,
                after: Option<RentalId>,
            ) -> Result<Records<'_, Rental>> {
                (**self).rentals_with_status_after(status, after)
            }
            fn rentals_returned_between(
                &self,
                from: DateTime<Utc>,
                to: DateTime<Utc>,
            ) -> Result<Records<'_, Rental>> {
                (**self).rentals_returned_between(from, to)
            }
            fn plan_versions(&self) -> Result<Vec<PlanVersion>> {
                (**self).plan_versions()
            }
            fn account(&self, customer: CustomerId) -> Result<AccountState> {
                (**self).account(customer)
            }
            fn ledger(&self, customer: CustomerId) -> Result<Records<'_, LedgerEntry>> {
                (**self).ledger(customer)
            }
            fn ledger_between(
                &self,
                customer: CustomerId,
                from: Option<DateTime<Utc>>,
                to: Option<DateTime<Utc>>,
                newest_first: bool,
            ) -> Result<Records<'_, LedgerEntry>> {
                (**self).ledger_between(customer, from, to, newest_first)
            }
            fn customers_owing_after(
                &self,
                after: Option<CustomerId>,
            ) -> Result<Records<'_, CustomerId>> {
                (**self).customers_owing_after(after)
            }
            fn rental_entries(&self, rental: RentalId) -> Result<Vec<LedgerEntry>> {
                (**self).rental_entries(rental)
            }
            fn charge_entry(&self, rental: RentalId) -> Result<Option<LedgerEntry>> {
                (**self).charge_entry(rental)
            }
            fn prune_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64> {
                (**self).prune_idempotency_keys(before)
            }
            fn hold(&self, id: HoldId) -> Result<Hold> {
                (**self).hold(id)
            }
            fn book_holds(&self, book: BookId) -> Result<Vec<Hold>> {
                (**self).book_holds(book)
            }
            fn customer_holds(&self, customer: CustomerId) -> Result<Vec<Hold>> {
                (**self).customer_holds(customer)
            }
            fn ready_holds(&self) -> Result<Vec<Hold>> {
                (**self).ready_holds()
            }
            fn active_holds(&self) -> Result<Vec<Hold>> {
                (**self).active_holds()
            }
            fn word_matches(
                &self,
                index: WordIndex,
                prefix: &str,
                at_most: usize,
            ) -> Result<Option<Vec<u64>>> {
                (**self).word_matches(index, prefix, at_most)
            }
            fn notified(&self, key: &str) -> Result<Option<DateTime<Utc>>> {
                (**self).notified(key)
            }
            fn notices_sent(&self) -> Result<Vec<(String, DateTime<Utc>)>> {
                (**self).notices_sent()
            }
            fn with_writes_paused(&self, read: &mut dyn FnMut() -> Result<()>) -> Result<()> {
                (**self).with_writes_paused(read)
            }
            fn reads(&self) -> u64 {
                (**self).reads()
            }

            fn flush(&self) -> Result<()> {
                (**self).flush()
            }
            fn events_after(&self, after: Option<u64>, limit: usize) -> Result<Vec<Event>> {
                (**self).events_after(after, limit)
            }
            fn events_of_types_after(
                &self,
                types: &[EventKind],
                after: Option<u64>,
                limit: usize,
            ) -> Result<Vec<Event>> {
                (**self).events_of_types_after(types, after, limit)
            }
            fn last_event_position(&self) -> Result<u64> {
                (**self).last_event_position()
            }
            fn checkpoint(&self, name: &str) -> Result<Option<u64>> {
                (**self).checkpoint(name)
            }
            fn checkpoints(&self) -> Result<Vec<(String, u64)>> {
                (**self).checkpoints()
            }
        }
    )*};
}

forward_storage!(&T, std::sync::Arc<T>, Box<T>);
