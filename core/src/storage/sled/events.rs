//! The sled store's reads of the event feed (the `events` tree, see `layout`): a page by position, a page of some
//! types from the feed by type (each type's range read for at most a page, the ranges merged in position order),
//! the last position given and the checkpoints.

use super::layer::past_prefix;
use super::layout::{
    decode_u64, event_key, event_type_key, event_type_prefix, CHECKPOINT, EVENT, EVENTS,
    EVENT_COUNTER,
};
use super::SledStorage;
use crate::domain::{Event, EventKind};
use crate::error::{Error, Result};

impl SledStorage {
    /// Up to `limit` events after `after`, in position order.
    pub(super) fn feed_after(&self, after: Option<u64>, limit: usize) -> Result<Vec<Event>> {
        let Some(first) = after.map_or(Some(0), |a| a.checked_add(1)) else {
            return Ok(Vec::new());
        };
        let from = event_key(first);
        let to = [EVENT + 1];
        let mut events = Vec::new();
        for item in self
            .tree(EVENTS)
            .range(from.to_vec()..to.to_vec())
            .take(limit)
        {
            let (_, raw) = item.map_err(Error::storage)?;
            events.push(Event::decode(&raw)?);
        }
        Ok(events)
    }

    /// Up to `limit` events of `types` after `after`, in position order: at most `limit` keys of each type's
    /// range of the feed by type, merged, then the events they name.
    pub(super) fn feed_of_types_after(
        &self,
        types: &[EventKind],
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>> {
        let Some(first) = after.map_or(Some(0), |a| a.checked_add(1)) else {
            return Ok(Vec::new());
        };
        let mut kinds = types.to_vec();
        kinds.sort_unstable();
        kinds.dedup();
        let tree = self.tree(EVENTS);
        let mut positions: Vec<u64> = Vec::new();
        for kind in kinds {
            let prefix = event_type_prefix(kind);
            let range = event_type_key(kind, first)..past_prefix(&prefix);
            for item in tree.range(range).take(limit) {
                let (key, _) = item.map_err(Error::storage)?;
                positions.push(decode_u64(key.get(prefix.len()..).unwrap_or_default())?);
            }
        }
        positions.sort_unstable();
        positions.truncate(limit);
        positions
            .into_iter()
            .map(
                |position| match tree.get(event_key(position)).map_err(Error::storage)? {
                    Some(raw) => Event::decode(&raw),
                    None => Err(Error::Corruption(format!(
                    "the index of the feed by type names position {position}, which holds no event"
                ))),
                },
            )
            .collect()
    }

    /// The last position given (0: none yet).
    pub(super) fn last_given(&self) -> Result<u64> {
        self.tree(EVENTS)
            .get(EVENT_COUNTER)
            .map_err(Error::storage)?
            .map_or(Ok(0), |raw| decode_u64(&raw))
    }

    /// Every consumer's checkpoint, by name.
    pub(super) fn consumer_checkpoints(&self) -> Result<Vec<(String, u64)>> {
        self.tree(EVENTS)
            .scan_prefix([CHECKPOINT])
            .map(|item| {
                let (key, raw) = item.map_err(Error::storage)?;
                let name = String::from_utf8_lossy(key.get(1..).unwrap_or_default()).into_owned();
                Ok((name, decode_u64(&raw)?))
            })
            .collect()
    }
}
