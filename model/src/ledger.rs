//! The ledger: each entry moves its customer's balance (charges and fees up; payments, waivers and credits down;
//! refunds up) and records the balance after it. Amounts a caller gives are positive, at most
//! [`MAX_PLAN_AMOUNT`], with at most the store currency's decimals, and are written at its scale.

use chrono::{DateTime, Utc};
use koko_core::{
    Currency, CustomerId, Damage, Decimal, EntryKind, LedgerEntry, LedgerEntryId, Outcome, Rental,
    RentalId, MAX_PLAN_AMOUNT,
};

use crate::rejected::Rejected;
use crate::state::{next_id, Model};
use crate::text;

/// An entry to post.
pub(crate) struct Posting {
    pub(crate) customer: CustomerId,
    pub(crate) kind: EntryKind,
    pub(crate) amount: Decimal,
    pub(crate) currency: Currency,
    pub(crate) at: DateTime<Utc>,
    pub(crate) rental: Option<RentalId>,
    pub(crate) note: Option<String>,
}

/// Appends `posting` to the ledger with the next entry id and moves its customer's balance.
pub(crate) fn post(model: &mut Model, posting: Posting) -> LedgerEntry {
    let account = model
        .state
        .accounts
        .entry(posting.customer.get())
        .or_default();
    account.balance += posting.kind.signed(posting.amount);
    let entry = LedgerEntry {
        id: LedgerEntryId::new(next_id(&model.state.ledger)),
        customer: posting.customer,
        kind: posting.kind,
        amount: posting.amount,
        currency: posting.currency,
        at: posting.at,
        rental: posting.rental,
        note: posting.note,
        balance_after: account.balance,
    };
    model.state.ledger.insert(entry.id.get(), entry.clone());
    entry
}

/// Posts the `charge` entry of a rental just closed (returned or lost): its charge's total at its closing instant;
/// the rental leaves its customer's open rentals.
pub(crate) fn post_charge(model: &mut Model, closed: &Rental) {
    let (Some(charge), Some(at)) = (&closed.charge, closed.returned_at) else {
        panic!("the model closed rental {} without a charge", closed.id);
    };
    post(
        model,
        Posting {
            customer: closed.customer,
            kind: EntryKind::Charge,
            amount: charge.total,
            currency: charge.currency,
            at,
            rental: Some(closed.id),
            note: None,
        },
    );
    let account = model
        .state
        .accounts
        .entry(closed.customer.get())
        .or_default();
    account.open_rentals = account.open_rentals.saturating_sub(1);
}

/// The store's currency, and the one a caller names must be it.
fn currency_for(model: &Model, named: Option<Currency>) -> Result<Currency, Rejected> {
    match (model.currency(), named) {
        (None, _) => Err(Rejected::invalid("currency")),
        (Some(store), Some(named)) if named != store => Err(Rejected::invalid("currency")),
        (Some(store), _) => Ok(store),
    }
}

/// An amount a caller gives, checked and written at the currency's scale.
fn amount(field: &str, amount: Decimal, currency: Currency) -> Result<Decimal, Rejected> {
    if amount <= Decimal::ZERO
        || amount > MAX_PLAN_AMOUNT
        || amount.normalize().scale() > currency.minor_unit()
    {
        return Err(Rejected::invalid(field));
    }
    let mut scaled = amount;
    scaled.rescale(currency.minor_unit());
    Ok(scaled)
}

fn customer(model: &Model, id: CustomerId) -> Result<Decimal, Rejected> {
    if !model.state.customers.contains_key(&id.get()) {
        return Err(Rejected::not_found());
    }
    Ok(model
        .state
        .accounts
        .get(&id.get())
        .map_or(Decimal::ZERO, |a| a.balance))
}

/// The damage fee a return carries: a `fee` naming the rental, its note `damage: …`.
pub(crate) fn damage_posting(
    model: &Model,
    rental: &Rental,
    damage: &Damage,
    at: DateTime<Utc>,
) -> Result<Posting, Rejected> {
    let currency = currency_for(model, None)?;
    let fee = amount("damage_fee", damage.fee, currency)?;
    let note = text::required("note", &damage.note)?;
    Ok(Posting {
        customer: rental.customer,
        kind: EntryKind::Fee,
        amount: fee,
        currency,
        at,
        rental: Some(rental.id),
        note: Some(format!("damage: {note}")),
    })
}

/// A payment: any positive amount (more than is owed leaves a credit), with an optional note.
pub(crate) fn pay(
    model: &mut Model,
    id: CustomerId,
    given: Decimal,
    named: Option<Currency>,
    at: DateTime<Utc>,
    note: Option<&str>,
) -> Result<Outcome, Rejected> {
    let currency = currency_for(model, named)?;
    let amount = amount("amount", given, currency)?;
    let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(note) => {
            text::optional("note", note)?;
            Some(note.to_owned())
        }
        None => None,
    };
    customer(model, id)?;
    Ok(Outcome::Entry(post(
        model,
        Posting {
            customer: id,
            kind: EntryKind::Payment,
            amount,
            currency,
            at,
            rental: None,
            note,
        },
    )))
}

/// A waiver (at most what is owed) or a refund (at most the credit), with a reason.
pub(crate) fn waive_or_refund(
    model: &mut Model,
    id: CustomerId,
    given: Decimal,
    at: DateTime<Utc>,
    reason: &str,
    waiver: bool,
) -> Result<Outcome, Rejected> {
    let currency = currency_for(model, None)?;
    let amount = amount("amount", given, currency)?;
    let reason = text::required("reason", reason)?;
    let balance = customer(model, id)?;
    let (kind, bound) = if waiver {
        (EntryKind::Waiver, balance)
    } else {
        (EntryKind::Refund, -balance)
    };
    if given > bound {
        return Err(Rejected::invalid("amount"));
    }
    Ok(Outcome::Entry(post(
        model,
        Posting {
            customer: id,
            kind,
            amount,
            currency,
            at,
            rental: None,
            note: Some(reason),
        },
    )))
}

/// A fee with a reason, naming one of the customer's rentals if any.
pub(crate) fn post_fee(
    model: &mut Model,
    id: CustomerId,
    given: Decimal,
    at: DateTime<Utc>,
    rental: Option<RentalId>,
    reason: &str,
) -> Result<Outcome, Rejected> {
    let currency = currency_for(model, None)?;
    let amount = amount("amount", given, currency)?;
    let reason = text::required("reason", reason)?;
    customer(model, id)?;
    if let Some(rental) = rental {
        let record = model
            .state
            .rentals
            .get(&rental.get())
            .ok_or(Rejected::not_found())?;
        if record.customer != id {
            return Err(Rejected::invalid("rental"));
        }
    }
    Ok(Outcome::Entry(post(
        model,
        Posting {
            customer: id,
            kind: EntryKind::Fee,
            amount,
            currency,
            at,
            rental,
            note: Some(reason),
        },
    )))
}
