//! The on-disk layout: the trees, how keys and values are encoded, and the migration from older layouts.
//!
//! Layout version 8 ([`SCHEMA_VERSION`], this one):
//! - `meta`: `schema_version` and the id counters (`next_id:<kind>`), big-endian `u64`s;
//! - `books`, `copies`, `customers`, `rentals`: id (big-endian `u64`) → postcard record;
//! - `titles` (title key → book id), `isbns` (ISBN → book id), `book_copies` (book id → postcard list of copy ids);
//! - `available_copies`: book id ++ copy id → nothing, one key per available copy (renting by book takes the
//!   first key under the book's prefix instead of reading every copy);
//! - `active_rentals`: rental id → the open rental as an [`OpenRecord`] (a compact copy of the one in `rentals`,
//!   instants as integers), so listing and exporting open rentals reads one tree and parses no dates;
//! - `customer_rentals`: customer id ++ rental id → while the rental is open, its due time (postcard
//!   `Option<DateTime>`, never empty), once closed nothing — so a customer's open rentals are read without their
//!   records, for the overdue limit;
//! - `plan_versions`: id → JSON version; `plan_starts`: RFC 3339 instant → id;
//! - `accounts`: one tree for everything a ledger operation writes, so a return touches one more tree than before
//!   accounts, not four (sled's transactions cost more with every tree they span): `a` ++ customer id → postcard
//!   account (balance, manual block; written only by ledger and block operations); `l` ++ customer id ++ entry id
//!   → postcard [`LedgerEntry`]; `x` ++ rental id ++ entry id → customer id, one key per entry naming a rental (a
//!   receipt reads a rental's entries without its customer's ledger); `d` ++ customer id ++ [`instant_key`] ++ entry id →
//!   nothing, the ledger by date (a statement reads its period and the nearer end of the rest); `o` ++ customer
//!   id → nothing while the customer owes something (the aged balances); `next_id:ledger_entry` → the counter;
//! - `idempotency_keys`: the client's key (UTF-8) → JSON key record (request, outcome, when);
//! - `holds`: `h` ++ hold id → postcard [`Hold`](crate::Hold); `w` ++ book id ++ hold id → nothing, one key per
//!   waiting hold (the book's queue, in order); `r` ++ hold id → nothing, one key per ready hold; `c` ++ customer
//!   id ++ hold id → `[1]` while the hold is waiting or ready, empty once closed; for the ready holds also
//!   `b` ++ book id ++ hold id and `u` ++ end of pickup ++ hold id ([`ready_until_key`]) → nothing; `a` ++
//!   customer id ++ hold id → nothing and `o` ++ customer id ++ book id → hold id while the hold is waiting or
//!   ready; `q` ++ book id → how many holds wait in the book's queue (a hold's place is counted from the nearer
//!   end of the queue); `next_id:hold` → the counter;
//! - `notices`: a sent notice's key (UTF-8) → when it was marked sent (postcard instant);
//! - `open_by_due`: [`due_key`] (due date ++ rental id) → nothing, one key per open rental with a due date (the
//!   overdue rentals and the due notices are a range of it);
//! - `open_of_customer` (since layout 6, tagged): `r` ++ customer id ++ rental id → nothing, one key per open
//!   rental (a customer's open rentals without their closed ones); `n` ++ customer id → how many open rentals
//!   the customer has (a big-endian `u64`, absent for none); `d` ++ customer id ++ [`instant_key`] of the due
//!   date ++ rental id → nothing, one key per open rental with a due date (the overdue limit counts the overdue
//!   ones up to the limit);
//! - `closed_rentals`: `c` ++ rental id and `l` ++ rental id → nothing, one key per closed and per lost rental
//!   (a listing by status); `r` ++ [`instant_key`] of the return ++ rental id → nothing, one key per returned
//!   rental (a period's revenue);
//! - `customer_emails` (since layout 6): a customer's e-mail key (the address in lower case, UTF-8) → customer
//!   id, one key per address (an address is unique; a store from before keeps its first customer's);
//! - `words`: the search index, [`WordIndex::tag`](crate::domain::WordIndex::tag) ++ word (UTF-8) ++ `0` ++
//!   record id → nothing, one key per word of each book and customer (see `domain::words`);
//! - `events` (since layout 7): `e` ++ position → the JSON [`Event`](crate::Event), one key per event of the
//!   feed; `n` → the last position given (big-endian `u64`; kept when the feed is pruned, so positions are
//!   never given twice); `c` ++ consumer name (UTF-8) → the consumer's checkpoint (big-endian `u64`); and
//!   (since layout 8) the feed by type, `t` ++ the event's type (its dotted name, UTF-8) ++ `0` ++ position →
//!   nothing, one key per event, written with it and pruned with it (a page of some types reads their ranges,
//!   not the events of the others). It lives in `events` rather than a tree of its own: every batch that appends
//!   events writes `events` already, and sled's transactions cost more with every tree they span.
//!
//! Version 1 (Koko 0.1) had no `available_copies` and empty values in `active_rentals`; version 2 had no
//! accounts and stored rentals without renewals; version 3 had no holds and stored rentals without the `lost`
//! flag; version 4 had no index of the entries by rental, of the ready holds by book and by end of pickup, of a
//! customer's active holds, nor of the open rentals by due date or by customer; version 5 had no `closed_rentals`,
//! no ledger by date (`d` keys of `accounts`) nor customers who owe (`o`), no `customer_emails`, and kept a customer's open rentals
//! untagged, without their count or due dates; version 6 had no `events` (a store from before starts its feed
//! empty, at position 1); version 7 had no feed by type (`t` keys of `events`). `migrate.rs` rebuilds what a version lacks from the
//! records. The keys themselves are built in `keys.rs`.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sled::Tree;

use crate::domain::Rental;
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, PlanVersionId, RentalId};
use crate::pricing::Quote;

pub(super) use super::keys::*;

/// The on-disk layout version this code reads and writes.
pub(super) const SCHEMA_VERSION: u64 = 8;
pub(super) const SCHEMA_KEY: &[u8] = b"schema_version";

/// Tree positions: every write names its tree by one of these.
pub(super) const META: usize = 0;
pub(super) const BOOKS: usize = 1;
pub(super) const TITLES: usize = 2;
pub(super) const ISBNS: usize = 3;
pub(super) const BOOK_COPIES: usize = 4;
pub(super) const COPIES: usize = 5;
pub(super) const AVAILABLE: usize = 6;
pub(super) const CUSTOMERS: usize = 7;
pub(super) const RENTALS: usize = 8;
pub(super) const ACTIVE: usize = 9;
pub(super) const CUSTOMER_RENTALS: usize = 10;
pub(super) const PLANS: usize = 11;
pub(super) const PLAN_STARTS: usize = 12;
pub(super) const ACCOUNTS: usize = 13;
pub(super) const IDEMPOTENCY: usize = 14;
pub(super) const HOLDS: usize = 15;
pub(super) const NOTICES: usize = 16;
pub(super) const WORDS: usize = 17;
pub(super) const OPEN_BY_DUE: usize = 18;
pub(super) const OPEN_OF_CUSTOMER: usize = 19;
pub(super) const CLOSED_RENTALS: usize = 20;
pub(super) const EMAILS: usize = 21;
pub(super) const EVENTS: usize = 22;

/// The trees' names on disk, in position order.
const NAMES: [&str; 23] = [
    "meta",
    "books",
    "titles",
    "isbns",
    "book_copies",
    "copies",
    "available_copies",
    "customers",
    "rentals",
    "active_rentals",
    "customer_rentals",
    "plan_versions",
    "plan_starts",
    "accounts",
    "idempotency_keys",
    "holds",
    "notices",
    "words",
    "open_by_due",
    "open_of_customer",
    "closed_rentals",
    "customer_emails",
    "events",
];

/// Every tree of a store, by position, and how many entries the store's reads visited ([`crate::Storage::reads`]).
pub(super) struct Trees(pub(super) Vec<Tree>, AtomicU64);

impl Trees {
    pub(super) fn open(db: &sled::Db) -> Result<Self> {
        NAMES
            .iter()
            .map(|name| db.open_tree(name).map_err(Error::storage))
            .collect::<Result<Vec<_>>>()
            .map(|trees| Trees(trees, AtomicU64::new(0)))
    }

    /// A tree to write (or to migrate): its reads are not counted.
    pub(super) fn get(&self, tree: usize) -> &Tree {
        &self.0[tree]
    }

    /// A tree to read, counting each entry read.
    pub(super) fn read(&self, tree: usize) -> Counted<'_> {
        Counted {
            tree: &self.0[tree],
            reads: &self.1,
        }
    }

    /// Every entry read through [`Trees::read`] so far.
    pub(super) fn reads(&self) -> u64 {
        self.1.load(Ordering::Relaxed)
    }
}

/// A tree whose reads count: a lookup is one read, a scan one per entry it yields.
pub(super) struct Counted<'a> {
    tree: &'a Tree,
    reads: &'a AtomicU64,
}

impl<'a> Counted<'a> {
    fn count<T>(&self, item: T) -> T {
        self.reads.fetch_add(1, Ordering::Relaxed);
        item
    }

    pub(super) fn get(&self, key: impl AsRef<[u8]>) -> sled::Result<Option<sled::IVec>> {
        self.count(self.tree.get(key))
    }

    pub(super) fn range<K: AsRef<[u8]>, R: std::ops::RangeBounds<K>>(
        &self,
        range: R,
    ) -> impl DoubleEndedIterator<Item = sled::Result<(sled::IVec, sled::IVec)>> + 'a {
        let reads = self.reads;
        self.tree.range(range).inspect(move |_| {
            reads.fetch_add(1, Ordering::Relaxed);
        })
    }

    pub(super) fn scan_prefix(
        &self,
        prefix: impl AsRef<[u8]>,
    ) -> impl DoubleEndedIterator<Item = sled::Result<(sled::IVec, sled::IVec)>> + 'a {
        let reads = self.reads;
        self.tree.scan_prefix(prefix).inspect(move |_| {
            reads.fetch_add(1, Ordering::Relaxed);
        })
    }

    pub(super) fn iter(
        &self,
    ) -> impl DoubleEndedIterator<Item = sled::Result<(sled::IVec, sled::IVec)>> + 'a {
        let reads = self.reads;
        self.tree.iter().inspect(move |_| {
            reads.fetch_add(1, Ordering::Relaxed);
        })
    }
}

/// The `customer_rentals` value of a rental: its due time while open, nothing once closed.
pub(super) fn customer_rental_value(rental: &Rental) -> Result<Vec<u8>> {
    if rental.returned_at.is_none() {
        encode(&rental.due_at)
    } else {
        Ok(Vec::new())
    }
}

/// An open rental as the `active_rentals` index stores it: instants as (seconds, nanoseconds) since the Unix
/// epoch instead of RFC 3339 text, so reading a million of them parses no dates.
#[derive(Serialize, Deserialize)]
pub(super) struct OpenRecord {
    id: u64,
    copy: u64,
    book: u64,
    customer: u64,
    category: String,
    rented_at: (i64, u32),
    due_at: Option<(i64, u32)>,
    plan_version: u64,
    renewals: Vec<(i64, u32)>,
}

fn instant(at: DateTime<Utc>) -> (i64, u32) {
    (at.timestamp(), at.timestamp_subsec_nanos())
}

fn from_instant((secs, nanos): (i64, u32)) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp(secs, nanos)
        .ok_or_else(|| Error::Corruption(format!("a stored instant is out of range: {secs} s")))
}

impl OpenRecord {
    pub(super) fn encode(rental: &Rental) -> Result<Vec<u8>> {
        encode(&OpenRecord {
            id: rental.id.get(),
            copy: rental.copy.get(),
            book: rental.book.get(),
            customer: rental.customer.get(),
            category: rental.category.clone(),
            rented_at: instant(rental.rented_at),
            due_at: rental.due_at.map(instant),
            plan_version: rental.plan_version.get(),
            renewals: rental.renewals.iter().copied().map(instant).collect(),
        })
    }

    pub(super) fn decode(raw: &[u8]) -> Result<Rental> {
        let record: OpenRecord = decode(raw)?;
        Ok(Rental {
            id: RentalId::new(record.id),
            copy: CopyId::new(record.copy),
            book: BookId::new(record.book),
            customer: CustomerId::new(record.customer),
            category: record.category,
            rented_at: from_instant(record.rented_at)?,
            due_at: record.due_at.map(from_instant).transpose()?,
            returned_at: None,
            plan_version: PlanVersionId::new(record.plan_version),
            charge: None,
            renewals: record
                .renewals
                .into_iter()
                .map(from_instant)
                .collect::<Result<_>>()?,
            lost: false,
        })
    }
}

/// A rental as layout 3 stored it (before the `lost` flag), for the migration.
#[derive(Deserialize)]
struct RentalV3 {
    id: RentalId,
    copy: CopyId,
    book: BookId,
    customer: CustomerId,
    category: String,
    rented_at: DateTime<Utc>,
    due_at: Option<DateTime<Utc>>,
    returned_at: Option<DateTime<Utc>>,
    plan_version: PlanVersionId,
    charge: Option<Quote>,
    renewals: Vec<DateTime<Utc>>,
}

impl From<RentalV3> for Rental {
    fn from(old: RentalV3) -> Self {
        Rental {
            id: old.id,
            copy: old.copy,
            book: old.book,
            customer: old.customer,
            category: old.category,
            rented_at: old.rented_at,
            due_at: old.due_at,
            returned_at: old.returned_at,
            plan_version: old.plan_version,
            charge: old.charge,
            renewals: old.renewals,
            lost: false,
        }
    }
}

/// A rental as layouts 1 and 2 stored it (before renewals), for the migrations.
#[derive(Deserialize)]
struct RentalV2 {
    id: RentalId,
    copy: CopyId,
    book: BookId,
    customer: CustomerId,
    category: String,
    rented_at: DateTime<Utc>,
    due_at: Option<DateTime<Utc>>,
    returned_at: Option<DateTime<Utc>>,
    plan_version: PlanVersionId,
    charge: Option<Quote>,
}

/// A stored rental in any format: today's (layouts 4 to 6), or (failing that) layout 3's, or layouts 1 and 2's, so a
/// migration interrupted half-way through rewriting the rentals runs again cleanly. postcard fails on a record too short
/// for the format tried, and each newer format only adds fields at the end, so the first format that decodes the
/// whole record is its own.
pub(super) fn decode_any_rental(raw: &[u8]) -> Result<Rental> {
    exact::<Rental>(raw)
        .or_else(|_| exact::<RentalV3>(raw).map(Rental::from))
        .or_else(|_| exact::<RentalV2>(raw).map(Rental::from))
}

/// Decodes a record that must fill `raw` exactly (no bytes left over).
fn exact<T: DeserializeOwned>(raw: &[u8]) -> Result<T> {
    match postcard::take_from_bytes::<T>(raw) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(Error::Corruption(format!(
            "a stored record has {} bytes too many for its format",
            rest.len()
        ))),
        Err(e) => Err(Error::Corruption(format!(
            "cannot decode a stored record: {e}"
        ))),
    }
}

impl From<RentalV2> for Rental {
    fn from(old: RentalV2) -> Self {
        Rental {
            id: old.id,
            copy: old.copy,
            book: old.book,
            customer: old.customer,
            category: old.category,
            rented_at: old.rented_at,
            due_at: old.due_at,
            returned_at: old.returned_at,
            plan_version: old.plan_version,
            charge: old.charge,
            renewals: Vec::new(),
            lost: false,
        }
    }
}

pub(super) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    postcard::to_allocvec(value)
        .map_err(|e| Error::Corruption(format!("cannot encode a record: {e}")))
}

pub(super) fn decode<T: DeserializeOwned>(raw: &[u8]) -> Result<T> {
    postcard::from_bytes(raw)
        .map_err(|e| Error::Corruption(format!("cannot decode a stored record: {e}")))
}

pub(super) fn decode_u64(raw: &[u8]) -> Result<u64> {
    <[u8; 8]>::try_from(raw)
        .map(u64::from_be_bytes)
        .map_err(|_| Error::Corruption(format!("a stored id has {} bytes, not 8", raw.len())))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// Layout 3's rental record, written as Koko 0.3 wrote it (the same fields, in order, without `lost`).
    #[derive(Serialize)]
    struct WrittenV3<'a> {
        id: RentalId,
        copy: CopyId,
        book: BookId,
        customer: CustomerId,
        category: &'a str,
        rented_at: DateTime<Utc>,
        due_at: Option<DateTime<Utc>>,
        returned_at: Option<DateTime<Utc>>,
        plan_version: PlanVersionId,
        charge: Option<Quote>,
        renewals: Vec<DateTime<Utc>>,
    }

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 6, day, 10, 0, 0).unwrap()
    }

    #[test]
    fn rentals_of_every_layout_decode_as_written() {
        let v3 = encode(&WrittenV3 {
            id: RentalId::new(7),
            copy: CopyId::new(3),
            book: BookId::new(2),
            customer: CustomerId::new(5),
            category: "regular",
            rented_at: at(1),
            due_at: Some(at(15)),
            returned_at: None,
            plan_version: PlanVersionId::new(1),
            charge: None,
            renewals: vec![at(6), at(12)],
        })
        .unwrap();
        let rental = decode_any_rental(&v3).unwrap();
        assert_eq!(
            (rental.id, rental.renewals.clone(), rental.lost),
            (RentalId::new(7), vec![at(6), at(12)], false)
        );
        // Today's record round-trips, `lost` included, and is not mistaken for an older one.
        let lost = Rental {
            returned_at: Some(at(20)),
            lost: true,
            ..rental
        };
        assert_eq!(decode_any_rental(&encode(&lost).unwrap()).unwrap(), lost);
        // A record with a byte too many is no format's.
        let mut long = encode(&lost).unwrap();
        long.push(0);
        assert!(exact::<Rental>(&long).is_err());
    }
}
