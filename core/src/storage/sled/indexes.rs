//! The sled store's reads answered from its secondary indexes (availability, the search index, …): each visits
//! only the keys it answers with, so the rest of the store costs nothing.

use chrono::{DateTime, Utc};

use super::layout::{
    available_key, decode, decode_u64, entry_key, id_key, instant_key, ledger_date_prefix,
    owing_key, returned_key, status_key, word_key, word_prefix, ACCOUNTS, AVAILABLE, CLOSED,
    CLOSED_RENTALS, LOST, OWING, RETURNED, WORDS,
};
use super::{Records, SledStorage};
use crate::domain::{LedgerEntry, Rental, RentalStatus, WordIndex};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, RentalId};

impl SledStorage {
    /// See [`Storage::available_copies`](crate::Storage::available_copies): one key per available copy.
    pub(super) fn count_available(&self, book: BookId) -> Result<usize> {
        crate::Storage::book(self, book)?;
        let mut count = 0;
        for item in self.tree(AVAILABLE).scan_prefix(id_key(book.get())) {
            item.map_err(Error::storage)?;
            count += 1;
        }
        Ok(count)
    }

    /// See [`Storage::books_on_shelf_after`](crate::Storage::books_on_shelf_after): the first available copy
    /// after each book found, the search jumping past the book's other copies.
    pub(super) fn shelf_after(&self, after: Option<BookId>) -> Result<Records<'_, BookId>> {
        self.shared.usable()?;
        let mut next = match after.map(|a| a.get().checked_add(1)) {
            None => Some(0),
            Some(next) => next,
        };
        Ok(Box::new(std::iter::from_fn(move || {
            let from = next.take()?;
            let item = self
                .tree(AVAILABLE)
                .range(available_key(BookId::new(from), CopyId::new(0)).to_vec()..)
                .next()?;
            let found = item
                .map_err(Error::storage)
                .and_then(|(key, _)| decode_u64(key.get(..8).unwrap_or_default()));
            if let Ok(book) = found {
                next = book.checked_add(1);
            }
            Some(found.map(BookId::new))
        })))
    }

    /// See [`Storage::word_ids_after`](crate::Storage::word_ids_after): the keys of one word, in id order.
    pub(super) fn word_ids(
        &self,
        index: WordIndex,
        word: &str,
        after: Option<u64>,
    ) -> Result<Records<'_, u64>> {
        self.shared.usable()?;
        let mut prefix = word_prefix(index, word);
        prefix.push(0);
        let from = match after.map(|a| a.checked_add(1)) {
            None => word_key(index, word, 0),
            Some(Some(next)) => word_key(index, word, next),
            Some(None) => return Ok(Box::new(std::iter::empty())),
        };
        Ok(Box::new(
            self.tree(WORDS)
                .range(from..)
                .take_while(move |item| {
                    item.as_ref().map_or(true, |(key, _)| {
                        key.starts_with(&prefix) && key.len() == prefix.len() + 8
                    })
                })
                .map(|item| {
                    let (key, _) = item.map_err(Error::storage)?;
                    let id = key.len().checked_sub(8).and_then(|at| key.get(at..));
                    decode_u64(id.unwrap_or_default())
                }),
        ))
    }

    /// See [`Storage::rentals_with_status_after`](crate::Storage::rentals_with_status_after): the open rentals
    /// from `active_rentals`, the others from their tag of `closed_rentals`.
    pub(super) fn with_status(
        &self,
        status: RentalStatus,
        after: Option<RentalId>,
    ) -> Result<Records<'_, Rental>> {
        let tag = match status {
            RentalStatus::Active => return crate::Storage::active_rentals_after(self, after),
            RentalStatus::Closed => CLOSED,
            RentalStatus::Lost => LOST,
        };
        self.shared.usable()?;
        let from = match after.map(|a| a.get().checked_add(1)) {
            None => status_key(tag, 0),
            Some(Some(next)) => status_key(tag, next),
            Some(None) => return Ok(Box::new(std::iter::empty())),
        };
        Ok(Box::new(
            self.tree(CLOSED_RENTALS)
                .range(from.to_vec()..status_key(tag + 1, 0).to_vec())
                .map(move |item| {
                    let (key, _) = item.map_err(Error::storage)?;
                    self.rental_by_key(key.get(1..).unwrap_or_default())
                }),
        ))
    }

    /// See [`Storage::rentals_returned_between`](crate::Storage::rentals_returned_between).
    pub(super) fn returned_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Records<'_, Rental>> {
        self.shared.usable()?;
        if to <= from {
            return Ok(Box::new(std::iter::empty()));
        }
        let mut end = vec![RETURNED];
        end.extend_from_slice(&instant_key(to));
        Ok(Box::new(
            self.tree(CLOSED_RENTALS)
                .range(returned_key(from, RentalId::new(0)).to_vec()..end)
                .map(move |item| {
                    let (key, _) = item.map_err(Error::storage)?;
                    self.rental_by_key(key.get(13..).unwrap_or_default())
                }),
        ))
    }

    /// See [`Storage::ledger_between`](crate::Storage::ledger_between): a range of the `d` keys of `accounts`,
    /// from either end, each entry then read by its key.
    pub(super) fn ledger_dated(
        &self,
        customer: CustomerId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        newest_first: bool,
    ) -> Result<Records<'_, LedgerEntry>> {
        crate::Storage::customer(self, customer)?;
        let prefix = ledger_date_prefix(customer);
        let bound = |at: Option<DateTime<Utc>>, past_all: bool| {
            let mut key = prefix.to_vec();
            match at {
                Some(at) => key.extend_from_slice(&instant_key(at)),
                // Longer than every key of the prefix and above each in every byte: past them all.
                None if past_all => key.extend_from_slice(&[0xff; 21]),
                None => {}
            }
            key
        };
        let (low, high) = (bound(from, false), bound(to, true));
        if low >= high {
            return Ok(Box::new(std::iter::empty()));
        }
        let keys = self.tree(ACCOUNTS).range(low..high);
        let keys: Box<dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>> + Send> =
            if newest_first {
                Box::new(keys.rev())
            } else {
                Box::new(keys)
            };
        Ok(Box::new(keys.map(move |item| {
            let (key, _) = item.map_err(Error::storage)?;
            let id = decode_u64(key.get(21..).unwrap_or_default())?;
            match self
                .tree(ACCOUNTS)
                .get(entry_key(customer, id))
                .map_err(Error::storage)?
            {
                Some(raw) => decode(&raw),
                None => Err(Error::Corruption(format!(
                    "the ledger by date names entry {id}, which does not exist"
                ))),
            }
        })))
    }

    /// See [`Storage::customers_owing_after`](crate::Storage::customers_owing_after): the `o` keys of `accounts`.
    pub(super) fn owing_after(&self, after: Option<CustomerId>) -> Result<Records<'_, CustomerId>> {
        self.shared.usable()?;
        let from = match after.map(|a| a.get().checked_add(1)) {
            None => owing_key(0),
            Some(Some(next)) => owing_key(next),
            Some(None) => return Ok(Box::new(std::iter::empty())),
        };
        Ok(Box::new(
            self.tree(ACCOUNTS)
                .range(from.to_vec()..vec![OWING + 1])
                .map(|item| {
                    let (key, _) = item.map_err(Error::storage)?;
                    decode_u64(key.get(1..).unwrap_or_default()).map(CustomerId::new)
                }),
        ))
    }
}
