//! Rentals, read in id order, each against what the check kept of the catalogue, the customers and the ledgers.
//! Rules:
//! - every rental names an existing copy of its book, an existing book and customer, and an existing plan version
//!   (not its book's category: a book may be re-categorised, the rental keeps the category it was priced under);
//! - its due date is its plan's for its rental instant, moved on by each renewal in turn
//!   (`PricePlan::renewed_due`); its renewals in order, no earlier than the rental, no later than its return, no
//!   more than the plan allows;
//! - an open rental has no charge, its copy is marked `Rented(it)`, and no charge entry names it;
//! - a closed rental was returned no earlier than rented, has a charge equal to
//!   `PricePlan::quote_with_due(category, rented_at, due_at, returned_at)` under its plan version (unless it is a
//!   charge another system recorded, imported as it was: `Quote::recorded`), and exactly one
//!   charge entry: of its customer, at its return, for its charge's total in its charge's currency — the entry
//!   `Storage::charge_entry` finds;
//! - lost rentals' fees and credits: `lost.rs`; fulfilled holds naming it: `holds.rs`.
//!
//! Once all are read ([`Rentals::finish`]): a copy marked `Rented(r)` has `r` as its one open rental; each
//! account counts its customer's open rentals; no charge, fee, credit or fulfilled hold names a rental that does
//! not exist.

use std::collections::BTreeMap;

use super::catalogue::Catalogue;
use super::holds::Holds;
use super::ledger::{fingerprint, ChargeFact, Ledger};
use super::listing::InOrder;
use super::lost;
use super::problem::Problem;
use super::record::Listing;
use super::stats::Report;
use crate::domain::{CopyStatus, LedgerEntry, Rental};
use crate::ids::{CopyId, CustomerId, RentalId};
use crate::pricing::{PlanVersion, PricePlan};

/// What the check keeps of the rentals: the open ones by copy and customer, every rental's customer.
pub(super) struct Rentals {
    order: InOrder,
    open_by_copy: BTreeMap<u64, Vec<RentalId>>,
    open_by_customer: BTreeMap<CustomerId, u64>,
    /// Every rental's id and customer, in the order read.
    owners: Vec<(RentalId, CustomerId)>,
    /// The open rentals, in the order read.
    open: Vec<RentalId>,
}

impl Default for Rentals {
    fn default() -> Self {
        Rentals {
            order: InOrder::new(Listing::Rentals),
            open_by_copy: BTreeMap::new(),
            open_by_customer: BTreeMap::new(),
            owners: Vec::new(),
            open: Vec::new(),
        }
    }
}

/// What a rental is checked against.
pub(super) struct Kept<'a> {
    pub(super) plans: &'a [PlanVersion],
    pub(super) catalogue: &'a mut Catalogue,
    pub(super) ledger: &'a mut Ledger,
    pub(super) holds: &'a mut Holds,
}

impl Rentals {
    /// One rental as listed, with the charge entry `Storage::charge_entry` finds for it.
    pub(super) fn add(
        &mut self,
        rental: &Rental,
        indexed: Option<LedgerEntry>,
        kept: &mut Kept<'_>,
        report: &mut Report,
    ) {
        let id = rental.id;
        report.stats.rentals += 1;
        report.stats.renewals += rental.renewals.len() as u64;
        report.problems.extend(self.order.next(id.get()));
        self.owners.push((id, rental.customer));
        let copy_status = check_references(rental, kept, report);
        let plan = kept.plans.iter().find(|v| v.id == rental.plan_version);
        match plan {
            Some(version) => report
                .problems
                .extend(due_date_problem(&version.plan, rental)),
            None => report.problems.push(Problem::PlanVersionMissing {
                rental: id,
                plan_version: rental.plan_version,
            }),
        }
        match (rental.returned_at, &rental.charge) {
            (None, charge) => {
                report.stats.open_rentals += 1;
                self.open.push(id);
                self.open_by_copy
                    .entry(rental.copy.get())
                    .or_default()
                    .push(id);
                *self.open_by_customer.entry(rental.customer).or_default() += 1;
                if charge.is_some() {
                    report.problems.push(Problem::OpenButCharged { rental: id });
                }
                if let Some(status) = copy_status.filter(|s| *s != CopyStatus::Rented(id)) {
                    report.problems.push(Problem::OpenRentalNotMarked {
                        rental: id,
                        copy: rental.copy,
                        status,
                    });
                }
            }
            (Some(_), None) => report
                .problems
                .push(Problem::ClosedWithoutCharge { rental: id }),
            (Some(returned_at), Some(_)) => {
                if returned_at < rental.rented_at {
                    report.problems.push(Problem::ReturnedBeforeRented {
                        rental: id,
                        rented_at: rental.rented_at,
                        returned_at,
                    });
                }
                if let Some(version) = plan {
                    report.problems.extend(quote_problem(&version.plan, rental));
                }
            }
        }
        let charges = kept.ledger.charges_of(id);
        report
            .problems
            .extend(charge_entries_problem(rental, charges));
        let found = indexed.map(|e| (e.id, fingerprint(&e)));
        let ledger = charges.first().map(|c| (c.id, c.fingerprint));
        if found != ledger {
            report.problems.push(Problem::ChargeIndex {
                rental: id,
                found: found.map(|(entry, _)| entry),
                ledger: ledger.map(|(entry, _)| entry),
            });
        }
        let (fees, credits) = (kept.ledger.fees_of(id), kept.ledger.credits_of(id));
        lost::check_rental(rental, plan, copy_status, fees, credits, report);
        kept.holds.fulfilled_by(rental, report);
    }

    /// After the last rental: copies against their open rentals, accounts against their customers' open
    /// rentals, and what names a rental that does not exist.
    pub(super) fn finish(&mut self, kept: &mut Kept<'_>, report: &mut Report) {
        self.owners.sort_unstable_by_key(|(id, _)| *id);
        self.open.sort_unstable();
        for copy in kept.catalogue.copies() {
            let open = self
                .open_by_copy
                .get(&copy.id.get())
                .map_or(&[][..], Vec::as_slice);
            match copy.status {
                CopyStatus::Rented(rental) if !open.contains(&rental) => {
                    report.problems.push(Problem::MarkedRentedNotOpen {
                        copy: copy.id,
                        rental,
                    })
                }
                CopyStatus::Lost(rental) => {
                    report.stats.lost_copies += 1;
                    if copy.latest != Some((rental, true)) {
                        report.problems.push(Problem::LostCopyRental {
                            copy: copy.id,
                            rental,
                        });
                    }
                }
                _ => {}
            }
        }
        for (copy, open) in &self.open_by_copy {
            if open.len() > 1 {
                report.problems.push(Problem::SeveralOpenRentals {
                    copy: CopyId::new(*copy),
                    rentals: open.clone(),
                });
            }
        }
        for customer in kept.ledger.customers() {
            let open = self
                .open_by_customer
                .get(&customer.id)
                .copied()
                .unwrap_or(0);
            match customer.counted_open {
                Some(counted) if counted != open => {
                    report.problems.push(Problem::OpenRentalCount {
                        customer: customer.id,
                        counted,
                        open,
                    })
                }
                _ => {}
            }
        }
        let known = |rental: RentalId| {
            self.owners
                .binary_search_by_key(&rental, |(id, _)| *id)
                .is_ok()
        };
        kept.ledger.of_unknown_rentals(known, report);
        kept.holds.finish_fulfilled(known, report);
    }

    /// The open rentals, in id order (after [`Rentals::finish`]).
    pub(super) fn open(&self) -> &[RentalId] {
        &self.open
    }

    /// Every rental's id and customer, in id order (after [`Rentals::finish`]).
    pub(super) fn owners(&self) -> &[(RentalId, CustomerId)] {
        &self.owners
    }
}

/// The rental's copy, book and customer exist, the copy of that book; the copy's status, if it exists.
fn check_references(
    rental: &Rental,
    kept: &mut Kept<'_>,
    report: &mut Report,
) -> Option<CopyStatus> {
    let id = rental.id;
    let copy = kept.catalogue.copy_mut(rental.copy);
    let status = copy.as_ref().map(|c| c.status);
    match copy {
        None => report.problems.push(Problem::RentalCopyMissing {
            rental: id,
            copy: rental.copy,
        }),
        Some(copy) => {
            copy.latest = Some((id, rental.lost));
            if copy.book != rental.book {
                report.problems.push(Problem::RentalCopyOfOtherBook {
                    rental: id,
                    copy: rental.copy,
                    book: rental.book,
                    copy_book: copy.book,
                });
            }
        }
    }
    if !kept.catalogue.has_book(rental.book) {
        report.problems.push(Problem::RentalBookMissing {
            rental: id,
            book: rental.book,
        });
    }
    if !kept.ledger.has_customer(rental.customer) {
        report.problems.push(Problem::RentalCustomerMissing {
            rental: id,
            customer: rental.customer,
        });
    }
    status
}

/// A rental's due date and renewals against its plan: the due date for its rental instant, moved on by each
/// renewal in turn; renewals in order, within the rental's time, no more than the plan allows.
fn due_date_problem(plan: &PricePlan, rental: &Rental) -> Option<Problem> {
    let id = rental.id;
    let mut due = match plan.due_at(&rental.category, rental.rented_at) {
        Ok(due) => due,
        Err(e) => {
            return Some(Problem::DueDateUnknown {
                rental: id,
                reason: e.to_string(),
            })
        }
    };
    let mut last = rental.rented_at;
    for (renewal, at) in rental.renewals.iter().copied().enumerate() {
        if at < last || rental.returned_at.is_some_and(|returned| at > returned) {
            return Some(Problem::RenewalOutOfOrder {
                rental: id,
                renewal,
                at,
            });
        }
        last = at;
        let Some(before) = due else {
            return Some(Problem::RenewedWithoutDueDate { rental: id, at });
        };
        match plan.renewed_due(&rental.category, before, at, renewal) {
            Ok(after) => due = Some(after),
            Err(e) => {
                return Some(Problem::RenewalRefused {
                    rental: id,
                    renewal,
                    at,
                    reason: e.to_string(),
                })
            }
        }
    }
    (due != rental.due_at).then_some(Problem::DueDateWrong {
        rental: id,
        due_at: rental.due_at,
        expected: due,
    })
}

/// A closed rental's charge against its quote under its plan.
fn quote_problem(plan: &PricePlan, rental: &Rental) -> Option<Problem> {
    let (Some(returned_at), Some(charge)) = (rental.returned_at, &rental.charge) else {
        return None;
    };
    if charge.is_recorded() {
        // History another system priced, imported as it was recorded (`Quote::recorded`): no plan's quote.
        return None;
    }
    match plan.quote_with_due(
        &rental.category,
        rental.rented_at,
        rental.due_at,
        returned_at,
    ) {
        Ok(quote) if &quote == charge => None,
        Ok(quote) => Some(Problem::ChargeNotQuote {
            rental: rental.id,
            charged: charge.total,
            quote: quote.total,
        }),
        Err(e) => Some(Problem::Unquotable {
            rental: rental.id,
            reason: e.to_string(),
        }),
    }
}

/// An open rental has no charge entry; a closed one exactly one, of its charge.
fn charge_entries_problem(rental: &Rental, charges: &[ChargeFact]) -> Option<Problem> {
    let entries = || charges.iter().map(|e| e.id).collect();
    let Some(returned_at) = rental.returned_at else {
        return (!charges.is_empty()).then(|| Problem::OpenRentalCharged {
            rental: rental.id,
            entries: entries(),
        });
    };
    match (charges, &rental.charge) {
        ([entry], Some(charge)) => {
            let fits = entry.amount == charge.total
                && entry.currency == charge.currency
                && entry.customer == rental.customer
                && entry.at == returned_at;
            (!fits).then_some(Problem::ChargeEntryMismatch {
                rental: rental.id,
                customer: rental.customer,
                returned_at,
                charged: charge.total,
                currency: charge.currency,
                entry: entry.id,
                entry_customer: entry.customer,
                entry_at: entry.at,
                entry_amount: entry.amount,
                entry_currency: entry.currency,
            })
        }
        // A closed rental without a charge is reported on its own.
        ([_], None) => None,
        _ => Some(Problem::ChargeEntryCount {
            rental: rental.id,
            entries: entries(),
        }),
    }
}
