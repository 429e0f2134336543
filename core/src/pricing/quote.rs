//! Quotes: the itemised result of pricing a rental.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::tariff::{ChargeSink, Component};
use crate::money::{decimal_str, format_rate, Currency, Rounding};

/// The price of a rental: billable days, the total and the lines that add up to it.
///
/// `total` has exactly the currency's minor-unit scale, so `quote.total.to_string()` is `"4.50"`, and the
/// amounts of `lines` always sum exactly to `total`.
///
/// ```
/// use koko_core::PricePlan;
///
/// let quote = PricePlan::story3().quote_days("regular", 3).unwrap();
/// assert_eq!(quote.days, 3);
/// assert_eq!(quote.total.to_string(), "3.50");
/// let lines: Vec<_> = quote.lines.iter().map(|l| (l.description.as_str(), l.amount.to_string())).collect();
/// assert_eq!(lines, [("days 1–2 at 1.00", "2.00".to_string()), ("day 3 at 1.50", "1.50".to_string())]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Billable days (at least 1).
    pub days: u32,
    /// What is charged, rounded once to the currency's minor unit.
    #[serde(with = "decimal_str")]
    pub total: Decimal,
    /// The plan's currency.
    pub currency: Currency,
    /// The itemised charge; the amounts sum exactly to `total`.
    pub lines: Vec<QuoteLine>,
}

/// One line of a [`Quote`]: the rule behind it and its amount (minor-unit scale; negative for reductions).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLine {
    /// The rule, e.g. `"days 1–2 at 1.00"`, `"minimum charge adjustment"`, `"late fee: 3 days at 0.50"`.
    pub description: String,
    /// The amount this line adds.
    #[serde(with = "decimal_str")]
    pub amount: Decimal,
}

impl fmt::Display for Quote {
    /// An itemised block: one line per item, then the total.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            writeln!(f, "  {:<34} {:>10}", line.description, line.amount)?;
        }
        write!(
            f,
            "  {:<34} {:>10} {}",
            format!(
                "total ({} day{})",
                self.days,
                if self.days == 1 { "" } else { "s" }
            ),
            self.total,
            self.currency
        )
    }
}

/// Collects the components of a charge as unrounded lines.
pub(crate) struct LineCollector {
    currency: Currency,
    lines: Vec<(String, Decimal)>,
}

impl LineCollector {
    pub(crate) fn new(currency: Currency) -> Self {
        LineCollector {
            currency,
            lines: Vec::with_capacity(4),
        }
    }

    /// Rounds each line for display and adds a `rounding adjustment` line if they no longer sum to `total`.
    pub(crate) fn finish(self, total: Decimal, rounding: Rounding) -> Vec<QuoteLine> {
        let currency = self.currency;
        let mut shown = Decimal::ZERO;
        let mut lines: Vec<QuoteLine> = self
            .lines
            .into_iter()
            .map(|(description, exact)| {
                let amount = rounding.round(exact, currency);
                shown += amount;
                QuoteLine {
                    description,
                    amount,
                }
            })
            .collect();
        if shown != total {
            let mut amount = total - shown;
            amount.rescale(currency.minor_unit());
            lines.push(QuoteLine {
                description: "rounding adjustment".to_owned(),
                amount,
            });
        }
        lines
    }
}

impl ChargeSink for LineCollector {
    fn component(&mut self, component: Component, amount: Decimal) {
        let c = self.currency;
        let description = match component {
            Component::FlatFee => "flat fee".to_owned(),
            Component::Tier { first, last, rate } if first == last => {
                format!("day {first} at {}", format_rate(rate, c))
            }
            Component::Tier { first, last, rate } => {
                format!("days {first}\u{2013}{last} at {}", format_rate(rate, c))
            }
            Component::Minimum => "minimum charge adjustment".to_owned(),
            Component::Cap => "maximum charge adjustment".to_owned(),
            Component::LateFee { days, rate } => format!(
                "late fee: {days} day{} at {}",
                if days == 1 { "" } else { "s" },
                format_rate(rate, c)
            ),
            Component::LateFeeCap => "late fee cap adjustment".to_owned(),
        };
        self.lines.push((description, amount));
    }
}
