//! Applies an operation to the model of the expected store ([`koko_model::Model`]) and compares what the model
//! predicts with what the log says the store answered.
//!
//! The log's outcome may carry less than the store's (a book's copy ids, a return's charge entry and fees are read
//! back after the call, and left out when that read failed): what it has must be what the model predicts; what it
//! lacks, the model has put in the expected store, which the final comparison holds against the store found.

use chrono::{DateTime, Utc};
use koko_core::{EntryKind, Hold, LedgerEntry, Operation};
use koko_model::{Model, Predicted, Rejected};

use crate::acklog::{Op, Outcome};

/// Applies `op` to `model` at `now` (the instant of an operation that names none) and checks `outcome` is what the
/// model predicts: the same records, with the ids the rules hand out (the largest so far plus one). For a batch,
/// every operation shows (one outcome each) and each is checked in turn, seeing the ones before it.
pub(super) fn apply(
    model: &mut Model,
    op: &Op,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let first_entry = model.state.ledger.keys().next_back().map_or(1, |id| id + 1);
    match (op, outcome) {
        (Op::Batch { ops }, Outcome::Batch { outcomes }) => {
            if ops.len() != outcomes.len() {
                return Err(format!(
                    "a batch of {} operations is half applied: {} of them show",
                    ops.len(),
                    outcomes.len()
                ));
            }
            let operations = ops.iter().map(operation).collect::<Result<Vec<_>, _>>()?;
            let predicted = model.apply_batch(&operations, now);
            let posted = posted_since(model, first_entry);
            for (i, ((op, predicted), outcome)) in
                ops.iter().zip(predicted).zip(outcomes).enumerate()
            {
                compare(predicted, outcome, &posted)
                    .map_err(|e| format!("batch operation {i} ({op:?}): {e}"))?;
            }
            Ok(())
        }
        (Op::Batch { .. }, _) | (_, Outcome::Batch { .. }) => Err(format!(
            "the outcome {outcome:?} does not fit the operation"
        )),
        _ => {
            let predicted = model.apply(&operation(op)?, now);
            compare(predicted, outcome, &posted_since(model, first_entry))
        }
    }
}

/// A provoked conflict the store refused with `kind`: the rules must refuse it with that kind too, and so it changes
/// nothing in the model either. (Should the model accept it, it has applied it, and the final comparison reports
/// what the store lacks as well.)
pub(super) fn refused(
    model: &mut Model,
    op: &Op,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let operation = operation(op)?;
    match model.apply(&operation, now) {
        Err(rejected) if rejected.kind == kind => Ok(()),
        Err(rejected) => Err(format!(
            "failed with {kind}; the rules refuse it with {}",
            refusal(&rejected)
        )),
        Ok(outcome) => Err(format!(
            "failed with {kind}; the rules accept it: {outcome:?}"
        )),
    }
}

/// The store operation of a logged operation (not a batch: the workload nests none).
fn operation(op: &Op) -> Result<Operation, String> {
    op.operation()
        .ok_or_else(|| format!("a batch inside a batch: {op:?}"))
}

/// The ledger entries the model posted from id `first` on.
fn posted_since(model: &Model, first: u64) -> Vec<LedgerEntry> {
    model
        .state
        .ledger
        .range(first..)
        .map(|(_, e)| e.clone())
        .collect()
}

/// A refusal as the messages tell it: `InvalidInput (amount)`.
fn refusal(rejected: &Rejected) -> String {
    match &rejected.field {
        Some(field) => format!("{} ({field})", rejected.kind),
        None => rejected.kind.to_owned(),
    }
}

/// `got` must be `want`.
fn same<T: PartialEq + std::fmt::Debug>(what: &str, got: &T, want: &T) -> Result<(), String> {
    if got != want {
        return Err(format!(
            "the acknowledged {what} {got:?} is not the one the rules give: {want:?}"
        ));
    }
    Ok(())
}

/// `hold` without its queue position (a derived field the model leaves out, compared through the indexes by the
/// check).
fn unnumbered(hold: &Hold) -> Hold {
    Hold {
        position: None,
        ..hold.clone()
    }
}

/// What a fee entry is, for messages: the part of its note before the colon (`replacement fee`, `processing fee`,
/// `damage fee`).
fn fee_name(entry: &LedgerEntry) -> String {
    let label = entry
        .note
        .as_deref()
        .and_then(|note| note.split_once(':'))
        .map_or("fee", |(label, _)| label.trim());
    match label.ends_with("fee") {
        true => label.to_owned(),
        false => format!("{label} fee"),
    }
}

/// Compares the model's prediction with the acknowledged outcome; `posted` are the ledger entries the model posted
/// for the operation (or its whole batch).
fn compare(predicted: Predicted, acked: &Outcome, posted: &[LedgerEntry]) -> Result<(), String> {
    let predicted =
        predicted.map_err(|rejected| format!("the rules refuse it: {}", refusal(&rejected)))?;
    match (&predicted, acked) {
        (
            koko_core::Outcome::Book { book, copies },
            Outcome::Book {
                book: got,
                copies: ids,
            },
        ) => {
            same("book", got, book)?;
            let want: Vec<u64> = copies.iter().map(|c| c.id.get()).collect();
            match ids {
                Some(ids) => same("copy ids", ids, &want),
                None => Ok(()),
            }
        }
        (koko_core::Outcome::Customer(want), Outcome::Customer { customer }) => {
            same("customer", customer, want)
        }
        (
            koko_core::Outcome::Rental(want),
            Outcome::Rental {
                rental,
                charge_entry,
                fees,
            },
        ) => {
            same("rental", rental, want)?;
            let of = match want.lost {
                true => format!("lost rental {}", want.id),
                false => format!("rental {}", want.id),
            };
            let names = |e: &&LedgerEntry| e.rental == Some(want.id);
            let charge = posted
                .iter()
                .filter(names)
                .find(|e| e.kind == EntryKind::Charge);
            if let Some(got) = charge_entry.as_deref() {
                if charge != Some(got) {
                    return Err(format!(
                        "{of}'s acknowledged charge entry {got:?} is not the one the rules post: {charge:?}"
                    ));
                }
            }
            let want_fees: Vec<&LedgerEntry> = posted
                .iter()
                .filter(names)
                .filter(|e| e.kind == EntryKind::Fee)
                .collect();
            // No fees acknowledged: none due, or reading them back failed (the final comparison has them).
            if fees.is_empty() {
                return Ok(());
            }
            if fees.len() != want_fees.len() {
                return Err(format!(
                    "{of} acknowledged the fee entries {fees:?}; the rules post {want_fees:?}"
                ));
            }
            for (got, want) in fees.iter().zip(want_fees) {
                if got != want {
                    return Err(format!(
                        "{of}'s acknowledged {} entry {got:?} is not the one the rules post: {want:?}",
                        fee_name(want)
                    ));
                }
            }
            Ok(())
        }
        (koko_core::Outcome::Entry(want), Outcome::Entry { entry }) => {
            same("payment entry", entry, want)
        }
        (koko_core::Outcome::Hold(want), Outcome::Hold { hold }) => {
            same("hold", &unnumbered(hold), &unnumbered(want))
        }
        (koko_core::Outcome::Holds(want), Outcome::Holds { holds }) => {
            let ids = |holds: &[Hold]| holds.iter().map(|h| h.id.get()).collect::<Vec<_>>();
            if ids(holds) != ids(want) {
                return Err(format!(
                    "the expiry expired holds {:?}; the rules expire {:?} (the ready holds due before it)",
                    ids(holds),
                    ids(want)
                ));
            }
            for (got, want) in holds.iter().zip(want) {
                same("expired hold", &unnumbered(got), &unnumbered(want))?;
            }
            Ok(())
        }
        (
            koko_core::Outcome::Found { copy, credit },
            Outcome::Found {
                copy: found,
                credit: got,
            },
        ) => {
            same("found copy", found, copy)?;
            same("found copy's credit", got, credit)
        }
        _ => Err(format!(
            "the outcome {acked:?} does not fit the operation; the rules give {predicted:?}"
        )),
    }
}
