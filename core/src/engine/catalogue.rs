//! The catalogue: adding and changing books, adding copies, withdrawing and reinstating them. Titles (trimmed,
//! case-insensitive) and ISBNs are unique; a book's category must be priced ([`super::plans`]); a freed copy
//! serves its book's waiting holds first ([`super::holds::release`]).

use chrono::{DateTime, Utc};

use super::batch::Batch;
use super::events;
use super::holds;
use super::plans;
use super::view::{reindex, require, IdKind, TxView};
use crate::domain::{
    book_words, title_key, Book, BookCopy, BookUpdate, CopyStatus, EventKind, NewBook, WordIndex,
};
use crate::error::Error;
use crate::ids::{BookId, CopyId};

/// The largest number of copies added in one call.
pub(crate) const MAX_COPIES_PER_CALL: u32 = 10_000;

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
    batch: &Batch,
) -> Result<(Book, Vec<BookCopy>), T::E> {
    plans::check_category_priced(tx, &new.category, batch)?;
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
    events::book_added(tx, &book, &made, batch.now())?;
    Ok((book, made))
}

fn make_copies<T: TxView>(
    tx: &mut T,
    book: BookId,
    mut ids: Vec<CopyId>,
    count: u32,
) -> Result<Vec<BookCopy>, T::E> {
    let mut made = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let copy = BookCopy {
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
) -> Result<Vec<BookCopy>, T::E> {
    check_copy_count(count)?;
    require(tx.book(book)?, BookId::ENTITY, book)?;
    let ids = tx.copy_ids(book)?;
    // New copies serve the book's waiting holds first, each set aside as it is made.
    tx.lock_book(book)?;
    let ready_until = match tx.first_waiting_hold(book)? {
        Some(_) => Some(holds::pickup_deadline(tx, at)?),
        None => None,
    };
    let mut made = make_copies(tx, book, ids, count)?;
    events::copies_added(tx, book, &made, at)?;
    if let Some(ready_until) = ready_until {
        for copy in &mut made {
            let release = holds::release(tx, copy.clone(), ready_until, at)?;
            holds::put_release(tx, &release)?;
            *copy = release.copy().clone();
        }
    }
    Ok(made)
}

pub(crate) fn update_book<T: TxView>(
    tx: &mut T,
    id: BookId,
    update: &BookUpdate,
    batch: &Batch,
) -> Result<Book, T::E> {
    if let Some(category) = &update.category {
        plans::check_category_priced(tx, category, batch)?;
    }
    let old = require(tx.book(id)?, BookId::ENTITY, id)?;
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
    events::book_changed(tx, &new, batch.now())?;
    Ok(new)
}

pub(crate) fn set_withdrawn<T: TxView>(
    tx: &mut T,
    id: CopyId,
    withdrawn: bool,
    at: DateTime<Utc>,
) -> Result<BookCopy, T::E> {
    let mut copy = require(tx.copy(id)?, CopyId::ENTITY, id)?;
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
        // Withdrawing a withdrawn copy changes nothing.
        (CopyStatus::Withdrawn, true) => Ok(copy),
        (CopyStatus::Available | CopyStatus::Lost(_), true) => {
            copy.status = CopyStatus::Withdrawn;
            tx.put_copy(&copy)?;
            events::copy_status(tx, EventKind::CopyWithdrawn, &copy, None, at)?;
            Ok(copy)
        }
        (CopyStatus::Lost(rental), false) => Err(Error::invalid_input(
            "copy",
            format!("copy {id} was lost under rental {rental}: mark it found to bring it back"),
        )
        .into()),
        (CopyStatus::Withdrawn, false) => {
            let ready_until = holds::pickup_deadline(tx, at)?;
            let release = holds::release(tx, copy, ready_until, at)?;
            events::copy_status(tx, EventKind::CopyReinstated, release.copy(), None, at)?;
            holds::put_release(tx, &release)?;
            Ok(release.copy().clone())
        }
        // Reinstating a copy in circulation changes nothing.
        (CopyStatus::Available | CopyStatus::Rented(_) | CopyStatus::OnHold(_), false) => Ok(copy),
    }
}
