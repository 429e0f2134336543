//! The `limits` section of a plan: when a customer may not rent more.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::amount::check_amount;
use crate::error::{Error, Result};
use crate::money::opt_decimal_str;

/// Rules that refuse a rent (with [`Error::Blocked`] naming the rule), checked inside the
/// rent operation, atomically with it. Every rule is optional; a plan without `limits` limits nothing.
///
/// ```
/// use koko_core::PricePlan;
///
/// let plan = PricePlan::from_json(r#"{"currency": "USD",
///     "default": {"tiers": [{"from_day": 1, "rate": "1.00"}]},
///     "limits": {"max_open_rentals": 5, "max_balance": "20.00", "max_overdue_rentals": 0}}"#).unwrap();
/// let limits = plan.limits().unwrap();
/// assert_eq!(limits.max_open_rentals, Some(5));
/// assert_eq!(limits.max_balance.unwrap().to_string(), "20.00");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// The most rentals one customer may have open at once (`limits.max_open_rentals`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_open_rentals: Option<u32>,
    /// Renting is refused while the customer's balance is above this (`limits.max_balance`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_decimal_str"
    )]
    pub max_balance: Option<Decimal>,
    /// Renting is refused while the customer has more overdue rentals than this (`limits.max_overdue_rentals`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_overdue_rentals: Option<u32>,
    /// The most holds (waiting or ready) one customer may have at once (`limits.max_holds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_holds: Option<u32>,
}

impl Limits {
    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(max) = self.max_balance {
            check_amount("limits.max_balance", max)?;
        }
        if self.max_open_rentals == Some(0) {
            return Err(Error::invalid_plan(
                "limits.max_open_rentals",
                "must be at least 1 (a store where nobody may rent needs no plan)",
            ));
        }
        Ok(())
    }
}
