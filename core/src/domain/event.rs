//! Events: what every change of a store appends to its feed, in the same atomic step as the change (an outbox).
//!
//! Each [`Event`] has a **position** — strictly increasing and gap-free in commit order on every backend, so a
//! consumer that has read up to position `n` has seen every event up to `n` and will never find an earlier one
//! later — an id derived from the position (stable: kept by dumps and migrations, which keep positions), a
//! [`EventKind`], the instant of the change, the ids of what it concerns ([`EventSubjects`]) and a JSON payload
//! whose `"v"` field is its schema version ([`EVENT_SCHEMA_VERSION`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The schema version of every payload written now: the `"v"` field of [`Event::data`].
pub const EVENT_SCHEMA_VERSION: u64 = 1;

/// What happened. Serialised (and shown by [`EventKind::as_str`]) as its dotted name, `rental.opened`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum EventKind {
    /// A book was added to the catalogue, with its first copies.
    #[serde(rename = "book.added")]
    BookAdded,
    /// A book's fields changed.
    #[serde(rename = "book.changed")]
    BookChanged,
    /// Copies of a book were added.
    #[serde(rename = "copies.added")]
    CopiesAdded,
    /// A copy was withdrawn from circulation.
    #[serde(rename = "copy.withdrawn")]
    CopyWithdrawn,
    /// A withdrawn copy was put back into circulation.
    #[serde(rename = "copy.reinstated")]
    CopyReinstated,
    /// A customer was registered.
    #[serde(rename = "customer.registered")]
    CustomerRegistered,
    /// A customer's fields changed (activation included).
    #[serde(rename = "customer.changed")]
    CustomerChanged,
    /// A plan version was published.
    #[serde(rename = "plan.published")]
    PlanPublished,
    /// A rental was opened.
    #[serde(rename = "rental.opened")]
    RentalOpened,
    /// A rental was closed (returned, or declared lost), with its charge.
    #[serde(rename = "rental.closed")]
    RentalClosed,
    /// A rental was renewed: its new due date.
    #[serde(rename = "rental.renewed")]
    RentalRenewed,
    /// A ledger entry was posted: its kind, amount and the balance after it.
    #[serde(rename = "ledger.posted")]
    LedgerPosted,
    /// A hold was placed.
    #[serde(rename = "hold.placed")]
    HoldPlaced,
    /// A copy was set aside for a hold, ready for pickup.
    #[serde(rename = "hold.ready")]
    HoldReady,
    /// A hold was cancelled.
    #[serde(rename = "hold.cancelled")]
    HoldCancelled,
    /// A ready hold was not picked up in time.
    #[serde(rename = "hold.expired")]
    HoldExpired,
    /// A hold was fulfilled by a rental.
    #[serde(rename = "hold.fulfilled")]
    HoldFulfilled,
    /// A rented copy was declared lost.
    #[serde(rename = "copy.lost")]
    CopyLost,
    /// A lost copy was found.
    #[serde(rename = "copy.found")]
    CopyFound,
    /// A customer was blocked by hand.
    #[serde(rename = "customer.blocked")]
    CustomerBlocked,
    /// A customer's manual block was lifted.
    #[serde(rename = "customer.unblocked")]
    CustomerUnblocked,
    /// A notice was marked sent.
    #[serde(rename = "notice.sent")]
    NoticeSent,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 22] = [
        EventKind::BookAdded,
        EventKind::BookChanged,
        EventKind::CopiesAdded,
        EventKind::CopyWithdrawn,
        EventKind::CopyReinstated,
        EventKind::CustomerRegistered,
        EventKind::CustomerChanged,
        EventKind::PlanPublished,
        EventKind::RentalOpened,
        EventKind::RentalClosed,
        EventKind::RentalRenewed,
        EventKind::LedgerPosted,
        EventKind::HoldPlaced,
        EventKind::HoldReady,
        EventKind::HoldCancelled,
        EventKind::HoldExpired,
        EventKind::HoldFulfilled,
        EventKind::CopyLost,
        EventKind::CopyFound,
        EventKind::CustomerBlocked,
        EventKind::CustomerUnblocked,
        EventKind::NoticeSent,
    ];

    /// The dotted name: `rental.opened`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::BookAdded => "book.added",
            EventKind::BookChanged => "book.changed",
            EventKind::CopiesAdded => "copies.added",
            EventKind::CopyWithdrawn => "copy.withdrawn",
            EventKind::CopyReinstated => "copy.reinstated",
            EventKind::CustomerRegistered => "customer.registered",
            EventKind::CustomerChanged => "customer.changed",
            EventKind::PlanPublished => "plan.published",
            EventKind::RentalOpened => "rental.opened",
            EventKind::RentalClosed => "rental.closed",
            EventKind::RentalRenewed => "rental.renewed",
            EventKind::LedgerPosted => "ledger.posted",
            EventKind::HoldPlaced => "hold.placed",
            EventKind::HoldReady => "hold.ready",
            EventKind::HoldCancelled => "hold.cancelled",
            EventKind::HoldExpired => "hold.expired",
            EventKind::HoldFulfilled => "hold.fulfilled",
            EventKind::CopyLost => "copy.lost",
            EventKind::CopyFound => "copy.found",
            EventKind::CustomerBlocked => "customer.blocked",
            EventKind::CustomerUnblocked => "customer.unblocked",
            EventKind::NoticeSent => "notice.sent",
        }
    }

    /// The kind named `name` (its dotted name), or [`Error::InvalidInput`] on `types`.
    pub fn parse(name: &str) -> Result<Self, Error> {
        EventKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| Error::invalid_input("types", format!("{name:?} is not an event type")))
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EventKind {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        EventKind::parse(name)
    }
}

/// The ids of what an event concerns (each `None` when it concerns no record of that kind).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSubjects {
    /// The book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book: Option<u64>,
    /// The copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy: Option<u64>,
    /// The customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<u64>,
    /// The rental.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rental: Option<u64>,
    /// The hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<u64>,
}

/// One event of a store's feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Where the event is in the feed: strictly increasing and gap-free in commit order, from 1.
    pub position: u64,
    /// A stable id, unique within the store (`evt_` and the position, 20 digits; positions are never given twice,
    /// and dumps and migrations keep them): what a receiver deduplicates on.
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// When it happened: the operation's instant (`at`), or the store's clock for an operation that names none
    /// (adding a book, registering a customer, publishing a plan, lifting a block).
    pub at: DateTime<Utc>,
    /// The ids of what it concerns.
    pub subjects: EventSubjects,
    /// The payload: a JSON object whose `"v"` is its schema version ([`EVENT_SCHEMA_VERSION`]).
    pub data: serde_json::Value,
}

impl Event {
    /// The id of the event at `position`.
    pub fn id_at(position: u64) -> String {
        format!("evt_{position:020}")
    }

    /// The payload's schema version (`"v"`), if it has one.
    pub fn schema_version(&self) -> Option<u64> {
        self.data.get("v").and_then(serde_json::Value::as_u64)
    }

    /// The event encoded as JSON (how sled stores it).
    #[cfg(feature = "sled")]
    pub(crate) fn encode(&self) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(self)
            .map_err(|e| Error::Corruption(format!("cannot encode an event: {e}")))
    }

    /// An event stored by `Event::encode`.
    #[cfg(feature = "sled")]
    pub(crate) fn decode(raw: &[u8]) -> Result<Self, Error> {
        serde_json::from_slice(raw)
            .map_err(|e| Error::Corruption(format!("cannot decode an event: {e}")))
    }
}

/// An event the engine appends, before its backend gives it a position.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NewEvent {
    pub(crate) kind: EventKind,
    pub(crate) at: DateTime<Utc>,
    pub(crate) subjects: EventSubjects,
    pub(crate) data: serde_json::Value,
}

impl NewEvent {
    /// The event at `position`.
    pub(crate) fn at_position(self, position: u64) -> Event {
        Event {
            position,
            id: Event::id_at(position),
            kind: self.kind,
            at: self.at,
            subjects: self.subjects,
            data: self.data,
        }
    }
}

/// The longest consumer name of a checkpoint, in characters.
pub const MAX_CHECKPOINT_NAME_CHARS: usize = 100;
