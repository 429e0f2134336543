//! One record of a dump: the store's records as a backup writes them and a restore reads them back. The records
//! are the domain's; the dump's header and format live in [`crate::backup`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::account::{Block, LedgerEntry};
use super::book::{Book, BookCopy};
use super::customer::Customer;
use super::event::Event;
use super::hold::Hold;
use super::rental::Rental;
use crate::pricing::PlanVersion;

/// One record of a dump. Records come in an order a restore can write them in: plan versions, books with their
/// copies, customers with their accounts, rentals, ledger entries, holds, sent notices, the event feed (its last
/// position, its events, its consumers' checkpoints), and last the end line. A dump from before the feed has none of
/// its records and restores with an empty feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DumpRecord {
    /// A version of the price plan (boxed: a plan is far larger than any other record).
    PlanVersion(Box<PlanVersion>),
    /// A book and every copy of it (withdrawn, rented, lost, on hold included), in copy id order.
    Book {
        /// The book.
        book: Book,
        /// Its copies.
        copies: Vec<BookCopy>,
    },
    /// A customer, the account's balance (the sum of the ledger) and its manual block.
    Customer {
        /// The customer.
        customer: Customer,
        /// What the customer owes (negative: a credit).
        #[serde(with = "crate::money::decimal_str")]
        balance: Decimal,
        /// A manual block, if one is set.
        block: Option<Block>,
    },
    /// A rental, open or closed.
    Rental(Rental),
    /// A ledger entry.
    Entry(LedgerEntry),
    /// A hold of any status.
    Hold(Hold),
    /// A notice marked sent.
    Notice {
        /// The notice's key.
        key: String,
        /// When it was marked sent.
        at: DateTime<Utc>,
    },
    /// The event feed's last position given (kept when the feed was pruned, so a restored store never gives a
    /// position twice).
    Feed {
        /// The last position given.
        last_position: u64,
    },
    /// An event of the feed, position and id kept (boxed: larger than the other records).
    Event(Box<Event>),
    /// A consumer's checkpoint in the feed.
    Checkpoint {
        /// The consumer.
        name: String,
        /// The last position it handled.
        position: u64,
    },
    /// The last line: how many records of each kind came before it. A dump without it is truncated.
    End {
        /// Records per kind (`plan_version`, `book`, `copy`, `customer`, `rental`, `entry`, `hold`, `notice`).
        counts: BTreeMap<String, u64>,
    },
}

impl DumpRecord {
    /// The kind counted in the end line (copies are counted apart, inside their books): `plan_version`, `book`,
    /// `customer`, `rental`, `entry`, `hold`, `notice`, `feed`, `event`, `checkpoint`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            DumpRecord::PlanVersion(_) => "plan_version",
            DumpRecord::Book { .. } => "book",
            DumpRecord::Customer { .. } => "customer",
            DumpRecord::Rental(_) => "rental",
            DumpRecord::Entry(_) => "entry",
            DumpRecord::Hold(_) => "hold",
            DumpRecord::Notice { .. } => "notice",
            DumpRecord::Feed { .. } => "feed",
            DumpRecord::Event(_) => "event",
            DumpRecord::Checkpoint { .. } => "checkpoint",
            DumpRecord::End { .. } => "end",
        }
    }
}
