//! Lost and found copies: declaring a rental's copy lost closes the rental with its accrued charge plus the
//! tariff's replacement and processing fees; finding it brings the copy back and may credit the replacement fee.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::events;
use super::holds;
use super::ledger::{self, Posting};
use super::lending::{held_copy_and_plan, open_rental};
use super::view::{require, TxView};
use crate::domain::{BookCopy, CopyStatus, EntryKind, EventKind, LedgerEntry, Rental};
use crate::error::Error;
use crate::ids::{CopyId, PlanVersionId, RentalId};

/// [`Operation::DeclareLost`](super::operation::Operation::DeclareLost): closes an open rental as lost at `at` — charged what accrued until then (late
/// fees included, capped as the plan says), plus the tariff's replacement and processing fees as their own `fee`
/// entries; the copy becomes [`CopyStatus::Lost`].
pub(crate) fn declare_lost<T: TxView>(
    tx: &mut T,
    id: RentalId,
    at: DateTime<Utc>,
) -> Result<Rental, T::E> {
    let mut rental = open_rental(tx, id)?;
    if at < rental.rented_at {
        return Err(Error::invalid_input(
            "at",
            "a copy cannot be declared lost before it was rented",
        )
        .into());
    }
    let (mut copy, version) = held_copy_and_plan(tx, &rental)?;
    let quote =
        version
            .plan
            .quote_with_due(&rental.category, rental.rented_at, rental.due_at, at)?;
    let currency = quote.currency;
    let replacement = version.plan.tariff(&rental.category)?.replacement.clone();
    rental.returned_at = Some(at);
    rental.charge = Some(quote);
    rental.lost = true;
    copy.status = CopyStatus::Lost(id);
    tx.put_copy(&copy)?;
    tx.put_rental(&rental)?;
    events::rental_closed(tx, &rental)?;
    events::copy_status(tx, EventKind::CopyLost, &copy, Some(&rental), at)?;
    ledger::post_charge(tx, &rental)?;
    if let Some(replacement) = replacement {
        let fees = [
            (replacement.fee, "replacement fee"),
            (
                replacement.processing_fee.unwrap_or(Decimal::ZERO),
                "processing fee",
            ),
        ];
        for (amount, what) in fees {
            if amount > Decimal::ZERO {
                ledger::post_entry(
                    tx,
                    Posting {
                        customer: rental.customer,
                        kind: EntryKind::Fee,
                        amount,
                        currency,
                        at,
                        rental: Some(id),
                        note: Some(format!("{what}: copy {} declared lost", copy.id)),
                    },
                )?;
            }
        }
    }
    Ok(rental)
}

/// [`Operation::MarkFound`](super::operation::Operation::MarkFound): brings a lost copy back (to the first waiting hold or the shelf) and, when the lost
/// rental's tariff says `replacement.refund_when_found`, credits the replacement fee back as a `waiver` (never the
/// processing fee). The credit is what was charged for the copy, so it is posted even when the fee was already
/// paid: the customer is then in credit, and a refund can hand the money back. Answers the copy and the credit.
pub(crate) fn mark_found<T: TxView>(
    tx: &mut T,
    id: CopyId,
    at: DateTime<Utc>,
) -> Result<(BookCopy, Option<LedgerEntry>), T::E> {
    let copy = require(tx.copy(id)?, CopyId::ENTITY, id)?;
    let CopyStatus::Lost(rental_id) = copy.status else {
        return Err(Error::invalid_input(
            "copy",
            format!(
                "copy {id} is {}, not lost, so it cannot be marked found",
                copy.status.as_str()
            ),
        )
        .into());
    };
    let rental = require(tx.rental(rental_id)?, RentalId::ENTITY, rental_id)?;
    if rental.returned_at.is_some_and(|lost_at| at < lost_at) {
        return Err(Error::invalid_input(
            "at",
            "a copy cannot be found before it was declared lost",
        )
        .into());
    }
    let version = require(
        tx.plan_version(rental.plan_version)?,
        PlanVersionId::ENTITY,
        rental.plan_version,
    )?;
    let credit = version
        .plan
        .tariff(&rental.category)?
        .replacement
        .as_ref()
        .filter(|r| r.refund_when_found && r.fee > Decimal::ZERO)
        .map(|r| Posting {
            customer: rental.customer,
            kind: EntryKind::Waiver,
            amount: r.fee,
            currency: version.plan.currency(),
            at,
            rental: Some(rental_id),
            note: Some(format!("copy {id} found: replacement fee credited")),
        });
    let ready_until = holds::pickup_deadline(tx, at)?;
    let release = holds::release(tx, copy, ready_until, at)?;
    events::copy_status(tx, EventKind::CopyFound, release.copy(), Some(&rental), at)?;
    let entry = match credit {
        Some(posting) => Some(ledger::post_entry(tx, posting)?),
        None => None,
    };
    holds::put_release(tx, &release)?;
    Ok((release.copy().clone(), entry))
}
