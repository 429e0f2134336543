//! The amounts a plan may name: never negative, at most [`MAX_PLAN_AMOUNT`], at most [`MAX_MONEY_DECIMALS`]
//! decimals. Checked when a plan is built, for every rate, fee, minimum, cap and limit.

use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// The most decimals a plan's money amount may have.
pub const MAX_MONEY_DECIMALS: u32 = 6;

/// The largest money amount a plan may contain. With at most [`MAX_MONEY_DECIMALS`] decimals this keeps every
/// charge for any `u32` day count exactly representable: no silent rounding, no overflow.
pub const MAX_PLAN_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// Checks an amount a plan names at `field`.
pub(crate) fn check_amount(field: &str, amount: Decimal) -> Result<()> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(Error::invalid_plan(
            field,
            format!("must not be negative, got {amount}"),
        ));
    }
    if amount > MAX_PLAN_AMOUNT {
        return Err(Error::invalid_plan(
            field,
            format!("{amount} is above the largest accepted amount {MAX_PLAN_AMOUNT}"),
        ));
    }
    if amount.normalize().scale() > MAX_MONEY_DECIMALS {
        return Err(Error::invalid_plan(
            field,
            format!("{amount} has more than {MAX_MONEY_DECIMALS} decimals"),
        ));
    }
    Ok(())
}
