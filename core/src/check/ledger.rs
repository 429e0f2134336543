//! Customers, their accounts and ledgers. Rules: the customer listing in order; each customer's ledger in order
//! and their own; amounts never negative; every entry's `balance_after` the running sum of the ledger up to it;
//! the stored balance the sum of the whole ledger; every customer with an account. What the rentals' rules need
//! later is kept: the charge entries by rental, and the fees and credits naming a rental.

use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::listing::{owner_problem, sort_once, InOrder};
use super::problem::Problem;
use super::record::{Listing, Record};
use super::source::{Owner, Stream};
use super::stats::Report;
use crate::domain::{AccountState, EntryKind, LedgerEntry};
use crate::ids::{CustomerId, LedgerEntryId, RentalId};
use crate::money::Currency;

/// What the check keeps of a fee or credit naming a rental.
#[derive(Clone, Copy, Debug)]
pub(super) struct EntryFact {
    pub(super) rental: RentalId,
    pub(super) id: LedgerEntryId,
    pub(super) customer: CustomerId,
    pub(super) amount: Decimal,
    pub(super) at: DateTime<Utc>,
}

impl EntryFact {
    fn of(rental: RentalId, entry: &LedgerEntry) -> Self {
        EntryFact {
            rental,
            id: entry.id,
            customer: entry.customer,
            amount: entry.amount,
            at: entry.at,
        }
    }
}

/// What the check keeps of a charge entry: what its rules read, and a fingerprint of the whole entry to compare
/// with the one the charge index finds.
#[derive(Clone, Copy, Debug)]
pub(super) struct ChargeFact {
    pub(super) rental: RentalId,
    pub(super) id: LedgerEntryId,
    pub(super) customer: CustomerId,
    pub(super) amount: Decimal,
    pub(super) currency: Currency,
    pub(super) at: DateTime<Utc>,
    pub(super) fingerprint: u64,
}

/// A hash of every field of `entry`: equal entries have equal fingerprints.
pub(super) fn fingerprint(entry: &LedgerEntry) -> u64 {
    let mut hasher = DefaultHasher::new();
    entry.id.hash(&mut hasher);
    entry.customer.hash(&mut hasher);
    entry.kind.hash(&mut hasher);
    entry.amount.hash(&mut hasher);
    entry.currency.hash(&mut hasher);
    entry.at.hash(&mut hasher);
    entry.rental.hash(&mut hasher);
    entry.note.hash(&mut hasher);
    entry.balance_after.hash(&mut hasher);
    hasher.finish()
}

/// What the check keeps of a customer.
#[derive(Clone, Copy, Debug)]
pub(super) struct CustomerFact {
    pub(super) id: CustomerId,
    /// Listed as a customer (not only named by records of a snapshot).
    pub(super) exists: bool,
    /// The open rentals their account counts (`None`: no account).
    pub(super) counted_open: Option<u64>,
}

/// The customers and what their ledgers say of rentals.
pub(super) struct Ledger {
    order: InOrder,
    customers: Vec<CustomerFact>,
    /// Each e-mail key's first customer, to name the customers who share one.
    emails: std::collections::HashMap<String, CustomerId>,
    entry_ids: Vec<u64>,
    /// Charge entries naming a rental, by rental and id once [`Ledger::finish`] ran.
    charges: Vec<ChargeFact>,
    /// Fee entries naming a rental, by rental and id once [`Ledger::finish`] ran.
    fees: Vec<EntryFact>,
    /// Waiver entries naming a rental (the credit of a found copy), by rental and id once [`Ledger::finish`] ran.
    credits: Vec<EntryFact>,
}

/// The items of `rental` in `items`, sorted by rental.
pub(super) fn of_rental<T>(items: &[T], rental: RentalId, key: impl Fn(&T) -> RentalId) -> &[T] {
    let start = items.partition_point(|item| key(item) < rental);
    let end = items.partition_point(|item| key(item) <= rental);
    items.get(start..end).unwrap_or_default()
}

/// `items` (sorted by rental) in runs of one rental each.
fn by_rental<T>(items: &[T], key: impl Fn(&T) -> RentalId + Copy) -> Vec<(RentalId, &[T])> {
    items
        .chunk_by(|a, b| key(a) == key(b))
        .filter_map(|run| run.first().map(|first| (key(first), run)))
        .collect()
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger {
            order: InOrder::new(Listing::Customers),
            customers: Vec::new(),
            emails: Default::default(),
            entry_ids: Vec::new(),
            charges: Vec::new(),
            fees: Vec::new(),
            credits: Vec::new(),
        }
    }
}

impl Ledger {
    /// One customer (or, in a snapshot, a customer id that records name), their account and their ledger.
    pub(super) fn read_customer<E>(
        &mut self,
        owner: Owner,
        account: Option<AccountState>,
        entries: Stream<'_, LedgerEntry, E>,
        report: &mut Report,
    ) -> Result<(), E> {
        let customer = owner.id;
        if owner.exists {
            report.stats.customers += 1;
            report.problems.extend(self.order.next(customer.get()));
            if account.is_none() {
                report.problems.push(Problem::NoAccount { customer });
            }
        }
        if let Some(email) = owner.email.as_deref().map(crate::domain::email_key) {
            match self.emails.get(&email) {
                Some(first) => report.problems.push(Problem::SharedEmail {
                    customer,
                    first: *first,
                    email,
                }),
                None => {
                    self.emails.insert(email, customer);
                }
            }
        }
        let listing = Listing::Ledger { customer };
        let mut order = InOrder::new(listing);
        let mut sum = Some(Decimal::ZERO);
        for entry in entries {
            let entry = entry?;
            let id = entry.id.get();
            report.stats.entries += 1;
            self.entry_ids.push(id);
            report.problems.extend(order.next(id));
            report
                .problems
                .extend(owner_problem(listing, id, entry.customer.get()));
            if !owner.exists {
                report.problems.push(Problem::OwnerMissing {
                    record: Record::LedgerEntry,
                    id,
                    customer,
                });
            }
            sum = self.post(&entry, sum, report);
            self.keep(entry, report);
        }
        if let (Some(account), Some(sum)) = (&account, sum) {
            self.check_balance(customer, account, sum, report);
        }
        self.customers.push(CustomerFact {
            id: customer,
            exists: owner.exists,
            counted_open: account.map(|a| a.open_rentals),
        });
        Ok(())
    }

    /// The entry's amount and `balance_after` against the running sum before it; the sum after it (`None` once
    /// it overflowed).
    fn post(
        &mut self,
        entry: &LedgerEntry,
        sum: Option<Decimal>,
        report: &mut Report,
    ) -> Option<Decimal> {
        if entry.amount < Decimal::ZERO {
            report.problems.push(Problem::NegativeAmount {
                entry: entry.id,
                amount: entry.amount,
            });
        }
        let next = sum?.checked_add(entry.signed_amount());
        match next {
            Some(next) if entry.balance_after != next => {
                report.problems.push(Problem::RunningBalance {
                    entry: entry.id,
                    customer: entry.customer,
                    balance_after: entry.balance_after,
                    sum: next,
                })
            }
            Some(_) => {}
            None => report.problems.push(Problem::BalanceOverflow {
                entry: entry.id,
                customer: entry.customer,
            }),
        }
        next
    }

    /// Keeps what the rentals' rules need of an entry.
    fn keep(&mut self, entry: LedgerEntry, report: &mut Report) {
        match (entry.kind, entry.rental) {
            (EntryKind::Charge, Some(rental)) => self.charges.push(ChargeFact {
                rental,
                id: entry.id,
                customer: entry.customer,
                amount: entry.amount,
                currency: entry.currency,
                at: entry.at,
                fingerprint: fingerprint(&entry),
            }),
            (EntryKind::Charge, None) => report
                .problems
                .push(Problem::ChargeWithoutRental { entry: entry.id }),
            (EntryKind::Payment, _) => report.stats.payments += 1,
            (EntryKind::Fee, Some(rental)) => self.fees.push(EntryFact::of(rental, &entry)),
            (EntryKind::Waiver, Some(rental)) => self.credits.push(EntryFact::of(rental, &entry)),
            _ => {}
        }
    }

    fn check_balance(
        &self,
        customer: CustomerId,
        account: &AccountState,
        sum: Decimal,
        report: &mut Report,
    ) {
        if account.balance != sum {
            report.problems.push(Problem::AccountBalance {
                customer,
                balance: account.balance,
                sum,
            });
        }
    }

    /// After the last customer: customers by id, what names a rental by rental, and no ledger entry listed
    /// twice.
    pub(super) fn finish(&mut self, report: &mut Report) {
        self.charges.sort_unstable_by_key(|c| (c.rental, c.id));
        self.fees.sort_unstable_by_key(|f| (f.rental, f.id));
        self.credits.sort_unstable_by_key(|f| (f.rental, f.id));
        self.customers.sort_by_key(|c| c.id);
        self.customers.dedup_by_key(|c| c.id);
        sort_once(
            Record::LedgerEntry,
            &mut self.entry_ids,
            |id| *id,
            &mut report.problems,
        );
        // Only needed to find entries listed twice.
        self.entry_ids = Vec::new();
    }

    /// The charge entries naming `rental`, in id order (after [`Ledger::finish`]).
    pub(super) fn charges_of(&self, rental: RentalId) -> &[ChargeFact] {
        of_rental(&self.charges, rental, |c| c.rental)
    }

    /// The fee entries naming `rental`, in id order (after [`Ledger::finish`]).
    pub(super) fn fees_of(&self, rental: RentalId) -> &[EntryFact] {
        of_rental(&self.fees, rental, |f| f.rental)
    }

    /// The waiver entries naming `rental`, in id order (after [`Ledger::finish`]).
    pub(super) fn credits_of(&self, rental: RentalId) -> &[EntryFact] {
        of_rental(&self.credits, rental, |f| f.rental)
    }

    /// The charge, fee and waiver entries naming a rental that is not `known`, as problems.
    pub(super) fn of_unknown_rentals(&self, known: impl Fn(RentalId) -> bool, report: &mut Report) {
        let charges = by_rental(&self.charges, |c| c.rental)
            .into_iter()
            .map(|(rental, run)| {
                (
                    EntryKind::Charge,
                    rental,
                    run.iter().map(|c| c.id).collect(),
                )
            });
        let fees = by_rental(&self.fees, |f| f.rental)
            .into_iter()
            .map(|(rental, run)| (EntryKind::Fee, rental, run.iter().map(|f| f.id).collect()));
        let credits = by_rental(&self.credits, |f| f.rental)
            .into_iter()
            .map(|(rental, run)| {
                (
                    EntryKind::Waiver,
                    rental,
                    run.iter().map(|f| f.id).collect(),
                )
            });
        for (kind, rental, entries) in charges.chain(fees).chain(credits) {
            if !known(rental) {
                report.problems.push(Problem::EntriesOfUnknownRental {
                    kind,
                    rental,
                    entries,
                });
            }
        }
    }

    /// Whether `id` is a listed customer.
    pub(super) fn has_customer(&self, id: CustomerId) -> bool {
        self.customers
            .binary_search_by_key(&id, |c| c.id)
            .is_ok_and(|at| self.customers.get(at).is_some_and(|c| c.exists))
    }

    /// The listed customers, in id order.
    pub(super) fn customers(&self) -> impl Iterator<Item = &CustomerFact> + '_ {
        self.customers.iter().filter(|c| c.exists)
    }
}
