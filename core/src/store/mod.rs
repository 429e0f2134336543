//! [`BookStore`]: what users call to run a store.

use std::io::Write;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::clock::{Clock, SystemClock};
use crate::domain::{
    Book, BookUpdate, Copy, Customer, CustomerUpdate, NewBook, NewCustomer, Rental,
};
use crate::engine::{Operation, RentTarget};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, PlanVersionId, RentalId};
use crate::pricing::{version_in_force, PlanVersion, PricePlan, Quote};
use crate::report::{self, OutstandingCharges, Receipt, Revenue};
use crate::storage::{MemoryStorage, Records, Storage};

mod accounts;
mod circulation;
mod notices;
mod search;
mod writes;

pub use search::{BookQuery, RentalQuery, MAX_PAGE};
pub use writes::WriteOptions;

/// A book store: catalogue, customers, rentals and charging over any [`Storage`].
///
/// Handles are `Send + Sync`: share one (e.g. in an `Arc`) between threads. Every method that changes state is
/// atomic; on error nothing changed.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use koko_core::{BookStore, NewBook, NewCustomer, PricePlan};
///
/// let store = BookStore::in_memory(PricePlan::story3()).unwrap();
/// let book = store.add_book(&NewBook::new("The Hobbit", "J. R. R. Tolkien", "novel"), 1).unwrap();
/// let ada = store.register_customer(&NewCustomer::new("Ada", "Lovelace")).unwrap();
///
/// let monday = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();
/// let rental = store.rent_book_at(ada.id, book.id, monday).unwrap();
/// let receipt = store.return_rental_at(rental.id, monday + Duration::hours(71)).unwrap();
/// assert_eq!(receipt.charge.total.to_string(), "4.50"); // 2 days of a novel, minimum 4.50
/// ```
pub struct BookStore<S> {
    storage: S,
    clock: Arc<dyn Clock>,
    plans: RwLock<Vec<PlanVersion>>,
}

impl<S> std::fmt::Debug for BookStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BookStore").finish_non_exhaustive()
    }
}

impl BookStore<MemoryStorage> {
    /// A store in memory priced by `plan` (effective from the Unix epoch).
    pub fn in_memory(plan: PricePlan) -> Result<Self> {
        BookStore::with_default_plan(MemoryStorage::new(), plan)
    }
}

/// The instant from which a store's first (default) plan is in force: 1970-01-01T00:00:00Z.
pub const DEFAULT_PLAN_START: DateTime<Utc> = DateTime::<Utc>::UNIX_EPOCH;

impl<S: Storage> BookStore<S> {
    /// A store over `storage`, priced by the plan versions stored in it (possibly none yet: see
    /// [`BookStore::publish_plan`]).
    pub fn open(storage: S) -> Result<Self> {
        let plans = storage.plan_versions()?;
        Ok(BookStore {
            storage,
            clock: Arc::new(SystemClock),
            plans: RwLock::new(plans),
        })
    }

    /// A store over `storage`; if it holds no plan version yet, `plan` becomes the first, in force from
    /// [`DEFAULT_PLAN_START`]. A store that already has plans keeps them.
    pub fn with_default_plan(storage: S, plan: PricePlan) -> Result<Self> {
        let store = Self::open(storage)?;
        if store.plan_versions().is_empty() {
            store.publish_plan(plan, DEFAULT_PLAN_START)?;
        }
        Ok(store)
    }

    /// Uses `clock` for "now" (e.g. a [`FixedClock`](crate::FixedClock) in tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The storage underneath.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// The clock's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    // --- price plans ---------------------------------------------------------------------------------------

    /// Publishes a new plan version that prices rentals opened from `effective_from` on. Rentals opened earlier
    /// keep the version they were opened under.
    pub fn publish_plan(
        &self,
        plan: PricePlan,
        effective_from: DateTime<Utc>,
    ) -> Result<PlanVersion> {
        self.apply(Operation::publish_plan(plan, effective_from))?
            .into_plan_version()
    }

    /// Re-reads the plan versions from storage (needed only when another process publishes plans).
    pub fn reload_plans(&self) -> Result<()> {
        let plans = self.storage.plan_versions()?;
        *self.plans.write().unwrap_or_else(|p| p.into_inner()) = plans;
        Ok(())
    }

    /// Every plan version, in id order.
    pub fn plan_versions(&self) -> Vec<PlanVersion> {
        self.plans.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The plan version in force at `at`.
    pub fn plan_at(&self, at: DateTime<Utc>) -> Result<PlanVersion> {
        let plans = self.plans.read().unwrap_or_else(|p| p.into_inner());
        version_in_force(&plans, at)
            .cloned()
            .ok_or_else(|| Error::not_found(PlanVersionId::ENTITY, format!("in force at {at}")))
    }

    /// The plan version in force now.
    pub fn current_plan(&self) -> Result<PlanVersion> {
        self.plan_at(self.now())
    }

    fn plan_version(&self, id: PlanVersionId) -> Result<PlanVersion> {
        let cached = {
            let plans = self.plans.read().unwrap_or_else(|p| p.into_inner());
            plans.iter().find(|v| v.id == id).cloned()
        };
        match cached {
            Some(version) => Ok(version),
            None => {
                self.reload_plans()?;
                let plans = self.plans.read().unwrap_or_else(|p| p.into_inner());
                plans
                    .iter()
                    .find(|v| v.id == id)
                    .cloned()
                    .ok_or_else(|| Error::not_found(PlanVersionId::ENTITY, id))
            }
        }
    }

    // --- catalogue -----------------------------------------------------------------------------------------

    /// Adds a book with `copies` copies (1 is the simple default). Its category must be priced by the current
    /// plan; the title (case-insensitive) and ISBN must be new.
    pub fn add_book(&self, book: &NewBook, copies: u32) -> Result<Book> {
        self.apply(Operation::AddBook {
            book: book.clone(),
            copies,
        })?
        .into_book()
        .map(|(book, _)| book)
    }

    /// Adds `count` more copies of a book.
    pub fn add_copies(&self, book: BookId, count: u32) -> Result<Vec<Copy>> {
        self.apply(Operation::AddCopies {
            book,
            count,
            at: Some(self.now()),
        })?
        .into_copies()
    }

    /// Changes a book's title, author, ISBN or category. Open rentals keep the category they were rented under.
    pub fn update_book(&self, id: BookId, update: &BookUpdate) -> Result<Book> {
        self.apply(Operation::UpdateBook {
            id,
            update: update.clone(),
        })?
        .into_updated_book()
    }

    /// Takes a copy on the shelf (or a lost one) out of circulation.
    pub fn withdraw_copy(&self, copy: CopyId) -> Result<Copy> {
        self.set_withdrawn(copy, true)
    }

    /// Puts a withdrawn copy back into circulation (to the first waiting hold of its book, or the shelf).
    pub fn reinstate_copy(&self, copy: CopyId) -> Result<Copy> {
        self.set_withdrawn(copy, false)
    }

    fn set_withdrawn(&self, copy: CopyId, withdrawn: bool) -> Result<Copy> {
        self.apply(Operation::SetWithdrawn {
            copy,
            withdrawn,
            at: Some(self.now()),
        })?
        .into_copy()
    }

    /// One book.
    pub fn book(&self, id: BookId) -> Result<Book> {
        self.storage.book(id)
    }

    /// Every book, in id order.
    pub fn books(&self) -> Result<Records<'_, Book>> {
        self.storage.books()
    }

    /// A book's copies, in id order.
    pub fn copies(&self, book: BookId) -> Result<Vec<Copy>> {
        self.storage.copies_of(book)
    }

    /// How many copies of a book are on the shelf.
    pub fn available_copies(&self, book: BookId) -> Result<usize> {
        Ok(self
            .storage
            .copies_of(book)?
            .iter()
            .filter(|c| c.status == crate::CopyStatus::Available)
            .count())
    }

    // --- customers -----------------------------------------------------------------------------------------

    /// Registers a customer (active).
    pub fn register_customer(&self, customer: &NewCustomer) -> Result<Customer> {
        self.apply(Operation::RegisterCustomer(customer.clone()))?
            .into_customer()
    }

    /// Changes a customer's fields.
    pub fn update_customer(&self, id: CustomerId, update: &CustomerUpdate) -> Result<Customer> {
        self.apply(Operation::UpdateCustomer {
            id,
            update: update.clone(),
        })?
        .into_customer()
    }

    /// Deactivates a customer: they can no longer rent (open rentals can still be returned).
    pub fn deactivate_customer(&self, id: CustomerId) -> Result<Customer> {
        self.set_active(id, false)
    }

    /// Reactivates a customer.
    pub fn activate_customer(&self, id: CustomerId) -> Result<Customer> {
        self.set_active(id, true)
    }

    fn set_active(&self, id: CustomerId, active: bool) -> Result<Customer> {
        let update = CustomerUpdate {
            active: Some(active),
            ..CustomerUpdate::default()
        };
        self.update_customer(id, &update)
    }

    /// One customer.
    pub fn customer(&self, id: CustomerId) -> Result<Customer> {
        self.storage.customer(id)
    }

    /// Every customer, in id order.
    pub fn customers(&self) -> Result<Records<'_, Customer>> {
        self.storage.customers()
    }

    // --- quotes --------------------------------------------------------------------------------------------

    /// What renting a book of `category` from `rented_at` to `returned_at` costs under the plan in force at
    /// `rented_at` (with the plan's loan period, if any, for late fees).
    pub fn quote(
        &self,
        category: &str,
        rented_at: DateTime<Utc>,
        returned_at: DateTime<Utc>,
    ) -> Result<Quote> {
        self.plan_at(rented_at)?
            .plan
            .quote(category, rented_at, returned_at)
    }

    /// What renting `book` from `rented_at` to `returned_at` costs.
    pub fn quote_book(
        &self,
        book: BookId,
        rented_at: DateTime<Utc>,
        returned_at: DateTime<Utc>,
    ) -> Result<Quote> {
        let book = self.storage.book(book)?;
        self.quote(&book.category, rented_at, returned_at)
    }

    /// What an open rental would cost if it were returned at `at`: exactly what returning it then would charge.
    pub fn quote_return(&self, rental: RentalId, at: DateTime<Utc>) -> Result<Quote> {
        let rental = self.storage.rental(rental)?;
        if rental.returned_at.is_some() {
            return Err(Error::AlreadyReturned {
                rental: rental.id.get(),
            });
        }
        self.charge(&rental, at)
    }

    pub(crate) fn charge(&self, rental: &Rental, returned_at: DateTime<Utc>) -> Result<Quote> {
        let version = self.plan_version(rental.plan_version)?;
        version.plan.quote_with_due(
            &rental.category,
            rental.rented_at,
            rental.due_at,
            returned_at,
        )
    }

    // --- rentals -------------------------------------------------------------------------------------------

    /// Rents any available copy of `book` to `customer` now.
    pub fn rent_book(&self, customer: CustomerId, book: BookId) -> Result<Rental> {
        self.rent_book_at(customer, book, self.now())
    }

    /// Rents any available copy of `book` to `customer` at `at`.
    pub fn rent_book_at(
        &self,
        customer: CustomerId,
        book: BookId,
        at: DateTime<Utc>,
    ) -> Result<Rental> {
        self.rent(RentTarget::Book(book), customer, at)
    }

    /// Rents exactly `copy` to `customer` now.
    pub fn rent_copy(&self, customer: CustomerId, copy: CopyId) -> Result<Rental> {
        self.rent_copy_at(customer, copy, self.now())
    }

    /// Rents exactly `copy` to `customer` at `at`.
    pub fn rent_copy_at(
        &self,
        customer: CustomerId,
        copy: CopyId,
        at: DateTime<Utc>,
    ) -> Result<Rental> {
        self.rent(RentTarget::Copy(copy), customer, at)
    }

    fn rent(&self, target: RentTarget, customer: CustomerId, at: DateTime<Utc>) -> Result<Rental> {
        self.apply(Operation::Rent {
            target,
            customer,
            at,
        })?
        .into_rental()
    }

    /// Returns a rental now, charging it; see [`BookStore::return_rental_at`].
    pub fn return_rental(&self, rental: RentalId) -> Result<Receipt> {
        self.return_rental_at(rental, self.now())
    }

    /// Returns a rental at `at`: charges it under the plan version it was opened with, closes it and frees the
    /// copy, all at once. A second return is [`Error::AlreadyReturned`]; a time before the rental is
    /// [`Error::InvalidInput`] on `returned_at`.
    pub fn return_rental_at(&self, rental: RentalId, at: DateTime<Utc>) -> Result<Receipt> {
        let closed = self
            .apply(Operation::return_at(rental, at))?
            .into_rental()?;
        self.receipt(closed)
    }

    /// The receipt of a closed rental (as [`BookStore::return_rental_at`] gives), e.g. for the returns of a batch:
    /// its charge and the customer's balance once the charge was posted.
    pub fn receipt(&self, closed: Rental) -> Result<Receipt> {
        let title = self
            .storage
            .book(closed.book)
            .map(|b| b.title)
            .unwrap_or_default();
        let entry = self.storage.charge_entry(closed.id)?.ok_or_else(|| {
            Error::Corruption(format!("closed rental {} has no charge entry", closed.id))
        })?;
        Receipt::new(closed, title, entry.balance_after)
    }

    /// One rental.
    pub fn rental(&self, id: RentalId) -> Result<Rental> {
        self.storage.rental(id)
    }

    /// Every rental, open and closed, in id order, streamed.
    pub fn rentals(&self) -> Result<Records<'_, Rental>> {
        self.storage.rentals()
    }

    /// Makes everything written so far durable (a no-op where every commit already is).
    pub fn flush(&self) -> Result<()> {
        self.storage.flush()
    }

    /// The open rentals, in id order, streamed.
    pub fn active_rentals(&self) -> Result<Records<'_, Rental>> {
        self.storage.active_rentals()
    }

    /// The open rentals past their due date at `at`, in id order.
    pub fn overdue_rentals(&self, at: DateTime<Utc>) -> Result<Records<'_, Rental>> {
        Ok(Box::new(self.storage.active_rentals()?.filter(
            move |r| match r {
                Ok(rental) => rental.is_overdue(at),
                Err(_) => true,
            },
        )))
    }

    /// A customer's rentals, open and closed, in id order.
    pub fn customer_rentals(&self, customer: CustomerId) -> Result<Records<'_, Rental>> {
        self.storage.customer_rentals(customer)
    }

    // --- reports -------------------------------------------------------------------------------------------

    /// Revenue of the rentals returned in `[from, to)`, by currency and category.
    pub fn revenue(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Revenue> {
        if to < from {
            return Err(Error::invalid_input(
                "to",
                "the period ends before it starts",
            ));
        }
        report::revenue(self.storage.rentals()?, from, to)
    }

    /// What every open rental would be charged if all came back at `at` ("charges so far"), summed by currency.
    ///
    /// Streams the open rentals and prices each on the totals-only path (no lines are built). A rental `at` cannot
    /// price — `at` before it began — is an [`Error::InvalidInput`] on `returned_at`.
    pub fn outstanding_charges(&self, at: DateTime<Utc>) -> Result<OutstandingCharges> {
        let plans = self.plan_versions();
        report::outstanding(&self.storage, at, |rental| {
            let plan = match plans.iter().find(|v| v.id == rental.plan_version) {
                Some(version) => &version.plan,
                None => return Err(Error::not_found(PlanVersionId::ENTITY, rental.plan_version)),
            };
            let total =
                plan.total_with_due(&rental.category, rental.rented_at, rental.due_at, at)?;
            Ok((plan.currency(), total))
        })
    }

    /// Writes the open rentals as CSV (with a header row) to `out`, streaming; returns the number of rentals.
    pub fn export_active_rentals_csv<W: Write>(&self, out: W) -> Result<u64> {
        report::export_active_csv(&self.storage, out)
    }
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<BookStore<MemoryStorage>>();
    #[cfg(feature = "sled")]
    is::<BookStore<crate::storage::SledStorage>>();
}
