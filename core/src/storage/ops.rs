//! The domain rules of every write, written once against [`TxView`], a backend's view of one transaction.
//!
//! Each operation reads and checks everything first and writes only after every check passed, so a backend whose
//! writes cannot fail half-way (memory) needs no rollback, and the others discard an operation's writes cleanly
//! (sled: the operation's overlay layer; PostgreSQL: a savepoint).
//!
//! Pricing enters only through the plan's public functions ([`PricePlan::due_at`](crate::PricePlan::due_at),
//! [`PricePlan::quote_with_due`](crate::PricePlan::quote_with_due)) on the plan versions the transaction sees, so a
//! batch that publishes a plan and then rents under it prices with the new plan.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::accounts::{self, KeyRecord, StoredAccount};
use super::batch::{Operation, Outcome};
use super::RentRequest;
use super::{circulation, lending};
use crate::domain::{
    book_words, customer_words, title_key, Book, BookUpdate, Copy, CopyStatus, Customer,
    CustomerUpdate, Hold, LedgerEntry, NewBook, NewCustomer, OpenLoan, Rental, WordIndex,
};
use crate::error::Error;
use crate::ids::{BookId, CopyId, CustomerId, HoldId, PlanVersionId, RentalId};
use crate::pricing::{PlanVersion, PricePlan};

/// The largest number of copies added in one call.
pub(crate) const MAX_COPIES_PER_CALL: u32 = 10_000;

/// The counters behind each kind of id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdKind {
    Book,
    Copy,
    Customer,
    Rental,
    PlanVersion,
    LedgerEntry,
    Hold,
}

impl IdKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            IdKind::Book => "book",
            IdKind::Copy => "copy",
            IdKind::Customer => "customer",
            IdKind::Rental => "rental",
            IdKind::PlanVersion => "plan_version",
            IdKind::LedgerEntry => "ledger_entry",
            IdKind::Hold => "hold",
        }
    }
}

/// One transaction's reads and writes. `E` is the backend's transaction error, which can carry a Koko [`Error`].
pub(crate) trait TxView {
    type E: From<Error>;

    /// Takes the next id of a kind (ids start at 1 and are never reused).
    fn next_id(&mut self, kind: IdKind) -> Result<u64, Self::E>;
    /// Makes sure the next id of a kind is above `id` (a restore keeps its records' ids).
    fn raise_counter(&mut self, kind: IdKind, id: u64) -> Result<(), Self::E>;

    fn book(&mut self, id: BookId) -> Result<Option<Book>, Self::E>;
    fn put_book(&mut self, book: &Book) -> Result<(), Self::E>;
    fn title_owner(&mut self, key: &str) -> Result<Option<BookId>, Self::E>;
    fn set_title_owner(&mut self, key: &str, owner: Option<BookId>) -> Result<(), Self::E>;
    fn isbn_owner(&mut self, isbn: &str) -> Result<Option<BookId>, Self::E>;
    fn set_isbn_owner(&mut self, isbn: &str, owner: Option<BookId>) -> Result<(), Self::E>;
    fn copy_ids(&mut self, book: BookId) -> Result<Vec<CopyId>, Self::E>;
    fn put_copy_ids(&mut self, book: BookId, copies: &[CopyId]) -> Result<(), Self::E>;

    fn copy(&mut self, id: CopyId) -> Result<Option<Copy>, Self::E>;
    fn put_copy(&mut self, copy: &Copy) -> Result<(), Self::E>;

    fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>, Self::E>;
    fn put_customer(&mut self, customer: &Customer) -> Result<(), Self::E>;

    fn rental(&mut self, id: RentalId) -> Result<Option<Rental>, Self::E>;
    /// Stores a rental and keeps the open-rental and per-customer indexes in step with it.
    fn put_rental(&mut self, rental: &Rental) -> Result<(), Self::E>;

    /// The first available copy of a book, in copy id order. The default walks the book's copies; backends with
    /// an availability index override it.
    fn first_available_copy(&mut self, book: BookId) -> Result<Option<Copy>, Self::E> {
        for id in self.copy_ids(book)? {
            let copy = found(self.copy(id)?, CopyId::ENTITY, id)?;
            if copy.status == CopyStatus::Available {
                return Ok(Some(copy));
            }
        }
        Ok(None)
    }

    /// A stored plan version.
    fn plan_version(&mut self, id: PlanVersionId) -> Result<Option<Arc<PlanVersion>>, Self::E>;
    /// The plan version in force at `at` (see [`crate::version_in_force`]).
    fn plan_in_force(&mut self, at: DateTime<Utc>) -> Result<Option<Arc<PlanVersion>>, Self::E>;
    /// Whether a plan version starts exactly at `at`.
    fn plan_starts_at(&mut self, at: DateTime<Utc>) -> Result<bool, Self::E>;
    /// Stores a new plan version.
    fn put_plan_version(&mut self, version: &PlanVersion) -> Result<(), Self::E>;
    /// The first plan version (the lowest id), whose currency is the store's.
    fn first_plan(&mut self) -> Result<Option<Arc<PlanVersion>>, Self::E>;

    /// A customer's open rentals and their due times (for the overdue limit).
    fn open_loans(&mut self, customer: CustomerId) -> Result<Vec<OpenLoan>, Self::E>;
    /// A customer's account (`None`: nothing stored yet — a zero balance, no block, no open rental). A backend
    /// that runs transactions concurrently locks it until the transaction ends.
    fn account(&mut self, customer: CustomerId) -> Result<Option<StoredAccount>, Self::E>;
    /// Stores a customer's account.
    fn put_account(&mut self, customer: CustomerId, account: &StoredAccount)
        -> Result<(), Self::E>;
    /// Appends a ledger entry.
    fn put_entry(&mut self, entry: &LedgerEntry) -> Result<(), Self::E>;

    /// A hold (its `position` is not filled in).
    fn hold(&mut self, id: HoldId) -> Result<Option<Hold>, Self::E>;
    /// Stores a hold and keeps the indexes in step with its status: the book's queue of waiting holds, the ready
    /// holds, the customer's holds.
    fn put_hold(&mut self, hold: &Hold) -> Result<(), Self::E>;
    /// The first waiting hold of a book (the lowest id), if any.
    fn first_waiting_hold(&mut self, book: BookId) -> Result<Option<Hold>, Self::E>;
    /// A customer's waiting and ready holds, in id order.
    fn active_holds_of(&mut self, customer: CustomerId) -> Result<Vec<Hold>, Self::E>;
    /// Every ready hold, in id order.
    fn ready_holds(&mut self) -> Result<Vec<Hold>, Self::E>;
    /// When the notice `key` was marked sent, if it was.
    fn notified(&mut self, key: &str) -> Result<Option<DateTime<Utc>>, Self::E>;
    /// Marks the notice `key` sent at `at`.
    fn put_notified(&mut self, key: &str, at: DateTime<Utc>) -> Result<(), Self::E>;
    /// Serialises the transactions that change a book's hold queue or free its copies (a no-op where
    /// transactions never run concurrently).
    fn lock_book(&mut self, _book: BookId) -> Result<(), Self::E> {
        Ok(())
    }

    /// Adds (`present`) or removes one word of the search index for record `id`.
    fn put_word(
        &mut self,
        index: WordIndex,
        word: &str,
        id: u64,
        present: bool,
    ) -> Result<(), Self::E>;

    /// Serialises the transactions that use idempotency key `key` (a no-op where transactions never run
    /// concurrently).
    fn lock_key(&mut self, _key: &str) -> Result<(), Self::E> {
        Ok(())
    }
    /// The record of an idempotency key.
    fn idempotency(&mut self, key: &str) -> Result<Option<KeyRecord>, Self::E>;
    /// Stores the record of an idempotency key.
    fn put_idempotency(&mut self, key: &str, record: &KeyRecord) -> Result<(), Self::E>;
}

/// The version in force at `at` among `versions`: the latest `effective_from` not after `at`, the higher id on a
/// tie (as [`crate::version_in_force`]).
pub(crate) fn in_force<'a>(
    versions: impl IntoIterator<Item = &'a Arc<PlanVersion>>,
    at: DateTime<Utc>,
) -> Option<&'a Arc<PlanVersion>> {
    versions
        .into_iter()
        .filter(|v| v.effective_from <= at)
        .max_by_key(|v| (v.effective_from, v.id))
}

/// Applies one operation: the single entry point every backend calls for every write.
pub(crate) fn apply<T: TxView>(tx: &mut T, op: &Operation) -> Result<Outcome, T::E> {
    if let Some(entry) = accounts::apply_ledger(tx, op) {
        return Ok(Outcome::Entry(entry?));
    }
    Ok(match op {
        Operation::Restore(step) => {
            super::restore::put(tx, &step.0)?;
            Outcome::Restored
        }
        Operation::AddBook { book, copies } => {
            let (book, copies) = insert_book(tx, book, *copies)?;
            Outcome::Book { book, copies }
        }
        Operation::UpdateBook { id, update } => Outcome::BookUpdated(update_book(tx, *id, update)?),
        Operation::AddCopies { book, count, at } => {
            Outcome::Copies(add_copies(tx, *book, *count, at.unwrap_or_else(Utc::now))?)
        }
        Operation::SetWithdrawn {
            copy,
            withdrawn,
            at,
        } => Outcome::Copy(set_withdrawn(
            tx,
            *copy,
            *withdrawn,
            at.unwrap_or_else(Utc::now),
        )?),
        Operation::RegisterCustomer(new) => Outcome::Customer(insert_customer(tx, new)?),
        Operation::UpdateCustomer { id, update } => {
            Outcome::Customer(update_customer(tx, *id, update)?)
        }
        Operation::Rent {
            target,
            customer,
            at,
        } => Outcome::Rental(lending::rent(
            tx,
            &RentRequest {
                target: *target,
                customer: *customer,
                rented_at: *at,
            },
        )?),
        Operation::Return { rental, at, damage } => {
            Outcome::Rental(lending::close(tx, *rental, *at, damage.as_ref())?)
        }
        Operation::Renew { rental, at } => Outcome::Rental(circulation::renew(tx, *rental, *at)?),
        Operation::PlaceHold { customer, book, at } => {
            Outcome::Hold(circulation::place_hold(tx, *customer, *book, *at)?)
        }
        Operation::CancelHold { hold, at } => {
            Outcome::Hold(circulation::cancel_hold(tx, *hold, *at)?)
        }
        Operation::ExpireHolds { at } => Outcome::Holds(circulation::expire_holds(tx, *at)?),
        Operation::DeclareLost { rental, at } => {
            Outcome::Rental(circulation::declare_lost(tx, *rental, *at)?)
        }
        Operation::MarkFound { copy, at } => {
            let (copy, credit) = circulation::mark_found(tx, *copy, *at)?;
            Outcome::Found { copy, credit }
        }
        Operation::ReturnCopy { copy, at } => {
            let held = found(tx.copy(*copy)?, CopyId::ENTITY, copy)?;
            let CopyStatus::Rented(rental) = held.status else {
                return Err(Error::invalid_input(
                    "copy",
                    format!("copy {copy} is not rented out, so it cannot be returned"),
                )
                .into());
            };
            Outcome::Rental(lending::close(tx, rental, *at, None)?)
        }
        Operation::MarkNotified { keys, at } => {
            Outcome::Notified(circulation::mark_notified(tx, keys, *at)?)
        }
        Operation::PublishPlan {
            plan,
            effective_from,
        } => Outcome::PlanVersion(Box::new(publish_plan(tx, plan, *effective_from)?)),
        Operation::BlockCustomer {
            customer,
            reason,
            at,
            until,
        } => Outcome::Block {
            customer: *customer,
            block: accounts::set_block(tx, *customer, Some((reason, *at, *until)))?,
        },
        Operation::UnblockCustomer { customer } => Outcome::Block {
            customer: *customer,
            block: accounts::set_block(tx, *customer, None)?,
        },
        Operation::Idempotent {
            key,
            recorded_at,
            clock_time,
            operation,
        } => accounts::idempotent(tx, key, *recorded_at, *clock_time, operation)?,
        Operation::Pay { .. }
        | Operation::Waive { .. }
        | Operation::Refund { .. }
        | Operation::PostFee { .. } => {
            return Err(Error::Corruption("a ledger operation was not applied".into()).into())
        }
    })
}

pub(crate) fn publish_plan<T: TxView>(
    tx: &mut T,
    plan: &PricePlan,
    effective_from: DateTime<Utc>,
) -> Result<PlanVersion, T::E> {
    accounts::check_plan_currency(tx, plan.currency())?;
    if tx.plan_starts_at(effective_from)? {
        return Err(Error::Duplicate {
            field: "effective_from",
            value: effective_from.to_rfc3339(),
        }
        .into());
    }
    let version = PlanVersion {
        id: PlanVersionId::new(tx.next_id(IdKind::PlanVersion)?),
        effective_from,
        plan: plan.clone(),
    };
    tx.put_plan_version(&version)?;
    Ok(version)
}

pub(crate) fn found<T, E: From<Error>>(
    record: Option<T>,
    entity: &'static str,
    id: impl std::fmt::Display,
) -> Result<T, E> {
    record.ok_or_else(|| Error::not_found(entity, id).into())
}

fn check_copy_count<E: From<Error>>(count: u32) -> Result<(), E> {
    if count == 0 || count > MAX_COPIES_PER_CALL {
        return Err(Error::invalid_input(
            "copies",
            format!("must be between 1 and {MAX_COPIES_PER_CALL}, got {count}"),
        )
        .into());
    }
    Ok(())
}

pub(crate) fn insert_book<T: TxView>(
    tx: &mut T,
    new: &NewBook,
    copies: u32,
) -> Result<(Book, Vec<Copy>), T::E> {
    let new = new.validated()?;
    check_copy_count(copies)?;
    let key = title_key(&new.title);
    if tx.title_owner(&key)?.is_some() {
        return Err(Error::Duplicate {
            field: "title",
            value: new.title,
        }
        .into());
    }
    if let Some(isbn) = &new.isbn {
        if tx.isbn_owner(isbn)?.is_some() {
            return Err(Error::Duplicate {
                field: "isbn",
                value: isbn.clone(),
            }
            .into());
        }
    }
    let book = Book {
        id: BookId::new(tx.next_id(IdKind::Book)?),
        title: new.title,
        author: new.author,
        isbn: new.isbn,
        category: new.category,
    };
    tx.put_book(&book)?;
    reindex(
        tx,
        WordIndex::Books,
        book.id.get(),
        &Default::default(),
        &book_words(&book),
    )?;
    tx.set_title_owner(&key, Some(book.id))?;
    if let Some(isbn) = &book.isbn {
        tx.set_isbn_owner(isbn, Some(book.id))?;
    }
    let made = make_copies(tx, book.id, Vec::new(), copies)?;
    Ok((book, made))
}

fn make_copies<T: TxView>(
    tx: &mut T,
    book: BookId,
    mut ids: Vec<CopyId>,
    count: u32,
) -> Result<Vec<Copy>, T::E> {
    let mut made = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let copy = Copy {
            id: CopyId::new(tx.next_id(IdKind::Copy)?),
            book,
            status: CopyStatus::Available,
        };
        tx.put_copy(&copy)?;
        ids.push(copy.id);
        made.push(copy);
    }
    tx.put_copy_ids(book, &ids)?;
    Ok(made)
}

pub(crate) fn add_copies<T: TxView>(
    tx: &mut T,
    book: BookId,
    count: u32,
    at: DateTime<Utc>,
) -> Result<Vec<Copy>, T::E> {
    check_copy_count(count)?;
    found(tx.book(book)?, BookId::ENTITY, book)?;
    let ids = tx.copy_ids(book)?;
    // New copies serve the book's waiting holds first, each set aside as it is made.
    tx.lock_book(book)?;
    let ready_until = match tx.first_waiting_hold(book)? {
        Some(_) => Some(circulation::pickup_deadline(tx, at)?),
        None => None,
    };
    let mut made = make_copies(tx, book, ids, count)?;
    if let Some(ready_until) = ready_until {
        for copy in &mut made {
            let release = circulation::release(tx, copy.clone(), ready_until)?;
            circulation::put_release(tx, &release)?;
            *copy = release.copy().clone();
        }
    }
    Ok(made)
}

pub(crate) fn update_book<T: TxView>(
    tx: &mut T,
    id: BookId,
    update: &BookUpdate,
) -> Result<Book, T::E> {
    let old = found(tx.book(id)?, BookId::ENTITY, id)?;
    let new = update.apply(&old)?;
    let (old_key, new_key) = (title_key(&old.title), title_key(&new.title));
    if old_key != new_key && tx.title_owner(&new_key)?.is_some_and(|owner| owner != id) {
        return Err(Error::Duplicate {
            field: "title",
            value: new.title,
        }
        .into());
    }
    if new.isbn != old.isbn {
        if let Some(isbn) = &new.isbn {
            if tx.isbn_owner(isbn)?.is_some_and(|owner| owner != id) {
                return Err(Error::Duplicate {
                    field: "isbn",
                    value: isbn.clone(),
                }
                .into());
            }
        }
    }
    if old_key != new_key {
        tx.set_title_owner(&old_key, None)?;
        tx.set_title_owner(&new_key, Some(id))?;
    }
    if new.isbn != old.isbn {
        if let Some(isbn) = &old.isbn {
            tx.set_isbn_owner(isbn, None)?;
        }
        if let Some(isbn) = &new.isbn {
            tx.set_isbn_owner(isbn, Some(id))?;
        }
    }
    tx.put_book(&new)?;
    reindex(
        tx,
        WordIndex::Books,
        id.get(),
        &book_words(&old),
        &book_words(&new),
    )?;
    Ok(new)
}

/// Moves record `id` in the search index from the words `old` to the words `new` (only the difference is
/// written).
pub(crate) fn reindex<T: TxView>(
    tx: &mut T,
    index: WordIndex,
    id: u64,
    old: &std::collections::BTreeSet<String>,
    new: &std::collections::BTreeSet<String>,
) -> Result<(), T::E> {
    for word in old.difference(new) {
        tx.put_word(index, word, id, false)?;
    }
    for word in new.difference(old) {
        tx.put_word(index, word, id, true)?;
    }
    Ok(())
}

pub(crate) fn set_withdrawn<T: TxView>(
    tx: &mut T,
    id: CopyId,
    withdrawn: bool,
    at: DateTime<Utc>,
) -> Result<Copy, T::E> {
    let mut copy = found(tx.copy(id)?, CopyId::ENTITY, id)?;
    match (copy.status, withdrawn) {
        (CopyStatus::Rented(rental), true) => Err(Error::Unavailable {
            reason: format!("copy {id} is out under rental {rental} and cannot be withdrawn"),
        }
        .into()),
        (CopyStatus::OnHold(hold), true) => Err(Error::Unavailable {
            reason: format!(
                "copy {id} is set aside for hold {hold}; cancel the hold before withdrawing it"
            ),
        }
        .into()),
        (CopyStatus::Available | CopyStatus::Lost(_) | CopyStatus::Withdrawn, true) => {
            copy.status = CopyStatus::Withdrawn;
            tx.put_copy(&copy)?;
            Ok(copy)
        }
        (CopyStatus::Lost(rental), false) => Err(Error::invalid_input(
            "copy",
            format!("copy {id} was lost under rental {rental}: mark it found to bring it back"),
        )
        .into()),
        (CopyStatus::Withdrawn, false) => {
            let ready_until = circulation::pickup_deadline(tx, at)?;
            let release = circulation::release(tx, copy, ready_until)?;
            circulation::put_release(tx, &release)?;
            Ok(release.copy().clone())
        }
        // Reinstating a copy in circulation changes nothing.
        (CopyStatus::Available | CopyStatus::Rented(_) | CopyStatus::OnHold(_), false) => Ok(copy),
    }
}

pub(crate) fn insert_customer<T: TxView>(tx: &mut T, new: &NewCustomer) -> Result<Customer, T::E> {
    let new = new.validated()?;
    let customer = Customer {
        id: CustomerId::new(tx.next_id(IdKind::Customer)?),
        first_name: new.first_name,
        last_name: new.last_name,
        email: new.email,
        active: true,
    };
    tx.put_customer(&customer)?;
    reindex(
        tx,
        WordIndex::Customers,
        customer.id.get(),
        &Default::default(),
        &customer_words(&customer),
    )?;
    Ok(customer)
}

pub(crate) fn update_customer<T: TxView>(
    tx: &mut T,
    id: CustomerId,
    update: &CustomerUpdate,
) -> Result<Customer, T::E> {
    let old = found(tx.customer(id)?, CustomerId::ENTITY, id)?;
    let new = update.apply(&old)?;
    tx.put_customer(&new)?;
    reindex(
        tx,
        WordIndex::Customers,
        id.get(),
        &customer_words(&old),
        &customer_words(&new),
    )?;
    Ok(new)
}
