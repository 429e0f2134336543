//! The circulation side of [`BookStore`]: renewals, holds, lost and found copies, damage fees.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::book_store::BookStore;
use crate::domain::{BookCopy, EntryKind, Hold, LedgerEntry, Rental};
use crate::engine::{Damage, Operation};
use crate::error::Result;
use crate::ids::{BookId, CopyId, CustomerId, HoldId, RentalId};
use crate::report::Receipt;
use crate::storage::Storage;

impl<S: Storage> BookStore<S> {
    /// Renews an open rental at `at`: its due date moves forward by the loan period, as its plan's tariff allows
    /// (`renewals`). [`Error::Blocked`](crate::Error::Blocked) on `renewals.max`, `holds.waiting` (another
    /// customer waits for the book and no copy is on the shelf), `manual` or `limits.max_balance`.
    pub fn renew_at(&self, rental: RentalId, at: DateTime<Utc>) -> Result<Rental> {
        self.apply(Operation::Renew { rental, at })?.into_rental()
    }

    /// Queues a customer for a book at `at`. If a copy is on the shelf it is set aside at once (the hold is
    /// `ready`); otherwise the hold waits for the next copy that comes back.
    ///
    /// ```
    /// use chrono::{Duration, TimeZone, Utc};
    /// use koko_core::{BookStore, HoldStatus, NewBook, NewCustomer, PricePlan};
    ///
    /// let store = BookStore::in_memory(PricePlan::story3()).unwrap();
    /// let book = store.add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 1).unwrap();
    /// let ada = store.register_customer(&NewCustomer::new("Ada", "Lovelace")).unwrap();
    /// let bob = store.register_customer(&NewCustomer::new("Bob", "Babbage")).unwrap();
    /// let monday = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();
    /// let rental = store.rent_book_at(ada.id, book.id, monday).unwrap();
    /// let hold = store.place_hold_at(bob.id, book.id, monday).unwrap();
    /// assert_eq!((hold.status, hold.position), (HoldStatus::Waiting, Some(1)));
    /// store.return_rental_at(rental.id, monday + Duration::days(2)).unwrap();
    /// let hold = store.hold(hold.id).unwrap();
    /// assert_eq!(hold.status, HoldStatus::Ready); // the copy is set aside for Bob, and only Bob can rent it
    /// assert!(store.rent_book_at(ada.id, book.id, monday + Duration::days(2)).is_err());
    /// store.rent_book_at(bob.id, book.id, monday + Duration::days(3)).unwrap();
    /// assert_eq!(store.hold(hold.id).unwrap().status, HoldStatus::Fulfilled);
    /// ```
    pub fn place_hold_at(
        &self,
        customer: CustomerId,
        book: BookId,
        at: DateTime<Utc>,
    ) -> Result<Hold> {
        let hold = self
            .apply(Operation::PlaceHold { customer, book, at })?
            .into_hold()?;
        self.storage.hold(hold.id)
    }

    /// Cancels a waiting or ready hold at `at`; a copy set aside for it passes to the next in the queue.
    pub fn cancel_hold_at(&self, hold: HoldId, at: DateTime<Utc>) -> Result<Hold> {
        self.apply(Operation::CancelHold { hold, at })?.into_hold()
    }

    /// Expires the ready holds not picked up by `at`; answers them. Run it from a scheduler (the REST API's
    /// notices command does).
    pub fn expire_holds_at(&self, at: DateTime<Utc>) -> Result<Vec<Hold>> {
        self.apply(Operation::ExpireHolds { at })?.into_holds()
    }

    /// One hold, with its place in the queue while it waits.
    pub fn hold(&self, id: HoldId) -> Result<Hold> {
        self.storage.hold(id)
    }

    /// A book's queue: its waiting and ready holds in order, the waiting ones numbered from 1.
    pub fn book_holds(&self, book: BookId) -> Result<Vec<Hold>> {
        self.storage.book_holds(book)
    }

    /// A customer's holds, every status, in id order.
    pub fn customer_holds(&self, customer: CustomerId) -> Result<Vec<Hold>> {
        self.storage.customer_holds(customer)
    }

    /// Closes an open rental as lost at `at`: charged what accrued until then, plus the tariff's replacement and
    /// processing fees (each its own ledger entry). Answers the receipt (the charge, and the balance after the
    /// fees).
    pub fn declare_lost_at(&self, rental: RentalId, at: DateTime<Utc>) -> Result<Receipt> {
        let closed = self
            .apply(Operation::DeclareLost { rental, at })?
            .into_rental()?;
        self.closing_receipt(closed)
    }

    /// The receipt of a rental closed with fees besides its charge (declared lost, or returned with a damage
    /// fee): its charge, and the customer's balance once the closing operation posted everything — the balance
    /// after the last fee entry that names the rental at its closing instant. The same answer however often it is
    /// asked (a retry under an idempotency key reads the same entries). For a plain return it is
    /// [`BookStore::receipt`].
    pub fn closing_receipt(&self, closed: Rental) -> Result<Receipt> {
        let (rental, at) = (closed.id, closed.returned_at);
        let mut receipt = self.receipt(closed)?;
        let last_fee = self
            .storage
            .rental_entries(rental)?
            .into_iter()
            .rev()
            .find(|e| e.kind == EntryKind::Fee && Some(e.at) == at)
            .map(|e| e.balance_after);
        if let Some(balance) = last_fee {
            receipt.balance = balance;
        }
        Ok(receipt)
    }

    /// Brings a lost copy back at `at` (to the first waiting hold, or the shelf); credits the replacement fee
    /// when the plan says `replacement.refund_when_found`. Answers the copy and the credit posted.
    pub fn mark_found_at(
        &self,
        copy: CopyId,
        at: DateTime<Utc>,
    ) -> Result<(BookCopy, Option<LedgerEntry>)> {
        self.apply(Operation::MarkFound { copy, at })?.into_found()
    }

    /// Returns a rental at `at` with a damage fee (a `fee` entry carrying `note`), in the same atomic operation
    /// as the return.
    pub fn return_damaged_at(
        &self,
        rental: RentalId,
        at: DateTime<Utc>,
        fee: Decimal,
        note: &str,
    ) -> Result<Receipt> {
        let closed = self
            .apply(Operation::Return {
                rental,
                at,
                damage: Some(Damage {
                    fee,
                    note: note.to_owned(),
                }),
            })?
            .into_rental()?;
        self.closing_receipt(closed)
    }
}
