//! Events: what each rule appends to the feed once its checks have passed, in the same transaction as its writes
//! ([`TxView::append_event`]; the backend gives the position). A rejected operation returns before it appends
//! anything, and its backend discards whatever it wrote; an idempotent replay answers from its key and appends
//! nothing. Also here: the consumers' checkpoints and pruning the feed, which append nothing themselves.
//!
//! Every payload is a JSON object with `"v"` ([`EVENT_SCHEMA_VERSION`]); amounts are decimal strings.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::view::TxView;
use crate::domain::{
    Block, Book, BookCopy, Customer, EventKind, EventSubjects, Hold, LedgerEntry, NewEvent, Rental,
    EVENT_SCHEMA_VERSION, MAX_CHECKPOINT_NAME_CHARS,
};
use crate::error::Error;
use crate::ids::{BookId, CopyId};
use crate::pricing::PlanVersion;

/// Appends one event whose payload is `data` (an object) with `"v"` added.
fn emit<T: TxView>(
    tx: &mut T,
    kind: EventKind,
    at: DateTime<Utc>,
    subjects: EventSubjects,
    mut data: Value,
) -> Result<(), T::E> {
    if let Value::Object(fields) = &mut data {
        fields.insert("v".into(), json!(EVENT_SCHEMA_VERSION));
    }
    tx.append_event(NewEvent {
        kind,
        at,
        subjects,
        data,
    })
}

/// A record as a JSON value (records always encode; a failure is reported, never hidden).
fn value<R: serde::Serialize, E: From<Error>>(record: &R) -> Result<Value, E> {
    serde_json::to_value(record)
        .map_err(|e| Error::Corruption(format!("cannot encode an event's payload: {e}")).into())
}

fn book_subject(book: BookId) -> EventSubjects {
    EventSubjects {
        book: Some(book.get()),
        ..EventSubjects::default()
    }
}

fn copy_subjects(copy: &BookCopy) -> EventSubjects {
    EventSubjects {
        book: Some(copy.book.get()),
        copy: Some(copy.id.get()),
        ..EventSubjects::default()
    }
}

fn rental_subjects(rental: &Rental) -> EventSubjects {
    EventSubjects {
        book: Some(rental.book.get()),
        copy: Some(rental.copy.get()),
        customer: Some(rental.customer.get()),
        rental: Some(rental.id.get()),
        hold: None,
    }
}

fn hold_subjects(hold: &Hold) -> EventSubjects {
    EventSubjects {
        book: Some(hold.book.get()),
        copy: hold.copy.map(CopyId::get),
        customer: Some(hold.customer.get()),
        rental: hold.rental.map(|r| r.get()),
        hold: Some(hold.id.get()),
    }
}

/// `book.added`: the book and its first copies.
pub(crate) fn book_added<T: TxView>(
    tx: &mut T,
    book: &Book,
    copies: &[BookCopy],
    at: DateTime<Utc>,
) -> Result<(), T::E> {
    let ids: Vec<u64> = copies.iter().map(|c| c.id.get()).collect();
    let data = json!({"book": value::<_, T::E>(book)?, "copies": ids});
    emit(tx, EventKind::BookAdded, at, book_subject(book.id), data)
}

/// `book.changed`: the book as it now stands.
pub(crate) fn book_changed<T: TxView>(
    tx: &mut T,
    book: &Book,
    at: DateTime<Utc>,
) -> Result<(), T::E> {
    let data = json!({"book": value::<_, T::E>(book)?});
    emit(tx, EventKind::BookChanged, at, book_subject(book.id), data)
}

/// `copies.added`: the new copies of a book (each as it stands: on the shelf or set aside for a hold).
pub(crate) fn copies_added<T: TxView>(
    tx: &mut T,
    book: BookId,
    copies: &[BookCopy],
    at: DateTime<Utc>,
) -> Result<(), T::E> {
    let ids: Vec<u64> = copies.iter().map(|c| c.id.get()).collect();
    let data = json!({"book": book.get(), "copies": ids});
    emit(tx, EventKind::CopiesAdded, at, book_subject(book), data)
}

/// `copy.withdrawn`, `copy.reinstated`, `copy.lost` or `copy.found`: a copy's new status.
pub(crate) fn copy_status<T: TxView>(
    tx: &mut T,
    kind: EventKind,
    copy: &BookCopy,
    rental: Option<&Rental>,
    at: DateTime<Utc>,
) -> Result<(), T::E> {
    let mut subjects = copy_subjects(copy);
    if let Some(rental) = rental {
        subjects.rental = Some(rental.id.get());
        subjects.customer = Some(rental.customer.get());
    }
    let data = json!({
        "copy": copy.id.get(),
        "book": copy.book.get(),
        "status": copy.status.as_str(),
        "rental": rental.map(|r| r.id.get()),
    });
    emit(tx, kind, at, subjects, data)
}

/// `customer.registered` or `customer.changed`: the customer as they now stand.
pub(crate) fn customer<T: TxView>(
    tx: &mut T,
    kind: EventKind,
    customer: &Customer,
    at: DateTime<Utc>,
) -> Result<(), T::E> {
    let subjects = EventSubjects {
        customer: Some(customer.id.get()),
        ..EventSubjects::default()
    };
    let data = json!({"customer": value::<_, T::E>(customer)?});
    emit(tx, kind, at, subjects, data)
}

/// `plan.published`: the version's id, start and currency (the plan itself is read by id).
pub(crate) fn plan_published<T: TxView>(
    tx: &mut T,
    version: &PlanVersion,
    at: DateTime<Utc>,
) -> Result<(), T::E> {
    let data = json!({
        "plan_version": version.id.get(),
        "effective_from": version.effective_from,
        "currency": version.plan.currency().code(),
    });
    emit(
        tx,
        EventKind::PlanPublished,
        at,
        EventSubjects::default(),
        data,
    )
}

/// `rental.opened`.
pub(crate) fn rental_opened<T: TxView>(tx: &mut T, rental: &Rental) -> Result<(), T::E> {
    let data = json!({
        "rental": rental.id.get(),
        "copy": rental.copy.get(),
        "book": rental.book.get(),
        "customer": rental.customer.get(),
        "category": rental.category,
        "rented_at": rental.rented_at,
        "due_at": rental.due_at,
        "plan_version": rental.plan_version.get(),
    });
    emit(
        tx,
        EventKind::RentalOpened,
        rental.rented_at,
        rental_subjects(rental),
        data,
    )
}

/// `rental.closed`: the charge (total, currency, days, lines) and whether the copy was lost.
pub(crate) fn rental_closed<T: TxView>(tx: &mut T, rental: &Rental) -> Result<(), T::E> {
    let at = rental
        .returned_at
        .ok_or_else(|| Error::Corruption(format!("rental {} closed without a time", rental.id)))?;
    let data = json!({
        "rental": rental.id.get(),
        "customer": rental.customer.get(),
        "returned_at": at,
        "lost": rental.lost,
        "charge": value::<_, T::E>(&rental.charge)?,
    });
    emit(
        tx,
        EventKind::RentalClosed,
        at,
        rental_subjects(rental),
        data,
    )
}

/// `rental.renewed`: the new due date.
pub(crate) fn rental_renewed<T: TxView>(
    tx: &mut T,
    rental: &Rental,
    previous_due: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<(), T::E> {
    let data = json!({
        "rental": rental.id.get(),
        "due_at": rental.due_at,
        "previous_due_at": previous_due,
        "renewals": rental.renewals.len(),
    });
    emit(
        tx,
        EventKind::RentalRenewed,
        at,
        rental_subjects(rental),
        data,
    )
}

/// `ledger.posted`: the entry's kind, amount and the balance after it.
pub(crate) fn ledger_posted<T: TxView>(tx: &mut T, entry: &LedgerEntry) -> Result<(), T::E> {
    let subjects = EventSubjects {
        customer: Some(entry.customer.get()),
        rental: entry.rental.map(|r| r.get()),
        ..EventSubjects::default()
    };
    let data = json!({
        "entry": entry.id.get(),
        "customer": entry.customer.get(),
        "kind": value::<_, T::E>(&entry.kind)?,
        "amount": entry.amount.to_string(),
        "currency": entry.currency.code(),
        "balance_after": entry.balance_after.to_string(),
        "rental": entry.rental.map(|r| r.get()),
        "note": entry.note,
    });
    emit(tx, EventKind::LedgerPosted, entry.at, subjects, data)
}

/// A hold event (`hold.placed`, `hold.ready`, `hold.cancelled`, `hold.expired`, `hold.fulfilled`): the hold as
/// it now stands.
pub(crate) fn hold<T: TxView>(
    tx: &mut T,
    kind: EventKind,
    hold: &Hold,
    at: DateTime<Utc>,
) -> Result<(), T::E> {
    let data = json!({
        "hold": hold.id.get(),
        "book": hold.book.get(),
        "customer": hold.customer.get(),
        "status": hold.status.as_str(),
        "copy": hold.copy.map(CopyId::get),
        "ready_until": hold.ready_until,
        "rental": hold.rental.map(|r| r.get()),
    });
    emit(tx, kind, at, hold_subjects(hold), data)
}

/// `customer.blocked` (with the block) or `customer.unblocked`.
pub(crate) fn block<T: TxView>(
    tx: &mut T,
    customer: crate::ids::CustomerId,
    block: Option<&Block>,
    at: DateTime<Utc>,
) -> Result<(), T::E> {
    let subjects = EventSubjects {
        customer: Some(customer.get()),
        ..EventSubjects::default()
    };
    let (kind, data) = match block {
        Some(block) => (
            EventKind::CustomerBlocked,
            json!({
                "customer": customer.get(),
                "reason": block.reason,
                "since": block.since,
                "until": block.until,
            }),
        ),
        None => (
            EventKind::CustomerUnblocked,
            json!({"customer": customer.get()}),
        ),
    };
    emit(tx, kind, at, subjects, data)
}

/// `notice.sent`: the notice's key.
pub(crate) fn notice_sent<T: TxView>(tx: &mut T, key: &str, at: DateTime<Utc>) -> Result<(), T::E> {
    emit(
        tx,
        EventKind::NoticeSent,
        at,
        EventSubjects::default(),
        json!({"key": key}),
    )
}

/// Checks a consumer's name: 1 to [`MAX_CHECKPOINT_NAME_CHARS`] characters, no control characters.
fn check_name<E: From<Error>>(name: &str) -> Result<(), E> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_CHECKPOINT_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::invalid_input(
            "name",
            format!("a consumer's name is 1 to {MAX_CHECKPOINT_NAME_CHARS} characters without control characters"),
        )
        .into());
    }
    Ok(())
}

/// [`Operation::SetCheckpoint`](super::operation::Operation::SetCheckpoint): consumer `name` has handled every
/// event up to `position` (at most the last position appended; it may move back, to read again).
pub(crate) fn set_checkpoint<T: TxView>(
    tx: &mut T,
    name: &str,
    position: u64,
) -> Result<u64, T::E> {
    check_name::<T::E>(name)?;
    let last = tx.last_event_position()?;
    if position > last {
        return Err(Error::invalid_input(
            "position",
            format!("the feed's last position is {last}; a checkpoint cannot be past it, not {position}"),
        )
        .into());
    }
    tx.put_checkpoint(name, position)?;
    Ok(position)
}

/// [`Operation::RemoveCheckpoint`](super::operation::Operation::RemoveCheckpoint): forgets consumer `name`'s
/// checkpoint; answers the one it had.
pub(crate) fn remove_checkpoint<T: TxView>(tx: &mut T, name: &str) -> Result<Option<u64>, T::E> {
    check_name::<T::E>(name)?;
    tx.remove_checkpoint(name)
}

/// [`Operation::PruneEvents`](super::operation::Operation::PruneEvents): removes the events before position
/// `before`, refusing to drop one that a consumer with a checkpoint has not passed (every pruned position must be
/// at most the lowest checkpoint). Answers how many were removed.
pub(crate) fn prune_events<T: TxView>(tx: &mut T, before: u64) -> Result<u64, T::E> {
    if let Some((name, lowest)) = tx.lowest_checkpoint()? {
        if before > lowest.saturating_add(1) {
            return Err(Error::invalid_input(
                "before",
                format!(
                    "consumer {name:?} has handled the feed up to position {lowest} only: events from {} on \
                     must stay",
                    lowest.saturating_add(1)
                ),
            )
            .into());
        }
    }
    tx.remove_events_before(before)
}
