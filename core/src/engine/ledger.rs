//! The ledger: every posting (a closed rental's charge, fees, payments, waivers, refunds, the credit of a found
//! copy) appends an entry and moves the customer's balance in the same step. Entries are never edited: a
//! correction is a new entry. Waivers are bounded by what is owed, refunds by the credit.
//!
//! As everywhere in the engine, every operation checks everything before it writes.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::events;
use super::operation::Damage;
#[cfg(doc)]
use super::operation::Operation;
use super::plans::store_currency;
use super::view::{account, IdKind, StoredAccount, TxView};
use crate::domain::{optional_text, required_text, EntryKind, LedgerEntry, Rental};
use crate::error::Error;
use crate::ids::{CustomerId, LedgerEntryId, RentalId};
use crate::money::Currency;
use crate::pricing::MAX_PLAN_AMOUNT;

/// Posts a closed rental's charge (its stored quote's total) and takes it off the open rentals.
pub(crate) fn post_charge<T: TxView>(tx: &mut T, rental: &Rental) -> Result<LedgerEntry, T::E> {
    let charge = rental.charge.as_ref().ok_or_else(|| {
        Error::Corruption(format!("rental {} closed without a charge", rental.id))
    })?;
    let account = account(tx, rental.customer)?;
    post(
        tx,
        account,
        Posting {
            customer: rental.customer,
            kind: EntryKind::Charge,
            amount: charge.total,
            currency: charge.currency,
            at: rental.returned_at.ok_or_else(|| {
                Error::Corruption(format!("rental {} closed without a time", rental.id))
            })?,
            rental: Some(rental.id),
            note: None,
        },
    )
}

/// An entry about to be posted.
pub(crate) struct Posting {
    pub(crate) customer: CustomerId,
    pub(crate) kind: EntryKind,
    pub(crate) amount: Decimal,
    pub(crate) currency: Currency,
    pub(crate) at: DateTime<Utc>,
    pub(crate) rental: Option<RentalId>,
    pub(crate) note: Option<String>,
}

/// Posts an entry the store itself decides (a replacement fee, the credit of a found copy), whose amount the
/// plan validated: no limit on what is owed applies.
pub(crate) fn post_entry<T: TxView>(tx: &mut T, posting: Posting) -> Result<LedgerEntry, T::E> {
    let account = account(tx, posting.customer)?;
    post(tx, account, posting)
}

/// A damage fee a return carries: checked like any fee (positive, the store's currency, a note required).
pub(crate) fn damage_posting<T: TxView>(
    tx: &mut T,
    rental: &Rental,
    damage: &Damage,
    at: DateTime<Utc>,
) -> Result<Posting, T::E> {
    let currency = currency_for(tx, None)?;
    check_amount_of::<T::E>("damage_fee", damage.fee, currency)?;
    let note = required_text("note", &damage.note)?;
    Ok(Posting {
        customer: rental.customer,
        kind: EntryKind::Fee,
        amount: at_scale(damage.fee, currency),
        currency,
        at,
        rental: Some(rental.id),
        note: Some(format!("damage: {note}")),
    })
}

/// Appends an entry and moves the balance: the last step of every ledger operation (checks are done).
fn post<T: TxView>(
    tx: &mut T,
    mut account: StoredAccount,
    posting: Posting,
) -> Result<LedgerEntry, T::E> {
    let balance = account
        .balance
        .checked_add(posting.kind.signed(posting.amount))
        .ok_or_else(|| Error::invalid_input("amount", "the balance would overflow"))?;
    let entry = LedgerEntry {
        id: LedgerEntryId::new(tx.next_id(IdKind::LedgerEntry)?),
        customer: posting.customer,
        kind: posting.kind,
        amount: posting.amount,
        currency: posting.currency,
        at: posting.at,
        rental: posting.rental,
        note: posting.note,
        balance_after: balance,
    };
    account.balance = balance;
    tx.put_entry(&entry)?;
    tx.put_account(entry.customer, &account)?;
    events::ledger_posted(tx, &entry)?;
    Ok(entry)
}

/// The store's currency for an amount the caller gives, checking the one they named.
fn currency_for<T: TxView>(tx: &mut T, named: Option<Currency>) -> Result<Currency, T::E> {
    let Some(store) = store_currency(tx)? else {
        return Err(Error::invalid_input(
            "currency",
            "the store has no price plan yet, so it has no currency to take money in",
        )
        .into());
    };
    match named {
        Some(named) if named != store => Err(Error::invalid_input(
            "currency",
            format!("the store's currency is {store}, not {named}"),
        )
        .into()),
        _ => Ok(store),
    }
}

/// Checks an amount a caller gives: positive, not above [`MAX_PLAN_AMOUNT`], at most the currency's decimals.
fn check_amount<E: From<Error>>(amount: Decimal, currency: Currency) -> Result<(), E> {
    check_amount_of("amount", amount, currency)
}

/// [`check_amount`] for an amount the caller names `field`.
fn check_amount_of<E: From<Error>>(
    field: &str,
    amount: Decimal,
    currency: Currency,
) -> Result<(), E> {
    if amount <= Decimal::ZERO {
        return Err(Error::invalid_input(field, format!("must be positive, got {amount}")).into());
    }
    if amount > MAX_PLAN_AMOUNT {
        return Err(Error::invalid_input(
            field,
            format!("{amount} is above the largest accepted amount {MAX_PLAN_AMOUNT}"),
        )
        .into());
    }
    if amount.normalize().scale() > currency.minor_unit() {
        return Err(Error::invalid_input(
            field,
            format!(
                "{amount} has more decimals than {currency} has ({})",
                currency.minor_unit()
            ),
        )
        .into());
    }
    Ok(())
}

/// A checked amount written with the currency's decimals (`5` → `5.00` in USD).
fn at_scale(mut amount: Decimal, currency: Currency) -> Decimal {
    amount.rescale(currency.minor_unit());
    amount
}

pub(crate) fn reason<E: From<Error>>(value: &str) -> Result<String, E> {
    required_text("reason", value).map_err(E::from)
}

fn note<E: From<Error>>(value: Option<&str>) -> Result<Option<String>, E> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => {
            optional_text("note", v)?;
            Ok(Some(v.to_owned()))
        }
        None => Ok(None),
    }
}

/// [`Operation::Pay`]: a positive amount in the store's currency (the one the caller names, if any, must be
/// it); paying more than is owed leaves a credit.
pub(crate) fn pay<T: TxView>(
    tx: &mut T,
    customer: CustomerId,
    amount: Decimal,
    named: Option<Currency>,
    at: DateTime<Utc>,
    text: Option<&str>,
) -> Result<LedgerEntry, T::E> {
    let currency = currency_for(tx, named)?;
    check_amount(amount, currency)?;
    let note = note(text)?;
    let account = customer_account(tx, customer)?;
    post(
        tx,
        account,
        Posting {
            customer,
            kind: EntryKind::Payment,
            amount: at_scale(amount, currency),
            currency,
            at,
            rental: None,
            note,
        },
    )
}

/// [`Operation::PostFee`]: a debit with a reason, optionally for one of the customer's rentals.
pub(crate) fn post_fee<T: TxView>(
    tx: &mut T,
    customer: CustomerId,
    amount: Decimal,
    at: DateTime<Utc>,
    rental: Option<RentalId>,
    text: &str,
) -> Result<LedgerEntry, T::E> {
    let currency = currency_for(tx, None)?;
    check_amount(amount, currency)?;
    let reason = reason(text)?;
    let account = customer_account(tx, customer)?;
    if let Some(id) = rental {
        let record = tx
            .rental(id)?
            .ok_or_else(|| Error::not_found(RentalId::ENTITY, id))?;
        if record.customer != customer {
            return Err(Error::invalid_input(
                "rental",
                format!("rental {id} is not customer {customer}'s"),
            )
            .into());
        }
    }
    post(
        tx,
        account,
        Posting {
            customer,
            kind: EntryKind::Fee,
            amount: at_scale(amount, currency),
            currency,
            at,
            rental,
            note: Some(reason),
        },
    )
}

/// An existing customer's account (`NotFound` for an unknown customer).
pub(crate) fn customer_account<T: TxView>(
    tx: &mut T,
    customer: CustomerId,
) -> Result<StoredAccount, T::E> {
    if tx.customer(customer)?.is_none() {
        return Err(Error::not_found(CustomerId::ENTITY, customer).into());
    }
    account(tx, customer)
}

/// [`Operation::Waive`] (`kind` waiver: at most what is owed) or [`Operation::Refund`] (`kind` refund: at most
/// the credit), with a reason.
pub(crate) fn waive_or_refund<T: TxView>(
    tx: &mut T,
    customer: CustomerId,
    amount: Decimal,
    at: DateTime<Utc>,
    text: &str,
    kind: EntryKind,
) -> Result<LedgerEntry, T::E> {
    let currency = currency_for(tx, None)?;
    check_amount(amount, currency)?;
    let reason = reason(text)?;
    let account = customer_account(tx, customer)?;
    match kind {
        EntryKind::Waiver if amount > account.balance => {
            return Err(Error::invalid_input(
                "amount",
                format!(
                    "a waiver of {amount} is more than the {} the customer owes",
                    account.balance.max(Decimal::ZERO)
                ),
            )
            .into())
        }
        EntryKind::Refund if amount > -account.balance => {
            return Err(Error::invalid_input(
                "amount",
                format!(
                    "a refund of {amount} is more than the customer's credit of {}",
                    (-account.balance).max(Decimal::ZERO)
                ),
            )
            .into())
        }
        _ => {}
    }
    post(
        tx,
        account,
        Posting {
            customer,
            kind,
            amount: at_scale(amount, currency),
            currency,
            at,
            rental: None,
            note: Some(reason),
        },
    )
}
