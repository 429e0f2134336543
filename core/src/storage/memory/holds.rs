//! The memory store's reads of holds: one hold, a book's queue, a customer's holds, the active and the ready ones —
//! each waiting hold numbered with its place in its book's queue.

use std::ops::Bound;

use super::{Inner, MemoryStorage};
use crate::domain::{Hold, HoldStatus};
use crate::error::{Error, Result};
use crate::ids::{BookId, CustomerId, HoldId};

impl Inner {
    /// `hold` with its place in its book's queue filled in: counted from the nearer end of the queue, the holds
    /// ahead of it and those behind it read a step at a time until one side ends, the queue's length kept beside
    /// it (a hold near either end costs little however long the queue).
    pub(super) fn numbered(&self, mut hold: Hold) -> Hold {
        hold.position = (hold.status == HoldStatus::Waiting).then(|| {
            let length = self.queue_length.get(&hold.book).copied().unwrap_or(0);
            let mut ahead = self
                .waiting
                .range((hold.book, HoldId::new(0))..(hold.book, hold.id));
            let mut behind = self.waiting.range((
                Bound::Excluded((hold.book, hold.id)),
                Bound::Included((hold.book, HoldId::new(u64::MAX))),
            ));
            let (mut before, mut after) = (0u64, 0u64);
            let position = loop {
                if ahead.next().is_none() {
                    break before + 1;
                }
                before += 1;
                if behind.next().is_none() {
                    break length.saturating_sub(after);
                }
                after += 1;
            };
            u32::try_from(position).unwrap_or(u32::MAX)
        });
        hold
    }
}

impl MemoryStorage {
    pub(super) fn hold_numbered(&self, id: HoldId) -> Result<Hold> {
        let inner = self.lock();
        let hold = inner
            .holds
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::not_found(HoldId::ENTITY, id))?;
        Ok(inner.numbered(hold))
    }

    pub(super) fn book_queue(&self, book: BookId) -> Result<Vec<Hold>> {
        let inner = self.lock();
        if !inner.books.contains_key(&book) {
            return Err(Error::not_found(BookId::ENTITY, book));
        }
        let waiting = inner
            .waiting
            .range((book, HoldId::new(0))..=(book, HoldId::new(u64::MAX)))
            .map(|(_, id)| *id);
        let ready = inner
            .ready_by_book
            .range((book, HoldId::new(0))..=(book, HoldId::new(u64::MAX)))
            .map(|(_, id)| *id);
        let mut ids: Vec<HoldId> = waiting.chain(ready).collect();
        ids.sort_unstable();
        let mut queue: Vec<Hold> = ids
            .into_iter()
            .filter_map(|id| inner.holds.get(&id).cloned())
            .collect();
        Hold::number_queue(&mut queue);
        Ok(queue)
    }

    pub(super) fn holds_of_customer(&self, customer: CustomerId) -> Result<Vec<Hold>> {
        let inner = self.lock();
        if !inner.customers.contains_key(&customer) {
            return Err(Error::not_found(CustomerId::ENTITY, customer));
        }
        Ok(inner
            .holds_by_customer
            .range((customer, HoldId::new(0))..=(customer, HoldId::new(u64::MAX)))
            .filter_map(|(_, id)| inner.holds.get(id).cloned())
            .map(|hold| inner.numbered(hold))
            .collect())
    }

    pub(super) fn active_hold_list(&self) -> Result<Vec<Hold>> {
        let inner = self.lock();
        let mut ids: Vec<HoldId> = inner
            .waiting
            .iter()
            .map(|(_, id)| *id)
            .chain(inner.ready.iter().copied())
            .collect();
        ids.sort_unstable();
        Ok(ids
            .into_iter()
            .filter_map(|id| inner.holds.get(&id).cloned())
            .map(|hold| inner.numbered(hold))
            .collect())
    }

    pub(super) fn ready_hold_list(&self) -> Result<Vec<Hold>> {
        let inner = self.lock();
        Ok(inner
            .ready
            .range(..)
            .filter_map(|id| inner.holds.get(id).cloned())
            .collect())
    }
}
