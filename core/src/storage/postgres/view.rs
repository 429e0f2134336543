//! The engine's [`TxView`] over a [`PgTx`]: ids from sequences, and the books, copies, customers, rentals and
//! plan versions of the catalogue read and written here; accounts, holds, notices, the search index and restored
//! ids in their own modules.
//!
//! The records a rule may change (books, copies, customers, rentals, accounts, holds, notices) are read
//! `FOR UPDATE`, so concurrent writes of one record run one after the other; plan versions never change, and an
//! idempotency key is serialised by an advisory lock instead. Books, copies, customers, rentals, accounts and
//! holds are written whole, as upserts (`INSERT … ON CONFLICT … DO UPDATE`); ledger entries, plan versions,
//! idempotency keys and sent notices are only ever inserted.
//!
//! The engine's title, ISBN and copy-list indexes are columns written with their rows (`koko_books.title_key`
//! and `.isbn`, both unique; `koko_copies.book_id`, indexed), so `set_title_owner`, `set_isbn_owner` and
//! `put_copy_ids` write nothing.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::error::{corrupt, TxError};
use super::rows::{
    book_row, charge_columns, copy_row, customer_row, rental_row, sequence, to_i64, to_u64,
    CopyColumns,
};
use super::tx::PgTx;
use super::{accounts, backup, events, holds, notices, search};
use crate::domain::{
    title_key, Book, BookCopy, CopyStatus, Customer, Event, Hold, LedgerEntry, NewEvent, Rental,
    WordIndex,
};
use crate::engine::{IdKind, KeyRecord, StoredAccount, TxView};
use crate::ids::{BookId, CopyId, CustomerId, HoldId, PlanVersionId, RentalId};
use crate::pricing::PlanVersion;

impl TxView for PgTx<'_, '_> {
    type E = TxError;

    fn raise_counter(&mut self, kind: IdKind, id: u64) -> Result<(), TxError> {
        backup::raise_sequence(self, kind, id)
    }

    fn next_id(&mut self, kind: IdKind) -> Result<u64, TxError> {
        let row = self
            .query_opt("SELECT nextval($1::text::regclass)", &[&sequence(kind)])?
            .ok_or_else(|| corrupt("nextval returned no row"))?;
        Ok(to_u64(row.try_get(0)?)?)
    }

    fn book(&mut self, id: BookId) -> Result<Option<Book>, TxError> {
        self.locked(
            "SELECT id, title, author, isbn, category FROM koko_books WHERE id = $1 FOR UPDATE",
            id.get(),
            book_row,
        )
    }

    fn put_book(&mut self, book: &Book) -> Result<(), TxError> {
        self.execute(
            "INSERT INTO koko_books (id, title, title_key, author, isbn, category) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, title_key = EXCLUDED.title_key,
                 author = EXCLUDED.author, isbn = EXCLUDED.isbn, category = EXCLUDED.category",
            &[
                &to_i64(book.id.get())?,
                &book.title,
                &title_key(&book.title),
                &book.author,
                &book.isbn,
                &book.category,
            ],
        )?;
        Ok(())
    }

    fn title_owner(&mut self, key: &str) -> Result<Option<BookId>, TxError> {
        let row = self.query_opt("SELECT id FROM koko_books WHERE title_key = $1", &[&key])?;
        row.map(|r| Ok(BookId::new(to_u64(r.try_get(0)?)?)))
            .transpose()
    }

    fn set_title_owner(&mut self, _key: &str, _owner: Option<BookId>) -> Result<(), TxError> {
        Ok(()) // the title_key column written by put_book is the index
    }

    fn isbn_owner(&mut self, isbn: &str) -> Result<Option<BookId>, TxError> {
        let row = self.query_opt("SELECT id FROM koko_books WHERE isbn = $1", &[&isbn])?;
        row.map(|r| Ok(BookId::new(to_u64(r.try_get(0)?)?)))
            .transpose()
    }

    fn set_isbn_owner(&mut self, _isbn: &str, _owner: Option<BookId>) -> Result<(), TxError> {
        Ok(()) // the isbn column written by put_book is the index
    }

    fn copy_ids(&mut self, book: BookId) -> Result<Vec<CopyId>, TxError> {
        let rows = self.query(
            "SELECT id FROM koko_copies WHERE book_id = $1 ORDER BY id",
            &[&to_i64(book.get())?],
        )?;
        rows.iter()
            .map(|r| Ok(CopyId::new(to_u64(r.try_get(0)?)?)))
            .collect()
    }

    fn put_copy_ids(&mut self, _book: BookId, _copies: &[CopyId]) -> Result<(), TxError> {
        Ok(()) // copies.book_id is the index
    }

    fn copy(&mut self, id: CopyId) -> Result<Option<BookCopy>, TxError> {
        self.locked(
            "SELECT id, book_id, withdrawn, rental_id, hold_id, lost_rental_id FROM koko_copies WHERE id = $1 FOR UPDATE",
            id.get(),
            copy_row,
        )
    }

    fn put_copy(&mut self, copy: &BookCopy) -> Result<(), TxError> {
        let columns = CopyColumns::of(copy.status)?;
        self.execute(
            "INSERT INTO koko_copies (id, book_id, withdrawn, rental_id, hold_id, lost_rental_id)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET withdrawn = EXCLUDED.withdrawn, rental_id = EXCLUDED.rental_id,
                 hold_id = EXCLUDED.hold_id, lost_rental_id = EXCLUDED.lost_rental_id",
            &[
                &to_i64(copy.id.get())?,
                &to_i64(copy.book.get())?,
                &columns.withdrawn,
                &columns.rental,
                &columns.hold,
                &columns.lost,
            ],
        )?;
        Ok(())
    }

    fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>, TxError> {
        self.locked(
            "SELECT id, first_name, last_name, email, active FROM koko_customers WHERE id = $1 FOR UPDATE",
            id.get(),
            customer_row,
        )
    }

    fn put_customer(&mut self, customer: &Customer) -> Result<(), TxError> {
        self.execute(
            "INSERT INTO koko_customers (id, first_name, last_name, email, active) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
                 email = EXCLUDED.email, active = EXCLUDED.active",
            &[
                &to_i64(customer.id.get())?,
                &customer.first_name,
                &customer.last_name,
                &customer.email,
                &customer.active,
            ],
        )?;
        Ok(())
    }

    fn email_owner(&mut self, key: &str) -> Result<Option<CustomerId>, TxError> {
        let row = self.query_opt(
            "SELECT id FROM koko_customers WHERE email_key = $1",
            &[&key],
        )?;
        row.map(|r| Ok(CustomerId::new(to_u64(r.try_get(0)?)?)))
            .transpose()
    }

    fn set_email_owner(&mut self, key: &str, owner: Option<CustomerId>) -> Result<(), TxError> {
        // The unique index on email_key (schema 6) makes two concurrent claims of one address a unique race:
        // the later transaction is retried and then finds the address taken.
        self.execute(
            "UPDATE koko_customers SET email_key = NULL WHERE email_key = $1",
            &[&key],
        )?;
        if let Some(owner) = owner {
            self.execute(
                "UPDATE koko_customers SET email_key = $1 WHERE id = $2",
                &[&key, &to_i64(owner.get())?],
            )?;
        }
        Ok(())
    }

    fn rental(&mut self, id: RentalId) -> Result<Option<Rental>, TxError> {
        self.locked(
            "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                    renewals, lost
             FROM koko_rentals WHERE id = $1 FOR UPDATE",
            id.get(),
            rental_row,
        )
    }

    fn put_rental(&mut self, rental: &Rental) -> Result<(), TxError> {
        // The open-rental and per-customer indexes are the table's own (see the migrations).
        let (charge, total) = charge_columns(rental)?;
        self.execute(
            "INSERT INTO koko_rentals (id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at,
                 plan_version, charge_total, charge, renewals, lost)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (id) DO UPDATE SET returned_at = EXCLUDED.returned_at,
                 charge_total = EXCLUDED.charge_total, charge = EXCLUDED.charge,
                 due_at = EXCLUDED.due_at, renewals = EXCLUDED.renewals, lost = EXCLUDED.lost",
            &[
                &to_i64(rental.id.get())?,
                &to_i64(rental.copy.get())?,
                &to_i64(rental.book.get())?,
                &to_i64(rental.customer.get())?,
                &rental.category,
                &rental.rented_at,
                &rental.due_at,
                &rental.returned_at,
                &to_i64(rental.plan_version.get())?,
                &total,
                &charge,
                &rental.renewals,
                &rental.lost,
            ],
        )?;
        Ok(())
    }

    fn first_available_copy(&mut self, book: BookId) -> Result<Option<BookCopy>, TxError> {
        // Skip copies another transaction holds (it may be renting them); if every free-looking copy is held,
        // fall back to waiting on each in id order, which sees the other transactions' outcome.
        let row = self.query_opt(
            "SELECT id, book_id, withdrawn, rental_id, hold_id, lost_rental_id FROM koko_copies
             WHERE book_id = $1 AND NOT withdrawn AND rental_id IS NULL AND hold_id IS NULL
                 AND lost_rental_id IS NULL
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
            &[&to_i64(book.get())?],
        )?;
        match row {
            Some(row) => Ok(Some(copy_row(&row)?)),
            None => {
                for id in self.copy_ids(book)? {
                    if let Some(copy) = self.copy(id)? {
                        if copy.status == CopyStatus::Available {
                            return Ok(Some(copy));
                        }
                    }
                }
                Ok(None)
            }
        }
    }

    fn plan_version(&mut self, id: PlanVersionId) -> Result<Option<Arc<PlanVersion>>, TxError> {
        let Ok(id) = i64::try_from(id.get()) else {
            return Ok(None);
        };
        self.cached_plan(id)
    }

    fn plan_in_force(&mut self, at: DateTime<Utc>) -> Result<Option<Arc<PlanVersion>>, TxError> {
        let row = self.query_opt(
            "SELECT id FROM koko_plan_versions WHERE effective_from <= $1
             ORDER BY effective_from DESC, id DESC LIMIT 1",
            &[&at],
        )?;
        match row {
            Some(row) => self.cached_plan(row.try_get(0)?),
            None => Ok(None),
        }
    }

    fn plan_starts_at(&mut self, at: DateTime<Utc>) -> Result<bool, TxError> {
        Ok(self
            .query_opt(
                "SELECT id FROM koko_plan_versions WHERE effective_from = $1",
                &[&at],
            )?
            .is_some())
    }

    fn put_plan_version(&mut self, version: &PlanVersion) -> Result<(), TxError> {
        self.execute(
            "INSERT INTO koko_plan_versions (id, effective_from, plan) VALUES ($1, $2, $3)",
            &[
                &to_i64(version.id.get())?,
                &version.effective_from,
                &version.plan.to_json(),
            ],
        )?;
        Ok(())
    }

    fn first_plan(&mut self) -> Result<Option<Arc<PlanVersion>>, TxError> {
        match self.query_opt("SELECT id FROM koko_plan_versions ORDER BY id LIMIT 1", &[])? {
            Some(row) => self.cached_plan(row.try_get(0)?),
            None => Ok(None),
        }
    }

    fn count_open_rentals(&mut self, customer: CustomerId) -> Result<u64, TxError> {
        accounts::count_open_rentals(self, customer)
    }

    fn count_overdue_rentals(
        &mut self,
        customer: CustomerId,
        at: DateTime<Utc>,
        at_most: usize,
    ) -> Result<usize, TxError> {
        accounts::count_overdue_rentals(self, customer, at, at_most)
    }

    fn account(&mut self, customer: CustomerId) -> Result<Option<StoredAccount>, TxError> {
        accounts::account_for_update(self, customer)
    }

    fn put_account(
        &mut self,
        customer: CustomerId,
        account: &StoredAccount,
    ) -> Result<(), TxError> {
        accounts::put_account(self, customer, account)
    }

    fn put_entry(&mut self, entry: &LedgerEntry) -> Result<(), TxError> {
        accounts::put_entry(self, entry)
    }

    fn hold(&mut self, id: HoldId) -> Result<Option<Hold>, TxError> {
        holds::hold_for_update(self, id)
    }

    fn put_hold(&mut self, hold: &Hold) -> Result<(), TxError> {
        holds::put_hold(self, hold)
    }

    fn first_waiting_hold(&mut self, book: BookId) -> Result<Option<Hold>, TxError> {
        holds::first_waiting(self, book)
    }

    fn active_hold_on(
        &mut self,
        customer: CustomerId,
        book: BookId,
    ) -> Result<Option<Hold>, TxError> {
        holds::active_hold_on(self, customer, book)
    }

    fn count_active_holds(
        &mut self,
        customer: CustomerId,
        at_most: usize,
    ) -> Result<usize, TxError> {
        holds::count_active_holds(self, customer, at_most)
    }

    fn ready_holds_before(&mut self, at: DateTime<Utc>) -> Result<Vec<Hold>, TxError> {
        holds::ready_holds_before(self, at)
    }

    fn notified(&mut self, key: &str) -> Result<Option<DateTime<Utc>>, TxError> {
        notices::notified_for_update(self, key)
    }

    fn put_notified(&mut self, key: &str, at: DateTime<Utc>) -> Result<(), TxError> {
        notices::put_notified(self, key, at)
    }

    fn put_word(
        &mut self,
        index: WordIndex,
        word: &str,
        id: u64,
        present: bool,
    ) -> Result<(), TxError> {
        search::put_word(self, index, word, id, present)
    }

    fn lock_book(&mut self, book: BookId) -> Result<(), TxError> {
        holds::lock_book(self, book)
    }

    fn lock_key(&mut self, key: &str) -> Result<(), TxError> {
        accounts::lock_key(self, key)
    }

    fn idempotency(&mut self, key: &str) -> Result<Option<KeyRecord>, TxError> {
        accounts::key_record(self, key)
    }

    fn put_idempotency(&mut self, key: &str, record: &KeyRecord) -> Result<(), TxError> {
        accounts::put_key_record(self, key, record)
    }

    fn append_event(&mut self, event: NewEvent) -> Result<(), TxError> {
        events::append(self, event);
        Ok(())
    }

    fn last_event_position(&mut self) -> Result<u64, TxError> {
        events::last_position(self)
    }

    fn raise_event_position(&mut self, position: u64) -> Result<(), TxError> {
        events::raise(self, position)
    }

    fn put_event(&mut self, event: &Event) -> Result<(), TxError> {
        events::put(self, event)
    }

    fn remove_events_before(&mut self, before: u64) -> Result<u64, TxError> {
        events::remove_before(self, before)
    }

    fn put_checkpoint(&mut self, name: &str, position: u64) -> Result<(), TxError> {
        events::put_checkpoint(self, name, position)
    }

    fn remove_checkpoint(&mut self, name: &str) -> Result<Option<u64>, TxError> {
        events::remove_checkpoint(self, name)
    }

    fn lowest_checkpoint(&mut self) -> Result<Option<(String, u64)>, TxError> {
        events::lowest_checkpoint(self)
    }
}
