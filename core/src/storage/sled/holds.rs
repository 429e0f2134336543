//! The sled store's reads of holds: one hold, a book's queue, a customer's holds, the active and the ready ones —
//! each waiting hold numbered with its place in its book's queue.

use super::layout::{
    decode, decode_u64, hold_key, CUSTOMER_HOLD, HOLD, HOLDS, QUEUE_LENGTH, READY, READY_BY_BOOK,
    WAITING,
};
use super::SledStorage;
use crate::domain::{Hold, HoldStatus};
use crate::error::{Error, Result};
use crate::ids::{BookId, CustomerId, HoldId};
use crate::Storage;

impl SledStorage {
    pub(super) fn hold_numbered(&self, id: HoldId) -> Result<Hold> {
        self.shared.usable()?;
        let hold = self.stored_hold(id)?;
        self.numbered(hold)
    }

    pub(super) fn book_queue(&self, book: BookId) -> Result<Vec<Hold>> {
        self.book(book)?;
        let tree = self.tree(HOLDS);
        let mut ids = Vec::new();
        for item in tree.scan_prefix(hold_key(WAITING, book.get(), None)) {
            let (key, _) = item.map_err(Error::storage)?;
            ids.push(HoldId::new(decode_u64(key.get(9..).unwrap_or_default())?));
        }
        for item in tree.scan_prefix(hold_key(READY_BY_BOOK, book.get(), None)) {
            let (key, _) = item.map_err(Error::storage)?;
            ids.push(HoldId::new(decode_u64(key.get(9..).unwrap_or_default())?));
        }
        ids.sort_unstable();
        let mut queue = ids
            .into_iter()
            .map(|id| self.stored_hold(id))
            .collect::<Result<Vec<_>>>()?;
        Hold::number_queue(&mut queue);
        Ok(queue)
    }

    pub(super) fn holds_of_customer(&self, customer: CustomerId) -> Result<Vec<Hold>> {
        self.customer(customer)?;
        let mut holds = Vec::new();
        for item in self
            .tree(HOLDS)
            .scan_prefix(hold_key(CUSTOMER_HOLD, customer.get(), None))
        {
            let (key, _) = item.map_err(Error::storage)?;
            let hold =
                self.stored_hold(HoldId::new(decode_u64(key.get(9..).unwrap_or_default())?))?;
            holds.push(self.numbered(hold)?);
        }
        Ok(holds)
    }

    pub(super) fn ready_hold_list(&self) -> Result<Vec<Hold>> {
        self.shared.usable()?;
        let mut holds = Vec::new();
        for item in self.tree(HOLDS).scan_prefix([READY]) {
            let (key, _) = item.map_err(Error::storage)?;
            holds.push(
                self.stored_hold(HoldId::new(decode_u64(key.get(1..).unwrap_or_default())?))?,
            );
        }
        Ok(holds)
    }

    pub(super) fn active_hold_list(&self) -> Result<Vec<Hold>> {
        self.shared.usable()?;
        let mut ids = Vec::new();
        for item in self.tree(HOLDS).scan_prefix([WAITING]) {
            let (key, _) = item.map_err(Error::storage)?;
            ids.push(HoldId::new(decode_u64(key.get(9..).unwrap_or_default())?));
        }
        ids.extend(self.ready_holds()?.into_iter().map(|h| h.id));
        ids.sort_unstable();
        ids.into_iter()
            .map(|id| self.stored_hold(id).and_then(|h| self.numbered(h)))
            .collect()
    }

    fn stored_hold(&self, id: HoldId) -> Result<Hold> {
        match self
            .tree(HOLDS)
            .get(hold_key(HOLD, id.get(), None))
            .map_err(Error::storage)?
        {
            Some(raw) => decode(&raw),
            None => Err(Error::not_found(HoldId::ENTITY, id)),
        }
    }

    /// `hold` with its place in its book's queue filled in: counted from the nearer end of the queue, the holds
    /// ahead of it and those behind it read a step at a time until one side ends, the length of the queue kept
    /// beside it (a hold near either end costs little however long the queue).
    fn numbered(&self, mut hold: Hold) -> Result<Hold> {
        if hold.status != HoldStatus::Waiting {
            return Ok(hold);
        }
        let book = hold.book.get();
        let length = match self
            .tree(HOLDS)
            .get(hold_key(QUEUE_LENGTH, book, None))
            .map_err(Error::storage)?
        {
            Some(raw) => decode_u64(&raw)?,
            None => 0,
        };
        let holds = self.tree(HOLDS);
        let mut ahead = holds
            .range(hold_key(WAITING, book, Some(0))..hold_key(WAITING, book, Some(hold.id.get())));
        let mut behind = hold.id.get().checked_add(1).map(|next| {
            holds.range(
                hold_key(WAITING, book, Some(next))
                    ..hold_key(WAITING, book.saturating_add(1), Some(0)),
            )
        });
        let (mut before, mut after) = (0u64, 0u64);
        let position = loop {
            match ahead.next() {
                None => break before + 1,
                Some(item) => {
                    item.map_err(Error::storage)?;
                    before += 1;
                }
            }
            match behind.as_mut().and_then(Iterator::next) {
                None => break length.saturating_sub(after),
                Some(item) => {
                    item.map_err(Error::storage)?;
                    after += 1;
                }
            }
        };
        hold.position = Some(u32::try_from(position).unwrap_or(u32::MAX));
        Ok(hold)
    }
}
