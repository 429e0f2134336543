//! A category's tariff: graduated daily tiers, flat fee, minimum, cap and late fee — and the arithmetic.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::amount::check_amount;
use super::circulation::Replacement;
use crate::error::{Error, Result};
use crate::money::{decimal_str, opt_decimal_str};

/// One step of a graduated daily rate: from day `from_day` on (1-based), each day costs `rate`,
/// until the next tier starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// The first day (1-based) this rate applies to.
    pub from_day: u32,
    /// The price of each day in this tier.
    #[serde(with = "decimal_str")]
    pub rate: Decimal,
}

/// A fee for each day a rental is returned after its due date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LateFee {
    /// The loan period in days: a rental is due this many days after it was opened.
    pub loan_days: u32,
    /// The fee for each late day.
    #[serde(with = "decimal_str")]
    pub per_day: Decimal,
    /// Days late that are forgiven; a return later than this pays for every late day.
    #[serde(default)]
    pub grace_days: u32,
    /// The most a late fee can come to.
    #[serde(
        default,
        with = "opt_decimal_str",
        skip_serializing_if = "Option::is_none"
    )]
    pub cap: Option<Decimal>,
    /// Whether the days the plan's `calendar` closes count as late days (`true`, the default). With `false`, of
    /// the N late days the day count gives, only the open ones among the N local dates after the local due date
    /// count (and `grace_days` compares against those). `false` needs a `calendar`.
    #[serde(default = "counted", skip_serializing_if = "is_counted")]
    pub count_closed_days: bool,
}

fn counted() -> bool {
    true
}

fn is_counted(count: &bool) -> bool {
    *count
}

/// How one category is charged: `total = min(cap, max(minimum, flat_fee + tiers)) + late fee`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tariff {
    /// Graduated daily rates; the first starts at day 1.
    pub tiers: Vec<Tier>,
    /// A fee charged once per rental.
    #[serde(
        default,
        with = "opt_decimal_str",
        skip_serializing_if = "Option::is_none"
    )]
    pub flat_fee: Option<Decimal>,
    /// The least a rental is charged (late fees aside).
    #[serde(
        default,
        with = "opt_decimal_str",
        skip_serializing_if = "Option::is_none"
    )]
    pub minimum: Option<Decimal>,
    /// The most a rental is charged (late fees aside).
    #[serde(
        default,
        with = "opt_decimal_str",
        skip_serializing_if = "Option::is_none"
    )]
    pub cap: Option<Decimal>,
    /// An optional late fee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_fee: Option<LateFee>,
    /// How often, and from when, a rental of this category can be renewed (none: it cannot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewals: Option<Renewals>,
    /// What a lost copy costs on top of the charge so far (none: only the charge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<Replacement>,
}

/// Renewals of a category's rentals: each moves the due date forward by the loan period (`late_fee.loan_days`),
/// counted from the current due date or from the renewal; the daily charge is unchanged and late days count from
/// the new due date.
///
/// In plan documents: `"renewals": {"max": 2, "from": "due_date"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Renewals {
    /// The most renewals of one rental.
    pub max: u32,
    /// What the new loan period is counted from.
    #[serde(default)]
    pub from: RenewFrom,
}

/// What a renewal's new loan period is counted from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewFrom {
    /// The current due date (the default): renewing early loses no days.
    #[default]
    DueDate,
    /// The moment of the renewal.
    Renewal,
}

impl Tariff {
    /// A tariff with one flat daily rate.
    pub fn daily(rate: Decimal) -> Self {
        Tariff {
            tiers: vec![Tier { from_day: 1, rate }],
            flat_fee: None,
            minimum: None,
            cap: None,
            late_fee: None,
            renewals: None,
            replacement: None,
        }
    }

    /// Sets the minimum charge.
    pub fn with_minimum(mut self, minimum: Decimal) -> Self {
        self.minimum = Some(minimum);
        self
    }

    /// Checks the tariff; `path` prefixes the field names in errors (e.g. `categories.regular`). `has_calendar`:
    /// whether the plan has a calendar (which `late_fee.count_closed_days: false` needs).
    pub(crate) fn validate(&self, path: &str, has_calendar: bool) -> Result<()> {
        if self.tiers.is_empty() {
            return Err(Error::invalid_plan(
                format!("{path}.tiers"),
                "a tariff needs at least one tier",
            ));
        }
        let mut previous: Option<u32> = None;
        for (i, tier) in self.tiers.iter().enumerate() {
            let field = format!("{path}.tiers[{i}]");
            match previous {
                None if tier.from_day != 1 => {
                    return Err(Error::invalid_plan(
                        format!("{field}.from_day"),
                        format!("the first tier must start at day 1, not {}", tier.from_day),
                    ));
                }
                Some(prev) if tier.from_day <= prev => {
                    return Err(Error::invalid_plan(
                        format!("{field}.from_day"),
                        format!(
                            "tiers must be in increasing order without overlap: day {} does not come after day {prev}",
                            tier.from_day
                        ),
                    ));
                }
                _ => {}
            }
            previous = Some(tier.from_day);
            check_amount(&format!("{field}.rate"), tier.rate)?;
        }
        if let Some(flat) = self.flat_fee {
            check_amount(&format!("{path}.flat_fee"), flat)?;
        }
        if let Some(minimum) = self.minimum {
            check_amount(&format!("{path}.minimum"), minimum)?;
        }
        if let Some(cap) = self.cap {
            check_amount(&format!("{path}.cap"), cap)?;
        }
        if let (Some(minimum), Some(cap)) = (self.minimum, self.cap) {
            if minimum > cap {
                return Err(Error::invalid_plan(
                    format!("{path}.minimum"),
                    format!("the minimum {minimum} is above the cap {cap}"),
                ));
            }
        }
        if self.renewals.is_some() && self.late_fee.is_none() {
            return Err(Error::invalid_plan(
                format!("{path}.renewals"),
                "renewals move a due date: the tariff needs a loan period (late_fee.loan_days)",
            ));
        }
        if let Some(late) = &self.late_fee {
            if late.loan_days == 0 {
                return Err(Error::invalid_plan(
                    format!("{path}.late_fee.loan_days"),
                    "the loan period must be at least 1 day",
                ));
            }
            check_amount(&format!("{path}.late_fee.per_day"), late.per_day)?;
            if let Some(cap) = late.cap {
                check_amount(&format!("{path}.late_fee.cap"), cap)?;
            }
            if !late.count_closed_days && !has_calendar {
                return Err(Error::invalid_plan(
                    format!("{path}.late_fee.count_closed_days"),
                    "false leaves the calendar's closed days out of late days, but the plan has no calendar",
                ));
            }
        }
        Ok(())
    }

    /// Feeds every charge component for `days` billable days and `late_days` late days to `sink`, in line order,
    /// and returns the exact (unrounded) total.
    pub(crate) fn charge<S: ChargeSink>(
        &self,
        days: u32,
        late_days: u32,
        sink: &mut S,
    ) -> Result<Decimal> {
        let mut subtotal = Decimal::ZERO;
        if let Some(flat) = self.flat_fee.filter(|f| !f.is_zero()) {
            sink.component(Component::FlatFee, flat);
            subtotal = add(subtotal, flat)?;
        }
        for (i, tier) in self.tiers.iter().enumerate() {
            if tier.from_day > days {
                break;
            }
            let last = match self.tiers.get(i + 1) {
                Some(next) => (next.from_day - 1).min(days),
                None => days,
            };
            let count = last - tier.from_day + 1;
            let amount = tier
                .rate
                .checked_mul(Decimal::from(count))
                .ok_or_else(overflow)?;
            sink.component(
                Component::Tier {
                    index: i,
                    first: tier.from_day,
                    last,
                    rate: tier.rate,
                },
                amount,
            );
            subtotal = add(subtotal, amount)?;
        }
        if let Some(minimum) = self.minimum {
            if minimum > subtotal {
                sink.component(Component::Minimum, minimum - subtotal);
                subtotal = minimum;
            }
        }
        if let Some(cap) = self.cap {
            if cap < subtotal {
                sink.component(Component::Cap, cap - subtotal);
                subtotal = cap;
            }
        }
        if let Some(late) = &self.late_fee {
            if late_days > late.grace_days {
                let fee = late
                    .per_day
                    .checked_mul(Decimal::from(late_days))
                    .ok_or_else(overflow)?;
                sink.component(
                    Component::LateFee {
                        days: late_days,
                        rate: late.per_day,
                    },
                    fee,
                );
                subtotal = add(subtotal, fee)?;
                if let Some(cap) = late.cap {
                    if cap < fee {
                        sink.component(Component::LateFeeCap, cap - fee);
                        subtotal = add(subtotal, cap - fee)?;
                    }
                }
            }
        }
        Ok(subtotal)
    }
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(overflow)
}

fn overflow() -> Error {
    Error::invalid_input("days", "the charge is too large to compute")
}

/// One component of a charge, in the order the lines of a quote show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Component {
    FlatFee,
    Tier {
        /// The tier's position in the tariff.
        index: usize,
        first: u32,
        last: u32,
        rate: Decimal,
    },
    Minimum,
    Cap,
    LateFee {
        days: u32,
        rate: Decimal,
    },
    LateFeeCap,
}

/// Receives the components of a charge: the quote builder turns them into lines; totals-only callers ignore them.
pub(crate) trait ChargeSink {
    fn component(&mut self, component: Component, amount: Decimal);
}

/// A sink that keeps nothing: for totals only (price curves, batches).
pub(crate) struct TotalOnly;

impl ChargeSink for TotalOnly {
    #[inline]
    fn component(&mut self, _: Component, _: Decimal) {}
}
