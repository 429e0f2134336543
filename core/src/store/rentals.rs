//! Quotes, rentals, returns and reports of [`BookStore`].

use std::io::Write;

use chrono::{DateTime, Utc};

use super::book_store::BookStore;
use crate::domain::Rental;
use crate::engine::{Operation, RentTarget};
use crate::error::{Error, Result};
use crate::export::ExportKind;
use crate::ids::{BookId, CopyId, CustomerId, PlanVersionId, RentalId};
use crate::pricing::Quote;
use crate::report::{self, OutstandingCharges, Receipt, Revenue};
use crate::storage::{Records, Storage};

impl<S: Storage> BookStore<S> {
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

    /// The open rentals past their due date at `at`, in id order (read from the index of the open rentals by due
    /// date: the rentals not yet due cost nothing).
    pub fn overdue_rentals(&self, at: DateTime<Utc>) -> Result<Records<'_, Rental>> {
        Ok(Box::new(self.overdue_at(at)?.into_iter().map(Ok)))
    }

    /// The open rentals overdue at `at`, in id order: those the index of open rentals by due date finds due before
    /// a microsecond after `at` (a backend may compare at microseconds), exactly overdue at `at`.
    pub(crate) fn overdue_at(&self, at: DateTime<Utc>) -> Result<Vec<Rental>> {
        let mut due = self.storage.rentals_due_before(just_after(at))?;
        due.retain(|rental| rental.is_overdue(at));
        Ok(due)
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
        report::revenue(self.storage.rentals_returned_between(from, to)?, from, to)
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
        self.export_csv(ExportKind::ActiveRentals, out)
    }
}

/// A microsecond after `at` (the latest instant for a time too far in the future): a bound that includes `at`
/// wherever instants are compared at microseconds.
pub(crate) fn just_after(at: DateTime<Utc>) -> DateTime<Utc> {
    at.checked_add_signed(chrono::Duration::microseconds(1))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
