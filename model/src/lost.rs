//! Lost and found copies: a lost rental closes charged what accrued plus its tariff's replacement and processing
//! fees (each above zero its own `fee` entry); a found copy comes back as a returned one does and, when the tariff
//! says `refund_when_found`, the replacement fee is credited back as a `waiver`.

use chrono::{DateTime, Utc};
use koko_core::{CopyId, CopyStatus, Decimal, EntryKind, Outcome, Rental, RentalId};

use crate::holds;
use crate::ledger::{self, Posting};
use crate::lending::open_rental;
use crate::rejected::Rejected;
use crate::state::Model;

pub(crate) fn declare_lost(
    model: &mut Model,
    id: RentalId,
    at: DateTime<Utc>,
) -> Result<Outcome, Rejected> {
    let prior = open_rental(model, id)?;
    if at < prior.rented_at {
        return Err(Rejected::invalid("at"));
    }
    let plan = model.plan_of(prior);
    let quote = plan
        .quote_with_due(&prior.category, prior.rented_at, prior.due_at, at)
        .map_err(|e| Rejected::from(&e))?;
    let replacement = plan
        .tariff(&prior.category)
        .map_err(|e| Rejected::from(&e))?
        .replacement
        .clone();
    let currency = quote.currency;
    let lost = Rental {
        returned_at: Some(at),
        charge: Some(quote),
        lost: true,
        ..prior.clone()
    };
    if let Some(copy) = model.state.copies.get_mut(&lost.copy.get()) {
        copy.status = CopyStatus::Lost(id);
    }
    model.state.rentals.insert(id.get(), lost.clone());
    ledger::post_charge(model, &lost);
    let fees = replacement.map_or_else(Vec::new, |r| {
        vec![
            (r.fee, "replacement fee"),
            (r.processing_fee.unwrap_or(Decimal::ZERO), "processing fee"),
        ]
    });
    for (amount, what) in fees.into_iter().filter(|(a, _)| *a > Decimal::ZERO) {
        ledger::post(
            model,
            Posting {
                customer: lost.customer,
                kind: EntryKind::Fee,
                amount,
                currency,
                at,
                rental: Some(id),
                note: Some(format!("{what}: copy {} declared lost", lost.copy)),
            },
        );
    }
    Ok(Outcome::Rental(lost))
}

pub(crate) fn mark_found(
    model: &mut Model,
    id: CopyId,
    at: DateTime<Utc>,
) -> Result<Outcome, Rejected> {
    let copy = model
        .state
        .copies
        .get(&id.get())
        .ok_or(Rejected::not_found())?;
    let CopyStatus::Lost(rental_id) = copy.status else {
        return Err(Rejected::invalid("copy"));
    };
    let rental = model
        .state
        .rentals
        .get(&rental_id.get())
        .ok_or(Rejected::not_found())?;
    if rental.returned_at.is_some_and(|lost_at| at < lost_at) {
        return Err(Rejected::invalid("at"));
    }
    let plan = model.plan_of(rental);
    let credit = plan
        .tariff(&rental.category)
        .map_err(|e| Rejected::from(&e))?
        .replacement
        .as_ref()
        .filter(|r| r.refund_when_found && r.fee > Decimal::ZERO)
        .map(|r| Posting {
            customer: rental.customer,
            kind: EntryKind::Waiver,
            amount: r.fee,
            currency: plan.currency(),
            at,
            rental: Some(rental_id),
            note: Some(format!("copy {id} found: replacement fee credited")),
        });
    let until = model.pickup_deadline(at)?;
    let copy = holds::release(model, id, until);
    let credit = credit.map(|posting| ledger::post(model, posting));
    Ok(Outcome::Found { copy, credit })
}
