//! The sled store's reads answered from its secondary indexes (availability, the search index, …): each visits
//! only the keys it answers with, so the rest of the store costs nothing.

use super::layout::{available_key, decode_u64, id_key, word_key, word_prefix, AVAILABLE, WORDS};
use super::{Records, SledStorage};
use crate::domain::WordIndex;
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId};

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
}
