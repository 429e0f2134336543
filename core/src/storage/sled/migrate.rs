//! Brings a store written by an earlier Koko to the current layout ([`SCHEMA_VERSION`]): each step rebuilds what
//! its version lacks from the records — idempotently (version 2 → 3 starts by clearing the account trees; rentals
//! are read in any format) — and the new version is written last, so a crash during a migration only repeats it.

use super::layout::*;
use crate::domain::{
    book_words, customer_words, Book, BookCopy, CopyStatus, Customer, EntryKind, Event, Hold,
    HoldStatus, LedgerEntry, WordIndex,
};
use crate::engine::StoredAccount;
use crate::error::{Error, Result};
use crate::ids::{CustomerId, LedgerEntryId};

/// Brings a store to [`SCHEMA_VERSION`]: stamps a new one, migrates an older one, refuses a newer one.
/// Returns the version the store had (`None` when it was new).
pub(super) fn migrate(db: &sled::Db, trees: &Trees) -> Result<Option<u64>> {
    let meta = trees.get(META);
    let found = match meta.get(SCHEMA_KEY).map_err(Error::storage)? {
        Some(raw) => Some(decode_u64(&raw)?),
        None => None,
    };
    match found {
        Some(SCHEMA_VERSION) => return Ok(found),
        Some(version) if version > SCHEMA_VERSION => {
            return Err(Error::Corruption(format!(
                "the store has layout version {version}; this Koko reads versions up to {SCHEMA_VERSION} \
                 (upgrade Koko to open it)"
            )))
        }
        Some(version @ 1..) => {
            // Each step brings layout `n` to `n + 1`; an older store takes every step from its own.
            let steps: [fn(&Trees) -> Result<()>; 7] = [
                migrate_v1, migrate_v2, migrate_v3, migrate_v4, migrate_v5, migrate_v6, migrate_v7,
            ];
            let first = usize::try_from(version - 1).unwrap_or(usize::MAX);
            for step in steps.get(first..).unwrap_or_default() {
                step(trees)?;
            }
        }
        Some(version) => {
            return Err(Error::Corruption(format!(
                "the store has layout version {version}, which no Koko wrote"
            )))
        }
        None if !trees.get(BOOKS).is_empty() || !trees.get(CUSTOMERS).is_empty() => {
            return Err(Error::Corruption(
                "the store holds records but no layout version".into(),
            ))
        }
        None => {}
    }
    meta.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
        .map_err(Error::storage)?;
    db.flush().map_err(Error::storage)?;
    Ok(found)
}

/// Version 6 → 7: the `events` tree is new and starts empty (the feed of a store from before starts at position
/// 1, with its next change); nothing is rebuilt. The version still moves, so a Koko from before, which would
/// write changes without their events, refuses the store.
fn migrate_v6(_trees: &Trees) -> Result<()> {
    Ok(())
}

/// Version 7 → 8: indexes every event of the feed by type (`t` keys of `events`), from scratch (the keys of an
/// interrupted run are cleared first).
fn migrate_v7(trees: &Trees) -> Result<()> {
    let events = trees.get(EVENTS);
    for item in events.scan_prefix([EVENT_OF_TYPE]) {
        let (key, _) = item.map_err(Error::storage)?;
        events.remove(key).map_err(Error::storage)?;
    }
    for item in events.scan_prefix([EVENT]) {
        let (_, raw) = item.map_err(Error::storage)?;
        let event = Event::decode(&raw)?;
        events
            .insert(event_type_key(event.kind, event.position), &[])
            .map_err(Error::storage)?;
    }
    Ok(())
}

/// Version 1 → 2: fills `available_copies` from the copies and the values of `active_rentals` from the rentals.
fn migrate_v1(trees: &Trees) -> Result<()> {
    let available = trees.get(AVAILABLE);
    for item in trees.get(COPIES).iter() {
        let (_, raw) = item.map_err(Error::storage)?;
        let copy: BookCopy = decode(&raw)?;
        if copy.status == CopyStatus::Available {
            available
                .insert(available_key(copy.book, copy.id), &[])
                .map_err(Error::storage)?;
        }
    }
    let active = trees.get(ACTIVE);
    let rentals = trees.get(RENTALS);
    for item in active.iter() {
        let (key, _) = item.map_err(Error::storage)?;
        let Some(raw) = rentals.get(&key).map_err(Error::storage)? else {
            return Err(Error::Corruption(format!(
                "the open-rental index names rental {}, which does not exist",
                decode_u64(&key).unwrap_or(0)
            )));
        };
        let rental = decode_any_rental(&raw)?;
        if rental.returned_at.is_some() {
            return Err(Error::Corruption(format!(
                "the open-rental index names rental {}, which is closed",
                rental.id
            )));
        }
        active
            .insert(key, OpenRecord::encode(&rental)?)
            .map_err(Error::storage)?;
    }
    Ok(())
}

/// Version 3 → 4: rewrites every rental with the `lost` flag (false: nothing was lost before) and builds the
/// search index of every book and customer. The `holds` and `notices` trees start empty.
fn migrate_v3(trees: &Trees) -> Result<()> {
    let words = trees.get(WORDS);
    words.clear().map_err(Error::storage)?;
    for item in trees.get(BOOKS).iter() {
        let book: Book = decode(&item.map_err(Error::storage)?.1)?;
        for word in book_words(&book) {
            words
                .insert(word_key(WordIndex::Books, &word, book.id.get()), &[])
                .map_err(Error::storage)?;
        }
    }
    for item in trees.get(CUSTOMERS).iter() {
        let customer: Customer = decode(&item.map_err(Error::storage)?.1)?;
        for word in customer_words(&customer) {
            words
                .insert(
                    word_key(WordIndex::Customers, &word, customer.id.get()),
                    &[],
                )
                .map_err(Error::storage)?;
        }
    }
    let rentals = trees.get(RENTALS);
    for item in rentals.iter() {
        let (key, raw) = item.map_err(Error::storage)?;
        let rental = decode_any_rental(&raw)?;
        rentals
            .insert(&key, encode(&rental)?)
            .map_err(Error::storage)?;
    }
    Ok(())
}

/// Version 2 → 3: posts the charge entry of every closed rental (in rental id order, dated when it was returned),
/// builds each customer's account (the balance those charges sum to), and writes the due
/// time of each open rental into `customer_rentals`. Starts from an empty `accounts` tree, so a repeated run gives
/// the same result.
fn migrate_v2(trees: &Trees) -> Result<()> {
    for tree in [ACCOUNTS, IDEMPOTENCY] {
        trees.get(tree).clear().map_err(Error::storage)?;
    }
    let accounts = trees.get(ACCOUNTS);
    let customer_rentals = trees.get(CUSTOMER_RENTALS);
    let mut states: std::collections::BTreeMap<CustomerId, StoredAccount> = Default::default();
    let mut next_entry = 0u64;
    for item in trees.get(RENTALS).iter() {
        let (key, raw) = item.map_err(Error::storage)?;
        // Layout 3 stores rentals with their renewals (none yet): every rental is written again.
        let rental = decode_any_rental(&raw)?;
        trees
            .get(RENTALS)
            .insert(&key, encode(&rental)?)
            .map_err(Error::storage)?;
        if rental.returned_at.is_none() {
            trees
                .get(ACTIVE)
                .insert(&key, OpenRecord::encode(&rental)?)
                .map_err(Error::storage)?;
        }
        let account = states.entry(rental.customer).or_default();
        customer_rentals
            .insert(
                customer_rental_key(rental.customer, rental.id),
                customer_rental_value(&rental)?,
            )
            .map_err(Error::storage)?;
        if let (Some(charge), Some(returned_at)) = (&rental.charge, rental.returned_at) {
            next_entry += 1;
            account.balance += charge.total;
            let entry = LedgerEntry {
                id: LedgerEntryId::new(next_entry),
                customer: rental.customer,
                kind: EntryKind::Charge,
                amount: charge.total,
                currency: charge.currency,
                at: returned_at,
                rental: Some(rental.id),
                note: None,
                balance_after: account.balance,
            };
            accounts
                .insert(entry_key(rental.customer, next_entry), encode(&entry)?)
                .map_err(Error::storage)?;
        }
    }
    for (customer, account) in &states {
        accounts
            .insert(account_key(*customer), encode(account)?)
            .map_err(Error::storage)?;
    }
    if next_entry > 0 {
        accounts
            .insert(LEDGER_COUNTER, &id_key(next_entry))
            .map_err(Error::storage)?;
    }
    Ok(())
}

/// Version 4 → 5: indexes the open rentals by due date (`open_by_due`), every ledger entry that names a rental
/// under it (`x` keys of `accounts`), and the ready
/// holds by book and by end of pickup and each customer's active holds, also by book (`b`, `u`, `a` and `o` keys
/// of `holds`).
fn migrate_v4(trees: &Trees) -> Result<()> {
    // (A customer's open rentals, `open_of_customer`, are indexed by version 5 → 6 in its layout.)
    let open_by_due = trees.get(OPEN_BY_DUE);
    for item in trees.get(RENTALS).iter() {
        let (_, raw) = item.map_err(Error::storage)?;
        let rental = decode_any_rental(&raw)?;
        if let (None, Some(due)) = (rental.returned_at, rental.due_at) {
            open_by_due
                .insert(due_key(due, rental.id), &[])
                .map_err(Error::storage)?;
        }
    }
    let holds = trees.get(HOLDS);
    for item in holds.scan_prefix([HOLD]) {
        let (_, raw) = item.map_err(Error::storage)?;
        let hold: Hold = decode(&raw)?;
        if let (HoldStatus::Ready, Some(until)) = (hold.status, hold.ready_until) {
            holds
                .insert(
                    hold_key(READY_BY_BOOK, hold.book.get(), Some(hold.id.get())),
                    &[],
                )
                .map_err(Error::storage)?;
            holds
                .insert(ready_until_key(until, hold.id.get()), &[])
                .map_err(Error::storage)?;
        }
        if hold.status.is_active() {
            holds
                .insert(
                    hold_key(ACTIVE_OF, hold.customer.get(), Some(hold.id.get())),
                    &[],
                )
                .map_err(Error::storage)?;
            holds
                .insert(
                    hold_key(ACTIVE_ON, hold.customer.get(), Some(hold.book.get())),
                    &id_key(hold.id.get()),
                )
                .map_err(Error::storage)?;
        }
    }
    let accounts = trees.get(ACCOUNTS);
    for item in accounts.scan_prefix([b'l']) {
        let (key, raw) = item.map_err(Error::storage)?;
        if key.len() != 17 {
            continue;
        }
        let entry: LedgerEntry = decode(&raw)?;
        if let Some(rental) = entry.rental {
            accounts
                .insert(
                    rental_entry_key(rental, entry.id.get()),
                    &id_key(entry.customer.get()),
                )
                .map_err(Error::storage)?;
        }
    }
    Ok(())
}

/// Version 5 → 6: indexes the returned rentals by status and by return time (`closed_rentals`), each customer's
/// ledger by date and the customers who owe something (`d` and `o` keys of `accounts`), and rebuilds
/// `open_of_customer` tagged: each customer's open rentals, their count and their due dates; counts each book's
/// waiting holds (`q` keys of `holds`); keys each customer's e-mail address (`customer_emails`).
fn migrate_v5(trees: &Trees) -> Result<()> {
    let accounts = trees.get(ACCOUNTS);
    for item in accounts.scan_prefix([b'l']) {
        let (key, raw) = item.map_err(Error::storage)?;
        if key.len() != 17 {
            continue;
        }
        let entry: LedgerEntry = decode(&raw)?;
        accounts
            .insert(
                ledger_date_key(entry.customer, entry.at, entry.id.get()),
                &[],
            )
            .map_err(Error::storage)?;
    }
    for item in accounts.scan_prefix([b'a']) {
        let (key, raw) = item.map_err(Error::storage)?;
        if key.len() != 9 {
            continue;
        }
        let account: StoredAccount = decode(&raw)?;
        if account.balance > rust_decimal::Decimal::ZERO {
            accounts
                .insert(owing_key(decode_u64(&key[1..])?), &[])
                .map_err(Error::storage)?;
        }
    }
    let closed = trees.get(CLOSED_RENTALS);
    // Layout 5's untagged keys of each customer's open rentals give way to the tagged ones, rebuilt here.
    let open_of_customer = trees.get(OPEN_OF_CUSTOMER);
    open_of_customer.clear().map_err(Error::storage)?;
    let mut open_counts: std::collections::BTreeMap<CustomerId, u64> = Default::default();
    for item in trees.get(RENTALS).iter() {
        let (_, raw) = item.map_err(Error::storage)?;
        let rental = decode_any_rental(&raw)?;
        let Some(returned) = rental.returned_at else {
            open_of_customer
                .insert(open_rental_key(rental.customer, rental.id), &[])
                .map_err(Error::storage)?;
            if let Some(due) = rental.due_at {
                open_of_customer
                    .insert(open_due_key(rental.customer, due, rental.id), &[])
                    .map_err(Error::storage)?;
            }
            *open_counts.entry(rental.customer).or_default() += 1;
            continue;
        };
        let tag = if rental.lost { LOST } else { CLOSED };
        closed
            .insert(status_key(tag, rental.id.get()), &[])
            .map_err(Error::storage)?;
        closed
            .insert(returned_key(returned, rental.id), &[])
            .map_err(Error::storage)?;
    }
    // Each e-mail address's customer: the first (lowest id) of those who share one from before it was unique.
    let emails = trees.get(EMAILS);
    for item in trees.get(CUSTOMERS).iter() {
        let (_, raw) = item.map_err(Error::storage)?;
        let customer: Customer = decode(&raw)?;
        if let Some(key) = customer.email.as_deref().map(crate::domain::email_key) {
            if emails
                .get(key.as_bytes())
                .map_err(Error::storage)?
                .is_none()
            {
                emails
                    .insert(key.as_bytes(), &id_key(customer.id.get()))
                    .map_err(Error::storage)?;
            }
        }
    }
    // Each book's queue length, from its waiting holds' keys.
    let holds = trees.get(HOLDS);
    let mut queues: std::collections::BTreeMap<u64, u64> = Default::default();
    for item in holds.scan_prefix([WAITING]) {
        let (key, _) = item.map_err(Error::storage)?;
        *queues
            .entry(decode_u64(key.get(1..9).unwrap_or_default())?)
            .or_default() += 1;
    }
    for (book, length) in queues {
        holds
            .insert(hold_key(QUEUE_LENGTH, book, None), &length.to_be_bytes())
            .map_err(Error::storage)?;
    }
    for (customer, count) in open_counts {
        open_of_customer
            .insert(open_prefix(OPEN_COUNT, customer), &count.to_be_bytes())
            .map_err(Error::storage)?;
    }
    Ok(())
}
