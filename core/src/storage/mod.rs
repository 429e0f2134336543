//! Pluggable storage: the [`Storage`] trait and its backends.
//!
//! Every operation that changes stored state is atomic: it happens completely or, on any error, not at all.
//! The domain rules (a copy is rented at most once at a time, an inactive customer cannot rent, a rental closes
//! exactly once, titles and ISBNs are unique) are enforced inside each operation's transaction by the shared code
//! in `ops`, so every backend enforces the same rules.

use chrono::{DateTime, Utc};

use crate::domain::{
    Book, BookUpdate, Copy, Customer, CustomerUpdate, NewBook, NewCustomer, Rental,
};
use crate::error::Result;
use crate::ids::{BookId, CopyId, CustomerId, PlanVersionId, RentalId};
use crate::pricing::{PlanVersion, PricePlan, Quote};

mod memory;
mod ops;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sled")]
mod sled_backend;

#[cfg(feature = "postgres")]
pub use self::postgres::{PostgresOptions, PostgresStorage};
pub use memory::MemoryStorage;
#[cfg(feature = "sled")]
pub use sled_backend::{Durability, SledOptions, SledStorage};

/// A stream of records in id order. Backends produce records lazily, so listing a million rentals does not load
/// them all into memory.
pub type Records<'a, T> = Box<dyn Iterator<Item = Result<T>> + Send + 'a>;

/// What to rent: any available copy of a book, or one specific copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RentTarget {
    /// The first available copy of this book (in copy id order).
    Book(BookId),
    /// Exactly this copy.
    Copy(CopyId),
}

/// A request to open a rental.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RentRequest {
    /// The book or copy to rent.
    pub target: RentTarget,
    /// Who rents it.
    pub customer: CustomerId,
    /// When.
    pub rented_at: DateTime<Utc>,
    /// The price plan version in force at `rented_at`, stored on the rental.
    pub plan_version: PlanVersionId,
}

/// Sets a new rental's due date from the rented book's category; an error (e.g. a category the plan does not
/// price) aborts the rent with nothing changed. Called inside the transaction, possibly more than once.
pub type DueDateFn<'a> = &'a (dyn Fn(&str, DateTime<Utc>) -> Result<Option<DateTime<Utc>>> + Sync);

/// Computes the charge of an open rental returned at the given time. Called inside the transaction, possibly more
/// than once; an error aborts the close with nothing changed.
pub type ChargeFn<'a> = &'a (dyn Fn(&Rental, DateTime<Utc>) -> Result<Quote> + Sync);

/// Where Koko keeps its records. Implemented by [`MemoryStorage`], [`SledStorage`] and, with the `postgres`
/// feature, a PostgreSQL backend; all pass the same conformance suite.
///
/// Handles are shared between threads (`Send + Sync`); every method that changes state is atomic.
pub trait Storage: Send + Sync {
    /// Adds a book with `copies` copies (at least 1). [`Error::Duplicate`](crate::Error::Duplicate) if the title
    /// (trimmed, case-insensitive) or the ISBN is taken.
    fn insert_book(&self, book: &NewBook, copies: u32) -> Result<(Book, Vec<Copy>)>;
    /// Changes a book's fields, keeping titles and ISBNs unique.
    fn update_book(&self, id: BookId, update: &BookUpdate) -> Result<Book>;
    /// One book.
    fn book(&self, id: BookId) -> Result<Book>;
    /// Every book, in id order.
    fn books(&self) -> Result<Records<'_, Book>>;
    /// Adds `count` (at least 1) more copies of a book.
    fn add_copies(&self, book: BookId, count: u32) -> Result<Vec<Copy>>;
    /// One copy.
    fn copy(&self, id: CopyId) -> Result<Copy>;
    /// A book's copies, in id order.
    fn copies_of(&self, book: BookId) -> Result<Vec<Copy>>;
    /// Withdraws an available copy from circulation (`true`) or puts a withdrawn one back (`false`).
    /// A rented copy cannot be withdrawn ([`Error::Unavailable`](crate::Error::Unavailable)).
    fn set_withdrawn(&self, copy: CopyId, withdrawn: bool) -> Result<Copy>;

    /// Registers a customer (active).
    fn insert_customer(&self, customer: &NewCustomer) -> Result<Customer>;
    /// Changes a customer's fields, including activating or deactivating them.
    fn update_customer(&self, id: CustomerId, update: &CustomerUpdate) -> Result<Customer>;
    /// One customer.
    fn customer(&self, id: CustomerId) -> Result<Customer>;
    /// Every customer, in id order.
    fn customers(&self) -> Result<Records<'_, Customer>>;

    /// Opens a rental: checks the copy is available and the customer active, marks the copy rented and inserts
    /// the rental — all or nothing. Of two concurrent rents of the last copy exactly one succeeds; the other gets
    /// [`Error::Unavailable`](crate::Error::Unavailable).
    fn rent(&self, request: &RentRequest, due_at: DueDateFn<'_>) -> Result<Rental>;
    /// Closes an open rental at `returned_at` with the charge `charge` computes, and makes the copy available —
    /// all or nothing. A second close is [`Error::AlreadyReturned`](crate::Error::AlreadyReturned) and changes
    /// nothing.
    fn close(
        &self,
        rental: RentalId,
        returned_at: DateTime<Utc>,
        charge: ChargeFn<'_>,
    ) -> Result<Rental>;
    /// One rental.
    fn rental(&self, id: RentalId) -> Result<Rental>;
    /// Every rental, open and closed, in id order.
    fn rentals(&self) -> Result<Records<'_, Rental>>;
    /// The open rentals, in id order.
    fn active_rentals(&self) -> Result<Records<'_, Rental>>;
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
    /// A customer's rentals, open and closed, in id order.
    fn customer_rentals(&self, customer: CustomerId) -> Result<Records<'_, Rental>>;

    /// Stores a new price plan version. [`Error::Duplicate`](crate::Error::Duplicate) on `effective_from` if a
    /// version already starts at that instant.
    fn insert_plan_version(
        &self,
        effective_from: DateTime<Utc>,
        plan: &PricePlan,
    ) -> Result<PlanVersion>;
    /// Every plan version, in id order.
    fn plan_versions(&self) -> Result<Vec<PlanVersion>>;

    /// Makes everything written so far durable (a no-op where every commit already is).
    fn flush(&self) -> Result<()>;
}

/// Storage behind a shared reference or a smart pointer is storage too, so one backend can serve several
/// [`BookStore`](crate::BookStore)s or be kept in an `Arc`.
macro_rules! forward_storage {
    ($($wrapper:ty),*) => {$(
        impl<T: Storage + ?Sized> Storage for $wrapper {
            fn insert_book(&self, book: &NewBook, copies: u32) -> Result<(Book, Vec<Copy>)> {
                (**self).insert_book(book, copies)
            }
            fn update_book(&self, id: BookId, update: &BookUpdate) -> Result<Book> {
                (**self).update_book(id, update)
            }
            fn book(&self, id: BookId) -> Result<Book> {
                (**self).book(id)
            }
            fn books(&self) -> Result<Records<'_, Book>> {
                (**self).books()
            }
            fn add_copies(&self, book: BookId, count: u32) -> Result<Vec<Copy>> {
                (**self).add_copies(book, count)
            }
            fn copy(&self, id: CopyId) -> Result<Copy> {
                (**self).copy(id)
            }
            fn copies_of(&self, book: BookId) -> Result<Vec<Copy>> {
                (**self).copies_of(book)
            }
            fn set_withdrawn(&self, copy: CopyId, withdrawn: bool) -> Result<Copy> {
                (**self).set_withdrawn(copy, withdrawn)
            }
            fn insert_customer(&self, customer: &NewCustomer) -> Result<Customer> {
                (**self).insert_customer(customer)
            }
            fn update_customer(&self, id: CustomerId, update: &CustomerUpdate) -> Result<Customer> {
                (**self).update_customer(id, update)
            }
            fn customer(&self, id: CustomerId) -> Result<Customer> {
                (**self).customer(id)
            }
            fn customers(&self) -> Result<Records<'_, Customer>> {
                (**self).customers()
            }
            fn rent(&self, request: &RentRequest, due_at: DueDateFn<'_>) -> Result<Rental> {
                (**self).rent(request, due_at)
            }
            fn close(&self, rental: RentalId, returned_at: DateTime<Utc>, charge: ChargeFn<'_>) -> Result<Rental> {
                (**self).close(rental, returned_at, charge)
            }
            fn rental(&self, id: RentalId) -> Result<Rental> {
                (**self).rental(id)
            }
            fn rentals(&self) -> Result<Records<'_, Rental>> {
                (**self).rentals()
            }
            fn active_rentals(&self) -> Result<Records<'_, Rental>> {
                (**self).active_rentals()
            }
            fn visit_active_rentals(
                &self,
                visit: &mut dyn FnMut(&Rental) -> Result<()>,
            ) -> Result<()> {
                (**self).visit_active_rentals(visit)
            }
            fn customer_rentals(&self, customer: CustomerId) -> Result<Records<'_, Rental>> {
                (**self).customer_rentals(customer)
            }
            fn insert_plan_version(&self, effective_from: DateTime<Utc>, plan: &PricePlan) -> Result<PlanVersion> {
                (**self).insert_plan_version(effective_from, plan)
            }
            fn plan_versions(&self) -> Result<Vec<PlanVersion>> {
                (**self).plan_versions()
            }
            fn flush(&self) -> Result<()> {
                (**self).flush()
            }
        }
    )*};
}

forward_storage!(&T, std::sync::Arc<T>, Box<T>);
