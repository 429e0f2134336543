//! A customer's standing: manual blocks and the plan's limits, checked inside every rent, renewal and hold, and
//! the operations that set and lift a block.

use chrono::{DateTime, Utc};

use super::events;
use super::ledger::{customer_account, reason};
use super::view::{StoredAccount, TxView};
use crate::domain::Block;
use crate::error::Error;
use crate::ids::CustomerId;
use crate::pricing::{Limits, PlanVersion};

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
    if let Some(max) = limits.max_open_rentals {
        let open = tx.count_open_rentals(customer)?;
        if open >= u64::from(max) {
            return Err(Error::blocked(
                "limits.max_open_rentals",
                format!("the customer has {open} open rentals; the limit is {max}"),
            )
            .into());
        }
    }
    check_balance::<T::E>(account, limits)?;
    if let Some(max) = limits.max_overdue_rentals {
        // Counted up to one past the limit: that is enough to refuse.
        let over = usize::try_from(max).unwrap_or(usize::MAX).saturating_add(1);
        if tx.count_overdue_rentals(customer, at, over)? >= over {
            return Err(Error::blocked(
                "limits.max_overdue_rentals",
                format!("the customer has more than {max} overdue rentals; the limit is {max}"),
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
pub(crate) fn check_standing<E: From<Error>>(
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

/// A block request: the reason, when it starts, when it ends.
pub(crate) type BlockRequest<'a> = (&'a str, DateTime<Utc>, Option<DateTime<Utc>>);

/// [`Operation::BlockCustomer`](super::operation::Operation::BlockCustomer) and
/// [`Operation::UnblockCustomer`](super::operation::Operation::UnblockCustomer).
pub(crate) fn set_block<T: TxView>(
    tx: &mut T,
    customer: CustomerId,
    block: Option<BlockRequest<'_>>,
    now: DateTime<Utc>,
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
    let was_blocked = account.block.is_some();
    account.block = new.clone();
    tx.put_account(customer, &account)?;
    match &new {
        Some(block) => events::block(tx, customer, Some(block), block.since)?,
        // Unblocking a customer who is not blocked changes nothing.
        None if was_blocked => events::block(tx, customer, None, now)?,
        None => {}
    }
    Ok(new)
}
