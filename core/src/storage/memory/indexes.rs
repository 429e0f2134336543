//! The memory store's reads answered from its secondary indexes (availability, the search index, …): each visits
//! only the entries it answers with, so the rest of the store costs nothing.

use std::ops::Bound;

use chrono::{DateTime, Utc};

use super::{from, MemoryStorage, Records, PAGE};
use crate::domain::{LedgerEntry, Rental, RentalStatus, WordIndex};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, LedgerEntryId, RentalId};

/// A key of the ledger by date: customer, date, entry.
type Dated = (CustomerId, DateTime<Utc>, LedgerEntryId);

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

    /// See [`Storage::ledger_between`](crate::Storage::ledger_between): a page of the index at a time, from either
    /// end, each entry then read by its key.
    pub(super) fn ledger_dated(
        &self,
        customer: CustomerId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        newest_first: bool,
    ) -> Result<Records<'_, LedgerEntry>> {
        if !self.lock().customers.contains_key(&customer) {
            return Err(Error::not_found(CustomerId::ENTITY, customer));
        }
        let mut low: Bound<Dated> = Bound::Included((
            customer,
            from.unwrap_or(DateTime::<Utc>::MIN_UTC),
            LedgerEntryId::new(0),
        ));
        let mut high: Bound<Dated> = match to {
            Some(to) => Bound::Excluded((customer, to, LedgerEntryId::new(0))),
            None => Bound::Included((
                customer,
                DateTime::<Utc>::MAX_UTC,
                LedgerEntryId::new(u64::MAX),
            )),
        };
        if from.zip(to).is_some_and(|(from, to)| to <= from) {
            return Ok(Box::new(std::iter::empty()));
        }
        let mut page = Vec::new().into_iter();
        let mut done = false;
        // Pages grow from 4 entries to PAGE, so a caller that stops early read little more than it used.
        let mut size = 4;
        Ok(Box::new(std::iter::from_fn(move || loop {
            if let Some(entry) = page.next() {
                return Some(Ok(entry));
            }
            if done {
                return None;
            }
            let inner = self.lock();
            let keys: Vec<Dated> = if newest_first {
                let keys = inner.ledger_by_date.range_back((low, high));
                keys.take(size).copied().collect()
            } else {
                let keys = inner.ledger_by_date.range((low, high));
                keys.take(size).copied().collect()
            };
            done = keys.len() < size;
            size = (size * 2).min(PAGE);
            if let Some(last) = keys.last() {
                if newest_first {
                    high = Bound::Excluded(*last);
                } else {
                    low = Bound::Excluded(*last);
                }
            }
            let entries: Result<Vec<LedgerEntry>> = keys
                .iter()
                .map(|(customer, _, id)| {
                    inner.ledger.get(&(*customer, *id)).cloned().ok_or_else(|| {
                        Error::Corruption(format!("the ledger by date names missing entry {id}"))
                    })
                })
                .collect();
            match entries {
                Ok(entries) => page = entries.into_iter(),
                Err(e) => {
                    done = true;
                    return Some(Err(e));
                }
            }
        })))
    }
}
