//! The memory store's reads of the event feed: a page by position, a page of some types from the feed's index by
//! type (each type's range read for at most a page, the ranges merged in position order), the checkpoints.

use std::ops::Bound;

use super::MemoryStorage;
use crate::domain::{Event, EventKind};
use crate::error::{Error, Result};

impl MemoryStorage {
    /// Up to `limit` events after `after`, in position order.
    pub(super) fn feed_after(&self, after: Option<u64>, limit: usize) -> Vec<Event> {
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        self.lock()
            .events
            .range((start, Bound::Unbounded))
            .take(limit)
            .map(|(_, event)| (**event).clone())
            .collect()
    }

    /// Up to `limit` events of `types` after `after`, in position order: at most `limit` entries of each type's
    /// range of the index, merged, then the events they name.
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
        let inner = self.lock();
        let mut positions: Vec<u64> = Vec::new();
        for kind in kinds {
            positions.extend(
                inner
                    .events_by_type
                    .range((kind, first)..=(kind, u64::MAX))
                    .take(limit)
                    .map(|(_, position)| *position),
            );
        }
        positions.sort_unstable();
        positions.truncate(limit);
        positions
            .into_iter()
            .map(|position| {
                inner
                    .events
                    .get(&position)
                    .map(|event| (**event).clone())
                    .ok_or_else(|| {
                        Error::Corruption(format!(
                            "the index of the feed by type names position {position}, which holds no event"
                        ))
                    })
            })
            .collect()
    }

    /// Every consumer's checkpoint, by name.
    pub(super) fn consumer_checkpoints(&self) -> Vec<(String, u64)> {
        self.lock()
            .checkpoints
            .iter()
            .map(|(name, position)| (name.clone(), *position))
            .collect()
    }
}
