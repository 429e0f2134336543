//! Writing a dump's records as they are, through the same [`TxView`] every write uses, so every backend keeps its
//! indexes (titles, ISBNs, a book's copies, the search words, open rentals, hold queues, charges) as a normal write
//! would. A copy that names a rental or a hold is first written on the shelf with its book and given its status
//! once that rental or hold exists (the restorer sends the statuses last). Nothing is checked against the rules here: a dump is a store's own past state (`koko check` verifies a
//! restored store); ids are kept and each kind's counter is raised past them. The feed's events keep their
//! positions and ids, and a restore appends no event of its own.

use super::operation::RestoreStep;
use super::view::{reindex, IdKind, StoredAccount, TxView};
use crate::domain::{book_words, customer_words, title_key, DumpRecord, WordIndex};
use crate::error::Error;

/// Writes one step: a record, or a copy's final status.
pub(crate) fn put<T: TxView>(tx: &mut T, step: &RestoreStep) -> Result<(), T::E> {
    let record = match step {
        RestoreStep::Record(record) => record,
        RestoreStep::CopyStatus(copy) => return tx.put_copy(copy),
    };
    match &**record {
        DumpRecord::PlanVersion(version) => {
            tx.put_plan_version(version)?;
            tx.raise_counter(IdKind::PlanVersion, version.id.get())?;
        }
        DumpRecord::Book { book, copies } => {
            tx.put_book(book)?;
            reindex(
                tx,
                WordIndex::Books,
                book.id.get(),
                &Default::default(),
                &book_words(book),
            )?;
            tx.set_title_owner(&title_key(&book.title), Some(book.id))?;
            if let Some(isbn) = &book.isbn {
                tx.set_isbn_owner(isbn, Some(book.id))?;
            }
            tx.raise_counter(IdKind::Book, book.id.get())?;
            let mut ids = Vec::with_capacity(copies.len());
            for copy in copies {
                if copy.book != book.id {
                    return Err(Error::Corruption(format!(
                        "copy {} is listed under book {} but belongs to book {}",
                        copy.id, book.id, copy.book
                    ))
                    .into());
                }
                tx.put_copy(copy)?;
                tx.raise_counter(IdKind::Copy, copy.id.get())?;
                ids.push(copy.id);
            }
            tx.put_copy_ids(book.id, &ids)?;
        }
        DumpRecord::Customer {
            customer,
            balance,
            block,
        } => {
            tx.put_customer(customer)?;
            // The first customer with an address owns it; a later one sharing it (a store from before addresses
            // were unique) is restored as it was, and `koko check` names the pair.
            if let Some(key) = customer.email.as_deref().map(crate::domain::email_key) {
                if tx.email_owner(&key)?.is_none() {
                    tx.set_email_owner(&key, Some(customer.id))?;
                }
            }
            reindex(
                tx,
                WordIndex::Customers,
                customer.id.get(),
                &Default::default(),
                &customer_words(customer),
            )?;
            tx.raise_counter(IdKind::Customer, customer.id.get())?;
            if !balance.is_zero() || block.is_some() {
                let account = StoredAccount {
                    balance: *balance,
                    block: block.clone(),
                };
                tx.put_account(customer.id, &account)?;
            }
        }
        DumpRecord::Rental(rental) => {
            tx.put_rental(rental)?;
            tx.raise_counter(IdKind::Rental, rental.id.get())?;
        }
        DumpRecord::Entry(entry) => {
            tx.put_entry(entry)?;
            tx.raise_counter(IdKind::LedgerEntry, entry.id.get())?;
        }
        DumpRecord::Hold(hold) => {
            tx.put_hold(hold)?;
            tx.raise_counter(IdKind::Hold, hold.id.get())?;
        }
        DumpRecord::Notice { key, at } => tx.put_notified(key, *at)?,
        DumpRecord::Feed { last_position } => tx.raise_event_position(*last_position)?,
        DumpRecord::Event(event) => tx.put_event(event)?,
        DumpRecord::Checkpoint { name, position } => tx.put_checkpoint(name, *position)?,
        DumpRecord::End { .. } => {
            return Err(Error::Corruption("an end line cannot be restored".into()).into())
        }
    }
    Ok(())
}
