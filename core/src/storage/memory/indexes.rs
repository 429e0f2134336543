//! The memory store's reads answered from its secondary indexes (availability, the search index, …): each visits
//! only the entries it answers with, so the rest of the store costs nothing.

use std::ops::Bound;

use chrono::{DateTime, Utc};

use super::{from, MemoryStorage, Records, PAGE};
use crate::domain::{Rental, RentalStatus, WordIndex};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, RentalId};

impl MemoryStorage {
    /// See [`Storage::available_copies`](crate::Storage::available_copies).
    pub(super) fn count_available(&self, book: BookId) -> Result<usize> {
        let inner = self.lock();
        if !inner.books.contains_key(&book) {
            return Err(Error::not_found(BookId::ENTITY, book));
        }
        Ok(inner
            .available
            .range((book, CopyId::new(0))..=(book, CopyId::new(u64::MAX)))
            .count())
    }

    /// See [`Storage::books_on_shelf_after`](crate::Storage::books_on_shelf_after): one availability entry per
    /// book, the search jumping past the book's other copies.
    pub(super) fn shelf_after(&self, after: Option<BookId>) -> Records<'_, BookId> {
        self.paged_from(
            after.map_or(Bound::Unbounded, Bound::Excluded),
            |inner, after: Bound<BookId>| {
                let mut books = Vec::new();
                let mut from = match after {
                    Bound::Excluded(book) => match book.get().checked_add(1) {
                        Some(next) => BookId::new(next),
                        None => return books,
                    },
                    _ => BookId::new(0),
                };
                while books.len() < PAGE {
                    let Some((book, _)) = inner.available.range((from, CopyId::new(0))..).next()
                    else {
                        break;
                    };
                    let book = *book;
                    books.push((book, book));
                    match book.get().checked_add(1) {
                        Some(next) => from = BookId::new(next),
                        None => break,
                    }
                }
                books
            },
        )
    }

    /// See [`Storage::word_ids_after`](crate::Storage::word_ids_after).
    pub(super) fn word_ids(
        &self,
        index: WordIndex,
        word: &str,
        after: Option<u64>,
    ) -> Records<'_, u64> {
        let word = word.to_owned();
        self.paged_from(
            after.map_or(Bound::Unbounded, Bound::Excluded),
            move |inner, after: Bound<u64>| {
                let from = match after {
                    Bound::Excluded(id) => Bound::Excluded((index, word.clone(), id)),
                    _ => Bound::Included((index, word.clone(), 0)),
                };
                inner
                    .words
                    .range((from, Bound::Included((index, word.clone(), u64::MAX))))
                    .take(PAGE)
                    .map(|(_, _, id)| (*id, *id))
                    .collect()
            },
        )
    }

    /// See [`Storage::rentals_with_status_after`](crate::Storage::rentals_with_status_after).
    pub(super) fn with_status(
        &self,
        status: RentalStatus,
        after: Option<RentalId>,
    ) -> Records<'_, Rental> {
        self.paged_from(from(after), move |inner, after: Bound<RentalId>| {
            let ids = match status {
                RentalStatus::Active => &inner.active,
                RentalStatus::Closed => &inner.closed,
                RentalStatus::Lost => &inner.lost,
            };
            ids.range((after, Bound::Unbounded))
                .take(PAGE)
                .filter_map(|id| inner.rentals.get(*id).map(|r| (*id, r.clone())))
                .collect()
        })
    }

    /// See [`Storage::rentals_returned_between`](crate::Storage::rentals_returned_between).
    pub(super) fn returned_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Records<'_, Rental> {
        if to <= from {
            return Box::new(std::iter::empty());
        }
        self.paged_from(
            Bound::Included((from, RentalId::new(0))),
            move |inner, after: Bound<(DateTime<Utc>, RentalId)>| {
                inner
                    .by_return
                    .range((after, Bound::Excluded((to, RentalId::new(0)))))
                    .take(PAGE)
                    .filter_map(|key| inner.rentals.get(key.1).map(|r| (*key, r.clone())))
                    .collect()
            },
        )
    }
}
