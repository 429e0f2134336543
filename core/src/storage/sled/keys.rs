//! The keys of the on-disk layout (see `layout`): how each tree's keys are built from ids, tags and instants, so
//! that every index is a range of its tree.

use chrono::{DateTime, Utc};

use crate::domain::{EventKind, WordIndex};
use crate::ids::{BookId, CopyId, CustomerId, RentalId};

/// The `events` tags (layout 7): an event by position, the last position given, a consumer's checkpoint.
pub(super) const EVENT: u8 = b'e';
pub(super) const EVENT_COUNTER: &[u8] = b"n";
pub(super) const CHECKPOINT: u8 = b'c';

/// The `events` key of the event at `position`: `e` ++ position.
pub(super) fn event_key(position: u64) -> [u8; 9] {
    let mut key = [EVENT; 9];
    key[1..].copy_from_slice(&position.to_be_bytes());
    key
}

/// The `events` tag of the feed by type (layout 8): `t` ++ type ++ `0` ++ position → nothing.
pub(super) const EVENT_OF_TYPE: u8 = b't';

/// The `events` prefix of the events of type `kind`: `t` ++ its dotted name (UTF-8) ++ `0`.
pub(super) fn event_type_prefix(kind: EventKind) -> Vec<u8> {
    let name = kind.as_str().as_bytes();
    let mut key = Vec::with_capacity(name.len() + 10);
    key.push(EVENT_OF_TYPE);
    key.extend_from_slice(name);
    key.push(0);
    key
}

/// The `events` key of the event at `position` in the feed by type: [`event_type_prefix`] ++ position.
pub(super) fn event_type_key(kind: EventKind, position: u64) -> Vec<u8> {
    let mut key = event_type_prefix(kind);
    key.extend_from_slice(&position.to_be_bytes());
    key
}

/// The `events` key of consumer `name`'s checkpoint: `c` ++ name (UTF-8).
pub(super) fn checkpoint_key(name: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.len() + 1);
    key.push(CHECKPOINT);
    key.extend_from_slice(name.as_bytes());
    key
}

pub(super) fn id_key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

pub(super) fn pair_key(a: u64, b: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&a.to_be_bytes());
    key[8..].copy_from_slice(&b.to_be_bytes());
    key
}

/// The `accounts` key of a customer's account.
pub(super) fn account_key(customer: CustomerId) -> [u8; 9] {
    let mut key = [b'a'; 9];
    key[1..].copy_from_slice(&customer.get().to_be_bytes());
    key
}

/// The `accounts` prefix of a customer's ledger entries.
pub(super) fn ledger_prefix(customer: CustomerId) -> [u8; 9] {
    let mut key = [b'l'; 9];
    key[1..].copy_from_slice(&customer.get().to_be_bytes());
    key
}

/// The `accounts` tags of a ledger entry by date and of a customer who owes something (layout 6).
pub(super) const LEDGER_BY_DATE: u8 = b'd';
pub(super) const OWING: u8 = b'o';

/// The `accounts` prefix of a customer's ledger by date: `d` ++ customer id.
pub(super) fn ledger_date_prefix(customer: CustomerId) -> [u8; 9] {
    let mut key = [LEDGER_BY_DATE; 9];
    key[1..].copy_from_slice(&customer.get().to_be_bytes());
    key
}

/// The `accounts` key of a ledger entry by date: `d` ++ customer id ++ [`instant_key`] ++ entry id → nothing.
pub(super) fn ledger_date_key(customer: CustomerId, at: DateTime<Utc>, entry: u64) -> [u8; 29] {
    let mut key = [0u8; 29];
    key[..9].copy_from_slice(&ledger_date_prefix(customer));
    key[9..21].copy_from_slice(&instant_key(at));
    key[21..].copy_from_slice(&entry.to_be_bytes());
    key
}

/// The `accounts` key marking a customer who owes something: `o` ++ customer id → nothing.
pub(super) fn owing_key(customer: u64) -> [u8; 9] {
    let mut key = [OWING; 9];
    key[1..].copy_from_slice(&customer.to_be_bytes());
    key
}

/// The `accounts` key indexing a ledger entry under the rental it names: `x` ++ rental id ++ entry id → customer id.
pub(super) fn rental_entry_key(rental: RentalId, entry: u64) -> [u8; 17] {
    let mut key = [b'x'; 17];
    key[1..9].copy_from_slice(&rental.get().to_be_bytes());
    key[9..].copy_from_slice(&entry.to_be_bytes());
    key
}

/// The `accounts` prefix of the entries naming a rental.
pub(super) fn rental_entries_prefix(rental: RentalId) -> [u8; 9] {
    let mut key = [b'x'; 9];
    key[1..].copy_from_slice(&rental.get().to_be_bytes());
    key
}

/// The `accounts` key of a ledger entry.
pub(super) fn entry_key(customer: CustomerId, entry: u64) -> [u8; 17] {
    let mut key = [b'l'; 17];
    key[1..9].copy_from_slice(&customer.get().to_be_bytes());
    key[9..].copy_from_slice(&entry.to_be_bytes());
    key
}

/// A `holds` key: a one-byte tag and up to two ids.
pub(super) fn hold_key(tag: u8, a: u64, b: Option<u64>) -> Vec<u8> {
    let mut key = Vec::with_capacity(17);
    key.push(tag);
    key.extend_from_slice(&a.to_be_bytes());
    if let Some(b) = b {
        key.extend_from_slice(&b.to_be_bytes());
    }
    key
}

/// The `holds` tags: a hold record, a book's waiting hold, a ready hold, a customer's hold; since layout 5 a
/// book's ready hold, a ready hold by the end of its pickup, a customer's waiting or ready hold, the same by book.
pub(super) const HOLD: u8 = b'h';
pub(super) const WAITING: u8 = b'w';
pub(super) const READY: u8 = b'r';
pub(super) const CUSTOMER_HOLD: u8 = b'c';
pub(super) const READY_BY_BOOK: u8 = b'b';
pub(super) const READY_UNTIL: u8 = b'u';
pub(super) const ACTIVE_OF: u8 = b'a';
pub(super) const ACTIVE_ON: u8 = b'o';
/// Since layout 6: `q` ++ book id → how many holds wait in the book's queue (a big-endian `u64`, absent for none).
pub(super) const QUEUE_LENGTH: u8 = b'q';

/// The `holds` key of a ready hold under the end of its pickup: `u` ++ [`instant_key`] ++ hold id.
pub(super) fn ready_until_key(until: DateTime<Utc>, hold: u64) -> Vec<u8> {
    let mut key = ready_until_bound(until);
    key.extend_from_slice(&hold.to_be_bytes());
    key
}

/// The `holds` keys of the ready holds whose pickup ends before `at` all sort before this one.
pub(super) fn ready_until_bound(at: DateTime<Utc>) -> Vec<u8> {
    let mut key = Vec::with_capacity(21);
    key.push(READY_UNTIL);
    key.extend_from_slice(&instant_key(at));
    key
}

/// An instant as 12 bytes that sort as instants: the seconds with the sign bit flipped, then the nanoseconds,
/// big-endian.
pub(super) fn instant_key(at: DateTime<Utc>) -> [u8; 12] {
    let mut key = [0u8; 12];
    key[..8].copy_from_slice(&((at.timestamp() as u64) ^ (1 << 63)).to_be_bytes());
    key[8..].copy_from_slice(&at.timestamp_subsec_nanos().to_be_bytes());
    key
}

/// The `open_by_due` key of an open rental: [`instant_key`] of its due date ++ rental id.
pub(super) fn due_key(due: DateTime<Utc>, rental: RentalId) -> [u8; 20] {
    let mut key = [0u8; 20];
    key[..12].copy_from_slice(&instant_key(due));
    key[12..].copy_from_slice(&rental.get().to_be_bytes());
    key
}

/// The `closed_rentals` tags: a closed rental, a lost one (each `tag` ++ rental id → nothing, in id order), a
/// returned one by return time ([`returned_key`]).
pub(super) const CLOSED: u8 = b'c';
pub(super) const LOST: u8 = b'l';
pub(super) const RETURNED: u8 = b'r';

/// The `closed_rentals` key of a rental returned at `at`: `r` ++ [`instant_key`] ++ rental id.
pub(super) fn returned_key(at: DateTime<Utc>, rental: RentalId) -> [u8; 21] {
    let mut key = [RETURNED; 21];
    key[1..13].copy_from_slice(&instant_key(at));
    key[13..].copy_from_slice(&rental.get().to_be_bytes());
    key
}

/// The `closed_rentals` key of a closed or lost rental in id order: `tag` ++ rental id.
pub(super) fn status_key(tag: u8, rental: u64) -> [u8; 9] {
    let mut key = [tag; 9];
    key[1..].copy_from_slice(&rental.to_be_bytes());
    key
}

/// The `open_of_customer` tags: a customer's open rental, their count of open rentals, their open rental by due
/// date.
pub(super) const OPEN_RENTAL: u8 = b'r';
pub(super) const OPEN_COUNT: u8 = b'n';
pub(super) const OPEN_DUE: u8 = b'd';

/// The `open_of_customer` prefix of one of a customer's entries: `tag` ++ customer id.
pub(super) fn open_prefix(tag: u8, customer: CustomerId) -> [u8; 9] {
    let mut key = [tag; 9];
    key[1..].copy_from_slice(&customer.get().to_be_bytes());
    key
}

/// The `open_of_customer` key of a customer's open rental: `r` ++ customer id ++ rental id.
pub(super) fn open_rental_key(customer: CustomerId, rental: RentalId) -> [u8; 17] {
    let mut key = [0u8; 17];
    key[..9].copy_from_slice(&open_prefix(OPEN_RENTAL, customer));
    key[9..].copy_from_slice(&rental.get().to_be_bytes());
    key
}

/// The `open_of_customer` key of a customer's open rental by due date: `d` ++ customer id ++ [`instant_key`] ++
/// rental id.
pub(super) fn open_due_key(customer: CustomerId, due: DateTime<Utc>, rental: RentalId) -> [u8; 29] {
    let mut key = [0u8; 29];
    key[..9].copy_from_slice(&open_prefix(OPEN_DUE, customer));
    key[9..21].copy_from_slice(&instant_key(due));
    key[21..].copy_from_slice(&rental.get().to_be_bytes());
    key
}

/// The `words` key of one word of a record.
pub(super) fn word_key(index: WordIndex, word: &str, id: u64) -> Vec<u8> {
    let mut key = word_prefix(index, word);
    key.push(0);
    key.extend_from_slice(&id.to_be_bytes());
    key
}

/// The `words` prefix of every word of `index` starting with `prefix`.
pub(super) fn word_prefix(index: WordIndex, prefix: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + 10);
    key.push(index.tag());
    key.extend_from_slice(prefix.as_bytes());
    key
}

/// The `holds` key of the hold id counter.
pub(super) const HOLD_COUNTER: &[u8] = b"next_id:hold";

/// The `accounts` key of the ledger entry id counter.
pub(super) const LEDGER_COUNTER: &[u8] = b"next_id:ledger_entry";

pub(super) fn available_key(book: BookId, copy: CopyId) -> [u8; 16] {
    pair_key(book.get(), copy.get())
}

pub(super) fn customer_rental_key(customer: CustomerId, rental: RentalId) -> [u8; 16] {
    pair_key(customer.get(), rental.get())
}
