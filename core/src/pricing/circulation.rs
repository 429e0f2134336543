//! The circulation sections of a plan: holds (`holds`), lost copies (a tariff's `replacement`) and reminders
//! (`notices`).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::amount::check_amount;
use crate::error::{Error, Result};
use crate::money::{decimal_str, opt_decimal_str, Currency};

/// How long a copy set aside for a hold waits when the plan does not say (`holds.pickup_days`).
pub const DEFAULT_PICKUP_DAYS: u32 = 7;

/// The longest pickup period, due-soon notice or overdue notice level a plan may set, in days.
const MAX_NOTICE_DAYS: u32 = 3650;

/// The `holds` section of a plan.
///
/// In plan documents: `"holds": {"pickup_days": 5}`. Without it, a copy set aside waits
/// [`DEFAULT_PICKUP_DAYS`] days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldsPolicy {
    /// How many days (24-hour periods) a copy set aside for a ready hold waits for its customer.
    pub pickup_days: u32,
}

impl Default for HoldsPolicy {
    fn default() -> Self {
        HoldsPolicy {
            pickup_days: DEFAULT_PICKUP_DAYS,
        }
    }
}

impl HoldsPolicy {
    pub(crate) fn validate(&self) -> Result<()> {
        if self.pickup_days == 0 || self.pickup_days > MAX_NOTICE_DAYS {
            return Err(Error::invalid_plan(
                "holds.pickup_days",
                format!(
                    "must be between 1 and {MAX_NOTICE_DAYS} days, got {}",
                    self.pickup_days
                ),
            ));
        }
        Ok(())
    }
}

/// What a lost copy of a category costs, on top of the rental's charge so far (a tariff's `replacement`).
///
/// In plan documents: `"replacement": {"fee": "25.00", "processing_fee": "5.00", "refund_when_found": true}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replacement {
    /// The price of replacing the copy, posted as a `fee` entry when it is declared lost.
    #[serde(with = "decimal_str")]
    pub fee: Decimal,
    /// The cost of handling the loss, posted as its own `fee` entry; never credited back.
    #[serde(
        default,
        with = "opt_decimal_str",
        skip_serializing_if = "Option::is_none"
    )]
    pub processing_fee: Option<Decimal>,
    /// Whether the replacement fee is credited back (a `waiver`) when the copy is found.
    #[serde(default)]
    pub refund_when_found: bool,
}

impl Replacement {
    /// Checks the amounts: not negative, at most the currency's decimals (they are posted as they are).
    pub(crate) fn validate(&self, path: &str, currency: Currency) -> Result<()> {
        let amounts = [
            ("fee", Some(self.fee)),
            ("processing_fee", self.processing_fee),
        ];
        for (name, amount) in amounts {
            let Some(amount) = amount else { continue };
            let field = format!("{path}.replacement.{name}");
            check_amount(&field, amount)?;
            if amount.normalize().scale() > currency.minor_unit() {
                return Err(Error::invalid_plan(
                    field,
                    format!(
                        "{amount} has more decimals than {currency} has ({}): a fee is posted as it is",
                        currency.minor_unit()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// When customers are reminded (`notices`).
///
/// In plan documents: `"notices": {"due_soon_days": 2, "overdue_days": [1, 7, 14]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticesPolicy {
    /// A `due_soon` notice is due this many days (24-hour periods) before a rental's due time; none if unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_soon_days: Option<u32>,
    /// An `overdue` notice at each of these days late (24-hour periods after the due time), in increasing order:
    /// `[1, 7, 14]` is a first, second and third reminder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overdue_days: Vec<u32>,
}

impl NoticesPolicy {
    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(days) = self.due_soon_days {
            if days == 0 || days > MAX_NOTICE_DAYS {
                return Err(Error::invalid_plan(
                    "notices.due_soon_days",
                    format!("must be between 1 and {MAX_NOTICE_DAYS}, got {days}"),
                ));
            }
        }
        let mut previous = 0;
        for (i, &days) in self.overdue_days.iter().enumerate() {
            if days <= previous || days > MAX_NOTICE_DAYS {
                return Err(Error::invalid_plan(
                    format!("notices.overdue_days[{i}]"),
                    format!(
                        "levels must increase strictly from 1 to {MAX_NOTICE_DAYS}: {days} does not come after {previous}"
                    ),
                ));
            }
            previous = days;
        }
        if self.overdue_days.len() > 10 {
            return Err(Error::invalid_plan(
                "notices.overdue_days",
                "at most 10 reminder levels",
            ));
        }
        Ok(())
    }
}
