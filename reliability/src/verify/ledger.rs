//! The ledger entries an operation must post: each with a fresh, increasing id and the customer's running balance
//! after it, and, where the log has it, exactly the entry acknowledged.

use chrono::{DateTime, Utc};
use koko_core::{
    Currency, CustomerId, Decimal, EntryKind, LedgerEntry, LedgerEntryId, Rental, RentalId,
};

use super::apply::above;
use crate::snapshot::{Snapshot, SnapshotExt};

/// An entry an operation must have posted.
pub(super) struct Posting<'a> {
    /// What the entry belongs to, for messages: `"rental 7"`, `"customer 3"`.
    pub(super) of: String,
    /// What the entry is, for messages: `"charge"`, `"replacement fee"`, …
    pub(super) what: &'static str,
    /// Whose account.
    pub(super) customer: CustomerId,
    /// Its kind.
    pub(super) kind: EntryKind,
    /// Its amount.
    pub(super) amount: Decimal,
    /// Its currency.
    pub(super) currency: Currency,
    /// Its instant.
    pub(super) at: DateTime<Utc>,
    /// The rental it names, if any.
    pub(super) rental: Option<RentalId>,
    /// `None`: no note; `Some(text)`: a note that contains `text` (the store words the notes it writes itself).
    pub(super) note: Option<&'a str>,
}

/// Posts `posting` in `expected`: the acknowledged entry if the log has it, else the first entry of its kind and
/// rental (of its customer, for one naming no rental) that `actual` holds and `expected` does not. Its id must be
/// above every earlier entry's, and it must be exactly `posting` with the customer's running balance after it.
pub(super) fn post(
    expected: &mut Snapshot,
    posting: Posting<'_>,
    acked: Option<&LedgerEntry>,
    actual: &Snapshot,
) -> Result<(), String> {
    let Posting { of, what, .. } = &posting;
    let found = match acked {
        Some(entry) => entry,
        None => actual
            .ledger
            .values()
            .find(|e| {
                e.kind == posting.kind
                    && e.rental == posting.rental
                    && (posting.rental.is_some() || e.customer == posting.customer)
                    && !expected.ledger.contains_key(&e.id.get())
            })
            .ok_or_else(|| format!("{of}'s {what} entry was not posted"))?,
    };
    let id = found.id.get();
    above(
        &format!("{of}'s {what} entry"),
        id,
        expected.max_ids().entry,
    )?;
    let note = match (posting.note, &found.note) {
        (None, _) => None,
        (Some(text), Some(note)) if note.contains(text) => Some(note.clone()),
        (Some(text), other) => {
            return Err(format!(
                "{of}'s {what} entry {id} has the note {other:?}, one mentioning {text:?} expected"
            ))
        }
    };
    let account = expected.accounts.entry(posting.customer.get()).or_default();
    let balance_after = account
        .balance
        .checked_add(posting.kind.signed(posting.amount))
        .ok_or_else(|| {
            format!(
                "the balance {} and {}'s {what} of {} overflow",
                account.balance, of, posting.amount
            )
        })?;
    let want = LedgerEntry {
        id: LedgerEntryId::new(id),
        customer: posting.customer,
        kind: posting.kind,
        amount: posting.amount,
        currency: posting.currency,
        at: posting.at,
        rental: posting.rental,
        note,
        balance_after,
    };
    if let Some(entry) = acked.filter(|entry| *entry != &want) {
        return Err(format!(
            "{of}'s acknowledged {what} entry {entry:?} is not {want:?} (the balance was {})",
            account.balance
        ));
    }
    account.balance = balance_after;
    expected.ledger.insert(id, want);
    Ok(())
}

/// Posts the `charge` entry of the rental `closed` (just closed in `expected`, returned or lost): the rental's
/// charge total, at its closing instant; and takes the rental off its customer's open rentals.
pub(super) fn post_charge(
    expected: &mut Snapshot,
    closed: &Rental,
    acked: Option<&LedgerEntry>,
    actual: &Snapshot,
) -> Result<(), String> {
    let id = closed.id.get();
    let (Some(charge), Some(at)) = (&closed.charge, closed.returned_at) else {
        return Err(format!("rental {id} is closed without a charge"));
    };
    let posting = Posting {
        of: format!("rental {id}"),
        what: "charge",
        customer: closed.customer,
        kind: EntryKind::Charge,
        amount: charge.total,
        currency: charge.currency,
        at,
        rental: Some(closed.id),
        note: None,
    };
    post(expected, posting, acked, actual)?;
    let account = expected.accounts.entry(closed.customer.get()).or_default();
    account.open_rentals = account.open_rentals.checked_sub(1).ok_or_else(|| {
        format!("rental {id} closed, but its customer had no open rental counted")
    })?;
    Ok(())
}
