//! The one dispatcher: every write of every backend is [`apply`] of an [`Operation`] over a [`TxView`], with the
//! [`Batch`] it belongs to. Each operation goes to the rule of its subject; nothing else decides.

use super::batch::Batch;
use super::notices;
use super::operation::{Operation, Outcome, RentRequest};
use super::view::TxView;
use super::{catalogue, customers, events, holds, idempotency, ledger, lending, limits, lost};
use super::{plans, restore};
use crate::domain::EntryKind;
use crate::error::Error;

/// Applies one operation: the single entry point every backend calls for every write. A rejected operation
/// returns its error before its first write (or its backend discards what it wrote).
pub(crate) fn apply<T: TxView>(
    tx: &mut T,
    op: &Operation,
    batch: &mut Batch,
) -> Result<Outcome, T::E> {
    let outcome = dispatch(tx, op, batch)?;
    if let Outcome::PlanVersion(version) = &outcome {
        batch.published(version.id);
    }
    Ok(outcome)
}

fn dispatch<T: TxView>(tx: &mut T, op: &Operation, batch: &mut Batch) -> Result<Outcome, T::E> {
    let now = batch.now();
    Ok(match op {
        Operation::Restore(input) => {
            restore::put(tx, &input.0)?;
            Outcome::Restored
        }
        Operation::AddBook { book, copies } => {
            let (book, copies) = catalogue::insert_book(tx, book, *copies, batch)?;
            Outcome::Book { book, copies }
        }
        Operation::UpdateBook { id, update } => {
            Outcome::BookUpdated(catalogue::update_book(tx, *id, update, batch)?)
        }
        Operation::AddCopies { book, count, at } => {
            Outcome::Copies(catalogue::add_copies(tx, *book, *count, at.unwrap_or(now))?)
        }
        Operation::SetWithdrawn {
            copy,
            withdrawn,
            at,
        } => Outcome::Copy(catalogue::set_withdrawn(
            tx,
            *copy,
            *withdrawn,
            at.unwrap_or(now),
        )?),
        Operation::RegisterCustomer(new) => {
            Outcome::Customer(customers::insert_customer(tx, new, now)?)
        }
        Operation::UpdateCustomer { id, update } => {
            Outcome::Customer(customers::update_customer(tx, *id, update, now)?)
        }
        Operation::Rent {
            target,
            customer,
            at,
        } => Outcome::Rental(lending::rent(
            tx,
            &RentRequest {
                target: *target,
                customer: *customer,
                rented_at: *at,
            },
        )?),
        Operation::Return { rental, at, damage } => {
            Outcome::Rental(lending::close(tx, *rental, *at, damage.as_ref())?)
        }
        Operation::ReturnCopy { copy, at } => {
            Outcome::Rental(lending::return_copy(tx, *copy, *at)?)
        }
        Operation::Renew { rental, at } => Outcome::Rental(lending::renew(tx, *rental, *at)?),
        Operation::PlaceHold { customer, book, at } => {
            Outcome::Hold(holds::place_hold(tx, *customer, *book, *at)?)
        }
        Operation::CancelHold { hold, at } => Outcome::Hold(holds::cancel_hold(tx, *hold, *at)?),
        Operation::ExpireHolds { at } => Outcome::Holds(holds::expire_holds(tx, *at)?),
        Operation::DeclareLost { rental, at } => {
            Outcome::Rental(lost::declare_lost(tx, *rental, *at)?)
        }
        Operation::MarkFound { copy, at } => {
            let (copy, credit) = lost::mark_found(tx, *copy, *at)?;
            Outcome::Found { copy, credit }
        }
        Operation::MarkNotified { keys, at } => {
            Outcome::Notified(notices::mark_notified(tx, keys, *at)?)
        }
        Operation::PublishPlan {
            plan,
            effective_from,
        } => Outcome::PlanVersion(Box::new(plans::publish_plan(
            tx,
            plan,
            *effective_from,
            now,
        )?)),
        Operation::Pay {
            customer,
            amount,
            currency,
            at,
            note,
        } => Outcome::Entry(ledger::pay(
            tx,
            *customer,
            *amount,
            *currency,
            *at,
            note.as_deref(),
        )?),
        Operation::Waive {
            customer,
            amount,
            at,
            reason,
        } => Outcome::Entry(ledger::waive_or_refund(
            tx,
            *customer,
            *amount,
            *at,
            reason,
            EntryKind::Waiver,
        )?),
        Operation::Refund {
            customer,
            amount,
            at,
            reason,
        } => Outcome::Entry(ledger::waive_or_refund(
            tx,
            *customer,
            *amount,
            *at,
            reason,
            EntryKind::Refund,
        )?),
        Operation::PostFee {
            customer,
            amount,
            at,
            rental,
            reason,
        } => Outcome::Entry(ledger::post_fee(
            tx, *customer, *amount, *at, *rental, reason,
        )?),
        Operation::BlockCustomer {
            customer,
            reason,
            at,
            until,
        } => Outcome::Block {
            customer: *customer,
            block: limits::set_block(tx, *customer, Some((reason, *at, *until)), now)?,
        },
        Operation::UnblockCustomer { customer } => Outcome::Block {
            customer: *customer,
            block: limits::set_block(tx, *customer, None, now)?,
        },
        Operation::SetCheckpoint { name, position } => Outcome::Checkpoint {
            name: name.clone(),
            position: events::set_checkpoint(tx, name, *position)?,
        },
        Operation::RemoveCheckpoint { name } => {
            Outcome::CheckpointRemoved(events::remove_checkpoint(tx, name)?)
        }
        Operation::PruneEvents { before } => Outcome::Pruned(events::prune_events(tx, *before)?),
        Operation::Idempotent {
            key,
            recorded_at,
            clock_time,
            operation,
        } => idempotency::idempotent(tx, key, *recorded_at, *clock_time, operation, |tx, op| {
            apply(tx, op, batch)
        })?,
        #[allow(unreachable_patterns)]
        other => {
            return Err(Error::Corruption(format!(
                "the engine has no rule for the operation {}",
                other.name()
            ))
            .into())
        }
    })
}
