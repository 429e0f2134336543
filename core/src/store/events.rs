//! The event feed: reading it from a position, consumers' checkpoints, pruning. Every change appends its events
//! in the same atomic step as the change (see [`Event`]); checkpoints and pruning are operations too, so they go
//! through the one write door.

use super::book_store::BookStore;
use crate::domain::{Event, EventKind};
use crate::engine::{Operation, Outcome};
use crate::error::{Error, Result};
use crate::storage::Storage;

/// The most events [`BookStore::events`] answers in one call.
pub const MAX_EVENTS_PAGE: usize = 1000;

impl<S: Storage> BookStore<S> {
    /// Up to `limit` (1 to [`MAX_EVENTS_PAGE`]; 100 is a good page) events after position `after` (from the start
    /// of the feed for `None`), in position order; with `types`, only the events of those types, read from the
    /// feed's index by type (the events of other types cost nothing, however many there are; an empty `types`
    /// answers none). A consumer passes the last position it handled as `after`: positions are gap-free in
    /// commit order, so it never misses an event nor sees one twice. An `after` past the feed's last position is
    /// [`Error::InvalidInput`] on `after` (at the last position, the answer is empty).
    ///
    /// ```
    /// use koko_core::{BookStore, EventKind, NewBook, PricePlan};
    ///
    /// let store = BookStore::in_memory(PricePlan::story1()).unwrap();
    /// store.add_book(&NewBook::new("Dune", "Frank Herbert", "regular"), 1).unwrap();
    /// let events = store.events(None, 100, None).unwrap();
    /// let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    /// assert_eq!(kinds, ["plan.published", "book.added"]);
    /// assert_eq!(events[1].position, 2);
    /// let books = store.events(None, 100, Some(&[EventKind::BookAdded])).unwrap();
    /// assert_eq!(books[0].data["book"]["title"], "Dune");
    /// ```
    pub fn events(
        &self,
        after: Option<u64>,
        limit: usize,
        types: Option<&[EventKind]>,
    ) -> Result<Vec<Event>> {
        if limit == 0 || limit > MAX_EVENTS_PAGE {
            return Err(Error::invalid_input(
                "limit",
                format!("must be between 1 and {MAX_EVENTS_PAGE}, got {limit}"),
            ));
        }
        let events: Vec<Event> = match types {
            None => self.storage.events_after(after, limit)?,
            // The index names each type's events; a damaged one could name another type's, kept out here.
            Some(types) => self
                .storage
                .events_of_types_after(types, after, limit)?
                .into_iter()
                .filter(|event| types.contains(&event.kind))
                .collect(),
        };
        if let (true, Some(after)) = (events.is_empty(), after) {
            let last = self.storage.last_event_position()?;
            if after > last {
                return Err(Error::invalid_input(
                    "after",
                    format!(
                        "the feed's last position is {last}: there is no position {after} to read after (a \
                         store restored from an older backup starts again from its last position)"
                    ),
                ));
            }
        }
        Ok(events)
    }

    /// The checkpoint of consumer `name`: the last position it handled, if it stored one.
    pub fn checkpoint(&self, name: &str) -> Result<Option<u64>> {
        self.storage.checkpoint(name)
    }

    /// Every consumer's checkpoint, by name.
    pub fn checkpoints(&self) -> Result<Vec<(String, u64)>> {
        self.storage.checkpoints()
    }

    /// Stores consumer `name`'s checkpoint (`position`: the last it handled, at most the feed's last position),
    /// atomically ([`Operation::SetCheckpoint`]). A consumer with a checkpoint holds back
    /// [`BookStore::prune_events`] until it passes the events.
    pub fn set_checkpoint(&self, name: &str, position: u64) -> Result<u64> {
        match self.apply(Operation::SetCheckpoint {
            name: name.to_owned(),
            position,
        })? {
            Outcome::Checkpoint { position, .. } => Ok(position),
            other => Err(Error::Corruption(format!(
                "a checkpoint answered {other:?}"
            ))),
        }
    }

    /// Forgets consumer `name`'s checkpoint ([`Operation::RemoveCheckpoint`]), so a consumer that is gone no longer
    /// holds back [`BookStore::prune_events`]; answers the checkpoint it had.
    pub fn remove_checkpoint(&self, name: &str) -> Result<Option<u64>> {
        match self.apply(Operation::RemoveCheckpoint {
            name: name.to_owned(),
        })? {
            Outcome::CheckpointRemoved(had) => Ok(had),
            other => Err(Error::Corruption(format!(
                "removing a checkpoint answered {other:?}"
            ))),
        }
    }

    /// The feed's last position (0 before the first event): a consumer that starts now and wants only what comes
    /// next stores it as its checkpoint. Pruning does not lower it.
    pub fn last_event_position(&self) -> Result<u64> {
        self.storage.last_event_position()
    }

    /// Removes the events before position `before` ([`Operation::PruneEvents`]), refused
    /// ([`Error::InvalidInput`] on `before`) while a consumer's checkpoint is below `before - 1`. Answers how many
    /// were removed. Positions are never given again.
    pub fn prune_events(&self, before: u64) -> Result<u64> {
        match self.apply(Operation::PruneEvents { before })? {
            Outcome::Pruned(count) => Ok(count),
            other => Err(Error::Corruption(format!("a prune answered {other:?}"))),
        }
    }
}
