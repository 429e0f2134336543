//! The event feed after a run: every change appends its events in the same atomic write, so an operation found in
//! the store has its events in the feed, and one lost (allowed by the policy) has none; and the positions run from
//! 1 to the last given without a gap (the workload prunes nothing).
//!
//! An operation's events are named by their type and the id of what they concern, from the operation and what
//! the store answered: a rent's `rental.opened` (its rental), a return's `rental.closed` (and the `ledger.posted`
//! of its charge and fees, by entry id), a loss's `rental.closed` and `copy.lost`, a find's `copy.found`, a
//! payment's `ledger.posted`, a renewal's `rental.renewed`, holds placed, cancelled and expired, books added,
//! customers registered and changed. The run's part of the feed (after the last position given before it) is
//! counted by (type, id): each operation takes its events from it, so two operations cannot both be answered by
//! one event, and an event of an earlier run answers none.

use std::collections::HashMap;

use koko_core::{Event, EventKind};

use crate::acklog::{Op, Outcome};
use crate::snapshot::Snapshot;

/// An event as the check names it: its type and the id of what it concerns.
type Key = (EventKind, u64);

/// The events `op` answered with `outcome` appended (those of every operation, for a batch).
fn expected(op: &Op, outcome: &Outcome, into: &mut Vec<Key>) {
    use EventKind::*;
    match (op, outcome) {
        (Op::Batch { ops }, Outcome::Batch { outcomes }) => {
            for (op, outcome) in ops.iter().zip(outcomes) {
                expected(op, outcome, into);
            }
        }
        (Op::AddBook { .. }, Outcome::Book { book, .. }) => into.push((BookAdded, book.id.get())),
        (Op::RegisterCustomer { .. }, Outcome::Customer { customer }) => {
            into.push((CustomerRegistered, customer.id.get()))
        }
        (Op::Deactivate { .. }, Outcome::Customer { customer }) => {
            into.push((CustomerChanged, customer.id.get()))
        }
        (Op::RentBook { .. } | Op::RentCopy { .. }, Outcome::Rental { rental, .. }) => {
            into.push((RentalOpened, rental.id.get()))
        }
        (Op::Renew { .. }, Outcome::Rental { rental, .. }) => {
            into.push((RentalRenewed, rental.id.get()))
        }
        (
            Op::Return { .. } | Op::DeclareLost { .. },
            Outcome::Rental {
                rental,
                charge_entry,
                fees,
            },
        ) => {
            into.push((RentalClosed, rental.id.get()));
            if matches!(op, Op::DeclareLost { .. }) {
                into.push((CopyLost, rental.copy.get()));
            }
            let entries = charge_entry.iter().map(|e| &**e).chain(fees);
            into.extend(entries.map(|e| (LedgerPosted, e.id.get())));
        }
        (Op::Pay { .. }, Outcome::Entry { entry }) => into.push((LedgerPosted, entry.id.get())),
        (Op::PlaceHold { .. }, Outcome::Hold { hold }) => into.push((HoldPlaced, hold.id.get())),
        (Op::CancelHold { .. }, Outcome::Hold { hold }) => {
            into.push((HoldCancelled, hold.id.get()))
        }
        (Op::ExpireHolds { .. }, Outcome::Holds { holds }) => {
            into.extend(holds.iter().map(|h| (HoldExpired, h.id.get())))
        }
        (Op::MarkFound { .. }, Outcome::Found { copy, credit }) => {
            into.push((CopyFound, copy.id.get()));
            into.extend(credit.iter().map(|e| (LedgerPosted, e.id.get())));
        }
        _ => {}
    }
}

/// How the check names an event of the feed (`None` for the types no operation of the workload is checked by).
fn key(event: &Event) -> Option<Key> {
    use EventKind::*;
    let subjects = &event.subjects;
    let id = match event.kind {
        BookAdded => subjects.book,
        CustomerRegistered | CustomerChanged => subjects.customer,
        RentalOpened | RentalClosed | RentalRenewed => subjects.rental,
        HoldPlaced | HoldCancelled | HoldExpired => subjects.hold,
        CopyLost | CopyFound => subjects.copy,
        LedgerPosted => event.data.get("entry").and_then(serde_json::Value::as_u64),
        _ => None,
    }?;
    Some((event.kind, id))
}

/// What [`check_feed`] is told of each operation: its name (for a problem), what it answered, and whether the
/// store holds it.
pub(super) struct Seen<'a> {
    pub(super) name: String,
    pub(super) op: &'a Op,
    pub(super) outcome: &'a Outcome,
    pub(super) present: bool,
}

/// Checks the feed of `actual` against the operations seen: positions from 1 to the last given, without a gap;
/// each present operation's events in it after position `since` (the last given before the run), each lost
/// one's not. Answers how many events were found.
pub(super) fn check_feed(
    seen: &[Seen<'_>],
    since: u64,
    actual: &Snapshot,
    problems: &mut Vec<String>,
) -> u64 {
    for (expected, event) in (1u64..).zip(&actual.events) {
        if event.position != expected {
            problems.push(format!(
                "the feed holds position {} where position {expected} should be: its positions are not 1, 2, 3, …",
                event.position
            ));
            break;
        }
    }
    let last = actual.events.last().map_or(0, |e| e.position);
    if actual.last_event_position != last {
        problems.push(format!(
            "the feed's counter of positions given says {}, its last event is at {last}",
            actual.last_event_position
        ));
    }
    let mut feed: HashMap<Key, u32> = HashMap::new();
    let run = actual.events.iter().filter(|e| e.position > since);
    for key in run.filter_map(key) {
        *feed.entry(key).or_default() += 1;
    }
    let mut found = 0;
    for seen in seen {
        let mut keys = Vec::new();
        expected(seen.op, seen.outcome, &mut keys);
        for (kind, id) in keys {
            let count = feed.get(&(kind, id)).copied().unwrap_or(0);
            match (seen.present, count) {
                (true, 0) => problems.push(format!(
                    "{}: found in the store, but its {kind} event of {id} is not in the feed",
                    seen.name
                )),
                (true, _) => {
                    found += 1;
                    feed.insert((kind, id), count - 1);
                }
                (false, 0) => {}
                (false, _) => problems.push(format!(
                    "{}: lost, yet its {kind} event of {id} is in the feed",
                    seen.name
                )),
            }
        }
    }
    found
}
