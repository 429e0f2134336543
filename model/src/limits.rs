//! A customer's standing and the plan's limits, checked inside every rent, renewal and hold. (Manual blocks are
//! not modelled: the model's stores have none.)

use chrono::{DateTime, Utc};
use koko_core::{CustomerId, Rental};

use crate::rejected::Rejected;
use crate::state::Model;

/// A customer's standing at `at`: the plan in force's `limits.max_balance`, if it sets one.
pub(crate) fn check_standing(
    model: &Model,
    customer: CustomerId,
    at: DateTime<Utc>,
) -> Result<(), Rejected> {
    let limits = model.plan_in_force(at).and_then(|v| v.plan.limits());
    let balance = model.state.accounts.get(&customer.get()).map(|a| a.balance);
    match (limits.and_then(|l| l.max_balance), balance) {
        (Some(max), Some(balance)) if balance > max => Err(Rejected::blocked("limits.max_balance")),
        _ => Ok(()),
    }
}

/// What a rent at `at` also needs of the plan in force: fewer open rentals than `limits.max_open_rentals`, the
/// balance within `limits.max_balance`, at most `limits.max_overdue_rentals` overdue.
pub(crate) fn check_may_rent(
    model: &Model,
    customer: CustomerId,
    at: DateTime<Utc>,
) -> Result<(), Rejected> {
    let Some(limits) = model.plan_in_force(at).and_then(|v| v.plan.limits()) else {
        return Ok(());
    };
    let open: Vec<&Rental> = model
        .state
        .rentals
        .values()
        .filter(|r| r.customer == customer && r.returned_at.is_none())
        .collect();
    if limits
        .max_open_rentals
        .is_some_and(|max| open.len() >= max as usize)
    {
        return Err(Rejected::blocked("limits.max_open_rentals"));
    }
    check_standing(model, customer, at)?;
    let overdue = open
        .iter()
        .filter(|r| r.due_at.is_some_and(|due| at > due))
        .count();
    if limits
        .max_overdue_rentals
        .is_some_and(|max| overdue > max as usize)
    {
        return Err(Rejected::blocked("limits.max_overdue_rentals"));
    }
    Ok(())
}
