//! Lost and found copies, and the fees and credits naming a rental. Rules:
//! - a copy marked `Lost(r)` is the copy of `r`, its latest rental, closed as lost (checked once every rental is
//!   read, in `rentals.rs`);
//! - a rental closed as lost is closed, and **its fees are in the ledger**: among the `fee` entries naming it, of
//!   its customer, at the instant it was declared lost, the replacement fee and then the processing fee its plan
//!   version's tariff sets (those above zero);
//! - once its copy is found (no longer `Lost(r)`), the replacement fee is credited back — one `waiver` entry
//!   naming the rental, of the fee, of its customer, no earlier than the loss — exactly when the tariff says
//!   `refund_when_found`; before, none. A lost copy withdrawn instead may or may not have been found first: at
//!   most one credit, unchecked;
//! - a rental not lost has no `waiver` naming it (only a found copy's credit names a rental);
//! - every `fee` naming a rental is its customer's.
//!
//! Staff may post fees naming a rental (`Operation::PostFee`, damage on return): any number, at any time, so
//! beyond these nothing is required of them.

use rust_decimal::Decimal;

use super::ledger::EntryFact;
use super::problem::Problem;
use super::stats::Report;
use crate::domain::{CopyStatus, Rental};
use crate::pricing::PlanVersion;

/// The fees and credits naming `rental` (`copy_status`: its copy's, if the copy exists).
pub(super) fn check_rental(
    rental: &Rental,
    plan: Option<&PlanVersion>,
    copy_status: Option<CopyStatus>,
    fees: &[EntryFact],
    credits: &[EntryFact],
    report: &mut Report,
) {
    for fee in fees.iter().filter(|f| f.customer != rental.customer) {
        report.problems.push(Problem::FeeOfOtherCustomer {
            entry: fee.id,
            customer: fee.customer,
            rental: rental.id,
            renter: rental.customer,
        });
    }
    if !rental.lost {
        if !credits.is_empty() {
            report.problems.push(Problem::CreditOfKeptRental {
                rental: rental.id,
                entries: credits.iter().map(|c| c.id).collect(),
            });
        }
        return;
    }
    report.stats.lost_rentals += 1;
    let Some(lost_at) = rental.returned_at else {
        report
            .problems
            .push(Problem::LostButOpen { rental: rental.id });
        return;
    };
    // A missing plan version is reported with the rental.
    let Some(version) = plan else {
        return;
    };
    let replacement = match version.plan.tariff(&rental.category) {
        Ok(tariff) => tariff.replacement.clone(),
        Err(e) => {
            report.problems.push(Problem::NoTariff {
                rental: rental.id,
                reason: e.to_string(),
            });
            return;
        }
    };
    let (fee, processing, refund) =
        replacement.map_or((Decimal::ZERO, Decimal::ZERO, false), |r| {
            (
                r.fee,
                r.processing_fee.unwrap_or(Decimal::ZERO),
                r.refund_when_found,
            )
        });
    let expected: Vec<Decimal> = [fee, processing]
        .into_iter()
        .filter(|amount| *amount > Decimal::ZERO)
        .collect();
    let posted: Vec<&EntryFact> = fees
        .iter()
        .filter(|f| f.customer == rental.customer && f.at == lost_at)
        .collect();
    let mut amounts = posted.iter().map(|f| f.amount);
    if !expected.iter().all(|want| amounts.any(|got| got == *want)) {
        report.problems.push(Problem::ReplacementFees {
            rental: rental.id,
            lost_at,
            expected,
            entries: posted.iter().map(|f| f.id).collect(),
        });
    }
    let still_lost = copy_status == Some(CopyStatus::Lost(rental.id));
    if !still_lost {
        report.stats.found_rentals += 1;
    }
    if copy_status == Some(CopyStatus::Withdrawn) && credits.len() <= 1 {
        return;
    }
    let owed = (!still_lost && refund && fee > Decimal::ZERO).then_some(fee);
    let credited = match (owed, credits) {
        (None, []) => true,
        (Some(fee), [credit]) => {
            credit.amount == fee && credit.customer == rental.customer && credit.at >= lost_at
        }
        _ => false,
    };
    if !credited {
        report.problems.push(Problem::FoundCredit {
            rental: rental.id,
            copy: rental.copy,
            status: copy_status,
            owed,
            entries: credits.iter().map(|c| c.id).collect(),
        });
    }
}
