//! The account rules of every write: the ledger (charges, fees, payments, waivers, refunds), limits and blocks,
//! and idempotency keys — written once against [`TxView`] like the rest of `ops`.
//!
//! As in `ops`, every operation checks everything before it writes.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::batch::{Operation, Outcome};
use super::ops::{self, IdKind, TxView};
use crate::domain::{
    optional_text, required_text, AccountState, Block, EntryKind, LedgerEntry, Rental,
};
use crate::error::Error;
use crate::ids::{CustomerId, LedgerEntryId, RentalId};
use crate::money::Currency;
use crate::pricing::{Limits, PlanVersion, MAX_PLAN_AMOUNT};

/// The longest idempotency key, in characters.
pub(crate) const MAX_KEY_CHARS: usize = 255;

/// What a store keeps per customer beside the ledger: the balance (always the ledger's sum) and a manual block.
/// Constant-size and written only by ledger and block operations — a rent reads it and writes nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredAccount {
    /// What the customer owes (negative: a credit).
    #[serde(with = "crate::money::decimal_str")]
    pub(crate) balance: Decimal,
    /// A manual block, if one is set.
    pub(crate) block: Option<Block>,
}

impl StoredAccount {
    /// The public view, with the open-rental count the backend counted.
    pub(crate) fn with_open(self, open_rentals: u64) -> AccountState {
        AccountState {
            balance: self.balance,
            block: self.block,
            open_rentals,
        }
    }
}

/// What a store keeps per idempotency key: the request it answered and its outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct KeyRecord {
    /// The request, as [`fingerprint`] writes it.
    pub(crate) request: String,
    /// The first answer.
    pub(crate) outcome: Outcome,
    /// When the key was first used.
    pub(crate) recorded_at: DateTime<Utc>,
}

impl KeyRecord {
    pub(crate) fn encode(&self) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(self)
            .map_err(|e| Error::Corruption(format!("cannot encode an idempotency key: {e}")))
    }

    pub(crate) fn decode(raw: &[u8]) -> Result<Self, Error> {
        serde_json::from_slice(raw)
            .map_err(|e| Error::Corruption(format!("cannot decode an idempotency key: {e}")))
    }
}

/// The identity of a request under an idempotency key: the operation as JSON, without its instant when the
/// store's clock supplied it (a retry of "rent now" is the same request a second later).
fn fingerprint(operation: &Operation, clock_time: bool) -> Result<String, Error> {
    // An amount is the same request however it is written: 4.5 and 4.50.
    let mut operation = operation.clone();
    if let Operation::Pay { amount, .. }
    | Operation::Waive { amount, .. }
    | Operation::Refund { amount, .. }
    | Operation::PostFee { amount, .. } = &mut operation
    {
        *amount = amount.normalize();
    }
    if let Operation::Return {
        damage: Some(damage),
        ..
    } = &mut operation
    {
        damage.fee = damage.fee.normalize();
    }
    let mut value = serde_json::to_value(&operation)
        .map_err(|e| Error::Corruption(format!("cannot encode an operation: {e}")))?;
    if clock_time {
        if let Some(fields) = value
            .as_object_mut()
            .and_then(|tagged| tagged.values_mut().next())
            .and_then(|inner| inner.as_object_mut())
        {
            fields.remove("at");
        }
    }
    Ok(value.to_string())
}

/// [`Operation::Idempotent`]: the first use of a key applies the operation and stores the key with its outcome,
/// in the same transaction; a later use answers from the key.
pub(crate) fn idempotent<T: TxView>(
    tx: &mut T,
    key: &str,
    recorded_at: DateTime<Utc>,
    clock_time: bool,
    operation: &Operation,
) -> Result<Outcome, T::E> {
    let chars = key.chars().count();
    if chars == 0 || chars > MAX_KEY_CHARS || key.chars().any(char::is_control) {
        return Err(Error::invalid_input(
            "idempotency_key",
            format!("must be 1 to {MAX_KEY_CHARS} characters without control characters"),
        )
        .into());
    }
    if matches!(operation, Operation::Idempotent { .. }) {
        return Err(Error::invalid_input(
            "idempotency_key",
            "an operation takes one idempotency key, not a key inside a key",
        )
        .into());
    }
    let request = fingerprint(operation, clock_time)?;
    tx.lock_key(key)?;
    if let Some(record) = tx.idempotency(key)? {
        if record.request == request {
            return Ok(record.outcome);
        }
        return Err(Error::Duplicate {
            field: "idempotency_key",
            value: key.to_owned(),
        }
        .into());
    }
    let outcome = ops::apply(tx, operation)?;
    tx.put_idempotency(
        key,
        &KeyRecord {
            request,
            outcome: outcome.clone(),
            recorded_at,
        },
    )?;
    Ok(outcome)
}

/// The store's one currency: the currency of its first plan version. Every later version must use it, so every
/// ledger amount is in it and a balance is a single number.
pub(crate) fn store_currency<T: TxView>(tx: &mut T) -> Result<Option<Currency>, T::E> {
    Ok(tx.first_plan()?.map(|v| v.plan.currency()))
}

/// Refuses a plan version whose currency is not the store's.
pub(crate) fn check_plan_currency<T: TxView>(tx: &mut T, currency: Currency) -> Result<(), T::E> {
    match store_currency(tx)? {
        Some(store) if store != currency => Err(Error::invalid_plan(
            "currency",
            format!(
                "the store's currency is {store} (its first plan's); every plan version must use it, so \
                 balances stay in one currency"
            ),
        )
        .into()),
        _ => Ok(()),
    }
}

/// The account of a customer, as stored or empty.
pub(crate) fn account<T: TxView>(tx: &mut T, customer: CustomerId) -> Result<StoredAccount, T::E> {
    Ok(tx.account(customer)?.unwrap_or_default())
}

/// Checks a manual block and the plan's limits for a customer about to rent at `at`.
pub(crate) fn check_may_rent<T: TxView>(
    tx: &mut T,
    customer: CustomerId,
    account: &StoredAccount,
    version: &PlanVersion,
    at: DateTime<Utc>,
) -> Result<(), T::E> {
    check_block::<T::E>(account, at)?;
    let Some(limits) = version.plan.limits() else {
        return Ok(());
    };
    // The customer's open rentals are read only when a limit needs them.
    let loans = if limits.max_open_rentals.is_some() || limits.max_overdue_rentals.is_some() {
        tx.open_loans(customer)?
    } else {
        Vec::new()
    };
    if let Some(max) = limits.max_open_rentals {
        let open = loans.len();
        if open >= max as usize {
            return Err(Error::blocked(
                "limits.max_open_rentals",
                format!("the customer has {open} open rentals; the limit is {max}"),
            )
            .into());
        }
    }
    check_balance::<T::E>(account, limits)?;
    if let Some(max) = limits.max_overdue_rentals {
        let overdue = loans
            .iter()
            .filter(|loan| loan.due_at.is_some_and(|due| at > due))
            .count();
        if overdue > max as usize {
            return Err(Error::blocked(
                "limits.max_overdue_rentals",
                format!("the customer has {overdue} overdue rentals; the limit is {max}"),
            )
            .into());
        }
    }
    Ok(())
}

/// A manual block that holds at `at` refuses the customer (rule `manual`).
fn check_block<E: From<Error>>(account: &StoredAccount, at: DateTime<Utc>) -> Result<(), E> {
    if let Some(block) = account.block.as_ref().filter(|b| b.holds_at(at)) {
        let until = block
            .until
            .map(|u| format!(" until {}", u.to_rfc3339()))
            .unwrap_or_default();
        return Err(Error::blocked("manual", format!("blocked{until}: {}", block.reason)).into());
    }
    Ok(())
}

/// A balance above `limits.max_balance` refuses the customer.
fn check_balance<E: From<Error>>(account: &StoredAccount, limits: &Limits) -> Result<(), E> {
    if let Some(max) = limits.max_balance {
        if account.balance > max {
            return Err(Error::blocked(
                "limits.max_balance",
                format!("the balance {} is above the limit {max}", account.balance),
            )
            .into());
        }
    }
    Ok(())
}

/// Checks a renewal at `at`: a manual block, and the balance limit of the plan in force then (a renewal opens no
/// rental, so the open and overdue limits do not apply).
pub(crate) fn check_may_renew<E: From<Error>>(
    account: &StoredAccount,
    policy: Option<&PlanVersion>,
    at: DateTime<Utc>,
) -> Result<(), E> {
    check_block::<E>(account, at)?;
    match policy.and_then(|v| v.plan.limits()) {
        Some(limits) => check_balance::<E>(account, limits),
        None => Ok(()),
    }
}

/// Posts a closed rental's charge (its stored quote's total) and takes it off the open rentals.
pub(crate) fn closed<T: TxView>(tx: &mut T, rental: &Rental) -> Result<LedgerEntry, T::E> {
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
    damage: &crate::storage::batch::Damage,
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

fn reason<E: From<Error>>(value: &str) -> Result<String, E> {
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

/// The ledger operations: [`Operation::Pay`], [`Operation::Waive`], [`Operation::Refund`],
/// [`Operation::PostFee`]. `None` for any other operation.
pub(crate) fn apply_ledger<T: TxView>(
    tx: &mut T,
    op: &Operation,
) -> Option<Result<LedgerEntry, T::E>> {
    Some(match op {
        Operation::Pay {
            customer,
            amount,
            currency,
            at,
            note: text,
        } => (|| {
            let currency = currency_for(tx, *currency)?;
            check_amount(*amount, currency)?;
            let note = note(text.as_deref())?;
            let account = customer_account(tx, *customer)?;
            post(
                tx,
                account,
                Posting {
                    customer: *customer,
                    kind: EntryKind::Payment,
                    amount: at_scale(*amount, currency),
                    currency,
                    at: *at,
                    rental: None,
                    note,
                },
            )
        })(),
        Operation::Waive {
            customer,
            amount,
            at,
            reason: text,
        } => credit_or_refund(tx, *customer, *amount, *at, text, EntryKind::Waiver),
        Operation::Refund {
            customer,
            amount,
            at,
            reason: text,
        } => credit_or_refund(tx, *customer, *amount, *at, text, EntryKind::Refund),
        Operation::PostFee {
            customer,
            amount,
            at,
            rental,
            reason: text,
        } => (|| {
            let currency = currency_for(tx, None)?;
            check_amount(*amount, currency)?;
            let reason = reason(text)?;
            let account = customer_account(tx, *customer)?;
            if let Some(id) = rental {
                let record = tx
                    .rental(*id)?
                    .ok_or_else(|| Error::not_found(RentalId::ENTITY, id))?;
                if record.customer != *customer {
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
                    customer: *customer,
                    kind: EntryKind::Fee,
                    amount: at_scale(*amount, currency),
                    currency,
                    at: *at,
                    rental: *rental,
                    note: Some(reason),
                },
            )
        })(),
        _ => return None,
    })
}

/// An existing customer's account (`NotFound` for an unknown customer).
fn customer_account<T: TxView>(tx: &mut T, customer: CustomerId) -> Result<StoredAccount, T::E> {
    if tx.customer(customer)?.is_none() {
        return Err(Error::not_found(CustomerId::ENTITY, customer).into());
    }
    account(tx, customer)
}

/// A waiver (at most what is owed) or a refund (at most the credit).
fn credit_or_refund<T: TxView>(
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

/// A block request: the reason, when it starts, when it ends.
pub(crate) type BlockRequest<'a> = (&'a str, DateTime<Utc>, Option<DateTime<Utc>>);

/// [`Operation::BlockCustomer`] and [`Operation::UnblockCustomer`].
pub(crate) fn set_block<T: TxView>(
    tx: &mut T,
    customer: CustomerId,
    block: Option<BlockRequest<'_>>,
) -> Result<Option<Block>, T::E> {
    let new = match block {
        Some((text, since, until)) => {
            let reason = reason(text)?;
            if until.is_some_and(|until| until <= since) {
                return Err(Error::invalid_input("until", "must be after the block starts").into());
            }
            Some(Block {
                reason,
                since,
                until,
            })
        }
        None => None,
    };
    let mut account = customer_account(tx, customer)?;
    account.block = new.clone();
    tx.put_account(customer, &account)?;
    Ok(new)
}
